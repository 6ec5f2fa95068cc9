"""``territoires facility-access`` and ``diagnose --bpe`` on the demo territory."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from territoires.cli import cli
from territoires.demo.generate import demo_paths

#: A BPE in the recent layout for the demo territory: emergency and maternity at the demo hospital (96436), a
#: maternity outside the territory to the east, pharmacies, one without coordinates (placed at its commune).
BPE_DEMO = """AN;NOMRS;DEPCOM;TYPEQU;LAMBERT_X;LAMBERT_Y;QUALITE_XY;EPSG
2023;CH BELLERIVE;96436;D106;691987.0;6331860.9;Bonne;2154
2023;CH BELLERIVE;96436;D107;691987.0;6331860.9;Bonne;2154
2023;MATERNITE VOISINE;21001;D107;775000.0;6345000.0;Bonne;2154
2023;PHARMACIE A;96001;D307;648418.0;6342058.0;Bonne;2154
2023;PHARMACIE B;96601;D307;705729.0;6326710.0;Bonne;2154
2023;PHARMACIE C;20289;D307;754388.0;6344797.0;Bonne;2154
2023;PHARMACIE D;96151;D307;;;Non géolocalisé;
"""


@pytest.fixture(scope="module")
def bpe(tmp_path_factory):
    path = tmp_path_factory.mktemp("bpe") / "bpe_demo.csv"
    path.write_text(BPE_DEMO, encoding="utf-8")
    return path


def test_facility_access_command_on_the_demo_communes(bpe, tmp_path):
    paths = demo_paths()
    args = ["facility-access", "--communes", str(paths["communes"]), "--population", str(paths["population"]),
            "--bpe", str(bpe), "--facilities", str(paths["facilities"]), "--portee", "120",
            "--out", str(tmp_path)]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "1 équipement(s) sans coordonnées placé(s) au centre de leur commune" in result.output
    assert "Service d'urgences :" in result.output and "Pharmacie :" in result.output
    communes = gpd.read_file(tmp_path / "acces_equipements.gpkg", layer="communes")
    for column in ("minutes_urgences", "minutes_maternite", "minutes_pharmacie", "minutes_hopital", "difficultes"):
        assert column in communes.columns
    assert communes.loc[communes["code_commune"] == "96436", "minutes_urgences"].iloc[0] < 3.0
    # The easternmost communes are nearer the maternity outside the territory.
    assert (communes["plus_proche_maternite"] == "MATERNITE VOISINE (21001)").any()  # named by NOMRS
    table = pd.read_csv(tmp_path / "difficultes_combinees.csv", sep=";", encoding="utf-8-sig")
    combos = table.loc[table["tableau"] == "combinaison"]
    assert combos["population"].sum() == pytest.approx(communes["population"].sum())
    assert len(combos) == 4  # two difficulties assessed (no APL in plain communes): 2² combinations


def test_facility_access_needs_destinations(tmp_path):
    paths = demo_paths()
    result = CliRunner().invoke(cli, ["facility-access", "--communes", str(paths["communes"]), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--bpe" in result.output


def test_reach_shorter_than_a_threshold_is_refused(bpe, tmp_path):
    paths = demo_paths()
    args = ["facility-access", "--communes", str(paths["communes"]), "--bpe", str(bpe), "--portee", "20",
            "--out", str(tmp_path)]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "portée de recherche (20 min) inférieure à un seuil (30 min)" in result.output


@pytest.fixture(scope="module")
def diagnosed(bpe, tmp_path_factory):
    paths = demo_paths()
    out = tmp_path_factory.mktemp("diagnose_bpe")
    args = ["diagnose", "--communes", str(paths["communes"]), "--population", str(paths["population"]),
            "--practitioners", str(paths["practitioners"]), "--facilities", str(paths["facilities"]),
            "--existing-cpts", str(paths["existing_cpts"]), "--bpe", str(bpe), "--portee", "120",
            "--resolution", "2000", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_diagnose_with_bpe_adds_columns_layers_map_and_report(diagnosed):
    out, output = diagnosed
    assert "Accès aux urgences, maternités, pharmacies et hôpitaux" in output  # the step
    assert "Difficultés cumulées (habitants) :" in output  # the summary
    communes = gpd.read_file(out / "diagnostic.gpkg", layer="communes")
    expected = ["minutes_urgences", "minutes_maternite", "minutes_pharmacie", "minutes_hopital", "difficulte_apl",
                "difficulte_urgences", "difficulte_pharmacie", "nb_difficultes", "difficultes"]  # fmt: skip
    assert set(expected) <= set(communes.columns)
    # The GP difficulty follows the APL threshold (2.5): the same communes.
    assert (communes["difficulte_apl"] == (communes["apl"] < 2.5)).all()
    catchments = gpd.read_file(out / "diagnostic.gpkg", layer="catchments")
    assert {"hopital_plus_proche", "nb_hopital_a_portee", "part_pop_urgences_au_dela"} <= set(catchments.columns)
    assert catchments["part_pop_hopital_au_dela"].between(0, 1).all()
    equipment = gpd.read_file(out / "diagnostic.gpkg", layer="equipements")
    assert set(equipment["equipement"]) == {"urgences", "maternite", "pharmacie", "hopital"}
    page = (out / "carte.html").read_text(encoding="utf-8")
    for name in ("Difficultés cumulées (APL, urgences, pharmacie)", "Équipements : maternite", "Plus proche (hôpital)"):
        assert json.dumps(name)[1:-1] in page, name  # layer names and tooltips, as written in the page's script
    report = (out / "rapport.html").read_text(encoding="utf-8")
    assert "Accès aux urgences, maternités, pharmacies et hôpitaux" in report
    import rasterio

    with rasterio.open(out / "temps_maternite.tif") as src:  # the surface of time to the nearest maternity
        minutes = src.read(1, masked=True)
    assert 0 <= minutes.min() < 2.0 and minutes.max() < 120  # zero near the hospital, all within reach
    assert "Territoires de CPTS et hôpitaux" in report and "Équipements (BPE)" in report


def test_facility_access_on_a_diagnostic_geopackage(diagnosed, bpe, tmp_path):
    out, _ = diagnosed
    args = ["facility-access", "--diagnostic", str(out / "diagnostic.gpkg"), "--bpe", str(bpe),
            "--seuil-pharmacie", "15", "--out", str(tmp_path)]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "difficultes_combinees.csv", sep=";", encoding="utf-8-sig")
    assert len(table.loc[table["tableau"] == "combinaison"]) == 8  # APL, urgences, pharmacie: 2³ combinations
    seuils = table.loc[table["tableau"] == "par difficulté"].set_index("difficulte")["seuil"].to_dict()
    assert seuils == {"apl": 2.5, "urgences": 30.0, "pharmacie": 15.0}
    catchments = gpd.read_file(tmp_path / "acces_equipements.gpkg", layer="catchments")
    assert "urgences_plus_proche" in catchments.columns


def test_diagnostic_options_check_the_facility_settings():
    from territoires import DiagnosticOptions, ParameterError

    with pytest.raises(ParameterError, match="FacilityAccessParameters est attendu"):
        DiagnosticOptions(facility_params={"max_minutes": 90})
    with pytest.raises(ParameterError, match="au moins un équipement"):
        DiagnosticOptions(facility_kinds=())


def test_diagnose_with_bpe_on_a_road_network(bpe, tmp_path):
    """The road graph built for the APL also serves the facilities (OSM-like GeoParquet grid over the demo)."""
    import numpy as np
    import shapely

    xs, ys = np.arange(640_000, 790_001, 2_000.0), np.arange(6_280_000, 6_380_001, 2_000.0)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    a = np.vstack(
        [np.column_stack([gx[:-1].ravel(), gy[:-1].ravel()]), np.column_stack([gx[:, :-1].ravel(), gy[:, :-1].ravel()])]
    )
    b = np.vstack(
        [np.column_stack([gx[1:].ravel(), gy[1:].ravel()]), np.column_stack([gx[:, 1:].ravel(), gy[:, 1:].ravel()])]
    )
    lines = shapely.linestrings(np.stack([a, b], axis=1))
    roads = gpd.GeoDataFrame(
        {"highway": ["secondary"] * len(lines), "maxspeed": ["FR:rural"] * len(lines)}, geometry=lines, crs="EPSG:2154"
    )
    roads.to_parquet(tmp_path / "routes.parquet")
    paths = demo_paths()
    args = ["diagnose", "--communes", str(paths["communes"]), "--population", str(paths["population"]),
            "--practitioners", str(paths["practitioners"]), "--bpe", str(bpe), "--road-network",
            str(tmp_path / "routes.parquet"), "--no-cpts", "--no-zones", "--out", str(tmp_path / "out")]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "réseau routier" in result.output
    communes = gpd.read_file(tmp_path / "out" / "diagnostic.gpkg", layer="communes").set_index("code_commune")
    # On a grid at 80 km/h the time is at least the straight distance at 80 km/h (0.75 min/km).
    point = communes.geometry.representative_point()
    km = point.distance(shapely.Point(691987.0, 6331860.9)) / 1000
    assert (communes["minutes_urgences"] >= 0.75 * km - 1e-6).all()
    assert communes.loc["96436", "minutes_urgences"] < 5
