"""Provenance of a run: input files with their checksums, library versions, date (for the run metadata).

Kept below every layer so that the writers (GeoPackage) and the pipeline share it.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

import geopandas
import numpy
import pandas
import pyogrio
import pyproj
import scipy
import shapely

__all__ = ["describe_inputs", "environment", "file_checksum", "now_utc"]


def file_checksum(path: str | Path) -> str:
    """Return the SHA-256 of a file (hex), for the run metadata."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_inputs(paths: Mapping[str, str | Path | Sequence[str | Path] | None]) -> list[dict]:
    """Return the run's input files (role → path or paths; folders expanded) with their size and SHA-256."""
    out = []
    for role, value in paths.items():
        if value is None:
            continue
        for p in [value] if isinstance(value, (str, Path)) else value:
            p = Path(p)
            files = sorted(f for f in p.iterdir() if f.is_file()) if p.is_dir() else [p]
            for f in files:
                out.append({"role": role, "fichier": str(f), "octets": f.stat().st_size, "sha256": file_checksum(f)})
    return out


def now_utc() -> str:
    """Return the current time, ISO 8601 in UTC, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def environment() -> dict[str, str]:
    """Return the versions of Python and of the libraries the results depend on, for the run metadata."""
    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "scipy": scipy.__version__,
        "geopandas": geopandas.__version__,
        "shapely": shapely.__version__,
        "pyproj": pyproj.__version__,
        "gdal": pyogrio.__gdal_version_string__,
    }
