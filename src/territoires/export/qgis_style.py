"""QGIS layer styles stored in the GeoPackage (``layer_styles`` table), so that the layers open styled in QGIS.

QGIS reads the default style of a GeoPackage layer from the ``layer_styles`` table (the QGIS GeoPackage styling
extension): one row per style, the style itself as QML (the XML of a ``.qml`` file), ``useAsDefault = 1`` for the
one applied when the layer is opened. The classes and colours are those of the HTML map
(:mod:`territoires.export.folium_map`), so the two outputs read the same.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.key_figures import figures_of
from ..analysis.tiers import TIER_COLORS, TIER_LABELS, TIERS
from ._classes import APL_COLORS, apl_breaks, apl_classes, class_labels, unit_label

STYLE_TABLE = "layer_styles"
#: Outline colours of the CPTS territories by status, as on the HTML map.
CATCHMENT_COLORS = {"existante": "#5e3c99", "proposée": "#e66101"}
#: Fill colours of the travel-time zones, from the shortest to the longest times, as on the HTML map.
ZONE_COLORS = ("#fee5d9", "#fcae91", "#fb6a4a", "#cb181d", "#67000d")
_QGIS_VERSION = "3.28.0-Firenze"
#: Shift of the class bounds for classes closed on the left (see :func:`diagnostic_styles`).
_NUDGE = 1e-9

_CREATE = f"""
CREATE TABLE IF NOT EXISTS "{STYLE_TABLE}" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "f_table_catalog" TEXT(256),
    "f_table_schema" TEXT(256),
    "f_table_name" TEXT(256),
    "f_geometry_column" TEXT(256),
    "styleName" TEXT(30),
    "styleQML" TEXT,
    "styleSLD" TEXT,
    "useAsDefault" BOOLEAN,
    "description" TEXT,
    "owner" TEXT(30),
    "ui" TEXT(30),
    "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)
