"""Comparison of partitions into CPTS territories: hand-computed Jaccard and ARI, agreement with scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from territoires import InputError, adjusted_rand_index, compare_catchments

# Six communes A-F of 10, 20, ..., 60 inhabitants (210 in all).
POP = pd.Series([10.0, 20.0, 30.0, 40.0, 50.0, 60.0], index=list("ABCDEF"))
REFERENCE = pd.DataFrame({"code_commune": list("ABCDEF"), "cpts_id": ["R1"] * 3 + ["R2"] * 3})
PROPOSAL = pd.DataFrame({"code_commune": list("ABCDEF"), "cpts_id": ["P1"] * 2 + ["P2"] * 4})


def test_six_communes_hand_computed():
    result = compare_catchments(PROPOSAL, REFERENCE, population=POP)
    t = result.territories.set_index("cpts_id")
    # R1 = {A, B, C} (60 inh.): with P1 = {A, B} 30 / 60 = 0.5, with P2 = {C, D, E, F} 30 / 210: best P1.
    assert t.loc["R1", "meilleur_territoire"] == "P1"
    assert t.loc["R1", "jaccard"] == pytest.approx(0.5)
    # R2 = {D, E, F} (150 inh.) inside P2 (180 inh.): 150 / 180.
    assert t.loc["R2", "meilleur_territoire"] == "P2"
    assert t.loc["R2", "jaccard"] == pytest.approx(150 / 180)
    # Weighted by population: (60 × 0.5 + 150 × 5/6) / 210 = 155 / 210.
    assert result.summary["jaccard_pondere"] == pytest.approx(155 / 210)
    # Contingency [[2, 1], [0, 3]]: index 4, expected 6 × 7 / 15 = 2.8, maximum 6.5: ARI = 1.2 / 3.7.
    assert result.summary["ari"] == pytest.approx(1.2 / 3.7)
    assert result.summary["ari"] == pytest.approx(adjusted_rand_score(REFERENCE["cpts_id"], PROPOSAL["cpts_id"]))
    # C is the one commune outside its reference's best match.
    assert result.summary["communes_differentes"] == 1
    assert result.summary["population_differente"] == 30
    assert t.loc["R1", "communes_differentes"] == 1 and t.loc["R2", "communes_differentes"] == 0
    assert result.communes.loc[~result.communes["concordante"], "code_commune"].tolist() == ["C"]


def test_population_ari_matches_sklearn_on_inhabitants_repeated():
    # Counting inhabitants is counting each one as an item: replicate each commune by its population.
    result = compare_catchments(PROPOSAL, REFERENCE, population=POP)
    reps = POP.astype(int).to_numpy()
    expected = adjusted_rand_score(np.repeat(REFERENCE["cpts_id"], reps), np.repeat(PROPOSAL["cpts_id"], reps))
    assert result.summary["ari_population"] == pytest.approx(expected)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ari_matches_sklearn_on_random_partitions(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 7, 300), rng.integers(0, 5, 300)
    table = pd.crosstab(a, b).to_numpy()
    assert adjusted_rand_index(table) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)


def test_identical_partitions_score_one_and_comparison_is_between_proposals_too():
    result = compare_catchments(PROPOSAL, PROPOSAL.assign(cpts_id=PROPOSAL["cpts_id"] + "bis"), population=POP)
    assert result.summary["jaccard_pondere"] == pytest.approx(1.0)
    assert result.summary["ari"] == pytest.approx(1.0)
    assert result.summary["communes_differentes"] == 0


def test_shared_commune_counts_for_its_share_and_split_city_ids():
    # F (60 inh.) shared by R2 and R3: 30 each. The proposal splits F too ("P2, P3", as after an IRIS split).
    reference = pd.concat([REFERENCE, pd.DataFrame({"code_commune": ["F"], "cpts_id": ["R3"]})], ignore_index=True)
    proposal = PROPOSAL.assign(cpts_id=["P1", "P1", "P2", "P2", "P2", "P2, P3"])
    result = compare_catchments(proposal, reference, population=POP)
    t = result.territories.set_index("cpts_id")
    assert t.loc["R2", "population"] == pytest.approx(40 + 50 + 30)
    assert t.loc["R3", "population"] == pytest.approx(30)
    # R3 = half of F (30 inh.); shares multiply: F × R3 × P3 = 15 inh., P3 = 30 inh.: 15 / (30 + 30 - 15).
    assert t.loc["R3", "meilleur_territoire"] == "P3"
    assert t.loc["R3", "jaccard"] == pytest.approx(15 / 45)
    assert result.summary["population_comparee"] == pytest.approx(210)


def test_only_common_communes_are_compared():
    reference = REFERENCE.iloc[:5]  # F outside any reference territory
    result = compare_catchments(PROPOSAL, reference, population=POP)
    assert result.summary["communes_comparees"] == 5
    assert result.summary["communes_hors_reference"] == 1
    # P2 restricted to the compared communes: C, D, E (120 inh.); R2 = D, E (90): 90 / 120.
    assert result.territories.set_index("cpts_id").loc["R2", "jaccard"] == pytest.approx(90 / 120)


def test_bad_inputs_raise_input_error():
    with pytest.raises(InputError, match="cpts_id"):
        compare_catchments(PROPOSAL.drop(columns="cpts_id"), REFERENCE, population=POP)
    with pytest.raises(InputError, match="aucune commune commune"):
        compare_catchments(PROPOSAL.assign(code_commune=list("UVWXYZ")), REFERENCE, population=POP)
    with pytest.raises(InputError, match="population"):
        compare_catchments(PROPOSAL, REFERENCE)
