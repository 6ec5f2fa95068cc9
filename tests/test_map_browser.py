"""The demo map opened in headless Chromium without network: every layer ticked in turn, legends, tooltips."""

from __future__ import annotations

import pytest
from _browser import find_chromium, live_page, open_page, screenshot_stats, websocket_available
from click.testing import CliRunner

from territoires.cli import cli

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(find_chromium() is None, reason="Chromium absent (apt-get install chromium)"),
    pytest.mark.skipif(not websocket_available(), reason="websocket-client absent (dev extra)"),
]

_LEAFLET_LAYERS = (
    "Object.values(window).filter(v => v instanceof L.Map).map(m => { let n = 0; m.eachLayer(() => n++); return n; })"
)

#: Test helpers installed in the page: the map, its layer control, and what each layer has drawn.
_PROBE = """
window.__t = (function() {
    var map = Object.values(window).find(function(v) { return v instanceof L.Map; });
    var control = Object.values(map._events).flat().map(function(h) { return h.ctx; })
        .find(function(c) { return c instanceof L.Control.Layers; });
    function drawn(l) {
        if (L.MarkerClusterGroup && l instanceof L.MarkerClusterGroup) { return drawn(l._featureGroup); }
        if (l.getLayers) { return l.getLayers().reduce(function(n, c) { return n + drawn(c); }, 0); }
        if (!map.hasLayer(l)) { return 0; }
        if (l instanceof L.ImageOverlay) { return l._image.complete && l._image.naturalWidth > 0 ? 1 : 0; }
        if (l instanceof L.Marker) { return l._icon && l._icon.isConnected ? 1 : 0; }
        if (l instanceof L.CircleMarker) { return l._empty() ? 0 : 1; }
        if (l instanceof L.Polyline) { return l._parts && l._parts.length ? 1 : 0; }
        return 0;
    }
    function entry(name) { return control._layers.find(function(e) { return e.name === name; }); }
    return {
        layers: function() {
            return control._layers.map(function(e) {
                return {name: e.name, overlay: !!e.overlay, on: map.hasLayer(e.layer)};
            });
        },
        toggle: function(name) {
            var id = L.stamp(entry(name).layer);
            control._layerControlInputs.find(function(i) { return i.layerId === id; }).click();
            return map.hasLayer(entry(name).layer);
        },
        drawn: function(name) { return drawn(entry(name).layer); },
        legends: function() {
            return Array.from(document.querySelectorAll(".territoires-legend"))
                .filter(function(e) { return e.offsetParent !== null; }).map(function(e) { return e.id; });
        },
        centres: function(name, n) {
            var box = map.getContainer().getBoundingClientRect(), out = [];
            entry(name).layer.eachLayer(function(l) {
                var p = map.latLngToContainerPoint(l.getCenter());
                var x = box.left + p.x, y = box.top + p.y, under = document.elementFromPoint(x, y);
                // Inside the window, not under a control, a legend or a facility badge.
                if (under && under.tagName === "CANVAS") {
                    out.push([x, y, l.feature.properties.nom]);
                }
            });
            return out.slice(0, n);
        },
        linePoints: function(name, n) {
            var box = map.getContainer().getBoundingClientRect(), out = [];
            (function walk(l) {
                if (l.getLayers) { l.getLayers().forEach(walk); return; }
                if (!(l instanceof L.Polyline) || l instanceof L.Polygon) { return; }
                var ll = l.getLatLngs();
                ll = L.LineUtil.isFlat(ll) ? ll : ll[0];
                var p = map.latLngToContainerPoint(ll[Math.floor(ll.length / 2)]);
                var x = box.left + p.x, y = box.top + p.y;
                var here = document.elementFromPoint(x, y), beside = document.elementFromPoint(x + 2, y);
                if (here && here.tagName === "CANVAS" && beside && beside.tagName === "CANVAS") {
                    out.push([x, y, l.feature.properties.nom]);
                }
            })(entry(name).layer);
            return out.slice(0, n);
        },
        tooltip: function() {
            var t = Array.from(document.querySelectorAll(".leaflet-tooltip"))
                .filter(function(e) { return e.style.opacity !== "0"; }).pop();
            if (!t) { return null; }
            return Array.from(t.querySelectorAll("tr")).map(function(r) {
                return [r.cells[0] ? r.cells[0].textContent : "", r.cells[1] ? r.cells[1].textContent : ""];
            });
        }
    };
})();
true
"""

#: Layers of the demo map and the legend each shows while on (None: no legend of its own).
_LEGENDS = {
    "APL (consultations/an/habitant)": "territoires-legende-apl",
    "Niveaux d'accès (type zonage)": "territoires-legende-niveaux",
    "Zones de temps d'accès": "territoires-legende-zones",
    "Temps d'accès (surface, minutes)": "territoires-legende-surface",
    "Territoires de CPTS": "territoires-legende-cpts",
    "Structures de soins (MSP, centres, hôpitaux)": "territoires-legende-structures",
    "Praticiens : Médecin généraliste": None,
    "Limites des départements": None,
}
_BACKGROUND = "Fond : communes et départements"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-carte")
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def page(demo):
    return open_page(demo / "carte.html", screenshot=demo / "carte.png", evaluate=_LEAFLET_LAYERS)


