"""French number formatting: one module, narrow no-break space for thousands, decimal comma."""

import warnings

import pandas as pd
import pytest

from territoires._errors import TerritoiresWarning
from territoires._format import fr_dec, fr_int, fr_list, fr_num, fr_pct
from territoires.analysis.catchments import CatchmentParameters, mesh_catchments

NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (999, "999"), (1000, f"1{NNBSP}000"), (740_903.4, f"740{NNBSP}903"), (-12_345, f"-12{NNBSP}345")],
)
def test_fr_int_groups_thousands_with_a_narrow_no_break_space(value, text):
    assert fr_int(value) == text


def test_decimals_shares_and_missing_values():
    assert fr_dec(4.3719, 2) == "4,37" and fr_dec(1234.5, 1) == f"1{NNBSP}234,5"
    assert fr_pct(73_211 / 740_903) == "9,9\u00a0%"
    assert fr_num(2.5) == "2,5" and fr_num(4.0) == "4"
    assert fr_int(float("nan")) == fr_pct(None) == fr_dec(None) == "—"


def test_fr_list_keeps_its_commas_and_says_how_many():
    assert fr_list(["34001", "34002", "34003"]) == "34001, 34002, 34003"
    assert fr_list([f"9900{i}" for i in range(1, 8)]) == "99001, 99002, 99003, 99004, 99005… (7 au total)"


def test_flows_warning_lists_the_unknown_communes_with_commas(make_grid):
    """The warning about flows outside the territory used to lose the commas of its list of communes."""
    grid = make_grid([10_000.0] * 4, prefix="34")
    flows = pd.DataFrame(
        {
            "origin": ["34001", "34002", "99001", "99002", "34003"],
            "destination": ["34002", "34001", "34001", "34002", "99003"],
            "flux": [10.0, 10.0, 1500.0, 600.0, 4.0],
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mesh_catchments(grid, params=CatchmentParameters(min_population=15_000, max_population=30_000), flows=flows)
    messages = [str(w.message) for w in caught if issubclass(w.category, TerritoiresWarning)]
    flux = [m for m in messages if m.startswith("flux :")]
    assert flux == [
        f"flux : 3 ligne(s) (2{NNBSP}104 au total) ont une commune hors du territoire (99001, 99002, 99003) : "
        "elles ne guident pas le découpage."
    ]
