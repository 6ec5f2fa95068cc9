"""A catalogue of hostile inputs run through the command line (issue 10): it grows with every bug found.

Each case breaks one input of the demo territory and asserts, through ``territoires apl`` (or ``diagnose``):
- refusals: exit code 2, one line of error naming the file and what was found, no traceback, no output written;
- repairs: exit code 0, the repair told (``Attention : ...``), and the figures that must not change: the
  population of the territory (740,903 inhabitants in the demo) and the number of GPs (708).
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from conftest import SHARED_DATA, requires_shared

from territoires.cli import cli
from territoires.demo.generate import demo_paths

DEMO = demo_paths()
#: Figures of the demo territory that a repaired input must give back unchanged.
POPULATION = 740_903
GPS = 708


@pytest.fixture(scope="module")
def demo_communes() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO["communes"])


@pytest.fixture(scope="module")
def demo_population() -> pd.DataFrame:
    return pd.read_csv(DEMO["population"], sep=";", dtype=str, encoding="cp1252")


@pytest.fixture(scope="module")
def demo_gps() -> pd.DataFrame:
    table = pd.read_csv(DEMO["practitioners"], sep=";", dtype=str)
    return table[table["profession"] == "medecin_generaliste"].reset_index(drop=True)


@dataclass(frozen=True)
class Case:
    """A broken input: how to build it from the demo, and what the command must answer."""

    name: str
    build: Callable[..., dict[str, Path]]  # (tmp_path, communes, population, gps) → the inputs replaced
    exit_code: int
    message: str  # regular expression searched in the output
    population: float | None = POPULATION
    gps: float | None = GPS


def _lonlat(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return communes.to_crs("EPSG:4326")


def swapped_lonlat(tmp, communes, population, gps):
    wgs = _lonlat(communes)
    wgs = wgs.set_geometry(wgs.geometry.map(lambda g: shapely.transform(g, lambda xy: xy[:, ::-1])))
    wgs.to_file(tmp / "communes.geojson")
    return {"communes": tmp / "communes.geojson"}


def points_only(tmp, communes, population, gps):
    communes.set_geometry(communes.representative_point()).to_file(tmp / "communes.gpkg")
    return {"communes": tmp / "communes.gpkg"}


def points_mixed(tmp, communes, population, gps):
    mixed = communes.copy()
    mixed.loc[[0, 10, 20], "geometry"] = mixed.loc[[0, 10, 20]].representative_point()
    mixed.to_file(tmp / "communes.gpkg")
    return {"communes": tmp / "communes.gpkg"}


def lines_mixed(tmp, communes, population, gps):
    mixed = communes.copy()
    mixed.loc[[5], "geometry"] = mixed.loc[[5]].boundary
    mixed.to_file(tmp / "communes.gpkg")
    return {"communes": tmp / "communes.gpkg"}


def degrees_declared_as_metres(tmp, communes, population, gps):
    _lonlat(communes).set_crs("EPSG:2154", allow_override=True).to_file(tmp / "communes.gpkg")
    return {"communes": tmp / "communes.gpkg"}


def metres_without_crs(tmp, communes, population, gps):
    communes.set_crs(None, allow_override=True).to_file(tmp / "communes.shp")
    return {"communes": tmp / "communes.shp"}


def web_mercator_without_crs(tmp, communes, population, gps):
    communes.to_crs("EPSG:3857").set_crs(None, allow_override=True).to_file(tmp / "communes.shp")
    return {"communes": tmp / "communes.shp"}


def geoparquet_custom_index(tmp, communes, population, gps):
    communes.set_index(communes.index + 1000).to_parquet(tmp / "communes.parquet")
    return {"communes": tmp / "communes.parquet"}


def geoparquet_code_as_index(tmp, communes, population, gps):
    communes.set_index("INSEE_COM").to_parquet(tmp / "communes.parquet")
    return {"communes": tmp / "communes.parquet"}


def empty_contours(tmp, communes, population, gps):
    (tmp / "communes.geojson").write_bytes(b"")
    return {"communes": tmp / "communes.geojson"}


def _write_population(tmp, population, column=None, values=None, **kwargs):
    table = population.copy()
    if column is not None:
        table[column] = values
    path = tmp / "populations.csv"
    table.to_csv(path, sep=";", index=False, encoding=kwargs.get("encoding", "utf-8"))
    return {"population": path}


def _thousands(sep):
    def build(tmp, communes, population, gps):
        values = population["PMUN"].astype(int).map(lambda v: f"{v:,}".replace(",", sep))
        return _write_population(tmp, population, "PMUN", values)

    return build


def population_decimal(tmp, communes, population, gps):
    return _write_population(tmp, population, "PMUN", population["PMUN"].where(population.index != 3, "12.5"))


def population_ambiguous(tmp, communes, population, gps):
    small = population.copy()
    small["PMUN"] = [f"{1 + i % 9}.000" for i in range(len(small))]
    return _write_population(tmp, small)


def population_utf16(tmp, communes, population, gps):
    return _write_population(tmp, population, encoding="utf-16")


def population_missing_column(tmp, communes, population, gps):
    path = tmp / "populations.csv"
    population[["CODGEO", "LIBGEO"]].to_csv(path, sep=";", index=False)
    return {"population": path}


def population_empty(tmp, communes, population, gps):
    (tmp / "populations.csv").write_bytes(b"")
    return {"population": tmp / "populations.csv"}


def population_wrong_separator(tmp, communes, population, gps):
    path = tmp / "populations.csv"
    population[["CODGEO", "PMUN"]].to_csv(path, sep=":", index=False)
    return {"population": path}


def population_duplicate_code(tmp, communes, population, gps):
    return _write_population(tmp, pd.concat([population, population.iloc[[7]]]))


def population_negative(tmp, communes, population, gps):
    return _write_population(tmp, population, "PMUN", population["PMUN"].where(population.index != 2, "-5"))


def contours_duplicate_code(tmp, communes, population, gps):
    dup = communes.copy()
    dup.loc[1, "INSEE_COM"] = dup.loc[0, "INSEE_COM"]
    dup.to_file(tmp / "communes.gpkg")
    return {"communes": tmp / "communes.gpkg"}


def gps_one_column_no_identifier(tmp, communes, population, gps):
    # One row per practitioner, nothing but the commune: 708 rows, many identical, all practitioners.
    path = tmp / "praticiens.csv"
    gps[["code_commune"]].to_csv(path, index=False)
    return {"practitioners": path}


def gps_identical_rows_with_etp(tmp, communes, population, gps):
    path = tmp / "praticiens.csv"
    gps.assign(etp="1")[["code_commune", "etp"]].to_csv(path, index=False)
    return {"practitioners": path}


def gps_unknown_codes(tmp, communes, population, gps):
    path = tmp / "praticiens.csv"
    extra = pd.DataFrame({"code_commune": ["99999", "99999"], "profession": "medecin_generaliste"})
    pd.concat([gps[["code_commune", "profession"]], extra]).to_csv(path, sep=";", index=False)
    return {"practitioners": path}


def gps_thousands_activity(tmp, communes, population, gps):
    path = tmp / "praticiens.csv"
    activity = gps["activite"].astype(float).astype(int).map(lambda v: f"{v:,}")
    gps.assign(activite=activity).to_csv(path, sep=";", index=False)
    return {"practitioners": path}


def gps_empty(tmp, communes, population, gps):
    (tmp / "praticiens.csv").write_text("code_commune;etp\n", encoding="utf-8")
    return {"practitioners": tmp / "praticiens.csv"}


def gps_no_location(tmp, communes, population, gps):
    path = tmp / "praticiens.csv"
    gps[["nom", "etp"]].to_csv(path, sep=";", index=False)
    return {"practitioners": path}


def gps_bad_code(tmp, communes, population, gps):
    path = tmp / "praticiens.csv"
    gps.assign(code_commune=gps["code_commune"].where(gps.index != 4, "ABCDE")).to_csv(path, sep=";", index=False)
    return {"practitioners": path}


CASES = [
    # Contours
    Case("lon/lat inversées", swapped_lonlat, 2, r"communes\.geojson: longitude et latitude inversées \(347"),
    Case("contours en points", points_only, 2, r"communes\.gpkg: aucun polygone parmi les géométries \(347 Point\)"),
    Case("points parmi les polygones", points_mixed, 2, r"3 géométrie\(s\) non polygonale\(s\) parmi 347 \(3 Point"),
    Case("lignes parmi les polygones", lines_mixed, 2, r"1 géométrie\(s\) non polygonale\(s\) parmi 347"),
    Case("degrés déclarés en Lambert-93", degrees_declared_as_metres, 2, r"347 commune\(s\) sur 347 hors de l'étendue"),
    Case("mètres sans SCR hors Lambert-93", web_mercator_without_crs, 2, r"ne sont pas du Lambert-93"),
    Case("contours vides", empty_contours, 2, r"communes\.geojson: fichier vide"),
    Case("mètres sans SCR (Lambert-93 déduit)", metres_without_crs, 0, r"Lambert-93 \(EPSG:2154\), retenu"),
    Case("GeoParquet à index décalé", geoparquet_custom_index, 0, r"Population : 740"),
    Case("GeoParquet indexé par code", geoparquet_code_as_index, 0, r"Population : 740"),
    # Populations
    Case("milliers ','", _thousands(","), 0, r"'PMUN' : \d+ valeur\(s\) écrite\(s\) avec ',' comme séparateur"),
    Case("milliers '.'", _thousands("."), 0, r"avec '\.' comme séparateur de milliers"),
    Case("milliers espace fine", _thousands("\u202f"), 0, r"Population : 740"),
    Case("milliers espace insécable", _thousands("\xa0"), 0, r"Population : 740"),
    Case("population décimale", population_decimal, 2, r"'PMUN' : 1 valeur\(s\) non entière\(s\) \(ligne 5 : '12.5'\)"),
    Case("population ambiguë", population_ambiguous, 2, r"séparateur '\.' ambigu"),
    Case("population UTF-16", population_utf16, 0, r"Population : 740"),
    Case("population sans colonne", population_missing_column, 2, r"colonne 'population' manquante"),
    Case("population vide", population_empty, 2, r"populations\.csv: fichier vide"),
    Case("population mauvais séparateur", population_wrong_separator, 2, r"une seule colonne lue"),
    Case("population code en double", population_duplicate_code, 2, r"1 code\(s\) commune en double"),
    Case("population négative", population_negative, 2, r"ligne 4 : population négative"),
    Case("contours code en double", contours_duplicate_code, 2, r"1 code\(s\) commune en double"),
    # Practitioners
    Case("une colonne code_commune", gps_one_column_no_identifier, 0, r"Praticiens retenus : 708"),
    Case("lignes identiques sans identifiant", gps_identical_rows_with_etp, 0, r"Praticiens retenus : 708"),
    Case("codes 99999", gps_unknown_codes, 0, r"2 ligne\(s\) au code commune inconnu"),
    Case("activité en milliers", gps_thousands_activity, 0, r"'activite' : \d+ valeur\(s\) écrite\(s\) avec ','"),
    Case("praticiens vides", gps_empty, 2, r"praticiens\.csv: aucune ligne de praticien"),
    Case("praticiens sans localisation", gps_no_location, 2, r"ni colonne de code commune"),
    Case("code commune invalide", gps_bad_code, 2, r"1 code\(s\) commune invalide\(s\) \(ligne 6 : 'ABCDE'\)"),
]  # fmt: skip


def _run(tmp_path, inputs, *, command="apl"):
    out = tmp_path / "out"
    args = [
        command,
        "--communes", str(inputs.get("communes", DEMO["communes"])),
        "--population", str(inputs.get("population", DEMO["population"])),
        "--practitioners", str(inputs.get("practitioners", DEMO["practitioners"])),
        "--out", str(out),
    ]  # fmt: skip
    return CliRunner().invoke(cli, args), out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(tmp_path, case, demo_communes, demo_population, demo_gps):
    inputs = case.build(tmp_path, demo_communes, demo_population, demo_gps)
    result, out = _run(tmp_path, inputs)
    assert result.exit_code == case.exit_code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert pd.Series([result.output]).str.contains(case.message, regex=True).iat[0], result.output
    if case.exit_code == 2:
        errors = [line for line in result.output.splitlines() if line.startswith("Erreur")]
        assert len(errors) == 1, result.output
        assert not out.exists() or not any(out.iterdir())
        return
    table = pd.read_csv(out / "apl.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype={"code_commune": str})
    assert len(table) == 347
    assert table["population"].sum() == case.population
    assert table["praticiens"].sum() == case.gps


def test_unknown_codes_are_listed_with_their_lines(tmp_path, demo_communes, demo_population, demo_gps):
    inputs = gps_unknown_codes(tmp_path, demo_communes, demo_population, demo_gps)
    result, _ = _run(tmp_path, inputs)
    assert result.exit_code == 0, result.output
    # 708 GPs + 2 rows: lines 710 and 711 of the file (header = line 1).
    assert "ligne 710 : 99999, ligne 711 : 99999" in result.output
    assert "code commune inconnu (99999) : 2" in result.output


def test_refused_diagnose_leaves_no_output(tmp_path, demo_communes, demo_population, demo_gps):
    inputs = points_mixed(tmp_path, demo_communes, demo_population, demo_gps)
    result, out = _run(tmp_path, inputs, command="diagnose")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


# --------------------------------------------------------------------------------------------------------------
# Real files (../shared/data): the figures of the closing note


POPULATION_TABLE = SHARED_DATA / "population" / "communes_cog2026_france.csv"
SIRENE = SHARED_DATA / "offre_soins" / "sirene2019_etablissements_sante_par_commune.csv"


def lozere_gps_one_row_each(path: Path) -> int:
    """Write the SIRENE proxy's GPs of Lozère as one row per practitioner, no identifier; return their number."""
    s = pd.read_csv(SIRENE, sep=";", dtype={"codecommuneetablissement": str})
    s = s[s["codecommuneetablissement"].str.startswith("48") & (s["generaliste"] > 0)]
    codes = s["codecommuneetablissement"].repeat(s["generaliste"].astype(int))
    pd.DataFrame({"code_commune": codes, "etp": "1"}).to_csv(path, index=False)
    return len(codes)


