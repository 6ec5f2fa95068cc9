"""The HTML map: coverage simplification, compact GeoJSON, self-contained identical pages, ``territoires map``."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from _grid import square_grid
from click.testing import CliRunner

from territoires._errors import InputError, ParameterError
from territoires.cli import cli
from territoires.export._offline import inline_assets, packaged_assets
from territoires.export.folium_map import (
    display_geometries,
    make_map,
    map_html,
    save_map_html_from_geopackage,
)
from territoires.export.geopackage import save_diagnostic_geopackage


def wiggly_grid(n: int = 4, size: float = 10_000.0, wiggle: float = 40.0, steps: int = 50) -> gpd.GeoDataFrame:
    """n × n squares in Lambert-93 whose shared edges are the same random zig-zags (many vertices, ±wiggle m)."""
    gdf = square_grid(
        [1000.0] * (n * n), ny=n, size=size, prefix="34", origin=(700_000, 6_200_000), wiggle=wiggle, steps=steps
    )
    gdf["nom"] = [f"Commune {c}" for c in gdf["code_commune"]]
    gdf["apl"] = np.linspace(0.5, 7.5, len(gdf))
    gdf["departement"] = "34"
    return gdf


def test_wiggly_grid_is_a_valid_coverage():
    grid = wiggly_grid()
    assert grid.is_valid.all()
    # 16 squares of 10 km: the zig-zags cancel out, the union is the 40 km square.
    assert grid.union_all().area == pytest.approx(40_000.0**2)
    assert grid.area.sum() == pytest.approx(40_000.0**2)


def test_coverage_simplification_keeps_shared_borders_shared():
    grid = wiggly_grid()
    before = shapely.get_num_coordinates(grid.geometry.to_numpy()).sum()
    shown = display_geometries(grid, tolerance=150.0)
    after = shapely.get_num_coordinates(shown.geometry.to_numpy()).sum()
    assert after < before / 5  # 40 m zig-zags vanish under a 150 m tolerance
    # No gap and no overlap: the cells still tile the 40 km square (back in Lambert-93; 1e-5° rounding ≈ 1 m).
    metric = shown.to_crs(2154)
    union = metric.union_all()
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert metric.area.sum() == pytest.approx(union.area, rel=1e-9)
    assert union.area == pytest.approx(40_000.0**2, rel=1e-4)


def test_coordinates_rounded_to_five_decimals():
    shown = display_geometries(wiggly_grid(), tolerance=150.0)
    xy = shapely.get_coordinates(shown.geometry.to_numpy())
    assert np.allclose(xy, np.round(xy, 5), atol=1e-12)
    assert shown.crs.to_epsg() == 4326


def test_communes_geojson_embedded_once_with_only_needed_properties():
    page = map_html(make_map({"communes": wiggly_grid()}))
    declared = re.findall(r"var territoires_communes = (\{.*?\});\n", page)
    assert len(declared) == 1  # choropleth, tiers, background and search all draw this one object
    data = json.loads(declared[0])
    assert len(data["features"]) == 16
    assert set(data["features"][0]["properties"]) == {"nom", "code", "pop", "apl", "c"}
    # Class indices with the 2.5 threshold as a bound: 0.5 → 0 (< 1.5), 2.366… → 1, 2.833… → 2, 7.5 → 5.
    classes = [f["properties"]["c"] for f in data["features"]]
    assert classes[0] == 0 and classes[4] == 1 and classes[5] == 2 and classes[-1] == 5
    assert page.count("Commune 34001") == 1


def test_default_page_has_no_external_resource():
    page = map_html(make_map({"communes": wiggly_grid()}))
    assert not re.search(r"<(script|link|img)\b[^>]*(src|href)=[\"']?https?:", page)
    for library in ("leaflet@1.9.3/dist/leaflet.js", "leaflet-search", "leaflet.fullscreen"):
        assert f"{library}" in page and "(copie intégrée)" in page
    # The search plugin's own code is inlined (its minified definition), not only our call to it.
    assert "a.Control.Search=a.Control.extend(" in page
    # jQuery, Bootstrap and Font Awesome are not needed offline: dropped rather than inlined.
    assert "jQuery" not in page and "Font Awesome" not in page
    assert "tile.openstreetmap.org" not in page and "Fond de carte OpenStreetMap indisponible" not in page
    # With the OpenStreetMap background: still self-contained scripts, tiles requested by Leaflet when online, and a
    # message shown when they cannot load; the communes background stays available as the other base layer.
    tiled = map_html(make_map({"communes": wiggly_grid()}, tiles=True))
    assert not re.search(r"<(script|link|img)\b[^>]*(src|href)=[\"']?https?:", tiled)
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in tiled
    assert 'class="territoires-tiles-message" style="display:none">Fond de carte OpenStreetMap indisponible' in tiled
    assert '.once("tileerror"' in tiled and "Fond : communes et départements" in tiled


def test_map_is_byte_identical_from_one_build_to_the_next():
    grid = wiggly_grid()
    pages = [map_html(make_map({"communes": grid}, metadata={"date": "2026-11-23"})) for _ in range(2)]
    assert pages[0] == pages[1]
    # Folium's random 32-hex ids are replaced by numbers in construction order.
    assert not re.search(r"_[0-9a-f]{32}\b", pages[0])
    assert re.search(r"var map_0002 = L\.map\(\s*\"map_0002\"", pages[0])


def test_map_sets_a_maximum_zoom_and_legends_per_layer():
    page = map_html(make_map({"communes": wiggly_grid().assign(niveau_acces="zac")}))
    # Marker clusters need a maximum zoom on the map itself when there is no tile layer.
    # (folium 0.19+ quotes the option names, folium 0.17-0.18 does not.)
    assert re.search(r'"?maxZoom"?: 18', page) and re.search(r'"?minZoom"?: 5', page)
    # APL and tiers legends, both hidden until their layer is on (the switch shows the APL one at opening).
    assert page.count('class="territoires-legend"') == 2
    assert 'id="territoires-legende-apl" style="display:none"' in page
    assert 'id="territoires-legende-niveaux" style="display:none"' in page


def test_inline_assets_replaces_links_by_packaged_copies():
    leaflet = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
    page = f'<head><script src="{leaflet}"></script><script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
    out = inline_assets(page)
    assert packaged_assets()[leaflet][:200] in out
    assert 'jquery-3.7.1.min.js"' not in out
    with pytest.raises(ParameterError, match="aucune copie intégrée"):
        inline_assets('<script src="https://example.org/unknown/lib.js"></script>')
    with pytest.raises(ParameterError, match="externe"):
        inline_assets('<img src="https://example.org/logo.png">')


@pytest.fixture()
def grid_gpkg(tmp_path):
    path = tmp_path / "diagnostic.gpkg"
    save_diagnostic_geopackage(path, {"communes": wiggly_grid()}, metadata={"seuil_apl": 2.5})
    return path


def test_cli_map_rebuilds_self_contained_map(grid_gpkg, tmp_path):
    out = tmp_path / "carte.html"
    result = CliRunner().invoke(cli, ["map", str(grid_gpkg), "--out", str(out.parent), "--title", "Hérault"])
    assert result.exit_code == 0, result.output
    assert "Carte écrite" in result.output and "autonome, sans réseau" in result.output
    page = out.read_text(encoding="utf-8")
    assert "Hérault" in page and "var territoires_communes" in page
    assert not list(tmp_path.glob(".carte-*"))  # written atomically: no temporary file left
    assert "tile.openstreetmap.org" not in page
    # The same GeoPackage gives the same bytes; --offline is still accepted (it is the default now).
    again = tmp_path / "encore"
    args = ["map", str(grid_gpkg), "--out", str(again), "--offline", "--title", "Hérault"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (again / "carte.html").read_bytes() == out.read_bytes()
    tiled = tmp_path / "osm"
    result = CliRunner().invoke(cli, ["map", str(grid_gpkg), "--out", str(tiled), "--fond-de-carte"])
    assert result.exit_code == 0 and "fond OpenStreetMap en ligne" in result.output
    assert "tile.openstreetmap.org" in (tiled / "carte.html").read_text(encoding="utf-8")


def test_cli_map_errors(tmp_path, grid_gpkg):
    not_gpkg = tmp_path / "faux.gpkg"
    not_gpkg.write_text("pas un geopackage")
    result = CliRunner().invoke(cli, ["map", str(not_gpkg), "--out", str(tmp_path / "c")])
    assert result.exit_code == 2
    assert "ce n'est pas un GeoPackage lisible" in result.output

    no_apl = tmp_path / "sans_apl.gpkg"
    save_diagnostic_geopackage(no_apl, {"communes": wiggly_grid().drop(columns="apl")})
    result = CliRunner().invoke(cli, ["map", str(no_apl), "--out", str(tmp_path / "c")])
    assert result.exit_code == 2
    assert "sans colonne 'apl'" in result.output
    assert not (tmp_path / "c.html").exists()

    other = tmp_path / "autre.gpkg"
    wiggly_grid().to_file(other, layer="zones", driver="GPKG")
    with pytest.raises(InputError, match="pas de couche 'communes'"):
        save_map_html_from_geopackage(other, tmp_path / "c.html")
