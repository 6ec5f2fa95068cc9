"""``territoires fetch``: download the official files of a diagnosis into the user cache."""

from __future__ import annotations

import click

from ..io.fetch import DATASETS, cache_directory, fetch_datasets, load_catalogue, resolve_millesime, vintages
from . import Command
from .options import cache_dir_opt


def _show_catalogue() -> None:
    catalogue = load_catalogue()
    for section in ("datasets", "alternatives"):
        for name, entry in catalogue.get(section, {}).items():
            scope = "par département" if entry.get("scope") == "departement" else "national"
            tag = "" if section == "datasets" else " (alternative, non téléchargée)"
            click.echo(f"{name}{tag} : {entry.get('title', '')}")
            click.echo(
                f"  {entry.get('publisher', '')} ; {entry.get('licence', '')} ; millésime : {entry.get('vintage', '')}"
            )
            click.echo(f"  {scope}, {entry.get('format', '')}, adresse {entry.get('status', '')} : {entry['url']}")
            for year in vintages(entry)[1:]:
                older = resolve_millesime(entry, year, name=name)
                click.echo(f"  --millesime {year} : {older.get('vintage', '')}, adresse {older.get('status', '')} : "
                           f"{older['url']}")  # fmt: skip


@click.command(cls=Command)
@click.argument("datasets", nargs=-1, type=click.Choice(DATASETS))
@click.option("--departement", "departements", multiple=True, help="Département à télécharger (répétable), ex. 34.")
@click.option("--region", "regions", multiple=True, help="Région (code COG 2024, répétable), ex. 76 pour l'Occitanie.")
@cache_dir_opt
@click.option("--force", is_flag=True, help="Télécharge à nouveau les fichiers déjà en cache.")
@click.option("--no-progress", is_flag=True, help="Sans barres de progression.")
@click.option(
    "--base-url",
    envvar="TERRITOIRES_FETCH_BASE_URL",
    help="Remplace le protocole et l'hôte de chaque adresse du catalogue (miroir).",
)
@click.option(
    "--millesime",
    "millesime",
    help="Millésime des populations (ex. 2021) ; par défaut le plus récent du catalogue (voir --list).",
)
@click.option("--list", "list_only", is_flag=True, help="Affiche le catalogue des sources et s'arrête.")
def fetch(datasets, departements, regions, cache_dir, force, no_progress, base_url, millesime, list_only) -> None:
    """Télécharge les fichiers officiels d'un diagnostic (contours, populations, Annuaire Santé, FINESS).

    Sans DATASETS, télécharge tout ce dont « territoires diagnose --departement … » a besoin. Les fichiers
    sont gardés en cache ; une commande interrompue reprend là où elle s'était arrêtée.
    """
    if list_only:
        _show_catalogue()
        return
    if not departements and not regions and (not datasets or "communes" in datasets):
        raise click.UsageError("donnez --departement ou --region (ex. --departement 34 ou --region 76).")
    paths = fetch_datasets(
        list(datasets) or None,
        departement=list(departements) or None,
        region=list(regions) or None,
        cache_dir=cache_dir,
        force=force,
        progress=not no_progress,
        base_url=base_url,
        millesime=millesime,
    )
    click.echo(f"Cache : {cache_directory(cache_dir)}")
    entries = load_catalogue()["datasets"]
    for name, path in paths.items():
        click.echo(f"  {name} : {path}")
        if name in entries and vintages(entries[name]):
            chosen = resolve_millesime(entries[name], millesime, name=name)
            click.echo(f"    millésime : {chosen.get('vintage') or chosen['millesime']}")
