"""Where new practice helps most: choose K communes for new full-time equivalents (FTE) to raise the APL.

Adding supply in commune ``j`` changes only its ratio ``R_j`` in the E2SFCA, so the APL gained everywhere from
``F`` FTE in ``j`` is one sparse column (:meth:`territoires.analysis.scenario.APLModel.effect_columns`), and the
effects of several sites add up exactly. Every candidate is evaluated at once at each step by sparse operations:

- objective ``"population"``: inhabitants (plain population) lifted to APL ≥ threshold;
- objective ``"deficit"``: reduction of ``Σ population × max(0, threshold − APL)``, which also counts the
  worst-served who stay under the threshold.

:func:`greedy_siting` picks the best candidate (exact marginal gain, ties broken by the deficit reduction), re-evaluates
the APL exactly after each pick, keeps a minimum distance between sites, then improves the set by 1-swaps (replace
one site by the best other candidate while the objective improves). :func:`exact_siting` solves the same problem
exactly with :func:`scipy.optimize.milp` (HiGHS): the APL is linear in the site choices, so commune ``i`` is lifted
(binary ``y_i``) only if ``Σ_j C_ij x_j ≥ threshold − APL_i``. :func:`exhaustive_siting` enumerates small cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from .._errors import ParameterError
from .scenario import APLModel

OBJECTIVES = ("population", "deficit")


@dataclass(frozen=True)
class SitingParameters:
    """What to choose and how.

    Attributes
    ----------
    sites
        Number of sites to choose (K).
    fte_per_site
        Full-time equivalents (FTE, ETP) of new practice at each site (F).
    objective
        ``"population"`` (inhabitants lifted over the threshold) or ``"deficit"`` (reduction of the
        population-weighted APL deficit under the threshold).
    threshold
        APL threshold of under-service (2.5 consultations/year/inhabitant for GPs).
    min_distance_km
        Minimum distance between two chosen sites (km, between commune centroids); 0: none.
    swaps
        Improve the greedy choice by 1-swaps.
    max_swap_rounds
        Passes over the sites in the swap search, at most.
    starts
        Greedy runs, each forced to open first in one of the ``starts`` best single sites (1: plain greedy only).
    lookahead
        One more start: a greedy that weighs each of its ``lookahead`` best candidates (and as many by deficit
        reduction) by its gain plus the best gain of a next site (0: none).
    polished_starts
        The swap search runs from this many of the best greedy starts (and from the plain and lookahead ones).
    """

    sites: int
    fte_per_site: float
    objective: str = "population"
    threshold: float = 2.5
    min_distance_km: float = 0.0
    swaps: bool = True
    max_swap_rounds: int = 10
    starts: int = 10
    lookahead: int = 4
    polished_starts: int = 3

    def __post_init__(self) -> None:
        problems = []
        if self.sites < 1:
            problems.append(f"--sites {self.sites} : au moins 1 site attendu")
        if not self.fte_per_site > 0:
            problems.append(f"--fte-per-site {self.fte_per_site} : un nombre d'ETP > 0 attendu")
        if self.objective not in OBJECTIVES:
            problems.append(f"--objective {self.objective!r} : « population » ou « deficit » attendu")
        if self.min_distance_km < 0:
            problems.append(f"--min-distance {self.min_distance_km} : une distance ≥ 0 attendue")
        if problems:
            raise ParameterError("; ".join(problems) + ".")


@dataclass
class SitingChoice:
    """The sites chosen and what they achieve.

    Attributes
    ----------
    sites
        Positions (commune indices of the model) of the chosen sites, by rank: each site is the one adding the
        most to the sites ranked before it.
    gains
        Marginal gain of each site in rank order, from exact re-evaluation (inhabitants for ``"population"``,
        inhabitant × APL points for ``"deficit"``); they sum to ``value``.
    below_after
        Inhabitants under the threshold once the sites up to each rank are open.
    value
        Total gain of the set (exact).
    greedy_value
        Total gain of the plain greedy choice (before the other starts and the swaps).
    greedy_sites
        The plain greedy choice, in pick order.
    multistart_value
        Total gain of the best of the greedy starts, before the swaps.
    swaps
        Number of swaps accepted.
    apl_before, apl_after
        APL of every commune without and with the chosen sites.
    """

    sites: np.ndarray
    gains: np.ndarray
    below_after: np.ndarray
    value: float
    greedy_value: float
    greedy_sites: np.ndarray
    multistart_value: float
    swaps: int
    apl_before: np.ndarray
    apl_after: np.ndarray
    notes: list[str] = field(default_factory=list)


def objective_value(apl: np.ndarray, population: np.ndarray, threshold: float, objective: str) -> float:
    """Return the quantity the objective minimises: inhabitants under the threshold, or the population deficit.

    >>> objective_value(np.array([1.0, 3.0]), np.array([100.0, 50.0]), 2.5, "deficit")
    150.0
    """
    apl = np.asarray(apl, dtype=float)
    if objective == "population":
        return float(population[apl < threshold].sum())
    return float((population * np.maximum(threshold - apl, 0.0)).sum())


class _Evaluator:
    """Gains of every candidate column at once, for a given APL.

    The first call is one pass over the non-zeros of the effect matrix; later calls update only the entries of the
    communes whose APL changed since (a site opened or closed changes the APL within 20 minutes of it only), so a
    greedy step costs about (communes reached by one site)² operations rather than the whole matrix.
    """

    def __init__(self, effects: sparse.csc_matrix, population: np.ndarray, threshold: float):
        effects = sparse.csc_matrix(effects)
        effects.eliminate_zeros()
        self.rows = effects.indices
        self.data = effects.data
        self.cols = np.repeat(np.arange(effects.shape[1]), np.diff(effects.indptr))
        self.n_candidates = effects.shape[1]
        self.population = population
        self.threshold = threshold
        self.pop_rows = population[self.rows]
        # Entries grouped by demand commune, to find those touched by a change of APL.
        self.by_row = np.argsort(self.rows, kind="stable")
        self.row_ptr = np.concatenate([[0], np.cumsum(np.bincount(self.rows, minlength=len(population)))])
        self.state: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def _contrib(self, apl_rows: np.ndarray, entries: np.ndarray | slice, objective: str) -> np.ndarray:
        d, p = self.data[entries], self.pop_rows[entries]
        if objective == "population":
            return np.where((apl_rows < self.threshold) & (apl_rows + d >= self.threshold), p, 0.0)
        return p * np.minimum(d, np.maximum(self.threshold - apl_rows, 0.0))

    def gains(self, apl: np.ndarray, objective: str) -> np.ndarray:
        """Gain of each candidate added to the APL ``apl`` (the returned array must not be modified)."""
        apl = np.asarray(apl, dtype=float)
        cached = self.state.get(objective)
        changed = None if cached is None else np.flatnonzero(apl != cached[0])
        if changed is None or changed.size * 4 > len(apl):
            contrib = self._contrib(apl[self.rows], slice(None), objective)
            gains = np.bincount(self.cols, weights=contrib, minlength=self.n_candidates)
        else:
            _, contrib, gains = cached
            if changed.size:
                starts, ends = self.row_ptr[changed], self.row_ptr[changed + 1]
                lengths = ends - starts
                offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
                entries = self.by_row[np.arange(lengths.sum()) + offsets]
                new = self._contrib(apl[self.rows[entries]], entries, objective)
                gains = gains + np.bincount(
                    self.cols[entries], weights=new - contrib[entries], minlength=self.n_candidates
                )
                contrib[entries] = new  # the cached array, owned by this evaluator
        self.state[objective] = (apl.copy(), contrib, gains)
        return gains

    def best(self, apl: np.ndarray, objective: str, allowed: np.ndarray) -> int:
        """Index of the best allowed candidate: highest gain, ties broken by the deficit reduction."""
        primary = np.where(allowed, self.gains(apl, objective), -np.inf)
        top = primary.max()
        if not np.isfinite(top):
            return -1
        if objective == "population":
            tied = primary >= top - 1e-9 * max(abs(top), 1.0)
            if np.count_nonzero(tied) == 1:
                return int(np.argmax(tied))
            secondary = np.where(tied, self.gains(apl, "deficit"), -np.inf)
            return int(np.argmax(secondary))
        return int(np.argmax(primary))


def _blocked_by(xy: np.ndarray | None, min_distance_m: float, n: int):
    """Return a function giving the candidates within ``min_distance_m`` of a candidate (itself included)."""
    if xy is None or min_distance_m <= 0:
        return lambda c: np.array([c])
    tree = cKDTree(xy)
    return lambda c: np.asarray(tree.query_ball_point(xy[c], r=min_distance_m - 1e-6), dtype=int)


def greedy_siting(
    model: APLModel,
    population: np.ndarray,
    candidates: np.ndarray,
    params: SitingParameters,
    *,
    xy: np.ndarray | None = None,
) -> SitingChoice:
    """Choose ``params.sites`` communes among ``candidates`` for ``params.fte_per_site`` FTE each.

    Parameters
    ----------
    model
        The APL of the territory as a function of the supply (:class:`~territoires.analysis.scenario.APLModel`).
    population
        Plain population of each commune (inhabitants).
    candidates
        Positions (commune indices) where a site may open.
    xy
        Coordinates (metres, Lambert-93) of every commune, needed for ``min_distance_km``.

    Returns
    -------
    SitingChoice
        Sites by rank with their exact marginal gains; fewer than K sites when the distance rule leaves no room.
    """
    candidates = np.asarray(candidates, dtype=int)
    if candidates.size < params.sites:
        msg = (
            f"{params.sites} site(s) demandé(s) pour {candidates.size} commune(s) candidate(s) : élargissez "
            "--candidates, baissez --population-min ou demandez moins de sites."
        )
        raise ParameterError(msg)
    if params.min_distance_km > 0 and xy is None:
        raise ParameterError("min_distance_km demande les coordonnées des communes (xy).")
    population = np.asarray(population, dtype=float)
    thr, obj = params.threshold, params.objective
    fte_supply = params.fte_per_site * model.supply_per_fte
    evaluator = _Evaluator(model.effect_columns(candidates, params.fte_per_site), population, thr)
    blocked_by = _blocked_by(None if xy is None else xy[candidates], params.min_distance_km * 1000.0, candidates.size)
    apl0 = model.apl()
    base = objective_value(apl0, population, thr, obj)
    notes: list[str] = []

    def added_of(chosen: list[int]) -> np.ndarray:
        added = np.zeros(model.n)
        np.add.at(added, candidates[chosen], fte_supply)
        return added

    def allowed_without(chosen: list[int]) -> np.ndarray:
        allowed = np.ones(candidates.size, dtype=bool)
        for c in chosen:
            allowed[blocked_by(c)] = False
            allowed[c] = False
        return allowed

    def greedy(first: int | None) -> tuple[list[int], np.ndarray]:
        """Greedy with exact re-evaluation after each pick, from a forced first pick when given."""
        chosen: list[int] = []
        apl = apl0
        allowed = np.ones(candidates.size, dtype=bool)
        for _ in range(params.sites):
            c = first if (first is not None and not chosen) else evaluator.best(apl, obj, allowed)
            if c < 0:
                break
            chosen.append(c)
            allowed[blocked_by(c)] = False
            allowed[c] = False
            apl = model.apl(added_of(chosen))
        return chosen, apl

    def lookahead_greedy(width: int) -> tuple[list[int], np.ndarray]:
        """Greedy with a one-step lookahead.

        Among the ``width`` best candidates (by the objective, and by the deficit reduction), open the one whose
        gain plus the best gain of a next site is the largest.
        """
        chosen: list[int] = []
        apl = apl0
        allowed = np.ones(candidates.size, dtype=bool)
        for step in range(params.sites):
            gains = np.where(allowed, evaluator.gains(apl, obj), -np.inf)
            if not np.isfinite(gains.max()):
                break
            if step == params.sites - 1:
                c = evaluator.best(apl, obj, allowed)
            else:
                shortlist = list(np.argsort(-gains, kind="stable")[:width])
                if obj == "population":
                    deficit = np.where(allowed, evaluator.gains(apl, "deficit"), -np.inf)
                    shortlist += list(np.argsort(-deficit, kind="stable")[:width])
                best_score, c = -np.inf, -1
                for j in dict.fromkeys(int(x) for x in shortlist):
                    if not np.isfinite(gains[j]):
                        continue
                    after = model.apl(added_of(chosen + [j]))
                    rest = allowed.copy()
                    rest[blocked_by(j)] = False
                    rest[j] = False
                    following = np.where(rest, evaluator.gains(after, obj), -np.inf).max()
                    score = gains[j] + max(following, 0.0)
                    if c < 0 or score > best_score + 1e-9 * max(abs(best_score), 1.0):
                        best_score, c = score, j
            chosen.append(c)
            allowed[blocked_by(c)] = False
            allowed[c] = False
            apl = model.apl(added_of(chosen))
        return chosen, apl

    greedy_sites, apl = greedy(None)
    greedy_value = base - objective_value(apl, population, thr, obj)
    if len(greedy_sites) < params.sites:
        notes.append(
            f"{len(greedy_sites)} site(s) seulement : plus aucune commune candidate à {params.min_distance_km:g} km "
            "des sites déjà choisis."
        )
    tol = 1e-9 * max(abs(greedy_value), 1.0)
    starts = [(greedy_value, list(greedy_sites))]
    # Other starts: the greedy forced to open first in each of the next best single sites (the population
    # objective rewards sites that lift a commune together, which a plain greedy can miss).
    if params.starts > 1 and greedy_sites:
        first_gains = evaluator.gains(apl0, obj)
        order = np.argsort(-first_gains, kind="stable")
        for first in order[: params.starts]:
            if first == greedy_sites[0] or first_gains[first] <= 0:
                continue
            trial, apl_t = greedy(int(first))
            if len(trial) == len(greedy_sites):
                starts.append((base - objective_value(apl_t, population, thr, obj), trial))
    polish = [list(greedy_sites)]
    if params.lookahead > 0 and greedy_sites:
        trial, apl_t = lookahead_greedy(params.lookahead)
        if len(trial) == len(greedy_sites):
            starts.append((base - objective_value(apl_t, population, thr, obj), trial))
            polish.append(trial)
    starts.sort(key=lambda t: -t[0])
    multistart_value = starts[0][0]

    def local_search(chosen: list[int], current: float) -> tuple[list[int], float, int]:
        """1-swap: replace one site by the best other candidate (exact gain) while the objective improves."""
        swaps = 0
        for _ in range(params.max_swap_rounds):
            improved = False
            for k in range(len(chosen)):
                others = chosen[:k] + chosen[k + 1 :]
                apl_wo = model.apl(added_of(others))
                c = evaluator.best(apl_wo, obj, allowed_without(others))
                if c < 0 or c == chosen[k]:
                    continue
                trial = others[:k] + [c] + others[k:]
                value = base - objective_value(model.apl(added_of(trial)), population, thr, obj)
                if value > current + tol:
                    chosen, current, swaps, improved = trial, value, swaps + 1, True
            if not improved:
                break
        return chosen, current, swaps

    chosen, current, swaps = list(starts[0][1]), starts[0][0], 0
    if params.swaps and chosen:
        # The swap search runs from the best few starts, the plain greedy and the lookahead: a worse start can
        # lead to a better local optimum.
        seen: set[frozenset[int]] = set()
        for start in [s for _, s in starts[: params.polished_starts]] + polish:
            if frozenset(start) in seen:
                continue
            seen.add(frozenset(start))
            value0 = base - objective_value(model.apl(added_of(start)), population, thr, obj)
            trial, value, n_swaps = local_search(list(start), value0)
            if value > current + tol:
                chosen, current, swaps = trial, value, n_swaps

    # Rank the final set: each site is the one adding the most to those ranked before it (exact gains).
    ranked: list[int] = []
    gains, below = [], []
    apl = apl0
    previous = base
    remaining = list(chosen)
    sub = _Evaluator(model.effect_columns(candidates[remaining], params.fte_per_site), population, thr)
    mask = np.ones(len(remaining), dtype=bool)
    for _ in range(len(remaining)):
        i = sub.best(apl, obj, mask)
        mask[i] = False
        ranked.append(remaining[i])
        apl = model.apl(added_of(ranked))
        value = objective_value(apl, population, thr, obj)
        gains.append(previous - value)
        below.append(objective_value(apl, population, thr, "population"))
        previous = value
    return SitingChoice(
        sites=candidates[ranked],
        gains=np.asarray(gains),
        below_after=np.asarray(below),
        value=base - previous,
        greedy_value=greedy_value,
        greedy_sites=candidates[greedy_sites],
        multistart_value=multistart_value,
        swaps=swaps,
        apl_before=apl0,
        apl_after=apl,
        notes=notes,
    )


def set_value(model: APLModel, population: np.ndarray, sites: np.ndarray, params: SitingParameters) -> float:
    """Return the exact gain of opening ``params.fte_per_site`` FTE in each of ``sites`` (commune positions)."""
    added = np.zeros(model.n)
    np.add.at(added, np.asarray(sites, dtype=int), params.fte_per_site * model.supply_per_fte)
    before = objective_value(model.apl(), population, params.threshold, params.objective)
    return before - objective_value(model.apl(added), population, params.threshold, params.objective)


def exhaustive_siting(
    model: APLModel, population: np.ndarray, candidates: np.ndarray, params: SitingParameters
) -> tuple[np.ndarray, float]:
    """Return the best set of ``params.sites`` candidates by enumerating every combination (small cases only).

    The distance rule is not applied. Returns the sites (commune positions) and their gain.
    """
    candidates = np.asarray(candidates, dtype=int)
    effects = model.effect_columns(candidates, params.fte_per_site).toarray()
    apl0 = model.apl()
    population = np.asarray(population, dtype=float)
    base = objective_value(apl0, population, params.threshold, params.objective)
    best, best_set = -np.inf, ()
    for combo in combinations(range(candidates.size), params.sites):
        apl = apl0 + effects[:, combo].sum(axis=1)
        value = base - objective_value(apl, population, params.threshold, params.objective)
        if value > best + 1e-9:
            best, best_set = value, combo
    sites = candidates[list(best_set)]
    return sites, set_value(model, population, sites, params)


@dataclass(frozen=True)
class ExactSolution:
    """Optimal (or best found) sites from the MILP and the solver's bound on the optimum."""

    sites: np.ndarray
    value: float
    bound: float
    optimal: bool
    message: str


