"""Combined difficulty indicator and CPTS ↔ hospital links on a hand-checked grid."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from test_nearest import destinations, line_of_communes

from territoires import ParameterError, TerritoiresWarning
from territoires.analysis.catchment_facilities import catchment_facility_access
from territoires.analysis.combined import DifficultyThresholds, combined_difficulties
from territoires.analysis.nearest import facilities_within, nearest_facility


@pytest.fixture
def grid():
    """Six communes 10 km apart (x = 0 … 50 km), emergency at x = 0, pharmacies at x = 20 and 50 (1.3 min/km).

    urgences:  0, 13, 26, 39, 52, 65 min     (> 30: x = 30, 40, 50)
    pharmacie: 26, 13, 0, 13, 13, 0 min      (> 10: x = 0, 10, 30, 40)
    APL:       3, 2, 3, 2, 3, 1              (< 2.5: x = 10, 30, 50)
    population 1000, 200, 3000, 400, 50, 7   (total 4,657)
    """
    communes = line_of_communes()
    communes["apl"] = [3.0, 2.0, 3.0, 2.0, 3.0, 1.0]
    dest = destinations(
        [("urgences", "CH", "01001", 0), ("pharmacie", "P1", "01003", 20), ("pharmacie", "P2", "01006", 50),
         ("hopital", "CH", "01001", 0)]
    )  # fmt: skip
    return nearest_facility(communes, dest), dest


def test_combined_indicator_hand_checked(grid):
    communes, _ = grid
    result = combined_difficulties(communes)
    assert result.communes["difficultes"].tolist() == [
        "pharmacie loin",
        "APL faible + pharmacie loin",
        "aucune",
        "APL faible + urgences loin + pharmacie loin",
        "urgences loin + pharmacie loin",
        "APL faible + urgences loin",
    ]
    assert result.communes["nb_difficultes"].tolist() == [1, 2, 0, 3, 2, 2]
    table = result.combinations.set_index("combinaison")
    assert len(table) == 8  # every combination of three difficulties, even the empty ones
    assert table.loc["aucune", "population"] == 3000
    assert table.loc["APL faible", "population"] == 0
    assert table.loc["APL faible + urgences loin + pharmacie loin", "population"] == 400
    assert table.loc["APL faible + urgences loin + pharmacie loin", "part"] == pytest.approx(400 / 4657)
    assert table["population"].sum() == 4657  # every inhabitant in exactly one combination
    by = result.by_difficulty.set_index("difficulte")
    assert by["population"].to_dict() == {"apl": 607.0, "urgences": 457.0, "pharmacie": 1650.0}
    assert by["seuil"].to_dict() == {"apl": 2.5, "urgences": 30.0, "pharmacie": 10.0}


def test_thresholds_are_settable_and_beyond_reach_counts_as_beyond(grid):
    communes, dest = grid
    result = combined_difficulties(
        communes, thresholds=DifficultyThresholds(apl=None, minutes=(("urgences", 40.0), ("pharmacie", 15.0)))
    )
    # urgences > 40: x = 40, 50; pharmacie > 15: x = 0 only.
    assert result.by_difficulty.set_index("difficulte")["population"].to_dict() == {
        "urgences": 57.0,
        "pharmacie": 1000.0,
    }
    capped = nearest_facility(communes.drop(columns=[c for c in communes if c.startswith(("minutes_", "plus_"))]),
                              dest, max_minutes=60)  # fmt: skip
    assert np.isnan(capped["minutes_urgences"].iloc[5])
    assert combined_difficulties(capped).communes["difficulte_urgences"].iloc[5]


def test_missing_columns_are_not_assessed_and_said_so():
    frame = pd.DataFrame({"population": [10.0], "apl": [1.0]})
    with pytest.warns(TerritoiresWarning, match="minutes_urgences, minutes_pharmacie absente"):
        result = combined_difficulties(frame)
    assert result.assessed == ("apl",)
    assert result.combinations["population"].tolist() == [0.0, 10.0]
    with pytest.raises(ParameterError, match="seuils de difficulté invalides"):
        DifficultyThresholds(minutes=(("urgences", 0.0),))


def test_catchment_hospital_links(grid):
    communes, dest = grid
    communes["cpts_id"] = ["A", "A", "A", "B", "B", "B"]
    catchments = pd.DataFrame({"cpts_id": ["A", "B"], "nom": ["CPTS A", "CPTS B"]})
    pairs = facilities_within(communes, dest, max_minutes=30)
    out = catchment_facility_access(catchments, communes, dest, pairs, threshold=30)
    assert out["nb_hopital_a_portee"].tolist() == [1, 0]
    assert out["hopital_a_portee"].tolist() == ["CH (01001)", "aucun"]
    assert out["hopital_plus_proche"].tolist() == ["CH (01001)", "CH (01001)"]  # nearest even beyond 30 min
    assert out["part_pop_hopital_au_dela"].tolist() == pytest.approx([0.0, 1.0])
    assert out["part_pop_urgences_au_dela"].tolist() == pytest.approx([0.0, 1.0])
    # A commune split between two catchments (IRIS) counts half in each.
    communes.loc[2, "cpts_id"] = "A, B"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = catchment_facility_access(catchments, communes, dest, pairs, threshold=20)
    # threshold 20: A = x0 (0), x10 (13), half of x20 (26 > 20) → 1500/4200 beyond... A pop = 1000 + 200 + 1500.
    assert out["part_pop_hopital_au_dela"].tolist() == pytest.approx([1500 / 2700, 1.0])
    assert out["nb_hopital_a_portee"].tolist() == [1, 0]
