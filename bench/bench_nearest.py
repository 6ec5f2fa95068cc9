"""Benchmark: time to the nearest emergency service for every commune of a France-sized territory.

Inputs are synthetic (no national road graph or BPE here): the 35,000 Voronoi communes of ``bench_apl.py``,
700 emergency sites drawn among communes in proportion to population, and a road grid over 1,000 km × 950 km
(501 × 501 nodes, about 500,000 road segments, speeds 50/80/110 km/h, one line in ten of motorway at 130 km/h).

Prints, for a 90-minute reach: the straight-line search, the road graph build (lines → graph), the multi-source
road search, commune-to-commune road times within 20 minutes (the APL's reach, sparse batches), and the memory:
peak traced allocations of each step (tracemalloc, numpy included) and the process peak RSS (psutil/resource).
"""

from __future__ import annotations

import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from bench_apl import synthetic_france

from territoires.analysis.nearest import StraightLine, nearest_facility
from territoires.analysis.road_network import od_pairs, road_graph
from territoires.analysis.travel_times import commune_points

#: ../shared/data beside the checkout (or the folder named by $TERRITOIRES_SHARED_DATA).
SHARED = Path(os.environ.get("TERRITOIRES_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
OCCITANIE = ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82")
N_SITES = 700
GRID = 501  # nodes per side
REACH = 90.0


def synthetic_roads(seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    xs = np.linspace(100_000, 1_100_000, GRID)
    ys = np.linspace(6_100_000, 7_050_000, GRID)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    # horizontal segments (i, j) → (i + 1, j) and vertical ones (i, j) → (i, j + 1)
    h0 = np.column_stack([gx[:-1, :].ravel(), gy[:-1, :].ravel()])
    h1 = np.column_stack([gx[1:, :].ravel(), gy[1:, :].ravel()])
    v0 = np.column_stack([gx[:, :-1].ravel(), gy[:, :-1].ravel()])
    v1 = np.column_stack([gx[:, 1:].ravel(), gy[:, 1:].ravel()])
    a, b = np.vstack([h0, v0]), np.vstack([h1, v1])
    lines = shapely.linestrings(np.stack([a, b], axis=1))
    speeds = rng.choice([50.0, 80.0, 110.0], len(lines), p=[0.5, 0.35, 0.15])
    # one row and one column of segments in ten are motorways
    j_h = np.tile(np.arange(GRID), GRID - 1)  # y index of horizontal segments
    i_v = np.repeat(np.arange(GRID), GRID - 1)  # x index of vertical segments
    motorway = np.concatenate([j_h % 10 == 0, i_v % 10 == 0])
    speeds[motorway] = 130.0
    return gpd.GeoDataFrame({"vitesse": speeds}, geometry=lines, crs="EPSG:2154")


def measure(label: str, func, *args, **kwargs):
    tracemalloc.start()
    t0 = time.perf_counter()
    result = func(*args, **kwargs)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label}: {elapsed:.2f} s, peak traced allocations {peak / 2**20:.0f} MB")
    return result


def main() -> None:
    communes, _ = synthetic_france()
    rng = np.random.default_rng(2)
    pop = communes["population"].to_numpy()
    sites = rng.choice(len(communes), N_SITES, replace=False, p=pop / pop.sum())
    points = communes.geometry.iloc[sites].representative_point()
    dest = gpd.GeoDataFrame(
        {"equipement": "urgences", "nom": "urgences", "code_commune": communes["code_commune"].iloc[sites].to_numpy()},
        geometry=points.to_numpy(),
        crs=communes.crs,
    )
    commune_points(communes)  # warm the representative points cache of shapely (not part of the search)
    print(f"communes: {len(communes):,}, emergency sites: {N_SITES}, reach {REACH:g} min")
    straight = measure(
        "straight line (k-d tree), 90 min", nearest_facility, communes, dest, source=StraightLine(), max_minutes=REACH
    )
    roads = synthetic_roads()
    graph = measure("road graph built from the lines", road_graph, roads, crs=communes.crs)
    print(f"road graph: {graph.n_nodes:,} nodes, {len(roads):,} segments, {graph.graph.nnz:,} directed edges")
    del roads
    on_road = measure(
        "road network, multi-source Dijkstra, 90 min", nearest_facility, communes, dest, source=graph, max_minutes=REACH
    )
    pop_total = pop.sum()
    for name, frame in (("straight line", straight), ("road", on_road)):
        m = frame["minutes_urgences"].to_numpy()
        beyond = np.isnan(m) | (m > 30)
        print(
            f"{name}: median {np.nanmedian(m):.1f} min, population beyond 30 min {pop[beyond].sum() / pop_total:.1%}, "
            f"beyond 90 min {pop[np.isnan(m)].sum() / pop_total:.1%}"
        )
    node_of, snap, on = graph.snap(commune_points(communes))
    rows, _, _ = measure(
        "commune-to-commune road times within 20 min (sparse batches of 64)",
        od_pairs,
        graph,
        node_of,
        snap,
        on,
        max_minutes=20.0,
    )
    print(f"pairs within 20 min: {len(rows):,}")
    try:
        import psutil

        rss = psutil.Process().memory_info().rss / 2**20
        print(f"current RSS: {rss:.0f} MB")
    except ImportError:
        pass
    print(f"peak memory (process RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def real_occitanie() -> None:
    """Occitanie on real data: hospitals approximated by SIRENE 2019 establishments of NAF 86.10Z per commune.

    No BPE or FINESS file is staged in ../shared/data: the figure is a proxy (hospital establishments, placed at the
    representative point of their commune, not emergency services), for the order of magnitude only. Hospitals of
    neighbouring regions are not loaded, so communes near the regional border look farther than they are.
    """
    import pandas as pd

    from territoires.io.cog import resolve_codes
    from territoires.pipeline import load_territory

    files = sorted(p for p in (SHARED / "communes").glob("*.geojson") if p.name.split("-")[1] in OCCITANIE)
    territory = load_territory(files, population=SHARED / "population" / "communes_cog2026_france.csv")
    communes = territory.communes
    sirene = pd.read_csv(
        SHARED / "offre_soins" / "sirene2019_etablissements_sante_par_commune.csv", sep=";", dtype={0: str}
    )
    codes = resolve_codes(sirene.iloc[:, 0].str.zfill(5), territory.former_codes)
    with_hospital = set(codes[sirene["hopital"].to_numpy() > 0])
    sites = communes.loc[communes["code_commune"].isin(with_hospital)]
    dest = gpd.GeoDataFrame(
        {"equipement": "hopital", "nom": "hôpital", "code_commune": sites["code_commune"].to_numpy()},
        geometry=sites.geometry.representative_point().to_numpy(),
        crs=communes.crs,
    )
    # Emergency-service proxy: ~700 sites in France (the figure) × the region's share of the population,
    # placed in the communes with the most hospital establishments.
    counts = pd.Series(sirene["hopital"].to_numpy(), index=codes).groupby(level=0).sum()
    n_emergency = round(700 * communes["population"].sum() / 68_000_000)
    top = counts.reindex(communes["code_commune"]).fillna(0).sort_values(ascending=False, kind="stable")
    emergency = communes.loc[communes["code_commune"].isin(top.index[:n_emergency])]
    dest = pd.concat(
        [
            dest,
            gpd.GeoDataFrame(
                {
                    "equipement": "urgences",
                    "nom": "urgences (proxy)",
                    "code_commune": emergency["code_commune"].to_numpy(),
                },
                geometry=emergency.geometry.representative_point().to_numpy(),
                crs=communes.crs,
            ),
        ],
        ignore_index=True,
    )
    pop = communes["population"].to_numpy()
    print(f"Occitanie (real): {len(communes):,} communes, {pop.sum():,.0f} inhabitants, {len(sites)} communes with "
          "a hospital establishment (SIRENE 2019, NAF 86.10Z)")  # fmt: skip
    for label, source in (
        ("straight line x1.3 at 60 km/h (APL default)", StraightLine()),
        ("straight line x1.01 at 60 km/h (Metric slope, Gironde)", StraightLine(detour_factor=1.01)),
    ):
        t0 = time.perf_counter()
        out = nearest_facility(communes, dest, source=source, max_minutes=REACH)
        elapsed = time.perf_counter() - t0
        shares = []
        for kind in ("hopital", "urgences"):
            m = out[f"minutes_{kind}"].to_numpy()
            shares.append(pop[np.isnan(m) | (m > 30)].sum() / pop.sum())
        print(f"  {label}: {elapsed:.2f} s; beyond 30 min: of a hospital establishment {shares[0]:.1%}, of the "
              f"{n_emergency} emergency proxies {shares[1]:.1%} (DREES 2017, emergency, France: 6 %)")  # fmt: skip


if __name__ == "__main__":
    main()
    if SHARED.is_dir() and "--skip-real" not in sys.argv:
        real_occitanie()
