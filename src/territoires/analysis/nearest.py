"""Time to the nearest facility (emergency service, maternity, pharmacy, hospital) from every commune or cell.

Three travel-time sources, the same as for the APL but with a longer reach (90 minutes by default):

- :class:`StraightLine`: crow-fly distance × detour factor at a mean speed (no data needed; a nearest-neighbour
  query on a k-d tree);
- an origin-destination matrix (``origin``, ``destination``, ``minutes``: the INSEE Metric distancier, OSRM, r5py):
  the facility is reached at its commune, a facility in one's own commune at 0 minutes;
- a road network (:class:`territoires.analysis.road_network.RoadGraph`): one multi-source Dijkstra per kind of
  facility (``min_only=True``) gives the nearest facility of every node at once.

Destinations are never filtered by the territory: a maternity across the border is still the nearest. Times beyond
``max_minutes`` are NaN ("farther than the reach"), never a made-up value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from .._errors import ParameterError, warn
from .._format import fr_num
from ..settings import DETOUR_FACTOR, ROAD_SPEED_KMH
from .facility_parameters import NEAREST_MAX_MINUTES
from .road_network import RoadGraph, bounded_searches
from .travel_times import commune_points
from .zones import Surface, travel_time_surface

log = logging.getLogger(__name__)

__all__ = [
    "NEAREST_MAX_MINUTES",
    "StraightLine",
    "describe_source",
    "facility_time_surface",
    "facilities_within",
    "nearest_facility",
    "nearest_from_points",
]

#: Upper bound of road speeds (km/h) used to discard facilities that no path can reach in time.
_MAX_ROAD_SPEED_KMH = 150.0


@dataclass(frozen=True)
class StraightLine:
    """Straight-line travel times: ``minutes = km × detour_factor / speed_kmh × 60``.

    The defaults are the APL's (1.3 and 60 km/h). They overestimate long trips: on 2,495 Gironde pairs the INSEE
    Metric road times are close to 3.3 + 1.01 min/km, so 30 minutes is about 26 km of straight line there and
    23 km here (``detour_factor=1.01, speed_kmh=60`` comes closer beyond 20 km).
    """

    detour_factor: float = DETOUR_FACTOR
    speed_kmh: float = ROAD_SPEED_KMH

    def __post_init__(self) -> None:
        if self.detour_factor <= 0 or self.speed_kmh <= 0:
            raise ParameterError(f"détour et vitesse > 0 attendus (reçu {self.detour_factor}, {self.speed_kmh}).")

    def minutes(self, metres: np.ndarray) -> np.ndarray:
        """Minutes for straight-line distances in metres."""
        return np.asarray(metres) / 1000.0 * self.detour_factor / self.speed_kmh * 60.0

    def metres(self, minutes: float) -> float:
        """Straight-line distance (metres) travelled in ``minutes``."""
        return minutes / 60.0 * self.speed_kmh * 1000.0 / self.detour_factor


Source = StraightLine | RoadGraph | pd.DataFrame


def describe_source(source: Source | None) -> str:
    """French description of a travel-time source, for reports and metadata."""
    if source is None or isinstance(source, StraightLine):
        s = source or StraightLine()
        return f"vol d'oiseau × {fr_num(s.detour_factor)} à {fr_num(s.speed_kmh)} km/h"
    if isinstance(source, RoadGraph):
        return f"réseau routier ({source.source})"
    return "matrice origine-destination"


def _points(frame: gpd.GeoDataFrame, crs) -> np.ndarray:
    geoms = frame.geometry.to_crs(crs) if frame.crs is not None and frame.crs != crs else frame.geometry
    return np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()])


def _check(communes: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, max_minutes: float) -> None:
    if max_minutes <= 0:
        raise ParameterError(f"la portée de recherche doit être > 0 minute (reçu {max_minutes}).")
    if "equipement" not in destinations.columns:
        msg = (
            "`destinations` doit avoir une colonne 'equipement' (voir destinations_from_bpe, destinations_from_finess)."
        )
        raise ParameterError(msg)
    if destinations.geometry.isna().any():
        raise ParameterError("des destinations sans géométrie : placez-les (destinations_from_bpe(communes=...)).")
    commune_points(communes)  # checks the metric CRS


def nearest_from_points(
    xy: np.ndarray,
    destinations: gpd.GeoDataFrame,
    *,
    crs,
    source: StraightLine | RoadGraph | None = None,
    max_minutes: float = NEAREST_MAX_MINUTES,
    max_snap_m: float = 5_000.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes to the nearest destination and its row position, for points ``xy`` (metres, in ``crs``).

    Positional core of :func:`nearest_facility`, also used for raster cells. Unreached points: NaN and -1.
    """
    source = source or StraightLine()
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    minutes = np.full(n, np.nan)
    which = np.full(n, -1, dtype=np.int64)
    if len(destinations) == 0 or n == 0:
        return minutes, which
    dest_xy = _points(destinations, crs)
    if isinstance(source, StraightLine):
        dist, idx = cKDTree(dest_xy).query(xy, distance_upper_bound=source.metres(max_minutes))
        hit = np.isfinite(dist)
        minutes[hit] = source.minutes(dist[hit])
        which[hit] = idx[hit]
        return minutes, which
    node_o, snap_o, on_o = source.snap(xy, max_snap_m=max_snap_m)
    node_f, snap_f, _ = source.snap(dest_xy, max_snap_m=np.inf)
    dist, nearest = _multi_source(source, node_f, snap_f, max_minutes)
    t = dist[node_o] + snap_o
    hit = on_o & np.isfinite(t) & (t <= max_minutes)
    minutes[hit] = t[hit]
    which[hit] = nearest[node_o[hit]]
    return minutes, which


