"""Benchmark: national ``territoires apl`` end to end vs a plain geopandas + scipy script doing the same work.

Input: a synthetic France-sized territory written to files (35,000 Voronoi communes in a GeoPackage with real-looking
INSEE codes, a populations CSV, 100,000 practitioners in a generic CSV with their yearly activity), so the figures
do not depend on ../shared/data. Both sides run as fresh processes (interpreter start and imports included), read
the same files, compute straight-line travel times (20 min at 1.3 × detour, 60 km/h) and the E2SFCA with the DREES
steps and activity caps, and write one CSV row per commune. Prints wall and CPU times, the ratio, and checks that
both give the same APL. Both sides run with compiled modules (a fresh ``PYTHONPYCACHEPREFIX``, warmed once).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_COMMUNES = 35_000
N_PRACTITIONERS = 100_000
#: Alternated runs of each side (``--runs N``).
RUNS = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 5
#: Département codes of metropolitan France (Corsica as 2A/2B), communes numbered within each; without 13, 69 and 75,
#: whose numbers 101-120, 201-216, 381-389 are municipal arrondissements that loaders treat apart.
DEPARTEMENTS = [f"{d:02d}" for d in range(1, 96) if d not in (13, 20, 69, 75)] + ["2A", "2B"]

PLAIN_SCRIPT = r"""
import sys
import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

