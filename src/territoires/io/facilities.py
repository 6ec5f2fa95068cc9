"""Care facilities: the FINESS extraction (both published layouts) and the INSEE BPE.

FINESS (fichier national des établissements sanitaires et sociaux) comes as

1. the classic stock file ``etalab-cs1100507-stock-<date>.csv``: ``;``-separated, no header, Latin-1, a first
   line ``finess;etalab;...``, then ``structureet`` records (identity, address, category), then
   ``geolocalisation`` records (FINESS number, X, Y, geocoding source, date);
2. the geolocated table with a header ``nofinesset;nofinessej;rs;...;coordx;coordy;sourcegeocod;...``.

In both, coordinates are in the projection named by the last item of the geocoding source
(``1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93``): Lambert-93 in metropolitan France, local UTM zones
overseas (:data:`FINESS_PROJECTIONS`). All points are returned in one CRS, Lambert-93 by default: an overseas
point is then an exact position expressed in Lambert-93 coordinates, to be reprojected into its local CRS
(:data:`territoires.settings.CRS_OVERSEAS`) before measuring distances (the analysis does so with the communes'
CRS); pass ``crs="EPSG:2975"`` (La Réunion) and so on to work on one overseas territory directly.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from pyproj.exceptions import CRSError

from .._errors import InputError, ParameterError, warn
from .._format import fr_list
from ..schemas import FACILITY_COLUMNS, FACILITY_TYPES, PRACTITIONER_COLUMNS
from ..settings import CRS_METROPOLE, CRS_OVERSEAS
from ._columns import find_column, require_column, to_number
from ._left_out import left_out_records, warn_left_out
from ._tables import detect_encoding, read_table

log = logging.getLogger(__name__)

__all__ = [
    "BPE_PROFESSIONS",
    "FINESS_PROJECTIONS",
    "FINESS_STRUCTURE_FIELDS",
    "DESTINATION_COLUMNS",
    "EQUIPMENT_KINDS",
    "EQUIPMENT_LABELS",
    "HOSPITAL_CATEGORIES",
    "destinations_from_bpe",
    "destinations_from_files",
    "destinations_from_finess",
    "equipment_codes",
    "facilities_from_bpe",
    "facilities_from_finess",
    "facility_type",
]

#: Fields of a ``structureet`` record of the stock file, in order (recent files add ``numuai``).
FINESS_STRUCTURE_FIELDS = (
    "structureet", "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie",
    "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement", "telephone",
    "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret", "codeape", "codemft",
    "libmft", "codesph", "libsph", "dateouv", "dateautor", "datemaj", "numuai",
)  # fmt: skip
#: Fields of a ``geolocalisation`` record of the stock file.
FINESS_GEO_FIELDS = ("geolocalisation", "nofinesset", "coordxet", "coordyet", "sourcecoordet", "datemaj")
#: Projection named at the end of the FINESS geocoding source → CRS. UTM_N20: Guadeloupe, Martinique (RGAF09);
#: UTM_N21: Saint-Pierre-et-Miquelon (RGSPM06); UTM_N22: Guyane (RGFG95); UTM_S38: Mayotte (RGM04);
#: UTM_S40: La Réunion (RGR92).
FINESS_PROJECTIONS = {
    "LAMBERT_93": CRS_METROPOLE,
    "UTM_N20": CRS_OVERSEAS["971"],
    "UTM_N21": "EPSG:4467",
    "UTM_N22": CRS_OVERSEAS["973"],
    "UTM_S38": CRS_OVERSEAS["976"],
    "UTM_S40": CRS_OVERSEAS["974"],
}
#: FINESS département codes of the overseas départements (the INSEE commune code starts with 97).
_FINESS_OVERSEAS_DEPARTEMENTS = {"9A", "9B", "9C", "9D", "9E", "9F"}

#: ``categetab`` codes of health establishments counted as hospitals (ANS nomenclature TRE_R66): 101 CHR/CHU,
#: 106 centre hospitalier ex hôpital local, 109 private SSR, 114 hôpital des armées, 115 service de santé des
#: armées, 122 obstetrics and surgery, 128 surgical, 129 medical, 131 cancer centre (CLCC), 292 psychiatric
#: hospital (CHS), 355 centre hospitalier, 362 long-stay care (USLD), 365 multidisciplinary, 697 GCS
#: établissement de santé.
HOSPITAL_CATEGORIES = frozenset(
    {"101", "106", "109", "114", "115", "122", "128", "129", "131", "292", "355", "362", "365", "697"}
)
_TYPE_BY_CATEGORY = {"603": "msp", "124": "centre_sante", "604": "cpts"}

#: BPE ``TYPEQU`` codes of health professionals (BPE nomenclature, D2 "fonctions médicales et paramédicales";
#: to confirm against the vintage used: INSEE revised the nomenclature in 2021) → profession key.
BPE_PROFESSIONS = {
    "D201": "medecin_generaliste",  # médecin omnipraticien
    **{f"D2{n:02d}": "medecin_specialiste" for n in range(2, 15)},
    "D221": "chirurgien_dentiste",
    "D231": "sage_femme",
    "D232": "infirmier",
    "D233": "masseur_kinesitherapeute",
    "D301": "pharmacien",  # pharmacie
    "D265": "medecin_generaliste",  # médecin généraliste (nomenclature from the 2021 edition)
    "D307": "pharmacien",  # pharmacie (nomenclature from the 2021 edition)
}


def facility_type(categories: pd.Series) -> pd.Series:
    """Return the :data:`~territoires.schemas.FACILITY_TYPES` key of FINESS ``categetab`` codes.

    >>> facility_type(pd.Series(["603", "124", "604", "355", "500"])).tolist()
    ['msp', 'centre_sante', 'cpts', 'hopital', 'autre']
    """
    codes = categories.astype("string").str.strip()
    kind = codes.map(_TYPE_BY_CATEGORY)
    kind = kind.mask(kind.isna() & codes.isin(HOSPITAL_CATEGORIES), "hopital")
    return kind.fillna("autre").astype(object)


def facilities_from_finess(
    path: str | Path,
    *,
    categories: Iterable[str | int] | None = None,
    crs: str | pyproj.CRS = CRS_METROPOLE,
) -> gpd.GeoDataFrame:
    """Read a FINESS extraction of establishments, in either published layout (detected).

    Parameters
    ----------
    path
        The stock file (``structureet`` and ``geolocalisation`` records) or the geolocated table with a header.
    categories
        Keep only these establishments: ``categetab`` codes (``603``, ``"124"``...) and/or facility types
        (``"msp"``, ``"centre_sante"``, ``"cpts"``, ``"hopital"``, ``"autre"``). ``None`` keeps all.
    crs
        CRS of the returned points (Lambert-93 by default; see the module docstring for overseas points).

    Returns
    -------
    geopandas.GeoDataFrame
        The facilities schema (``finess``, ``nom``, ``categorie``, ``libelle_categorie``, ``type_structure``,
        ``code_commune``) with points. Establishments without coordinates, with a projection not in
        :data:`FINESS_PROJECTIONS`, or listed twice are in ``attrs["left_out"]`` (one warning summarises them).

    Raises
    ------
    InputError
        Missing or empty file, layout not recognised (wrong separator), missing column, truncated records,
        non-numeric coordinates.
    """
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise InputError(f"{source}: fichier introuvable (extraction FINESS).")
    if path.stat().st_size == 0:
        raise InputError(f"{source}: fichier vide (extraction FINESS).")
    target = _parse_crs(crs, source=source)
    keep_categories, keep_types = _check_categories(categories)
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        head = [fh.readline() for _ in range(3)]
    first_fields = [line.split(";")[0].strip().lower() for line in head]
    if first_fields[0] == "nofinesset":
        table = _read_geolocated_table(path)
    elif "structureet" in first_fields:
        table = _read_stock_file(path, encoding=encoding)
    else:
        msg = (
            f"{source}: format FINESS non reconnu ; attendu soit l'en-tête 'nofinesset;nofinessej;rs;...' (table "
            "géolocalisée), soit des enregistrements 'structureet;...' séparés par ';' (fichier stock). "
            f"Première ligne lue : {head[0][:100]!r}"
        )
        raise InputError(msg)
    total = len(table)

    finess = table["finess"].str.strip()
    x = to_number(table["x"], source=source, column=table.attrs["x_column"], allow_missing=True)
    y = to_number(table["y"], source=source, column=table.attrs["y_column"], allow_missing=True)
    projection = table["projection"].str.strip().str.upper()
    kind = facility_type(table["categorie"])

    motif = pd.Series(pd.NA, index=table.index, dtype=object)
    motif = motif.mask(
        ~finess.fillna("").str.fullmatch(r"[0-9]{2}[0-9AB][0-9]{6}|2[AB][0-9]{7}"), "numéro FINESS invalide"
    )
    duplicated = finess.duplicated(keep="first") & motif.isna()
    motif = motif.mask(duplicated, "numéro FINESS en double")
    no_xy = (x.isna() | y.isna()) & motif.isna()
    motif = motif.mask(no_xy, "pas de coordonnées")
    unknown = ~projection.isin(FINESS_PROJECTIONS) & motif.isna()
    motif = motif.mask(unknown, "projection inconnue (" + projection.fillna("non renseignée") + ")")

    selected = pd.Series(True, index=table.index)
    if keep_categories is not None or keep_types is not None:
        selected = table["categorie"].str.strip().isin(keep_categories or ()) | kind.isin(keep_types or ())
    dropped = (selected & motif.notna()).to_numpy()
    records = left_out_records(source, table["ligne"][dropped], finess[dropped], motif[dropped])
    keep = (selected & motif.isna()).to_numpy().copy()

    kept = table.loc[keep]
    points = np.empty(int(keep.sum()), dtype=object)
    for name, group in kept.groupby(projection[keep], sort=False):  # one transform per projection (a handful)
        idx = kept.index.get_indexer(group.index)
        pts = gpd.GeoSeries(gpd.points_from_xy(x[group.index], y[group.index]), crs=FINESS_PROJECTIONS[name])
        points[idx] = pts.to_crs(target).to_numpy()
    outside = _outside_france(points, kept["ligne"].to_numpy(), target, source=source)
    if outside.any():  # a few typos: left out, named; many would have refused the file
        where = np.flatnonzero(keep)[outside]
        motif.iloc[where] = "coordonnées hors de France et des outre-mer"
        more = left_out_records(source, table["ligne"].iloc[where], finess.iloc[where], motif.iloc[where])
        records = records + more
        keep[where] = False
        kept, points = table.loc[keep], points[~outside]
    result = gpd.GeoDataFrame(
        {
            "finess": finess[keep].to_numpy(dtype=object),
            "nom": kept["nom"].str.strip().to_numpy(dtype=object),
            "categorie": kept["categorie"].str.strip().to_numpy(dtype=object),
            "libelle_categorie": kept["libelle"].str.strip().to_numpy(dtype=object),
            "type_structure": kind[keep].to_numpy(dtype=object),
            "code_commune": kept["code_commune"].to_numpy(dtype=object),
        },
        geometry=points,
        crs=target,
    )
    result = result.loc[:, [*FACILITY_COLUMNS, "geometry"]]
    result.attrs["source"] = source
    result.attrs["left_out"] = records
    result.attrs["selection"] = {"lignes_lues": total, "autres_categories": int((~selected).sum())}
    log.info("%s: %d établissements lus, %d retenus", source, total, len(result))
    warn_left_out(records, source=source, total=int(selected.sum()))
    return result


def _read_stock_file(path: Path, *, encoding: str) -> pd.DataFrame:
    """Read the classic stock file: join ``structureet`` and ``geolocalisation`` records on the FINESS number."""
    source = str(path)
    width = len(FINESS_STRUCTURE_FIELDS) + 8
    try:
        raw = pd.read_csv(
            path,
            sep=";",
            header=None,
            names=range(width),
            dtype=str,
            encoding=encoding,
            keep_default_na=False,
            na_values=[""],
            quoting=csv.QUOTE_NONE,
            index_col=False,
            skip_blank_lines=False,
        )
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: encodage illisible ({exc.reason}); Latin-1 ou UTF-8 attendu.") from exc
    except pd.errors.ParserError as exc:
        raise InputError(f"{source}: lecture impossible ({exc}).") from exc
    raw["ligne"] = raw.index + 1  # no header: line 1 is the first record
    kind = raw[0].str.strip().str.lower()
    structures = raw.loc[kind.eq("structureet")]
    geo = raw.loc[kind.eq("geolocalisation")]
    n_struct = len(FINESS_STRUCTURE_FIELDS) - 1  # numuai is missing from older files
    # Empty trailing fields are legal: count separators, not non-empty values.
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        counts = [line.count(";") + 1 for line in fh]
    counts = pd.Series(counts, index=range(len(counts)))
    short = structures.index[counts[structures.index] < n_struct]
    if len(short):
        rows = ", ".join(f"ligne {i + 1} : {counts[i]} champs" for i in short[:5])
        msg = (
            f"{source}: {len(short)} enregistrement(s) 'structureet' tronqué(s) ({rows}); au moins {n_struct} "
            "champs séparés par ';' étaient attendus."
        )
        raise InputError(msg)
    short_geo = geo.index[counts[geo.index] < len(FINESS_GEO_FIELDS) - 1]
    if len(short_geo):
        rows = ", ".join(f"ligne {i + 1} : {counts[i]} champs" for i in short_geo[:5])
        msg = f"{source}: {len(short_geo)} enregistrement(s) 'geolocalisation' tronqué(s) ({rows})."
        raise InputError(msg)
    col = {name: i for i, name in enumerate(FINESS_STRUCTURE_FIELDS)}
    geo = geo.rename(columns={1: "finess", 2: "x", 3: "y", 4: "source_geo"})[["finess", "x", "y", "source_geo"]]
    geo = geo.assign(finess=geo["finess"].str.strip()).drop_duplicates("finess", keep="last")
    table = pd.DataFrame(
        {
            "finess": structures[col["nofinesset"]].str.strip(),
            "nom": structures[col["rs"]],
            "categorie": structures[col["categetab"]],
            "libelle": structures[col["libcategetab"]],
            "code_commune": _stock_commune_code(structures[col["departement"]], structures[col["commune"]]),
            "ligne": structures["ligne"],
        }
    ).reset_index(drop=True)
    table = table.merge(geo, on="finess", how="left")
    table["projection"] = table["source_geo"].str.rsplit(",", n=1).str[-1]
    table.attrs.update(x_column="coordxet", y_column="coordyet")
    return table


def _stock_commune_code(departements: pd.Series, communes: pd.Series) -> pd.Series:
    """INSEE commune code from the FINESS département (``31``, ``2A``, ``9D``) and 3-character commune number.

    Overseas départements are coded ``9A`` to ``9F`` in FINESS; their INSEE codes are ``97`` + the commune
    number (``9D`` + ``411`` → ``97411``, Saint-Denis de La Réunion).
    """
    dep = departements.astype("string").str.strip().str.upper()
    com = communes.astype("string").str.strip().str.zfill(3)
    code = dep.where(~dep.isin(_FINESS_OVERSEAS_DEPARTEMENTS), "97") + com
    return code.astype(object).where(code.notna() & dep.notna(), None)


def _read_geolocated_table(path: Path) -> pd.DataFrame:
    """Read the geolocated table with a header (``coordx``/``coordy``/``sourcegeocod``, ``cog``)."""
    source = str(path)
    raw = read_table(path, what="extraction FINESS géolocalisée", sep=";")
    names = {
        "finess": ("nofinesset",),
        "nom": ("rs",),
        "categorie": ("categetab",),
        "libelle": ("libcategetab",),
        "code_commune": ("cog", "code_commune", "commune"),
        "x": ("coordx", "coordxet"),
        "y": ("coordy", "coordyet"),
        "source_geo": ("sourcegeocod", "sourcecoordet"),
    }
    found = {key: require_column(raw, syn[0], source=source, synonyms=syn) for key, syn in names.items()}
    table = pd.DataFrame({key: raw[col] for key, col in found.items()})
    code = table["code_commune"].astype("string").str.strip().str.upper()
    table["code_commune"] = code.mask(code.str.len() == 4, "0" + code).astype(object).where(code.notna(), None)
    table["ligne"] = raw.index + 2
    table["projection"] = table["source_geo"].str.rsplit(",", n=1).str[-1]
    table.attrs.update(x_column=found["x"], y_column=found["y"])
    return table


def _check_categories(categories: Iterable[str | int] | None) -> tuple[set[str] | None, set[str] | None]:
    if categories is None:
        return None, None
    if isinstance(categories, str | int):
        categories = [categories]
    values = [str(c).strip() for c in categories]
    types = {v for v in values if v in FACILITY_TYPES}
    codes = {v for v in values if v not in FACILITY_TYPES}
    bad = [c for c in codes if not c.isdigit()]
    if bad or not values:
        msg = (
            f"catégories FINESS inconnues : {', '.join(map(repr, bad)) or 'aucune'} ; des codes categetab (603, "
            f"124, 604, 355...) ou des types ({', '.join(FACILITY_TYPES)}) étaient attendus."
        )
        raise ParameterError(msg)
    return codes, types


def _parse_crs(crs, *, source: str) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_user_input(crs)
    except CRSError as exc:
        msg = f"{source}: système de coordonnées inconnu {crs!r} ; un code EPSG était attendu (ex. EPSG:2154)."
        raise InputError(msg) from exc


# --------------------------------------------------------------------------------------------------------------
# INSEE BPE


def facilities_from_bpe(
    path: str | Path, *, types: Iterable[str] = ("D201",), crs: str | pyproj.CRS = CRS_METROPOLE
) -> gpd.GeoDataFrame:
    """Read health professionals from the INSEE BPE (base permanente des équipements) as practitioners.

    Parameters
    ----------
    path
        BPE file (``;``-separated) with ``TYPEQU``, ``DEPCOM`` and ``LAMBERT_X``/``LAMBERT_Y`` (Lambert-93 in
        metropolitan France, the local UTM projection overseas); ``NB_EQUIP`` (equipments on the row) if present.
    types
        ``TYPEQU`` codes to keep (D201 = médecin omnipraticien).
    crs
        CRS of the returned points.

    Returns
    -------
    geopandas.GeoDataFrame
        The practitioners schema: ``profession`` from :data:`BPE_PROFESSIONS` (``autre`` elsewhere), ``nombre`` =
        ``NB_EQUIP`` (1 when absent), ``id`` = ``BPE-<line>``; rows without coordinates keep their commune code
        and no geometry (:func:`territoires.io.practitioners.locate_in_communes` places them).
    """
    path = Path(path)
    source = str(path)
    target = _parse_crs(crs, source=source)
    keep_types = {str(t).strip().upper() for t in ([types] if isinstance(types, str) else types)}
    raw = read_table(path, what="base permanente des équipements (BPE)")
    type_col = require_column(raw, "TYPEQU", source=source, synonyms=("TYPEQU",))
    code_col = require_column(raw, "code_commune", source=source, synonyms=("DEPCOM", "CODGEO", "code_commune"))
    x_col = require_column(raw, "x", source=source, synonyms=("LAMBERT_X", "x", "coordx"))
    y_col = require_column(raw, "y", source=source, synonyms=("LAMBERT_Y", "y", "coordy"))
    selected = raw[type_col].str.strip().str.upper().isin(keep_types)
    table = raw.loc[selected]
    lines = (table.index + 2).to_numpy()
    code = table[code_col].astype("string").str.strip().str.upper()
    code = code.mask(code.str.len() == 4, "0" + code)
    x = to_number(table[x_col], source=source, column=x_col, allow_missing=True)
    y = to_number(table[y_col], source=source, column=y_col, allow_missing=True)
    count_col = find_column(raw.columns, "nombre", synonyms=("NB_EQUIP", "nombre"))
    if count_col is not None:
        nombre = to_number(table[count_col], source=source, column=count_col, allow_missing=True).fillna(1.0)
    else:
        nombre = pd.Series(1.0, index=table.index)

    motif = pd.Series(pd.NA, index=table.index, dtype=object)
    motif = motif.mask(code.isna() & (x.isna() | y.isna()), "ni coordonnées ni code commune")
    records = left_out_records(source, lines[motif.notna().to_numpy()], code[motif.notna()], motif[motif.notna()])
    keep = motif.isna().to_numpy()
    table, code, x, y, nombre, lines = table.loc[keep], code[keep], x[keep], y[keep], nombre[keep], lines[keep]

    local = code.str[:3].map(dict(CRS_OVERSEAS)).fillna(CRS_METROPOLE)
    points = np.full(len(table), None, dtype=object)
    has_xy = (x.notna() & y.notna()).to_numpy()
    for name, idx in pd.Series(np.arange(len(table)))[has_xy].groupby(local.to_numpy()[has_xy]):
        pts = gpd.GeoSeries(gpd.points_from_xy(x.iloc[idx.to_numpy()], y.iloc[idx.to_numpy()]), crs=name)
        points[idx.to_numpy()] = pts.to_crs(target).to_numpy()
    frame = pd.DataFrame(
        {
            "id": [f"BPE-{n}" for n in lines],
            "nom": table[type_col].str.strip().to_numpy(dtype=object),
            "profession": table[type_col].str.strip().str.upper().map(BPE_PROFESSIONS).fillna("autre").to_numpy(),
            "specialite": None,
            "mode_exercice": None,
            "code_commune": code.astype(object).where(code.notna(), None).to_numpy(),
            "activite": np.nan,
            "etp": np.nan,
            "age": np.nan,
            "nombre": nombre.to_numpy(dtype=float),
            "source_ligne": lines.astype("int64"),
        }
    )
    result = gpd.GeoDataFrame(frame.loc[:, list(PRACTITIONER_COLUMNS)], geometry=points, crs=target)
    result.attrs["source"] = source
    result.attrs["left_out"] = records
    result.attrs["selection"] = {"lignes_lues": len(raw), "autres_types": int((~selected).sum())}
    warn_left_out(records, source=source, total=int(selected.sum()))
    return result


# --------------------------------------------------------------------------------------------------------------
# Facilities as destinations (time to the nearest one)

#: Named sets of BPE ``TYPEQU`` codes, both nomenclatures: the BPE until 2020 codes GPs D201 and pharmacies D301;
#: from the 2021 edition, D265 (médecin généraliste) and D307 (pharmacie). Health establishments keep their codes:
#: D106 urgences, D107 maternité, D108 centre de santé, D113 maison de santé pluridisciplinaire. ``hopital`` is
#: read from FINESS (:data:`HOSPITAL_CATEGORIES`), not from the BPE.
EQUIPMENT_KINDS = {
    "urgences": ("D106",),
    "maternite": ("D107",),
    "pharmacie": ("D301", "D307"),
    "centre_sante": ("D108",),
    "msp": ("D113",),
    "medecin_generaliste": ("D201", "D265"),
}
#: French labels of the kinds of destination (maps, reports).
EQUIPMENT_LABELS = {
    "urgences": "service d'urgences",
    "maternite": "maternité",
    "pharmacie": "pharmacie",
    "centre_sante": "centre de santé",
    "msp": "maison de santé",
    "medecin_generaliste": "médecin généraliste",
    "hopital": "établissement hospitalier",
}
#: Columns of a destinations table (points, one row per facility): ``equipement`` (kind: a key of
#: :data:`EQUIPMENT_KINDS`, ``hopital`` or a raw ``TYPEQU`` code), ``code`` (``TYPEQU`` or FINESS category),
#: ``identifiant`` (``BPE-<line>`` or FINESS number), ``nom``, ``code_commune``, ``localisation``
#: (``coordonnées`` or ``centre de la commune``), ``source_ligne``.
DESTINATION_COLUMNS = ("equipement", "code", "identifiant", "nom", "code_commune", "localisation", "source_ligne")


def equipment_codes(kinds: Iterable[str] | str) -> dict[str, tuple[str, ...]]:
    """Resolve named sets and raw ``TYPEQU`` codes into {kind: codes}.

    >>> equipment_codes(["urgences", "D307", "pharmacie"])
    {'urgences': ('D106',), 'D307': ('D307',), 'pharmacie': ('D301', 'D307')}

    Raises
    ------
    ParameterError
        A name that is neither a named set nor a BPE code (a letter and three digits).
    """
    values = [kinds] if isinstance(kinds, str) else list(kinds)
    out: dict[str, tuple[str, ...]] = {}
    bad = []
    for value in values:
        key = str(value).strip()
        if key.lower() in EQUIPMENT_KINDS:
            out[key.lower()] = EQUIPMENT_KINDS[key.lower()]
        elif len(key) == 4 and key[0].isalpha() and key[1:].isdigit():
            out[key.upper()] = (key.upper(),)
        else:
            bad.append(key)
    if bad or not out:
        msg = (
            f"équipement(s) inconnu(s) : {', '.join(map(repr, bad)) or 'aucun'} ; un code TYPEQU de la BPE (D106, "
            f"D307…) ou un ensemble nommé ({', '.join(EQUIPMENT_KINDS)}) était attendu."
        )
        raise ParameterError(msg)
    return out


def destinations_from_bpe(
    path: str | Path,
    *,
    kinds: Iterable[str] | str = ("urgences", "maternite", "pharmacie"),
    communes: gpd.GeoDataFrame | None = None,
    crs: str | pyproj.CRS = CRS_METROPOLE,
) -> gpd.GeoDataFrame:
    """Read facilities of the INSEE BPE (base permanente des équipements) as destinations.

    The whole file is kept (no territory filter): the nearest maternity may be across a border.

    Parameters
    ----------
    path
        The BPE "ensemble" file with coordinates, ``;``-separated: ``TYPEQU``, ``DEPCOM``, ``LAMBERT_X``,
        ``LAMBERT_Y`` (and ``AN``, ``NOMRS``, ``QUALITE_XY``, ``EPSG`` in recent editions; ``EPSG`` gives each
        row's projection, else Lambert-93 in metropolitan France and the local UTM zone overseas, from ``DEPCOM``;
        ``NOMRS``, the establishment's name, names it, else the kind of facility does).
    kinds
        Named sets (:data:`EQUIPMENT_KINDS`: ``urgences``, ``maternite``, ``pharmacie``...) and/or raw ``TYPEQU``
        codes (``D106``). A row whose code belongs to several requested kinds appears once per kind.
    communes
        Communes (metric CRS, ``code_commune``): a row without coordinates is placed at the representative point of
        its commune (``localisation`` = ``centre de la commune``, counted in ``attrs["au_centre_commune"]``).
        Rows without coordinates whose commune is not among them are left out and reported.
    crs
        CRS of the returned points.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`DESTINATION_COLUMNS` and points; ``attrs["left_out"]``, ``attrs["par_equipement"]`` (count per kind),
        ``attrs["au_centre_commune"]``.

    Raises
    ------
    InputError
        Missing file or column, non-numeric coordinates, unknown ``EPSG`` code.
    ParameterError
        Unknown equipment name.
    """
    path = Path(path)
    source = str(path)
    wanted = equipment_codes(kinds)
    target = _parse_crs(crs, source=source)
    raw = read_table(path, what="base permanente des équipements (BPE)")
    type_col = require_column(raw, "TYPEQU", source=source, synonyms=("TYPEQU",))
    code_col = require_column(raw, "DEPCOM", source=source, synonyms=("DEPCOM", "CODGEO", "code_commune"))
    x_col = require_column(raw, "LAMBERT_X", source=source, synonyms=("LAMBERT_X", "x", "coordx"))
    y_col = require_column(raw, "LAMBERT_Y", source=source, synonyms=("LAMBERT_Y", "y", "coordy"))
    epsg_col = find_column(raw.columns, "EPSG", synonyms=("EPSG",))
    name_col = find_column(raw.columns, "NOMRS", synonyms=("NOMRS", "nom"))
    typequ = raw[type_col].astype("string").str.strip().str.upper()
    parts = []
    for kind, codes in wanted.items():
        hit = typequ.isin(codes).to_numpy()
        parts.append(pd.DataFrame({"equipement": kind, "row": np.flatnonzero(hit)}))
    rows = pd.concat(parts, ignore_index=True)
    table = raw.iloc[rows["row"].to_numpy()].reset_index(drop=True)
    lines = rows["row"].to_numpy() + 2
    code = table[code_col].astype("string").str.strip().str.upper()
    code = code.mask(code.str.len() == 4, "0" + code)
    x = to_number(table[x_col], source=source, column=x_col, allow_missing=True)
    y = to_number(table[y_col], source=source, column=y_col, allow_missing=True)
    if epsg_col is not None:
        epsg = table[epsg_col].astype("string").str.strip().str.replace(r"(?i)^epsg:", "", regex=True)
        local = ("EPSG:" + epsg).where(epsg.notna() & (epsg != ""), None)
    else:
        local = pd.Series(None, index=table.index, dtype=object)
    by_dep = code.str[:3].map(dict(CRS_OVERSEAS)).fillna(CRS_METROPOLE)
    local = local.fillna(by_dep).astype(str)
    has_xy = (x.notna() & y.notna()).to_numpy()
    points = np.full(len(table), None, dtype=object)
    for name, idx in pd.Series(np.arange(len(table)))[has_xy].groupby(local.to_numpy()[has_xy]):
        try:
            from_crs = pyproj.CRS.from_user_input(name)
        except CRSError as exc:
            line = int(lines[idx.to_numpy()[0]])
            raise InputError(f"{source}: ligne {line} : code EPSG inconnu {name!r} dans {epsg_col!r}.") from exc
        pts = gpd.GeoSeries(gpd.points_from_xy(x.iloc[idx.to_numpy()], y.iloc[idx.to_numpy()]), crs=from_crs)
        points[idx.to_numpy()] = pts.to_crs(target).to_numpy()
    outside = np.zeros(len(table), dtype=bool)
    outside[has_xy] = _outside_france(points[has_xy], lines[has_xy], target, source=source)
    if outside.any():  # a few typos: these rows are placed as rows without coordinates, and named
        warn(
            f"{source}: {int(outside.sum())} équipement(s) aux coordonnées hors de France et des outre-mer "
            f"({fr_list([f'ligne {n}' for n in lines[outside]])}) : coordonnées ignorées, placés au centre de leur "
            "commune (colonne localisation)."
        )
        points[outside] = None
        has_xy = has_xy & ~outside
    localisation = np.where(has_xy, "coordonnées", "centre de la commune").astype(object)
    localisation[outside] = "centre de la commune (coordonnées hors de France)"
    # The name of the establishment where the edition gives it (NOMRS), else the kind of facility.
    names = rows["equipement"].map(EQUIPMENT_LABELS).fillna(rows["equipement"])
    if name_col is not None:
        given = table[name_col].astype("string").str.strip()
        names = given.where(given.notna() & (given != ""), names.to_numpy()).astype(object)
    motif = pd.Series(pd.NA, index=table.index, dtype=object)
    centre = 0
    if (~has_xy).any():
        missing = np.flatnonzero(~has_xy)
        if communes is not None and len(communes):
            centres = gpd.GeoSeries(communes.geometry.representative_point().to_numpy(), crs=communes.crs).to_crs(
                target
            )
            lookup = pd.Series(centres.to_numpy(), index=communes["code_commune"].astype(str).to_numpy())
            lookup = lookup[~lookup.index.duplicated()]
            found = code.iloc[missing].map(lookup)
            placed = found.notna().to_numpy()
            points[missing[placed]] = found.to_numpy()[placed]
            centre = int(placed.sum())
            motif.iloc[missing[~placed]] = "pas de coordonnées, commune hors des contours chargés"
        else:
            motif.iloc[missing] = "pas de coordonnées (contours des communes non fournis)"
    if outside.any():  # ignored coordinates: say so where the commune could not stand in for them either
        motif = motif.where(~(outside & motif.notna().to_numpy()), motif.str.replace(
            "pas de coordonnées", "coordonnées hors de France et des outre-mer", regex=False
        ))  # fmt: skip
    dropped = motif.notna().to_numpy()
    records = left_out_records(source, lines[dropped], code[dropped], motif[dropped])
    keep = ~dropped
    result = gpd.GeoDataFrame(
        {
            "equipement": rows["equipement"].to_numpy(dtype=object)[keep],
            "code": typequ.iloc[rows["row"].to_numpy()].to_numpy(dtype=object)[keep],
            "identifiant": ("BPE-" + pd.Series(lines[keep]).astype(str)).to_numpy(dtype=object),
            "nom": names.to_numpy(dtype=object)[keep],
            "code_commune": code.astype(object).where(code.notna(), None).to_numpy()[keep],
            "localisation": localisation[keep],
            "source_ligne": lines[keep].astype("int64"),
        },
        geometry=list(points[keep]),
        crs=target,
    )
    counts = result["equipement"].value_counts()
    result.attrs["source"] = source
    result.attrs["left_out"] = records
    result.attrs["par_equipement"] = {kind: int(counts.get(kind, 0)) for kind in wanted}
    result.attrs["au_centre_commune"] = centre
    no_xy_placed = centre - int((outside & ~motif.notna().to_numpy()).sum())  # those with bad ones were told above
    if no_xy_placed:
        warn(
            f"{source}: {no_xy_placed} équipement(s) sans coordonnées placé(s) au centre de leur commune "
            "(colonne localisation = « centre de la commune »)."
        )
    empty = [kind for kind in wanted if not counts.get(kind, 0)]
    if empty:
        warn(
            f"{source}: aucun équipement {', '.join(empty)} (codes {', '.join(c for k in empty for c in wanted[k])}) : "
            "vérifiez le millésime de la BPE et ses codes TYPEQU."
        )
    warn_left_out(records, source=source, total=len(table))
    return result


#: Above this share of coordinates outside France and its overseas territories, the file is refused (a systematic
#: error: a wrong ``EPSG`` column, swapped X/Y, another projection); at or under it, the rows concerned are a typo
#: each and are handled row by row (BPE: placed at the centre of their commune; FINESS: left out), and named.
OUTSIDE_FRANCE_MAX_SHARE = 0.01


def _outside_france(points: np.ndarray, lines: np.ndarray, crs, *, source: str) -> np.ndarray:
    """Flag points outside France and its overseas territories; refuse the file if they are many.

    Returns a boolean array (True: outside). More than :data:`OUTSIDE_FRANCE_MAX_SHARE` of the points outside is
    a wrong ``EPSG`` column or swapped X/Y: kept, the facilities would sit thousands of kilometres away and every
    commune would be "far" from them without a word, so the file is refused, naming the count and first lines.
    """
    from .communes import EXTENTS_LONLAT

    if not len(points):
        return np.zeros(0, dtype=bool)
    with np.errstate(all="ignore"):
        lonlat = gpd.GeoSeries(list(points), crs=crs).to_crs("EPSG:4326")
    lon, lat = lonlat.x.to_numpy(), lonlat.y.to_numpy()
    boxes = np.array(list(EXTENTS_LONLAT.values()))
    inside = (
        (lon[:, None] >= boxes[:, 0]) & (lon[:, None] <= boxes[:, 2])
        & (lat[:, None] >= boxes[:, 1]) & (lat[:, None] <= boxes[:, 3])
    ).any(axis=1)  # fmt: skip
    out = np.flatnonzero(~inside)
    if len(out) > OUTSIDE_FRANCE_MAX_SHARE * len(points):
        first = ", ".join(f"ligne {int(lines[i])} ({lon[i]:.4g}, {lat[i]:.4g})" for i in out[:3])
        raise InputError(
            f"{source}: {len(out)} équipement(s) sur {len(points)} aux coordonnées hors de France et des outre-mer "
            f"(ex. {first} en longitude, latitude) ; vérifiez la colonne EPSG et l'ordre LAMBERT_X, LAMBERT_Y."
        )
    return ~inside


def destinations_from_finess(
    facilities: str | Path | gpd.GeoDataFrame,
    *,
    categories: Iterable[str | int] = ("hopital",),
    kind: str = "hopital",
    crs: str | pyproj.CRS = CRS_METROPOLE,
) -> gpd.GeoDataFrame:
    """FINESS establishments as destinations (hospitals by default: :data:`HOSPITAL_CATEGORIES`).

    ``facilities`` is a FINESS extraction (path, read with :func:`facilities_from_finess`) or its result; no
    territory filter is applied. Returns :data:`DESTINATION_COLUMNS` with ``equipement`` = ``kind``.
    """
    if isinstance(facilities, gpd.GeoDataFrame):
        keep_codes, keep_types = _check_categories(categories)
        cat = facilities["categorie"].astype(str).str.strip()
        fac = facilities.loc[cat.isin(keep_codes or ()) | facilities["type_structure"].isin(keep_types or ())]
        fac = fac.to_crs(crs)
    else:
        fac = facilities_from_finess(facilities, categories=categories, crs=crs)
    result = gpd.GeoDataFrame(
        {
            "equipement": kind,
            "code": fac["categorie"].to_numpy(dtype=object),
            "identifiant": fac["finess"].to_numpy(dtype=object),
            "nom": fac["nom"].to_numpy(dtype=object),
            "code_commune": fac["code_commune"].to_numpy(dtype=object),
            "localisation": "coordonnées",
            "source_ligne": pd.array([pd.NA] * len(fac), dtype="Int64"),
        },
        geometry=fac.geometry.to_numpy(),
        crs=fac.crs,
    )
    result.attrs["source"] = (
        facilities.attrs.get("source", "FINESS") if hasattr(facilities, "attrs") else str(facilities)
    )
    result.attrs["left_out"] = list(fac.attrs.get("left_out", []))
    result.attrs["par_equipement"] = {kind: len(result)}
    return result


def destinations_from_files(
    *,
    bpe: str | Path | None = None,
    finess: str | Path | gpd.GeoDataFrame | None = None,
    kinds: Iterable[str] | str = ("urgences", "maternite", "pharmacie"),
    communes: gpd.GeoDataFrame | None = None,
    crs: str | pyproj.CRS = CRS_METROPOLE,
) -> gpd.GeoDataFrame:
    """All destinations of a run: BPE equipment of ``kinds`` and, with a FINESS extraction, its hospitals.

    ``hopital`` in ``kinds`` is read from FINESS (and ignored for the BPE); FINESS hospitals are added whenever
    ``finess`` is given. ``attrs["left_out"]`` gathers both files' left-out rows, ``attrs["par_equipement"]``
    the count per kind, ``attrs["au_centre_commune"]`` the BPE rows placed at their commune's centre.
    """
    values = [kinds] if isinstance(kinds, str) else list(kinds)
    bpe_kinds = [k for k in values if str(k).strip().lower() != "hopital"]
    parts = []
    if bpe is not None and bpe_kinds:
        parts.append(destinations_from_bpe(bpe, kinds=bpe_kinds, communes=communes, crs=crs))
    if finess is not None:
        parts.append(destinations_from_finess(finess, crs=crs))
    if not parts:
        msg = (
            "aucune destination : donnez la BPE (--bpe) avec des équipements, ou une extraction FINESS (--facilities)."
        )
        raise ParameterError(msg)
    frames = [p.to_crs(crs) for p in parts]
    out = gpd.GeoDataFrame(
        pd.concat([pd.DataFrame(f) for f in frames], ignore_index=True), geometry="geometry", crs=crs
    )
    out.attrs = {
        "source": ", ".join(str(p.attrs.get("source", "")) for p in parts),
        "left_out": [r for p in parts for r in p.attrs.get("left_out", [])],
        "par_equipement": {k: v for p in parts for k, v in p.attrs.get("par_equipement", {}).items()},
        "au_centre_commune": sum(int(p.attrs.get("au_centre_commune", 0)) for p in parts),
    }
    return out
