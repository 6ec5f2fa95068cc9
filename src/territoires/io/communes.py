"""Loading commune boundaries: IGN ADMIN EXPRESS (COG, COG-CARTO) and simple ``code``/``nom`` layouts."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .._errors import InputError, warn
from ..settings import CRS_METROPOLE, CRS_OVERSEAS
from ._columns import find_column, normalise_commune_codes, require_column, to_count

log = logging.getLogger(__name__)

_VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".parquet", ".geoparquet", ".fgb", ".zip"}


def departement_of(codes: pd.Series) -> pd.Series:
    """Return the département code of INSEE commune codes (``"31555"`` → ``"31"``, ``"97411"`` → ``"974"``).

    >>> departement_of(pd.Series(["31555", "2A004", "97411"])).tolist()
    ['31', '2A', '974']
    """
    codes = codes.astype(str)
    return codes.str[:2].where(~codes.str.startswith("97"), codes.str[:3])


def metric_crs_for(departements: pd.Series, *, source: str = "communes") -> str:
    """Return the metric CRS to compute in: Lambert-93, or the local CRS of one overseas département.

    Raises
    ------
    InputError
        If metropolitan and overseas communes, or several overseas territories, are mixed.
    """
    overseas = sorted(set(departements[departements.str.startswith("97")]))
    if not overseas:
        return CRS_METROPOLE
    crs = {CRS_OVERSEAS.get(d) for d in overseas}
    if len(overseas) == len(set(departements)) and len(crs) == 1 and None not in crs:
        return crs.pop()
    msg = (
        f"{source}: le fichier mêle la métropole et l'outre-mer (ou plusieurs territoires d'outre-mer : "
        f"{', '.join(overseas)}); chaque territoire se calcule dans sa propre projection : "
        "traitez-les séparément (filtrez le fichier par département)."
    )
    raise InputError(msg)


def _read_vector(path: Path, *, layer: str | None) -> gpd.GeoDataFrame:
    if not path.exists():
        raise InputError(f"{path}: fichier introuvable (contours des communes).")
    if path.suffix.lower() not in _VECTOR_SUFFIXES and not path.is_dir():
        msg = (
            f"{path}: format non reconnu pour des contours de communes ; attendu GeoJSON, GeoPackage, "
            "Shapefile ou GeoParquet."
        )
        raise InputError(msg)
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"{path}: fichier vide (contours des communes).")
    try:
        if path.suffix.lower() in {".parquet", ".geoparquet"}:
            return gpd.read_parquet(path)
        if layer is None and path.suffix.lower() == ".gpkg":
            layers = [name for name, geom in pyogrio.list_layers(path) if geom]
            preferred = [n for n in layers if n.lower() in {"commune", "communes"}]
            layer = (preferred or layers or [None])[0]
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        ValueError,
        OSError,
    ) as exc:
        raise InputError(f"{path}: lecture impossible des contours des communes : {exc}") from exc


def repair_geometries(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Repair invalid polygons with :func:`shapely.make_valid`, keeping only their polygonal parts.

    Returns the repaired copy and the number of geometries repaired.
    """
    geoms = gdf.geometry.to_numpy()
    invalid = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    n_invalid = int(invalid.sum())
    if n_invalid:
        fixed = shapely.make_valid(geoms[invalid])
        # make_valid can return collections with lines or points: keep the polygons only.
        parts = [shapely.get_parts(g) for g in fixed]
        fixed = np.array(
            [shapely.multipolygons(p[shapely.get_type_id(p) == 3]) if len(p) else shapely.Polygon() for p in parts],
            dtype=object,
        )
        geoms = geoms.copy()
        geoms[invalid] = fixed
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    return gdf, n_invalid


