import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from territoires import InputError
from territoires.analysis.apl import APLParameters, compute_apl, describe_supply, practitioner_supply
from territoires.analysis.tiers import aggregate_apl, classify_access, population_by_tier


@pytest.fixture
def three_communes():
    return gpd.GeoDataFrame(
        {
            "code_commune": ["01001", "01002", "01003"],
            "nom": ["A", "B", "C"],
            "departement": ["01", "01", "01"],
            "population": [1000.0, 2000.0, 500.0],
            "population_standardisee": [1000.0, 2000.0, 500.0],
        },
        geometry=[box(0, 0, 1000, 1000), box(20_000, 0, 21_000, 1000), box(40_000, 0, 41_000, 1000)],
        crs="EPSG:2154",
    )


def practitioners(rows):
    frame = pd.DataFrame(rows, columns=["code_commune", "activite", "etp", "age", "nombre"])
    frame["profession"] = "medecin_generaliste"
    return gpd.GeoDataFrame(frame, geometry=[Point(0, 0)] * len(frame), crs="EPSG:2154")


def travel_matrix():
    pairs = [
        ("01001", "01001", 0), ("01002", "01002", 0), ("01003", "01003", 0),
        ("01001", "01002", 12), ("01002", "01001", 12), ("01002", "01003", 18), ("01003", "01002", 18),
    ]  # fmt: skip
    return pd.DataFrame(pairs, columns=["origin", "destination", "minutes"])


def test_supply_follows_the_drees_caps():
    frame = pd.DataFrame(
        {"activite": [100, 250, 3000, 4500, 9000, np.nan, np.nan], "etp": [np.nan] * 5 + [0.5, np.nan],
         "nombre": [1, 1, 1, 1, 1, 1, 2]}
    )  # fmt: skip
    supply, method = practitioner_supply(frame, APLParameters())
    assert supply.tolist() == [0, 3600, 3600, 4500, 6000, 2700, 10800]
    assert method.tolist() == ["activite"] * 5 + ["etp", "effectif"]


def test_apl_hand_computed_with_a_travel_matrix(three_communes):
    # B: two GPs (4,500 and 2,700 consultations → 4,500 + 3,600 = 8,100... capped as DREES); C: FTE 0.5 → 2,700.
    pr = practitioners([("01002", 4500, np.nan, 50, 1), ("01002", 2700, np.nan, 60, 1), ("01003", np.nan, 0.5, 40, 1)])
    out = compute_apl(three_communes, pr, travel_times=travel_matrix())
    s_b, s_c = 4500 + 3600, 2700
    r_b = s_b / (2 / 3 * 1000 + 2000 + 1 / 3 * 500)
    r_c = s_c / (1 / 3 * 2000 + 500)
    assert out["apl"].tolist() == pytest.approx([2 / 3 * r_b, r_b + r_c / 3, r_b / 3 + r_c])
    assert out["offre_consultations"].tolist() == [0, s_b, s_c]
    assert out["praticiens"].tolist() == [0, 2, 1]
    assert out["minutes_praticien_proche"].tolist() == [12, 0, 0]
    assert out["niveau_acces"].tolist() == classify_access(out["apl"]).tolist()
    assert "activité plafonnée (règles DREES) : 2" in describe_supply(pr)
    assert "ETP × 5\u202f400 consultations : 1" in describe_supply(pr)
    assert "apl" not in three_communes.columns  # the input is not modified


def test_max_age_removes_older_practitioners(three_communes):
    pr = practitioners([("01002", 4500, np.nan, 50, 1), ("01002", 5000, np.nan, 67, 1)])
    all_ages = compute_apl(three_communes, pr, travel_times=travel_matrix())
    young = compute_apl(three_communes, pr, travel_times=travel_matrix(), params=APLParameters(max_age=65))
    assert young["offre_consultations"].tolist() == [0, 4500, 0]
    assert young["apl"].iat[1] == pytest.approx(all_ages["apl"].iat[1] * 4500 / 9500)


def test_max_age_without_ages_is_a_clear_error(three_communes):
    pr = practitioners([("01002", 4500, np.nan, np.nan, 1)])
    with pytest.raises(InputError, match="l'âge des praticiens est inconnu"):
        compute_apl(three_communes, pr, params=APLParameters(max_age=65))


def test_straight_line_default_reaches_itself_only_when_far(three_communes):
    pr = practitioners([("01002", 5400, np.nan, 50, 1)])
    out = compute_apl(three_communes, pr)  # 20 km apart × 1.3 / 60 km/h = 26 min: out of reach
    assert out["apl"].tolist() == pytest.approx([0, 5400 / 2000, 0])
    assert out["minutes_praticien_proche"].iat[0] == pytest.approx(26.0)


def test_aggregation_weights_by_standardised_population_and_counts_plain_people():
    communes = pd.DataFrame(
        {"dep": ["01", "01", "02"], "apl": [1.0, 4.0, 3.0], "population": [100, 300, 50],
         "population_standardisee": [200, 200, 50]}
    )  # fmt: skip
    agg = aggregate_apl(communes, "dep")
    assert agg.loc["01", "apl"] == pytest.approx((1 * 200 + 4 * 200) / 400)
    assert agg.loc["01", "population_sous_seuil"] == 100
    assert agg.loc["01", "part_sous_seuil"] == pytest.approx(0.25)
    tiers = population_by_tier(communes.assign(niveau_acces=classify_access(communes["apl"])))
    assert tiers.set_index("niveau_acces")["population"].to_dict() == {"ZIP": 100, "ZAC": 50, "HZ": 300}


def test_other_professions_count_fte_per_100000(three_communes):
    pr = practitioners([("01002", np.nan, 0.8, 40, 1), ("01002", np.nan, np.nan, 40, 1)])
    pr["profession"] = "infirmier"
    out = compute_apl(three_communes, pr, params=APLParameters.for_profession("infirmier"))
    # Supply: 0.8 FTE + 1 head (FTE unknown) = 1.8, reached only by B's 2,000 inhabitants (others > 20 min).
    assert out["apl"].tolist() == pytest.approx([0, 1.8 / 2000 * 100_000, 0])
    assert out["niveau_acces"].isna().all()
