from __future__ import annotations

import warnings

import geopandas as gpd
import pytest
from conftest import DATA_DIRECTORY
from shapely.geometry import Point

from territoires import InputError, ParameterError, TerritoiresWarning
from territoires.io.facilities import facilities_from_bpe, facilities_from_finess, facility_type
from territoires.io.practitioners import locate_in_communes
from territoires.schemas import FACILITY_COLUMNS, PRACTITIONER_COLUMNS

STOCK = DATA_DIRECTORY / "finess_stock.csv"
TABLE = DATA_DIRECTORY / "finess_geolocalise.csv"


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TerritoiresWarning)
        return func(*args, **kwargs)


def test_fixtures_are_latin1_like_the_published_files():
    for path in (STOCK, TABLE):
        raw = path.read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert "MAISON DE SANTÉ PLURIPROFESSIONNELLE DU PAYS DE FOIX" in raw.decode("latin-1")


def test_stock_file_joins_structures_and_geolocations():
    with pytest.warns(
        TerritoiresWarning, match=r"2 ligne\(s\) écartée\(s\) sur 10 : 1 pas de coordonnées, 1 projection"
    ):
        fac = facilities_from_finess(STOCK)
    assert list(fac.columns) == [*FACILITY_COLUMNS, "geometry"]
    assert fac.crs.to_epsg() == 2154
    assert fac["finess"].tolist() == [
        "090008123", "310034567", "310045678", "320000045", "310783048", "810001234", "970401234", "2A0000154",
    ]  # fmt: skip
    assert fac["type_structure"].tolist() == [
        "msp", "centre_sante", "cpts", "hopital", "hopital", "autre", "centre_sante", "hopital",
    ]  # fmt: skip
    assert fac["code_commune"].tolist() == ["09122", "31555", "31555", "32013", "31555", "81004", "97411", "2A004"]
    assert fac["nom"].iloc[5] == "EHPAD LES CÈDRES"  # Latin-1 decoded
    # Lambert-93 coordinates are kept as published.
    assert fac.geometry.iloc[0].equals(Point(586111.0, 6208331.1))
    left = fac.attrs["left_out"]
    assert [(r["ligne"], r["identifiant"], r["motif"]) for r in left] == [
        (8, "320001111", "pas de coordonnées"),
        (10, "310099999", "projection inconnue (GAUSS_LABORDE)"),
    ]


def test_overseas_point_is_an_exact_position_in_lambert93():
    fac = quiet(facilities_from_finess, STOCK)
    reunion = gpd.GeoSeries([fac.geometry.iloc[6]], crs=fac.crs).to_crs("EPSG:2975").iloc[0]
    assert reunion.distance(Point(338766.0, 7690477.3)) < 0.01  # metres, after a round trip through L93
    local = quiet(facilities_from_finess, STOCK, crs="EPSG:2975", categories=["centre_sante"])
    assert local["finess"].tolist() == ["310034567", "970401234"]
    assert local.geometry.iloc[1].distance(Point(338766.0, 7690477.3)) < 0.01


def test_both_layouts_give_the_same_facilities():
    stock = quiet(facilities_from_finess, STOCK)
    table = quiet(facilities_from_finess, TABLE)
    assert table.attrs["left_out"][0]["ligne"] == 6
    common = stock.set_index("finess").loc[table["finess"]]
    assert table["code_commune"].tolist() == common["code_commune"].tolist()
    assert table["type_structure"].tolist() == common["type_structure"].tolist()
    for a, b in zip(table.geometry, common.geometry, strict=True):
        assert a.distance(b) < 0.01


def test_category_filter_accepts_codes_and_types():
    fac = quiet(facilities_from_finess, STOCK, categories=[603, "cpts", "hopital"])
    assert fac["finess"].tolist() == ["090008123", "310045678", "320000045", "310783048", "2A0000154"]
    assert fac.attrs["selection"]["autres_categories"] == 3  # two centres de santé and the EHPAD
    # The MSP without coordinates is still reported when MSP are selected.
    assert [r["identifiant"] for r in fac.attrs["left_out"]] == ["320001111", "310099999"]
    with pytest.raises(ParameterError, match="catégories FINESS inconnues : 'maison'"):
        facilities_from_finess(STOCK, categories=["maison"])


