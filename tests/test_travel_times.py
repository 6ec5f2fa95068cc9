import geopandas as gpd
import pytest
from shapely.geometry import box

from territoires.analysis.travel_times import straight_line_times


def test_straight_line_times_hand_computed():
    # Three 1 km squares whose representative points sit 10 km and 30 km apart on a line.
    communes = gpd.GeoDataFrame(
        {"code_commune": ["01001", "01002", "01003"]},
        geometry=[box(0, 0, 1000, 1000), box(10_000, 0, 11_000, 1000), box(30_000, 0, 31_000, 1000)],
        crs="EPSG:2154",
    )
    tt = straight_line_times(communes, max_minutes=20, detour_factor=1.5, speed_kmh=60)
    got = {(o, d): m for o, d, m in tt.itertuples(index=False)}
    # 10 km * 1.5 / 60 km/h = 15 min; 20 km * 1.5 = 30 min > 20: left out; self pairs at 0.
    assert got[("01001", "01002")] == pytest.approx(15.0)
    assert got[("01002", "01001")] == pytest.approx(15.0)
    assert ("01001", "01003") not in got
    assert ("01002", "01003") not in got  # 20 km * 1.5 = 30 min
    assert all(got[(c, c)] == 0.0 for c in communes["code_commune"])
    assert len(tt) == 5