"""


def _rgba(color: str, alpha: int = 255) -> str:
    """Return a ``#rrggbb`` colour as QGIS writes it: ``"r,g,b,a"``.

    >>> _rgba("#b2182b")
    '178,24,43,255'
    """
    c = color.lstrip("#")
    return ",".join(str(int(c[i : i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _fill_symbol(name: str, *, fill: str | None, outline: str, width: float = 0.1, dash: bool = False) -> ET.Element:
    """Return a QGIS fill ``<symbol>``: plain fill (or none) and an outline (width in millimetres)."""
    props = {
        "color": _rgba(fill) if fill else "0,0,0,0",
        "style": "solid" if fill else "no",
        "outline_color": _rgba(outline),
        "outline_style": "dash" if dash else "solid",
        "outline_width": f"{width:g}",
        "outline_width_unit": "MM",
        "joinstyle": "bevel",
        "offset": "0,0",
        "offset_unit": "MM",
    }
    symbol = ET.Element("symbol", {"type": "fill", "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"})
    layer = ET.SubElement(symbol, "layer", {"class": "SimpleFill", "enabled": "1", "locked": "0", "pass": "0"})
    option = ET.SubElement(layer, "Option", {"type": "Map"})
    for key, value in props.items():  # QGIS ≥ 3.26 reads the Option map …
        ET.SubElement(option, "Option", {"type": "QString", "name": key, "value": value})
    for key, value in props.items():  # … older versions the <prop> elements.
        ET.SubElement(layer, "prop", {"k": key, "v": value})
    return symbol


def _document(renderer: ET.Element, *, label_field: str | None = None) -> str:
    """Wrap a renderer (and optional labels on ``label_field``) into a QML document."""
    root = ET.Element(
        "qgis",
        {
            "version": _QGIS_VERSION,
            "styleCategories": "Symbology|Labeling",
            "labelsEnabled": "1" if label_field else "0",
        },
    )
    root.append(renderer)
    if label_field:
        labeling = ET.SubElement(root, "labeling", {"type": "simple"})
        settings = ET.SubElement(labeling, "settings", {"calloutType": "simple"})
        ET.SubElement(
            settings,
            "text-style",
            {
                "fieldName": label_field,
                "isExpression": "0",
                "fontFamily": "Sans Serif",
                "fontSize": "9",
                "fontSizeUnit": "Point",
                "fontWeight": "75",
                "textColor": "40,40,40,255",
                "textOpacity": "1",
            },
        )
        buffer = ET.SubElement(settings, "text-buffer")
        buffer.attrib.update({"bufferDraw": "1", "bufferSize": "0.8", "bufferColor": "255,255,255,255"})
        ET.SubElement(settings, "placement", {"placement": "1", "centroidInside": "1"})
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def graduated_qml(
    attribute: str,
    breaks: Sequence[float],
    colors: Sequence[str],
    labels: Sequence[str],
    *,
    lower: float,
    upper: float,
    outline: str = "#666666",
) -> str:
    """Return the QML of a graduated renderer on ``attribute`` with the given upper class bounds.

    Parameters
    ----------
    attribute
        Field classified (e.g. ``apl``).
    breaks
        Inner class bounds, ascending; ``len(breaks) + 1`` classes.
    colors, labels
        Fill colour (``#rrggbb``) and legend label of each class.
    lower, upper
        Lower bound of the first class and upper bound of the last one (the data range, at least).
    """
    bounds = [lower, *breaks, upper]
    renderer = ET.Element(
        "renderer-v2",
        {
            "type": "graduatedSymbol",
            "attr": attribute,
            "graduatedMethod": "GraduatedColor",
            "symbollevels": "0",
            "enableorderby": "0",
            "forceraster": "0",
        },
    )
    ranges = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (lo, hi, color, label) in enumerate(zip(bounds[:-1], bounds[1:], colors, labels, strict=True)):
        ET.SubElement(
            ranges,
            "range",
            {"lower": f"{lo:.12g}", "upper": f"{hi:.12g}", "symbol": str(i), "label": label, "render": "true"},
        )
        symbols.append(_fill_symbol(str(i), fill=color, outline=outline))
    ET.SubElement(renderer, "classificationMethod", {"id": "Manual"})
    return _document(renderer)


def categorized_qml(
    attribute: str,
    categories: Sequence[tuple[str, str, str]],
    *,
    filled: bool = True,
    dashed: Sequence[str] = (),
    width: float = 0.1,
    label_field: str | None = None,
) -> str:
    """Return the QML of a categorized renderer on ``attribute``.

    Parameters
    ----------
    categories
        ``(value, colour, label)`` per category.
    filled
        Fill the polygons with the category colour; otherwise draw only their outline in that colour.
    dashed
        Values drawn with a dashed outline.
    width
        Outline width (millimetres).
    label_field
        Field shown as a label on each polygon, if any.
    """
    renderer = ET.Element(
        "renderer-v2",
        {"type": "categorizedSymbol", "attr": attribute, "symbollevels": "0", "enableorderby": "0", "forceraster": "0"},
    )
    cats = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (value, color, label) in enumerate(categories):
        ET.SubElement(cats, "category", {"value": value, "symbol": str(i), "label": label, "render": "true"})
        symbol = (
            _fill_symbol(str(i), fill=color, outline="#666666", width=width)
            if filled
            else _fill_symbol(str(i), fill=None, outline=color, width=width, dash=value in dashed)
        )
        symbols.append(symbol)
    return _document(renderer, label_field=label_field)


def diagnostic_styles(layers: Mapping[str, pd.DataFrame], *, metadata: Mapping | None = None) -> list[dict]:
    """Return the QGIS styles of the diagnostic layers present in ``layers``.

    ``communes``: graduated on ``apl`` with the classes and colours of the HTML map (default) and categorized on
    ``niveau_acces`` (second style); ``catchments``: outlines categorized on ``statut`` (existing solid, proposed
    dashed) with the CPTS name as label; ``access_zones``: categorized on ``classe_minutes``.

    Returns
    -------
    list of dict
        ``f_table_name``, ``styleName``, ``styleQML``, ``useAsDefault``, ``description`` per style.
    """
    styles: list[dict] = []
    communes = layers.get("communes")
    if communes is not None and len(communes) and "apl" in communes.columns:
        breaks = apl_breaks(communes["apl"], metadata=metadata)
        values = communes["apl"].to_numpy(dtype=float)
        top = float(np.nanmax(values)) if np.isfinite(values).any() else breaks[-1]
        # QGIS puts a value equal to a bound in the lower class. Where the map puts it in the upper class (classes
        # [a, b[), the bounds are written a hair below, so that both put every commune in the same class.
        right_closed = int(apl_classes(pd.Series([float(breaks[0])]), breaks=breaks)[0]) == 0
        bounds = breaks if right_closed else tuple(b - _NUDGE for b in breaks)
        qml = graduated_qml(
            "apl",
            bounds,
            APL_COLORS,
            class_labels(breaks),
            lower=min(0.0, float(np.nanmin(values)) if np.isfinite(values).any() else 0.0),
            upper=float(np.ceil(max(top, breaks[-1]) + 1.0)),
        )
        description = f"APL ({unit_label(metadata)}), classes de la carte HTML"
        styles.append(_row("communes", "APL (classes de la carte)", qml, True, description))
        if "niveau_acces" in communes.columns and communes["niveau_acces"].notna().any():
            labels = figures_of(layers, metadata).tier_labels
            cats = [(t, TIER_COLORS[t], labels.get(t, TIER_LABELS[t])) for t in TIERS]
            qml = categorized_qml("niveau_acces", cats)
            styles.append(_row("communes", "Niveaux d'accès", qml, False, "Niveaux d'accès (type zonage)"))
    catchments = layers.get("catchments")
    if catchments is not None and len(catchments) and "statut" in catchments.columns:
        cats = [(s, c, f"CPTS {s}") for s, c in CATCHMENT_COLORS.items()]
        qml = categorized_qml(
            "statut",
            cats,
            filled=False,
            dashed=("proposée",),
            width=0.8,
            label_field="nom" if "nom" in catchments else None,
        )
        styles.append(_row("catchments", "CPTS existantes et proposées", qml, True, "Territoires de CPTS"))
    styles.extend(comparison_styles(layers))
    zones = layers.get("access_zones")
    if zones is not None and len(zones) and "classe_minutes" in zones.columns:
        order = zones.sort_values("minutes_min")["classe_minutes"].astype(str).drop_duplicates().tolist()
        cats = [(c, ZONE_COLORS[min(i, len(ZONE_COLORS) - 1)], c) for i, c in enumerate(order)]
        qml = categorized_qml("classe_minutes", cats)
        styles.append(
            _row("access_zones", "Zones de temps d'accès", qml, True, "Temps d'accès au praticien le plus proche")
        )
    return styles


#: Classes of the ``comparison`` layer: population-weighted Jaccard of each given CPTS with its best match.
COMPARISON_BREAKS = (0.3, 0.5, 0.7)
COMPARISON_COLORS = ("#d7191c", "#fdae61", "#a6d96a", "#1a9641")
COMPARISON_LABELS = ("moins de 0,3", "0,3 à 0,5", "0,5 à 0,7", "0,7 et plus")


def comparison_styles(layers: Mapping[str, pd.DataFrame]) -> list[dict]:
    """Style of the ``comparison`` layer (given CPTS graduated on ``jaccard``), when it is present."""
    comparison = layers.get("comparison")
    if comparison is None or not len(comparison) or "jaccard" not in comparison.columns:
        return []
    qml = graduated_qml(
        "jaccard", COMPARISON_BREAKS, COMPARISON_COLORS, COMPARISON_LABELS, lower=0.0, upper=1.0 + _NUDGE
    )
    description = "Accord de chaque CPTS donnée avec le territoire proposé le plus proche (Jaccard pondéré)"
    return [_row("comparison", "Accord avec les CPTS données", qml, True, description)]


def _row(table: str, name: str, qml: str, default: bool, description: str) -> dict:
    return {
        "f_table_name": table,
        "styleName": name,
        "styleQML": qml,
        "useAsDefault": int(default),
        "description": description,
    }


def save_qgis_styles(path: str | Path, layers: Mapping[str, pd.DataFrame], *, metadata: Mapping | None = None) -> int:
    """Write the QGIS styles of the diagnostic layers into the ``layer_styles`` table of a GeoPackage.

    Existing styles of the same layers and names are replaced; the table is registered in ``gpkg_contents`` as an
    attribute table, as QGIS does.

    Parameters
    ----------
    path
        An existing GeoPackage holding the layers (written by
        :func:`territoires.export.geopackage.save_diagnostic_geopackage`).
    layers
        The layers written, by layer name (used for the classes: APL range, zone classes, statuses).
    metadata
        Run metadata (the indicator's unit decides the APL classes).

    Returns
    -------
    int
        Number of styles written.
    """
    styles = diagnostic_styles(layers, metadata=metadata)
    with sqlite3.connect(Path(path)) as con:
        geometry_columns = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        con.execute(_CREATE)
        registered = con.execute("SELECT 1 FROM gpkg_contents WHERE table_name = ?", (STYLE_TABLE,)).fetchone()
        if not registered:
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                "VALUES (?, 'attributes', ?, 'Styles QGIS', strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
                (STYLE_TABLE, STYLE_TABLE),
            )
        for style in styles:
            if style["f_table_name"] not in geometry_columns:
                continue
            con.execute(
                f'DELETE FROM "{STYLE_TABLE}" WHERE f_table_name = ? AND styleName = ?',
                (style["f_table_name"], style["styleName"]),
            )
            if style["useAsDefault"]:
                con.execute(
                    f'UPDATE "{STYLE_TABLE}" SET useAsDefault = 0 WHERE f_table_name = ?', (style["f_table_name"],)
                )
            con.execute(
                f'INSERT INTO "{STYLE_TABLE}" (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, '
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                "VALUES ('', '', ?, ?, ?, ?, '', ?, ?, '', NULL)",
                (
                    style["f_table_name"],
                    geometry_columns[style["f_table_name"]],
                    style["styleName"],
                    style["styleQML"],
                    style["useAsDefault"],
                    style["description"],
                ),
            )
    con.close()
    return sum(1 for s in styles if s["f_table_name"] in geometry_columns)
