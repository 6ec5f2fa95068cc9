"""Existing CPTS perimeters and commune-to-commune care flows, as the catchment meshing consumes them.

A CPTS (communauté professionnelle territoriale de santé) covers a set of communes. Regional health agencies and
unions publish existing perimeters either as a table (one row per commune: CPTS name, optional identifier such as
its FINESS number, commune code) or as polygons drawn by hand. :func:`existing_cpts_from_file` reads both and
returns one row per commune of the studied territory assigned to an existing CPTS.

Care flows are counts of patients (or consultations) going from the commune where they live to the commune of the
practitioner they consult; :func:`flows_from_file` reads them as a long table ``origin``, ``destination``,
``flux``.

Like the other loaders, rows that cannot be used are listed in ``result.attrs["left_out"]`` (records with
``source``, ``ligne``, ``identifiant``, ``motif``) and summarised in one
:class:`~territoires.TerritoiresWarning`; they are never silently dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import InputError, warn
from .._format import fr_list, fr_pct
from ._columns import find_column, normalise_commune_codes, require_column, to_number
from ._left_out import left_out_records, warn_left_out
from ._tables import read_table
from .cog import ARRONDISSEMENTS, CITIES_WITH_ARRONDISSEMENTS, cities_split_into_arrondissements, resolve_codes
from .communes import metric_crs_for, repair_geometries

log = logging.getLogger(__name__)

__all__ = [
    "ASSIGN_SHARE",
    "CPTS_COLUMNS",
    "FLOW_COLUMNS",
    "PARTIAL_SHARE",
    "existing_cpts_from_file",
    "existing_cpts_from_frame",
    "existing_cpts_from_polygons",
    "cpts_perimeters_from_file",
    "flows_from_file",
    "flows_from_frame",
]

#: Columns of the existing CPTS table.
CPTS_COLUMNS = ("code_commune", "cpts_id", "cpts_nom")
#: Columns of the flow table.
FLOW_COLUMNS = ("origin", "destination", "flux")

#: A commune is assigned to the CPTS polygon covering at least this share of its area (and the largest share).
ASSIGN_SHARE = 0.5
#: Communes whose largest CPTS overlap is between this share and :data:`ASSIGN_SHARE` are reported as partial.
PARTIAL_SHARE = 0.1

#: Accepted names of the CPTS name column, most specific first (a generic ``nom`` comes last: it may be a
#: commune name in a table that also has a CPTS column).
CPTS_NAME_SYNONYMS = (
    "cpts",
    "cpts_nom",
    "nom_cpts",
    "libelle_cpts",
    "nom_de_la_cpts",
    "raison_sociale",
    "territoire",
    "nom",
    "libelle",
    "name",
)
#: Accepted names of the optional CPTS identifier column.
CPTS_ID_SYNONYMS = (
    "cpts_id",
    "id_cpts",
    "code_cpts",
    "identifiant_cpts",
    "finess",
    "finess_cpts",
    "num_finess",
    "numero_finess",
    "nofinesset",
)
#: Accepted names of the flow columns.
ORIGIN_SYNONYMS = (
    "origin",
    "origine",
    "commune_patient",
    "code_commune_patient",
    "com_patient",
    "com_res",
    "commune_residence",
    "code_commune_residence",
    "depcom_res",
    "codgeo_res",
    "from",
)
DESTINATION_SYNONYMS = (
    "destination",
    "dest",
    "commune_praticien",
    "code_commune_praticien",
    "com_praticien",
    "com_pds",
    "commune_pds",
    "commune_exercice",
    "code_commune_exercice",
    "com_ps",
    "to",
)
FLUX_SYNONYMS = (
    "flux",
    "flow",
    "nb_patients",
    "patients",
    "effectif",
    "consultations",
    "nb_consultations",
    "actes",
    "nb_actes",
    "nombre",
    "valeur",
    "value",
    "count",
)

_VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".fgb", ".zip"}
_PARQUET_SUFFIXES = {".parquet", ".geoparquet"}
_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}


# --------------------------------------------------------------------------------------------------------------
# Existing CPTS


def existing_cpts_from_file(
    path: str | Path,
    communes: gpd.GeoDataFrame,
    *,
    former_codes: Mapping[str, str] | None = None,
    min_share: float = ASSIGN_SHARE,
    allow_shared: bool = False,
    role: str = "CPTS existantes",
    arrondissement_populations: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Read existing CPTS perimeters from a table of communes or from polygons.

    Parameters
    ----------
    path
        Either a table (CSV separated by ``;``, ``,``, tab or ``|``; Parquet; Excel when ``openpyxl`` is installed)
        with a CPTS name column (``cpts``, ``cpts_nom``, ``nom_cpts``, ``nom``, ``libelle``...), an optional
        identifier column (``cpts_id``, ``id_cpts``, ``code_cpts``, ``finess``...) and a commune code column
        (``code_commune``, ``CODGEO``, ``INSEE_COM``...); or polygons (GeoJSON, GeoPackage, Shapefile,
        GeoParquet) with a name column, read by :func:`existing_cpts_from_polygons`.
    communes
        Communes of the studied territory (``code_commune``, polygons in a metric CRS, Lambert-93 in
        metropolitan France).
    former_codes
        Former commune code → current code (COG reconciliation): a CPTS table listing communes by an older code
        is brought to the current communes. When ``None``, ``communes.attrs["former_codes"]`` is used if present.
    min_share
        Polygons only: minimum share of a commune's area a CPTS polygon must cover to take the commune.
    allow_shared
        Tables only: accept a commune listed under several CPTS (a city shared below the commune level, as Nice
        among three CPTS) instead of raising; the result then has a ``part`` column (equal shares). Used to read
        perimeters to compare with (:func:`cpts_perimeters_from_file`), never to fix existing CPTS.
    role
        What the file is for, in French, in messages and warnings (``"CPTS existantes"``, or ``"périmètres de CPTS
        à comparer"`` for ``cpts --comparer``).
    arrondissement_populations
        Tables only: inhabitants of the arrondissements municipaux of Paris, Lyon and Marseille (code → count),
        to weigh the share of a city listed by arrondissements (column ``arrondissements``: INSEE codes such as
        ``13201|13202`` or numbers such as ``1er, 2e``) when the contours have the city as one commune. Without
        them the share follows the number of arrondissements, and a warning says so.

    Returns
    -------
    pandas.DataFrame
        Columns ``code_commune``, ``cpts_id``, ``cpts_nom`` (text), one row per commune of ``communes`` assigned
        to an existing CPTS, sorted by CPTS then commune. ``attrs["left_out"]`` lists the rows not used
        (commune absent from the territory, empty code or name...), ``attrs["source"]`` the file.

    Raises
    ------
    InputError
        Missing or empty file, missing columns, invalid commune codes, a commune listed in two CPTS.
    """
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise InputError(f"{source}: fichier introuvable ({role}).")
    frame_options = {
        "former_codes": former_codes,
        "source": source,
        "allow_shared": allow_shared,
        "role": role,
        "arrondissement_populations": arrondissement_populations,
    }
    if suffix in _EXCEL_SUFFIXES:
        return existing_cpts_from_frame(_read_excel(path, what=role), communes, **frame_options)
    if suffix in _VECTOR_SUFFIXES or suffix in _PARQUET_SUFFIXES:
        polygons = _read_vector_or_table(path, role=role)
        if isinstance(polygons, gpd.GeoDataFrame):
            return existing_cpts_from_polygons(polygons, communes, min_share=min_share, source=source, role=role)
        return existing_cpts_from_frame(polygons, communes, **frame_options)
    return existing_cpts_from_frame(read_table(path, what=role), communes, **frame_options)


