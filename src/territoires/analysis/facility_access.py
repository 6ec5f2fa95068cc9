"""Access beyond the GP, in one call: nearest facilities, the combined difficulty, CPTS ↔ hospital links.

:func:`facility_access` chains :func:`~territoires.analysis.nearest.nearest_facility`,
:func:`~territoires.analysis.combined.combined_difficulties` and, when catchments are given,
:func:`~territoires.analysis.catchment_facilities.catchment_facility_access`, with the parameters gathered in one
frozen :class:`FacilityAccessParameters`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import ParameterError
from ..io.travel_times import travel_times_from_matrix
from .catchment_facilities import catchment_facility_access
from .combined import CombinedDifficulties, combined_difficulties
from .facility_parameters import FacilityAccessParameters  # noqa: F401 (re-exported)
from .nearest import Source, describe_source, facilities_within, nearest_facility
from .road_network import road_graph

__all__ = [
    "FacilityAccess",
    "FacilityAccessParameters",
    "destinations_near",
    "facility_access",
    "population_beyond",
    "source_from_files",
]


@dataclass(frozen=True)
class FacilityAccess:
    """Result of :func:`facility_access`.

    Attributes
    ----------
    communes
        The communes with ``minutes_<kind>``, ``plus_proche_<kind>`` and the combined indicator columns.
    combined
        The combined indicator tables (per difficulty, per combination).
    beyond
        Per kind: ``equipement``, ``seuil`` (minutes, the threshold of the combined indicator or the catchment
        one), ``communes`` and ``population`` beyond it, ``part``, ``destinations`` (facilities of that kind read).
    catchments
        The catchments with the CPTS ↔ hospital columns, or None.
    source
        French description of the travel-time source.
    params
        The parameters used.
    """

    communes: gpd.GeoDataFrame
    combined: CombinedDifficulties
    beyond: pd.DataFrame
    catchments: pd.DataFrame | None
    source: str
    params: FacilityAccessParameters


def population_beyond(communes: pd.DataFrame, kind: str, minutes: float) -> tuple[int, float, float]:
    """Communes, inhabitants and share of the population whose nearest ``kind`` is beyond ``minutes`` (or reach)."""
    t = communes[f"minutes_{kind}"].to_numpy(dtype=float)
    pop = communes["population"].to_numpy(dtype=float)
    far = np.isnan(t) | (t > minutes)
    total = pop.sum()
    return int(far.sum()), float(pop[far].sum()), float(pop[far].sum() / total) if total else float("nan")


def facility_access(
    communes: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    source: Source | None = None,
    params: FacilityAccessParameters | None = None,
    catchments: pd.DataFrame | None = None,
) -> FacilityAccess:
    """Time to the nearest facility of each kind, the combined difficulty and (with catchments) the CPTS links.

    Parameters
    ----------
    communes
        Communes (metric CRS) with ``code_commune``, ``population`` and, for the GP difficulty, ``apl``
        (and ``cpts_id`` when ``catchments`` are given).
    destinations
        All facilities (national files: not filtered by territory), with ``equipement``.
    source
        Travel-time source (:mod:`territoires.analysis.nearest`): straight line by default.
    params
        :class:`FacilityAccessParameters`.
    catchments
        CPTS catchments (``cpts_id``) to link with hospitals and emergency services.
    """
    params = params or FacilityAccessParameters()
    with_times = nearest_facility(communes, destinations, source=source, max_minutes=params.max_minutes)
    combined = combined_difficulties(with_times, thresholds=params.thresholds)
    limits = dict(params.thresholds.minutes)
    rows = []
    for kind in dict.fromkeys(destinations["equipement"]):
        limit = limits.get(kind, params.catchment_minutes)
        n, pop, share = population_beyond(with_times, kind, limit)
        count = int((destinations["equipement"] == kind).sum())
        rows.append(
            {"equipement": kind, "seuil": limit, "communes": n, "population": pop, "part": share, "destinations": count}
        )
    linked = None
    if catchments is not None and len(catchments):
        kinds = [k for k in params.catchment_kinds if f"minutes_{k}" in with_times.columns]
        subset = destinations.loc[destinations["equipement"].isin(kinds)].reset_index(drop=True)
        pairs = facilities_within(with_times, subset, source=source, max_minutes=params.catchment_minutes)
        linked = catchment_facility_access(
            catchments, with_times, subset, pairs, kinds=tuple(kinds), threshold=params.catchment_minutes
        )
    return FacilityAccess(
        communes=combined.communes,
        combined=combined,
        beyond=pd.DataFrame(rows, columns=["equipement", "seuil", "communes", "population", "part", "destinations"]),
        catchments=linked,
        source=describe_source(source),
        params=params,
    )


def source_from_files(
    *, travel_times: str | Path | None = None, road_network: str | Path | None = None, crs=None
) -> Source | None:
    """Return the travel-time source of a run: an OD matrix, a road network built in ``crs``, or None (straight line).

    The matrix is read whole: pairs towards communes outside the territory are kept (facilities across the border).
    """
    if travel_times is not None and road_network is not None:
        raise ParameterError("--travel-times et --road-network s'excluent : choisissez une source de temps.")
    if travel_times is not None:
        return travel_times_from_matrix(travel_times)
    if road_network is not None:
        return road_graph(road_network, crs=crs)
    return None


def destinations_near(destinations: gpd.GeoDataFrame, communes: gpd.GeoDataFrame, *, metres: float) -> gpd.GeoDataFrame:
    """Return the destinations within ``metres`` of the communes' bounding box (maps, layers: the BPE is national)."""
    xmin, ymin, xmax, ymax = communes.total_bounds
    pts = destinations.to_crs(communes.crs).geometry
    inside = (pts.x >= xmin - metres) & (pts.x <= xmax + metres) & (pts.y >= ymin - metres) & (pts.y <= ymax + metres)
    return destinations.loc[inside.to_numpy()].to_crs(communes.crs).reset_index(drop=True)
