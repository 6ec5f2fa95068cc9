"""The access-to-facilities step of a diagnosis (``diagnose --bpe``): files in, layers and metadata out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .._atomic import atomic_path
from ..analysis.facility_access import (
    FacilityAccess,
    FacilityAccessParameters,
    destinations_near,
    facility_access,
    source_from_files,
)
from ..analysis.nearest import Source, facility_time_surface
from ..analysis.zones import Surface
from ..export.facility_report import facility_access_metadata
from ..export.geopackage import save_diagnostic_geopackage
from ..export.output_set import OutputSet
from ..io.facilities import destinations_from_files
from ..schemas import left_out_table

__all__ = ["FACILITY_ACCESS_FILES", "FacilityAccessStep", "run_facility_access", "save_facility_access"]

#: Kinds of facility read by default (the DREES 2017 study: emergency, maternity, pharmacy; hospitals from FINESS).
DEFAULT_KINDS = ("urgences", "maternite", "pharmacie")
#: The files of ``territoires facility-access``, written as one set.
FACILITY_ACCESS_FILES = ("acces_equipements.gpkg", "difficultes_combinees.csv")


@dataclass(frozen=True)
class FacilityAccessStep:
    """What the step adds to a diagnosis.

    Attributes
    ----------
    access
        The analysis result (communes with the new columns, combined tables, catchments with links).
    equipment
        Facilities near the territory (``equipements`` layer of the GeoPackage and the map).
    left_out
        BPE and FINESS rows left out, with the reason.
    metadata
        The ``acces_equipements`` entry of the run metadata (formatted by the report).
    surfaces
        Kind → raster of the time to the nearest facility of that kind (when asked for).
    """

    access: FacilityAccess
    equipment: gpd.GeoDataFrame
    left_out: pd.DataFrame
    metadata: dict
    surfaces: dict[str, Surface] = field(default_factory=dict)


def run_facility_access(
    communes: gpd.GeoDataFrame,
    *,
    bpe: str | Path | None = None,
    facilities: str | Path | None = None,
    kinds: tuple[str, ...] | None = None,
    params: FacilityAccessParameters | None = None,
    source: Source | None = None,
    travel_times: str | Path | None = None,
    road_network: str | Path | None = None,
    catchments: pd.DataFrame | None = None,
    surface_resolution: float | None = None,
) -> FacilityAccessStep:
    """Read the BPE (and FINESS hospitals), compute the access to facilities and shape it for the outputs.

    Parameters
    ----------
    communes
        Communes of the diagnosis (with ``apl`` and ``cpts_id`` where computed).
    bpe, facilities
        The national BPE file and a FINESS extraction (hospitals); at least one.
    kinds
        ``--equipement`` values (named sets or ``TYPEQU`` codes); :data:`DEFAULT_KINDS` by default.
    params
        :class:`FacilityAccessParameters`.
    source, travel_times, road_network
        The travel-time source (an already built one, e.g. the road graph of the APL), or the files to build it.
    catchments
        CPTS catchments to link with hospitals.
    surface_resolution
        Cell size (metres) of a raster of the time to the nearest facility, one per kind (none when None; a
        travel-time matrix gives no cell times: the straight line stands in, as for the practitioners' surface).
    """
    params = params or FacilityAccessParameters()
    destinations = destinations_from_files(
        bpe=bpe, finess=facilities, kinds=kinds or DEFAULT_KINDS, communes=communes, crs=communes.crs
    )
    if source is None:
        source = source_from_files(travel_times=travel_times, road_network=road_network, crs=communes.crs)
    access = facility_access(communes, destinations, source=source, params=params, catchments=catchments)
    metadata = facility_access_metadata(access, destinations)
    metadata["equipements"] = list(kinds or DEFAULT_KINDS)
    near = destinations_near(destinations, communes, metres=params.max_minutes / 60.0 * 130_000.0)
    surfaces = {}
    if surface_resolution is not None:
        cell_source = None if isinstance(source, pd.DataFrame) else source
        for kind in dict.fromkeys(destinations["equipement"]):
            of_kind = destinations.loc[destinations["equipement"] == kind]
            surfaces[kind] = facility_time_surface(
                communes, of_kind, source=cell_source, resolution=surface_resolution, max_minutes=params.max_minutes
            )
    return FacilityAccessStep(
        access=access, equipment=near, left_out=left_out_table(destinations), metadata=metadata, surfaces=surfaces
    )


def save_facility_access(step: FacilityAccessStep, out_dir: str | Path) -> dict[str, Path]:
    """Write ``acces_equipements.gpkg`` and ``difficultes_combinees.csv`` into ``out_dir``, as one set.

    The GeoPackage holds the layers ``communes``, ``equipements``, ``catchments`` (when the communes carry CPTS)
    and ``left_out`` (when rows were left out); the CSV the combined-difficulty tables (``;``, UTF-8 with BOM).
    Written aside, swapped in at the end, under a lock (:class:`territoires.export.output_set.OutputSet`): a
    failure or an interrupt leaves the previous set intact.

    Returns
    -------
    dict
        ``geopackage`` and ``tableau`` → final path.
    """
    outputs = OutputSet(out_dir, FACILITY_ACCESS_FILES, key="acces_equipements")
    with outputs as staging:
        access = step.access
        layers = {"communes": access.communes, "equipements": step.equipment}
        if access.catchments is not None:
            layers["catchments"] = access.catchments
        if len(step.left_out):
            layers["left_out"] = step.left_out
        save_diagnostic_geopackage(
            staging / FACILITY_ACCESS_FILES[0], layers, metadata={"acces_equipements": step.metadata}
        )
        combined = access.combined
        table = pd.concat(
            [
                combined.by_difficulty.assign(tableau="par difficulté"),
                combined.combinations.assign(tableau="combinaison"),
            ],
            ignore_index=True,
        )
        with atomic_path(staging / FACILITY_ACCESS_FILES[1]) as tmp:
            table.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig")
    return {"geopackage": outputs.path(FACILITY_ACCESS_FILES[0]), "tableau": outputs.path(FACILITY_ACCESS_FILES[1])}
