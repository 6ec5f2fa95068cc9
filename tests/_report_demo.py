"""The demo diagnostic shared by the report and QGIS style tests, and a synthetic CPTS layer for them.

The CPTS meshing lives in its own issue; these tests need a catchments layer that follows its contract
(/work/briefs/catchment_contract.md), so they build one from the demo's EPCI: a known answer for the coverage.
"""

from __future__ import annotations

import functools

import geopandas as gpd
import numpy as np
import pandas as pd

from territoires.demo.generate import demo_paths
from territoires.diagnostic import Diagnostic, run_diagnostic

#: EPCI of the demo whose CPTS exist; the next ones get a proposed CPTS; the last two none.
EXISTING_EPCI = ("200000000", "200000001", "200000002")
NO_CPTS_EPCI = ("200000015", "200000016")


@functools.lru_cache(maxsize=1)
def demo_diagnostic() -> Diagnostic:
    """Run the diagnosis of the demo territory once (no CPTS: the meshing is another issue's)."""
    p = demo_paths()
    return run_diagnostic(
        p["communes"],
        practitioners=p["practitioners"],
        population=p["population"],
        facilities=p["facilities"],
        catchments=False,
    )


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


def layers_with_catchments() -> dict[str, pd.DataFrame]:
    """Return the demo layers with the synthetic CPTS layer (and the communes' CPTS columns)."""
    layers = dict(demo_diagnostic().layers())
    layers["communes"], layers["catchments"] = with_catchments(layers["communes"])
    return layers
