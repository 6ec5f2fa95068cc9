"""Documented defaults: coordinate systems, DREES APL parameters, thresholds, CPTS bounds.

Every figure comes from ``DOMAIN.md`` (DREES publications, INSEE, the CPTS agreements). They are defaults that a
user can override through function parameters or CLI options, never hard-coded truths.
"""

from __future__ import annotations

from types import MappingProxyType

#: Metric CRS for metropolitan France (Lambert-93).
CRS_METROPOLE = "EPSG:2154"
#: Geographic CRS used by web maps.
CRS_WEB = "EPSG:4326"
#: Local metric CRS for the overseas départements, keyed by the 3-character département code.
CRS_OVERSEAS = MappingProxyType(
    {
        "971": "EPSG:5490",  # Guadeloupe, UTM 20N (RGAF09)
        "972": "EPSG:5490",  # Martinique, UTM 20N (RGAF09)
        "973": "EPSG:2972",  # Guyane, UTM 22N (RGFG95)
        "974": "EPSG:2975",  # La Réunion, UTM 40S (RGR92)
        "976": "EPSG:4471",  # Mayotte, UTM 38S (RGM04)
    }
)

#: DREES distance decay of the APL: (upper bound in minutes, weight), applied as ``time < bound``.
APL_STEPS = ((10.0, 1.0), (15.0, 2.0 / 3.0), (20.0, 1.0 / 3.0))
#: Beyond this time (minutes) a practitioner is out of reach in the APL.
APL_MAX_MINUTES = 20.0

#: Yearly activity counted for one GP full-time equivalent when activity is unknown (consultations/year).
CONSULTATIONS_PER_FTE = 5400.0
#: Yearly activity imputed to a GP new to practice.
NEW_GP_ACTIVITY = 5400.0
#: DREES activity caps for GPs: below ``floor`` → 0, up to ``low`` → ``low``, above ``high`` → ``high``.
ACTIVITY_FLOOR = 250.0
ACTIVITY_LOW = 3600.0
ACTIVITY_HIGH = 6000.0

#: DREES consumption weights by 5-year age band (APL 2022), used to standardise demand.
AGE_WEIGHTS = MappingProxyType(
    {
        "0-4": 0.93,
        "5-9": 0.59,
        "10-14": 0.55,
        "15-19": 0.59,
        "20-24": 0.73,
        "25-29": 0.78,
        "30-34": 0.84,
        "35-39": 0.88,
        "40-44": 0.90,
        "45-49": 0.97,
        "50-54": 1.06,
        "55-59": 1.14,
        "60-64": 1.16,
        "65-69": 1.19,
        "70-74": 1.52,
        "75-79": 1.53,
        "80-84": 1.72,
        "85-89": 1.99,
        "90+": 2.39,
    }
)

#: APL "sous-densité" threshold for GPs (consultations/year/inhabitant), ARS zonage.
APL_THRESHOLD = 2.5
#: Upper bound of the ZAC-like tier used by default (consultations/year/inhabitant); documented default.
APL_ZAC_THRESHOLD = 4.0

#: Straight-line travel-time defaults: detour factor applied to the crow-fly distance and mean road speed.
DETOUR_FACTOR = 1.3
ROAD_SPEED_KMH = 60.0

#: CPTS population bounds (Occitanie 2019).
CPTS_MIN_POP = 12_000
CPTS_MAX_POP = 152_000
#: CPTS size classes of the national agreement (upper bounds, inhabitants; "to confirm" in DOMAIN.md).
CPTS_SIZE_CLASSES = ((40_000, 1), (80_000, 2), (175_000, 3), (float("inf"), 4))

#: Professions whose accessibility can be computed: key → French label.
PROFESSIONS = MappingProxyType(
    {
        "medecin_generaliste": "Médecin généraliste",
        "infirmier": "Infirmier",
        "masseur_kinesitherapeute": "Masseur-kinésithérapeute",
        "sage_femme": "Sage-femme",
        "chirurgien_dentiste": "Chirurgien-dentiste",
        "pharmacien": "Pharmacien",
        "medecin_specialiste": "Médecin spécialiste",
        "autre": "Autre profession",
    }
)
