"""Tables for spreadsheets and other tools: one row per commune as CSV, Excel, GeoPackage or Parquet.

CSV files are written for French spreadsheets: UTF-8 with a byte-order mark (Excel then reads the accents),
``;`` as separator and the decimal comma, numbers rounded to a meaningful precision (:data:`PRECISION`). Excel
(``.xlsx``) keeps numbers as numbers with the same rounding; GeoPackage and Parquet keep full precision.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._atomic import atomic_path
from .._errors import ParameterError

__all__ = ["APL_COLUMNS", "CATCHMENT_COLUMNS", "PRECISION", "TABLE_FORMATS", "round_for_display", "save_table"]

#: Columns of the APL table (``territoires apl``), in order.
APL_COLUMNS = (
    "code_commune", "nom", "departement", "population", "population_standardisee", "praticiens", "etp",
    "offre_consultations", "apl", "niveau_acces", "libelle_niveau", "minutes_praticien_proche",
)  # fmt: skip
#: Columns of the commune → catchment table (``territoires cpts``), in order.
CATCHMENT_COLUMNS = ("code_commune", "nom", "population", "cpts_id", "cpts_nom", "cpts_statut")
#: Decimals kept in the tables for spreadsheets (0: integer).
PRECISION = {
    "population": 0,
    "population_standardisee": 0,
    "praticiens": 2,
    "etp": 2,
    "offre_consultations": 0,
    "apl": 2,
    "minutes_praticien_proche": 1,
}
#: Arrow text with 64-bit offsets: a table's text may pass 2 GB.
_TEXT = pa.large_string()
#: Characters that make the csv module quote a text field (with ``;`` as separator).
_QUOTED = (";", '"', "\n", "\r")
#: File extensions :func:`save_table` writes.
TABLE_FORMATS = (".csv", ".xlsx", ".gpkg", ".parquet")


def round_for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with the columns of :data:`PRECISION` rounded (integers as nullable integers).

    >>> t = round_for_display(pd.DataFrame({"apl": [2.3456], "population": [1234.6]}))
    >>> float(t["apl"].iloc[0]), int(t["population"].iloc[0])
    (2.35, 1235)
    """
    out = pd.DataFrame(frame).copy()
    for column, digits in PRECISION.items():
        if column in out.columns:
            values = pd.to_numeric(out[column], errors="coerce").round(digits)
            out[column] = values.astype("Int64") if digits == 0 else values
    return out


