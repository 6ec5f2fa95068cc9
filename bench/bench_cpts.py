"""Benchmark: CPTS meshing on real regions, on a France-sized territory, and against spopt's max-p.

1. Occitanie and Centre-Val de Loire (../shared/data: IGN 2018 boundaries reconciled with 2026 populations,
   SIRENE 2019 GP practices as the supply): time, catchment figures, and agreement with the INSEE bassins de vie
   2012 (adjusted Rand index).
   Each variant's self-containment is also measured on the same two sets of estimated flows (gravity decay 10 min,
   the default, and 3 min, calibrated on DREES: bench_gravity_calibration.py), so that variants built on different
   flows are compared on one yardstick.
2. A synthetic France (35,000 Voronoi communes, as in bench_apl.py): time and peak memory (numpy allocations,
   tracemalloc) at 1/4, 1/2 and all of it, to show the memory grows linearly with the number of communes.
3. PySAL spopt's MaxPHeuristic with the same 12,000 floor on one département (Gard, about 350 communes), next to
   ours: times, number of regions, and whether each respects the 152,000 ceiling.

Run: ``make bench`` (or ``python bench/bench_cpts.py [--skip-spopt]``). Parts 1 and 3 need ../shared/data.
"""

from __future__ import annotations

import os
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from bench_apl import synthetic_france

from territoires.analysis.catchments import CatchmentParameters, contiguity, mesh_catchments

