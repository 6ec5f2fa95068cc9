import geopandas as gpd
import pytest
from shapely.geometry import LineString, box

from territoires import InputError
from territoires.analysis.road_network import travel_times_from_road_network


@pytest.fixture
def communes():
    # Three 2 km squares centred on x = 0, 10 km, 20 km (y = 0), and a fourth one 60 km away from every road.
    centres = [0, 10_000, 20_000]
    geoms = [box(x - 1000, -1000, x + 1000, 1000) for x in centres] + [box(59_000, 59_000, 61_000, 61_000)]
    return gpd.GeoDataFrame({"code_commune": ["01001", "01002", "01003", "01004"]}, geometry=geoms, crs="EPSG:2154")


@pytest.fixture
def roads():
    # A–B: 10 km at 60 km/h = 10 min; B–C: 10 km motorway at 120 km/h = 5 min; a slow detour A–C at 30 km/h
    # (20 km = 40 min) that the shortest path must not take.
    return gpd.GeoDataFrame(
        {"VOCATION": ["Liaison locale", "Type autoroutier", "Chemin"], "vitesse": [60, 120, 30]},
        geometry=[
            LineString([(0, 0), (10_000, 0)]),
            LineString([(10_000, 0), (20_000, 0)]),
            LineString([(0, 0), (10_000, 5_000), (20_000, 0)]),
        ],
        crs="EPSG:2154",
    )


def times(tt):
    return {(o, d): m for o, d, m in tt.itertuples(index=False)}


def test_shortest_paths_hand_checkable(communes, roads, tmp_path):
    path = tmp_path / "routes.gpkg"
    roads.to_file(path, driver="GPKG")
    with pytest.warns(UserWarning, match=r"1 commune\(s\) à plus de 5 km du réseau \(01004\)"):
        tt = travel_times(communes, path)
    got = times(tt)
    # Representative points sit on the nodes (squares centred on them): no access leg.
    assert got[("01001", "01002")] == pytest.approx(10.0, abs=0.05)
    assert got[("01002", "01003")] == pytest.approx(5.0, abs=0.05)
    assert got[("01001", "01003")] == pytest.approx(15.0, abs=0.05)
    assert got[("01003", "01001")] == pytest.approx(15.0, abs=0.05)
    assert got[("01004", "01004")] == 0.0
    assert not any(o == "01004" and d != "01004" for o, d in got)


def travel_times(communes, path, **kw):
    return travel_times_from_road_network(communes, path, max_minutes=20, **kw)


def test_class_speeds_when_no_speed_column(communes, roads):
    with pytest.warns(UserWarning):
        tt = travel_times_from_road_network(communes, roads.drop(columns="vitesse"), max_minutes=30)
    got = times(tt)
    # Liaison locale 50 km/h: 12 min; Type autoroutier 120 km/h: 5 min.
    assert got[("01001", "01002")] == pytest.approx(12.0, abs=0.05)
    assert got[("01001", "01003")] == pytest.approx(17.0, abs=0.05)


def test_cutoff_drops_far_pairs(communes, roads):
    with pytest.warns(UserWarning):
        tt = travel_times_from_road_network(communes, roads, max_minutes=12)
    assert ("01001", "01003") not in times(tt)


def test_bad_network_files(communes, tmp_path):
    points = gpd.GeoDataFrame({"a": [1]}, geometry=gpd.points_from_xy([0], [0]), crs="EPSG:2154")
    p = tmp_path / "points.gpkg"
    points.to_file(p, driver="GPKG")
    with pytest.raises(InputError, match="des lignes étaient attendues"):
        travel_times_from_road_network(communes, p)
    with pytest.raises(InputError, match="fichier introuvable"):
        travel_times_from_road_network(communes, tmp_path / "absent.gpkg")
