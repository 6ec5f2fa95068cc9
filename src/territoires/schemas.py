"""The tables passed between loaders, analysis and exporters: their columns, in one place.

Loaders return these schemas, analysis functions add columns to copies of them, exporters write them. Column
names are French where a user sees them (QGIS attribute tables, map tooltips); layer names follow the issues.

Communes (``geopandas.GeoDataFrame``, metric CRS: Lambert-93 in metropolitan France)
    ``code_commune`` (str, 5-character INSEE code), ``nom`` (str), ``departement`` (str), ``epci`` (str or
    missing), ``population`` (float, plain population municipale), ``population_standardisee`` (float,
    demand standardised by age where age bands are known, else equal to ``population``), geometry
    (Polygon/MultiPolygon).

Practitioners (``geopandas.GeoDataFrame``, one row per practitioner activity site, same CRS as communes)
    ``id`` (str), ``nom`` (str), ``profession`` (str, a key of :data:`PROFESSIONS`), ``specialite`` (str or
    missing), ``mode_exercice`` (str: ``liberal``, ``salarie``, ``benevole`` or missing), ``code_commune``
    (str), ``activite`` (float, consultations a year, NaN when unknown), ``etp`` (float, full-time equivalents,
    NaN when unknown), ``age`` (float, years, NaN when unknown), ``nombre`` (float, head count on the row, 1 by
    default; 1/k on each of the k sites of one person read from the Annuaire Santé, so that it sums to
    people), ``source_ligne`` (int, line number in the source file), geometry (Point: the practice address
    where known, else the representative point of the commune).

Facilities (``geopandas.GeoDataFrame``, points in the same CRS)
    ``finess`` (str, 9 characters), ``nom`` (str), ``categorie`` (str, FINESS ``categetab`` code),
    ``libelle_categorie`` (str), ``type_structure`` (str, a key of :data:`FACILITY_TYPES`),
    ``code_commune`` (str), geometry (Point).

Left out rows (``pandas.DataFrame``)
    ``source`` (file), ``ligne`` (line number in the file, header = 1), ``identifiant`` (str), ``motif``
    (French reason): every row a loader could not use is listed here, never silently dropped. Loaders keep them
    in ``frame.attrs["left_out"]`` as a list of records (dicts with those keys: pandas compares ``attrs`` on
    concatenation, which a DataFrame there would break); :func:`left_out_table` turns them into a table.

Travel times (``pandas.DataFrame``)
    ``origin``, ``destination`` (commune codes), ``minutes`` (float): time from where people live (origin) to
    where the practitioner is (destination).
"""

from __future__ import annotations

from types import MappingProxyType

import pandas as pd

# Professions recognised across loaders (key → French label): defined in settings, free of pandas, for the CLI.
from .settings import PROFESSIONS as PROFESSIONS

COMMUNE_COLUMNS = (
    "code_commune",
    "nom",
    "departement",
    "epci",
    "population",
    "population_standardisee",
)
PRACTITIONER_COLUMNS = (
    "id",
    "nom",
    "profession",
    "specialite",
    "mode_exercice",
    "code_commune",
    "activite",
    "etp",
    "age",
    "nombre",
    "source_ligne",
)
FACILITY_COLUMNS = (
    "finess",
    "nom",
    "categorie",
    "libelle_categorie",
    "type_structure",
    "code_commune",
)
LEFT_OUT_COLUMNS = ("source", "ligne", "identifiant", "motif")

#: Facility types derived from FINESS categories, with their French label.
FACILITY_TYPES = MappingProxyType(
    {
        "msp": "Maison de santé pluriprofessionnelle",
        "centre_sante": "Centre de santé",
        "cpts": "CPTS",
        "hopital": "Établissement hospitalier",
        "autre": "Autre établissement",
    }
)

#: Layer names of the diagnostic GeoPackage.
LAYERS = MappingProxyType(
    {
        "communes": "communes with every indicator",
        "practitioners": "practitioners (one point per activity site)",
        "facilities": "MSP, centres de santé, CPTS, hospitals",
        "catchments": "CPTS catchments (dissolved)",
        "access_zones": "zones by travel time to the nearest practitioner",
        "left_out": "input rows left out, with the reason",
    }
)


def empty_left_out() -> pd.DataFrame:
    """Return an empty left-out table with the right columns."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in LEFT_OUT_COLUMNS})


def left_out_table(*frames: pd.DataFrame) -> pd.DataFrame:
    """Gather the rows left out by loaders (``attrs["left_out"]`` of each frame) into one table."""
    records: list[dict] = []
    for frame in frames:
        if frame is None:
            continue
        value = frame.attrs.get("left_out")
        if isinstance(value, pd.DataFrame):
            records.extend(value.to_dict("records"))
        elif value:
            records.extend(value)
    if not records:
        return empty_left_out()
    return pd.DataFrame.from_records(records, columns=list(LEFT_OUT_COLUMNS))
