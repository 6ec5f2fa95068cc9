"""Agreement with an independent implementation: PySAL ``access`` on random inputs with asymmetric costs."""

import numpy as np
import pandas as pd
import pytest

access = pytest.importorskip("access")
from access import Access, weights  # noqa: E402

from territoires.analysis.fca import binary_weights, cost_matrix, step_weights, two_step_fca  # noqa: E402


@pytest.fixture(scope="module", params=[1, 2, 3])
def random_inputs(request):
    rng = np.random.default_rng(request.param)
    n_demand, n_supply = 120, 60
    demand = rng.uniform(0, 5000, n_demand).round()
    supply = rng.uniform(0, 20000, n_supply).round()
    # Asymmetric costs: every pair drawn independently, some pairs missing (out of reach), continuous minutes.
    r, c = np.meshgrid(np.arange(n_demand), np.arange(n_supply), indexing="ij")
    t = rng.uniform(0, 30, r.shape)
    present = rng.uniform(size=r.shape) < 0.6
    cost = pd.DataFrame({"origin": r[present], "dest": c[present], "minutes": t[present]})
    return demand, supply, cost


def pysal_run(demand, supply, cost, method, **kwargs):
    a = Access(
        demand_df=pd.DataFrame({"id": np.arange(len(demand)), "pop": demand}),
        demand_index="id",
        demand_value="pop",
        supply_df=pd.DataFrame({"id": np.arange(len(supply)), "doc": supply}),
        supply_index="id",
        supply_value="doc",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="minutes",
    )
    return getattr(a, method)(name="x", **kwargs)["x_doc"].reindex(range(len(demand))).fillna(0).to_numpy()


def ours(demand, supply, cost, weight):
    costs = cost_matrix(cost["origin"], cost["dest"], cost["minutes"], (len(demand), len(supply)))
    return two_step_fca(demand, supply, costs, weight=weight)


def test_e2sfca_agrees_with_pysal_access(random_inputs):
    demand, supply, cost = random_inputs
    expected = pysal_run(
        demand, supply, cost, "enhanced_two_stage_fca", weight_fn=weights.step_fn({10: 1, 15: 2 / 3, 20: 1 / 3})
    )
    got = ours(demand, supply, cost, step_weights({10: 1, 15: 2 / 3, 20: 1 / 3}))
    assert np.count_nonzero(got) > len(got) // 2
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=0)


def test_2sfca_agrees_with_pysal_access(random_inputs):
    demand, supply, cost = random_inputs
    expected = pysal_run(demand, supply, cost, "two_stage_fca", max_cost=20)
    got = ours(demand, supply, cost, binary_weights(20))
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=0)
