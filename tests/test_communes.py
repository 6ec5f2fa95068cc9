import numpy as np
import pytest
import shapely
from conftest import DATA_DIRECTORY as D

from territoires import InputError, TerritoiresWarning
from territoires.io.communes import communes_from_file, communes_from_files, departement_of, representative_points


def test_simple_layout_is_read_reprojected_and_repaired():
    with pytest.warns(TerritoiresWarning, match=r"1 polygone\(s\) invalide\(s\) réparé\(s\)"):
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
    with pytest.warns(TerritoiresWarning, match=r"1 polygone\(s\) invalide\(s\) réparé\(s\)"):
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
        ("communes_texte.txt", "format non reconnu"),
        ("absent.geojson", "fichier introuvable"),
    ],
)
def test_bad_boundaries_raise_clear_errors(name, match):
    with pytest.raises(InputError, match=match):
        communes_from_file(D / name)


def test_metres_without_crs_in_the_lambert93_extent_are_lambert93_and_told():
    with pytest.warns(
        TerritoiresWarning, match=r"ne déclare pas de système de coordonnées.*Lambert-93 \(EPSG:2154\), retenu"
    ):
        gdf = communes_from_file(D / "communes_sans_crs.gpkg")
    assert gdf.crs.to_epsg() == 2154


def test_missing_crs_can_be_given():
    gdf = communes_from_file(D / "communes_sans_crs.gpkg", crs="EPSG:2154")
    assert gdf.crs.to_epsg() == 2154


def test_missing_geometry_is_reported_not_silent(tmp_path):
    import json

    fc = json.loads((D / "communes_simple.geojson").read_text())
    fc["features"][1]["geometry"] = None
    path = tmp_path / "c.geojson"
    path.write_text(json.dumps(fc))
    with (
        pytest.warns(TerritoiresWarning, match="1 commune"),
        pytest.warns(TerritoiresWarning, match=r"1 polygone\(s\) invalide\(s\) réparé\(s\)"),
    ):
        gdf = communes_from_file(path)
    assert len(gdf) == 4
    assert gdf.attrs["left_out"] == [
        {"source": str(path), "ligne": 2, "identifiant": "01002", "motif": "commune sans géométrie"}
    ]


# --------------------------------------------------------------------------------------------------------------
# Impossible geometries refused at load, with one line naming the file and what was found (issue 10, item 4)


@pytest.fixture(scope="module")
def demo_lonlat():
    import geopandas as gpd

    from territoires.demo.generate import demo_paths

    return gpd.read_file(demo_paths()["communes"]).to_crs("EPSG:4326")


def _swap(geom):
    import shapely

    return shapely.transform(geom, lambda xy: xy[:, ::-1])


def test_swapped_longitude_latitude_is_refused(tmp_path, demo_lonlat):
    swapped = demo_lonlat.set_geometry(demo_lonlat.geometry.map(_swap))
    swapped.to_file(tmp_path / "c.geojson")
    with pytest.raises(InputError, match=r"c.geojson: longitude et latitude inversées \(347 commune\(s\) sur 347"):
        communes_from_file(tmp_path / "c.geojson")


def test_points_only_contours_are_refused(tmp_path, demo_lonlat):
    demo_lonlat.set_geometry(demo_lonlat.representative_point()).to_file(tmp_path / "c.geojson")
    with pytest.raises(InputError, match=r"aucun polygone parmi les géométries \(347 Point\)"):
        communes_from_file(tmp_path / "c.geojson")


def test_points_mixed_with_polygons_are_refused_with_their_rows(tmp_path, demo_lonlat):
    mixed = demo_lonlat.copy()
    mixed.loc[[3, 7], "geometry"] = mixed.loc[[3, 7]].representative_point()
    mixed.to_file(tmp_path / "c.geojson")
    with pytest.raises(
        InputError, match=r"2 géométrie\(s\) non polygonale\(s\) parmi 347 \(2 Point ; entités n° 4, 8\)"
    ):
        communes_from_file(tmp_path / "c.geojson")


def test_degrees_declared_as_lambert93_are_outside_france(tmp_path, demo_lonlat):
    demo_lonlat.set_crs("EPSG:2154", allow_override=True).to_file(tmp_path / "c.gpkg")
    with pytest.raises(InputError, match=r"347 commune\(s\) sur 347 hors de l'étendue attendue .*EPSG:2154"):
        communes_from_file(tmp_path / "c.gpkg")


