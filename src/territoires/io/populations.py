"""Loading INSEE-style population tables and joining them to communes, with age-standardised demand."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import InputError, warn
from ..settings import AGE_WEIGHTS
from ._columns import find_column, normalise_commune_codes, require_column, to_number
from ._tables import read_table

log = logging.getLogger(__name__)

#: Row types of the COG tables kept as communes (the others: communes déléguées/associées, arrondissements).
CURRENT_COMMUNE_TYPES = ("commune-actuelle", "COM")

_BAND_RE = re.compile(r"(?:^|[^0-9])(\d{1,2})\s*(?:-|_|a|à|to)\s*(\d{1,2})(?:ans)?$")
_LAST_BAND_RE = re.compile(r"(?:^|[^0-9])(\d{2})\s*(?:\+|p|plus|etplus|ouplus|_plus)(?:ans)?$")


def age_band_columns(columns) -> dict[str, str]:
    """Map DREES age bands (``"0-4"`` … ``"90+"``) to the table columns that hold them.

    Accepted names: ``0-4``, ``age_0_4``, ``pop_0_4``, ``P0004`` style names are not guessed. The last band is
    ``90+``, ``90_plus`` or ``90plus``.

    >>> age_band_columns(["code", "age_0_4", "age_5_9", "age_90_plus"])
    {'0-4': 'age_0_4', '5-9': 'age_5_9', '90+': 'age_90_plus'}
    """
    found: dict[str, str] = {}
    for col in columns:
        name = str(col).strip().lower().replace(" ", "")
        m = _BAND_RE.search(name)
        if m:
            band = f"{int(m.group(1))}-{int(m.group(2))}"
        else:
            m = _LAST_BAND_RE.search(name)
            band = f"{int(m.group(1))}+" if m else None
        if band in AGE_WEIGHTS and band not in found:
            found[band] = col
    return found


def standardised_population(bands: pd.DataFrame, *, weights: Mapping[str, float] = AGE_WEIGHTS) -> pd.Series:
    """Return the demand standardised by age: the sum over bands of population × DREES consumption weight.

    Parameters
    ----------
    bands
        One column per age band named as the keys of ``weights`` (inhabitants).
    weights
        Consumption weight of each band (DREES APL 2022 by default).

    Examples
    --------
    >>> float(standardised_population(pd.DataFrame({"0-4": [100.0], "90+": [10.0]}))[0])
    116.9
    """
    cols = [b for b in weights if b in bands.columns]
    w = np.array([weights[b] for b in cols])
    return pd.Series(bands[cols].to_numpy(dtype=float) @ w, index=bands.index)


def populations_from_csv(
    path: str | Path,
    *,
    code_column: str | None = None,
    population_column: str | None = None,
    sep: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Load populations per commune from an INSEE-style CSV (``;`` or ``,``, UTF-8 or Windows-1252).

    Recognised columns: the commune code (``code_insee``, ``CODGEO``, ``COM``, ``DEPCOM``…), the population
    (``population``, ``PMUN``, ``PTOT``…), optionally the name, EPCI, ``anciens_codes`` (former codes merged
    into the commune, ``|``-separated) and age bands (``0-4`` … ``90+``, see :func:`age_band_columns`). Where
    the table lists several kinds of rows (``type`` = commune-actuelle, commune-deleguee...), only current
    communes are kept and the others counted.

    Returns
    -------
    pandas.DataFrame
        ``code_commune``, ``population`` (inhabitants), ``population_standardisee`` (demand standardised by age
        with the DREES weights where all age bands are present, else equal to ``population``), and ``nom``,
        ``epci``, ``anciens_codes`` when present. ``attrs["age_standardised"]`` tells which.
    """
    path = Path(path)
    source = str(path)
    table = read_table(path, what="populations", sep=sep, encoding=encoding)
    if table.empty:
        raise InputError(f"{source}: aucune ligne de données (populations).")
    type_col = find_column(table.columns, "type", synonyms=("type", "TYPECOM", "typecom"))
    n_other = 0
    if type_col is not None:
        keep = table[type_col].isin(CURRENT_COMMUNE_TYPES)
        if keep.any():
            n_other = int((~keep).sum())
            table = table.loc[keep]  # the index keeps the file's line numbers (line = index + 2)
            log.info("%s: %d rows that are not current communes set aside", source, n_other)
    if code_column is None and {"DEP", "CODCOM"} <= set(table.columns):
        # INSEE "populations légales" layout: REG;Région;DEP;CODARR;CODCAN;CODCOM;COM;PMUN;PCAP;PTOT, where COM is
        # the name and CODCOM the commune number inside the département (3 digits; 2 after a 3-digit DOM code).
        dep = table["DEP"].astype(str).str.strip()
        num = table["CODCOM"].astype(str).str.strip().str.zfill(3)
        table = table.assign(
            code_commune=(dep.str.zfill(2) + num).where(dep.str.len() <= 2, dep.str[:3] + num.str[-2:]),
            # Populations de référence 2023 and later add a ``Commune`` column with the name.
            nom=table["Commune"] if "Commune" in table.columns else table["COM"] if "COM" in table.columns else None,
        )
        code_column = "code_commune"
    code_col = require_column(table, "code_commune", source=source, column=code_column)
    codes = normalise_commune_codes(table[code_col], source=source, column=code_col)
    dup = codes.duplicated(keep=False)
    if dup.any():
        dups = sorted(set(codes[dup]))
        msg = (
            f"{source}: colonne {code_col!r} : {len(dups)} code(s) commune en double ({', '.join(dups[:10])}); "
            "une ligne par commune était attendue."
        )
        raise InputError(msg)

    out = pd.DataFrame({"code_commune": codes}, index=table.index)
    bands = age_band_columns(table.columns)
    pop_col = find_column(table.columns, "population") if population_column is None else population_column
    if population_column is not None and population_column not in table.columns:
        require_column(table, "population", source=source, column=population_column)
    if bands and len(bands) < len(AGE_WEIGHTS):
        missing = [b for b in AGE_WEIGHTS if b not in bands]
        msg = (
            f"{source}: tranches d'âge incomplètes : {', '.join(missing)} manquante(s); les 19 tranches "
            "quinquennales de la DREES (0-4 … 90+) sont attendues pour standardiser la demande."
        )
        raise InputError(msg)
    if bands:
        band_values = pd.DataFrame(
            {b: to_number(table[c], source=source, column=c) for b, c in bands.items()},
            index=table.index,
        )
        out["population_standardisee"] = standardised_population(band_values)
        band_total = band_values.sum(axis=1).to_numpy()
    left_out: list[dict] = []
    if pop_col is not None:
        out["population"] = to_number(table[pop_col], source=source, column=pop_col, allow_missing=True)
        empty = out["population"].isna()
        if empty.any():
            left_out = [
                {
                    "source": source,
                    "ligne": int(i) + 2,
                    "identifiant": code,
                    "motif": "population vide",
                }
                for i, code in out.loc[empty, "code_commune"].items()
            ]
            warn(
                f"{source}: colonne {pop_col!r} : {int(empty.sum())} commune(s) sans population écartée(s) "
                f"({', '.join(out.loc[empty, 'code_commune'].head(10))})."
            )
            out = out.loc[~empty]
            table = table.loc[~empty]
            if bands:
                band_values = band_values.loc[~empty.to_numpy()]
                band_total = band_total[~empty.to_numpy()]
    elif bands:
        out["population"] = band_total
    else:
        require_column(table, "population", source=source)
    if (out["population"] < 0).any():
        row = int(out.index[out["population"] < 0][0])
        raise InputError(f"{source}: ligne {row + 2} : population négative ; une population ≥ 0 était attendue.")
    if bands:
        gap = np.abs(band_total - out["population"].to_numpy())
        off = gap > np.maximum(0.01 * out["population"].to_numpy(), 1.0)
        if off.any():
            warn(
                f"{source}: {int(off.sum())} commune(s) dont la somme des tranches d'âge s'écarte de plus de 1 % "
                "de la population (la demande standardisée utilise les tranches d'âge)."
            )
    else:
        out["population_standardisee"] = out["population"]
    for canonical in ("nom", "epci"):
        col = find_column(table.columns, canonical)
        if col is not None:
            out[canonical] = table[col]
    former_col = find_column(table.columns, "anciens_codes", synonyms=("anciens_codes", "former_codes"))
    if former_col is not None:
        out["anciens_codes"] = table[former_col].fillna("")
    out = out.reset_index(drop=True)
    out.attrs["left_out"] = left_out
    out.attrs["age_standardised"] = bool(bands)
    out.attrs["other_rows"] = n_other
    out.attrs["source"] = source
    return out


