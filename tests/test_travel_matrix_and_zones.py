import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from territoires import InputError, TerritoiresWarning
from territoires.analysis.zones import travel_time_surface, zones_from_surface
from territoires.export.raster import save_surface_geotiff
from territoires.io.travel_times import travel_times_from_matrix


@pytest.fixture
def grid(make_grid):
    # Four 10 km squares in a row: x from 0 to 40 km.
    return make_grid([1000.0, 2000.0, 3000.0, 4000.0], size=10_000)


def test_matrix_is_read_in_its_direction(tmp_path, grid):
    p = tmp_path / "od.csv"
    p.write_text("origin;destination;minutes\n01001;01002;12,5\n01002;01001;30\n1003;01003;0\n")
    with pytest.warns(TerritoiresWarning, match="sans aucun temps de trajet"):
        tt = travel_times_from_matrix(p, communes=grid)
    got = {(o, d): m for o, d, m in tt.itertuples(index=False)}
    assert got == {("01001", "01002"): 12.5, ("01002", "01001"): 30.0, ("01003", "01003"): 0.0}


def test_matrix_parquet_and_unknown_codes(tmp_path, grid):
    import pandas as pd

    p = tmp_path / "od.parquet"
    pd.DataFrame({"origin": ["01001", "99999"], "destination": ["01002", "01001"], "minutes": [5.0, 7.0]}).to_parquet(p)
    with (
        pytest.warns(TerritoiresWarning, match=r"1 paire\(s\) avec une commune hors du territoire"),
        pytest.warns(TerritoiresWarning, match=r"3 commune\(s\) sans aucun temps de trajet comme origine"),
    ):
        tt = travel_times_from_matrix(p, communes=grid)
    assert len(tt) == 1


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("origin;destination\n01001;01002\n", "colonne 'minutes' manquante"),
        ("origin;destination;minutes\n01001;01002;-3\n", "ligne 2 : temps négatif"),
        ("origin;destination;minutes\n01001;01002;3\n01001;01002;4\n", "ligne 3 : paire origine-destination en double"),
        ("origin;destination;minutes\n01001;01002;vite\n", "non numérique"),
    ],
)
def test_bad_matrices(tmp_path, text, match):
    p = tmp_path / "od.csv"
    p.write_text(text)
    with pytest.raises(InputError, match=match):
        travel_times_from_matrix(p)


def test_surface_times_and_population_conserved(grid, tmp_path):
    doctors = gpd.GeoDataFrame(geometry=[Point(5_000, 5_000)], crs="EPSG:2154")
    s = travel_time_surface(grid, doctors, resolution=1000, detour_factor=1.0, speed_kmh=60)
    assert s.minutes.shape == (10, 40)
    # Cell centre (35.5 km, 5.5 km) is 30.5 km (and a bit) from the doctor: ~30.5 min at 60 km/h without detour.
    assert s.minutes[4, 35] == pytest.approx(np.hypot(30_500, 500) / 1000, rel=1e-6)
    assert s.population.sum() == pytest.approx(10_000)
    zones = zones_from_surface(s, breaks=(10, 20, 30))
    assert zones["classe_minutes"].tolist() == ["moins de 10 min", "10 à 20 min", "20 à 30 min", "30 min ou plus"]
    assert zones["population"].sum() == pytest.approx(10_000)
    # The first commune (0–10 km) lies within 10 min except its far corners (√(5²+5²) ≈ 7.1 km: all within).
    assert zones.loc[0, "population"] == pytest.approx(1000 + 2000 * 0.45, rel=0.05)
    out = save_surface_geotiff(tmp_path / "t.tif", s)
    import rasterio

    with rasterio.open(out) as src:
        assert src.crs.to_epsg() == 2154 and src.count == 2
        assert src.read(1)[4, 35] == pytest.approx(s.minutes[4, 35])
