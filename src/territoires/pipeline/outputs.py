"""Writing a diagnosis: every output file of ``territoires diagnose`` and ``territoires cpts``, atomically.

Kept apart from :mod:`territoires.pipeline.diagnostic` so that computing (``territoires apl``) does not load the map
and report libraries.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..export.folium_map import save_map_html
from ..export.geopackage import save_diagnostic_geopackage
from ..export.raster import save_surface_geotiff
from ..export.report import save_report_html
from ..export.tables import CATCHMENT_COLUMNS, save_table
from .diagnostic import Diagnostic

__all__ = ["save_catchments", "save_diagnostic"]


def save_diagnostic(diagnostic: Diagnostic, out_dir: str | Path, *, tiles: bool = False) -> dict[str, Path]:
    """Write ``diagnostic.gpkg`` (and ``temps_acces.tif``), ``carte.html`` and ``rapport.html`` into ``out_dir``.

    Each file is written to a temporary file and renamed, so a failed run never leaves a half-written output.

    Returns
    -------
    dict
        Kind of output → written path.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    layers = diagnostic.layers()
    surface_path = None
    if diagnostic.surface is not None:
        surface_path = save_surface_geotiff(out_dir / "temps_acces.tif", diagnostic.surface)
        written["raster"] = surface_path
    for kind, surface in diagnostic.facility_surfaces.items():  # with a BPE input: time to each kind of facility
        written[f"raster_{kind}"] = save_surface_geotiff(out_dir / f"temps_{kind}.tif", surface)
    written["geopackage"] = save_diagnostic_geopackage(
        out_dir / "diagnostic.gpkg", layers, metadata=diagnostic.metadata
    )
    written["carte"] = save_map_html(
        out_dir / "carte.html",
        layers,
        metadata=diagnostic.metadata,
        figures=diagnostic.figures,
        surface_path=surface_path,
        tiles=tiles,
    )
    written["rapport"] = save_report_html(
        out_dir / "rapport.html", layers, metadata=diagnostic.metadata, figures=diagnostic.figures
    )
    return written


def save_catchments(
    diagnostic: Diagnostic, out_dir: str | Path, *, extra_layers: Mapping[str, pd.DataFrame] | None = None
) -> dict[str, Path]:
    """Write the catchments into ``out_dir``: ``cpts.gpkg`` (``catchments`` and ``communes`` layers) and ``cpts.csv``.

    ``extra_layers`` are written into the GeoPackage too (``comparison``: see :mod:`territoires.pipeline.comparison`).

    The CSV (one row per commune: its catchment) is written for spreadsheets (see
    :func:`territoires.export.tables.save_table`). Both files are written to a temporary file and renamed.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    layers = {"catchments": diagnostic.catchments, "communes": diagnostic.communes}
    if len(diagnostic.left_out):
        layers["left_out"] = diagnostic.left_out
    layers.update(extra_layers or {})
    written = {"geopackage": save_diagnostic_geopackage(out_dir / "cpts.gpkg", layers, metadata=diagnostic.metadata)}
    written["csv"] = save_table(diagnostic.communes, out_dir / "cpts.csv", columns=CATCHMENT_COLUMNS)
    return written
