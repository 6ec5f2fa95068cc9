"""Travel times between communes computed on a road network (shortest paths with scipy.sparse.csgraph).

The network is a line layer (GeoPackage, Shapefile...) such as IGN ROUTE 500 or BD TOPO ``TRONCON_DE_ROUTE``: lines
meet at their ends (the network is noded, as those products are; an OpenStreetMap extract must be noded first).
Each line is an edge in both directions, travelled at its speed (a speed column in km/h, or a road-class column with
a speed per class). Communes are joined to the network at the node nearest their representative point; the
straight-line distance to that node is added at a slow access speed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from .._errors import InputError, warn
from ..io._columns import find_column, to_number
from ..settings import APL_MAX_MINUTES
from .travel_times import commune_points

log = logging.getLogger(__name__)

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
#: Speed (km/h) of the access leg from a commune's point to the nearest network node.
ACCESS_SPEED_KMH = 30.0


def _edge_speeds(roads: gpd.GeoDataFrame, source: str, speed_column, class_column, class_speeds, default_speed):
    if speed_column is None and class_column is None:
        speed_column = find_column(roads.columns, "vitesse", synonyms=("vitesse", "speed", "maxspeed", "VITESSE"))
        if speed_column is None:
            class_column = find_column(roads.columns, "classe", synonyms=("VOCATION", "NATURE", "classe", "highway"))
    if speed_column is not None:
        if speed_column not in roads.columns:
            raise InputError(f"{source}: colonne de vitesse {speed_column!r} introuvable.")
        speeds = to_number(roads[speed_column].astype(str).reset_index(drop=True), source=source, column=speed_column)
        return speeds.to_numpy(), f"colonne {speed_column}"
    if class_column is not None:
        if class_column not in roads.columns:
            raise InputError(f"{source}: colonne de classe de route {class_column!r} introuvable.")
        table = {k.lower(): v for k, v in (class_speeds or ROAD_CLASS_SPEEDS).items()}
        classes = roads[class_column].astype(str).str.strip().str.lower()
        speeds = classes.map(table)
        unknown = speeds.isna()
        if unknown.any():
            warn(
                f"{source}: {int(unknown.sum())} tronçon(s) de classe inconnue "
                f"({', '.join(sorted(set(classes[unknown]))[:5])}) parcouru(s) à {default_speed:g} km/h."
            )
        return speeds.fillna(default_speed).to_numpy(dtype=float), f"classes {class_column}"
    warn(f"{source}: ni vitesse ni classe de route ; tous les tronçons à {default_speed:g} km/h.")
    return np.full(len(roads), default_speed), "vitesse uniforme"


def travel_times_from_road_network(
    communes: gpd.GeoDataFrame,
    roads: str | Path | gpd.GeoDataFrame,
    *,
    speed_column: str | None = None,
    class_column: str | None = None,
    class_speeds: Mapping[str, float] | None = None,
    default_speed_kmh: float = 50.0,
    max_minutes: float = APL_MAX_MINUTES,
    max_snap_m: float = 5_000.0,
    chunk_size: int = 256,
) -> pd.DataFrame:
    """Compute commune-to-commune travel times on a road network, up to ``max_minutes``.

    Parameters
    ----------
    communes
        Communes (metric CRS) with ``code_commune``.
    roads
        Road lines (file path or GeoDataFrame), noded at intersections.
    speed_column
        Column holding the speed in km/h (detected among ``vitesse``, ``speed``, ``maxspeed``).
    class_column, class_speeds
        Road-class column (``VOCATION`` of ROUTE 500, ``NATURE`` of BD TOPO, ``highway``) and speed per class
        (:data:`ROAD_CLASS_SPEEDS` by default); used when no speed column is given.
    default_speed_kmh
        Speed of lines with an unknown class.
    max_minutes
        Cutoff of the shortest-path search (minutes).
    max_snap_m
        Communes farther than this from any network node are reported and reach only themselves.
    chunk_size
        Number of origin communes searched at once (memory: ``chunk_size × nodes`` floats).

    Returns
    -------
    pandas.DataFrame
        ``origin``, ``destination``, ``minutes`` (access legs included), self pairs at 0.
    """
    source = str(roads) if not isinstance(roads, gpd.GeoDataFrame) else "réseau routier"
    if not isinstance(roads, gpd.GeoDataFrame):
        path = Path(roads)
        if not path.exists():
            raise InputError(f"{path}: fichier introuvable (réseau routier).")
        try:
            roads = gpd.read_file(path, engine="pyogrio")
        except Exception as exc:  # pyogrio raises several error types for unreadable files
            raise InputError(f"{path}: réseau routier illisible ({exc}).") from exc
    if roads.empty:
        raise InputError(f"{source}: aucun tronçon de route.")
    if roads.crs is None:
        raise InputError(f"{source}: le réseau routier ne déclare pas de système de coordonnées.")
    kinds = set(roads.geometry.geom_type.dropna())
    if not kinds <= {"LineString", "MultiLineString"}:
        raise InputError(f"{source}: des lignes étaient attendues, trouvé {', '.join(sorted(kinds))}.")
    roads = roads.to_crs(communes.crs).reset_index(drop=True)
    speeds, how = _edge_speeds(roads, source, speed_column, class_column, class_speeds, default_speed_kmh)
    if (speeds <= 0).any():
        line = int(np.flatnonzero(speeds <= 0)[0]) + 1
        raise InputError(f"{source}: tronçon {line} : vitesse ≤ 0 ; une vitesse en km/h > 0 était attendue.")
    parts = roads.geometry.explode(index_parts=False)
    lines = parts.to_numpy()
    speed = speeds[parts.index.to_numpy()]
    start = shapely.get_coordinates(shapely.get_point(lines, 0))
    end = shapely.get_coordinates(shapely.get_point(lines, -1))
    minutes = shapely.length(lines) / 1000.0 / speed * 60.0
    # Nodes: line ends merged at 1 m.
    ends = np.round(np.vstack([start, end]))
    nodes, inverse = np.unique(ends, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    m = len(lines)
    a, b = inverse[:m], inverse[m:]
    graph = _min_parallel(
        np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([minutes, minutes]), len(nodes)
    )
    xy = commune_points(communes)
    dist, node_of = cKDTree(nodes).query(xy)
    snap = dist / 1000.0 / ACCESS_SPEED_KMH * 60.0
    codes = communes["code_commune"].to_numpy()
    far = dist > max_snap_m
    if far.any():
        warn(
            f"{source}: {int(far.sum())} commune(s) à plus de {max_snap_m / 1000:g} km du réseau "
            f"({', '.join(codes[far][:10])}) : elles n'atteignent qu'elles-mêmes."
        )
    ok = np.flatnonzero(~far)
    # Destination lookup: commune index by node (several communes may share a node).
    dest_nodes = node_of[ok]
    rows, cols, vals = [np.arange(len(codes))], [np.arange(len(codes))], [np.zeros(len(codes))]
    for lo in range(0, len(ok), chunk_size):
        origins = ok[lo : lo + chunk_size]
        src_nodes, src_inv = np.unique(node_of[origins], return_inverse=True)
        dist_nodes = dijkstra(graph, directed=True, indices=src_nodes, limit=max_minutes)
        t = dist_nodes[src_inv][:, dest_nodes] + snap[origins][:, None] + snap[ok][None, :]
        r, c = np.nonzero(t <= max_minutes)
        keep = origins[r] != ok[c]
        rows.append(origins[r[keep]])
        cols.append(ok[c[keep]])
        vals.append(t[r[keep], c[keep]])
    rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    log.info("road network: %d lines, %d nodes, speeds from %s, %d pairs within %g min", m, len(nodes), how,
             len(vals), max_minutes)  # fmt: skip
    return pd.DataFrame({"origin": codes[rows], "destination": codes[cols], "minutes": vals})


def _min_parallel(a: np.ndarray, b: np.ndarray, w: np.ndarray, n: int) -> sparse.csr_matrix:
    """Build the graph keeping the fastest of parallel edges between the same two nodes."""
    frame = pd.DataFrame({"a": a, "b": b, "w": w}).groupby(["a", "b"], sort=False)["w"].min().reset_index()
    return sparse.csr_matrix((frame["w"].to_numpy(), (frame["a"].to_numpy(), frame["b"].to_numpy())), shape=(n, n))
