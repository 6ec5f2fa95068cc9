"""Access zones as surfaces: a raster of travel time to the nearest practitioner and zones derived from it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from shapely.geometry import shape

from .._errors import ParameterError
from ..settings import DETOUR_FACTOR, ROAD_SPEED_KMH

if TYPE_CHECKING:
    from affine import Affine

log = logging.getLogger(__name__)


def _rasterio_features():
    """Return :mod:`rasterio.features`, imported on first use.

    GDAL takes a fifth of a second to load and only the surfaces need it: ``territoires apl`` and ``cpts`` do without.
    """
    import rasterio.features

    return rasterio.features


@dataclass(frozen=True)
class Surface:
    """A raster over the territory.

    Attributes
    ----------
    minutes
        Travel time to the nearest practitioner (float32, minutes), NaN outside the territory.
    transform
        Affine transform of the grid (metres, north-up).
    crs
        CRS of the grid (the communes' metric CRS).
    population
        Population per cell (inhabitants), spread evenly over each commune's cells; sums to the communes' total.
    """

    minutes: np.ndarray
    transform: Affine
    crs: object
    population: np.ndarray

    @property
    def resolution(self) -> float:
        """Cell size (metres)."""
        return float(self.transform.a)


def travel_time_surface(
    communes: gpd.GeoDataFrame,
    practitioners: gpd.GeoDataFrame,
    *,
    resolution: float = 500.0,
    detour_factor: float = DETOUR_FACTOR,
    speed_kmh: float = ROAD_SPEED_KMH,
) -> Surface:
    """Compute the time from every cell of the territory to the nearest practitioner.

    Times are straight-line distances from the cell centre to the nearest practitioner point, times
    ``detour_factor``, at ``speed_kmh``: an approximation, consistent with the default travel times of the APL.

    Parameters
    ----------
    communes
        Communes (metric CRS) with ``population``; they define the extent and the population of cells.
    practitioners
        Practitioner points in the same CRS.
    resolution
        Cell size in metres.
    """
    if resolution <= 0:
        raise ParameterError(f"resolution must be > 0 metres, got {resolution}.")
    xmin, ymin, xmax, ymax = communes.total_bounds
    width = int(np.ceil((xmax - xmin) / resolution))
    height = int(np.ceil((ymax - ymin) / resolution))
    from affine import Affine  # here: affine and attrs cost 0.015 s to import, for commands without a surface

    transform = Affine(resolution, 0, xmin, 0, -resolution, ymax)
    ids = _rasterio_features().rasterize(
        ((geom, i + 1) for i, geom in enumerate(communes.geometry)),
        out_shape=(height, width),
        transform=transform,
        fill=0,
        dtype="int32",
    )
    population = _spread_population(communes, ids, transform)
    inside = (ids > 0) | (population > 0)
    rows, cols = np.nonzero(inside)
    xs = xmin + (cols + 0.5) * resolution
    ys = ymax - (rows + 0.5) * resolution
    minutes = np.full((height, width), np.nan, dtype="float32")
    pts = practitioners.geometry
    if len(pts):
        xy = np.unique(np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()]), axis=0)
        dist, _ = cKDTree(xy).query(np.column_stack([xs, ys]))
        minutes[rows, cols] = dist / 1000.0 * detour_factor / speed_kmh * 60.0
    log.debug("surface %dx%d cells of %.0f m", height, width, resolution)
    return Surface(minutes=minutes, transform=transform, crs=communes.crs, population=population)


def _spread_population(communes: gpd.GeoDataFrame, ids: np.ndarray, transform: Affine) -> np.ndarray:
    """Spread each commune's population evenly over its cells; a commune smaller than a cell goes to one cell."""
    n = len(communes)
    pop = communes["population"].to_numpy(dtype=float)
    counts = np.bincount(ids.ravel(), minlength=n + 1)[1:]
    per_cell = np.divide(pop, counts, out=np.zeros(n), where=counts > 0)
    out = np.where(ids > 0, per_cell[np.maximum(ids - 1, 0)], 0.0)
    small = np.flatnonzero(counts == 0)
    if small.size:
        pts = communes.geometry.iloc[small].representative_point()
        inv = ~transform
        c, r = inv * (pts.x.to_numpy(), pts.y.to_numpy())
        r = np.clip(np.floor(r).astype(int), 0, ids.shape[0] - 1)
        c = np.clip(np.floor(c).astype(int), 0, ids.shape[1] - 1)
        np.add.at(out, (r, c), pop[small])
    return out


def zones_from_surface(
    surface: Surface, communes: gpd.GeoDataFrame | None = None, *, breaks: tuple[float, ...] = (10.0, 20.0, 30.0)
) -> gpd.GeoDataFrame:
    """Turn the travel-time surface into zones (polygons) by class of minutes, with the population of each.

    Parameters
    ----------
    surface
        From :func:`travel_time_surface`.
    communes
        Unused beyond the surface's own population grid; kept so that callers can pass the territory.
    breaks
        Class bounds in minutes: ``(10, 20, 30)`` gives "moins de 10 min", "10 à 20 min", "20 à 30 min",
        "30 min ou plus".

    Returns
    -------
    geopandas.GeoDataFrame
        ``classe_minutes`` (French label), ``minutes_min``, ``minutes_max``, ``population``, polygons; one row per
        class present.
    """
    bounds = np.array(breaks, dtype=float)
    valid = ~np.isnan(surface.minutes)
    cls = np.where(valid, np.searchsorted(bounds, np.nan_to_num(surface.minutes), side="right"), -1).astype("int32")
    lows = np.concatenate([[0.0], bounds])
    highs = np.concatenate([bounds, [np.inf]])
    labels = [f"moins de {bounds[0]:g} min"] + [
        f"{a:g} à {b:g} min" for a, b in zip(bounds[:-1], bounds[1:], strict=False)
    ]
    labels.append(f"{bounds[-1]:g} min ou plus")
    shapes = list(_rasterio_features().shapes(cls, mask=valid, transform=surface.transform))
    frame = gpd.GeoDataFrame(
        {"k": [int(v) for _, v in shapes]}, geometry=[shape(g) for g, _ in shapes], crs=surface.crs
    ).dissolve(by="k")
    pop = pd.Series(surface.population[valid]).groupby(cls[valid]).sum()
    k = frame.index.to_numpy()
    return gpd.GeoDataFrame(
        {
            "classe_minutes": [labels[i] for i in k],
            "minutes_min": lows[k],
            "minutes_max": highs[k],
            "population": pop.reindex(k, fill_value=0.0).to_numpy(),
        },
        geometry=frame.geometry.to_numpy(),
        crs=surface.crs,
    ).reset_index(drop=True)
