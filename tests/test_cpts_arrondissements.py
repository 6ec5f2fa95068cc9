"""CPTS tables that share Paris, Lyon or Marseille by arrondissements municipaux (column ``arrondissements``).

Hand-built cases: Marseille with 16 arrondissements of made-up round populations (13201: 40,000; 13202: 20,000;
13203: 60,000; 13204 to 13216: 58,000 each, 754,000; the city 874,000) and Aubagne (13005).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from conftest import SHARED_DATA, requires_shared

from territoires import compare_catchments
from territoires._errors import InputError, TerritoiresWarning
from territoires.io.cpts import existing_cpts_from_frame

ARR = [f"132{i:02d}" for i in range(1, 17)]
POPS = {"13201": 40_000.0, "13202": 20_000.0, "13203": 60_000.0, **{a: 58_000.0 for a in ARR[3:]}}
CITY = sum(POPS.values())  # 874,000
COMMUNE_LEVEL = pd.DataFrame({"code_commune": ["13055", "13005"], "population": [CITY, 47_000.0]})
ARRONDISSEMENT_LEVEL = pd.DataFrame(
    {"code_commune": [*ARR, "13005"], "population": [*(POPS[a] for a in ARR), 47_000.0]}
)


def table(*rows):
    return pd.DataFrame(rows, columns=["cpts", "code_commune", "arrondissements"])


SHARED = table(
    ("CPTS Centre", "13055", "13201|13202"),
    ("CPTS Est", "13055", "3e, 4e et 5e arrondissements"),
    ("CPTS Aubagne", "13005", ""),
)


def run(func, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = func(*args, **kwargs)
    return result, [str(w.message) for w in caught if issubclass(w.category, TerritoiresWarning)]


def test_city_at_commune_level_is_shared_by_the_inhabitants_of_the_arrondissements():
    result, messages = run(
        existing_cpts_from_frame, SHARED, COMMUNE_LEVEL, allow_shared=True, arrondissement_populations=POPS
    )
    assert messages == []
    part = result.set_index("cpts_nom")["part"]
    # Centre: 13201 + 13202 = 60,000 of 874,000; Est: 13203 to 13205 = 60,000 + 2 × 58,000 = 176,000.
    assert part["CPTS Centre"] == pytest.approx(60_000 / 874_000)
    assert part["CPTS Est"] == pytest.approx(176_000 / 874_000)
    assert part["CPTS Aubagne"] == 1.0
    # Scored against a proposal with Marseille whole: Centre's best Jaccard is its share of the city.
    proposal = pd.DataFrame({"code_commune": ["13055", "13005"], "cpts_id": ["P1", "P2"], "population": [CITY, 47e3]})
    scores = compare_catchments(proposal, result).territories.set_index("cpts_nom")["jaccard"]
    # The proposal's Marseille counts the parts the reference covers: 60,000 + 176,000.
    assert scores["CPTS Centre"] == pytest.approx(60_000 / 236_000)
    assert scores["CPTS Aubagne"] == 1.0


def test_without_populations_the_share_follows_the_number_of_arrondissements_and_says_so():
    result, messages = run(existing_cpts_from_frame, SHARED, COMMUNE_LEVEL, allow_shared=True)
    assert result.set_index("cpts_nom")["part"]["CPTS Est"] == pytest.approx(3 / 16)
    assert len(messages) == 1 and "comptée au nombre d'arrondissements" in messages[0] and "13055" in messages[0]


def test_contours_by_arrondissement_take_the_arrondissements_themselves():
    result, messages = run(existing_cpts_from_frame, SHARED, ARRONDISSEMENT_LEVEL)
    assert messages == []
    assert result.groupby("cpts_nom")["code_commune"].apply(list).to_dict() == {
        "CPTS Aubagne": ["13005"],
        "CPTS Centre": ["13201", "13202"],
        "CPTS Est": ["13203", "13204", "13205"],
    }
    # A row coded by its arrondissement, or the whole city, works the same; the city whole is every arrondissement.
    whole, _ = run(existing_cpts_from_frame, table(("A", "13207", ""), ("B", "13055", "")), ARRONDISSEMENT_LEVEL,
                   allow_shared=True)  # fmt: skip
    assert whole.loc[whole["cpts_nom"] == "A", "code_commune"].tolist() == ["13207"]
    assert len(whole.loc[whole["cpts_nom"] == "B"]) == 16
    assert whole.set_index(["cpts_nom", "code_commune"])["part"][("A", "13207")] == 0.5  # listed by A and by B


def test_existing_cpts_sharing_a_city_at_commune_level_ask_for_arrondissement_contours():
    with pytest.raises(InputError, match=r"13055 dans 'CPTS Centre' \(ligne 2\) et 'CPTS Est' \(ligne 3\).*Marseille"
                       r".*couche ARRONDISSEMENT_MUNICIPAL"):  # fmt: skip
        existing_cpts_from_frame(SHARED, COMMUNE_LEVEL, arrondissement_populations=POPS)


def test_existing_cpts_holding_part_of_a_city_take_it_from_half_its_inhabitants():
    # 13203 to 13210: 60,000 + 7 × 58,000 = 466,000 of 874,000 (53 %): takes Marseille, told.
    most = table(("CPTS Nord", "13055", "|".join(ARR[2:10])), ("CPTS Aubagne", "13005", ""))
    result, messages = run(existing_cpts_from_frame, most, COMMUNE_LEVEL, arrondissement_populations=POPS)
    assert result.set_index("code_commune")["cpts_nom"].to_dict() == {"13055": "CPTS Nord", "13005": "CPTS Aubagne"}
    assert len(messages) == 1 and "13055 dans 'CPTS Nord' (53\u00a0%)" in messages[0]
    # 13201 to 13203: 120,000 (14 %): Marseille is left to the meshing, the row listed with its reason.
    few = table(("CPTS Centre", "13055", "1er-2e".replace("-", ",") + ",3"), ("CPTS Aubagne", "13005", ""))
    result, messages = run(existing_cpts_from_frame, few, COMMUNE_LEVEL, arrondissement_populations=POPS)
    assert result["code_commune"].tolist() == ["13005"]
    assert [(r["ligne"], r["motif"]) for r in result.attrs["left_out"]] == [
        (2, "arrondissements couvrant moins de la moitié de la commune (contours au niveau de la commune)")
    ]
    assert any("(14\u00a0%)" in m for m in messages)


def test_unreadable_arrondissement_names_the_row_and_column():
    bad = table(("CPTS Centre", "13055", "13201|17e"))
    with pytest.raises(InputError, match=r"ligne 2, colonne 'arrondissements' : arrondissement '17e' illisible pour "
                       r"Marseille \(13055\) ; attendu des codes 13201 à 13216 ou des numéros 1 à 16"):  # fmt: skip
        existing_cpts_from_frame(bad, COMMUNE_LEVEL)
    lyon = table(("CPTS Lyon", "13055", "69381"))  # a Lyon code under Marseille
    with pytest.raises(InputError, match=r"arrondissement '69381' illisible pour Marseille"):
        existing_cpts_from_frame(lyon, COMMUNE_LEVEL)


def test_perimeters_to_compare_with_an_unreadable_cell_count_the_whole_city_and_say_so():
    rows = table(("CPTS Centre", "13055", "13201|17e"), ("CPTS Est", "13055", "Marseille 3e arrdt, 132040101"))
    result, messages = run(existing_cpts_from_frame, rows, COMMUNE_LEVEL, allow_shared=True,
                           arrondissement_populations=POPS)  # fmt: skip
    assert len(messages) == 1
    assert "colonne 'arrondissements' illisible sur 1 ligne(s) (arrondissement '17e' illisible" in messages[0]
    assert "(ligne 2)" in messages[0]
    # Centre counts for the whole city (1), Est for 13203 + 13204 (an IRIS code of the 4th): 118,000 of 874,000.
    part = result.set_index("cpts_nom")["part"]
    assert part["CPTS Est"] == pytest.approx(118_000 / 874_000 / (1 + 118_000 / 874_000))
    assert part["CPTS Centre"] == pytest.approx(1 / (1 + 118_000 / 874_000))


def test_column_filled_for_another_commune_is_reported_and_ignored():
    nice = pd.DataFrame({"code_commune": ["06088"], "population": [350_000.0]})
    rows = table(("CPTS Nice Nord", "06088", "Nice Nord"), ("CPTS Nice Est", "06088", ""))
    result, messages = run(existing_cpts_from_frame, rows, nice, allow_shared=True)
    assert result["part"].tolist() == [0.5, 0.5]
    assert len(messages) == 1 and "ligne 2" in messages[0] and "ignorée" in messages[0]


@requires_shared
def test_real_population_table_gives_the_arrondissements_that_add_up_to_the_city():
    from territoires.io.cog import ARRONDISSEMENTS
    from territoires.io.populations import populations_from_csv

    path = SHARED_DATA / "population" / "communes_cog2026_france.csv"
    # What `territoires cpts` reads to weigh the arrondissements, the cities being read whole.
    with pytest.warns(TerritoiresWarning, match="6 commune"):  # TAAF and Clipperton have no population
        table = populations_from_csv(path)
    by_arrondissement = table.attrs["populations_arrondissements"]
    table = table.set_index("code_commune")
    raw = pd.read_csv(path, dtype={"code_insee": str}).set_index("code_insee")
    for city, n in (("13055", 16), ("69123", 9), ("75056", 20)):
        arr = [a for a, c in ARRONDISSEMENTS.items() if c == city]
        assert len(arr) == n and not table.index.isin(arr).any()
        # Independent count: the city's own row of the file, and the rows of its arrondissements.
        assert sum(by_arrondissement[a] for a in arr) == table.loc[city, "population"]
        assert sum(by_arrondissement[a] for a in arr) == raw.loc[raw["type"] == "commune-actuelle", "population"][city]
        assert by_arrondissement[arr[0]] == raw.loc[arr[0], "population"]


def test_cpts_command_weighs_existing_cpts_by_the_inhabitants_of_the_population_file(tmp_path, make_grid):
    from click.testing import CliRunner

    from territoires.cli import cli

    grid = make_grid([1.0, 1.0], origin=(893_000.0, 6_245_000.0), size=5000.0)
    grid["code_commune"] = ["13055", "13005"]
    grid.to_file(tmp_path / "communes.gpkg")
    pops = pd.DataFrame({"code_commune": ["13055", *ARR, "13005"], "population": [CITY, *POPS.values(), 47_000]})
    pops.to_csv(tmp_path / "populations.csv", sep=";", index=False)
    # 13203 to 13210: 8 of 16 arrondissements (50 % by count) but 466,000 of 874,000 inhabitants (53 %).
    table(("CPTS Nord", "13055", "|".join(ARR[2:10])), ("CPTS Aubagne", "13005", "")).to_csv(
        tmp_path / "cpts.csv", index=False
    )
    args = ["cpts", "--communes", str(tmp_path / "communes.gpkg"), "--population", str(tmp_path / "populations.csv"),
            "--existing-cpts", str(tmp_path / "cpts.csv"), "-o", str(tmp_path / "out")]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "13055 dans 'CPTS Nord' (53\u00a0%)" in result.output
    communes = pd.read_csv(tmp_path / "out" / "cpts.csv", sep=";", encoding="utf-8-sig", dtype=str)
    assert communes.set_index("code_commune")["cpts_nom"].to_dict() == {"13055": "CPTS Nord", "13005": "CPTS Aubagne"}


def test_rows_of_a_city_outside_the_territory_are_reported_absent_without_reading_their_cell():
    aubagne = COMMUNE_LEVEL.loc[COMMUNE_LEVEL["code_commune"] == "13005"]
    rows = table(("CPTS Centre", "13055", "13201|17e"), ("CPTS Aubagne", "13005", ""))
    result, messages = run(existing_cpts_from_frame, rows, aubagne)
    assert result["code_commune"].tolist() == ["13005"]
    assert [(r["ligne"], r["motif"]) for r in result.attrs["left_out"]] == [
        (2, "commune absente du territoire étudié (13055)")
    ]
    assert len(messages) == 1 and "absente(s) du territoire étudié" in messages[0]
