"""GeoTIFF export of surfaces (travel time to the nearest practitioner)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio

from .._atomic import atomic_path
from ..analysis.zones import Surface

NODATA = -9999.0


def save_surface_geotiff(path: str | Path, surface: Surface) -> Path:
    """Write the travel-time surface (minutes, float32, nodata −9999) as a compressed GeoTIFF, atomically.

    Band 1 holds the minutes to the nearest practitioner, band 2 the population spread over the cells.
    """
    path = Path(path)
    minutes = np.where(np.isnan(surface.minutes), NODATA, surface.minutes).astype("float32")
    height, width = minutes.shape
    profile = {
        "driver": "GTiff",
        "height": height,
        "width": width,
        "count": 2,
        "dtype": "float32",
        "crs": surface.crs,
        "transform": surface.transform,
        "nodata": NODATA,
        "compress": "deflate",
        "tiled": width >= 256 and height >= 256,
    }
    with atomic_path(path) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(minutes, 1)
            dst.write(surface.population.astype("float32"), 2)
            dst.set_band_description(1, "minutes jusqu'au praticien le plus proche")
            dst.set_band_description(2, "population (habitants par cellule)")
            dst.update_tags(unite="minutes", outil="territoires")
    return path
