"""Loading INSEE-style population tables and joining them to communes, with age-standardised demand."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import InputError, warn
from .._format import fr_int, fr_list
from ..settings import AGE_WEIGHTS
from ._columns import find_column, normalise_commune_codes, require_column, to_count
from ._left_out import LeftOutRecords
from ._tables import read_table
from .cog import (
    ARRONDISSEMENTS,
    CITIES_WITH_ARRONDISSEMENTS,
    VintageReport,
    arrondissements_to_communes,
    cities_split_into_arrondissements,
    former_codes_from_table,
    reconcile_vintages,
    resolve_codes,
)
from .communes import departement_of

log = logging.getLogger(__name__)

#: Row types of the COG tables kept as communes (the others: communes déléguées/associées, arrondissements).
CURRENT_COMMUNE_TYPES = ("commune-actuelle", "COM")
#: Row types of the arrondissements municipaux of Paris, Lyon and Marseille (COG tables; INSEE ``TYPECOM``).
ARRONDISSEMENT_TYPES = ("arrondissement-municipal", "ARM")

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
    arrondissements: Collection[str] = (),
) -> pd.DataFrame:
    """Load populations per commune from an INSEE-style CSV (``;`` or ``,``, UTF-8 or Windows-1252).

    Recognised columns: the commune code (``code_insee``, ``CODGEO``, ``COM``, ``DEPCOM``…), the population
    (``population``, ``PMUN``, ``PTOT``…), optionally the name, EPCI, ``anciens_codes`` (former codes merged
    into the commune, ``|``-separated) and age bands (``0-4`` … ``90+``, see :func:`age_band_columns`). Where
    the table lists several kinds of rows (``type`` = commune-actuelle, commune-deleguee...), only current
    communes are kept and the others counted.

    Paris, Lyon and Marseille (75056, 69123, 13055) are read at commune level, unless their code is in
    ``arrondissements``: then their arrondissements municipaux (751xx, 6938x, 132xx: ``type`` =
    ``arrondissement-municipal``) replace the city's row. A city listed only by its arrondissements is
    brought to commune level by adding them up (and told). Either way no inhabitant is counted twice.

    Parameters
    ----------
    path
        The table.
    code_column, population_column
        Force the columns holding the commune code and the population.
    sep, encoding
        Force the separator and the encoding (detected otherwise).
    arrondissements
        Codes of the cities (among 75056, 69123, 13055) to read by arrondissement, e.g. when the commune
        contours are by arrondissement (:func:`territoires.io.cog.cities_split_into_arrondissements`).

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
        keep = table[type_col].isin(CURRENT_COMMUNE_TYPES + ARRONDISSEMENT_TYPES)
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
        told: list[str] = []
        band_values = pd.DataFrame(
            {b: to_count(table[c], source=source, column=c, integer=False, told=told) for b, c in bands.items()},
            index=table.index,
        )
        if told:
            warn(
                f"{source}: tranches d'âge lues avec un séparateur de milliers (toutes les valeurs à virgule ou "
                f"point de la colonne s'écrivent 1,234) : {fr_list(told)}."
            )
        out["population_standardisee"] = standardised_population(band_values)
        band_total = band_values.sum(axis=1).to_numpy()
    left_out: list[dict] = []
    if pop_col is not None:
        out["population"] = to_count(table[pop_col], source=source, column=pop_col, allow_missing=True)
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
    # Inhabitants of every arrondissement municipal listed, kept aside even where the city is read whole: they
    # weigh a city that CPTS tables list by arrondissements.
    out, n_set_aside, by_arrondissement = _arrondissement_level(out, set(arrondissements), source=source)
    n_other += n_set_aside
    out = out.reset_index(drop=True)
    out.attrs["populations_arrondissements"] = by_arrondissement
    out.attrs["left_out"] = LeftOutRecords(left_out)
    out.attrs["age_standardised"] = bool(bands)
    out.attrs["other_rows"] = n_other
    out.attrs["source"] = source
    return out


def _arrondissement_level(
    out: pd.DataFrame, split: set[str], *, source: str
) -> tuple[pd.DataFrame, int, dict[str, float]]:
    """Keep Paris, Lyon, Marseille at one level: their arrondissements for cities in ``split``, else the city.

    Returns the table, the number of rows set aside (the other level, whose inhabitants are those kept) and the
    inhabitants of every arrondissement listed (code → count), whichever level is kept.
    """
    is_arrondissement = out["code_commune"].isin(list(ARRONDISSEMENTS))
    if not is_arrondissement.any():  # no arrondissement: nothing to map
        return out, 0, {}
    listed = out.loc[is_arrondissement]
    by_arrondissement = dict(zip(listed["code_commune"], listed["population"].astype(float), strict=True))
    parent = out["code_commune"].map(ARRONDISSEMENTS)
    drop = pd.Series(False, index=out.index)
    added = []
    for city in sorted(set(parent.dropna())):  # at most three cities
        arr = parent.eq(city)
        city_row = out["code_commune"].eq(city)
        if city in split:
            drop |= city_row
        elif city_row.any():
            drop |= arr
        else:
            rows = out.loc[arr]
            row = {c: rows[c].sum() for c in ("population", "population_standardisee") if c in rows}
            row |= {"code_commune": city, "nom": CITIES_WITH_ARRONDISSEMENTS[city]}
            if "anciens_codes" in rows:
                row["anciens_codes"] = ""
            added.append(pd.DataFrame([row], index=[rows.index[0]]))
            drop |= arr
            warn(
                f"{source}: {CITIES_WITH_ARRONDISSEMENTS[city]} ({city}) est donnée par ses {int(arr.sum())} "
                f"arrondissements municipaux : leurs populations sont additionnées ({fr_int(row['population'])} "
                "habitants) pour des contours au niveau de la commune.",
                stacklevel=4,
            )
    result = pd.concat([out.loc[~drop], *added]).sort_index(kind="stable")
    return result, int(drop.sum()) - len(added), by_arrondissement


