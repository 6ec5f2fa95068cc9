"""The end-to-end territorial diagnosis: load → accessibility, zones, catchments → GeoPackage, map, report.

:func:`run_diagnostic` chains the public steps of the library on files; each step is also callable on its own
(see the notebooks) so that a researcher can swap one (their own travel times, their own catchments) and keep
the rest.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ._errors import InputError, ParameterError
from ._version import __version__
from .io.cog import VintageReport, former_codes_from_table, reconcile_vintages, resolve_codes
from .io.communes import communes_from_files, departement_of
from .io.populations import join_populations, populations_from_csv
from .schemas import left_out_table
from .settings import APL_THRESHOLD

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
    """

    communes: gpd.GeoDataFrame
    vintages: VintageReport
    former_codes: dict[str, str] = field(default_factory=dict)
    left_out: pd.DataFrame = field(default_factory=pd.DataFrame)
    population_outside: int = 0


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
            raise InputError(f"aucune commune des départements {', '.join(departements)} dans les contours donnés.")
        gdf = gdf.loc[keep].reset_index(drop=True)
    report = VintageReport()
    codes_map = dict(former_codes or {})
    outside = 0
    if population is not None:
        pops = populations_from_csv(population)
        left.append(pops)
        if not codes_map and "anciens_codes" in pops.columns:
            codes_map = former_codes_from_table(pops)
        territory_deps = set(departement_of(gdf["code_commune"]))
        in_territory = departement_of(pops["code_commune"]).isin(territory_deps)
        outside = int(pops.loc[~in_territory, "population"].sum())
        pops_here = pops.loc[in_territory]
        gdf, report = reconcile_vintages(gdf, codes_map, current_codes=pd.Index(pops_here["code_commune"]))
        gdf = join_populations(gdf, pops_here, source=str(population))
    else:
        gdf, report = reconcile_vintages(gdf, codes_map)
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
    )


def file_checksum(path: str | Path) -> str:
    """Return the SHA-256 of a file (hex), for the run metadata."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_inputs(**paths: str | Path | Sequence[str | Path] | None) -> list[dict]:
    """Return the run's input files with their size and SHA-256, for the metadata table."""
    out = []
    for role, value in paths.items():
        if value is None:
            continue
        for p in [value] if isinstance(value, (str, Path)) else value:
            p = Path(p)
            files = sorted(f for f in p.iterdir() if f.is_file()) if p.is_dir() else [p]
            for f in files:
                out.append({"role": role, "fichier": str(f), "octets": f.stat().st_size, "sha256": file_checksum(f)})
    return out


def population_below(communes: pd.DataFrame, *, threshold: float = APL_THRESHOLD) -> tuple[float, float]:
    """Return (inhabitants, share of the population) living in communes whose APL is below ``threshold``.

    Counted on the plain population, as the DREES prescribes for counts of people.
    """
    pop = communes["population"].to_numpy(dtype=float)
    below = float(pop[communes["apl"].to_numpy() < threshold].sum())
    total = float(pop.sum())
    return below, (below / total if total else float("nan"))


