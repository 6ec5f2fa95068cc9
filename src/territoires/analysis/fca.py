"""The floating catchment area (FCA) family on sparse cost tables: 2SFCA, E2SFCA, gravity (G2SFCA), 3SFCA.

Demand locations (rows) and supply locations (columns) are integer-indexed; costs are a long table of
(row, col, minutes) pairs or a :class:`scipy.sparse.csr_matrix`. A pair absent from the table is out of reach.
Weights are callables mapping minutes to a decay weight (:func:`step_weights`, :func:`gaussian_weights`...).

Step 1: for each supply location ``j``, ``R_j = S_j / Σ_i w(t_ij) D_i``. Step 2: for each demand location ``i``,
``A_i = Σ_j w(t_ij) R_j``. 2SFCA is the case of a binary weight; E2SFCA of a step weight (DREES APL).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse

WeightFunction = Callable[[np.ndarray], np.ndarray]


def step_weights(steps: Mapping[float, float]) -> WeightFunction:
    """Return a step decay: ``w(t) = steps[b]`` for the smallest bound ``b`` with ``t < b``, 0 beyond the last.

    Examples
    --------
    >>> w = step_weights({10: 1, 15: 2 / 3, 20: 1 / 3})
    >>> w(np.array([0.0, 9.9, 10.0, 14.0, 19.9, 20.0])).round(3).tolist()
    [1.0, 1.0, 0.667, 0.667, 0.333, 0.0]
    """
    bounds = np.array(sorted(steps), dtype=float)
    values = np.append(np.array([steps[b] for b in sorted(steps)], dtype=float), 0.0)

    def weight(minutes: np.ndarray) -> np.ndarray:
        return values[np.searchsorted(bounds, np.asarray(minutes, dtype=float), side="right")]

    return weight


def binary_weights(max_minutes: float) -> WeightFunction:
    """Return the weight of the plain 2SFCA: 1 under ``max_minutes`` (inclusive), 0 beyond.

    >>> binary_weights(20)(np.array([0.0, 20.0, 20.1])).tolist()
    [1.0, 1.0, 0.0]
    """

    def weight(minutes: np.ndarray) -> np.ndarray:
        return (np.asarray(minutes, dtype=float) <= max_minutes).astype(float)

    return weight


def gaussian_weights(max_minutes: float) -> WeightFunction:
    """Return the Gaussian decay of the gravity 2SFCA, ``exp(-½ (t/t0)²) - exp(-½)`` rescaled to [0, 1] under t0.

    >>> gaussian_weights(20)(np.array([0.0, 20.0, 30.0])).round(3).tolist()
    [1.0, 0.0, 0.0]
    """
    floor = np.exp(-0.5)

    def weight(minutes: np.ndarray) -> np.ndarray:
        t = np.asarray(minutes, dtype=float)
        w = (np.exp(-0.5 * (t / max_minutes) ** 2) - floor) / (1 - floor)
        return np.where(t < max_minutes, w, 0.0)

    return weight


def cost_matrix(rows: np.ndarray, cols: np.ndarray, minutes: np.ndarray, shape: tuple[int, int]) -> sparse.csr_matrix:
    """Build the sparse demand × supply matrix of travel times (minutes) from a long table of pairs.

    Zero times (a commune reaching itself) are kept as explicit entries.
    """
    return sparse.csr_matrix((np.asarray(minutes, dtype=float), (rows, cols)), shape=shape)


def _weighted(costs: sparse.csr_matrix, weight: WeightFunction) -> sparse.csr_matrix:
    w = costs.copy()
    w.data = weight(costs.data)
    w.eliminate_zeros()
    return w


def _ratios(w: sparse.csr_matrix, demand: np.ndarray, supply: np.ndarray) -> np.ndarray:
    reached = w.T @ demand  # Σ_i w_ij D_i, per supply location
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(reached > 0, supply / reached, 0.0)


def two_step_fca(
    demand: np.ndarray, supply: np.ndarray, costs: sparse.csr_matrix, *, weight: WeightFunction
) -> np.ndarray:
    """Return the accessibility of each demand location: supply per unit of demand within reach, decayed.

    Parameters
    ----------
    demand
        Demand per row of ``costs`` (e.g. standardised inhabitants).
    supply
        Supply per column of ``costs`` (e.g. consultations a year).
    costs
        Travel times (minutes), demand × supply, sparse: absent pairs are out of reach.
    weight
        Decay applied to the travel time in both steps (binary: 2SFCA; steps: E2SFCA; Gaussian: G2SFCA).

    Returns
    -------
    numpy.ndarray
        Supply accessible per unit of demand (e.g. consultations/year/inhabitant).
    """
    w = _weighted(sparse.csr_matrix(costs), weight)
    ratio = _ratios(w, np.asarray(demand, dtype=float), np.asarray(supply, dtype=float))
    return np.asarray(w @ ratio)


def enhanced_two_step_fca(
    demand: np.ndarray, supply: np.ndarray, costs: sparse.csr_matrix, *, weight: WeightFunction
) -> np.ndarray:
    """Return the E2SFCA accessibility (step decay weights): :func:`two_step_fca` with a step ``weight``."""
    return two_step_fca(demand, supply, costs, weight=weight)


def three_step_fca(
    demand: np.ndarray, supply: np.ndarray, costs: sparse.csr_matrix, *, weight: WeightFunction
) -> np.ndarray:
    """Return the 3SFCA accessibility (Wan et al. 2012): demand shared between competing supply locations.

    A selection weight ``G_ij = w_ij / Σ_k w_ik`` splits each demand location's population between the supply
    locations it reaches before the two steps.
    """
    w = _weighted(sparse.csr_matrix(costs), weight)
    row_sum = np.asarray(w.sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(row_sum > 0, 1.0 / row_sum, 0.0)
    g = sparse.diags(inv) @ w  # selection weights
    gw = g.multiply(w).tocsr()
    demand = np.asarray(demand, dtype=float)
    reached = gw.T @ demand
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(reached > 0, np.asarray(supply, dtype=float) / reached, 0.0)
    return np.asarray(gw @ ratio)


@dataclass(frozen=True)
class FCAMethod:
    """A member of the FCA family: which function and which decay.

    Examples
    --------
    >>> FCAMethod.e2sfca().name
    'E2SFCA'
    """

    name: str
    weight: WeightFunction
    three_step: bool = False

    @classmethod
    def two_step(cls, max_minutes: float = 20.0) -> FCAMethod:
        """Plain 2SFCA, binary catchment of ``max_minutes``."""
        return cls("2SFCA", binary_weights(max_minutes))

    @classmethod
    def e2sfca(cls, steps: Mapping[float, float] | None = None) -> FCAMethod:
        """E2SFCA with the DREES steps by default."""
        return cls("E2SFCA", step_weights(steps or {10.0: 1.0, 15.0: 2 / 3, 20.0: 1 / 3}))

    @classmethod
    def gravity(cls, max_minutes: float = 20.0) -> FCAMethod:
        """Gravity / Gaussian 2SFCA."""
        return cls("G2SFCA", gaussian_weights(max_minutes))

    @classmethod
    def three_step_fca(cls, steps: Mapping[float, float] | None = None) -> FCAMethod:
        """3SFCA with step weights."""
        return cls("3SFCA", step_weights(steps or {10.0: 1.0, 15.0: 2 / 3, 20.0: 1 / 3}), three_step=True)

    def __call__(self, demand: np.ndarray, supply: np.ndarray, costs: sparse.csr_matrix) -> np.ndarray:
        """Compute the accessibility of each demand location."""
        fn = three_step_fca if self.three_step else two_step_fca
        return fn(demand, supply, costs, weight=self.weight)
