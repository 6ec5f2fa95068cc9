"""The APL classes shared by every output (HTML map, report, QGIS styles), so that they always agree.

This module owns the class bounds, their colours and their French labels; the map, the report and the QGIS
styles import them from here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._format import fr_num
from ..analysis.key_figures import UNIT_LABELS

__all__ = [
    "APL_BREAKS",
    "APL_COLORS",
    "apl_breaks",
    "apl_classes",
    "class_labels",
    "is_consultations",
    "unit_label",
]

#: APL classes (consultations/year/inhabitant): the 2.5 threshold is always a class bound.
APL_BREAKS = (1.5, 2.5, 3.5, 4.5, 6.0)
#: Colours of the APL classes, worst access first.
APL_COLORS = ("#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac")


def _unit(metadata: Mapping | None) -> str:
    figures = (metadata or {}).get("chiffres_cles") or {}
    return figures.get("unit") or "consultations"


def is_consultations(metadata: Mapping | None) -> bool:
    """Return True when the indicator is the GP APL in consultations/year/inhabitant (the default).

    The unit is read from the key figures in the run metadata (``chiffres_cles``).

    >>> is_consultations({"chiffres_cles": {"unit": "etp"}}), is_consultations(None)
    (False, True)
    """
    return _unit(metadata) == "consultations"


def unit_label(metadata: Mapping | None) -> str:
    """Return the French unit of the indicator (``consultations/an/habitant`` or ``ETP pour 100 000 habitants``)."""
    return UNIT_LABELS.get(_unit(metadata), _unit(metadata))


def apl_classes(values: pd.Series, *, breaks: tuple[float, ...] = APL_BREAKS) -> np.ndarray:
    """Return the class index (0 … len(breaks)) of each APL value; classes are ``[low, high)``, as the tiers.

    A missing APL falls in the first class.

    >>> apl_classes(pd.Series([0.5, 2.5, 7.0, float("nan")])).tolist()
    [0, 2, 5, 0]
    """
    return np.searchsorted(np.asarray(breaks, dtype=float), np.nan_to_num(values.to_numpy(dtype=float)), side="right")


def class_labels(breaks: tuple[float, ...] = APL_BREAKS) -> list[str]:
    """Return the French labels of the APL classes.

    >>> class_labels((1.5, 2.5))
    ['moins de 1,5', '1,5 à 2,5', '2,5 ou plus']
    """
    labels = [f"moins de {fr_num(breaks[0])}"]
    labels += [f"{fr_num(a)} à {fr_num(b)}" for a, b in zip(breaks[:-1], breaks[1:], strict=True)]
    labels.append(f"{fr_num(breaks[-1])} ou plus")
    return labels


def apl_breaks(apl: pd.Series, *, metadata: Mapping | None = None) -> tuple[float, ...]:
    """Return the upper class bounds used by every output for these APL values.

    GPs (consultations/year/inhabitant): the fixed bounds :data:`APL_BREAKS`, 2.5 being one of them. Other
    professions (FTE per 100,000 inhabitants): the sextiles of the values rounded to 0.1.

    >>> apl_breaks(pd.Series([1.0, 3.0]))
    (1.5, 2.5, 3.5, 4.5, 6.0)
    """
    if is_consultations(metadata):
        return APL_BREAKS
    import mapclassify  # 2 s to import (scipy.stats): only for the quantile classes of other professions

    values = apl.to_numpy(dtype=float)
    return tuple(round(float(b), 1) for b in mapclassify.Quantiles(values[~np.isnan(values)], k=6).bins[:-1])