#: ../shared/data beside the checkout, or the folder named by TERRITOIRES_SHARED_DATA.
SHARED = Path(os.environ.get("TERRITOIRES_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
OCCITANIE = ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"]
CENTRE_VAL_DE_LOIRE = ["18", "28", "36", "37", "41", "45"]


def load_region(departements: list[str]):
    from territoires.pipeline import load_territory

    files = sorted(p for p in (SHARED / "communes").glob("*.geojson") if p.name.split("-")[1] in departements)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        territory = load_territory(files, population=SHARED / "population" / "communes_cog2026_france.csv")
    sirene = pd.read_csv(
        SHARED / "offre_soins" / "sirene2019_etablissements_sante_par_commune.csv",
        sep=";",
        dtype={"codecommuneetablissement": str},
    ).set_index("codecommuneetablissement")["generaliste"]
    communes = territory.communes
    return communes.assign(praticiens=communes["code_commune"].map(sirene).fillna(0.0))


def describe(result) -> str:
    k = result.catchments
    ok = k["alerte"] == ""
    q = k["population"].quantile([0, 0.25, 0.5, 0.75, 1]).round(-2).astype(int).tolist()
    return (
        f"{len(k)} territoires ({int(ok.sum())} dans les bornes, {int((~ok).sum())} signalés: "
        f"{', '.join(k.loc[~ok, 'nom'])}); population min/q1/médiane/q3/max {q}; "
        f"autonomie médiane {k['autonomie'].median():.2f}; compacité médiane {k['compacite'].median():.2f}"
    )


def bench_region(name: str = "Occitanie", departements: list[str] = OCCITANIE) -> None:
    from sklearn.metrics import adjusted_rand_score

    communes = load_region(departements)
    zonages = pd.read_csv(
        SHARED / "zonages" / "insee_table_appartenance_geo_communes_2022.csv",
        dtype=str,
        usecols=["CODGEO", "BV2012", "ZE2020"],
    ).set_index("CODGEO")
    bv = zonages["BV2012"]
    # The EPCI cut by the zones d'emploi 2020: soft borders tried against the EPCI alone (bench_cpts_real.py, README).
    communes["epci_ze"] = communes["epci"].astype(str) + ("_" + communes["code_commune"].map(zonages["ZE2020"])).fillna(
        ""
    )
    print(f"{name} : {len(communes)} communes, {communes['population'].sum():,.0f} habitants")
    for label, params in (
        ("défaut (autonomie ≥ 0,65 jusqu'au plafond)", CatchmentParameters()),
        (
            "option --autonomie-max-cible 1 (autonomie jusqu'à la taille cible)",
            CatchmentParameters(containment_max_ratio=1.0),
        ),
        (
            "défaut d'avant (82 000 partout)",
            CatchmentParameters(target_everywhere=True, min_containment=None, shape_flow_ratio=0.5),
        ),
        ("limites souples EPCI ∩ zones d'emploi 2020 (essai)", CatchmentParameters(structure="epci_ze")),
        (
            "flux à 3 min (calés sur la DREES), autres réglages par défaut",
            CatchmentParameters(gravity_decay_minutes=3.0),
        ),
        (
            "flux à 3 min, autonomie 0,85 (essai)",
            CatchmentParameters(gravity_decay_minutes=3.0, min_containment=0.85),
        ),
        (
            "flux à 4 min, 60 000 partout, sans règle d'autonomie ni équilibre (choix des rotations PACA)",
            CatchmentParameters(
                gravity_decay_minutes=4.0,
                target_population=60_000,
                target_everywhere=True,
                floor_balance=0.0,
                min_containment=None,
            ),
        ),
        ("plancher seul", CatchmentParameters(target_population=None)),
        ("4 à 5 par département", CatchmentParameters(per_departement=(4, 5))),
    ):
        t0 = time.perf_counter()
        result = mesh_catchments(communes, params=params)
        elapsed = time.perf_counter() - t0
        c = result.communes
        ref = c["code_commune"].map(bv)
        known = ref.notna()
        ari = adjusted_rand_score(ref[known], c.loc[known, "cpts_id"])
        same = [f"{decay:g} min {raw_containment(c, flows):.3f}" for decay, flows in yardsticks(communes, c).items()]
        print(
            f"  {label}: {elapsed:.2f} s; {describe(result)}; ARI vs bassins de vie 2012 {ari:.3f}; autonomie médiane "
            f"brute sur les mêmes flux pour tous : {', '.join(same)}"
        )


_YARDSTICKS: dict = {}


def yardsticks(communes: pd.DataFrame, ordered: pd.DataFrame) -> dict:
    """Flows estimated at 10 minutes (default) and 3 minutes (calibrated, bench_gravity_calibration.py), in the
    order of ``ordered`` (a result's communes): the same yardstick for every variant of a region."""
    key = (len(communes), tuple(ordered["code_commune"].iloc[:3]))
    if key not in _YARDSTICKS:
        from scipy import sparse

        from territoires.analysis.catchments import gravity_matrix

        gdf = communes.set_index("code_commune").loc[ordered["code_commune"]].reset_index()
        gdf = gdf.set_geometry("geometry").set_crs(communes.crs, allow_override=True)
        supply = gdf["praticiens"].to_numpy(dtype=float)
        pop = gdf["population"].fillna(0).to_numpy(dtype=float)
        _YARDSTICKS[key] = {
            d: sparse.coo_array(gravity_matrix(gdf, supply=supply, population=pop, decay_minutes=d))
            for d in (10.0, 3.0)
        }
    return _YARDSTICKS[key]


def raw_containment(communes: pd.DataFrame, flows) -> float:
    """Median share of each territory's residents' flows staying inside (no flow set aside)."""
    labels = pd.factorize(communes["cpts_id"])[0]
    inside = np.bincount(labels[flows.row], weights=flows.data * (labels[flows.row] == labels[flows.col]))
    total = np.bincount(labels[flows.row], weights=flows.data)
    return float(np.median(inside / np.maximum(total, 1e-12)))


def bench_france() -> None:
    communes, supply = synthetic_france()
    communes["praticiens"] = supply / 5000.0
    communes["nom"] = communes["code_commune"]
    sizes = [len(communes) // 4, len(communes) // 2, len(communes)]
    for n in sizes:
        sub = communes.iloc[:n] if n == len(communes) else _block(communes, n)
        t0 = time.perf_counter()
        result = mesh_catchments(sub, params=CatchmentParameters())
        elapsed = time.perf_counter() - t0
        # Memory in a second run: tracemalloc slows allocations down, so it is not timed.
        tracemalloc.start()
        mesh_catchments(sub, params=CatchmentParameters())
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"France synthétique, {n} communes ({sub['population'].sum() / 1e6:.1f} M hab.): {elapsed:.1f} s, "
            f"pic mémoire numpy {peak / 2**20:.0f} Mo ({peak / n / 1024:.1f} Ko par commune); {describe(result)}"
        )


def _block(communes, n):
    """The ``n`` communes nearest the centre: a contiguous block of the synthetic territory."""
    c = communes.geometry.representative_point()
    d = (c.x - c.x.mean()) ** 2 + (c.y - c.y.mean()) ** 2
    return communes.loc[np.argsort(d.to_numpy())[:n]].reset_index(drop=True)


def bench_spopt(departement: str = "30") -> None:
    from libpysal.weights import W
    from spopt.region import MaxPHeuristic

    communes = load_region([departement])
    floor, ceiling = 12_000, 152_000
    t0 = time.perf_counter()
    ours = mesh_catchments(communes, params=CatchmentParameters(target_population=None))
    t_ours = time.perf_counter() - t0
    k = ours.catchments
    print(
        f"Département {departement} ({len(communes)} communes): territoires {t_ours:.2f} s, {len(k)} territoires, "
        f"plafond respecté (hors ville au-dessus du plafond) : {bool((k['population'] <= ceiling).all())}"
    )
    adj = contiguity(communes).tocoo()
    neighbours = pd.Series(adj.col).groupby(adj.row).apply(list).to_dict()
    w = W({i: neighbours.get(i, []) for i in range(len(communes))}, silence_warnings=True)
    gdf = communes[["population", "geometry"]].assign(pop=communes["population"].astype(float))
    gdf["pop_x"] = gdf["pop"] / gdf["pop"].max()
    np.random.seed(0)
    t0 = time.perf_counter()
    model = MaxPHeuristic(gdf, w, ["pop_x"], "pop", floor, top_n=2, max_iterations_construction=20, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.solve()
    t_spopt = time.perf_counter() - t0
    pops = gdf.groupby(model.labels_)["pop"].sum()
    print(
        f"  spopt MaxPHeuristic (plancher {floor}): {t_spopt:.1f} s, {pops.size} régions, "
        f"population max {pops.max():,.0f}, plafond {ceiling:,} respecté : {bool((pops <= ceiling).all())}; "
        f"rapport des temps {t_spopt / t_ours:.0f}×"
    )


def main() -> None:
    if SHARED.is_dir():
        bench_region("Occitanie", OCCITANIE)
        bench_region("Centre-Val de Loire", CENTRE_VAL_DE_LOIRE)
    else:
        print(f"{SHARED} absent : parties Occitanie et spopt ignorées")
    bench_france()
    if SHARED.is_dir() and "--skip-spopt" not in sys.argv:
        bench_spopt()


if __name__ == "__main__":
    main()
