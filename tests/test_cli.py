"""The command line: French throughout (click's own strings too), one vocabulary, -v/-q, light imports."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import territoires
from territoires import __version__
from territoires.cli import cli
from territoires.demo.generate import demo_paths

ENGLISH = ("Usage:", "Show this message", "Show the version", "[default:", "[required]", "Options:", "Commands:")
ENV = dict(os.environ, PYTHONPATH=str(Path(territoires.__file__).parents[1]))


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"territoires {__version__}\n"


def test_every_command_has_french_help():
    runner = CliRunner()
    root = runner.invoke(cli, ["--help"])
    assert root.exit_code == 0
    assert "Diagnostic territorial" in root.output
    assert "Usage : " in root.output and "Commandes :" in root.output
    assert "Affiche cette aide et quitte." in root.output and "Affiche la version et quitte." in root.output
    for name in cli.commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert result.output.startswith(f"Usage : cli {name} "), name
        assert "Options :" in result.output and "Affiche cette aide et quitte." in result.output, name
        assert not [e for e in ENGLISH if e in result.output], (name, [e for e in ENGLISH if e in result.output])


def test_defaults_and_required_are_said_in_french():
    text = CliRunner().invoke(cli, ["diagnose", "--help"]).output
    assert "[par défaut : medecin_generaliste]" in text
    assert "[obligatoire]" in text  # --out


def test_missing_option_error_is_french_with_exit_2():
    result = CliRunner().invoke(cli, ["apl", "--communes", str(demo_paths()["communes"])])
    assert result.exit_code == 2
    assert "Erreur : Option manquante '-o' / '--out' / '--sortie'." in result.output
    # click 8.4+ names the longest help option, click 8.1-8.3 the first one (-h).
    assert re.search(r"Essayez « cli apl (--help|-h) » pour l'aide\.", result.output)
    assert "Error" not in result.output and "Try" not in result.output


def test_unknown_option_is_french():
    result = CliRunner().invoke(cli, ["apl", "--pas-une-option"])
    assert result.exit_code == 2
    # click 8.4+ quotes the option, click 8.1-8.3 does not (both translated).
    assert re.search(r"Option inconnue : '?--pas-une-option'?", result.output)


@pytest.mark.parametrize("args", [["diagnose", "--communes", "absent.geojson", "--practitioners", "x", "--out", "o"]])
def test_missing_file_is_a_usage_error_with_exit_code_2(args):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "Valeur invalide pour '--communes' : Chemin 'absent.geojson' introuvable." in result.output


def test_same_input_options_on_every_command_that_loads_communes():
    """One vocabulary: --existing-cpts, --departement, --region and -o/--out wherever they apply."""
    runner = CliRunner()
    for name in ("apl", "cpts", "diagnose"):
        text = runner.invoke(cli, [name, "--help"]).output
        for option in ("--communes", "--population", "--departement", "--region", "-o, --out", "-v, --verbose",
                       "-q, --quiet"):  # fmt: skip
            assert option in text, (name, option)
    for name in ("cpts", "diagnose"):
        assert "--existing-cpts, --cpts-existantes" in runner.invoke(cli, [name, "--help"]).output
    for name in ("demo", "map", "report"):
        assert "-o, --out" in runner.invoke(cli, [name, "--help"]).output


def test_required_practitioners_named_in_french(tmp_path):
    p = demo_paths()
    result = CliRunner().invoke(cli, ["apl", "--communes", str(p["communes"]), "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "option(s) obligatoire(s) manquante(s) : --practitioners." in result.output


def _apl_args(tmp_path) -> list[str]:
    p = demo_paths()
    return ["apl", "--communes", str(p["communes"]), "--population", str(p["population"]),
            "--practitioners", str(p["practitioners"]), "-o", str(tmp_path)]  # fmt: skip


@pytest.mark.slow
def test_quiet_shows_no_progress_and_verbose_after_the_command(tmp_path):
    runner = CliRunner()
    loud = runner.invoke(cli, _apl_args(tmp_path / "a"))
    assert loud.exit_code == 0 and "[1/4] Chargement des communes" in loud.output
    for args in (["-q", *_apl_args(tmp_path / "b")], [*_apl_args(tmp_path / "c"), "-q"]):
        quiet = runner.invoke(cli, args)
        assert quiet.exit_code == 0, quiet.output
        assert quiet.output == ""  # only errors: no step, no warning, no summary
        assert (Path(args[args.index("-o") + 1]) / "apl.csv").exists()
    error = runner.invoke(cli, ["-q", *_apl_args(tmp_path / "e"), "--seuil-zac", "1"])
    assert error.exit_code == 2 and "--seuil-zac demande aussi --seuil" in error.output
    verbose = runner.invoke(cli, [*_apl_args(tmp_path / "d"), "-v"])
    assert verbose.exit_code == 0, verbose.output


def test_python_dash_m_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "territoires", "--version"], capture_output=True, text=True, check=True, env=ENV
    )
    assert __version__ in out.stdout


def test_import_and_help_do_not_load_the_heavy_libraries():
    """``import territoires`` and ``territoires --help`` load neither folium, matplotlib, rasterio nor geopandas."""
    code = (
        "import sys, territoires, territoires.cli\n"
        "from click.testing import CliRunner\n"
        "assert CliRunner().invoke(territoires.cli.cli, ['diagnose', '--help']).exit_code == 0\n"
        "print(' '.join(m for m in ('folium', 'matplotlib', 'rasterio', 'geopandas', 'mapclassify', 'scipy')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=ENV)
    assert out.stdout.strip() == ""
    # Names still resolve on first use.
    assert callable(territoires.run_diagnostic) and "run_diagnostic" in dir(territoires)
    assert re.fullmatch(r"\d+\.\d+.*", territoires.__version__)


def test_apl_command_does_not_load_what_it_does_not_use(tmp_path):
    """``territoires apl`` loads neither the map and report libraries nor scipy's graph routines (CPTS meshing,
    road searches: ``scipy.sparse.csgraph`` brings ``scipy.sparse.linalg``, 0.08 s)."""
    p = demo_paths()
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from territoires.cli import cli\n"
        f"args = ['apl', '--communes', {str(p['communes'])!r}, '--population', {str(p['population'])!r},"
        f" '--practitioners', {str(p['practitioners'])!r}, '-o', {str(tmp_path)!r}]\n"
        "result = CliRunner().invoke(cli, args)\n"
        "assert result.exit_code == 0, result.output\n"
        "heavy = ('folium', 'matplotlib', 'rasterio', 'mapclassify', 'scipy.sparse.csgraph', 'scipy.sparse.linalg')\n"
        "print(' '.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=ENV)
    # scipy up to 1.15 at least loads csgraph and linalg with scipy.sparse itself: only what territoires adds counts.
    probe = "import sys, scipy.sparse; print(' '.join(m for m in sys.modules if m.startswith('scipy.sparse.')))"
    eager = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert [m for m in out.stdout.split() if m not in eager] == []
    assert (tmp_path / "apl.csv").exists()