def test_default_map_runs_without_javascript_error_or_network(page):
    assert page.console_errors == []
    assert page.external_requests == []


def test_default_map_shows_layers_controls_and_legend(page, demo):
    counts = page.dom_counts
    assert counts[".leaflet-container"] == 1
    assert counts[".leaflet-control-layers"] == 1
    # Base layer (communes background) + APL, tiers, zones, surface, CPTS, practitioners, facilities, départements.
    assert counts[".leaflet-control-layers-selector"] == 9
    assert counts[".leaflet-control-search"] == 1
    # One legend per thematic layer (APL, tiers, zones, surface, CPTS, facilities), shown while the layer is on.
    assert counts[".territoires-legend"] == 6 and counts[".territoires-title"] == 1
    # The 14 MSP / centres / CPTS of the demo FINESS extract drawn as lettered badges, plus one name label per
    # CPTS catchment.
    import pyogrio

    n_catchments = len(pyogrio.read_dataframe(demo / "diagnostic.gpkg", layer="catchments"))
    assert n_catchments >= 5
    assert counts[".leaflet-marker-icon"] == 14 + n_catchments
    # Leaflet layers on the map: 347 commune polygons + containers, far more than the controls alone.
    assert page.evaluated[0] > 347


def test_default_map_screenshot_is_not_blank(page):
    stats = screenshot_stats(page.screenshot_path)
    # A choropleth of six classes over a near-white background (#fbfbf8), outlines, badges and text: thousands
    # of colours; the territory fitted in the window covers about a fifth of it (a blank page: 1 colour, 0 %).
    assert stats["distinct_colours"] > 500
    assert stats["non_white_share"] > 0.1


def test_default_map_opens_quickly(page):
    assert page.seconds_to_interactive < 5.0


def test_every_layer_ticked_draws_features_without_error_and_shows_its_legend(demo):
    with live_page(demo / "carte.html") as p:
        p.settle()
        assert p.evaluate(_PROBE) is True
        layers = p.evaluate("__t.layers()")
        names = [layer["name"] for layer in layers]
        assert sorted(names) == sorted([*_LEGENDS, _BACKGROUND])
        default_on = {layer["name"] for layer in layers if layer["on"]}
        assert default_on == {
            _BACKGROUND,
            "APL (consultations/an/habitant)",
            "Territoires de CPTS",
            "Structures de soins (MSP, centres, hôpitaux)",
            "Limites des départements",
        }
        assert p.new_errors() == []
        drawn = {}
        for name, legend in _LEGENDS.items():
            if name not in default_on:
                assert p.evaluate(f"__t.toggle({name!r})") is True
            p.settle()
            assert p.new_errors() == [], name
            drawn[name] = p.evaluate(f"__t.drawn({name!r})")
            assert drawn[name] > 0, name
            if legend is not None:
                assert legend in p.evaluate("__t.legends()"), name
            if name not in default_on:  # back off: its legend goes with it
                assert p.evaluate(f"__t.toggle({name!r})") is False
                p.settle(0.1)
                assert legend is None or legend not in p.evaluate("__t.legends()"), name
        # The commune background is drawn when the choropleth covering it is switched off.
        assert p.evaluate("__t.toggle('APL (consultations/an/habitant)')") is False
        p.settle()
        drawn[_BACKGROUND] = p.evaluate(f"__t.drawn({_BACKGROUND!r})")
        assert p.new_errors() == []
        assert "territoires-legende-apl" not in p.evaluate("__t.legends()")
    # 347 demo communes (all in view), one outline per CPTS plus its label, one image for the surface.
    assert drawn["APL (consultations/an/habitant)"] == 347
    assert drawn["Niveaux d'accès (type zonage)"] == 347
    assert drawn[_BACKGROUND] == 347
    assert drawn["Temps d'accès (surface, minutes)"] == 1
    assert drawn["Structures de soins (MSP, centres, hôpitaux)"] == 14
    assert drawn["Praticiens : Médecin généraliste"] > 0  # clusters and single practitioners at this zoom


def test_commune_tooltip_reachable_with_cpts_layer_on(demo):
    with live_page(demo / "carte.html") as p:
        p.settle()
        p.evaluate(_PROBE)
        assert p.evaluate("__t.layers()").count({"name": "Territoires de CPTS", "overlay": True, "on": True}) == 1
        centres = p.evaluate("__t.centres('APL (consultations/an/habitant)', 12)")
        assert len(centres) == 12
        tooltips = []
        for x, y, _name in centres:
            p.mouse_move(x, y)
            p.settle(0.05)
            tooltips.append(p.evaluate("__t.tooltip()"))
        assert p.new_errors() == []
    commune = [dict(t) for t in tooltips if t and t[0][0] == "Commune"]
    # The pointer at the centre of a commune meets the commune, not the CPTS drawn above it (outline only).
    assert len(commune) == 12
    for rows, (_x, _y, name) in zip(commune, centres, strict=True):
        assert rows["Commune"] == name
        assert rows["CPTS"] != "" and rows["APL"] != ""
    for t in tooltips:  # no empty row (the CPTS « Alerte » row is left out when there is no alert)
        assert all(value.strip() for _, value in t)


