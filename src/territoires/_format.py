"""French number formatting, the one place every message, map, report and summary takes its numbers from.

Conventions (Imprimerie nationale, as INSEE and DREES publish): thousands separated by a narrow no-break space
(U+202F), decimal comma, a no-break space (U+00A0) before ``%``, a dash for a missing value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["MISSING", "NNBSP", "fr_dec", "fr_int", "fr_list", "fr_num", "fr_pct"]

#: Narrow no-break space, the French thousands separator.
NNBSP = "\u202f"
#: Shown for a missing value (None or NaN).
MISSING = "—"


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fr_dec(x: float | None, digits: int = 2) -> str:
    """Format a number with ``digits`` decimals, thousands grouped, the French way.

    >>> fr_dec(12345.678, 1)
    '12\u202f345,7'
    >>> fr_dec(2.5)
    '2,50'
    >>> fr_dec(float("nan"))
    '—'
    """
    if _missing(x):
        return MISSING
    return f"{float(x):,.{digits}f}".replace(",", NNBSP).replace(".", ",")


def fr_int(x: float | None) -> str:
    """Format a count rounded to the unit, thousands grouped.

    >>> fr_int(740903.4)
    '740\u202f903'
    >>> fr_int(None)
    '—'
    """
    return fr_dec(x, 0)


def fr_num(x: float | None) -> str:
    """Format a parameter value with no useless decimals (``2.5`` → ``2,5``; ``4.0`` → ``4``).

    >>> fr_num(2.5), fr_num(4.0), fr_num(12000)
    ('2,5', '4', '12\u202f000')
    """
    if _missing(x):
        return MISSING
    text = f"{float(x):,.6f}".rstrip("0").rstrip(".")
    return text.replace(",", NNBSP).replace(".", ",")


def fr_pct(share: float | None, digits: int = 1) -> str:
    r"""Format a share (0–1) as a percentage.

    >>> fr_pct(0.0988)
    '9,9\xa0%'
    >>> fr_pct(0.5, 0)
    '50\xa0%'
    """
    if _missing(share):
        return MISSING
    return fr_dec(100 * float(share), digits) + "\u00a0%"


def fr_list(items: Iterable[object], *, limit: int | None = 5) -> str:
    """Join items with commas, the first ``limit`` only, an ellipsis saying more were left unnamed.

    >>> fr_list(["34001", "34002"])
    '34001, 34002'
    >>> fr_list(range(8), limit=3)
    '0, 1, 2… (8 au total)'
    """
    values = [str(v) for v in items]
    if limit is None or len(values) <= limit:
        return ", ".join(values)
    return ", ".join(values[:limit]) + f"… ({fr_int(len(values))} au total)"
