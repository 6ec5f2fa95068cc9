"""Options shared by several commands (the inputs of a diagnosis)."""

from __future__ import annotations

import click

from ..schemas import PROFESSIONS

existing_file = click.Path(exists=True, dir_okay=False, readable=True)
existing_path = click.Path(exists=True, readable=True)

communes_opt = click.option(
    "--communes",
    "communes",
    type=existing_path,
    multiple=True,
    required=True,
    help="Contours des communes (GeoJSON, GeoPackage, Shapefile, GeoParquet) ; un dossier ou l'option répétée "
    "pour plusieurs fichiers (un par département).",
)
population_opt = click.option(
    "--population",
    type=existing_file,
    help="Populations par commune (CSV INSEE, ';' ou ',') ; tranches d'âge facultatives ; colonne anciens_codes "
    "pour rattacher les communes fusionnées.",
)
practitioners_opt = click.option(
    "--practitioners",
    "--praticiens",
    "practitioners",
    type=existing_file,
    required=True,
    help="Praticiens : extraction Annuaire Santé (PS_LibreAcces) ou table générique (CSV, GeoJSON, GeoPackage).",
)
facilities_opt = click.option(
    "--facilities", "--etablissements", "facilities", type=existing_file, help="Extraction FINESS (MSP, centres…)."
)
travel_times_opt = click.option(
    "--travel-times",
    "--temps",
    "travel_times",
    type=existing_file,
    help="Matrice origine-destination (CSV ou Parquet : origin, destination, minutes), ex. distancier Metric.",
)
road_network_opt = click.option(
    "--road-network",
    "--reseau",
    "road_network",
    type=existing_file,
    help="Réseau routier (GeoPackage, Shapefile) avec vitesse ou classe de route.",
)
profession_opt = click.option(
    "--profession",
    type=click.Choice(sorted(PROFESSIONS)),
    default="medecin_generaliste",
    show_default=True,
    help="Profession dont on mesure l'accessibilité.",
)
max_age_opt = click.option(
    "--max-age",
    "--age-max",
    "max_age",
    type=click.FloatRange(min=20),
    help="Exclut de l'offre les praticiens plus âgés.",
)
out_dir_opt = click.option(
    "--out", "out", type=click.Path(file_okay=False), required=True, help="Dossier de sortie (créé au besoin)."
)
offline_opt = click.option(
    "--offline", is_flag=True, help="Carte utilisable sans réseau : bibliothèques intégrées, pas de fond de carte."
)
