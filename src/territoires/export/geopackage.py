"""The diagnostic GeoPackage: one layer per result (Lambert-93) and a ``run_metadata`` table describing the run."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from .._atomic import atomic_path
from .._errors import InputError
from .._provenance import environment, now_utc
from .._version import __version__
from ..analysis.key_figures import KeyFigures, figures_of
from .qgis_style import save_qgis_styles

METADATA_TABLE = "run_metadata"
#: Tables of the GeoPackage that are not diagnostic layers.
_NOT_LAYERS = (METADATA_TABLE, "layer_styles")


def _jsonable(value):
    if isinstance(value, float) and value != value:  # NaN
        return None
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def save_diagnostic_geopackage(
    path: str | Path,
    layers: Mapping[str, pd.DataFrame],
    *,
    metadata: Mapping | None = None,
    figures: KeyFigures | None = None,
) -> Path:
    """Write the diagnostic layers and the run metadata to a GeoPackage, atomically.

    Parameters
    ----------
    path
        Target ``.gpkg`` file; written to a temporary file and renamed, so a failed run leaves no half-written file.
    layers
        Layer name → (Geo)DataFrame; empty or ``None`` entries are skipped; tables without geometry are written as
        attribute tables.
    metadata
        Run description (version, date, inputs with checksums, parameters, counts); stored as key/value rows of
        JSON in the ``run_metadata`` table, with the versions of Python and the main libraries
        (``environnement``). QGIS styles for the main layers are written into the ``layer_styles`` table
        (:mod:`territoires.export.qgis_style`) before the file is renamed.
    figures
        Key figures of the run, stored as ``chiffres_cles`` (default: those of ``metadata``, else computed from
        the layers by :func:`territoires.analysis.key_figures.figures_of`).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    meta = {
        "outil": "territoires",
        "version": __version__,
        "date": now_utc(),
        "environnement": environment(),
        **dict(metadata or {}),
    }
    if figures is not None:
        meta["chiffres_cles"] = figures.to_dict()
    elif "chiffres_cles" not in meta and layers.get("communes") is not None:
        meta["chiffres_cles"] = figures_of(layers, meta).to_dict()
    with atomic_path(path) as tmp:
        for name, frame in layers.items():
            if frame is None or len(frame) == 0:
                continue
            if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
                frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
            else:
                table = pd.DataFrame(frame).copy()
                pyogrio.write_dataframe(table, tmp, layer=name, driver="GPKG")
        rows = pd.DataFrame(
            {
                "cle": list(meta),
                "valeur": [json.dumps(v, ensure_ascii=False, default=_jsonable) for v in meta.values()],
            }
        )
        pyogrio.write_dataframe(rows, tmp, layer=METADATA_TABLE, driver="GPKG")
        save_qgis_styles(tmp, layers, metadata=meta)
    return path


def read_run_metadata(path: str | Path) -> dict:
    """Return the ``run_metadata`` table of a diagnostic GeoPackage as a dict (empty if absent)."""
    with sqlite3.connect(Path(path)) as con:
        try:
            rows = con.execute(f"SELECT cle, valeur FROM {METADATA_TABLE}").fetchall()
        except sqlite3.DatabaseError:
            return {}
    return {k: json.loads(v) for k, v in rows}


def read_diagnostic_geopackage(path: str | Path) -> tuple[dict[str, pd.DataFrame], dict, KeyFigures]:
    """Read back every layer of a diagnostic GeoPackage, its run metadata and its key figures.

    Returns
    -------
    (dict, dict, KeyFigures)
        Layer name → (Geo)DataFrame; the ``run_metadata`` table as a dict; the key figures written with the run
        (computed from the layers for a file written before they were stored).

    Raises
    ------
    InputError
        If the file is missing, is not a GeoPackage, or has no ``communes`` layer.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: fichier introuvable (GeoPackage de diagnostic attendu).")
    try:
        names = [name for name, _ in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError as exc:
        raise InputError(f"{path}: ce n'est pas un GeoPackage lisible ({exc}).") from exc
    if "communes" not in names:
        msg = f"{path}: pas de couche 'communes' ; un GeoPackage écrit par « territoires diagnose » était attendu."
        raise InputError(msg)
    layers: dict[str, pd.DataFrame] = {}
    for name in names:
        if name in _NOT_LAYERS:
            continue
        layers[name] = gpd.read_file(path, layer=name, engine="pyogrio")
    metadata = read_run_metadata(path)
    return layers, metadata, figures_of(layers, metadata)
