"""``territoires report``: rebuild the diagnostic report (rapport.html) from an existing GeoPackage."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("gpkg", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Fichier HTML du rapport (par défaut : rapport.html à côté du GeoPackage).",
)
def report(gpkg: str, out: str | None) -> None:
    """Rédige le rapport de diagnostic (rapport.html) à partir d'un GeoPackage écrit par « territoires diagnose ».

    Les paramètres, les sources et leurs sommes de contrôle sont relus dans la table run_metadata du GeoPackage.
    """
    from ..export.geopackage import read_diagnostic_geopackage
    from ..export.report import save_report_html

    layers, metadata = read_diagnostic_geopackage(gpkg)
    target = Path(out) if out else Path(gpkg).with_name("rapport.html")
    written = save_report_html(target, layers, metadata=metadata)
    click.echo(f"Rapport écrit : {written}")
