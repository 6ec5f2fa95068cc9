"""Tables for spreadsheets and other tools: one row per commune as CSV, Excel, GeoPackage or Parquet.

CSV files are written for French spreadsheets: UTF-8 with a byte-order mark (Excel then reads the accents),
``;`` as separator and the decimal comma, numbers rounded to a meaningful precision (:data:`PRECISION`). Excel
(``.xlsx``) keeps numbers as numbers with the same rounding; GeoPackage and Parquet keep full precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

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
            _french_text(frame[keep]).to_csv(tmp, sep=";", decimal=",", index=False, encoding="utf-8-sig")
    return path


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
