"""The options shared by the commands, in one place: the input files, the territory, the run settings, the output.

:func:`diagnosis_options` declares the options of the input files a command reads (the roles of
:class:`territoires.pipeline.DiagnosticInputs`), of the territory (``--departement``, ``--region``) and of the run
settings, and hands the command two built, validated objects: ``inputs`` (:class:`DiagnosticInputs`) and
``options`` (:class:`DiagnosticOptions`). The library is imported when a command runs, not for ``--help``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import click

from .._format import fr_int, fr_list
from ..analysis.catchment_parameters import CatchmentParameters
from ..io.fetch import cached_communes, cached_inputs, departements_of
from ..settings import PROFESSIONS
from . import info, say

existing_file = click.Path(exists=True, dir_okay=False, readable=True)
existing_path = click.Path(exists=True, readable=True)

#: Every input file option: role (field of DiagnosticInputs) → (option names, click settings). The one list.
INPUTS: dict[str, tuple[tuple[str, ...], dict]] = {
    "communes": (
        ("--communes",),
        {
            "type": existing_path,
            "multiple": True,
            "help": "Contours des communes (GeoJSON, GeoPackage, Shapefile, GeoParquet) ; un dossier ou l'option "
            "répétée pour plusieurs fichiers (un par département). Sans --communes, les données téléchargées par "
            "« territoires fetch » pour --departement / --region sont utilisées.",
        },
    ),
    "population": (
        ("--population",),
        {
            "type": existing_file,
            "help": "Populations par commune (CSV INSEE, ';' ou ',') ; tranches d'âge facultatives ; colonne "
            "anciens_codes pour rattacher les communes fusionnées.",
        },
    ),
    "practitioners": (
        ("--practitioners", "--praticiens"),
        {
            "type": existing_file,
            "help": "Praticiens : extraction Annuaire Santé (PS_LibreAcces) ou table générique (CSV, GeoJSON, "
            "GeoPackage).",
        },
    ),
    "facilities": (
        ("--facilities", "--etablissements"),
        {"type": existing_file, "help": "Extraction FINESS (MSP, centres de santé, CPTS, hôpitaux)."},
    ),
    "existing_cpts": (
        ("--existing-cpts", "--cpts-existantes"),
        {
            "type": existing_file,
            "help": "CPTS existantes, gardées telles quelles : CSV (cpts, code_commune) ou polygones.",
        },
    ),
    "flows": (
        ("--flows", "--flux"),
        {
            "type": existing_file,
            "help": "Flux de patients commune → commune du praticien (CSV ou Parquet : origin, destination, flux) ; "
            "estimés par un modèle gravitaire sinon.",
        },
    ),
    "travel_times": (
        ("--travel-times", "--temps"),
        {
            "type": existing_file,
            "help": "Matrice origine-destination (CSV ou Parquet : origin, destination, minutes), ex. distancier "
            "Metric ; temps à vol d'oiseau sinon.",
        },
    ),
    "road_network": (
        ("--road-network", "--reseau"),
        {
            "type": existing_file,
            "help": "Réseau routier (GeoPackage, Shapefile, GeoParquet ; IGN ou OpenStreetMap) avec vitesse "
            "(vitesse, maxspeed) ou classe de route (highway, VOCATION, NATURE).",
        },
    ),
    "bpe": (
        ("--bpe",),
        {
            "type": existing_file,
            "help": "Base permanente des équipements (INSEE, fichier national avec coordonnées, ';') : temps jusqu'aux "
            "urgences, maternités, pharmacies (et hôpitaux avec --facilities), difficultés cumulées, CPTS et hôpitaux.",
        },
    ),
    "iris": (
        ("--iris",),
        {
            "type": existing_file,
            "help": "Unités infra-communales (IRIS : contours avec population) pour découper les communes "
            "au-dessus du plafond des CPTS.",
        },
    ),
}

cache_dir_opt = click.option(
    "--cache-dir",
    "cache_dir",
    type=click.Path(file_okay=False),
    help="Dossier du cache (par défaut : variable TERRITOIRES_CACHE, sinon le cache utilisateur).",
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


def out_dir_opt(default: str | None = None, help: str = "Dossier de sortie (créé au besoin)."):  # noqa: A002
    """``--out`` / ``-o``: always the folder the command writes into (required when no default is given)."""
    settings = {"required": True} if default is None else {"default": default, "show_default": bool(default)}
    return click.option("-o", "--out", "--sortie", "out", type=click.Path(file_okay=False), help=help, **settings)


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


#: Settings of a run: name → click option; each command picks those it offers (see :func:`diagnosis_options`).
SETTINGS: dict[str, Callable] = {
    "profession": click.option(
        "--profession",
        type=click.Choice(sorted(PROFESSIONS)),
        default="medecin_generaliste",
        show_default=True,
        help="Profession dont on mesure l'accessibilité.",
    ),
    "max_age": click.option(
        "--max-age",
        "--age-max",
        "max_age",
        type=click.FloatRange(min=20),
        help="Exclut de l'offre les praticiens plus âgés (ans).",
    ),  # fmt: skip
    "threshold": click.option(
        "--seuil",
        "--threshold",
        "threshold",
        type=click.FloatRange(min=0),
        help="Seuil de sous-densité (type ZIP) : APL en dessous (2,5 par défaut pour les généralistes ; pour les "
        "autres professions, aucun niveau sans seuil).",
    ),
    "zac_threshold": click.option(
        "--seuil-zac",
        "--zac-threshold",
        "zac_threshold",
        type=click.FloatRange(min=0),
        help="Seuil du niveau « fragile » (type ZAC) : APL en dessous (4 par défaut pour les généralistes).",
    ),
    "min_pop": click.option(
        "--min-pop",
        "--pop-min",
        "min_pop",
        type=click.FloatRange(min=1),
        default=12_000,
        show_default=True,
        help="Population minimale d'un territoire de CPTS.",
    ),  # fmt: skip
    "max_pop": click.option(
        "--max-pop",
        "--pop-max",
        "max_pop",
        type=click.FloatRange(min=1),
        default=152_000,
        show_default=True,
        help="Population maximale d'un territoire de CPTS.",
    ),  # fmt: skip
    "target_pop": click.option(
        "--taille-cible",
        "--target-pop",
        "target_pop",
        type=click.FloatRange(min=0),
        default=82_000,
        show_default=True,
        help="Taille visée : un EPCI plus peuplé est découpé (moyenne nationale des CPTS en 2024) ; au-delà, les "
        "territoires grandissent tant que moins de 65 % des recours de leurs habitants restent à l'intérieur ; 0 : "
        "s'arrêter dès que tous dépassent le plancher.",
    ),
    "target_everywhere": click.option(
        "--cible-partout",
        "--target-everywhere",
        "target_everywhere",
        is_flag=True,
        default=False,
        help="La taille visée fixe le nombre de territoires sur toute la zone (population non couverte / taille "
        "visée), en réunissant des EPCI par-delà leurs limites ; sans : elle ne découpe que les EPCI plus peuplés "
        "qu'elle.",
    ),
    "floor_balance": click.option(
        "--equilibre-plancher",
        "--floor-balance",
        "floor_balance",
        type=click.FloatRange(min=0),
        default=CatchmentParameters.floor_balance,
        show_default=True,
        help="Sous le plancher, préférer s'unir à un petit voisin plutôt qu'au grand pôle : le score d'une union est "
        "divisé par sa population à cette puissance (0 : pas de préférence).",
    ),
    "n_catchments": click.option(
        "--nombre",
        "--n-catchments",
        "n_catchments",
        type=click.IntRange(min=1),
        help="Nombre de territoires à proposer (au total).",
    ),  # fmt: skip
    "per_departement": click.option(
        "--par-departement",
        "--per-departement",
        "per_departement",
        help="Nombre de territoires par département : « 4 » ou « 4-5 » (implique --limites departement).",
    ),
    "within": click.option(
        "--limites",
        "--within",
        "within",
        help="Garder les territoires à l'intérieur des départements (« departement »), des EPCI (« epci ») ou de "
        "toute colonne des communes.",
    ),
    "soft_borders": click.option(
        "--limites-souples/--sans-limites-souples",
        "--soft-borders/--no-soft-borders",
        "soft_borders",
        default=True,
        show_default=True,
        help="Suivre les EPCI comme limites souples (regrouper dans l'EPCI d'abord, ne franchir sa limite que pour "
        "le plancher ou le nombre visé) ; sans : les seuls flux de recours.",
    ),
    "containment_min": click.option(
        "--autonomie-min",
        "--min-containment",
        "containment_min",
        type=click.FloatRange(min=0, max=1),
        default=CatchmentParameters.min_containment,
        show_default=True,
        help="Un territoire dont moins de cette part des recours de ses habitants reste à l'intérieur continue de "
        "s'unir à un voisin, sous le plafond (0,65 : règle des bassins d'emploi ; 0 : s'arrêter au plancher et à la "
        "taille cible).",
    ),
    "containment_cap": click.option(
        "--autonomie-max-cible",
        "--containment-max-ratio",
        "containment_cap",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        help="Les territoires qui fusionnent pour leur autonomie restent sous ce multiple de la taille cible "
        "(ex. 1 : 82 000 habitants) ; sans : jusqu'au plafond. Plus proche des CPTS réelles d'un littoral urbain "
        "(Alpes-Maritimes), moins autonomes ailleurs (voir le README).",
    ),
    "gravity_decay": click.option(
        "--decroissance-minutes",
        "--gravity-decay-minutes",
        "gravity_decay",
        type=click.FloatRange(min=0, min_open=True),
        default=CatchmentParameters.gravity_decay_minutes,
        show_default=True,
        help="Constante de décroissance (minutes) du modèle gravitaire qui estime les recours quand aucun flux "
        "n'est donné : chaque commune attire en proportion de son offre × exp(−minutes / constante). 3 : un peu "
        "plus de 60 % des recours vont à la commune équipée la plus proche, comme l'observe la DREES ; 10 : des "
        "recours plus dispersés (voir le README).",
    ),
    "shape": click.option(
        "--forme/--sans-forme",
        "--shape/--no-shape",
        "shape",
        default=True,
        show_default=True,
        help="Passe de forme : déplacer des communes en bordure pour des territoires plus ramassés (dans les "
        "bornes, d'un seul tenant, sans perte d'autonomie de plus d'un point).",
    ),
    "seed": click.option(
        "--graine",
        "--seed",
        "seed",
        type=int,
        default=0,
        show_default=True,
        help="Graine du départage des égalités (résultat identique pour une même graine).",
    ),  # fmt: skip
    "no_cpts": click.option(
        "--no-cpts", "--sans-cpts", "no_cpts", is_flag=True, help="Ne calcule pas les territoires de CPTS."
    ),  # fmt: skip
    "no_zones": click.option(
        "--no-zones", "--sans-zones", "no_zones", is_flag=True, help="Ne calcule pas la surface des temps d'accès."
    ),  # fmt: skip
    "resolution": click.option(
        "--resolution",
        type=click.FloatRange(min=50),
        default=500.0,
        show_default=True,
        help="Taille des cellules de la surface des temps d'accès (mètres).",
    ),
}
SETTINGS.update(
    {
        "kinds": click.option(
            "--equipement",
            "--equipment",
            "kinds",
            multiple=True,
            help="Équipement de destination, avec --bpe (répétable) : un ensemble nommé (urgences, maternite, "
            "pharmacie, centre_sante, msp, medecin_generaliste ; hopital vient de --facilities) ou un code TYPEQU "
            "de la BPE (D106). Par défaut : urgences, maternite, pharmacie.",
        ),
        "reach": click.option(
            "--portee",
            "--reach",
            "reach",
            type=click.FloatRange(min=1),
            default=90.0,
            show_default=True,
            help="Portée de la recherche de l'équipement le plus proche (minutes) ; au-delà : « hors de portée ».",
        ),
        "emergency_minutes": click.option(
            "--seuil-urgences",
            "emergency_minutes",
            type=click.FloatRange(min=0, min_open=True),
            default=30.0,
            show_default=True,
            help="Difficulté « urgences loin » au-delà de ce temps (minutes ; DREES 2017 : 30).",
        ),
        "pharmacy_minutes": click.option(
            "--seuil-pharmacie",
            "pharmacy_minutes",
            type=click.FloatRange(min=0, min_open=True),
            default=10.0,
            show_default=True,
            help="Difficulté « pharmacie loin » au-delà de ce temps (minutes ; DREES 2017 : 10).",
        ),
        "catchment_minutes": click.option(
            "--seuil-cpts",
            "catchment_minutes",
            type=click.FloatRange(min=0, min_open=True),
            default=30.0,
            show_default=True,
            help="Hôpitaux et urgences « à portée » d'un territoire de CPTS en deçà de ce temps (minutes).",
        ),
    }
)
#: Groups of settings, as commands offer them.
FACILITY_SETTINGS = ("kinds", "reach", "emergency_minutes", "pharmacy_minutes", "catchment_minutes")
APL_SETTINGS = ("profession", "max_age", "threshold", "zac_threshold")
CATCHMENT_SETTINGS = (
    "min_pop",
    "max_pop",
    "target_pop",
    "target_everywhere",
    "floor_balance",
    "n_catchments",
    "per_departement",
    "within",
    "soft_borders",
    "containment_min",
    "containment_cap",
    "gravity_decay",
    "shape",
    "seed",
)
_TERRITORY = ("departements", "regions", "cache_dir")


def _option_name(role: str) -> str:
    return INPUTS[role][0][0]


def diagnosis_options(
    roles: Sequence[str],
    *,
    required: Sequence[str] = (),
    settings: Sequence[str] = (),
    apl: bool = True,
    zones: bool = False,
    catchments: bool = False,
):
    """Declare the input, territory and settings options of a command; hand it ``inputs`` and ``options``.

    Parameters
    ----------
    roles
        Input files the command reads (keys of :data:`INPUTS`).
    required
        Roles that must be given (``communes`` may come from the cache of ``territoires fetch`` instead).
    settings
        Run settings the command offers (keys of :data:`SETTINGS`); the others keep their defaults.
    apl, zones, catchments
        What the command computes (``--no-cpts`` and ``--no-zones`` switch the last two off).
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(**kwargs):
            from ..pipeline.inputs import DiagnosticInputs, DiagnosticOptions

            paths = {role: kwargs.pop(role) for role in roles}
            legacy = kwargs.pop("existing_legacy", None)
            if legacy and not paths.get("existing_cpts"):
                paths["existing_cpts"] = legacy
            territory = {name: kwargs.pop(name) for name in _TERRITORY}
            values = {name: kwargs.pop(name) for name in settings}
            deps = departements_of(list(territory["departements"]) or None, list(territory["regions"]) or None)
            if not paths.get("communes"):
                if not deps:
                    raise click.UsageError(
                        "donnez les fichiers (--communes, --practitioners…) ou un territoire déjà téléchargé "
                        "(--departement 34 ou --region 76, après « territoires fetch »)."
                    )
                cached = cached_inputs(departement=deps, cache_dir=territory["cache_dir"])
                # The other départements downloaded carry the supply and demand within reach of the border (APL).
                asked = set(cached["communes"])
                neighbours = [p for p in cached_communes(cache_dir=territory["cache_dir"]) if p not in asked]
                cached["communes"] = [*cached["communes"], *neighbours]
                more = f" (et {fr_int(len(neighbours))} autre(s) fichier(s) de communes pour l'APL en bordure)"
                info(f"Données du cache : départements {fr_list(deps, limit=None)}{more if neighbours else ''}.")
                for role, value in cached.items():
                    if role in paths and not paths[role]:
                        paths[role] = value
            missing = [_option_name(r) for r in required if r != "communes" and not paths.get(r)]
            if missing:
                raise click.UsageError(f"option(s) obligatoire(s) manquante(s) : {', '.join(missing)}.")
            kwargs["inputs"] = DiagnosticInputs(**{k: v for k, v in paths.items() if v})
            kwargs["options"] = DiagnosticOptions(
                apl=apl,
                zones=zones and not values.get("no_zones", False),
                catchments=catchments and not values.get("no_cpts", False),
                departements=tuple(deps) or None,
                **_settings_values(values),
            )
            return func(**kwargs)

        wrapped = wrapper
        for name in reversed(list(settings)):
            wrapped = SETTINGS[name](wrapped)
        wrapped = cache_dir_opt(wrapped)
        wrapped = click.option(
            "--region",
            "regions",
            multiple=True,
            metavar="CODE",
            help="Limite aux départements de cette région (code COG, répétable), ex. 76.",
        )(wrapped)
        wrapped = click.option(
            "--departement",
            "departements",
            multiple=True,
            metavar="CODE",
            help="Limite à ce département (répétable), ex. 34.",
        )(wrapped)
        if "existing_cpts" in roles:
            wrapped = click.option("--existing", "existing_legacy", type=existing_file, hidden=True)(wrapped)
        for role in reversed(list(roles)):
            names, settings_ = INPUTS[role]
            wrapped = click.option(*names, role, **settings_)(wrapped)
        return wrapped

    return decorate


