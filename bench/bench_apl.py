"""Benchmark: national-scale E2SFCA (ours vs PySAL access) and straight-line travel times.

Input: a synthetic France-sized territory (35,000 Voronoi communes over 1,000 km × 950 km in Lambert-93,
lognormal populations, 100,000 practitioners drawn in proportion to population^1.1), so the figures do not depend
on ../shared/data. Prints times, the speed-up over PySAL access, and the peak memory of the process.
"""

from __future__ import annotations

import resource
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from territoires.analysis.fca import cost_matrix, step_weights, two_step_fca
from territoires.analysis.travel_times import straight_line_times

N_COMMUNES = 35_000
N_PRACTITIONERS = 100_000
DREES = {10: 1.0, 15: 2 / 3, 20: 1 / 3}


def synthetic_france(seed: int = 0) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = np.column_stack([rng.uniform(100_000, 1_100_000, N_COMMUNES), rng.uniform(6_100_000, 7_050_000, N_COMMUNES)])
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy)))
    box = shapely.box(100_000, 6_100_000, 1_100_000, 7_050_000)
    cells = shapely.intersection(cells, box)
    pop = np.round(rng.lognormal(np.log(450), 1.3, len(cells)))
    codes = np.array([f"{i:05d}" for i in range(len(cells))])
    communes = gpd.GeoDataFrame({"code_commune": codes, "population": pop}, geometry=cells, crs="EPSG:2154")
    p = pop**1.1
    where = rng.choice(len(cells), N_PRACTITIONERS, p=p / p.sum())
    supply = np.bincount(where, weights=rng.uniform(3600, 6000, N_PRACTITIONERS), minlength=len(cells))
    return communes, supply


def main() -> None:
    communes, supply = synthetic_france()
    n = len(communes)
    t0 = time.perf_counter()
    tt = straight_line_times(communes, max_minutes=20)
    t_tt = time.perf_counter() - t0
    codes = pd.Index(communes["code_commune"])
    rows, cols = codes.get_indexer(tt["origin"]), codes.get_indexer(tt["destination"])
    demand = communes["population"].to_numpy()
    t0 = time.perf_counter()
    costs = cost_matrix(rows, cols, tt["minutes"].to_numpy(), (n, n))
    ours = two_step_fca(demand, supply, costs, weight=step_weights(DREES))
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(10):
        two_step_fca(demand, supply, costs, weight=step_weights(DREES))
    t_solve = (time.perf_counter() - t0) / 10
    print(f"communes: {n}, practitioners: {N_PRACTITIONERS}, pairs within 20 min: {len(tt):,}")
    print(f"straight-line travel times (20 min): {t_tt:.2f} s")
    print(f"E2SFCA (territoires, sparse matrix built + solved): {t_ours:.3f} s; solve only: {t_solve:.3f} s")
    try:
        from access import Access, weights
    except ImportError:
        print("PySAL access not installed: comparison skipped")
    else:
        cost = pd.DataFrame({"origin": rows, "dest": cols, "minutes": tt["minutes"].to_numpy()})
        t0 = time.perf_counter()
        a = Access(
            demand_df=pd.DataFrame({"id": np.arange(n), "pop": demand}),
            demand_index="id",
            demand_value="pop",
            supply_df=pd.DataFrame({"id": np.arange(n), "doc": supply}),
            supply_index="id",
            supply_value="doc",
            cost_df=cost,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="minutes",
        )
        theirs = a.enhanced_two_stage_fca(name="e", weight_fn=weights.step_fn(DREES))["e_doc"]
        t_pysal = time.perf_counter() - t0
        theirs = theirs.reindex(range(n)).fillna(0).to_numpy()
        ok = np.isfinite(theirs)
        rel = np.max(np.abs(ours[ok] - theirs[ok]) / np.maximum(np.abs(theirs[ok]), 1e-12))
        print(f"E2SFCA (PySAL access, same inputs): {t_pysal:.2f} s")
        print(
            f"speed-up: {t_pysal / t_ours:.0f}x (build + solve), {t_pysal / t_solve:.0f}x (solve); "
            f"max relative difference: {rel:.1e}"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (process): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
