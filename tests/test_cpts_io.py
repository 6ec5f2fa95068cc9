"""Loaders of existing CPTS perimeters and care flows, on hand-built cases with known answers."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
import pytest
from conftest import DATA_DIRECTORY, SHARED_DATA, requires_shared
from shapely import box

from territoires._errors import InputError, TerritoiresWarning
from territoires.io.cpts import (
    existing_cpts_from_file,
    existing_cpts_from_frame,
    existing_cpts_from_polygons,
    flows_from_file,
    flows_from_frame,
)
from territoires.schemas import LEFT_OUT_COLUMNS

X0, Y0 = 600_000.0, 6_200_000.0


@pytest.fixture
def grid(make_grid) -> gpd.GeoDataFrame:
    """Six 1 km squares in Lambert-93: 31001 31002 31003 on the bottom row, 31004 31005 31006 above."""
    return make_grid([1000.0] * 6, ny=2, prefix="31", origin=(X0, Y0), names=list("ABCDEF"))


def _run(func, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = func(*args, **kwargs)
    messages = [str(w.message) for w in caught if issubclass(w.category, TerritoiresWarning)]
    return result, messages


# ------------------------------------------------------------------------------------------------------------
# Existing CPTS: tables


def test_table_with_former_code_unknown_codes_and_repeats(grid):
    before = grid.copy()
    result, messages = _run(
        existing_cpts_from_file, DATA_DIRECTORY / "cpts_communes.csv", grid, former_codes={"31099": "31005"}
    )
    assert list(result.columns) == ["code_commune", "cpts_id", "cpts_nom"]
    expected = pd.DataFrame(
        {
            "code_commune": ["31001", "31002", "31003", "31005", "31006"],
            "cpts_id": ["310000001", "310000001", "310000002", "310000002", "310000002"],
            "cpts_nom": ["CPTS des Coteaux"] * 2 + ["CPTS du Plateau"] * 3,
        }
    )
    pd.testing.assert_frame_equal(result, expected, check_dtype=False)
    # The former code 31099 (line 6) went to 31005.
    assert result.attrs["anciens_codes_remplaces"] == 1
    assert result.attrs["cpts"] == 2
    left = pd.DataFrame(result.attrs["left_out"])
    assert list(left.columns) == list(LEFT_OUT_COLUMNS)
    assert left["ligne"].tolist() == [7, 8, 9, 10]
    assert left["motif"].tolist() == [
        "commune en double dans la même CPTS",
        "commune absente du territoire étudié (31900)",
        "commune absente du territoire étudié (01001)",
        "code commune vide",
    ]
    unknown = [m for m in messages if "absente(s) du territoire" in m]
    assert len(unknown) == 1 and "2 commune(s)" in unknown[0] and "01001, 31900" in unknown[0]
    other = [m for m in messages if "ligne(s) écartée(s)" in m]
    assert len(other) == 1 and "2 ligne(s) écartée(s) sur 9" in other[0]
    pd.testing.assert_frame_equal(grid, before)


def test_table_without_former_codes_reports_the_old_code(grid):
    result, _ = _run(existing_cpts_from_file, DATA_DIRECTORY / "cpts_communes.csv", grid)
    assert "31005" not in set(result["code_commune"])
    motifs = [r["motif"] for r in result.attrs["left_out"]]
    assert "commune absente du territoire étudié (31099)" in motifs
    assert len(result) == 4


def test_name_only_table_uses_the_name_as_identifier(grid):
    table = pd.DataFrame({"Nom CPTS": ["CPTS Sud", "CPTS Sud", "CPTS Nord"], "CODGEO": [31001, 31002, 31004]})
    result = existing_cpts_from_frame(table, grid)
    assert result["cpts_id"].tolist() == ["CPTS Nord", "CPTS Sud", "CPTS Sud"]
    assert result["code_commune"].tolist() == ["31004", "31001", "31002"]
    assert result.attrs["left_out"] == []


def test_commune_in_two_cpts_names_both_and_the_rows(grid):
    with pytest.raises(InputError) as err:
        existing_cpts_from_file(DATA_DIRECTORY / "cpts_doublon.csv", grid)
    msg = str(err.value)
    assert "cpts_doublon.csv" in msg and "commune 31002" in msg
    assert "'CPTS Est' (ligne 2)" in msg and "'CPTS Ouest' (ligne 4)" in msg


def test_two_cpts_meeting_through_a_former_code(grid):
    table = pd.DataFrame({"cpts": ["CPTS Est", "CPTS Ouest"], "code_commune": ["31005", "31099"]})
    with pytest.raises(
        InputError, match=r"commune 31005 dans 'CPTS Est' \(ligne 2\) et 'CPTS Ouest' \(ligne 3, code 31099\)"
    ):
        existing_cpts_from_frame(table, grid, former_codes={"31099": "31005"})


def test_identifier_with_two_names(grid):
    table = pd.DataFrame(
        {"id_cpts": ["A", "A"], "cpts": ["CPTS Est", "CPTS Ouest"], "code_commune": ["31001", "31002"]}
    )
    with pytest.raises(InputError, match="plusieurs noms"):
        existing_cpts_from_frame(table, grid)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cpts_vide.csv", "aucune ligne"),
        ("cpts_sans_code.csv", r"colonne 'code_commune' manquante"),
        ("cpts_code_invalide.csv", r"ligne 3 : 'ABCDE'"),
        ("cpts_absent.csv", "fichier introuvable"),
    ],
)
def test_bad_tables(grid, name, expected):
    with pytest.raises(InputError, match=expected) as err:
        existing_cpts_from_file(DATA_DIRECTORY / name, grid)
    assert name in str(err.value)


def test_missing_cpts_column_names_expected_columns(grid):
    table = pd.DataFrame({"code_commune": ["31001"], "population": ["12"]})
    with pytest.raises(InputError, match="colonne 'cpts' manquante.*Colonnes attendues : cpts"):
        existing_cpts_from_frame(table, grid, source="mes_cpts.csv")


def test_demo_file(grid):
    from territoires.demo.generate import demo_paths
    from territoires.io.communes import communes_from_file

    paths = demo_paths()
    communes = communes_from_file(paths["communes"])
    result, messages = _run(existing_cpts_from_file, paths["existing_cpts"], communes)
    assert len(result) == 17 and result["cpts_id"].nunique() == 1
    assert messages == []


# ------------------------------------------------------------------------------------------------------------
# Existing CPTS: polygons


def test_polygons_assign_by_largest_share(grid):
    result, messages = _run(existing_cpts_from_file, DATA_DIRECTORY / "cpts_polygones.geojson", grid)
    # Coteaux covers 70 % of 31001 and 30 % of 31002; Plateau covers 31003 and 31006 fully and 5 % of 31005.
    assert result["code_commune"].tolist() == ["31001", "31003", "31006"]
    assert result["cpts_id"].tolist() == ["310000001", "310000002", "310000002"]
    assert result["cpts_nom"].tolist() == ["CPTS des Coteaux", "CPTS du Plateau", "CPTS du Plateau"]
    share = result.attrs["part_couverte"]
    assert share["31001"] == pytest.approx(0.7)
    assert share["31002"] == pytest.approx(0.3)
    assert share["31006"] == pytest.approx(1.0)
    assert "31005" not in share  # 5 %: below the 10 % reporting floor
    assert result.attrs["couverture_partielle"] == ["31002"]
    partial = [m for m in messages if "partiellement" in m]
    assert len(partial) == 1 and "1 commune(s)" in partial[0] and "31002 (30\u00a0%)" in partial[0]
    left = result.attrs["left_out"]
    assert [(r["ligne"], r["identifiant"]) for r in left] == [(3, "310000009")]
    assert left[0]["motif"].startswith("CPTS sans commune")


def test_polygons_in_wgs84_are_reprojected(grid):
    polygons = gpd.read_file(DATA_DIRECTORY / "cpts_polygones.geojson").to_crs("EPSG:4326")
    result, _ = _run(existing_cpts_from_polygons, polygons, grid)
    assert result["code_commune"].tolist() == ["31001", "31003", "31006"]
    assert result.attrs["part_couverte"]["31001"] == pytest.approx(0.7, abs=1e-3)


def test_min_share_option(grid):
    result, _ = _run(existing_cpts_from_file, DATA_DIRECTORY / "cpts_polygones.geojson", grid, min_share=0.25)
    assert result["code_commune"].tolist() == ["31001", "31002", "31003", "31006"]


def test_overlapping_polygons_raise(grid):
    polygons = gpd.GeoDataFrame(
        {"cpts": ["CPTS Est", "CPTS Ouest"]},
        geometry=[box(X0, Y0 + 1000, X0 + 1000, Y0 + 2000), box(X0 - 100, Y0 + 1000, X0 + 900, Y0 + 2000)],
        crs="EPSG:2154",
    )
    with pytest.raises(InputError, match=r"commune 31004 : 'CPTS Est' \(100\u00a0%\) et 'CPTS Ouest' \(90\u00a0%\)"):
        existing_cpts_from_polygons(polygons, grid)


def test_points_instead_of_polygons(grid):
    points = gpd.GeoDataFrame({"cpts": ["CPTS Est"]}, geometry=gpd.points_from_xy([X0 + 10], [Y0 + 10]), crs=2154)
    with pytest.raises(InputError, match="Point ; des polygones"):
        existing_cpts_from_polygons(points, grid)


# ------------------------------------------------------------------------------------------------------------
# Flows


def test_flows_summed_and_normalised():
    result, messages = _run(flows_from_file, DATA_DIRECTORY / "flux_patients.csv")
    expected = pd.DataFrame(
        {
            "origin": ["01001", "31001", "31001", "31002", "31003"],
            "destination": ["31002", "31001", "31002", "31002", "31003"],
            "flux": [7.0, 125.0, 42.5, 200.0, 80.0],
        }
    )
    pd.testing.assert_frame_equal(result, expected, check_dtype=False)
    assert result["flux"].sum() == pytest.approx(454.5)
    assert result.attrs["doublons_additionnes"] == 2
    assert [(r["ligne"], r["identifiant"], r["motif"]) for r in result.attrs["left_out"]] == [
        (7, "31003→31002", "flux vide")
    ]
    assert any("2 ligne(s) répètent" in m for m in messages)
    assert any("1 ligne(s) écartée(s) sur 8" in m for m in messages)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("flux_negatif.csv", r"flux négatif\(s\) \(ligne 4 : '-3'\)"),
        ("flux_non_numerique.csv", r"colonne 'actes' : 1 valeur\(s\) non numérique\(s\) \(ligne 3 : 'beaucoup'\)"),
        ("cpts_communes.csv", "colonne 'origin' manquante"),
    ],
)
def test_bad_flows(name, expected):
    with pytest.raises(InputError, match=expected) as err:
        flows_from_file(DATA_DIRECTORY / name)
    assert name in str(err.value)


def test_flows_from_parquet_with_integer_codes(tmp_path):
    table = pd.DataFrame({"origin": [1001, 31555], "destination": [31555, 31555], "consultations": [3, 4.5]})
    path = tmp_path / "flux.parquet"
    table.to_parquet(path)
    result = flows_from_file(path)
    assert result["origin"].tolist() == ["01001", "31555"]
    assert result["flux"].tolist() == [3.0, 4.5]


def test_flows_from_frame_does_not_modify_input():
    table = pd.DataFrame({"origin": ["31001", "31001"], "destination": ["31002", "31002"], "flux": ["1", "2"]})
    before = table.copy()
    result, _ = _run(flows_from_frame, table)
    assert result["flux"].tolist() == [3.0]
    pd.testing.assert_frame_equal(table, before)


def test_empty_flow_table():
    with pytest.raises(InputError, match="aucune ligne"):
        flows_from_frame(pd.DataFrame({"origin": [], "destination": [], "flux": []}), source="f.csv")


def test_former_codes_taken_from_communes_attrs(grid):
    communes = grid.copy()
    communes.attrs["former_codes"] = {"31099": "31005"}
    table = pd.DataFrame({"cpts": ["CPTS Est"], "code_commune": ["31099"]})
    result = existing_cpts_from_frame(table, communes)
    assert result["code_commune"].tolist() == ["31005"]
    assert result.attrs["anciens_codes_remplaces"] == 1


def test_public_api():
    import territoires as tt

    assert tt.existing_cpts_from_file is existing_cpts_from_file
    assert tt.flows_from_file is flows_from_file


# ------------------------------------------------------------------------------------------------------------
# Synthetic demo flows


class _MeanRng:
    """Stands for a generator whose Poisson draws return their (rounded) mean: the model without noise."""

    @staticmethod
    def poisson(lam):
        import numpy as np

        return np.round(lam).astype(int)


def test_gravity_flows_hand_case():
    from territoires.demo.generate import gravity_flows

    communes = gpd.GeoDataFrame(
        {"code_commune": ["31001", "31002"]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 3000, Y0, X0 + 4000, Y0 + 1000)],
        crs="EPSG:2154",
    )
    flows = gravity_flows(communes, [1000, 2000], [1, 3], rng=_MeanRng(), decay_minutes=8.0)
    # 3 km * 1.3 detour at 60 km/h = 3.9 min; attraction of the other commune = gps * exp(-3.9 / 8).
    a = 3 * 0.614186  # from 31001 towards 31002 (3 GPs)
    b = 1 * 0.614186  # from 31002 towards 31001 (1 GP)
    expected = [850 * 1 / (1 + a), 850 * a / (1 + a), 1700 * b / (3 + b), 1700 * 3 / (3 + b)]
    assert flows["origin"].tolist() == ["31001", "31001", "31002", "31002"]
    assert flows["destination"].tolist() == ["31001", "31002", "31001", "31002"]
    assert flows["flux"].tolist() == [round(v) for v in expected] == [299, 551, 289, 1411]


def test_demo_flows_file_is_reproducible_and_consistent(tmp_path):
    import numpy as np

    from territoires.demo.generate import FLOW_CONSULTING_SHARE, demo_paths, generate_demo

    paths = demo_paths()
    flows, messages = _run(flows_from_file, paths["flows"])
    assert messages == []
    population = pd.read_csv(paths["population"], sep=";", encoding="cp1252", dtype={"CODGEO": str})
    assert set(flows["origin"]) | set(flows["destination"]) <= set(population["CODGEO"])
    expected = FLOW_CONSULTING_SHARE * population["PMUN"].sum()
    # A sum of Poisson draws: within 4 standard deviations of its mean.
    assert abs(flows["flux"].sum() - expected) < 4 * np.sqrt(expected)
    fresh = generate_demo(tmp_path)
    for name in ("flows", "population", "practitioners", "existing_cpts", "facilities", "rpps"):
        assert fresh[name].read_bytes() == paths[name].read_bytes(), name


# ------------------------------------------------------------------------------------------------------------
# Real communes (../shared/data)


@requires_shared
def test_polygons_agree_with_table_on_real_communes():
    from territoires.io.communes import communes_from_file

    communes = communes_from_file(SHARED_DATA / "communes" / "communes-31-haute-garonne.geojson")
    # Groups of communes sharing their first four code characters, drawn as dissolved polygons in WGS84 (the
    # usual CRS of a GeoJSON drawn by hand): the polygon route must give back exactly the table route.
    groups = pd.DataFrame(
        {"cpts": "CPTS " + communes["code_commune"].str[:4], "code_commune": communes["code_commune"]}
    )
    drawn = communes.assign(cpts=groups["cpts"].to_numpy()).dissolve(by="cpts").reset_index()[["cpts", "geometry"]]
    by_polygons, messages = _run(existing_cpts_from_polygons, drawn.to_crs("EPSG:4326"), communes)
    by_table = existing_cpts_from_frame(groups, communes)
    assert len(by_table) == len(communes) == 587
    pd.testing.assert_frame_equal(by_polygons, by_table)
    assert by_polygons.attrs["couverture_partielle"] == []
    assert min(by_polygons.attrs["part_couverte"].values()) > 0.99
    assert messages == []


def test_parquet_table_and_geoparquet(grid, tmp_path):
    table = tmp_path / "cpts.parquet"
    pd.DataFrame({"cpts": ["CPTS Est", "CPTS Est"], "code_commune": [31001, 31004]}).to_parquet(table)
    assert existing_cpts_from_file(table, grid)["code_commune"].tolist() == ["31001", "31004"]
    shapes = tmp_path / "cpts_geo.parquet"
    gpd.GeoDataFrame({"cpts": ["CPTS Est"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 2000)], crs=2154).to_parquet(shapes)
    assert existing_cpts_from_file(shapes, grid)["code_commune"].tolist() == ["31001", "31004"]


# ------------------------------------------------------------------------------------------------------------
# Perimeters to compare with (a commune may be shared)


def test_perimeters_accept_a_commune_shared_by_two_cpts(grid, tmp_path):
    from territoires.io.cpts import cpts_perimeters_from_file

    path = tmp_path / "reelles.csv"
    path.write_text("cpts,code_commune\nNord,31001\nNord,31002\nSud,31002\nSud,31003\n", encoding="utf-8")
    # As existing CPTS (kept as they are) a commune in two CPTS is an error ...
    with pytest.raises(InputError, match="deux CPTS"):
        existing_cpts_from_file(path, grid)
    # ... to compare with, it is shared: half in each.
    perimeters = cpts_perimeters_from_file(path, grid)
    shares = perimeters.set_index(["cpts_id", "code_commune"])["part"]
    assert shares[("Nord", "31002")] == 0.5 and shares[("Sud", "31002")] == 0.5
    assert shares[("Nord", "31001")] == 1.0


def test_perimeters_from_polygons_compare_with_a_proposal(grid, tmp_path):
    from territoires import compare_catchments
    from territoires.io.cpts import cpts_perimeters_from_file

    # Two CPTS drawn as polygons: the bottom row and the top row.
    polygons = gpd.GeoDataFrame(
        {"cpts": ["Bas", "Haut"]},
        geometry=[box(X0, Y0, X0 + 3000, Y0 + 1000), box(X0, Y0 + 1000, X0 + 3000, Y0 + 2000)],
        crs="EPSG:2154",
    ).to_crs(4326)
    path = tmp_path / "reelles.geojson"
    polygons.to_file(path)
    perimeters = cpts_perimeters_from_file(path, grid)
    assert perimeters["part"].tolist() == [1.0] * 6
    # A proposal of the left column (31001, 31004) and the rest: "Bas" (3,000 inh.) best matches the rest
    # (31002, 31003, 31005, 31006: 4,000 inh.; 2,000 in common): 2,000 / 5,000 = 0.4.
    proposal = grid.assign(cpts_id=["G", "D", "D", "G", "D", "D"])
    result = compare_catchments(proposal, perimeters)
    bas = result.territories.set_index("cpts_id").loc["Bas"]
    assert bas["meilleur_territoire"] == "D" and bas["jaccard"] == pytest.approx(0.4)


def test_perimeters_to_compare_are_named_as_such_in_warnings(grid, tmp_path):
    """``cpts --comparer`` reads a file of perimeters to compare with: its warnings must not say « CPTS existantes »."""
    from territoires.io.cpts import cpts_perimeters_from_file

    path = tmp_path / "a_comparer.csv"
    path.write_text("cpts;code_commune\nNord;31001\nNord;99001\nNord;99002\n", encoding="utf-8")
    _, messages = _run(cpts_perimeters_from_file, path, grid)
    absent = [m for m in messages if "absente(s) du territoire étudié" in m]
    assert absent == [
        f"{path}: 2 commune(s) des périmètres de CPTS à comparer absente(s) du territoire étudié (ex. 99001, 99002) ; "
        "elles sont ignorées."
    ]
    assert not any("CPTS existantes" in m for m in messages)
    # The same file read as existing CPTS keeps its name.
    _, messages = _run(existing_cpts_from_file, path, grid)
    assert any("2 commune(s) des CPTS existantes absente(s)" in m for m in messages)
    # Polygons that cut a commune in half (31002 at 50 %, below 50 % + ε): partially covered, named the same way.
    polygons = gpd.GeoDataFrame(
        {"cpts": ["Ouest"]}, geometry=[box(X0, Y0, X0 + 1400, Y0 + 1000)], crs="EPSG:2154"
    )  # 31001 whole, 31002 at 40 %
    vector = tmp_path / "a_comparer.gpkg"
    polygons.to_file(vector)
    _, messages = _run(cpts_perimeters_from_file, vector, grid)
    partial = [m for m in messages if "partiellement couverte" in m]
    assert len(partial) == 1 and "par une CPTS (périmètres de CPTS à comparer ; entre 10" in partial[0]
    assert "31002 (40" in partial[0] and "1 commune(s) rattachée(s)" in partial[0]
