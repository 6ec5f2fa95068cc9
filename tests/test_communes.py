import pytest
from conftest import DATA_DIRECTORY as D

from territoires import InputError, TerritoiresWarning
from territoires.io.communes import communes_from_file, communes_from_files, departement_of


def test_simple_layout_is_read_reprojected_and_repaired():
    gdf = communes_from_file(D / "communes_simple.geojson")
    assert gdf["code_commune"].tolist() == ["01001", "01002", "01003", "01004", "01005"]
    assert gdf["nom"].iat[0] == "Commune A"
    assert gdf.crs.to_epsg() == 2154
    assert gdf["departement"].unique().tolist() == ["01"]
    # The bow-tie of 01005 is invalid: repaired into two triangles, counted.
    assert gdf.attrs["repaired_geometries"] == 1
    assert gdf.geometry.is_valid.all()
    assert gdf.geometry.iat[4].geom_type == "MultiPolygon"
    # A 0.02° square at 46.2°N is about 1.54 km × 2.22 km.
    assert gdf.geometry.iat[0].area / 1e6 == pytest.approx(1.54 * 2.22, rel=0.02)


def test_admin_express_layout_keeps_population_and_epci():
    gdf = communes_from_file(D / "communes_adminexpress.gpkg")
    assert gdf[["code_commune", "nom", "departement", "epci"]].values.tolist() == [
        ["09001", "Aigues-Juntes", "09", "200066231"],
        ["09002", "Aigues-Vives", "09", "200066231"],
    ]
    assert gdf["population"].tolist() == [56.0, 611.0]


def test_folder_of_files_is_concatenated():
    gdf = communes_from_files([D / "communes_simple.geojson", D / "communes_adminexpress.gpkg"])
    assert len(gdf) == 7


def test_departement_of_handles_corsica_and_overseas():
    import pandas as pd

    assert departement_of(pd.Series(["2B033", "97101", "01001"])).tolist() == ["2B", "971", "01"]


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("communes_doublons.geojson", r"1 code\(s\) commune en double \(01001\)"),
        ("communes_vide.geojson", "aucune commune"),
        ("communes_sans_crs.gpkg", r"ne déclare pas de système de coordonnées.*--crs"),
        ("communes_texte.txt", "format non reconnu"),
        ("absent.geojson", "fichier introuvable"),
    ],
)
def test_bad_boundaries_raise_clear_errors(name, match):
    with pytest.raises(InputError, match=match):
        communes_from_file(D / name)


def test_missing_crs_can_be_given():
    gdf = communes_from_file(D / "communes_sans_crs.gpkg", crs="EPSG:2154")
    assert gdf.crs.to_epsg() == 2154


def test_missing_geometry_is_reported_not_silent(tmp_path):
    import json

    fc = json.loads((D / "communes_simple.geojson").read_text())
    fc["features"][1]["geometry"] = None
    path = tmp_path / "c.geojson"
    path.write_text(json.dumps(fc))
    with pytest.warns(TerritoiresWarning, match="1 commune"):
        gdf = communes_from_file(path)
    assert len(gdf) == 4
    assert gdf.attrs["left_out"] == [
        {"source": str(path), "ligne": 2, "identifiant": "01002", "motif": "commune sans géométrie"}
    ]
