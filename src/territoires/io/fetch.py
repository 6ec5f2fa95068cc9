"""Downloading and caching the official files a diagnosis needs (catalogue in ``sources.toml``).

The catalogue (:data:`CATALOGUE_PATH`) lists, for each data set, its URL, format, licence, vintage and the checks
its content must pass. :func:`fetch_datasets` downloads what a département or a région needs into a user cache
folder, resuming interrupted downloads (HTTP ``Range`` on a ``.part`` file), recording each file's SHA-256 in a
JSON manifest and renaming a file into place only once it passed every check: the cache never holds a corrupt
file under its final name. :func:`cached_inputs` then returns the paths a diagnosis reads.

Sources published every year (the INSEE populations) list their vintages (*millésimes*): the newest is fetched by
default, an older one on request (``millesime="2021"``), and the cache keeps each under its own name.
"""

from __future__ import annotations

import fnmatch
import hashlib
import http.client
import json
import logging
import os
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType

from .._atomic import atomic_path
from .._errors import DownloadError, InputError, ParameterError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "CATALOGUE_PATH",
    "DATASETS",
    "REGIONS",
    "cache_directory",
    "cached_inputs",
    "departements_of",
    "fetch_datasets",
    "load_catalogue",
    "resolve_millesime",
    "vintages",
]

log = logging.getLogger(__name__)

#: The readable catalogue of official sources.
CATALOGUE_PATH = Path(__file__).with_name("sources.toml")
#: Data sets a diagnosis needs, in the order they are fetched.
DATASETS = ("communes", "population", "practitioners", "facilities")
#: Name of the manifest (one entry per cached file: URL, SHA-256, size, date) at the root of the cache.
MANIFEST_NAME = "manifest.json"
#: Seconds without data before a download is abandoned.
TIMEOUT = 60.0
_CHUNK = 1 << 16

#: Régions → départements (COG 2024): 13 metropolitan régions and the 5 overseas ones.
REGIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "11": ("75", "77", "78", "91", "92", "93", "94", "95"),  # Île-de-France
        "24": ("18", "28", "36", "37", "41", "45"),  # Centre-Val de Loire
        "27": ("21", "25", "39", "58", "70", "71", "89", "90"),  # Bourgogne-Franche-Comté
        "28": ("14", "27", "50", "61", "76"),  # Normandie
        "32": ("02", "59", "60", "62", "80"),  # Hauts-de-France
        "44": ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88"),  # Grand Est
        "52": ("44", "49", "53", "72", "85"),  # Pays de la Loire
        "53": ("22", "29", "35", "56"),  # Bretagne
        "75": ("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"),  # Nouvelle-Aquitaine
        "76": ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"),  # Occitanie
        "84": ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"),  # Auvergne-Rhône-Alpes
        "93": ("04", "05", "06", "13", "83", "84"),  # Provence-Alpes-Côte d'Azur
        "94": ("2A", "2B"),  # Corse
        "01": ("971",),  # Guadeloupe
        "02": ("972",),  # Martinique
        "03": ("973",),  # Guyane
        "04": ("974",),  # La Réunion
        "06": ("976",),  # Mayotte
    }
)

_EXPECTED = {
    "geojson": "un GeoJSON (FeatureCollection)",
    "csv": "un fichier CSV",
    "txt": "un fichier texte délimité",
    "zip": "une archive zip",
}


# --- catalogue, cache folder, territories -------------------------------------------------------------------------


