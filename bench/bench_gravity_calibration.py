"""Benchmark: the gravity model's estimated care flows against a published figure of where patients consult.

Not a timed test: figures printed. Needs ../shared/data (communes of Occitanie, Centre-Val de Loire and 04-05-06, the
COG 2026 populations, the SIRENE 2019 GP proxy as supply).

Reference: DREES, Barlet, Collin, Bigard & Lévy, « Offre de soins de premier recours : proximité ne rime pas
toujours avec accessibilité », Études et Résultats n° 817 (octobre 2012), data 2010: a little over 60 % of GP
consultations take place in the nearest commune where a GP practises (« la commune équipée la plus proche »),
and about 84 % of the population lives in a commune with a GP.

For each decay constant of the gravity model (``CatchmentParameters.gravity_decay_minutes``; straight-line
minutes, detour 1.3 at 60 km/h, a commune reaching itself in 0 minutes, reach 30 minutes), the share of the
estimated flows that go to each commune's nearest equipped commune (itself when it has a GP), the share that stays
in the commune, and the mean straight-line minutes of the flows. The decay that reproduces the published share is
the one an a priori calibration would choose; ``bench_cpts_real.py`` (section 4) and the README give what it does to
the CPTS meshing.

Run: ``python bench/bench_gravity_calibration.py``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from territoires.analysis.catchments import gravity_matrix
from territoires.analysis.travel_times import commune_points, straight_line_pairs
from territoires.pipeline import load_territory

SHARED = Path(os.environ.get("TERRITOIRES_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
REGIONS = {
    "Occitanie": ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"],
    "Centre-Val de Loire": ["18", "28", "36", "37", "41", "45"],
    "Alpes (04, 05, 06)": ["04", "05", "06"],
}
DECAYS = (2.0, 3.0, 4.0, 5.0, 6.0, 10.0)
PUBLISHED_NEAREST = "un peu plus de 60 %"


def load_region(departements: list[str]) -> pd.DataFrame:
    files = sorted(p for p in (SHARED / "communes").glob("*.geojson") if p.name.split("-")[1] in departements)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        territory = load_territory(files, population=SHARED / "population" / "communes_cog2026_france.csv")
    sirene = pd.read_csv(
        SHARED / "offre_soins" / "sirene2019_etablissements_sante_par_commune.csv",
        sep=";",
        dtype={"codecommuneetablissement": str},
    ).set_index("codecommuneetablissement")["generaliste"]
    communes = territory.communes.reset_index(drop=True)
    return communes.assign(praticiens=communes["code_commune"].map(sirene).fillna(0.0))


def nearest_equipped(communes: pd.DataFrame, supply: np.ndarray) -> np.ndarray:
    """Row of each commune's nearest commune with supply (itself when it has some), -1 beyond 60 minutes."""
    i, j, minutes = straight_line_pairs(communes, max_minutes=60.0)
    keep = supply[j] > 0
    i, j, minutes = i[keep], j[keep], minutes[keep]
    order = np.lexsort((minutes, i))
    rows, first = np.unique(i[order], return_index=True)
    out = np.full(len(communes), -1)
    out[rows] = j[order][first]
    return out


def main() -> None:
    if not SHARED.is_dir():
        print(f"{SHARED} absent : banc ignoré")
        return
    print(f"Référence (DREES, ER 817, 2012) : {PUBLISHED_NEAREST} des consultations de généralistes dans la commune")
    print("équipée la plus proche.")
    for name, departements in REGIONS.items():
        communes = load_region(departements)
        supply = communes["praticiens"].to_numpy(dtype=float)
        pop = communes["population"].fillna(0).to_numpy(dtype=float)
        nearest = nearest_equipped(communes, supply)
        xy = commune_points(communes)
        print(
            f"\n{name} : {len(communes)} communes, {pop.sum():,.0f} habitants, "
            f"{pop[supply > 0].sum() / pop.sum():.0%} dans une commune équipée (SIRENE 2019)"
        )
        for decay in DECAYS:
            flows = gravity_matrix(communes, supply=supply, population=pop, max_minutes=30.0, decay_minutes=decay)
            total = flows.data.sum()
            minutes = np.hypot(*(xy[flows.row] - xy[flows.col]).T) / 1000.0 * 1.3
            print(
                f"  décroissance {decay:4.1f} min : commune équipée la plus proche "
                f"{flows.data[flows.col == nearest[flows.row]].sum() / total:.1%}, "
                f"même commune {flows.data[flows.row == flows.col].sum() / total:.1%}, "
                f"durée moyenne à vol d'oiseau {(flows.data * minutes).sum() / total:.1f} min"
            )


if __name__ == "__main__":
    main()
