"""One supply rule (activity, else FTE, else head count × 5,400) feeds the APL, the CPTS flows and their figures."""

import numpy as np
import pandas as pd
import pytest

from territoires.analysis.apl import APLParameters, commune_supply, compute_apl
from territoires.analysis.catchments import gravity_matrix
from territoires.demo.generate import demo_paths
from territoires.pipeline import DiagnosticInputs, run_catchments


def test_commune_supply_applies_activity_then_fte_then_head_count():
    frame = pd.DataFrame(
        {
            "code_commune": ["a", "a", "a", "b", "c"],
            "activite": [2000.0, np.nan, np.nan, 7000.0, np.nan],
            "etp": [np.nan, 0.5, np.nan, 1.0, np.nan],
            "nombre": [1.0, 1.0, 1.0, 1.0, 0.5],
        }
    )
    out = commune_supply(pd.Index(["a", "b", "c"]), frame, APLParameters())
    # a: 2,000 → 3,600 (DREES floor band) + 0.5 FTE × 5,400 + 1 head × 5,400 = 11,700; b: 7,000 capped at 6,000;
    # c: half a person (shared between two sites) × 5,400.
    assert out["offre_consultations"].tolist() == [11_700.0, 6_000.0, 2_700.0]
    assert out["etp"].tolist() == pytest.approx([11_700 / 5400, 6_000 / 5400, 0.5])
    assert out["praticiens"].tolist() == [3.0, 1.0, 0.5]
    assert out.attrs["method"] == {"activite": 2, "effectif": 2, "etp": 1}


@pytest.fixture(scope="module")
def rpps_catchments():
    p = demo_paths()
    with pytest.warns(Warning):  # 2 RPPS rows with a foreign address are left out, and said so
        return run_catchments(
            DiagnosticInputs(communes=p["communes"], population=p["population"], practitioners=p["rpps"])
        )


def test_rpps_input_drives_the_gravity_flows_with_the_practitioners_supply(rpps_catchments):
    communes = rpps_catchments.communes.set_index("code_commune")
    # The Annuaire Santé extraction has no activity nor FTE: 8 GP activity rows in 96322 (counted by hand in
    # PS_LibreAcces_Personne_activite_demo.txt: Code profession 10, SM54, Code commune 96322) → 8 × 5,400.
    assert communes.loc["96322", "praticiens"] == 8
    assert communes.loc["96322", "offre_consultations"] == 8 * 5400
    assert communes.loc["96322", "etp"] == 8.0
    # The flows are estimated on that supply, not on the population ("sans offre connue" fallback).
    assert rpps_catchments.metadata["cpts"]["flux"] == "estimés (modèle gravitaire)"
    # The catchment figures carry the same supply: 60 GPs, 60 FTE equivalents.
    assert rpps_catchments.catchments["praticiens"].sum() == pytest.approx(60)
    assert rpps_catchments.catchments["etp"].sum() == pytest.approx(60)
    assert "Flux de recours : estimés (modèle gravitaire)" in rpps_catchments.summary()


def test_gravity_supply_is_the_apl_supply_in_fte():
    # Three communes on a line, 1 km apart; only the middle one has supply. Everyone goes to it.
    import geopandas as gpd
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame(
        {"code_commune": ["a", "b", "c"], "population": [100.0, 200.0, 300.0], "population_standardisee": [100.0] * 3},
        geometry=[box(i * 1000, 0, i * 1000 + 1000, 1000) for i in range(3)],
        crs=2154,
    )
    frame = pd.DataFrame({"code_commune": ["b", "b"], "activite": [np.nan, np.nan], "etp": [np.nan, np.nan]})
    apl = compute_apl(gdf, frame)
    assert apl["etp"].tolist() == [0.0, 2.0, 0.0]
    coo = gravity_matrix(apl, supply=apl["etp"].to_numpy(), population=gdf["population"].to_numpy(),
                         max_minutes=30.0, decay_minutes=10.0)  # fmt: skip
    flows = pd.Series(coo.data, index=pd.MultiIndex.from_arrays([coo.row, coo.col])).groupby(level=1).sum()
    assert flows.to_dict() == pytest.approx({1: 600.0})