def communes_from_file(
    path: str | Path,
    *,
    layer: str | None = None,
    code_column: str | None = None,
    name_column: str | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Load commune polygons from GeoJSON, GeoPackage, Shapefile or GeoParquet.

    Recognises the IGN ADMIN EXPRESS columns (``INSEE_COM``, ``NOM``, ``POPULATION``, ``INSEE_DEP``,
    ``SIREN_EPCI``) and the simple ``code``/``nom`` layout, with the usual synonyms. Codes are kept as 5-character
    text. The result is reprojected to Lambert-93 (EPSG:2154), or to the local CRS of an overseas département.
    Invalid polygons are repaired (count reported); communes without geometry are left out and listed in
    ``result.attrs["left_out"]``.

    Parameters
    ----------
    path
        Vector file (``.geojson``, ``.gpkg``, ``.shp``, ``.parquet``).
    layer
        Layer of a GeoPackage (default: ``COMMUNE``/``communes`` if present, else the first one).
    code_column, name_column
        Force the columns holding the INSEE code and the name.
    crs
        CRS of the coordinates when the file declares none (e.g. ``"EPSG:2154"``).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code_commune``, ``nom``, ``departement``, ``epci`` (or missing), ``population`` (when the file
        carries one, e.g. ADMIN EXPRESS ``POPULATION``), geometry, sorted by code.
    """
    path = Path(path)
    raw = _read_vector(path, layer=layer)
    source = str(path)
    if raw.empty:
        raise InputError(f"{source}: aucune commune dans le fichier (couche vide).")
    if raw.crs is None:
        if crs is None:
            msg = f"{source}: le fichier ne déclare pas de système de coordonnées ; précisez-le (--crs EPSG:2154)."
            raise InputError(msg)
        raw = raw.set_crs(crs)
    code_col = require_column(raw, "code_commune", source=source, column=code_column)
    name_col = find_column(raw.columns, "nom") if name_column is None else name_column
    out = gpd.GeoDataFrame(
        {"code_commune": normalise_commune_codes(raw[code_col], source=source, column=code_col)},
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs,
        index=pd.RangeIndex(len(raw)),
    )
    out["nom"] = raw[name_col].astype(str).to_numpy() if name_col else out["code_commune"]
    dep_col = find_column(raw.columns, "departement")
    out["departement"] = (
        raw[dep_col].astype(str).to_numpy() if dep_col else departement_of(out["code_commune"]).to_numpy()
    )
    epci_col = find_column(raw.columns, "epci")
    out["epci"] = raw[epci_col].astype("string").to_numpy() if epci_col else pd.NA
    pop_col = find_column(raw.columns, "population")
    if pop_col:
        out["population"] = to_count(raw[pop_col].reset_index(drop=True), source=source, column=pop_col).to_numpy()

    dup = out["code_commune"].duplicated(keep=False)
    if dup.any():
        codes = sorted(set(out.loc[dup, "code_commune"]))
        msg = (
            f"{source}: colonne {code_col!r} : {len(codes)} code(s) commune en double ({', '.join(codes[:10])}); "
            "une ligne par commune était attendue (fusionnez les parties d'une même commune)."
        )
        raise InputError(msg)

    left_out: list[dict] = []
    missing = out.geometry.isna() | out.geometry.is_empty
    if missing.any():
        left_out = [
            {
                "source": source,
                "ligne": int(i) + 1,
                "identifiant": code,
                "motif": "commune sans géométrie",
            }
            for i, code in zip(np.flatnonzero(missing.to_numpy()), out.loc[missing, "code_commune"], strict=True)
        ]
        warn(f"{source}: {int(missing.sum())} commune(s) sans géométrie écartée(s).")
        out = out.loc[~missing].reset_index(drop=True)

    out, n_repaired = repair_geometries(out)
    if n_repaired:
        log.info("%s: %d invalid polygon(s) repaired", source, n_repaired)
    target = metric_crs_for(out["departement"], source=source)
    out = out.to_crs(target)
    out = out.sort_values("code_commune", kind="stable").reset_index(drop=True)
    out.attrs["left_out"] = left_out
    out.attrs["repaired_geometries"] = n_repaired
    out.attrs["source"] = source
    return out


def communes_from_files(paths, **kwargs) -> gpd.GeoDataFrame:
    """Load and concatenate commune polygons from several files or folders (e.g. one file per département).

    A folder stands for every vector file it holds. Keyword arguments go to :func:`communes_from_file`.
    Duplicate codes across files raise an :class:`InputError`.
    """
    files: list[Path] = []
    for p in [paths] if isinstance(paths, (str, Path)) else paths:
        p = Path(p)
        if p.is_dir():
            inside = sorted(f for f in p.iterdir() if f.suffix.lower() in _VECTOR_SUFFIXES - {".zip"})
            if not inside:
                raise InputError(f"{p}: aucun fichier de contours (GeoJSON, GeoPackage, Shapefile) dans ce dossier.")
            files.extend(inside)
        else:
            files.append(p)
    if not files:
        raise InputError("aucun fichier de contours des communes donné.")
    parts = [communes_from_file(f, **kwargs) for f in files]
    if len(parts) == 1:
        return parts[0]
    crs = {str(p.crs) for p in parts}
    if len(crs) > 1:
        msg = f"{', '.join(map(str, files))}: les fichiers mêlent plusieurs territoires ({', '.join(sorted(crs))})."
        raise InputError(msg)
    attrs = {
        "left_out": [r for p in parts for r in p.attrs.get("left_out", [])],
        "repaired_geometries": sum(p.attrs.get("repaired_geometries", 0) for p in parts),
        "source": ", ".join(str(f) for f in files),
    }
    for p in parts:
        p.attrs = {}
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    dup = out["code_commune"].duplicated(keep=False)
    if dup.any():
        codes = sorted(set(out.loc[dup, "code_commune"]))
        raise InputError(
            f"{attrs['source']}: {len(codes)} code(s) commune présents dans plusieurs fichiers "
            f"({', '.join(codes[:10])})."
        )
    out = out.sort_values("code_commune", kind="stable").reset_index(drop=True)
    out.attrs = attrs
    return out