def load_catalogue(path: str | Path | None = None) -> dict:
    """Read the catalogue of sources (``sources.toml`` by default).

    Parameters
    ----------
    path
        Another catalogue in the same layout (tests, mirrors).

    Returns
    -------
    dict
        ``{"datasets": {name: entry}, "alternatives": {...}}`` as written in the TOML file.
    """
    path = CATALOGUE_PATH if path is None else Path(path)
    try:
        with open(path, "rb") as f:
            catalogue = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path} : catalogue des sources illisible ({exc})."
        raise InputError(msg) from exc
    problems = []
    for name, entry in catalogue.get("datasets", {}).items():
        missing = [key for key in ("url", "format", "filename", "scope") if key not in entry]
        if missing:
            problems.append(f"[datasets.{name}] sans {', '.join(missing)}")
        if entry.get("format") == "zip" and not {"member", "extract_as"} <= set(entry):
            problems.append(f"[datasets.{name}] : un zip demande member et extract_as")
        if entry.get("scope") not in (None, "national", "departement"):
            problems.append(f"[datasets.{name}] : scope {entry.get('scope')!r} (attendu national ou departement)")
    if problems:
        msg = f"{path} : catalogue des sources invalide : " + " ; ".join(problems) + "."
        raise InputError(msg)
    return catalogue


def vintages(entry: Mapping) -> list[str]:
    """Return the vintages (millésimes) a catalogue entry offers, newest first; ``[]`` for a source without any.

    >>> vintages({"millesime": "2023", "millesimes": {"2021": {}, "2022": {}}})
    ['2023', '2022', '2021']
    """
    found = ([str(entry["millesime"])] if "millesime" in entry else []) + [str(k) for k in entry.get("millesimes", {})]
    return sorted(dict.fromkeys(found), reverse=True)


def resolve_millesime(entry: Mapping, millesime: str | int | None = None, *, name: str = "") -> dict:
    """Return the catalogue entry of one vintage: the entry itself (newest) or it with an older vintage's fields.

    Parameters
    ----------
    entry
        A ``[datasets.<name>]`` entry of the catalogue.
    millesime
        Year of the vintage (``"2021"``); None: the newest. A source without vintages takes only None.
    name
        Name of the data set, for messages.

    Raises
    ------
    ParameterError
        If the vintage is not in the catalogue (the message lists those that are).
    """
    offered = vintages(entry)
    base = {k: v for k, v in entry.items() if k != "millesimes"}
    if millesime is None:
        return base
    wanted = str(millesime).strip()
    if not offered:
        msg = f"{name or 'cette source'} n'a pas de millésime à choisir (--millesime ne s'applique qu'aux populations)."
        raise ParameterError(msg)
    if wanted not in offered:
        msg = f"millésime {wanted!r} inconnu pour {name or 'cette source'} (disponibles : {', '.join(offered)})."
        raise ParameterError(msg)
    if wanted == str(entry.get("millesime")):
        return base
    return {**base, **entry["millesimes"][wanted], "millesime": wanted}