def save_table(frame: pd.DataFrame, path: str | Path, *, columns: Sequence[str] | None = None) -> Path:
    """Write one row per commune, atomically, in the format given by the extension.

    Parameters
    ----------
    frame
        The communes (a GeoDataFrame for ``.gpkg``).
    path
        ``.csv`` (French spreadsheets: UTF-8 with BOM, ``;``, decimal comma, rounded), ``.xlsx`` (rounded),
        ``.gpkg`` (layer ``communes`` with geometry) or ``.parquet`` (full precision).
    columns
        Columns to write, in order (those absent from ``frame`` are skipped); all when None.

    Raises
    ------
    ParameterError
        Another extension.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_FORMATS:
        msg = f"{path} : extension {suffix or '(aucune)'} non prise en charge ({', '.join(TABLE_FORMATS)} attendu)."
        raise ParameterError(msg)
    keep = [c for c in (columns or frame.columns) if c in frame.columns and c != "geometry"]
    with atomic_path(path) as tmp:
        if suffix == ".gpkg":
            frame[keep + [frame.geometry.name]].to_file(tmp, layer="communes", driver="GPKG", engine="pyogrio")
        elif suffix == ".parquet":
            pd.DataFrame(frame[keep]).to_parquet(tmp, index=False)
        elif suffix == ".xlsx":
            round_for_display(frame[keep]).to_excel(tmp, index=False, sheet_name="communes", engine="openpyxl")
        else:
            text = _french_csv(frame[keep])
            if text is None:  # a column of another kind: pandas writes it
                _french_text(frame[keep]).to_csv(tmp, sep=";", decimal=",", index=False, encoding="utf-8-sig")
            else:
                _write_text(tmp, text)
    return path


def _write_text(path: Path, text: bytes) -> None:
    """Write CSV text (UTF-8 bytes) for French spreadsheets: a byte-order mark first, line ends as given."""
    with open(path, "wb") as f:
        f.write(b"\xef\xbb\xbf")
        f.write(text)


def _french_csv(frame: pd.DataFrame) -> bytes | None:
    r"""Return the CSV text :func:`save_table` writes (UTF-8), formatted column by column with Arrow; None to fall back.

    Same text as ``_french_text(frame).to_csv(sep=";", decimal=",", index=False)``: numbers of :data:`PRECISION`
    rounded as :meth:`pandas.Series.round` does, decimal comma, empty cells for missing values, text fields quoted
    as the :mod:`csv` module does when they hold ``;``, ``"`` or a line break. Columns of another kind (numbers
    without a precision, non-text objects): None, and pandas writes the table. The rows are joined by Arrow's
    compute functions, in C: no Python string per cell.

    >>> _french_csv(pd.DataFrame({"nom": ["A;B", None], "apl": [2.345, float("nan")], "population": [1234.6, 2.0]}))
    b'nom;apl;population\n"A;B";2,35;1235\n;;2\n'
    """
    eol = os.linesep
    if len(frame.columns) < 2:  # a lone empty field is quoted by the csv module
        return None
    cells, texts = [], []
    for column in frame.columns:
        values = frame[column]
        if column in PRECISION:
            if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
                return None
            text = _decimal_text(values.to_numpy(dtype=float, na_value=np.nan), PRECISION[column])
            if text is None:
                return None
        elif pd.api.types.is_string_dtype(values) or values.dtype == object:
            if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
                return None
            try:
                raw = values.array if values.dtype != object else values.to_numpy(dtype=object)
                text = pc.cast(pa.array(raw, from_pandas=True), _TEXT).fill_null(_scalar(""))
            except (pa.ArrowException, UnicodeError):  # text Arrow does not take (lone surrogates): pandas writes it
                return None
            text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
            texts.append(len(cells))
        else:
            return None
        cells.append(text)
    header = ";".join(_csv_field(str(c), eol) for c in frame.columns) + eol
    body = _joined_rows(cells, eol)
    # A text field holding ";", '"' or a line break shows in the counts of those characters in the whole text (the
    # rows' own separators and line ends known): rare, such fields are then quoted, column by column.
    n, width = len(cells[0]), len(cells)
    returns = n if eol == "\r\n" else 0
    plain = (
        body.count(b";") == n * (width - 1)
        and body.count(b"\n") == n
        and body.count(b"\r") == returns
        and body.count(b'"') == 0
    )
    if not plain:
        for j in texts:
            cells[j] = _quoted(cells[j], eol)
        body = _joined_rows(cells, eol)
    return header.encode("utf-8") + body


def _joined_rows(cells: list[pa.Array], eol: str) -> bytes:
    """Join each row's fields by ";" and end it by ``eol``: the rows' text end to end (one Arrow buffer, in C)."""
    lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*cells, _scalar(";")), _scalar(""), _scalar(eol))
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    body = lines.buffers()[2] if len(lines) else b""
    return memoryview(body)[int(offsets[0]) : int(offsets[-1])].tobytes() if len(lines) else b""


def _quoted(text: pa.Array, eol: str) -> pa.Array:
    """Quote the fields holding ``;``, ``"`` or a line break as the :mod:`csv` module does, one by one (rare)."""
    special = pc.match_substring_regex(text, '[;"\r\n]')
    if not pc.any(special).as_py():
        return text
    rows = np.flatnonzero(special.to_numpy(zero_copy_only=False))
    quoted = [_csv_field(v, eol) for v in text.take(pa.array(rows)).to_pylist()]
    mask = np.zeros(len(text), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(text, pa.array(mask), pa.array(quoted, type=_TEXT))


def _decimal_text(values: np.ndarray, digits: int) -> pa.Array | None:
    """Format numbers rounded to ``digits`` decimals (as :func:`numpy.round`) with a decimal comma, NaN as ''.

    None for infinities and numbers beyond exact integers (2**53 once scaled): the caller falls back to pandas.
    """
    missing = np.isnan(values)
    with np.errstate(all="ignore"):
        scaled = np.rint(np.where(missing, 0.0, values) * 10.0**digits)
    if not np.isfinite(scaled).all() or np.abs(scaled).max(initial=0) >= 2**53:
        return None
    magnitude = np.abs(scaled).astype(np.int64)
    if digits:
        whole, frac = np.divmod(magnitude, 10**digits)
        fraction = pc.utf8_lpad(pc.cast(pa.array(frac), _TEXT), width=digits, padding="0")
        text = pc.binary_join_element_wise(pc.cast(pa.array(whole), _TEXT), fraction, _scalar(","))
    else:
        text = pc.cast(pa.array(magnitude), _TEXT)
    # "{:.2f}" writes -0.0 as "-0,00"; whole numbers go through nullable integers, which have no -0.
    negative = (np.signbit(scaled) if digits else scaled < 0) & ~missing
    if negative.any():
        text = pc.if_else(pa.array(negative), pc.binary_join_element_wise(_scalar("-"), text, _scalar("")), text)
    if missing.any():
        text = pc.if_else(pa.array(missing), _scalar(""), text)
    return text


def _scalar(text: str) -> pa.Scalar:
    """Arrow text scalar of the table's text type (Arrow's joins take one type)."""
    return pa.scalar(text, _TEXT)


def _csv_field(value: str, eol: str) -> str:
    """One text field as the :mod:`csv` module writes it with ``;`` (quoted when needed)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator=eol).writerow([value])
    return buffer.getvalue()[: -len(eol)]


def _french_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a rounded copy whose decimal columns are text with a decimal comma (quicker to write).

    >>> _french_text(pd.DataFrame({"apl": [2.345, float("nan")]}))["apl"].tolist()
    ['2,35', '']
    """
    out = round_for_display(frame)
    for column, digits in PRECISION.items():
        if digits and column in out.columns:
            values = out[column]
            text = values.map(f"{{:.{digits}f}}".format, na_action="ignore").str.replace(".", ",", regex=False)
            out[column] = text.where(values.notna(), "")
    return out
