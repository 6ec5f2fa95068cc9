"""The interactive HTML map (Folium): APL choropleth, access tiers, zones, CPTS, practitioners and facilities.

The page stays small and quick to open on a modest laptop: commune polygons are simplified as a coverage (shared
borders stay shared), coordinates are rounded to 5 decimals (about 1 m), each GeoJSON carries only the properties
the tooltips need and is embedded once, however many layers draw it (choropleth, tiers, communes background,
search). The page needs no network: Leaflet and its plugins are inlined from packaged copies
(:mod:`territoires.export._offline`), facilities are lettered CSS badges and the commune and département outlines
stand in for a tiled base map. ``tiles=True`` adds an OpenStreetMap background that loads only when online (the page
says so when it cannot). Element ids are numbered in construction order, so the same layers give the same bytes.
"""

from __future__ import annotations

import html
import itertools
import json
import logging
from collections.abc import Mapping
from pathlib import Path

import branca
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium import plugins
from folium.template import Template

from .._atomic import atomic_path
from .._errors import InputError
from .._format import fr_dec, fr_int, fr_num, fr_pct
from ..analysis.key_figures import KeyFigures, figures_of
from ..analysis.tiers import TIER_COLORS
from ..schemas import FACILITY_TYPES, PROFESSIONS
from ..settings import CRS_WEB
from ._classes import APL_COLORS, apl_breaks, apl_classes, class_labels
from ._offline import inline_assets
from .facility_map import add_facility_access
from .geopackage import read_diagnostic_geopackage
from .qgis_style import CATCHMENT_COLORS

logger = logging.getLogger(__name__)

#: Facility type → (badge letter, badge colour) for the markers.
FACILITY_BADGES = {
    "msp": ("M", "#2e7d32"),
    "centre_sante": ("C", "#1565c0"),
    "cpts": ("P", "#6a1b9a"),
    "hopital": ("H", "#c62828"),
    "autre": ("?", "#616161"),
}
#: Travel-time zones, from the shortest to the longest time class.
ZONE_COLORS = ("#fee5d9", "#fcae91", "#fb6a4a", "#cb181d", "#67000d")
#: Travel-time surface: colours saturate at this many minutes.
SURFACE_MAX_MINUTES = 30.0
#: Pixels around a line that still count as pointing at it (CPTS outlines).
HIT_TOLERANCE_PX = 4
#: Zoom bounds of the map (the practitioners' marker clusters need a maximum zoom).
MIN_ZOOM, MAX_ZOOM = 5, 18
#: OpenStreetMap tiles, for the optional background (``tiles=True``).
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">contributeurs OpenStreetMap</a>'

#: Display simplification of commune polygons (metres, Lambert-93).
SIMPLIFY_M = 150.0
#: Decimals kept in WGS84 coordinates (5 decimals ≈ 1 m).
DECIMALS = 5
_COMMUNES_VAR = "territoires_communes"


