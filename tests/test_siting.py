"""Siting new practice on the APL: hand-checked gains, greedy vs exact optimum, siting ↔ scenario, CLI."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _apl_grids import DEMO, DEMO_FACILITIES, line_of_three, random_grid
from click.testing import CliRunner
from conftest import SHARED_DATA, requires_shared

from territoires import ParameterError, TerritoiresWarning
from territoires.analysis.siting import (
    SitingParameters,
    exact_siting,
    exhaustive_siting,
    greedy_siting,
    objective_value,
    set_value,
)
from territoires.cli import cli
from territoires.demo.generate import demo_paths
from territoires.pipeline import DiagnosticInputs
from territoires.pipeline.scenario import run_scenario, run_siting


def test_hand_checked_gain_of_one_site():
    result, model = line_of_three()
    np.testing.assert_allclose(result["apl"], [1.8, 1.8, 0.0])
    np.testing.assert_allclose(model.apl(), result["apl"], rtol=0, atol=0)
    effects = model.effect_columns(np.arange(3), 1.0).toarray()
    np.testing.assert_allclose(effects[:, 1], [1.08, 1.08, 0.72])
    np.testing.assert_allclose(effects[:, 2], [0.0, 2 / 3 * 5400 / (4000 / 3 + 3000), 5400 / (4000 / 3 + 3000)])
    pop = result["population"].to_numpy()
    p = SitingParameters(sites=1, fte_per_site=1.0)
    # Population: A and B both lift 3,000 inhabitants; the tie goes to the larger deficit reduction (B: 4,260).
    choice = greedy_siting(model, pop, np.arange(3), p)
    assert choice.sites.tolist() == [1]
    assert choice.gains.tolist() == [3000.0]
    assert choice.below_after.tolist() == [3000.0]
    deficit = greedy_siting(model, pop, np.arange(3), SitingParameters(sites=1, fte_per_site=1.0, objective="deficit"))
    assert deficit.sites.tolist() == [2]
    assert deficit.value == pytest.approx(0.7 * 2000 + 3000 * 5400 / (4000 / 3 + 3000))
    assert set_value(model, pop, np.array([0]), SitingParameters(1, 1.0, objective="deficit")) == pytest.approx(2100)


def test_model_reproduces_compute_apl_exactly():
    result, model, _ = random_grid(3)
    np.testing.assert_array_equal(model.apl(), result["apl"].to_numpy())


@pytest.mark.parametrize("objective", ["population", "deficit"])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [2, 3])
def test_greedy_against_exact_optimum(seed, k, objective):
    _, model, pop = random_grid(seed, n=6)
    cand = np.arange(model.n)
    p = SitingParameters(sites=k, fte_per_site=1.0, objective=objective)
    heuristic = greedy_siting(model, pop, cand, p)
    _, brute = exhaustive_siting(model, pop, cand, p)
    milp = exact_siting(model, pop, cand, p)
    # The MILP and the enumeration agree on the optimum, the bound is tight, and the heuristic lies between the
    # plain greedy and the optimum; its reported gains sum to its value.
    assert milp.optimal
    assert milp.value == pytest.approx(brute, rel=1e-9)
    assert milp.bound == pytest.approx(brute, rel=1e-6)
    assert heuristic.greedy_value <= heuristic.multistart_value <= heuristic.value <= brute + 1e-6
    assert heuristic.gains.sum() == pytest.approx(heuristic.value)
    assert set_value(model, pop, heuristic.sites, p) == pytest.approx(heuristic.value)
    if objective == "deficit":
        # The deficit reduction is submodular: greedy is within (1 − 1/e) of the optimum (Nemhauser et al. 1978).
        assert heuristic.value >= (1 - 1 / np.e) * brute


def test_gap_to_optimum_on_small_grids():
    # Population objective, 8 small grids × K = 2, 3 against enumeration. Measured: plain greedy 89.6 % of the
    # optimum summed over the 16 cases, ours 99.2 % (worst case 93.6 %, seed 6, K = 3).
    greedy, ours, best = 0.0, 0.0, 0.0
    for seed in range(8):
        _, model, pop = random_grid(seed)
        for k in (2, 3):
            p = SitingParameters(sites=k, fte_per_site=1.0)
            choice = greedy_siting(model, pop, np.arange(model.n), p)
            greedy += choice.greedy_value
            ours += choice.value
            best += exhaustive_siting(model, pop, np.arange(model.n), p)[1]
    assert greedy < 0.9 * best
    assert 0.98 * best <= ours <= best


def test_min_distance_is_respected():
    result, model, pop = random_grid(1)
    from territoires.analysis.travel_times import commune_points

    xy = commune_points(result)
    p = SitingParameters(sites=4, fte_per_site=1.0, objective="deficit", min_distance_km=13)
    choice = greedy_siting(model, pop, np.arange(model.n), p, xy=xy)
    d = np.linalg.norm(xy[choice.sites][:, None] - xy[choice.sites][None], axis=2)
    assert (d[np.triu_indices(len(choice.sites), 1)] >= 13_000).all()
    exact = exact_siting(model, pop, np.arange(model.n), p, xy=xy)
    d = np.linalg.norm(xy[exact.sites][:, None] - xy[exact.sites][None], axis=2)
    assert (d[np.triu_indices(len(exact.sites), 1)] >= 13_000).all()
    assert choice.value <= exact.value + 1e-6


def test_bad_parameters_raise():
    with pytest.raises(ParameterError, match="au moins 1 site"):
        SitingParameters(sites=0, fte_per_site=1)
    with pytest.raises(ParameterError, match="population.*deficit"):
        SitingParameters(sites=1, fte_per_site=1, objective="cout")


def test_objective_value_counts_plain_population():
    assert objective_value(np.array([2.4, 2.5]), np.array([10.0, 20.0]), 2.5, "population") == 10.0


@pytest.fixture(scope="module")
def demo_siting():
    return run_siting(
        DEMO_FACILITIES,
        sites=3,
        fte_per_site=2.0,
    )


def test_siting_then_scenario_reproduces_the_gain_exactly(demo_siting):
    scenario = run_scenario(
        DEMO,
        changes=demo_siting.as_changes(),
    )
    row = scenario.summary.set_index("indicateur").loc["Population sous le seuil (habitants)"]
    assert row["avant"] - row["apres"] == demo_siting.sites["gain"].sum()
    assert row["apres"] == demo_siting.sites["population_sous_seuil_apres"].iloc[-1]
    np.testing.assert_array_equal(scenario.communes["apl_apres"], demo_siting.communes["apl_apres"])


def test_siting_cli_writes_outputs_and_round_trips(tmp_path, demo_siting):
    paths = demo_paths()
    common = ["--communes", str(paths["communes"]), "--population", str(paths["population"]),
              "--praticiens", str(paths["practitioners"])]  # fmt: skip
    res = CliRunner().invoke(
        cli, ["implantation", *common, "--sites", "3", "--etp-par-site", "2", "--out", str(tmp_path / "s")]
    )
    assert res.exit_code == 0, res.output
    sites = pd.read_csv(tmp_path / "s" / "sites.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype={1: str})
    assert list(sites.columns) == ["rang", "code_commune", "nom", "etp", "gain", "population_sous_seuil_apres"]
    assert sites["code_commune"].tolist() == demo_siting.sites["code_commune"].tolist()
    assert (tmp_path / "s" / "sites.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    res = CliRunner().invoke(
        cli,
        ["scenario", *common, "--changes", str(tmp_path / "s" / "changements.csv"), "--out", str(tmp_path / "c")],
    )
    assert res.exit_code == 0, res.output
    layer = gpd.read_file(tmp_path / "c" / "scenario.gpkg", layer="communes")
    below_before = layer.loc[layer["apl_avant"] < 2.5, "population"].sum()
    below_after = layer.loc[layer["apl_apres"] < 2.5, "population"].sum()
    assert below_before - below_after == sites["gain"].sum()


def test_siting_cli_unknown_candidate_exits_2(tmp_path):
    paths = demo_paths()
    cand = tmp_path / "candidates.csv"
    cand.write_text("code_commune;note\n96001;ok\n99999;inconnue\n", encoding="utf-8")
    res = CliRunner().invoke(
        cli,
        ["siting", "--communes", str(paths["communes"]), "--population", str(paths["population"]),
         "--practitioners", str(paths["practitioners"]), "--sites", "1", "--fte-per-site", "1",
         "--candidates", str(cand), "--out", str(tmp_path / "o")],
    )  # fmt: skip
    assert res.exit_code == 2
    assert "ligne 3 (99999)" in res.output
    assert not (tmp_path / "o").exists()


def test_candidates_and_population_min_restrict_the_choice(demo_siting):
    table = pd.DataFrame({"ligne": [2, 3], "code_commune": ["96001", "96004"]})
    result = run_siting(
        DEMO,
        sites=1,
        fte_per_site=1.0,
        candidates=table,
        population_min=1000,
    )
    assert result.sites["code_commune"].tolist() == ["96001"]  # 96004 has 223 inhabitants


def test_more_sites_than_candidates_raises():
    result, model = line_of_three()
    with pytest.raises(ParameterError, match="2 site\\(s\\) demandé\\(s\\) pour 1 commune"):
        greedy_siting(model, result["population"].to_numpy(), np.array([0]), SitingParameters(2, 1.0))


def lozere_inputs(shared, tmp_path):
    """Lozère: IGN boundaries, populations COG 2026 and the SIRENE GP proxy halved as FTE (../shared/data)."""
    sirene = pd.read_csv(
        shared / "offre_soins" / "sirene2019_etablissements_sante_par_commune.csv",
        sep=";",
        dtype={"codecommuneetablissement": str},
    )
    sirene = sirene.loc[sirene["codecommuneetablissement"].str.startswith("48") & (sirene["generaliste"] > 0)]
    practitioners = tmp_path / "generalistes_48.csv"
    pd.DataFrame(
        {"code_commune": sirene["codecommuneetablissement"], "profession": "medecin_generaliste",
         "etp": sirene["generaliste"] / 2}
    ).to_csv(practitioners, sep=";", index=False)  # fmt: skip
    return DiagnosticInputs(
        sorted((shared / "communes").glob("communes-48-*.geojson")),
        population=shared / "population" / "communes_cog2026_france.csv",
        practitioners=practitioners,
    )


@requires_shared
@pytest.mark.shared
@pytest.mark.parametrize(("objective", "k"), [("population", 3), ("deficit", 5)])
def test_lozere_choice_is_optimal(tmp_path, objective, k):
    # Lozère (152 communes, every one a candidate), 3 FTE per site: the heuristic reaches the optimum proved by
    # HiGHS (measured: 9,690 inhabitants lifted over 2.5 with K = 3; deficit reduced by 9,362.7 with K = 5).
    # The national population table lists 6 uninhabited TAAF and Clipperton codes: reported, left out.
    with pytest.warns(TerritoiresWarning, match=r"6 commune\(s\) sans population écartée\(s\)"):
        result = run_siting(
            lozere_inputs(SHARED_DATA, tmp_path), sites=k, fte_per_site=3.0, objective=objective, exact=True
        )
    info = result.metadata["implantation"]
    assert info["optimal"]
    assert info["gain_glouton"] <= info["gain"]
    assert info["gain"] == pytest.approx(info["optimum_exact"], rel=1e-9)
    assert info["gain"] == pytest.approx(info["borne"], rel=1e-6)
    assert info["gain"] == pytest.approx({"population": 9690.0, "deficit": 9362.6895}[objective], rel=1e-6)


def test_siting_cli_deficit_distance_and_exact(tmp_path):
    paths = demo_paths()
    res = CliRunner().invoke(
        cli,
        ["implantation", "--communes", str(paths["communes"]), "--population", str(paths["population"]),
         "--praticiens", str(paths["practitioners"]), "--etablissements", str(paths["facilities"]),
         "--sites", "3", "--etp-par-site", "2", "--objectif", "deficit", "--distance-min", "15", "--exact",
         "-o", str(tmp_path / "o")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    sites = gpd.read_file(tmp_path / "o" / "implantation.gpkg", layer="sites")
    xy = np.column_stack([sites.geometry.x, sites.geometry.y])
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    assert (d[np.triu_indices(3, 1)] >= 15_000).all()
    report = (tmp_path / "o" / "rapport_implantation.html").read_text(encoding="utf-8")
    assert "Solution exacte" in report
    assert "déficit d'accès" in report
    facilities = gpd.read_file(tmp_path / "o" / "implantation.gpkg", layer="facilities")
    assert len(facilities) > 0
