"""``territoires cpts`` end to end on the demo territory, and its bad inputs."""

from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from _grid import assert_contiguous
from click.testing import CliRunner

from territoires.analysis.catchments import ALERT_ABOVE_CEILING, CatchmentResult
from territoires.cli import cli
from territoires.demo.generate import demo_paths

DEMO_POPULATION = 740_903  # total of the demo's populations.csv


def base_args(with_practitioners: bool = True) -> list[str]:
    p = demo_paths()
    args = ["cpts", "--communes", str(p["communes"]), "--population", str(p["population"]),
            "--cpts-existantes", str(p["existing_cpts"])]  # fmt: skip
    if with_practitioners:
        args += ["--practitioners", str(p["practitioners"]), "--facilities", str(p["facilities"])]
    return args


@pytest.fixture(scope="module")
def meshed(tmp_path_factory):
    out = tmp_path_factory.mktemp("cpts") / "cpts.gpkg"
    result = CliRunner().invoke(cli, [*base_args(), "--out", str(out.parent)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_every_commune_in_exactly_one_contiguous_catchment(meshed):
    out, output = meshed
    communes = pyogrio.read_dataframe(out, layer="communes")
    catchments = pyogrio.read_dataframe(out, layer="catchments")
    assert len(communes) == 347 and communes["cpts_id"].notna().all()
    assert catchments["population"].sum() == DEMO_POPULATION
    assert set(catchments["cpts_id"]) == set(communes["cpts_id"])
    assert_contiguous(CatchmentResult(communes=communes, catchments=catchments))
    # Within the bounds, except the city above the ceiling, flagged.
    flagged = catchments[catchments["alerte"] != ""]
    assert flagged["alerte"].tolist() == [ALERT_ABOVE_CEILING]
    assert flagged["population"].tolist() == [183_412]
    assert catchments.loc[catchments["alerte"] == "", "population"].between(12_000, 152_000).all()
    assert "Bellerive-sur-Vère" in output and "Couverture par une CPTS" in output


def test_existing_cpts_kept_as_it_is(meshed):
    out, _ = meshed
    existing = pd.read_csv(demo_paths()["existing_cpts"], dtype=str)
    communes = pyogrio.read_dataframe(out, layer="communes")
    kept = communes.loc[communes["cpts_statut"] == "existante", "code_commune"]
    assert sorted(kept) == sorted(existing["code_commune"])
    assert communes.loc[communes["cpts_statut"] == "existante", "cpts_nom"].unique().tolist() == [
        existing["cpts"].iloc[0]
    ]
    catchments = pyogrio.read_dataframe(out, layer="catchments")
    existing_row = catchments[catchments["statut"] == "existante"].iloc[0]
    assert existing_row["nb_communes"] == len(existing)


def test_csv_for_spreadsheets(meshed):
    out, _ = meshed
    table = pd.read_csv(out.with_suffix(".csv"), sep=";", dtype=str, encoding="utf-8-sig")
    assert list(table.columns) == ["code_commune", "nom", "population", "cpts_id", "cpts_nom", "cpts_statut"]
    assert len(table) == 347
    assert table["population"].astype(int).sum() == DEMO_POPULATION


@pytest.mark.slow
def test_same_seed_same_csv_and_targets_per_departement(tmp_path):
    runner = CliRunner()
    args = [*base_args(with_practitioners=False), "--par-departement", "3-4", "--graine", "5"]
    assert runner.invoke(cli, [*args, "--out", str(tmp_path / "a")]).exit_code == 0
    assert runner.invoke(cli, [*args, "--out", str(tmp_path / "b")]).exit_code == 0
    assert (tmp_path / "a" / "cpts.csv").read_bytes() == (tmp_path / "b" / "cpts.csv").read_bytes()
    communes = pd.read_csv(tmp_path / "a" / "cpts.csv", sep=";", dtype=str, encoding="utf-8-sig")
    proposed = communes[communes["cpts_statut"] == "proposée"]
    per_dep = proposed.groupby(proposed["code_commune"].str[:2])["cpts_id"].nunique()
    # Département 96 also holds the city above the ceiling, its own catchment outside the target.
    assert per_dep["20"] in (3, 4)
    assert per_dep["96"] - 1 in (3, 4)
    assert (communes.groupby("cpts_id")["code_commune"].agg(lambda s: s.str[:2].nunique()) == 1).all()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--min-pop", "200000", "--max-pop", "100000", "--out", "x.d"], "plancher"),
        (["--par-departement", "quatre", "--out", "x.d"], "intervalle"),
        (["--limites", "canton", "--out", "x.d"], "canton"),
        (["--out", "x.d", "--nombre", "0"], "x>=1"),
    ],
)
def test_bad_options_exit_2_without_output(tmp_path, extra, message):
    extra = [str(tmp_path / e) if e.startswith("x.") else e for e in extra]
    result = CliRunner().invoke(cli, [*base_args(with_practitioners=False), *extra])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