def join_populations(
    communes: gpd.GeoDataFrame, populations: pd.DataFrame, *, source: str | None = None
) -> gpd.GeoDataFrame:
    """Return a copy of ``communes`` with ``population`` and ``population_standardisee`` from ``populations``.

    Communes without a population row get a population of 0 and are reported; population rows without a commune
    are reported too (their inhabitants are not counted). Use :func:`territoires.io.cog.reconcile_vintages`
    first when the two files come from different COG vintages.
    """
    source = source or populations.attrs.get("source", "populations")
    out = communes.drop(columns=["population", "population_standardisee"], errors="ignore").copy()
    pops = populations.set_index("code_commune")
    joined = pops.reindex(out["code_commune"])
    missing = joined["population"].isna().to_numpy()
    out["population"] = joined["population"].fillna(0.0).to_numpy()
    out["population_standardisee"] = joined["population_standardisee"].fillna(0.0).to_numpy()
    if "epci" in pops.columns:
        epci = joined["epci"].to_numpy()
        out["epci"] = np.where(pd.isna(epci), out.get("epci", pd.NA), epci)
    unmatched_pop = pops.index.difference(pd.Index(out["code_commune"]))
    if missing.any():
        codes = out.loc[missing, "code_commune"].tolist()
        warn(
            f"{source}: {len(codes)} commune(s) des contours sans population ({', '.join(codes[:10])}"
            f"{'…' if len(codes) > 10 else ''}); population comptée à 0."
        )
    out.attrs = dict(communes.attrs)
    out.attrs["communes_without_population"] = out.loc[missing, "code_commune"].tolist()
    out.attrs["population_rows_without_commune"] = list(unmatched_pop)
    return out
