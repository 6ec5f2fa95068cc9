"""Travel times between communes: straight-line estimates (first of the pluggable sources).

Every source returns the same long table, one row per (origin, destination) pair within reach:
``origin`` and ``destination`` (commune codes, text) and ``minutes`` (float), origin = where people live,
destination = where practitioners are. A commune reaches itself at 0 minutes.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from .._errors import ParameterError
from ..io.communes import representative_points
from ..settings import APL_MAX_MINUTES, DETOUR_FACTOR, ROAD_SPEED_KMH

log = logging.getLogger(__name__)

TRAVEL_TIME_COLUMNS = ("origin", "destination", "minutes")


def commune_points(communes: gpd.GeoDataFrame) -> np.ndarray:
    """Return an (n, 2) array of representative points of the communes, in their metric CRS (metres).

    ``representative_point`` is always inside the polygon, unlike the centroid of a crescent-shaped commune.
    """
    if communes.crs is None or not communes.crs.is_projected:
        msg = "`communes` must be in a projected metric CRS (Lambert-93 in metropolitan France)."
        raise ParameterError(msg)
    return representative_points(communes.geometry.to_numpy())


def straight_line_times(
    communes: gpd.GeoDataFrame,
    *,
    max_minutes: float = APL_MAX_MINUTES,
    detour_factor: float = DETOUR_FACTOR,
    speed_kmh: float = ROAD_SPEED_KMH,
    code_column: str = "code_commune",
) -> pd.DataFrame:
    """Estimate road travel times between communes from the straight-line distance.

    ``minutes = distance_km * detour_factor / speed_kmh * 60`` between representative points, kept for pairs
    within ``max_minutes``. An approximation that needs no data: the INSEE Metric distancier or a road network
    give better times.

    Parameters
    ----------
    communes
        Communes in a metric CRS with a ``code_commune`` column.
    max_minutes
        Pairs farther than this (minutes) are not returned.
    detour_factor
        Ratio of road distance to straight-line distance (1.3 is a common value for French roads).
    speed_kmh
        Mean road speed (km/h).

    Returns
    -------
    pandas.DataFrame
        Columns ``origin``, ``destination``, ``minutes``, both directions, self pairs at 0 minutes.
    """
    if detour_factor <= 0 or speed_kmh <= 0 or max_minutes < 0:
        msg = (
            "detour_factor and speed_kmh must be > 0 and max_minutes >= 0 "
            f"(got {detour_factor}, {speed_kmh}, {max_minutes})."
        )
        raise ParameterError(msg)
    row, col, minutes = straight_line_pairs(
        communes, max_minutes=max_minutes, detour_factor=detour_factor, speed_kmh=speed_kmh
    )
    codes = communes[code_column].to_numpy()
    log.debug("straight-line times: %d communes, %d pairs within %.0f min", len(codes), row.size, max_minutes)
    return pd.DataFrame({"origin": codes[row], "destination": codes[col], "minutes": minutes})


def straight_line_pairs(
    communes: gpd.GeoDataFrame,
    *,
    max_minutes: float = APL_MAX_MINUTES,
    detour_factor: float = DETOUR_FACTOR,
    speed_kmh: float = ROAD_SPEED_KMH,
    points: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positional form of :func:`straight_line_times`: origin rows, destination rows and minutes.

    Self pairs (0 minutes) included; for callers that work on row positions (sparse matrices) rather than codes.
    ``points`` are the communes' :func:`commune_points` when the caller already has them (metres).
    """
    xy = commune_points(communes) if points is None else points
    radius_m = max_minutes / 60.0 * speed_kmh * 1000.0 / detour_factor
    tree = cKDTree(xy)
    pairs = tree.sparse_distance_matrix(tree, radius_m, output_type="coo_matrix")
    n = len(xy)
    # sparse_distance_matrix omits zero distances: add every self pair explicitly. Minutes computed in place on the
    # 2 million pairs of a national run, in the same order of operations (the same floats).
    off = pairs.row != pairs.col
    minutes = pairs.data[off]
    minutes /= 1000.0
    minutes *= detour_factor
    minutes /= speed_kmh
    minutes *= 60.0
    row = np.concatenate([pairs.row[off], np.arange(n)])
    col = np.concatenate([pairs.col[off], np.arange(n)])
    return row, col, np.concatenate([minutes, np.zeros(n)])
