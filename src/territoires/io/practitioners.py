"""Practitioners: the Annuaire Santé (RPPS) extraction, a generic table, and their location in communes.

Every loader returns the practitioners schema of :mod:`territoires.schemas` (one row per practitioner activity
site) and lists the rows it could not use in ``result.attrs["left_out"]`` (records with ``source``, ``ligne``,
``identifiant``, ``motif``), with one :class:`~territoires.TerritoiresWarning` summarising them.

Head count (``nombre``)
    The Annuaire Santé has one row per activity: a GP who practises in two surgeries appears twice. Summing one
    per row would count that doctor twice, which no published head count does (DREES and the Ordre count
    people). :func:`practitioners_from_rpps` therefore gives each of the ``k`` retained sites of one person
    ``nombre = 1/k``: the sum of ``nombre`` is the number of people, and a multi-site GP's supply is shared
    between the sites (the DREES APL shares a GP's activity between sites in the same spirit, by their share of
    activity, which the open extraction does not publish). ``len(result)`` still counts sites.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyproj
import shapely
from pyproj.exceptions import CRSError

from .._errors import InputError, ParameterError, warn
from .._format import fr_int
from ..schemas import PRACTITIONER_COLUMNS, PROFESSIONS
from ..settings import CRS_WEB
from ._columns import find_column, normalise_name, to_count, to_number
from ._left_out import LeftOutRecords, left_out_records, warn_left_out
from ._tables import detect_encoding, read_table
from ._text_lookup import text_array, text_isin, text_positions
from .cog import ARRONDISSEMENTS, CITIES_WITH_ARRONDISSEMENTS, cities_split_into_arrondissements
from .communes import departement_of, representative_points

log = logging.getLogger(__name__)

__all__ = [
    "MODES",
    "RPPS_GP_SAVOIR_FAIRE",
    "RPPS_HEADER",
    "RPPS_PROFESSION_CODES",
    "is_rpps_file",
    "locate_in_communes",
    "practitioners_from_file",
    "practitioners_from_rpps",
    "practitioners_from_table",
    "split_by_territory",
    "TerritorySplit",
]

#: Columns of ``PS_LibreAcces_Personne_activite_<timestamp>.txt``, in file order (each line ends with ``|``).
RPPS_HEADER = (
    "Type d'identifiant PP", "Identifiant PP", "Identification nationale PP", "Code civilité d'exercice",
    "Libellé civilité d'exercice", "Code civilité", "Libellé civilité", "Nom d'exercice", "Prénom d'exercice",
    "Code profession", "Libellé profession", "Code catégorie professionnelle",
    "Libellé catégorie professionnelle", "Code type savoir-faire", "Libellé type savoir-faire",
    "Code savoir-faire", "Libellé savoir-faire", "Code mode exercice", "Libellé mode exercice",
    "Numéro SIRET site", "Numéro SIREN site", "Numéro FINESS site", "Numéro FINESS établissement juridique",
    "Identifiant technique de la structure", "Raison sociale site", "Enseigne commerciale site",
    "Complément destinataire (coord. structure)", "Complément point géographique (coord. structure)",
    "Numéro Voie (coord. structure)", "Indice répétition voie (coord. structure)",
    "Code type de voie (coord. structure)", "Libellé type de voie (coord. structure)",
    "Libellé Voie (coord. structure)", "Mention distribution (coord. structure)",
    "Bureau cedex (coord. structure)", "Code postal (coord. structure)", "Code commune (coord. structure)",
    "Libellé commune (coord. structure)", "Code pays (coord. structure)", "Libellé pays (coord. structure)",
    "Téléphone (coord. structure)", "Téléphone 2 (coord. structure)", "Télécopie (coord. structure)",
    "Adresse e-mail (coord. structure)", "Code Département (structure)", "Libellé Département (structure)",
    "Ancien identifiant de la structure", "Autorité d'enregistrement", "Code secteur d'activité",
    "Libellé secteur d'activité", "Code section tableau pharmaciens", "Libellé section tableau pharmaciens",
)  # fmt: skip

_ID = "Identifiant PP"
_LAST_NAME = "Nom d'exercice"
_FIRST_NAME = "Prénom d'exercice"
_PROFESSION = "Code profession"
_SAVOIR_FAIRE = "Code savoir-faire"
_SAVOIR_FAIRE_LABEL = "Libellé savoir-faire"
_MODE = "Code mode exercice"
_SITE = "Identifiant technique de la structure"
_SITE_NAME = "Raison sociale site"
_STREET = "Libellé Voie (coord. structure)"
_POSTCODE = "Code postal (coord. structure)"
_COMMUNE = "Code commune (coord. structure)"
_COUNTRY = "Libellé pays (coord. structure)"
_RPPS_USED = (
    _ID, _LAST_NAME, _FIRST_NAME, _PROFESSION, _SAVOIR_FAIRE, _SAVOIR_FAIRE_LABEL, _MODE, _SITE, _SITE_NAME,
    _STREET, _POSTCODE, _COMMUNE, _COUNTRY,
)  # fmt: skip

#: ``Code profession`` (ANS nomenclature TRE_G15-ProfessionSante) → key of :data:`~territoires.schemas.PROFESSIONS`.
#: Code 10 (médecin) is split into general practice and other specialities by the savoir-faire.
RPPS_PROFESSION_CODES = {
    "10": "medecin_specialiste",
    "21": "pharmacien",
    "40": "chirurgien_dentiste",
    "50": "sage_femme",
    "60": "infirmier",
    "69": "infirmier",  # infirmier psychiatrique
    "70": "masseur_kinesitherapeute",
}
#: ``Code savoir-faire`` (ANS nomenclature TRE_R38-SpecialiteOrdinale) marking general practice:
#: SM26 "Qualifié en Médecine Générale" (ordinal qualification of older GPs), SM53 "Spécialiste en Médecine
#: Générale" (DES de médecine générale), SM54 "Médecine Générale". All three are counted as GPs, as the DREES
#: counts "médecins généralistes".
RPPS_GP_SAVOIR_FAIRE = frozenset({"SM26", "SM53", "SM54"})
#: ``Code mode exercice`` → ``mode_exercice``.
MODES = {"L": "liberal", "S": "salarie", "B": "benevole"}

_NUMERIC = ("activite", "etp", "age", "nombre")
#: Identifier columns of a generic table: RPPS, ADELI, Annuaire Santé ``Identifiant PP``.
_ID_SYNONYMS = (
    "id", "identifiant", "Identifiant PP", "Identification nationale PP", "rpps", "numero_rpps", "num_rpps",
    "adeli", "numero_adeli", "id_praticien",
)  # fmt: skip
#: Site columns of a generic table, telling apart two sites of one person in the same commune.
_SITE_SYNONYMS = (
    "site", "id_site", "siret", "Numéro SIRET site", "finess", "Numéro FINESS site",
    "Identifiant technique de la structure", "adresse",
)  # fmt: skip
_VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".parquet", ".geoparquet", ".fgb"}


# --------------------------------------------------------------------------------------------------------------
# Annuaire Santé (RPPS)


def is_rpps_file(path: str | Path) -> bool:
    """Return True when the first line of ``path`` is an Annuaire Santé ``Personne_activite`` header."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return False
    with open(path, encoding=detect_encoding(path), errors="replace") as fh:
        first = fh.readline()
    return "|" in first and _ID in first.split("|")


