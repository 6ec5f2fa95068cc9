"""The key figures of a diagnosis, computed once: every summary, map, report and GeoPackage formats these.

Counts of people use the plain (municipal) population; the mean APL is weighted by the standardised population,
as the DREES prescribes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd

from ..settings import APL_THRESHOLD, APL_ZAC_THRESHOLD
from .scenario import NEAR_THRESHOLD_MARGIN, near_threshold
from .tiers import TIERS, classify_access, tier_labels

__all__ = ["KeyFigures", "TierFigures", "compute_key_figures", "figures_of"]

#: Units of the indicator: consultations/year/inhabitant (GPs) or FTE per 100,000 inhabitants (other professions).
UNIT_LABELS = {"consultations": "consultations/an/habitant", "etp": "ETP pour 100 000 habitants"}


@dataclass(frozen=True)
class TierFigures:
    """Communes and inhabitants of one access tier.

    Attributes
    ----------
    code
        ``"ZIP"``, ``"ZAC"`` or ``"HZ"``.
    label
        French label with the thresholds used (``"Sous-densité (APL < 2,5)"``).
    communes
        Number of communes in the tier.
    population
        Inhabitants (plain population).
    share
        Share of the territory's population (0–1; NaN for an empty territory).
    """

    code: str
    label: str
    communes: int
    population: float
    share: float


@dataclass(frozen=True)
class KeyFigures:
    """The key figures of a diagnosis (typed, frozen; written to and read from the GeoPackage's run metadata).

    Attributes
    ----------
    communes
        Number of communes.
    population
        Inhabitants (plain population).
    unit
        Unit of the APL: ``"consultations"`` (consultations/year/standardised inhabitant) or ``"etp"`` (FTE per
        100,000 standardised inhabitants); ``None`` when no APL was computed.
    practitioners
        Practitioners counted in the supply (people: a practitioner working at k sites counts 1/k at each), None
        without APL.
    apl_mean
        Mean APL weighted by the standardised population.
    threshold, zac_threshold
        APL thresholds of the access tiers (None for indicators without tiers).
    population_below, share_below
        Inhabitants of communes whose APL is below ``threshold``, and their share of the population (0–1).
    communes_without_access
        Communes with no practitioner within reach (APL = 0).
    tiers
        Communes and inhabitants by access tier, worst first.
    catchments, existing_catchments
        Number of CPTS territories (all, and existing ones kept as they are); None when not computed.
    coverage_before
        Share of the population in an existing CPTS (0–1); None when no file of existing CPTS was given (unknown,
        not zero).
    coverage_after
        Share of the population in a CPTS, existing or proposed (0–1); None when catchments were not computed.
    near_threshold_margin, near_threshold_communes, near_threshold_population
        Communes (and their inhabitants) whose APL lies within ``near_threshold_margin`` APL points of a tier
        threshold: their tier would flip for a small change (:func:`territoires.analysis.scenario.near_threshold`).
    """

    communes: int
    population: float
    unit: str | None = None
    practitioners: float | None = None
    apl_mean: float | None = None
    threshold: float | None = None
    zac_threshold: float | None = None
    population_below: float | None = None
    share_below: float | None = None
    communes_without_access: int | None = None
    tiers: tuple[TierFigures, ...] = field(default_factory=tuple)
    catchments: int | None = None
    existing_catchments: int | None = None
    coverage_before: float | None = None
    coverage_after: float | None = None
    near_threshold_margin: float | None = None
    near_threshold_communes: int | None = None
    near_threshold_population: float | None = None

    @property
    def has_apl(self) -> bool:
        """True when the APL was computed."""
        return self.unit is not None

    @property
    def is_consultations(self) -> bool:
        """True for the GP APL in consultations/year/inhabitant."""
        return self.unit in (None, "consultations")

    @property
    def unit_label(self) -> str:
        """French unit of the indicator (``consultations/an/habitant`` or ``ETP pour 100 000 habitants``)."""
        return UNIT_LABELS.get(self.unit or "consultations", str(self.unit))

    @property
    def tier_labels(self) -> dict[str, str]:
        """Tier code → French label for the thresholds used (empty without thresholds)."""
        if self.tiers:
            return {t.code: t.label for t in self.tiers}
        if self.threshold is None:
            return {}
        return tier_labels(self.threshold, self.zac_threshold if self.zac_threshold is not None else self.threshold)

    def to_dict(self) -> dict:
        """Return the figures as plain JSON-ready values (NaN as None).

        >>> KeyFigures(communes=2, population=10.0).to_dict()["population"]
        10.0
        """
        out = asdict(self)
        out["tiers"] = [{k: _plain(v) for k, v in t.items()} for t in out["tiers"]]
        return {k: (_plain(v) if k != "tiers" else v) for k, v in out.items()}

    @classmethod
    def from_dict(cls, data: Mapping) -> KeyFigures:
        """Rebuild the figures from :meth:`to_dict` (unknown keys ignored, missing ones at their default).

        >>> f = KeyFigures(communes=2, population=10.0, tiers=(TierFigures("ZIP", "Sous-densité", 1, 4.0, 0.4),))
        >>> KeyFigures.from_dict(f.to_dict()) == f
        True
        """
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in dict(data).items() if k in names}
        values["tiers"] = tuple(
            TierFigures(**{k: (math.nan if v is None and k == "share" else v) for k, v in t.items()})
            for t in values.get("tiers") or ()
        )
        return cls(**values)


def _plain(value: object) -> object:
    if isinstance(value, (np.integer, np.floating)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def compute_key_figures(
    communes: pd.DataFrame,
    *,
    unit: str | None = "consultations",
    threshold: float | None = None,
    zac_threshold: float | None = None,
    catchments: pd.DataFrame | None = None,
    existing_cpts: bool | None = None,
) -> KeyFigures:
    """Compute the key figures of a diagnosis from its communes (and catchments).

    Parameters
    ----------
    communes
        Communes with ``population``; with ``apl``, ``population_standardisee`` and ``praticiens`` when the APL
        was computed; ``cpts_id`` and ``cpts_statut`` when catchments were.
    unit
        Unit of the APL (``"consultations"`` or ``"etp"``); ignored (None) when ``communes`` has no ``apl``.
    threshold, zac_threshold
        APL thresholds of the access tiers; None: no tiers and no population below a threshold.
    catchments
        CPTS territories (``statut``: ``existante`` or ``proposée``), None when not computed.
    existing_cpts
        Whether a file of existing CPTS was given; None: inferred (some commune in an existing CPTS).

    Examples
    --------
    >>> c = pd.DataFrame({"population": [100.0, 300.0], "population_standardisee": [100.0, 100.0],
    ...                   "apl": [1.0, 5.0], "praticiens": [0.0, 2.0]})
    >>> f = compute_key_figures(c, threshold=2.5, zac_threshold=4.0)
    >>> f.apl_mean, f.population_below, f.share_below, f.practitioners
    (3.0, 100.0, 0.25, 2.0)
    """
    pop = communes["population"].to_numpy(dtype=float)
    total = float(pop.sum())
    values: dict = {"communes": len(communes), "population": total}
    if "apl" in communes.columns:
        apl = communes["apl"].to_numpy(dtype=float)
        weights = communes.get("population_standardisee", communes["population"]).to_numpy(dtype=float)
        ok = ~np.isnan(apl)
        wsum = float(weights[ok].sum())
        values["unit"] = unit or "consultations"
        values["apl_mean"] = float((apl[ok] * weights[ok]).sum() / wsum) if wsum else math.nan
        values["communes_without_access"] = int((apl <= 0).sum())
        if "praticiens" in communes.columns:
            values["practitioners"] = float(communes["praticiens"].to_numpy(dtype=float).sum())
        if threshold is not None:
            zac = zac_threshold if zac_threshold is not None else threshold
            below = float(pop[apl < threshold].sum())
            values.update(
                threshold=float(threshold),
                zac_threshold=float(zac),
                population_below=below,
                share_below=below / total if total else math.nan,
                tiers=_tiers(apl, pop, threshold, zac),
            )
            near = near_threshold(apl, pop, thresholds=(float(threshold), float(zac)))["proche_seuil"].to_numpy()
            values.update(
                near_threshold_margin=NEAR_THRESHOLD_MARGIN,
                near_threshold_communes=int(near.sum()),
                near_threshold_population=float(pop[near].sum()),
            )
    if catchments is not None:
        status = catchments["statut"] if "statut" in catchments.columns else pd.Series("", index=catchments.index)
        values["catchments"] = len(catchments)
        values["existing_catchments"] = int((status == "existante").sum())
        if "cpts_id" in communes.columns and total:
            ids = communes["cpts_id"]
            in_any = (ids.notna() & (ids.astype(str) != "")).to_numpy()
            statut = communes["cpts_statut"] if "cpts_statut" in communes.columns else pd.Series("", index=ids.index)
            in_existing = in_any & (statut == "existante").to_numpy()
            values["coverage_after"] = float(pop[in_any].sum()) / total
            if existing_cpts is None:
                existing_cpts = bool(in_existing.any())
            if existing_cpts:
                values["coverage_before"] = float(pop[in_existing].sum()) / total
    return KeyFigures(**values)


def _tiers(apl: np.ndarray, pop: np.ndarray, threshold: float, zac: float) -> tuple[TierFigures, ...]:
    codes = classify_access(apl, threshold=threshold, zac_threshold=zac)
    labels = tier_labels(threshold, zac)
    total = float(pop.sum())
    out = []
    for tier in TIERS:
        mask = codes == tier
        people = float(pop[mask].sum())
        out.append(TierFigures(tier, labels[tier], int(mask.sum()), people, people / total if total else math.nan))
    return tuple(out)


def figures_of(layers: Mapping[str, pd.DataFrame], metadata: Mapping | None = None) -> KeyFigures:
    """Return the key figures stored in run metadata (``chiffres_cles``), else computed from the layers.

    The second case serves layers assembled by hand (a notebook) and GeoPackages written before the key figures
    were stored: the GP defaults (thresholds 2.5 and 4, consultations) apply unless the metadata say otherwise.
    """
    meta = dict(metadata or {})
    if meta.get("chiffres_cles"):
        return KeyFigures.from_dict(meta["chiffres_cles"])
    communes = layers["communes"]
    unit = (meta.get("comptes") or {}).get("unite", "consultations")
    default = APL_THRESHOLD if unit == "consultations" else None
    threshold = meta.get("seuil_apl", default)
    return compute_key_figures(
        communes,
        unit=unit,
        threshold=threshold,
        zac_threshold=APL_ZAC_THRESHOLD if threshold == APL_THRESHOLD else threshold,
        catchments=layers.get("catchments"),
    )
