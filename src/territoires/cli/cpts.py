"""``territoires cpts``: mesh a territory into CPTS catchments."""

from __future__ import annotations

from pathlib import Path

import click

from ..diagnostic import Diagnostic, run_catchments, save_catchments
from . import options


def catchments_summary(diagnostic: Diagnostic) -> str:
    """French summary of a meshing, for the terminal."""
    k = diagnostic.catchments
    s = diagnostic.metadata.get("cpts", {})
    flagged = k[k["alerte"] != ""]
    pops = k["population"]

    def num(x: float) -> str:
        return f"{x:,.0f}".replace(",", " ")

    def pct(x: float) -> str:
        return f"{x:.0%}".replace("%", " %")

    lines = [
        f"Territoires de CPTS : {len(k)} ({s.get('n_existing', 0)} existant(s), {s.get('n_proposed', 0)} proposé(s))",
        f"Population par territoire : min {num(pops.min())}, médiane {num(pops.median())}, max {num(pops.max())}",
        f"Autonomie médiane (part des recours restant dans le territoire) : {pct(k['autonomie'].median())}",
        f"Couverture par une CPTS : {pct(s.get('coverage_before', 0))} avant, {pct(s.get('coverage_after', 0))} après",
        f"Flux de recours : {s.get('flux', '')}",
    ]
    for row in flagged.itertuples(index=False):
        lines.append(f"  ⚠ {row.nom} ({num(row.population)} hab.) : {row.alerte}")
    links = s.get("iles_rattachees") or []
    if links:
        lines.append(f"Îles ou enclaves rattachées à la commune la plus proche : {len(links)}")
    return "\n".join(lines)


@click.command()
@options.communes_opt
@options.population_opt
@click.option(
    "--practitioners",
    "--praticiens",
    "practitioners",
    type=options.existing_file,
    help="Praticiens (facultatif) : effectifs, ETP et APL par territoire, et pôles du modèle de flux.",
)
@options.facilities_opt
@click.option(
    "--existing",
    "--cpts-existantes",
    "existing",
    type=options.existing_file,
    help="CPTS existantes, gardées telles quelles : CSV (cpts, code_commune) ou polygones.",
)
@click.option(
    "--flows",
    "--flux",
    "flows",
    type=options.existing_file,
    help="Flux de recours commune des patients → commune du praticien (origin, destination, flux) ; "
    "estimés par un modèle gravitaire sinon.",
)
@options.travel_times_opt
@options.iris_opt
@options.catchment_options
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    required=True,
    help="GeoPackage de sortie (couches catchments et communes) ; un CSV commune → territoire est écrit à côté.",
)
def cpts(
    communes,
    population,
    practitioners,
    facilities,
    existing,
    flows,
    travel_times,
    iris,
    catchment_params,
    out,
) -> None:
    """Découpe un territoire en territoires de CPTS contigus de 12 000 à 152 000 habitants."""
    if Path(out).suffix.lower() != ".gpkg":
        raise click.BadParameter(f"« {out} » : un fichier .gpkg est attendu.", param_hint="--out")
    from ..export.output_set import estimate_output_bytes, file_set

    out = Path(out)
    inputs = [*communes, population, practitioners, facilities, existing, flows, travel_times, iris]
    outputs = file_set([out, out.with_suffix(".csv")], needed_bytes=estimate_output_bytes(inputs))
    with outputs as staging:
        diagnostic = _compute(communes, population, practitioners, facilities, existing, flows, travel_times,
                              iris, catchment_params)  # fmt: skip
        save_catchments(diagnostic, staging / out.name)
    click.echo(catchments_summary(diagnostic))
    click.echo("Fichiers écrits :")
    for name in (out.name, out.with_suffix(".csv").name):
        click.echo(f"  {outputs.path(name)}")


def _compute(communes, population, practitioners, facilities, existing, flows, travel_times, iris,
             catchment_params) -> Diagnostic:  # fmt: skip
    return run_catchments(
        [Path(c) for c in communes],
        population=population,
        practitioners=practitioners,
        facilities=facilities,
        existing_cpts=existing,
        flows=flows,
        travel_times=travel_times,
        params=catchment_params,
        iris=iris,
        progress=lambda step, steps, text: click.echo(f"[{step}/{steps}] {text}…", err=True),
    )