def join_populations(
    communes: gpd.GeoDataFrame, populations: pd.DataFrame, *, source: str | None = None
) -> gpd.GeoDataFrame:
    """Return a copy of ``communes`` with ``population`` and ``population_standardisee`` from ``populations``.

    Where ``populations`` has names (``nom``), they replace the contours' names: the population table's COG is
    usually more recent than the contours' (names change too). Communes without a population row get a
    population of 0 and are reported; population rows without a commune are reported too (their inhabitants
    are not counted). Use :func:`territoires.io.cog.reconcile_vintages`
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
    if "nom" in pops.columns:
        # Names of today: the COG of the population table, not the contours' vintage (« L'Isle-Jourdain »).
        names = joined["nom"].to_numpy(dtype=object)
        current = out["nom"].to_numpy(dtype=object) if "nom" in out.columns else out["code_commune"].to_numpy()
        renamed = ~pd.isna(names) & (names != current)
        out["nom"] = np.where(pd.isna(names), current, names)
        log.info("%s: %d commune name(s) taken from the population table", source, int(renamed.sum()))
    unmatched_pop = sorted(set(pops.index.tolist()) - set(out["code_commune"].tolist()))  # as Index.difference
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


def communes_with_populations(
    communes: gpd.GeoDataFrame,
    population: str | Path,
    *,
    former_codes: Mapping[str, str] | None = None,
) -> tuple[gpd.GeoDataFrame, VintageReport, dict[str, str], float, pd.DataFrame]:
    """Bring commune contours and a population table to the same COG and level, and join them.

    Steps, each reported: former codes of the contours merged into their current commune (from the table's
    ``anciens_codes`` or ``former_codes``), Corsican codes of before 1976 (20xxx) included; Paris, Lyon and
    Marseille read at the level of the contours (arrondissements kept where the contours have them, else
    added up into the city); populations joined, with the names of the table's COG.

    Parameters
    ----------
    communes
        Contours as read by :func:`territoires.io.communes.communes_from_files`.
    population
        Population table (see :func:`populations_from_csv`).
    former_codes
        Former code → current code, overriding the table's ``anciens_codes``.

    Returns
    -------
    (communes, report, former_codes, population_outside, populations)
        The joined communes; what was done (:class:`~territoires.io.cog.VintageReport`, with the table's
        known codes for naming unknown codes later); the former-code mapping to locate practitioners
        (arrondissements of cities at commune level included); the inhabitants of the table outside the
        territory's départements; the population table read (its ``attrs["left_out"]``).
    """
    split = cities_split_into_arrondissements(communes["code_commune"])
    pops = populations_from_csv(population, arrondissements=split)
    codes_map = dict(former_codes or {})
    if not codes_map and "anciens_codes" in pops.columns:
        codes_map = former_codes_from_table(pops)
    cities = set(CITIES_WITH_ARRONDISSEMENTS) & (
        set(resolve_codes(communes["code_commune"], codes_map).tolist()) | split
    )
    codes_map = {**arrondissements_to_communes(cities - split), **codes_map}
    # The territory's départements are those of the current codes (a Corsican 20xxx contour is in 2A or 2B).
    current = resolve_codes(communes["code_commune"], codes_map)
    pop_departements = departement_of(pops["code_commune"])
    in_territory = pop_departements.isin(set(departement_of(current).drop_duplicates().tolist()))
    outside = float(pops.loc[~in_territory, "population"].sum())
    pops_here = pops.loc[in_territory]
    gdf, report = reconcile_vintages(communes, codes_map, current_codes=pd.Index(pops_here["code_commune"]))
    gdf = join_populations(gdf, pops_here, source=str(population))
    known = set(pops["code_commune"].tolist()) | set(codes_map) | set(ARRONDISSEMENTS)
    report = replace(
        report,
        repaired_geometries=int(communes.attrs.get("repaired_geometries", 0)),
        arrondissements={c: ("arrondissements" if c in split else "commune") for c in cities},
        known_codes=frozenset(known),
        known_departements=frozenset(pop_departements.drop_duplicates().tolist()),
    )
    return gdf, report, codes_map, outside, pops
