"""Downloading the official files: a local HTTP server stands for geo.api.gouv.fr, INSEE, the ANS and data.gouv.fr."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import threading
import urllib.parse
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA_DIRECTORY

from territoires._errors import DownloadError, InputError, ParameterError
from territoires.cli import cli
from territoires.io.fetch import (
    DATASETS,
    MANIFEST_NAME,
    REGIONS,
    cache_directory,
    cached_inputs,
    departements_of,
    fetch_datasets,
    load_catalogue,
    resolve_millesime,
    vintages,
)
from territoires.io.populations import populations_from_csv

CATALOGUE = load_catalogue()
RPPS_NAME = "PS_LibreAcces_Personne_activite_202401150830.txt"


def route(name: str, dep: str = "") -> str:
    """The URL path of a catalogue entry (what the local server must answer)."""
    return urllib.parse.urlsplit(CATALOGUE["datasets"][name]["url"].format(dep=dep)).path


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


class Server:
    """A local HTTP server whose answers each test sets: ``routes[path] = (body, mode)``.

    Modes: ``"range"`` honours ``Range`` (206), ``"full"`` ignores it (200), ``"truncate"`` announces the whole
    length but sends only half of the body, ``"html"`` answers 200 with the body as text/html.
    """

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, str]] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.if_range: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = urllib.parse.urlsplit(self.path).path
                server.requests.append((path, self.headers.get("Range")))
                server.if_range.append(self.headers.get("If-Range"))
                if path not in server.routes:
                    self.send_error(404, "Not Found")
                    return
                body, mode = server.routes[path]
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                start = 0
                rng = self.headers.get("Range")
                fresh = self.headers.get("If-Range") in (None, etag)
                if mode == "range" and rng and rng.startswith("bytes=") and fresh:
                    start = int(rng[6:].split("-")[0])
                    if start >= len(body):
                        self.send_error(416, "Range Not Satisfiable")
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                kind = "text/html" if mode == "html" else "application/octet-stream"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body) - start))
                if mode != "full":
                    self.send_header("ETag", etag)
                self.end_headers()
                payload = body[start:]
                if mode == "truncate":
                    payload = payload[: len(payload) // 2]
                self.wfile.write(payload)
                self.wfile.flush()
                if mode == "truncate":
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


FILES = {
    "communes": (DATA_DIRECTORY / "fetch_communes_34.geojson").read_bytes(),
    "population": zipped({"donnees_communes.csv": (DATA_DIRECTORY / "fetch_donnees_communes.csv").read_bytes()}),
    "practitioners": zipped(
        {
            RPPS_NAME: (DATA_DIRECTORY / f"fetch_{RPPS_NAME}").read_bytes(),
            "PS_LibreAcces_SavoirFaire_202401150830.txt": b"Type d'identifiant PP|Identifiant PP|\n",
        }
    ),
    "facilities": (DATA_DIRECTORY / "fetch_finess_geolocalise.csv").read_bytes(),
}


def serve_all(server: Server, mode: str = "range") -> None:
    server.routes[route("communes", "34")] = (FILES["communes"], mode)
    for name in ("population", "practitioners", "facilities"):
        server.routes[route(name)] = (FILES[name], mode)


def cache_files(cache: Path) -> set[str]:
    return {p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file()}


# --- catalogue and territories ------------------------------------------------------------------------------------


def test_catalogue_lists_the_four_sources_with_licence_and_vintage():
    datasets = CATALOGUE["datasets"]
    assert tuple(datasets) == DATASETS
    for entry in datasets.values():
        assert entry["licence"] and entry["vintage"] and entry["publisher"]
        assert entry["status"] in ("confirmé", "à vérifier")
    assert datasets["communes"]["scope"] == "departement"
    assert "geo.api.gouv.fr/departements/{dep}/communes" in datasets["communes"]["url"]
    assert "ADMIN EXPRESS COG" in datasets["communes"]["publisher"]
    assert "admin_express_cog" in CATALOGUE["alternatives"]


def test_regions_table_covers_the_101_departements():
    deps = [d for ds in REGIONS.values() for d in ds]
    # 96 metropolitan départements (2A and 2B for Corsica) + 5 overseas = 101, each in one région.
    assert len(deps) == len(set(deps)) == 101
    assert len(REGIONS) == 18
    assert len(REGIONS["76"]) == 13 and "34" in REGIONS["76"]
    assert departements_of("9", region="94") == ["09", "2A", "2B"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"region": "99"}, "région '99' inconnue"), ({"departement": "ABC"}, "département 'ABC' inconnu")],
)
def test_unknown_territory_raises_parameter_error(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        departements_of(**kwargs)


def test_per_departement_source_needs_a_territory(tmp_path):
    with pytest.raises(ParameterError, match="donnez --departement ou --region"):
        fetch_datasets(["communes"], cache_dir=tmp_path, progress=False)


def test_cache_directory_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TERRITOIRES_CACHE", str(tmp_path / "c"))
    assert cache_directory() == tmp_path / "c"
    assert cache_directory(tmp_path / "d") == tmp_path / "d"
    monkeypatch.delenv("TERRITOIRES_CACHE")
    assert cache_directory().name == "territoires"


# --- successful downloads -----------------------------------------------------------------------------------------


def test_fetch_downloads_checks_extracts_and_records_checksums(server, tmp_path):
    serve_all(server)
    paths = fetch_datasets(departement="34", cache_dir=tmp_path, progress=False, base_url=server.url)
    assert set(paths) == {"communes_34", "population", "practitioners", "facilities"}
    assert paths["communes_34"].read_bytes() == FILES["communes"]
    assert paths["facilities"].read_bytes() == FILES["facilities"]
    # Zips are kept and the needed member extracted under a stable name (the latest timestamped member).
    assert paths["practitioners"].name == "PS_LibreAcces_Personne_activite.txt"
    assert paths["practitioners"].read_bytes() == (DATA_DIRECTORY / f"fetch_{RPPS_NAME}").read_bytes()
    assert paths["population"].read_bytes() == (DATA_DIRECTORY / "fetch_donnees_communes.csv").read_bytes()
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert len(manifest) == 4
    for name, body in FILES.items():
        key = "communes/communes_34.geojson" if name == "communes" else f"{name}/{paths[name].name}"
        assert manifest[key]["sha256"] == hashlib.sha256(body).hexdigest()
        assert manifest[key]["size"] == len(body)
    assert manifest["practitioners/PS_LibreAcces_Personne_activite.txt"]["member"] == RPPS_NAME
    assert not any(name.endswith(".part") for name in cache_files(tmp_path))
    # A second call uses the cache: no request at all.
    before = len(server.requests)
    assert fetch_datasets(departement="34", cache_dir=tmp_path, progress=False, base_url=server.url) == paths
    assert len(server.requests) == before == 4
    # force downloads again.
    fetch_datasets(["facilities"], cache_dir=tmp_path, progress=False, base_url=server.url, force=True)
    assert len(server.requests) == 5


def test_base_url_from_environment_and_cached_inputs(server, tmp_path, monkeypatch):
    serve_all(server)
    monkeypatch.setenv("TERRITOIRES_FETCH_BASE_URL", server.url)
    fetch_datasets(departement="34", cache_dir=tmp_path, progress=False)
    assert server.requests[0] == ("/departements/34/communes", None)
    inputs = cached_inputs(departement="34", cache_dir=tmp_path)
    assert inputs["communes"] == [tmp_path / "communes" / "communes_34.geojson"]
    assert inputs["population"] == tmp_path / "population" / "donnees_communes_2023.csv"
    assert inputs["practitioners"].name == "PS_LibreAcces_Personne_activite.txt"
    assert inputs["facilities"] == tmp_path / "facilities" / "finess_etablissements_geolocalises.csv"


def test_matching_sha256_in_catalogue_is_accepted(server, tmp_path):
    server.routes[route("facilities")] = (FILES["facilities"], "range")
    catalogue = copy.deepcopy(CATALOGUE)
    catalogue["datasets"]["facilities"]["sha256"] = hashlib.sha256(FILES["facilities"]).hexdigest().upper()
    paths = fetch_datasets(["facilities"], cache_dir=tmp_path, progress=False, catalogue=catalogue, base_url=server.url)
    assert paths["facilities"].read_bytes() == FILES["facilities"]


def test_cached_inputs_names_missing_data_and_the_command(tmp_path):
    with pytest.raises(InputError, match=r"communes \(34\).*territoires fetch --departement 34 --cache-dir"):
        cached_inputs(departement="34", cache_dir=tmp_path)
    with pytest.raises(InputError, match=r"communes \(09\).*territoires fetch --region 76"):
        cached_inputs(region="76", cache_dir=tmp_path)


# --- failures: clear messages, nothing corrupt left in the cache --------------------------------------------------


def test_http_404_names_url_status_and_expected_content(server, tmp_path):
    with pytest.raises(DownloadError, match=r"communes \(34\).*/departements/34/communes.*HTTP 404.*GeoJSON"):
        fetch_datasets(["communes"], departement="34", cache_dir=tmp_path, progress=False, base_url=server.url)
    assert cache_files(tmp_path) == set()


def test_unreachable_server_raises_download_error(tmp_path):
    with pytest.raises(DownloadError, match="injoignable"):
        fetch_datasets(["facilities"], cache_dir=tmp_path, progress=False, base_url="http://127.0.0.1:9")


@pytest.mark.parametrize(
    ("name", "body", "match"),
    [
        (
            "practitioners",
            b"<!DOCTYPE html><html><body>Maintenance</body></html>",
            "attendu une archive zip, re.u une page HTML",
        ),
        ("facilities", b"\n  <html><head><title>Erreur</title></head><body>503</body></html>", "page HTML"),
        ("communes", b'{"type": "Feature", "properties": {}}' + b" " * 100, "JSON de type 'Feature'"),
        ("communes", b'{"type": "FeatureCollection", "features": []}' + b" " * 100, "sans aucune entit"),
        ("facilities", b"col1;col2;col3\n" * 10, "aucun de nofinesset"),
        ("population", zipped({"autre.csv": b"a;b\n1;2\n"}), "aucun fichier donnees_communes.csv"),
        ("population", zipped({"donnees_communes.csv": b"CODGEO;LIBGEO;P21_POP\n" * 10}), "sans PMUN"),
        ("practitioners", FILES["practitioners"][:-40], "archive zip|corrompue"),
    ],
)
def test_wrong_content_is_rejected_and_removed(server, tmp_path, name, body, match):
    path = route(name, "34")
    server.routes[path] = (body, "full")
    with pytest.raises(DownloadError, match=match):
        fetch_datasets([name], departement="34", cache_dir=tmp_path, progress=False, base_url=server.url)
    assert cache_files(tmp_path) == set()


def test_checksum_mismatch_is_rejected_and_removed(server, tmp_path):
    server.routes[route("facilities")] = (FILES["facilities"], "range")
    catalogue = copy.deepcopy(CATALOGUE)
    catalogue["datasets"]["facilities"]["sha256"] = "0" * 64
    actual = hashlib.sha256(FILES["facilities"]).hexdigest()
    with pytest.raises(DownloadError, match=f"SHA-256 inattendue.*attendu 0{{64}}, obtenu {actual}"):
        fetch_datasets(["facilities"], cache_dir=tmp_path, progress=False, catalogue=catalogue, base_url=server.url)
    assert cache_files(tmp_path) == set()


def test_truncated_download_keeps_only_the_part_file_then_resumes(server, tmp_path):
    body = FILES["practitioners"]
    server.routes[route("practitioners")] = (body, "truncate")
    with pytest.raises(DownloadError, match=rf"incomplet.*{len(body)} octets, {len(body) // 2} re.us"):
        fetch_datasets(["practitioners"], cache_dir=tmp_path, progress=False, base_url=server.url)
    # Nothing under a final name: only the partial file, which the next call resumes.
    assert cache_files(tmp_path) == {
        "practitioners/PS_LibreAcces.zip.part",
        "practitioners/PS_LibreAcces.zip.part.etag",
    }
    assert (tmp_path / "practitioners/PS_LibreAcces.zip.part").read_bytes() == body[: len(body) // 2]
    server.routes[route("practitioners")] = (body, "range")
    paths = fetch_datasets(["practitioners"], cache_dir=tmp_path, progress=False, base_url=server.url)
    assert server.requests[-1] == (route("practitioners"), f"bytes={len(body) // 2}-")
    assert server.if_range[-1] == '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    assert (tmp_path / "practitioners/PS_LibreAcces.zip").read_bytes() == body
    assert paths["practitioners"].read_bytes() == (DATA_DIRECTORY / f"fetch_{RPPS_NAME}").read_bytes()
    assert cache_files(tmp_path) == {
        MANIFEST_NAME,
        "practitioners/PS_LibreAcces.zip",
        "practitioners/PS_LibreAcces_Personne_activite.txt",
    }


def test_resume_after_the_remote_file_changed_downloads_the_new_file(server, tmp_path):
    old, new = FILES["practitioners"], zipped({RPPS_NAME: (DATA_DIRECTORY / f"fetch_{RPPS_NAME}").read_bytes() * 2})
    server.routes[route("practitioners")] = (old, "truncate")
    with pytest.raises(DownloadError, match="incomplet"):
        fetch_datasets(["practitioners"], cache_dir=tmp_path, progress=False, base_url=server.url)
    # The daily extraction changed meanwhile: If-Range no longer matches, the server sends the whole new file.
    server.routes[route("practitioners")] = (new, "range")
    fetch_datasets(["practitioners"], cache_dir=tmp_path, progress=False, base_url=server.url)
    assert server.requests[-1][1] == f"bytes={len(old) // 2}-"
    assert (tmp_path / "practitioners/PS_LibreAcces.zip").read_bytes() == new
    assert "practitioners/PS_LibreAcces.zip.part.etag" not in cache_files(tmp_path)


def test_server_ignoring_range_restarts_cleanly(server, tmp_path):
    body = FILES["facilities"]
    part = tmp_path / "facilities" / "finess_etablissements_geolocalises.csv.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"GARBAGE FROM AN OLDER FILE")
    server.routes[route("facilities")] = (body, "full")
    paths = fetch_datasets(["facilities"], cache_dir=tmp_path, progress=False, base_url=server.url)
    assert server.requests[-1][1] == f"bytes={len(b'GARBAGE FROM AN OLDER FILE')}-"
    assert paths["facilities"].read_bytes() == body  # not the garbage followed by the body
    assert not part.exists()


def test_partial_file_longer_than_remote_restarts_cleanly(server, tmp_path):
    body = FILES["facilities"]
    part = tmp_path / "facilities" / "finess_etablissements_geolocalises.csv.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * (len(body) + 10))  # the server answers 416 to this Range
    server.routes[route("facilities")] = (body, "range")
    paths = fetch_datasets(["facilities"], cache_dir=tmp_path, progress=False, base_url=server.url)
    assert paths["facilities"].read_bytes() == body
    assert [r[1] for r in server.requests] == [f"bytes={len(body) + 10}-", None]


def test_resumed_file_failing_its_checks_is_removed(server, tmp_path):
    # A stale partial file resumed into a wrong whole: the content check rejects it and nothing is kept.
    body = FILES["facilities"]
    part = tmp_path / "facilities" / "finess_etablissements_geolocalises.csv.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"<html>" + b"x" * 20)
    server.routes[route("facilities")] = (body, "range")
    with pytest.raises(DownloadError, match="page HTML"):
        fetch_datasets(["facilities"], cache_dir=tmp_path, progress=False, base_url=server.url)
    assert cache_files(tmp_path) == set()


# --- command line -------------------------------------------------------------------------------------------------


def test_cli_fetch_downloads_and_lists_paths(server, tmp_path):
    serve_all(server)
    args = ["fetch", "--departement", "34", "--cache-dir", str(tmp_path), "--base-url", server.url, "--no-progress"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert f"communes_34 : {tmp_path / 'communes' / 'communes_34.geojson'}" in result.output
    assert len(json.loads((tmp_path / MANIFEST_NAME).read_text(encoding="utf-8"))) == 4


def test_cli_fetch_error_is_one_line_and_exit_code_2(server, tmp_path):
    args = ["fetch", "facilities", "--cache-dir", str(tmp_path), "--base-url", server.url, "--no-progress"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "Erreur : téléchargement de facilities impossible" in result.output
    assert "HTTP 404" in result.output


def test_cli_fetch_needs_a_territory_for_boundaries(tmp_path):
    result = CliRunner().invoke(cli, ["fetch", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "--departement ou --region" in result.output


def test_cli_fetch_list_shows_catalogue():
    result = CliRunner().invoke(cli, ["fetch", "--list"])
    assert result.exit_code == 0
    assert "geo.api.gouv.fr" in result.output and "admin_express_cog (alternative" in result.output


def test_cli_diagnose_without_inputs_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["diagnose", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "--departement 34 ou --region 76" in result.output


def test_cli_diagnose_on_empty_cache_tells_what_to_fetch(tmp_path):
    args = ["diagnose", "--departement", "34", "--cache-dir", str(tmp_path), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "territoires fetch --departement 34" in result.output


def test_cli_fetch_then_diagnose_end_to_end_on_demo_files(server, tmp_path):
    """Serve the demo territory (département 96) in the official formats, fetch it, diagnose it from the cache."""
    import geopandas as gpd

    from territoires.demo.generate import demo_paths

    demo = demo_paths()
    communes = gpd.read_file(demo["communes"]).to_crs("EPSG:4326")
    # geo.api.gouv.fr's properties: code, nom, population, codeEpci, codeDepartement.
    code = next(c for c in ("code_commune", "INSEE_COM", "code") if c in communes.columns)
    api = gpd.GeoDataFrame(
        {"code": communes[code].astype(str), "nom": "x", "codeDepartement": "96"}, geometry=communes.geometry
    )
    server.routes[route("communes", "96")] = (api.to_json().encode("utf-8"), "range")
    server.routes[route("population")] = (zipped({"donnees_communes.csv": demo["population"].read_bytes()}), "range")
    rpps = zipped({"PS_LibreAcces_Personne_activite_202601050000.txt": demo["rpps"].read_bytes()})
    server.routes[route("practitioners")] = (rpps, "range")
    server.routes[route("facilities")] = (demo["facilities"].read_bytes(), "range")
    cache = tmp_path / "cache"
    args = ["fetch", "--departement", "96", "--cache-dir", str(cache), "--base-url", server.url, "--no-progress"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    args = ["diagnose", "--departement", "96", "--cache-dir", str(cache), "--out", str(out), "--no-cpts"]
    result = CliRunner().invoke(cli, [*args, "--no-zones", "--offline"])
    assert result.exit_code == 0, result.output
    # The demo territory: 347 communes, 740,903 inhabitants (see tests/test_demo_end_to_end.py).
    assert "Communes : 347" in result.output
    assert "Population : 740\u202f903 habitants" in result.output
    assert (out / "diagnostic.gpkg").stat().st_size > 0


# --- vintages of the populations ----------------------------------------------------------------------------------

#: INSEE paths of each vintage's file (www.insee.fr/fr/statistiques/fichier/<id>/ensemble.zip).
POPULATION_PATHS = {
    "2023": "/fr/statistiques/fichier/8680726/ensemble.zip",
    "2022": "/fr/statistiques/fichier/8290591/ensemble.zip",
    "2021": "/fr/statistiques/fichier/7739582/ensemble.zip",
}
#: The 2023 layout (populations de référence): a ``Commune`` column holds the name.
POPULATION_2023 = (
    b"REG;DEP;CODCOM;COM;Commune;PMUN;PCAP;PTOT\n"
    b"76;34;172;34172;Montpellier;307101;6187;313288\n"
    b"76;48;095;48095;Mende;12120;534;12654\n"
)


def test_catalogue_offers_population_vintages_newest_first():
    entry = CATALOGUE["datasets"]["population"]
    assert vintages(entry) == ["2023", "2022", "2021"]
    for year, path in POPULATION_PATHS.items():
        resolved = resolve_millesime(entry, year, name="population")
        assert resolved["url"] == "https://www.insee.fr" + path
        assert resolved["millesime"] == year and resolved["vintage"].startswith(year)
        assert resolved["status"] in ("confirmé", "à vérifier")
    assert resolve_millesime(entry, None) == resolve_millesime(entry, "2023")
    assert "en vigueur au 1er janvier 2026" in entry["vintage"]
    # The 2021 vintage keeps the cache name of earlier versions: an existing cache stays valid.
    assert resolve_millesime(entry, 2021)["extract_as"] == "donnees_communes.csv"
    with pytest.raises(ParameterError, match=r"millésime '2019' inconnu pour population \(disponibles : 2023, 2022"):
        resolve_millesime(entry, "2019", name="population")
    with pytest.raises(ParameterError, match="--millesime ne s'applique qu'aux sources millésimées"):
        fetch_datasets(["facilities"], cache_dir=Path("unused"), progress=False, millesime="2021")


def test_fetch_takes_the_newest_vintage_by_default_and_another_on_request(server, tmp_path):
    server.routes[POPULATION_PATHS["2023"]] = (zipped({"donnees_communes.csv": POPULATION_2023}), "range")
    server.routes[POPULATION_PATHS["2021"]] = (FILES["population"], "range")
    newest = fetch_datasets(["population"], cache_dir=tmp_path, progress=False, base_url=server.url)
    assert server.requests[-1][0] == POPULATION_PATHS["2023"]
    assert newest["population"] == tmp_path / "population" / "donnees_communes_2023.csv"
    older = fetch_datasets(["population"], cache_dir=tmp_path, progress=False, base_url=server.url, millesime="2021")
    assert server.requests[-1][0] == POPULATION_PATHS["2021"]
    assert older["population"] == tmp_path / "population" / "donnees_communes.csv"
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["population/donnees_communes_2023.csv"]["millesime"] == "2023"
    assert manifest["population/donnees_communes.csv"]["millesime"] == "2021"
    # Both kept side by side; a diagnosis reads the newest cached unless told otherwise.
    serve_all(server)
    fetch_datasets(["communes", "practitioners", "facilities"], departement="34", cache_dir=tmp_path,
                   progress=False, base_url=server.url)  # fmt: skip
    assert cached_inputs(departement="34", cache_dir=tmp_path)["population"] == newest["population"]
    assert cached_inputs(departement="34", cache_dir=tmp_path, millesime=2021)["population"] == older["population"]
    with pytest.raises(InputError, match="--millesime 2022"):
        cached_inputs(departement="34", cache_dir=tmp_path, millesime="2022")
    # The 2023 layout is read with its names: Montpellier 307,101 and Mende 12,120 inhabitants.
    pop = populations_from_csv(newest["population"])
    assert dict(zip(pop["code_commune"], pop["population"], strict=True)) == {"34172": 307_101, "48095": 12_120}
    assert set(pop["nom"]) == {"Montpellier", "Mende"}


def test_cli_fetch_says_which_vintage_was_fetched(server, tmp_path):
    server.routes[POPULATION_PATHS["2023"]] = (zipped({"donnees_communes.csv": POPULATION_2023}), "range")
    server.routes[POPULATION_PATHS["2021"]] = (FILES["population"], "range")
    base = ["fetch", "population", "--cache-dir", str(tmp_path), "--base-url", server.url, "--no-progress"]
    result = CliRunner().invoke(cli, base)
    assert result.exit_code == 0, result.output
    assert "millésime : 2023, en vigueur au 1er janvier 2026" in result.output
    result = CliRunner().invoke(cli, [*base, "--millesime", "2021"])
    assert result.exit_code == 0, result.output
    assert "millésime : 2021, en vigueur au 1er janvier 2024" in result.output
    result = CliRunner().invoke(cli, [*base, "--millesime", "1999"])
    assert result.exit_code == 2 and "millésime '1999' inconnu" in result.output
    listing = CliRunner().invoke(cli, ["fetch", "--list"]).output
    assert "--millesime 2021 : 2021, en vigueur au 1er janvier 2024" in listing
