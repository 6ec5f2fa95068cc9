"""Travel-time matrices read from files (INSEE Metric distancier, OSRM or r5py tables): a long table of times."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from .._errors import InputError, warn
from .._format import fr_list
from ._columns import normalise_commune_codes, require_column, to_number
from ._tables import read_table

__all__ = ["travel_times_from_matrix"]


def travel_times_from_matrix(
    path: str | Path,
    *,
    communes: gpd.GeoDataFrame | None = None,
    origin_column: str | None = None,
    destination_column: str | None = None,
    minutes_column: str | None = None,
) -> pd.DataFrame:
    """Read an origin-destination travel-time matrix (CSV or Parquet, long format).

    The matrix gives the time **from** the origin commune (where people live) **to** the destination commune
    (where the practitioner is): an asymmetric matrix (one-way streets, congestion) is used in that direction, as
    the APL's demand side looks for supply. Examples: the INSEE Metric distancier, OSRM or r5py tables.

    Parameters
    ----------
    path
        ``.csv`` (``,`` or ``;``) or ``.parquet`` with columns ``origin``, ``destination``, ``minutes``.
    communes
        When given, pairs whose codes are not communes of the territory are counted and reported, and communes
        that appear in no pair are reported (they will only reach themselves).

    Raises
    ------
    InputError
        Missing columns, non-numeric or negative minutes, invalid commune codes, duplicated pairs.
    """
    path = Path(path)
    source = str(path)
    if path.suffix.lower() == ".parquet":
        if not path.exists():
            raise InputError(f"{source}: fichier introuvable (temps de trajet).")
        table = pd.read_parquet(path).reset_index(drop=True)
    else:
        table = read_table(path, what="temps de trajet")
    o = require_column(
        table, "origin", source=source, column=origin_column, synonyms=("origin", "origine", "from", "source")
    )
    d = require_column(
        table, "destination", source=source, column=destination_column, synonyms=("destination", "to", "target")
    )
    t = require_column(
        table, "minutes", source=source, column=minutes_column, synonyms=("minutes", "duree", "temps", "time")
    )
    out = pd.DataFrame(
        {
            "origin": normalise_commune_codes(table[o].astype(str), source=source, column=o),
            "destination": normalise_commune_codes(table[d].astype(str), source=source, column=d),
            "minutes": to_number(table[t].astype(str), source=source, column=t),
        }
    )
    if (out["minutes"] < 0).any():
        line = int(out.index[out["minutes"] < 0][0]) + 2
        raise InputError(f"{source}: ligne {line} : temps négatif ; un nombre de minutes ≥ 0 était attendu.")
    dup = out.duplicated(["origin", "destination"])
    if dup.any():
        line = int(out.index[dup][0]) + 2
        raise InputError(f"{source}: ligne {line} : paire origine-destination en double ({int(dup.sum())} au total).")
    if communes is not None:
        codes = pd.Index(communes["code_commune"])
        unknown = ~out["origin"].isin(codes) | ~out["destination"].isin(codes)
        if unknown.any():
            warn(f"{source}: {int(unknown.sum())} paire(s) avec une commune hors du territoire, ignorée(s).")
            out = out.loc[~unknown]
        absent = codes.difference(pd.Index(out["origin"]))
        if len(absent):
            warn(
                f"{source}: {len(absent)} commune(s) sans aucun temps de trajet comme origine "
                f"({fr_list(absent, limit=10)}) : elles n'atteignent qu'elles-mêmes."
            )
    return out.reset_index(drop=True)
