"""Reconciling COG vintages: bringing former commune codes into their current commune.

The list of communes changes every year (communes nouvelles). Boundaries, populations and health data often come
from different vintages of the COG (code officiel géographique); a diagnostic must merge old codes into their
current commune and report what it did.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from .._errors import InputError, warn
from .communes import departement_of

log = logging.getLogger(__name__)


#: The communes of Paris, Lyon and Marseille and their names.
CITIES_WITH_ARRONDISSEMENTS = {"75056": "Paris", "69123": "Lyon", "13055": "Marseille"}
#: Arrondissements municipaux (COG codes 75101–75120, 69381–69389, 13201–13216) → code of their commune.
ARRONDISSEMENTS = {
    **{f"751{i:02d}": "75056" for i in range(1, 21)},
    **{f"6938{i}": "69123" for i in range(1, 10)},
    **{f"132{i:02d}": "13055" for i in range(1, 17)},
}


def cities_split_into_arrondissements(codes: Iterable[str]) -> set[str]:
    """Return the codes of the cities (Paris 75056, Lyon 69123, Marseille 13055) present by arrondissement.

    >>> sorted(cities_split_into_arrondissements(["75101", "75102", "69123", "31555"]))
    ['75056']
    """
    codes = codes.tolist() if isinstance(codes, (pd.Series, pd.Index)) else codes  # not 35,000 pandas scalars
    return {ARRONDISSEMENTS[c] for c in ARRONDISSEMENTS.keys() & set(codes)}


def arrondissements_to_communes(codes: Iterable[str]) -> dict[str, str]:
    """Return arrondissement → commune codes for the cities present at commune level in ``codes``.

    Contours at commune level (75056) locate practitioners and populations coded by arrondissement (751xx) in
    their commune; cities whose contours are by arrondissement keep their arrondissements.

    >>> len(arrondissements_to_communes(["75056", "13201"]))
    20
    """
    codes = set(codes)
    split = cities_split_into_arrondissements(codes)
    return {a: c for a, c in ARRONDISSEMENTS.items() if c in codes and c not in split}


@dataclass(frozen=True)
class VintageReport:
    """What loading the territory did to its codes: COG vintages, arrondissements, repaired polygons.

    Attributes
    ----------
    merged_codes
        Former codes found in the boundaries and brought into their current commune (old → current).
    boundaries_unmatched
        Codes of the boundaries (after merging) absent from the population table.
    population_unmatched
        Codes of the population table absent from the boundaries.
    repaired_geometries
        Number of invalid commune polygons repaired (:func:`territoires.io.communes.repair_geometries`).
    arrondissements
        Paris, Lyon, Marseille: city code → ``"commune"`` (arrondissement populations and practitioners
        brought to the city) or ``"arrondissements"`` (contours by arrondissement, kept so).
    known_codes
        Every commune code of the population table's COG (current, former, delegated, arrondissements): a code
        outside it, in a département the table covers, exists in no COG vintage read.
    known_departements
        Départements covered by the population table.
    """

    merged_codes: dict[str, str] = field(default_factory=dict)
    boundaries_unmatched: list[str] = field(default_factory=list)
    population_unmatched: list[str] = field(default_factory=list)
    repaired_geometries: int = 0
    arrondissements: dict[str, str] = field(default_factory=dict)
    known_codes: frozenset[str] = field(default=frozenset(), repr=False)
    known_departements: frozenset[str] = field(default=frozenset(), repr=False)

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
        text = (
            f"{self.n_merged} ancien(s) code(s) commune rattaché(s) à {self.n_current_affected} commune(s) "
            f"actuelle(s) ; {len(self.boundaries_unmatched)} code(s) des contours sans population, "
            f"{len(self.population_unmatched)} code(s) de population sans contour ; "
            f"{self.repaired_geometries} polygone(s) invalide(s) réparé(s)"
        )
        for city, level in sorted(self.arrondissements.items()):
            name = CITIES_WITH_ARRONDISSEMENTS[city]
            text += (
                f" ; {name} par arrondissement"
                if level == "arrondissements"
                else f" ; arrondissements de {name} rattachés à la commune {city}"
            )
        return text + "."


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
        hit = current.isin(mapping.index)
        if not hit.any():  # nothing (more) to map: most codes, or all with no former code
            break
        nxt = current.map(mapping).astype(object).where(hit, current)
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
        if "departement" in work.columns:
            # A former Corsican code (20xxx) becomes 2A/2B: the département follows the new code.
            work["departement"] = work["departement"].where(~changed.to_numpy(), departement_of(new_codes).to_numpy())
        # Only the communes that receive a former code are dissolved; the others pass through untouched.
        touched = work["code_commune"].isin(set(new_codes[changed])).to_numpy()
        group = work.loc[touched].sort_values(["code_commune", "_was_current"], ascending=[True, False], kind="stable")
        agg: dict[str, str] = {c: "first" for c in group.columns if c not in (group.geometry.name, "code_commune")}
        if "population" in group.columns:
            agg["population"] = "sum"
        if "population_standardisee" in group.columns:
            agg["population_standardisee"] = "sum"
        dissolved = group.dissolve(by="code_commune", aggfunc=agg).reset_index()
        out = pd.concat([work.loc[~touched], dissolved], ignore_index=True).drop(columns="_was_current")
        out = gpd.GeoDataFrame(out, geometry=communes.geometry.name, crs=communes.crs)
        out = out.sort_values("code_commune", kind="stable").reset_index(drop=True)
        out = out[communes.columns.tolist()]
        out.attrs = dict(communes.attrs)
        log.info("%d former codes merged into %d communes", len(merged), len(set(merged.values())))
    boundaries_unmatched: list[str] = []
    population_unmatched: list[str] = []
    if current_codes is not None:
        # Sets of the codes (as Index.difference gives them, sorted): pandas took three times as long here.
        current = set(pd.Index(current_codes).tolist())
        here = set(out["code_commune"].tolist())
        boundaries_unmatched = sorted(here - current)
        population_unmatched = sorted(current - here)
    report = VintageReport(merged, boundaries_unmatched, population_unmatched)
    if boundaries_unmatched:
        warn(
            f"{len(boundaries_unmatched)} code(s) des contours absents de la table de population après "
            f"rattachement ({', '.join(boundaries_unmatched[:10])})."
        )
    return out, report
