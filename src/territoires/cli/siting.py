"""``territoires siting`` (``implantation``): where K new sites of F FTE raise the APL most."""

from __future__ import annotations

import click

from . import Command, progress
from .options import APL_SETTINGS, diagnosis_options, existing_file, out_dir_opt, output_set, tiles_opt, written_files
from .scenario import SCENARIO_INPUTS, margin_opt


def _siting_options(func):
    decorators = [
        diagnosis_options((*SCENARIO_INPUTS, "facilities"), required=("communes", "practitioners"),
                          settings=APL_SETTINGS),
        click.option("--sites", "sites", type=click.IntRange(min=1), required=True,
                     help="Nombre de sites à choisir (K)."),
        click.option("--fte-per-site", "--etp-par-site", "fte_per_site", type=click.FloatRange(min=0, min_open=True),
                     required=True, help="ETP installés sur chaque site (F)."),
        click.option("--candidates", "--candidates-communes", "candidates", type=existing_file,
                     help="Communes candidates (CSV avec une colonne code_commune) ; toutes par défaut."),
        click.option("--population-min", "population_min", type=click.FloatRange(min=0),
                     help="Seules les communes d'au moins ce nombre d'habitants sont candidates."),
        click.option("--objective", "--objectif", "objective", type=click.Choice(["population", "deficit"]),
                     default="population", show_default=True,
                     help="population : habitants qui passent au-dessus du seuil ; deficit : baisse de "
                          "Σ habitants × (seuil − APL) sous le seuil."),
        click.option("--min-distance", "--distance-min", "min_distance_km", type=click.FloatRange(min=0),
                     default=0.0, show_default=True, help="Distance minimale entre deux sites (km)."),
        click.option("--exact", is_flag=True,
                     help="Résout aussi le problème exactement (programme linéaire en nombres entiers, HiGHS)."),
        click.option("--time-limit", "--limite-temps", "time_limit", type=click.FloatRange(min=1), default=60.0,
                     show_default=True, help="Temps maximal du solveur exact (secondes)."),
        margin_opt,
        out_dir_opt(),
        tiles_opt,
    ]  # fmt: skip
    for decorate in reversed(decorators):
        func = decorate(func)
    return func


def _run(inputs, options, out, tiles, **kwargs) -> None:
    """Check and lock ``out``, compute, write the set aside and swap it in (see export.output_set)."""
    from ..export.decision import SITING_FILES, save_siting
    from ..pipeline.scenario import run_siting

    extra = {"candidates": kwargs.get("candidates")}
    outputs = output_set(out, SITING_FILES, {**inputs.as_dict(), **extra}, key="implantation")
    with outputs as staging:
        progress(1, 2, "Chargement, APL et choix des sites")
        result = run_siting(inputs, options, **kwargs)
        progress(2, 2, "Écriture des sites, du GeoPackage, de la carte et du rapport")
        written = save_siting(result, staging, tiles=tiles)
    click.echo(result.summary_text())
    written_files(written, outputs)


@click.command(cls=Command)
@_siting_options
def siting(inputs, options, out, tiles, **kwargs) -> None:
    """Où installer K sites de F ETP pour relever l'APL : choix glouton exact, échanges, solution exacte."""
    _run(inputs, options, out, tiles, **kwargs)


@click.command(name="implantation", cls=Command)
@_siting_options
def implantation(inputs, options, out, tiles, **kwargs) -> None:
    """Alias français de « siting » : où installer K sites de F ETP pour relever l'APL."""
    _run(inputs, options, out, tiles, **kwargs)
