"""Writing a diagnosis: every output file of ``territoires diagnose`` and ``territoires cpts``, as one set.

Kept apart from :mod:`territoires.pipeline.diagnostic` so that computing (``territoires apl``) does not load the map
and report libraries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from .._errors import ParameterError
from .._format import fr_list
from ..export.folium_map import save_map_html
from ..export.geopackage import save_diagnostic_geopackage
from ..export.output_set import DIAGNOSTIC_FILES, OutputSet
from ..export.raster import save_surface_geotiff
from ..export.report import save_report_html
from ..export.tables import CATCHMENT_COLUMNS, save_table
from .diagnostic import Diagnostic

__all__ = ["CATCHMENT_FILES", "CATCHMENT_TABLE_FORMATS", "catchment_files", "save_catchments", "save_diagnostic"]


def save_diagnostic(diagnostic: Diagnostic, out_dir: str | Path, *, tiles: bool = False) -> dict[str, Path]:
    """Write ``diagnostic.gpkg`` (and ``temps_acces.tif``), ``carte.html`` and ``rapport.html`` into ``out_dir``.

    The files are written as one set (:class:`territoires.export.output_set.OutputSet`): into a hidden folder
    beside them, swapped in at the end, under a lock; a failure or an interrupt leaves the previous set intact.

    Returns
    -------
    dict
        Kind of output → written path.
    """
    outputs = OutputSet(out_dir, DIAGNOSTIC_FILES, key="diagnostic")
    with outputs as staging:
        written = _write_diagnostic(diagnostic, staging, tiles=tiles)
    return {kind: outputs.path(p.name) for kind, p in written.items()}


def _write_diagnostic(diagnostic: Diagnostic, out_dir: Path, *, tiles: bool) -> dict[str, Path]:
    written: dict[str, Path] = {}
    layers = diagnostic.layers()
    surface_path = None
    if diagnostic.surface is not None:
        surface_path = save_surface_geotiff(out_dir / "temps_acces.tif", diagnostic.surface)
        written["raster"] = surface_path
    for kind, surface in diagnostic.facility_surfaces.items():  # with a BPE input: time to each kind of facility
        written[f"raster_{kind}"] = save_surface_geotiff(out_dir / f"temps_{kind}.tif", surface)
    written["geopackage"] = save_diagnostic_geopackage(
        out_dir / "diagnostic.gpkg", layers, metadata=diagnostic.metadata
    )
    written["carte"] = save_map_html(
        out_dir / "carte.html",
        layers,
        metadata=diagnostic.metadata,
        figures=diagnostic.figures,
        surface_path=surface_path,
        tiles=tiles,
    )
    written["rapport"] = save_report_html(
        out_dir / "rapport.html", layers, metadata=diagnostic.metadata, figures=diagnostic.figures
    )
    return written


def save_catchments(
    diagnostic: Diagnostic,
    out_dir: str | Path,
    *,
    extra_layers: Mapping[str, pd.DataFrame] | None = None,
    table_formats: Sequence[str] = ("csv",),
) -> dict[str, Path]:
    """Write the catchments into ``out_dir``: ``cpts.gpkg`` (``catchments`` and ``communes`` layers) and the table.

    ``extra_layers`` are written into the GeoPackage too (``comparison``: see :mod:`territoires.pipeline.comparison`).

    The table (one row per commune: its catchment) is written for spreadsheets, once per format of
    ``table_formats``: ``cpts.csv`` (« ; », decimal comma, UTF-8 with BOM) and/or ``cpts.xlsx`` (see
    :func:`territoires.export.tables.save_table`). All files are written as one set: all new or all previous.
    """
    outputs = OutputSet(out_dir, catchment_files(table_formats), key="cpts")
    with outputs as staging:
        written = _write_catchments(diagnostic, staging, extra_layers=extra_layers, table_formats=table_formats)
    return {kind: outputs.path(p.name) for kind, p in written.items()}


#: Spreadsheet formats of the ``territoires cpts`` table.
CATCHMENT_TABLE_FORMATS = ("csv", "xlsx")


def catchment_files(table_formats: Sequence[str] = ("csv",)) -> tuple[str, ...]:
    """Return the files of ``territoires cpts``: ``cpts.gpkg`` and one table per format (``cpts.csv``, ``.xlsx``)."""
    unknown = [f for f in table_formats if f not in CATCHMENT_TABLE_FORMATS]
    if unknown or not table_formats:
        raise ParameterError(
            f"format de table inconnu : {fr_list(unknown) or 'aucun'} (attendu : {fr_list(CATCHMENT_TABLE_FORMATS)})."
        )
    return ("cpts.gpkg", *(f"cpts.{f}" for f in dict.fromkeys(table_formats)))


#: The files of ``territoires cpts`` with the default CSV table.
CATCHMENT_FILES = catchment_files()


def _write_catchments(
    diagnostic: Diagnostic,
    out_dir: Path,
    *,
    extra_layers: Mapping[str, pd.DataFrame] | None,
    table_formats: Sequence[str] = ("csv",),
) -> dict[str, Path]:
    layers = {"catchments": diagnostic.catchments, "communes": diagnostic.communes}
    if len(diagnostic.left_out):
        layers["left_out"] = diagnostic.left_out
    layers.update(extra_layers or {})
    written = {"geopackage": save_diagnostic_geopackage(out_dir / "cpts.gpkg", layers, metadata=diagnostic.metadata)}
    for fmt in dict.fromkeys(table_formats):
        written[fmt] = save_table(diagnostic.communes, out_dir / f"cpts.{fmt}", columns=CATCHMENT_COLUMNS)
    return written
