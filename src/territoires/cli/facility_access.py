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
    from ..diagnostic import load_territory
    from ..export.facility_report import facility_summary_lines
    from ..export.geopackage import read_diagnostic_geopackage, save_diagnostic_geopackage
    from ..pipeline.facility_access import run_facility_access

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
    click.echo("[1/2] Équipements et temps d'accès…", err=True)
    step = run_facility_access(
        gdf,
        bpe=bpe,
        facilities=facilities,
        kinds=kinds,
        params=params,
        travel_times=travel_times,
        road_network=road_network,
        catchments=catchments,
    )
    access = step.access
    click.echo("[2/2] Écriture…", err=True)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    out_layers = {"communes": access.communes, "equipements": step.equipment}
    if access.catchments is not None:
        out_layers["catchments"] = access.catchments
    if len(step.left_out):
        out_layers["left_out"] = step.left_out
    gpkg = save_diagnostic_geopackage(
        out_dir / "acces_equipements.gpkg", out_layers, metadata={"acces_equipements": step.metadata}
    )
    combined = access.combined
    table = pd.concat(
        [combined.by_difficulty.assign(tableau="par difficulté"), combined.combinations.assign(tableau="combinaison")],
        ignore_index=True,
    )
    with atomic_path(out_dir / "difficultes_combinees.csv") as tmp:
        table.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig")
    click.echo("\n".join(facility_summary_lines(step.metadata)))
    click.echo(f"Fichiers écrits :\n  {gpkg}\n  {out_dir / 'difficultes_combinees.csv'}")
