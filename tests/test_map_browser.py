"""The offline demo map opened in headless Chromium: no JavaScript error, layers, controls, legend, not blank."""

from __future__ import annotations

import pytest
from _browser import find_chromium, open_page, screenshot_stats, websocket_available
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


@pytest.fixture(scope="module")
def offline_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-hors-ligne")
    result = CliRunner().invoke(cli, ["demo", "--offline", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def page(offline_demo):
    return open_page(offline_demo / "carte.html", screenshot=offline_demo / "carte.png", evaluate=_LEAFLET_LAYERS)


def test_offline_map_runs_without_javascript_error_or_network(page):
    assert page.console_errors == []
    assert page.external_requests == []


def test_offline_map_shows_layers_controls_and_legend(page, offline_demo):
    counts = page.dom_counts
    assert counts[".leaflet-container"] == 1
    assert counts[".leaflet-control-layers"] == 1
    # Base layer (communes background) + APL, tiers, zones, surface, CPTS, practitioners, facilities, départements.
    assert counts[".leaflet-control-layers-selector"] == 9
    assert counts[".leaflet-control-search"] == 1
    assert counts[".territoires-legend"] == 1 and counts[".territoires-title"] == 1
    # The 14 MSP / centres / CPTS of the demo FINESS extract drawn as lettered badges (no font icons offline),
    # plus one name label per CPTS catchment.
    import pyogrio

    n_catchments = len(pyogrio.read_dataframe(offline_demo / "diagnostic.gpkg", layer="catchments"))
    assert n_catchments >= 5
    assert counts[".leaflet-marker-icon"] == 14 + n_catchments
    # Leaflet layers on the map: 347 commune polygons + containers, far more than the controls alone.
    assert page.evaluated[0] > 347


def test_offline_map_screenshot_is_not_blank(page):
    stats = screenshot_stats(page.screenshot_path)
    # A choropleth of six classes over a near-white background (#fbfbf8), outlines, badges and text: thousands
    # of colours; the territory fitted in the window covers about a fifth of it (a blank page: 1 colour, 0 %).
    assert stats["distinct_colours"] > 500
    assert stats["non_white_share"] > 0.1


def test_offline_map_opens_quickly(page):
    assert page.seconds_to_interactive < 5.0