def cache_directory(cache_dir: str | Path | None = None) -> Path:
    """Return the cache folder: ``cache_dir``, else env ``TERRITOIRES_CACHE``, else the user cache folder."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get("TERRITOIRES_CACHE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("territoires"))


def _normalise_departement(code: str) -> str:
    code = str(code).strip().upper()
    if code.isdigit() and len(code) == 1:
        code = code.zfill(2)
    valid = {d for deps in REGIONS.values() for d in deps}
    if code not in valid and not (len(code) == 2 and code.isdigit()):
        msg = f"département {code!r} inconnu (attendu un code du COG : 01…95, 2A, 2B, 971…976)."
        raise ParameterError(msg)
    return code


def departements_of(
    departement: str | Iterable[str] | None = None, region: str | Iterable[str] | None = None
) -> list[str]:
    """Return the département codes of the given départements and régions, without duplicates, in order.

    Examples
    --------
    >>> departements_of("34")
    ['34']
    >>> departements_of(region="94")
    ['2A', '2B']
    """
    codes: list[str] = []
    for dep in [departement] if isinstance(departement, str) else departement or ():
        codes.append(_normalise_departement(dep))
    for reg in [region] if isinstance(region, str) else region or ():
        key = str(reg).strip().zfill(2)
        if key not in REGIONS:
            msg = f"région {reg!r} inconnue (codes du COG 2024 : {', '.join(sorted(REGIONS))})."
            raise ParameterError(msg)
        codes.extend(REGIONS[key])
    return list(dict.fromkeys(codes))


def _target_names(entry: Mapping, deps: list[str]) -> list[tuple[str | None, str]]:
    if entry["scope"] == "departement":
        return [(dep, entry["filename"].format(dep=dep)) for dep in deps]
    return [(None, entry["filename"])]


def _final_name(entry: Mapping, filename: str) -> str:
    return entry["extract_as"] if entry["format"] == "zip" else filename


def _rebase(url: str, base_url: str | None) -> str:
    """Replace the scheme and host of ``url`` by those of ``base_url`` (and prefix its path)."""
    if not base_url:
        return url
    parts = urllib.parse.urlsplit(url)
    base = urllib.parse.urlsplit(base_url)
    path = base.path.rstrip("/") + parts.path
    return urllib.parse.urlunsplit((base.scheme, base.netloc, path, parts.query, parts.fragment))


# --- manifest -----------------------------------------------------------------------------------------------------


def _read_manifest(cache: Path) -> dict:
    path = cache / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        log.warning("manifeste %s illisible : il sera réécrit", path)
        return {}


def _write_manifest(cache: Path, manifest: dict) -> None:
    with atomic_path(cache / MANIFEST_NAME) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True), encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- download -----------------------------------------------------------------------------------------------------


def _show_progress(progress: bool) -> bool:
    return bool(progress) and sys.stderr.isatty()


def _validator_path(part: Path) -> Path:
    return part.with_name(part.name + ".etag")


def _discard(part: Path) -> None:
    """Remove a partial download and the validator (ETag / Last-Modified) recorded with it."""
    part.unlink(missing_ok=True)
    _validator_path(part).unlink(missing_ok=True)


def _download(url: str, part: Path, *, label: str, expected: str, progress: bool) -> None:
    """Download ``url`` into ``part``, resuming from its current size when the server honours ``Range``.

    On a truncated transfer the ``.part`` file is kept (the next call resumes it) and a DownloadError is raised.
    """
    from tqdm.auto import tqdm

    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "territoires (https://github.com/territoires)", "Accept-Encoding": "identity"}
    validator = _validator_path(part)
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if validator.is_file():
            # If-Range: the server sends the whole new file (200) when the remote one changed since.
            headers["If-Range"] = validator.read_text(encoding="utf-8").strip()
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT)  # noqa: S310 - URLs come from the catalogue
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            # The partial file does not fit the remote one (changed or already complete): restart cleanly.
            log.info("%s : reprise refusée (HTTP 416), nouveau téléchargement complet", url)
            _discard(part)
            return _download(url, part, label=label, expected=expected, progress=progress)
        msg = (
            f"téléchargement de {label} impossible : {url} a répondu HTTP {exc.code} ({exc.reason}) ; "
            f"attendu {expected}."
        )
        raise DownloadError(msg) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        msg = f"téléchargement de {label} impossible : {url} injoignable ({reason}) ; attendu {expected}."
        raise DownloadError(msg) from exc

    with response:
        status = response.status
        mode = "ab"
        if offset and status == 206:
            content_range = response.headers.get("Content-Range", "")
            if not content_range.startswith(f"bytes {offset}-"):
                log.info("%s : plage inattendue (%s), nouveau téléchargement complet", url, content_range)
                response.close()
                _discard(part)
                return _download(url, part, label=label, expected=expected, progress=progress)
            log.info("%s : reprise à l'octet %d", url, offset)
        else:
            if offset:
                log.info("%s : le serveur ignore la reprise (HTTP %d), nouveau téléchargement complet", url, status)
            offset = 0
            mode = "wb"
            tag = response.headers.get("ETag") or response.headers.get("Last-Modified")
            if tag and not tag.startswith("W/"):  # weak ETags cannot validate a byte range
                validator.write_text(tag, encoding="utf-8")
            else:
                validator.unlink(missing_ok=True)
        length = response.headers.get("Content-Length")
        remaining = int(length) if length and length.isdigit() else None
        total = offset + remaining if remaining is not None else None
        received = 0
        bar = tqdm(
            total=total,
            initial=offset,
            unit="o",
            unit_scale=True,
            unit_divisor=1024,
            desc=label,
            disable=not _show_progress(progress),
            leave=False,
        )
        with open(part, mode) as out, bar:
            while True:
                try:
                    chunk = response.read(_CHUNK)
                except http.client.IncompleteRead as exc:
                    out.write(exc.partial)
                    received += len(exc.partial)
                    break
                except OSError as exc:
                    msg = (
                        f"téléchargement de {label} interrompu : {url} ({exc}) après {offset + received} octets ; "
                        "relancez la commande pour reprendre."
                    )
                    raise DownloadError(msg) from exc
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if remaining is not None and received < remaining:
        msg = (
            f"téléchargement de {label} incomplet : {url} a annoncé {total} octets, {offset + received} reçus ; "
            f"le fichier partiel {part.name} est gardé, relancez la commande pour reprendre."
        )
        raise DownloadError(msg)
    return None


# --- content checks -----------------------------------------------------------------------------------------------


def _first_line(path: Path) -> str:
    with open(path, "rb") as f:
        raw = f.readline(1 << 16)
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding).strip()
        except UnicodeDecodeError:
            continue
    return ""  # pragma: no cover - latin-1 decodes everything


def _looks_like_html(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(512).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html")) or (head.startswith(b"<") and b"<html" in head)


def _check_text(path: Path, fmt: str, checks: Mapping, *, label: str, url: str) -> None:
    """Raise DownloadError when ``path`` is not the expected GeoJSON / delimited text."""
    size = path.stat().st_size
    problems = []
    if _looks_like_html(path):
        problems.append("une page HTML (page d'erreur ou de connexion du serveur)")
    elif size < int(checks.get("min_bytes", 1)):
        problems.append(f"{size} octets seulement")
    elif fmt == "geojson":
        try:
            data = json.loads(path.read_bytes())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(f"un contenu qui n'est pas du JSON ({exc})")
        else:
            kind = data.get("type") if isinstance(data, dict) else type(data).__name__
            features = data.get("features") if isinstance(data, dict) else None
            if kind != checks.get("json_type", "FeatureCollection"):
                problems.append(f"un JSON de type {kind!r}")
            elif not features:
                problems.append("une FeatureCollection sans aucune entité")
            else:
                wanted = list(checks.get("properties", ()))
                absent = [p for p in wanted if p not in (features[0].get("properties") or {})]
                if absent:
                    problems.append(f"des entités sans les propriétés {', '.join(absent)}")
    else:
        header = _first_line(path)
        absent = [c for c in checks.get("header_all", ()) if c not in header]
        any_of = list(checks.get("header_any", ()))
        if absent:
            problems.append(f"une première ligne sans {', '.join(absent)} : {header[:120]!r}")
        elif any_of and not any(c in header for c in any_of):
            problems.append(f"une première ligne sans aucun de {', '.join(any_of)} : {header[:120]!r}")
    if problems:
        msg = f"contenu inattendu pour {label} ({url}) : attendu {_EXPECTED.get(fmt, fmt)}, reçu {problems[0]}."
        raise DownloadError(msg)


def _check_zip(path: Path, pattern: str, *, label: str, url: str) -> str:
    """Return the name of the member matching ``pattern``; DownloadError when the archive is not usable."""
    if _looks_like_html(path):
        msg = f"contenu inattendu pour {label} ({url}) : attendu une archive zip, reçu une page HTML."
        raise DownloadError(msg)
    if not zipfile.is_zipfile(path):
        msg = f"contenu inattendu pour {label} ({url}) : attendu une archive zip, reçu un fichier qui n'en est pas une."
        raise DownloadError(msg)
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        msg = f"archive zip corrompue pour {label} ({url}) : {exc}."
        raise DownloadError(msg) from exc
    if bad is not None:
        msg = f"archive zip corrompue pour {label} ({url}) : le membre {bad} est endommagé."
        raise DownloadError(msg)
    matches = sorted(n for n in names if fnmatch.fnmatch(Path(n).name, pattern))
    if not matches:
        msg = (
            f"archive zip inattendue pour {label} ({url}) : aucun fichier {pattern} "
            f"(contenu : {', '.join(names[:5]) or 'vide'})."
        )
        raise DownloadError(msg)
    return matches[-1]  # timestamped names: the latest one


def _extract(archive_path: Path, member: str, target: Path) -> None:
    with zipfile.ZipFile(archive_path) as archive, archive.open(member) as src, atomic_path(target) as tmp:
        with open(tmp, "wb") as out:
            shutil.copyfileobj(src, out, _CHUNK)


def _check_member(archive_path: Path, member: str, entry: Mapping, *, label: str, url: str) -> None:
    """Check the extracted member's first line before extracting it (a cheap read of the archive)."""
    import tempfile

    with zipfile.ZipFile(archive_path) as archive, archive.open(member) as src:
        head = src.read(1 << 16)
    with tempfile.NamedTemporaryFile(suffix=Path(member).suffix, delete=False) as tmp:
        tmp.write(head)
    try:
        checks = dict(entry.get("checks", {}))
        _check_text(Path(tmp.name), entry.get("member_format", "csv"), checks, label=f"{label} ({member})", url=url)
    finally:
        os.unlink(tmp.name)


