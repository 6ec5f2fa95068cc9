"""``territoires siting`` (``implantation``): where K new sites of F FTE raise the APL most."""

from __future__ import annotations

from pathlib import Path

import click

from . import options
from .scenario import departement_opt, margin_opt


def _siting_options(func):
    decorators = [
        options.communes_opt,
        options.population_opt,
        options.practitioners_opt,
        options.facilities_opt,
        options.travel_times_opt,
        options.road_network_opt,
        options.profession_opt,
        options.max_age_opt,
        options.thresholds_options,
        departement_opt,
        click.option(
            "--sites", "sites", type=click.IntRange(min=1), required=True, help="Nombre de sites à choisir (K)."
        ),
        click.option(
            "--fte-per-site",
            "--etp-par-site",
            "fte_per_site",
            type=click.FloatRange(min=0, min_open=True),
            required=True,
            help="ETP installés sur chaque site (F).",
        ),
        click.option(
            "--candidates",
            "--candidates-communes",
            "candidates",
            type=options.existing_file,
            help="Communes candidates (CSV avec une colonne code_commune) ; toutes par défaut.",
        ),
        click.option(
            "--population-min",
            "population_min",
            type=click.FloatRange(min=0),
            help="Seules les communes d'au moins ce nombre d'habitants sont candidates.",
        ),
        click.option(
            "--objective",
            "--objectif",
            "objective",
            type=click.Choice(["population", "deficit"]),
            default="population",
            show_default=True,
            help="population : habitants qui passent au-dessus du seuil ; deficit : baisse de "
            "Σ habitants × (seuil − APL) sous le seuil.",
        ),
        click.option(
            "--min-distance",
            "--distance-min",
            "min_distance_km",
            type=click.FloatRange(min=0),
            default=0.0,
            show_default=True,
            help="Distance minimale entre deux sites (km).",
        ),
        click.option(
            "--exact",
            is_flag=True,
            help="Résout aussi le problème exactement (programme linéaire en nombres entiers, HiGHS).",
        ),
        click.option(
            "--time-limit",
            "--limite-temps",
            "time_limit",
            type=click.FloatRange(min=1),
            default=60.0,
            show_default=True,
            help="Temps maximal du solveur exact (secondes).",
        ),
        margin_opt,
        options.out_dir_opt,
        options.offline_opt,
    ]
    for decorate in reversed(decorators):
        func = decorate(func)
    return func


def _run(communes, out, offline, departements, **kwargs):
    from ..decision import run_siting
    from ..export.decision import save_siting

    result = run_siting([Path(c) for c in communes], departements=list(departements) or None, **kwargs)
    written = save_siting(result, out, offline=offline)
    click.echo(result.summary_text())
    click.echo("Fichiers écrits :")
    for path in written.values():
        click.echo(f"  {path}")


@click.command()
@_siting_options
def siting(communes, out, offline, departements, **kwargs):
    """Où installer K sites de F ETP pour relever l'APL : choix glouton exact, échanges, solution exacte."""
    _run(communes, out, offline, departements, **kwargs)


@click.command(name="implantation")
@_siting_options
def implantation(communes, out, offline, departements, **kwargs):
    """Alias français de « siting » : où installer K sites de F ETP pour relever l'APL."""
    _run(communes, out, offline, departements, **kwargs)
