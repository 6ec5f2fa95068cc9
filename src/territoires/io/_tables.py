"""Reading delimited text tables as French official files come: separator and encoding detected."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from .._errors import InputError
from ._columns import find_column

_ENCODINGS = ("utf-8-sig", "cp1252")
_SEPARATORS = (";", ",", "\t", "|")
#: The dtype ``read_csv(dtype=str)`` gives text in the installed pandas: Arrow strings with NaN for missing values
#: from pandas 3 on (Arrow's reader is used only then), Python objects before.
_TEXT = pd.read_csv(io.StringIO("a\nx"), dtype=str)["a"].dtype


def detect_encoding(path: Path, *, sample_bytes: int = 1 << 20) -> str:
    """Return ``"utf-8-sig"`` when the file decodes as UTF-8, else ``"cp1252"`` (Windows-1252).

    INSEE and FINESS files are published either in UTF-8 or in Windows-1252/Latin-1; a file with a UTF-16 byte
    order mark (spreadsheets' « Texte Unicode ») is ``"utf-16"``.
    """
    with open(path, "rb") as fh:
        raw = fh.read(sample_bytes)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"  # saved as « Unicode » by a spreadsheet: a byte order mark says so
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is not an error.
        if exc.start < len(raw) - 4:
            return "cp1252"
    return "utf-8-sig"


def detect_separator(first_line: str, *, candidates: Sequence[str] = _SEPARATORS) -> str:
    """Return the most frequent candidate separator in a header line."""
    counts = {sep: first_line.count(sep) for sep in candidates}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_table(
    path: str | Path,
    *,
    what: str,
    sep: str | None = None,
    encoding: str | None = None,
    dtype: Mapping[str, object] | None = None,
    text_columns: Iterable[str] = (),
    single_column: str | None = None,
) -> pd.DataFrame:
    """Read a delimited text file (CSV, ``;`` or ``|`` separated) into a DataFrame of text.

    Parameters
    ----------
    path
        File to read.
    what
        What the file holds, in French, for error messages (e.g. ``"populations"``).
    sep, encoding
        Forced separator and encoding; detected when ``None``.
    dtype
        Column types; every other column is read as text so that codes keep their leading zeros.
    text_columns
        Unused, kept for symmetry with :func:`pandas.read_csv` users; all columns are text by default.
    single_column
        A canonical column name (see :data:`~territoires.io._columns.SYNONYMS`) that may make up the whole
        table (e.g. ``"code_commune"``: one practitioner per row); any other single-column table is refused as
        a separator problem.

    Raises
    ------
    InputError
        If the file is missing, empty, or has a single column (wrong separator).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: fichier introuvable ({what}).")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: fichier vide ({what}); une ligne d'en-tête était attendue.")
    encoding = encoding or detect_encoding(path)
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        first_line = fh.readline()
    if not first_line.strip():
        raise InputError(f"{path}: la première ligne est vide ({what}); une ligne d'en-tête était attendue.")
    sep = sep or detect_separator(first_line)
    table = _read_plain_text(path, sep=sep, encoding=encoding, first_line=first_line)
    if table is None:
        try:
            table = pd.read_csv(
                path,
                sep=sep,
                encoding=encoding,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                low_memory=False,
            )
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: encodage illisible ({exc.reason}); UTF-8 ou Windows-1252 attendu.") from exc
        except (pd.errors.ParserError, csv.Error) as exc:
            raise InputError(f"{path}: lecture impossible avec le séparateur {sep!r} ({what}) : {exc}") from exc
    table.columns = [str(c).strip() for c in table.columns]
    # A trailing separator (RPPS files end every line with '|') creates an empty unnamed column.
    table = table.loc[:, [c for c in table.columns if c and not c.startswith("Unnamed:")]]
    lone_ok = (
        single_column is not None
        and table.shape[1] == 1
        and find_column(table.columns, single_column) is not None
        and not any(s in first_line for s in _SEPARATORS)
    )
    if table.shape[1] <= 1 and not lone_ok:
        raise InputError(
            f"{path}: une seule colonne lue avec le séparateur {sep!r} ({what}); "
            f"vérifiez le séparateur (';', ',', tabulation ou '|') de la ligne d'en-tête : {first_line[:120]!r}"
        )
    if dtype:
        for col, typ in dtype.items():
            if col in table.columns:
                table[col] = table[col].astype(typ)
    return table


def _read_plain_text(path: Path, *, sep: str, encoding: str, first_line: str) -> pd.DataFrame | None:
    """Read a plain UTF-8 table with Arrow's CSV reader (five times quicker), or return None for pandas to read it.

    Only files on which both readers give the same frame are read here: UTF-8, a one-character separator, distinct
    non-empty column names, every row with as many fields as the header, and none of what pandas' parser treats in
    its own way (quotes, control characters other than tabulations and line ends, a carriage return alone, a line
    starting with a space or a tabulation, which may be a blank line pandas skips). Anything else, including any
    error of Arrow's, goes to pandas, which reads it or raises as before.
    """
    if not isinstance(_TEXT, pd.StringDtype):  # pandas 2: object columns, read by pandas
        return None
    if encoding != "utf-8-sig" or len(sep) != 1 or "\ufffd" in first_line:  # (an undecodable header: pandas says)
        return None
    names = next(csv.reader([first_line], delimiter=sep), [])
    if not names or len(set(names)) != len(names) or not all(names):  # pandas renames those columns
        return None
    with open(path, "rb") as fh:
        raw = fh.read()
    if not _plain_bytes(raw):
        return None
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(raw),
            read_options=pa_csv.ReadOptions(
                column_names=names, skip_rows=1, use_threads=False, block_size=min(max(len(raw), 1 << 20), 1 << 30)
            ),
            parse_options=pa_csv.ParseOptions(delimiter=sep, quote_char=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True, null_values=[""]
            ),
        )
    except (pa.ArrowException, ValueError):  # a row with another number of fields, invalid UTF-8...: pandas says
        return None
    return table.to_pandas(types_mapper={pa.string(): _TEXT, pa.large_string(): _TEXT}.get)


def _plain_bytes(raw: bytes) -> bool:
    """Whether a file holds none of what pandas' CSV parser and Arrow's read differently (see _read_plain_text)."""
    b = np.frombuffer(raw, dtype=np.uint8)
    if not len(b) or (b == ord('"')).any():
        return False
    newlines = np.flatnonzero(b == ord("\n"))
    returns = np.flatnonzero(b == ord("\r"))
    tabs = np.count_nonzero(b == ord("\t"))
    if np.count_nonzero(b < 0x20) != len(newlines) + len(returns) + tabs:  # another control character
        return False
    if len(returns) and (returns[-1] + 1 == len(b) or (b[returns + 1] != ord("\n")).any()):  # a lone \r
        return False
    starts = b[newlines[newlines + 1 < len(b)] + 1]
    blank_like = (starts == ord(" ")) | (starts == ord("\t"))
    return b[0] not in (ord(" "), ord("\t")) and not blank_like.any()


def read_text_buffer(text: str, **kwargs) -> pd.DataFrame:
    """Read a delimited table held in a string (used by tests and by the downloader's previews)."""
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""], **kwargs)
