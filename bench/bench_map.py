"""Benchmark: the HTML map of a whole region (Occitanie, 4,446 communes), self-contained and with OSM tiles.

Input: ../shared/data (IGN ADMIN EXPRESS 2018 boundaries brought to COG 2026, INSEE populations 2026) with the SIRENE
2019 supply proxy (NAF 86.21Z establishments per commune) as general practitioners, the same data as
tests/test_shared_integration.py. Runs the diagnostic (APL, tiers, travel-time surface and zones), then prints the
map build time, the HTML size (target < 10 MB) and the time to interactive in headless Chromium (target < 3 s),
measured by tests/_browser.py. Skipped with a message where ../shared/data or Chromium is absent.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OCCITANIE = ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"]
sys.path.insert(0, str(ROOT / "tests"))


def sirene_table(folder: Path) -> Path:
    s = pd.read_csv(
        SHARED / "offre_soins" / "sirene2019_etablissements_sante_par_commune.csv",
        sep=";",
        dtype={"codecommuneetablissement": str},
    )
    s = s[s["generaliste"] > 0]
    path = folder / "generalistes.csv"
    pd.DataFrame(
        {"code_commune": s["codecommuneetablissement"], "profession": "medecin_generaliste", "nombre": s["generaliste"]}
    ).to_csv(path, index=False)
    return path


def main() -> None:
    if not SHARED.is_dir():
        print(f"skipped: {SHARED} absent")
        return
    from _browser import find_chromium, open_page, screenshot_stats

    from territoires.export.folium_map import save_map_html
    from territoires.export.raster import save_surface_geotiff
    from territoires.pipeline import DiagnosticInputs, DiagnosticOptions, run_diagnostic

    files = sorted(p for p in (SHARED / "communes").glob("*.geojson") if p.name.split("-")[1] in OCCITANIE)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inputs = DiagnosticInputs(
                communes=files,
                population=SHARED / "population" / "communes_cog2026_france.csv",
                practitioners=sirene_table(tmp),
            )
            d = run_diagnostic(inputs, DiagnosticOptions(catchments=False, zones=True))
        print(f"diagnostic (APL, tiers, surface, zones): {time.perf_counter() - t0:.1f} s")
        layers = d.layers()
        surface = save_surface_geotiff(tmp / "temps_acces.tif", d.surface) if d.surface is not None else None
        print(
            f"communes: {len(d.communes)}, practitioner points: {len(layers.get('practitioners', []))}, "
            f"zones: {len(layers.get('access_zones', []))}"
        )
        for tiles in (False, True):
            out = tmp / f"carte{'-osm' if tiles else ''}.html"
            t0 = time.perf_counter()
            save_map_html(out, layers, metadata=d.metadata, surface_path=surface, tiles=tiles)
            build = time.perf_counter() - t0
            size = out.stat().st_size / 1e6
            line = f"map {'with OSM tiles' if tiles else 'self-contained'}: build {build:.1f} s, {size:.2f} MB"
            if find_chromium() and not tiles:
                runs = [open_page(out, screenshot=tmp / "shot.png") for _ in range(3)]
                times = sorted(r.seconds_to_interactive for r in runs)
                stats = screenshot_stats(runs[-1].screenshot_path)
                line += (
                    f", interactive in {times[1]:.2f} s (median of 3, min {times[0]:.2f}, max {times[2]:.2f}), "
                    f"{len(runs[-1].console_errors)} JS errors, {stats['distinct_colours']:.0f} colours on screen"
                )
            print(line, flush=True)


if __name__ == "__main__":
    main()