@requires_shared
@pytest.mark.shared
def test_lozere_gps_without_identifier_are_all_kept(tmp_path):
    from territoires.io.practitioners import practitioners_from_table

    n = lozere_gps_one_row_each(tmp_path / "mg48.csv")
    assert n == 94
    table = practitioners_from_table(tmp_path / "mg48.csv")
    assert len(table) == 94 and table["nombre"].sum() == 94  # 32 before (62 identical rows merged)


@requires_shared
@pytest.mark.shared
def test_lozere_population_with_thousands_separators(tmp_path):
    from territoires.io.populations import populations_from_csv

    table = pd.read_csv(POPULATION_TABLE, dtype=str)
    lozere = table[(table["type"] == "commune-actuelle") & (table["departement"] == "48")]
    written = lozere.assign(population=lozere["population"].astype(int).map(lambda v: f"{v:,}"))
    written.to_csv(tmp_path / "pop48.csv", index=False)
    with pytest.warns(Warning, match="séparateur de milliers"):
        pops = populations_from_csv(tmp_path / "pop48.csv")
    assert pops["population"].sum() == 76_486  # 36,612 before (12,345 read as 12.345)


@requires_shared
@pytest.mark.shared
def test_real_names_of_today_in_occitanie():
    from territoires.pipeline.diagnostic import load_territory

    files = [SHARED_DATA / "communes" / f for f in ("communes-31-haute-garonne.geojson", "communes-32-gers.geojson")]
    with pytest.warns(Warning):
        territory = load_territory(files, population=POPULATION_TABLE)
    names = territory.communes.set_index("code_commune")["nom"]
    assert names["32160"] == "L'Isle-Jourdain"  # « Isle-Jourdain » in the 2018 contours
    assert names["31561"] == "L'Union"  # « Union »


