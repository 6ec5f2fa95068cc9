"""CPTS catchments on hand-made grids where the right answer is known."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _grid import assert_contiguous
from _grid import square_grid as grid
from shapely.geometry import box

from territoires._errors import InputError, ParameterError, TerritoiresWarning
from territoires.analysis.catchments import (
    ALERT_ABOVE_CEILING,
    ALERT_BLOCKED,
    ALERT_ENCLAVED,
    ALERT_ISOLATED,
    CatchmentParameters,
    contiguity,
    gravity_flows,
    mesh_catchments,
)


def flows_between(pairs: dict[tuple[int, int], float], codes) -> pd.DataFrame:
    rows = [(codes[a], codes[b], f) for (a, b), f in pairs.items()]
    return pd.DataFrame(rows, columns=["origin", "destination", "flux"])


def groups_of(result) -> list[set[str]]:
    c = result.communes
    return sorted((set(g["code_commune"]) for _, g in c.groupby("cpts_id")), key=min)


def test_strip_follows_the_flows():
    # Four communes of 8,000 in a row; patients of 1 go to 2 and of 3 go to 4 (indices 0..3). With a floor of
    # 12,000 and a ceiling of 20,000 the only valid meshes pair neighbours: the flows choose {1,2} and {3,4}.
    g = grid([8000, 8000, 8000, 8000])
    codes = g["code_commune"].tolist()
    f = flows_between({(0, 0): 3000, (0, 1): 5000, (1, 1): 8000, (2, 3): 5000, (2, 2): 3000, (3, 3): 8000}, codes)
    params = CatchmentParameters(min_population=12_000, max_population=20_000, target_population=None)
    r = mesh_catchments(g, params=params, flows=f)
    assert groups_of(r) == [{"01001", "01002"}, {"01003", "01004"}]
    k = r.catchments.set_index("nom")
    # Named after the main commune (largest supply, here none, then population, then code).
    assert set(k.index) == {"C1", "C3"}
    # Self-containment: all 16,000 patients' flows of {1,2} stay inside.
    assert k["autonomie"].tolist() == [1.0, 1.0]
    assert k["population"].tolist() == [16000, 16000]
    assert (k["alerte"] == "").all()
    assert r.summary["coverage_before"] == 0.0
    assert r.summary["coverage_after"] == 1.0
    # Compactness of a 2 km × 1 km rectangle: 4π·2 / 6² = 0.698.
    assert k["compacite"].to_numpy() == pytest.approx(4 * np.pi * 2e6 / 6000**2)

    # The gravity model's settings only estimate flows: with flows given, changing them is said to have no effect.
    decay = CatchmentParameters(
        min_population=12_000, max_population=20_000, target_population=None, gravity_decay_minutes=3.0
    )
    with pytest.warns(TerritoiresWarning, match=r"flux sont fournis.*\(décroissance 3 min\).*sans effet"):
        same = mesh_catchments(g, params=decay, flows=f)
    assert groups_of(same) == groups_of(r)


def test_two_poles_split_a_band_between_them():
    # A 6 × 2 band; doctors in columns 1 and 6 only. Gravity flows draw the west to pole A and the east to pole B.
    pops = [5000, 2000, 1500, 1500, 2000, 5000] * 2
    g = grid(pops, ny=2)
    g["praticiens"] = [4, 0, 0, 0, 0, 4] * 2
    params = CatchmentParameters(min_population=12_000, max_population=20_000, target_population=None)
    r = mesh_catchments(g, params=params)
    west = {f"01{i:03d}" for i in (1, 2, 3, 7, 8, 9)}
    east = {f"01{i:03d}" for i in (4, 5, 6, 10, 11, 12)}
    assert groups_of(r) == [west, east]
    assert r.catchments["population"].tolist() == [17000, 17000]
    assert r.summary["flux"].startswith("estimés")
    assert_contiguous(r)


def test_gravity_flows_by_hand():
    # Two communes 1 km apart: straight-line time = 1 km × 1.3 / 60 km/h = 1.3 min. Supplies 1 and 3.
    g = grid([100.0, 50.0])
    f = gravity_flows(g, supply=np.array([1.0, 3.0]), max_minutes=30, decay_minutes=10).set_index(
        ["origin", "destination"]
    )["flux"]
    w_far = 3 * np.exp(-1.3 / 10)
    assert f[("01001", "01002")] == pytest.approx(100 * w_far / (1 + w_far))
    assert f[("01001", "01001")] == pytest.approx(100 * 1 / (1 + w_far))
    w_back = 1 * np.exp(-1.3 / 10)
    assert f[("01002", "01001")] == pytest.approx(50 * w_back / (w_back + 3))
    assert f.groupby(level=0).sum().tolist() == pytest.approx([100, 50])


def test_ceiling_blocks_the_last_commune_and_it_is_flagged():
    g = grid([10000, 10000, 10000])
    codes = g["code_commune"].tolist()
    f = flows_between({(0, 1): 6000, (1, 0): 6000, (2, 2): 10000, (0, 0): 4000, (1, 1): 4000}, codes)
    params = CatchmentParameters(min_population=12_000, max_population=25_000, target_population=None)
    r = mesh_catchments(g, params=params, flows=f)
    assert groups_of(r) == [{"01001", "01002"}, {"01003"}]
    k = r.catchments.set_index("commune_principale")
    assert k.loc["01003", "alerte"] == ALERT_BLOCKED
    assert k.loc["01001", "alerte"] == ""
    assert r.summary["n_flagged"] == 1
    # Coverage after counts only catchments that meet the floor: 20,000 of 30,000.
    assert r.summary["coverage_after"] == pytest.approx(2 / 3)


def test_island_is_joined_to_its_nearest_neighbour():
    # Strip of three communes plus an island of 1,000 inhabitants 5 km east of the last one.
    island = gpd.GeoDataFrame(
        {"code_commune": ["01099"], "nom": ["Île"], "population": [1000]}, geometry=[box(8000, 0, 9000, 1000)], crs=2154
    )
    g = grid([7000, 7000, 7000], extra=island)
    params = CatchmentParameters(min_population=12_000, max_population=30_000, target_population=None)
    r = mesh_catchments(g, params=params)
    links = r.summary["iles_rattachees"]
    assert links == [{"commune": "01099", "rattachee_a": "01003", "distance_m": 5000.0}]
    c = r.communes.set_index("code_commune")["cpts_id"]
    assert c["01099"] == c["01003"]
    assert r.catchments["population"].sum() == 22000


def test_small_isolated_island_is_flagged_when_it_cannot_be_joined():
    # Communes kept inside their département: the island is the only commune of département 02.
    island = gpd.GeoDataFrame(
        {"code_commune": ["02001"], "nom": ["Île"], "population": [1000]}, geometry=[box(8000, 0, 9000, 1000)], crs=2154
    )
    g = grid([7000, 7000], extra=island)
    params = CatchmentParameters(
        min_population=12_000, max_population=30_000, target_population=None, within="departement"
    )
    r = mesh_catchments(g, params=params)
    k = r.catchments.set_index("commune_principale")
    assert k.loc["02001", "alerte"] == ALERT_ISOLATED
    assert k.loc["01001", "population"] == 14000
    assert r.summary["iles_rattachees"] == []


def test_existing_cpts_is_kept_and_the_rest_meshed():
    # 4 × 2 grid of 4,000 inhabitants; an existing CPTS holds the western 2 × 2 block.
    g = grid([4000] * 8, ny=2)
    existing = pd.DataFrame(
        {"code_commune": ["01001", "01002", "01005", "01006"], "cpts_id": "X1", "cpts_nom": "CPTS de l'Ouest"}
    )
    params = CatchmentParameters(min_population=12_000, max_population=30_000, target_population=None)
    r = mesh_catchments(g, params=params, existing=existing)
    assert groups_of(r) == [{"01001", "01002", "01005", "01006"}, {"01003", "01004", "01007", "01008"}]
    k = r.catchments.set_index("cpts_id")
    assert k.loc["X1", "statut"] == "existante"
    assert k.loc["X1", "nom"] == "CPTS de l'Ouest"
    assert k.loc["P001", "statut"] == "proposée"
    assert r.summary["coverage_before"] == 0.5
    assert r.summary["coverage_after"] == 1.0
    assert r.communes.set_index("code_commune").loc["01001", "cpts_statut"] == "existante"


def test_commune_enclosed_by_existing_cpts_is_flagged():
    # 3 × 3 grid; the centre commune (5) is not in the existing CPTS that surrounds it.
    g = grid([2000] * 9, ny=3)
    ring = [c for c in g["code_commune"] if c != "01005"]
    existing = pd.DataFrame({"code_commune": ring, "cpts_id": "X", "cpts_nom": "Anneau"})
    params = CatchmentParameters(min_population=12_000, max_population=30_000, target_population=None)
    r = mesh_catchments(g, params=params, existing=existing)
    k = r.catchments.set_index("commune_principale")
    assert k.loc["01005", "alerte"] == ALERT_ENCLAVED
    assert r.summary["coverage_before"] == pytest.approx(8 / 9)


def test_city_above_the_ceiling_is_its_own_flagged_catchment():
    g = grid([6000, 200_000, 6000, 6000, 6000])
    params = CatchmentParameters(target_population=None)
    with pytest.warns(TerritoiresWarning, match="au moins 2, 2 à 82"):
        r = mesh_catchments(g, params=params)
    k = r.catchments.set_index("commune_principale")
    assert k.loc["01002", "alerte"] == ALERT_ABOVE_CEILING
    # 200,000 inhabitants: ceil(200,000 / 152,000) = 2 territories under the ceiling, round(200,000 / 82,000) = 2.
    assert k.loc["01002", "territoires_necessaires_min"] == 2
    assert k.loc["01002", "territoires_necessaires_cible"] == 2
    assert r.summary["villes_a_decouper"] == [{"commune": "C2", "population": 200_000, "minimum": 2, "cible": 2}]
    assert k.loc["01002", "nb_communes"] == 1
    assert k.loc["01002", "classe_taille"] == 4
    # The commune west of the city can only join the city: it stays alone, enclosed by it.
    assert k.loc["01001", "alerte"] == ALERT_ENCLAVED
    assert groups_of(r)[-1] == {"01003", "01004", "01005"}


def test_targets_number_of_catchments_and_departement_borders():
    # Two départements of 8 communes (4 × 2) of 5,000 inhabitants each.
    west = grid([5000] * 8, ny=2)
    east = grid([5000] * 8, ny=2, prefix="02").assign(geometry=lambda d: d.translate(4000, 0))
    g = pd.concat([west, east], ignore_index=True)
    r = mesh_catchments(g, params=CatchmentParameters(min_population=10_000, per_departement=2))
    deps = r.communes.groupby("cpts_id")["code_commune"].agg(lambda s: set(s.str[:2]))
    assert all(len(d) == 1 for d in deps)
    assert r.communes.groupby(r.communes["code_commune"].str[:2])["cpts_id"].nunique().tolist() == [2, 2]
    r = mesh_catchments(g, params=CatchmentParameters(min_population=10_000, n_catchments=3))
    assert r.summary["n_proposed"] == 3
    assert_contiguous(r)
    # Default target: 80,000 inhabitants / 82,000 → one catchment.
    r = mesh_catchments(g, params=CatchmentParameters())
    assert r.summary["n_proposed"] == 1
    assert r.catchments["alerte"].tolist() == [""]


def test_same_seed_same_result_and_bounds_on_a_random_grid():
    rng = np.random.default_rng(7)
    pops = rng.lognormal(7, 1.2, 400).round()
    g = grid(pops, ny=20)
    g["praticiens"] = rng.poisson(pops / 1500)
    params = CatchmentParameters(min_population=12_000, max_population=60_000, target_population=30_000, seed=3)
    a = mesh_catchments(g, params=params)
    b = mesh_catchments(g, params=params)
    assert a.communes["cpts_id"].tolist() == b.communes["cpts_id"].tolist()
    assert_contiguous(a)
    ok = a.catchments["alerte"] == ""
    assert a.catchments.loc[ok, "population"].between(12_000, 60_000).all()
    assert a.catchments["population"].sum() == pytest.approx(pops.sum(), abs=len(a.catchments))
    assert len(a.communes) == 400 and a.communes["cpts_id"].notna().all()


def test_bad_parameters_and_inputs():
    with pytest.raises(ParameterError, match="plancher"):
        CatchmentParameters(min_population=20_000, max_population=10_000)
    g = grid([5000, 5000])
    with pytest.raises(InputError, match="métrique"):
        mesh_catchments(g.to_crs(4326))
    existing = pd.DataFrame({"code_commune": ["01001", "01001"], "cpts_id": ["A", "B"], "cpts_nom": ["A", "B"]})
    with pytest.raises(InputError, match="plusieurs CPTS"):
        mesh_catchments(g, existing=existing)
    with pytest.raises(InputError, match="epci"):
        mesh_catchments(g, params=CatchmentParameters(within="epci"))


def city_with_iris():
    """A 4 × 4 km square: a city of 200,000 (the centre 2 × 2 km, 4 IRIS of 50,000) in a ring of 12 communes."""
    ring = [(x, y) for y in range(4) for x in range(4) if not (1 <= x <= 2 and 1 <= y <= 2)]
    communes = gpd.GeoDataFrame(
        {
            "code_commune": [f"01{i + 1:03d}" for i in range(12)] + ["01100"],
            "nom": [f"C{i + 1}" for i in range(12)] + ["Grande-Ville"],
            "population": [5000] * 12 + [200_000],
        },
        geometry=[box(x * 1000, y * 1000, (x + 1) * 1000, (y + 1) * 1000) for x, y in ring]
        + [box(1000, 1000, 3000, 3000)],
        crs=2154,
    )
    # IRIS populations of another year (4 × 48,000 = 192,000): shared so that the city keeps 200,000.
    iris = gpd.GeoDataFrame(
        {
            "code_unite": [f"01100000{i}" for i in range(1, 5)],
            "code_commune": "01100",
            "nom_unite": ["Nord-Ouest", "Nord-Est", "Sud-Ouest", "Sud-Est"],
            "population": [48_000] * 4,
        },
        geometry=[
            box(1000, 2000, 2000, 3000),
            box(2000, 2000, 3000, 3000),
            box(1000, 1000, 2000, 2000),
            box(2000, 1000, 3000, 2000),
        ],  # fmt: skip
        crs=2154,
    )
    return communes, iris


def test_city_above_the_ceiling_split_into_its_iris():
    communes, iris = city_with_iris()
    params = CatchmentParameters(target_population=None)
    with pytest.warns(TerritoiresWarning, match="territoires nécessaires"):
        whole = mesh_catchments(communes, params=params)
    assert (whole.catchments["alerte"] == ALERT_ABOVE_CEILING).sum() == 1
    r = mesh_catchments(communes, params=params, infra=iris)
    k = r.catchments
    assert (k["alerte"] == "").all()
    assert k["population"].between(12_000, 152_000).all()
    assert k["population"].sum() == 260_000
    # 200,000 cannot fit under 152,000: the four IRIS (50,000 each after scaling) end in at least two catchments.
    units = r.units.set_index("code_commune")
    assert len(units) == 16
    assert units.loc[iris["code_unite"], "population"].tolist() == [50_000.0] * 4
    assert units.loc[iris["code_unite"], "cpts_id"].nunique() >= 2
    city = r.communes.set_index("code_commune").loc["01100"]
    assert ", " in city["cpts_id"]
    assert r.summary["communes_decoupees"] == ["01100"]
    assert k["nom"].str.startswith("Grande-Ville – ").any()


def test_target_out_of_reach_under_the_ceiling_is_reported():
    # Three communes of 10,000 in a row and a ceiling of 25,000: one catchment is impossible, two is the best.
    g = grid([10000, 10000, 10000])
    params = CatchmentParameters(min_population=5_000, max_population=25_000, n_catchments=1)
    with pytest.warns(Warning, match="nombre visé non atteint"):
        r = mesh_catchments(g, params=params)
    assert r.summary["n_proposed"] == 2
    assert r.summary["cibles"] == {"territoire": 1}
    assert r.summary["cibles_non_atteintes"] == {"territoire": {"cible": 1, "obtenu": 2}}
    assert sorted(r.catchments["population"]) == [10000, 20000]


def test_territories_follow_epci_and_cross_them_only_for_the_floor():
    # A row of 8 communes of 5,000: EPCI A = 1-3, B = 4-6 (15,000 each), C = 7-8 (10,000, under the 12,000 floor).
    # Patients stay home, except that communes 3 and 4 exchange 4,000 patients across the A-B border.
    g = grid([5000] * 8).assign(epci=["A"] * 3 + ["B"] * 3 + ["C"] * 2)
    codes = g["code_commune"].tolist()
    pairs = {(i, i): 5000.0 for i in range(8)} | {(2, 2): 1000.0, (2, 3): 4000.0, (3, 3): 1000.0, (3, 2): 4000.0}
    f = flows_between(pairs, codes)
    params = CatchmentParameters(target_population=None, shape_rounds=0)
    r = mesh_catchments(g, params=params, flows=f)
    # A and B reach the floor inside their borders; C cannot, and crosses into B, its only neighbour (25,000).
    assert groups_of(r) == [{"01001", "01002", "01003"}, {"01004", "01005", "01006", "01007", "01008"}]
    assert (r.catchments["population"] >= 12_000).all()
    assert_contiguous(r)
    # Without soft borders the flows alone pair 3 and 4 across the EPCI border.
    flows_only = mesh_catchments(g, params=CatchmentParameters(target_population=None, structure=None), flows=f)
    assert any({"01003", "01004"} <= group for group in groups_of(flows_only))


def test_target_size_inside_an_epci_and_across_them():
    # Two EPCI of 20,000 (4 communes of 5,000 each) side by side, with a target of 20,000: the two EPCI exactly.
    # (Without the self-containment rule: the gravity flows on the population cross the EPCI border.)
    g = grid([5000] * 8).assign(epci=["A"] * 4 + ["B"] * 4)
    params = CatchmentParameters(target_population=20_000, shape_rounds=0, min_containment=None)
    assert groups_of(mesh_catchments(g, params=params)) == [
        {"01001", "01002", "01003", "01004"},
        {"01005", "01006", "01007", "01008"},
    ]


def test_shape_pass_makes_territories_rounder_and_keeps_bounds_and_contiguity():
    # A 12 × 12 grid of random populations: the pass must not lower the median Polsby-Popper compactness, nor break
    # the bounds or the contiguity, and must keep the median self-containment within 1 point.
    rng = np.random.default_rng(3)
    g = grid(rng.integers(500, 4000, 144).astype(float), ny=12)
    base = CatchmentParameters(min_population=12_000, max_population=60_000, target_population=30_000)
    before = mesh_catchments(g, params=CatchmentParameters(**{**base.__dict__, "shape_rounds": 0}))
    after = mesh_catchments(g, params=base)
    assert after.summary["forme"]["communes_deplacees"] > 0
    assert after.catchments["compacite"].median() >= before.catchments["compacite"].median()
    assert after.catchments["population"].between(12_000, 60_000).all()
    assert after.catchments["autonomie"].median() >= before.catchments["autonomie"].median() - 0.01
    assert len(after.catchments) == len(before.catchments)
    assert_contiguous(after)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"structure_weight": 0.5}, "limites souples"),
        ({"floor_balance": -1.0}, "équilibre"),
        ({"shape_rounds": -1}, "passe de forme"),
        ({"shape_flow_ratio": -0.1}, "passe de forme"),
        ({"min_containment": 1.5}, "autonomie minimale"),
        ({"containment_min_share": -0.1}, "part minimale des recours"),
        ({"containment_max_ratio": 0.0}, "plafond de l'autonomie"),
    ],
)
def test_bad_soft_border_and_shape_parameters_raise(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        CatchmentParameters(**kwargs)


def test_care_poles_count_msp_centres_and_hospitals():
    from territoires.analysis.catchments import _supply

    g = grid([1000.0] * 4).assign(praticiens=[2.0, 0.0, 0.0, 1.0])
    facilities = pd.DataFrame(
        {
            "code_commune": ["01002", "01002", "01003", "01004", "01001", "99999"],
            "type_structure": ["msp", "hopital", "centre_sante", "cpts", "autre", "msp"],
        }
    )
    gp, poles = _supply(g, None, facilities, hospital_weight=3.0)
    assert gp.tolist() == [2.0, 0.0, 0.0, 1.0]
    # 01002: one MSP (1) and one hospital (3); 01003: one centre de santé; a CPTS or another kind is no pole, and a
    # commune outside the territory is not counted.
    assert poles.tolist() == [0.0, 4.0, 1.0, 0.0]


def test_containment_pass_merges_until_self_contained_or_blocked_by_the_ceiling():
    # A 12 × 12 grid of random populations, gravity flows on the population: after the pass, a territory still below
    # the minimum self-containment has no neighbour it could join under the ceiling (the pass's stopping rule), and
    # the median self-containment is not lower than without the pass.
    rng = np.random.default_rng(3)
    g = grid(rng.integers(500, 4000, 144).astype(float), ny=12)
    base = {"min_population": 12_000, "max_population": 60_000, "target_population": 20_000, "shape_rounds": 0}
    without = mesh_catchments(g, params=CatchmentParameters(**base, min_containment=None))
    minimum = 0.8
    params = CatchmentParameters(**base, min_containment=minimum, containment_min_share=0, containment_max_ratio=None)
    with_pass = mesh_catchments(g, params=params)
    k, c = with_pass.catchments.set_index("cpts_id"), with_pass.communes.reset_index(drop=True)
    assert len(k) < len(without.catchments)
    assert k["autonomie"].median() >= without.catchments["autonomie"].median()
    assert k["population"].between(12_000, 60_000).all()
    assert_contiguous(with_pass)
    adj = contiguity(c).tocoo()
    a, b = c["cpts_id"].to_numpy()[adj.row], c["cpts_id"].to_numpy()[adj.col]
    pairs = {(x, y) for x, y in zip(a, b, strict=True) if x != y}
    for x, y in pairs:
        if k.loc[x, "autonomie"] < minimum:
            assert k.loc[x, "population"] + k.loc[y, "population"] > 60_000


def test_containment_pass_stops_at_the_target_size():
    # Four communes of 12,000 in a row, each its own EPCI, all above the 12,000 floor. Patients of each commune go
    # 40 % home and 60 % to the next one (the last to the one before it), so every commune holds 0.4 of its flows.
    # Intramax scores (unions all of 24,000): 1-2 = 7,200 / (12,000 × 12,000) = 5e-5, 2-3 = 7,200 / (12,000 ×
    # 19,200) = 3.1e-5, 3-4 = 5e-5 + 3.1e-5: mutual best pairs {1,2} and {3,4}. Self-containment then:
    # {1,2} (4,800 + 7,200 + 4,800) / 24,000 = 0.7, {3,4} 1.0. With a minimum of 0.8, {1,2} still wants to merge;
    # its union with {3,4} (48,000) is under the 60,000 ceiling but above the target size (24,000): with
    # containment_max_ratio = 1 it stops there; up to the ceiling (None, the default) or twice the target, one.
    g = grid([12_000.0] * 4).assign(epci=["A", "B", "C", "D"])
    codes = g["code_commune"].tolist()
    pairs = {(i, i): 4800.0 for i in range(4)} | {(0, 1): 7200.0, (1, 2): 7200.0, (2, 3): 7200.0, (3, 2): 7200.0}
    f = flows_between(pairs, codes)
    base = {"max_population": 60_000, "target_population": 24_000, "min_containment": 0.8, "shape_rounds": 0}
    capped = mesh_catchments(g, params=CatchmentParameters(**base, containment_max_ratio=1.0), flows=f)
    assert groups_of(capped) == [{"01001", "01002"}, {"01003", "01004"}]
    assert sorted(capped.catchments["autonomie"].round(3)) == [0.7, 1.0]
    for ratio in (None, 2.0):
        whole = mesh_catchments(g, params=CatchmentParameters(**base, containment_max_ratio=ratio), flows=f)
        assert groups_of(whole) == [set(codes)]
