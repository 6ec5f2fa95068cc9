"""Parameters of the access to facilities (:func:`territoires.analysis.facility_access.facility_access`).

Apart from the computation, which loads scipy's graph routines (``scipy.sparse.csgraph`` brings
``scipy.sparse.linalg``: 0.08 s): the options of every command hold these parameters, and ``territoires apl`` does
not use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._errors import ParameterError
from .combined import DifficultyThresholds

__all__ = ["NEAREST_MAX_MINUTES", "FacilityAccessParameters"]

#: Default reach (minutes) of the search for the nearest facility.
NEAREST_MAX_MINUTES = 90.0


@dataclass(frozen=True)
class FacilityAccessParameters:
    """Parameters of the access to facilities.

    Attributes
    ----------
    max_minutes
        Reach of the nearest-facility search (minutes, 90 by default); farther is "beyond reach" (NaN).
    thresholds
        Thresholds of the combined indicator (:class:`~territoires.analysis.combined.DifficultyThresholds`).
    catchment_minutes
        "Within reach" for the CPTS ↔ hospital links (minutes, 30 by default).
    catchment_kinds
        Kinds of facility summarised per catchment.
    """

    max_minutes: float = NEAREST_MAX_MINUTES
    thresholds: DifficultyThresholds = field(default_factory=DifficultyThresholds)
    catchment_minutes: float = 30.0
    catchment_kinds: tuple[str, ...] = ("hopital", "urgences")

    def __post_init__(self) -> None:
        longest = max([m for _, m in self.thresholds.minutes] + [self.catchment_minutes])
        if self.max_minutes < longest:
            msg = (
                f"portée de recherche ({self.max_minutes:g} min) inférieure à un seuil ({longest:g} min) : "
                "augmentez la portée (--portee) ou baissez le seuil."
            )
            raise ParameterError(msg)

    def describe(self) -> dict:
        """Return the parameters as a plain mapping (run metadata)."""
        return {
            "portee_minutes": self.max_minutes,
            **self.thresholds.describe(),
            "cpts_minutes": self.catchment_minutes,
            "cpts_equipements": list(self.catchment_kinds),
        }