def _multi_source(graph: RoadGraph, node_f: np.ndarray, snap_f: np.ndarray, limit: float):
    """One Dijkstra from all facilities at once on the reversed graph (time from each node *to* the facility).

    Each facility is a virtual node joined to its network node by its access leg, so that the leg counts.
    Returns the time of every network node to its nearest facility and that facility's row position (-1: none).
    """
    n, f = graph.n_nodes, len(node_f)
    reverse = graph.graph.T.tocoo()
    rows = np.concatenate([reverse.row, n + np.arange(f)])
    cols = np.concatenate([reverse.col, node_f])
    vals = np.concatenate([reverse.data, np.maximum(snap_f, 1e-9)])
    augmented = sparse.csr_matrix((vals, (rows, cols)), shape=(n + f, n + f))
    dist, _, sources = dijkstra(
        augmented, directed=True, indices=n + np.arange(f), limit=limit, min_only=True, return_predecessors=True
    )
    nearest = np.where(sources[:n] >= n, sources[:n] - n, -1)
    return np.maximum(dist[:n] - 1e-9, 0.0), nearest


def _od_nearest(
    communes: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, table: pd.DataFrame, max_minutes: float
) -> tuple[np.ndarray, np.ndarray]:
    codes = pd.Index(communes["code_commune"].astype(str))
    dest_codes = destinations["code_commune"].astype(str).to_numpy()
    first = pd.Series(np.arange(len(destinations))).groupby(dest_codes).first()  # one facility per commune
    pairs = table.loc[table["minutes"] <= max_minutes, ["origin", "destination", "minutes"]]
    self_pairs = pd.DataFrame({"origin": first.index, "destination": first.index, "minutes": 0.0})
    pairs = pd.concat([pairs, self_pairs], ignore_index=True)
    pairs = pairs.loc[pairs["destination"].isin(first.index) & pairs["origin"].isin(codes)]
    best = pairs.sort_values("minutes", kind="stable").drop_duplicates("origin")
    pos = codes.get_indexer(best["origin"])
    minutes = np.full(len(codes), np.nan)
    which = np.full(len(codes), -1, dtype=np.int64)
    minutes[pos] = best["minutes"].to_numpy(dtype=float)
    which[pos] = first.loc[best["destination"]].to_numpy()
    unknown = ~pd.Index(first.index).isin(pd.Index(table["destination"]).append(codes))
    if unknown.any():
        warn(
            f"matrice de temps : {int(unknown.sum())} commune(s) d'équipement absente(s) des destinations "
            f"({', '.join(first.index[unknown][:10])}) : ces équipements ne sont atteints que depuis leur commune."
        )
    return minutes, which