def test_facility_type_of_hospital_categories():
    import pandas as pd

    codes = pd.Series(["101", "106", "292", "365", "603", "604", "124", "620"])
    assert facility_type(codes).tolist() == [
        "hopital", "hopital", "hopital", "hopital", "msp", "cpts", "centre_sante", "autre",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("finess_vide.csv", r"finess_vide\.csv: fichier vide"),
        ("finess_format_inconnu.csv", r"format FINESS non reconnu.*Première ligne lue : 'nofinesset,nofinessej"),
        ("finess_colonne_manquante.csv", r"colonne 'coordx' manquante \(noms acceptés : coordx, coordxet\)"),
        (
            "finess_coordonnees_non_numeriques.csv",
            r"colonne 'coordx' : 1 valeur\(s\) non numérique\(s\) \(ligne 3 : 'non renseigné'\)",
        ),
        ("finess_structure_tronquee.csv", r"1 enregistrement\(s\) 'structureet' tronqué\(s\) \(ligne 3 : 10 champs\)"),
        ("absent.csv", r"fichier introuvable"),
    ],
)
def test_bad_finess_files_raise_input_error(name, match):
    with pytest.raises(InputError, match=match):
        facilities_from_finess(DATA_DIRECTORY / name)


def test_duplicate_finess_number_is_left_out():
    with pytest.warns(TerritoiresWarning, match=r"1 ligne\(s\) écartée\(s\) sur 3 : 1 numéro FINESS en double"):
        fac = facilities_from_finess(DATA_DIRECTORY / "finess_doublon.csv")
    assert fac["finess"].tolist() == ["090008123", "310034567"]
    assert fac.attrs["left_out"][0]["ligne"] == 4


def test_bpe_general_practitioners_as_practitioners():
    gps = facilities_from_bpe(DATA_DIRECTORY / "bpe_extrait.csv")
    assert list(gps.columns) == [*PRACTITIONER_COLUMNS, "geometry"]
    assert gps["code_commune"].tolist() == ["31555", "09122", "32013", "97411"]
    assert gps["nombre"].tolist() == [3.0, 1.0, 2.0, 2.0]
    assert gps["source_ligne"].tolist() == [2, 4, 5, 7]
    assert gps.geometry.iloc[2] is None  # "Non géolocalisé": placed later by its commune
    reunion = gpd.GeoSeries([gps.geometry.iloc[3]], crs=gps.crs).to_crs("EPSG:2975").iloc[0]
    assert reunion.distance(Point(338700.0, 7690400.0)) < 0.01
    nurses = facilities_from_bpe(DATA_DIRECTORY / "bpe_extrait.csv", types=["D232", "D233"])
    assert nurses["profession"].tolist() == ["infirmier", "masseur_kinesitherapeute"]
    assert nurses["nombre"].sum() == 9.0


def test_bpe_rows_located_in_communes():
    from shapely.geometry import box

    communes = gpd.GeoDataFrame(
        {"code_commune": ["31555", "09122", "32013"]},
        geometry=[box(572000, 6276000, 578000, 6282000), box(584000, 6206000, 588000, 6210000),
                  box(503000, 6284000, 507000, 6288000)],
        crs="EPSG:2154",
    )  # fmt: skip
    gps = facilities_from_bpe(DATA_DIRECTORY / "bpe_extrait.csv")
    with pytest.warns(TerritoiresWarning, match="1 point hors de toutes les communes chargées"):
        located = locate_in_communes(gps, communes)
    assert located["code_commune"].tolist() == ["31555", "09122", "32013"]
    assert located["nombre"].sum() == 6.0


# --------------------------------------------------------------------------------------------------------------
# Facilities as destinations (BPE equipment, FINESS hospitals)

