"""``territoires scenario``: the APL before and after supply changes and retirements."""

from __future__ import annotations

import click

from . import Command, progress
from .options import APL_SETTINGS, diagnosis_options, existing_file, out_dir_opt, output_set, tiles_opt, written_files

#: Input files of the decision commands.
SCENARIO_INPUTS = ("communes", "population", "practitioners", "travel_times", "road_network")

margin_opt = click.option(
    "--marge-seuil",
    "--margin",
    "margin",
    type=click.FloatRange(min=0),
    default=0.1,
    show_default=True,
    help="Marge autour des seuils (points d'APL) pour signaler les communes proches d'un changement de niveau.",
)


@click.command(cls=Command)
@diagnosis_options(SCENARIO_INPUTS, required=("communes", "practitioners"), settings=APL_SETTINGS)
@click.option(
    "--changes",
    "--changements",
    "changes",
    type=existing_file,
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
@click.option(
    "--marge-relative",
    "--relative-margin",
    "relative_margin",
    is_flag=True,
    help="La marge est une fraction du seuil (0,05 : ± 5 %) plutôt qu'un nombre de points d'APL.",
)
@out_dir_opt()
@tiles_opt
def scenario(inputs, options, changes, retirement_age, horizon, reference_year, margin, relative_margin, out,
             tiles) -> None:  # fmt: skip
    """Scénario : APL avant/après de nouveaux praticiens, de départs ou de départs à la retraite."""
    from ..export.decision import SCENARIO_FILES, save_scenario
    from ..pipeline.scenario import run_scenario

    if (retirement_age is None) != (horizon is None):
        raise click.UsageError("--retirement-age et --horizon vont ensemble : donnez les deux ou aucun.")
    if changes is None and retirement_age is None:
        raise click.UsageError("scénario vide : donnez --changes et/ou --retirement-age avec --horizon.")
    outputs = output_set(out, SCENARIO_FILES, {**inputs.as_dict(), "changes": changes}, key="scenario")
    with outputs as staging:
        progress(1, 2, "Chargement, APL et scénario")
        result = run_scenario(
            inputs,
            options,
            changes=changes,
            retirement_age=retirement_age,
            horizon=horizon,
            reference_year=reference_year,
            margin=margin,
            relative_margin=relative_margin,
        )
        progress(2, 2, "Écriture du GeoPackage, des tables, de la carte et du rapport")
        written = save_scenario(result, staging, tiles=tiles)
    click.echo(result.summary_text())
    written_files(written, outputs)
