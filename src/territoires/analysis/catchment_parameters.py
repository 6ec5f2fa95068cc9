"""Parameters of the CPTS meshing (:func:`territoires.analysis.catchments.mesh_catchments`).

Apart from the meshing itself, which loads scipy's graph routines (``scipy.sparse.csgraph`` brings
``scipy.sparse.linalg``: 0.08 s): the options of every command hold these parameters, and ``territoires apl`` does
not mesh.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._errors import ParameterError
from .._format import fr_num
from ..settings import CPTS_MAX_POP, CPTS_MIN_POP

__all__ = ["CPTS_MEAN_POP", "CatchmentParameters"]

#: National mean population of a CPTS (February 2024, DOMAIN.md): the default target size of proposed catchments.
CPTS_MEAN_POP = 82_000


@dataclass(frozen=True)
class CatchmentParameters:
    """Parameters of :func:`mesh_catchments`.

    Attributes
    ----------
    min_population, max_population
        Bounds of a catchment's population (inhabitants); defaults 12,000 and 152,000 (Occitanie 2019).
    target_population
        Mean population proposed catchments aim at once every one is above the floor (inhabitants): the number
        of proposed catchments is the uncovered population divided by it. ``None`` stops as soon as every
        catchment is above the floor (smaller, more numerous catchments). Ignored when ``n_catchments`` or
        ``per_departement`` is given.
    n_catchments
        Target number of proposed catchments for the whole territory.
    per_departement
        Target number of proposed catchments in each département: an integer, or a ``(low, high)`` range within
        which the number follows ``target_population`` (e.g. ``(4, 5)`` as in Centre-Val de Loire). Implies
        that catchments stay inside départements.
    within
        Keep catchments inside the borders of ``"departement"``, ``"epci"`` or any column of the communes.
    gravity_max_minutes, gravity_decay_minutes
        Reach (minutes) and decay constant (minutes) of the gravity model that estimates flows when none are given.
        With 10 minutes (default) about a third of the estimated flows go to each commune's nearest commune with
        a GP (Occitanie 33 %, Centre-Val de Loire 30 %), where DREES observes a little over 60 % of GP
        consultations (Études et Résultats 817, 2012); 3 minutes reproduces it (63 %). The default stays at 10
        because the other defaults were chosen with those flows: with 3 minutes they fragment the meshing
        (Occitanie 123 territories), and no joint re-choice did better everywhere (README, « Modèle gravitaire et
        recours observés »; ``bench/bench_gravity_calibration.py``).
    pole_weight
        Weight of one MSP or centre de santé in the supply of the gravity model (in GP full-time equivalents).
    hospital_weight
        Weight of one hospital (FINESS hospital categories, ``type_structure == "hopital"``) as a care pole, in MSP
        equivalents (default 1: a hospital attracts as an MSP does; no measured figure supports another value).
    structure
        Column of the communes whose units catchments follow as soft borders (default ``"epci"``; any column, e.g.
        bassins de vie; ``None``: flows only). Communes first group inside their unit (and département), and
        cross a unit's border only where the floor or the number of catchments requires it. Ignored when the
        communes have no such column.
    structure_weight
        Multiplier (≥ 1) of the merge score of two regions in the same unit (and the same département) once borders
        are soft; 1: no preference beyond the first, inside-unit pass.
    floor_balance
        When regions under the floor cross unit borders, their merge score is divided by the union's population to
        this power: a small unit joins a small neighbour rather than the large pole.
    target_everywhere
        True: the number of catchments follows ``target_population`` over the whole territory (units are merged
        across their borders to reach it); False (default): the target size only splits units larger than it, and
        ``min_containment`` decides where units merge.
    min_containment
        Self-containment (share of the residents' care flows that stay inside, flows towards existing CPTS and
        cities above the ceiling left out) below which a proposed territory keeps merging with a neighbour, under
        the ceiling, once the floor and targets are met: territories stop growing where their care basin closes
        rather than at a national mean size. Default 0.65, near the 0.667 of the travel-to-work areas (Coombes &
        Bond 2008); ``None`` disables it. Not applied when ``target_population`` is ``None`` (floor only) or a
        number of catchments is given.
    containment_min_share
        A territory merging for its self-containment only joins a neighbour receiving at least this share of its
        residents' care flows (default 0.05): one they actually go to, not the only neighbour left under the
        ceiling (an urban coast whose flows go to a city above the ceiling would otherwise swallow its hinterland).
    containment_max_ratio
        A territory merging for its self-containment stays under this multiple of ``target_population`` (e.g. 1:
        the target size); ``None`` (default): up to the ceiling. Where flows never close (an urban coast), the
        rule otherwise merges up to the ceiling (Alpes-Maritimes: Grasse with half of Sophia Antipolis, 149,000;
        Menton with the Paillons valley, 126,000; the real CPTS there have 36,000 to 116,000 inhabitants). Not the
        default: with 1, the agreement with the real CPTS of Alpes-Maritimes rises (weighted Jaccard 0.48 → 0.55,
        ARI 0.59 → 0.68), those of Alpes-de-Haute-Provence and Hautes-Alpes do not move (so the held-out choice of
        ``bench/bench_cpts_real.py`` cannot select it), and the median self-containment falls in Occitanie (0.70 →
        0.61) and Centre-Val de Loire (0.74 → 0.68).
    shape_rounds, shape_flow_ratio, shape_max_containment_loss, shape_min_gain
        Shape post-pass (see :func:`_improve_shape`): at most ``shape_rounds`` rounds of border moves that raise
        the Polsby-Popper compactness (by more than ``shape_min_gain``), keep the bounds and contiguity, move a
        commune only to a catchment it exchanges at least ``shape_flow_ratio`` times as much care flow with as with
        the rest of its own, and are all undone if the median self-containment falls by more than
        ``shape_max_containment_loss``. ``shape_rounds=0`` disables it.
    shape_keep_structure
        Shape post-pass: never move a commune away from most of its unit (EPCI). Off by default: it blocked
        almost every move (Centre-Val de Loire: compactness 0.22 either way, against 0.32 without it).
    seed
        Seed of the tie-breaking between equally scored merges: the result is deterministic for a given seed.
    """

    min_population: float = CPTS_MIN_POP
    max_population: float = CPTS_MAX_POP
    target_population: float | None = CPTS_MEAN_POP
    n_catchments: int | None = None
    per_departement: int | tuple[int, int] | None = None
    within: str | None = None
    gravity_max_minutes: float = 30.0
    gravity_decay_minutes: float = 10.0
    pole_weight: float = 2.0
    hospital_weight: float = 1.0
    structure: str | None = "epci"
    structure_weight: float = 1.0
    floor_balance: float = 2.0
    target_everywhere: bool = False
    min_containment: float | None = 0.65
    containment_min_share: float = 0.05
    containment_max_ratio: float | None = None
    shape_rounds: int = 30
    shape_min_gain: float = 0.0
    shape_flow_ratio: float = 0.25
    shape_keep_structure: bool = False
    shape_max_containment_loss: float = 0.01
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.min_population < self.max_population:
            msg = (
                f"bornes de population incohérentes : plancher {fr_num(self.min_population)}, "
                f"plafond {fr_num(self.max_population)} (attendu 0 < plancher < plafond)."
            )
            raise ParameterError(msg)
        if self.target_population is not None and self.target_population <= 0:
            raise ParameterError(f"taille cible invalide : {self.target_population} (attendu > 0).")
        if self.n_catchments is not None and self.n_catchments < 1:
            raise ParameterError(f"nombre de territoires invalide : {self.n_catchments} (attendu ≥ 1).")
        per = self.per_departement
        if per is not None:
            low, high = (per, per) if isinstance(per, int) else per
            if not 1 <= low <= high:
                raise ParameterError(f"nombre par département invalide : {per} (attendu n ≥ 1 ou (min, max)).")
        if self.shape_rounds < 0 or self.shape_flow_ratio < 0 or self.shape_max_containment_loss < 0:
            raise ParameterError("passe de forme : nombre de tours, rapport de flux et perte d'autonomie ≥ 0 attendus.")
        if self.min_containment is not None and not 0 <= self.min_containment <= 1:
            raise ParameterError(f"autonomie minimale invalide : {self.min_containment} (attendu entre 0 et 1).")
        if not 0 <= self.containment_min_share <= 1:
            msg = f"part minimale des recours invalide : {self.containment_min_share} (attendu entre 0 et 1)."
            raise ParameterError(msg)
        if self.containment_max_ratio is not None and self.containment_max_ratio <= 0:
            msg = f"plafond de l'autonomie invalide : {self.containment_max_ratio} (attendu > 0 fois la taille cible)."
            raise ParameterError(msg)
        if self.floor_balance < 0:
            raise ParameterError(f"équilibre sous le plancher invalide : {self.floor_balance} (attendu ≥ 0).")
        if self.structure_weight < 1:
            raise ParameterError(f"poids des limites souples invalide : {self.structure_weight} (attendu ≥ 1).")
        if (
            self.gravity_max_minutes <= 0
            or self.gravity_decay_minutes <= 0
            or min(self.pole_weight, self.hospital_weight) < 0
        ):
            raise ParameterError("paramètres du modèle gravitaire invalides (temps > 0, poids des pôles ≥ 0).")