BPE_2019 = DATA_DIRECTORY / "bpe_ensemble_xy_2019.csv"  # older layout and nomenclature (D301), Latin-1, CRLF
BPE_2023 = DATA_DIRECTORY / "bpe_ensemble_2023.csv"  # recent layout (NOMRS, QUALITE_XY, EPSG) and codes (D307)


def border_communes():
    from shapely.geometry import box

    return gpd.GeoDataFrame(
        {"code_commune": ["09001", "09002"], "population": [1000.0, 500.0]},
        geometry=[box(599_000, 6_199_000, 601_000, 6_201_000), box(619_000, 6_199_000, 621_000, 6_201_000)],
        crs="EPSG:2154",
    )


def test_equipment_codes_resolve_named_sets_and_raw_codes():
    from territoires.io.facilities import equipment_codes

    assert equipment_codes(["pharmacie", "d106"]) == {"pharmacie": ("D301", "D307"), "D106": ("D106",)}
    with pytest.raises(ParameterError, match=r"équipement\(s\) inconnu\(s\) : 'pharmacy'"):
        equipment_codes(["pharmacy"])


def test_bpe_destinations_old_vintage_rows_without_coordinates_placed_or_reported():
    from territoires.io.facilities import destinations_from_bpe

    with pytest.warns(TerritoiresWarning) as caught:
        dest = destinations_from_bpe(BPE_2019, communes=border_communes())
    messages = [str(w.message) for w in caught]
    assert any("1 équipement(s) sans coordonnées placé(s) au centre de leur commune" in m for m in messages)
    assert any(
        "1 ligne(s) écartée(s) sur 6 : 1 pas de coordonnées, commune hors des contours chargés" in m for m in messages
    )
    # Every requested row is kept or reported: 2 maternities (one across the border), 1 emergency, 3 pharmacies - 1.
    assert dest["equipement"].tolist() == ["urgences", "maternite", "maternite", "pharmacie", "pharmacie"]
    assert dest["code_commune"].tolist() == ["09001", "09001", "31001", "09002", "09001"]
    assert dest["localisation"].tolist()[3] == "centre de la commune"
    assert dest.geometry.iloc[3].equals(Point(620_000, 6_200_000))  # representative point of the square 09002
    assert dest["source_ligne"].tolist() == [4, 2, 3, 5, 7]
    assert dest.attrs["par_equipement"] == {"urgences": 1, "maternite": 2, "pharmacie": 2}
    assert [(r["ligne"], r["identifiant"]) for r in dest.attrs["left_out"]] == [(6, "31002")]


def test_bpe_destinations_recent_vintage_with_epsg_column():
    from territoires.io.facilities import destinations_from_bpe

    with pytest.warns(TerritoiresWarning, match="pas de coordonnées"):
        dest = destinations_from_bpe(BPE_2023, kinds=["pharmacie", "D265"])
    assert dest["equipement"].tolist() == ["pharmacie", "pharmacie", "D265"]
    assert dest["code"].tolist() == ["D307", "D307", "D265"]
    assert dest["nom"].tolist() == ["PHARMACIE DU CENTRE", "PHARMACIE DU PORT", "CABINET"]  # NOMRS
    reunion = gpd.GeoSeries([dest.geometry.iloc[1]], crs=dest.crs).to_crs("EPSG:2975").iloc[0]
    assert reunion.distance(Point(338766.0, 7690477.3)) < 0.01  # EPSG column honoured
    # The row without coordinates (09002) is reported because no communes were given to place it.
    assert dest.attrs["left_out"][0]["motif"] == "pas de coordonnées (contours des communes non fournis)"


def test_bpe_destinations_warn_when_a_kind_is_absent_from_the_vintage():
    from territoires.io.facilities import destinations_from_bpe

    with pytest.warns(TerritoiresWarning, match=r"aucun équipement urgences \(codes D106\) : vérifiez le millésime"):
        dest = destinations_from_bpe(DATA_DIRECTORY / "bpe_extrait.csv", kinds=["urgences", "D232"])
    assert dest.attrs["par_equipement"] == {"urgences": 0, "D232": 1}


