"""Road networks as users have them: IGN ROUTE 500 / BD TOPO lines and OpenStreetMap extracts, with their speeds.

A network is a line layer (GeoPackage, Shapefile, GeoJSON, or GeoParquet: ``.parquet``/``.geoparquet`` files are
read with pyarrow through :func:`geopandas.read_parquet`, which needs no GDAL Parquet driver). Lines meet at their
ends: IGN products are noded; an OpenStreetMap extract of *ways* (osmnx ``graph_to_gdfs`` edges, ``ogr2ogr`` of
``lines``) is noded once split at intersections, as osmnx edges are.

Each line gets a speed in km/h (column ``vitesse_kmh`` of :func:`roads_from_file`), taken from the first source
found:

1. a speed column (``vitesse``, ``speed``, ``maxspeed``...). OpenStreetMap ``maxspeed`` values are parsed
   (:func:`parse_maxspeed`): ``50``, ``50 mph`` (80.5 km/h), ``FR:urban`` (50), ``FR:rural`` (80, since
   2018), ``FR:motorway`` (130), ``FR:zone30`` (30), ``FR:walk`` (6), ``30;50`` (several values: the
   lowest); ``none``, ``signals``, ``variable`` and unparsed values fall back on the road class;
2. a road-class column: ``highway`` of OpenStreetMap (:data:`OSM_HIGHWAY_SPEEDS`), ``VOCATION`` of ROUTE 500
   or ``NATURE`` of BD TOPO (:data:`ROAD_CLASS_SPEEDS`);
3. a uniform default speed (warned about).

OpenStreetMap ``oneway`` (``yes``/``True``: as drawn; ``-1``: against) is honoured when the graph is built
(:func:`territoires.analysis.road_network.road_graph`); other lines are two-way.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import InputError, warn
from ._columns import find_column

log = logging.getLogger(__name__)

__all__ = [
    "MAXSPEED_KEYWORDS",
    "OSM_HIGHWAY_SPEEDS",
    "ROAD_CLASS_SPEEDS",
    "parse_maxspeed",
    "road_speeds",
    "roads_from_file",
]

#: Default speeds (km/h) for the road classes of IGN ROUTE 500 (``VOCATION``) and BD TOPO (``NATURE``).
ROAD_CLASS_SPEEDS: Mapping[str, float] = {
    "type autoroutier": 120.0,
    "liaison principale": 80.0,
    "liaison régionale": 70.0,
    "liaison locale": 50.0,
    "bretelle": 50.0,
    "route à 2 chaussées": 90.0,
    "route à 1 chaussée": 70.0,
    "route empierrée": 30.0,
    "chemin": 15.0,
    "rond-point": 30.0,
}

#: Default speeds (km/h) per OpenStreetMap ``highway`` class, used where ``maxspeed`` is missing or unparsed.
#: Mean speeds rather than legal limits (junctions, villages, bends): motorway 120 (limit 130), trunk (2×2
#: voies) 100 (110), primary 80, secondary 70, tertiary 60 (rural limit 80), unclassified and ``road`` 50,
#: residential 30, living_street 15, service and track 20 and 15; ``*_link`` slip roads about half their road.
#: Change them with ``class_speeds=``; calibrate against the INSEE Metric distancier where you can.
OSM_HIGHWAY_SPEEDS: Mapping[str, float] = {
    "motorway": 120.0,
    "motorway_link": 60.0,
    "trunk": 100.0,
    "trunk_link": 50.0,
    "primary": 80.0,
    "primary_link": 40.0,
    "secondary": 70.0,
    "secondary_link": 40.0,
    "tertiary": 60.0,
    "tertiary_link": 30.0,
    "unclassified": 50.0,
    "road": 50.0,
    "residential": 30.0,
    "living_street": 15.0,
    "service": 20.0,
    "track": 15.0,
}

#: ``maxspeed`` keywords (OpenStreetMap, French implicit limits) → km/h. ``FR:rural`` is 80 km/h since 1 July
#: 2018 (90 before; some départements restored 90 on part of their roads: tag those with a number).
MAXSPEED_KEYWORDS: Mapping[str, float] = {
    "fr:urban": 50.0,
    "fr:rural": 80.0,
    "fr:motorway": 130.0,
    "fr:trunk": 110.0,
    "fr:zone30": 30.0,
    "fr:zone20": 20.0,
    "fr:living_street": 20.0,
    "fr:walk": 6.0,
    "walk": 6.0,
    "urban": 50.0,
    "rural": 80.0,
}
_MPH = 1.609344
_NUMBER = re.compile(r"(\d+(?:[.,]\d+)?)\s*(mph|km/h|kmh|kph)?")


def parse_maxspeed(values: pd.Series) -> pd.Series:
    """Parse OpenStreetMap ``maxspeed`` values into km/h (NaN where no speed can be read).

    Parsed once per distinct value (a national extract has millions of ways but a few hundred spellings).

    >>> parse_maxspeed(pd.Series(["50", "FR:rural", "50 mph", "30;50", "none", None, "['70', '90']"])).round(1).tolist()
    [50.0, 80.0, 80.5, 30.0, nan, nan, 70.0]
    """
    text = values.astype("string").str.strip().str.lower()
    unique = pd.unique(text.dropna())
    parsed = {value: _one_maxspeed(value) for value in unique}
    return text.map(parsed).astype(float)


def _one_maxspeed(value: str) -> float:
    speeds = []
    for part in re.split(r"[;|,]", value.strip("[] ")):
        part = part.strip().strip("'\" ")
        if not part:
            continue
        if part in MAXSPEED_KEYWORDS:
            speeds.append(MAXSPEED_KEYWORDS[part])
            continue
        match = _NUMBER.fullmatch(part)
        if match:
            speed = float(match.group(1).replace(",", "."))
            speeds.append(speed * _MPH if match.group(2) == "mph" else speed)
    speeds = [s for s in speeds if s > 0]
    return min(speeds) if speeds else np.nan


def _first_class(values: pd.Series) -> pd.Series:
    """First class of list-like values written by osmnx (``"['residential', 'unclassified']"``), lower case."""
    text = values.astype("string").str.strip().str.lower()
    return text.str.strip("[] ").str.split(r"[;|,]", regex=True).str[0].str.strip().str.strip("'\" ")


def road_speeds(
    roads: pd.DataFrame,
    *,
    source: str = "réseau routier",
    speed_column: str | None = None,
    class_column: str | None = None,
    class_speeds: Mapping[str, float] | None = None,
    default_speed_kmh: float = 50.0,
) -> tuple[np.ndarray, str]:
    """Return the speed of each line (km/h) and a French description of where the speeds came from.

    Parameters
    ----------
    roads
        The lines, with a speed column and/or a road-class column.
    speed_column
        Speed in km/h or OpenStreetMap ``maxspeed`` (detected among ``vitesse``, ``speed``, ``maxspeed``).
    class_column, class_speeds
        Road class (``highway``, ``VOCATION``, ``NATURE``, detected) and speed per class (defaults:
        :data:`OSM_HIGHWAY_SPEEDS` and :data:`ROAD_CLASS_SPEEDS`); used where the speed is missing.
    default_speed_kmh
        Speed of lines with neither (counted in a warning).

    Raises
    ------
    InputError
        A named column is absent, or a speed is ≤ 0.
    """
    for name, column in (("vitesse", speed_column), ("classe de route", class_column)):
        if column is not None and column not in roads.columns:
            raise InputError(
                f"{source}: colonne de {name} {column!r} introuvable ; colonnes : {', '.join(roads.columns)}."
            )
    if speed_column is None:
        speed_column = find_column(roads.columns, "vitesse", synonyms=("vitesse", "vitesse_kmh", "speed", "maxspeed"))
    if class_column is None:
        class_column = find_column(roads.columns, "classe", synonyms=("highway", "VOCATION", "NATURE", "classe"))
    n = len(roads)
    speeds = np.full(n, np.nan)
    how = []
    if speed_column is not None:
        column = roads[speed_column]
        if pd.api.types.is_numeric_dtype(column):
            speeds = column.to_numpy(dtype=float, copy=True)
        else:
            speeds = parse_maxspeed(column).to_numpy(dtype=float, copy=True)
        if (speeds <= 0).any():
            line = int(np.flatnonzero(speeds <= 0)[0]) + 1
            msg = (
                f"{source}: tronçon {line} : vitesse ≤ 0 dans {speed_column!r} ; une vitesse en km/h > 0 était "
                "attendue."
            )
            raise InputError(msg)
        how.append(f"colonne {speed_column} ({int(np.isfinite(speeds).sum())} tronçons)")
    missing = ~np.isfinite(speeds)
    if missing.any() and class_column is not None:
        table = {
            str(k).lower(): float(v) for k, v in (class_speeds or {**OSM_HIGHWAY_SPEEDS, **ROAD_CLASS_SPEEDS}).items()
        }
        classes = _first_class(roads[class_column])
        by_class = classes.map(table).to_numpy(dtype=float)
        fill = missing & np.isfinite(by_class)
        speeds[fill] = by_class[fill]
        how.append(f"classes {class_column} ({int(fill.sum())} tronçons)")
        unknown = missing & ~np.isfinite(by_class)
        if unknown.any():
            names = sorted(set(classes[unknown].fillna("non renseignée")))
            warn(
                f"{source}: {int(unknown.sum())} tronçon(s) sans vitesse lisible et de classe inconnue "
                f"({', '.join(names[:5])}{'…' if len(names) > 5 else ''}) parcouru(s) à {default_speed_kmh:g} km/h."
            )
    elif missing.any():
        warn(
            f"{source}: {int(missing.sum())} tronçon(s) sans vitesse ni classe de route lisible, parcouru(s) à "
            f"{default_speed_kmh:g} km/h."
        )
    still = ~np.isfinite(speeds)
    speeds[still] = default_speed_kmh
    if still.any():
        how.append(f"vitesse par défaut {default_speed_kmh:g} km/h ({int(still.sum())} tronçons)")
    return speeds, " ; ".join(how)


def roads_from_file(
    path: str | Path,
    *,
    speed_column: str | None = None,
    class_column: str | None = None,
    class_speeds: Mapping[str, float] | None = None,
    default_speed_kmh: float = 50.0,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a road network and give each line its speed.

    Parameters
    ----------
    path
        GeoPackage, Shapefile, GeoJSON (read with pyogrio) or GeoParquet (``.parquet``, ``.geoparquet``: read with
        pyarrow, whatever the GDAL build).
    speed_column, class_column, class_speeds, default_speed_kmh
        See :func:`road_speeds`.
    layer
        Layer of a multi-layer GeoPackage (the first by default; osmnx writes ``nodes`` then ``edges``: the line
        layer is found when ``layer`` is not given).

    Returns
    -------
    geopandas.GeoDataFrame
        The lines (LineString/MultiLineString; other geometries are reported and left out) with ``vitesse_kmh``;
        ``attrs["vitesses"]`` says where the speeds came from.

    Raises
    ------
    InputError
        Missing or unreadable file, no CRS, no lines.
    """
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise InputError(f"{source}: fichier introuvable (réseau routier).")
    try:
        if path.suffix.lower() in {".parquet", ".geoparquet"}:
            roads = gpd.read_parquet(path)
        else:
            import pyogrio

            if layer is None and path.suffix.lower() == ".gpkg":
                layers = pyogrio.list_layers(path)
                lines = [str(name) for name, kind in layers if kind and "line" in str(kind).lower()]
                layer = lines[0] if lines else None
            roads = gpd.read_file(path, engine="pyogrio", layer=layer)
    except InputError:
        raise
    except Exception as exc:  # pyogrio and pyarrow raise several error types for unreadable files
        raise InputError(f"{source}: réseau routier illisible ({exc}).") from exc
    return roads_from_frame(
        roads,
        source=source,
        speed_column=speed_column,
        class_column=class_column,
        class_speeds=class_speeds,
        default_speed_kmh=default_speed_kmh,
    )


