"""The interactive HTML map (Folium): APL choropleth, access tiers, zones, CPTS, practitioners and facilities."""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

import branca
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium import plugins

from .._atomic import atomic_path
from ..analysis.tiers import TIER_COLORS, TIER_LABELS
from ..schemas import FACILITY_TYPES, PROFESSIONS
from ..settings import APL_THRESHOLD, CRS_WEB

#: APL classes (consultations/year/inhabitant): the 2.5 threshold is always a class bound.
APL_BREAKS = (1.5, 2.5, 3.5, 4.5, 6.0)
APL_COLORS = ("#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac")
FACILITY_ICONS = {
    "msp": ("plus-square", "green"),
    "centre_sante": ("medkit", "blue"),
    "cpts": ("users", "purple"),
    "hopital": ("h-square", "red"),
    "autre": ("info-circle", "gray"),
}
_SIMPLIFY_M = 60.0


def apl_classes(values: pd.Series, *, breaks: tuple[float, ...] = APL_BREAKS) -> np.ndarray:
    """Return the class index (0 … len(breaks)) of each APL value, with :mod:`mapclassify` user-defined bounds.

    >>> apl_classes(pd.Series([0.5, 2.5, 7.0])).tolist()
    [0, 2, 5]
    """
    import mapclassify

    upper = list(breaks) + [max(float(np.nanmax(values)) if len(values) else 0.0, breaks[-1]) + 1.0]
    return mapclassify.UserDefined(np.nan_to_num(values.to_numpy(dtype=float)) - 1e-12, upper).yb


def class_labels(breaks: tuple[float, ...] = APL_BREAKS) -> list[str]:
    """Return the French labels of the APL classes (``"moins de 1,5"``, ``"1,5 à 2,5"`` … ``"6 ou plus"``)."""

    def fr(x: float) -> str:
        return f"{x:g}".replace(".", ",")

    labels = [f"moins de {fr(breaks[0])}"]
    labels += [f"{fr(a)} à {fr(b)}" for a, b in zip(breaks[:-1], breaks[1:], strict=True)]
    labels.append(f"{fr(breaks[-1])} ou plus")
    return labels


def _for_web(gdf: gpd.GeoDataFrame, *, simplify: float = _SIMPLIFY_M) -> gpd.GeoDataFrame:
    """Simplify (topology-preserving) in metres, reproject to WGS84 and round coordinates to 5 decimals (~1 m)."""
    import shapely

    out = gdf.copy()
    if simplify and out.crs is not None and out.crs.is_projected:
        out["geometry"] = out.geometry.simplify(simplify, preserve_topology=True)
    out = out.to_crs(CRS_WEB)
    out["geometry"] = shapely.set_precision(out.geometry.to_numpy(), 1e-5)
    return out


def _fmt(x, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "—"
    return f"{x:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def _legend(title: str, items: list[tuple[str, str]], *, note: str = "") -> branca.element.MacroElement:
    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:14px;background:{c};margin-right:6px;'
        f'border:1px solid #555"></span>{html.escape(lab)}</div>'
        for c, lab in items
    )
    body = (
        '<div class="territoires-legend" style="position:fixed;bottom:24px;left:12px;z-index:9999;background:white;'
        'padding:8px 10px;border:1px solid #888;border-radius:4px;font:12px sans-serif;max-width:260px">'
        f"<b>{html.escape(title)}</b>{rows}"
        f'<div style="margin-top:4px;color:#444">{html.escape(note)}</div></div>'
    )
    macro = branca.element.MacroElement()
    macro._template = branca.element.Template("{% macro html(this, kwargs) %}" + body + "{% endmacro %}")
    return macro


