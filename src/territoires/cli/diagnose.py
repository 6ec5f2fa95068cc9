"""``territoires demo`` and ``territoires diagnose``: the whole diagnosis, from files to map."""

from __future__ import annotations

from pathlib import Path

import click

from ..diagnostic import Diagnostic, run_diagnostic, save_diagnostic
from . import options


def _progress(step: int, steps: int, text: str) -> None:
    click.echo(f"[{step}/{steps}] {text}…", err=True)


def _has_catchments() -> bool:
    import importlib.util

    return importlib.util.find_spec("territoires.analysis.catchments") is not None


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
        catchments=_has_catchments(),
        progress=_progress,
    )
    _finish(diagnostic, out, offline=offline)


@click.command()
@options.communes_opt
@options.population_opt
@options.practitioners_opt
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
@click.option("--departement", "departements", multiple=True, help="Limite le diagnostic à ce département (répétable).")
@click.option("--no-cpts", is_flag=True, help="Ne calcule pas les territoires de CPTS.")
@click.option("--no-zones", is_flag=True, help="Ne calcule pas la surface des temps d'accès.")
@click.option(
    "--resolution",
    type=click.FloatRange(min=50),
    default=500.0,
    show_default=True,
    help="Taille des cellules de la surface des temps d'accès (mètres).",
)
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
    departements,
    no_cpts,
    no_zones,
    resolution,
    out,
    offline,
) -> None:
    """Diagnostic territorial : APL, zones d'accès, CPTS ; écrit diagnostic.gpkg, carte.html et rapport.html."""
    if travel_times and road_network:
        raise click.UsageError("--travel-times et --road-network s'excluent : choisissez une source de temps.")
    diagnostic = run_diagnostic(
        [Path(c) for c in communes],
        population=population,
        practitioners=practitioners,
        facilities=facilities,
        existing_cpts=existing_cpts,
        flows=flows,
        travel_times=travel_times,
        road_network=road_network,
        profession=profession,
        max_age=max_age,
        departements=list(departements) or None,
        catchments=not no_cpts,
        zones=not no_zones,
        resolution=resolution,
        progress=_progress,
    )
    _finish(diagnostic, out, offline=offline)