def now_utc() -> str:
    """Return the current time, ISO 8601 in UTC, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def environment() -> dict[str, str]:
    """Return the versions of Python and of the libraries the results depend on, for the run metadata."""
    import platform

    import numpy
    import pyogrio
    import pyproj
    import scipy
    import shapely

    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
        "geopandas": gpd.__version__,
        "shapely": shapely.__version__,
        "pyproj": pyproj.__version__,
        "gdal": pyogrio.__gdal_version_string__,
    }


def _share(x: float) -> str:
    return "—" if np.isnan(x) else f"{100 * x:.1f} %".replace(".", ",")


def _dec(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


def _int(x: float) -> str:
    return f"{int(round(x)):,}".replace(",", "\u202f")


@dataclass
class Diagnostic:
    """The results of a territorial diagnosis, one table per layer of the GeoPackage.

    Attributes
    ----------
    communes
        Communes with every indicator (population, APL, access tier, time to the nearest practitioner, CPTS).
    practitioners, facilities, catchments, access_zones
        The other layers (``None`` when not computed).
    surface
        Raster of travel time to the nearest practitioner (:class:`territoires.analysis.zones.Surface`) or None.
    left_out
        Every input row left out, with the reason.
    metadata
        Run description: version, date, input files with checksums, parameters, counts.
    """

    communes: gpd.GeoDataFrame
    practitioners: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame | None = None
    catchments: gpd.GeoDataFrame | None = None
    access_zones: gpd.GeoDataFrame | None = None
    aggregates: pd.DataFrame | None = None
    surface: object | None = None
    left_out: pd.DataFrame = field(default_factory=pd.DataFrame)
    metadata: dict = field(default_factory=dict)

    def layers(self) -> dict[str, pd.DataFrame]:
        """Return the non-empty layers by GeoPackage layer name."""
        layers = {
            "communes": self.communes,
            "practitioners": self.practitioners,
            "facilities": self.facilities,
            "catchments": self.catchments,
            "access_zones": self.access_zones,
            "apl_by_area": self.aggregates,
            "left_out": self.left_out,
        }
        return {k: v for k, v in layers.items() if v is not None and len(v)}

    def summary(self) -> str:
        """Return a short French summary of the run, for the terminal."""
        m = self.metadata.get("comptes", {})
        threshold = self.metadata.get("seuil_apl", APL_THRESHOLD)
        unit = "consultations/an/habitant" if m.get("unite", "consultations") == "consultations" else "ETP/100 000 hab."
        extra = m.get("praticiens_hors_territoire")
        lines = [
            f"Communes : {_int(m.get('communes', len(self.communes)))} "
            f"({m.get('codes_rattaches', 0)} ancien(s) code(s) rattaché(s))",
            f"Population : {_int(self.communes['population'].sum())} habitants",
            f"Praticiens retenus : {_int(m.get('praticiens', 0))} ; lignes écartées : {_int(len(self.left_out))}"
            + (f" ; hors territoire : {_int(extra)}" if extra else ""),
            f"APL moyenne (pondérée) : {_dec(m.get('apl_moyenne', float('nan')))} {unit}",
        ]
        if threshold is not None:
            below, share = population_below(self.communes, threshold=threshold)
            lines.append(
                f"Population sous le seuil de {_dec(threshold, 1)} : {_int(below)} habitants ({_share(share)})"
            )
        if self.catchments is not None:
            lines.append(
                f"CPTS : {len(self.catchments)} territoires "
                f"({int((self.catchments['statut'] == 'existante').sum())} existant(s)), "
                f"couverture {_share(m.get('couverture_cpts_apres', float('nan')))}"
            )
        if len(self.left_out):
            reasons = self.left_out["motif"].value_counts()
            lines.append("Lignes écartées par motif : " + "; ".join(f"{k} : {v}" for k, v in reasons.items()))
        return "\n".join(lines)


def _weighted_mean(values: pd.Series, weights: pd.Series) -> float:
    w = weights.to_numpy(dtype=float)
    v = values.to_numpy(dtype=float)
    ok = ~np.isnan(v)
    return float((v[ok] * w[ok]).sum() / w[ok].sum()) if w[ok].sum() else float("nan")


def run_diagnostic(
    communes: str | Path | Sequence[str | Path],
    *,
    practitioners: str | Path,
    population: str | Path | None = None,
    facilities: str | Path | None = None,
    existing_cpts: str | Path | None = None,
    flows: str | Path | None = None,
    travel_times: str | Path | None = None,
    road_network: str | Path | None = None,
    profession: str = "medecin_generaliste",
    max_age: float | None = None,
    thresholds: tuple[float, float] | None = None,
    departements: Sequence[str] | None = None,
    catchments: bool = True,
    catchment_params=None,
    iris: str | Path | None = None,
    zones: bool = True,
    resolution: float = 500.0,
    progress: ProgressCallback | None = None,
) -> Diagnostic:
    """Run the whole territorial diagnosis on files.

    Steps: load and reconcile communes and populations → load and locate practitioners (and facilities) →
    travel times → APL and access tiers → travel-time surface and access zones → CPTS catchments.

    Parameters
    ----------
    communes, population
        See :func:`load_territory`.
    practitioners
        Annuaire Santé (RPPS) extraction or generic practitioners table.
    facilities
        FINESS extraction (MSP, centres de santé, CPTS, hospitals).
    existing_cpts, flows
        Existing CPTS perimeters and commune-to-commune care flows (see :mod:`territoires.analysis.catchments`).
    travel_times, road_network
        An origin-destination matrix or a road network; straight-line estimates when neither is given.
    profession
        Profession whose accessibility is computed (a key of :data:`territoires.schemas.PROFESSIONS`).
    max_age
        Leave practitioners older than this out of the supply (DREES variant "65 ans ou moins").
    thresholds
        APL thresholds of the access tiers (under-served "ZIP"-like, fragile "ZAC"-like); defaults: the
        profession's (2.5 and 4 consultations for GPs, none for the other professions).
    departements
        Restrict the diagnosis to these départements.
    catchments, zones
        Compute the CPTS catchments and the travel-time surface and zones.
    catchment_params
        :class:`territoires.analysis.catchments.CatchmentParameters` of the CPTS meshing.
    iris
        Infra-communal units (IRIS polygons with populations) to split the communes above the CPTS ceiling.
    resolution
        Cell size of the travel-time surface (metres).
    progress
        Called with (step, steps, description) at each step.
    """
    # Imported here: the analysis layer is heavier than the loaders and not needed to load a territory.
    from dataclasses import replace

    from .analysis.apl import APLParameters, compute_apl
    from .analysis.tiers import population_by_tier
    from .analysis.travel_times import travel_times_from_matrix
    from .io.facilities import facilities_from_finess
    from .io.practitioners import locate_in_communes, practitioners_from_file

    steps = 4 + bool(zones) + bool(catchments)
    step = 0

    def tell(text: str) -> None:
        nonlocal step
        step += 1
        log.info("[%d/%d] %s", step, steps, text)
        if progress is not None:
            progress(step, steps, text)

    if travel_times is not None and road_network is not None:
        raise ParameterError("--travel-times et --road-network s'excluent : choisissez une source de temps.")
    tell("Chargement des communes et des populations")
    territory = load_territory(communes, population=population, departements=departements)
    gdf = territory.communes
    deps = set(departement_of(gdf["code_commune"]))

    tell("Chargement et localisation des praticiens")
    raw = practitioners_from_file(practitioners, professions=(profession,))
    current = resolve_codes(raw["code_commune"].fillna(""), territory.former_codes)
    here = departement_of(current).isin(deps) | raw["code_commune"].isna()
    outside = float(raw.loc[~here, "nombre"].sum()) if "nombre" in raw.columns else int((~here).sum())
    # The located table carries the loader's left-out rows followed by those it could not locate.
    located = locate_in_communes(raw.loc[here], gdf, former_codes=territory.former_codes)
    left = [located]
    facilities_gdf = None
    if facilities is not None:
        fac = facilities_from_finess(facilities)
        left.append(fac)
        facilities_gdf = fac.loc[departement_of(fac["code_commune"].fillna("")).isin(deps)].reset_index(drop=True)

    tell("Temps de trajet")
    tt = None
    if travel_times is not None:
        tt = travel_times_from_matrix(travel_times, communes=gdf)
    elif road_network is not None:
        from .analysis.road_network import travel_times_from_road_network

        tt = travel_times_from_road_network(gdf, road_network)

    tell("Accessibilité potentielle localisée (APL)")
    params = APLParameters.for_profession(profession)
    if max_age is not None:
        params = replace(params, max_age=max_age)
    if thresholds is not None:
        params = replace(params, threshold=thresholds[0], zac_threshold=thresholds[1])
    result = compute_apl(gdf, located, travel_times=tt, params=params)

    access_zones = surface = None
    if zones:
        from .analysis.zones import travel_time_surface, zones_from_surface

        tell("Surface des temps d'accès et zones")
        surface = travel_time_surface(result, located, resolution=resolution)
        access_zones = zones_from_surface(surface, result)

    catchments_gdf = None
    summary_cpts: dict = {}
    if catchments:
        from .analysis.catchments import CatchmentParameters, mesh_catchments
        from .io.cpts import existing_cpts_from_file, flows_from_file, infra_units_from_file

        tell("Territoires de CPTS")
        existing = (
            existing_cpts_from_file(existing_cpts, result, former_codes=territory.former_codes)
            if existing_cpts is not None
            else None
        )
        flow_table = flows_from_file(flows) if flows is not None else None
        meshed = mesh_catchments(
            result,
            params=catchment_params or CatchmentParameters(),
            flows=flow_table,
            existing=existing,
            practitioners=located,
            facilities=facilities_gdf,
            infra=infra_units_from_file(iris) if iris is not None else None,
        )
        result = meshed.communes
        catchments_gdf = meshed.catchments
        summary_cpts = meshed.summary

    left_out = left_out_table(*left)
    left_out = pd.concat([territory.left_out, left_out], ignore_index=True).drop_duplicates()
    apl_mean = _weighted_mean(result["apl"], result["population_standardisee"])
    counts = {
        "communes": len(result),
        "codes_rattaches": territory.vintages.n_merged,
        "population": float(result["population"].sum()),
        "population_hors_territoire": territory.population_outside,
        "praticiens": int(located["nombre"].sum()) if "nombre" in located else len(located),
        "praticiens_lignes": len(located),
        "praticiens_hors_territoire": outside,
        "lignes_ecartees": len(left_out),
        "apl_moyenne": apl_mean,
        "unite": params.unit,
        "couverture_cpts_avant": summary_cpts.get("coverage_before", float("nan")),
        "couverture_cpts_apres": summary_cpts.get("coverage_after", float("nan")),
    }
    tiers = population_by_tier(result)
    aggregates = _aggregates(result, threshold=params.threshold)
    counts["communes_sans_offre_accessible"] = int((result["apl"] <= 0).sum())
    metadata = {
        "outil": "territoires",
        "version": __version__,
        "date": now_utc(),
        "environnement": environment(),
        "entrees": describe_inputs(
            communes=communes,
            population=population,
            practitioners=practitioners,
            facilities=facilities,
            existing_cpts=existing_cpts,
            flows=flows,
            travel_times=travel_times,
            road_network=road_network,
            iris=iris,
        ),
        "parametres": {
            "profession": profession,
            "age_maximum": max_age,
            "apl": params.describe() if hasattr(params, "describe") else repr(params),
            "temps_de_trajet": "matrice" if travel_times else ("réseau routier" if road_network else "vol d'oiseau"),
            "methode_offre": result.attrs.get("apl_supply_method"),
            "departements": sorted(deps),
            "resolution_surface_m": resolution if zones else None,
            "cpts": repr(catchment_params) if catchments else None,
        },
        "seuil_apl": params.threshold,
        "comptes": counts,
        "population_par_niveau": tiers.to_dict("records") if isinstance(tiers, pd.DataFrame) else tiers,
        "cpts": summary_cpts,
        "ecartees_par_motif": left_out["motif"].value_counts().to_dict() if len(left_out) else {},
        "millesimes": territory.vintages.summary(),
    }
    return Diagnostic(
        communes=result,
        practitioners=located,
        facilities=facilities_gdf,
        catchments=catchments_gdf,
        access_zones=access_zones,
        aggregates=aggregates,
        surface=surface,
        left_out=left_out,
        metadata=metadata,
    )


def _aggregates(communes: pd.DataFrame, *, threshold: float | None) -> pd.DataFrame:
    """APL aggregated over départements and EPCI (DREES weighting), one table with a ``niveau`` column."""
    from .analysis.tiers import aggregate_apl

    parts = []
    for level, column in (("departement", "departement"), ("epci", "epci")):
        if column in communes.columns and communes[column].notna().any():
            agg = aggregate_apl(communes.loc[communes[column].notna()], column, threshold=threshold or 0.0)
            agg = agg.reset_index().rename(columns={column: "zone"})
            agg.insert(0, "niveau", level)
            parts.append(agg)
    return pd.concat(parts, ignore_index=True) if parts else None


def save_diagnostic(
    diagnostic: Diagnostic, out_dir: str | Path, *, offline: bool = False, report: bool | None = None
) -> dict[str, Path]:
    """Write ``diagnostic.gpkg`` (and ``temps_acces.tif``), ``carte.html`` and ``rapport.html`` into ``out_dir``.

    Each file is written to a temporary file and renamed, so a failed run never leaves a half-written output.
    """
    from .export.folium_map import save_map_html
    from .export.geopackage import save_diagnostic_geopackage

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    layers = diagnostic.layers()
    surface_path = None
    if diagnostic.surface is not None:
        from .export.raster import save_surface_geotiff

        surface_path = save_surface_geotiff(out_dir / "temps_acces.tif", diagnostic.surface)
        written["raster"] = surface_path
    written["geopackage"] = save_diagnostic_geopackage(
        out_dir / "diagnostic.gpkg", layers, metadata=diagnostic.metadata
    )
    written["carte"] = save_map_html(
        out_dir / "carte.html", layers, metadata=diagnostic.metadata, surface_path=surface_path, offline=offline
    )
    if report is None:
        import importlib.util

        report = importlib.util.find_spec("territoires.export.report") is not None
    if report:
        from .export.report import save_report_html

        written["rapport"] = save_report_html(out_dir / "rapport.html", layers, metadata=diagnostic.metadata)
    return written


def run_catchments(
    communes: str | Path | Sequence[str | Path],
    *,
    population: str | Path | None = None,
    practitioners: str | Path | None = None,
    facilities: str | Path | None = None,
    existing_cpts: str | Path | None = None,
    flows: str | Path | None = None,
    travel_times: str | Path | None = None,
    departements: Sequence[str] | None = None,
    params=None,
    iris: str | Path | None = None,
    progress: ProgressCallback | None = None,
) -> Diagnostic:
    """Mesh a territory into CPTS catchments from files (the ``territoires cpts`` command).

    With practitioners, the GP accessibility is computed first (straight-line times or ``travel_times``) so that
    each catchment carries its practitioners, FTE and APL, and the supply drives the estimated flows; without,
    flows are estimated from populations alone (or read from ``flows``).

    Parameters
    ----------
    communes, population, practitioners, facilities, travel_times, departements
        As in :func:`run_diagnostic`.
    existing_cpts
        Existing CPTS perimeters (table of commune codes per CPTS, or polygons), kept as they are.
    flows
        Care flows between communes (``origin``, ``destination``, ``flux``).
    params
        :class:`territoires.analysis.catchments.CatchmentParameters`.
    iris
        Infra-communal units (IRIS polygons with populations) to split the communes above the ceiling.

    Returns
    -------
    Diagnostic
        With ``communes`` (each with its catchment), ``catchments`` and ``metadata["cpts"]`` (the summary).
    """
    from .analysis.catchments import CatchmentParameters, mesh_catchments
    from .io.cpts import existing_cpts_from_file, flows_from_file, infra_units_from_file

    params = params or CatchmentParameters()
    if practitioners is not None:
        return run_diagnostic(
            communes,
            practitioners=practitioners,
            population=population,
            facilities=facilities,
            existing_cpts=existing_cpts,
            flows=flows,
            travel_times=travel_times,
            departements=departements,
            catchments=True,
            catchment_params=params,
            iris=iris,
            zones=False,
            progress=progress,
        )
    steps = 2
    if progress is not None:
        progress(1, steps, "Chargement des communes et des populations")
    territory = load_territory(communes, population=population, departements=departements)
    gdf = territory.communes
    existing = (
        existing_cpts_from_file(existing_cpts, gdf, former_codes=territory.former_codes)
        if existing_cpts is not None
        else None
    )
    facilities_gdf = None
    if facilities is not None:
        from .io.facilities import facilities_from_finess

        facilities_gdf = facilities_from_finess(facilities)
    if progress is not None:
        progress(2, steps, "Territoires de CPTS")
    meshed = mesh_catchments(
        gdf,
        params=params,
        flows=flows_from_file(flows) if flows is not None else None,
        existing=existing,
        facilities=facilities_gdf,
        infra=infra_units_from_file(iris) if iris is not None else None,
    )
    left_out = territory.left_out
    if existing is not None and existing.attrs.get("left_out"):
        left_out = pd.concat([left_out, left_out_table(existing)], ignore_index=True)
    metadata = {
        "outil": "territoires",
        "version": __version__,
        "date": now_utc(),
        "entrees": describe_inputs(
            communes=communes,
            population=population,
            facilities=facilities,
            existing_cpts=existing_cpts,
            flows=flows,
            iris=iris,
        ),
        "parametres": {"cpts": repr(params), "departements": sorted(set(departement_of(gdf["code_commune"])))},
        "comptes": {
            "communes": len(gdf),
            "population": float(gdf["population"].sum()),
            "couverture_cpts_avant": meshed.summary["coverage_before"],
            "couverture_cpts_apres": meshed.summary["coverage_after"],
            "lignes_ecartees": len(left_out),
        },
        "cpts": meshed.summary,
        "millesimes": territory.vintages.summary(),
    }
    return Diagnostic(
        communes=meshed.communes,
        practitioners=None,
        facilities=facilities_gdf,
        catchments=meshed.catchments,
        left_out=left_out,
        metadata=metadata,
    )


#: Columns of the commune → catchment table written for spreadsheet users.
CATCHMENT_CSV_COLUMNS = ("code_commune", "nom", "population", "cpts_id", "cpts_nom", "cpts_statut")


def save_catchments(
    diagnostic: Diagnostic, path: str | Path, *, extra_layers: Mapping[str, pd.DataFrame] | None = None
) -> dict[str, Path]:
    """Write the catchments GeoPackage (``catchments`` and ``communes`` layers) and a commune → catchment CSV.

    ``extra_layers`` are written too (e.g. ``comparison``, from :func:`territoires.compare_catchments`).
    The CSV (``;``-separated, UTF-8 with BOM for spreadsheets) sits beside the GeoPackage with the same name.
    Both files are written to a temporary file and renamed.
    """
    from ._atomic import atomic_path
    from .export.geopackage import save_diagnostic_geopackage

    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise InputError(f"{path} : la sortie des territoires de CPTS est un GeoPackage (extension .gpkg attendue).")
    path.parent.mkdir(parents=True, exist_ok=True)
    layers = {"catchments": diagnostic.catchments, "communes": diagnostic.communes}
    if len(diagnostic.left_out):
        layers["left_out"] = diagnostic.left_out
    layers.update(extra_layers or {})
    written = {"geopackage": save_diagnostic_geopackage(path, layers, metadata=diagnostic.metadata)}
    csv_path = path.with_suffix(".csv")
    table = pd.DataFrame(diagnostic.communes)[[c for c in CATCHMENT_CSV_COLUMNS if c in diagnostic.communes]].copy()
    table["population"] = table["population"].round().astype("Int64")
    with atomic_path(csv_path) as tmp:
        table.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig")
    written["csv"] = csv_path
    return written
