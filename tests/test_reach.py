"""Right at the border: the APL of a territory counts the supply and demand within reach beyond its border."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from territoires._errors import TerritoiresWarning
from territoires.analysis.apl import compute_apl
from territoires.analysis.reach import communes_within_reach, near_the_edge
from territoires.pipeline import DiagnosticInputs, DiagnosticOptions, run_diagnostic

#: A strip of 12 square communes of 5 km near Toulouse (Lambert-93): cells 0-3 in département 31, 4-11 in the 32.
CELL = 5000.0
X0, Y0 = 520_000.0, 6_270_000.0


def strip() -> gpd.GeoDataFrame:
    codes = [f"31{i:03d}" for i in range(1, 5)] + [f"32{i:03d}" for i in range(1, 9)]
    return gpd.GeoDataFrame(
        {"code_commune": codes, "nom": codes, "population": [1000.0 + 500 * (i % 3) for i in range(12)]},
        geometry=[box(X0 + i * CELL, Y0, X0 + (i + 1) * CELL, Y0 + CELL) for i in range(12)],
        crs=2154,
    )


def test_straight_line_reach_takes_two_steps_of_20_minutes():
    # 20 min at 60 km/h with a detour of 1.3 = 15.4 km: 3 cells of 5 km. Supply within 3 cells of the 31
    # (cells 4-6), and the demand on that supply within 3 more (cells 7-9); cells 10 and 11 are out of reach.
    territory = np.arange(12) < 4
    mask = communes_within_reach(strip(), territory, max_minutes=20.0)
    assert np.flatnonzero(mask).tolist() == list(range(10))
    one_step = communes_within_reach(strip(), territory, max_minutes=20.0, steps=1)
    assert np.flatnonzero(one_step).tolist() == list(range(7))


def test_near_the_edge_counts_communes_within_two_reaches_of_the_outline():
    # 2 × 20 min in straight line = 30.8 km; the outline of a 5 km wide strip runs 2.5 km from every point, so
    # every commune is flagged (an upper bound: the long sides could be a coast).
    assert near_the_edge(strip().iloc[:4], max_minutes=20.0).sum() == 4
    # A 60 × 60 km square of 5 km cells (centres at 2.5, 7.5 … 57.5 km). At 2 × 20 min (30.8 km) every centre is
    # near a side (the middle ones are 27.5 km away); at 2 × 10 min (15.4 km) the centres at 17.5 … 42.5 km on
    # both axes (6 × 6 = 36 cells) are farther than that from every side.
    square = gpd.GeoDataFrame(
        {"code_commune": [f"{i:05d}" for i in range(144)]},
        geometry=[box(x * CELL, y * CELL, (x + 1) * CELL, (y + 1) * CELL) for y in range(12) for x in range(12)],
        crs=2154,
    )
    assert near_the_edge(square, max_minutes=20.0).sum() == 144
    assert near_the_edge(square, max_minutes=10.0).sum() == 144 - 36


@pytest.fixture
def files(tmp_path):
    gdf = strip()
    gdf.to_crs(4326).to_file(tmp_path / "communes.geojson", driver="GeoJSON")
    gdf.iloc[:4].to_crs(4326).to_file(tmp_path / "communes31.geojson", driver="GeoJSON")
    # GPs: 2 in cell 1 (31), 3 in cell 5 (32, 10 km from the border), 4 in cell 10 (out of reach).
    pd.DataFrame({"code_commune": ["31002", "32002", "32007"], "nombre": [2, 3, 4]}).to_csv(
        tmp_path / "gp.csv", index=False
    )
    return tmp_path


def expected_apl() -> pd.Series:
    gdf = strip()
    gdf["population_standardisee"] = gdf["population"]
    gp = pd.DataFrame({"code_commune": ["31002", "32002", "32007"], "nombre": [2.0, 3.0, 4.0]})
    return compute_apl(gdf, gp).set_index("code_commune")["apl"]


def test_departement_within_wider_files_equals_the_whole_computation(files):
    d = run_diagnostic(
        DiagnosticInputs(communes=files / "communes.geojson", practitioners=files / "gp.csv"),
        DiagnosticOptions(departements=("31",), catchments=False, zones=False),
    )
    apl = d.communes.set_index("code_commune")["apl"]
    assert apl.index.tolist() == ["31001", "31002", "31003", "31004"]
    whole = expected_apl()
    np.testing.assert_allclose(apl.to_numpy(), whole.loc[apl.index].to_numpy(), rtol=0, atol=1e-12)
    counts = d.metadata["comptes"]
    assert counts["communes_voisines"] == 6  # cells 4-9
    assert d.figures.practitioners == 2  # the territory's
    assert counts["praticiens_voisins"] == 3  # cell 5, inside the ring
    assert counts["praticiens_hors_territoire"] == 7  # cell 5 and cell 10
    assert d.figures.population == 1000 + 1500 + 2000 + 1000  # the territory's inhabitants
    assert "Communes voisines prises en compte dans l'APL (offre et demande à portée) : 6 (3 praticien(s))" in (
        d.summary()
    )
    # The supply across the border matters: the 31 alone sees only its own 2 GPs.
    assert (whole.loc[apl.index] != expected_alone()).all()


def expected_alone() -> np.ndarray:
    gdf = strip().iloc[:4].copy()
    gdf["population_standardisee"] = gdf["population"]
    gp = pd.DataFrame({"code_commune": ["31002"], "nombre": [2.0]})
    return compute_apl(gdf, gp)["apl"].to_numpy()


def test_territory_given_alone_warns_once_with_the_count_and_the_fix(files):
    with pytest.warns(TerritoiresWarning) as record:
        d = run_diagnostic(
            DiagnosticInputs(communes=files / "communes31.geojson", practitioners=files / "gp.csv"),
            DiagnosticOptions(catchments=False, zones=False),
        )
    border = [str(w.message) for w in record if "biais de bord" in str(w.message)]
    assert len(border) == 1
    assert "4 commune(s) sur 4 sont à moins de 2 × 20 min" in border[0]
    assert "contours des départements voisins (ou un fichier national" in border[0]
    np.testing.assert_allclose(d.communes["apl"].to_numpy(), expected_alone())


def test_matrix_reach_selects_the_communes_within_the_matrix_times(files):
    # With an origin-destination matrix the reach is what the matrix says, not the straight line.
    times = pd.DataFrame(
        {
            "origin": ["31004", "32008", "32003"],
            "destination": ["32008", "32008", "32001"],
            "minutes": [19.0, 0.0, 20.0],  # 20 minutes: weight 0, out of reach
        }
    )
    mask = communes_within_reach(strip(), np.arange(12) < 4, max_minutes=20.0, travel_times=times)
    assert strip().loc[mask, "code_commune"].tolist() == ["31001", "31002", "31003", "31004", "32008"]


def test_cached_communes_lists_every_checked_departement_file(tmp_path):
    from territoires.io.fetch import cached_communes

    (tmp_path / "communes").mkdir()
    for dep in ("31", "32", "81"):
        (tmp_path / "communes" / f"communes_{dep}.geojson").write_text("{}")
    (tmp_path / "communes" / "communes_09.geojson.part").write_text("{")  # an interrupted download
    manifest = {f"communes/communes_{d}.geojson": {"sha256": "x"} for d in ("31", "32")}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    # 81 is not in the manifest (never checked), 09 is half downloaded: neither is used.
    assert [p.name for p in cached_communes(cache_dir=tmp_path)] == ["communes_31.geojson", "communes_32.geojson"]


@pytest.mark.parametrize(("hole_m", "flagged"), [(200.0, False), (1500.0, True)])
def test_small_gaps_of_simplified_contours_are_not_an_edge(hole_m, flagged):
    # 5 × 5 cells of 5 km; the centre cell's point is 12.5 km from the outer edge, beyond 2 × 5 min (7.7 km). A hole
    # near it counts as an edge only from 1 km² on (an enclave), not a 200 m gap between simplified contours.
    cells = [box(x * CELL, y * CELL, (x + 1) * CELL, (y + 1) * CELL) for y in range(5) for x in range(5)]
    c = 2.5 * CELL + 1000.0
    cells[12] = cells[12].difference(box(c, c, c + hole_m, c + hole_m))
    grid = gpd.GeoDataFrame({"code_commune": [f"{i:05d}" for i in range(25)]}, geometry=cells, crs=2154)
    near = near_the_edge(grid, max_minutes=5.0)
    assert near[12] == flagged
    assert near.sum() == 24 + flagged  # every other centre is 2.5 or 7.5 km from the outer edge
