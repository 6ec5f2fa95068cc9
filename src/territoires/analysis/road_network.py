"""Travel times on a road network: shortest paths with :mod:`scipy.sparse.csgraph`.

The network (read and given speeds by :mod:`territoires.io.road_network`) becomes a :class:`RoadGraph`: line ends
merged at 1 m are the nodes, each line an edge in both directions (one way for OpenStreetMap ``oneway`` lines)
weighted by its travel time (minutes). Places (communes, facilities, raster cells) join the network at their
nearest node; the straight line to that node is travelled at :data:`ACCESS_SPEED_KMH`.

Memory stays proportional to what is within reach: commune-to-commune times are searched a few origins at a time on
the subgraph around them (``chunk_size`` × local nodes floats of work space, :func:`bounded_searches`) and only the
pairs within ``max_minutes`` are kept; the nearest facility of every node comes from one multi-source search
(``min_only=True``), not one search per facility.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from .._errors import ParameterError, warn
from ..io.road_network import ROAD_CLASS_SPEEDS, roads_from_file, roads_from_frame
from ..settings import APL_MAX_MINUTES
from .travel_times import commune_points

log = logging.getLogger(__name__)

__all__ = [
    "ACCESS_SPEED_KMH",
    "ROAD_CLASS_SPEEDS",
    "RoadGraph",
    "road_graph",
    "travel_times_from_road_network",
]

#: Speed (km/h) of the access leg from a place to the nearest network node.
ACCESS_SPEED_KMH = 30.0
#: Weight (minutes) standing for a zero-length access leg: csgraph drops explicit zeros of a sparse graph.
_EPSILON = 1e-9


@dataclass(frozen=True)
class RoadGraph:
    """A road network ready for shortest paths.

    Attributes
    ----------
    nodes
        (n, 2) coordinates of the nodes (metres, in ``crs``).
    graph
        Sparse (n, n) matrix of edge times (minutes), fastest of parallel edges kept.
    crs
        The metric CRS of the nodes.
    source, speeds
        Where the network and its speeds came from (French, for reports).
    """

    nodes: np.ndarray
    graph: sparse.csr_matrix
    crs: object
    source: str = "réseau routier"
    speeds: str = ""

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    def snap(self, xy: np.ndarray, *, max_snap_m: float = 5_000.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return, for points (metres), their nearest node, the access time (minutes) and whether they are on it.

        Points farther than ``max_snap_m`` from every node are flagged ``False`` (off the network).
        """
        dist, node = cKDTree(self.nodes).query(np.asarray(xy, dtype=float).reshape(-1, 2))
        return node, dist / 1000.0 / ACCESS_SPEED_KMH * 60.0, dist <= max_snap_m


def road_graph(
    roads: str | Path | gpd.GeoDataFrame,
    *,
    crs: object,
    speed_column: str | None = None,
    class_column: str | None = None,
    class_speeds: Mapping[str, float] | None = None,
    default_speed_kmh: float = 50.0,
) -> RoadGraph:
    """Build the graph of a road network (a file or a GeoDataFrame of lines), in the metric ``crs`` given.

    Parameters
    ----------
    roads
        Lines noded at intersections; see :func:`territoires.io.road_network.roads_from_file` for the formats and
        the speeds (``speed_column``, ``class_column``, ``class_speeds``, ``default_speed_kmh``).
    crs
        Metric CRS of the computation (the communes' CRS).
    """
    options = {
        "speed_column": speed_column,
        "class_column": class_column,
        "class_speeds": class_speeds,
        "default_speed_kmh": default_speed_kmh,
    }
    if isinstance(roads, gpd.GeoDataFrame):
        if "vitesse_kmh" not in roads.columns or any(v is not None for v in (speed_column, class_column, class_speeds)):
            roads = roads_from_frame(roads, **options)
    else:
        roads = roads_from_file(roads, **options)
    source = roads.attrs.get("source", "réseau routier")
    roads = roads.to_crs(crs)
    parts = roads.geometry.explode(index_parts=False)
    lines = parts.to_numpy()
    row = pd.Index(roads.index).get_indexer(parts.index)
    speed = roads["vitesse_kmh"].to_numpy(dtype=float)[row]
    forward, backward = _directions(roads)
    forward, backward = forward[row], backward[row]
    valid = ~(shapely.is_missing(lines) | shapely.is_empty(lines))
    lines, speed, forward, backward = lines[valid], speed[valid], forward[valid], backward[valid]
    coords, which = shapely.get_coordinates(lines, return_index=True)
    first = np.flatnonzero(np.r_[True, which[1:] != which[:-1]])
    last = np.r_[first[1:] - 1, len(which) - 1]
    start, end = coords[first], coords[last]
    minutes = np.maximum(shapely.length(lines) / 1000.0 / speed * 60.0, _EPSILON)
    nodes, inverse = _merge_ends(np.vstack([start, end]))
    m = len(lines)
    a, b = inverse[:m], inverse[m:]
    # Each line in both directions, but OpenStreetMap one-way lines only in the direction they are drawn in.
    graph = _min_parallel(
        np.concatenate([a[forward], b[backward]]),
        np.concatenate([b[forward], a[backward]]),
        np.concatenate([minutes[forward], minutes[backward]]),
        len(nodes),
    )
    log.info("%s: %d lines, %d nodes, %d edges", source, m, len(nodes), graph.nnz)
    return RoadGraph(nodes=nodes, graph=graph, crs=crs, source=source, speeds=roads.attrs.get("vitesses", ""))


