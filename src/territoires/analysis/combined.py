"""The combined difficulty indicator: where low GP access, a far emergency service and a far pharmacy add up.

Per commune, each difficulty is a yes/no: APL below its threshold (2.5 consultations/year/inhabitant, the ZIP
cut-off), the nearest emergency service more than 30 minutes away, the nearest pharmacy more than 10 minutes away
(the DREES 2017 thresholds: 6 % of the population beyond 30 minutes of an emergency service, 2.5 % beyond
10 minutes of a pharmacy, 0.5 % cumulating these with low GP access). A time beyond the search reach (NaN) counts
as beyond the threshold. People are counted on the plain population, as the DREES does for counts of people.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._errors import ParameterError, warn
from ..settings import APL_THRESHOLD

__all__ = ["CombinedDifficulties", "DifficultyThresholds", "combined_difficulties", "DIFFICULTY_LABELS"]

#: French labels of the difficulties (tables, legends).
DIFFICULTY_LABELS = {
    "apl": "APL faible",
    "urgences": "urgences loin",
    "pharmacie": "pharmacie loin",
    "maternite": "maternité loin",
    "hopital": "hôpital loin",
}


@dataclass(frozen=True)
class DifficultyThresholds:
    """Thresholds of the combined indicator.

    Attributes
    ----------
    apl
        APL below this is a difficulty (consultations/year/inhabitant); ``None`` leaves the APL out.
    minutes
        (kind, minutes) pairs: the nearest facility of that kind farther than this is a difficulty. Kinds are those
        of the ``minutes_<kind>`` columns (:func:`territoires.analysis.nearest.nearest_facility`).
    """

    apl: float | None = APL_THRESHOLD
    minutes: tuple[tuple[str, float], ...] = (("urgences", 30.0), ("pharmacie", 10.0))

    def __post_init__(self) -> None:
        bad = [f"{k} : {v}" for k, v in self.minutes if not v > 0]
        if bad or (self.apl is not None and self.apl < 0):
            raise ParameterError(f"seuils de difficulté invalides ({', '.join(bad) or self.apl}) : > 0 attendu.")

    def describe(self) -> dict[str, float]:
        """Return the thresholds as a plain mapping (metadata)."""
        out = {"apl": self.apl} if self.apl is not None else {}
        return {**out, **{f"minutes_{k}": v for k, v in self.minutes}}


@dataclass(frozen=True)
class CombinedDifficulties:
    """Result of :func:`combined_difficulties`.

    Attributes
    ----------
    communes
        Copy of the communes with ``difficulte_<d>`` (bool) per difficulty, ``nb_difficultes`` (int) and
        ``difficultes`` (French label of the combination, ``aucune`` when none).
    combinations
        One row per combination of the difficulties assessed (all of them, even empty, fewest first):
        ``combinaison``, ``nb_difficultes``, ``communes``, ``population``, ``part`` (of the population).
    by_difficulty
        One row per difficulty: ``difficulte``, ``libelle``, ``seuil``, ``communes``, ``population``, ``part``.
    assessed
        The difficulties assessed (those whose column was present).
    """

    communes: pd.DataFrame
    combinations: pd.DataFrame
    by_difficulty: pd.DataFrame
    assessed: tuple[str, ...] = field(default_factory=tuple)


def _label(names) -> str:
    return " + ".join(DIFFICULTY_LABELS.get(n, n) for n in names) if names else "aucune"


def combined_difficulties(
    communes: pd.DataFrame, *, thresholds: DifficultyThresholds | None = None
) -> CombinedDifficulties:
    """Flag each commune's difficulties and count the population in each and in their combinations.

    Parameters
    ----------
    communes
        Communes with ``population`` and any of ``apl`` and ``minutes_<kind>``. A difficulty whose column is
        absent is not assessed (warned about).
    thresholds
        :class:`DifficultyThresholds` (APL < 2.5, urgences > 30 min, pharmacie > 10 min by default).

    Examples
    --------
    >>> frame = pd.DataFrame({"population": [100.0, 200.0], "apl": [2.0, 3.0], "minutes_urgences": [40.0, 5.0],
    ...                       "minutes_pharmacie": [5.0, np.nan]})
    >>> result = combined_difficulties(frame)
    >>> result.communes["difficultes"].tolist()
    ['APL faible + urgences loin', 'pharmacie loin']
    """
    thresholds = thresholds or DifficultyThresholds()
    if "population" not in communes.columns:
        raise ParameterError("`communes` doit avoir une colonne 'population'.")
    out = communes.copy()
    flags: dict[str, np.ndarray] = {}
    seuils: dict[str, float] = {}
    missing = []
    if thresholds.apl is not None:
        if "apl" in out.columns:
            flags["apl"] = out["apl"].to_numpy(dtype=float) < thresholds.apl
            seuils["apl"] = thresholds.apl
        else:
            missing.append("apl")
    for kind, limit in thresholds.minutes:
        column = f"minutes_{kind}"
        if column in out.columns:
            minutes = out[column].to_numpy(dtype=float)
            flags[kind] = np.isnan(minutes) | (minutes > limit)
            seuils[kind] = limit
        else:
            missing.append(column)
    if missing:
        warn(f"indicateur combiné : colonne(s) {', '.join(missing)} absente(s), difficulté(s) non évaluée(s).")
    names = tuple(flags)
    for name, flag in flags.items():
        out[f"difficulte_{name}"] = flag
    matrix = np.column_stack([flags[n] for n in names]) if names else np.zeros((len(out), 0), dtype=bool)
    out["nb_difficultes"] = matrix.sum(axis=1).astype("int64")
    code = matrix @ (1 << np.arange(len(names))) if names else np.zeros(len(out), dtype=np.int64)
    combos = sorted(
        (c for k in range(len(names) + 1) for c in itertools.combinations(range(len(names)), k)),
        key=lambda c: (len(c), c),
    )
    labels = {sum(1 << i for i in c): _label([names[i] for i in c]) for c in combos}
    out["difficultes"] = pd.Series(code, index=out.index).map(labels).astype(object)
    pop = out["population"].to_numpy(dtype=float)
    total = float(pop.sum())
    share = (lambda x: x / total) if total else (lambda x: float("nan"))
    rows = []
    for c in combos:
        key = sum(1 << i for i in c)
        hit = code == key
        rows.append(
            {
                "combinaison": labels[key],
                "nb_difficultes": len(c),
                "communes": int(hit.sum()),
                "population": float(pop[hit].sum()),
                "part": share(float(pop[hit].sum())),
            }
        )
    by = [
        {
            "difficulte": n,
            "libelle": DIFFICULTY_LABELS.get(n, n),
            "seuil": seuils[n],
            "communes": int(flags[n].sum()),
            "population": float(pop[flags[n]].sum()),
            "part": share(float(pop[flags[n]].sum())),
        }
        for n in names
    ]
    by_difficulty = pd.DataFrame(by, columns=["difficulte", "libelle", "seuil", "communes", "population", "part"])
    return CombinedDifficulties(
        communes=out, combinations=pd.DataFrame(rows), by_difficulty=by_difficulty, assessed=names
    )