def display_geometries(
    gdf: gpd.GeoDataFrame, *, tolerance: float = SIMPLIFY_M, decimals: int = DECIMALS
) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` simplified as a coverage, in WGS84, coordinates rounded, for display.

    Parameters
    ----------
    gdf
        Polygons (a coverage: communes, catchments, zones) or points, in a projected CRS (Lambert-93).
    tolerance
        Simplification tolerance in metres; polygons are simplified together with
        :func:`shapely.coverage_simplify`, so a border shared by two polygons stays shared (no gaps, no slivers).
        0 keeps the geometry as is.
    decimals
        Decimals kept in longitude/latitude (5 ≈ 1 m).
    """
    out = gdf.copy()
    geoms = out.geometry.to_numpy()
    polygonal = np.isin(shapely.get_type_id(geoms), [3, 6]) & ~shapely.is_empty(geoms)  # (Multi)Polygons
    if tolerance and out.crs is not None and out.crs.is_projected and polygonal.any():
        simplified = geoms.copy()
        if hasattr(shapely, "coverage_simplify"):  # shapely >= 2.1 (GEOS >= 3.12)
            simplified[polygonal] = shapely.coverage_simplify(geoms[polygonal], tolerance)
        else:  # pragma: no cover - older shapely: neighbours may drift apart slightly
            simplified[polygonal] = shapely.simplify(geoms[polygonal], tolerance, preserve_topology=True)
        out = out.set_geometry(gpd.GeoSeries(simplified, index=out.index, crs=out.crs))
    out = out.to_crs(CRS_WEB)
    rounded = shapely.transform(out.geometry.to_numpy(), lambda xy: np.round(xy, decimals))
    return out.set_geometry(gpd.GeoSeries(rounded, index=out.index, crs=CRS_WEB))


def _feature_collection(gdf: gpd.GeoDataFrame, properties: Mapping[str, pd.Series]) -> dict:
    """Return a GeoJSON FeatureCollection dict with only ``properties`` (name → values aligned on ``gdf``)."""
    frame = gpd.GeoDataFrame(
        {name: values.to_numpy() for name, values in properties.items()}, geometry=gdf.geometry.to_numpy(), crs=None
    )
    return json.loads(frame.to_json(drop_id=True, na="null"))


class _GeoJsonLayer(folium.GeoJson):
    """A GeoJSON layer styled by JavaScript functions, whose data is embedded once (compact) or shared.

    ``data_var`` names a JavaScript variable holding the data (declared by :class:`_GeoJsonData`); without it the
    data is embedded in the layer. A hidden layer over shared data builds its features when first shown; with
    ``filled_when_removed`` set to a layer covering it, when that layer is first switched off.
    ``style``, ``point_to_layer`` and ``highlight`` are JavaScript code; ``tooltip_fields`` (property → French
    label) builds a tooltip table that leaves out the rows whose value is empty.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson(null, {
            {%- if this.style_js %}
            style: {{ this.style_js }},
            {%- endif %}
            {%- if this.point_js %}
            pointToLayer: {{ this.point_js }},
            {%- endif %}
            {%- if this.highlight_js or this.tooltip_fields %}
            onEachFeature: function(feature, layer) {
                {%- if this.tooltip_fields %}
                layer.bindTooltip(territoiresTooltip({{ this.tooltip_fields|tojson }}), {sticky: true});
                {%- endif %}
                {%- if this.highlight_js %}
                layer.on({
                    mouseover: function(e) { e.target.setStyle({{ this.highlight_js }}); },
                    mouseout: function(e) { {{ this.get_name() }}.resetStyle(e.target); }
                });
                {%- endif %}
            },
            {%- endif %}
            ...{{ this.options|tojavascript }}
        });
        {%- if this.filled_when_removed %}
        {{ this.filled_when_removed.get_name() }}.once("remove", function() {
            {{ this.get_name() }}.addData({{ this.data_var }});
        });
        {%- elif this.lazy %}
        {{ this.get_name() }}.once("add", function() {
            {{ this.get_name() }}.addData({{ this.data_var }});
        });
        {%- else %}
        {{ this.get_name() }}.addData(
            {%- if this.data_var %}{{ this.data_var }}{% else %}{{ this.data_json }}{% endif -%}
        );
        {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: dict,
        *,
        name: str | None = None,
        data_var: str | None = None,
        style: str | None = None,
        point_to_layer: str | None = None,
        highlight: str | None = None,
        tooltip_fields: Mapping[str, str] | None = None,
        show: bool = True,
        control: bool = True,
        overlay: bool = True,
        **options,
    ):
        super().__init__(data, name=name, show=show, control=control, overlay=overlay, **options)
        self.data_var = data_var
        self.data_json = None if data_var else _compact_json(data)
        self.style_js = style
        self.point_js = point_to_layer
        self.highlight_js = highlight
        self.tooltip_fields = [[k, v] for k, v in (tooltip_fields or {}).items()]
        # A hidden layer drawing shared data builds its features when first shown: quicker opening.
        self.lazy = bool(data_var) and not show
        self.filled_when_removed = None


class _GeoJsonData(branca.element.MacroElement):
    """Declare a GeoJSON object once as a JavaScript variable, for several layers to draw."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.var }} = {{ this.data_json }};
        {% endmacro %}
        """
    )

    def __init__(self, var: str, data: dict):
        super().__init__()
        self._name = "GeoJsonData"
        self.var = var
        self.data_json = _compact_json(data)


class _Script(branca.element.MacroElement):
    """JavaScript run after the layers it names (``{layer}`` placeholders filled with their variable names)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.code() }}
        {% endmacro %}
        """
    )

    def __init__(self, code: str, **elements: branca.element.Element):
        super().__init__()
        self._name = "Script"
        self._code = code
        self._elements = elements

    def code(self) -> str:
        names = {k: v.get_name() for k, v in self._elements.items()}
        names["map"] = self._parent.get_name()
        return self._code.format(**names)


class _CommuneSearch(plugins.Search):
    """Search a commune by name: zoom to it and outline it until the search box is emptied."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new L.Control.Search({
            layer: {{ this.layer.get_name() }},
            propertyName: {{ this.search_label|tojson }},
            collapsed: false,
            textPlaceholder: {{ this.placeholder|tojson }},
            textErr: "Commune introuvable",
            textCancel: "Effacer",
            position: {{ this.position|tojson }},
            marker: false,
            moveToLocation: function(latlng, title, map) {
                map.fitBounds(latlng.layer.getBounds(), {maxZoom: 12});
            }
        });
        {{ this.get_name() }}.on('search:locationfound', function(e) {
            {{ this.layer.get_name() }}.resetStyle();
            e.layer.setStyle({weight: 3, color: "#000"});
            e.layer.openTooltip();
        });
        {{ this.get_name() }}.on('search:collapsed', function(e) { {{ this.layer.get_name() }}.resetStyle(); });
        {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
        {% endmacro %}
        """
    )


def _compact_json(data: dict) -> str:
    """JSON without spaces, safe inside a ``<script>`` element."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")


def _legend_html(key: str, title: str, items: list[tuple[str, str]], *, note: str = "") -> str:
    """One legend box (``items``: swatch CSS, label), hidden until its layer is shown (see :func:`_legend_switch`).

    A swatch is a colour (``#b2182b``) or any CSS ``background`` / ``border`` declaration (``border-top: …``).
    """

    def swatch(css: str) -> str:
        fill = f"background:{css}" if css.startswith("#") else css
        return f'<span class="territoires-swatch" style="{html.escape(fill)}"></span>'

    rows = "".join(f"<div>{swatch(c)}{html.escape(lab)}</div>" for c, lab in items)
    note_html = f'<div class="territoires-note">{html.escape(note)}</div>' if note else ""
    return (
        f'<div class="territoires-legend" id="territoires-legende-{key}" style="display:none">'
        f"<b>{html.escape(title)}</b>{rows}{note_html}</div>"
    )


_PAGE_CSS = """<style>
.territoires-badge { width: 20px; height: 20px; border-radius: 50%; color: white; border: 2px solid white;
  font: bold 11px/20px sans-serif; text-align: center; box-shadow: 0 1px 3px rgba(0,0,0,.5); }
.leaflet-container.leaflet-container { background: #fbfbf8; }
.territoires-legends { position: fixed; bottom: 56px; left: 12px; z-index: 9999; display: flex;
  flex-direction: column-reverse; gap: 6px; max-height: calc(100% - 120px); overflow-y: auto; }
.territoires-legend { background: white; padding: 6px 10px; border: 1px solid #888; border-radius: 4px;
  font: 12px sans-serif; max-width: 260px; }
.territoires-swatch { display: inline-block; width: 14px; height: 14px; margin-right: 6px; vertical-align: middle;
  border: 1px solid #555; box-sizing: border-box; }
.territoires-note { margin-top: 4px; color: #444; }
.territoires-tooltip th { text-align: left; padding-right: 8px; font-weight: normal; color: #555; }
.territoires-tooltip td { font-weight: bold; }
.territoires-label { font: bold 11px sans-serif; color: #3b2a66; white-space: nowrap; text-align: center;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff; transform: translate(-50%, -50%); }
.territoires-tiles-message { position: fixed; top: 52px; left: 50%; transform: translateX(-50%); z-index: 9999;
  background: #fff3cd; border: 1px solid #c9a227; border-radius: 4px; padding: 4px 10px; font: 12px sans-serif; }
</style>"""

#: Helpers shared by the layers: a tooltip table without empty rows; labels hidden where they would overlap.
_PAGE_JS = """<script>
function territoiresTooltip(fields) {
    return function(layer) {
        var p = layer.feature.properties, t = document.createElement("table");
        t.className = "territoires-tooltip";
        fields.forEach(function(f) {
            var v = p[f[0]];
            if (v === null || v === undefined || v === "") { return; }
            var row = t.insertRow(), th = document.createElement("th");
            th.textContent = f[1];
            row.appendChild(th);
            row.insertCell().textContent = v;
        });
        return t;
    };
}
function territoiresDeclutter(labels) {
    var markers = [], kept = [];
    labels.eachLayer(function(m) { if (m.getElement()) { markers.push(m); } });
    markers.sort(function(a, b) { return b.feature.properties.rang - a.feature.properties.rang; });
    markers.forEach(function(m) {
        var box = m.getElement().firstChild;
        box.style.visibility = "";
        var r = box.getBoundingClientRect();
        var overlaps = kept.some(function(k) {
            return r.left < k.right + 4 && r.right + 4 > k.left && r.top < k.bottom && r.bottom > k.top;
        });
        if (overlaps) { box.style.visibility = "hidden"; } else { kept.push(r); }
    });
}
</script>"""


def _js_lookup(mapping: Mapping, key: str, default: str) -> str:
    """JavaScript expression ``{...}[key] || default`` for a style table."""
    return f"({json.dumps(dict(mapping), ensure_ascii=False)}[{key}] || {json.dumps(default)})"


def _departements(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Dissolve the (already simplified) communes into département outlines (code from the column or the INSEE code)."""
    code = communes["departement"] if "departement" in communes else None
    if code is None or code.isna().all():
        insee = communes["code_commune"].astype(str)
        code = insee.str[:2].where(~insee.str.startswith("97"), insee.str[:3])
    groups = communes.geometry.groupby(code.fillna("").to_numpy())
    outlines = [shapely.boundary(shapely.union_all(g.to_numpy())) for _, g in groups]
    return gpd.GeoDataFrame({"departement": list(groups.groups)}, geometry=outlines, crs=communes.crs)


def _communes_properties(
    communes: gpd.GeoDataFrame, breaks: tuple[float, ...], labels: Mapping[str, str]
) -> dict[str, pd.Series]:
    """Return the properties of the commune features: tooltip figures pre-formatted in French, class and tier codes."""
    idx = communes.index
    props = {
        "nom": communes["nom"].fillna("").astype(str),
        "code": communes["code_commune"].astype(str),
        "pop": communes["population"].map(fr_int),
        "apl": communes["apl"].map(fr_dec),
    }
    if "niveau_acces" in communes:
        tier = communes["niveau_acces"].fillna("")
        props["niv"] = tier.map(lambda t: labels.get(t, "—"))
        props["t"] = tier.astype(str)
    if "minutes_praticien_proche" in communes:
        props["min"] = communes["minutes_praticien_proche"].map(lambda v: fr_int(v) + " min" if v == v else "—")
    if "cpts_nom" in communes:
        props["cpts"] = communes["cpts_nom"].fillna("aucune").astype(str)
    props["c"] = pd.Series(apl_classes(communes["apl"], breaks=breaks).astype(int), index=idx)
    return props


_COMMUNE_ALIASES = {
    "nom": "Commune",
    "code": "Code INSEE",
    "pop": "Population",
    "apl": "APL",
    "niv": "Niveau d'accès",
    "min": "Généraliste le plus proche",
    "cpts": "CPTS",
}


def make_map(
    layers: Mapping[str, pd.DataFrame],
    *,
    title: str = "Accessibilité aux médecins généralistes",
    metadata: Mapping | None = None,
    surface_path: str | Path | None = None,
    tiles: bool = False,
    simplify: float = SIMPLIFY_M,
    figures: KeyFigures | None = None,
) -> folium.Map:
    """Build the interactive diagnostic map from the diagnostic layers.

    Parameters
    ----------
    layers
        ``communes`` (required, with ``apl``), and where present ``practitioners``, ``facilities``, ``catchments``,
        ``access_zones`` (schemas of :mod:`territoires.schemas`), in a projected CRS (Lambert-93).
    title
        Title shown at the top of the map.
    metadata
        Run metadata (date and sources are shown in the note).
    surface_path
        GeoTIFF of travel time to the nearest practitioner (minutes), shown as an image overlay.
    tiles
        Add an OpenStreetMap background, loaded from the Internet when the page is opened (a message on the page
        says when it cannot load). Without it, and as the other choice of background, a light layer of the
        communes stands in for the base map. Either way the scripts are inlined by :func:`map_html`.
    simplify
        Display simplification of polygons, in metres (see :func:`display_geometries`).
    figures
        Key figures of the run (threshold, tier labels, unit); by default those of ``metadata``, else computed
        from the layers (:func:`territoires.analysis.key_figures.figures_of`).

    Notes
    -----
    Each thematic layer (APL classes, access tiers, zones, travel-time surface, CPTS, facilities) has its legend,
    shown while the layer is on. Element ids are numbered in construction order when the page is rendered by
    :func:`map_html`: the same layers give byte-identical pages.
    """
    metadata = dict(metadata or {})
    figures = figures or figures_of(layers, metadata)
    communes = display_geometries(layers["communes"], tolerance=simplify)
    bounds = communes.total_bounds
    m = folium.Map(
        location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
        zoom_start=9,
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
    )
    # Leaflet needs a maximum zoom on the map itself when no tile layer gives one (marker clusters ask for it).
    # Leaflet's own spelling: folium 0.19+ camel-cases option names itself, folium 0.17-0.18 writes them as given.
    m.options["minZoom"], m.options["maxZoom"] = MIN_ZOOM, MAX_ZOOM
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    m.get_root().header.add_child(folium.Element(_PAGE_CSS), name="territoires_css")
    m.get_root().header.add_child(folium.Element(_PAGE_JS), name="territoires_js")
    threshold = figures.threshold
    breaks = apl_breaks(communes["apl"], metadata={"chiffres_cles": {"unit": figures.unit}})

    props = _communes_properties(communes, breaks, figures.tier_labels)
    data = _feature_collection(communes, props)
    # One canvas for every overlay (a second canvas would take the mouse from the first), with a few pixels of
    # tolerance so that the thin CPTS outlines can be pointed at.
    _Script(f"{{map}}.options.renderer = L.canvas({{{{tolerance: {HIT_TOLERANCE_PX}}}}});").add_to(m)
    m.add_child(_GeoJsonData(_COMMUNES_VAR, data))
    tooltip_fields = {f: _COMMUNE_ALIASES[f] for f in _COMMUNE_ALIASES if f in props}
    legends: list[tuple[folium.map.Layer, str]] = []  # (layer, legend HTML)

    apl_layer = _GeoJsonLayer(
        data,
        data_var=_COMMUNES_VAR,
        name=f"APL ({figures.unit_label})",
        style=(
            f"function(f) {{ return {{fillColor: {json.dumps(list(APL_COLORS))}[f.properties.c], "
            'color: "#666", weight: 0.4, fillOpacity: 0.75}; }'
        ),
        highlight='{weight: 2, color: "#000"}',
        tooltip_fields=tooltip_fields,
    )
    apl_layer.add_to(m)
    note = (
        f"Seuil de sous-densité : {fr_num(threshold)} (limite des classes). " if threshold else ""
    ) + f"Source : territoires {metadata.get('version', '')}, calcul du {str(metadata.get('date', ''))[:10]}."
    unit = figures.unit_label
    apl_items = list(zip(APL_COLORS, class_labels(breaks), strict=True))
    legends.append((apl_layer, _legend_html("apl", f"APL — {unit}", apl_items, note=note)))

    # The base map: commune outlines in a pane below every overlay. Without tiles it is built when the choropleth
    # that covers it is first switched off (drawing it at once would double the opening time).
    folium.map.CustomPane("fond", z_index=350, pointer_events=False).add_to(m)
    if tiles:
        osm = folium.TileLayer(
            OSM_TILES, attr=OSM_ATTRIBUTION, name="Fond OpenStreetMap (en ligne)", max_zoom=MAX_ZOOM, overlay=False
        )
        osm.add_to(m)
    background = _GeoJsonLayer(
        data,
        data_var=_COMMUNES_VAR,
        name="Fond : communes et départements",
        overlay=False,
        show=not tiles,
        style='function(f) { return {fillColor: "#f2f0eb", fillOpacity: 1, color: "#b5b1a8", weight: 0.5}; }',
        interactive=False,
        pane="fond",
    )
    if not tiles:
        background.filled_when_removed = apl_layer
    background.add_to(m)
    if tiles:
        message = (
            "Fond de carte OpenStreetMap indisponible (pas de connexion à Internet) : "
            "les couches de la carte restent utilisables ; choisissez « Fond : communes et départements »."
        )
        m.get_root().html.add_child(
            folium.Element(f'<div class="territoires-tiles-message" style="display:none">{html.escape(message)}</div>')
        )
        _Script(
            '{osm}.once("tileerror", function() {{ '
            'document.querySelector(".territoires-tiles-message").style.display = ""; }});\n'
            '{map}.on("baselayerchange", function(e) {{ if (e.layer !== {osm}) {{ '
            'document.querySelector(".territoires-tiles-message").style.display = "none"; }} }});',
            osm=osm,
        ).add_to(m)

    if "t" in props:
        tiers_layer = _GeoJsonLayer(
            data,
            data_var=_COMMUNES_VAR,
            name="Niveaux d'accès (type zonage)",
            show=False,
            style=(
                "function(f) { return {fillColor: "
                + _js_lookup(TIER_COLORS, "f.properties.t", "#cccccc")
                + ', color: "#666", weight: 0.3, fillOpacity: 0.7}; }'
            ),
            highlight='{weight: 2, color: "#000"}',
            tooltip_fields=tooltip_fields,
        )
        tiers_layer.add_to(m)
        labels = figures.tier_labels
        present = [t for t in TIER_COLORS if t in set(props["t"])]
        items = [(TIER_COLORS[t], labels.get(t, t)) for t in present]
        legends.append((tiers_layer, _legend_html("niveaux", "Niveaux d'accès (type zonage)", items)))

    zones = layers.get("access_zones")
    if zones is not None and len(zones):
        legends.append(_add_zones(m, display_geometries(zones, tolerance=max(simplify, 100.0))))

    if surface_path is not None and Path(surface_path).exists():
        legends.append(_add_surface(m, Path(surface_path)))

    catchments = layers.get("catchments")
    if catchments is not None and len(catchments):
        legends.append(_add_catchments(m, display_geometries(catchments, tolerance=simplify)))

    practitioners = layers.get("practitioners")
    if practitioners is not None and len(practitioners):
        _add_practitioners(m, display_geometries(practitioners, tolerance=0))

    facilities = layers.get("facilities")
    if facilities is not None and len(facilities):
        legends.append(_add_facilities(m, display_geometries(facilities, tolerance=0)))

    add_facility_access(m, communes, layers, metadata=metadata)  # diagnose --bpe: difficulties, equipment

    # Département outlines on top of every fill, in their own pane that lets the mouse through.
    folium.map.CustomPane("departements", z_index=450, pointer_events=False).add_to(m)
    outlines = _departements(communes)
    _GeoJsonLayer(
        _feature_collection(outlines, {"departement": outlines["departement"]}),
        name="Limites des départements",
        style='function(f) { return {color: "#333", weight: 1.4, fill: false}; }',
        pane="departements",
        interactive=False,
    ).add_to(m)

    _CommuneSearch(
        layer=apl_layer, search_label="nom", placeholder="Rechercher une commune", position="topright"
    ).add_to(m)
    plugins.Fullscreen(title="Plein écran", title_cancel="Quitter le plein écran").add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(
        folium.Element('<div class="territoires-legends">' + "".join(h for _, h in legends) + "</div>")
    )
    _legend_switch(m, legends)
    title_html = (
        '<div class="territoires-title" style="position:fixed;top:10px;left:60px;z-index:9999;background:white;'
        f'padding:6px 12px;border-radius:4px;font:bold 16px sans-serif;box-shadow:0 1px 4px #888">'
        f"{html.escape(title)}</div>"
    )
    m.get_root().html.add_child(folium.Element(title_html))
    return m


def _legend_switch(m: folium.Map, legends: list[tuple[folium.map.Layer, str]]) -> None:
    """Show each legend while its layer is on the map, hide it otherwise."""
    pairs = ", ".join(f'[{{l{i}}}, "{_legend_id(h)}"]' for i, (_, h) in enumerate(legends))
    code = (
        "(function() {{\n"
        f"    var pairs = [{pairs}];\n"
        "    function update() {{ pairs.forEach(function(p) {{\n"
        "        var e = document.getElementById(p[1]);\n"
        '        if (e) {{ e.style.display = {map}.hasLayer(p[0]) ? "" : "none"; }}\n'
        "    }}); }}\n"
        '    {map}.on("overlayadd overlayremove", update);\n'
        "    update();\n"
        "}})();"
    )
    _Script(code, **{f"l{i}": layer for i, (layer, _) in enumerate(legends)}).add_to(m)


def _legend_id(legend_html: str) -> str:
    return legend_html.split('id="', 1)[1].split('"', 1)[0]


def _add_zones(m: folium.Map, zones: gpd.GeoDataFrame) -> tuple[folium.map.Layer, str]:
    """Travel-time zones, darker for longer times; return the layer and its legend."""
    order = zones.sort_values("minutes_min")["classe_minutes"].drop_duplicates().tolist()
    colors = {c: ZONE_COLORS[min(i, len(ZONE_COLORS) - 1)] for i, c in enumerate(order)}
    props = {"classe": zones["classe_minutes"].astype(str), "pop": zones["population"].map(fr_int)}
    layer = _GeoJsonLayer(
        _feature_collection(zones, props),
        name="Zones de temps d'accès",
        show=False,
        style="function(f) { return {fillColor: "
        + _js_lookup(colors, "f.properties.classe", ZONE_COLORS[0])
        + ", stroke: false, fillOpacity: 0.6}; }",
        tooltip_fields={"classe": "Temps d'accès", "pop": "Population"},
    )
    layer.add_to(m)
    items = [(color, str(c)) for c, color in colors.items()]
    return layer, _legend_html("zones", "Temps d'accès au généraliste le plus proche", items)


def _add_catchments(m: folium.Map, catchments: gpd.GeoDataFrame) -> tuple[folium.map.Layer, str]:
    """CPTS outlines (existing solid purple, proposed dashed orange) with their name as a label.

    Only the outline reacts to the mouse (lines, no fill), so the commune under the pointer keeps its tooltip (which
    names its CPTS); names that would overlap another, more populated CPTS's name are hidden until zoomed in.
    """
    idx = catchments.index

    def column(name: str, default) -> pd.Series:
        return catchments[name] if name in catchments else pd.Series(default, index=idx)

    props = {
        "nom": column("nom", "").fillna("").astype(str),
        "statut": column("statut", "").fillna("").astype(str),
        "pop": column("population", np.nan).map(fr_int),
        "apl": column("apl_moyen", np.nan).map(fr_dec),
        "alerte": column("alerte", "").fillna("").astype(str),
    }
    existing, proposed = CATCHMENT_COLORS["existante"], CATCHMENT_COLORS["proposée"]
    tooltip_fields = {"nom": "CPTS", "statut": "Statut", "pop": "Population", "apl": "APL moyenne", "alerte": "Alerte"}
    for kind, label in (("hopital", "hôpital"), ("urgences", "urgences")):  # diagnose --bpe: CPTS ↔ hospital
        if f"{kind}_plus_proche" in catchments:
            props[f"{kind}_pp"] = column(f"{kind}_plus_proche", "").fillna("—").astype(str)
            props[f"{kind}_au_dela"] = column(f"part_pop_{kind}_au_dela", np.nan).map(fr_pct)
            tooltip_fields[f"{kind}_pp"] = f"Plus proche ({label})"
            tooltip_fields[f"{kind}_au_dela"] = f"Population au-delà du seuil ({label})"
    group = folium.FeatureGroup(name="Territoires de CPTS").add_to(m)
    # Drawn as lines, not unfilled polygons: on a canvas Leaflet still finds an unfilled polygon under the pointer.
    outlines = gpd.GeoDataFrame(geometry=catchments.geometry.boundary.to_numpy(), crs=CRS_WEB)
    _GeoJsonLayer(
        _feature_collection(outlines, props),
        control=False,
        style=(
            'function(f) { var e = f.properties.statut === "existante"; return {'
            f'color: e ? "{existing}" : "{proposed}", weight: 2.5, dashArray: e ? null : "6 4"}}; }}'
        ),
        tooltip_fields=tooltip_fields,
    ).add_to(group)
    points = gpd.GeoSeries(shapely.point_on_surface(catchments.geometry.to_numpy()), crs=CRS_WEB)
    rank = column("population", 0.0).fillna(0.0).to_numpy(dtype=float)
    labels = _GeoJsonLayer(
        _feature_collection(gpd.GeoDataFrame(geometry=points), {"nom": props["nom"], "rang": pd.Series(rank)}),
        control=False,
        point_to_layer=(
            "function(f, latlng) { var d = document.createElement('div'); d.textContent = f.properties.nom; "
            "return L.marker(latlng, {interactive: false, keyboard: false, icon: L.divIcon({className: "
            "'territoires-cpts-label', html: '<div class=\"territoires-label\">' + d.innerHTML + '</div>', "
            "iconSize: null})}); }"
        ),
    )
    labels.add_to(group)
    _Script(
        "function {labels}Declutter() {{ if ({map}.hasLayer({labels})) {{ territoiresDeclutter({labels}); }} }}\n"
        '{map}.on("zoomend moveend overlayadd", {labels}Declutter);\n'
        "{map}.whenReady(function() {{ setTimeout({labels}Declutter, 0); }});",
        labels=labels,
    ).add_to(m)
    items = [
        (f"border:none;border-top:3px solid {existing};height:3px", "CPTS existante"),
        (f"border:none;border-top:3px dashed {proposed};height:3px", "CPTS proposée"),
    ]
    note = "Noms masqués là où ils se chevauchent : zoomez pour les voir."
    return group, _legend_html("cpts", "Territoires de CPTS", items, note=note)


def _add_practitioners(m: folium.Map, practitioners: gpd.GeoDataFrame) -> None:
    """One clustered layer per profession; each practitioner a small circle."""
    for profession, group in practitioners.groupby("profession"):
        label = PROFESSIONS.get(profession, profession)
        names = group["nom"] if "nom" in group else pd.Series(None, index=group.index, dtype=object)
        props = {"nom": names.fillna(label).astype(str)}
        cluster = plugins.MarkerCluster(name=f"Praticiens : {label}", show=False).add_to(m)
        _GeoJsonLayer(
            _feature_collection(group, props),
            control=False,
            point_to_layer=(
                "function(f, latlng) { var d = document.createElement('div'); d.textContent = f.properties.nom; "
                "return L.circleMarker(latlng, "
                '{radius: 4, color: "#1b7837", weight: 1, fillOpacity: 0.6}).bindTooltip(d.innerHTML); }'
            ),
        ).add_to(cluster)


def _add_facilities(m: folium.Map, facilities: gpd.GeoDataFrame) -> tuple[folium.map.Layer, str]:
    """MSP, centres de santé, CPTS and hospitals as lettered badges; return the layer and its legend."""
    group = folium.FeatureGroup(name="Structures de soins (MSP, centres, hôpitaux)").add_to(m)
    kind = facilities["type_structure"].where(facilities["type_structure"].isin(list(FACILITY_BADGES)), "autre")
    label = kind.map(lambda k: FACILITY_TYPES.get(k, "")) + " — " + facilities["nom"].fillna("").astype(str)
    props = {"type": kind, "label": label}
    badges = {k: {"letter": v[0], "badge": v[1]} for k, v in FACILITY_BADGES.items()}
    icon = (
        "L.divIcon({className: '', iconSize: [24, 24], iconAnchor: [12, 12], html: '<div "
        "class=\"territoires-badge\" style=\"background:' + s.badge + '\">' + s.letter + '</div>'})"
    )
    _GeoJsonLayer(
        _feature_collection(facilities, props),
        control=False,
        point_to_layer=(
            f"function(f, latlng) {{ var s = {json.dumps(badges, ensure_ascii=False)}[f.properties.type]; "
            f"var d = document.createElement('div'); d.textContent = f.properties.label; "
            f"return L.marker(latlng, {{icon: {icon}}}).bindTooltip(d.innerHTML); }}"
        ),
    ).add_to(group)
    present = [k for k in FACILITY_BADGES if k in set(kind)]
    items = [(f"background:{colour};border-radius:50%", f"{letter} : {FACILITY_TYPES.get(k, k)}")
             for k in present for letter, colour in [FACILITY_BADGES[k]]]  # fmt: skip
    return group, _legend_html("structures", "Structures de soins", items)


def _add_surface(m: folium.Map, path: Path) -> tuple[folium.map.Layer, str]:
    """Overlay the travel-time raster as a semi-transparent image (reprojected to WGS84 bounds), with its legend."""
    import rasterio
    from matplotlib import colormaps
    from matplotlib.colors import to_hex
    from rasterio.warp import transform_bounds

    with rasterio.open(path) as src:
        data = src.read(1, masked=True)
        west, south, east, north = transform_bounds(src.crs, CRS_WEB, *src.bounds)
    cmap = colormaps["magma_r"]
    rgba = cmap(np.clip(data.filled(np.nan) / SURFACE_MAX_MINUTES, 0, 1))
    rgba[..., 3] = np.where(np.ma.getmaskarray(data), 0, 0.6)
    layer = folium.raster_layers.ImageOverlay(
        image=rgba, bounds=[[south, west], [north, east]], name="Temps d'accès (surface, minutes)", show=False
    )
    layer.add_to(m)
    steps = np.linspace(0.0, SURFACE_MAX_MINUTES, 4)
    items = [(to_hex(cmap(float(v) / SURFACE_MAX_MINUTES)), f"{v:g} min") for v in steps[:-1]]
    items.append((to_hex(cmap(1.0)), f"{SURFACE_MAX_MINUTES:g} min ou plus"))
    return layer, _legend_html("surface", "Temps d'accès au généraliste le plus proche", items)


def _number_elements(m: folium.Map) -> None:
    """Replace Folium's random element ids by numbers in construction order: same map, same bytes."""
    counter = itertools.count(1)

    def walk(element: branca.element.Element) -> None:
        element._id = f"{next(counter):04d}"
        for child in element._children.values():
            walk(child)

    walk(m.get_root())


def map_html(m: folium.Map) -> str:
    """Render the map to a complete, self-contained HTML page (every script and stylesheet inlined).

    Element ids are numbered in construction order, so two renderings of the same layers are byte-identical.
    """
    _number_elements(m)
    return inline_assets(m.get_root().render())


def save_map_html(
    path: str | Path,
    layers: Mapping[str, pd.DataFrame],
    *,
    title: str = "Accessibilité aux médecins généralistes",
    metadata: Mapping | None = None,
    surface_path: str | Path | None = None,
    tiles: bool = False,
    figures: KeyFigures | None = None,
) -> Path:
    """Write the self-contained map to an HTML file atomically (see :func:`make_map`)."""
    path = Path(path)
    m = make_map(layers, title=title, metadata=metadata, surface_path=surface_path, tiles=tiles, figures=figures)
    page = map_html(m)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(page, encoding="utf-8")
    logger.info("map written: %s (%.1f MB)", path, len(page.encode()) / 1e6)
    return path


def save_map_html_from_geopackage(
    geopackage: str | Path,
    out: str | Path,
    *,
    title: str = "Accessibilité aux médecins généralistes",
    tiles: bool = False,
    surface_path: str | Path | None = None,
) -> Path:
    """Rebuild ``carte.html`` from a diagnostic GeoPackage written by ``territoires diagnose``.

    Parameters
    ----------
    geopackage
        ``diagnostic.gpkg``: a ``communes`` layer with an ``apl`` column is required; ``practitioners``,
        ``facilities``, ``catchments`` and ``access_zones`` are drawn where present; the run metadata gives the
        date, version and unit shown in the legend.
    out
        HTML file to write (atomically).
    title, tiles
        See :func:`make_map`.
    surface_path
        Travel-time GeoTIFF; by default ``temps_acces.tif`` beside the GeoPackage, when it exists.

    Raises
    ------
    InputError
        If the file is not a readable GeoPackage, has no ``communes`` layer, or that layer lacks a column the map
        needs (``apl``, ``code_commune``, ``nom``, ``population``) or has no geometry.
    """
    geopackage = Path(geopackage)
    layers, metadata, figures = read_diagnostic_geopackage(geopackage)
    communes = layers["communes"]
    missing = [c for c in ("apl", "code_commune", "nom", "population") if c not in communes.columns]
    if missing:
        msg = (
            f"{geopackage}: couche 'communes' sans colonne {', '.join(repr(c) for c in missing)} "
            f"(colonnes trouvées : {', '.join(map(str, communes.columns))}) ; un GeoPackage écrit par "
            "« territoires diagnose » était attendu."
        )
        raise InputError(msg)
    if not isinstance(communes, gpd.GeoDataFrame) or communes.crs is None or communes.geometry.is_empty.all():
        raise InputError(f"{geopackage}: la couche 'communes' n'a pas de géométrie ou pas de système de coordonnées.")
    if surface_path is None:
        beside = geopackage.with_name("temps_acces.tif")
        surface_path = beside if beside.exists() else None
    map_layers = {k: v for k, v in layers.items() if isinstance(v, gpd.GeoDataFrame)}
    return save_map_html(
        out, map_layers, title=title, metadata=metadata, surface_path=surface_path, tiles=tiles, figures=figures
    )
