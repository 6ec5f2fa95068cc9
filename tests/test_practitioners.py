from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import DATA_DIRECTORY
from shapely.geometry import Point, box

from territoires import InputError, ParameterError, TerritoiresWarning
from territoires.io.practitioners import (
    RPPS_HEADER,
    is_rpps_file,
    locate_in_communes,
    practitioners_from_file,
    practitioners_from_rpps,
    practitioners_from_table,
)
from territoires.schemas import LEFT_OUT_COLUMNS, PRACTITIONER_COLUMNS

RPPS = DATA_DIRECTORY / "rpps_personne_activite.txt"


@pytest.fixture
def communes() -> gpd.GeoDataFrame:
    """Squares in Lambert-93 around the real positions of six communes of Occitanie."""
    squares = {
        "31555": (572000, 6276000, 578000, 6282000),  # Toulouse
        "31069": (568000, 6282000, 572000, 6286000),  # Blagnac
        "09122": (584000, 6206000, 588000, 6210000),  # Foix
        "09264": (584000, 6210000, 590000, 6215000),  # Saint-Jean-de-Verges
        "32013": (503000, 6284000, 507000, 6288000),  # Auch
        "81004": (629000, 6312000, 634000, 6317000),  # Albi
    }
    return gpd.GeoDataFrame(
        {"code_commune": list(squares)},
        geometry=[box(*b) for b in squares.values()],
        crs="EPSG:2154",
    )


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TerritoiresWarning)
        return func(*args, **kwargs)


# ---------------------------------------------------------------------------------------------------- RPPS


def test_rpps_fixture_has_the_published_header():
    header = RPPS.read_text(encoding="utf-8").splitlines()[0]
    assert header == "|".join(RPPS_HEADER) + "|"
    assert len(RPPS_HEADER) == 52


def test_rpps_general_practitioners_one_row_per_site_and_heads_not_double_counted():
    with pytest.warns(TerritoiresWarning, match=r"3 ligne\(s\) écartée\(s\) sur 9 : 1 code commune vide"):
        gps = practitioners_from_rpps(RPPS)
    assert list(gps.columns) == [*PRACTITIONER_COLUMNS, "geometry"]
    # 8 GP rows in the file (lines 2-7, 11-13): 3 left out, 6 kept, 5 people (one GP with two surgeries).
    assert gps["source_ligne"].tolist() == [2, 3, 4, 5, 12, 13]
    assert gps["nombre"].tolist() == [0.5, 0.5, 1.0, 1.0, 1.0, 1.0]
    assert gps["nombre"].sum() == 5.0
    assert gps.attrs["selection"]["personnes"] == 5
    assert gps["code_commune"].tolist() == ["31555", "31069", "31555", "09122", "31555", "09337"]
    assert gps["mode_exercice"].tolist() == [
        "liberal",
        "liberal",
        "salarie",
        "liberal",
        "benevole",
        "liberal",
    ]
    assert set(gps["specialite"]) == {
        "Médecine Générale",
        "Spécialiste en Médecine Générale",
        "Qualifié en Médecine Générale",
    }
    assert gps.loc[0, "nom"] == "CLAIRE MARTIN"
    assert gps.geometry.isna().all()
    assert gps[["activite", "etp", "age"]].isna().all().all()


def test_rpps_left_out_rows_are_listed_with_line_and_reason():
    gps = quiet(practitioners_from_rpps, RPPS)
    left = pd.DataFrame(gps.attrs["left_out"])
    assert list(left.columns) == list(LEFT_OUT_COLUMNS)
    assert left["ligne"].tolist() == [6, 7, 11]
    assert left["identifiant"].tolist() == ["10104567891", "10105678912", "10003456789"]
    assert left["motif"].tolist() == [
        "code commune vide (code postal 31000)",
        "adresse hors de France (code postal 1000, pays Belgique)",
        "activité en double (même personne, même site)",
    ]


def test_rpps_all_professions_and_mode_filter():
    everyone = quiet(practitioners_from_rpps, RPPS, professions=None)
    assert everyone["profession"].value_counts().to_dict() == {
        "medecin_generaliste": 6,
        "medecin_specialiste": 1,
        "infirmier": 1,
        "masseur_kinesitherapeute": 1,
    }
    liberal = quiet(practitioners_from_rpps, RPPS, modes=["liberal"])
    assert liberal["source_ligne"].tolist() == [2, 3, 5, 13]
    assert liberal.attrs["selection"]["autres_modes"] == 2  # salaried (line 4) and volunteer (line 12)
    nurses = quiet(practitioners_from_rpps, RPPS, professions=["infirmier"])
    assert nurses["code_commune"].tolist() == ["32013"]


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("rpps_vide.txt", r"rpps_vide\.txt: fichier vide"),
        ("rpps_mauvais_separateur.txt", r"séparateur '\|' absent de la ligne d'en-tête"),
        (
            "rpps_colonne_manquante.txt",
            r"colonne\(s\) manquante\(s\).*Code commune \(coord\. structure\)",
        ),
        (
            "rpps_champs_en_trop.txt",
            r"1 ligne\(s\) avec un nombre de champs incorrect \(ligne 3\).*52 séparateurs",
        ),
        ("absent.txt", r"fichier introuvable"),
    ],
)
def test_rpps_bad_files_raise_input_error(name, match):
    with pytest.raises(InputError, match=match):
        practitioners_from_rpps(DATA_DIRECTORY / name)


