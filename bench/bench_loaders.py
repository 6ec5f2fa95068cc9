"""Benchmark: the loaders' hot spots at national scale.

- practitioners: the generic table loader on 300,000 rows whose ``profession`` column holds a few dozen distinct
  spellings (the national Annuaire Santé has about 2.1 million activity rows; its GP selection ~100,000);
- COG reconciliation: 35,000 synthetic Voronoi communes in Lambert-93 (national scale) of which 806 carry a
  former code merged into 300 current communes, as between COG 2018 and COG 2026; and, where ../shared/data
  exists, the 22 real départements (COG 2018 contours brought to COG 2026).
Synthetic inputs do not depend on ../shared/data. Prints times (best of 3).
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from territoires.io.cog import former_codes_from_table, reconcile_vintages
from territoires.io.practitioners import _professions_from_text, practitioners_from_table

#: ../shared/data beside the checkout, or where TERRITOIRES_SHARED_DATA says.
SHARED = Path(os.environ.get("TERRITOIRES_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
N_ROWS = 300_000
N_COMMUNES = 35_000
N_CHANGED = 806


def best_of(fn, n: int = 3) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_practitioners() -> None:
    rng = np.random.default_rng(0)
    labels = np.array(
        ["Médecin généraliste", "medecin_generaliste", "generaliste", "Infirmier", "infirmière", "kiné",
         "Masseur-kinésithérapeute", "sage-femme", "dentiste", "pharmacien", "MG", "omnipraticien"]
    )  # fmt: skip
    table = pd.DataFrame(
        {
            "code_commune": rng.integers(1001, 95690, N_ROWS).astype(str),
            "profession": rng.choice(labels, N_ROWS),
            "etp": np.round(rng.uniform(0.2, 1.0, N_ROWS), 1),
        }
    )
    table["code_commune"] = table["code_commune"].str.zfill(5)
    t = best_of(lambda: _professions_from_text(table["profession"], source="bench", column="profession"))
    print(f"practitioners: profession labels of {N_ROWS:,} rows normalised in {t:.3f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "praticiens.csv"
        table.to_csv(path, sep=";", index=False)
        t = best_of(lambda: practitioners_from_table(path, profession="medecin_generaliste"))
        print(f"practitioners: generic table of {N_ROWS:,} rows read in {t:.2f} s")


def synthetic_communes(seed: int = 0) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    rng = np.random.default_rng(seed)
    xy = np.column_stack([rng.uniform(100_000, 1_100_000, N_COMMUNES), rng.uniform(6_100_000, 7_050_000, N_COMMUNES)])
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy)))
    cells = shapely.intersection(cells, shapely.box(100_000, 6_100_000, 1_100_000, 7_050_000))
    codes = np.array([f"{i + 1001:05d}" for i in range(len(cells))])
    communes = gpd.GeoDataFrame(
        {"code_commune": codes, "nom": codes, "population": rng.integers(50, 5000, len(cells)).astype(float)},
        geometry=cells,
        crs="EPSG:2154",
    )
    # Merge 806 former communes into 300 current ones (their nearest neighbours keep the current code).
    current = rng.choice(len(cells), 300, replace=False)
    centroids = shapely.centroid(cells)
    tree = shapely.STRtree(centroids)
    mapping: dict[str, str] = {}
    for c in current:
        for j in tree.query(shapely.buffer(centroids[c], 8000))[:4]:
            if j != c and codes[j] not in mapping and codes[j] not in mapping.values() and len(mapping) < N_CHANGED:
                mapping[codes[j]] = codes[c]
    return communes, mapping


def bench_cog() -> None:
    communes, mapping = synthetic_communes()
    t = best_of(lambda: reconcile_vintages(communes, mapping))
    merged, report = reconcile_vintages(communes, mapping)
    print(
        f"COG reconciliation: {len(communes):,} communes, {report.n_merged} former codes into "
        f"{report.n_current_affected} communes → {len(merged):,} in {t:.2f} s"
    )
    if SHARED.is_dir():
        from territoires.io.communes import communes_from_files
        from territoires.io.populations import populations_from_csv

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            real = communes_from_files(sorted((SHARED / "communes").glob("*.geojson")))
            codes = former_codes_from_table(populations_from_csv(SHARED / "population" / "communes_cog2026_france.csv"))
            t = best_of(lambda: reconcile_vintages(real, codes))
            merged, report = reconcile_vintages(real, codes)
        print(
            f"COG reconciliation (22 real départements): {len(real):,} communes, {report.n_merged} former codes "
            f"→ {len(merged):,} in {t:.2f} s"
        )


if __name__ == "__main__":
    bench_practitioners()
    bench_cog()
