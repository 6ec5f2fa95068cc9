"""``territoires facility-access``: nearest emergency service, maternity, pharmacy, hospital; combined difficulty.

Also the options that ``diagnose --bpe`` shares with it.
"""

from __future__ import annotations

from pathlib import Path

import click

from . import Command, info
from .options import (
    FACILITY_SETTINGS,
    INPUTS,
    SETTINGS,
    existing_file,
    existing_path,
    facility_values,
    out_dir_opt,
    output_set,
    written_files,
)

#: ``--equipement`` default: the three kinds of the DREES 2017 study (emergency, maternity, pharmacy).
DEFAULT_KINDS = ("urgences", "maternite", "pharmacie")


def facility_access_options(func):
    """Add ``--equipement``, ``--portee`` and the minute thresholds, handed over as one ``facility_params``.

    ``facility_params`` is a (kinds, :class:`FacilityAccessParameters`) pair (the same options as ``diagnose``).
    """
    import functools

    @functools.wraps(func)
    def wrapper(**kwargs):
        values = facility_values({name: kwargs.pop(name) for name in FACILITY_SETTINGS})
        kwargs["facility_params"] = (values.get("facility_kinds"), values["facility_params"])
        return func(**kwargs)

    for name in reversed(FACILITY_SETTINGS):
        wrapper = SETTINGS[name](wrapper)
    return wrapper


def _input_option(role: str):
    names, settings = INPUTS[role]
    return click.option(*names, role, **settings)


@click.command("facility-access", cls=Command)
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
@_input_option("population")
@_input_option("bpe")
@_input_option("facilities")
@_input_option("travel_times")
@_input_option("road_network")
@facility_access_options
@out_dir_opt()
def facility_access(
    diagnostic, communes, population, bpe, facilities, travel_times, road_network, facility_params, out
) -> None:
    """Accès aux urgences, maternités, pharmacies, hôpitaux ; difficultés cumulées ; CPTS et hôpitaux.

    Écrit acces_equipements.gpkg (communes, territoires de CPTS, équipements proches, lignes écartées) et
    difficultes_combinees.csv.
    """
    from ..export.facility_report import facility_summary_lines
    from ..export.geopackage import read_diagnostic_geopackage
    from ..pipeline import load_territory
    from ..pipeline.facility_access import FACILITY_ACCESS_FILES, run_facility_access, save_facility_access

    kinds, params = facility_params
    kinds = kinds or DEFAULT_KINDS
    if bpe is None and facilities is None:
        raise click.UsageError("donnez la BPE (--bpe) et/ou une extraction FINESS (--facilities).")
    catchments = None
    if diagnostic is not None:
        from dataclasses import replace

        layers, _, figures = read_diagnostic_geopackage(diagnostic)
        gdf = layers["communes"]
        # The GP difficulty follows the APL threshold the diagnostic was run with (--seuil).
        params = replace(params, thresholds=replace(params.thresholds, apl=figures.threshold))
        catchments = layers.get("catchments")
    elif not communes:
        raise click.UsageError("donnez --diagnostic (un diagnostic.gpkg) ou --communes.")
    files = {"communes": diagnostic or communes, "population": population, "bpe": bpe, "facilities": facilities,
             "travel_times": travel_times, "road_network": road_network}  # fmt: skip
    outputs = output_set(out, FACILITY_ACCESS_FILES, files, key="acces_equipements")
    with outputs as staging:
        if diagnostic is None:
            gdf = load_territory([Path(c) for c in communes], population=population).communes
        info("[1/2] Équipements et temps d'accès…")
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
        info("[2/2] Écriture…")
        written = save_facility_access(step, staging)
    click.echo("\n".join(facility_summary_lines(step.metadata)))
    written_files(written, outputs)
