"""Delimited text in and out: Arrow's quick read and write give exactly pandas' frame and CSV, or hand over."""

import io

import pandas as pd
import pytest

from territoires import InputError
from territoires.export.tables import _french_text, save_table
from territoires.io._tables import _read_plain_text, read_table


def _pandas(path, sep):
    """The reference: pandas' own parser with the reader's options (every column text, only "" missing)."""
    return pd.read_csv(path, sep=sep, encoding="utf-8-sig", dtype=str, keep_default_na=False, na_values=[""])


#: Files Arrow reads: each must give pandas' frame (same values, missing cells, text dtype, index, column names).
PLAIN = {
    "codes": "code;population\n01001;0012\n2A004;7\n97411;\n",
    "empty_cells": "a;b;c\n;;\n1;;3\n",
    "words_not_missing": "a;b\nNA;null\nnan;N/A\n#N/A;None\n",
    "spaces_inside": "a;b\nx ; 2 \n",
    "blank_lines": "a;b\n1;2\n\n\n3;4\n",
    "windows_line_ends": "a;b\r\n1;2\r\n\r\n3;4\r\n",
    "no_final_line_end": "a;b\n1;2",
    "decimal_comma": "a;b\n1,5;2\n",
    "byte_order_mark": "\ufeffa;b\n1;2\n",
    "accents": "nom;b\nÉric;été\n",
    "tabs": "a\tb\n1\t2\n",
    "commas": "a,b\n1,2\n",
    "header_only": "a;b\n",
    "one_column": "code_commune\n01001\n31555\n",
}
#: Files pandas reads in its own way (or refuses): Arrow hands them over.
HANDED_OVER = {
    "quotes": 'a;b\n"x;y";2\n',
    "quote_left_open": 'a;b\n"x;2\n3;4\n',
    "blank_line_of_spaces": "a;b\n1;2\n   \n3;4\n",
    "lone_carriage_returns": "a;b\r1;2\r3;4\r",
    "fewer_fields": "a;b;c\n1;2\n",
    "more_fields": "a;b\n1;2;3\n",
    "same_name_twice": "a;a\n1;2\n",
    "unnamed_column": "a;;b\n1;2;3\n",
    "trailing_separator": "a|b|\n1|2|\n",
    "control_character": "a;b\n1;2\x1a\n",
    "header_starting_with_a_space": " a ; b \n1;2\n",
}


@pytest.mark.skipif(
    not isinstance(pd.read_csv(io.StringIO("a\nx"), dtype=str)["a"].dtype, pd.StringDtype),
    reason="pandas < 3 reads text as Python objects: Arrow's reader is not used",
)
@pytest.mark.parametrize("name", PLAIN)
def test_arrow_read_is_pandas_read(tmp_path, name):
    path = tmp_path / f"{name}.csv"
    path.write_text(PLAIN[name], encoding="utf-8", newline="")
    sep = {"tabs": "\t", "commas": ","}.get(name, ";")
    first_line = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)[0]
    quick = _read_plain_text(path, sep=sep, encoding="utf-8-sig", first_line=first_line)
    assert quick is not None
    pd.testing.assert_frame_equal(quick, _pandas(path, sep), check_exact=True)


@pytest.mark.parametrize("name", HANDED_OVER)
def test_arrow_hands_over_what_pandas_reads_its_own_way(tmp_path, name):
    path = tmp_path / f"{name}.csv"
    path.write_text(HANDED_OVER[name], encoding="utf-8", newline="")
    sep = "|" if name == "trailing_separator" else ";"
    first_line = HANDED_OVER[name].replace("\r", "\n").splitlines(keepends=True)[0]
    assert _read_plain_text(path, sep=sep, encoding="utf-8-sig", first_line=first_line) is None


def test_codes_keep_their_zeros_and_quoted_cells_their_separator(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("code_commune;nom\n01001;L'Abergement\n2A004;Ajaccio\n", encoding="utf-8")
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('code_commune;nom\n"01001";"Saint-Paul; la Réunion"\n', encoding="utf-8")
    assert read_table(plain, what="t")["code_commune"].tolist() == ["01001", "2A004"]
    assert read_table(quoted, what="t").iloc[0].tolist() == ["01001", "Saint-Paul; la Réunion"]


def test_invalid_utf8_beyond_the_sample_is_still_refused(tmp_path):
    # The encoding is guessed from the first megabyte: a bad byte after it is told, whichever reader meets it.
    path = tmp_path / "late.csv"
    path.write_bytes(b"a;b\n" + b"x;y\n" * 300_000 + b"1;\xe9t\xe9\n")
    with pytest.raises(InputError, match="encodage illisible"):
        read_table(path, what="t")


def test_csv_for_spreadsheets_is_pandas_csv(tmp_path):
    # The Arrow writer against pandas' own writer on the same rounded text: quoting as the csv module does, missing
    # cells empty, -0.0 and halves rounded as pandas rounds them, whole numbers without decimals.
    frame = pd.DataFrame(
        {
            "code_commune": ["01001", None, "2A004", "97411", "31555"],
            "nom": ['Le "Bourg"', "A;B", "ligne\nsuite", "", "Saint-Étienne"],
            "population": [1234.5, 2.5, -0.4, float("nan"), 1e9],
            "apl": [2.345, -0.004, -1.005, float("nan"), 0.125],
            "minutes_praticien_proche": [0.05, 12.25, -0.0, 7.0, float("nan")],
            "libelle_niveau": pd.array(["ZIP", None, "ZAC", "HZ", "HZ"], dtype="str"),
        }
    )
    ours = save_table(frame, tmp_path / "ours.csv")
    _french_text(frame).to_csv(tmp_path / "pandas.csv", sep=";", decimal=",", index=False, encoding="utf-8-sig")
    assert ours.read_bytes() == (tmp_path / "pandas.csv").read_bytes()
    assert ours.read_bytes().startswith(b"\xef\xbb\xbfcode_commune;nom;population;apl;")
