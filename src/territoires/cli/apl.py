"""``territoires apl``: the APL of every commune, written as CSV, GeoPackage or Parquet."""

from __future__ import annotations

from pathlib import Path

import click

from . import options

OUTPUT_COLUMNS = [
    "code_commune", "nom", "departement", "population", "population_standardisee", "praticiens", "etp",
    "offre_consultations", "apl", "niveau_acces", "libelle_niveau", "minutes_praticien_proche",
]  # fmt: skip


def save_commune_table(frame, path: Path) -> Path:
    """Write one row per commune to ``.csv`` (``;``, UTF-8), ``.gpkg`` or ``.parquet`` by extension, atomically."""
    from .._atomic import atomic_path

    suffix = path.suffix.lower()
    if suffix not in {".csv", ".gpkg", ".parquet"}:
        raise click.BadParameter(
            f"extension {suffix or '(aucune)'} : .csv, .gpkg ou .parquet attendu.", param_hint="--out"
        )
    from ..export.output_set import file_set

    columns = [c for c in OUTPUT_COLUMNS if c in frame.columns]
    with file_set([path]) as staging, atomic_path(staging / path.name) as tmp:
        if suffix == ".gpkg":
            frame[columns + ["geometry"]].to_file(tmp, layer="communes", driver="GPKG", engine="pyogrio")
        elif suffix == ".parquet":
            frame[columns].to_parquet(tmp, index=False)
        else:
            frame[columns].to_csv(tmp, sep=";", index=False, encoding="utf-8")
    return path


@click.command()
@options.communes_opt
@options.population_opt
@options.practitioners_opt
@options.travel_times_opt
@options.road_network_opt
@options.profession_opt
@options.max_age_opt
@options.thresholds_options
@click.option("--departement", "departements", multiple=True, help="Limite le calcul à ce département (répétable).")
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="Fichier de sortie : .csv (séparateur ;), .gpkg ou .parquet.")  # fmt: skip
def apl(
    communes,
    population,
    practitioners,
    travel_times,
    road_network,
    profession,
    max_age,
    thresholds,
    departements,
    out,
):
    """APL (accessibilité potentielle localisée, DREES) de chaque commune, une ligne par commune."""
    out = Path(out)
    if out.suffix.lower() not in {".csv", ".gpkg", ".parquet"}:
        raise click.BadParameter(f"extension {out.suffix or '(aucune)'} : .csv, .gpkg ou .parquet attendu.",
                                 param_hint="--out")  # fmt: skip
    from ..export.output_set import estimate_output_bytes, file_set

    inputs = [*communes, population, practitioners, travel_times, road_network]
    with file_set([out], needed_bytes=estimate_output_bytes(inputs)) as staging:
        diagnostic = _compute(communes, population, practitioners, travel_times, road_network, profession,
                              max_age, thresholds, departements)  # fmt: skip
        save_commune_table(diagnostic.communes, staging / out.name)
    click.echo(diagnostic.summary())
    click.echo(f"Fichier écrit : {out}")


def _compute(communes, population, practitioners, travel_times, road_network, profession, max_age, thresholds,
             departements):  # fmt: skip
    from ..diagnostic import run_diagnostic

    return run_diagnostic(
        [Path(c) for c in communes],
        population=population,
        practitioners=practitioners,
        travel_times=travel_times,
        road_network=road_network,
        profession=profession,
        max_age=max_age,
        thresholds=thresholds,
        departements=list(departements) or None,
        catchments=False,
        zones=False,
        progress=lambda step, steps, text: click.echo(f"[{step}/{steps}] {text}…", err=True),
    )