def test_finess_hospitals_as_destinations():
    from territoires.io.facilities import destinations_from_finess

    dest = destinations_from_finess(quiet(facilities_from_finess, STOCK))
    assert dest["equipement"].unique().tolist() == ["hopital"]
    assert dest["identifiant"].tolist() == ["320000045", "310783048", "2A0000154"]
    assert dest["code"].tolist() == ["355", "101", "355"]


def _bpe_with_typos(tmp_path, n_good: int, n_outside: int):
    """``n_good`` pharmacies at (600,000, 6,200,000) in 09001, then ``n_outside`` with X and Y swapped (lines after)."""
    rows = ["AN;DEPCOM;LAMBERT_X;LAMBERT_Y;TYPEQU"]
    rows += ["2023;09001;600000.0;6200000.0;D307"] * n_good + ["2023;09002;6200000.0;620000.0;D307"] * n_outside
    path = tmp_path / "bpe.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_bpe_a_few_coordinates_outside_france_are_placed_at_their_commune_and_named(tmp_path):
    from territoires.io.facilities import destinations_from_bpe

    # 1 of 101 (0.99 %, under the 1 % of a systematic error): a typo, handled row by row.
    with pytest.warns(TerritoiresWarning, match=r"1 équipement\(s\) aux coordonnées hors de France .*\(ligne 102\)"):
        dest = destinations_from_bpe(_bpe_with_typos(tmp_path, 100, 1), kinds=["pharmacie"], communes=border_communes())
    assert len(dest) == 101 and dest.attrs["left_out"] == []
    last = dest.iloc[-1]
    assert last["localisation"] == "centre de la commune (coordonnées hors de France)"
    assert last["code_commune"] == "09002" and last.geometry.equals(Point(620_000, 6_200_000))
    # Without contours to place it, the row is left out with its reason.
    with pytest.warns(TerritoiresWarning):
        dest = destinations_from_bpe(_bpe_with_typos(tmp_path, 100, 1), kinds=["pharmacie"])
    assert len(dest) == 100
    assert [(r["ligne"], r["motif"]) for r in dest.attrs["left_out"]] == [
        (102, "coordonnées hors de France et des outre-mer (contours des communes non fournis)")
    ]


def test_bpe_many_coordinates_outside_france_refuse_the_file(tmp_path):
    from territoires.io.facilities import destinations_from_bpe

    # 2 of 101 (1.98 %): a systematic error (swapped columns, wrong EPSG), the file is refused before any work.
    with pytest.raises(InputError, match=r"2 équipement\(s\) sur 101 aux coordonnées hors de France.*ligne 102"):
        destinations_from_bpe(_bpe_with_typos(tmp_path, 99, 2), kinds=["pharmacie"], communes=border_communes())


def test_finess_coordinates_outside_france_left_out_or_refused(tmp_path):
    lines = TABLE.read_bytes().decode("latin-1").splitlines()
    header, first = lines[0], lines[1]
    good = [first.replace("090008123", f"09{i:07d}") for i in range(100)]
    swapped = first.replace("090008123", "099999999").replace("586111.0;6208331.1", "6208331.1;586111.0")
    path = tmp_path / "finess.csv"
    path.write_bytes("\n".join([header, *good, swapped]).encode("latin-1"))
    with pytest.warns(TerritoiresWarning, match=r"1 ligne\(s\) écartée\(s\) sur 101"):
        fac = facilities_from_finess(path)
    assert len(fac) == 100
    assert [(r["ligne"], r["identifiant"], r["motif"]) for r in fac.attrs["left_out"]] == [
        (102, "099999999", "coordonnées hors de France et des outre-mer")
    ]
    path.write_bytes("\n".join([header, *good[:10], swapped]).encode("latin-1"))
    with pytest.raises(InputError, match=r"1 équipement\(s\) sur 11 aux coordonnées hors de France.*ligne 12"):
        facilities_from_finess(path)
