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


def tiles_opt(func):
    """``--fond-de-carte/--tiles``: add the OpenStreetMap background (the map is self-contained either way).

    ``--offline`` / ``--hors-ligne`` are still accepted and change nothing: every map works without network.
    """
    func = click.option("--offline", "--hors-ligne", is_flag=True, hidden=True, expose_value=False)(func)
    return click.option(
        "--fond-de-carte",
        "--tiles",
        "tiles",
        is_flag=True,
        help="Ajoute le fond OpenStreetMap, chargé depuis Internet à l'ouverture (la carte fonctionne sans : "
        "bibliothèques intégrées, fond des communes).",
    )(func)


def _split_range(value: str | None) -> int | tuple[int, int] | None:
    if value is None:
        return None
    text = value.replace("à", "-").replace(" ", "")
    try:
        parts = [int(p) for p in text.split("-")]
    except ValueError:
        raise click.BadParameter(f"attendu un nombre (« 4 ») ou un intervalle (« 4-5 »), reçu « {value} ».") from None
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2 and parts[0] <= parts[1]:
        return (parts[0], parts[1])
    raise click.BadParameter(f"attendu un nombre (« 4 ») ou un intervalle croissant (« 4-5 »), reçu « {value} ».")


def catchment_options(func):
    """Options of the CPTS meshing (bounds, targets, borders, seed), shared by ``cpts`` and ``diagnose``."""
    decorators = [
        click.option(
            "--min-pop",
            "--pop-min",
            "min_pop",
            type=click.FloatRange(min=1),
            default=12_000,
            show_default=True,
            help="Population minimale d'un territoire de CPTS.",
        ),
        click.option(
            "--max-pop",
            "--pop-max",
            "max_pop",
            type=click.FloatRange(min=1),
            default=152_000,
            show_default=True,
            help="Population maximale d'un territoire de CPTS.",
        ),
        click.option(
            "--taille-cible",
            "--target-pop",
            "target_pop",
            type=click.FloatRange(min=0),
            default=82_000,
            show_default=True,
            help="Population moyenne visée des territoires proposés (moyenne nationale des CPTS en 2024) ; 0 : "
            "s'arrêter dès que tous dépassent le plancher.",
        ),
        click.option(
            "--nombre",
            "--n-catchments",
            "n_catchments",
            type=click.IntRange(min=1),
            help="Nombre de territoires à proposer (au total).",
        ),
        click.option(
            "--par-departement",
            "--per-departement",
            "per_departement",
            help="Nombre de territoires par département : « 4 » ou « 4-5 » (implique --limites departement).",
        ),
        click.option(
            "--limites",
            "--within",
            "within",
            help="Garder les territoires à l'intérieur des départements (« departement »), des EPCI (« epci ») "
            "ou de toute colonne des communes.",
        ),
        click.option(
            "--graine",
            "--seed",
            "seed",
            type=int,
            default=0,
            show_default=True,
            help="Graine du départage des égalités (résultat identique pour une même graine).",
        ),
    ]
    return _gathered(func, decorators, "catchment_params", catchment_params_from)


def _gathered(func, decorators, name: str, build):
    """Apply click options to ``func`` and hand it one keyword ``name`` built from their values by ``build``."""
    import functools
    import inspect

    names = list(inspect.signature(build).parameters)

    @functools.wraps(func)
    def wrapper(**kwargs):
        kwargs[name] = build(**{n: kwargs.pop(n) for n in names})
        return func(**kwargs)

    for decorate in reversed(decorators):
        wrapper = decorate(wrapper)
    return wrapper


def catchment_params_from(min_pop, max_pop, target_pop, n_catchments, per_departement, within, seed):
    """Build :class:`CatchmentParameters` from the values of :func:`catchment_options`."""
    from ..analysis.catchments import CatchmentParameters

    return CatchmentParameters(
        min_population=min_pop,
        max_population=max_pop,
        target_population=target_pop or None,
        n_catchments=n_catchments,
        per_departement=_split_range(per_departement),
        within=within,
        seed=seed,
    )


iris_opt = click.option(
    "--iris",
    "iris",
    type=existing_file,
    help="Unités infra-communales (IRIS : contours avec population, ex. CONTOURS-IRIS + population INSEE) pour "
    "découper les communes au-dessus du plafond.",
)


def thresholds_options(func):
    """``--seuil`` and ``--seuil-zac``, handed to the command as one ``thresholds`` pair (or None: defaults)."""
    decorators = [
        click.option(
            "--seuil",
            "--threshold",
            "threshold",
            type=click.FloatRange(min=0),
            help="Seuil de sous-densité (type ZIP) : APL en dessous (2,5 par défaut pour les généralistes ; pour "
            "les autres professions, aucun niveau sans seuil).",
        ),
        click.option(
            "--seuil-zac",
            "--zac-threshold",
            "zac_threshold",
            type=click.FloatRange(min=0),
            help="Seuil du niveau « fragile » (type ZAC) : APL en dessous (4 par défaut pour les généralistes).",
        ),
    ]
    return _gathered(func, decorators, "thresholds", thresholds_from)


def thresholds_from(threshold: float | None, zac_threshold: float | None) -> tuple[float, float] | None:
    """Return the (threshold, zac_threshold) pair given on the command line, or None for the defaults."""
    if threshold is None and zac_threshold is None:
        return None
    if threshold is None:
        raise click.UsageError("--seuil-zac demande aussi --seuil.")
    zac = zac_threshold if zac_threshold is not None else threshold
    if zac < threshold:
        raise click.UsageError(f"--seuil-zac ({zac}) doit être supérieur ou égal à --seuil ({threshold}).")
    return (threshold, zac)
