import pandas as pd
import pytest
from click.testing import CliRunner

from territoires.cli import cli
from territoires.demo.generate import demo_paths


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".gpkg"])
def test_apl_command_writes_one_row_per_commune(tmp_path, suffix):
    p = demo_paths()
    out = tmp_path / f"apl{suffix}"
    args = ["apl", "--communes", str(p["communes"]), "--population", str(p["population"]),
            "--practitioners", str(p["practitioners"]), "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    if suffix == ".csv":
        table = pd.read_csv(out, sep=";", dtype={"code_commune": str})
    elif suffix == ".parquet":
        table = pd.read_parquet(out)
    else:
        import pyogrio

        table = pyogrio.read_dataframe(out)
    assert len(table) == 347
    assert {"code_commune", "apl", "niveau_acces", "minutes_praticien_proche", "population"} <= set(table.columns)
    assert table["code_commune"].str.len().eq(5).all()


def test_apl_max_age_lowers_supply(tmp_path):
    p = demo_paths()
    base = ["apl", "--communes", str(p["communes"]), "--population", str(p["population"]),
            "--practitioners", str(p["practitioners"])]  # fmt: skip
    runner = CliRunner()
    assert runner.invoke(cli, [*base, "--out", str(tmp_path / "all.csv")]).exit_code == 0
    assert runner.invoke(cli, [*base, "--max-age", "65", "--out", str(tmp_path / "65.csv")]).exit_code == 0
    every = pd.read_csv(tmp_path / "all.csv", sep=";")
    young = pd.read_csv(tmp_path / "65.csv", sep=";")
    assert young["offre_consultations"].sum() < every["offre_consultations"].sum()
    assert young["praticiens"].sum() < every["praticiens"].sum()


def test_apl_rejects_unknown_extension(tmp_path):
    p = demo_paths()
    args = ["apl", "--communes", str(p["communes"]), "--practitioners", str(p["practitioners"]),
            "--out", str(tmp_path / "apl.xlsx")]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert ".csv, .gpkg ou .parquet attendu" in result.output
    assert not (tmp_path / "apl.xlsx").exists()


def test_apl_thresholds_from_the_command_line(tmp_path):
    p = demo_paths()
    base = ["apl", "--communes", str(p["communes"]), "--population", str(p["population"]),
            "--practitioners", str(p["practitioners"])]  # fmt: skip
    runner = CliRunner()
    out = tmp_path / "seuils.csv"
    result = runner.invoke(cli, [*base, "--seuil", "3", "--seuil-zac", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    t = pd.read_csv(out, sep=";")
    # Tiers recomputed independently from the APL column with the thresholds given.
    expected = pd.cut(t["apl"], [-1, 3, 5, float("inf")], right=False, labels=["ZIP", "ZAC", "HZ"]).astype(str)
    assert (t["niveau_acces"] == expected).all()
    assert set(t["libelle_niveau"]) <= {"Sous-densité (APL < 3)", "Fragile (3 ≤ APL < 5)", "Hors zonage (APL ≥ 5)"}
    bad = runner.invoke(cli, [*base, "--seuil", "4", "--seuil-zac", "3", "--out", str(tmp_path / "x.csv")])
    assert bad.exit_code == 2 and "--seuil-zac" in bad.output
    assert not (tmp_path / "x.csv").exists()
