"""``territoires report``: rebuild the diagnostic report (rapport.html) from an existing GeoPackage."""

from __future__ import annotations

from pathlib import Path

import click

from . import Command, say
from .options import existing_file, out_dir_opt


@click.command(cls=Command)
@click.argument("gpkg", type=existing_file)
@out_dir_opt(default="", help="Dossier où écrire rapport.html (par défaut : celui du GeoPackage).")
def report(gpkg: str, out: str) -> None:
    """Rédige le rapport de diagnostic (rapport.html) à partir d'un GeoPackage écrit par « territoires diagnose ».

    Les paramètres, les sources et leurs sommes de contrôle sont relus dans la table run_metadata du GeoPackage.
    """
    from ..export.geopackage import read_diagnostic_geopackage
    from ..export.report import save_report_html

    layers, metadata, figures = read_diagnostic_geopackage(gpkg)
    folder = Path(out) if out else Path(gpkg).parent
    folder.mkdir(parents=True, exist_ok=True)
    written = save_report_html(folder / "rapport.html", layers, metadata=metadata, figures=figures)
    say(f"Rapport écrit : {written}")