def nearest_facility(
    communes: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    source: Source | None = None,
    max_minutes: float = NEAREST_MAX_MINUTES,
    max_snap_m: float = 5_000.0,
) -> gpd.GeoDataFrame:
    """Add, for each kind of destination, the time to the nearest one and its name to a copy of the communes.

    Parameters
    ----------
    communes
        Communes (metric CRS) with ``code_commune``; times are from their representative point.
    destinations
        Facilities (:func:`territoires.io.facilities.destinations_from_bpe`, ``destinations_from_finess``, or their
        concatenation) with ``equipement``; all of them, not only those of the territory.
    source
        :class:`StraightLine` (default), a :class:`~territoires.analysis.road_network.RoadGraph`, or a long
        origin-destination table (``origin``, ``destination``, ``minutes``; read it with
        ``travel_times_from_matrix(path)`` *without* ``communes=`` so that destinations outside the territory stay).
    max_minutes
        Reach of the search (minutes): farther facilities are not found and the time is NaN.
    max_snap_m
        Road network only: communes farther than this from the network get NaN (reported).

    Returns
    -------
    geopandas.GeoDataFrame
        The communes with, per kind ``k``: ``minutes_k`` (float, minutes, NaN beyond ``max_minutes``) and
        ``plus_proche_k`` (name and commune code of the nearest facility).
    """
    _check(communes, destinations, max_minutes)
    out = communes.copy()
    xy = commune_points(communes)
    kinds = list(dict.fromkeys(destinations["equipement"]))
    for kind in kinds:
        dest = destinations.loc[destinations["equipement"] == kind].reset_index(drop=True)
        if isinstance(source, pd.DataFrame):
            minutes, which = _od_nearest(communes, dest, source, max_minutes)
        else:
            minutes, which = nearest_from_points(
                xy, dest, crs=communes.crs, source=source, max_minutes=max_minutes, max_snap_m=max_snap_m
            )
        label = (dest["nom"].astype(str) + " (" + dest["code_commune"].fillna("?").astype(str) + ")").to_numpy()
        out[f"minutes_{kind}"] = minutes
        out[f"plus_proche_{kind}"] = np.where(which >= 0, label[np.maximum(which, 0)], None)
        beyond = int(np.isnan(minutes).sum())
        log.info("%s: %d destinations; %d communes beyond %g min", kind, len(dest), beyond, max_minutes)
    if isinstance(source, RoadGraph):
        _, _, on = source.snap(xy, max_snap_m=max_snap_m)
        if (~on).any():
            codes = communes["code_commune"].to_numpy()[~on]
            warn(
                f"{source.source}: {len(codes)} commune(s) à plus de {max_snap_m / 1000:g} km du réseau "
                f"({', '.join(codes[:10])}) : temps aux équipements non calculés."
            )
    return out


