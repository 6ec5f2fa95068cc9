"""The diagnostic report (``rapport.html``): a short French diagnosis for non-specialists in one self-contained file.

Key figures, a static map and charts (PNG embedded as base64), the most under-served communes and a methods
section. No network, no script: it opens from disk, prints on A4, and the same inputs give the same bytes.
"""

from __future__ import annotations

import ast
import base64
import html
import io
import math
import re
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from .._atomic import atomic_path
from .._errors import InputError
from .._format import fr_dec, fr_int, fr_pct
from ..analysis.catchment_parameters import CatchmentParameters
from ..analysis.key_figures import KeyFigures, figures_of
from ..analysis.tiers import TIER_COLORS
from ..schemas import PROFESSIONS
from ..settings import CPTS_MAX_POP, CPTS_MIN_POP
from ._classes import APL_COLORS, apl_breaks, apl_classes, class_labels
from .facility_report import facility_access_section
from .qgis_style import CATCHMENT_COLORS

#: Columns of the communes layer the report cannot do without.
REQUIRED_COLUMNS = ("code_commune", "population", "apl")
#: Number of communes listed as the most under-served.
N_WORST = 15
_DPI = 110
_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.dpi": _DPI,
    "path.simplify": True,
}
_ROLES = {
    "communes": "Contours des communes",
    "population": "Populations",
    "practitioners": "Praticiens",
    "facilities": "Structures (FINESS)",
    "existing_cpts": "CPTS existantes",
    "flows": "Flux de patientèle",
    "travel_times": "Temps de trajet",
    "road_network": "Réseau routier",
    "bpe": "Équipements (BPE)",
}


# --- formatting ------------------------------------------------------------------------------------------------


def _plural(label: str) -> str:
    """Return the French plural of a profession label (every word of it).

    >>> _plural("médecin généraliste"), _plural("sage-femme")
    ('médecins généralistes', 'sages-femmes')
    """
    return re.sub(r"([^\s-]+)", lambda m: m.group(1) if m.group(1).endswith(("s", "x")) else m.group(1) + "s", label)


def _date_fr(value: object) -> str:
    """Return an ISO date (or date-time) as ``dd/mm/yyyy``; other text unchanged.

    >>> _date_fr("2026-11-23T09:06:51+00:00")
    '23/11/2026'
    """
    text = str(value or "")
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        return f"{text[8:10]}/{text[5:7]}/{text[:4]}"
    return text


def _datetime_fr(value: object) -> str:
    """Return an ISO date-time as ``dd/mm/yyyy à hh:mm UTC`` (a date alone as ``dd/mm/yyyy``).

    >>> _datetime_fr("2026-11-23T09:06:51+00:00"), _datetime_fr("2026-11-23")
    ('23/11/2026 à 09:06 UTC', '23/11/2026')
    """
    text = str(value or "")
    date = _date_fr(text)
    if len(text) >= 16 and text[10] == "T" and text[13] == ":" and text.endswith(("+00:00", "Z")):
        return f"{date} à {text[11:16]} UTC"
    return date