def roads_from_frame(
    roads: gpd.GeoDataFrame,
    *,
    source: str = "réseau routier",
    speed_column: str | None = None,
    class_column: str | None = None,
    class_speeds: Mapping[str, float] | None = None,
    default_speed_kmh: float = 50.0,
) -> gpd.GeoDataFrame:
    """Check a road GeoDataFrame and add ``vitesse_kmh`` (a copy; see :func:`roads_from_file`)."""
    if not isinstance(roads, gpd.GeoDataFrame):
        raise InputError(f"{source}: une couche de lignes (GeoDataFrame) était attendue.")
    if roads.empty:
        raise InputError(f"{source}: aucun tronçon de route.")
    if roads.crs is None:
        raise InputError(f"{source}: le réseau routier ne déclare pas de système de coordonnées.")
    kinds = roads.geometry.geom_type
    is_line = kinds.isin(["LineString", "MultiLineString"]).to_numpy()
    if not is_line.any():
        found = ", ".join(sorted(set(kinds.dropna())))
        raise InputError(f"{source}: des lignes étaient attendues, trouvé {found or 'aucune géométrie'}.")
    if not is_line.all():
        warn(f"{source}: {int((~is_line).sum())} géométrie(s) autre(s) que des lignes ignorée(s) (points, polygones…).")
    roads = roads.loc[is_line].reset_index(drop=True)
    speeds, how = road_speeds(
        roads,
        source=source,
        speed_column=speed_column,
        class_column=class_column,
        class_speeds=class_speeds,
        default_speed_kmh=default_speed_kmh,
    )
    out = roads.copy()
    out["vitesse_kmh"] = speeds
    out.attrs = {"source": source, "vitesses": how}
    log.info("%s: %d tronçons ; vitesses : %s", source, len(out), how)
    return out