def travel_times_from_road_network(
    communes: gpd.GeoDataFrame,
    roads: str | Path | gpd.GeoDataFrame | RoadGraph,
    *,
    speed_column: str | None = None,
    class_column: str | None = None,
    class_speeds: Mapping[str, float] | None = None,
    default_speed_kmh: float = 50.0,
    max_minutes: float = APL_MAX_MINUTES,
    max_snap_m: float = 5_000.0,
    chunk_size: int = 64,
) -> pd.DataFrame:
    """Compute commune-to-commune travel times on a road network, up to ``max_minutes``.

    Parameters
    ----------
    communes
        Communes (metric CRS) with ``code_commune``.
    roads
        Road lines (file path or GeoDataFrame, noded at intersections) or an already built :class:`RoadGraph`.
    speed_column, class_column, class_speeds, default_speed_kmh
        Speeds of the lines (see :func:`territoires.io.road_network.road_speeds`).
    max_minutes
        Cutoff of the shortest-path search (minutes).
    max_snap_m
        Communes farther than this from any network node are reported and reach only themselves.
    chunk_size
        Origins searched at once, on the subgraph within reach of their tile: the work space is
        ``chunk_size × local nodes`` floats; only pairs within reach are kept.

    Returns
    -------
    pandas.DataFrame
        ``origin``, ``destination``, ``minutes`` (access legs included), self pairs at 0.
    """
    if max_minutes < 0 or chunk_size < 1:
        raise ParameterError(f"max_minutes ≥ 0 et chunk_size ≥ 1 attendus (reçu {max_minutes}, {chunk_size}).")
    graph = (
        roads
        if isinstance(roads, RoadGraph)
        else road_graph(
            roads,
            crs=communes.crs,
            speed_column=speed_column,
            class_column=class_column,
            class_speeds=class_speeds,
            default_speed_kmh=default_speed_kmh,
        )
    )
    codes = communes["code_commune"].to_numpy()
    node_of, snap, on = graph.snap(commune_points(communes), max_snap_m=max_snap_m)
    if (~on).any():
        warn(
            f"{graph.source}: {int((~on).sum())} commune(s) à plus de {max_snap_m / 1000:g} km du réseau "
            f"({', '.join(codes[~on][:10])}) : elles n'atteignent qu'elles-mêmes."
        )
    rows, cols, vals = od_pairs(graph, node_of, snap, on, max_minutes=max_minutes, chunk_size=chunk_size)
    log.info("%s: %d pairs within %g min", graph.source, len(vals), max_minutes)
    return pd.DataFrame({"origin": codes[rows], "destination": codes[cols], "minutes": vals})