def make_map(
    layers: Mapping[str, pd.DataFrame],
    *,
    title: str = "Accessibilité aux médecins généralistes",
    metadata: Mapping | None = None,
    surface_path: str | Path | None = None,
    offline: bool = False,
) -> folium.Map:
    """Build the interactive diagnostic map from the diagnostic layers.

    Parameters
    ----------
    layers
        ``communes`` (required, with ``apl``), and where present ``practitioners``, ``facilities``, ``catchments``,
        ``access_zones`` (schemas of :mod:`territoires.schemas`).
    title
        Title shown at the top of the map.
    metadata
        Run metadata (date and sources are shown in the note).
    surface_path
        GeoTIFF of travel time to the nearest practitioner, shown as an image overlay.
    offline
        Draw no tile layer (the commune outlines stand in for the base map).
    """
    metadata = dict(metadata or {})
    communes = _for_web(layers["communes"])
    bounds = communes.total_bounds
    m = folium.Map(
        location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
        zoom_start=9,
        tiles=None if offline else "cartodbpositron",
        control_scale=True,
        prefer_canvas=True,
    )
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    threshold = metadata.get("seuil_apl", APL_THRESHOLD)
    consultations = metadata.get("comptes", {}).get("unite", "consultations") == "consultations"
    if consultations:
        breaks = APL_BREAKS
    else:  # other professions (FTE per 100,000): quantile classes of the values themselves
        import mapclassify

        breaks = tuple(round(float(b), 1) for b in mapclassify.Quantiles(communes["apl"].to_numpy(), k=6).bins[:-1])

    # Tooltip fields, French aliases, values pre-formatted.
    view = communes.assign(
        _pop=communes["population"].map(_fmt),
        _apl=communes["apl"].map(lambda v: _fmt(v, 2)),
        _tier=communes.get("niveau_acces", pd.Series("", index=communes.index)).map(lambda t: TIER_LABELS.get(t, "")),
        _min=communes.get("minutes_praticien_proche", pd.Series(np.nan, index=communes.index)).map(
            lambda v: _fmt(v, 0) + " min" if v == v else "—"
        ),
        _cpts=communes.get("cpts_nom", pd.Series("—", index=communes.index)).fillna("—"),
        _cls=apl_classes(communes["apl"], breaks=breaks),
    )
    fields = ["nom", "code_commune", "_pop", "_apl", "_tier", "_min", "_cpts"]
    aliases = ["Commune", "Code INSEE", "Population", "APL", "Niveau d'accès", "Généraliste le plus proche", "CPTS"]
    keep = fields + ["_cls", "niveau_acces", "geometry"] if "niveau_acces" in view else fields + ["_cls", "geometry"]
    view = view[[c for c in keep if c in view.columns]]

    apl_layer = folium.GeoJson(
        view,
        name="APL (consultations/an/habitant)",
        style_function=lambda f: {
            "fillColor": APL_COLORS[int(f["properties"]["_cls"])],
            "color": "#666",
            "weight": 0.4,
            "fillOpacity": 0.75,
        },
        highlight_function=lambda f: {"weight": 2, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
        smooth_factor=1.0,
    )
    apl_layer.add_to(m)
    if "niveau_acces" in view.columns:
        folium.GeoJson(
            view[["nom", "code_commune", "_tier", "niveau_acces", "geometry"]],
            name="Niveaux d'accès (type zonage)",
            show=False,
            style_function=lambda f: {
                "fillColor": TIER_COLORS.get(f["properties"]["niveau_acces"], "#ccc"),
                "color": "#666",
                "weight": 0.3,
                "fillOpacity": 0.7,
            },
            tooltip=folium.GeoJsonTooltip(fields=["nom", "_tier"], aliases=["Commune", "Niveau d'accès"]),
        ).add_to(m)

    zones = layers.get("access_zones")
    if zones is not None and len(zones):
        z = _for_web(zones, simplify=100)
        z = z.assign(_pop=z["population"].map(_fmt))
        palette = ["#fee5d9", "#fcae91", "#fb6a4a", "#cb181d", "#67000d"]
        order = {c: i for i, c in enumerate(z.sort_values("minutes_min")["classe_minutes"])}
        folium.GeoJson(
            z[["classe_minutes", "_pop", "geometry"]],
            name="Zones de temps d'accès",
            show=False,
            style_function=lambda f: {
                "fillColor": palette[min(order.get(f["properties"]["classe_minutes"], 0), len(palette) - 1)],
                "color": "none",
                "fillOpacity": 0.6,
            },
            tooltip=folium.GeoJsonTooltip(fields=["classe_minutes", "_pop"], aliases=["Temps d'accès", "Population"]),
        ).add_to(m)

    if surface_path is not None and Path(surface_path).exists():
        _add_surface(m, Path(surface_path))

    catchments = layers.get("catchments")
    if catchments is not None and len(catchments):
        c = _for_web(catchments)
        c = c.assign(
            _pop=c["population"].map(_fmt),
            _apl=c.get("apl_moyen", pd.Series(np.nan, index=c.index)).map(lambda v: _fmt(v, 2)),
            _alerte=c.get("alerte", pd.Series("", index=c.index)).fillna(""),
        )
        folium.GeoJson(
            c[["nom", "statut", "_pop", "_apl", "_alerte", "geometry"]],
            name="Territoires de CPTS",
            style_function=lambda f: {
                "fill": False,
                "color": "#5e3c99" if f["properties"]["statut"] == "existante" else "#e66101",
                "weight": 2.5,
                "dashArray": None if f["properties"]["statut"] == "existante" else "6 4",
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["nom", "statut", "_pop", "_apl", "_alerte"],
                aliases=["CPTS", "Statut", "Population", "APL moyenne", "Alerte"],
            ),
        ).add_to(m)

    practitioners = layers.get("practitioners")
    if practitioners is not None and len(practitioners):
        p = practitioners.to_crs(CRS_WEB)
        for profession, group in p.groupby("profession"):
            cluster = plugins.MarkerCluster(name=f"Praticiens : {PROFESSIONS.get(profession, profession)}", show=False)
            for lon, lat in zip(group.geometry.x.round(5), group.geometry.y.round(5), strict=True):
                folium.CircleMarker([lat, lon], radius=4, color="#1b7837", fill=True, weight=1).add_to(cluster)
            cluster.add_to(m)

    facilities = layers.get("facilities")
    if facilities is not None and len(facilities):
        f = facilities.to_crs(CRS_WEB)
        group = folium.FeatureGroup(name="Structures de soins (MSP, centres, hôpitaux)")
        for row in f.itertuples(index=False):
            icon, color = FACILITY_ICONS.get(row.type_structure, FACILITY_ICONS["autre"])
            label = f"{FACILITY_TYPES.get(row.type_structure, '')} — {row.nom}"
            folium.Marker(
                [round(row.geometry.y, 5), round(row.geometry.x, 5)],
                tooltip=html.escape(label),
                icon=folium.Icon(icon=icon, prefix="fa", color=color),
            ).add_to(group)
        group.add_to(m)

    plugins.Search(
        layer=apl_layer, search_label="nom", placeholder="Rechercher une commune", collapsed=False, position="topright"
    ).add_to(m)
    plugins.Fullscreen(title="Plein écran", title_cancel="Quitter le plein écran").add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    labels = class_labels(breaks)
    items = list(zip(APL_COLORS, labels, strict=True))
    note = (
        f"Seuil de sous-densité : {str(threshold).replace('.', ',')} (limite des classes). " if threshold else ""
    ) + f"Source : territoires {metadata.get('version', '')}, calcul du {str(metadata.get('date', ''))[:10]}."
    unit = "consultations/an/habitant" if consultations else "ETP pour 100 000 habitants"
    m.get_root().add_child(_legend(f"APL — {unit}", items, note=note))
    title_html = (
        '<div style="position:fixed;top:10px;left:60px;z-index:9999;background:white;padding:6px 12px;'
        f'border-radius:4px;font:bold 16px sans-serif;box-shadow:0 1px 4px #888">{html.escape(title)}</div>'
    )
    m.get_root().html.add_child(folium.Element(title_html))
    return m


def _add_surface(m: folium.Map, path: Path) -> None:
    """Overlay the travel-time raster as a semi-transparent image (reprojected to WGS84 bounds)."""
    import rasterio
    from matplotlib import colormaps
    from rasterio.warp import transform_bounds

    with rasterio.open(path) as src:
        data = src.read(1, masked=True)
        west, south, east, north = transform_bounds(src.crs, CRS_WEB, *src.bounds)
    vmax = 30.0
    rgba = colormaps["magma_r"](np.clip(data.filled(np.nan) / vmax, 0, 1))
    rgba[..., 3] = np.where(np.ma.getmaskarray(data), 0, 0.6)
    folium.raster_layers.ImageOverlay(
        image=rgba, bounds=[[south, west], [north, east]], name="Temps d'accès (surface, minutes)", show=False
    ).add_to(m)


def save_map_html(
    path: str | Path,
    layers: Mapping[str, pd.DataFrame],
    *,
    title: str = "Accessibilité aux médecins généralistes",
    metadata: Mapping | None = None,
    surface_path: str | Path | None = None,
    offline: bool = False,
) -> Path:
    """Write the map to an HTML file atomically (see :func:`make_map`)."""
    path = Path(path)
    m = make_map(layers, title=title, metadata=metadata, surface_path=surface_path, offline=offline)
    with atomic_path(path) as tmp:
        m.save(str(tmp))
    return path
