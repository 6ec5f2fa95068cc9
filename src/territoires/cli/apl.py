"""``territoires apl``: the APL of every commune, as a table for spreadsheets (CSV, Excel) or GIS."""

from __future__ import annotations

from pathlib import Path

import click

from . import Command, progress, say, settle_imports
from .options import APL_SETTINGS, diagnosis_options, out_dir_opt, output_set, written_files

FORMATS = ("csv", "xlsx", "gpkg", "parquet")


@click.command(cls=Command)
@diagnosis_options(
    ("communes", "population", "practitioners", "travel_times", "road_network"),
    required=("communes", "practitioners"),
    settings=APL_SETTINGS,
)
@out_dir_opt(help="Dossier de sortie (créé au besoin) : apl.csv, ou apl.xlsx, apl.gpkg… selon --format.")
@click.option(
    "--format",
    "formats",
    type=click.Choice(FORMATS),
    multiple=True,
    default=("csv",),
    show_default=True,
    help="Format de la table (répétable) : csv (tableur français : « ; », virgule décimale, UTF-8 avec BOM), "
    "xlsx (Excel), gpkg (SIG, avec les contours), parquet (précision complète).",
)
def apl(inputs, options, out, formats) -> None:
    """APL (accessibilité potentielle localisée, DREES) de chaque commune, une ligne par commune."""
    from ..export.tables import APL_COLUMNS, save_table
    from ..pipeline import run_diagnostic

    settle_imports()
    names = [f"apl.{f}" for f in dict.fromkeys(formats)]
    outputs = output_set(out, names, inputs, key="apl")
    with outputs as staging:
        diagnostic = run_diagnostic(inputs, options, progress=progress)
        for name in names:
            save_table(diagnostic.communes, Path(staging) / name, columns=APL_COLUMNS)
    say(diagnostic.summary())
    written_files({name.split(".")[1]: outputs.path(name) for name in names})
