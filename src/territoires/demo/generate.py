"""Generate the embedded demo territory: synthetic, seeded and reproducible.

The demo territory is **synthetic**: invented communes (Voronoi polygons on a blob-shaped territory in Lambert-93,
south of the Massif central), invented names and populations, invented practitioners and facilities. It mimics the
structure of a real French territory so that every part of ``territoires`` can be tried without any download:

- about 320 communes in two départements (codes ``20`` and ``96``, which no current département uses), grouped
  into EPCI; a city above 152,000 inhabitants, a ring of suburbs, market towns above 12,000, small towns and many
  rural communes;
- population by 5-year age band (older in the countryside), so that demand is standardised as the DREES does;
- general practitioners concentrated in the city and towns, with rural gaps, plus nurses and physiotherapists;
  ages and yearly activity for each;
- MSP, centres de santé, a hospital and one existing CPTS.

The files follow the official formats that the loaders read:

==========================================  ==============================================================
``communes.gpkg``                            IGN ADMIN EXPRESS layout (layer ``commune``: ``INSEE_COM``,
                                             ``NOM``, ``POPULATION``, ``INSEE_DEP``, ``SIREN_EPCI``...)
``populations.csv``                          INSEE style: ``;``-separated, Windows-1252, age bands
``praticiens.csv``                           the generic practitioners table (``code_commune``, ``profession``,
                                             ``activite``, ``etp``, ``age``...)
``PS_LibreAcces_Personne_activite_demo.txt``  the Annuaire Santé (RPPS) extraction layout (``|``, trailing ``|``)
``finess.csv``                               the FINESS geolocated table (``;``, Latin-1, ``coordx``/``coordy``)
``cpts_existantes.csv``                      one existing CPTS: ``cpts``, ``code_commune``
``flux_patients.csv``                       synthetic care flows: ``origin``, ``destination``, ``flux``
==========================================  ==============================================================

The care flows (patients' commune → commune of the GP consulted) are not observed data either: they come from
a gravity model on the demo's populations and GP counts, described in :func:`gravity_flows`.

Run ``python -m territoires.demo.generate`` to write them again into ``src/territoires/demo/data``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..analysis.travel_times import straight_line_times
from ..settings import AGE_WEIGHTS, CRS_METROPOLE

DATA_DIR = Path(__file__).resolve().parent / "data"
SEED = 2026

#: Gravity model of the synthetic flows: share of people seeing a GP in a year, decay scale and reach (minutes).
FLOW_CONSULTING_SHARE = 0.85
FLOW_DECAY_MINUTES = 8.0
FLOW_MAX_MINUTES = 45.0

#: Centre of the synthetic territory in Lambert-93 (metres).
_CENTRE = (700_000.0, 6_330_000.0)
_RADIUS = 46_000.0
_SPACING = 4_500.0

_SYLLABLES_A = ["Mont", "Roque", "Ville", "Bel", "Font", "Cas", "Lau", "Mar", "Ser", "Val", "Pey", "Sau", "Cha", "Bor"]
_SYLLABLES_B = ["ferrand", "mejan", "neuve", "air", "vieille", "tel", "zerte", "sac", "rière", "lagne", "rac", "gues"]
_SUFFIXES = ["", "", "", "-sur-Vère", "-en-Causse", "-le-Haut", "-d'Olt", "-la-Rivière", "-de-Lot", "-les-Bains"]
_PREFIXES = ["", "", "", "", "Saint-", "Sainte-", "Le ", "La ", "Les "]

RPPS_HEADER = (
    "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|Libellé civilité "
    "d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|Libellé profession|"
    "Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|Libellé type "
    "savoir-faire|Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|Numéro SIRET site|"
    "Numéro SIREN site|Numéro FINESS site|Numéro FINESS établissement juridique|Identifiant technique de la "
    "structure|Raison sociale site|Enseigne commerciale site|Complément destinataire (coord. structure)|Complément "
    "point géographique (coord. structure)|Numéro Voie (coord. structure)|Indice répétition voie (coord. structure)|"
    "Code type de voie (coord. structure)|Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|"
    "Mention distribution (coord. structure)|Bureau cedex (coord. structure)|Code postal (coord. structure)|Code "
    "commune (coord. structure)|Libellé commune (coord. structure)|Code pays (coord. structure)|Libellé pays (coord. "
    "structure)|Téléphone (coord. structure)|Téléphone 2 (coord. structure)|Télécopie (coord. structure)|Adresse "
    "e-mail (coord. structure)|Code Département (structure)|Libellé Département (structure)|Ancien identifiant de la "
    "structure|Autorité d'enregistrement|Code secteur d'activité|Libellé secteur d'activité|Code section tableau "
    "pharmaciens|Libellé section tableau pharmaciens|"
)

FINESS_HEADER = (
    "nofinesset;nofinessej;rs;rslongue;complrs;compldistrib;numvoie;typvoie;voie;compvoie;lieuditbp;region;"
    "libregion;departement;libdepartement;cog;codepostal;libelle_routage;ligneacheminement;telephone;telecopie;"
    "categetab;libcategetab;liblongcategetab;categretab;libcategretab;siret;codeape;libcodeape;mft;libmft;liblongmft;"
    "sph;libsph;numen;coordx;coordy;sourcegeocod;dategeocod;dateautor;dateouvert;datemaj"
)

_FIRST_NAMES = ["Camille", "Louis", "Léa", "Hugo", "Chloé", "Jules", "Manon", "Paul", "Inès", "Marc", "Anne", "Éric"]
_LAST_NAMES = ["Martin", "Bernard", "Roux", "Fabre", "Vidal", "Bonnet", "Girard", "Mercier", "Blanc", "Garcia"]


def _names(rng: np.random.Generator, n: int) -> list[str]:
    names: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        name = rng.choice(_PREFIXES) + rng.choice(_SYLLABLES_A) + rng.choice(_SYLLABLES_B) + rng.choice(_SUFFIXES)
        if name not in names:
            names.add(name)
            out.append(name)
    return out


def _territory(rng: np.random.Generator) -> shapely.Polygon:
    angles = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    harmonics = sum(rng.normal(0, 0.07) * np.cos(k * angles + rng.uniform(0, 2 * np.pi)) for k in range(2, 6))
    radius = _RADIUS * (1 + harmonics)
    x = _CENTRE[0] + radius * np.cos(angles) * 1.15
    y = _CENTRE[1] + radius * np.sin(angles) * 0.9
    return shapely.Polygon(np.column_stack([x, y])).buffer(0)


def _communes(rng: np.random.Generator) -> gpd.GeoDataFrame:
    territory = _territory(rng)
    xmin, ymin, xmax, ymax = territory.bounds
    gx, gy = np.meshgrid(np.arange(xmin, xmax, _SPACING), np.arange(ymin, ymax, _SPACING))
    pts = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-0.4, 0.4, (gx.size, 2)) * _SPACING
    pts = pts[shapely.contains_xy(territory, pts[:, 0], pts[:, 1])]
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=territory.buffer(1e4)))
    cells = shapely.intersection(cells, territory)
    cells = cells[~shapely.is_empty(cells)]
    # Order communes west → east and split into two départements along a wavy line.
    centroid = shapely.centroid(cells)
    cx, cy = shapely.get_x(centroid), shapely.get_y(centroid)
    order = np.lexsort((cy, cx))
    cells, cx, cy = cells[order], cx[order], cy[order]
    border = _CENTRE[0] + 18_000 + 6_000 * np.sin((cy - _CENTRE[1]) / 9_000)
    dep = np.where(cx < border, "96", "20")
    codes = np.empty(len(cells), dtype=object)
    for d in ("96", "20"):
        idx = np.flatnonzero(dep == d)
        codes[idx] = [f"{d}{k:03d}" for k in range(1, 1 + len(idx) * 3, 3)]
    return gpd.GeoDataFrame({"INSEE_COM": codes, "INSEE_DEP": dep, "x": cx, "y": cy}, geometry=cells, crs=CRS_METROPOLE)


def _populations(rng: np.random.Generator, communes: gpd.GeoDataFrame) -> np.ndarray:
    xy = communes[["x", "y"]].to_numpy()
    n = len(communes)
    pop = np.round(rng.lognormal(np.log(420), 0.7, n))
    # The city: the commune nearest the centre, slightly west; its ring of suburbs.
    d_city = np.hypot(xy[:, 0] - (_CENTRE[0] - 8_000), xy[:, 1] - (_CENTRE[1] + 3_000))
    city = int(np.argmin(d_city))
    suburbs = np.flatnonzero((d_city < 11_000) & (np.arange(n) != city))
    pop[suburbs] = np.round(rng.uniform(4_000, 21_000, len(suburbs)))
    pop[city] = 183_412
    # Market towns and small towns, spread across the territory, away from the city.
    far = np.flatnonzero(d_city > 22_000)
    towns = rng.choice(far, 16, replace=False)
    pop[towns[:6]] = np.round(rng.uniform(12_500, 38_000, 6))
    pop[towns[6:]] = np.round(rng.uniform(2_500, 8_000, 10))
    return pop, city, towns


def _age_bands(rng: np.random.Generator, pop: np.ndarray) -> pd.DataFrame:
    bands = list(AGE_WEIGHTS)
    # Base French-like age pyramid (share per 5-year band), older in the countryside.
    base = np.array([5.0, 5.7, 6.0, 6.0, 5.6, 5.7, 6.0, 6.3, 6.2, 6.6, 6.6, 6.5, 6.2, 5.9, 5.4, 3.8, 2.7, 1.8, 1.0])
    older = np.linspace(-1, 1, len(bands))
    rural = np.clip(1.2 - np.log10(np.maximum(pop, 10)) / 4, 0, 1)[:, None]
    shares = base[None, :] * (1 + 0.45 * rural * older[None, :]) * rng.uniform(0.9, 1.1, (len(pop), len(bands)))
    shares /= shares.sum(axis=1, keepdims=True)
    counts = np.floor(shares * pop[:, None])
    # Give the rounding remainder to the largest bands so that bands add up to the population exactly.
    remainder = (pop - counts.sum(axis=1)).astype(int)
    top = np.argsort(-shares, axis=1)
    for k in range(int(remainder.max(initial=0))):
        rows = remainder > k
        counts[rows, top[rows, k % len(bands)]] += 1
    names = [f"pop_{b.replace('-', '_').replace('+', '_plus')}" for b in bands]
    return pd.DataFrame(counts.astype(int), columns=names)


def _gp_counts(rng: np.random.Generator, pop: np.ndarray, city: int, towns: np.ndarray) -> np.ndarray:
    # Towns attract GPs more than proportionally; many rural communes have none.
    expected = (pop / 1_150.0) ** 1.08
    expected[pop < 900] *= 0.35
    gps = rng.poisson(expected)
    gps[city] = int(pop[city] / 1_000)
    gps[towns[:3]] = np.maximum(gps[towns[:3]], 6)
    return gps


def generate_demo(out_dir: str | Path = DATA_DIR, *, seed: int = SEED) -> dict[str, Path]:
    """Write the demo territory's files into ``out_dir`` and return their paths by name."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    communes = _communes(rng)
    n = len(communes)
    names = _names(rng, n)
    pop, city, towns = _populations(rng, communes)
    names[city] = "Bellerive-sur-Vère"
    communes["NOM"] = names
    communes["NOM_M"] = [s.upper() for s in names]
    communes["STATUT"] = "Commune simple"
    communes.loc[city, "STATUT"] = "Préfecture"
    communes["POPULATION"] = pop.astype(int)
    communes["INSEE_REG"] = "00"
    # EPCI: communes grouped around the 16 towns and the city (nearest pole).
    poles = np.concatenate([[city], towns])
    xy = communes[["x", "y"]].to_numpy()
    nearest = np.argmin(np.hypot(xy[:, None, 0] - xy[poles, 0], xy[:, None, 1] - xy[poles, 1]), axis=1)
    communes["SIREN_EPCI"] = [f"2000000{k:02d}" for k in nearest]
    communes["ID"] = [f"COMMUNE_{k:07d}" for k in range(n)]
    paths = {}
    layer = communes[
        ["ID", "NOM", "NOM_M", "INSEE_COM", "STATUT", "POPULATION", "INSEE_DEP", "INSEE_REG", "SIREN_EPCI", "geometry"]
    ].copy()
    layer["geometry"] = shapely.set_precision(layer.geometry.to_numpy(), 1.0)
    paths["communes"] = out_dir / "communes.gpkg"
    paths["communes"].unlink(missing_ok=True)
    layer.to_file(paths["communes"], layer="commune", driver="GPKG", engine="pyogrio")

    bands = _age_bands(rng, pop)
    table = pd.concat(
        [pd.DataFrame({"CODGEO": communes["INSEE_COM"], "LIBGEO": names, "PMUN": pop.astype(int)}), bands], axis=1
    )
    paths["population"] = out_dir / "populations.csv"
    table.to_csv(paths["population"], sep=";", index=False, encoding="cp1252")

    # Practitioners: GPs with age and yearly activity; some nurses and physiotherapists.
    gps = _gp_counts(rng, pop, city, towns)
    rows = []
    k = 0
    for profession, counts in (
        ("medecin_generaliste", gps),
        ("infirmier", rng.poisson((pop / 800.0) ** 1.02)),
        ("masseur_kinesitherapeute", rng.poisson((pop / 1_300.0) ** 1.05)),
    ):
        where = np.repeat(np.arange(n), counts)
        m = len(where)
        age = np.clip(np.round(rng.normal(51, 11, m)), 28, 74)
        if profession == "medecin_generaliste":
            age[where != city] = np.clip(age[where != city] + 4, 28, 74)  # rural GPs are older
            activity = np.round(rng.gamma(9, 520, m))
            etp = np.round(np.clip(activity / 5_400, 0.2, 1.3), 2)
        else:
            activity = np.full(m, np.nan)
            etp = np.round(rng.uniform(0.5, 1.0, m), 2)
        for j in range(m):
            k += 1
            rows.append(
                {
                    "id": f"DEMO{k:06d}",
                    "nom": f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
                    "profession": profession,
                    "code_commune": communes["INSEE_COM"].iat[where[j]],
                    "mode_exercice": "liberal" if rng.uniform() < 0.85 else "salarie",
                    "activite": activity[j],
                    "etp": etp[j],
                    "age": int(age[j]),
                    "nombre": 1,
                }
            )
    praticiens = pd.DataFrame(rows)
    paths["practitioners"] = out_dir / "praticiens.csv"
    praticiens.to_csv(paths["practitioners"], sep=";", index=False, encoding="utf-8")
    _write_rpps(out_dir, praticiens, communes, rng, paths)
    _write_finess(out_dir, communes, pop, city, towns, rng, paths)
    # One existing CPTS: the market town farthest east and the communes within 14 km of it.
    east = towns[np.argmax(xy[towns, 0])]
    d = np.hypot(xy[:, 0] - xy[east, 0], xy[:, 1] - xy[east, 1])
    members = communes.loc[d < 14_000, "INSEE_COM"]
    paths["existing_cpts"] = out_dir / "cpts_existantes.csv"
    pd.DataFrame({"cpts": f"CPTS du Pays de {names[east]}", "code_commune": members}).to_csv(
        paths["existing_cpts"], index=False
    )
    # Flows use their own generator so that adding them left every other file unchanged.
    flows = gravity_flows(
        communes.rename(columns={"INSEE_COM": "code_commune"}), pop, gps, rng=np.random.default_rng([seed, 7])
    )
    paths["flows"] = out_dir / "flux_patients.csv"
    flows.to_csv(paths["flows"], index=False)
    return paths


