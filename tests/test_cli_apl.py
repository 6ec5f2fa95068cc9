"""``territoires apl``: one row per commune in a folder, tables for French spreadsheets."""

import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from territoires.cli import cli
from territoires.demo.generate import demo_paths


def base_args() -> list[str]:
    p = demo_paths()
    return ["apl", "--communes", str(p["communes"]), "--population", str(p["population"]),
            "--practitioners", str(p["practitioners"])]  # fmt: skip


def read_csv_fr(path) -> pd.DataFrame:
    """Read a CSV written for French spreadsheets (BOM, ';', decimal comma)."""
    return pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", dtype={"code_commune": str})


@pytest.fixture(scope="module")
def apl_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("apl")
    args = [*base_args(), "-o", str(out), "--format", "csv", "--format", "xlsx", "--format", "gpkg",
            "--format", "parquet"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "gpkg"])
def test_apl_command_writes_one_row_per_commune(apl_folder, fmt):
    path = apl_folder / f"apl.{fmt}"
    if fmt == "csv":
        table = read_csv_fr(path)
    elif fmt == "xlsx":
        table = pd.read_excel(path, dtype={"code_commune": str})
    elif fmt == "parquet":
        table = pd.read_parquet(path)
    else:
        table = pyogrio.read_dataframe(path)
    assert len(table) == 347
    assert {"code_commune", "apl", "niveau_acces", "minutes_praticien_proche", "population"} <= set(table.columns)
    assert table["code_commune"].str.len().eq(5).all()
    # Every format holds the same APL (CSV and Excel rounded to 2 decimals).
    full = pd.read_parquet(apl_folder / "apl.parquet").set_index("code_commune")["apl"]
    assert (table.set_index("code_commune")["apl"] - full).abs().max() <= 0.005 + 1e-12


def test_csv_is_for_french_spreadsheets(apl_folder):
    raw = (apl_folder / "apl.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads the accents
    header, first = raw.decode("utf-8-sig").splitlines()[:2]
    assert header.startswith("code_commune;nom;departement;population;")
    full = pd.read_parquet(apl_folder / "apl.parquet").iloc[0]
    cells = dict(zip(header.split(";"), first.split(";"), strict=True))
    # APL 2 decimals with a decimal comma, minutes 1 decimal, populations whole.
    assert cells["apl"] == f"{full['apl']:.2f}".replace(".", ",")
    assert cells["minutes_praticien_proche"] == f"{full['minutes_praticien_proche']:.1f}".replace(".", ",")
    assert cells["population"] == str(round(full["population"]))


def test_apl_max_age_lowers_supply(tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, [*base_args(), "--out", str(tmp_path / "all")]).exit_code == 0
    assert runner.invoke(cli, [*base_args(), "--max-age", "65", "--out", str(tmp_path / "65")]).exit_code == 0
    every = read_csv_fr(tmp_path / "all" / "apl.csv")
    young = read_csv_fr(tmp_path / "65" / "apl.csv")
    assert young["offre_consultations"].sum() < every["offre_consultations"].sum()
    assert young["praticiens"].sum() < every["praticiens"].sum()


def test_apl_rejects_unknown_format(tmp_path):
    result = CliRunner().invoke(cli, [*base_args(), "--out", str(tmp_path), "--format", "ods"])
    assert result.exit_code == 2
    assert "Valeur invalide pour '--format'" in result.output
    assert not list(tmp_path.iterdir())


def test_apl_thresholds_from_the_command_line(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, [*base_args(), "--seuil", "3", "--seuil-zac", "5", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    t = read_csv_fr(tmp_path / "s" / "apl.csv")
    full = pd.read_csv(tmp_path / "s" / "apl.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert len(full) == len(t)
    # Tiers recomputed independently from the APL column with the thresholds given (APL rounded to 2 decimals:
    # compare away from the bounds).
    away = (t["apl"] - 3).abs().gt(0.01) & (t["apl"] - 5).abs().gt(0.01)
    expected = pd.cut(t["apl"], [-1, 3, 5, float("inf")], right=False, labels=["ZIP", "ZAC", "HZ"]).astype(str)
    assert (t.loc[away, "niveau_acces"] == expected[away]).all()
    assert set(t["libelle_niveau"]) <= {"Sous-densité (APL < 3)", "Fragile (3 ≤ APL < 5)", "Hors zonage (APL ≥ 5)"}
    bad = runner.invoke(cli, [*base_args(), "--seuil", "4", "--seuil-zac", "3", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "--seuil-zac" in bad.output
    assert not (tmp_path / "x").exists()
