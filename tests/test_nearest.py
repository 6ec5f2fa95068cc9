"""Time to the nearest facility: straight line, OD matrix and road network agree with hand-computed times."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import DATA_DIRECTORY
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point, box

from territoires import ParameterError, TerritoiresWarning
from territoires.analysis.nearest import (
    StraightLine,
    facilities_within,
    facility_time_surface,
    nearest_facility,
    nearest_from_points,
)
from territoires.analysis.road_network import RoadGraph, road_graph
from territoires.io.facilities import destinations_from_bpe


def line_of_communes(xs_km=(0, 10, 20, 30, 40, 50)):
    """2 km squares centred on (x, 0), codes 01001, 01002..."""
    return gpd.GeoDataFrame(
        {
            "code_commune": [f"01{i + 1:03d}" for i in range(len(xs_km))],
            "population": [1000.0, 200.0, 3000.0, 400.0, 50.0, 7.0][: len(xs_km)],
        },
        geometry=[box(x * 1000 - 1000, -1000, x * 1000 + 1000, 1000) for x in xs_km],
        crs="EPSG:2154",
    )


def destinations(rows):
    kinds, names, codes, xs = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"equipement": kinds, "nom": names, "code_commune": codes},
        geometry=[Point(x * 1000, 0) for x in xs],
        crs="EPSG:2154",
    )


def test_straight_line_nearest_is_hand_computed():
    communes = line_of_communes()
    dest = destinations(
        [("urgences", "CH", "01001", 0), ("pharmacie", "P1", "01003", 20), ("pharmacie", "P2", "01006", 50)]
    )
    out = nearest_facility(communes, dest)
    # 1.3 min per km (detour 1.3 at 60 km/h)
    assert out["minutes_urgences"].tolist() == pytest.approx([0, 13, 26, 39, 52, 65])
    assert out["minutes_pharmacie"].tolist() == pytest.approx([26, 13, 0, 13, 13, 0])
    assert out["plus_proche_pharmacie"].tolist()[3:] == ["P1 (01003)", "P2 (01006)", "P2 (01006)"]
    capped = nearest_facility(communes, dest, max_minutes=60)
    assert np.isnan(capped["minutes_urgences"].iloc[5]) and pd.isna(capped["plus_proche_urgences"].iloc[5])
    assert "minutes_urgences" not in communes.columns  # the caller's table is left as it was


def test_nearest_maternity_across_the_border_from_the_bpe():
    communes = gpd.GeoDataFrame(
        {"code_commune": ["09001", "09002"], "population": [1000.0, 500.0]},
        geometry=[box(599_000, 6_199_000, 601_000, 6_201_000), box(619_000, 6_199_000, 621_000, 6_201_000)],
        crs="EPSG:2154",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TerritoiresWarning)
        dest = destinations_from_bpe(DATA_DIRECTORY / "bpe_ensemble_xy_2019.csv", communes=communes)
    out = nearest_facility(communes, dest)
    # 09002 is 20 km from the maternity of 09001 but 10 km from the one in 31001, outside the territory.
    assert out["plus_proche_maternite"].tolist() == ["maternité (09001)", "maternité (31001)"]
    assert out["minutes_maternite"].tolist() == pytest.approx([0.0, 13.0])
    # The pharmacy without coordinates sits at the centre of 09002: 0 minutes there.
    assert out["minutes_pharmacie"].tolist() == pytest.approx([3.9, 0.0])


def test_od_matrix_nearest_reaches_facility_communes_outside_the_territory():
    communes = line_of_communes((0, 10))
    dest = destinations([("maternite", "M31", "31001", 99), ("maternite", "M1", "01001", 0)])
    table = pd.DataFrame(
        {
            "origin": ["01001", "01002", "01002"],
            "destination": ["31001", "31001", "01001"],
            "minutes": [30.0, 8.0, 12.0],
        }
    )
    out = nearest_facility(communes, dest, source=table)
    assert out["minutes_maternite"].tolist() == [0.0, 8.0]
    assert out["plus_proche_maternite"].tolist() == ["M1 (01001)", "M31 (31001)"]


@pytest.fixture
def roads():
    # x = 0 → 10 km at 60 km/h (10 min) → 20 km by motorway at 120 km/h (+5 min) → 30 km at 30 km/h (+20 min).
    return gpd.GeoDataFrame(
        {"highway": ["secondary", "motorway", "residential"], "maxspeed": ["60", "FR:motorway", None]},
        geometry=[LineString([(0, 0), (10_000, 0)]), LineString([(10_000, 0), (20_000, 0)]),
                  LineString([(20_000, 0), (30_000, 0)])],
        crs="EPSG:2154",
    )  # fmt: skip


def test_road_nearest_is_hand_computed(roads):
    communes = line_of_communes((0, 10, 20, 30))
    graph = road_graph(roads, crs=communes.crs)
    dest = destinations([("urgences", "CH", "01001", 0), ("urgences", "CH2", "01004", 30.5)])
    out = nearest_facility(communes, dest, source=graph)
    # motorway at 130 km/h (FR:motorway): 10 km = 4.615 min; CH2 is 500 m off the last node: 1 min at 30 km/h
    # (CH is 10 + 4.615 + 20 = 34.6 min away from 01004 on the residential road at its default 30 km/h).
    assert out["minutes_urgences"].tolist() == pytest.approx([0.0, 10.0, 14.615, 1.0], abs=1e-3)
    assert out["plus_proche_urgences"].tolist() == ["CH (01001)", "CH (01001)", "CH (01001)", "CH2 (01004)"]


def random_graph(seed=3, n=400, m=1600):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = a != b
    w = rng.uniform(0.5, 6.0, keep.sum())
    mat = sparse.coo_matrix((w, (a[keep], b[keep])), shape=(n, n)).tocsr()  # directed, duplicates summed
    nodes = rng.uniform(0, 50_000, (n, 2))
    return RoadGraph(nodes=nodes, graph=mat, crs="EPSG:2154")


def test_multi_source_nearest_agrees_with_one_search_per_facility():
    graph = random_graph()
    rng = np.random.default_rng(7)
    fac_nodes = rng.choice(graph.n_nodes, 25, replace=False)
    dest = gpd.GeoDataFrame(
        {"equipement": ["urgences"] * len(fac_nodes)}, geometry=gpd.points_from_xy(*graph.nodes[fac_nodes].T), crs=2154
    )
    origins = graph.nodes[rng.choice(graph.n_nodes, 60, replace=False)]
    minutes, which = nearest_from_points(origins, dest, crs=graph.crs, source=graph, max_minutes=40)
    # Independent: time from every node to each facility (Dijkstra on the reversed graph), minimum over facilities.
    to_fac = dijkstra(graph.graph.T.tocsr(), indices=fac_nodes)  # (facilities, nodes)
    node_o = [int(np.flatnonzero((graph.nodes == p).all(axis=1))[0]) for p in origins]
    best = to_fac[:, node_o].min(axis=0)
    expected = np.where(best <= 40, best, np.nan)
    np.testing.assert_allclose(minutes, expected, atol=1e-6)
    reached = ~np.isnan(expected)
    np.testing.assert_allclose(to_fac[which[reached], np.array(node_o)[reached]], best[reached], atol=1e-6)


def test_facilities_within_agree_across_sources(roads):
    communes = line_of_communes((0, 10, 20, 30))
    dest = destinations([("hopital", "H", "01001", 0), ("hopital", "H3", "01003", 20)])
    straight = facilities_within(communes, dest, max_minutes=20)
    got = {(c, d): m for c, d, m in straight.itertuples(index=False)}
    assert got == pytest.approx({(0, 0): 0.0, (1, 0): 13.0, (1, 1): 13.0, (2, 1): 0.0, (3, 1): 13.0})
    graph = road_graph(roads, crs=communes.crs)
    road = facilities_within(communes, dest, source=graph, max_minutes=15)
    got = {(c, d): round(m, 3) for c, d, m in road.itertuples(index=False)}
    assert got == {(0, 0): 0.0, (1, 0): 10.0, (2, 0): 14.615, (0, 1): 14.615, (1, 1): 4.615, (2, 1): 0.0}


def test_surface_on_the_road_network_is_infinite_beyond_reach(roads):
    communes = line_of_communes((0, 10, 20, 30))
    graph = road_graph(roads, crs=communes.crs)
    dest = destinations([("urgences", "CH", "01001", 0)])
    surface = facility_time_surface(communes, dest, source=graph, resolution=1000, max_minutes=20)
    inside = ~np.isnan(surface.minutes)
    assert np.isinf(surface.minutes[inside]).any()  # the far end, beyond 20 minutes
    assert np.nanmin(surface.minutes) == pytest.approx(500 * np.sqrt(2) / 1000 / 30 * 60, abs=1e-4)  # cell centre
    assert surface.population.sum() == pytest.approx(4600.0)


def test_bad_parameters():
    communes = line_of_communes((0,))
    dest = destinations([("urgences", "CH", "01001", 0)])
    with pytest.raises(ParameterError, match="portée"):
        nearest_facility(communes, dest, max_minutes=0)
    with pytest.raises(ParameterError, match="'equipement'"):
        nearest_facility(communes, dest.drop(columns="equipement"))
    with pytest.raises(ParameterError, match="détour et vitesse"):
        StraightLine(speed_kmh=0)
