import subprocess
import sys

import pytest
from click.testing import CliRunner

from territoires import __version__
from territoires.cli import cli


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_every_command_has_french_help():
    runner = CliRunner()
    root = runner.invoke(cli, ["--help"])
    assert root.exit_code == 0
    assert "Diagnostic territorial" in root.output
    for name in cli.commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Usage:" in result.output


def test_python_dash_m_entry_point():
    import os
    from pathlib import Path

    import territoires

    env = dict(os.environ, PYTHONPATH=str(Path(territoires.__file__).parents[1]))
    out = subprocess.run(
        [sys.executable, "-m", "territoires", "--version"], capture_output=True, text=True, check=True, env=env
    )
    assert __version__ in out.stdout


@pytest.mark.parametrize("args", [["diagnose", "--communes", "absent.geojson", "--practitioners", "x", "--out", "o"]])
def test_missing_file_is_a_usage_error_with_exit_code_2(args):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "absent.geojson" in result.output
