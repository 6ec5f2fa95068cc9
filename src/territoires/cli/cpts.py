"""``territoires cpts``: mesh a territory into CPTS catchments."""

from __future__ import annotations

import click

from . import Command, progress, say
from .options import CATCHMENT_SETTINGS, diagnosis_options, out_dir_opt, output_set, written_files


@click.command(cls=Command)
@diagnosis_options(
    ("communes", "population", "practitioners", "facilities", "existing_cpts", "flows", "travel_times", "iris"),
    required=("communes",),
    settings=CATCHMENT_SETTINGS,
    apl=False,
    catchments=True,
)
@click.option(
    "--comparer",
    "--compare",
    "compare",
    type=click.Path(exists=True, dir_okay=False),
    help="Périmètres de CPTS à comparer avec la proposition (mêmes formats que --existing-cpts) : Jaccard pondéré, "
    "indice de Rand ajusté, communes rattachées autrement (couche comparison de cpts.gpkg).",
)
@out_dir_opt(help="Dossier de sortie (créé au besoin) : cpts.gpkg (couches catchments et communes) et cpts.csv "
             "ou cpts.xlsx (commune → territoire, pour les tableurs) selon --format.")  # fmt: skip
@click.option(
    "--format",
    "formats",
    type=click.Choice(("csv", "xlsx")),
    multiple=True,
    default=("csv",),
    show_default=True,
    help="Format de la table commune → territoire (répétable) : csv (tableur français : « ; », virgule décimale, "
    "UTF-8 avec BOM) ou xlsx (Excel). cpts.gpkg est toujours écrit.",
)
def cpts(inputs, options, compare, out, formats) -> None:
    """Découpe un territoire en territoires de CPTS contigus de 12 000 à 152 000 habitants.

    Avec --practitioners, l'APL des généralistes est calculée d'abord : chaque territoire porte ses praticiens,
    ses ETP et son APL, et l'offre guide l'estimation des flux.
    """
    from ..pipeline import catchments_summary, run_catchments, save_catchments
    from ..pipeline.outputs import catchment_files

    outputs = output_set(out, catchment_files(formats), inputs, key="cpts")
    with outputs as staging:
        diagnostic = run_catchments(inputs, options, progress=progress)
        comparison, extra = None, {}
        if compare is not None:
            from ..pipeline.comparison import compare_with_perimeters, comparison_summary

            comparison, extra["comparison"] = compare_with_perimeters(diagnostic, compare, population=inputs.population)
        written = save_catchments(diagnostic, staging, extra_layers=extra, table_formats=formats)
    say(catchments_summary(diagnostic))
    if comparison is not None:
        say(comparison_summary(comparison))
    written_files({kind: outputs.path(p.name) for kind, p in written.items()})
