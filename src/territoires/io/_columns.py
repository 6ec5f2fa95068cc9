"""Recognising the usual column names of French official files and their synonyms."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._errors import InputError, warn
from .._format import fr_int

#: Canonical column → accepted names (compared without case, accents, spaces, dashes or underscores).
SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "code_commune": (
        "code_commune",
        "code",
        "INSEE_COM",
        "CODGEO",
        "COM",
        "code_insee",
        "DEPCOM",
        "insee",
        "codecommune",
        "cog",
        "Code commune",
        "Code commune (coord. structure)",
        "code_commune_insee",
    ),
    "nom": ("nom", "NOM", "NOM_COM", "LIBGEO", "libelle", "nom_commune", "LIBCOM", "name"),
    "population": (
        "population",
        "PMUN",
        "PTOT",
        "POPULATION",
        "pop",
        "population_municipale",
        "P_POP",
        "PSDC",
    ),
    "departement": ("departement", "INSEE_DEP", "DEP", "code_departement", "dep"),
    "region": ("region", "INSEE_REG", "REG", "code_region"),
    "epci": ("epci", "SIREN_EPCI", "EPCI", "code_epci"),
    "profession": ("profession", "Libellé profession", "TYPEQU", "type"),
    "activite": ("activite", "activité", "consultations", "actes", "activity"),
    "etp": ("etp", "fte", "ETP"),
    "age": ("age", "âge"),
    "nombre": ("nombre", "effectif", "count", "n", "NB_EQUIP"),
    "longitude": ("longitude", "lon", "lng"),
    "latitude": ("latitude", "lat"),
    "x": ("x", "LAMBERT_X", "coordx", "X"),
    "y": ("y", "LAMBERT_Y", "coordy", "Y"),
}


def normalise_name(name: str) -> str:
    """Fold a column name for comparison: lower case, no accents, no spaces, dashes or underscores.

    >>> normalise_name("Libellé  Profession")
    'libelleprofession'
    """
    folded = unicodedata.normalize("NFKD", str(name))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def find_column(columns: Iterable[str], canonical: str, *, synonyms: Sequence[str] | None = None) -> str | None:
    """Return the first column of ``columns`` that matches ``canonical`` or one of its synonyms."""
    names = synonyms if synonyms is not None else SYNONYMS.get(canonical, (canonical,))
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(normalise_name(col), col)
    for name in (canonical, *names):
        hit = by_norm.get(normalise_name(name))
        if hit is not None:
            return hit
    return None


def require_column(
    frame: pd.DataFrame,
    canonical: str,
    *,
    source: str,
    column: str | None = None,
    synonyms: Sequence[str] | None = None,
) -> str:
    """Return the name of the column holding ``canonical`` in ``frame`` or raise a clear error.

    Parameters
    ----------
    frame
        The table read from ``source``.
    canonical
        Canonical column name, a key of :data:`SYNONYMS`.
    source
        File name (or description) for the error message.
    column
        Column name forced by the user; it must exist.
    synonyms
        Accepted names, defaulting to :data:`SYNONYMS`.
    """
    if column is not None:
        if column not in frame.columns:
            msg = (
                f"{source}: colonne {column!r} introuvable; colonnes présentes : {', '.join(map(str, frame.columns))}."
            )
            raise InputError(msg)
        return column
    found = find_column(frame.columns, canonical, synonyms=synonyms)
    if found is None:
        accepted = synonyms if synonyms is not None else SYNONYMS.get(canonical, (canonical,))
        msg = (
            f"{source}: colonne {canonical!r} manquante (noms acceptés : {', '.join(dict.fromkeys(accepted))}); "
            f"colonnes présentes : {', '.join(map(str, frame.columns))}."
        )
        raise InputError(msg)
    return found


def normalise_commune_codes(values: pd.Series, *, source: str, column: str) -> pd.Series:
    """Return INSEE commune codes as 5-character text (``1001`` → ``"01001"``; ``2A004`` kept).

    Codes read as numbers by a spreadsheet lose their leading zero: a 4-digit code is padded. Anything else that is
    not 5 characters of digits (or 2A/2B + 3 digits) raises an :class:`InputError` naming the first bad rows.
    """
    text = values.astype("string")
    if bool(text.str.fullmatch(r"[0-9]{5}|2[AB][0-9]{3}").fillna(False).all()):  # already codes: nothing to change
        return text.astype(object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if 2 * len(uniques) < len(values) and not (codes < 0).any():
        # Each distinct code once (a national file repeats them); an error is told from the whole column.
        try:
            read = _commune_codes(pd.Series(uniques), source=source, column=column)
        except InputError:
            read = None
        if read is not None:
            return pd.Series(read.to_numpy(dtype=object)[codes], index=values.index, name=values.name, dtype=object)
    return _commune_codes(values, source=source, column=column)


def _commune_codes(values: pd.Series, *, source: str, column: str) -> pd.Series:
    """:func:`normalise_commune_codes` on every value of the column."""
    text = values.astype("string").str.strip()
    text = text.str.replace(r"\.0$", "", regex=True)
    text = text.where(text.str.len() != 4, "0" + text)
    text = text.str.upper()
    valid = text.str.fullmatch(r"(\d{5}|2[AB]\d{3})").fillna(False)
    if not bool(valid.all()):
        bad = values[~valid.to_numpy(dtype=bool)]  # (pandas < 2.2 gives object for a nullable boolean)
        rows = ", ".join(f"ligne {i + 2} : {v!r}" for i, v in list(bad.items())[:5])
        msg = (
            f"{source}: colonne {column!r} : {len(bad)} code(s) commune invalide(s) ({rows}); "
            "un code INSEE de 5 caractères était attendu (ex. 31555, 2A004)."
        )
        raise InputError(msg)
    return text.astype(object)


def _non_numeric(values: pd.Series, bad: pd.Series, *, source: str, column: str) -> InputError:
    """Build the error naming the first rows of ``values`` that are not numbers (file line = index + 2)."""
    examples = ", ".join(f"ligne {i + 2} : {values[i]!r}" for i in list(values.index[bad.to_numpy()])[:5])
    msg = (
        f"{source}: colonne {column!r} : {int(bad.sum())} valeur(s) non numérique(s) ({examples}); "
        "un nombre était attendu."
    )
    return InputError(msg)


def to_number(values: pd.Series, *, source: str, column: str, allow_missing: bool = False) -> pd.Series:
    """Convert French-formatted numbers (``"1 234,5"``) to floats, or raise naming the bad rows."""
    text = values.astype("string").str.replace("\u202f", "", regex=False)
    text = text.str.replace("\xa0", "", regex=False).str.replace(" ", "", regex=False)
    text = text.str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() & (values.notna() if allow_missing else True)
    if bool(bad.any()):
        raise _non_numeric(values, bad, source=source, column=column)
    return numbers.astype(float)


_SPACES = ("\u202f", "\xa0", " ", "\u2009")


def to_count(
    values: pd.Series,
    *,
    source: str,
    column: str,
    integer: bool = True,
    allow_missing: bool = False,
    told: list[str] | None = None,
) -> pd.Series:
    """Read a column of counts (inhabitants, head counts, consultations), thousands separators included.

    Spaces (plain, non-breaking, narrow) inside a number are thousands separators (``12 345``). A ``.`` or ``,``
    is read over the whole column, never value by value: when every value that holds one is written
    ``d,ddd`` / ``d.ddd,ddd`` with one and the same character (``12,345``, ``1.234``, ``1.234.567``), that
    character is a thousands separator, the values are read accordingly and a
    :class:`~territoires.TerritoiresWarning` says so; otherwise it is a decimal mark (``860.0``, ``0,5``).

    Parameters
    ----------
    values
        The column as read (text or numbers).
    source, column
        File and column, for messages.
    integer
        The column counts whole units (inhabitants, practitioners): a decimal value with a fractional part
        (``12.5``) is refused, and a column whose only ``.``/``,`` values read the same either way would differ
        by a factor of 1,000 (all ``d.000``) is refused as ambiguous.
    allow_missing
        Empty cells are NaN instead of an error.
    told
        When given, the names of the columns read with a thousands separator are appended to it instead of a
        warning for each (the caller tells once for many columns).

    Raises
    ------
    InputError
        Non-numeric values, non-integer counts, or a separator that cannot be told apart.

    Examples
    --------
    >>> to_count(pd.Series(["860", "1 234"]), source="f", column="c").tolist()
    [860.0, 1234.0]
    """
    text = values.astype("string")
    digits = text.str.fullmatch(r"[0-9]{1,15}(\.0)?")
    if bool(digits.fillna(allow_missing).all()):
        # Digits only, or a whole number written "1234.0" (never a thousands separator: one digit after the point),
        # the usual case: nothing to tell, the same numbers as the whole reading below gives (15 digits at most:
        # exact as floats), cast by Arrow (pandas.to_numeric: 25 times as long).
        numbers = pc.cast(pa.array(text), pa.float64()).to_numpy(zero_copy_only=False)
        return pd.Series(numbers, index=values.index, name=values.name, dtype=float)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if 2 * len(uniques) < len(values) and (allow_missing or not (codes < 0).any()):
        # Read each distinct value once; anything to tell (a separator, an error) is told from the whole column.
        said: list[str] = []
        try:
            read = _read_counts(pd.Series(uniques), source=source, column=column, integer=integer,
                                allow_missing=allow_missing, told=said)  # fmt: skip
        except InputError:
            read = None
        if read is not None and not said:
            numbers = np.append(read.to_numpy(dtype=float), np.nan)[codes]
            return pd.Series(numbers, index=values.index, name=values.name, dtype=float)
    return _read_counts(values, source=source, column=column, integer=integer, allow_missing=allow_missing, told=told)


def _read_counts(
    values: pd.Series, *, source: str, column: str, integer: bool, allow_missing: bool, told: list[str] | None
) -> pd.Series:
    """:func:`to_count` on every value of the column."""
    text = values.astype("string").str.strip()
    for space in _SPACES:
        text = text.str.replace(space, "", regex=False)
    text = text.mask(text == "", pd.NA)
    marked = text.str.contains(r"[.,]", regex=True).fillna(False)
    thousands_sep = None
    if bool(marked.any()):
        sample = text[marked]
        for sep in (",", "."):
            pattern = r"[1-9]\d{0,2}(?:" + re.escape(sep) + r"\d{3})+"
            if bool(sample.str.fullmatch(pattern).all()):
                thousands_sep = sep
                break
        if thousands_sep is not None and integer and bool(sample.str.fullmatch(r"[1-9]\d{0,2}[.,]000").all()):
            examples = ", ".join(f"ligne {i + 2} : {values[i]!r}" for i in list(sample.index)[:3])
            msg = (
                f"{source}: colonne {column!r} : séparateur {thousands_sep!r} ambigu ({examples}) : séparateur de "
                "milliers ou virgule décimale ? Écrivez les nombres sans séparateur (ex. 1000)."
            )
            raise InputError(msg)
    if thousands_sep is not None and told is not None:
        clean = text.str.replace(thousands_sep, "", regex=False)
        told.append(f"{column} ({thousands_sep!r})")
    elif thousands_sep is not None:
        clean = text.str.replace(thousands_sep, "", regex=False)
        first = sample.index[0]
        warn(
            f"{source}: colonne {column!r} : {int(marked.sum())} valeur(s) écrite(s) avec {thousands_sep!r} "
            f"comme séparateur de milliers (ex. ligne {first + 2} : {values[first]!r} lu "
            f"{fr_int(int(clean[first]))}) ; règle appliquée à toute la colonne.",
            stacklevel=4,
        )
    else:
        clean = text.str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(clean, errors="coerce")
    bad = numbers.isna() & (text.notna() if allow_missing else True)
    if bool(bad.any()):
        raise _non_numeric(values, bad, source=source, column=column)
    numbers = numbers.astype(float)
    if integer:
        fractional = numbers.notna() & (numbers != np.floor(numbers.fillna(0.0)))
        if bool(fractional.any()):
            examples = ", ".join(
                f"ligne {i + 2} : {values[i]!r}" for i in list(values.index[fractional.to_numpy()])[:5]
            )
            msg = (
                f"{source}: colonne {column!r} : {int(fractional.sum())} valeur(s) non entière(s) ({examples}); "
                "un nombre entier était attendu (séparateur de milliers ? écrivez 12345 ou 12 345)."
            )
            raise InputError(msg)
    return numbers
