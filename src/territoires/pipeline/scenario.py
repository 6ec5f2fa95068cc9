"""Decision support on files: what-if scenarios (:func:`run_scenario`), where to site new practice (:func:`run_siting`).

Both take the inputs and options of a diagnosis (:class:`~territoires.pipeline.inputs.DiagnosticInputs`,
:class:`~territoires.pipeline.inputs.DiagnosticOptions`), load the territory and compute the APL as
:func:`~territoires.pipeline.diagnostic.run_diagnostic` does, then work on
:class:`territoires.analysis.scenario.APLModel`, the APL as a linear function of the supply, with the same weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import InputError, ParameterError
from .._format import fr_dec, fr_int
from .._provenance import describe_inputs, now_utc
from .._version import __version__
from ..analysis.apl import APLParameters, commune_cost_matrix, compute_apl
from ..analysis.road_network import travel_times_from_road_network
from ..analysis.scenario import (
    NEAR_THRESHOLD_MARGIN,
    APLModel,
    changes_by_commune,
    compare_apl,
    retirements,
    supply_of,
)
from ..analysis.siting import SitingParameters, exact_siting, greedy_siting
from ..analysis.travel_times import commune_points
from ..io.changes import candidates_from_file, changes_from_file
from ..io.cog import resolve_codes
from ..io.communes import departement_of
from ..io.facilities import facilities_from_finess
from ..io.practitioners import locate_in_communes, practitioners_from_file
from ..io.travel_times import travel_times_from_matrix
from ..schemas import LEFT_OUT_COLUMNS, left_out_table
from .diagnostic import load_territory
from .inputs import DiagnosticInputs, DiagnosticOptions

__all__ = ["ScenarioResult", "SitingResult", "run_scenario", "run_siting"]


@dataclass
class _Baseline:
    communes: gpd.GeoDataFrame
    practitioners: pd.DataFrame
    params: APLParameters
    model: APLModel
    left_out: pd.DataFrame
    inputs: list[dict]
    facilities: gpd.GeoDataFrame | None = None
    travel_time_source: str = "vol d'oiseau"


def _baseline(inputs: DiagnosticInputs, options: DiagnosticOptions | None, extra_inputs: dict | None = None):
    """Load the territory and compute its APL (the steps of ``run_diagnostic``), and build the APL model."""
    options = options or DiagnosticOptions()
    if inputs.practitioners is None:
        raise ParameterError("le calcul de l'APL demande le fichier des praticiens (--practitioners).")
    territory = load_territory(inputs.communes, population=inputs.population, departements=options.departements)
    gdf = territory.communes
    deps = set(departement_of(gdf["code_commune"]))
    raw = practitioners_from_file(inputs.practitioners, professions=(options.profession,))
    current = resolve_codes(raw["code_commune"].fillna(""), territory.former_codes)
    here = departement_of(current).isin(deps) | raw["code_commune"].isna()
    located = locate_in_communes(raw.loc[here], gdf, former_codes=territory.former_codes)
    left = [located]
    facilities = None
    if inputs.facilities is not None:
        fac = facilities_from_finess(inputs.facilities)
        left.append(fac)
        facilities = fac.loc[departement_of(fac["code_commune"].fillna("")).isin(deps)].reset_index(drop=True)
    tt = None
    if inputs.travel_times is not None:
        tt = travel_times_from_matrix(inputs.travel_times, communes=gdf)
    elif inputs.road_network is not None:
        tt = travel_times_from_road_network(gdf, inputs.road_network)
    params = APLParameters.for_profession(options.profession)
    if options.max_age is not None:
        params = replace(params, max_age=options.max_age)
    if options.thresholds is not None:
        params = replace(params, threshold=options.thresholds[0], zac_threshold=options.thresholds[1])
    costs = commune_cost_matrix(gdf, travel_times=tt, params=params)
    result = compute_apl(gdf, located, travel_times=tt, params=params)
    model = APLModel.from_communes(result, costs=costs, params=params)
    left_out = pd.concat([territory.left_out, left_out_table(*left)], ignore_index=True).drop_duplicates()
    files = {k: v for k, v in inputs.as_dict().items() if k not in ("existing_cpts", "flows", "iris")}
    entries = describe_inputs({**files, **(extra_inputs or {})})
    return _Baseline(result, located, params, model, left_out, entries, facilities, inputs.travel_time_source)


def _metadata(base: _Baseline, **parameters) -> dict:
    params = base.params
    return {
        "outil": "territoires",
        "version": __version__,
        "date": now_utc(),
        "entrees": base.inputs,
        "parametres": {
            "profession": params.profession,
            "apl": params.describe(),
            "temps_de_trajet": base.travel_time_source,
            **parameters,
        },
        "seuil_apl": params.threshold,
    }


@dataclass
class ScenarioResult:
    """A what-if scenario: the APL of every commune before and after, and what changed.

    Attributes
    ----------
    communes
        ``code_commune``, ``nom``, ``population``, ``apl_avant``, ``apl_apres``, ``delta_apl``, ``niveau_avant``,
        ``niveau_apres``, ``proche_seuil_avant``, ``proche_seuil_apres``, geometry (Lambert-93).
    summary
        ``indicateur``, ``avant``, ``apres``, ``ecart`` (see :class:`territoires.analysis.scenario.ScenarioOutcome`).
    changes
        The supply changes applied, by commune: ``code_commune``, ``nom``, ``etp`` (FTE equivalents, negative for
        departures), ``origine`` (``changements`` or ``retraites``), ``label``.
    left_out
        Input rows left out, with ``motif``.
    metadata
        Run description (inputs with checksums, parameters).
    projects
        One row per ``label`` of the changes table: ``label``, ``etp`` (net FTE), ``habitants_sortis_du_seuil``
        (inhabitants lifted over the threshold by that project alone, on today's supply) and
        ``habitants_passes_sous_le_seuil`` (brought under it); empty without labels.
    """

    communes: gpd.GeoDataFrame
    summary: pd.DataFrame
    changes: pd.DataFrame
    left_out: pd.DataFrame = field(default_factory=pd.DataFrame)
    metadata: dict = field(default_factory=dict)
    projects: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary_text(self) -> str:
        """Return the summary as French lines for the terminal."""
        return _summary_lines(self.summary)


def _summary_lines(summary: pd.DataFrame) -> str:
    lines = []
    for row in summary.itertuples(index=False):
        digits = 2 if "APL" in row.indicateur else 0
        lines.append(
            f"{row.indicateur} : {fr_dec(row.avant, digits)} → {fr_dec(row.apres, digits)} "
            f"({'+' if row.ecart >= 0 else ''}{fr_dec(row.ecart, digits)})"
        )
    return "\n".join(lines)


def run_scenario(
    inputs: DiagnosticInputs,
    options: DiagnosticOptions | None = None,
    *,
    changes: str | Path | pd.DataFrame | None = None,
    retirement_age: float | None = None,
    horizon: int | None = None,
    reference_year: int | None = None,
    margin: float = NEAR_THRESHOLD_MARGIN,
    relative_margin: bool = False,
) -> ScenarioResult:
    """Compute the APL of every commune before and after supply changes and retirements.

    Parameters
    ----------
    inputs, options
        As in :func:`territoires.pipeline.diagnostic.run_diagnostic` (the communes, populations, practitioners and
        travel times; the profession, age limit, thresholds and départements).
    changes
        Table (file or DataFrame as read by :func:`territoires.io.changes.changes_from_file`) of ``code_commune``,
        ``profession``, ``etp`` (positive: new FTE, 5,400 consultations a year each for GPs; negative:
        departures) and optional ``label``.
    retirement_age, horizon
        Practitioners whose age at ``horizon`` (a year) reaches ``retirement_age`` leave; needs an ``age`` column.
    reference_year
        Year the ages were recorded (this year by default).
    margin, relative_margin
        Band around each threshold within which a commune is flagged "near the threshold" (APL units, or a
        fraction of the threshold).

    Raises
    ------
    InputError
        Unknown commune codes, departures beyond the supply of a commune, ages missing for the retirement rule.
    """
    if (retirement_age is None) != (horizon is None):
        raise ParameterError("--retirement-age et --horizon vont ensemble : donnez les deux ou aucun.")
    if changes is None and retirement_age is None:
        raise ParameterError("scénario vide : donnez --changes et/ou --retirement-age avec --horizon.")
    extra = {"changes": changes} if isinstance(changes, (str, Path)) else None
    base = _baseline(inputs, options, extra)
    codes = pd.Index(base.communes["code_commune"])
    names = base.communes["nom"] if "nom" in base.communes.columns else pd.Series(None, index=base.communes.index)
    removed = np.zeros(base.model.n)
    applied = []
    if retirement_age is not None:
        leaving = retirements(
            base.practitioners,
            base.params,
            retirement_age=retirement_age,
            horizon=int(horizon),
            reference_year=reference_year,
        )
        removed = supply_of(leaving, codes, base.params)
        nz = np.flatnonzero(removed > 0)
        applied.append(
            pd.DataFrame(
                {
                    "code_commune": codes[nz],
                    "nom": names.to_numpy()[nz],
                    "etp": -removed[nz] / base.model.supply_per_fte,
                    "origine": "retraites",
                    "label": f"départs à {retirement_age:g} ans d'ici {horizon}",
                }
            )
        )
    delta = np.zeros(base.model.n)
    left_out = base.left_out
    if changes is not None:
        table = changes if isinstance(changes, pd.DataFrame) else changes_from_file(changes)
        delta, other = changes_by_commune(table, codes, base.model, base.params, removed=removed)
        if len(other):
            left_out = pd.concat([left_out, _left_rows(other, "changements")], ignore_index=True)
        rows = table.loc[table["profession"] == base.params.profession]
        pos = codes.get_indexer(rows["code_commune"])
        applied.append(
            pd.DataFrame(
                {
                    "code_commune": rows["code_commune"].to_numpy(),
                    "nom": names.to_numpy()[pos],
                    "etp": rows["etp"].to_numpy(dtype=float),
                    "origine": "changements",
                    "label": rows["label"].to_numpy(),
                }
            )
        )
    apl_before = base.model.apl()
    apl_after = base.model.apl(delta - removed)
    outcome = compare_apl(
        base.communes, apl_before, apl_after, base.params, margin=margin, relative_margin=relative_margin
    )
    changes_table = (
        pd.concat(applied, ignore_index=True)
        if applied
        else pd.DataFrame(columns=["code_commune", "nom", "etp", "origine", "label"])
    )
    metadata = _metadata(
        base,
        age_maximum=base.params.max_age,
        age_retraite=retirement_age,
        horizon=horizon,
        annee_reference=reference_year,
        marge_seuil=margin,
        marge_relative=relative_margin,
    )
    metadata["comptes"] = {
        "communes": len(outcome.communes),
        "etp_ajoutes": float(delta[delta > 0].sum() / base.model.supply_per_fte),
        "etp_retires": float((removed.sum() - delta[delta < 0].sum()) / base.model.supply_per_fte),
        "lignes_ecartees": len(left_out),
    }
    metadata["resume"] = outcome.summary.to_dict("records")
    projects = pd.DataFrame()
    if changes is not None and base.params.threshold is not None:
        projects = _project_effects(
            changes_table,
            codes,
            base.model,
            float(base.params.threshold),
            base.communes["population"].to_numpy(dtype=float),
        )
    return ScenarioResult(outcome.communes, outcome.summary, changes_table, left_out, metadata, projects)


def _project_effects(
    changes: pd.DataFrame, codes: pd.Index, model: APLModel, threshold: float, population: np.ndarray
) -> pd.DataFrame:
    """Effect of each labelled project of a changes table taken alone, on today's supply."""
    rows = changes.loc[(changes["origine"] == "changements") & changes["label"].notna()]
    if rows.empty:
        return pd.DataFrame()
    apl0 = model.apl()
    under0 = apl0 < threshold
    out = []
    for label, group in rows.groupby("label", sort=False):
        pos = codes.get_indexer(group["code_commune"])
        delta = np.bincount(pos, weights=group["etp"].to_numpy(dtype=float) * model.supply_per_fte, minlength=model.n)
        under = model.apl(delta) < threshold
        out.append(
            {
                "label": label,
                "etp": float(group["etp"].sum()),
                "habitants_sortis_du_seuil": float(population[under0 & ~under].sum()),
                "habitants_passes_sous_le_seuil": float(population[~under0 & under].sum()),
            }
        )
    return pd.DataFrame(out)


def _left_rows(rows: pd.DataFrame, source: str) -> pd.DataFrame:
    """Rows of a changes table left out, in the ``left_out`` layout (source, line, identifier, reason)."""
    return pd.DataFrame(
        {
            "source": rows.attrs.get("source", source),
            "ligne": rows["ligne"].to_numpy(),
            "identifiant": rows["code_commune"].to_numpy(),
            "motif": rows["motif"].to_numpy(),
        },
        columns=list(LEFT_OUT_COLUMNS),
    )


@dataclass
class SitingResult:
    """Where to open new practice: the sites chosen, their effect, and how close to the optimum the choice is.

    Attributes
    ----------
    sites
        ``rang``, ``code_commune``, ``nom``, ``etp``, ``gain``, ``population_sous_seuil_apres`` and a point
        geometry (Lambert-93), one row per site by rank.
    communes
        The before/after table of :class:`ScenarioResult` with the sites open.
    summary
        ``indicateur``, ``avant``, ``apres``, ``ecart``.
    facilities
        Existing MSP, centres de santé and other FINESS facilities of the territory (context), or None.
    metadata
        Run description, with ``implantation``: objective, gain of the plain greedy, of the best start, after the
        swaps, and the exact optimum or bound when computed.
    """

    sites: gpd.GeoDataFrame
    communes: gpd.GeoDataFrame
    summary: pd.DataFrame
    facilities: gpd.GeoDataFrame | None = None
    left_out: pd.DataFrame = field(default_factory=pd.DataFrame)
    metadata: dict = field(default_factory=dict)

    def as_changes(self, *, profession: str | None = None) -> pd.DataFrame:
        """Return the sites as a table of changes for :func:`run_scenario`.

        Columns ``ligne``, ``code_commune``, ``profession``, ``etp``, ``label``.
        """
        prof = profession or self.metadata["parametres"]["profession"]
        return pd.DataFrame(
            {
                "ligne": np.arange(len(self.sites)) + 2,
                "code_commune": self.sites["code_commune"].to_numpy(),
                "profession": prof,
                "etp": self.sites["etp"].to_numpy(dtype=float),
                "label": [f"site {r}" for r in self.sites["rang"]],
            }
        )

    def summary_text(self) -> str:
        """Return the chosen sites and the summary as French lines for the terminal."""
        info = self.metadata.get("implantation", {})
        unit = "habitants" if info.get("objectif") == "population" else "habitants × points d'APL"
        lines = [
            f"{r.rang}. {r.code_commune} {r.nom or ''} : +{fr_int(r.gain)} {unit}" for r in self.sites.itertuples()
        ]
        lines.append(
            f"Gain total : {fr_int(info.get('gain'))} {unit} (glouton simple : {fr_int(info.get('gain_glouton'))})"
        )
        if "optimum_exact" in info:
            lines.append(f"Optimum exact (MILP) : {fr_int(info['optimum_exact'])} ; borne : {fr_int(info['borne'])}")
        lines.extend(info.get("notes", []))
        return "\n".join(lines) + "\n" + _summary_lines(self.summary)


def run_siting(
    inputs: DiagnosticInputs,
    options: DiagnosticOptions | None = None,
    *,
    sites: int,
    fte_per_site: float,
    candidates: str | Path | pd.DataFrame | None = None,
    population_min: float | None = None,
    objective: str = "population",
    min_distance_km: float = 0.0,
    exact: bool = False,
    time_limit: float = 60.0,
    margin: float = NEAR_THRESHOLD_MARGIN,
) -> SitingResult:
    """Choose ``sites`` communes for ``fte_per_site`` FTE of new practice each, to raise the APL where it counts.

    Parameters
    ----------
    sites, fte_per_site
        Number of sites (K) and full-time equivalents per site (F).
    candidates
        Communes where a site may open (a table with ``code_commune``); every commune by default.
    population_min
        Only communes of at least this many inhabitants are candidates.
    objective
        ``"population"``: inhabitants lifted over the threshold; ``"deficit"``: reduction of
        ``Σ population × max(0, threshold − APL)``.
    min_distance_km
        Minimum distance between two sites (km, between commune centroids).
    exact
        Also solve the problem exactly (:func:`territoires.analysis.siting.exact_siting`, HiGHS, at most
        ``time_limit`` seconds) and keep the better of the two choices.

    Other Parameters
    ----------------
        As in :func:`run_scenario`.

    Returns
    -------
    SitingResult
    """
    extra = {"candidates": candidates} if isinstance(candidates, (str, Path)) else None
    base = _baseline(inputs, options, extra)
    if base.params.threshold is None:
        raise ParameterError(
            f"{base.params.profession} : pas de seuil d'APL par défaut ; donnez --seuil pour choisir des sites."
        )
    gdf = base.communes
    codes = pd.Index(gdf["code_commune"])
    pop = gdf["population"].to_numpy(dtype=float)
    allowed = np.ones(len(gdf), dtype=bool)
    left_out = base.left_out
    if candidates is not None:
        table = candidates if isinstance(candidates, pd.DataFrame) else candidates_from_file(candidates)
        pos = codes.get_indexer(table["code_commune"])
        if (pos < 0).any():
            bad = table.loc[pos < 0]
            listed = ", ".join(f"ligne {ln} ({c})" for ln, c in zip(bad["ligne"], bad["code_commune"], strict=True))
            raise InputError(
                f"{table.attrs.get('source', 'candidates')} : commune(s) candidate(s) absente(s) du "
                f"territoire étudié : {listed}."
            )
        allowed[:] = False
        allowed[pos] = True
    if population_min is not None:
        allowed &= pop >= population_min
    cand = np.flatnonzero(allowed)
    if cand.size == 0:
        raise ParameterError("aucune commune candidate : élargissez --candidates ou baissez --population-min.")
    params = SitingParameters(
        sites=sites,
        fte_per_site=fte_per_site,
        objective=objective,
        threshold=float(base.params.threshold),
        min_distance_km=min_distance_km,
    )
    xy = commune_points(gdf)
    choice = greedy_siting(base.model, pop, cand, params, xy=xy)
    info = {
        "objectif": objective,
        "sites_demandes": sites,
        "etp_par_site": fte_per_site,
        "candidates": int(cand.size),
        "distance_min_km": min_distance_km,
        "gain": choice.value,
        "gain_glouton": choice.greedy_value,
        "gain_meilleur_depart": choice.multistart_value,
        "echanges": choice.swaps,
        "notes": list(choice.notes),
    }
    chosen = choice.sites
    if exact:
        solution = exact_siting(base.model, pop, cand, params, xy=xy, time_limit=time_limit)
        info.update(optimum_exact=solution.value, borne=solution.bound, optimal=solution.optimal)
        if solution.value > choice.value + 1e-9 * max(abs(choice.value), 1.0):
            info["notes"].append("La solution exacte (MILP) dépasse l'heuristique : elle est retenue.")
            chosen = solution.sites
    # Rank and measure the sites kept, exactly, on the model.
    ranked = (
        greedy_siting(
            base.model,
            pop,
            chosen,
            replace(params, sites=len(chosen), swaps=False, starts=1, min_distance_km=0.0),
            xy=None,
        )
        if len(chosen)
        else choice
    )
    info["gain"] = float(ranked.value)
    apl_after = ranked.apl_after
    outcome = compare_apl(gdf, ranked.apl_before, apl_after, base.params, margin=margin)
    names = gdf["nom"].to_numpy() if "nom" in gdf.columns else np.full(len(gdf), None)
    pos = ranked.sites
    sites_table = gpd.GeoDataFrame(
        {
            "rang": np.arange(1, len(pos) + 1),
            "code_commune": codes[pos].to_numpy(),
            "nom": names[pos],
            "etp": float(fte_per_site),
            "gain": ranked.gains,
            "population_sous_seuil_apres": ranked.below_after,
            "apl_avant": ranked.apl_before[pos],
            "apl_apres": apl_after[pos],
        },
        geometry=gpd.points_from_xy(xy[pos, 0], xy[pos, 1]),
        crs=gdf.crs,
    )
    metadata = _metadata(base, age_maximum=base.params.max_age, population_min=population_min)
    metadata["implantation"] = info
    metadata["resume"] = outcome.summary.to_dict("records")
    return SitingResult(sites_table, outcome.communes, outcome.summary, base.facilities, left_out, metadata)
