"""Map layers of the access to facilities: the combined difficulty per commune and the facilities themselves."""

from __future__ import annotations

from collections.abc import Mapping

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from ..settings import CRS_WEB

__all__ = ["DIFFICULTY_COLORS", "EQUIPMENT_COLORS", "add_facility_access", "minutes_label"]

#: Fill colours by number of difficulties (0, 1, 2, 3 or more).
DIFFICULTY_COLORS = ("#f7f7f7", "#fdd49e", "#fc8d59", "#b30000")
#: Marker colours by kind of facility.
EQUIPMENT_COLORS = {
    "urgences": "#d7301f",
    "maternite": "#ae017e",
    "pharmacie": "#238b45",
    "hopital": "#2b8cbe",
    "centre_sante": "#ec7014",
    "msp": "#8856a7",
    "medecin_generaliste": "#1b7837",
}
#: French names of the ``minutes_<kind>`` columns in tooltips.
MINUTES_ALIASES = {
    "urgences": "Urgences les plus proches",
    "maternite": "Maternité la plus proche",
    "pharmacie": "Pharmacie la plus proche",
    "hopital": "Hôpital le plus proche",
}


def minutes_label(value: float, reach: float | None = None) -> str:
    """French label of a time to the nearest facility: ``12 min``, or beyond the search reach.

    >>> minutes_label(12.4), minutes_label(float("nan"), 90)
    ('12 min', 'plus de 90 min')
    """
    if value is None or not np.isfinite(value):
        return f"plus de {reach:g} min" if reach else "hors de portée"
    return f"{value:.0f} min"


def _points_web(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.to_crs(CRS_WEB)


def add_facility_access(
    m: folium.Map, communes: gpd.GeoDataFrame, layers: Mapping[str, pd.DataFrame], *, metadata: Mapping | None = None
) -> None:
    """Add the "difficultés cumulées" choropleth and the facilities (``equipements`` layer) to a map.

    ``communes`` are the display geometries (EPSG:4326) of the communes layer, with ``nb_difficultes``,
    ``difficultes`` and ``minutes_<kind>`` where computed. Nothing is added when neither is present.
    """
    reach = ((metadata or {}).get("acces_equipements") or {}).get("parametres", {}).get("portee_minutes")
    kinds = [
        c.removeprefix("minutes_")
        for c in communes.columns
        if c.startswith("minutes_") and c != "minutes_praticien_proche"
    ]
    if "nb_difficultes" in communes.columns:
        props = pd.DataFrame(
            {
                "nom": communes["nom"].fillna("").astype(str) if "nom" in communes else communes["code_commune"],
                "difficultes": communes["difficultes"].fillna("").astype(str),
                "n": communes["nb_difficultes"].clip(upper=len(DIFFICULTY_COLORS) - 1).astype(int),
            }
        )
        fields, aliases = ["nom", "difficultes"], ["Commune", "Difficultés"]
        for kind in kinds:
            props[f"m_{kind}"] = communes[f"minutes_{kind}"].map(lambda v: minutes_label(v, reach))
            fields.append(f"m_{kind}")
            aliases.append(MINUTES_ALIASES.get(kind, f"{kind} le plus proche"))
        frame = gpd.GeoDataFrame(props, geometry=communes.geometry.to_numpy(), crs=communes.crs)
        colors = list(DIFFICULTY_COLORS)
        folium.GeoJson(
            frame.to_json(drop_id=True, na="null"),
            name="Difficultés cumulées (APL, urgences, pharmacie)",
            show=False,
            style_function=lambda f: {
                "fillColor": colors[f["properties"]["n"]],
                "color": "#666",
                "weight": 0.3,
                "fillOpacity": 0.75,
            },
            highlight_function=lambda f: {"weight": 2, "color": "#000"},
            tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
        ).add_to(m)
    equipment = layers.get("equipements")
    if equipment is not None and len(equipment):
        points = _points_web(equipment)
        for kind, group in points.groupby("equipement", sort=False):
            label = group["nom"].fillna("").astype(str) + " (" + group["code_commune"].fillna("?").astype(str) + ")"
            color = EQUIPMENT_COLORS.get(kind, "#555555")
            frame = gpd.GeoDataFrame({"label": label.to_numpy()}, geometry=group.geometry.to_numpy(), crs=CRS_WEB)
            folium.GeoJson(
                frame.to_json(drop_id=True),
                name=f"Équipements : {kind}",
                show=False,
                marker=folium.CircleMarker(
                    radius=5, color=color, weight=1, fill=True, fill_color=color, fill_opacity=0.8
                ),
                tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
            ).add_to(m)