def test_cpts_tooltip_on_its_outline(demo):
    with live_page(demo / "carte.html") as p:
        p.settle()
        p.evaluate(_PROBE)
        points = p.evaluate("__t.linePoints('Territoires de CPTS', 5)")
        tooltips = []
        for x, y, _name in points:
            p.mouse_move(x + 2, y)  # 2 px beside the line: within the hit tolerance
            p.settle(0.05)
            tooltips.append(p.evaluate("__t.tooltip()"))
        assert p.new_errors() == []
    assert len(points) == 5
    for rows in map(dict, tooltips):
        assert rows["CPTS"] and rows["Statut"] in ("existante", "proposée") and rows["Population"]
        assert rows.get("Alerte", "non vide") != ""


def test_tiled_map_without_network_says_the_background_cannot_load(demo, tmp_path):
    out = tmp_path / "carte.html"
    args = ["map", str(demo / "diagnostic.gpkg"), "--out", str(tmp_path), "--fond-de-carte"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    with live_page(out) as p:
        p.settle(1.0)
        shown = p.evaluate(
            "(function() { var e = document.querySelector('.territoires-tiles-message'); "
            "return getComputedStyle(e).display !== 'none' ? e.textContent : null; })()"
        )
        errors = p.new_errors()
        requested = p.external_requests()
    # Only the tiles were asked for (no script or stylesheet), they failed, and the page says so; the failed tile
    # loads are the only errors logged (no JavaScript exception).
    assert requested and all(url.startswith("https://tile.openstreetmap.org/") for url in requested)
    assert shown is not None and shown.startswith("Fond de carte OpenStreetMap indisponible")
    assert not [e for e in errors if not e.startswith("log: Failed to load resource")]


_LABELS = """
(function() {
    var boxes = Array.from(document.querySelectorAll(".territoires-label")).map(function(e) {
        var r = e.getBoundingClientRect();
        return {text: e.textContent, shown: e.style.visibility !== "hidden", l: r.left, r: r.right, t: r.top,
                b: r.bottom};
    });
    var shown = boxes.filter(function(b) { return b.shown; });
    var overlaps = 0;
    shown.forEach(function(a, i) { shown.slice(i + 1).forEach(function(b) {
        if (a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b) { overlaps++; }
    }); });
    return {total: boxes.length, shown: shown.map(function(b) { return b.text; }), overlaps: overlaps};
})()
"""


def test_cpts_labels_that_would_overlap_are_hidden_until_zoomed_in(tmp_path):
    import geopandas as gpd
    import numpy as np
    import shapely

    from territoires.export.folium_map import save_map_html

    # 36 squares of 2 km, each its own CPTS with a long name: at the fitted zoom the names collide.
    xy = [(700_000 + 2_000 * i, 6_300_000 + 2_000 * j) for i in range(6) for j in range(6)]
    squares = [shapely.box(x, y, x + 2_000, y + 2_000) for x, y in xy]
    codes = [f"48{k:03d}" for k in range(36)]
    communes = gpd.GeoDataFrame(
        {"code_commune": codes, "nom": codes, "population": 1000.0, "apl": np.linspace(1, 7, 36)},
        geometry=squares,
        crs="EPSG:2154",
    )
    catchments = gpd.GeoDataFrame(
        {
            "cpts_id": codes,
            "nom": [f"CPTS du Grand Territoire {k}" for k in range(36)],
            "statut": "proposée",
            "population": np.arange(36) * 1000 + 12_000,  # the last one is the most populated
        },
        geometry=squares,
        crs="EPSG:2154",
    )
    out = save_map_html(tmp_path / "carte.html", {"communes": communes, "catchments": catchments})
    with live_page(out) as p:
        p.settle()
        before = p.evaluate(_LABELS)
        p.evaluate("Object.values(window).find(v => v instanceof L.Map).zoomIn(3, {animate: false}) && true")
        p.settle()
        after = p.evaluate(_LABELS)
        assert p.new_errors() == []
    assert before["total"] == 36 and before["overlaps"] == 0
    assert 1 <= len(before["shown"]) < 36
    assert "CPTS du Grand Territoire 35" in before["shown"]  # the most populated keeps its name
    # Zoomed in 3 levels (×8): the names no longer collide and come back (3 of 36 shown at first, then 36).
    assert after["overlaps"] == 0
    assert len(after["shown"]) > len(before["shown"])