def test_practitioners_outside_the_territory_are_counted_and_named(tmp_path, demo_gps):
    path = tmp_path / "praticiens.csv"
    elsewhere = ["31555"] * 3 + ["34172"] * 2 + ["09122", "11069", "12202", "30189", "32013"]
    extra = pd.DataFrame({"code_commune": elsewhere, "profession": "medecin_generaliste"})
    pd.concat([demo_gps[["code_commune", "profession"]], extra]).to_csv(path, sep=";", index=False)
    result, out = _run(tmp_path, {"practitioners": path})
    assert result.exit_code == 0, result.output
    assert "Praticiens retenus : 708" in result.output
    assert "hors territoire : 10 (communes 31555, 34172, 09122, 11069, 12202… (7 au total))" in result.output


# --------------------------------------------------------------------------------------------------------------
# The decision and facility commands' own inputs (scenario, siting, facility-access): refused with one line,
# exit 2, the previous outputs in --out byte-identical; a full disk while writing leaves them byte-identical too.

#: A BPE for the demo territory: the demo hospital (96436) with emergency and maternity, one pharmacy.
BPE = """AN;NOMRS;DEPCOM;TYPEQU;LAMBERT_X;LAMBERT_Y;QUALITE_XY;EPSG
2023;CH BELLERIVE;96436;D106;691987.0;6331860.9;Bonne;2154
2023;CH BELLERIVE;96436;D107;691987.0;6331860.9;Bonne;2154
2023;PHARMACIE A;96001;D307;648418.0;6342058.0;Bonne;2154
"""
GP = "medecin_generaliste"
#: The files of each command's set, the --out folder holds a previous run's (placeholder bytes) before each case.
SETS = {
    "scenario": ("scenario.gpkg", "scenario.csv", "resume_scenario.csv", "carte_scenario.html",
                 "rapport_scenario.html"),
    "siting": ("sites.csv", "changements.csv", "implantation.gpkg", "carte_implantation.html",
               "rapport_implantation.html"),
    "facility-access": ("acces_equipements.gpkg", "difficultes_combinees.csv"),
}  # fmt: skip