def _call_arguments(text: str) -> dict | None:
    """Return the keyword arguments of a parameter object's text (``Name(a=1, b=None)``), or None.

    >>> _call_arguments("CatchmentParameters(min_population=12000, within=None)")
    {'min_population': 12000, 'within': None}
    """
    try:
        node = ast.parse(str(text).strip(), mode="eval").body
        if not isinstance(node, ast.Call) or node.args:
            return None
        return {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
    except (SyntaxError, ValueError):
        return None


_WITHIN = {"departement": "des départements", "epci": "des EPCI", "region": "des régions"}


def _catchment_parameters(values: Mapping, *, flows_given: bool = False) -> list[str]:
    """French labelled values of the CPTS meshing parameters (``CatchmentParameters`` fields); None left out.

    The gravity model's parameters are said only when it estimated the flows (no flows file given).
    """
    v = {k: x for k, x in values.items() if x is not None}
    items = []
    if "min_population" in v or "max_population" in v:
        items.append(
            f"population d'un territoire entre {fr_int(v.get('min_population'))} et {fr_int(v.get('max_population'))} "
            "habitants"
        )
    per_dep = v.get("per_departement")
    if isinstance(per_dep, (list, tuple)) and len(per_dep) == 2:
        items.append(f"{fr_int(per_dep[0])} à {fr_int(per_dep[1])} territoires proposés par département")
    elif per_dep is not None:
        items.append(f"{fr_int(per_dep)} territoire(s) proposé(s) par département")
    elif "n_catchments" in v:
        items.append(f"{fr_int(v['n_catchments'])} territoire(s) proposé(s) visé(s)")
    elif "target_population" in v:
        items.append(f"population visée par territoire proposé : {fr_int(v['target_population'])} habitants")
    elif values:
        items.append("pas de population visée (regroupement arrêté dès que chaque territoire atteint le plancher)")
    if "min_containment" in v:
        share = v.get("containment_min_share")
        items.append(
            f"un territoire s'agrandit tant que moins de {fr_int(100 * v['min_containment'])} % des recours de ses "
            "habitants restent à l'intérieur"
            + (f" (vers un voisin qui en reçoit au moins {fr_int(100 * share)} %)" if share else "")
        )
    if values and "min_containment" in values and "min_containment" not in v:
        items.append("sans règle d'autonomie (les territoires s'arrêtent au plancher et à la population visée)")
    if "containment_max_ratio" in v:
        items.append(
            f"ces unions pour l'autonomie restent sous {_setting(v['containment_max_ratio'])} fois la population visée"
        )
    if "target_everywhere" in v and "target_population" in v and not {"per_departement", "n_catchments"} & set(v):
        items.append(
            "la population visée fixe le nombre de territoires sur toute la zone"
            if v["target_everywhere"]
            else "la population visée ne découpe que les EPCI plus peuplés qu'elle"
        )
    if "within" in v:
        items.append(f"sans franchir les limites {_WITHIN.get(v['within'], '« ' + str(v['within']) + ' »')}")
    if "structure" in v:
        unit = "EPCI" if v["structure"] == "epci" else f"« {v['structure']} »"
        weight = v.get("structure_weight", 1.0)
        items.append(
            f"limites souples : regroupement dans l'{unit} d'abord"
            if unit == "EPCI"
            else f"limites souples : regroupement dans la même unité {unit} d'abord"
        )
        if weight != 1.0:
            items[-1] += f" (préférence × {_setting(weight)} ensuite)"
    elif values and "structure" in values:
        items.append("sans limites souples (les seuls flux de recours)")
    if v.get("floor_balance") == 0:
        items.append("sous le plancher, pas de préférence de taille entre voisins")
    elif "floor_balance" in v:
        items.append(
            "sous le plancher, préférence pour un petit voisin (score divisé par la population de l'union à la "
            f"puissance {_setting(v['floor_balance'])})"
        )
    if "gravity_max_minutes" in v and not flows_given:
        items.append(
            "flux estimés (faute de flux observés) par un modèle gravitaire de portée "
            f"{_setting(v['gravity_max_minutes'])} min et de décroissance {_setting(v.get('gravity_decay_minutes'))} "
            "min"
        )
    if "pole_weight" in v:
        items.append(f"une MSP ou un centre de santé compte pour {fr_dec(v['pole_weight'], 1)} ETP de généraliste")
    if "hospital_weight" in v:
        items.append(f"un hôpital compte pour {_setting(v['hospital_weight'])} MSP")
    if v.get("shape_rounds") == 0:
        items.append("sans passe de forme")
    elif "shape_rounds" in v:
        loss = 100 * v.get("shape_max_containment_loss", 0.01)
        items.append(
            f"passe de forme (au plus {fr_int(v['shape_rounds'])} tours) : une commune passe au territoire voisin si "
            f"elle échange avec lui au moins {_setting(v.get('shape_flow_ratio', 0.25))} fois autant de recours "
            "qu'avec le reste du sien"
            + (" et reste avec la plus grande part de son EPCI" if v.get("shape_keep_structure") else "")
            + (
                f", pour un gain de compacité d'au moins {_setting(v['shape_min_gain'])}"
                if v.get("shape_min_gain")
                else ""
            )
            + f", passe annulée si l'autonomie médiane baisse de plus de {_setting(loss)} "
            + ("points" if loss > 1 else "point")
        )
    if "seed" in v:
        items.append(f"graine du départage des ex æquo : {fr_int(v['seed'])}")
    known = {"min_population", "max_population", "per_departement", "n_catchments", "target_population", "within",
             "gravity_max_minutes", "gravity_decay_minutes", "pole_weight", "seed", "min_containment",
             "containment_min_share", "containment_max_ratio", "target_everywhere", "structure", "structure_weight",
             "floor_balance", "hospital_weight", "shape_rounds", "shape_flow_ratio", "shape_keep_structure",
             "shape_min_gain", "shape_max_containment_loss"}  # fmt: skip
    items += [f"{k.replace('_', ' ')} : {x}" for k, x in v.items() if k not in known]
    return items


def _setting(x: float | None) -> str:
    """Write a setting in French: integers without decimals (« 10 »), others with what they need (« 4,5 », « 0,25 »)."""
    if x is None:
        return "—"
    return fr_int(x) if float(x).is_integer() else f"{x:g}".replace(".", ",")


def _e(x: object) -> str:
    return html.escape(str(x))


def _finite(x: object) -> bool:
    return isinstance(x, (int, float)) and not (isinstance(x, float) and math.isnan(x))


# --- figures ------------------------------------------------------------------------------------------------------


def most_underserved(
    communes: pd.DataFrame, *, n: int = N_WORST, tier_labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Return the ``n`` communes with the lowest APL (ties: larger population first, then commune code).

    Returns
    -------
    pandas.DataFrame
        French column names: ``Commune``, ``Code INSEE``, ``Population``, ``APL``, ``Niveau d'accès``,
        ``Généraliste le plus proche (min)`` and ``CPTS`` where known.
    """
    order = communes.assign(_pop=-communes["population"].astype(float)).sort_values(
        ["apl", "_pop", "code_commune"], kind="mergesort", na_position="last"
    )
    top = order.head(n)
    out = pd.DataFrame(
        {
            "Commune": top.get("nom", top["code_commune"]).to_numpy(),
            "Code INSEE": top["code_commune"].to_numpy(),
            "Population": top["population"].to_numpy(dtype=float),
            "APL": top["apl"].to_numpy(dtype=float),
        }
    )
    if "niveau_acces" in top.columns and tier_labels:
        out["Niveau d'accès"] = [tier_labels.get(t, "—") for t in top["niveau_acces"]]
    if "minutes_praticien_proche" in top.columns:
        out["Généraliste le plus proche (min)"] = top["minutes_praticien_proche"].to_numpy(dtype=float)
    if "cpts_nom" in top.columns:
        out["CPTS"] = top["cpts_nom"].fillna("—").to_numpy()
    return out


def _png(fig: Figure) -> str:
    """Return the figure as base64 PNG (no software tag in the file: same figure, same bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None}, facecolor="white")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _thousands(x: float, _pos: object = None) -> str:
    return fr_int(x)


def _map_png(layers: Mapping[str, pd.DataFrame], breaks: tuple[float, ...], unit: str) -> str:
    communes = layers["communes"]
    simplified = communes.geometry.simplify(50.0, preserve_topology=True) if communes.crs.is_projected else None
    view = gpd.GeoDataFrame(
        {"_cls": apl_classes(communes["apl"], breaks=breaks)},
        geometry=simplified if simplified is not None else communes.geometry,
        crs=communes.crs,
    )
    fig = Figure(figsize=(7.5, 7.0))
    ax = fig.subplots()
    colors = np.asarray(APL_COLORS, dtype=object)[view["_cls"].to_numpy()]
    view.plot(ax=ax, color=list(colors), edgecolor="#777777", linewidth=0.15)
    handles = [
        Patch(facecolor=c, edgecolor="#777777", label=lab)
        for c, lab in zip(APL_COLORS, class_labels(breaks), strict=True)
    ]
    catchments = layers.get("catchments")
    if catchments is not None and len(catchments):
        cat = catchments.to_crs(communes.crs)
        for statut, color in CATCHMENT_COLORS.items():
            part = cat.loc[cat["statut"] == statut]
            if len(part):
                style = "-" if statut == "existante" else "--"
                part.boundary.plot(ax=ax, color=color, linewidth=1.6, linestyle=style)
                handles.append(Line2D([0], [0], color=color, linewidth=1.6, linestyle=style, label=f"CPTS {statut}"))
        if len(cat) <= 40 and "nom" in cat.columns:
            for name, point in zip(cat["nom"], cat.geometry.representative_point(), strict=True):
                ax.annotate(
                    str(name), (point.x, point.y), ha="center", fontsize=7, color="#222222",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
                )  # fmt: skip
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.legend(handles=handles, title=f"APL ({unit})", loc="upper left", bbox_to_anchor=(1.0, 1.0),
              frameon=False, fontsize=8, title_fontsize=8)  # fmt: skip
    return _png(fig)


def _histogram_png(communes: pd.DataFrame, breaks: tuple[float, ...], threshold: float | None, unit: str) -> str:
    apl = communes["apl"].to_numpy(dtype=float)
    pop = communes["population"].to_numpy(dtype=float)
    ok = ~np.isnan(apl)
    top = float(np.nanmax(apl)) if ok.any() else 1.0
    width = 0.5 if top <= 20 else (10 ** math.floor(math.log10(top / 20)))
    edges = np.arange(0.0, (math.floor(top / width) + 1) * width + width / 2, width)
    counts, edges = np.histogram(apl[ok], bins=edges, weights=pop[ok])
    mids = pd.Series((edges[:-1] + edges[1:]) / 2)
    colors = np.asarray(APL_COLORS, dtype=object)[apl_classes(mids, breaks=breaks)]
    fig = Figure(figsize=(7.5, 3.2))
    ax = fig.subplots()
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=list(colors), edgecolor="white", linewidth=0.5)
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", linewidth=1.2)
        ax.annotate(f"seuil {fr_dec(threshold, 1)}", (threshold, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(4, -10), textcoords="offset points", fontsize=8)  # fmt: skip
    ax.set_xlabel(f"APL ({unit})")
    ax.set_ylabel("Habitants")
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.set_xlim(0, edges[-1])
    return _png(fig)


def _tiers_png(figures: KeyFigures) -> str:
    tiers = pd.DataFrame([vars(t) for t in figures.tiers])
    fig = Figure(figsize=(7.5, 2.2))
    ax = fig.subplots()
    y = np.arange(len(tiers))[::-1]
    ax.barh(y, tiers["population"], color=[TIER_COLORS[t] for t in tiers["code"]], height=0.6)
    ax.set_yticks(y, tiers["label"])
    for yy, p, s in zip(y, tiers["population"], tiers["share"], strict=True):
        ax.annotate(f" {fr_int(p)} hab. ({fr_pct(s)})", (p, yy), va="center", fontsize=8)
    ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.set_xlabel("Habitants")
    ax.set_xlim(0, float(tiers["population"].max()) * 1.35 or 1.0)
    return _png(fig)


def _catchments_png(catchments: pd.DataFrame) -> str:
    cat = catchments.sort_values(["population", "cpts_id"] if "cpts_id" in catchments else ["population"],
                                 ascending=False, kind="mergesort")  # fmt: skip
    x = np.arange(len(cat))
    colors = [CATCHMENT_COLORS.get(s, "#999999") for s in cat["statut"]]
    fig = Figure(figsize=(7.5, 3.4))
    ax = fig.subplots()
    ax.bar(x, cat["population"].to_numpy(dtype=float), color=colors)
    for bound, label in ((CPTS_MIN_POP, "plancher"), (CPTS_MAX_POP, "plafond")):
        ax.axhline(bound, color="#333333", linestyle=":", linewidth=1)
        ax.annotate(f"{label} {fr_int(bound)} hab.", (1.0, bound), xycoords=("axes fraction", "data"),
                    xytext=(-4, 3), textcoords="offset points", ha="right", fontsize=8)  # fmt: skip
    if len(cat) <= 30 and "nom" in cat.columns:
        ax.set_xticks(x, [str(n) for n in cat["nom"]], rotation=60, ha="right", fontsize=7)
    else:
        ax.set_xticks([])
        ax.set_xlabel("Territoires de CPTS, du plus peuplé au moins peuplé")
    ax.set_ylabel("Habitants")
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.legend(handles=[Patch(color=c, label=f"CPTS {s}") for s, c in CATCHMENT_COLORS.items()], frameon=False)
    return _png(fig)


# --- HTML ---------------------------------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.5 "DejaVu Sans",Arial,sans-serif;color:#222;max-width:60em;margin:2em auto;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;border-bottom:2px solid #2166ac;margin-top:1.6em}
.sub{color:#555;margin-top:0}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(11em,1fr));gap:.6em;margin:1em 0}
.kpi{border:1px solid #ccc;border-radius:6px;padding:.5em .7em;background:#f7f9fc}
.kpi .v{font-size:1.35em;font-weight:bold;color:#1a4d80}.kpi .l{font-size:.85em;color:#444;overflow-wrap:anywhere}
figure{margin:1em 0;break-inside:avoid}figure img{max-width:100%;height:auto}
figcaption{font-size:.85em;color:#555}
table{border-collapse:collapse;width:100%;font-size:.85em;break-inside:auto}
th,td{border-bottom:1px solid #ddd;padding:.25em .4em;text-align:left}td.n,th.n{text-align:right}
th{background:#eef2f7}tr{break-inside:avoid}
.note{font-size:.85em;color:#555}code{font-size:.9em}
@page{size:A4;margin:14mm}
@media print{body{max-width:none;margin:0;font-size:11pt}h2{break-after:avoid}.kpi{background:none}}
"""


def _kpi(value: str, label: str) -> str:
    return f'<div class="kpi"><div class="v">{_e(value)}</div><div class="l">{_e(label)}</div></div>'


def _figure(png: str, alt: str, caption: str) -> str:
    return (
        f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{png}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _table(frame: pd.DataFrame, *, formats: Mapping[str, int]) -> str:
    head = "".join(f'<th class="{"n" if c in formats else ""}">{_e(c)}</th>' for c in frame.columns)
    rows = []
    for rec in frame.itertuples(index=False):  # at most a few dozen rows
        cells = []
        for col, val in zip(frame.columns, rec, strict=True):
            if col in formats:
                cells.append(f'<td class="n">{_e(fr_dec(float(val), formats[col]))}</td>')
            else:
                cells.append(f"<td>{_e(val)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _apl_method(params: Mapping, unit: str) -> list[str]:
    apl = params.get("apl")
    if isinstance(apl, str):  # an older run's parameter object, as text
        apl = _call_arguments(apl)
    if not isinstance(apl, Mapping):
        return []
    items = []
    steps = apl.get("steps") or []
    if steps:
        parts, lower = [], 0.0
        for bound, weight in steps:
            parts.append(f"{fr_dec(weight, 2)} de {fr_int(lower)} à {fr_int(bound)} min")
            lower = bound
        items.append("Décroissance avec le temps de trajet : " + " ; ".join(parts) + f" ; au-delà de {fr_int(lower)} "
                     "min, l'offre n'est pas comptée.")  # fmt: skip
    caps = apl.get("activity_caps")
    if caps and unit == "consultations":
        items.append(
            f"Activité des praticiens plafonnée (règles DREES) : moins de {fr_int(caps[0])} consultations/an → non "
            f"compté ; jusqu'à {fr_int(caps[1])} → {fr_int(caps[1])} ; "
            f"au-delà de {fr_int(caps[2])} → {fr_int(caps[2])} ; "
            f"activité inconnue : {fr_int(apl.get('consultations_per_fte'))} consultations par ETP."
        )
    if apl.get("threshold") is not None:
        items.append(
            f"Seuil de sous-densité : APL < {fr_dec(apl['threshold'], 1)} ; niveau « fragile » jusqu'à "
            f"{fr_dec(apl.get('zac_threshold'), 1)} (approximation du zonage ARS, qui retient aussi des critères "
            "locaux)."
        )
    if apl.get("max_age") is not None:
        items.append(f"Praticiens de plus de {fr_int(apl['max_age'])} ans exclus de l'offre.")
    if params.get("temps_de_trajet") == "vol d'oiseau":
        items.append(
            f"Temps de trajet estimés à vol d'oiseau : facteur de détour {fr_dec(apl.get('detour_factor'), 2)}, "
            f"vitesse {fr_int(apl.get('speed_kmh'))} km/h."
        )
    return items


def report_html(
    layers: Mapping[str, pd.DataFrame], *, metadata: Mapping | None = None, figures: KeyFigures | None = None
) -> str:
    """Return the diagnostic report as one self-contained HTML document (see :func:`save_report_html`)."""
    metadata = dict(metadata or {})
    communes = layers.get("communes")
    if communes is None or not len(communes):
        raise InputError("rapport : la couche 'communes' est absente ou vide ; impossible de rédiger le rapport.")
    missing = [c for c in REQUIRED_COLUMNS if c not in communes.columns]
    if missing:
        source = communes.attrs.get("source", "couche 'communes'")
        msg = (
            f"{source} : colonne(s) {', '.join(missing)} absente(s) ; attendu une couche écrite par "
            f"« territoires diagnose » (colonnes {', '.join(REQUIRED_COLUMNS)}), "
            f"trouvé : {', '.join(map(str, communes.columns))}."
        )
        raise InputError(msg)
    params = metadata.get("parametres", {}) or {}
    profession = PROFESSIONS.get(params.get("profession", "medecin_generaliste"), "Médecin généraliste")
    figures = figures or figures_of(layers, metadata)
    consultations = figures.is_consultations
    unit = figures.unit_label
    breaks = apl_breaks(communes["apl"], metadata={"chiffres_cles": {"unit": figures.unit}})
    fig = figures
    threshold = fig.threshold
    deps = params.get("departements") or sorted(communes.get("departement", pd.Series(dtype=str)).dropna().unique())
    territory = ("département " if len(deps) == 1 else "départements ") + ", ".join(map(str, deps)) if deps else ""
    date = _date_fr(metadata.get("date", ""))

    with matplotlib.rc_context(_RC):
        map_png = _map_png(layers, breaks, unit)
        hist_png = _histogram_png(communes, breaks, threshold, unit)
        tiers_png = _tiers_png(fig) if fig.tiers else None
        catchments = layers.get("catchments")
        has_cpts = catchments is not None and len(catchments) > 0
        cpts_png = _catchments_png(catchments) if has_cpts else None

    parts: list[str] = []
    add = parts.append
    add(f"<h1>Accès aux soins : {_e(_plural(profession.lower()))}</h1>")
    add(f'<p class="sub">Diagnostic territorial — {_e(territory)} — calcul du {_e(date)}</p>')

    add("<h2>Chiffres clés</h2>")
    kpis = [
        _kpi(fr_int(fig.population), f"habitants ({fr_int(fig.communes)} communes)"),
        _kpi(fr_int(fig.practitioners), f"{_plural(profession.lower())} retenus"),
        _kpi(fr_dec(fig.apl_mean, 2), f"APL moyenne ({unit})"),
    ]
    if threshold is not None:
        kpis.append(_kpi(fr_int(fig.population_below), f"habitants sous le seuil de {fr_dec(threshold, 1)}"))
        kpis.append(_kpi(fr_pct(fig.share_below), "de la population sous le seuil"))
        if fig.near_threshold_population is not None:
            kpis.append(
                _kpi(
                    fr_int(fig.near_threshold_population),
                    f"habitants dans une commune à ± {fr_dec(fig.near_threshold_margin, 1)} d'un seuil "
                    f"({fr_int(fig.near_threshold_communes)} communes)",
                )
            )
    if has_cpts:
        before = "non renseigné" if fig.coverage_before is None else fr_pct(fig.coverage_before)
        kpis.append(_kpi(before, "de la population couverte par une CPTS existante"))
        kpis.append(_kpi(fr_pct(fig.coverage_after), "couverte avec les CPTS proposées"))
    add('<div class="kpis">' + "".join(kpis) + "</div>")
    intro = (
        "L'accessibilité potentielle localisée (APL, indicateur de la DREES) mesure l'offre de soins accessible à "
        "chaque habitant en tenant compte des praticiens de sa commune et des communes voisines (pondérés par le "
        "temps de trajet) et de la demande, standardisée selon l'âge de la population."
    )
    if consultations:
        intro += " Elle s'exprime en consultations accessibles par an et par habitant."
    if threshold is not None:
        intro += (
            f" En dessous de {fr_dec(threshold, 1)}, une commune est considérée en sous-densité : "
            f"{fr_int(fig.population_below)} habitants ({fr_pct(fig.share_below)}) y vivent ici."
        )
    add(f"<p>{_e(intro)}</p>")
    if has_cpts:
        existing = (
            "la couverture par les CPTS existantes n'est pas renseignée (pas de fichier de CPTS existantes)"
            if fig.coverage_before is None
            else f"{fr_pct(fig.coverage_before)} de la population est couverte par une CPTS existante"
        )
        add(
            f"<p>{_e(fig.catchments)} territoires de CPTS (communautés professionnelles territoriales de santé) : "
            f"{_e(existing)}, {_e(fr_pct(fig.coverage_after))} avec les territoires proposés.</p>"
        )
    else:
        add("<p>Les territoires de CPTS n'ont pas été calculés pour ce diagnostic.</p>")

    add("<h2>Carte de l'accessibilité</h2>")
    caption = f"APL par commune ({unit}), mêmes classes que la carte interactive"
    if has_cpts:
        caption += " ; contours des territoires de CPTS (trait plein : existante, tirets : proposée)"
    add(_figure(map_png, "Carte de l'APL par commune", caption + "."))

    add("<h2>Répartition de la population</h2>")
    add(_figure(hist_png, "Histogramme de l'APL", "Habitants selon l'APL de leur commune"
                + (f" ; tirets : seuil de {fr_dec(threshold, 1)}." if threshold is not None else ".")))  # fmt: skip
    if tiers_png is not None:
        add(_figure(tiers_png, "Population par niveau d'accès", "Population par niveau d'accès (type zonage)."))

    add("<h2>Territoires de CPTS</h2>")
    if cpts_png is not None:
        n_exist = int((catchments["statut"] == "existante").sum())
        add(_figure(cpts_png, "Population des territoires de CPTS",
                    f"Population de chaque territoire ({n_exist} existant(s), {len(catchments) - n_exist} proposé(s)) "
                    f"et bornes de taille ({fr_int(CPTS_MIN_POP)} et {fr_int(CPTS_MAX_POP)} habitants)."))  # fmt: skip
        if "alerte" in catchments.columns:
            alerts = catchments.loc[catchments["alerte"].fillna("") != ""]
            for name, alert in zip(alerts.get("nom", alerts.index), alerts["alerte"], strict=True):
                add(f'<p class="note">⚠ {_e(name)} : {_e(alert)}</p>')
    else:
        add("<p>Non calculés : les territoires de CPTS n'ont pas été calculés pour ce diagnostic.</p>")
    parts.extend(_comparison_section(layers, metadata or {}))

    section = facility_access_section(layers, metadata)  # empty unless diagnose --bpe
    if section:
        add(section)

    add(f"<h2>Les {N_WORST} communes les moins bien desservies</h2>")
    worst = most_underserved(communes, tier_labels=fig.tier_labels)
    formats = {"Population": 0, "APL": 2, "Généraliste le plus proche (min)": 0}
    add(_table(worst, formats=formats))

    add("<h2>Méthode et sources</h2>")
    rows = len(layers["practitioners"]) if layers.get("practitioners") is not None else None
    methods = _methods(metadata, unit, fig, catchments=has_cpts, practitioner_rows=rows)
    add("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in methods) + "</ul>")
    inputs = metadata.get("entrees") or []
    if inputs:
        frame = pd.DataFrame(
            {
                "Donnée": [_ROLES.get(i.get("role"), i.get("role")) for i in inputs],
                "Fichier": [Path(str(i.get("fichier", ""))).name for i in inputs],
                "Taille (ko)": [float(i.get("octets", 0)) / 1024 for i in inputs],
                "SHA-256 (début)": [str(i.get("sha256", ""))[:12] for i in inputs],
            }
        )
        add(_table(frame, formats={"Taille (ko)": 0}))
    env = metadata.get("environnement")
    footer = f"territoires {metadata.get('version', '')}, calcul du {_datetime_fr(metadata.get('date', ''))}"
    if isinstance(env, Mapping) and env:
        footer += " ; " + ", ".join(f"{k} {v}" for k, v in env.items())
    add(f'<p class="note">{_e(footer)}</p>')

    title = f"Diagnostic territorial — {territory}" if territory else "Diagnostic territorial"
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body>\n</html>\n"
    )


def _comparison_section(layers: Mapping[str, pd.DataFrame], metadata: Mapping) -> list[str]:
    """Section comparing the proposal with given CPTS perimeters (``comparison`` layer), or nothing."""
    comparison = layers.get("comparison")
    if comparison is None or not len(comparison):
        return []
    summary = metadata.get("comparaison") or {}
    pop = comparison["population"].to_numpy(dtype=float)
    jaccard = float((comparison["jaccard"].to_numpy(dtype=float) * pop).sum() / pop.sum()) if pop.sum() else 0.0
    html = ["<h2>Comparaison avec les CPTS données</h2>"]
    text = (
        f"{len(comparison)} CPTS données comparées au découpage proposé : indice de Jaccard pondéré par la population "
        f"de chacune avec le territoire proposé qui la recouvre le mieux {fr_dec(jaccard, 2)} (1 : mêmes communes)"
    )
    if "ari" in summary:
        text += f" ; indice de Rand ajusté {fr_dec(summary['ari'], 2)} (0 : accord dû au hasard, 1 : identiques)"
    if "communes_differentes" in summary:
        text += f" ; {fr_int(summary['communes_differentes'])} commune(s) rattachée(s) autrement"
    html.append(f"<p>{_e(text)}.</p>")
    table = comparison.sort_values("jaccard")
    frame = pd.DataFrame(
        {
            "CPTS donnée": table["cpts_nom"].to_numpy(),
            "Population": table["population"].to_numpy(),
            "Territoire proposé le plus proche": table["meilleur_nom"].to_numpy(),
            "Jaccard": table["jaccard"].to_numpy(),
            "Communes rattachées autrement": table["communes_differentes"].to_numpy(),
        }
    )
    html.append(_table(frame, formats={"Population": 0, "Jaccard": 2, "Communes rattachées autrement": 0}))
    return html


def _supply(params: Mapping, figures: KeyFigures, rows: int | None) -> str | None:
    """How the practitioners' supply was counted, in people (sum of ``nombre``), with the rows (sites) apart."""
    method = params.get("methode_offre")
    if not method:
        return None
    people = figures.practitioners
    text = f"Offre des praticiens : {fr_int(people)} praticiens retenus"
    if rows is not None and rows != people:
        text += (
            f", décrits par {fr_int(rows)} lignes du fichier (une ligne par praticien et lieu d'exercice : un "
            "praticien exerçant sur plusieurs sites compte pour une part de chacun)"
        )
    elif rows is not None:
        text += " (une ligne du fichier par praticien)"
    return text + f". Offre comptée, en praticiens, par {method}."


def _methods(
    metadata: Mapping,
    unit: str,
    figures: KeyFigures,
    *,
    catchments: bool = False,
    practitioner_rows: int | None = None,
) -> list[str]:
    params = metadata.get("parametres", {}) or {}
    counts = metadata.get("comptes", {}) or {}
    items = [
        f"Indicateur : APL de la DREES ({unit}), profession « "
        f"{PROFESSIONS.get(params.get('profession', ''), params.get('profession', '—'))} ».",
    ]
    items += _apl_method(params, figures.unit or "consultations")
    if params.get("temps_de_trajet") and params["temps_de_trajet"] != "vol d'oiseau":  # else said with the APL
        items.append(f"Temps de trajet utilisés : {params['temps_de_trajet']}.")
    supply = _supply(params, figures, practitioner_rows)
    if supply:
        items.append(supply)
    items.append(
        "Moyennes pondérées par la population standardisée ; effectifs d'habitants comptés sur la population "
        "municipale (règles DREES)."
    )
    if params.get("resolution_surface_m"):
        resolution = fr_int(params["resolution_surface_m"])
        items.append(f"Surface des temps d'accès calculée sur une grille de {resolution} m.")
    cpts = params.get("cpts")
    if isinstance(cpts, str):  # an older run: the parameter object as text
        cpts = _call_arguments(cpts) if cpts != "None" else None
    if catchments or isinstance(cpts, Mapping):
        if isinstance(cpts, Mapping):
            how = "valeurs utilisées"
        else:  # catchments without recorded parameters: the defaults were used
            cpts, how = asdict(CatchmentParameters()), "valeurs par défaut"
        roles = {i.get("role") for i in metadata.get("entrees") or [] if isinstance(i, Mapping)}
        flows_given = "flows" in roles
        described = _catchment_parameters(cpts, flows_given=flows_given)
        items.append(f"Territoires de CPTS ({how}) : " + " ; ".join(described) + ".")
    if metadata.get("millesimes"):
        items.append(f"Millésimes des communes : {metadata['millesimes']}")
    left = metadata.get("ecartees_par_motif") or {}
    if left:
        items.append(
            f"Lignes écartées ({fr_int(sum(left.values()))}) : "
            + " ; ".join(f"{k} : {fr_int(v)}" for k, v in left.items())
        )
    else:
        items.append("Aucune ligne des fichiers d'entrée n'a été écartée.")
    out = counts.get("praticiens_hors_territoire")
    if _finite(out) and out:
        items.append(f"Praticiens situés hors du territoire (non comptés) : {fr_int(out)}.")
    return items


def save_report_html(
    path: str | Path,
    layers: Mapping[str, pd.DataFrame],
    *,
    metadata: Mapping | None = None,
    figures: KeyFigures | None = None,
) -> Path:
    """Write the diagnostic report (French, for non-specialists) as one self-contained HTML file, atomically.

    Parameters
    ----------
    path
        Target file (``rapport.html``).
    layers
        Diagnostic layers by name: ``communes`` (required: ``code_commune``, ``nom``, ``population``, ``apl``;
        used where present: ``population_standardisee``, ``niveau_acces``, ``minutes_praticien_proche``,
        ``cpts_id``, ``cpts_nom``, ``cpts_statut``), ``practitioners`` and ``catchments`` (optional).
    metadata
        Run metadata (``parametres``, ``comptes``, ``entrees``, ``millesimes``, ``version``, ``date``), as written
        in the GeoPackage's ``run_metadata`` table.
    figures
        Key figures of the run; by default those of ``metadata`` (``chiffres_cles``), else computed from the
        layers (:func:`territoires.analysis.key_figures.figures_of`).

    Returns
    -------
    pathlib.Path
        The written file. Images are base64 PNG inside the file; no network is needed to read or print it.
    """
    path = Path(path)
    text = report_html(layers, metadata=metadata, figures=figures)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
