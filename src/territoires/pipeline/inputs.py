"""What a diagnosis is run on (input files) and how (options): two frozen objects, validated when built."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from .._errors import InputError, ParameterError
from .._format import fr_num
from ..analysis.catchment_parameters import CatchmentParameters
from ..analysis.facility_parameters import FacilityAccessParameters
from ..schemas import PROFESSIONS

__all__ = ["INPUT_ROLES", "DiagnosticInputs", "DiagnosticOptions"]

#: French description of each input file, by role (the field names of :class:`DiagnosticInputs`).
INPUT_ROLES: Mapping[str, str] = {
    "communes": "contours des communes",
    "population": "populations par commune",
    "practitioners": "praticiens",
    "facilities": "structures de soins (FINESS)",
    "existing_cpts": "CPTS existantes",
    "flows": "flux de patients",
    "travel_times": "matrice des temps de trajet",
    "road_network": "réseau routier",
    "iris": "unités infra-communales (IRIS)",
    "bpe": "équipements (BPE)",
}


@dataclass(frozen=True)
class DiagnosticInputs:
    """The input files of a diagnosis; every path is checked to exist when the object is built.

    Attributes
    ----------
    communes
        Commune boundaries: one or several files or folders of files (e.g. one GeoJSON per département).
    population
        INSEE-style population table (optional: the boundaries' own ``POPULATION`` column otherwise).
    practitioners
        Annuaire Santé (RPPS) extraction or generic practitioners table (required for the APL).
    facilities
        FINESS extraction (MSP, centres de santé, CPTS, hospitals).
    existing_cpts
        Existing CPTS perimeters (commune codes per CPTS, or polygons), kept as they are.
    flows
        Commune-to-commune care flows (``origin``, ``destination``, ``flux``).
    travel_times, road_network
        An origin-destination matrix or a road network (at most one); straight-line estimates without either.
    iris
        Infra-communal units (IRIS polygons with populations) to split the communes above the CPTS ceiling.
    bpe
        INSEE BPE (the national file with coordinates): time to the nearest emergency service, maternity,
        pharmacy (and hospital, from ``facilities``), combined difficulty, CPTS ↔ hospital links.

    Raises
    ------
    InputError
        A path that does not exist, or no commune boundaries (every problem reported together).
    ParameterError
        Both ``travel_times`` and ``road_network``.

    Examples
    --------
    >>> DiagnosticInputs(communes="nulle-part.geojson")
    Traceback (most recent call last):
    ...
    territoires._errors.InputError: fichier introuvable : nulle-part.geojson (contours des communes).
    """

    communes: tuple[Path, ...]
    population: Path | None = None
    practitioners: Path | None = None
    facilities: Path | None = None
    existing_cpts: Path | None = None
    flows: Path | None = None
    travel_times: Path | None = None
    road_network: Path | None = None
    iris: Path | None = None
    bpe: Path | None = None

    def __post_init__(self) -> None:
        communes = self.communes
        if isinstance(communes, (str, Path)):
            communes = (communes,)
        object.__setattr__(self, "communes", tuple(Path(c) for c in communes or ()))
        for f in fields(self)[1:]:
            value = getattr(self, f.name)
            if value is not None:
                object.__setattr__(self, f.name, Path(value))
        problems = []
        if not self.communes:
            problems.append("aucun fichier de contours des communes donné (--communes).")
        for role, path in self.files():
            if not path.exists():
                problems.append(f"fichier introuvable : {path} ({INPUT_ROLES[role]}).")
        if problems:
            raise InputError(" ; ".join(problems) if len(problems) > 1 else problems[0])
        if self.travel_times is not None and self.road_network is not None:
            msg = (
                "--travel-times et --road-network s'excluent : choisissez une seule source de temps de trajet "
                f"({self.travel_times.name} ou {self.road_network.name})."
            )
            raise ParameterError(msg)

    def files(self) -> list[tuple[str, Path]]:
        """Return (role, path) for every file given, in the order of the fields."""
        out = [("communes", p) for p in self.communes]
        out += [(f.name, getattr(self, f.name)) for f in fields(self)[1:] if getattr(self, f.name) is not None]
        return out

    def as_dict(self) -> dict[str, Path | tuple[Path, ...] | None]:
        """Return role → path(s), None for the files not given."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def travel_time_source(self) -> str:
        """French name of the travel-time source: ``matrice``, ``réseau routier`` or ``vol d'oiseau``."""
        if self.travel_times is not None:
            return "matrice"
        return "réseau routier" if self.road_network is not None else "vol d'oiseau"


@dataclass(frozen=True)
class DiagnosticOptions:
    """How a diagnosis is run; checked when the object is built.

    Attributes
    ----------
    profession
        Profession whose accessibility is computed (a key of :data:`territoires.schemas.PROFESSIONS`).
    max_age
        Leave practitioners older than this (years) out of the supply (DREES variant "65 ans ou moins").
    thresholds
        APL thresholds of the access tiers (under-served "ZIP"-like, fragile "ZAC"-like); None: the profession's
        defaults (2.5 and 4 consultations for GPs, none for the other professions).
    departements
        Restrict the diagnosis to these départements (codes as text, ``"01"`` … ``"976"``); None: all.
    apl
        Compute the APL (needs the practitioners); without it, only catchments can be computed.
    zones
        Compute the travel-time surface and the access zones (needs the APL).
    catchments
        Compute the CPTS catchments.
    catchment_params
        Parameters of the CPTS meshing.
    resolution
        Cell size of the travel-time surface (metres).
    facility_kinds, facility_params
        With a BPE input: the kinds of facility (named sets or ``TYPEQU`` codes) and the parameters of the access
        to facilities (:class:`~territoires.analysis.facility_access.FacilityAccessParameters`).

    Examples
    --------
    >>> DiagnosticOptions(thresholds=(4.0, 2.5))
    Traceback (most recent call last):
    ...
    territoires._errors.ParameterError: seuils (4, 2,5) : le seuil « fragile » (type ZAC) doit être supérieur ou égal au seuil de sous-densité.
    """  # noqa: E501

    profession: str = "medecin_generaliste"
    max_age: float | None = None
    thresholds: tuple[float, float] | None = None
    departements: tuple[str, ...] | None = None
    apl: bool = True
    zones: bool = True
    catchments: bool = True
    catchment_params: CatchmentParameters = field(default_factory=CatchmentParameters)
    resolution: float = 500.0
    facility_kinds: tuple[str, ...] = ("urgences", "maternite", "pharmacie")
    facility_params: FacilityAccessParameters = field(default_factory=FacilityAccessParameters)

    def __post_init__(self) -> None:
        problems = []
        if self.profession not in PROFESSIONS:
            problems.append(
                f"profession inconnue : « {self.profession} » (attendu : {', '.join(sorted(PROFESSIONS))})."
            )
        if self.max_age is not None and not self.max_age > 0:
            problems.append(f"âge maximal invalide : {self.max_age} (attendu un nombre d'années > 0).")
        if self.thresholds is not None:
            low, high = (float(t) for t in self.thresholds)
            if low < 0 or high < low:
                problems.append(
                    f"seuils ({fr_num(low)}, {fr_num(high)}) : le seuil « fragile » (type ZAC) doit être supérieur "
                    "ou égal au seuil de sous-densité."
                )
            object.__setattr__(self, "thresholds", (low, high))
        if not self.resolution > 0:
            problems.append(f"résolution invalide : {self.resolution} m (attendu > 0).")
        if self.zones and not self.apl:
            problems.append("la surface des temps d'accès (zones) demande le calcul de l'APL.")
        if not self.apl and not self.catchments:
            problems.append("rien à calculer : ni APL, ni territoires de CPTS.")
        if not isinstance(self.catchment_params, CatchmentParameters):
            problems.append("catchment_params : un objet CatchmentParameters est attendu.")
        if not isinstance(self.facility_params, FacilityAccessParameters):
            problems.append("facility_params : un objet FacilityAccessParameters est attendu.")
        if isinstance(self.facility_kinds, str):
            object.__setattr__(self, "facility_kinds", (self.facility_kinds,))
        if not self.facility_kinds:
            problems.append("facility_kinds : au moins un équipement est attendu (urgences, maternite, pharmacie…).")
        if problems:
            raise ParameterError(" ; ".join(problems))
        deps = self.departements
        if deps is not None:
            if isinstance(deps, str):
                deps = (deps,)
            deps = tuple(str(d).strip().upper().zfill(2) for d in deps)
            object.__setattr__(self, "departements", deps or None)
