import pytest
from conftest import DATA_DIRECTORY as D

from territoires import InputError, TerritoiresWarning
from territoires.io.populations import populations_from_csv
from territoires.settings import AGE_WEIGHTS


def test_insee_populations_legales_layout_cp1252():
    pop = populations_from_csv(D / "pop_insee_legales.csv")
    assert pop["code_commune"].tolist() == ["31555", "31069", "09001", "2A004", "97101"]
    assert pop["population"].tolist() == [514819, 25928, 56, 73533, 53393]  # PMUN, not PTOT
    assert pop["nom"].iat[3] == "Ajaccio"
    assert (pop["population_standardisee"] == pop["population"]).all()
    assert pop.attrs["age_standardised"] is False


def test_cog_table_keeps_current_communes_and_former_codes():
    pop = populations_from_csv(D / "pop_cog_anciens_codes.csv")
    assert pop["code_commune"].tolist() == ["01001", "01002", "01005"]
    assert pop.attrs["other_rows"] == 1  # the commune déléguée
    assert pop["anciens_codes"].tolist() == ["", "01003|01004", ""]


def test_age_bands_standardise_demand():
    pop = populations_from_csv(D / "pop_tranches_age.csv")
    # 10 people in each band: 10 × sum of the DREES weights; 100 people aged 90+: 100 × 2.39.
    assert pop["population_standardisee"].iat[0] == pytest.approx(10 * sum(AGE_WEIGHTS.values()))
    assert pop["population_standardisee"].iat[0] == pytest.approx(214.6)  # 10 × 21.46
    assert pop["population_standardisee"].iat[1] == pytest.approx(239.0)
    assert pop["population"].tolist() == [190, 100]
    assert pop.attrs["age_standardised"] is True


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("pop_vide.csv", "fichier vide"),
        ("pop_non_numerique.csv", r"colonne 'population' : 1 valeur\(s\) non numérique\(s\) \(ligne 3 : 'douze'\)"),
        ("pop_doublons.csv", r"code\(s\) commune en double \(01001\)"),
        ("pop_sans_population.csv", r"colonne 'population' manquante.*PMUN"),
        ("pop_mauvais_separateur.csv", "une seule colonne lue"),
        ("pop_codes_invalides.csv", r"2 code\(s\) commune invalide\(s\) \(ligne 3 : 'ABCDE', ligne 4 : '123'\)"),
    ],
)
def test_bad_population_files_raise_clear_errors(name, match):
    with pytest.raises(InputError, match=match):
        populations_from_csv(D / name)


# --------------------------------------------------------------------------------------------------------------
# Thousands separators (issue 10, item 2): read over the whole column, told, never a silent division


@pytest.mark.parametrize(
    ("written", "sep"),
    [("12,345", ","), ("12.345", "."), ("12 345", " "), ("12\u202f345", " "), ("12\xa0345", " ")],
)
def test_thousands_separators_are_read_as_thousands(tmp_path, written, sep):
    path = tmp_path / "pop.csv"
    path.write_text(f"code_commune;population\n48095;{written}\n48061;860\n48001;1{sep}234\n", encoding="utf-8")
    if sep in ",.":
        with pytest.warns(TerritoiresWarning, match=rf"'population' : 2 valeur\(s\) écrite\(s\) avec '\{sep}'"):
            pop = populations_from_csv(path)
    else:
        pop = populations_from_csv(path)
    assert pop["population"].tolist() == [12345, 860, 1234]


def test_comma_separated_file_with_thousands_in_quotes(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text('code_commune,population\n48095,"12,345"\n48061,"1,234,567"\n', encoding="utf-8")
    with pytest.warns(TerritoiresWarning, match="séparateur de milliers"):
        pop = populations_from_csv(path)
    assert pop["population"].sum() == 12345 + 1234567


@pytest.mark.parametrize(
    ("values", "match"),
    [
        (["12.5", "860"], r"'population' : 1 valeur\(s\) non entière\(s\) \(ligne 2 : '12.5'\)"),
        (["1.000", "2.000"], r"séparateur '\.' ambigu"),
        (["12,345", "1.5"], r"non entière"),
    ],
)
def test_non_integer_or_ambiguous_population_is_refused(tmp_path, values, match):
    path = tmp_path / "pop.csv"
    rows = "".join(f"4800{i + 1};{v}\n" for i, v in enumerate(values))
    path.write_text("code_commune;population\n" + rows, encoding="utf-8")
    with pytest.raises(InputError, match=match):
        populations_from_csv(path)


def test_spreadsheet_integers_with_zero_decimals_are_integers(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("code_commune;population\n48095;860.0\n48061;12345.0\n", encoding="utf-8")
    assert populations_from_csv(path)["population"].tolist() == [860, 12345]


def test_age_bands_with_thousands_separators_are_read_as_thousands(tmp_path):
    bands = list(AGE_WEIGHTS)
    header = "code_commune;" + ";".join(f"pop_{b.replace('-', '_').replace('+', '_plus')}" for b in bands)
    # 1,000 people in each band of one commune, written with a comma: 19,000 people, never 19.
    path = tmp_path / "pop.csv"
    path.write_text(header + "\n48095;" + ";".join(["1,000"] * 19) + "\n48061;" + ";".join(["12"] * 19) + "\n")
    with pytest.warns(
        TerritoiresWarning, match=r"tranches d'âge lues avec un séparateur de milliers .* : pop_0_4 \(','\)"
    ):
        pop = populations_from_csv(path)
    assert pop["population"].tolist() == [19_000, 228]
    assert pop["population_standardisee"].iat[0] == pytest.approx(1000 * sum(AGE_WEIGHTS.values()))
