"""``territoires demo`` and ``territoires diagnose``: the whole diagnosis, from files to map."""

from __future__ import annotations

from pathlib import Path

import click

from ..diagnostic import Diagnostic, run_diagnostic, save_diagnostic
from . import options
from .facility_access import bpe_opt, facility_access_options
from .fetch import cache_dir_opt as fetch_cache_dir_opt


def _progress(step: int, steps: int, text: str) -> None:
    click.echo(f"[{step}/{steps}] {text}…", err=True)


def _has_catchments() -> bool:
    import importlib.util

    return all(
        importlib.util.find_spec(name) is not None
        for name in ("territoires.analysis.catchments", "territoires.io.cpts")
    )


def _finish(diagnostic: Diagnostic, out: str, *, offline: bool) -> None:
    click.echo("[écriture] GeoPackage, carte et rapport…", err=True)
    written = save_diagnostic(diagnostic, out, offline=offline)
    click.echo(diagnostic.summary())
    click.echo("Fichiers écrits :")
    for path in written.values():
        click.echo(f"  {path}")


@click.command()
@click.option(
    "--out", type=click.Path(file_okay=False), default="sortie-demo", show_default=True, help="Dossier de sortie."
)
@options.offline_opt
def demo(out: str, offline: bool) -> None:
    """Diagnostic complet du territoire de démonstration (synthétique, intégré, sans réseau)."""
    from ..demo.generate import demo_paths

    paths = demo_paths()
    click.echo("Territoire de démonstration (données synthétiques, voir territoires.demo.generate).", err=True)
    diagnostic = run_diagnostic(
        paths["communes"],
        population=paths["population"],
        practitioners=paths["practitioners"],
        facilities=paths["facilities"],
        existing_cpts=paths["existing_cpts"],
        flows=paths["flows"],
        catchments=_has_catchments(),
        progress=_progress,
    )
    _finish(diagnostic, out, offline=offline)


@click.command()
@click.option(
    "--communes",
    "communes",
    type=options.existing_path,
    multiple=True,
    help="Contours des communes (GeoJSON, GeoPackage, Shapefile, GeoParquet) ; un dossier ou l'option répétée "
    "pour plusieurs fichiers. Sans --communes, les données téléchargées par « territoires fetch » pour "
    "--departement / --region sont utilisées.",
)
@options.population_opt
@click.option(
    "--practitioners",
    "--praticiens",
    "practitioners",
    type=options.existing_file,
    help="Praticiens : extraction Annuaire Santé (PS_LibreAcces) ou table générique (CSV, GeoJSON, GeoPackage) ; "
    "obligatoire avec --communes.",
)
@options.facilities_opt
@click.option(
    "--existing-cpts",
    "--cpts-existantes",
    "existing_cpts",
    type=options.existing_file,
    help="CPTS existantes : CSV (cpts, code_commune) ou polygones.",
)
@click.option(
    "--flows",
    "--flux",
    "flows",
    type=options.existing_file,
    help="Flux de patients commune → commune (CSV ou Parquet : origin, destination, flux).",
)
@options.travel_times_opt
@options.road_network_opt
@options.profession_opt
@options.max_age_opt
@options.thresholds_options
@click.option("--departement", "departements", multiple=True, help="Limite le diagnostic à ce département (répétable).")
@click.option(
    "--region", "regions", multiple=True, help="Limite le diagnostic aux départements de cette région (code COG)."
)
@fetch_cache_dir_opt
@click.option("--no-cpts", is_flag=True, help="Ne calcule pas les territoires de CPTS.")
@options.iris_opt
@options.catchment_options
@click.option("--no-zones", is_flag=True, help="Ne calcule pas la surface des temps d'accès.")
@click.option(
    "--resolution",
    type=click.FloatRange(min=50),
    default=500.0,
    show_default=True,
    help="Taille des cellules de la surface des temps d'accès (mètres).",
)
@bpe_opt
@facility_access_options
@options.out_dir_opt
@options.offline_opt
def diagnose(
    communes,
    population,
    practitioners,
    facilities,
    existing_cpts,
    flows,
    travel_times,
    road_network,
    profession,
    max_age,
    thresholds,
    departements,
    regions,
    cache_dir,
    no_cpts,
    iris,
    catchment_params,
    no_zones,
    resolution,
    bpe,
    facility_params,
    out,
    offline,
) -> None:
    """Diagnostic territorial : APL, zones d'accès, CPTS ; écrit diagnostic.gpkg, carte.html et rapport.html."""
    from ..io.fetch import cached_inputs, departements_of

    deps = departements_of(list(departements) or None, list(regions) or None)
    if communes:
        if practitioners is None:
            raise click.UsageError("--practitioners est obligatoire avec --communes.")
        communes_paths = [Path(c) for c in communes]
    elif deps:
        cached = cached_inputs(
            departement=list(departements) or None, region=list(regions) or None, cache_dir=cache_dir
        )
        click.echo(f"Données du cache : départements {', '.join(deps)}.", err=True)
        communes_paths = cached["communes"]
        population = population or cached["population"]
        practitioners = practitioners or cached["practitioners"]
        facilities = facilities or cached["facilities"]
    else:
        raise click.UsageError(
            "donnez les fichiers (--communes, --practitioners…) ou un territoire déjà téléchargé "
            "(--departement 34 ou --region 76, après « territoires fetch »)."
        )
    diagnostic = run_diagnostic(
        communes_paths,
        population=population,
        practitioners=practitioners,
        facilities=facilities,
        existing_cpts=existing_cpts,
        flows=flows,
        travel_times=travel_times,
        road_network=road_network,
        profession=profession,
        max_age=max_age,
        thresholds=thresholds,
        departements=deps or None,
        catchments=not no_cpts,
        catchment_params=catchment_params,
        iris=iris,
        zones=not no_zones,
        resolution=resolution,
        progress=_progress,
        bpe=bpe,
        facility_kinds=facility_params[0] if bpe is not None else None,
        facility_params=facility_params[1],
    )
    _finish(diagnostic, out, offline=offline)
