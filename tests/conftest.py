"""Shared fixtures and paths: the demo diagnostic, a synthetic CPTS layer, and the one grid builder of the tests."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _grid import square_grid

from territoires.demo.generate import demo_paths
from territoires.pipeline import DiagnosticInputs, DiagnosticOptions, run_diagnostic

ROOT = Path(__file__).resolve().parents[1]
DATA_DIRECTORY = Path(__file__).resolve().parent / "data"
#: Real open data staged beside the checkout (../shared/data); tests using it skip where it is absent.
#: TERRITOIRES_SHARED_DATA overrides it (e.g. from a git worktree, where the folder is elsewhere).
SHARED_DATA = Path(os.environ.get("TERRITOIRES_SHARED_DATA", ROOT.parent / "shared" / "data"))
if not SHARED_DATA.is_dir() and (ROOT.parents[1] / "shared" / "data").is_dir():
    SHARED_DATA = ROOT.parents[1] / "shared" / "data"  # a git worktree one level deeper (wt/<name>)

#: The tests write and read their own fixture files with pyogrio, as territoires itself does (engine="pyogrio"
#: everywhere in src); geopandas before 1.0 would default to fiona, which geopandas 0.14 cannot use from fiona 1.10.
gpd.options.io_engine = "pyogrio"

requires_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason=f"real data folder {SHARED_DATA} absent (../shared/data beside the checkout)"
)

#: EPCI of the demo whose CPTS exist (synthetic CPTS layer); the next ones get a proposed CPTS; the last two none.
EXISTING_EPCI = ("200000000", "200000001", "200000002")
NO_CPTS_EPCI = ("200000015", "200000016")


@pytest.fixture(scope="session")
def demo_inputs() -> DiagnosticInputs:
    """The input files of the demo territory (communes, populations, practitioners, facilities)."""
    p = demo_paths()
    return DiagnosticInputs(
        communes=p["communes"], population=p["population"], practitioners=p["practitioners"], facilities=p["facilities"]
    )


@pytest.fixture(scope="session")
def demo_diagnostic(demo_inputs):
    """The diagnosis of the demo territory, run once (no CPTS: the synthetic layer below stands in)."""
    return run_diagnostic(demo_inputs, DiagnosticOptions(catchments=False))


@pytest.fixture(scope="session")
def cpts_epci():
    """The EPCI of the synthetic CPTS layer: ``existing`` (existing CPTS) and ``none`` (no CPTS)."""
    return SimpleNamespace(existing=EXISTING_EPCI, none=NO_CPTS_EPCI)


def with_catchments(communes: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return (communes with cpts_id/cpts_nom/cpts_statut, catchments) built from the EPCI of the communes."""
    communes = communes.copy()
    covered = ~communes["epci"].isin(NO_CPTS_EPCI)
    statut = np.where(communes["epci"].isin(EXISTING_EPCI), "existante", "proposée")
    communes["cpts_id"] = np.where(covered, "CPTS-" + communes["epci"].astype(str), None)
    communes["cpts_statut"] = np.where(covered, statut, None)
    main = communes.sort_values("population", ascending=False).drop_duplicates("epci").set_index("epci")["nom"]
    communes["cpts_nom"] = np.where(covered, "CPTS " + communes["epci"].map(main), None)
    part = communes.loc[covered]
    cat = part.dissolve(by="cpts_id", aggfunc={"population": "sum", "cpts_nom": "first", "cpts_statut": "first"})
    cat = cat.reset_index().rename(columns={"cpts_nom": "nom", "cpts_statut": "statut"})
    cat["population"] = cat["population"].astype(int)
    cat["nb_communes"] = part.groupby("cpts_id").size().reindex(cat["cpts_id"]).to_numpy()
    cat["alerte"] = np.where(
        cat["population"] > 152_000, "au-dessus du plafond : découpage infra-communal nécessaire", ""
    )
    return communes, cat


@pytest.fixture(scope="session")
def demo_layers_with_catchments(demo_diagnostic) -> dict[str, pd.DataFrame]:
    """The demo layers with a synthetic CPTS layer built from the demo's EPCI (a known answer for the coverage).

    The CPTS meshing is tested on its own; these layers follow its contract so that the report, map and styles
    can be tested against hand counts.
    """
    layers = dict(demo_diagnostic.layers())
    layers["communes"], layers["catchments"] = with_catchments(layers["communes"])
    return layers


@pytest.fixture(scope="session")
def make_grid():
    """The grid builder of the tests (:func:`_grid.square_grid`): square communes, answers computable by hand."""
    return square_grid
