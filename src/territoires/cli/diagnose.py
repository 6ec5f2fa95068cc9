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
    tiles_opt,
    written_files,
)


def _finish(diagnostic, out: str, *, tiles: bool) -> None:
    from ..pipeline import save_diagnostic

    info("[écriture] GeoPackage, carte et rapport…")
    written = save_diagnostic(diagnostic, out, tiles=tiles)
    say(diagnostic.summary())
    written_files(written)


@click.command(cls=Command)
@out_dir_opt(default="sortie-demo")
@tiles_opt
def demo(out: str, tiles: bool) -> None:
    """Diagnostic complet du territoire de démonstration (synthétique, intégré, sans réseau)."""
    from ..demo.generate import demo_paths
    from ..pipeline import DiagnosticInputs, run_diagnostic

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
    _finish(run_diagnostic(inputs, progress=progress), out, tiles=tiles)


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
    from ..pipeline import run_diagnostic

    _finish(run_diagnostic(inputs, options, progress=progress), out, tiles=tiles)
