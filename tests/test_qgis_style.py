"""QGIS styles in the diagnostic GeoPackage: the layer_styles table read back with sqlite3 and its QML parsed."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pyogrio
import pytest

from territoires.export import geopackage, qgis_style
from territoires.export._classes import APL_BREAKS, APL_COLORS, apl_classes, class_labels
from territoires.export.geopackage import read_diagnostic_geopackage, save_diagnostic_geopackage

QGIS_COLUMNS = [
    "id",
    "f_table_catalog",
    "f_table_schema",
    "f_table_name",
    "f_geometry_column",
    "styleName",
    "styleQML",
    "styleSLD",
    "useAsDefault",
    "description",
    "owner",
    "ui",
    "update_time",
]


def _hex(rgba: str) -> str:
    r, g, b, _ = (int(x) for x in rgba.split(","))
    return f"#{r:02x}{g:02x}{b:02x}"


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory, demo_diagnostic, demo_layers_with_catchments):
    path = tmp_path_factory.mktemp("styles") / "diagnostic.gpkg"
    return save_diagnostic_geopackage(path, demo_layers_with_catchments, metadata=demo_diagnostic.metadata)


def _styles(path) -> pd.DataFrame:
    with sqlite3.connect(path) as con:
        frame = pd.read_sql_query("SELECT * FROM layer_styles ORDER BY id", con)
    con.close()
    return frame


def _default_qml(path, table: str) -> ET.Element:
    styles = _styles(path)
    row = styles.loc[(styles["f_table_name"] == table) & (styles["useAsDefault"] == 1)]
    assert len(row) == 1, f"one default style expected for {table}"
    return ET.fromstring(row["styleQML"].iloc[0].split("\n", 1)[1])  # after the DOCTYPE line


def test_layer_styles_table_has_the_qgis_schema_and_one_default_per_layer(gpkg):
    with sqlite3.connect(gpkg) as con:
        columns = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
        geometry = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        kind = con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchone()
    con.close()
    assert columns == QGIS_COLUMNS
    assert kind == ("attributes",)
    styles = _styles(gpkg)
    defaults = styles.loc[styles["useAsDefault"] == 1]
    assert sorted(defaults["f_table_name"]) == ["access_zones", "catchments", "communes"]
    assert styles.groupby("f_table_name")["useAsDefault"].sum().to_dict() == {
        "access_zones": 1,
        "catchments": 1,
        "communes": 1,
    }
    for table, column in zip(styles["f_table_name"], styles["f_geometry_column"], strict=True):
        assert geometry[table] == column


def test_communes_style_has_the_classes_and_colours_of_the_html_map(gpkg, demo_diagnostic):
    root = _default_qml(gpkg, "communes")
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "graduatedSymbol" and renderer.get("attr") == "apl"
    ranges = renderer.findall("ranges/range")
    lower = np.array([float(r.get("lower")) for r in ranges])
    upper = np.array([float(r.get("upper")) for r in ranges])
    assert len(ranges) == len(APL_BREAKS) + 1 == len(APL_COLORS)
    np.testing.assert_allclose(upper[:-1], APL_BREAKS, atol=1e-8)  # 2.5 is a class bound
    np.testing.assert_array_equal(lower[1:], upper[:-1])  # contiguous classes
    apl = demo_diagnostic.communes["apl"].to_numpy()
    assert lower[0] <= apl.min() and upper[-1] >= apl.max()
    assert [r.get("label") for r in ranges] == class_labels()
    symbols = {s.get("name"): s for s in renderer.findall("symbols/symbol")}
    colours = []
    for r in ranges:
        option = symbols[r.get("symbol")].find("layer/Option/Option[@name='color']")
        prop = symbols[r.get("symbol")].find("layer/prop[@k='color']")
        assert option.get("value") == prop.get("v")
        colours.append(_hex(option.get("value")))
    assert colours == list(APL_COLORS)


def test_qgis_classes_put_every_commune_in_the_class_of_the_map(gpkg, demo_diagnostic):
    """QGIS takes the first range with lower <= v <= upper; the map uses apl_classes: same class, bounds included."""
    ranges = _default_qml(gpkg, "communes").findall("renderer-v2/ranges/range")
    lower = np.array([float(r.get("lower")) for r in ranges])
    upper = np.array([float(r.get("upper")) for r in ranges])
    values = np.concatenate([demo_diagnostic.communes["apl"].to_numpy(), APL_BREAKS, [0.0, 2.4999, 2.5001]])
    inside = (values[:, None] >= lower[None, :]) & (values[:, None] <= upper[None, :])
    qgis = inside.argmax(axis=1)
    assert inside.any(axis=1).all()
    np.testing.assert_array_equal(qgis, apl_classes(pd.Series(values)))


def test_catchments_style_outlines_existing_solid_and_proposed_dashed(gpkg):
    root = _default_qml(gpkg, "catchments")
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "statut"
    symbols = {s.get("name"): s for s in renderer.findall("symbols/symbol")}
    seen = {}
    for cat in renderer.findall("categories/category"):
        layer = symbols[cat.get("symbol")].find("layer")
        props = {p.get("k"): p.get("v") for p in layer.findall("prop")}
        seen[cat.get("value")] = (props["style"], _hex(props["outline_color"]), props["outline_style"])
    # The HTML map draws existing CPTS in #5e3c99 and proposed ones dashed in #e66101, without fill.
    assert seen == {"existante": ("no", "#5e3c99", "solid"), "proposée": ("no", "#e66101", "dash")}
    assert root.get("labelsEnabled") == "1"
    assert root.find("labeling/settings/text-style").get("fieldName") == "nom"


def test_access_zones_style_has_one_category_per_zone_in_time_order(gpkg, demo_diagnostic):
    renderer = _default_qml(gpkg, "access_zones").find("renderer-v2")
    zones = demo_diagnostic.access_zones.sort_values("minutes_min")
    assert [c.get("value") for c in renderer.findall("categories/category")] == zones["classe_minutes"].tolist()


def test_tiers_style_is_a_second_non_default_style_of_communes(gpkg):
    styles = _styles(gpkg)
    tiers = styles.loc[styles["styleName"] == "Niveaux d'accès"]
    assert tiers["useAsDefault"].tolist() == [0]
    root = ET.fromstring(tiers["styleQML"].iloc[0].split("\n", 1)[1])
    values = [c.get("value") for c in root.findall("renderer-v2/categories/category")]
    assert values == ["ZIP", "ZAC", "HZ"]


def test_styles_are_replaced_not_duplicated(gpkg, tmp_path, demo_diagnostic, demo_layers_with_catchments):
    copy = tmp_path / "copie.gpkg"
    copy.write_bytes(gpkg.read_bytes())
    n = qgis_style.save_qgis_styles(copy, demo_layers_with_catchments, metadata=demo_diagnostic.metadata)
    assert n == 4
    assert len(_styles(copy)) == 4


def test_layer_styles_is_not_read_back_as_a_layer(gpkg):
    assert "layer_styles" in [name for name, _ in pyogrio.list_layers(gpkg)]
    layers, _, _ = read_diagnostic_geopackage(gpkg)
    assert "layer_styles" not in layers and "communes" in layers


def test_failed_styles_leave_no_geopackage(tmp_path, monkeypatch, demo_diagnostic):
    target = tmp_path / "diagnostic.gpkg"
    target.write_bytes(b"ancien")

    def boom(*args, **kwargs):
        raise RuntimeError("échec simulé")

    monkeypatch.setattr(geopackage, "save_qgis_styles", boom)
    with pytest.raises(RuntimeError, match="échec simulé"):
        geopackage.save_diagnostic_geopackage(target, demo_diagnostic.layers(), metadata={})
    assert target.read_bytes() == b"ancien"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diagnostic.gpkg"]


def test_rgba_conversion():
    assert qgis_style._rgba("#b2182b") == "178,24,43,255"
    assert _hex(qgis_style._rgba("#2166ac")) == "#2166ac"