IRIS = Path(__file__).resolve().parent / "data" / "iris_bellerive.geojson"


@pytest.mark.slow
def test_city_split_into_iris_from_the_cli(tmp_path):
    # The demo city (183,412 inhabitants) in 4 IRIS (IGN CONTOURS-IRIS columns, 2021 populations: 182,667).
    out = tmp_path / "cpts.gpkg"
    result = CliRunner().invoke(cli, [*base_args(), "--iris", str(IRIS), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    catchments = pyogrio.read_dataframe(out, layer="catchments")
    assert (catchments["alerte"] == "").all()
    assert catchments["population"].between(12_000, 152_000).all()
    # The city's 183,412 shared among its IRIS by their 2021 weights: each catchment's total rounded to a person.
    assert catchments["population"].sum() == pytest.approx(DEMO_POPULATION, abs=len(catchments) / 2)
    city = (
        pd.read_csv(out.with_suffix(".csv"), sep=";", dtype=str, encoding="utf-8-sig")
        .set_index("code_commune")
        .loc["96436"]
    )
    assert ", " in city["cpts_id"]  # in two catchments at least: 183,412 > 152,000


def test_bad_iris_file_is_reported(tmp_path):
    bad = tmp_path / "iris.geojson"
    bad.write_text(IRIS.read_text().replace("P21_POP", "HABITANTS"))
    result = CliRunner().invoke(cli, [*base_args(False), "--iris", str(bad), "--out", str(tmp_path / "c")])
    assert result.exit_code == 2
    assert "population" in result.output and str(bad) in result.output
    assert not (tmp_path / "c").exists()


def test_compare_writes_layer_style_and_summary(tmp_path):
    # The proposal compared with the demo's existing CPTS, which it keeps as they are: a perfect match.
    out = tmp_path / "cpts.gpkg"
    result = CliRunner().invoke(
        cli,
        [
            *base_args(with_practitioners=False),
            "--comparer",
            str(demo_paths()["existing_cpts"]),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    layer = pyogrio.read_dataframe(out, layer="comparison")
    assert len(layer) == 1 and layer["jaccard"].tolist() == [1.0]
    assert layer["communes_differentes"].tolist() == [0]
    assert "Jaccard pondéré par la population (meilleur territoire proposé) : 1,00" in result.output
    import sqlite3

    with sqlite3.connect(out) as con:
        styles = con.execute("SELECT styleName FROM layer_styles WHERE f_table_name = 'comparison'").fetchall()
    assert styles == [("Accord avec les CPTS données",)]


def test_city_above_ceiling_says_how_many_territories_it_needs(meshed):
    out, output = meshed
    catchments = pyogrio.read_dataframe(out, layer="catchments")
    city = catchments[catchments["alerte"] == ALERT_ABOVE_CEILING]
    # 183,412 inhabitants: at least ceil(183,412 / 152,000) = 2 under the ceiling, round(183,412 / 82,000) = 2.
    assert city["territoires_necessaires_min"].tolist() == [2]
    assert city["territoires_necessaires_cible"].tolist() == [2]
    assert (catchments.loc[catchments["alerte"] == "", "territoires_necessaires_min"] == 0).all()
    assert "au moins 2 territoires sous le plafond" in output


def test_comparison_reaches_the_report(tmp_path):
    # With practitioners the GeoPackage carries the APL, so `territoires report` can write the report from it; the
    # comparison with the existing CPTS (kept as it is: Jaccard 1) is a section of it.
    args = [*base_args(), "--comparer", str(demo_paths()["existing_cpts"]), "--out", str(tmp_path)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "cpts.gpkg"), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    html = next((tmp_path / "r").glob("*.html")).read_text(encoding="utf-8")
    assert "<h2>Comparaison avec les CPTS données</h2>" in html
    assert "le mieux 1,00 (1 : mêmes communes) ; indice de Rand ajusté 1,00" in html


@pytest.mark.parametrize(
    ("flags", "structure", "shape_rounds"),
    [
        ([], "epci", 30),
        (["--sans-limites-souples"], None, 30),
        (["--no-soft-borders", "--sans-forme"], None, 0),
        (["--limites-souples", "--no-shape"], "epci", 0),
        (["--forme", "--soft-borders"], "epci", 30),
    ],
)
def test_soft_borders_and_shape_switches_reach_the_parameters(flags, structure, shape_rounds):
    import click

    from territoires.cli.options import CATCHMENT_SETTINGS, SETTINGS

    @click.command()
    def probe(**values):
        from territoires.cli.options import _settings_values

        params = _settings_values(values)["catchment_params"]
        click.echo(f"{params.structure}|{params.shape_rounds}")

    for name in CATCHMENT_SETTINGS:
        probe = SETTINGS[name](probe)
    result = CliRunner().invoke(probe, flags)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{structure}|{shape_rounds}"


def test_switches_run_end_to_end_within_bounds(tmp_path):
    # The demo meshed with and without the shape pass: both runs keep every inhabitant and the bounds (the city above
    # the ceiling aside).
    runner = CliRunner()
    for flag in ("--forme", "--sans-forme"):
        out = tmp_path / flag.strip("-")
        result = runner.invoke(cli, [*base_args(), flag, "--out", str(out)])
        assert result.exit_code == 0, result.output
        catchments = pyogrio.read_dataframe(out / "cpts.gpkg", layer="catchments")
        assert catchments.loc[catchments["alerte"] == "", "population"].between(12_000, 152_000).all()
        assert catchments["population"].sum() == DEMO_POPULATION


def test_table_as_csv_and_xlsx_agrees_with_the_geopackage(tmp_path):
    result = CliRunner().invoke(
        cli, [*base_args(with_practitioners=False), "-o", str(tmp_path), "--format", "csv", "--format", "xlsx"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cpts.csv", "cpts.gpkg", "cpts.xlsx"]
    communes = pyogrio.read_dataframe(tmp_path / "cpts.gpkg", layer="communes").set_index("code_commune")
    csv = pd.read_csv(tmp_path / "cpts.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype={"code_commune": str})
    xlsx = pd.read_excel(tmp_path / "cpts.xlsx", dtype={"code_commune": str})
    for table in (csv, xlsx):
        assert len(table) == 347 and table["population"].sum() == DEMO_POPULATION
        assert table.set_index("code_commune")["cpts_id"].to_dict() == communes["cpts_id"].to_dict()


def test_xlsx_only_leaves_out_the_csv(tmp_path):
    result = CliRunner().invoke(cli, [*base_args(with_practitioners=False), "-o", str(tmp_path), "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cpts.gpkg", "cpts.xlsx"]


def _catchment_option(flags: list[str], attribute: str):
    """Run the CPTS options alone on ``flags``: the click result, its output the named CatchmentParameters field."""
    import click

    from territoires.cli.options import CATCHMENT_SETTINGS, SETTINGS

    @click.command()
    def probe(**values):
        from territoires.cli.options import _settings_values

        click.echo(str(getattr(_settings_values(values)["catchment_params"], attribute)))

    for name in CATCHMENT_SETTINGS:
        probe = SETTINGS[name](probe)
    return CliRunner().invoke(probe, flags)


@pytest.mark.parametrize(
    ("flags", "ratio", "code"),
    [([], "None", 0), (["--autonomie-max-cible", "1"], "1.0", 0), (["--containment-max-ratio", "1.25"], "1.25", 0)],
)
def test_containment_cap_reaches_the_parameters(flags, ratio, code):
    result = _catchment_option(flags, "containment_max_ratio")
    assert result.exit_code == code, result.output
    assert result.output.strip() == ratio
    # A ratio of 0 would forbid every merge: refused before any computation (usage error, exit code 2).
    assert _catchment_option(["--autonomie-max-cible", "0"], "containment_max_ratio").exit_code == 2


@pytest.mark.parametrize(
    ("flags", "value", "code"),
    [
        ([], "0.65", 0),
        (["--autonomie-min", "0.5"], "0.5", 0),
        (["--min-containment", "0"], "None", 0),  # 0: the rule is off, as CatchmentParameters(min_containment=None)
        (["--autonomie-min", "1.5"], "", 2),  # a share: refused above 1 before any computation
    ],
)
def test_min_containment_reaches_the_parameters(flags, value, code):
    result = _catchment_option(flags, "min_containment")
    assert result.exit_code == code, result.output
    if code == 0:
        assert result.output.strip() == value


@pytest.mark.parametrize(
    ("flags", "value", "code"),
    [
        ([], "10.0", 0),
        (["--decroissance-minutes", "3"], "3.0", 0),
        (["--gravity-decay-minutes", "4.5"], "4.5", 0),
        (["--decroissance-minutes", "0"], "", 2),  # exp(-t / 0) is undefined: refused before any computation
    ],
)
def test_gravity_decay_reaches_the_parameters(flags, value, code):
    result = _catchment_option(flags, "gravity_decay_minutes")
    assert result.exit_code == code, result.output
    if code == 0:
        assert result.output.strip() == value


@pytest.mark.parametrize(
    ("flags", "value"), [([], "False"), (["--cible-partout"], "True"), (["--target-everywhere"], "True")]
)
def test_target_everywhere_reaches_the_parameters(flags, value):
    result = _catchment_option(flags, "target_everywhere")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == value


@pytest.mark.parametrize(
    ("flags", "value", "code"),
    [([], "2.0", 0), (["--equilibre-plancher", "0"], "0.0", 0), (["--floor-balance", "-1"], "", 2)],
)
def test_floor_balance_reaches_the_parameters(flags, value, code):
    result = _catchment_option(flags, "floor_balance")
    assert result.exit_code == code, result.output
    if code == 0:
        assert result.output.strip() == value


def test_comparison_uses_the_runs_territory_instead_of_reading_the_population_again(tmp_path):
    # The run's Territory carries the former codes and arrondissement populations: the population file is not read
    # a second time (nor its warnings said twice); the scores are those of a fresh reading.
    from territoires import DiagnosticInputs, run_catchments
    from territoires._errors import InputError, TerritoiresWarning
    from territoires.pipeline.comparison import compare_with_perimeters

    paths = demo_paths()
    with pytest.warns(TerritoiresWarning, match="Bellerive-sur-Vère"):  # the demo's city above the ceiling
        diagnostic = run_catchments(
            DiagnosticInputs(
                communes=paths["communes"], population=paths["population"], existing_cpts=paths["existing_cpts"]
            )
        )
    absent = tmp_path / "absent.csv"
    comparison, layer = compare_with_perimeters(diagnostic, paths["existing_cpts"], population=absent)
    assert comparison.summary["jaccard_pondere"] == 1.0 and len(layer) == 1
    diagnostic.territory = None  # a Diagnostic built by hand: the population file is read
    with pytest.raises(InputError):
        compare_with_perimeters(diagnostic, paths["existing_cpts"], population=absent)
    again, _ = compare_with_perimeters(diagnostic, paths["existing_cpts"], population=paths["population"])
    assert again.summary == comparison.summary
