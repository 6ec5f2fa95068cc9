"""Benchmark: siting new GP practice on the APL (``territoires siting``) at regional and national scale.

1. Occitanie (real data from ../shared/data: the 13 départements' communes, populations COG 2026, supply proxy =
   SIRENE 2019 ``generaliste`` establishments halved as FTE, straight-line times), every commune a candidate:
   K = 26 sites of 5 FTE (time); K = 10 sites of 3 FTE: plain exact greedy vs ours (best of greedy starts + 1-swaps)
   vs spopt's MCLP (20-minute coverage of the under-served population), each measured with our APL; the exact MILP
   (HiGHS, time-limited) for the gap to the optimum.
2. Synthetic metropolitan France (35,000 communes, ``bench_apl.synthetic_france``), K = 100 sites of 3 FTE: time,
   and memory of the siting step at ¼, ½ and the full size (tracemalloc peak per commune).

Prints figures; skips part 1 where ../shared/data is absent. ``--skip-spopt`` and ``--skip-exact`` leave the slow
references out.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from territoires import load_territory
from territoires.analysis.apl import APLParameters, commune_cost_matrix, compute_apl
from territoires.analysis.scenario import APLModel
from territoires.analysis.siting import SitingParameters, exact_siting, greedy_siting, set_value
from territoires.analysis.travel_times import commune_points
from territoires.io.cog import resolve_codes

# ../shared/data beside the checkout (one level higher from a worktree under wt/).
SHARED = next(
    (p / "shared" / "data" for p in Path(__file__).resolve().parents[1:4] if (p / "shared" / "data").is_dir()),
    Path(__file__).resolve().parents[2] / "shared" / "data",
)
OCCITANIE = ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82")


def occitanie(departements=OCCITANIE):
    """Communes of Occitanie (COG 2026) with their GP APL from the SIRENE proxy, and the APL model."""
    files = [f for f in sorted((SHARED / "communes").glob("communes-*.geojson")) if f.name[9:11] in departements]
    territory = load_territory(files, population=SHARED / "population" / "communes_cog2026_france.csv")
    communes = territory.communes
    sirene = pd.read_csv(
        SHARED / "offre_soins" / "sirene2019_etablissements_sante_par_commune.csv",
        sep=";",
        dtype={"codecommuneetablissement": str},
    )
    sirene = sirene.loc[sirene["generaliste"] > 0]
    codes = resolve_codes(sirene["codecommuneetablissement"], territory.former_codes)
    practitioners = pd.DataFrame(
        {
            "code_commune": codes.to_numpy(),
            "etp": sirene["generaliste"].to_numpy() / 2.0,
            "profession": "medecin_generaliste",
        }
    )
    practitioners = practitioners.loc[practitioners["code_commune"].isin(set(communes["code_commune"]))]
    params = APLParameters()
    costs = commune_cost_matrix(communes, params=params)
    result = compute_apl(communes, practitioners, params=params)
    return result, APLModel.from_communes(result, costs=costs, params=params), costs


def spopt_mclp(result, costs, apl, k, *, threshold=2.5, radius=20.0):
    """spopt MCLP: K facilities maximising the under-served population within ``radius`` minutes."""
    import pulp
    from spopt.locate import MCLP

    dense = np.full(costs.shape, 10_000.0)
    coo = costs.tocoo()
    dense[coo.row, coo.col] = coo.data
    weights = np.where(apl < threshold, result["population"].to_numpy(dtype=float), 0.0)
    t0 = time.perf_counter()
    model = MCLP.from_cost_matrix(dense, weights, service_radius=radius, p_facilities=k)
    model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=600))
    elapsed = time.perf_counter() - t0
    chosen = np.array([j for j in range(costs.shape[1]) if model.fac2cli[j]], dtype=int)
    return chosen, elapsed


def part_occitanie(skip_spopt: bool, skip_exact: bool) -> None:
    t0 = time.perf_counter()
    result, model, costs = occitanie()
    pop = result["population"].to_numpy(dtype=float)
    apl = model.apl()
    xy = commune_points(result)
    print(
        f"Occitanie: {len(result):,} communes, {pop.sum():,.0f} inhabitants, loaded + APL in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    print(
        f"  under 2.5: {pop[apl < 2.5].sum():,.0f} inhabitants; model APL = compute_apl: "
        f"{np.array_equal(apl, result['apl'].to_numpy())}"
    )
    cand = np.arange(model.n)
    for objective in ("population", "deficit"):
        p = SitingParameters(sites=26, fte_per_site=5.0, objective=objective)
        t0, c0 = time.perf_counter(), time.process_time()
        choice = greedy_siting(model, pop, cand, p, xy=xy)
        print(
            f"  K=26, F=5, {objective}: {time.perf_counter() - t0:.2f} s ({time.process_time() - c0:.2f} s CPU); "
            f"gain {choice.value:,.0f} "
            f"(plain greedy {choice.greedy_value:,.0f}, best start {choice.multistart_value:,.0f}, "
            f"{choice.swaps} swaps)"
        )
    p = SitingParameters(sites=10, fte_per_site=3.0)
    t0 = time.perf_counter()
    plain = greedy_siting(
        model, pop, cand, SitingParameters(sites=10, fte_per_site=3.0, starts=1, lookahead=0, swaps=False)
    )
    t_plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = greedy_siting(model, pop, cand, p, xy=xy)
    t_ours = time.perf_counter() - t0
    print(
        f"  K=10, F=3, population lifted over 2.5: plain exact greedy {plain.value:,.0f} in {t_plain:.2f} s; "
        f"ours {ours.value:,.0f} in {t_ours:.2f} s (+{ours.value - plain.value:,.0f}, "
        f"{100 * (ours.value / plain.value - 1):.1f} %; best start {ours.multistart_value:,.0f}, "
        f"{ours.swaps} swaps)"
    )
    if not skip_exact:
        t0 = time.perf_counter()
        exact = exact_siting(model, pop, cand, p, time_limit=300)
        print(
            f"  exact MILP (HiGHS, ≤ 300 s): {exact.value:,.0f} in {time.perf_counter() - t0:.0f} s, bound "
            f"{exact.bound:,.0f}, optimal {exact.optimal}; ours reaches {100 * ours.value / exact.bound:.1f} % "
            "of the bound"
        )
    if not skip_spopt:
        try:
            chosen, elapsed = spopt_mclp(result, costs, apl, 10)
            print(
                f"  spopt MCLP (20 min, under-served population, CBC): {elapsed:.0f} s; sites lift "
                f"{set_value(model, pop, chosen, p):,.0f} inhabitants over 2.5 with 3 FTE each"
            )
        except Exception as exc:  # noqa: BLE001 - a reference solver failing must not hide our figures
            print(f"  spopt MCLP failed on Occitanie ({type(exc).__name__}: {exc})")


def part_france(k: int = 100) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_apl

    communes_all, supply_all = bench_apl.synthetic_france()
    communes_all["population_standardisee"] = communes_all["population"]
    # Scale the synthetic supply to the national mean APL of the DREES (about 3.3 consultations/year/inhabitant),
    # so that a realistic share of the population lives under 2.5.
    communes_all["offre_consultations"] = supply_all
    full = APLModel.from_communes(communes_all)
    pop_all = communes_all["population"].to_numpy(dtype=float)
    scale = 3.3 / (float((full.apl() * pop_all).sum()) / pop_all.sum())
    communes_all["offre_consultations"] = supply_all * scale
    x = commune_points(communes_all)[:, 0]
    for share in (0.25, 0.5, 1.0):
        # A western slice of the territory (same density of communes at every size).
        communes = communes_all.loc[x <= np.quantile(x, share)].reset_index(drop=True)
        n = len(communes)
        model = APLModel.from_communes(communes)
        pop = communes["population"].to_numpy(dtype=float)
        below = pop[model.apl() < 2.5].sum() / pop.sum()
        for objective in ("population", "deficit"):
            tracemalloc.start()
            t0, c0 = time.perf_counter(), time.process_time()
            choice = greedy_siting(
                model, pop, np.arange(n), SitingParameters(sites=k, fte_per_site=3.0, objective=objective)
            )
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"France synthetic {n:,} communes ({100 * below:.0f} % of people under 2.5, nnz W "
                f"{model.weights.nnz:,}), K={k}, F=3, {objective}: {elapsed:.1f} s ({cpu:.1f} s CPU); "
                f"gain {choice.value:,.0f} (plain greedy {choice.greedy_value:,.0f}, "
                f"best start {choice.multistart_value:,.0f}, "
                f"{choice.swaps} swaps); siting peak {peak / 1e6:.0f} MB = {peak / n / 1e3:.1f} KB per commune"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-spopt", action="store_true")
    parser.add_argument("--skip-exact", action="store_true")
    parser.add_argument("--skip-france", action="store_true")
    args, _ = parser.parse_known_args()  # run_all.py passes its own arguments through
    if SHARED.is_dir():
        part_occitanie(args.skip_spopt, args.skip_exact)
    else:
        print(f"{SHARED} absent: Occitanie part skipped")
    if not args.skip_france:
        part_france()
    print(f"peak memory (process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
