"""Writers of the scenario and siting outputs: GeoPackage, CSV for spreadsheets, Folium map and HTML report."""

from __future__ import annotations

import html
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from .._atomic import atomic_path
from .._format import fr_dec
from ..analysis.tiers import tier_labels
from .folium_map import display_geometries, map_html
from .geopackage import save_diagnostic_geopackage
from .output_set import OutputSet

CRS_WEB = "EPSG:4326"
_TIER_COLORS = {"ZIP": "#d7191c", "ZAC": "#fdae61", "HZ": "#a6d96a"}
#: The files of a scenario (``territoires scenario``), written as one set.
SCENARIO_FILES = (
    "scenario.gpkg",
    "scenario.csv",
    "resume_scenario.csv",
    "carte_scenario.html",
    "rapport_scenario.html",
)
#: The files of a siting study (``territoires siting`` / ``implantation``), written as one set.
SITING_FILES = (
    "sites.csv",
    "changements.csv",
    "implantation.gpkg",
    "carte_implantation.html",
    "rapport_implantation.html",
)


def _fr(x: float | None, digits: int = 0) -> str:
    return fr_dec(x, digits)


def _save_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a table for French spreadsheets: ``;``-separated, decimal comma, UTF-8 with BOM, atomically."""
    with atomic_path(path) as tmp:
        pd.DataFrame(frame).drop(columns="geometry", errors="ignore").to_csv(
            tmp, sep=";", decimal=",", index=False, encoding="utf-8-sig"
        )
    return path


def _delta_color(d: float, vmax: float) -> str:
    if not np.isfinite(d) or abs(d) < 1e-9:
        return "#f7f7f7"
    t = min(abs(d) / vmax, 1.0) if vmax > 0 else 1.0
    if d > 0:  # blues for gains
        r, g, b = (int(247 - t * (247 - 33)), int(247 - t * (247 - 102)), int(247 - t * (247 - 172)))
    else:  # reds for losses
        r, g, b = (int(247 - t * (247 - 178)), int(247 - t * (247 - 24)), int(247 - t * (247 - 43)))
    return f"#{r:02x}{g:02x}{b:02x}"


def scenario_map(
    communes: gpd.GeoDataFrame,
    *,
    sites: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    thresholds: tuple[float, float] = (2.5, 4.0),
    tiles: bool = False,
) -> folium.Map:
    """Return a map with three commune layers (tier before, tier after, APL change) and the ranked sites.

    ``communes`` is the table of :class:`territoires.decision.ScenarioResult`; ``sites`` the sites of a siting
    study (numbered markers); ``facilities`` existing MSP and centres (context); ``thresholds`` name the tiers in
    the legend; ``tiles`` adds the OpenStreetMap background (loaded from the Internet when the page opens).
    """
    labels = tier_labels(*thresholds)
    shown = display_geometries(communes, tolerance=50.0).to_crs(CRS_WEB)
    shown = shown.loc[~shown.geometry.is_empty]
    minx, miny, maxx, maxy = shown.total_bounds
    m = folium.Map(tiles="OpenStreetMap" if tiles else None, control_scale=True)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    fmt = shown.copy()
    fmt["apl_avant_txt"] = fmt["apl_avant"].map(lambda v: _fr(v, 2))
    fmt["apl_apres_txt"] = fmt["apl_apres"].map(lambda v: _fr(v, 2))
    fmt["delta_txt"] = fmt["delta_apl"].map(lambda v: ("+" if v >= 0 else "") + _fr(v, 2))
    fmt["population_txt"] = fmt["population"].map(_fr)
    fields = [
        "nom",
        "code_commune",
        "population_txt",
        "apl_avant_txt",
        "apl_apres_txt",
        "delta_txt",
        "niveau_avant",
        "niveau_apres",
    ]
    aliases = ["Commune", "Code", "Habitants", "APL avant", "APL après", "Écart d'APL", "Niveau avant", "Niveau après"]
    data = fmt[fields + ["delta_apl", "geometry"]]
    vmax = float(np.nanpercentile(np.abs(fmt["delta_apl"]), 99)) if len(fmt) else 1.0
    layers = (
        ("Niveau d'accès avant", lambda f: _TIER_COLORS.get(f["properties"]["niveau_avant"], "#cccccc"), False),
        ("Niveau d'accès après", lambda f: _TIER_COLORS.get(f["properties"]["niveau_apres"], "#cccccc"), False),
        ("Écart d'APL (après − avant)", lambda f: _delta_color(f["properties"]["delta_apl"], vmax), True),
    )
    for name, color, show in layers:
        folium.GeoJson(
            data,
            name=name,
            show=show,
            style_function=lambda f, color=color: {
                "fillColor": color(f),
                "color": "#666",
                "weight": 0.3,
                "fillOpacity": 0.75,
            },
            tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
        ).add_to(m)
    if facilities is not None and len(facilities):
        group = folium.FeatureGroup(name="Structures existantes (FINESS)", show=True).add_to(m)
        fac = facilities.loc[facilities.geometry.notna() & ~facilities.geometry.is_empty].to_crs(CRS_WEB)
        for row in fac.itertuples():
            folium.CircleMarker(
                [row.geometry.y, row.geometry.x],
                radius=4,
                color="#444",
                fill=True,
                fill_color="#ffffff",
                tooltip=html.escape(f"{getattr(row, 'type_structure', '')} — {getattr(row, 'nom', '')}"),
            ).add_to(group)
    if sites is not None and len(sites):
        group = folium.FeatureGroup(name="Sites proposés (rang)", show=True).add_to(m)
        pts = sites.to_crs(CRS_WEB)
        for row in pts.itertuples():
            label = f"{row.rang}. {row.nom or row.code_commune} : +{_fr(row.etp, 1)} ETP, gain {_fr(row.gain)}"
            folium.Marker(
                [row.geometry.y, row.geometry.x],
                icon=folium.DivIcon(
                    html=f'<div style="background:#2c7bb6;color:#fff;border-radius:12px;'
                    f"width:24px;height:24px;text-align:center;line-height:24px;"
                    f'font-weight:bold;border:2px solid #fff">{row.rang}</div>',
                    icon_size=(24, 24),
                    icon_anchor=(12, 12),
                ),
                tooltip=html.escape(label),
            ).add_to(group)
    folium.LayerControl(collapsed=False).add_to(m)
    legend = (
        '<div style="position:fixed;bottom:20px;left:20px;z-index:9999;background:#fff;padding:6px 10px;'
        'border:1px solid #999;font:12px sans-serif">'
        + "".join(
            f'<div><span style="display:inline-block;width:12px;height:12px;background:{c}"></span> '
            f"{html.escape(labels[t])}</div>"
            for t, c in _TIER_COLORS.items()
        )
        + '<div><span style="display:inline-block;width:12px;height:12px;background:#2166ac"></span> APL en hausse'
        '</div><div><span style="display:inline-block;width:12px;height:12px;background:#b2182b"></span> APL en '
        "baisse</div></div>"
    )
    m.get_root().html.add_child(folium.Element(legend))
    return m


def _table_html(frame: pd.DataFrame, digits: dict[str, int]) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for rec in frame.itertuples(index=False):
        cells = []
        for col, v in zip(frame.columns, rec, strict=True):
            if isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool):
                cells.append(f"<td style='text-align:right'>{_fr(float(v), digits.get(col, 0))}</td>")
            else:
                cells.append(f"<td>{html.escape('' if v is None else str(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _page(title: str, body: str) -> str:
    style = (
        "body{font-family:sans-serif;max-width:960px;margin:2em auto;line-height:1.45}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px}"
        "th{background:#eee}"
    )
    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def _summary_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """Return the before/after summary with French headings, numbers formatted per row (APL: two decimals)."""
    digits = summary["indicateur"].str.contains("APL").map({True: 2, False: 0})
    out = pd.DataFrame({"Indicateur": summary["indicateur"]})
    for col, title in (("avant", "Avant"), ("apres", "Après"), ("ecart", "Écart")):
        out[title] = [_fr(v, d) for v, d in zip(summary[col], digits, strict=True)]
    return out


#: French headings of the sites table in the report.
SITE_HEADINGS = {
    "rang": "Rang",
    "code_commune": "Code commune",
    "nom": "Commune",
    "etp": "ETP",
    "gain": "Gain",
    "population_sous_seuil_apres": "Habitants sous le seuil après",
    "apl_avant": "APL avant",
    "apl_apres": "APL après",
}


def scenario_report_html(result) -> str:
    """Return the French report section of a scenario (self-contained HTML page)."""
    meta = result.metadata
    p = meta.get("parametres", {})
    counts = meta.get("comptes", {})
    parts = [
        "<h2>Scénario</h2>",
        f"<p>Profession : {html.escape(str(p.get('profession')))}. ETP ajoutés : {_fr(counts.get('etp_ajoutes'), 1)} ; "
        f"ETP retirés (départs et retraites) : {_fr(counts.get('etp_retires'), 1)}. L'APL est recalculée avec les "
        "mêmes temps de trajet et la même demande ; un ETP compte pour 5 400 consultations par an (généralistes).</p>",
    ]
    if p.get("age_retraite") is not None:
        parts.append(
            f"<p>Départs à la retraite : praticiens qui atteignent {_fr(p['age_retraite'])} ans en {p['horizon']} "
            "(âge des données + années jusqu'à l'horizon) ; les praticiens d'âge inconnu sont supposés rester.</p>"
        )
    parts.append("<h2>Résumé avant / après</h2>" + _table_html(_summary_rows(result.summary), {}))
    if len(result.projects):
        table = result.projects.rename(
            columns={
                "label": "Projet",
                "etp": "ETP",
                "habitants_sortis_du_seuil": "Habitants sortis de la sous-densité",
                "habitants_passes_sous_le_seuil": "Habitants passés sous le seuil",
            }
        )
        parts.append(
            "<h2>Effet de chaque projet seul</h2><p>Chaque projet (lignes de même <code>label</code>) appliqué seul "
            "à l'offre actuelle : les effets de projets voisins ne s'additionnent pas toujours.</p>"
            + _table_html(table, {"ETP": 1})
        )
    changed = result.communes.loc[result.communes["niveau_avant"] != result.communes["niveau_apres"]]
    parts.append(f"<h2>Communes qui changent de niveau ({len(changed)})</h2>")
    if len(changed):
        cols = ["code_commune", "nom", "population", "apl_avant", "apl_apres", "niveau_avant", "niveau_apres"]
        table = pd.DataFrame(changed[cols]).sort_values("population", ascending=False).head(50)
        table = table.rename(
            columns={
                **SITE_HEADINGS,
                "population": "Habitants",
                "niveau_avant": "Niveau avant",
                "niveau_apres": "Niveau après",
            }
        )
        parts.append(_table_html(table, {"APL avant": 2, "APL après": 2}))
    margin = p.get("marge_seuil")
    parts.append(
        "<h2>Proches du seuil</h2><p>Une commune est dite proche d'un seuil quand son APL en est à "
        f"{_fr(margin, 2) if margin is not None else '0,1'}{' × le seuil' if p.get('marge_relative') else ''} "
        "ou moins : un petit changement d'offre ou de population la ferait changer de niveau. C'est le chiffre à "
        "connaître avant une décision de zonage.</p>"
    )
    return _page("Scénario d'offre de soins — territoires", "".join(parts))


def siting_report_html(result) -> str:
    """Return the French report section of a siting study, explaining the choice in plain words."""
    info = result.metadata.get("implantation", {})
    objective = info.get("objectif")
    unit = "habitants" if objective == "population" else "habitants × points d'APL"
    what = (
        "le nombre d'habitants dont la commune passe au-dessus du seuil de sous-densité"
        if objective == "population"
        else "le déficit d'accès (habitants × écart au seuil, sous le seuil), qui compte aussi les plus mal "
        "desservis même s'ils restent sous le seuil"
    )
    parts = [
        "<h2>Comment les sites ont été choisis</h2>",
        f"<p>On cherche {info.get('sites_demandes')} commune(s) où installer {_fr(info.get('etp_par_site'), 1)} ETP "
        f"chacune, parmi {_fr(info.get('candidates'))} communes candidates, pour maximiser {what}. "
        "Un nouveau praticien dans une commune améliore l'APL de toutes les communes à moins de 20 minutes, "
        "d'autant plus que la demande autour de lui est faible : l'effet de chaque site se calcule exactement.</p>",
        "<p>Les sites sont choisis un par un (le meilleur à chaque étape, compte tenu des précédents), en "
        "essayant plusieurs premiers sites, puis améliorés par échanges (remplacer un site par un autre tant que "
        f"le résultat progresse). Gain : {_fr(info.get('gain'))} {unit} ; le choix glouton simple donnait "
        f"{_fr(info.get('gain_glouton'))} ; {info.get('echanges', 0)} échange(s) retenu(s).</p>",
    ]
    if "optimum_exact" in info:
        parts.append(
            f"<p>Solution exacte (programme linéaire en nombres entiers, HiGHS) : {_fr(info['optimum_exact'])} "
            f"{unit}, borne supérieure {_fr(info['borne'])}"
            f"{' (optimum prouvé)' if info.get('optimal') else ' (limite de temps atteinte)'}.</p>"
        )
    for note in info.get("notes", []):
        parts.append(f"<p>{html.escape(note)}</p>")
    parts.append("<h2>Sites proposés</h2>")
    cols = ["rang", "code_commune", "nom", "etp", "gain", "population_sous_seuil_apres", "apl_avant", "apl_apres"]
    table = pd.DataFrame(result.sites[cols]).rename(columns=SITE_HEADINGS)
    parts.append(_table_html(table, {"ETP": 1, "APL avant": 2, "APL après": 2}))
    parts.append(
        "<p>Le gain de chaque site s'ajoute à celui des sites mieux classés. Appliquer ces sites comme changements "
        "(<code>territoires scenario --changes changements.csv</code>) redonne exactement ces chiffres.</p>"
    )
    parts.append("<h2>Résumé avant / après</h2>" + _table_html(_summary_rows(result.summary), {}))
    return _page("Où installer de nouveaux praticiens — territoires", "".join(parts))


def save_scenario(result, out_dir: str | Path, *, tiles: bool = False) -> dict[str, Path]:
    """Write the outputs of a scenario into ``out_dir``.

    ``scenario.gpkg`` (layers ``communes``, ``resume``, ``changements``, ``left_out``), ``scenario.csv``,
    ``resume_scenario.csv``, ``carte_scenario.html`` and ``rapport_scenario.html`` into ``out_dir``, as one set
    (:class:`territoires.export.output_set.OutputSet`): written aside, swapped in at the end, under a lock; a
    failure or an interrupt leaves the previous set intact.
    """
    outputs = OutputSet(out_dir, SCENARIO_FILES, key="scenario")
    with outputs as staging:
        written = _write_scenario(result, staging, tiles=tiles)
    return {kind: outputs.path(p.name) for kind, p in written.items()}


def _write_scenario(result, out: Path, *, tiles: bool) -> dict[str, Path]:
    layers = {
        "communes": result.communes,
        "resume": result.summary,
        "changements": result.changes,
        "left_out": result.left_out,
        "projets": result.projects,
    }
    written = {"geopackage": save_diagnostic_geopackage(out / "scenario.gpkg", layers, metadata=result.metadata)}
    written["csv"] = _save_csv(result.communes, out / "scenario.csv")
    written["resume"] = _save_csv(result.summary, out / "resume_scenario.csv")
    page = map_html(scenario_map(result.communes, thresholds=_thresholds(result), tiles=tiles))
    written["carte"] = _write_text(out / "carte_scenario.html", page)
    written["rapport"] = _write_text(out / "rapport_scenario.html", scenario_report_html(result))
    return written


def save_siting(result, out_dir: str | Path, *, tiles: bool = False) -> dict[str, Path]:
    """Write the outputs of a siting study into ``out_dir``.

    ``sites.csv``, ``changements.csv`` (the sites as scenario changes), ``implantation.gpkg`` (layers
    ``sites``, ``communes``, ``resume``, ``facilities``, ``left_out``), ``carte_implantation.html`` and
    ``rapport_implantation.html`` into ``out_dir``, as one set (see :func:`save_scenario`).
    """
    outputs = OutputSet(out_dir, SITING_FILES, key="implantation")
    with outputs as staging:
        written = _write_siting(result, staging, tiles=tiles)
    return {kind: outputs.path(p.name) for kind, p in written.items()}


def _write_siting(result, out: Path, *, tiles: bool) -> dict[str, Path]:
    cols = ["rang", "code_commune", "nom", "etp", "gain", "population_sous_seuil_apres"]
    written = {"sites": _save_csv(pd.DataFrame(result.sites[cols]), out / "sites.csv")}
    changes = result.as_changes().drop(columns="ligne")
    with atomic_path(out / "changements.csv") as tmp:
        changes.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig", float_format="%.17g")
    written["changements"] = out / "changements.csv"
    layers = {
        "sites": result.sites,
        "communes": result.communes,
        "resume": result.summary,
        "facilities": result.facilities,
        "left_out": result.left_out,
    }
    written["geopackage"] = save_diagnostic_geopackage(out / "implantation.gpkg", layers, metadata=result.metadata)
    m = scenario_map(
        result.communes,
        sites=result.sites,
        facilities=result.facilities,
        thresholds=_thresholds(result),
        tiles=tiles,
    )
    written["carte"] = _write_text(out / "carte_implantation.html", map_html(m))
    written["rapport"] = _write_text(out / "rapport_implantation.html", siting_report_html(result))
    return written


def _thresholds(result) -> tuple[float, float]:
    """Return the tier thresholds of a run, from its metadata (GP defaults 2.5 and 4 when absent)."""
    apl = result.metadata.get("parametres", {}).get("apl") or {}
    low = apl.get("threshold") if apl.get("threshold") is not None else 2.5
    high = apl.get("zac_threshold") if apl.get("zac_threshold") is not None else max(low, 4.0)
    return float(low), float(high)


def _write_text(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return path
