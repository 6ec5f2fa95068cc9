"""Run every benchmark of bench/ in turn and print their figures."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    scripts = sorted(here.glob("bench_*.py"))
    wanted = set(sys.argv[1:])
    for script in scripts:
        if wanted and script.stem not in wanted:
            continue
        print(f"\n=== {script.name} ===", flush=True)
        runpy.run_path(str(script), run_name="__main__")
