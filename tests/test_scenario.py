"""What-if scenarios on the APL: changes by commune, retirements, near the threshold, bad inputs, CLI."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _apl_grids import DEMO, line_of_three
from click.testing import CliRunner

from territoires import InputError, ParameterError, TerritoiresWarning
from territoires.analysis.apl import APLParameters
from territoires.analysis.scenario import changes_by_commune, near_threshold, retirements
from territoires.cli import cli
from territoires.demo.generate import demo_paths
from territoires.io.changes import changes_from_file
from territoires.pipeline.scenario import run_scenario


def test_near_threshold_absolute_and_relative_margins():
    apl = np.array([2.39, 2.41, 2.6, 2.61, 3.95, 4.2])  # 2.61 is within 5 % of 2.5, not within 0.1
    pop = np.ones(6)
    flags = near_threshold(apl, pop, thresholds=(2.5, 4.0), margin=0.1)
    assert flags["proche_seuil"].tolist() == [False, True, True, False, True, False]
    assert flags["seuil_proche"].iloc[4] == 4.0
    assert flags["ecart_seuil"].iloc[1] == pytest.approx(-0.09)
    # ± 5 % of the threshold: 2.375–2.625 and 3.8–4.2.
    rel = near_threshold(apl, pop, thresholds=(2.5, 4.0), margin=0.05, relative=True)
    assert rel["proche_seuil"].tolist() == [True, True, True, True, True, True]


def test_changes_apply_by_hand():
    result, model = line_of_three()
    codes = pd.Index(result["code_commune"])
    changes = pd.DataFrame(
        {"ligne": [2, 3], "code_commune": ["01002", "01001"], "profession": "medecin_generaliste",
         "etp": [1.0, -0.5], "label": None}
    )  # fmt: skip
    delta, left = changes_by_commune(changes, codes, model, APLParameters())
    assert delta.tolist() == [-2700.0, 5400.0, 0.0]
    after = model.apl(delta)
    # A: 2700/3000 = 0.9 in A and B; B: 5400/5000 = 1.08 in A and B, 0.72 in C.
    np.testing.assert_allclose(after, [0.9 + 1.08, 0.9 + 1.08, 0.72])
    assert left.empty


def test_departures_beyond_existing_supply_name_the_rows():
    result, model = line_of_three()
    changes = pd.DataFrame(
        {"ligne": [2, 3, 4], "code_commune": ["01001", "01001", "01002"], "profession": "medecin_generaliste",
         "etp": [-0.6, -0.6, 1.0], "label": None}
    )  # fmt: skip
    with pytest.raises(InputError, match=r"01001 \(ligne\(s\) 2, 3\) : 1.2 ETP retiré\(s\) pour 1.00 ETP"):
        changes_by_commune(changes, pd.Index(result["code_commune"]), model, APLParameters())


def test_unknown_codes_listed_and_other_professions_left_out():
    result, model = line_of_three()
    codes = pd.Index(result["code_commune"])
    changes = pd.DataFrame(
        {"ligne": [2, 3, 4], "code_commune": ["01001", "75056", "31555"],
         "profession": ["medecin_generaliste", "medecin_generaliste", "medecin_generaliste"],
         "etp": [1.0, 1.0, 2.0], "label": None}
    )  # fmt: skip
    with pytest.raises(InputError, match=r"ligne 3 \(75056\), ligne 4 \(31555\)"):
        changes_by_commune(changes, codes, model, APLParameters())
    changes.loc[1:, "profession"] = "infirmier"
    with pytest.warns(TerritoiresWarning, match="2 ligne"):
        delta, left = changes_by_commune(changes, codes, model, APLParameters())
    assert delta.tolist() == [5400.0, 0.0, 0.0]
    assert left["ligne"].tolist() == [3, 4]
    assert left["motif"].str.contains("autre que medecin_generaliste").all()


def test_retirement_rule():
    practitioners = pd.DataFrame(
        {"code_commune": ["01001"] * 5, "profession": "medecin_generaliste", "etp": 1.0,
         "age": [60.0, 63.0, 64.0, 70.0, np.nan]}
    )  # fmt: skip
    with pytest.warns(TerritoiresWarning, match="1 praticien"):
        leaving = retirements(practitioners, APLParameters(), retirement_age=67, horizon=2030, reference_year=2026)
    # Ages at the horizon: 64, 67, 68, 74 and unknown: the three reaching 67 leave, the unknown one stays.
    assert leaving["age"].tolist() == [63.0, 64.0, 70.0]
    with pytest.raises(InputError, match="colonne 'age'"):
        retirements(practitioners.drop(columns="age"), APLParameters(), retirement_age=67, horizon=2030)
    with pytest.raises(ParameterError, match="horizon"):
        retirements(practitioners, APLParameters(), retirement_age=67, horizon=2020, reference_year=2026)


def test_changes_file_errors(tmp_path):
    bad = tmp_path / "c.csv"
    bad.write_text("code_commune;etp\n96001;deux\n", encoding="utf-8")
    with pytest.raises(InputError, match="non numérique"):
        changes_from_file(bad)
    bad.write_text("commune;nb\n96001;2\n", encoding="utf-8")
    with pytest.raises(InputError, match="colonne 'etp' manquante"):
        changes_from_file(bad)
    good = tmp_path / "g.csv"
    good.write_text("code_commune;profession;etp;label\n96001;;1,5;MSP\n1001;médecin généraliste;-1;\n", "utf-8")
    table = changes_from_file(good)
    assert table["code_commune"].tolist() == ["96001", "01001"]
    assert table["etp"].tolist() == [1.5, -1.0]
    assert table["profession"].tolist() == ["medecin_generaliste", "medecin_generaliste"]


@pytest.fixture(scope="module")
def demo_retirements():
    return run_scenario(
        DEMO,
        retirement_age=67,
        horizon=2030,
        reference_year=2026,
    )


def test_retirement_scenario_on_demo(demo_retirements):
    paths = demo_paths()
    gps = pd.read_csv(paths["practitioners"], sep=";", dtype={"code_commune": str})
    gps = gps.loc[gps["profession"] == "medecin_generaliste"]
    # Demo GPs aged 63 or more in 2026 reach 67 by 2030; their supply leaves.
    assert demo_retirements.changes["origine"].eq("retraites").all()
    assert demo_retirements.changes["code_commune"].nunique() == gps.loc[gps["age"] >= 63, "code_commune"].nunique()
    summary = demo_retirements.summary.set_index("indicateur")
    assert summary.loc["Population sous le seuil (habitants)", "ecart"] > 0
    table = demo_retirements.communes
    assert (table["delta_apl"] <= 1e-12).all()
    changed = (table["niveau_avant"] != table["niveau_apres"]).sum()
    assert summary.loc["Communes qui changent de niveau", "apres"] == changed
    near = table["proche_seuil_avant"]
    assert summary.loc["Habitants des communes proches d'un seuil", "avant"] == table.loc[near, "population"].sum()


def test_scenario_cli_outputs(tmp_path):
    paths = demo_paths()
    changes = tmp_path / "changes.csv"
    changes.write_text("code_commune;profession;etp;label\n96001;medecin_generaliste;2;MSP\n", encoding="utf-8")
    res = CliRunner().invoke(
        cli,
        ["scenario", "--communes", str(paths["communes"]), "--population", str(paths["population"]),
         "--praticiens", str(paths["practitioners"]), "--changes", str(changes), "--out", str(tmp_path / "o")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    layer = gpd.read_file(tmp_path / "o" / "scenario.gpkg", layer="communes")
    for col in ("code_commune", "nom", "population", "apl_avant", "apl_apres", "delta_apl", "niveau_avant",
                "niveau_apres"):  # fmt: skip
        assert col in layer.columns
    assert layer.loc[layer["code_commune"] == "96001", "delta_apl"].iloc[0] > 0
    for name in ("scenario.csv", "resume_scenario.csv", "carte_scenario.html", "rapport_scenario.html"):
        assert (tmp_path / "o" / name).stat().st_size > 0
    page = (tmp_path / "o" / "carte_scenario.html").read_text(encoding="utf-8")
    assert "\\u00c9cart d\\u0027APL" in page  # tooltip alias, JSON-escaped
    assert len(set(re.findall(r"geo_json_[0-9a-f]+", page))) == 3  # before, after, delta


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--retirement-age", "67"], "--retirement-age et --horizon vont ensemble"),
        ([], "scénario vide"),
    ],
)
def test_scenario_cli_usage_errors(tmp_path, extra, message):
    paths = demo_paths()
    res = CliRunner().invoke(
        cli,
        ["scenario", "--communes", str(paths["communes"]), "--praticiens", str(paths["practitioners"]),
         "--population", str(paths["population"]), *extra, "--out", str(tmp_path / "o")],
    )  # fmt: skip
    assert res.exit_code == 2
    assert message in res.output


def test_scenario_cli_retirement_without_age_exits_2(tmp_path):
    paths = demo_paths()
    res = CliRunner().invoke(
        cli,
        ["scenario", "--communes", str(paths["communes"]), "--population", str(paths["population"]),
         "--praticiens", str(paths["rpps"]), "--retirement-age", "67", "--horizon", "2030",
         "--out", str(tmp_path / "o")],
    )  # fmt: skip
    assert res.exit_code == 2
    assert "l'extraction publique de l'Annuaire Santé ne donne pas l'âge" in res.output
    assert not (tmp_path / "o").exists()


def test_projects_alone_match_separate_scenarios(tmp_path):
    rows = {"MSP nord": [("96001", 2.0), ("96004", 1.0)], "centre sud": [("96181", 3.0)]}
    lines = ["code_commune;profession;etp;label"]
    lines += [f"{c};medecin_generaliste;{e};{label}" for label, pairs in rows.items() for c, e in pairs]
    both = tmp_path / "both.csv"
    both.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_scenario(DEMO, changes=both)
    projects = result.projects.set_index("label")
    assert projects["etp"].to_dict() == {"MSP nord": 3.0, "centre sud": 3.0}
    for label, pairs in rows.items():
        one = tmp_path / f"{label}.csv"
        one.write_text("code_commune;etp\n" + "".join(f"{c};{e}\n" for c, e in pairs), encoding="utf-8")
        alone = run_scenario(DEMO, changes=one).summary.set_index("indicateur")
        row = alone.loc["Population sous le seuil (habitants)"]
        assert projects.loc[label, "habitants_sortis_du_seuil"] == row["avant"] - row["apres"]
