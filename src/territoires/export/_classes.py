"""The APL classes shared by every output (HTML map, report, QGIS styles), so that they always agree."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .folium_map import APL_BREAKS, APL_COLORS, apl_classes, class_labels

__all__ = ["APL_COLORS", "apl_breaks", "apl_classes", "class_labels", "is_consultations", "unit_label"]


def is_consultations(metadata: Mapping | None) -> bool:
    """Return True when the indicator is the GP APL in consultations/year/inhabitant (the default)."""
    return (metadata or {}).get("comptes", {}).get("unite", "consultations") == "consultations"


def unit_label(metadata: Mapping | None) -> str:
    """Return the French unit of the indicator (``consultations/an/habitant`` or ``ETP pour 100 000 habitants``)."""
    return "consultations/an/habitant" if is_consultations(metadata) else "ETP pour 100 000 habitants"


def apl_breaks(apl: pd.Series, *, metadata: Mapping | None = None) -> tuple[float, ...]:
    """Return the upper class bounds used by the HTML map for these APL values.

    GPs (consultations/year/inhabitant): the fixed bounds :data:`APL_BREAKS`, 2.5 being one of them. Other
    professions (FTE per 100,000 inhabitants): the sextiles of the values rounded to 0.1, as the map computes them.

    >>> apl_breaks(pd.Series([1.0, 3.0]))
    (1.5, 2.5, 3.5, 4.5, 6.0)
    """
    if is_consultations(metadata):
        return APL_BREAKS
    import mapclassify

    values = apl.to_numpy(dtype=float)
    return tuple(round(float(b), 1) for b in mapclassify.Quantiles(values[~np.isnan(values)], k=6).bins[:-1])
