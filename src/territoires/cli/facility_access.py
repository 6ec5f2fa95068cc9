"""``territoires facility-access``: nearest emergency service, maternity, pharmacy, hospital; combined difficulty.

Also the options that ``diagnose --bpe`` shares with it.
"""

from __future__ import annotations

from pathlib import Path

import click

from .options import existing_file, existing_path

#: ``--equipement`` default: the three kinds of the DREES 2017 study (emergency, maternity, pharmacy).
DEFAULT_KINDS = ("urgences", "maternite", "pharmacie")

bpe_opt = click.option(
    "--bpe",
    "bpe",
    type=existing_file,
    help="Base permanente des équipements (INSEE, fichier « ensemble » avec coordonnées, ';') : urgences, "
    "maternités, pharmacies… comme destinations (le fichier national entier : l'équipement le plus proche peut "
    "être hors du territoire).",
)


def facility_access_options(func):
    """Add ``--equipement``, ``--portee`` and the minute thresholds, handed over as one ``facility_params``.

    ``facility_params`` is a (kinds, :class:`FacilityAccessParameters`) pair.
    """
    decorators = [
        click.option(
            "--equipement",
            "--equipment",
            "kinds",
            multiple=True,
            help="Équipement de destination (répétable) : un ensemble nommé (urgences, maternite, pharmacie, "
            "centre_sante, msp, medecin_generaliste ; hopital depuis FINESS) ou un code TYPEQU de la BPE (D106). "
            "Par défaut : urgences, maternite, pharmacie (et hopital avec --facilities).",
        ),
        click.option(
            "--portee",
            "--reach",
            "reach",
            type=click.FloatRange(min=1),
            default=90.0,
            show_default=True,
            help="Portée de la recherche de l'équipement le plus proche (minutes) ; au-delà : « hors de portée ».",
        ),
        click.option(
            "--seuil-urgences",
            "emergency_minutes",
            type=click.FloatRange(min=0, min_open=True),
            default=30.0,
            show_default=True,
            help="Difficulté « urgences loin » au-delà de ce temps (minutes ; DREES 2017 : 30).",
        ),
        click.option(
            "--seuil-pharmacie",
            "pharmacy_minutes",
            type=click.FloatRange(min=0, min_open=True),
            default=10.0,
            show_default=True,
            help="Difficulté « pharmacie loin » au-delà de ce temps (minutes ; DREES 2017 : 10).",
        ),
        click.option(
            "--seuil-cpts",
            "catchment_minutes",
            type=click.FloatRange(min=0, min_open=True),
            default=30.0,
            show_default=True,
            help="Hôpitaux et urgences « à portée » d'un territoire de CPTS en deçà de ce temps (minutes).",
        ),
    ]
    return _gathered(func, decorators, "facility_params", facility_params_from)


def _gathered(func, decorators, name: str, build):
    """Apply click options to ``func`` and hand it one keyword ``name`` built from their values by ``build``."""
    import functools
    import inspect

    names = list(inspect.signature(build).parameters)

    @functools.wraps(func)
    def wrapper(**kwargs):
        kwargs[name] = build(**{n: kwargs.pop(n) for n in names})
        return func(**kwargs)

    for decorate in reversed(decorators):
        wrapper = decorate(wrapper)
    return wrapper


def facility_params_from(kinds, reach, emergency_minutes, pharmacy_minutes, catchment_minutes):
    """Build (kinds, :class:`FacilityAccessParameters`) from the values of :func:`facility_access_options`."""
    from ..analysis.combined import DifficultyThresholds
    from ..analysis.facility_access import FacilityAccessParameters

    thresholds = DifficultyThresholds(minutes=(("urgences", emergency_minutes), ("pharmacie", pharmacy_minutes)))
    try:
        params = FacilityAccessParameters(max_minutes=reach, thresholds=thresholds, catchment_minutes=catchment_minutes)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--portee") from None
    return tuple(kinds) or DEFAULT_KINDS, params


def _fr(x: float, digits: int = 0) -> str:  # TODO _format
    return f"{x:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def summary_lines(access) -> list[str]:
    """French lines summarising a :class:`FacilityAccess` for the terminal."""
    from ..io.facilities import EQUIPMENT_LABELS

    lines = [f"Temps d'accès aux équipements ({access.source}, portée {_fr(access.params.max_minutes)} min) :"]
    for row in access.beyond.itertuples(index=False):
        label = EQUIPMENT_LABELS.get(row.equipement, row.equipement)
        lines.append(
            f"  {label} : {_fr(row.population)} habitants à plus de {_fr(row.seuil)} min ({_fr(100 * row.part, 1)} %), "
            f"{row.destinations} équipement(s) lus"
        )
    lines.append("Difficultés cumulées (population) :")
    for row in access.combined.combinations.itertuples(index=False):
        if row.population > 0:
            lines.append(f"  {row.combinaison} : {_fr(row.population)} ({_fr(100 * row.part, 1)} %)")
    return lines


