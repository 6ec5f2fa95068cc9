import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from territoires.analysis.fca import FCAMethod, cost_matrix, step_weights, three_step_fca, two_step_fca

DREES = {10: 1.0, 15: 2 / 3, 20: 1 / 3}


def hand_case():
    # Communes A, B, C. A–B 12 min (weight 2/3), B–C 18 min (1/3), A–C 25 min (out of reach), self pairs at 0.
    pairs = [(0, 0, 0), (1, 1, 0), (2, 2, 0), (0, 1, 12), (1, 0, 12), (1, 2, 18), (2, 1, 18), (0, 2, 25), (2, 0, 25)]
    r, c, t = map(np.array, zip(*pairs, strict=True))
    return np.array([1000.0, 2000.0, 500.0]), np.array([0.0, 7200.0, 3600.0]), cost_matrix(r, c, t, (3, 3))


def test_e2sfca_hand_computed():
    demand, supply, costs = hand_case()
    got = two_step_fca(demand, supply, costs, weight=step_weights(DREES))
    # R_B = 7200 / (2/3·1000 + 2000 + 1/3·500) = 2.5411765; R_C = 3600 / (1/3·2000 + 500) = 3.0857143
    r_b, r_c = 7200 / (2 / 3 * 1000 + 2000 + 1 / 3 * 500), 3600 / (1 / 3 * 2000 + 500)
    assert r_b == pytest.approx(2.5411765) and r_c == pytest.approx(3.0857143)
    # A_A = 2/3·R_B; A_B = R_B + 1/3·R_C; A_C = 1/3·R_B + R_C
    assert got == pytest.approx([1.6941176, 3.5697479, 3.9327731], rel=1e-7)
    # Supply is conserved: Σ_i A_i·D_i equals the supply that reaches somebody.
    assert (got * demand).sum() == pytest.approx(supply.sum())


def test_2sfca_binary_hand_computed():
    demand, supply, costs = hand_case()
    got = FCAMethod.two_step(20)(demand, supply, costs)
    # Everyone within 20 min counts fully: R_B = 7200/3500, R_C = 3600/2500.
    assert got == pytest.approx([7200 / 3500, 7200 / 3500 + 3600 / 2500, 7200 / 3500 + 3600 / 2500])


def test_three_step_shares_demand_between_competitors():
    demand, supply, costs = hand_case()
    got = three_step_fca(demand, supply, costs, weight=step_weights(DREES))
    # Supply is conserved by 3SFCA too (every demand location reaches some supply with G summing to 1).
    assert (got * demand).sum() == pytest.approx(supply.sum())
    assert got[0] < got[1]


def test_gravity_weight_is_one_at_zero_and_zero_at_cutoff():
    w = FCAMethod.gravity(20).weight(np.array([0.0, 10.0, 20.0]))
    assert w[0] == 1.0 and w[2] == 0.0 and 0 < w[1] < 1


def test_unreachable_supply_gives_zero_not_nan():
    costs = sparse.csr_matrix(([0.0], ([0], [0])), shape=(2, 2))
    got = two_step_fca(np.array([10.0, 10.0]), np.array([0.0, 100.0]), costs, weight=step_weights(DREES))
    assert got.tolist() == [0.0, 0.0]


def test_step_weights_are_left_closed():
    w = step_weights(DREES)
    assert w(np.array([9.999, 10.0, 15.0, 20.0])).tolist() == [1.0, 2 / 3, 1 / 3, 0.0]


def test_large_random_case_is_finite():
    rng = np.random.default_rng(0)
    n = 500
    r, c = rng.integers(0, n, 5000), rng.integers(0, n, 5000)
    frame = pd.DataFrame({"r": r, "c": c, "t": rng.uniform(0, 30, 5000)}).drop_duplicates(["r", "c"])
    costs = cost_matrix(frame["r"], frame["c"], frame["t"], (n, n))
    got = two_step_fca(rng.uniform(0, 1000, n), rng.uniform(0, 5000, n), costs, weight=step_weights(DREES))
    assert np.isfinite(got).all() and (got >= 0).all()