def facilities_within(
    communes: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    source: Source | None = None,
    max_minutes: float = 30.0,
    max_snap_m: float = 5_000.0,
    chunk_size: int = 32,
) -> pd.DataFrame:
    """Every (commune, facility) pair within ``max_minutes``: a long table for catchment-level summaries.

    Returns
    -------
    pandas.DataFrame
        ``commune`` and ``destination`` (row positions in ``communes`` and ``destinations``), ``minutes``.
    """
    _check(communes, destinations, max_minutes)
    source = StraightLine() if source is None else source
    xy = commune_points(communes)
    if isinstance(source, pd.DataFrame):
        codes = pd.Index(communes["code_commune"].astype(str))
        dest = pd.DataFrame(
            {"destination": np.arange(len(destinations)), "code": destinations["code_commune"].astype(str).to_numpy()}
        )
        pairs = pd.concat(
            [
                source.loc[source["minutes"] <= max_minutes],
                pd.DataFrame({"origin": codes, "destination": codes, "minutes": 0.0}),
            ],
            ignore_index=True,
        ).drop_duplicates(["origin", "destination"])
        joined = pairs.merge(dest, left_on="destination", right_on="code", suffixes=("_code", ""))
        joined = joined.loc[joined["origin"].isin(codes)]
        return pd.DataFrame(
            {
                "commune": codes.get_indexer(joined["origin"]),
                "destination": joined["destination"].to_numpy(),
                "minutes": joined["minutes"].to_numpy(dtype=float),
            }
        )
    dest_xy = _points(destinations, communes.crs)
    if isinstance(source, StraightLine):
        coo = cKDTree(xy).sparse_distance_matrix(cKDTree(dest_xy), source.metres(max_minutes), output_type="coo_matrix")
        # sparse_distance_matrix omits zero distances: a facility exactly at a commune's point is added back.
        d0, i0 = cKDTree(dest_xy).query(xy, k=1)
        zero = np.flatnonzero(d0 == 0)
        return pd.DataFrame(
            {
                "commune": np.concatenate([coo.row, zero]),
                "destination": np.concatenate([coo.col, i0[zero]]),
                "minutes": np.concatenate([source.minutes(coo.data), np.zeros(len(zero))]),
            }
        ).drop_duplicates(["commune", "destination"])
    node_o, snap_o, on_o = source.snap(xy, max_snap_m=max_snap_m)
    node_f, snap_f, _ = source.snap(dest_xy, max_snap_m=np.inf)
    # facilities that no path could bring within reach of any commune are not searched
    near = cKDTree(xy).query(dest_xy, distance_upper_bound=max_minutes / 60.0 * _MAX_ROAD_SPEED_KMH * 1000.0)[0]
    candidates = np.flatnonzero(np.isfinite(near))
    origin_rows = np.flatnonzero(on_o)
    origin_nodes = node_o[origin_rows]
    parts = []
    for f, o, d in bounded_searches(
        source, node_f[candidates], origin_nodes, limit=max_minutes, chunk_size=chunk_size, reverse=True
    ):
        fac, rows = candidates[f], origin_rows[o]
        t = d + snap_f[fac] + snap_o[rows]
        keep = t <= max_minutes
        parts.append(pd.DataFrame({"commune": rows[keep], "destination": fac[keep], "minutes": t[keep]}))
    if not parts:
        return pd.DataFrame({"commune": np.zeros(0, int), "destination": np.zeros(0, int), "minutes": np.zeros(0)})
    return pd.concat(parts, ignore_index=True)


def facility_time_surface(
    communes: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    source: StraightLine | RoadGraph | None = None,
    resolution: float = 500.0,
    max_minutes: float = NEAREST_MAX_MINUTES,
) -> Surface:
    """Raster of the time from every cell of the territory to the nearest of ``destinations`` (one kind).

    The grid and its population are those of :func:`territoires.analysis.zones.travel_time_surface`; times come
    from ``source`` (straight line or road network; cells beyond ``max_minutes`` on the network are +inf, so that
    :func:`~territoires.analysis.zones.zones_from_surface` puts them in the last class).
    """
    source = source or StraightLine()
    if isinstance(source, pd.DataFrame):
        raise ParameterError(
            "une matrice commune à commune ne donne pas de temps par cellule : réseau ou vol d'oiseau."
        )
    dest = destinations.to_crs(communes.crs)
    straight = source if isinstance(source, StraightLine) else StraightLine()
    surface = travel_time_surface(
        communes, dest, resolution=resolution, detour_factor=straight.detour_factor, speed_kmh=straight.speed_kmh
    )
    if isinstance(source, RoadGraph):
        rows, cols = np.nonzero(~np.isnan(surface.minutes))
        t = surface.transform
        xy = np.column_stack([t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e])
        minutes, _ = nearest_from_points(
            xy, dest, crs=communes.crs, source=source, max_minutes=max_minutes, max_snap_m=np.inf
        )
        grid = surface.minutes.copy()
        grid[rows, cols] = np.where(np.isnan(minutes), np.inf, minutes)
        surface = Surface(minutes=grid, transform=surface.transform, crs=surface.crs, population=surface.population)
    return surface
