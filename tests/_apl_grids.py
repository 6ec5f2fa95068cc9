"""Small territories whose APL and siting gains can be checked by hand (shared by the scenario and siting tests)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from territoires.analysis.apl import compute_apl
from territoires.analysis.scenario import APLModel
from territoires.demo.generate import demo_paths
from territoires.pipeline import DiagnosticInputs

_PATHS = demo_paths()
#: The demo territory's communes, populations and practitioners (and FINESS facilities).
DEMO = DiagnosticInputs(_PATHS["communes"], population=_PATHS["population"], practitioners=_PATHS["practitioners"])
DEMO_FACILITIES = DiagnosticInputs(
    _PATHS["communes"],
    population=_PATHS["population"],
    practitioners=_PATHS["practitioners"],
    facilities=_PATHS["facilities"],
)


def line_of_three():
    """Communes A, B, C (1,000, 2,000, 3,000 inhabitants); A–B 5 min, B–C 12 min, A–C 30 min; 1 FTE in A.

    By hand (DREES decay 1 / 2/3 / 1/3 / 0): demand reached by A = 1000 + 2000 = 3000, so R_A = 5400/3000 = 1.8
    and APL = (1.8, 1.8, 0). One new FTE in B: reached 1000 + 2000 + 3000 × 2/3 = 5000, +1.08 in A and B, +0.72 in
    C: A and B cross 2.5 (3,000 inhabitants), deficit reduced by 0.7×1000 + 0.7×2000 + 0.72×3000 = 4,260.
    In C: reached 2000 × 2/3 + 3000 = 4333.3, +5400/4333.3 = 1.2462 in C, × 2/3 = 0.8308 in B: B crosses
    (2,000 inhabitants); deficit reduced by 0.7×2000 + 1.2462×3000 = 5,138.5. In A: +1.8 in A and B (3,000
    inhabitants; deficit −2,100).
    """
    pts = shapely.points([0, 5000, 14000], [0, 0, 0])
    communes = gpd.GeoDataFrame(
        {"code_commune": ["01001", "01002", "01003"], "nom": ["A", "B", "C"], "population": [1000.0, 2000.0, 3000.0]},
        geometry=shapely.buffer(pts, 1000),
        crs="EPSG:2154",
    )
    communes["population_standardisee"] = communes["population"]
    pairs = [("01001", "01002", 5), ("01002", "01003", 12), ("01001", "01003", 30)]
    rows = [(a, b, m) for a, b, m in pairs] + [(b, a, m) for a, b, m in pairs]
    tt = pd.DataFrame(rows, columns=["origin", "destination", "minutes"])
    practitioners = pd.DataFrame({"code_commune": ["01001"], "etp": [1.0], "profession": "medecin_generaliste"})
    result = compute_apl(communes, practitioners, travel_times=tt)
    return result, APLModel.from_communes(result, travel_times=tt)


def random_grid(seed: int, n: int = 7):
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(n) * 6000.0, np.arange(n) * 6000.0)
    pop = np.round(rng.lognormal(6, 1, n * n))
    communes = gpd.GeoDataFrame(
        {"code_commune": [f"{i:05d}" for i in range(n * n)], "population": pop, "population_standardisee": pop},
        geometry=shapely.buffer(shapely.points(xs.ravel(), ys.ravel()), 2000),
        crs="EPSG:2154",
    )
    practitioners = pd.DataFrame(
        {"code_commune": rng.choice(communes["code_commune"], 8), "etp": 1.0, "profession": "medecin_generaliste"}
    )
    result = compute_apl(communes, practitioners)
    return result, APLModel.from_communes(result), pop