def exact_siting(
    model: APLModel,
    population: np.ndarray,
    candidates: np.ndarray,
    params: SitingParameters,
    *,
    xy: np.ndarray | None = None,
    time_limit: float | None = None,
) -> ExactSolution:
    """Solve the siting problem exactly as a mixed-integer linear programme (:func:`scipy.optimize.milp`, HiGHS).

    Binary ``x_j``: a site opens in candidate ``j``; ``Σ x_j = K``. With ``C`` the APL added by one site
    (:meth:`~territoires.analysis.scenario.APLModel.effect_columns`) and ``g_i = threshold − APL_i > 0`` the
    shortfall of commune ``i`` under the threshold:

    - ``"population"``: binary ``y_i``, ``Σ_j C_ij x_j − g_i y_i ≥ 0``, maximise ``Σ population_i y_i``;
    - ``"deficit"``: ``d_i ≥ 0``, ``Σ_j C_ij x_j + d_i ≥ g_i``, minimise ``Σ population_i d_i`` (the remaining
      deficit; the APL of a commune over the threshold adds nothing).

    With ``min_distance_km``, ``x_a + x_b ≤ 1`` for every pair of candidates closer than that. The value returned
    is re-evaluated exactly on the APL model; ``bound`` is the solver's bound on the optimum gain.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    candidates = np.asarray(candidates, dtype=int)
    population = np.asarray(population, dtype=float)
    thr = params.threshold
    apl0 = model.apl()
    effects = sparse.csr_matrix(model.effect_columns(candidates, params.fte_per_site))
    short = np.flatnonzero((apl0 < thr) & (np.asarray(effects.sum(axis=1)).ravel() > 0) & (population > 0))
    gap = thr - apl0[short]
    c_short = effects[short]
    m, n_short = candidates.size, short.size
    count_row = sparse.hstack([sparse.csr_matrix(np.ones((1, m))), sparse.csr_matrix((1, n_short))])
    constraints = [LinearConstraint(count_row, params.sites, params.sites)]
    if params.objective == "population":
        a = sparse.hstack([c_short, -sparse.diags(gap)]).tocsr()
        constraints.append(LinearConstraint(a, 0.0, np.inf))
        cost = np.concatenate([np.zeros(m), -population[short]])
        integrality = np.ones(m + n_short)
        bounds = Bounds(0, 1)
    else:
        a = sparse.hstack([c_short, sparse.identity(n_short)]).tocsr()
        constraints.append(LinearConstraint(a, gap, np.inf))
        cost = np.concatenate([np.zeros(m), population[short]])
        integrality = np.concatenate([np.ones(m), np.zeros(n_short)])
        bounds = Bounds(np.zeros(m + n_short), np.concatenate([np.ones(m), np.full(n_short, np.inf)]))
    if params.min_distance_km > 0:
        if xy is None:
            raise ParameterError("min_distance_km demande les coordonnées des communes (xy).")
        pairs = cKDTree(xy[candidates]).query_pairs(params.min_distance_km * 1000.0 - 1e-6, output_type="ndarray")
        if len(pairs):
            k = len(pairs)
            rows = np.repeat(np.arange(k), 2)
            conflict = sparse.csr_matrix((np.ones(2 * k), (rows, pairs.ravel())), shape=(k, m + n_short))
            constraints.append(LinearConstraint(conflict, -np.inf, 1.0))
    options = {"disp": False}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    res = milp(cost, integrality=integrality, bounds=bounds, constraints=constraints, options=options)
    if res.x is None:
        raise ParameterError(f"le solveur exact n'a pas trouvé de solution : {res.message}")
    sites = candidates[np.flatnonzero(res.x[:m] > 0.5)]
    value = set_value(model, population, sites, params)
    if params.objective == "population":
        bound = -float(getattr(res, "mip_dual_bound", res.fun) or res.fun)
    else:
        deficit0 = float((population[short] * gap).sum())
        bound = deficit0 - float(getattr(res, "mip_dual_bound", res.fun) or res.fun)
    return ExactSolution(sites=sites, value=value, bound=bound, optimal=res.status == 0, message=str(res.message))
