"""``territoires scenario``: the APL before and after supply changes and retirements."""

from __future__ import annotations

from pathlib import Path

import click

from . import options

margin_opt = click.option(
    "--marge-seuil",
    "--margin",
    "margin",
    type=click.FloatRange(min=0),
    default=0.1,
    show_default=True,
    help="Marge autour des seuils (points d'APL) pour signaler les communes proches d'un changement de niveau.",
)
relative_opt = click.option(
    "--marge-relative",
    "--relative-margin",
    "relative_margin",
    is_flag=True,
    help="La marge est une fraction du seuil (0,05 : ± 5 %) plutôt qu'un nombre de points d'APL.",
)
departement_opt = click.option(
    "--departement", "departements", multiple=True, help="Limite le calcul à ce département (répétable)."
)


@click.command()
@options.communes_opt
@options.population_opt
@options.practitioners_opt
@options.travel_times_opt
@options.road_network_opt
@options.profession_opt
@options.max_age_opt
@options.thresholds_options
@departement_opt
@click.option(
    "--changes",
    "--changements",
    "changes",
    type=options.existing_file,
    help="Changements d'offre (CSV : code_commune;profession;etp[;label]) : ETP > 0 nouveaux, < 0 départs.",
)
@click.option(
    "--retirement-age",
    "--age-retraite",
    "retirement_age",
    type=click.FloatRange(min=40, max=90),
    help="Âge de départ à la retraite (demande une colonne age dans les praticiens).",
)
@click.option("--horizon", type=click.IntRange(min=1900, max=2200), help="Année de l'horizon des départs.")
@click.option(
    "--annee-donnees",
    "--reference-year",
    "reference_year",
    type=click.IntRange(min=1900, max=2200),
    help="Année où les âges ont été relevés (par défaut : l'année en cours).",
)
@margin_opt
@relative_opt
@options.out_dir_opt
@options.offline_opt
def scenario(
    communes,
    population,
    practitioners,
    travel_times,
    road_network,
    profession,
    max_age,
    thresholds,
    departements,
    changes,
    retirement_age,
    horizon,
    reference_year,
    margin,
    relative_margin,
    out,
    offline,
):
    """Scénario : APL avant/après de nouveaux praticiens, de départs ou de départs à la retraite."""
    from ..decision import run_scenario
    from ..export.decision import save_scenario

    if (retirement_age is None) != (horizon is None):
        raise click.UsageError("--retirement-age et --horizon vont ensemble : donnez les deux ou aucun.")
    if changes is None and retirement_age is None:
        raise click.UsageError("scénario vide : donnez --changes et/ou --retirement-age avec --horizon.")
    result = run_scenario(
        [Path(c) for c in communes],
        practitioners=practitioners,
        population=population,
        changes=changes,
        retirement_age=retirement_age,
        horizon=horizon,
        reference_year=reference_year,
        travel_times=travel_times,
        road_network=road_network,
        profession=profession,
        max_age=max_age,
        thresholds=thresholds,
        departements=list(departements) or None,
        margin=margin,
        relative_margin=relative_margin,
    )
    written = save_scenario(result, out, offline=offline)
    click.echo(result.summary_text())
    click.echo("Fichiers écrits :")
    for path in written.values():
        click.echo(f"  {path}")
