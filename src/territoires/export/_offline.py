"""Self-contained HTML: inline the JavaScript and CSS a Folium page links to, from packaged copies.

Folium links Leaflet, its plugins, jQuery, Bootstrap and Font Awesome from CDNs, so its maps stay blank on a
machine without network. The registry package ``folium-offline`` (MIT, module ``offlinefolium``) ships the exact
files Folium links to, keyed by their URL (with the images of Leaflet's and the plugins' stylesheets already
turned into ``data:`` URIs). We keep using Folium to build the map and replace each ``<script src>`` /
``<link href>`` of the rendered page by the packaged text. Libraries our offline map does not use (jQuery,
Bootstrap, Font Awesome, Glyphicons, awesome-markers) are dropped instead of inlined: 1.2 MB less per map. Every
map is rendered this way (:func:`territoires.export.folium_map.map_html`): it opens without network by default.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from pathlib import PurePosixPath

from .._errors import ParameterError

logger = logging.getLogger(__name__)

#: Libraries linked by Folium by default that our map never needs (matched in the URL).
UNUSED_OFFLINE = (
    "jquery",
    "bootstrap",
    "fontawesome",
    "awesome-markers",
    "awesome.rotate",
)

_SCRIPT = re.compile(r'<script src="(?P<url>https?://[^"]+)"></script>')
_STYLESHEET = re.compile(r'<link rel="stylesheet" href="(?P<url>https?://[^"]+)"\s*/?>')
# url(...) in a stylesheet that is neither a data: URI nor a fragment: it would be fetched from disk and fail.
_RELATIVE_URL = re.compile(r"url\((?!['\"]?(?:data:|#))[^)]*\)")
# A resource the browser would fetch from the network (scripts, stylesheets, images, frames).
_EXTERNAL = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//[^"'\s>]*""", re.I)


@functools.lru_cache(maxsize=1)
def packaged_assets() -> Mapping[str, str]:
    """Return the packaged copies of Folium's web resources, URL → text (from ``folium-offline``)."""
    try:
        from offlinefolium.elements import _res
    except ImportError as exc:  # pragma: no cover - a declared dependency
        msg = "carte hors ligne : le paquet « folium-offline » est requis (pip install folium-offline)."
        raise ParameterError(msg) from exc
    return dict(_res)


def _lookup(url: str, assets: Mapping[str, str]) -> str:
    """Find the packaged text for ``url``: same URL, else the one packaged file of the same library and name."""
    if url in assets:
        return assets[url]
    name = PurePosixPath(url.split("?")[0]).name
    library = _library(url)
    same = [u for u in assets if PurePosixPath(u).name == name and _library(u) == library]
    if len(same) == 1:
        logger.info("offline map: %s replaced by the packaged %s", url, same[0])
        return assets[same[0]]
    msg = (
        f"carte hors ligne : aucune copie intégrée de {url} (folium-offline ne la fournit pas pour cette version "
        "de folium) ; installez la version de folium-offline qui correspond à folium."
    )
    raise ParameterError(msg)


def _library(url: str) -> str:
    """Return the package name in a CDN URL without its version (``leaflet@1.9.3`` → ``leaflet``)."""
    parts = [p for p in url.split("/")[3:] if p not in {"npm", "ajax", "libs", "gh", "dist"}]
    return parts[0].split("@")[0].lower() if parts else ""


def inline_assets(page: str, *, drop: tuple[str, ...] = UNUSED_OFFLINE) -> str:
    """Return the HTML ``page`` with every CDN script and stylesheet inlined (or dropped when unused).

    Parameters
    ----------
    page
        A rendered Folium page.
    drop
        Fragments of URLs of libraries to leave out instead of inlining.

    Raises
    ------
    ParameterError
        If a linked resource has no packaged copy, or if an external reference remains.
    """
    assets = packaged_assets()

    def script(match: re.Match) -> str:
        url = match["url"]
        if any(d in url.lower() for d in drop):
            return ""
        text = _lookup(url, assets).replace("</script", "<\\/script")
        return f"<script>/* {url} (copie intégrée) */\n{text}\n</script>"

    def stylesheet(match: re.Match) -> str:
        url = match["url"]
        if any(d in url.lower() for d in drop):
            return ""
        text = _RELATIVE_URL.sub("none", _lookup(url, assets))
        return f"<style>/* {url} (copie intégrée) */\n{text}\n</style>"

    external = _EXTERNAL.findall(page)
    handled = {m["url"] for m in _SCRIPT.finditer(page)} | {m["url"] for m in _STYLESHEET.finditer(page)}
    left = [ref for ref in external if not any(ref.endswith(url) for url in handled)]
    if left:
        msg = f"carte hors ligne : {len(left)} ressource(s) externe(s) non intégrable(s) dans la page ({left[0]}…)."
        raise ParameterError(msg)
    page = _SCRIPT.sub(script, page)
    return _STYLESHEET.sub(stylesheet, page)
