"""Access tiers (ZIP-like, ZAC-like, outside the zonage) and aggregation of the APL over areas, as the DREES does."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from .._format import fr_num
from ..settings import APL_THRESHOLD, APL_ZAC_THRESHOLD

#: Tier codes, from the worst access to the best.
TIERS = ("ZIP", "ZAC", "HZ")


def tier_labels(threshold: float = APL_THRESHOLD, zac_threshold: float = APL_ZAC_THRESHOLD) -> dict[str, str]:
    """Return the French label of each tier for the given thresholds.

    >>> tier_labels(3, 5)["ZAC"]
    'Fragile (3 ≤ APL < 5)'
    """
    return {
        "ZIP": f"Sous-densité (APL < {fr_num(threshold)})",
        "ZAC": f"Fragile ({fr_num(threshold)} ≤ APL < {fr_num(zac_threshold)})",
        "HZ": f"Hors zonage (APL ≥ {fr_num(zac_threshold)})",
    }


#: Labels of the tiers with the default GP thresholds (2.5 and 4).
TIER_LABELS = MappingProxyType(tier_labels())
#: Colours of the tiers (maps, QGIS styles).
TIER_COLORS = MappingProxyType({"ZIP": "#d7191c", "ZAC": "#fdae61", "HZ": "#a6d96a"})


def classify_access(
    apl: pd.Series | np.ndarray, *, threshold: float = APL_THRESHOLD, zac_threshold: float = APL_ZAC_THRESHOLD
) -> np.ndarray:
    """Return the tier code of each APL value: ``"ZIP"`` below ``threshold``, ``"ZAC"`` below ``zac_threshold``.

    The thresholds stand in for the ARS zonage (zones d'intervention prioritaire, zones d'action complémentaire),
    which also weighs local criteria: the tiers are "ZIP-like" and "ZAC-like".

    >>> classify_access(np.array([1.0, 2.5, 3.9, 4.0])).tolist()
    ['ZIP', 'ZAC', 'ZAC', 'HZ']
    """
    values = np.asarray(apl, dtype=float)
    return np.where(values < threshold, "ZIP", np.where(values < zac_threshold, "ZAC", "HZ")).astype(object)


def population_by_tier(communes: pd.DataFrame, *, tier_column: str = "niveau_acces") -> pd.DataFrame:
    """Return the plain population and its share in each access tier (counts of people use the plain population).

    Returns
    -------
    pandas.DataFrame
        ``niveau_acces``, ``libelle``, ``communes``, ``population``, ``part`` (0–1), one row per tier.
    """
    pop = communes.groupby(tier_column)["population"].agg(["size", "sum"]).reindex(list(TIERS), fill_value=0)
    labels = tier_labels_of(communes, tier_column)
    total = float(communes["population"].sum())
    return pd.DataFrame(
        {
            "niveau_acces": list(TIERS),
            "libelle": [labels.get(t, TIER_LABELS[t]) for t in TIERS],
            "communes": pop["size"].to_numpy(dtype=int),
            "population": pop["sum"].to_numpy(dtype=float),
            "part": pop["sum"].to_numpy(dtype=float) / total if total else np.nan,
        }
    )


def aggregate_apl(communes: pd.DataFrame, by: str | pd.Series, *, threshold: float = APL_THRESHOLD) -> pd.DataFrame:
    """Aggregate the APL over areas (départements, EPCI, bassins de vie, any grouping) as the DREES prescribes.

    The mean APL is weighted by the standardised population; people below ``threshold`` are counted on the plain
    population.

    Parameters
    ----------
    communes
        Communes with ``apl``, ``population`` and ``population_standardisee``.
    by
        Column name or a Series aligned on ``communes`` giving each commune's area.

    Returns
    -------
    pandas.DataFrame
        Indexed by area: ``communes``, ``population``, ``apl`` (weighted mean), ``population_sous_seuil``,
        ``part_sous_seuil``.
    """
    keys = communes[by] if isinstance(by, str) else pd.Series(by, index=communes.index)
    w = communes["population_standardisee"].to_numpy(dtype=float)
    apl = communes["apl"].to_numpy(dtype=float)
    pop = communes["population"].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {"key": keys.to_numpy(), "wa": w * apl, "w": w, "pop": pop, "below": np.where(apl < threshold, pop, 0.0)}
    )
    g = frame.groupby("key").agg(
        communes=("w", "size"),
        population=("pop", "sum"),
        wa=("wa", "sum"),
        w=("w", "sum"),
        population_sous_seuil=("below", "sum"),
    )
    g["apl"] = g["wa"] / g["w"].where(g["w"] > 0)
    g["part_sous_seuil"] = g["population_sous_seuil"] / g["population"].where(g["population"] > 0)
    g.index.name = by if isinstance(by, str) else "zone"
    g["communes"] = g["communes"].astype(int)
    return g[["communes", "population", "apl", "population_sous_seuil", "part_sous_seuil"]]


def tier_labels_of(communes: pd.DataFrame, tier_column: str = "niveau_acces") -> dict[str, str]:
    """Tier labels carried by the communes (``libelle_niveau``, set with the thresholds used), else the defaults."""
    if "libelle_niveau" in communes.columns:
        pairs = communes[[tier_column, "libelle_niveau"]].dropna().drop_duplicates(tier_column)
        return dict(zip(pairs[tier_column], pairs["libelle_niveau"], strict=True))
    return dict(TIER_LABELS)