def cpts_perimeters_from_file(
    path: str | Path,
    communes: gpd.GeoDataFrame,
    *,
    former_codes: Mapping[str, str] | None = None,
    min_share: float = ASSIGN_SHARE,
    arrondissement_populations: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Read CPTS perimeters to compare a proposal with (``territoires cpts --comparer``).

    The same formats as :func:`existing_cpts_from_file` (a table of communes per CPTS, or polygons), except that a
    commune listed under several CPTS of a table is accepted: it is shared among them (``part`` column), as a city
    split between CPTS below the commune level must be: by the inhabitants of the arrondissements each CPTS lists
    (Marseille among eight CPTS, column ``arrondissements``, with ``arrondissement_populations``), else equally
    (Nice among three CPTS).

    Returns
    -------
    pandas.DataFrame
        ``code_commune``, ``cpts_id``, ``cpts_nom``, ``part`` (share of the commune in the CPTS, 0-1).
    """
    result = existing_cpts_from_file(
        path,
        communes,
        former_codes=former_codes,
        min_share=min_share,
        allow_shared=True,
        role="périmètres de CPTS à comparer",
        arrondissement_populations=arrondissement_populations,
    )
    if "part" not in result.columns:
        result["part"] = 1.0
    return result


def existing_cpts_from_frame(
    table: pd.DataFrame,
    communes: gpd.GeoDataFrame | pd.DataFrame,
    *,
    former_codes: Mapping[str, str] | None = None,
    source: str = "CPTS existantes",
    name_column: str | None = None,
    id_column: str | None = None,
    code_column: str | None = None,
    allow_shared: bool = False,
    role: str = "CPTS existantes",
    arrondissement_populations: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Existing CPTS from an in-memory table with one row per (CPTS, commune).

    The CPTS is identified by its identifier column when there is one (its name then comes from the first row
    that has one), else by its name, which then also serves as ``cpts_id``.

    Rows are handled as follows:

    - empty commune code, or neither name nor identifier: left out;
    - former commune codes (``former_codes``, chains followed) are replaced by the current code;
    - a commune absent from ``communes`` (outside the studied territory, or an unknown code): left out, counted
      and reported in a warning that lists a few codes;
    - the same commune listed twice for the same CPTS: the repeat is left out;
    - the same commune listed for two different CPTS: :class:`InputError` naming the commune, both CPTS and the
      rows (a commune belongs to one CPTS), unless ``allow_shared``;
    - Paris, Lyon, Marseille listed with arrondissements municipaux (optional column ``arrondissements``: INSEE
      codes ``13201|13202`` or numbers ``1er, 2e``; a row coded by an arrondissement, ``13201``, counts the
      same): where the contours are by arrondissement, each arrondissement is assigned; where the city is one
      commune, the row stands for the share of the city its arrondissements hold (inhabitants, see
      ``arrondissement_populations``). An existing CPTS then takes the city if it holds at least half of it
      (:data:`ASSIGN_SHARE`), and every partial city is reported; the column filled for another commune is
      reported and ignored.

    Parameters
    ----------
    table
        One row per (CPTS, commune), columns as in :func:`existing_cpts_from_file`. Not modified.
    communes
        Communes of the studied territory, with ``code_commune``.
    former_codes
        Former commune code → current code; when ``None``, ``communes.attrs["former_codes"]`` is used if present.
    source
        Name of the table in messages.
    name_column, id_column, code_column
        Column names forced by the user (default: recognised among the usual synonyms).
    allow_shared
        Accept a commune listed under several CPTS (see :func:`existing_cpts_from_file`); adds ``part``.
    role
        What the table is for, in messages (see :func:`existing_cpts_from_file`).

    Returns
    -------
    pandas.DataFrame
        See :func:`existing_cpts_from_file`.
    """
    if table.shape[0] == 0:
        raise InputError(f"{source}: aucune ligne ({role}) ; une ligne par commune d'une CPTS était attendue.")
    known_codes = _commune_codes_of(communes)
    if former_codes is None:
        former_codes = communes.attrs.get("former_codes")
    code_col = require_column(table, "code_commune", source=source, column=code_column)
    id_col = id_column
    if id_col is None:
        id_col = find_column([c for c in table.columns if c != code_col], "cpts_id", synonyms=CPTS_ID_SYNONYMS)
    elif id_col not in table.columns:
        require_column(table, "cpts_id", source=source, column=id_col)
    name_candidates = table.drop(columns=[c for c in (code_col, id_col) if c is not None])
    name_col = name_column
    if name_col is None:
        name_col = find_column(name_candidates.columns, "cpts", synonyms=CPTS_NAME_SYNONYMS)
    elif name_col not in table.columns:
        require_column(table, "cpts", source=source, column=name_col)
    if name_col is None and id_col is None:
        msg = (
            f"{source}: colonne 'cpts' manquante (noms acceptés : {', '.join(CPTS_NAME_SYNONYMS)}; "
            f"ou un identifiant : {', '.join(CPTS_ID_SYNONYMS)}); colonnes présentes : "
            f"{', '.join(map(str, table.columns))}. Colonnes attendues : cpts (nom de la CPTS), code_commune."
        )
        raise InputError(msg)

    table = table.reset_index(drop=True)
    n = len(table)
    lines = np.arange(n) + 2  # header is line 1
    codes_raw = _clean_text(table[code_col])
    names = _clean_text(table[name_col]) if name_col is not None else pd.Series(pd.NA, index=table.index)
    ids = _clean_text(table[id_col]) if id_col is not None else pd.Series(pd.NA, index=table.index)
    if id_col is not None:
        ids = ids.str.replace(r"\.0$", "", regex=True)

    motif = pd.Series("", index=table.index, dtype=object)
    motif[codes_raw.isna()] = "code commune vide"
    motif[(motif == "") & names.isna() & ids.isna()] = "CPTS non renseignée (ni nom ni identifiant)"
    usable = (motif == "").to_numpy().copy()

    # Validate the full column (unusable rows masked with a valid placeholder) so that errors give file lines.
    codes = normalise_commune_codes(codes_raw.where(pd.Series(usable), "00000"), source=source, column=code_col)
    codes = codes.where(pd.Series(usable), None)
    resolved = codes
    n_former = 0
    if former_codes and usable.any():
        resolved = resolve_codes(codes, dict(former_codes)).where(pd.Series(usable), None)
        n_former = int((resolved[usable] != codes[usable]).sum())

    # Paris, Lyon, Marseille: rows may name arrondissements municipaux (a city shared between CPTS below the
    # commune level); each row becomes its atoms (arrondissements, or the commune itself), then its units at the
    # level of the contours with the fraction of the unit it covers.
    arr_col = find_column(
        [c for c in table.columns if c not in (code_col, id_col, name_col)],
        "arrondissements",
        synonyms=ARRONDISSEMENT_SYNONYMS,
    )
    atoms = _atoms(resolved, table[arr_col] if arr_col is not None else None, usable, lines, known_codes,
                   source=source, column=arr_col, lenient=allow_shared)  # fmt: skip
    key = (ids.where(ids.notna(), names) if id_col is not None else names).astype(object)
    names = names.where(names.notna(), key).astype(object)
    row = atoms["row"].to_numpy()
    frame = pd.DataFrame(
        {
            "code_commune": atoms["unit"].to_numpy(),
            "atom": atoms["atom"].to_numpy(),
            "fraction": 1.0,
            "cpts_id": key.to_numpy()[row],
            "cpts_nom": names.to_numpy()[row],
            "ligne": lines[row],
            "code_lu": codes.to_numpy()[row],
            "row": row,
            "in_city": (atoms["atom"] != atoms["unit"]).to_numpy(),
        }
    )
    used_populations = False
    if frame["in_city"].any():
        frame.loc[frame["in_city"], "fraction"], used_populations = _arrondissement_fractions(
            frame.loc[frame["in_city"], "atom"], arrondissement_populations
        )

    # A row is absent from the territory when none of its units is in it.
    known = frame["code_commune"].isin(known_codes).to_numpy()
    unknown = np.isin(np.arange(n), row[~known]) & ~np.isin(np.arange(n), row[known])
    read, now = codes[unknown].astype(str), resolved[unknown].astype(str)
    shown = read.where(read == now, read + "→" + now)
    motif[unknown] = "commune absente du territoire étudié (" + shown + ")"
    usable &= ~unknown
    frame = frame.loc[known]
    _check_consistent_names(frame, source=source, id_col=id_col)
    # The same commune (or arrondissement) listed twice for the same CPTS: the repeat is left out; a row is
    # reported when nothing of it is left.
    twice = frame.duplicated(["atom", "cpts_id"], keep="first").to_numpy()
    frame = frame.loc[~twice]
    repeat = np.setdiff1d(np.flatnonzero(usable), frame["row"].unique())
    motif[repeat] = "commune en double dans la même CPTS"
    usable[repeat] = False
    units = frame.groupby(["code_commune", "cpts_id"], sort=False, as_index=False).agg(
        fraction=("fraction", "sum"),
        cpts_nom=("cpts_nom", "first"),
        ligne=("ligne", "first"),
        code_lu=("code_lu", "first"),
        arrondissements=("in_city", "sum"),
    )
    units["fraction"] = units["fraction"].clip(upper=1.0)
    if not allow_shared:  # before any warning: a refused file says only why
        _check_single_membership(units, source=source)
    partial = (units["arrondissements"] > 0) & (units["fraction"] < 1 - 1e-9)
    if partial.any() and not used_populations:
        warn(
            f"{source}: populations des arrondissements municipaux inconnues : la part de chaque CPTS dans "
            f"{fr_list(sorted(set(units.loc[partial, 'code_commune'])))} est comptée au nombre d'arrondissements "
            "(donnez le fichier des populations pour des parts en habitants).",
            stacklevel=3,
        )
    if not allow_shared:
        # A CPTS covering only some arrondissements of a city whose contours are at commune level takes the
        # commune if it covers at least half of it (the rule of polygons), and is reported either way.
        low = (partial & (units["fraction"] < ASSIGN_SHARE)).to_numpy()
        if partial.any():
            listed = fr_list(
                f"{c} dans {n!r} ({fr_pct(f, 0)})"
                for c, n, f in zip(
                    *(units.loc[partial, k] for k in ("code_commune", "cpts_nom", "fraction")), strict=True
                )
            )
            warn(
                f"{source}: {int(partial.sum())} commune(s) couverte(s) en partie par les arrondissements d'une CPTS "
                f"({listed}) ; contours au niveau de la commune : rattachée(s) à la CPTS si elle en couvre au moins "
                f"{fr_pct(ASSIGN_SHARE, 0)}, sinon à aucune ({int(low.sum())}).",
                stacklevel=3,
            )
        if low.any():
            gone = frame.set_index(["code_commune", "cpts_id"]).index.isin(
                pd.MultiIndex.from_frame(units.loc[low, ["code_commune", "cpts_id"]])
            )
            rows = np.setdiff1d(frame.loc[gone, "row"].unique(), frame.loc[~gone, "row"].unique())
            motif[rows] = "arrondissements couvrant moins de la moitié de la commune (contours au niveau de la commune)"
            usable[rows] = False
            units = units.loc[~low]

    # Name of each CPTS: the first non-empty one of its rows.
    first_name = frame.groupby("cpts_id", sort=False)["cpts_nom"].first()
    result = units[["code_commune", "cpts_id"]].copy()
    result["cpts_nom"] = result["cpts_id"].map(first_name)
    fraction = units.set_index(["code_commune", "cpts_id"])["fraction"]
    result = _finish(result)
    if allow_shared:
        # Share of the commune in each CPTS: the arrondissements' fractions where given, else equal shares;
        # a commune listed more than whole (Nice in three CPTS) is divided among them.
        f = fraction.reindex(pd.MultiIndex.from_frame(result[["code_commune", "cpts_id"]])).to_numpy(dtype=float)
        total = pd.Series(f).groupby(result["code_commune"].to_numpy()).transform("sum").to_numpy()
        result["part"] = f / np.maximum(total, 1.0)

    dropped = motif != ""
    records = left_out_records(source, lines[dropped.to_numpy()], codes_raw[dropped], motif[dropped])
    result.attrs["source"] = source
    result.attrs["left_out"] = records
    result.attrs["anciens_codes_remplaces"] = n_former
    result.attrs["cpts"] = int(result["cpts_id"].nunique())
    if unknown.any():
        sample = ", ".join(sorted(set(resolved[unknown].astype(str)))[:5])
        warn(
            f"{source}: {int(unknown.sum())} commune(s) des {role} absente(s) du territoire étudié "
            f"(ex. {sample}) ; elles sont ignorées.",
            stacklevel=3,
        )
    warn_left_out([r for r in records if not r["motif"].startswith("commune absente")], source=source, total=n)
    log.info(
        "%s: %d CPTS, %d communes, %d former codes replaced, %d rows left out",
        source,
        result.attrs["cpts"],
        len(result),
        n_former,
        len(records),
    )
    return result


#: Accepted names of the optional column of arrondissements municipaux (Paris, Lyon, Marseille shared between CPTS).
ARRONDISSEMENT_SYNONYMS = (
    "arrondissements",
    "arrondissement",
    "arrondissements_municipaux",
    "arrondissement_municipal",
    "codes_arrondissements",
    "code_arrondissement",
    "arm",
)
_ORDINAL = re.compile(r"^(\d{1,2})(?:er|re|e|eme|ème|è)?$")
_NOISE = re.compile(r"(?i)\b(?:arrondissements?|arrdt|arrt|ardt|arr\.?|paris|lyon|marseille)\b")


def _arrondissement_codes(cell: str, city: str, *, where: str) -> list[str]:
    """Read the arrondissements of ``city`` named in one cell: INSEE codes (``13201``) or numbers (``1er``, ``2e``).

    >>> _arrondissement_codes("13201|13202", "13055", where="")
    ['13201', '13202']
    >>> _arrondissement_codes("1er, 7e et 8e arrondissements", "69123", where="")
    ['69381', '69387', '69388']
    """
    text = _NOISE.sub(" ", str(cell)).replace(" et ", " ")
    own = {a for a, c in ARRONDISSEMENTS.items() if c == city}
    out = []
    for token in re.split(r"[|;,/+\s]+", text.strip()):
        if not token:
            continue
        if token in own:
            out.append(token)
            continue
        if re.fullmatch(r"\d{9}", token) and token[:5] in own:  # an IRIS code: its arrondissement
            out.append(token[:5])
            continue
        number = _ORDINAL.match(token.lower())
        code = None
        if number:
            n = int(number.group(1))
            code = {"75056": f"751{n:02d}", "69123": f"6938{n}", "13055": f"132{n:02d}"}[city]
        if code not in own:
            name = CITIES_WITH_ARRONDISSEMENTS[city]
            first, last = min(own), max(own)
            raise InputError(
                f"{where} : arrondissement {token!r} illisible pour {name} ({city}) ; attendu des codes {first} à "
                f"{last} ou des numéros 1 à {len(own)}, séparés par « | », « , » ou « ; »."
            )
        out.append(code)
    return list(dict.fromkeys(out))


def _atoms(
    resolved: pd.Series,
    cells: pd.Series | None,
    usable: np.ndarray,
    lines: np.ndarray,
    known_codes: pd.Index,
    *,
    source: str,
    column: str | None,
    lenient: bool = False,
) -> pd.DataFrame:
    """Split each usable row into its atoms (the commune, or arrondissements of Paris, Lyon, Marseille) and units.

    Returns ``row``, ``atom`` and ``unit`` (the code at the level of the contours: the arrondissement where the
    contours have the city's arrondissements, else the city). Cells naming arrondissements of other communes are
    reported and ignored. An unreadable cell raises :class:`InputError`, or with ``lenient`` (perimeters to
    compare with, a score rather than the perimeters kept by the meshing) is reported and the row counts for the
    whole city.
    """
    rows = np.flatnonzero(usable)
    codes = resolved.to_numpy(dtype=object)[rows].astype(str)
    city_of = np.where(
        np.isin(codes, list(CITIES_WITH_ARRONDISSEMENTS)), codes, pd.Series(codes).map(ARRONDISSEMENTS).fillna("")
    ).astype(str)
    # A city outside the studied territory is left as it is (the row is reported absent, its cell not read).
    here = set(known_codes) | cities_split_into_arrondissements(known_codes)
    city_of = np.where(np.isin(city_of, list(here)), city_of, "")
    plain = city_of == ""
    parts = [pd.DataFrame({"row": rows[plain], "atom": codes[plain], "unit": codes[plain]})]
    filled = (
        cells.astype("string").str.strip().fillna("").to_numpy(dtype=object)[rows]
        if cells is not None
        else np.full(len(rows), "", dtype=object)
    )
    ignored = plain & (filled != "") & np.isin(codes, list(known_codes))
    if ignored.any():
        warn(
            f"{source}: colonne {column!r} renseignée pour {int(ignored.sum())} ligne(s) dont la commune n'a pas "
            f"d'arrondissements municipaux ({fr_list(f'ligne {n}' for n in lines[rows[ignored]])}) : ignorée, la "
            "commune est comptée entière (partagée à parts égales si plusieurs CPTS la citent).",
            stacklevel=4,
        )
    split = cities_split_into_arrondissements(known_codes)
    unreadable = []
    for i in np.flatnonzero(~plain):  # Paris, Lyon, Marseille rows only: a handful
        city, code = city_of[i], codes[i]
        where = f"{source}: ligne {lines[rows[i]]}, colonne {column!r}"
        try:
            named = _arrondissement_codes(filled[i], city, where=where) if filled[i] else []
        except InputError as exc:
            if not lenient:
                raise
            unreadable.append(str(exc).split(" : ", 1)[1].split(" ; ")[0] + f" (ligne {lines[rows[i]]})")
            named = []
        if code != city:
            named = named or [code]
        if not named:  # the whole city
            named = sorted(a for a, c in ARRONDISSEMENTS.items() if c == city)
        units = named if city in split else [city] * len(named)
        parts.append(pd.DataFrame({"row": rows[i], "atom": named, "unit": units}))
    if unreadable:
        warn(
            f"{source}: colonne {column!r} illisible sur {len(unreadable)} ligne(s) ({fr_list(unreadable)}) : ces "
            "lignes comptent pour la ville entière (partagée à parts égales avec les autres CPTS qui la citent).",
            stacklevel=4,
        )
    return pd.concat(parts, ignore_index=True).sort_values("row", kind="stable").reset_index(drop=True)


def _arrondissement_fractions(atoms: pd.Series, populations: Mapping[str, float] | None) -> tuple[np.ndarray, bool]:
    """Fraction of its city each arrondissement stands for: its share of the inhabitants, else of the count.

    Returns the fractions and whether populations were used (all the arrondissements of every city concerned
    must have one).
    """
    city = atoms.map(ARRONDISSEMENTS)
    if populations:
        pops = pd.Series(populations, dtype=float)
        members = pd.Series(ARRONDISSEMENTS)
        members = members[members.isin(set(city))]
        own = pops.reindex(members.index)
        if own.notna().all() and (own.groupby(members).sum() > 0).all():
            totals = own.groupby(members).sum()
            return (own.reindex(atoms).to_numpy() / totals.reindex(city).to_numpy()), True
    counts = pd.Series(ARRONDISSEMENTS).value_counts()
    return 1.0 / counts.reindex(city).to_numpy(dtype=float), False


def existing_cpts_from_polygons(
    polygons: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    *,
    min_share: float = ASSIGN_SHARE,
    source: str = "CPTS existantes",
    name_column: str | None = None,
    id_column: str | None = None,
    role: str = "CPTS existantes",
) -> pd.DataFrame:
    """Assign communes to existing CPTS drawn as polygons.

    Rule: the polygons of each CPTS (grouped by identifier, else name) are dissolved and intersected with the
    commune polygons in the communes' CRS; each commune goes to the CPTS covering the largest share of its area,
    provided that share is at least ``min_share`` (50 % by default). CPTS perimeters are drawn along commune
    boundaries, so a correct polygon covers its communes almost entirely (> 95 %) and its neighbours only along
    digitising slivers; 50 % separates the two whatever the drawing precision. Communes whose largest share is
    between 10 % and ``min_share`` are counted and reported in a warning as partially covered (a perimeter that
    cuts a commune, or a polygon drawn coarsely); they stay outside any existing CPTS. A commune covered by at
    least ``min_share`` by two different CPTS (overlapping polygons) raises an :class:`InputError`.

    Parameters
    ----------
    polygons
        CPTS polygons with a name column (``cpts``, ``nom``, ``libelle``...) and an optional identifier column
        (``cpts_id``, ``finess``...), with a CRS. Not modified.
    communes
        Communes of the studied territory (``code_commune``, polygons, metric CRS).
    min_share
        Minimum share (0-1] of a commune's area covered by one CPTS for the commune to be assigned to it.
    source
        Name of the layer in messages.
    name_column, id_column
        Column names forced by the user.
    role
        What the polygons are for, in messages (see :func:`existing_cpts_from_file`).

    Returns
    -------
    pandas.DataFrame
        See :func:`existing_cpts_from_file`; ``attrs["part_couverte"]`` gives, for every assigned or partially
        covered commune, the largest share of its area covered by one CPTS, ``attrs["couverture_partielle"]``
        the codes of the partially covered communes. ``attrs["left_out"]`` lists the polygons (``ligne`` = feature
        number, from 1) that take no commune.
    """
    if not 0.0 < min_share <= 1.0:
        raise InputError(f"{source}: part minimale de recouvrement {min_share!r} invalide ; attendue dans ]0, 1].")
    if len(polygons) == 0:
        raise InputError(f"{source}: aucun polygone ({role}).")
    if polygons.crs is None:
        raise InputError(f"{source}: système de coordonnées absent ; impossible de superposer CPTS et communes.")
    if not isinstance(communes, gpd.GeoDataFrame) or communes.crs is None:
        raise InputError("communes : contours avec système de coordonnées requis pour lire des CPTS en polygones.")
    require_column(communes, "code_commune", source="communes", column="code_commune")
    attributes = pd.DataFrame(polygons.drop(columns=polygons.geometry.name))
    id_col = id_column or find_column(attributes.columns, "cpts_id", synonyms=CPTS_ID_SYNONYMS)
    rest = [c for c in attributes.columns if c != id_col]
    name_col = name_column or find_column(rest, "cpts", synonyms=CPTS_NAME_SYNONYMS)
    if name_col is None and id_col is None:
        msg = (
            f"{source}: colonne 'cpts' manquante (noms acceptés : {', '.join(CPTS_NAME_SYNONYMS)}); "
            f"colonnes présentes : {', '.join(map(str, attributes.columns))}."
        )
        raise InputError(msg)
    for col in (name_col, id_col):
        if col is not None and col not in attributes.columns:
            require_column(attributes, "cpts", source=source, column=col)

    n = len(polygons)
    features = np.arange(n) + 1
    names = _clean_text(attributes[name_col]) if name_col else pd.Series(pd.NA, index=attributes.index)
    ids = _clean_text(attributes[id_col]) if id_col else pd.Series(pd.NA, index=attributes.index)
    key = (ids.where(ids.notna(), names) if id_col else names).astype(object)
    names = names.where(names.notna(), key)
    geometry = polygons.geometry.reset_index(drop=True).set_axis(attributes.index)
    motif = pd.Series("", index=attributes.index, dtype=object)
    motif[key.isna()] = "CPTS non renseignée (ni nom ni identifiant)"
    empty = geometry.isna() | geometry.is_empty
    motif[(motif == "") & empty] = "géométrie vide"
    kinds = geometry.geom_type
    not_polygon = (motif == "") & ~kinds.isin(["Polygon", "MultiPolygon"])
    if not_polygon.any():
        found = ", ".join(sorted(set(kinds[not_polygon].astype(str))))
        raise InputError(f"{source}: géométries de type {found} ; des polygones (périmètres de CPTS) étaient attendus.")
    usable = motif == ""

    geom = geometry[usable].to_crs(communes.crs).make_valid()
    shapes = gpd.GeoDataFrame({"cpts_id": key[usable].to_numpy()}, geometry=geom.to_numpy(), crs=communes.crs)
    shapes = shapes.dissolve(by="cpts_id", sort=True).reset_index()
    first_name = pd.DataFrame({"k": key[usable], "n": names[usable]}).groupby("k", sort=False)["n"].first()

    cgeom = communes.geometry.make_valid()
    carea = np.asarray(shapely.area(cgeom.to_numpy()))
    ccodes = communes["code_commune"].astype(str).to_numpy()
    tree = shapely.STRtree(cgeom.to_numpy())
    shape_idx, commune_idx = tree.query(shapes.geometry.to_numpy(), predicate="intersects")
    inter = shapely.area(shapely.intersection(shapes.geometry.to_numpy()[shape_idx], cgeom.to_numpy()[commune_idx]))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(carea[commune_idx] > 0, inter / carea[commune_idx], 0.0)
    pairs = pd.DataFrame(
        {"code_commune": ccodes[commune_idx], "cpts_id": shapes["cpts_id"].to_numpy()[shape_idx], "share": share}
    )
    pairs = pairs.groupby(["code_commune", "cpts_id"], as_index=False, sort=True)["share"].sum()
    pairs = pairs.sort_values(["code_commune", "share", "cpts_id"], ascending=[True, False, True], kind="stable")

    strong = pairs.loc[pairs["share"] >= min_share]
    twice = strong["code_commune"].duplicated(keep=False)
    if twice.any():
        conflicts = strong.loc[twice].groupby("code_commune")
        details = "; ".join(
            f"commune {code} : "
            + " et ".join(f"{c!r} ({fr_pct(s, 0)})" for c, s in zip(g["cpts_id"], g["share"], strict=True))
            for code, g in list(conflicts)[:5]
        )
        msg = (
            f"{source}: {conflicts.ngroups} commune(s) couvertes à plus de {fr_pct(min_share, 0)} par deux CPTS "
            f"(polygones qui se recouvrent) : {details}. Une commune appartient à une seule CPTS ; corrigez les "
            "périmètres."
        )
        raise InputError(msg)
    best = pairs.drop_duplicates("code_commune", keep="first")
    assigned = best.loc[best["share"] >= min_share]
    partial = best.loc[(best["share"] >= PARTIAL_SHARE) & (best["share"] < min_share)]

    result = assigned[["code_commune", "cpts_id"]].copy()
    result["cpts_nom"] = result["cpts_id"].map(first_name)
    result = _finish(result)

    taken = set(result["cpts_id"])
    no_commune = usable & ~key.isin(taken)
    motif[no_commune] = "CPTS sans commune du territoire étudié (aucune couverte à 50 % ou plus)"
    dropped = motif != ""
    records = left_out_records(source, features[dropped.to_numpy()], key[dropped], motif[dropped])
    result.attrs["source"] = source
    result.attrs["left_out"] = records
    result.attrs["cpts"] = int(result["cpts_id"].nunique())
    result.attrs["part_couverte"] = dict(
        zip(
            best.loc[best["share"] >= PARTIAL_SHARE, "code_commune"],
            best.loc[best["share"] >= PARTIAL_SHARE, "share"],
            strict=True,
        )
    )
    result.attrs["couverture_partielle"] = partial["code_commune"].tolist()
    if len(partial):
        sample = ", ".join(
            f"{c} ({fr_pct(s, 0)})" for c, s in zip(partial["code_commune"][:5], partial["share"][:5], strict=True)
        )
        warn(
            f"{source}: {len(partial)} commune(s) partiellement couverte(s) par une CPTS ({role} ; entre "
            f"{fr_pct(PARTIAL_SHARE, 0)} et {fr_pct(min_share, 0)} de leur surface, ex. {sample}) ; elles ne sont "
            f"rattachées à aucune de ces CPTS ; {len(result)} commune(s) rattachée(s).",
            stacklevel=3,
        )
    warn_left_out(records, source=source, total=n)
    log.info("%s: %d CPTS polygons, %d communes assigned, %d partial", source, n, len(result), len(partial))
    return result


# --------------------------------------------------------------------------------------------------------------
# Flows


def flows_from_file(path: str | Path) -> pd.DataFrame:
    """Read a commune-to-commune care flow table.

    Parameters
    ----------
    path
        CSV (separator and encoding detected) or Parquet with three columns: the patients' commune (``origin``,
        ``origine``, ``commune_patient``, ``code_commune_patient``, ``com_res``...), the commune of the
        practitioner consulted (``destination``, ``commune_praticien``, ``com_pds``...) and the flow
        (``flux``, ``flow``, ``nb_patients``, ``effectif``, ``consultations``, ``actes``...: patients or
        consultations over the period of the source).

    Returns
    -------
    pandas.DataFrame
        See :func:`flows_from_frame`.
    """
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise InputError(f"{source}: fichier introuvable (flux de patients).")
    if suffix in _PARQUET_SUFFIXES:
        try:
            table = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many types for unreadable files
            raise InputError(f"{source}: fichier Parquet illisible ({exc}).") from exc
    elif suffix in _EXCEL_SUFFIXES:
        table = _read_excel(path, what="flux de patients")
    else:
        table = read_table(path, what="flux de patients")
    return flows_from_frame(table, source=source)


def flows_from_frame(
    table: pd.DataFrame,
    *,
    source: str = "flux de patients",
    origin_column: str | None = None,
    destination_column: str | None = None,
    flux_column: str | None = None,
) -> pd.DataFrame:
    """Validate a commune-to-commune care flow table held in memory.

    Commune codes are normalised to 5 characters of text (``1001`` → ``"01001"``). Rows with an empty code or an
    empty flow are left out and reported. A flow that is not a number or is negative raises an
    :class:`InputError` naming the rows. Pairs listed more than once (e.g. one row per profession or per year)
    are summed and their number reported. Codes are not checked against the communes here: the meshing matches
    them to its territory.

    Parameters
    ----------
    table
        One row per (origin, destination) pair. Not modified.
    source
        Name of the table in messages.
    origin_column, destination_column, flux_column
        Column names forced by the user (default: recognised among the usual synonyms).

    Returns
    -------
    pandas.DataFrame
        Columns ``origin``, ``destination`` (str, INSEE codes), ``flux`` (float >= 0), one row per pair, sorted.
        ``attrs["left_out"]`` lists unusable rows, ``attrs["doublons_additionnes"]`` the number of rows merged
        into an earlier row of the same pair.
    """
    if table.shape[0] == 0:
        raise InputError(f"{source}: aucune ligne (flux de patients) ; colonnes origin, destination, flux attendues.")
    ocol = require_column(table, "origin", source=source, column=origin_column, synonyms=ORIGIN_SYNONYMS)
    dcol = require_column(table, "destination", source=source, column=destination_column, synonyms=DESTINATION_SYNONYMS)
    fcol = require_column(table, "flux", source=source, column=flux_column, synonyms=FLUX_SYNONYMS)
    n = len(table)
    frame = table[[ocol, dcol, fcol]].reset_index(drop=True)
    lines = np.arange(n) + 2
    origin = _clean_text(frame[ocol])
    destination = _clean_text(frame[dcol])
    flux_text = _clean_text(frame[fcol].astype(object).where(frame[fcol].notna(), None).astype("string"))

    motif = pd.Series("", index=frame.index, dtype=object)
    motif[origin.isna()] = "commune d'origine vide"
    motif[(motif == "") & destination.isna()] = "commune de destination vide"
    motif[(motif == "") & flux_text.isna()] = "flux vide"
    usable = (motif == "").to_numpy().copy()

    # Validate on full-length columns (blank rows masked with a valid placeholder) so that messages give the
    # true line numbers of the file.
    placeholder_code = origin.where(pd.Series(usable), "00000")
    o = normalise_commune_codes(placeholder_code, source=source, column=ocol)
    d = normalise_commune_codes(destination.where(pd.Series(usable), "00000"), source=source, column=dcol)
    flux = to_number(flux_text.where(pd.Series(usable), "0"), source=source, column=fcol)
    negative = usable & (flux.to_numpy() < 0)
    if negative.any():
        rows = ", ".join(f"ligne {i + 2} : {flux_text[i]!r}" for i in np.flatnonzero(negative)[:5])
        msg = (
            f"{source}: colonne {fcol!r} : {int(negative.sum())} flux négatif(s) ({rows}); un flux >= 0 était attendu."
        )
        raise InputError(msg)
    if not np.isfinite(flux.to_numpy()[usable]).all():
        bad = usable & ~np.isfinite(flux.to_numpy())
        rows = ", ".join(f"ligne {i + 2} : {flux_text[i]!r}" for i in np.flatnonzero(bad)[:5])
        raise InputError(f"{source}: colonne {fcol!r} : flux infini(s) ({rows}); un nombre fini était attendu.")

    kept = pd.DataFrame({"origin": o[usable], "destination": d[usable], "flux": flux[usable]})
    n_repeats = int(kept.duplicated(["origin", "destination"]).sum())
    result = kept.groupby(["origin", "destination"], as_index=False, sort=True)["flux"].sum()
    result["origin"] = result["origin"].astype(object)
    result["destination"] = result["destination"].astype(object)
    result["flux"] = result["flux"].astype(float)

    dropped = ~usable
    idents = (origin.fillna("") + "→" + destination.fillna("")).astype(object)
    records = left_out_records(source, lines[dropped], idents[dropped], motif[dropped])
    result.attrs["source"] = source
    result.attrs["left_out"] = records
    result.attrs["doublons_additionnes"] = n_repeats
    if n_repeats:
        warn(
            f"{source}: {n_repeats} ligne(s) répètent un couple origine–destination déjà lu ; leurs flux sont "
            f"additionnés ({len(result)} couple(s) distinct(s)).",
            stacklevel=3,
        )
    warn_left_out(records, source=source, total=n)
    log.info("%s: %d pairs, total flow %.1f, %d repeats summed", source, len(result), result["flux"].sum(), n_repeats)
    return result


# --------------------------------------------------------------------------------------------------------------
# Helpers


def _finish(result: pd.DataFrame) -> pd.DataFrame:
    """Sort and type the CPTS table."""
    out = pd.DataFrame(
        {
            "code_commune": result["code_commune"].astype(str).to_numpy(dtype=object),
            "cpts_id": result["cpts_id"].astype(str).to_numpy(dtype=object),
            "cpts_nom": result["cpts_nom"].astype(str).to_numpy(dtype=object),
        }
    )
    return out.sort_values(["cpts_id", "code_commune"], kind="stable").reset_index(drop=True)


def _clean_text(values: pd.Series) -> pd.Series:
    """Strip text; empty strings become missing."""
    text = values.astype("string").str.strip()
    return text.where(text != "", pd.NA)


def _commune_codes_of(communes: pd.DataFrame) -> pd.Index:
    if "code_commune" not in communes.columns:
        raise InputError("communes : colonne 'code_commune' manquante pour rattacher les CPTS existantes.")
    return pd.Index(communes["code_commune"].astype(str).unique())


def _check_consistent_names(kept: pd.DataFrame, *, source: str, id_col: str | None) -> None:
    """Raise when one identifier carries two different names (a copy-paste error would merge two CPTS)."""
    if id_col is None:
        return
    named = kept.loc[kept["cpts_nom"].notna() & (kept["cpts_nom"] != kept["cpts_id"])]
    counts = named.groupby("cpts_id")["cpts_nom"].nunique()
    bad = counts.index[counts > 1]
    if len(bad):
        details = "; ".join(
            f"{i!r} : " + ", ".join(repr(v) for v in named.loc[named["cpts_id"] == i, "cpts_nom"].unique()[:3])
            for i in bad[:3]
        )
        msg = f"{source}: {len(bad)} identifiant(s) de CPTS ({id_col!r}) portent plusieurs noms ({details})."
        raise InputError(msg)


def _check_single_membership(kept: pd.DataFrame, *, source: str) -> None:
    """Raise when a commune is in two CPTS, naming the commune, both CPTS and the rows."""
    per_commune = kept.groupby("code_commune")["cpts_id"].nunique()
    conflicted = per_commune.index[per_commune > 1]
    if not len(conflicted):
        return
    parts = []
    for code in conflicted[:5]:
        rows = kept.loc[kept["code_commune"] == code].drop_duplicates("cpts_id")
        listed = " et ".join(
            f"{nom!r} (ligne {ligne}{'' if lu == code else f', code {lu}'})"
            for nom, ligne, lu in zip(rows["cpts_nom"], rows["ligne"], rows["code_lu"], strict=True)
        )
        parts.append(f"commune {code} dans {listed}")
    msg = (
        f"{source}: {len(conflicted)} commune(s) rattachée(s) à deux CPTS différentes : {'; '.join(parts)}. "
        "Une commune appartient à une seule CPTS ; corrigez le fichier."
    )
    cities = [CITIES_WITH_ARRONDISSEMENTS[c] for c in conflicted if c in CITIES_WITH_ARRONDISSEMENTS]
    if cities:
        msg += (
            f" {fr_list(cities)} : si ces CPTS se partagent la ville par arrondissements (colonne arrondissements), "
            "donnez des contours par arrondissement municipal (couche ARRONDISSEMENT_MUNICIPAL d'Admin Express) "
            "à la place de la commune."
        )
    raise InputError(msg)


def _read_vector_or_table(path: Path, *, role: str = "CPTS existantes") -> gpd.GeoDataFrame | pd.DataFrame:
    """Read a vector file (or a GeoParquet); a Parquet without geometry comes back as a plain table."""
    source = str(path)
    try:
        if path.suffix.lower() in _PARQUET_SUFFIXES:
            try:
                return gpd.read_parquet(path)
            except ValueError as exc:
                if "geo" not in str(exc).lower():
                    raise
                return pd.read_parquet(path)
        frame = gpd.read_file(path, engine="pyogrio")
    except InputError:
        raise
    except Exception as exc:  # pyogrio/arrow raise many types for unreadable files
        raise InputError(f"{source}: fichier illisible ({role}) : {exc}") from exc
    if frame.geometry.isna().all():
        return pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return frame


def _read_excel(path: Path, *, what: str) -> pd.DataFrame:
    try:
        import openpyxl  # noqa: F401
    except ImportError as exc:
        msg = f"{path}: lecture des classeurs Excel indisponible ({what}) ; enregistrez la feuille en CSV (;)."
        raise InputError(msg) from exc
    try:
        return pd.read_excel(path, dtype=str)
    except Exception as exc:  # openpyxl raises many types
        raise InputError(f"{path}: classeur illisible ({what}) : {exc}") from exc


#: Column synonyms of infra-communal units (IGN CONTOURS-IRIS, INSEE infra-communal bases).
_UNIT_CODE = ("code_unite", "CODE_IRIS", "code_iris", "iris_code", "DCOMIRIS")
_UNIT_COMMUNE = ("code_commune", "INSEE_COM", "DEPCOM", "COM", "CODGEO", "code_insee")
_UNIT_NAME = ("nom_unite", "NOM_IRIS", "nom_iris", "LIBIRIS", "nom")
_UNIT_POPULATION = ("population", "pop", "P21_POP", "P20_POP", "P19_POP", "P18_POP", "P17_POP", "PMUN", "PTOT")


def infra_units_from_file(path: str | Path) -> gpd.GeoDataFrame:
    """Read infra-communal units (IRIS) with their populations, to split communes above the CPTS ceiling.

    Parameters
    ----------
    path
        Polygons (GeoPackage, GeoJSON, Shapefile, GeoParquet) such as IGN CONTOURS-IRIS joined with the INSEE
        population of each IRIS: a unit code (``CODE_IRIS``…), the commune code (``INSEE_COM``…), a name
        (``NOM_IRIS``…, optional) and a population column (``population``, ``P21_POP``…).

    Returns
    -------
    geopandas.GeoDataFrame
        ``code_unite``, ``code_commune`` (5 characters), ``nom_unite``, ``population`` (float) and polygons in
        Lambert-93 (or the local overseas CRS).

    Raises
    ------
    InputError
        Missing column, empty file, no CRS, non-numeric or negative population, duplicate unit codes.
    """
    path = Path(path)
    source = str(path)
    try:
        raw = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - any reading error becomes one clear message
        raise InputError(f"{source} : lecture impossible des unités infra-communales ({exc}).") from exc
    if len(raw) == 0:
        raise InputError(f"{source} : aucune unité infra-communale (fichier vide).")
    if raw.crs is None:
        raise InputError(
            f"{source} : système de coordonnées inconnu (attendu un fichier géoréférencé, ex. Lambert-93)."
        )
    code = require_column(raw, "code_unite", source=source, synonyms=_UNIT_CODE)
    commune = require_column(raw, "code_commune", source=source, synonyms=_UNIT_COMMUNE)
    pop_col = require_column(raw, "population", source=source, synonyms=_UNIT_POPULATION)
    name = find_column(raw.columns, "nom_unite", synonyms=_UNIT_NAME)
    codes = raw[code].astype("string").str.strip()
    dup = codes.duplicated(keep=False)
    if dup.any():
        rows = ", ".join(f"ligne {i + 2} : {codes[i]}" for i in list(codes.index[dup])[:4])
        raise InputError(f"{source} : colonne {code!r} : codes d'unité en double ({rows}).")
    population = to_number(raw[pop_col], source=source, column=pop_col)
    if (population < 0).any():
        i = int(np.flatnonzero((population < 0).to_numpy())[0])
        raise InputError(f"{source} : colonne {pop_col!r} : population négative ligne {i + 2} ({population.iloc[i]}).")
    communes = normalise_commune_codes(raw[commune], source=source, column=commune)
    out = gpd.GeoDataFrame(
        {
            "code_unite": codes.astype(str).to_numpy(),
            "code_commune": communes.astype(str).to_numpy(),
            "nom_unite": raw[name].astype(str).to_numpy() if name else codes.astype(str).to_numpy(),
            "population": population.to_numpy(dtype=float),
        },
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs,
    )
    out = out.to_crs(
        metric_crs_for(
            out["code_commune"].str[:3].where(out["code_commune"].str[:2] == "97", out["code_commune"].str[:2]),
            source=source,
        )
    )
    out, repaired = repair_geometries(out)
    if repaired:
        warn(f"{source} : {repaired} contour(s) d'unité invalide(s) réparé(s).")
    return out
