"""territoires: territorial diagnosis of medical deserts in France.

Loaders (``territoires.io``) read commune boundaries, populations, practitioners and care facilities from the
official French files; the analysis layer (``territoires.analysis``) computes access to care (APL and the
floating-catchment family), access zones and CPTS catchments; exporters (``territoires.export``) write
GeoPackages, Folium maps and reports.
"""

from __future__ import annotations

from ._errors import (
    DownloadError,
    InputError,
    ParameterError,
    TerritoiresError,
    TerritoiresWarning,
)
from ._version import __version__

__all__ = [
    "DownloadError",
    "InputError",
    "ParameterError",
    "TerritoiresError",
    "TerritoiresWarning",
    "__version__",
]