def test_rpps_unknown_profession_or_mode_is_a_parameter_error():
    with pytest.raises(ParameterError, match="professions inconnues : 'generaliste'"):
        practitioners_from_rpps(RPPS, professions=["generaliste"])
    with pytest.raises(ParameterError, match="modes d'exercice inconnus : 'L'"):
        practitioners_from_rpps(RPPS, modes=["L"])


# ---------------------------------------------------------------------------------------------------- tables


def test_table_with_commune_codes_french_numbers_and_duplicates():
    with pytest.warns(TerritoiresWarning, match=r"2 ligne\(s\) écartée\(s\) sur 7"):
        table = practitioners_from_table(DATA_DIRECTORY / "praticiens_communes.csv")
    assert table["id"].tolist() == ["P001", "P002", "P003", "P004", "P006"]
    assert table["code_commune"].tolist() == ["31555", "31555", "09122", "32013", "31069"]
    assert table["activite"].tolist()[:2] == [4800.0, 5200.5]
    assert table["etp"].tolist()[1] == 0.8
    assert np.isnan(table["activite"].iloc[2])
    assert table["nombre"].tolist() == [1.0, 1.0, 2.0, 1.0, 1.0]
    assert table["profession"].tolist() == ["medecin_generaliste"] * 3 + [
        "infirmier",
        "medecin_generaliste",
    ]
    left = table.attrs["left_out"]
    assert [(r["ligne"], r["motif"]) for r in left] == [
        (6, "ni coordonnées ni code commune"),
        (8, "activité en double (même identifiant, même site que la ligne 7)"),
    ]


def test_table_profession_filter_keeps_only_that_profession():
    gps = quiet(practitioners_from_table, DATA_DIRECTORY / "praticiens_communes.csv", profession="infirmier")
    assert gps["id"].tolist() == ["P004"]
    assert gps.attrs["selection"]["autres_professions"] == 6


def test_table_xy_needs_a_crs_and_then_gives_points():
    with pytest.raises(InputError, match=r"colonnes 'x'/'y' trouvées.*EPSG:2154"):
        practitioners_from_table(DATA_DIRECTORY / "praticiens_lambert.csv")
    with pytest.raises(InputError, match=r"système de coordonnées inconnu 'EPSG:99999'"):
        practitioners_from_table(DATA_DIRECTORY / "praticiens_lambert.csv", crs="EPSG:99999")
    pts = practitioners_from_table(DATA_DIRECTORY / "praticiens_lambert.csv", crs="EPSG:2154")
    assert pts.crs.to_epsg() == 2154
    assert pts.geometry.x.tolist() == [574357.4, 505187.5]
    assert pts["code_commune"].isna().all()


def test_geojson_points_are_read_with_their_crs():
    gdf = practitioners_from_table(DATA_DIRECTORY / "praticiens.geojson")
    assert gdf.crs.to_epsg() == 4326
    assert gdf["profession"].tolist() == ["medecin_generaliste", "masseur_kinesitherapeute"]
    assert gdf["etp"].tolist() == [1.0, 0.5]
    assert gdf.geometry.iloc[0].equals(Point(1.4442, 43.6045))


def test_geopackage_round_trip(tmp_path, communes):
    src = gpd.GeoDataFrame(
        {"code_insee": ["31555", "32013"], "activite": [4100.0, 5000.0]},
        geometry=[Point(575000, 6280000), Point(505000, 6286000)],
        crs="EPSG:2154",
    )
    path = tmp_path / "praticiens.gpkg"
    src.to_file(path, driver="GPKG")
    gdf = practitioners_from_table(path)
    assert gdf["activite"].tolist() == [4100.0, 5000.0]
    located = locate_in_communes(gdf, communes)
    assert located["code_commune"].tolist() == ["31555", "32013"]


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("praticiens_vide.csv", r"praticiens_vide\.csv: fichier vide"),
        (
            "praticiens_mauvais_separateur.csv",
            r"seule la première colonne est remplie \('id' = 'A1,Dr Alric,31555'",
        ),
        (
            "praticiens_non_numerique.csv",
            r"colonne 'activite' : 1 valeur\(s\) non numérique\(s\) \(ligne 3 : 'beaucoup'\)",
        ),
        (
            "praticiens_negatif.csv",
            r"colonne 'etp' : 1 valeur\(s\) négative\(s\) \(ligne 3 : '-1'\)",
        ),
        ("praticiens_sans_localisation.csv", r"ni colonne de code commune .* ni coordonnées"),
        (
            "praticiens_profession_inconnue.csv",
            r"1 profession\(s\) inconnue\(s\) \(ligne 3 : 'vétérinaire'\)",
        ),
        (
            "praticiens_lambert_dans_lonlat.csv",
            r"1 coordonnée\(s\) hors des bornes WGS84 \(ligne 2",
        ),
    ],
)
def test_table_bad_input_raises_input_error(name, match):
    with pytest.raises(InputError, match=match):
        practitioners_from_table(DATA_DIRECTORY / name)


