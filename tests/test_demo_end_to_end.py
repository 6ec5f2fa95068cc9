"""The main job, end to end from the CLI on the embedded demo territory."""

import pyogrio
import pytest
from click.testing import CliRunner

from territoires.cli import cli
from territoires.export.geopackage import read_diagnostic_geopackage

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demo_writes_readable_outputs(demo_run):
    out, output = demo_run
    layers = {name for name, _ in pyogrio.list_layers(out / "diagnostic.gpkg")}
    assert {"communes", "practitioners", "facilities", "access_zones", "apl_by_area", "run_metadata"} <= layers
    communes = pyogrio.read_dataframe(out / "diagnostic.gpkg", layer="communes")
    # The demo territory: 347 communes, 740,903 inhabitants (src/territoires/demo/generate.py, seed 2026).
    assert len(communes) == 347
    assert communes["population"].sum() == 740_903
    assert {"apl", "niveau_acces", "minutes_praticien_proche", "offre_consultations"} <= set(communes.columns)
    assert (out / "temps_acces.tif").stat().st_size > 0
    html = (out / "carte.html").read_text(encoding="utf-8")
    assert "APL — consultations/an/habitant" in html
    assert "Seuil de sous-densité : 2,5" in html
    # The tooltip aliases are JSON in the page (folium escapes non-ASCII letters).
    assert "G\\u00e9n\\u00e9raliste le plus proche" in html


def test_demo_summary_reports_counts(demo_run):
    _, output = demo_run
    assert "Communes : 347" in output
    assert "Population : 740\u202f903 habitants" in output
    assert "Praticiens retenus : 708" in output
    assert "Population sous le seuil de 2,5" in output


def test_metadata_round_trip(demo_run):
    out, _ = demo_run
    layers, meta, _ = read_diagnostic_geopackage(out / "diagnostic.gpkg")
    assert meta["outil"] == "territoires"
    assert meta["comptes"]["communes"] == 347
    assert any(e["role"] == "practitioners" and len(e["sha256"]) == 64 for e in meta["entrees"])
    assert len(layers["communes"]) == 347


def test_bad_population_gives_one_line_and_exit_code_2(tmp_path):
    from territoires.demo.generate import demo_paths

    bad = tmp_path / "pop.csv"
    bad.write_text("code_commune;population\n96001;beaucoup\n", encoding="utf-8")
    p = demo_paths()
    out = tmp_path / "out"
    args = ["diagnose", "--communes", str(p["communes"]), "--population", str(bad),
            "--practitioners", str(p["practitioners"]), "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Erreur")]
    assert errors == [f"Erreur : {bad}: colonne 'population' : 1 valeur(s) non numérique(s) (ligne 2 : 'beaucoup'); "
                      "un nombre était attendu."]  # fmt: skip
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def test_aggregates_by_departement_are_weighted_as_drees(demo_run):
    out, _ = demo_run
    communes = pyogrio.read_dataframe(out / "diagnostic.gpkg", layer="communes")
    areas = pyogrio.read_dataframe(out / "diagnostic.gpkg", layer="apl_by_area")
    deps = areas[areas["niveau"] == "departement"].set_index("zone")
    for dep, group in communes.groupby("departement"):
        expected = (group["apl"] * group["population_standardisee"]).sum() / group["population_standardisee"].sum()
        assert deps.loc[dep, "apl"] == pytest.approx(expected)
        assert deps.loc[dep, "population"] == group["population"].sum()
    assert set(areas["niveau"]) == {"departement", "epci"}