# --- public API ---------------------------------------------------------------------------------------------------


def _fetch_one(
    name: str,
    entry: Mapping,
    dep: str | None,
    filename: str,
    *,
    cache: Path,
    manifest: dict,
    force: bool,
    progress: bool,
    base_url: str | None,
) -> Path:
    folder = cache / name
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / _final_name(entry, filename)
    key = f"{name}/{final.name}"
    if final.is_file() and key in manifest and not force:
        log.info("%s : déjà dans le cache (%s)", name, final)
        return final
    url = _rebase(entry["url"].format(dep=dep or ""), base_url)
    label = f"{name} ({dep})" if dep else name
    fmt = entry["format"]
    download = folder / filename
    part = download.with_name(download.name + ".part")
    if force:
        _discard(part)
    _download(url, part, label=label, expected=_EXPECTED.get(fmt, fmt), progress=progress)
    try:
        digest = _sha256(part)
        wanted = entry.get("sha256")
        if wanted and digest.lower() != str(wanted).lower():
            msg = (
                f"empreinte SHA-256 inattendue pour {label} ({url}) : attendu {wanted}, obtenu {digest} ; "
                "le fichier reçu est écarté."
            )
            raise DownloadError(msg)
        if fmt == "zip":
            member = _check_zip(part, entry["member"], label=label, url=url)
            _check_member(part, member, entry, label=label, url=url)
        else:
            member = None
            _check_text(part, fmt, entry.get("checks", {}), label=label, url=url)
    except BaseException:
        _discard(part)
        raise
    os.replace(part, download)
    _validator_path(part).unlink(missing_ok=True)
    if member is not None:
        _extract(download, member, final)
    manifest[key] = {
        "dataset": name,
        "departement": dep,
        "url": url,
        "file": final.name,
        "downloaded": download.name,
        "sha256": digest,
        "size": download.stat().st_size,
        "member": member,
        "member_sha256": _sha256(final) if member is not None else None,
        "millesime": entry.get("millesime"),
        "vintage": entry.get("vintage"),
        "licence": entry.get("licence"),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    _write_manifest(cache, manifest)
    log.info("%s : %s (%d octets, sha256 %s)", label, final, download.stat().st_size, digest)
    if entry.get("millesime"):
        log.info("%s : millésime %s", label, entry.get("vintage") or entry["millesime"])
    return final


def fetch_datasets(
    datasets: Iterable[str] | None = None,
    *,
    departement: str | Iterable[str] | None = None,
    region: str | Iterable[str] | None = None,
    cache_dir: str | Path | None = None,
    force: bool = False,
    progress: bool = True,
    catalogue: str | Path | Mapping | None = None,
    base_url: str | None = None,
    millesime: str | int | None = None,
) -> dict[str, Path]:
    """Download the official files of a diagnosis into the cache and return their paths.

    Files already in the cache (and recorded in its manifest) are not downloaded again unless ``force``.

    Parameters
    ----------
    datasets
        Names from the catalogue (``communes``, ``population``, ``practitioners``, ``facilities``); all of them
        by default.
    departement, region
        Territory of the per-département sources (commune boundaries): département codes (``"34"``, ``"2A"``)
        and/or région codes of the COG 2024 (``"76"``), one or several.
    cache_dir
        Cache folder; default env ``TERRITOIRES_CACHE``, else the user cache folder
        (``platformdirs.user_cache_dir("territoires")``).
    force
        Download again even when the file is cached.
    progress
        Show progress bars (only on a terminal).
    catalogue
        Another catalogue file, or an already-loaded catalogue mapping; ``sources.toml`` by default.
    base_url
        Replaces the scheme and host of every catalogue URL (a mirror, or a local test server); default env
        ``TERRITOIRES_FETCH_BASE_URL``.
    millesime
        Vintage of the sources published every year (the populations, e.g. ``"2021"``); default: the newest in
        the catalogue (:func:`vintages`).

    Returns
    -------
    dict
        ``{name: path}``; per-département sources are keyed ``"<name>_<département>"`` (``"communes_34"``).
        The vintage fetched is in the manifest and the log (:func:`resolve_millesime` gives it beforehand).

    Raises
    ------
    DownloadError
        HTTP error, unreachable server, truncated transfer or unexpected content; nothing is left under the
        final name (an interrupted transfer keeps its ``.part`` file so that the next call resumes it).
    ParameterError
        Unknown data set, département, région or vintage, or a per-département source without a territory.
    """
    cat = catalogue if isinstance(catalogue, Mapping) else load_catalogue(catalogue)
    entries = cat.get("datasets", {})
    names = list(DATASETS if datasets is None else datasets) or list(DATASETS)
    unknown = [n for n in names if n not in entries]
    if unknown:
        msg = f"jeu de données inconnu : {', '.join(unknown)} (disponibles : {', '.join(entries)})."
        raise ParameterError(msg)
    with_vintages = [n for n in names if vintages(entries[n])]
    if millesime is not None and not with_vintages:
        dated = ", ".join(n for n in entries if vintages(entries[n]))
        msg = f"--millesime ne s'applique qu'aux sources millésimées ({dated})."
        raise ParameterError(msg)
    entries = {n: resolve_millesime(entries[n], millesime if n in with_vintages else None, name=n) for n in names}
    deps = departements_of(departement, region)
    needs_territory = [n for n in names if entries[n]["scope"] == "departement"]
    if needs_territory and not deps:
        msg = (
            f"{', '.join(needs_territory)} se télécharge(nt) par département : "
            "donnez --departement ou --region (ex. --departement 34)."
        )
        raise ParameterError(msg)
    base_url = base_url or os.environ.get("TERRITOIRES_FETCH_BASE_URL") or None
    cache = cache_directory(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(cache)
    paths: dict[str, Path] = {}
    for name in names:
        entry = entries[name]
        for dep, filename in _target_names(entry, deps):
            key = f"{name}_{dep}" if dep else name
            paths[key] = _fetch_one(
                name,
                entry,
                dep,
                filename,
                cache=cache,
                manifest=manifest,
                force=force,
                progress=progress,
                base_url=base_url,
            )
    return paths


def cached_inputs(
    *,
    departement: str | Iterable[str] | None = None,
    region: str | Iterable[str] | None = None,
    cache_dir: str | Path | None = None,
    catalogue: str | Path | Mapping | None = None,
    millesime: str | int | None = None,
) -> dict[str, Path | list[Path]]:
    """Return the cached inputs of a diagnosis of the given départements / régions.

    Parameters
    ----------
    millesime
        Vintage of the populations; default: the newest one in the cache.

    Returns
    -------
    dict
        ``communes`` (a list of paths, one per département), ``population``, ``practitioners``, ``facilities``.

    Raises
    ------
    InputError
        A file is not in the cache; the message names the data set and the ``territoires fetch`` command to run.
    """
    cat = catalogue if isinstance(catalogue, Mapping) else load_catalogue(catalogue)
    deps = departements_of(departement, region)
    if not deps:
        msg = "donnez un département ou une région pour utiliser les données téléchargées."
        raise ParameterError(msg)
    cache = cache_directory(cache_dir)
    manifest = _read_manifest(cache)
    found: dict[str, Path | list[Path]] = {}
    missing: list[str] = []
    for name in DATASETS:
        entry = _cached_vintage(cat["datasets"][name], millesime, cache=cache, manifest=manifest, name=name)
        paths = []
        for dep, filename in _target_names(entry, deps):
            path = cache / name / _final_name(entry, filename)
            if path.is_file() and f"{name}/{path.name}" in manifest:
                paths.append(path)
            else:
                missing.append(f"{name} ({dep})" if dep else name)
        if entry["scope"] == "departement":
            found[name] = paths
        elif paths:
            found[name] = paths[0]
    if missing:
        territory = " ".join(f"--departement {d}" for d in _departement_args(departement)) or ""
        territory += "".join(f" --region {r}" for r in ([region] if isinstance(region, str) else region or ()))
        command = f"territoires fetch {territory.strip()}"
        if millesime is not None:
            command += f" --millesime {millesime}"
        if cache_dir is not None:
            command += f" --cache-dir {cache_dir}"
        msg = f"données absentes du cache {cache} : {', '.join(missing)} ; téléchargez-les avec « {command} »."
        raise InputError(msg)
    return found


def cached_communes(
    *, cache_dir: str | Path | None = None, catalogue: str | Path | Mapping | None = None
) -> list[Path]:
    """Return every commune boundary file in the cache (all départements downloaded so far), checked ones only.

    A diagnosis of some départements uses those of the others that lie within reach of its border, so that the
    APL of border communes counts the supply and demand beyond it.
    """
    cat = catalogue if isinstance(catalogue, Mapping) else load_catalogue(catalogue)
    cache = cache_directory(cache_dir)
    manifest = _read_manifest(cache)
    entry = _cached_vintage(cat["datasets"]["communes"], None, cache=cache, manifest=manifest, name="communes")
    pattern = _final_name(entry, entry["filename"].format(dep="*"))
    return sorted(p for p in (cache / "communes").glob(pattern) if f"communes/{p.name}" in manifest)


def _cached_vintage(entry: Mapping, millesime, *, cache: Path, manifest: Mapping, name: str) -> dict:
    """Return the entry of the vintage asked for, else of the newest vintage cached, else of the newest one."""
    if millesime is not None or not vintages(entry):
        return resolve_millesime(entry, millesime if vintages(entry) else None, name=name)
    for year in vintages(entry):
        candidate = resolve_millesime(entry, year, name=name)
        final = _final_name(candidate, candidate["filename"])
        if (cache / name / final).is_file() and f"{name}/{final}" in manifest:
            return candidate
    return resolve_millesime(entry, None, name=name)


def _departement_args(departement: str | Iterable[str] | None) -> list[str]:
    """Return the département codes as given (a single code or several)."""
    if departement is None:
        return []
    return [departement] if isinstance(departement, str) else [str(d) for d in departement]