def gravity_flows(
    communes: gpd.GeoDataFrame,
    population: np.ndarray,
    gps: np.ndarray,
    *,
    rng: np.random.Generator,
    consulting_share: float = FLOW_CONSULTING_SHARE,
    decay_minutes: float = FLOW_DECAY_MINUTES,
    max_minutes: float = FLOW_MAX_MINUTES,
) -> pd.DataFrame:
    """Synthetic yearly GP patient flows between communes from a production-constrained gravity model.

    The patients of commune ``i`` (``consulting_share`` of its population: about 85 % of people see a GP in a
    year) are shared between the communes ``j`` with GPs within ``max_minutes`` in proportion to
    ``gps_j * exp(-t_ij / decay_minutes)`` (Huff model), where ``t_ij`` is the straight-line travel time of
    :func:`~territoires.analysis.travel_times.straight_line_times` (0 within a commune). Each expected flow is then
    drawn from a Poisson law (seeded ``rng``) and zero flows are dropped. Synthetic: it only mimics the shape of
    health-insurance consumption flows (most patients stay in their commune or go to the nearest town).

    Parameters
    ----------
    communes
        Communes with ``code_commune`` in a metric CRS.
    population
        Inhabitants per commune, in the order of ``communes``.
    gps
        General practitioners per commune (head count), in the order of ``communes``.
    rng
        Random generator (seeded for reproducibility).
    consulting_share
        Share of the population consulting a GP in a year.
    decay_minutes
        Scale of the exponential distance decay (minutes).
    max_minutes
        Farthest destination considered (minutes).

    Returns
    -------
    pandas.DataFrame
        Columns ``origin``, ``destination`` (commune codes), ``flux`` (patients a year, integer), sorted.
    """
    times = straight_line_times(communes, max_minutes=max_minutes)
    index = pd.Index(communes["code_commune"])
    i = index.get_indexer(times["origin"])
    j = index.get_indexer(times["destination"])
    attraction = np.asarray(gps, dtype=float)[j] * np.exp(-times["minutes"].to_numpy() / decay_minutes)
    total = np.bincount(i, weights=attraction, minlength=len(index))
    patients = consulting_share * np.asarray(population, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(total[i] > 0, patients[i] * attraction / total[i], 0.0)
    flux = rng.poisson(expected)
    out = pd.DataFrame({"origin": times["origin"].to_numpy(), "destination": times["destination"].to_numpy()})
    out["flux"] = flux
    out = out.loc[out["flux"] > 0].sort_values(["origin", "destination"], kind="stable")
    return out.reset_index(drop=True)


def _write_rpps(out_dir, praticiens, communes, rng, paths) -> None:
    """Write the GPs and nurses of the demo in the Annuaire Santé extraction layout, with a few unusable rows."""
    names = dict(zip(communes["INSEE_COM"], communes["NOM"], strict=True))
    cols = RPPS_HEADER.rstrip("|").split("|")
    prof = {
        "medecin_generaliste": ("10", "Médecin", "S", "Spécialité ordinale", "SM54", "Médecine Générale"),
        "infirmier": ("60", "Infirmier", "", "", "", ""),
        "masseur_kinesitherapeute": ("70", "Masseur-Kinésithérapeute", "", "", "", ""),
    }
    lines = [RPPS_HEADER]
    sample = praticiens.groupby("profession", group_keys=False).head(60)
    for i, row in enumerate(sample.itertuples(index=False)):
        code, lib, tsf, ltsf, sf, lsf = prof[row.profession]
        first, last = row.nom.split(" ", 1)
        rec = dict.fromkeys(cols, "")
        rec.update(
            {
                "Type d'identifiant PP": "8",
                "Identifiant PP": f"1000{i:07d}",
                "Identification nationale PP": f"81000{i:07d}",
                "Nom d'exercice": last.upper(),
                "Prénom d'exercice": first,
                "Code profession": code,
                "Libellé profession": lib,
                "Code catégorie professionnelle": "C",
                "Libellé catégorie professionnelle": "Civil",
                "Code type savoir-faire": tsf,
                "Libellé type savoir-faire": ltsf,
                "Code savoir-faire": sf,
                "Libellé savoir-faire": lsf,
                "Code mode exercice": "L" if row.mode_exercice == "liberal" else "S",
                "Libellé mode exercice": "Libéral" if row.mode_exercice == "liberal" else "Salarié",
                "Code postal (coord. structure)": row.code_commune,
                "Code commune (coord. structure)": row.code_commune,
                "Libellé commune (coord. structure)": names[row.code_commune].upper(),
                "Code pays (coord. structure)": "99000",
                "Libellé pays (coord. structure)": "France",
                "Code Département (structure)": row.code_commune[:2],
            }
        )
        lines.append("|".join(rec[c] for c in cols) + "|")
    # Real extractions hold rows without a commune and foreign addresses: the loader must report them.
    blank = dict.fromkeys(cols, "")
    blank.update(
        {
            "Type d'identifiant PP": "8",
            "Identifiant PP": "19999999901",
            "Code profession": "10",
            "Libellé profession": "Médecin",
            "Code savoir-faire": "SM54",
            "Libellé savoir-faire": "Médecine Générale",
            "Code mode exercice": "L",
        }
    )
    lines.append("|".join(blank[c] for c in cols) + "|")
    foreign = dict(
        blank,
        **{
            "Identifiant PP": "19999999902",
            "Code postal (coord. structure)": "1000",
            "Libellé commune (coord. structure)": "BRUXELLES",
            "Code pays (coord. structure)": "99131",
            "Libellé pays (coord. structure)": "Belgique",
        },
    )
    lines.append("|".join(foreign[c] for c in cols) + "|")
    paths["rpps"] = out_dir / "PS_LibreAcces_Personne_activite_demo.txt"
    paths["rpps"].write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_finess(out_dir, communes, pop, city, towns, rng, paths) -> None:
    """Write MSP, centres de santé, a CPTS and a hospital in the FINESS geolocated-table layout (Latin-1)."""
    cols = FINESS_HEADER.split(";")
    cats = {
        "603": ("Maison de santé (L.6223-3)", "Maison de Santé Pluriprofessionnelle"),
        "124": ("Centre de Santé", "Centre de Santé"),
        "604": ("CPTS", "Communauté Professionnelle Territoriale de Santé"),
        "355": ("C.H.", "Centre Hospitalier (C.H.)"),
    }
    sites = [(city, "355", "CENTRE HOSPITALIER DE BELLERIVE"), (city, "124", "CENTRE DE SANTE MUNICIPAL")]
    sites += [(t, "603", "MAISON DE SANTE PLURIPROFESSIONNELLE") for t in towns[:9]]
    sites += [(t, "124", "CENTRE DE SANTE REGIONAL") for t in towns[9:11]]
    east = towns[np.argmax(communes["x"].to_numpy()[towns])]
    sites.append((east, "604", "CPTS DU PAYS"))
    rows = []
    for i, (c, cat, rs) in enumerate(sites):
        point = communes.geometry.iat[c].representative_point()
        code = communes["INSEE_COM"].iat[c]
        lib, liblong = cats[cat]
        rec = dict.fromkeys(cols, "")
        rec.update(
            {
                "nofinesset": f"{code[:2]}0{i:06d}",
                "nofinessej": f"{code[:2]}1{i:06d}",
                "rs": f"{rs} {communes['NOM'].iat[c].upper()}",
                "departement": code[:2],
                "cog": code,
                "codepostal": code,
                "ligneacheminement": f"{code} {communes['NOM'].iat[c].upper()}",
                "categetab": cat,
                "libcategetab": lib,
                "liblongcategetab": liblong,
                "coordx": f"{point.x:.1f}",
                "coordy": f"{point.y:.1f}",
                "sourcegeocod": "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93",
                "dategeocod": "2026-01-05",
                "dateouvert": "2019-09-01",
                "datemaj": "2026-01-05",
            }
        )
        rows.append(rec)
    paths["facilities"] = out_dir / "finess.csv"
    with open(paths["facilities"], "w", encoding="latin-1", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols, delimiter=";")
        writer.writeheader()
        writer.writerows(rows)


def demo_paths() -> dict[str, Path]:
    """Return the paths of the packaged demo files by name (``communes``, ``population``, ``practitioners``...)."""
    return {
        "communes": DATA_DIR / "communes.gpkg",
        "population": DATA_DIR / "populations.csv",
        "practitioners": DATA_DIR / "praticiens.csv",
        "rpps": DATA_DIR / "PS_LibreAcces_Personne_activite_demo.txt",
        "facilities": DATA_DIR / "finess.csv",
        "existing_cpts": DATA_DIR / "cpts_existantes.csv",
        "flows": DATA_DIR / "flux_patients.csv",
    }


if __name__ == "__main__":
    for name, path in generate_demo().items():
        print(f"{name}: {path} ({path.stat().st_size / 1024:.0f} kB)")