def _demo_inputs() -> list[str]:
    return ["--communes", str(DEMO["communes"]), "--population", str(DEMO["population"]),
            "--practitioners", str(DEMO["practitioners"])]  # fmt: skip


def _write(tmp: Path, name: str, text: str) -> str:
    (tmp / name).write_text(text, encoding="utf-8")
    return str(tmp / name)


def _changes(text):
    return lambda tmp: ["scenario", *_demo_inputs(), "--changes", _write(tmp, "changements.csv", text)]


def _no_age(tmp):
    gps = pd.read_csv(DEMO["practitioners"], sep=";", dtype=str).drop(columns="age")
    gps.to_csv(tmp / "praticiens.csv", sep=";", index=False)
    return ["scenario", "--communes", str(DEMO["communes"]), "--population", str(DEMO["population"]),
            "--practitioners", str(tmp / "praticiens.csv"), "--retirement-age", "62", "--horizon", "2030"]  # fmt: skip


def _siting(*extra):
    return ["siting", *_demo_inputs(), "--fte-per-site", "1", *extra]


def _bpe(old, new):
    def build(tmp):
        path = _write(tmp, "bpe.csv", BPE.replace(old, new))
        return ["facility-access", "--communes", str(DEMO["communes"]), "--bpe", path]

    return build


