"""``territoires map``: rebuild the HTML map from an existing diagnostic GeoPackage."""

from __future__ import annotations

from pathlib import Path

import click

from . import options


@click.command(name="map")
@click.argument("geopackage", type=options.existing_file)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    default="carte.html",
    show_default=True,
    help="Fichier HTML à écrire.",
)
@click.option(
    "--title",
    "--titre",
    "title",
    default="Accessibilité aux médecins généralistes",
    show_default=True,
    help="Titre affiché en haut de la carte.",
)
@options.tiles_opt
def map_command(geopackage: str, out: str, title: str, tiles: bool) -> None:
    """Carte interactive (carte.html) à partir d'un diagnostic.gpkg (et de temps_acces.tif s'il est à côté)."""
    from ..export.folium_map import save_map_html_from_geopackage

    written = save_map_html_from_geopackage(Path(geopackage), Path(out), title=title, tiles=tiles)
    size = written.stat().st_size / 1e6
    background = "fond OpenStreetMap en ligne" if tiles else "autonome, sans réseau"
    click.echo(f"Carte écrite : {written} ({size:.1f} Mo, {background})")
