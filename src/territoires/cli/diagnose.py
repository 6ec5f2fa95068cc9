"""``territoires demo`` and ``territoires diagnose``: the whole diagnosis, from files to map."""

from __future__ import annotations

import click

from . import Command, info, progress, say
from .options import (
    APL_SETTINGS,
    CATCHMENT_SETTINGS,
    FACILITY_SETTINGS,
    diagnosis_options,
    out_dir_opt,
    output_set,
    tiles_opt,
    written_files,
)


def _run(inputs, options, out: str, *, tiles: bool) -> None:
    """Check and lock ``out``, compute, write the set aside and swap it in (see export.output_set)."""
    from ..export.output_set import DIAGNOSTIC_FILES
    from ..pipeline import DiagnosticOptions, run_diagnostic, save_diagnostic

    options = options or DiagnosticOptions()
    resolution = options.resolution if options.zones else None
    outputs = output_set(out, DIAGNOSTIC_FILES, inputs, key="diagnostic", resolution=resolution)
    with outputs as staging:
        diagnostic = run_diagnostic(inputs, options, progress=progress)
        info("[écriture] GeoPackage, carte et rapport…")
        written = save_diagnostic(diagnostic, staging, tiles=tiles)
    say(diagnostic.summary())
    written_files({kind: outputs.path(p.name) for kind, p in written.items()})


@click.command(cls=Command)
@out_dir_opt(default="sortie-demo")
@tiles_opt
def demo(out: str, tiles: bool) -> None:
    """Diagnostic complet du territoire de démonstration (synthétique, intégré, sans réseau)."""
    from ..demo.generate import demo_paths
    from ..pipeline import DiagnosticInputs

    paths = demo_paths()
    info("Territoire de démonstration (données synthétiques, voir territoires.demo.generate).")
    inputs = DiagnosticInputs(
        communes=paths["communes"],
        population=paths["population"],
        practitioners=paths["practitioners"],
        facilities=paths["facilities"],
        existing_cpts=paths["existing_cpts"],
        flows=paths["flows"],
    )
    _run(inputs, None, out, tiles=tiles)


@click.command(cls=Command)
@diagnosis_options(
    ("communes", "population", "practitioners", "facilities", "existing_cpts", "flows", "travel_times",
     "road_network", "iris", "bpe"),
    required=("communes", "practitioners"),
    settings=(*APL_SETTINGS, "no_cpts", *CATCHMENT_SETTINGS, "no_zones", "resolution", *FACILITY_SETTINGS),
    zones=True,
    catchments=True,
)  # fmt: skip
@out_dir_opt()
@tiles_opt
def diagnose(inputs, options, out, tiles) -> None:
    """Diagnostic territorial : APL, zones d'accès, CPTS ; écrit diagnostic.gpkg, carte.html et rapport.html."""
    _run(inputs, options, out, tiles=tiles)
