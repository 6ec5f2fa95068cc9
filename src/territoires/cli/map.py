"""``territoires map``: rebuild the HTML map from an existing diagnostic GeoPackage."""

from __future__ import annotations

from pathlib import Path

import click

from .._format import fr_dec
from . import Command, say
from .options import existing_file, out_dir_opt, tiles_opt


@click.command(cls=Command, name="map")
@click.argument("geopackage", type=existing_file)
@out_dir_opt(default="", help="Dossier où écrire carte.html (par défaut : celui du GeoPackage).")
@click.option(
    "--title",
    "--titre",
    "title",
    default="Accessibilité aux médecins généralistes",
    show_default=True,
    help="Titre affiché en haut de la carte.",
)
@tiles_opt
def map_command(geopackage: str, out: str, title: str, tiles: bool) -> None:
    """Carte interactive (carte.html) à partir d'un diagnostic.gpkg (et de temps_acces.tif s'il est à côté)."""
    from ..export.folium_map import save_map_html_from_geopackage

    folder = Path(out) if out else Path(geopackage).parent
    folder.mkdir(parents=True, exist_ok=True)
    written = save_map_html_from_geopackage(Path(geopackage), folder / "carte.html", title=title, tiles=tiles)
    size = written.stat().st_size / 1e6
    background = "fond OpenStreetMap en ligne" if tiles else "autonome, sans réseau"
    say(f"Carte écrite : {written} ({fr_dec(size, 1)} Mo, {background})")