def facility_values(values: dict) -> dict:
    """Turn the values of :data:`FACILITY_SETTINGS` into ``facility_kinds`` and ``facility_params``."""
    from ..analysis.combined import DifficultyThresholds
    from ..analysis.facility_parameters import FacilityAccessParameters

    thresholds = DifficultyThresholds(
        minutes=(("urgences", values["emergency_minutes"]), ("pharmacie", values["pharmacy_minutes"]))
    )
    try:
        params = FacilityAccessParameters(
            max_minutes=values["reach"], thresholds=thresholds, catchment_minutes=values["catchment_minutes"]
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--portee") from None
    out = {"facility_params": params}
    if values["kinds"]:
        out["facility_kinds"] = tuple(values["kinds"])
    return out


def _settings_values(values: dict) -> dict:
    """Turn the raw option values into :class:`DiagnosticOptions` keywords."""
    out = {k: values[k] for k in ("profession", "max_age", "resolution") if values.get(k) is not None}
    threshold, zac = values.get("threshold"), values.get("zac_threshold")
    if threshold is not None or zac is not None:
        if threshold is None:
            raise click.UsageError("--seuil-zac demande aussi --seuil.")
        zac = zac if zac is not None else threshold
        if zac < threshold:
            raise click.UsageError(f"--seuil-zac ({zac:g}) doit être supérieur ou égal à --seuil ({threshold:g}).")
        out["thresholds"] = (threshold, zac)
    if any(k in values for k in FACILITY_SETTINGS):
        out.update(facility_values(values))
    if any(k in values for k in CATCHMENT_SETTINGS):
        out["catchment_params"] = CatchmentParameters(
            min_population=values["min_pop"],
            max_population=values["max_pop"],
            target_population=values["target_pop"] or None,
            n_catchments=values["n_catchments"],
            per_departement=_split_range(values["per_departement"]),
            within=values["within"],
            seed=values["seed"],
            **({} if values.get("soft_borders", True) else {"structure": None}),
            **({} if values.get("shape", True) else {"shape_rounds": 0}),
            min_containment=values.get("containment_min", CatchmentParameters.min_containment) or None,
            containment_max_ratio=values.get("containment_cap"),
            gravity_decay_minutes=values.get("gravity_decay", CatchmentParameters.gravity_decay_minutes),
            target_everywhere=values.get("target_everywhere", CatchmentParameters.target_everywhere),
            floor_balance=values.get("floor_balance", CatchmentParameters.floor_balance),
        )
    return out


def output_set(out: str | Path, names, inputs, *, key: str, resolution: float | None = None):
    """Return the :class:`~territoires.export.output_set.OutputSet` of a command: checked and locked on entry.

    Entered before the computation, so that a folder that cannot take the outputs (read-only, full, name too long,
    another run writing) stops the command at once; the files are written into the set's staging folder.
    ``inputs``: a :class:`~territoires.pipeline.DiagnosticInputs` or a mapping role → path(s) (``communes`` and
    ``iris`` count as geometries). ``resolution`` (metres): the travel-time raster is written too, its size is
    added to the estimate.
    """
    from ..export.output_set import OutputSet, estimate_output_bytes, estimate_raster_bytes

    paths = dict(inputs) if isinstance(inputs, Mapping) else inputs.as_dict()
    communes = paths.pop("communes", None)
    geometries = [communes, paths.pop("iris", None)]
    needed = estimate_output_bytes(geometries, others=paths.values())
    if resolution and communes:
        geometry_files = [communes] if isinstance(communes, (str, Path)) else communes
        needed += estimate_raster_bytes(geometry_files, resolution=resolution)
    return OutputSet(out, names, needed_bytes=needed, key=key)


def written_files(paths: dict[str, Path], outputs=None) -> None:
    """Print the files a command wrote; with ``outputs`` (its OutputSet), the final paths of staged files."""
    final = [outputs.path(Path(p).name) if outputs is not None else p for p in paths.values()]
    say("Fichiers écrits :\n" + "\n".join(f"  {path}" for path in final))