# ---------------------------------------------------------------------------------------------------- location


def test_file_detection_rpps_versus_table():
    assert is_rpps_file(RPPS)
    assert not is_rpps_file(DATA_DIRECTORY / "praticiens_communes.csv")
    assert not is_rpps_file(DATA_DIRECTORY / "rpps_vide.txt")


def test_rpps_located_in_communes_with_former_codes(communes):
    with pytest.warns(TerritoiresWarning):
        located = practitioners_from_file(RPPS, communes=communes, former_codes={"09337": "09264"})
    assert located.crs.to_epsg() == 2154
    assert located["code_commune"].tolist() == [
        "31555",
        "31069",
        "31555",
        "09122",
        "31555",
        "09264",
    ]
    anchors = communes.set_index("code_commune").geometry.representative_point()
    for code, geom in zip(located["code_commune"], located.geometry, strict=True):
        assert geom.equals(anchors[code])
    assert located.attrs["localisation"]["codes_anciens_remplaces"] == 1
    assert located["nombre"].sum() == 5.0
    # The three rows left out by the loader are carried over.
    assert [r["ligne"] for r in located.attrs["left_out"]] == [6, 7, 11]


def test_rpps_code_not_in_communes_is_left_out(communes):
    gps = quiet(practitioners_from_rpps, RPPS)
    with pytest.warns(TerritoiresWarning, match=r"1 ligne\(s\) écartée\(s\) sur 6 : 1 code commune 09337 absent"):
        located = locate_in_communes(gps, communes)
    assert len(located) == 5
    assert located.attrs["left_out"][-1] == {
        "source": str(RPPS),
        "ligne": 13,
        "identifiant": "10110234567",
        "motif": "code commune 09337 absent des communes chargées",
    }


def test_coordinates_take_the_commune_of_the_point(communes):
    table = quiet(practitioners_from_table, DATA_DIRECTORY / "praticiens_coordonnees.csv")
    assert table.crs.to_epsg() == 4326
    with pytest.warns(TerritoiresWarning) as record:
        located = locate_in_communes(table, communes)
    messages = [str(w.message) for w in record]
    assert any("1 praticien(s) dont le point est dans une autre commune" in m for m in messages)
    assert any("1 ligne(s) écartée(s) sur 5 : 1 point hors de toutes les communes chargées" in m for m in messages)
    assert located["id"].tolist() == ["C1", "C2", "C3", "C5"]
    # C2 is declared in Toulouse but its point is in Blagnac; C3 has no code; C5 has no point.
    assert located["code_commune"].tolist() == ["31555", "31069", "09264", "09122"]
    assert located.geometry.iloc[0].distance(Point(574357.4, 6279620.7)) < 1.0
    foix = communes.set_index("code_commune").geometry.representative_point()["09122"]
    assert located.geometry.iloc[3].equals(foix)
    assert located.attrs["localisation"]["points_dans_une_autre_commune"] == 1


def test_point_outside_polygons_keeps_a_declared_loaded_code(communes):
    gdf = gpd.GeoDataFrame(
        {c: [None] for c in PRACTITIONER_COLUMNS},
        geometry=[Point(578500, 6279000)],  # 500 m east of the Toulouse square
        crs="EPSG:2154",
    )
    gdf["id"], gdf["code_commune"], gdf["nombre"], gdf["source_ligne"] = "Z1", "31555", 1.0, 2
    located = locate_in_communes(gdf, communes)
    assert located["code_commune"].tolist() == ["31555"]
    assert located.geometry.iloc[0].equals(Point(578500, 6279000))
    assert located.attrs["localisation"]["points_hors_communes_gardes"] == 1


def test_locate_does_not_modify_its_inputs(communes):
    table = quiet(practitioners_from_table, DATA_DIRECTORY / "praticiens_coordonnees.csv")
    before, communes_before = table.copy(), communes.copy()
    quiet(locate_in_communes, table, communes)
    pd.testing.assert_frame_equal(pd.DataFrame(table), pd.DataFrame(before))
    pd.testing.assert_frame_equal(pd.DataFrame(communes), pd.DataFrame(communes_before))


