"""Reconciling COG vintages: bringing former commune codes into their current commune.

The list of communes changes every year (communes nouvelles). Boundaries, populations and health data often come
from different vintages of the COG (code officiel géographique); a diagnostic must merge old codes into their
current commune and report what it did.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from .._errors import InputError, warn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VintageReport:
    """What :func:`reconcile_vintages` did.

    Attributes
    ----------
    merged_codes
        Former codes found in the boundaries and brought into their current commune (old → current).
    boundaries_unmatched
        Codes of the boundaries (after merging) absent from the population table.
    population_unmatched
        Codes of the population table absent from the boundaries.
    """

    merged_codes: dict[str, str] = field(default_factory=dict)
    boundaries_unmatched: list[str] = field(default_factory=list)
    population_unmatched: list[str] = field(default_factory=list)

    @property
    def n_merged(self) -> int:
        """Number of former codes merged."""
        return len(self.merged_codes)

    @property
    def n_current_affected(self) -> int:
        """Number of current communes that received at least one former code."""
        return len(set(self.merged_codes.values()))

    def summary(self) -> str:
        """One French sentence for the run summary."""
        return (
            f"{self.n_merged} ancien(s) code(s) commune rattaché(s) à {self.n_current_affected} commune(s) "
            f"actuelle(s) ; {len(self.boundaries_unmatched)} code(s) des contours sans population, "
            f"{len(self.population_unmatched)} code(s) de population sans contour."
        )


def former_codes_from_table(
    table: pd.DataFrame, *, code_column: str = "code_commune", former_column: str = "anciens_codes"
) -> dict[str, str]:
    """Return the mapping former code → current code from a table listing former codes per commune.

    ``former_column`` holds the former codes merged into each current commune, ``|``-separated (the layout of the
    ``anciens_codes`` column of the COG tables of ``@etalab/decoupage-administratif``).

    Examples
    --------
    >>> t = pd.DataFrame({"code_commune": ["01015", "01025"], "anciens_codes": ["01340", "01144|01138"]})
    >>> former_codes_from_table(t)
    {'01340': '01015', '01144': '01025', '01138': '01025'}
    """
    if former_column not in table.columns:
        msg = f"table des codes : colonne {former_column!r} manquante (anciens codes séparés par '|')."
        raise InputError(msg)
    pairs = table[[code_column, former_column]].dropna()
    pairs = pairs.assign(old=pairs[former_column].astype(str).str.split("|")).explode("old")
    pairs["old"] = pairs["old"].str.strip()
    pairs = pairs.loc[(pairs["old"] != "") & (pairs["old"] != pairs[code_column])]
    return dict(zip(pairs["old"], pairs[code_column], strict=True))


def resolve_codes(codes: pd.Series, former_codes: Mapping[str, str]) -> pd.Series:
    """Map codes through ``former_codes`` until they stop changing (chains of successive mergers).

    >>> resolve_codes(pd.Series(["A", "B", "C"]), {"A": "B", "B": "C"}).tolist()
    ['C', 'C', 'C']
    """
    mapping = pd.Series(former_codes, dtype=object)
    current = codes.astype(object)
    for _ in range(20):
        nxt = current.map(mapping).astype(object).where(current.isin(mapping.index), current)
        if nxt.equals(current):
            break
        current = nxt
    return current


def reconcile_vintages(
    communes: gpd.GeoDataFrame,
    former_codes: Mapping[str, str],
    *,
    current_codes: pd.Index | None = None,
) -> tuple[gpd.GeoDataFrame, VintageReport]:
    """Bring commune boundaries of an older COG vintage up to a newer one.

    Former codes are mapped to their current commune and their polygons dissolved into it; names come from the
    commune that already had the current code (or the first merged one). Summable attributes (``population``) are
    added up. Codes of either side that remain unmatched are reported.

    Parameters
    ----------
    communes
        Boundaries with ``code_commune`` (older vintage).
    former_codes
        Mapping former code → current code (see :func:`former_codes_from_table`).
    current_codes
        Codes of the target vintage (e.g. the population table's); used to report unmatched codes.

    Returns
    -------
    (geopandas.GeoDataFrame, VintageReport)
        The dissolved boundaries (same columns) and what was done.
    """
    codes = communes["code_commune"]
    new_codes = resolve_codes(codes, former_codes)
    changed = new_codes != codes
    merged = dict(zip(codes[changed], new_codes[changed], strict=True))
    out = communes
    if changed.any():
        work = communes.assign(code_commune=new_codes.to_numpy(), _was_current=~changed.to_numpy())
        work = work.sort_values(["code_commune", "_was_current"], ascending=[True, False], kind="stable")
        agg: dict[str, str] = {c: "first" for c in work.columns if c not in ("geometry", "code_commune")}
        if "population" in work.columns:
            agg["population"] = "sum"
        if "population_standardisee" in work.columns:
            agg["population_standardisee"] = "sum"
        out = work.dissolve(by="code_commune", aggfunc=agg).reset_index().drop(columns="_was_current")
        out = out[communes.columns.tolist()]
        out.attrs = dict(communes.attrs)
        log.info("%d former codes merged into %d communes", len(merged), len(set(merged.values())))
    boundaries_unmatched: list[str] = []
    population_unmatched: list[str] = []
    if current_codes is not None:
        current = pd.Index(current_codes)
        boundaries_unmatched = sorted(pd.Index(out["code_commune"]).difference(current))
        population_unmatched = sorted(current.difference(pd.Index(out["code_commune"])))
    report = VintageReport(merged, boundaries_unmatched, population_unmatched)
    if boundaries_unmatched:
        warn(
            f"{len(boundaries_unmatched)} code(s) des contours absents de la table de population après "
            f"rattachement ({', '.join(boundaries_unmatched[:10])})."
        )
    return out, report