folder = sys.argv[1]
communes = gpd.read_file(f"{folder}/communes.gpkg", engine="pyogrio")
pops = pd.read_csv(f"{folder}/populations.csv", sep=";", dtype={"code_commune": str})
communes = communes.merge(pops, left_on="code", right_on="code_commune", how="left")
doctors = pd.read_csv(f"{folder}/praticiens.csv", sep=";", dtype={"code_commune": str})
codes = pd.Index(communes["code"])
n = len(codes)
# DREES activity caps: < 250 -> 0; up to 3,600 -> 3,600; above 6,000 -> 6,000.
a = doctors["activite"].to_numpy(dtype=float)
supply_rows = np.where(a < 250, 0.0, np.where(a <= 3600, 3600.0, np.minimum(a, 6000.0)))
supply = np.bincount(codes.get_indexer(doctors["code_commune"]), weights=supply_rows, minlength=n)
pts = communes.geometry.representative_point()
xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
tree = cKDTree(xy)
radius = 20 / 60 * 60 * 1000 / 1.3
d = tree.sparse_distance_matrix(tree, radius, output_type="coo_matrix")
off = d.row != d.col  # self pairs (0 m) are added once below, whether scipy lists them or not
minutes = d.data[off] / 1000 * 1.3 / 60 * 60
w = np.where(minutes < 10, 1.0, np.where(minutes < 15, 2 / 3, np.where(minutes < 20, 1 / 3, 0.0)))
rows = np.concatenate([d.row[off], np.arange(n)])
cols = np.concatenate([d.col[off], np.arange(n)])
w = np.concatenate([w, np.ones(n)])
W = sparse.csr_array((w, (rows, cols)), shape=(n, n))
demand = communes["population"].to_numpy(dtype=float)
reached = W.T @ demand
ratio = np.divide(supply, reached, out=np.zeros(n), where=reached > 0)
apl = W @ ratio
pd.DataFrame({"code_commune": codes, "population": demand, "apl": apl}).to_csv(
    f"{folder}/plain.csv", sep=";", index=False
)
"""


def write_inputs(folder: Path, seed: int = 0) -> None:
    """Write the synthetic national territory: communes.gpkg, populations.csv, praticiens.csv."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    xy = np.column_stack([rng.uniform(100_000, 1_100_000, N_COMMUNES), rng.uniform(6_100_000, 7_050_000, N_COMMUNES)])
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy)))
    cells = shapely.intersection(cells, shapely.box(100_000, 6_100_000, 1_100_000, 7_050_000))
    n = len(cells)
    # Communes sorted west to east get consecutive numbers within a département band: codes look like INSEE's.
    order = np.argsort(shapely.get_x(shapely.centroid(cells)), kind="stable")
    per_dep = -(-n // len(DEPARTEMENTS))
    codes = np.empty(n, dtype=object)
    codes[order] = [f"{DEPARTEMENTS[i // per_dep]}{i % per_dep + 1:03d}" for i in range(n)]
    names = [f"Commune {c}" for c in codes]
    gpd.GeoDataFrame({"code": codes, "nom": names}, geometry=cells, crs="EPSG:2154").to_file(
        folder / "communes.gpkg", driver="GPKG", engine="pyogrio"
    )
    pop = np.round(rng.lognormal(np.log(450), 1.3, n))
    pd.DataFrame({"code_commune": codes, "population": pop.astype(int)}).to_csv(
        folder / "populations.csv", sep=";", index=False
    )
    p = pop**1.1
    where = rng.choice(n, N_PRACTITIONERS, p=p / p.sum())
    pd.DataFrame(
        {
            "id": [f"P{i:06d}" for i in range(N_PRACTITIONERS)],
            "code_commune": codes[where],
            "profession": "medecin_generaliste",
            "activite": np.round(rng.uniform(2000, 7000, N_PRACTITIONERS)),
        }
    ).to_csv(folder / "praticiens.csv", sep=";", index=False)


def timed(args: list[str], env: dict | None = None) -> tuple[float, float]:
    """Run a command; return (wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


STAGES_SCRIPT = r"""
import sys, time
folder = sys.argv[1]
t0 = time.process_time()
from territoires.pipeline.diagnostic import load_territory
from territoires.analysis.apl import compute_apl
from territoires.export.tables import APL_COLUMNS, save_table
from territoires.io.practitioners import locate_in_communes, practitioners_from_file, split_by_territory
stages = {"imports": time.process_time() - t0}
def stage(name, func, *args, **kwargs):
    t = time.process_time()
    out = func(*args, **kwargs)
    stages[name] = time.process_time() - t
    return out
territory = stage("communes + populations (load_territory)", load_territory, [f"{folder}/communes.gpkg"],
                  population=f"{folder}/populations.csv")
raw = stage("practitioners_from_file", practitioners_from_file, f"{folder}/praticiens.csv",
            professions=("medecin_generaliste",))
split = stage("split_by_territory", split_by_territory, raw, set(territory.communes["departement"]),
              known_codes=territory.vintages.known_codes, known_departements=territory.vintages.known_departements)
located = stage("locate_in_communes", locate_in_communes, split.inside, territory.communes)
apl = stage("compute_apl (times, E2SFCA, nearest)", compute_apl, territory.communes, located)
stage("save_table (CSV)", save_table, apl, f"{folder}/stages.csv", columns=APL_COLUMNS)
for name, seconds in stages.items():
    print(f"  {name}: {seconds:.2f} s CPU")
"""


def main() -> None:
    src = Path(__file__).resolve().parents[1] / "src"
    env = dict(os.environ, PYTHONPATH=f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # Compiled modules (.pyc) for both sides, as an installed package has them: without this, a source tree in
        # an environment with PYTHONDONTWRITEBYTECODE compiles every territoires module at each run (0.17 s CPU).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        t0 = time.perf_counter()
        write_inputs(folder)
        print(f"inputs: {N_COMMUNES:,} communes, {N_PRACTITIONERS:,} practitioners ({time.perf_counter() - t0:.1f} s)")
        plain_py = folder / "plain.py"
        plain_py.write_text(PLAIN_SCRIPT)
        ours_cmd = [
            sys.executable, "-m", "territoires", "-q", "apl", "--communes", str(folder / "communes.gpkg"),
            "--population", str(folder / "populations.csv"), "--practitioners", str(folder / "praticiens.csv"),
            "-o", str(folder / "sortie"),
        ]  # fmt: skip
        plain_cmd = [sys.executable, str(plain_py), str(folder)]
        timed(plain_cmd, env)  # warm the file cache and compile the modules once
        timed(ours_cmd, env)
        # Alternated pairs: on a shared machine the load drifts, so each pair is measured in the same conditions;
        # the best of each side is the least disturbed estimate, the median of the pairs' ratios the typical one.
        runs = {"territoires apl": [], "plain script": []}
        for _ in range(RUNS):
            runs["plain script"].append(timed(plain_cmd, env))
            runs["territoires apl"].append(timed(ours_cmd, env))
        best = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in runs.items()}
        for name, (wall, cpu) in best.items():
            print(f"{name}: {wall:.2f} s wall, {cpu:.2f} s CPU (best of {RUNS})")
        (ow, oc), (pw, pc) = best["territoires apl"], best["plain script"]
        print(f"ratio territoires / plain, best against best: {ow / pw:.2f}x wall, {oc / pc:.2f}x CPU (target <= 1.3x)")
        pairs = np.array([(o[0] / p[0], o[1] / p[1]) for o, p in zip(*runs.values(), strict=True)])
        print(
            f"ratio of each pair: median {np.median(pairs[:, 0]):.2f}x wall, {np.median(pairs[:, 1]):.2f}x CPU "
            f"(range {pairs[:, 1].min():.2f}-{pairs[:, 1].max():.2f}x CPU over {RUNS} pairs)"
        )
        ours = pd.read_csv(folder / "sortie" / "apl.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype=str)
        plain = pd.read_csv(folder / "plain.csv", sep=";", dtype=str)
        merged = ours.merge(plain, on="code_commune", suffixes=("", "_plain"))
        diff = (merged["apl"].str.replace(",", ".").astype(float) - merged["apl_plain"].astype(float)).abs()
        print(f"same communes: {len(merged) == len(plain) == len(ours)}; max |APL difference|: {diff.max():.4f} "
              "(CSV rounded to 0.01)")  # fmt: skip
        print("territoires, stage by stage (in one process):")
        stages_py = folder / "stages.py"
        stages_py.write_text(STAGES_SCRIPT)
        print(subprocess.run([sys.executable, str(stages_py), str(folder)], check=True, env=env, capture_output=True,
                             text=True).stdout, end="")  # fmt: skip


if __name__ == "__main__":
    main()