COMMAND_CASES = [
    ("scenario code inconnu", _changes(f"code_commune;profession;etp\n99999;{GP};2\n"),
     r"changements\.csv : code\(s\) commune absent\(s\) du territoire étudié : ligne 2 \(99999\)"),
    # 96001 has 1.73 FTE of GPs in the demo (activity ÷ 5,400).
    ("scenario départ au-delà de l'offre", _changes(f"code_commune;profession;etp\n96001;{GP};-5\n"),
     r"départs au-delà de l'offre existante : 96001 \(ligne\(s\) 2\) : 5 ETP retiré\(s\) pour 1\.73 ETP"),
    ("scenario etp non numérique", _changes(f"code_commune;profession;etp\n96001;{GP};deux\n"),
     r"colonne 'etp' : 1 valeur\(s\) non numérique\(s\) \(ligne 2 : 'deux'\)"),
    ("scenario colonne etp manquante", _changes(f"code_commune;profession\n96001;{GP}\n"),
     r"colonne 'etp' manquante"),
    ("scenario retraite sans âge", _no_age, r"--retirement-age demande l'âge des praticiens \(colonne 'age'\)"),
    ("siting candidates inconnues",
     lambda tmp: _siting("--sites", "2", "--candidates", _write(tmp, "candidates.csv", "code_commune\n99999\n88888\n")),
     r"candidates\.csv : commune\(s\) candidate\(s\) absente\(s\) du territoire étudié : ligne 2 \(99999\), "
     r"ligne 3 \(88888\)"),
    ("siting 0 site", lambda tmp: _siting("--sites", "0"), r"'--sites' : 0 hors de l'intervalle"),
    ("BPE sans TYPEQU", _bpe("TYPEQU", "TYPE"), r"bpe\.csv: colonne 'TYPEQU' manquante"),
    ("BPE sans DEPCOM", _bpe("DEPCOM", "COMMUNE"), r"bpe\.csv: colonne 'DEPCOM' manquante"),
    # (-5,000,000 m, 100 m) in Lambert-93 is at 30.4° W, 13.1° S, in the South Atlantic.
    ("BPE hors de France", _bpe("648418.0;6342058.0", "-5000000.0;100.0"),
     r"bpe\.csv: 1 équipement\(s\) sur 3 aux coordonnées hors de France et des outre-mer \(ex\. ligne 4 \(-30\.42"),
]  # fmt: skip


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize(("name", "build", "message"), COMMAND_CASES, ids=[c[0] for c in COMMAND_CASES])
def test_hostile_command_input(tmp_path, name, build, message):
    args = build(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    for file in SETS[args[0]]:  # a previous run's set, which a refusal must leave as it is
        (out / file).write_bytes(f"précédent {file}".encode())
    before = _snapshot(out)
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.output.splitlines() if line.startswith("Erreur")]
    assert len(errors) == 1, result.output
    assert pd.Series(errors).str.contains(message, regex=True).iat[0], result.output
    assert _snapshot(out) == before  # no new file, no lock, no staging folder left


