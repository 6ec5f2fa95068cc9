"""Scenario inputs: tables of supply changes by commune, and lists of candidate communes for new practice."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._errors import InputError
from ._columns import find_column, normalise_commune_codes, require_column, to_number
from ._tables import read_table
from .practitioners import _professions_from_text

_CODE_SYNONYMS = ("code_commune", "code_insee", "codgeo", "depcom", "insee_com", "commune", "code")


def changes_from_file(path: str | Path, *, default_profession: str = "medecin_generaliste") -> pd.DataFrame:
    """Read a table of supply changes: one row per change in a commune.

    Columns: ``code_commune`` (INSEE code), ``etp`` (full-time equivalents: positive for new practice, negative
    for departures), ``profession`` (optional, ``default_profession`` when absent or empty) and ``label``
    (optional, groups the rows of one project). CSV with ``;`` or ``,``; French decimals accepted.

    Returns
    -------
    pandas.DataFrame
        ``ligne`` (line number in the file, header = 1), ``code_commune``, ``profession``, ``etp``, ``label``.

    Raises
    ------
    InputError
        Missing columns, invalid codes, non-numeric or zero FTE (each offending line is named).
    """
    path = Path(path)
    source = str(path)
    table = read_table(path, what="changements d'offre")
    if table.empty:
        raise InputError(f"{source}: aucune ligne de changement ; colonnes attendues : code_commune;profession;etp.")
    code_col = require_column(table, "code_commune", source=source, synonyms=_CODE_SYNONYMS)
    etp_col = require_column(table, "etp", source=source, synonyms=("etp", "fte", "equivalent_temps_plein"))
    prof_col = find_column(table.columns, "profession", synonyms=("profession", "Libellé profession"))
    label_col = find_column(table.columns, "label", synonyms=("label", "libelle", "projet", "scenario"))
    etp = to_number(table[etp_col], source=source, column=etp_col)
    zero = etp == 0
    if zero.any():
        lines = ", ".join(str(i + 2) for i in table.index[zero][:10])
        raise InputError(f"{source}: colonne {etp_col!r} : ETP nul ligne(s) {lines} ; un nombre non nul est attendu.")
    if prof_col is not None:
        prof = _professions_from_text(table[prof_col], source=source, column=prof_col)
        prof = prof.where(table[prof_col].notna(), default_profession)
    else:
        prof = pd.Series(default_profession, index=table.index, dtype=object)
    out = pd.DataFrame(
        {
            "ligne": table.index.to_numpy() + 2,
            "code_commune": normalise_commune_codes(table[code_col], source=source, column=code_col),
            "profession": prof.astype(object),
            "etp": etp,
            "label": table[label_col].astype(object) if label_col else None,
        }
    )
    out.attrs["source"] = source
    return out


def candidates_from_file(path: str | Path) -> pd.DataFrame:
    """Read a list of candidate communes for new practice (a ``code_commune`` column; other columns kept).

    Returns
    -------
    pandas.DataFrame
        ``ligne`` (line number in the file) and ``code_commune``, plus the file's other columns.
    """
    path = Path(path)
    source = str(path)
    table = read_table(path, what="communes candidates", single_column="code_commune")
    code_col = require_column(table, "code_commune", source=source, synonyms=_CODE_SYNONYMS)
    out = table.drop(columns=[code_col]).copy()
    out.insert(0, "code_commune", normalise_commune_codes(table[code_col], source=source, column=code_col))
    out.insert(0, "ligne", table.index.to_numpy() + 2)
    out.attrs["source"] = source
    return out
