"""Rows a loader could not use: records for ``attrs["left_out"]`` and the warning that summarises them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from .._errors import warn
from ..schemas import LEFT_OUT_COLUMNS


class LeftOutRecords(list):
    """The records of a frame's ``attrs["left_out"]``: a list that pandas hands over without copying it.

    pandas deep-copies ``attrs`` at every operation on a frame (each column read, each selection): with 20,000 rows
    left out of a national practitioners file, those copies took more CPU than the whole command. The records are
    never changed once built (the loaders make new lists to add theirs), so the deep copy of the list is the list.
    """

    def __deepcopy__(self, memo: dict) -> LeftOutRecords:
        return self

    def __add__(self, other: list) -> LeftOutRecords:  # records + more records stay uncopied by pandas
        return LeftOutRecords([*self, *other])


def left_out_records(
    source: str, lines: Iterable[int], identifiers: Iterable[object], motifs: Iterable[str] | str
) -> LeftOutRecords:
    """Return left-out records (dicts with :data:`~territoires.schemas.LEFT_OUT_COLUMNS` as keys).

    ``motifs`` is one French reason for every row or one per row.
    """
    lines = [int(v) for v in lines]
    ids = ["" if _missing(v) else str(v) for v in identifiers]
    reasons = [motifs] * len(lines) if isinstance(motifs, str) else list(motifs)
    return LeftOutRecords(
        dict(zip(LEFT_OUT_COLUMNS, (source, line, ident, reason), strict=True))
        for line, ident, reason in zip(lines, ids, reasons, strict=True)
    )


def summarise(records: Sequence[dict]) -> str:
    """Count records by reason, the reason cut before any detail in parentheses, most frequent first.

    >>> summarise([{"motif": "code commune vide"}, {"motif": "code commune vide"}, {"motif": "x (y)"}])
    '2 code commune vide, 1 x'
    """
    counts = Counter(str(r["motif"]).split(" (")[0] for r in records)
    return ", ".join(f"{n} {reason}" for reason, n in counts.most_common())


def warn_left_out(records: Sequence[dict], *, source: str, total: int, stacklevel: int = 4) -> None:
    """Emit one warning summarising the rows left out of ``source`` (nothing when there are none)."""
    if not records:
        return
    message = (
        f"{source}: {len(records)} ligne(s) écartée(s) sur {total} : {summarise(records)} "
        "(détail dans la liste des lignes écartées)."
    )
    warn(message, stacklevel=stacklevel)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))
