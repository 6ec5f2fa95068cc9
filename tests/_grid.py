"""The one grid builder of the tests: square communes whose answers can be computed by hand.

Used through the ``make_grid`` fixture of ``conftest.py`` (and imported as a plain function by the modules that
build grids at collection time). ``wiggle`` makes the shared edges identical zig-zags (many vertices), for the
display simplification tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import connected_components


def square_grid(
    populations: Sequence[float],
    *,
    ny: int = 1,
    size: float = 1000.0,
    prefix: str = "01",
    origin: tuple[float, float] = (0.0, 0.0),
    names: Sequence[str] | None = None,
    wiggle: float = 0.0,
    steps: int = 50,
    extra: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Square communes of ``size`` metres in Lambert-93, row-major on a ``len/ny`` × ``ny`` grid.

    Codes are ``prefix`` + 001, 002…; names ``C1``, ``C2``… unless given. With ``wiggle`` > 0 every inner edge
    is the same random zig-zag of ``steps`` segments (± ``wiggle`` metres) on both sides: still a coverage.
    """
    n = len(populations)
    nx = n // ny
    x0, y0 = origin
    t = np.linspace(0.0, 1.0, steps + 1)
    offset = wiggle * np.random.default_rng(5).uniform(-1.0, 1.0, steps + 1)
    offset[[0, -1]] = 0.0

    def vertical(i: int, j: int) -> np.ndarray:  # edge x = i, from y = j to j + 1
        x = x0 + i * size + (offset if 0 < i < nx else 0.0)
        return np.column_stack([x + 0 * t, y0 + (j + t) * size])

    def horizontal(i: int, j: int) -> np.ndarray:  # edge y = j, from x = i to i + 1
        y = y0 + j * size + (offset if 0 < j < ny else 0.0)
        return np.column_stack([x0 + (i + t) * size, y + 0 * t])

    cells = []
    for j in range(ny):
        for i in range(nx):
            if wiggle:
                ring = np.vstack([horizontal(i, j), vertical(i + 1, j)[1:], horizontal(i, j + 1)[::-1][1:]])
                cells.append(shapely.Polygon(np.vstack([ring, vertical(i, j)[::-1][1:]])))
            else:
                cells.append(shapely.box(x0 + i * size, y0 + j * size, x0 + (i + 1) * size, y0 + (j + 1) * size))
    codes = [f"{prefix}{k + 1:03d}" for k in range(n)]
    gdf = gpd.GeoDataFrame(
        {
            "code_commune": codes,
            "nom": list(names) if names is not None else [f"C{k + 1}" for k in range(n)],
            "population": list(populations),
        },
        geometry=cells,
        crs="EPSG:2154",
    )
    if extra is not None:
        gdf = pd.concat([gdf, extra], ignore_index=True)
    return gdf


def assert_contiguous(result) -> None:
    """Every catchment's communes form one connected piece of the contiguity graph."""
    from territoires.analysis.catchments import contiguity

    c = result.communes.reset_index(drop=True)
    adj = contiguity(c)
    for _, members in c.groupby("cpts_id").groups.items():
        idx = np.asarray(members)
        n, _ = connected_components(adj[idx][:, idx], directed=False)
        assert n == 1
