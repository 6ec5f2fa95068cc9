"""Communes within reach of a territory: the ring whose supply and demand the territory's APL depends on.

The APL (accessibilité potentielle localisée, an E2SFCA) ignores administrative borders: a commune's APL counts
the supply of every commune within the maximum travel time (20 minutes for GPs) and, through the first step of
the method, the demand of every commune within that time of each of those. A territory computed alone loses
both beyond its border and its border communes come out wrong. Computing on the territory **plus** the communes
within two reaches of it (supply within one, the demand on that supply within the next) and reporting only the
territory gives each territory commune exactly the APL of a computation on the whole country.

:func:`communes_within_reach` selects that ring from travel times (an origin-destination table, or straight-line
estimates); :func:`near_the_edge` flags the territory communes whose APL depends on what lies beyond
the edge of the data, for the warning given when no commune outside the territory was provided.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from .travel_times import commune_points, straight_line_pairs

#: Upper bound of a road speed (km/h), straight line, used to bound road-network times from below.
FASTEST_KMH = 130.0
#: Holes in the union of the communes smaller than this (m²) are gaps of simplified contours, not an edge.
HOLE_M2 = 1_000_000.0


def communes_within_reach(
    communes: pd.DataFrame,
    territory: np.ndarray,
    *,
    max_minutes: float,
    travel_times: pd.DataFrame | None = None,
    detour_factor: float = 1.3,
    speed_kmh: float = 60.0,
    steps: int = 2,
) -> np.ndarray:
    """Return the communes needed to compute the APL of ``territory`` exactly: the territory and its ring.

    Parameters
    ----------
    communes
        Every commune available (``code_commune``; polygons in a metric CRS for straight-line times).
    territory
        Boolean mask over ``communes``: the communes reported.
    max_minutes
        Reach of the APL (minutes): beyond it the distance-decay weight is 0 (20 min for GPs).
    travel_times
        Origin-destination times (``origin``, ``destination``, ``minutes``: from where people live to where
        practitioners are). ``None``: straight-line estimates with ``detour_factor`` and ``speed_kmh``, i.e. a
        distance of ``max_minutes / 60 × speed_kmh / detour_factor`` km.
    steps
        Reaches chained: 1 gives the supply the territory's inhabitants reach, 2 (default, what the E2SFCA needs)
        adds the demand competing for that supply.

    Returns
    -------
    numpy.ndarray
        Boolean mask over ``communes``: the territory and every commune within ``steps`` reaches of it (the
        supply side: destinations within ``max_minutes`` of a territory commune; the demand side: origins within
        ``max_minutes`` of such a destination).

    Examples
    --------
    Inhabitants of ``a`` reach ``b`` (supply); those of ``c`` compete for it (demand); ``d`` is 25 min away.

    >>> times = pd.DataFrame({"origin": ["a", "c", "b"], "destination": ["b", "b", "d"], "minutes": [5, 12, 25]})
    >>> frame = pd.DataFrame({"code_commune": ["a", "b", "c", "d"]})
    >>> communes_within_reach(frame, np.array([True, False, False, False]), max_minutes=20, travel_times=times)
    array([ True,  True,  True, False])
    """
    n = len(communes)
    territory = np.asarray(territory, dtype=bool)
    if travel_times is None:
        rows, cols, minutes = straight_line_pairs(
            communes, max_minutes=max_minutes, detour_factor=detour_factor, speed_kmh=speed_kmh
        )
    else:
        codes = pd.Index(communes["code_commune"])
        rows = codes.get_indexer(travel_times["origin"])
        cols = codes.get_indexer(travel_times["destination"])
        minutes = travel_times["minutes"].to_numpy(dtype=float)
        ok = (rows >= 0) & (cols >= 0)
        rows, cols, minutes = rows[ok], cols[ok], minutes[ok]
    near = minutes < max_minutes  # the decay weight is 0 from max_minutes on
    # Every commune reaches itself (time 0), with or without its self pair in the table.
    rows = np.concatenate([rows[near], np.arange(n)])
    cols = np.concatenate([cols[near], np.arange(n)])
    reach = sparse.csr_array((np.ones(rows.size), (rows, cols)), shape=(n, n))
    selected = territory.copy()
    supply_side = territory.astype(float)
    for step in range(steps):
        # Odd steps go from residents to the supply they reach, even steps from that supply back to its demand.
        supply_side = (reach.T @ supply_side if step % 2 == 0 else reach @ supply_side) > 0
        selected |= supply_side
        supply_side = supply_side.astype(float)
    return selected


def near_the_edge(communes, *, max_minutes: float, detour_factor: float = 1.3, speed_kmh: float = 60.0,
                  steps: int = 2) -> np.ndarray:  # fmt: skip
    """Return the communes whose APL may depend on what lies beyond the edge of ``communes`` (straight line).

    A commune is flagged when its representative point is within ``steps`` reaches (the straight-line distance
    equivalent of ``max_minutes``: ``max_minutes / 60 × speed_kmh / detour_factor`` km each) of the outline of the
    communes given: supply or demand it depends on may lie beyond. A coast or a national border counts too
    (nothing lies beyond): the flag is an upper bound.

    Returns
    -------
    numpy.ndarray
        Boolean mask over ``communes``.
    """
    import shapely

    if len(communes) == 0:
        return np.zeros(0, dtype=bool)
    radius_m = steps * max_minutes / 60.0 * speed_kmh * 1000.0 / detour_factor
    union = shapely.union_all(shapely.make_valid(communes.geometry.to_numpy()))
    # The outline: outer rings, and the holes of at least HOLE_M2 (an enclave); the slivers left between
    # neighbouring communes by simplified contours are not an edge.
    rings = []
    for part in shapely.get_parts(union):
        if not isinstance(part, shapely.Polygon):
            continue
        rings.append(part.exterior)
        rings += [r for r in part.interiors if shapely.Polygon(r).area >= HOLE_M2]
    outline = shapely.multilinestrings(rings)
    points = shapely.points(commune_points(communes))
    return shapely.distance(points, outline) < radius_m