# --------------------------------------------------------------------------------------------------------------
# Identical rows are distinct practitioners unless an identifier says otherwise (issue 10, item 1)


def test_identical_rows_without_identifier_are_distinct_practitioners(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("code_commune,etp\n31555,1\n31555,1\n31555,1\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = practitioners_from_table(path)
    assert len(table) == 3
    assert table["nombre"].sum() == 3.0
    assert table.attrs["left_out"] == []


def test_single_code_commune_column_is_one_practitioner_per_row(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("code_commune\n31555\n31555\n48095\n", encoding="utf-8")
    table = practitioners_from_table(path)
    assert table["code_commune"].tolist() == ["31555", "31555", "48095"]


def test_same_identifier_same_site_is_merged_and_told(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("rpps;code_commune\n1;31555\n1;31555\n1;48095\n2;31555\n", encoding="utf-8")
    with pytest.warns(TerritoiresWarning, match=r"1 ligne\(s\) écartée\(s\) sur 4 : 1 activité en double"):
        table = practitioners_from_table(path)
    assert table["id"].tolist() == ["1", "1", "2"]  # one person, two sites: two activities
    assert [(r["ligne"], r["identifiant"]) for r in table.attrs["left_out"]] == [(3, "1")]
    assert "même site que la ligne 2" in table.attrs["left_out"][0]["motif"]


def test_thousands_separator_in_activity_is_read_and_told(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("code_commune;activite\n31555;4,500\n31555;3,600\n31555;6000\n", encoding="utf-8")
    with pytest.warns(TerritoiresWarning, match="séparateur de milliers"):
        table = practitioners_from_table(path)
    assert table["activite"].tolist() == [4500.0, 3600.0, 6000.0]


def test_decimal_etp_stays_decimal(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("code_commune;etp\n31555;0,5\n31555;1\n", encoding="utf-8")
    assert practitioners_from_table(path)["etp"].tolist() == [0.5, 1.0]


# --------------------------------------------------------------------------------------------------------------
# Unknown codes named, codes elsewhere counted (issue 10, item 5)


def test_split_by_territory_names_unknown_codes_and_counts_those_elsewhere(tmp_path):
    from territoires.io.practitioners import split_by_territory

    path = tmp_path / "p.csv"
    path.write_text("code_commune;x;y\n48095;;\n99999;;\n31555;;\n31555;;\n31000;;\n48999;;\n09122;;\n;1;2\n")
    raw = practitioners_from_table(path, crs="EPSG:2154")
    with pytest.warns(TerritoiresWarning, match=r"3 ligne\(s\) au code commune inconnu .*ligne 3 : 99999"):
        split = split_by_territory(
            raw, ["48"], known_codes={"48095", "48061"}, known_departements={"48"}, former_codes={"48001": "48095"}
        )
    # 48095 is in the territory; the row with only a point is located later.
    assert split.inside["source_ligne"].tolist() == [2, 9]
    assert [(r["ligne"], r["motif"]) for r in split.unknown] == [
        (3, "code commune inconnu (99999)"),  # département 99 does not exist
        (6, "code commune inconnu (31000 : un code postal ?)"),
        (7, "code commune inconnu (48999)"),  # Lozère is covered by the table: 48999 is not in it
    ]
    assert split.n_outside == 3.0  # two in Toulouse, one in 09122: real communes, other départements
    assert split.outside_codes() == ["31555", "09122"]
    assert (
        split.summary() == "3 praticien(s) hors territoire (communes 31555, 09122), 3 ligne(s) au code commune inconnu."
    )
    assert [r["motif"] for r in split.inside.attrs["left_out"]] == [r["motif"] for r in split.unknown]


def test_split_by_territory_without_population_table_keeps_the_territory_codes(tmp_path):
    from territoires.io.practitioners import split_by_territory

    path = tmp_path / "p.csv"
    path.write_text("code_commune\n96001\n96001\n99999\n31555\n", encoding="utf-8")
    with pytest.warns(TerritoiresWarning, match=r"1 ligne\(s\) au code commune inconnu"):
        split = split_by_territory(practitioners_from_table(path), ["96"])  # the demo's made-up département
    assert split.inside["code_commune"].tolist() == ["96001", "96001"]
    assert split.n_outside == 1.0
    assert [r["ligne"] for r in split.unknown] == [4]


def test_a_leading_zero_is_not_a_thousands_group(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("code_commune;nombre\n31555;0,500\n31555;1\n", encoding="utf-8")
    assert practitioners_from_table(path)["nombre"].tolist() == [0.5, 1.0]
