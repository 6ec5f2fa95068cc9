"""``territoires cpts``: mesh a territory into CPTS catchments."""

from __future__ import annotations

from pathlib import Path

import click

from ..analysis.catchment_comparison import CatchmentComparison, compare_catchments, comparison_layer
from ..diagnostic import Diagnostic, run_catchments, save_catchments
from ..io.cog import former_codes_from_table
from ..io.cpts import cpts_perimeters_from_file
from ..io.populations import populations_from_csv
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
    for city in s.get("villes_a_decouper") or []:
        lines.append(
            f"  ⚠ {city['commune']} ({num(city['population'])} hab.) : au moins {city['minimum']} territoires sous "
            f"le plafond, {city['cible']} à la taille cible ; donnez les IRIS (--iris) pour la découper"
        )
    links = s.get("iles_rattachees") or []
    if links:
        lines.append(f"Îles ou enclaves rattachées à la commune la plus proche : {len(links)}")
    return "\n".join(lines)


def comparison_summary(summary: dict, territories) -> str:
    """French summary of a comparison with given perimeters, for the terminal."""

    def dec(x: float) -> str:
        return f"{x:.2f}".replace(".", ",")

    lines = [
        f"Comparaison avec {summary.get('source', 'les périmètres donnés')} : {summary['territoires_reference']} "
        f"CPTS, {summary['communes_comparees']} communes comparées",
        f"  Jaccard pondéré par la population (meilleur territoire proposé) : {dec(summary['jaccard_pondere'])} ; "
        f"indice de Rand ajusté : {dec(summary['ari'])} (communes), {dec(summary['ari_population'])} (habitants)",
        f"  Communes rattachées autrement : {summary['communes_differentes']} "
        f"({summary['population_differente']:,.0f} hab.)".replace(",", " "),
    ]
    for row in territories.sort_values("jaccard").itertuples(index=False):
        lines.append(f"  {row.cpts_nom} → {row.meilleur_nom} : Jaccard {dec(row.jaccard)}")
    return "\n".join(lines)


def compare_with_file(diagnostic: Diagnostic, path, *, population=None) -> CatchmentComparison:
    """Compare the meshed communes with the perimeters of ``path`` (former commune codes read from ``population``)."""
    former = None
    if population is not None:
        table = populations_from_csv(population)
        former = former_codes_from_table(table) if "anciens_codes" in table.columns else None
    reference = cpts_perimeters_from_file(path, diagnostic.communes, former_codes=former or None)
    comparison = compare_catchments(diagnostic.communes, reference)
    comparison.summary["source"] = str(path)
    return comparison


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
    "--comparer",
    "--compare",
    "compare",
    type=options.existing_file,
    help="Périmètres de CPTS à comparer avec la proposition (mêmes formats que --existing) : Jaccard pondéré, "
    "indice de Rand ajusté, communes rattachées autrement (couche comparison du GeoPackage).",
)
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
    compare,
    out,
) -> None:
    """Découpe un territoire en territoires de CPTS contigus de 12 000 à 152 000 habitants."""
    if Path(out).suffix.lower() != ".gpkg":
        raise click.BadParameter(f"« {out} » : un fichier .gpkg est attendu.", param_hint="--out")
    diagnostic = run_catchments(
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
    extra = {}
    comparison = None
    if compare is not None:
        comparison = compare_with_file(diagnostic, compare, population=population)
        extra["comparison"] = comparison_layer(comparison, diagnostic.communes)
        diagnostic.metadata["comparaison"] = comparison.summary
    written = save_catchments(diagnostic, out, extra_layers=extra)
    click.echo(catchments_summary(diagnostic))
    if comparison is not None:
        click.echo(comparison_summary(comparison.summary, comparison.territories))
    click.echo("Fichiers écrits :")
    for path in written.values():
        click.echo(f"  {path}")
