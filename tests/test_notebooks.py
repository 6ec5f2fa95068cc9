"""Every notebook runs top to bottom without network (outputs are cleared in the repository)."""

import os
from pathlib import Path

import nbformat
import pytest

import territoires

nbclient = pytest.importorskip("nbclient")
pytestmark = pytest.mark.slow

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
    src = str(Path(territoires.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "outputs must be cleared"
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()


def test_there_are_notebooks():
    assert {p.stem for p in NOTEBOOKS} >= {
        "01_diagnostic_guide",
        "02_methodes_apl",
        "03_territoires_cpts",
        "04_decider_scenarios_implantation",
        "05_acces_equipements",
    }
