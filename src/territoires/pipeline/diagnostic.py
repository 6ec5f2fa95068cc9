"""The end-to-end territorial diagnosis: load → accessibility, zones, catchments → GeoPackage, map, report.

:func:`run_diagnostic` chains the public steps of the library on files; each step is also callable on its own
(see the notebooks) so that a researcher can swap one (their own travel times, their own catchments) and keep
the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import InputError, ParameterError, warn
from .._format import fr_dec, fr_int, fr_list, fr_pct
from .._provenance import describe_inputs, environment, now_utc
from .._version import __version__
from ..analysis.apl import APLParameters, compute_apl, describe_supply
from ..analysis.key_figures import KeyFigures, compute_key_figures
from ..analysis.reach import FASTEST_KMH, communes_within_reach, near_the_edge
from ..analysis.tiers import aggregate_apl
from ..io.cog import VintageReport, arrondissements_to_communes, reconcile_vintages
from ..io.communes import communes_from_files, departement_of
from ..io.populations import communes_with_populations
from ..io.practitioners import locate_in_communes, practitioners_from_file, split_by_territory
from ..schemas import left_out_table
from .inputs import DiagnosticInputs, DiagnosticOptions

# The modules of the optional steps (road network, travel-time matrix, surface and zones, CPTS meshing, FINESS,
# BPE) are imported by the steps that use them: ``territoires apl`` does not load them (0.06 s of imports).

log = logging.getLogger(__name__)

#: Receives (step number, number of steps, French description) as the diagnosis goes on.
ProgressCallback = Callable[[int, int, str], None]


@dataclass
class Territory:
    """Communes of a territory with their populations, ready for the analysis.

    Attributes
    ----------
    communes
        Communes (Lambert-93) with ``population`` and ``population_standardisee``.
    vintages
        What the COG reconciliation did (former codes merged, codes unmatched on either side).
    former_codes
        Mapping former commune code → current code, used to locate practitioners coded in an older vintage.
    left_out
        Input rows that could not be used, with the reason.
    population_outside
        Inhabitants of the population table outside the territory's départements (not an error: a national
        table used for a few départements).
    arrondissement_populations
        Inhabitants of the arrondissements municipaux of Paris, Lyon and Marseille listed in the population table
        (code → count), even where the contours have the city whole: they weigh a city that a CPTS table lists
        by arrondissements.
    """

    communes: gpd.GeoDataFrame
    vintages: VintageReport
    former_codes: dict[str, str] = field(default_factory=dict)
    left_out: pd.DataFrame = field(default_factory=pd.DataFrame)
    population_outside: int = 0
    arrondissement_populations: dict[str, float] = field(default_factory=dict)


def load_territory(
    communes: str | Path | Sequence[str | Path],
    *,
    population: str | Path | None = None,
    former_codes: dict[str, str] | None = None,
    departements: Sequence[str] | None = None,
) -> Territory:
    """Load commune boundaries and populations and bring them to the same COG vintage.

    Parameters
    ----------
    communes
        One or several boundary files (or folders of files), e.g. one GeoJSON per département.
    population
        INSEE-style population table; when it lists former codes (``anciens_codes``), boundaries of an older
        vintage are brought up to date. Without it, the boundaries' own ``POPULATION`` column is used.
    former_codes
        Mapping former code → current code, overriding the one read from the population table.
    departements
        Keep only these départements (codes as text, e.g. ``["31", "32"]``).
    """
    gdf = communes_from_files(communes)
    left = [gdf]
    if departements:
        keep = gdf["departement"].isin([str(d).zfill(2) for d in departements])
        if not keep.any():
            raise InputError(f"aucune commune des départements {fr_list(departements)} dans les contours donnés.")
        gdf = gdf.loc[keep].reset_index(drop=True)
    report = VintageReport()
    codes_map = dict(former_codes or {})
    outside = 0
    arrondissements: dict[str, float] = {}
    if population is not None:
        gdf, report, codes_map, outside, pops = communes_with_populations(gdf, population, former_codes=former_codes)
        outside = int(outside)
        left.append(pops)
        arrondissements = dict(pops.attrs.get("populations_arrondissements", {}))
    else:
        codes_map = {**arrondissements_to_communes(gdf["code_commune"]), **codes_map}
        gdf, report = reconcile_vintages(gdf, codes_map)
        report = replace(report, repaired_geometries=int(gdf.attrs.get("repaired_geometries", 0)))
        if "population" not in gdf.columns:
            msg = (
                f"{gdf.attrs.get('source', 'communes')}: pas de colonne de population dans les contours ; "
                "donnez un fichier de population (--population)."
            )
            raise InputError(msg)
        gdf = gdf.copy()
        gdf["population_standardisee"] = gdf["population"]
    return Territory(
        communes=gdf,
        vintages=report,
        former_codes=codes_map,
        left_out=left_out_table(*left),
        population_outside=outside,
        arrondissement_populations=arrondissements,
    )


@dataclass
class Diagnostic:
    """The results of a territorial diagnosis, one table per layer of the GeoPackage.

    Attributes
    ----------
    communes
        Communes with every indicator (population, APL, access tier, time to the nearest practitioner, CPTS).
    figures
        The key figures (:class:`territoires.analysis.key_figures.KeyFigures`), computed once.
    practitioners, facilities, catchments, access_zones
        The other layers (``None`` when not computed).
    aggregates
        APL by département and EPCI (``apl_by_area``).
    surface
        Raster of travel time to the nearest practitioner (:class:`territoires.analysis.zones.Surface`) or None.
    left_out
        Every input row left out, with the reason.
    metadata
        Run description: version, date, input files with checksums, parameters, counts, the key figures
        (``chiffres_cles``) and the CPTS summary (``cpts``).
    equipment, facility_surfaces
        With a BPE input: the facilities near the territory (``equipements`` layer) and, per kind, the raster of
        the time to the nearest one (``temps_<kind>.tif``).
    territory
        The :class:`Territory` loaded for the run (its former commune codes and the inhabitants of the
        arrondissements municipaux serve a later comparison with CPTS perimeters without reading the population
        file again); not written.
    """

    communes: gpd.GeoDataFrame
    figures: KeyFigures
    practitioners: gpd.GeoDataFrame | None = None
    facilities: gpd.GeoDataFrame | None = None
    catchments: gpd.GeoDataFrame | None = None
    access_zones: gpd.GeoDataFrame | None = None
    aggregates: pd.DataFrame | None = None
    surface: object | None = None
    left_out: pd.DataFrame = field(default_factory=pd.DataFrame)
    metadata: dict = field(default_factory=dict)
    equipment: gpd.GeoDataFrame | None = None
    facility_surfaces: dict = field(default_factory=dict)
    territory: Territory | None = field(default=None, repr=False)

    def layers(self) -> dict[str, pd.DataFrame]:
        """Return the non-empty layers by GeoPackage layer name."""
        layers = {
            "communes": self.communes,
            "practitioners": self.practitioners,
            "facilities": self.facilities,
            "catchments": self.catchments,
            "access_zones": self.access_zones,
            "apl_by_area": self.aggregates,
            "equipements": self.equipment,
            "left_out": self.left_out,
        }
        return {k: v for k, v in layers.items() if v is not None and len(v)}

    def summary(self) -> str:
        """Return a short French summary of the run, for the terminal."""
        f = self.figures
        counts = self.metadata.get("comptes", {})
        lines = [
            f"Communes : {fr_int(f.communes)} ({fr_int(counts.get('codes_rattaches', 0))} ancien(s) code(s) "
            "rattaché(s)"
            + (
                f", {fr_int(counts['polygones_repares'])} polygone(s) réparé(s))"
                if counts.get("polygones_repares")
                else ")"
            ),
            f"Population : {fr_int(f.population)} habitants",
        ]
        if f.has_apl:
            outside = counts.get("praticiens_hors_territoire")
            lines += [
                f"Praticiens retenus : {fr_int(f.practitioners)} ; lignes écartées : {fr_int(len(self.left_out))}"
                + (f" ; hors territoire : {fr_int(outside)}" if outside else "")
                + _outside_codes(
                    counts.get("praticiens_hors_territoire_communes") if outside else None,
                    counts.get("praticiens_hors_territoire_nb_communes", 0),
                ),
            ]
            if counts.get("communes_voisines"):
                lines.append(
                    "Communes voisines prises en compte dans l'APL (offre et demande à portée) : "
                    f"{fr_int(counts['communes_voisines'])} ({fr_int(counts.get('praticiens_voisins', 0))} "
                    "praticien(s))"
                )
            lines.append(f"APL moyenne (pondérée) : {fr_dec(f.apl_mean)} {f.unit_label}")
            if f.threshold is not None:
                lines.append(
                    f"Population sous le seuil de {fr_dec(f.threshold, 1)} : {fr_int(f.population_below)} habitants "
                    f"({fr_pct(f.share_below)})"
                )
            if f.near_threshold_communes is not None:
                lines.append(
                    f"Communes proches d'un seuil (± {fr_dec(f.near_threshold_margin, 1)} point d'APL) : "
                    f"{fr_int(f.near_threshold_communes)} ({fr_int(f.near_threshold_population)} habitants)"
                )
        if f.catchments is not None:
            before = "non renseignée" if f.coverage_before is None else fr_pct(f.coverage_before)
            lines.append(
                f"CPTS : {fr_int(f.catchments)} territoires ({fr_int(f.existing_catchments)} existant(s)), "
                f"couverture {before} avant, {fr_pct(f.coverage_after)} après"
            )
            flux = self.metadata.get("cpts", {}).get("flux")
            if flux:
                lines.append(f"Flux de recours : {flux}")
        if self.metadata.get("acces_equipements"):  # with a BPE input
            from ..export.facility_report import facility_summary_lines

            lines.extend(facility_summary_lines(self.metadata["acces_equipements"]))
        if len(self.left_out):
            reasons = self.left_out["motif"].value_counts()
            shown = " ; ".join(f"{k} : {fr_int(v)}" for k, v in reasons.head(5).items())
            more = ""
            if len(reasons) > 5:
                more = f" ; … ({fr_int(len(reasons))} motifs, liste complète dans la couche left_out)"
            lines.append(f"Lignes écartées par motif : {shown}{more}")
        return "\n".join(lines)


def _outside_codes(codes: list[str] | None, total: int) -> str:
    """Name the first communes outside the territory, and how many there are when not all are named."""
    if not codes:
        return ""
    more = f"… ({fr_int(total)} au total)" if total > len(codes) else ""
    return f" (communes {fr_list(codes)}{more})"


def run_diagnostic(
    inputs: DiagnosticInputs, options: DiagnosticOptions | None = None, *, progress: ProgressCallback | None = None
) -> Diagnostic:
    """Run the whole territorial diagnosis on files.

    Steps: load and reconcile communes and populations → load and locate practitioners (and facilities) →
    travel times → APL and access tiers → travel-time surface and access zones → CPTS catchments. With
    ``options.apl`` off, the practitioner and APL steps are skipped (catchments from populations and flows).

    Parameters
    ----------
    inputs
        The input files (:class:`DiagnosticInputs`).
    options
        How to run (:class:`DiagnosticOptions`; defaults: GPs, APL, zones and catchments).
    progress
        Called with (step, steps, French description) at each step.

    Raises
    ------
    ParameterError
        The APL asked for without practitioners.
    """
    options = options or DiagnosticOptions()
    if options.apl and inputs.practitioners is None:
        raise ParameterError("le calcul de l'APL demande le fichier des praticiens (--practitioners).")
    steps = 1 + 3 * options.apl + options.zones + options.catchments + (inputs.bpe is not None)
    step = 0

    def tell(text: str) -> None:
        nonlocal step
        step += 1
        log.info("[%d/%d] %s", step, steps, text)
        if progress is not None:
            progress(step, steps, text)

    tell("Chargement des communes et des populations")
    if options.apl:
        # Every commune given is loaded: those around the territory carry the supply and demand its APL depends on.
        territory = load_territory(inputs.communes, population=inputs.population)
        in_territory = territory_mask(territory.communes, options.departements)
    else:
        territory = load_territory(inputs.communes, population=inputs.population, departements=options.departements)
        in_territory = np.ones(len(territory.communes), dtype=bool)
    all_communes = territory.communes
    whole = bool(in_territory.all())  # every commune loaded is in the territory (no copy, départements once)
    result = all_communes if whole else all_communes.loc[in_territory].reset_index(drop=True)
    territory_codes = pd.Index(result["code_commune"])
    communes_deps = set(departement_of(all_communes["code_commune"]).drop_duplicates().tolist())
    result_deps = communes_deps if whole else set(departement_of(result["code_commune"]).drop_duplicates().tolist())
    deps = result_deps | set(options.departements or ())
    vintages = _vintages_within(territory.vintages, territory_codes, deps)
    left: list[pd.DataFrame] = []
    counts: dict = {
        "communes": len(result),
        "codes_rattaches": vintages.n_merged,
        "polygones_repares": vintages.repaired_geometries,
    }

    facilities = None
    if inputs.facilities is not None:
        from ..io.facilities import facilities_from_finess

        raw_facilities = facilities_from_finess(inputs.facilities)
        left.append(raw_facilities)
        here = departement_of(raw_facilities["code_commune"].fillna("")).isin(deps)
        facilities = raw_facilities.loc[here].reset_index(drop=True)

    located = apl_params = graph = None
    if options.apl:
        tell("Chargement et localisation des praticiens")
        raw = practitioners_from_file(inputs.practitioners, professions=(options.profession,))
        # Located in every commune loaded: those of the ring around the territory enter its supply.
        loaded_deps = communes_deps | deps
        split = split_by_territory(
            raw,
            loaded_deps,
            former_codes=territory.former_codes,
            known_codes=territory.vintages.known_codes,
            known_departements=territory.vintages.known_departements,
        )
        # The located table carries the loader's left-out rows (unknown codes included), then those not located.
        located = locate_in_communes(split.inside, all_communes, former_codes=territory.former_codes)
        left.append(located)

        apl_params = APLParameters.for_profession(options.profession)
        if options.max_age is not None:
            apl_params = replace(apl_params, max_age=options.max_age)
        if options.thresholds is not None:
            apl_params = replace(apl_params, threshold=options.thresholds[0], zac_threshold=options.thresholds[1])

        tell("Temps de trajet")
        travel_times = None
        if inputs.travel_times is not None:
            from ..io.travel_times import travel_times_from_matrix

            travel_times = travel_times_from_matrix(inputs.travel_times, communes=all_communes)
        computed, ring = _with_ring(
            all_communes,
            in_territory,
            apl_params,
            travel_times=travel_times,
            road=inputs.road_network is not None,
            departements=communes_deps,
        )
        gdf = all_communes if computed.all() else all_communes.loc[computed].reset_index(drop=True)
        if travel_times is not None:
            inside = travel_times["origin"].isin(gdf["code_commune"]) & travel_times["destination"].isin(
                gdf["code_commune"]
            )
            travel_times = travel_times.loc[inside]
        elif inputs.road_network is not None:
            from ..analysis.road_network import road_graph, travel_times_from_road_network

            graph = road_graph(inputs.road_network, crs=gdf.crs)  # built once: the facilities reuse it
            travel_times = travel_times_from_road_network(gdf, graph)
        # Practitioners of the ring enter the supply; those farther away, and the ring's, are "hors territoire".
        located_all = located
        count = located["nombre"].to_numpy(dtype=float) if "nombre" in located else np.ones(len(located))
        # The commune of each practitioner among those loaded (-1, the last slot: none), then whether it is computed
        # and in the territory.
        loaded_codes = pd.Index(all_communes["code_commune"])
        if loaded_codes.is_unique:
            at = loaded_codes.get_indexer(located["code_commune"].to_numpy(dtype=object))
            in_computed = np.append(computed, False)[at]
            in_territory_rows = np.append(in_territory, False)[at]
        else:
            rows_code, distinct = pd.factorize(located["code_commune"], use_na_sentinel=True)
            distinct = pd.Series(np.asarray(distinct, dtype=object), dtype=object)
            in_computed = np.append(distinct.isin(gdf["code_commune"]).to_numpy(), False)[rows_code]
            in_territory_rows = np.append(distinct.isin(territory_codes).to_numpy(), False)[rows_code]
        in_ring = in_computed & ~in_territory_rows
        supply_points = (located if in_computed.all() else located.loc[in_computed]).reset_index(drop=True)

        tell("Accessibilité potentielle localisée (APL)")
        result = compute_apl(gdf, supply_points, travel_times=travel_times, params=apl_params)
        # Reported: the territory only; its APL counts the supply and demand of the ring around it.
        # (compute_apl keeps the rows of gdf, the computed communes, in their order)
        if loaded_codes.is_unique:
            reported = in_territory[computed]
        else:
            reported = result["code_commune"].isin(territory_codes).to_numpy()
        if not reported.all():  # (compute_apl's result is indexed 0..n-1: nothing to do when all are reported)
            result = result.loc[reported].reset_index(drop=True)
        in_both = in_territory_rows[in_computed]  # the supply points in the territory
        located = supply_points if in_both.all() else supply_points.loc[in_both].reset_index(drop=True)
        counts["praticiens_lignes"] = len(located)
        # Outside the territory: beyond the communes loaded, and in loaded communes around it (the ring's count).
        beyond = pd.concat(
            [
                pd.DataFrame(split.outside[["code_commune", "nombre"]]),
                pd.DataFrame({"code_commune": located_all["code_commune"], "nombre": count})[~in_territory_rows],
            ],
            ignore_index=True,
        )
        per_commune = beyond.groupby("code_commune")["nombre"].sum().sort_values(ascending=False, kind="stable")
        counts["praticiens_hors_territoire"] = float(per_commune.sum())
        counts["praticiens_hors_territoire_communes"] = per_commune.index[:5].tolist()
        counts["praticiens_hors_territoire_nb_communes"] = len(per_commune)
        counts["communes_voisines"] = ring
        counts["praticiens_voisins"] = float(count[in_ring].sum())

    access_zones = surface = None
    if options.zones:
        from ..analysis.zones import travel_time_surface, zones_from_surface

        tell("Surface des temps d'accès et zones")
        surface = travel_time_surface(result, supply_points, resolution=options.resolution)
        access_zones = zones_from_surface(surface, result)

    catchments = None
    summary_cpts: dict = {}
    if options.catchments:
        from ..analysis.catchments import mesh_catchments
        from ..io.cpts import existing_cpts_from_file, flows_from_file, infra_units_from_file

        tell("Territoires de CPTS")
        existing = None
        if inputs.existing_cpts is not None:
            existing = existing_cpts_from_file(
                inputs.existing_cpts,
                result,
                former_codes=territory.former_codes,
                arrondissement_populations=territory.arrondissement_populations or None,
            )
            left.append(existing)
        meshed = mesh_catchments(
            result,
            params=options.catchment_params,
            flows=flows_from_file(inputs.flows) if inputs.flows is not None else None,
            existing=existing,
            practitioners=located,
            facilities=facilities,
            infra=infra_units_from_file(inputs.iris) if inputs.iris is not None else None,
        )
        result = meshed.communes
        catchments = meshed.catchments
        summary_cpts = meshed.summary

    facility_step = None
    if inputs.bpe is not None:
        from .facility_access import run_facility_access

        tell("Accès aux urgences, maternités, pharmacies et hôpitaux")
        facility_params = options.facility_params
        # The GP difficulty follows the APL threshold of the run (none for other professions or without APL).
        gp = apl_params is not None and options.profession == "medecin_generaliste"
        gp_threshold = apl_params.threshold if gp else None
        facility_params = replace(facility_params, thresholds=replace(facility_params.thresholds, apl=gp_threshold))
        facility_step = run_facility_access(
            result,
            bpe=inputs.bpe,
            facilities=inputs.facilities,
            kinds=options.facility_kinds,
            params=facility_params,
            source=graph,
            travel_times=inputs.travel_times,
            road_network=inputs.road_network,
            catchments=catchments,
            surface_resolution=options.resolution if options.zones else None,
        )
        result = facility_step.access.communes
        if facility_step.access.catchments is not None:
            catchments = facility_step.access.catchments

    left_out = pd.concat([territory.left_out, left_out_table(*left)], ignore_index=True).drop_duplicates()
    if facility_step is not None and len(facility_step.left_out):
        left_out = pd.concat([left_out, facility_step.left_out], ignore_index=True).drop_duplicates()
    counts["lignes_ecartees"] = len(left_out)
    counts["population_hors_territoire"] = territory.population_outside + float(
        all_communes.loc[~in_territory, "population"].sum()
    )
    figures = compute_key_figures(
        result,
        unit=apl_params.unit if apl_params is not None else None,
        threshold=apl_params.threshold if apl_params is not None else None,
        zac_threshold=apl_params.zac_threshold if apl_params is not None else None,
        catchments=catchments,
        existing_cpts=inputs.existing_cpts is not None,
    )
    parameters = {
        "profession": options.profession if options.apl else None,
        "age_maximum": options.max_age,
        "apl": apl_params.describe() if apl_params is not None else None,
        "temps_de_trajet": inputs.travel_time_source if options.apl else None,
        "methode_offre": describe_supply(located, apl_params) if apl_params is not None else None,
        "departements": sorted(deps),
        "resolution_surface_m": options.resolution if options.zones else None,
        "cpts": asdict(options.catchment_params) if options.catchments else None,
    }
    metadata = {
        "outil": "territoires",
        "version": __version__,
        "date": now_utc(),
        "environnement": environment(),
        "entrees": describe_inputs(inputs.as_dict()),
        "parametres": parameters,
        "chiffres_cles": figures.to_dict(),
        "comptes": counts,
        "cpts": summary_cpts,
        "ecartees_par_motif": left_out["motif"].value_counts().to_dict() if len(left_out) else {},
        "millesimes": vintages.summary(),
    }
    if facility_step is not None:
        metadata["acces_equipements"] = facility_step.metadata
    return Diagnostic(
        communes=result,
        figures=figures,
        practitioners=located,
        facilities=facilities,
        catchments=catchments,
        access_zones=access_zones,
        aggregates=_aggregates(result, threshold=figures.threshold) if figures.has_apl else None,
        surface=surface,
        left_out=left_out,
        metadata=metadata,
        equipment=facility_step.equipment if facility_step is not None else None,
        facility_surfaces=facility_step.surfaces if facility_step is not None else {},
        territory=territory,
    )


def run_catchments(
    inputs: DiagnosticInputs, options: DiagnosticOptions | None = None, *, progress: ProgressCallback | None = None
) -> Diagnostic:
    """Mesh a territory into CPTS catchments from files (the ``territoires cpts`` command).

    The same call as :func:`run_diagnostic` without the travel-time surface, and with the APL only when the
    practitioners are given (each catchment then carries its practitioners, FTE and APL, and the supply drives
    the estimated flows; without, flows are estimated from populations alone or read from ``inputs.flows``).
    """
    options = options or DiagnosticOptions()
    options = replace(options, apl=inputs.practitioners is not None, zones=False, catchments=True)
    return run_diagnostic(inputs, options, progress=progress)


#: Codes of the French départements (metropolitan and overseas).
DEPARTEMENTS = frozenset(
    [f"{i:02d}" for i in range(1, 96) if i != 20] + ["2A", "2B", "971", "972", "973", "974", "976"]
)


def territory_mask(communes: pd.DataFrame, departements: Sequence[str] | None) -> np.ndarray:
    """Return the communes of ``departements`` (all communes when ``None``) as a boolean mask.

    Raises
    ------
    InputError
        None of the communes is in ``departements``.
    """
    if not departements:
        return np.ones(len(communes), dtype=bool)
    wanted = [str(d).zfill(2) for d in departements]
    column = communes["departement"] if "departement" in communes else departement_of(communes["code_commune"])
    mask = column.isin(wanted).to_numpy()
    if not mask.any():
        raise InputError(f"aucune commune des départements {fr_list(wanted)} dans les contours donnés.")
    return mask


def _vintages_within(report: VintageReport, codes: pd.Index, deps: set[str]) -> VintageReport:
    """Return the part of a COG reconciliation report that concerns the territory (codes, départements)."""
    return replace(
        report,
        merged_codes={old: new for old, new in report.merged_codes.items() if new in codes},
        boundaries_unmatched=[c for c in report.boundaries_unmatched if c in codes],
        population_unmatched=[c for c in report.population_unmatched if c[:2] in deps or c[:3] in deps],
    )


def _with_ring(
    communes, in_territory, params, *, travel_times, road: bool, departements: set[str] | None = None
) -> tuple[np.ndarray, int]:
    """Return the communes to compute the APL on (territory and ring within reach) and the size of the ring.

    Warn once when no commune beyond the territory was given although border communes depend on them.
    ``departements``: those of ``communes`` when the caller has them already.
    """
    reach = params.max_minutes
    if in_territory.all():
        deps = departements
        if deps is None:
            deps = set(departement_of(communes["code_commune"]).drop_duplicates().tolist())  # not 35,000 scalars
        # Not for the whole country (nothing beyond) nor the synthetic demo territory (no real département).
        if deps <= DEPARTEMENTS and len(deps - {"971", "972", "973", "974", "976"}) < 90:
            near = int(
                near_the_edge(
                    communes, max_minutes=reach, detour_factor=params.detour_factor, speed_kmh=params.speed_kmh
                ).sum()
            )
            if near:
                warn(
                    f"APL : les contours donnés s'arrêtent à la limite du territoire ; {fr_int(near)} commune(s) sur "
                    f"{fr_int(len(communes))} sont à moins de 2 × {fr_int(reach)} min (à vol d'oiseau) de cette "
                    "limite, et leur APL ignore l'offre et la demande situées au-delà (biais de bord ; ce compte "
                    "inclut les communes proches d'une côte ou d'une frontière nationale, où il n'y a rien à "
                    "compter au-delà). Pour le corriger, donnez aussi les contours des départements voisins (ou "
                    "un fichier national ; depuis le cache : « territoires fetch » des départements voisins) et "
                    "limitez le résultat au territoire avec --departement."
                )
        return in_territory, 0
    if road:  # road times are not known yet: bound them from below by the fastest straight line
        kwargs = {"detour_factor": 1.0, "speed_kmh": FASTEST_KMH}
    else:
        kwargs = {"detour_factor": params.detour_factor, "speed_kmh": params.speed_kmh}
    computed = communes_within_reach(communes, in_territory, max_minutes=reach, travel_times=travel_times, **kwargs)
    ring = int((computed & ~in_territory).sum())
    log.info("APL : %d commune(s) voisine(s) à portée du territoire prises en compte", ring)
    return computed, ring


def _aggregates(communes: pd.DataFrame, *, threshold: float | None) -> pd.DataFrame | None:
    """APL aggregated over départements and EPCI (DREES weighting), one table with a ``niveau`` column."""
    parts = []
    for level, column in (("departement", "departement"), ("epci", "epci")):
        if column in communes.columns and communes[column].notna().any():
            known = communes[column].notna().to_numpy()
            part = communes if known.all() else communes.loc[known]  # (all known: no copy of the communes)
            agg = aggregate_apl(part, column, threshold=threshold or 0.0)
            agg = agg.reset_index().rename(columns={column: "zone"})
            agg.insert(0, "niveau", level)
            parts.append(agg)
    return pd.concat(parts, ignore_index=True) if parts else None


def catchments_summary(diagnostic: Diagnostic) -> str:
    """Return a French summary of a CPTS meshing, for the terminal."""
    k = diagnostic.catchments
    f = diagnostic.figures
    s = diagnostic.metadata.get("cpts", {})
    pops = k["population"]
    before = (
        "non renseignée (pas de fichier de CPTS existantes)" if f.coverage_before is None else fr_pct(f.coverage_before)
    )
    lines = [
        f"Territoires de CPTS : {fr_int(len(k))} ({fr_int(s.get('n_existing', 0))} existant(s), "
        f"{fr_int(s.get('n_proposed', 0))} proposé(s))",
        f"Population par territoire : min {fr_int(pops.min())}, médiane {fr_int(pops.median())}, "
        f"max {fr_int(pops.max())}",
        f"Autonomie médiane (part des recours restant dans le territoire) : {fr_pct(k['autonomie'].median(), 0)}",
        f"Couverture par une CPTS : {before} avant, {fr_pct(f.coverage_after, 0)} après",
        f"Flux de recours : {s.get('flux', '')}",
    ]
    flagged = k[k["alerte"].fillna("") != ""]
    for row in flagged.itertuples(index=False):
        lines.append(f"  ⚠ {row.nom} ({fr_int(row.population)} hab.) : {row.alerte}")
    for city in s.get("villes_a_decouper") or []:
        lines.append(
            f"  ⚠ {city['commune']} ({fr_int(city['population'])} hab.) : au moins {city['minimum']} territoires sous "
            f"le plafond, {city['cible']} à la taille cible ; donnez les IRIS (--iris) pour la découper"
        )
    links = s.get("iles_rattachees") or []
    if links:
        lines.append(f"Îles ou enclaves rattachées à la commune la plus proche : {fr_int(len(links))}")
    return "\n".join(lines)