def od_pairs(
    graph: RoadGraph,
    node_of: np.ndarray,
    snap: np.ndarray,
    on: np.ndarray,
    *,
    max_minutes: float,
    chunk_size: int = 64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positional form of :func:`travel_times_from_road_network`: (origin rows, destination rows, minutes).

    Places sharing a node share one search; destination places are looked up through a sparse node → place
    table, so no (origins × places) dense array is built.
    """
    n = len(node_of)
    ok = np.flatnonzero(on)
    # node → places on it (several places may share a node): a CSR-like table (keys, starts, counts, order).
    order = ok[np.argsort(node_of[ok], kind="stable")]
    keys, starts = np.unique(node_of[order], return_index=True)
    counts = np.diff(np.append(starts, len(order)))
    rows, cols, vals = [np.arange(n)], [np.arange(n)], [np.zeros(n)]
    budget = max(max_minutes - 2 * snap[ok].min(), 0.0) if len(ok) else 0.0
    for j, c, d in bounded_searches(graph, keys, keys, limit=budget, chunk_size=chunk_size):
        origin = order[np.repeat(starts[j], counts[j]) + _ranks(counts[j])]
        c, d = np.repeat(c, counts[j]), np.repeat(d, counts[j])
        dest = order[np.repeat(starts[c], counts[c]) + _ranks(counts[c])]
        origin, d = np.repeat(origin, counts[c]), np.repeat(d, counts[c])
        t = d + snap[origin] + snap[dest]
        keep = (t <= max_minutes) & (origin != dest)
        rows.append(origin[keep])
        cols.append(dest[keep])
        vals.append(t[keep])
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def bounded_searches(
    graph: RoadGraph,
    sources: np.ndarray,
    targets: np.ndarray,
    *,
    limit: float,
    chunk_size: int = 64,
    reverse: bool = False,
):
    """Yield (source positions, target positions, minutes) of every pair within ``limit``, batch by batch.

    Searches are local: no path of ``limit`` minutes leaves the disc of radius ``limit × vmax`` around its source,
    where vmax is the fastest straight-line progress of any edge. Sources are grouped by square tiles of that radius
    and each group searched on the subgraph of the nodes within one radius of its tile, so the work space is
    ``chunk_size × local nodes``, not ``chunk_size × all nodes``. ``reverse`` searches towards the sources (times
    *to* them) on the transposed graph.
    """
    matrix = graph.graph.T.tocsr() if reverse else graph.graph
    coo = graph.graph.tocoo()
    step = np.hypot(*(graph.nodes[coo.row] - graph.nodes[coo.col]).T)
    vmax = float((step / coo.data).max()) if coo.nnz else 0.0  # metres per minute
    radius = limit * vmax + 1.0
    sources = np.asarray(sources)
    targets = np.asarray(targets)
    xy = graph.nodes[sources]
    tile = np.floor((xy - xy.min(axis=0)) / max(radius, 1.0)).astype(np.int64) if len(xy) else np.zeros((0, 2), int)
    tile_key = tile[:, 0] * (int(tile[:, 1].max(initial=0)) + 1) + tile[:, 1]
    order = np.argsort(tile_key, kind="stable")
    bounds = np.flatnonzero(np.r_[True, tile_key[order][1:] != tile_key[order][:-1], True])
    target_xy = graph.nodes[targets]
    by_x = np.argsort(graph.nodes[:, 0], kind="stable")  # nodes and targets in a box: a slice on x, then a y test
    node_x = graph.nodes[by_x, 0]
    target_by_x = np.argsort(target_xy[:, 0], kind="stable")
    target_x = target_xy[target_by_x, 0]
    position = np.full(graph.n_nodes, -1, dtype=np.int64)

    def in_box(order_x, sorted_x, points, lo, hi):
        cut = order_x[np.searchsorted(sorted_x, lo[0], "left") : np.searchsorted(sorted_x, hi[0], "right")]
        y = points[cut, 1]
        return np.sort(cut[(y >= lo[1]) & (y <= hi[1])])

    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        group = order[a:b]
        lo, hi = xy[group].min(axis=0) - radius, xy[group].max(axis=0) + radius
        local = in_box(by_x, node_x, graph.nodes, lo, hi)
        sub = matrix[local][:, local]
        position[local] = np.arange(len(local))
        near = in_box(target_by_x, target_x, target_xy, lo, hi)
        near_local = position[targets[near]]
        for k in range(0, len(group), chunk_size):
            batch = group[k : k + chunk_size]
            dist = dijkstra(sub, directed=True, indices=position[sources[batch]], limit=limit)[:, near_local]
            r, c = np.nonzero(dist <= limit)
            yield batch[r], near[c], dist[r, c]
        position[local] = -1


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., k-1 for each k of ``counts``, concatenated.

    >>> _ranks(np.array([2, 0, 3])).tolist()
    [0, 1, 0, 1, 2]
    """
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total) - starts


def _directions(roads: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Whether each line may be travelled as drawn (forward) and backward: OpenStreetMap ``oneway``.

    ``yes``/``true``/``1`` (osmnx writes booleans): forward only; ``-1``/``reverse``: backward only; anything else
    (``no``, missing, ``alternating``…): both ways.

    >>> [d.tolist() for d in _directions(pd.DataFrame({"oneway": ["yes", "-1", None, False]}))]
    [[True, False, True, True], [False, True, True, True]]
    """
    n = len(roads)
    if "oneway" not in roads.columns:
        return np.ones(n, dtype=bool), np.ones(n, dtype=bool)
    value = roads["oneway"].astype("string").str.strip().str.lower().fillna("")
    one_way = value.isin(["yes", "true", "1"]).to_numpy()
    reverse = value.isin(["-1", "reverse"]).to_numpy()
    return ~reverse, ~one_way


def _merge_ends(ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge line ends at 1 m: unique rounded coordinates and the node of each end.

    One integer key per point (a 1-D unique is several times faster than ``np.unique(axis=0)``).
    """
    rounded = np.round(ends).astype(np.int64)
    low = rounded.min(axis=0)
    span = int(rounded[:, 1].max() - low[1]) + 1
    key = (rounded[:, 0] - low[0]) * span + (rounded[:, 1] - low[1])
    unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return rounded[first].astype(float), inverse.ravel()


def _min_parallel(a: np.ndarray, b: np.ndarray, w: np.ndarray, n: int) -> sparse.csr_matrix:
    """Build the graph keeping the fastest of parallel edges between the same two nodes."""
    key = a.astype(np.int64) * n + b
    order = np.lexsort((w, key))  # by edge, fastest first
    key, w = key[order], w[order]
    first = np.r_[True, key[1:] != key[:-1]]
    key, w = key[first], w[first]
    return sparse.csr_matrix((w, (key // n, key % n)), shape=(n, n))