FULL_DISK = {
    "scenario": (_changes(f"code_commune;profession;etp;label\n96001;{GP};2;MSP\n"),
                 "territoires.export.decision._write_text"),
    "siting": (lambda tmp: _siting("--sites", "2"), "territoires.export.decision._write_text"),
    "facility-access": (_bpe("", ""), "pandas.DataFrame.to_csv"),
}  # fmt: skip


@pytest.mark.parametrize("command", list(FULL_DISK))
def test_full_disk_keeps_the_previous_outputs(tmp_path, monkeypatch, command):
    build, writer = FULL_DISK[command]
    args = [*build(tmp_path), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    before = _snapshot(tmp_path / "out")
    assert sorted(before) == sorted(SETS[command])

    def full(*a, **kwargs):  # the GeoPackage (and the CSVs) are written, then the disk fills up
        path = next(x for x in a if isinstance(x, (str, Path)))
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(writer, full)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Erreur")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    assert "plus de place sur le disque" in errors[0] and "les résultats précédents sont intacts" in errors[0]
    assert _snapshot(tmp_path / "out") == before  # byte-identical, no staging folder left


PREFLIGHT = {
    "scenario": (FULL_DISK["scenario"][0], "territoires.pipeline.scenario.run_scenario"),
    "siting": (FULL_DISK["siting"][0], "territoires.pipeline.scenario.run_siting"),
    "facility-access": (FULL_DISK["facility-access"][0], "territoires.pipeline.facility_access.run_facility_access"),
}


@pytest.mark.parametrize("command", list(PREFLIGHT))
def test_read_only_output_refused_before_computing(tmp_path, monkeypatch, command):
    import os

    from territoires.export import output_set

    build, compute = PREFLIGHT[command]
    args = build(tmp_path)
    out = tmp_path / "lecture_seule"
    real_access = os.access

    def access(path, mode, **kwargs):  # tests run as root, for whom chmod changes nothing
        if mode & os.W_OK and str(path).startswith(str(out)):
            return False
        return real_access(path, mode, **kwargs)

    def refuse(*a, **kwargs):
        raise AssertionError("the output location must be checked before computing")

    out.mkdir()
    monkeypatch.setattr(output_set.os, "access", access)
    monkeypatch.setattr(compute, refuse)
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Erreur")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    assert f"impossible d'écrire dans « {out} »" in errors[0]
    assert not any(out.iterdir())