def test_overseas_commune_outside_its_territory_is_refused(tmp_path, demo_lonlat):
    # Metropolitan polygons coded as Réunion communes (974xx) are not where La Réunion is.
    wrong = demo_lonlat.head(3).assign(INSEE_COM=["97401", "97402", "97403"], INSEE_DEP="974")
    wrong.to_file(tmp_path / "c.geojson")
    with pytest.raises(InputError, match=r"3 commune\(s\) sur 3 hors de l'étendue attendue \(La Réunion\)"):
        communes_from_file(tmp_path / "c.geojson")


def test_metres_without_crs_outside_lambert93_are_refused(tmp_path, demo_lonlat):
    import geopandas as gpd

    far = demo_lonlat.to_crs("EPSG:3857").set_crs(None, allow_override=True)
    gpd.GeoDataFrame(far).to_file(tmp_path / "c.shp")
    with pytest.raises(
        InputError,
        match=r"ne déclare pas de système de coordonnées et ses coordonnées .* ne sont pas du Lambert-93",
    ):
        communes_from_file(tmp_path / "c.shp")


@pytest.mark.parametrize("index", ["named", "shifted"])
def test_geoparquet_with_its_own_index_is_read(tmp_path, demo_lonlat, index):
    frame = demo_lonlat.set_index("INSEE_COM") if index == "named" else demo_lonlat.set_index(demo_lonlat.index + 100)
    frame.to_parquet(tmp_path / "c.parquet")
    gdf = communes_from_file(tmp_path / "c.parquet")
    assert len(gdf) == 347
    assert gdf["code_commune"].str.fullmatch(r"(20|96)\d{3}").all()
    assert gdf["population"].sum() == demo_lonlat["POPULATION"].sum()


def test_repaired_polygons_are_told():
    with pytest.warns(TerritoiresWarning, match=r"1 polygone\(s\) invalide\(s\) réparé\(s\)"):
        gdf = communes_from_file(D / "communes_simple.geojson")
    assert gdf.attrs["repaired_geometries"] == 1


def test_degrees_without_crs_inside_france_are_wgs84_and_told(tmp_path, demo_lonlat):
    import geopandas as gpd

    gpd.GeoDataFrame(demo_lonlat.set_crs(None, allow_override=True)).to_file(tmp_path / "c.shp")
    with pytest.warns(TerritoiresWarning, match=r"degrés, longitude .* lues en WGS84 \(EPSG:4326\)"):
        gdf = communes_from_file(tmp_path / "c.shp")
    assert len(gdf) == 347 and gdf.crs.to_epsg() == 2154


def test_overseas_commune_in_its_territory_is_read_in_its_local_crs(tmp_path):
    import geopandas as gpd
    import shapely

    square = shapely.box(55.44, -20.92, 55.47, -20.89)  # Saint-Denis de La Réunion
    gpd.GeoDataFrame({"code": ["97411"]}, geometry=[square], crs="EPSG:4326").to_file(tmp_path / "c.geojson")
    gdf = communes_from_file(tmp_path / "c.geojson")
    assert gdf.crs.to_epsg() == 2975
    assert gdf["departement"].tolist() == ["974"]


def test_geometry_collections_of_polygons_are_reduced_to_their_polygons_and_told(tmp_path, demo_lonlat):
    import shapely

    wrapped = demo_lonlat.copy()
    first = wrapped.geometry.iat[0]
    wrapped.loc[0, "geometry"] = shapely.GeometryCollection([first, first.representative_point()])
    wrapped.to_file(tmp_path / "c.geojson")
    with pytest.warns(TerritoiresWarning, match=r"1 commune\(s\) en collection de géométries réduite\(s\)"):
        gdf = communes_from_file(tmp_path / "c.geojson")
    assert len(gdf) == 347 and set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}
    assert gdf.attrs["repaired_geometries"] == 1
    assert gdf["population"].sum() == demo_lonlat["POPULATION"].sum()


def test_representative_points_of_empty_or_missing_contours_are_nan():
    """A point inside each polygon (the middle of a square); an empty polygon or no geometry gives NaN, not an error."""
    geoms = np.array([shapely.box(0, 0, 2, 2), shapely.Polygon(), None, shapely.box(10, 0, 14, 4)], dtype=object)
    points = representative_points(geoms)
    assert points[0].tolist() == [1.0, 1.0]
    assert np.isnan(points[1:3]).all()
    assert points[3].tolist() == [12.0, 2.0]