def practitioners_from_rpps(
    path: str | Path,
    *,
    professions: Iterable[str] | None = ("medecin_generaliste",),
    modes: Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Read the Annuaire Santé extraction ``PS_LibreAcces_Personne_activite``.

    Parameters
    ----------
    path
        The ``|``-separated extraction (header line, trailing ``|``, UTF-8), as published by the Agence du
        Numérique en Santé.
    professions
        Keys of :data:`~territoires.schemas.PROFESSIONS` to keep (``None``: all). Doctors (``Code profession``
        10) whose ``Code savoir-faire`` is in :data:`RPPS_GP_SAVOIR_FAIRE` are ``medecin_generaliste``, other
        doctors ``medecin_specialiste``; professions outside :data:`RPPS_PROFESSION_CODES` are ``autre``.
    modes
        Modes of practice to keep among ``liberal``, ``salarie``, ``benevole`` (``None``: all, including rows
        with no mode).

    Returns
    -------
    geopandas.GeoDataFrame
        The practitioners schema, one row per (person, site) activity, ``id`` = ``Identifiant PP``,
        ``code_commune`` = the commune of the practice, geometry None (the extraction has no coordinates: see
        :func:`locate_in_communes`). ``nombre`` = 1/k for each of the k sites of one person (see the module
        docstring). ``activite``, ``etp`` and ``age`` are unknown (NaN). Rows not of the selected professions
        or modes are not returned; their count is in ``attrs["selection"]``. Rows that cannot be used (no
        identifier, no or invalid commune code, address abroad, the same person twice at the same site) are
        listed in ``attrs["left_out"]``.

    Raises
    ------
    InputError
        Missing or empty file, not ``|``-separated, a required column missing, a line with the wrong number of
        fields.
    """
    path = Path(path)
    source = str(path)
    keep_professions = _check_professions(professions)
    keep_modes = _check_modes(modes)
    raw = _read_rpps(path)
    total = len(raw)
    lines = raw.index.to_numpy() + 2

    code = raw[_PROFESSION].str.strip()
    profession = code.map(RPPS_PROFESSION_CODES).fillna("autre")
    gp = code.eq("10") & raw[_SAVOIR_FAIRE].str.strip().isin(RPPS_GP_SAVOIR_FAIRE)
    profession = profession.mask(gp, "medecin_generaliste")
    mode = raw[_MODE].str.strip().str.upper().map(MODES)

    selected = pd.Series(True, index=raw.index)
    if keep_professions is not None:
        selected &= profession.isin(keep_professions)
    n_other_professions = int((~selected).sum())
    if keep_modes is not None:
        selected &= mode.isin(keep_modes)
    n_other_modes = int((~selected).sum()) - n_other_professions

    ident = raw[_ID].str.strip()
    commune = raw[_COMMUNE].str.strip().str.upper()
    postcode = raw[_POSTCODE].str.strip()
    country = raw[_COUNTRY].str.strip()
    site = raw[_SITE].str.strip()
    # A site without technical identifier is told apart by its name, street and commune.
    site = site.fillna(raw[_SITE_NAME].fillna("") + "|" + raw[_STREET].fillna("") + "|" + commune.fillna(""))

    motif = pd.Series(pd.NA, index=raw.index, dtype=object)
    motif = motif.mask(ident.isna(), "identifiant PP manquant")
    no_code = commune.isna() & motif.isna()
    foreign = no_code & (postcode.isna() | ~postcode.fillna("").str.fullmatch(r"\d{5}") | country.notna())
    foreign_text = (
        "adresse hors de France (code postal "
        + postcode.fillna("vide")
        + ", pays "
        + country.fillna("non renseigné")
        + ")"
    )
    motif = motif.mask(foreign, foreign_text)
    motif = motif.mask(no_code & ~foreign, "code commune vide (code postal " + postcode.fillna("vide") + ")")
    bad_code = commune.notna() & ~commune.fillna("").str.fullmatch(r"\d{5}|2[AB]\d{3}") & motif.isna()
    motif = motif.mask(bad_code, "code commune invalide (" + commune.fillna("") + ")")
    usable = selected & motif.isna()
    duplicate = usable & pd.DataFrame({"id": ident, "site": site}).duplicated(keep="first")
    motif = motif.mask(duplicate, "activité en double (même personne, même site)")

    dropped = selected & motif.notna()
    records = left_out_records(source, lines[dropped.to_numpy()], ident[dropped], motif[dropped])
    keep = (selected & motif.isna()).to_numpy()

    kept_ident = ident[keep]
    sites_per_person = kept_ident.map(kept_ident.value_counts())
    first = raw[_FIRST_NAME].str.strip().fillna("")
    last = raw[_LAST_NAME].str.strip().fillna("")
    frame = pd.DataFrame(
        {
            "id": kept_ident.to_numpy(dtype=object),
            "nom": (first + " " + last).str.strip()[keep].to_numpy(dtype=object),
            "profession": profession[keep].to_numpy(dtype=object),
            "specialite": raw[_SAVOIR_FAIRE_LABEL].str.strip()[keep].to_numpy(dtype=object),
            "mode_exercice": mode[keep].to_numpy(dtype=object),
            "code_commune": commune[keep].to_numpy(dtype=object),
            "activite": np.nan,
            "etp": np.nan,
            "age": np.nan,
            "nombre": 1.0 / sites_per_person.to_numpy(dtype=float),
            "source_ligne": lines[keep],
        }
    )
    result = _to_geodataframe(frame, None, crs=None)
    result.attrs["source"] = source
    result.attrs["left_out"] = records
    result.attrs["selection"] = {
        "lignes_lues": total,
        "autres_professions": n_other_professions,
        "autres_modes": n_other_modes,
        "lignes_retenues": len(result),
        "personnes": int(kept_ident.nunique()),
    }
    log.info(
        "%s: %d lignes lues, %d retenues (%d personnes), %d d'autres professions, %d d'autres modes d'exercice",
        source, total, len(result), kept_ident.nunique(), n_other_professions, n_other_modes,
    )  # fmt: skip
    warn_left_out(records, source=source, total=int(selected.sum()))
    return result


def _read_rpps(path: Path) -> pd.DataFrame:
    """Read the columns used from the RPPS extraction as text, after checking the header."""
    source = str(path)
    if not path.exists():
        raise InputError(f"{source}: fichier introuvable (extraction Annuaire Santé / RPPS).")
    if path.stat().st_size == 0:
        raise InputError(
            f"{source}: fichier vide (extraction Annuaire Santé / RPPS); une ligne d'en-tête était attendue."
        )
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        header = fh.readline().rstrip("\r\n")
    if "|" not in header:
        msg = (
            f"{source}: séparateur '|' absent de la ligne d'en-tête ; l'extraction Annuaire Santé "
            f"(PS_LibreAcces_Personne_activite) sépare ses colonnes par '|'. En-tête lu : {header[:120]!r}"
        )
        raise InputError(msg)
    columns = [c.strip() for c in header.split("|")]
    missing = [c for c in _RPPS_USED if c not in columns]
    if missing:
        msg = (
            f"{source}: colonne(s) manquante(s) dans l'extraction Annuaire Santé : {', '.join(missing)} "
            f"({len(columns) - (columns[-1] == '')} colonnes lues, {len(RPPS_HEADER)} attendues)."
        )
        raise InputError(msg)
    _check_field_counts(path, header.count("|"), source=source)
    try:
        table = pd.read_csv(
            path,
            sep="|",
            encoding=encoding,
            dtype=str,
            usecols=list(_RPPS_USED),
            keep_default_na=False,
            na_values=[""],
            quoting=csv.QUOTE_NONE,
            index_col=False,
            low_memory=False,
        )
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: encodage illisible ({exc.reason}); UTF-8 attendu.") from exc
    except pd.errors.ParserError as exc:
        msg = f"{source}: nombre de champs incorrect ({exc}); chaque ligne doit avoir {len(columns)} champs."
        raise InputError(msg) from exc
    return table.reset_index(drop=True)


def _check_field_counts(path: Path, expected_pipes: int, *, source: str, chunk_bytes: int = 1 << 24) -> None:
    """Raise when a line of a ``|``-separated file has not ``expected_pipes`` separators (vectorised, by chunks).

    :func:`pandas.read_csv` with ``usecols`` does not check the number of fields of each line, and a shifted
    line would put, say, a postcode in the commune column.
    """
    bad: list[int] = []
    n_bad = 0
    line_offset = 0
    carry = b""
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(chunk_bytes)
            data = carry + chunk
            if not chunk and data and not data.endswith(b"\n"):
                data += b"\n"
            end = data.rfind(b"\n") + 1
            body, carry = data[:end], data[end:]
            if body:
                arr = np.frombuffer(body, dtype=np.uint8)
                newlines = np.flatnonzero(arr == 10)
                pipes_before = np.searchsorted(np.flatnonzero(arr == 124), newlines)
                counts = np.diff(pipes_before, prepend=0)
                blank = np.diff(newlines, prepend=-1) <= 2  # empty line, or a lone carriage return
                wrong = np.flatnonzero((counts != expected_pipes) & ~blank)
                n_bad += len(wrong)
                bad.extend((wrong[: max(0, 5 - len(bad))] + line_offset + 1).tolist())
                line_offset += len(newlines)
            if not chunk:
                break
    if n_bad:
        rows = ", ".join(f"ligne {n}" for n in bad)
        msg = (
            f"{source}: {n_bad} ligne(s) avec un nombre de champs incorrect ({rows}); chaque ligne doit compter "
            f"{expected_pipes} séparateurs '|' comme la ligne d'en-tête (un '|' dans une valeur décale les colonnes)."
        )
        raise InputError(msg)


# --------------------------------------------------------------------------------------------------------------
# Generic table


def practitioners_from_table(
    path: str | Path, *, crs: str | pyproj.CRS | None = None, profession: str | None = None
) -> gpd.GeoDataFrame:
    """Read a generic practitioners table: CSV (``;`` or ``,``), GeoJSON, GeoPackage, Shapefile or GeoParquet.

    One row per practitioner or per site. Columns (names compared without case or accents; synonyms of
    :data:`territoires.io._columns.SYNONYMS` accepted):

    - ``code_commune`` (INSEE code; ``INSEE_COM``, ``CODGEO``, ``code_insee``...) and/or a location: point
      geometries (vector files), ``longitude``/``latitude`` (WGS84 degrees) or ``x``/``y`` in ``crs``;
    - optional ``id``, ``nom``, ``profession`` (a key or label of :data:`~territoires.schemas.PROFESSIONS`),
      ``specialite``, ``mode_exercice``, ``activite`` (consultations a year), ``etp`` (full-time equivalents),
      ``age`` (years), ``nombre`` (head count on the row, default 1).

    Parameters
    ----------
    path
        The table.
    crs
        Coordinate system of ``x``/``y`` columns (e.g. ``"EPSG:2154"``), or of a vector file without one.
    profession
        Profession of every row when the table has no ``profession`` column; when it has one, only the rows of
        this profession are kept. Default: ``medecin_generaliste`` for a table without the column.

    Returns
    -------
    geopandas.GeoDataFrame
        The practitioners schema; geometry None where the row only has a commune code (see
        :func:`locate_in_communes`). Rows with neither a location nor a commune code are listed in
        ``attrs["left_out"]``. Identical rows are distinct practitioners (a table with one row per practitioner
        and no identifier, even a single ``code_commune`` column, is valid); only rows with the same identifier
        (``id``, ``rpps``, ``adeli``, ``Identifiant PP``...) at the same site (commune, point, ``siret`` or
        ``finess`` of the site) and profession are merged, and those are listed in ``attrs["left_out"]``.

    Raises
    ------
    InputError
        Unreadable file, no commune code nor coordinate column, non-numeric or negative ``activite``, ``etp``,
        ``age`` or ``nombre``, longitudes/latitudes out of range, unknown profession, ``x``/``y`` without CRS.
    """
    path = Path(path)
    source = str(path)
    if profession is not None:
        _check_professions([profession])
    table, geometry = _read_any(path, crs=crs)
    total = len(table)
    if total == 0:
        raise InputError(f"{source}: aucune ligne de praticien (fichier sans données).")
    if geometry is None and table.shape[1] > 1 and bool(table.iloc[:, 1:].isna().all().all()):
        msg = (
            f"{source}: seule la première colonne est remplie ({table.columns[0]!r} = {table.iloc[0, 0]!r} à la "
            "ligne 2) : les lignes de données n'utilisent pas le séparateur de la ligne d'en-tête."
        )
        raise InputError(msg)
    lines = table.index.to_numpy() + 2
    cols = table.columns

    code_col = find_column(cols, "code_commune")
    lon_col, lat_col = find_column(cols, "longitude"), find_column(cols, "latitude")
    x_col, y_col = find_column(cols, "x"), find_column(cols, "y")
    has_lonlat = lon_col is not None and lat_col is not None
    has_xy = x_col is not None and y_col is not None
    if code_col is None and geometry is None and not has_lonlat and not has_xy:
        msg = (
            f"{source}: ni colonne de code commune (code_commune, INSEE_COM, CODGEO, code_insee...) ni "
            f"coordonnées (longitude/latitude, x/y ou géométries) ; colonnes présentes : {', '.join(map(str, cols))}."
        )
        raise InputError(msg)

    if code_col is not None:
        codes = _commune_codes(table[code_col], source=source, column=code_col)
    else:
        codes = pd.Series(pd.NA, index=table.index, dtype=object)

    if geometry is None and has_lonlat:
        geometry = _points_from_columns(table, lon_col, lat_col, crs=CRS_WEB, source=source, lonlat=True)
    elif geometry is None and has_xy:
        if crs is None:
            msg = (
                f"{source}: colonnes {x_col!r}/{y_col!r} trouvées mais leur système de coordonnées n'est pas "
                "donné ; précisez-le (option --crs, ex. EPSG:2154 pour Lambert-93)."
            )
            raise InputError(msg)
        geometry = _points_from_columns(table, x_col, y_col, crs=_parse_crs(crs, source=source), source=source)

    numbers = {}
    for name in _NUMERIC:
        col = find_column(cols, name)
        if col is None:
            numbers[name] = pd.Series(1.0 if name == "nombre" else np.nan, index=table.index)
            continue
        if name in ("activite", "nombre"):
            values = to_count(table[col], source=source, column=col, integer=False, allow_missing=True)
        else:
            values = to_number(table[col], source=source, column=col, allow_missing=True)
        negative = values < 0
        if bool(negative.any()):
            rows = ", ".join(f"ligne {i + 2} : {table[col][i]!r}" for i in list(table.index[negative])[:5])
            msg = (
                f"{source}: colonne {col!r} : {int(negative.sum())} valeur(s) négative(s) ({rows}); "
                "une valeur positive ou nulle était attendue."
            )
            raise InputError(msg)
        numbers[name] = values.fillna(1.0) if name == "nombre" else values

    prof_col = find_column(cols, "profession", synonyms=("profession", "Libellé profession"))
    if prof_col is not None:
        prof = _professions_from_text(table[prof_col], source=source, column=prof_col)
    else:
        prof = pd.Series(profession or "medecin_generaliste", index=table.index, dtype=object)

    id_col = find_column(cols, "id", synonyms=_ID_SYNONYMS)
    name_col = find_column(cols, "nom", synonyms=("nom", "name", "nom_praticien", "raison_sociale"))
    spec_col = find_column(cols, "specialite", synonyms=("specialite", "spécialité", "Libellé savoir-faire"))
    mode_col = find_column(cols, "mode_exercice", synonyms=("mode_exercice", "mode", "Code mode exercice"))
    ident = _stripped(table[id_col]) if id_col is not None else _text(table, None)  # identifiers rarely repeat
    missing_id = ident.isna()
    if bool(missing_id.any()):  # a made-up identifier: file name and line
        made_up = (f"{path.stem}-" + pd.Series(lines, index=table.index).astype(str)).astype(object)
        ident = ident.where(~missing_id, made_up)
    frame = pd.DataFrame(
        {
            "id": ident.astype(object),
            "nom": _text(table, name_col),
            "profession": prof,
            "specialite": _text(table, spec_col),
            "mode_exercice": _modes_from_text(_text(table, mode_col)),
            "code_commune": codes,
            "activite": numbers["activite"],
            "etp": numbers["etp"],
            "age": numbers["age"],
            "nombre": numbers["nombre"],
            "source_ligne": lines,
        },
        index=table.index,
    )
    crs_out = geometry.crs if geometry is not None else None
    geom = geometry  # None: rows with a commune code only (the frame's geometry is made empty below)

    located = geom.notna() & ~geom.is_empty if geometry is not None else pd.Series(False, index=table.index)
    motif = pd.Series(pd.NA, index=table.index, dtype=object)
    nowhere = ~located.to_numpy() & codes.isna().to_numpy()
    if nowhere.any():
        motif = motif.mask(nowhere, "ni coordonnées ni code commune")
    # Without an identifier, identical rows are distinct practitioners (one row per practitioner); with one, the
    # same person twice at the same site (commune, point, site column) is one activity (no identifier seen twice:
    # no such row, nothing more to compare).
    if id_col is not None and bool(frame["id"].duplicated().any()):
        site_col = find_column(cols, "site", synonyms=_SITE_SYNONYMS)
        # The values as they are (object columns; missing site, code or point compare equal), not their text:
        # pandas factorises each column once, where hashing the text of 100,000 rows took three times as long.
        key = pd.DataFrame(
            {
                "id": frame["id"],
                "site": _text(table, site_col),
                "code": codes,
                "point": geom.to_wkb() if geometry is not None else None,
                "profession": prof,
            },
            index=table.index,
        )
        dup = key.duplicated(keep="first") & motif.isna() & frame["id"].notna()
        if dup.any():  # the line of each signature's first row, for the duplicates only
            groups = key.groupby(list(key.columns), sort=False, dropna=False).ngroup().to_numpy()
            first_row = np.unique(groups, return_index=True)[1]  # groups are numbered in order of appearance
            firsts = pd.Series(lines[first_row[groups]], index=table.index)[dup]
            motif.loc[dup] = "activité en double (même identifiant, même site que la ligne " + firsts.astype(str) + ")"
    if prof_col is not None and profession is not None:
        selected = pd.Series(prof.to_numpy() == profession, index=table.index)  # (numpy: no pandas dispatch)
    else:
        selected = pd.Series(True, index=table.index)
    dropped = selected & motif.notna()
    records = left_out_records(source, lines[dropped.to_numpy()], frame["id"][dropped], motif[dropped])
    keep = (selected & motif.isna()).to_numpy()

    if keep.all():
        result = _to_geodataframe(frame, geom, crs=crs_out)
    else:
        result = _to_geodataframe(frame.loc[keep], geom.loc[keep] if geom is not None else None, crs=crs_out)
    result.attrs["source"] = source
    result.attrs["left_out"] = records
    result.attrs["selection"] = {
        "lignes_lues": total,
        "autres_professions": int((~selected).sum()),
        "lignes_retenues": len(result),
    }
    warn_left_out(records, source=source, total=int(selected.sum()))
    return result


def _read_any(path: Path, *, crs) -> tuple[pd.DataFrame, gpd.GeoSeries | None]:
    """Read a delimited or vector file; return its attributes (text) and point geometries (or None)."""
    source = str(path)
    if path.suffix.lower() not in _VECTOR_SUFFIXES:
        return read_table(path, what="praticiens", single_column="code_commune"), None
    if not path.exists():
        raise InputError(f"{source}: fichier introuvable (praticiens).")
    try:
        if path.suffix.lower() in {".parquet", ".geoparquet"}:
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio/arrow raise many types for unreadable files
        raise InputError(f"{source}: fichier géographique illisible ({exc}).") from exc
    gdf = gdf.reset_index(drop=True)
    attributes = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(object)
    attributes = attributes.where(attributes.notna(), None).astype("string").astype(object)
    attributes = attributes.where(attributes.notna(), np.nan)
    geometry = gdf.geometry
    if bool(geometry.isna().all()):
        return attributes, None
    kinds = set(geometry.dropna().geom_type)
    if not kinds <= {"Point"}:
        msg = (
            f"{source}: géométries de type {', '.join(sorted(kinds))} ; des points (lieux d'exercice) étaient attendus."
        )
        raise InputError(msg)
    if geometry.crs is None:
        if crs is None:
            msg = f"{source}: système de coordonnées absent du fichier ; précisez-le (option --crs, ex. EPSG:2154)."
            raise InputError(msg)
        geometry = geometry.set_crs(_parse_crs(crs, source=source))
    return attributes, geometry


def _points_from_columns(
    table: pd.DataFrame, xcol: str, ycol: str, *, crs, source: str, lonlat: bool = False
) -> gpd.GeoSeries:
    x = to_number(table[xcol], source=source, column=xcol, allow_missing=True)
    y = to_number(table[ycol], source=source, column=ycol, allow_missing=True)
    if lonlat:
        bad = (x.abs() > 180) | (y.abs() > 90)
        if bool(bad.any()):
            rows = ", ".join(
                f"ligne {i + 2} : ({table[xcol][i]}, {table[ycol][i]})" for i in list(table.index[bad])[:5]
            )
            msg = (
                f"{source}: colonnes {xcol!r}/{ycol!r} : {int(bad.sum())} coordonnée(s) hors des bornes WGS84 "
                f"({rows}); des degrés (longitude entre -180 et 180, latitude entre -90 et 90) étaient attendus. "
                "Pour des coordonnées métriques, nommez les colonnes x/y et donnez leur système (--crs)."
            )
            raise InputError(msg)
    points = gpd.points_from_xy(x.to_numpy(), y.to_numpy())
    missing = (x.isna() | y.isna()).to_numpy()
    series = gpd.GeoSeries(points, index=table.index, crs=crs)
    series[missing] = None
    return series


def _per_distinct(values: pd.Series, read: Callable[[pd.Series], pd.Series], missing: object = None) -> pd.Series:
    """Apply the element-wise ``read`` to the distinct values of ``values`` only, results taken back to the rows.

    The result has object dtype; missing values give ``missing``. A national file repeats a few thousand values
    over hundreds of thousands of rows: each is read once.
    """
    rows, done = _read_distinct(values, read, missing)
    return pd.Series(done[rows], index=values.index, name=values.name, dtype=object)


def _read_distinct(
    values: pd.Series, read: Callable[[pd.Series], pd.Series], missing: object = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's slot and the results by slot (the last one, ``missing``, for missing values).

    :func:`_per_distinct` before its results are taken back to the rows.
    """
    rows, distinct = pd.factorize(values, use_na_sentinel=True)
    done = read(pd.Series(distinct)).to_numpy(dtype=object)
    return rows, np.append(done, missing)


def _commune_codes(values: pd.Series, *, source: str, column: str) -> pd.Series:
    """Normalise commune codes to 5-character text, missing values kept missing; invalid codes raise."""
    text = values.astype("string")
    # Checked on the distinct values (Arrow factorises the text), the rows then take their code back.
    rows, distinct = pd.factorize(text, use_na_sentinel=True)
    if bool(pd.Series(distinct, dtype=text.dtype).str.fullmatch(r"[0-9]{5}|2[AB][0-9]{3}").all()):  # already codes
        codes = np.append(np.asarray(distinct, dtype=object), None)[rows]
        return pd.Series(codes, index=values.index, name=values.name, dtype=object)
    try:
        return _per_distinct(values, lambda v: _commune_codes_of(v, source=source, column=column))
    except InputError:  # told from the whole column: its count and first lines
        return _commune_codes_of(values, source=source, column=column)


def _commune_codes_of(values: pd.Series, *, source: str, column: str) -> pd.Series:
    """:func:`_commune_codes` on every value of ``values``."""
    text = values.astype("string").str.strip().str.replace(r"\.0$", "", regex=True).str.upper()
    text = text.mask(text.str.len() == 4, "0" + text)
    text = text.mask(text == "", pd.NA)
    bad = text.notna() & ~text.fillna("").str.fullmatch(r"\d{5}|2[AB]\d{3}")
    if bool(bad.any()):
        rows = ", ".join(f"ligne {i + 2} : {values[i]!r}" for i in list(values.index[bad.to_numpy()])[:5])
        msg = (
            f"{source}: colonne {column!r} : {int(bad.sum())} code(s) commune invalide(s) ({rows}); "
            "un code INSEE de 5 caractères était attendu (ex. 31555, 2A004)."
        )
        raise InputError(msg)
    return text.astype(object).where(text.notna(), None)


_PROFESSION_WORDS = {
    **{normalise_name(k): k for k in PROFESSIONS},
    **{normalise_name(v): k for k, v in PROFESSIONS.items()},
    "generaliste": "medecin_generaliste",
    "mg": "medecin_generaliste",
    "omnipraticien": "medecin_generaliste",
    "medecinomnipraticien": "medecin_generaliste",
    "specialiste": "medecin_specialiste",
    "infirmiere": "infirmier",
    "kine": "masseur_kinesitherapeute",
    "kinesitherapeute": "masseur_kinesitherapeute",
    "dentiste": "chirurgien_dentiste",
    "sagefemme": "sage_femme",
}


def _professions_from_text(values: pd.Series, *, source: str, column: str) -> pd.Series:
    # A national file has millions of rows but a few dozen spellings: fold each distinct value once.
    rows, done = _read_distinct(
        values, lambda v: v.map(lambda x: _PROFESSION_WORDS.get(normalise_name(x), "?")), "medecin_generaliste"
    )
    keys = pd.Series(done[rows], index=values.index, name=values.name, dtype=object)
    bad = pd.Series((done == "?")[rows], index=values.index)  # (compared once per distinct value)
    if bool(bad.any()):
        rows = ", ".join(f"ligne {i + 2} : {values[i]!r}" for i in list(values.index[bad])[:5])
        msg = (
            f"{source}: colonne {column!r} : {int(bad.sum())} profession(s) inconnue(s) ({rows}); valeurs "
            f"acceptées : {', '.join(PROFESSIONS)} (ou leur libellé)."
        )
        raise InputError(msg)
    return keys.astype(object)


def _modes_from_text(values: pd.Series) -> pd.Series:
    """Map modes of practice (``L``, ``libéral``...) to ``liberal``/``salarie``/``benevole``, distinct values once."""
    words = {
        "l": "liberal",
        "liberal": "liberal",
        "s": "salarie",
        "salarie": "salarie",
        "b": "benevole",
    }
    words["benevole"] = "benevole"
    return _per_distinct(values, lambda v: v.map(lambda x: words.get(normalise_name(x))).astype(object))


def _text(table: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series(None, index=table.index, dtype=object)
    return _per_distinct(table[column], _stripped)


def _stripped(values: pd.Series) -> pd.Series:
    """Text without surrounding spaces, None where empty."""
    text = values.astype("string").str.strip()
    return text.astype(object).where(text.notna() & (text != ""), None)


# --------------------------------------------------------------------------------------------------------------
# Detection and location


def practitioners_from_file(
    path: str | Path,
    *,
    communes: gpd.GeoDataFrame | None = None,
    former_codes: Mapping[str, str] | None = None,
    professions: Iterable[str] | None = ("medecin_generaliste",),
    crs: str | pyproj.CRS | None = None,
) -> gpd.GeoDataFrame:
    """Read practitioners from an Annuaire Santé extraction (detected by its header) or a generic table.

    Parameters
    ----------
    path
        RPPS ``Personne_activite`` extraction or generic table (see :func:`practitioners_from_table`).
    communes
        When given, the practitioners are located in these communes (:func:`locate_in_communes`).
    former_codes
        Former commune code → current code, passed to :func:`locate_in_communes`.
    professions
        Professions kept (keys of :data:`~territoires.schemas.PROFESSIONS`; ``None``: all). A generic table
        without a ``profession`` column takes the first one.
    crs
        Coordinate system of ``x``/``y`` columns of a generic table.
    """
    keep = _check_professions(professions)
    if is_rpps_file(path):
        result = practitioners_from_rpps(path, professions=keep)
    else:
        single = keep[0] if keep is not None and len(keep) == 1 else None
        result = practitioners_from_table(path, crs=crs, profession=single)
        if keep is not None and single is None:
            other = ~result["profession"].isin(keep)
            attrs = dict(result.attrs)
            result = result.loc[~other].reset_index(drop=True)
            result.attrs.update(attrs)
            result.attrs["selection"] = {
                **attrs.get("selection", {}),
                "autres_professions": int(other.sum()),
            }
    if communes is not None:
        result = locate_in_communes(result, communes, former_codes=former_codes)
    return result


def locate_in_communes(
    practitioners: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    *,
    former_codes: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Locate practitioners in communes: codes brought to the current vintage, points for every row.

    - ``code_commune`` values found in ``former_codes`` (old code → current code, chains followed) are replaced
      by the current code;
    - rows with a point are reprojected to the communes' CRS and take the code of the commune that contains
      the point (a spatial join: the point is more precise than a declared code; disagreements are counted in
      ``attrs["localisation"]`` and reported). A point outside every commune keeps its declared code when that
      code is a loaded commune (boundaries are often simplified along coasts), else it is left out;
    - rows without a point take the representative point of their commune (always inside the polygon).

    Rows that cannot be located (no point and no code, a code absent from ``communes``, a point outside every
    commune) are left out, added to ``attrs["left_out"]`` after those of the loader, and reported in one warning.

    Paris, Lyon and Marseille: with contours at commune level, ``former_codes`` from
    :func:`territoires.io.populations.communes_with_populations` send arrondissement codes (751xx) to the city
    (75056), counted and told. With contours by arrondissement, a row coded 75056 without a point cannot be
    placed in one arrondissement: it is left out with that motif (spreading it over the arrondissements would
    invent where the practitioner works).

    Parameters
    ----------
    practitioners
        Practitioners schema, as returned by the loaders.
    communes
        Communes with ``code_commune`` and polygons in a metric CRS (Lambert-93 in metropolitan France).
    former_codes
        Former commune code → current code (COG reconciliation).

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame in the communes' CRS; the input is not modified.
    """
    if "code_commune" not in communes.columns:
        raise InputError("communes : colonne 'code_commune' manquante pour localiser les praticiens.")
    if communes.crs is None:
        raise InputError("communes : système de coordonnées absent ; impossible de localiser les praticiens.")
    source = str(practitioners.attrs.get("source", "praticiens"))
    n = len(practitioners)
    lines = practitioners["source_ligne"].to_numpy() if "source_ligne" in practitioners else np.arange(n) + 2
    # Codes are worked on their distinct values (tens of thousands for a national file of millions of rows), then
    # taken back to the rows; the last slot of every per-code array stands for the rows without a code.
    rows_code, distinct = pd.factorize(practitioners["code_commune"], use_na_sentinel=True)
    declared = np.append(np.asarray(distinct, dtype=object), None)
    current = declared
    per_code = np.bincount(rows_code[rows_code >= 0], minlength=len(distinct))
    replaced = arrondissements = 0
    if former_codes:
        current = np.append(_resolve(pd.Series(declared[:-1], dtype=object), former_codes).to_numpy(), None)
        moved = current[:-1] != declared[:-1]
        to_city = moved & pd.Series(declared[:-1], dtype=object).isin(ARRONDISSEMENTS).to_numpy()
        arrondissements = int(per_code[to_city].sum())
        replaced = int(per_code[moved].sum()) - arrondissements

    polygons = communes.geometry.to_numpy()
    # Row of each code's commune (-1: none; the last slot, rows without a code), looked up by Arrow when the codes
    # are text and distinct (as loaded), else by pandas on the first commune of each code.
    found_at = text_positions(communes["code_commune"], current[:-1])
    if found_at is not None:
        position = np.append(found_at, -1)
        table_codes = None  # built where needed (points to join, codes absent)
    else:
        table_codes = pd.Index(communes["code_commune"].to_numpy(dtype=object))
        if not table_codes.is_unique:  # the first commune of each code (contours are checked for duplicates on load)
            first = ~table_codes.duplicated(keep="first")
            table_codes, polygons = table_codes[first], polygons[first]
        position = np.append(table_codes.get_indexer(current[:-1]), -1)
    known_code = position >= 0

    geom = practitioners.geometry
    points = geom.to_numpy()
    has_point = ~shapely.is_missing(points) & ~shapely.is_empty(points)
    if has_point.any() and practitioners.crs is None:
        msg = f"{source}: praticiens avec coordonnées mais sans système de coordonnées ; impossible de les localiser."
        raise InputError(msg)
    new_geom = np.full(n, None, dtype=object)
    joined_codes = np.full(n, None, dtype=object)
    if has_point.any():
        geom = geom.to_crs(communes.crs)
        new_geom = geom.to_numpy().astype(object)
        pts = gpd.GeoDataFrame(geometry=geom[has_point])
        if table_codes is None:
            table_codes = pd.Index(communes["code_commune"].to_numpy(dtype=object))
        polys = gpd.GeoDataFrame({"_code": table_codes.to_numpy()}, geometry=polygons, crs=communes.crs)
        hit = gpd.sjoin(pts, polys, how="left", predicate="intersects")
        hit = hit[~hit.index.duplicated(keep="first")]
        joined = pd.Series(None, index=practitioners.index, dtype=object)
        joined.loc[hit.index] = hit["_code"].to_numpy(dtype=object)
        joined_codes = joined.to_numpy(dtype=object)
        joined_codes = np.where(pd.isna(joined_codes), None, joined_codes)

    codes = current[rows_code]  # current code of each row, None without one
    has_code = rows_code >= 0
    known = known_code[rows_code]
    found = has_point & (joined_codes != None)  # noqa: E711 (element-wise on an object array)
    outside_kept = has_point & ~found & known
    both = found & has_code  # (without points, as rows of a commune code: nothing to compare)
    disagree = int((joined_codes[both] != codes[both]).sum()) if both.any() else 0
    final_codes = np.where(found, joined_codes, codes) if found.any() else codes

    no_point = ~has_point
    motif = np.full(n, None, dtype=object)
    motif[no_point & ~has_code] = "ni coordonnées ni code commune"
    # The motifs naming a code are built for the rows concerned only (few, often none).
    absent = np.flatnonzero(no_point & has_code & ~known)
    if len(absent):
        motif[absent] = [f"code commune {c} absent des communes chargées" for c in codes[absent]]
        # Paris, Lyon, Marseille coded as a whole against contours by arrondissement: no arrondissement to pick.
        if table_codes is None:
            table_codes = pd.Index(communes["code_commune"].to_numpy(dtype=object))
        split = cities_split_into_arrondissements(table_codes)
        whole_city = [i for i in absent if codes[i] in split]
        motif[whole_city] = [
            f"code commune {codes[i]} ({CITIES_WITH_ARRONDISSEMENTS[codes[i]]}) sans arrondissement, contours par "
            "arrondissement"
            for i in whole_city
        ]
    motif[has_point & ~found & ~known] = "point hors de toutes les communes chargées"
    from_anchor = no_point & known
    if from_anchor.any():
        # Rows without a point take the representative point of their commune, one point object per commune.
        # The communes used (ascending) and each row's among them, as np.unique(..., return_inverse=True) gives them
        # (a count per commune instead of a sort of the rows).
        anchored = position[rows_code[from_anchor]]
        used = np.flatnonzero(np.bincount(anchored, minlength=len(polygons)))
        slot = np.zeros(len(polygons), dtype=np.intp)
        slot[used] = np.arange(len(used))
        rows_used = slot[anchored]
        xy = representative_points(polygons)[used]
        anchor_points = shapely.points(xy)
        odd = ~np.isfinite(xy).all(axis=1)  # missing or empty contours: as GeoSeries.representative_point gives them
        anchor_points[odd] = shapely.point_on_surface(polygons[used[odd]])
        new_geom[from_anchor] = anchor_points[rows_used]

    dropped = motif != None  # noqa: E711 (element-wise on an object array)
    records = left_out_records(source, lines[dropped], practitioners["id"].to_numpy()[dropped], motif[dropped])
    keep = ~dropped
    frame = pd.DataFrame(practitioners.drop(columns=practitioners.geometry.name))
    frame["code_commune"] = pd.Series(final_codes, index=frame.index, dtype=object)  # as read: object, not str
    out = gpd.GeoDataFrame(frame, geometry=new_geom, crs=communes.crs, copy=False)  # frame is ours: no copy
    out = (out if keep.all() else out.loc[keep]).reset_index(drop=True)
    out.attrs["source"] = source
    out.attrs["left_out"] = LeftOutRecords([*practitioners.attrs.get("left_out", []), *records])
    if "selection" in practitioners.attrs:
        out.attrs["selection"] = dict(practitioners.attrs["selection"])
    out.attrs["localisation"] = {
        "codes_anciens_remplaces": replaced,
        "arrondissements_rattaches_a_la_commune": arrondissements,
        "points_dans_une_autre_commune": disagree,
        "points_hors_communes_gardes": int(outside_kept.sum()),
        "places_au_point_de_la_commune": int(from_anchor.sum()),
        "ecartees": len(records),
    }
    if arrondissements:
        warn(
            f"{source}: {arrondissements} praticien(s) codé(s) par arrondissement municipal (Paris, Lyon, "
            "Marseille) placé(s) dans leur commune : les contours sont au niveau de la commune."
        )
    if disagree:
        warn(
            f"{source}: {disagree} praticien(s) dont le point est dans une autre commune que le code déclaré ; "
            "la commune du point est retenue."
        )
    warn_left_out(records, source=source, total=n)
    log.info("%s: localisation %s", source, out.attrs["localisation"])
    return out


#: Département codes of the COG (metropolitan, Corsica before and after 1976, overseas DOM and COM).
DEPARTEMENTS = frozenset(
    [f"{d:02d}" for d in range(1, 96) if d != 20] + ["20", "2A", "2B"] + [str(d) for d in range(971, 979)]
)


@dataclass(frozen=True)
class TerritorySplit:
    """Practitioners split by where their commune code is: in the territory, outside, or nowhere.

    Attributes
    ----------
    inside
        Rows to locate in the territory (current code in its départements, or no code but a point).
    outside
        Rows coded in a real commune of another département (not an error: a national file).
    unknown
        Left-out records (line number, motif « code commune inconnu ») of codes that exist in no COG vintage read.
    """

    inside: gpd.GeoDataFrame
    outside: gpd.GeoDataFrame
    unknown: list[dict] = field(default_factory=list)

    @property
    def n_outside(self) -> float:
        """Practitioners outside (head count: sum of ``nombre``)."""
        return float(self.outside["nombre"].sum()) if len(self.outside) else 0.0

    @property
    def n_outside_communes(self) -> int:
        """Number of distinct communes outside the territory where practitioners are coded."""
        return int(self.outside["code_commune"].nunique()) if len(self.outside) else 0

    def outside_codes(self, n: int = 5) -> list[str]:
        """Return the ``n`` commune codes outside the territory with the most practitioners."""
        if not len(self.outside):
            return []
        counts = self.outside.groupby("code_commune")["nombre"].sum().sort_values(ascending=False, kind="stable")
        return counts.index[:n].tolist()

    def summary(self) -> str:
        """One French sentence for the run summary."""
        text = f"{fr_int(self.n_outside)} praticien(s) hors territoire"
        if len(self.outside):
            more = "…" if self.outside["code_commune"].nunique() > 5 else ""
            text += f" (communes {', '.join(self.outside_codes())}{more})"
        return text + f", {len(self.unknown)} ligne(s) au code commune inconnu."


def split_by_territory(
    practitioners: gpd.GeoDataFrame,
    departements: Iterable[str],
    *,
    former_codes: Mapping[str, str] | None = None,
    known_codes: Iterable[str] = (),
    known_departements: Iterable[str] = (),
) -> TerritorySplit:
    """Split practitioners into those of the territory, those of real communes elsewhere, and unknown codes.

    A code is unknown when it exists in no COG vintage read: absent from ``known_codes`` (the population
    table's current, former and arrondissement codes) in a département that table covers, or, elsewhere, not
    shaped like a commune code (a département that does not exist, such as 99, or commune number 000, as in
    a postcode like 31000). Unknown rows become left-out records with their line and motif; rows of real
    communes outside the territory are kept apart and counted, and :meth:`TerritorySplit.summary` names the
    first few.

    Parameters
    ----------
    practitioners
        Practitioners schema, as read (codes of any vintage).
    departements
        Départements of the territory.
    former_codes
        Former code → current code (COG reconciliation; arrondissements of cities at commune level).
    known_codes, known_departements
        Codes known to the population table's COG, and the départements it covers
        (:attr:`territoires.io.cog.VintageReport.known_codes`).
    """
    source = str(practitioners.attrs.get("source", "praticiens"))
    # On the distinct codes (a national file repeats a few tens of thousands of codes over millions of rows), each
    # flag then taken back to the rows; the last slot of every per-code array stands for the rows without a code.
    rows_code, distinct = pd.factorize(practitioners["code_commune"], use_na_sentinel=True)
    distinct = pd.Series(np.asarray(distinct, dtype=object), dtype=object)
    distinct_text = text_array(distinct)  # the loaders' codes are text: looked up by Arrow
    # The codes as told in the motifs.
    text = distinct.to_numpy() if distinct_text is not None else np.asarray(distinct.astype(str), dtype=object)
    current = _resolve(distinct, former_codes) if former_codes else distinct
    deps = departement_of(current)
    known = text_array(pd.Series(list(known_codes), dtype=object))
    covered = text_isin(deps, known_departements)
    territory = text_isin(deps, departements)
    if distinct_text is not None:
        postcode = pc.ends_with(distinct_text, "000").to_numpy(zero_copy_only=False)
    else:
        postcode = pd.Series(text, dtype=object).str.endswith("000").to_numpy(dtype=bool)
    malformed = ~text_isin(deps, DEPARTEMENTS) | postcode
    # In the territory's own départements, a code missing from the contours is told by locate_in_communes.
    absent = ~text_isin(distinct, known_codes, keys=known, values_text=distinct_text)
    if current is not distinct:
        absent &= ~text_isin(current, known_codes, keys=known)
    unknown_code = (covered & absent) | (~covered & ~territory & malformed)
    has_code = rows_code >= 0
    unknown = np.append(unknown_code, False)[rows_code]
    inside = np.append(territory, True)[rows_code] & ~unknown
    outside = has_code & ~inside & ~unknown
    lines = (
        practitioners["source_ligne"].to_numpy()
        if "source_ligne" in practitioners
        else np.arange(len(practitioners)) + 2
    )
    codes = text[rows_code[unknown]]
    motif = [
        f"code commune inconnu ({c} : un code postal ?)" if p else f"code commune inconnu ({c})"
        for c, p in zip(codes, postcode[rows_code[unknown]], strict=True)
    ]
    records = left_out_records(source, lines[unknown], practitioners["id"].to_numpy()[unknown], motif)
    attrs = dict(practitioners.attrs)

    def part(mask: np.ndarray) -> gpd.GeoDataFrame:
        frame = practitioners.copy(deep=False) if mask.all() else practitioners.loc[mask]  # (all rows: no copy)
        frame.attrs = dict(attrs)
        return frame

    kept = part(inside)
    kept.attrs["left_out"] = LeftOutRecords([*attrs.get("left_out", []), *records])
    result = TerritorySplit(inside=kept, outside=part(outside), unknown=records)
    if records:
        examples = ", ".join(f"ligne {line} : {code}" for line, code in zip(lines[unknown][:5], codes[:5], strict=True))
        warn(
            f"{source}: {len(records)} ligne(s) au code commune inconnu écartée(s) (aucune commune de ce code "
            f"dans le COG lu ; {examples}).",
            stacklevel=3,
        )
    if log.isEnabledFor(logging.INFO):  # the summary counts and sorts the rows outside: only when logged
        log.info("%s: %s", source, result.summary())
    return result


def _resolve(codes: pd.Series, former_codes: Mapping[str, str]) -> pd.Series:
    """Map codes through ``former_codes`` until they stop changing (successive mergers)."""
    mapping = pd.Series(dict(former_codes), dtype=object)
    current = codes.astype(object)
    for _ in range(20):
        nxt = current.map(mapping).where(current.isin(mapping.index), current)
        if nxt.equals(current):
            break
        current = nxt
    return current.where(current.notna(), None)


# --------------------------------------------------------------------------------------------------------------
# Helpers


def _to_geodataframe(frame: pd.DataFrame, geometry, *, crs) -> gpd.GeoDataFrame:
    """Return ``frame`` with the practitioners columns in schema order and the given geometry."""
    frame = frame.reset_index(drop=True)
    if geometry is None:
        geometry = gpd.GeoSeries([None] * len(frame), crs=crs)
    else:
        geometry = gpd.GeoSeries(np.asarray(geometry, dtype=object), crs=crs)
    frame = frame.loc[:, list(PRACTITIONER_COLUMNS)]
    frame["source_ligne"] = frame["source_ligne"].astype("int64")
    frame["nombre"] = frame["nombre"].astype(float)
    for col in ("activite", "etp", "age"):
        frame[col] = frame[col].astype(float)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=crs, copy=False)  # frame is ours: no copy of its columns


def _check_professions(professions: Iterable[str] | None) -> list[str] | None:
    if professions is None:
        return None
    if isinstance(professions, str):
        professions = [professions]
    keys = list(professions)
    unknown = [p for p in keys if p not in PROFESSIONS]
    if unknown or not keys:
        msg = (
            f"professions inconnues : {', '.join(map(repr, unknown)) or 'aucune'} ; "
            f"valeurs acceptées : {', '.join(PROFESSIONS)}."
        )
        raise ParameterError(msg)
    return keys


def _check_modes(modes: Iterable[str] | None) -> list[str] | None:
    if modes is None:
        return None
    if isinstance(modes, str):
        modes = [modes]
    keys = list(modes)
    allowed = set(MODES.values())
    unknown = [m for m in keys if m not in allowed]
    if unknown or not keys:
        msg = (
            f"modes d'exercice inconnus : {', '.join(map(repr, unknown)) or 'aucun'} ; "
            "valeurs acceptées : liberal, salarie, benevole."
        )
        raise ParameterError(msg)
    return keys


def _parse_crs(crs, *, source: str) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_user_input(crs)
    except CRSError as exc:
        msg = f"{source}: système de coordonnées inconnu {crs!r} ; un code EPSG était attendu (ex. EPSG:2154)."
        raise InputError(msg) from exc
