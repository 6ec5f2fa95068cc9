"""Look-ups of text codes (INSEE commune codes, départements) by Arrow's hash tables, in C.

Pandas hashes Python strings one by one (35,000 codes among 37,000: 20 ms; 100,000 practitioners: 50 ms); Arrow
does it whole. Each function says when it cannot (values that are not all text) and the caller uses pandas.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def text_array(values: pd.Series | pd.Index | np.ndarray) -> pa.Array | None:
    """Return ``values`` as an Arrow text array (missing values null), or None when they are not all text."""
    values = values if isinstance(values, pd.Series | pd.Index) else pd.Series(values, dtype=object)
    try:
        if values.dtype == object:
            if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
                return None
            return pa.array(values.to_numpy(), type=pa.string(), from_pandas=True)
        if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
            array = pa.array(values.array)
            return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    except (pa.ArrowException, UnicodeError):  # text Arrow does not take (lone surrogates)
        return None
    return None


def text_positions(keys: pd.Series | pd.Index | np.ndarray, values: pd.Series | np.ndarray) -> np.ndarray | None:
    """Return ``pd.Index(keys).get_indexer(values)`` for text codes (-1: absent or missing), by Arrow.

    None unless ``keys`` are distinct text without missing values and ``values`` text or missing: the caller then
    asks pandas (which also refuses to look up among duplicate keys).
    """
    key_text = text_array(keys)
    if key_text is None or key_text.null_count or len(pc.unique(key_text)) != len(key_text):
        return None
    wanted = text_array(values)
    if wanted is None:
        return None
    return pc.index_in(wanted, value_set=key_text).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp)


def text_isin(
    values: pd.Series, members: Iterable[str], *, keys: pa.Array | None = None, values_text: pa.Array | None = None
) -> np.ndarray:
    """``values.isin(members)`` as a boolean array, by Arrow's hash look-up when both are text.

    ``keys`` and ``values_text``: ``members`` and ``values`` as Arrow text when the caller has them already.
    """
    keys = keys if keys is not None else text_array(pd.Series(list(members), dtype=object))
    values_text = values_text if values_text is not None else text_array(values)
    if keys is None or values_text is None:
        return values.isin(set(members)).to_numpy()
    return pc.is_in(values_text, value_set=keys).fill_null(False).to_numpy(zero_copy_only=False)
