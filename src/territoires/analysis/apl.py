"""The DREES APL (accessibilité potentielle localisée): supply, demand and the E2SFCA commune to commune.

Reference: Barlet, Coldefy, Collin, Lucas-Gabrielli, DREES Études et Résultats n°795 and Document de travail
n°124 (2012); parameters in ``DOMAIN.md``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from .._errors import InputError, ParameterError, warn
from .._format import fr_int, fr_num
from ..io._text_lookup import text_positions
from ..settings import (
    ACTIVITY_FLOOR,
    ACTIVITY_HIGH,
    ACTIVITY_LOW,
    APL_STEPS,
    APL_THRESHOLD,
    APL_ZAC_THRESHOLD,
    CONSULTATIONS_PER_FTE,
    DETOUR_FACTOR,
    NEW_GP_ACTIVITY,
    ROAD_SPEED_KMH,
)
from .fca import cost_matrix, step_weights, two_step_fca
from .tiers import classify_access, tier_labels
from .travel_times import commune_points, straight_line_pairs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class APLParameters:
    """Parameters of the APL for one profession.

    Attributes
    ----------
    profession
        Profession whose accessibility is measured (a key of :data:`territoires.schemas.PROFESSIONS`).
    steps
        Distance decay: ``(upper bound in minutes, weight)`` pairs applied as ``time < bound`` (DREES: under 10 min
        → 1, 10–15 → 2/3, 15–20 → 1/3, beyond → 0).
    activity_caps
        ``(floor, low, high)`` of the DREES activity rule: below ``floor`` → 0, up to ``low`` → ``low``, above
        ``high`` → ``high``, actual in between; ``None`` to take activity as it is.
    consultations_per_fte
        Yearly activity of one full-time equivalent, used where activity is unknown (5,400 for GPs).
    max_age
        Practitioners older than this are left out of the supply (DREES series "65 ans ou moins"); ``None``: all.
    unit
        ``"consultations"`` (consultations/year/inhabitant, GPs) or ``"etp"`` (FTE per 100,000 inhabitants, the
        unit the DREES uses for nurses, physiotherapists, midwives and dentists).
    threshold, zac_threshold
        Access tiers: below ``threshold`` "ZIP"-like, below ``zac_threshold`` "ZAC"-like.
    detour_factor, speed_kmh
        Straight-line travel-time estimate, used when no travel times are given.
    """

    profession: str = "medecin_generaliste"
    steps: tuple[tuple[float, float], ...] = APL_STEPS
    activity_caps: tuple[float, float, float] | None = (ACTIVITY_FLOOR, ACTIVITY_LOW, ACTIVITY_HIGH)
    consultations_per_fte: float = CONSULTATIONS_PER_FTE
    max_age: float | None = None
    unit: str = "consultations"
    threshold: float | None = APL_THRESHOLD
    zac_threshold: float | None = APL_ZAC_THRESHOLD
    detour_factor: float = DETOUR_FACTOR
    speed_kmh: float = ROAD_SPEED_KMH
    extra: Mapping[str, float] = field(default_factory=dict)

    @property
    def max_minutes(self) -> float:
        """Beyond this time (minutes) the decay weight is 0."""
        return max(b for b, _ in self.steps)

    @classmethod
    def for_profession(cls, profession: str, **changes) -> APLParameters:
        """Return the documented defaults for a profession.

        GPs: DREES parameters (activity caps, 5,400 consultations per FTE, consultations/year/inhabitant). Other
        professions: supply in full-time equivalents, result in FTE per 100,000 standardised inhabitants, same
        decay; no access tiers unless the user sets ``threshold`` and ``zac_threshold`` (the GP thresholds do not
        apply to other professions).
        """
        if profession == "medecin_generaliste":
            return cls(profession=profession, **changes)
        base = {"activity_caps": None, "unit": "etp", "threshold": None, "zac_threshold": None}
        base.update(changes)
        return cls(profession=profession, **base)

    def describe(self) -> dict:
        """Return the parameters as a plain dict (run metadata)."""
        d = asdict(self)
        d["steps"] = [list(s) for s in self.steps]
        return d


def practitioner_supply(practitioners: pd.DataFrame, params: APLParameters) -> tuple[np.ndarray, pd.Series]:
    """Return each row's yearly supply and the method used for it.

    Rules (DREES, ``DOMAIN.md``), row by row, first applicable:

    1. ``nouvel_installe`` true → 5,400 consultations (GP new to practice);
    2. ``activite`` known → capped: below 250 → 0; 250 to 3,600 → 3,600; 3,601 to 6,000 → actual; above 6,000 →
       6,000 (``centre_sante`` true: not capped). The DREES text leaves exactly 250 unassigned; it counts as 3,600;
    3. ``etp`` known → FTE × 5,400;
    4. else the head count ``nombre`` × 5,400.

    With ``unit="etp"`` the supply is the FTE (``etp``, else ``nombre``).

    Returns
    -------
    (numpy.ndarray, pandas.Series)
        Supply per row and the method per row (``"activite"``, ``"etp"``, ``"effectif"``, ``"nouvel_installe"``).
    """
    supply, rule = _supply_rule(practitioners, params)
    return supply, pd.Series(_METHODS[rule], index=practitioners.index)


#: The methods of :func:`practitioner_supply`, numbered as :func:`_supply_rule` gives them.
_METHODS = np.array(["activite", "etp", "effectif", "nouvel_installe"])


def _supply_rule(practitioners: pd.DataFrame, params: APLParameters) -> tuple[np.ndarray, np.ndarray]:
    """:func:`practitioner_supply` with each row's method as a position in :data:`_METHODS`.

    Counting and grouping by these numbers, not by a column of 100,000 labels (0.02 s to build each time).
    """
    n = len(practitioners)
    count = practitioners["nombre"].to_numpy(dtype=float) if "nombre" in practitioners else np.ones(n)
    etp = practitioners["etp"].to_numpy(dtype=float) if "etp" in practitioners else np.full(n, np.nan)
    if params.unit == "etp":
        return np.where(np.isnan(etp), count, etp), np.where(np.isnan(etp), 2, 1)
    activity = practitioners["activite"].to_numpy(dtype=float) if "activite" in practitioners else np.full(n, np.nan)
    capped = activity.copy()
    if params.activity_caps is not None:
        floor, low, high = params.activity_caps
        capped = np.where(activity < floor, 0.0, np.where(activity <= low, low, np.minimum(activity, high)))
        if "centre_sante" in practitioners:
            uncapped = practitioners["centre_sante"].fillna(False).to_numpy(dtype=bool)
            capped = np.where(uncapped, activity, capped)
    # Activity is per person; a person shared between k sites has nombre = 1/k on each.
    supply = np.where(
        ~np.isnan(activity),
        capped * count,
        np.where(~np.isnan(etp), etp * params.consultations_per_fte, count * params.consultations_per_fte),
    )
    rule = np.where(~np.isnan(activity), 0, np.where(~np.isnan(etp), 1, 2))
    if "nouvel_installe" in practitioners:
        new = practitioners["nouvel_installe"].fillna(False).to_numpy(dtype=bool)
        supply = np.where(new, NEW_GP_ACTIVITY * count, supply)
        rule = np.where(new, 3, rule)
    return supply, rule


_METHOD_LABELS = {
    "activite": "activité plafonnée (règles DREES)",
    "etp": f"ETP × {fr_int(CONSULTATIONS_PER_FTE)} consultations",
    "effectif": f"effectif × {fr_int(CONSULTATIONS_PER_FTE)} consultations (activité et ETP inconnus)",
    "nouvel_installe": f"nouvel installé : {fr_int(NEW_GP_ACTIVITY)} consultations",
}


def commune_supply(codes: pd.Index, practitioners: pd.DataFrame, params: APLParameters) -> pd.DataFrame:
    """Return the supply of each commune of ``codes`` by the one supply rule of :func:`practitioner_supply`.

    The same figures feed the APL, the gravity model of the CPTS flows and the catchment figures, so that a
    practitioner weighs the same everywhere.

    Parameters
    ----------
    codes
        Commune codes, in the order of the result.
    practitioners
        Practitioners already selected (:func:`select_practitioners`) with ``code_commune``; rows whose commune
        is not in ``codes`` are not counted (their number is in ``attrs["outside"]``).
    params
        :class:`APLParameters` (activity caps, consultations per full-time equivalent, unit).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``codes``: ``praticiens`` (head count), ``etp`` (full-time equivalents of the supply:
        consultations ÷ 5,400 for GPs, i.e. declared FTE where activity is unknown, one per person where FTE is
        unknown too) and ``offre_consultations`` (yearly supply; FTE for ``unit="etp"``). ``attrs["method"]``
        counts the rows per rule, ``attrs["outside"]`` the rows outside ``codes``.

    Examples
    --------
    >>> frame = pd.DataFrame({"code_commune": ["a", "a", "b"], "etp": [0.5, np.nan, np.nan]})
    >>> commune_supply(pd.Index(["a", "b"]), frame, APLParameters()).to_dict("list")
    {'praticiens': [2.0, 1.0], 'etp': [1.5, 1.0], 'offre_consultations': [8100.0, 5400.0]}
    """
    n = len(codes)
    supply, rule = _supply_rule(practitioners, params)
    located_codes = practitioners["code_commune"]
    if located_codes.dtype == object and pd.api.types.infer_dtype(located_codes, skipna=True) in ("string", "empty"):
        pos = text_positions(codes, located_codes)  # text already (missing: -1, in no commune)
        if pos is None:
            pos = codes.get_indexer(located_codes.to_numpy())
    else:  # codes read as numbers, or pandas text: looked up on their distinct values as text
        rows_code, distinct = pd.factorize(located_codes, use_na_sentinel=True)
        pos = np.append(codes.get_indexer(pd.Index(distinct).astype(str)), -1)[rows_code]
    keep = pos >= 0
    count = practitioners["nombre"].to_numpy(dtype=float) if "nombre" in practitioners else np.ones(len(pos))
    per_fte = 1.0 if params.unit == "etp" else params.consultations_per_fte
    offre = np.bincount(pos[keep], weights=supply[keep], minlength=n)
    out = pd.DataFrame(
        {
            "praticiens": np.bincount(pos[keep], weights=count[keep], minlength=n),
            "etp": offre / per_fte,
            "offre_consultations": offre,
        },
        index=codes,
    )
    counts = pd.Series(rule).value_counts()  # by number, then named: the order of value_counts on the names
    out.attrs["method"] = dict(zip(_METHODS[counts.index.to_numpy()].tolist(), counts.tolist(), strict=True))
    out.attrs["outside"] = int((~keep).sum())
    return out


def select_practitioners(practitioners: pd.DataFrame, params: APLParameters) -> pd.DataFrame:
    """Return the practitioners counted in the supply: the profession, and the age limit where one is set."""
    out = practitioners
    if "profession" in out.columns:
        chosen = (out["profession"] == params.profession).to_numpy()
        out = out if chosen.all() else out.loc[chosen]  # (a copy of every row otherwise: the same rows)
    if params.max_age is not None:
        if "age" not in out.columns or out["age"].isna().all():
            msg = f"--max-age {params.max_age:g} : l'âge des praticiens est inconnu (colonne 'age' absente ou vide)."
            raise InputError(msg)
        unknown = out["age"].isna()
        if unknown.any():
            warn(f"{int(unknown.sum())} praticien(s) d'âge inconnu gardé(s) dans l'offre malgré la limite d'âge.")
        out = out.loc[unknown | (out["age"] <= params.max_age)]
    return out


def compute_apl(
    communes: gpd.GeoDataFrame,
    practitioners: pd.DataFrame,
    *,
    travel_times: pd.DataFrame | None = None,
    params: APLParameters | None = None,
) -> gpd.GeoDataFrame:
    """Compute the APL of every commune (E2SFCA commune to commune, the commune itself included).

    Parameters
    ----------
    communes
        Communes with ``code_commune``, ``population`` and ``population_standardisee`` (demand).
    practitioners
        Practitioners located in communes (``code_commune``; ``activite``, ``etp``, ``age``, ``nombre``).
    travel_times
        Long table ``origin``, ``destination``, ``minutes`` from where people live to where practitioners are;
        straight-line estimates when ``None``. Pairs with unknown codes are left out and reported; the self pair
        of a commune is added at 0 minutes when missing.
    params
        :class:`APLParameters` (DREES GP defaults when ``None``).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``communes`` with ``praticiens`` (head count), ``etp`` (full-time equivalents of the supply),
        ``offre_consultations`` (yearly supply located in the commune; see :func:`commune_supply`), ``apl``
        (consultations/year/standardised inhabitant, or FTE per 100,000 for ``unit="etp"``),
        ``minutes_praticien_proche`` (time to the nearest practitioner) and ``niveau_acces``.
        :func:`describe_supply` says how the supply was counted.
    """
    params = params or APLParameters()
    if params.steps != tuple(sorted(params.steps)) or any(w < 0 for _, w in params.steps):
        raise ParameterError(f"steps must be increasing bounds with weights ≥ 0, got {params.steps}.")
    out = communes.copy()
    codes = pd.Index(out["code_commune"])
    chosen = select_practitioners(practitioners, params)
    by_commune = commune_supply(codes, chosen, params)
    if by_commune.attrs["outside"]:
        n_out = by_commune.attrs["outside"]
        warn(f"{n_out} praticien(s) situé(s) dans une commune absente du territoire, hors de l'offre.")
    supply_by_commune = by_commune["offre_consultations"].to_numpy()
    for column in ("praticiens", "etp", "offre_consultations"):
        out[column] = by_commune[column].to_numpy()

    straight_line = travel_times is None
    xy = commune_points(out) if straight_line else None
    costs = commune_cost_matrix(out, travel_times=travel_times, params=params, points=xy)
    demand = out["population_standardisee"].to_numpy(dtype=float)
    apl = two_step_fca(demand, supply_by_commune, costs, weight=step_weights(dict(params.steps)))
    if params.unit == "etp":
        apl = apl * 100_000.0
    out["apl"] = apl
    out["minutes_praticien_proche"] = _nearest_minutes(out, costs, supply_by_commune, params, points=xy)
    if params.threshold is None:
        out["niveau_acces"] = None
    else:
        zac = params.zac_threshold if params.zac_threshold is not None else params.threshold
        out["niveau_acces"] = classify_access(apl, threshold=params.threshold, zac_threshold=zac)
        out["libelle_niveau"] = out["niveau_acces"].map(tier_labels(params.threshold, zac))
    return out


def commune_cost_matrix(
    communes: gpd.GeoDataFrame,
    *,
    travel_times: pd.DataFrame | None = None,
    params: APLParameters | None = None,
    points: np.ndarray | None = None,
) -> sparse.csr_matrix:
    """Return the commune × commune travel times (minutes, sparse) the APL uses, self pairs at 0 minutes.

    ``travel_times`` as in :func:`compute_apl` (straight-line estimates when ``None``, from ``points`` when the caller
    already has the communes' :func:`~territoires.analysis.travel_times.commune_points`); rows and columns follow the
    order of ``communes``. Pairs with unknown codes are left out with a warning.
    """
    params = params or APLParameters()
    codes = pd.Index(communes["code_commune"])
    n = len(communes)
    if travel_times is None:
        # By position: no round trip through the commune codes (2 million pairs nationally).
        rows, cols, minutes = straight_line_pairs(
            communes,
            max_minutes=params.max_minutes,
            detour_factor=params.detour_factor,
            speed_kmh=params.speed_kmh,
            points=points,
        )
    else:
        rows, cols, minutes = _pair_positions(travel_times, codes)
    has_self = np.zeros(n, dtype=bool)
    has_self[rows[rows == cols]] = True
    if not has_self.all():
        missing = np.flatnonzero(~has_self)
        rows = np.concatenate([rows, missing])
        cols = np.concatenate([cols, missing])
        minutes = np.concatenate([minutes, np.zeros(missing.size)])
    return cost_matrix(rows, cols, minutes, (n, n))


def describe_supply(practitioners: pd.DataFrame, params: APLParameters | None = None) -> str:
    """Say in French how the supply was counted: practitioners (people, not rows) by rule of the DREES.

    >>> describe_supply(pd.DataFrame({"etp": [1.0, float("nan")], "nombre": [0.5, 1.0]})).replace("\u202f", " ")
    'ETP × 5 400 consultations : 0,5 ; effectif × 5 400 consultations (activité et ETP inconnus) : 1'
    """
    params = params or APLParameters()
    chosen = select_practitioners(practitioners, params)
    _, rule = _supply_rule(chosen, params)
    count = chosen["nombre"].to_numpy(dtype=float) if "nombre" in chosen else np.ones(len(chosen))
    people = pd.Series(count, index=chosen.index).groupby(rule, sort=False).sum()
    return " ; ".join(
        f"{_METHOD_LABELS.get(k, k)} : {fr_num(round(v, 1))}"
        for k, v in zip(_METHODS[people.index.to_numpy()].tolist(), people.tolist(), strict=True)
    )


def _pair_positions(travel_times: pd.DataFrame, codes: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row positions of the origins and destinations of a travel-time table, pairs with unknown codes left out.

    Each column is factorised first (a few thousand distinct codes), and only the distinct codes are looked up
    among the territory's: five times quicker than looking each of millions of pairs up.
    """
    rows = _positions(travel_times["origin"], codes)
    cols = _positions(travel_times["destination"], codes)
    ok = (rows >= 0) & (cols >= 0)
    if not ok.all():
        warn(f"{int((~ok).sum())} paire(s) de temps de trajet avec un code commune hors du territoire, ignorée(s).")
    minutes = travel_times["minutes"].to_numpy(dtype=float)
    return rows[ok], cols[ok], minutes[ok]


def _positions(values: pd.Series, codes: pd.Index) -> np.ndarray:
    """Position of each value in ``codes`` (-1 when absent), looking up distinct values only."""
    inverse, distinct = pd.factorize(values)
    found = codes.get_indexer(distinct)
    return np.where(inverse >= 0, found[inverse], -1).astype(np.int64)


def _nearest_minutes(communes, costs, supply, params, *, points: np.ndarray | None) -> np.ndarray:
    """Time from each commune to its nearest practitioner (minutes; NaN when none is reachable).

    With straight-line times (``points`` given), the nearest commune with supply at any distance; with a travel-time
    matrix, the shortest time listed in it.
    """
    has_supply = supply > 0
    if not has_supply.any():
        return np.full(len(communes), np.nan)
    if points is not None:
        tree = cKDTree(points[has_supply])
        dist, _ = tree.query(points)
        minutes = dist / 1000.0 * params.detour_factor / params.speed_kmh * 60.0
        return np.where(has_supply, 0.0, minutes)
    c = costs.tocsc()[:, np.flatnonzero(has_supply)].tocsr()
    best = np.full(c.shape[0], np.nan)
    nnz_rows = np.diff(c.indptr) > 0
    if nnz_rows.any():
        mins = np.minimum.reduceat(c.data, c.indptr[:-1][nnz_rows])
        best[nnz_rows] = mins
    return best