@click.command("facility-access")
@click.option(
    "--diagnostic",
    "diagnostic",
    type=existing_file,
    help="GeoPackage d'un diagnostic (diagnostic.gpkg) : ses communes (APL, CPTS) et ses territoires de CPTS.",
)
@click.option(
    "--communes",
    "communes",
    type=existing_path,
    multiple=True,
    help="Contours des communes (sans --diagnostic) ; l'APL n'entre alors pas dans l'indicateur combiné.",
)
@click.option("--population", type=existing_file, help="Populations par commune (CSV INSEE), avec --communes.")
@bpe_opt
@click.option(
    "--facilities",
    "--etablissements",
    "facilities",
    type=existing_file,
    help="Extraction FINESS : ses établissements hospitaliers deviennent la destination « hopital ».",
)
@click.option(
    "--travel-times",
    "--temps",
    "travel_times",
    type=existing_file,
    help="Matrice origine-destination (CSV ou Parquet : origin, destination, minutes), lue en entier.",
)
@click.option(
    "--road-network",
    "--reseau",
    "road_network",
    type=existing_file,
    help="Réseau routier (GeoPackage, Shapefile, GeoParquet ; OpenStreetMap : highway, maxspeed).",
)
@facility_access_options
@click.option("--out", "out", type=click.Path(file_okay=False), required=True, help="Dossier de sortie.")
def facility_access(
    diagnostic, communes, population, bpe, facilities, travel_times, road_network, facility_params, out
) -> None:
    """Accès aux urgences, maternités, pharmacies, hôpitaux ; difficultés cumulées ; CPTS et hôpitaux.

    Écrit acces_equipements.gpkg (communes, territoires de CPTS, équipements proches, lignes écartées) et
    difficultes_combinees.csv.
    """
    import pandas as pd

    from .._atomic import atomic_path
    from ..analysis.facility_access import destinations_near, facility_access, source_from_files
    from ..diagnostic import load_territory
    from ..export.geopackage import read_diagnostic_geopackage, save_diagnostic_geopackage
    from ..io.facilities import destinations_from_files
    from ..schemas import left_out_table

    kinds, params = facility_params
    if bpe is None and facilities is None:
        raise click.UsageError("donnez la BPE (--bpe) et/ou une extraction FINESS (--facilities).")
    catchments = None
    if diagnostic is not None:
        layers, _ = read_diagnostic_geopackage(diagnostic)
        gdf = layers["communes"]
        catchments = layers.get("catchments")
    elif communes:
        gdf = load_territory([Path(c) for c in communes], population=population).communes
    else:
        raise click.UsageError("donnez --diagnostic (un diagnostic.gpkg) ou --communes.")
    click.echo("[1/3] Lecture des équipements…", err=True)
    dest = destinations_from_files(bpe=bpe, finess=facilities, kinds=kinds, communes=gdf, crs=gdf.crs)
    click.echo("[2/3] Temps d'accès…", err=True)
    source = source_from_files(travel_times=travel_times, road_network=road_network, crs=gdf.crs)
    access = facility_access(gdf, dest, source=source, params=params, catchments=catchments)
    click.echo("[3/3] Écriture…", err=True)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    near = destinations_near(dest, gdf, metres=params.max_minutes / 60 * 130_000)
    out_layers = {"communes": access.communes, "equipements": near}
    if access.catchments is not None:
        out_layers["catchments"] = access.catchments
    left = left_out_table(dest)
    if len(left):
        out_layers["left_out"] = left
    metadata = {"acces_equipements": {**params.describe(), "source": access.source, "equipements": list(kinds)}}
    gpkg = save_diagnostic_geopackage(out_dir / "acces_equipements.gpkg", out_layers, metadata=metadata)
    table = pd.concat(
        [
            access.combined.by_difficulty.assign(tableau="par difficulté"),
            access.combined.combinations.assign(tableau="combinaison"),
        ],
        ignore_index=True,
    )
    with atomic_path(out_dir / "difficultes_combinees.csv") as tmp:
        table.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig")
    click.echo("\n".join(summary_lines(access)))
    click.echo(f"Fichiers écrits :\n  {gpkg}\n  {out_dir / 'difficultes_combinees.csv'}")
