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
    with pytest.warns(UserWarning, match=r"1 commune\(s\) à plus de 5 km"):
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


# --------------------------------------------------------------------------------------------------------------
# OpenStreetMap extracts, GeoParquet, sparse search

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.sparse.csgraph import dijkstra  # noqa: E402

from territoires.analysis.road_network import RoadGraph, od_pairs, road_graph  # noqa: E402
from territoires.io.road_network import OSM_HIGHWAY_SPEEDS, parse_maxspeed, roads_from_file  # noqa: E402


def test_maxspeed_values_parsed():
    values = pd.Series(
        ["50", "FR:urban", "FR:rural", "FR:motorway", "50 mph", "30;50", "none", "signals", None, "FR:zone30",
         "['70', '90']", "90 km/h", "walk", "0"]
    )  # fmt: skip
    got = parse_maxspeed(values).round(2).tolist()
    assert got[:6] == [50.0, 50.0, 80.0, 130.0, 80.47, 30.0]
    assert np.isnan(got[6]) and np.isnan(got[7]) and np.isnan(got[8])
    assert got[9:13] == [30.0, 70.0, 90.0, 6.0]
    assert np.isnan(got[13])  # 0 is no speed: the road class applies


def osm_ways():
    # An osmnx-like export: highway (sometimes a list), maxspeed (text, often missing), extra columns.
    return gpd.GeoDataFrame(
        {
            "osmid": [1, 2, 3, 4],
            "highway": ["secondary", "motorway", "['residential', 'unclassified']", "footway"],
            "maxspeed": ["FR:rural", None, None, None],
            "oneway": [False, True, False, False],
        },
        geometry=[
            LineString([(0, 0), (10_000, 0)]),
            LineString([(10_000, 0), (20_000, 0)]),
            LineString([(20_000, 0), (23_000, 0)]),
            LineString([(23_000, 0), (24_000, 0)]),
        ],
        crs="EPSG:2154",
    )


def test_osm_extract_as_geoparquet(tmp_path):
    path = tmp_path / "osm_edges.parquet"
    osm_ways().to_parquet(path)
    with pytest.warns(UserWarning, match=r"1 tronçon\(s\) sans vitesse lisible et de classe inconnue \(footway\)"):
        roads = roads_from_file(path)
    assert roads["vitesse_kmh"].tolist() == [80.0, OSM_HIGHWAY_SPEEDS["motorway"], 30.0, 50.0]
    assert "colonne maxspeed (1 tronçons)" in roads.attrs["vitesses"]
    assert "classes highway (2 tronçons)" in roads.attrs["vitesses"]
    communes = gpd.GeoDataFrame(
        {"code_commune": ["01001", "01002", "01003"]},
        geometry=[box(-500, -500, 500, 500), box(19_500, -500, 20_500, 500), box(22_500, -500, 23_500, 500)],
        crs="EPSG:2154",
    )
    with pytest.warns(UserWarning, match="footway"):
        tt = travel_times_from_road_network(communes, path, max_minutes=30)
    got = times(tt)
    # 10 km at 80 km/h = 7.5 min, 10 km at 120 km/h = 5 min, 3 km at 30 km/h = 6 min.
    assert got[("01001", "01002")] == pytest.approx(12.5)
    assert got[("01001", "01003")] == pytest.approx(18.5)


def test_osmnx_geopackage_line_layer_is_found(tmp_path):
    path = tmp_path / "osmnx.gpkg"
    nodes = gpd.GeoDataFrame({"osmid": [1]}, geometry=gpd.points_from_xy([0], [0]), crs="EPSG:2154")
    nodes.to_file(path, layer="nodes", driver="GPKG")
    osm_ways().iloc[:3].to_file(path, layer="edges", driver="GPKG")
    roads = roads_from_file(path)
    assert len(roads) == 3 and roads["vitesse_kmh"].tolist()[0] == 80.0


def grid_roads(n=12, step=1_000.0, seed=1):
    rng = np.random.default_rng(seed)
    lines, speeds = [], []
    for i in range(n):
        for j in range(n):
            if i + 1 < n:
                lines.append(LineString([(i * step, j * step), ((i + 1) * step, j * step)]))
                speeds.append(rng.choice([30, 50, 90]))
            if j + 1 < n:
                lines.append(LineString([(i * step, j * step), (i * step, (j + 1) * step)]))
                speeds.append(rng.choice([30, 50, 90]))
    return gpd.GeoDataFrame({"vitesse": speeds}, geometry=lines, crs="EPSG:2154")


@pytest.mark.parametrize(("size", "minutes"), [(12, 9.0), (30, 3.0)])  # one tile; many tiles of local searches
def test_sparse_pairs_agree_with_a_dense_search(size, minutes):
    graph = road_graph(grid_roads(size), crs="EPSG:2154")
    rng = np.random.default_rng(5)
    places = rng.uniform(0, (size - 1) * 1000, (80, 2))
    node_of, snap, on = graph.snap(places)
    rows, cols, vals = od_pairs(graph, node_of, snap, on, max_minutes=minutes, chunk_size=7)
    full = dijkstra(graph.graph)  # independent: all node pairs at once
    t = full[node_of][:, node_of] + snap[:, None] + snap[None, :]
    np.fill_diagonal(t, 0.0)
    er, ec = np.nonzero(t <= minutes)
    expected = {(r, c): t[r, c] for r, c in zip(er, ec, strict=True)}
    got = dict(zip(zip(rows.tolist(), cols.tolist(), strict=True), vals.tolist(), strict=True))
    assert got.keys() == expected.keys()
    assert np.allclose([got[k] for k in expected], list(expected.values()))


def test_road_graph_from_prepared_frame_and_graph_reuse(communes, roads):
    graph = road_graph(roads, crs="EPSG:2154")
    assert isinstance(graph, RoadGraph) and graph.n_nodes == 3
    with pytest.warns(UserWarning):
        tt = travel_times_from_road_network(communes, graph, max_minutes=20)
    assert times(tt)[("01001", "01003")] == pytest.approx(15.0, abs=0.05)


def test_osm_one_way_lines_are_travelled_as_drawn():
    # A → B one way (10 km at 60 km/h = 10 min); B → A only through a slow two-way detour (20 km at 30 = 40 min).
    roads = gpd.GeoDataFrame(
        {"maxspeed": ["60", "30"], "oneway": [True, False]},
        geometry=[LineString([(0, 0), (10_000, 0)]), LineString([(0, 0), (5_000, 8_660), (10_000, 0)])],
        crs="EPSG:2154",
    )
    graph = road_graph(roads, crs="EPSG:2154")
    a, b = graph.snap(np.array([[0.0, 0.0], [10_000.0, 0.0]]))[0]
    dist = dijkstra(graph.graph, indices=[a, b])
    assert dist[0, b] == pytest.approx(10.0)
    assert dist[1, a] == pytest.approx(40.0, rel=1e-3)
