"""What-if scenarios on the APL: supply added or removed by commune, retirements ahead, tiers near the threshold.

The APL (accessibilité potentielle localisée, DREES E2SFCA) is linear in the supply once the demand and the travel
times are fixed: ``R_j = S_j / Σ_i W_ij D_i`` and ``APL_i = Σ_j W_ij R_j``. :class:`APLModel` keeps the decay
weights ``W`` and the demand reached by each commune, so a scenario is one sparse product, with no second APL
engine: the weights come from :func:`territoires.analysis.apl.commune_cost_matrix` and the decay of
:class:`~territoires.analysis.apl.APLParameters`, the ratios are those of :mod:`territoires.analysis.fca`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from .._errors import InputError, ParameterError, warn
from .apl import APLParameters, commune_cost_matrix, practitioner_supply, select_practitioners
from .fca import _weighted, step_weights
from .tiers import classify_access

#: Default margin (APL units) around a threshold within which a commune's tier is called "near the threshold".
NEAR_THRESHOLD_MARGIN = 0.1


@dataclass(frozen=True)
class APLModel:
    """The APL of a territory as a linear function of the supply located in each commune.

    Attributes
    ----------
    weights
        Decay weights ``W_ij`` (demand commune ``i`` × supply commune ``j``), sparse CSR.
    demand
        Standardised population of each commune (the DREES demand).
    supply
        Yearly supply located in each commune (consultations, or FTE for ``unit="etp"``).
    reached
        ``Σ_i W_ij D_i``: the demand within reach of each supply commune.
    scale
        1 (consultations/year/inhabitant) or 100,000 (FTE per 100,000 inhabitants).
    supply_per_fte
        Supply of one full-time equivalent (FTE, ETP): 5,400 consultations a year for GPs, 1 with ``unit="etp"``.
    """

    weights: sparse.csr_matrix
    demand: np.ndarray
    supply: np.ndarray
    reached: np.ndarray
    scale: float
    supply_per_fte: float

    @classmethod
    def from_communes(
        cls,
        communes: gpd.GeoDataFrame,
        *,
        travel_times: pd.DataFrame | None = None,
        params: APLParameters | None = None,
        costs: sparse.csr_matrix | None = None,
    ) -> APLModel:
        """Build the model from the output of :func:`~territoires.analysis.apl.compute_apl`.

        ``communes`` must carry ``population_standardisee`` and ``offre_consultations``; ``travel_times`` (or the
        ready cost matrix ``costs``) are those the APL was computed with.
        """
        params = params or APLParameters()
        if costs is None:
            costs = commune_cost_matrix(communes, travel_times=travel_times, params=params)
        w = _weighted(sparse.csr_matrix(costs), step_weights(dict(params.steps)))
        demand = communes["population_standardisee"].to_numpy(dtype=float)
        supply = communes["offre_consultations"].to_numpy(dtype=float)
        reached = np.asarray(w.T @ demand).ravel()
        per_fte = 1.0 if params.unit == "etp" else float(params.consultations_per_fte)
        scale = 100_000.0 if params.unit == "etp" else 1.0
        return cls(weights=w, demand=demand, supply=supply, reached=reached, scale=scale, supply_per_fte=per_fte)

    @property
    def n(self) -> int:
        """Number of communes."""
        return len(self.demand)

    def apl(self, added_supply: np.ndarray | None = None) -> np.ndarray:
        """Return the APL of every commune with ``added_supply`` (per commune, same unit as ``supply``) added.

        The computation is that of :func:`territoires.analysis.fca.two_step_fca`, in the same order of operations,
        so the APL without change equals the one of :func:`~territoires.analysis.apl.compute_apl`.
        """
        supply = self.supply if added_supply is None else self.supply + added_supply
        # The ratios of fca._ratios, with the demand reached computed once (same operations, same values).
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(self.reached > 0, supply / self.reached, 0.0)
        apl = np.asarray(self.weights @ ratio)
        return apl * self.scale if self.scale != 1.0 else apl

    def effect_columns(self, candidates: np.ndarray, fte: float) -> sparse.csc_matrix:
        """Return the APL added to every commune (rows) by ``fte`` FTE placed in each candidate (columns).

        Adding supply in commune ``j`` changes only its ratio ``R_j``: the effect is the column
        ``fte × supply_per_fte / reached_j × W[:, j]`` (zero where no demand is within reach of ``j``).
        """
        candidates = np.asarray(candidates, dtype=int)
        reached = self.reached[candidates]
        with np.errstate(divide="ignore"):
            factor = np.where(reached > 0, fte * self.supply_per_fte * self.scale / reached, 0.0)
        cols = self.weights.tocsc()[:, candidates]
        return sparse.csc_matrix(cols @ sparse.diags(factor))


def near_threshold(
    apl: np.ndarray,
    population: np.ndarray,
    *,
    thresholds: tuple[float, ...],
    margin: float = NEAR_THRESHOLD_MARGIN,
    relative: bool = False,
) -> pd.DataFrame:
    """Flag the communes whose access tier would flip if their APL moved by ``margin`` or less.

    Parameters
    ----------
    apl
        APL of each commune.
    population
        Plain population of each commune (counts of people use the plain population).
    thresholds
        The tier thresholds (e.g. 2.5 and 4 consultations/year/inhabitant).
    margin
        Width of the band on each side of a threshold, in APL units (0.1 by default), or a fraction of the
        threshold when ``relative`` (0.05: ± 5 %).

    Returns
    -------
    pandas.DataFrame
        One row per commune: ``proche_seuil`` (bool), ``seuil_proche`` (the nearest threshold, NaN when not near),
        ``ecart_seuil`` (APL − that threshold).

    Examples
    --------
    >>> flags = near_threshold(np.array([2.45, 3.0, 4.05]), np.array([10, 20, 30]), thresholds=(2.5, 4))
    >>> flags["proche_seuil"].tolist()
    [True, False, True]
    """
    if margin < 0:
        raise ParameterError(f"marge autour du seuil négative ({margin}) : une marge ≥ 0 est attendue.")
    apl = np.asarray(apl, dtype=float)
    thr = np.asarray(sorted(thresholds), dtype=float)
    gaps = apl[:, None] - thr[None, :]
    width = margin * thr[None, :] if relative else np.full((1, len(thr)), margin)
    near = np.abs(gaps) <= width + 1e-9  # an APL exactly at the margin counts as near
    nearest = np.argmin(np.abs(gaps), axis=1)
    flagged = near.any(axis=1)
    gap = gaps[np.arange(len(apl)), nearest]
    return pd.DataFrame(
        {
            "proche_seuil": flagged,
            "seuil_proche": np.where(flagged, thr[nearest], np.nan),
            "ecart_seuil": np.where(flagged, gap, np.nan),
        }
    )


def retirements(
    practitioners: pd.DataFrame,
    params: APLParameters,
    *,
    retirement_age: float,
    horizon: int,
    reference_year: int | None = None,
) -> pd.DataFrame:
    """Return the practitioners counted in the supply who reach ``retirement_age`` by ``horizon``.

    A practitioner aged ``a`` in ``reference_year`` (the year of the data; this year by default) is ``a + horizon −
    reference_year`` at the horizon and leaves when that reaches ``retirement_age``. Practitioners of unknown age
    stay (a warning counts them).

    Raises
    ------
    InputError
        Where the table has no ``age`` (e.g. the public Annuaire Santé extraction, which gives no age).
    """
    reference_year = reference_year or date.today().year
    if horizon < reference_year:
        msg = f"--horizon {horizon} : l'horizon doit être postérieur ou égal à l'année des données ({reference_year})."
        raise ParameterError(msg)
    chosen = select_practitioners(practitioners, params)
    if "age" not in chosen.columns or chosen["age"].isna().all():
        source = practitioners.attrs.get("source", "praticiens")
        msg = (
            f"{source} : --retirement-age demande l'âge des praticiens (colonne 'age'), absent de ce fichier "
            "(l'extraction publique de l'Annuaire Santé ne donne pas l'âge) ; donnez une table avec une colonne "
            "'age' ou retirez --retirement-age/--horizon."
        )
        raise InputError(msg)
    unknown = chosen["age"].isna()
    if unknown.any():
        warn(f"{int(unknown.sum())} praticien(s) d'âge inconnu supposé(s) rester en activité à l'horizon {horizon}.")
    age_at_horizon = chosen["age"] + (horizon - reference_year)
    return chosen.loc[~unknown & (age_at_horizon >= retirement_age)]


def supply_of(practitioners: pd.DataFrame, codes: pd.Index, params: APLParameters) -> np.ndarray:
    """Return the supply of ``practitioners`` summed by commune, in the order of ``codes`` (unknown codes: 0)."""
    supply, _ = practitioner_supply(practitioners, params)
    pos = codes.get_indexer(practitioners["code_commune"])
    keep = pos >= 0
    return np.bincount(pos[keep], weights=supply[keep], minlength=len(codes))


def changes_by_commune(
    changes: pd.DataFrame, codes: pd.Index, model: APLModel, params: APLParameters, *, removed: np.ndarray | None = None
) -> tuple[np.ndarray, pd.DataFrame]:
    """Check a table of changes and return the supply it adds to each commune (negative for departures).

    Parameters
    ----------
    changes
        ``code_commune``, ``profession``, ``etp`` (positive: new FTE; negative: departures), optional ``label``,
        and ``ligne`` (the line in the file) as read by :func:`territoires.io.changes.changes_from_file`.
    codes
        Commune codes of the territory, in the order of the model.
    removed
        Supply already removed by commune (retirements), counted before the departures are checked.

    Returns
    -------
    (numpy.ndarray, pandas.DataFrame)
        Added supply per commune, and the rows of other professions left out (with ``motif``).

    Raises
    ------
    InputError
        Codes not in the territory, or departures beyond the supply of a commune (FTE-equivalent: its counted
        yearly supply ÷ 5,400 for GPs), naming every offending row.
    """
    lines = changes["ligne"] if "ligne" in changes.columns else pd.Series(changes.index + 2, index=changes.index)
    other = changes["profession"] != params.profession
    left_out = changes.loc[other].copy()
    if len(left_out):
        left_out["motif"] = f"profession autre que {params.profession} : sans effet sur cette APL"
        warn(f"{len(left_out)} ligne(s) de changements d'une autre profession que {params.profession} ignorée(s).")
    rows = changes.loc[~other]
    pos = codes.get_indexer(rows["code_commune"])
    if (pos < 0).any():
        bad = rows.loc[pos < 0]
        listed = ", ".join(
            f"ligne {ln} ({code})" for ln, code in zip(lines[bad.index], bad["code_commune"], strict=True)
        )
        msg = (
            f"{changes.attrs.get('source', 'changements')} : code(s) commune absent(s) du territoire étudié : "
            f"{listed}. "
            "Vérifiez le code INSEE (5 caractères) ou élargissez le territoire (--communes, --departement)."
        )
        raise InputError(msg)
    added = rows["etp"].to_numpy(dtype=float) * model.supply_per_fte
    delta = np.bincount(pos, weights=added, minlength=len(codes))
    after = model.supply - (removed if removed is not None else 0.0) + delta
    short = np.flatnonzero(after < -1e-9 * np.maximum(model.supply, 1.0))
    if short.size:
        parts = []
        for j in short:
            at = rows.loc[pos == j]
            existing = (model.supply[j] - (removed[j] if removed is not None else 0.0)) / model.supply_per_fte
            asked = -at["etp"].clip(upper=0).sum()
            parts.append(
                f"{codes[j]} (ligne(s) {', '.join(str(x) for x in lines[at.index])}) : {asked:g} ETP retiré(s) "
                f"pour {max(existing, 0):.2f} ETP présent(s)"
            )
        msg = (
            f"{changes.attrs.get('source', 'changements')} : départs au-delà de l'offre existante : "
            f"{'; '.join(parts)}. "
            "L'offre présente s'entend en équivalents temps plein de l'activité comptée (consultations ÷ 5 400 pour "
            "les généralistes), après les départs à la retraite du scénario."
        )
        raise InputError(msg)
    return delta, left_out


def tier_of(apl: np.ndarray, params: APLParameters) -> np.ndarray:
    """Return the access tier of each APL value with the thresholds of ``params`` (None where there are none)."""
    if params.threshold is None:
        return np.full(len(apl), None, dtype=object)
    zac = params.zac_threshold if params.zac_threshold is not None else params.threshold
    return classify_access(apl, threshold=params.threshold, zac_threshold=zac)


def thresholds_of(params: APLParameters) -> tuple[float, ...]:
    """Return the distinct thresholds of ``params`` (empty when the profession has none)."""
    if params.threshold is None:
        return ()
    zac = params.zac_threshold if params.zac_threshold is not None else params.threshold
    return tuple(sorted({float(params.threshold), float(zac)}))


def population_below(apl: np.ndarray, population: np.ndarray, threshold: float) -> float:
    """Inhabitants (plain population) living in communes whose APL is below ``threshold``."""
    return float(population[np.asarray(apl) < threshold].sum())


@dataclass(frozen=True)
class ScenarioOutcome:
    """Before/after comparison of a scenario.

    Attributes
    ----------
    communes
        One row per commune: ``code_commune``, ``nom``, ``population``, ``apl_avant``, ``apl_apres``,
        ``delta_apl``, ``niveau_avant``, ``niveau_apres``, ``proche_seuil_avant``, ``proche_seuil_apres`` (and the
        geometry when the input had one).
    summary
        ``indicateur``, ``avant``, ``apres``, ``ecart``: population under the threshold, communes per tier,
        communes and inhabitants whose tier changes, weighted mean APL, communes and inhabitants near a threshold.
    """

    communes: pd.DataFrame
    summary: pd.DataFrame


def compare_apl(
    communes: pd.DataFrame,
    apl_before: np.ndarray,
    apl_after: np.ndarray,
    params: APLParameters,
    *,
    margin: float = NEAR_THRESHOLD_MARGIN,
    relative_margin: bool = False,
) -> ScenarioOutcome:
    """Compare two APL vectors of the same communes (before and after a scenario).

    Population counts use the plain population; the mean APL is weighted by the standardised population (DREES).
    """
    pop = communes["population"].to_numpy(dtype=float)
    std = communes["population_standardisee"].to_numpy(dtype=float)
    tier_before, tier_after = tier_of(apl_before, params), tier_of(apl_after, params)
    table = pd.DataFrame(
        {
            "code_commune": communes["code_commune"].to_numpy(),
            "nom": communes["nom"].to_numpy() if "nom" in communes.columns else None,
            "population": pop,
            "apl_avant": apl_before,
            "apl_apres": apl_after,
            "delta_apl": apl_after - apl_before,
            "niveau_avant": tier_before,
            "niveau_apres": tier_after,
        }
    )
    thresholds = thresholds_of(params)
    rows = []
    if thresholds:
        near_b = near_threshold(apl_before, pop, thresholds=thresholds, margin=margin, relative=relative_margin)
        near_a = near_threshold(apl_after, pop, thresholds=thresholds, margin=margin, relative=relative_margin)
        table["proche_seuil_avant"] = near_b["proche_seuil"].to_numpy()
        table["proche_seuil_apres"] = near_a["proche_seuil"].to_numpy()
        thr = float(params.threshold)
        rows.append(
            (
                "Population sous le seuil (habitants)",
                population_below(apl_before, pop, thr),
                population_below(apl_after, pop, thr),
            )
        )
        for tier in ("ZIP", "ZAC", "HZ"):
            rows.append((f"Communes {tier}", float((tier_before == tier).sum()), float((tier_after == tier).sum())))
        changed = tier_before != tier_after
        rows.append(("Communes qui changent de niveau", 0.0, float(changed.sum())))
        rows.append(("Habitants des communes qui changent de niveau", 0.0, float(pop[changed].sum())))
        rows.append(
            ("Communes proches d'un seuil", float(near_b["proche_seuil"].sum()), float(near_a["proche_seuil"].sum()))
        )
        rows.append(
            (
                "Habitants des communes proches d'un seuil",
                float(pop[near_b["proche_seuil"]].sum()),
                float(pop[near_a["proche_seuil"]].sum()),
            )
        )
    total = std.sum()
    mean_b = float((apl_before * std).sum() / total) if total else float("nan")
    mean_a = float((apl_after * std).sum() / total) if total else float("nan")
    rows.append(("APL moyenne pondérée", mean_b, mean_a))
    summary = pd.DataFrame(rows, columns=["indicateur", "avant", "apres"])
    summary["ecart"] = summary["apres"] - summary["avant"]
    if "geometry" in communes.columns:
        table = gpd.GeoDataFrame(table, geometry=communes.geometry.to_numpy(), crs=communes.crs)
    return ScenarioOutcome(communes=table, summary=summary)
