"""Report section on the access to facilities: emergency services, maternities, pharmacies, hospitals.

Also the combined difficulty and the CPTS ↔ hospital links. Formats what the analysis computed (run metadata,
layers), never recomputes it.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd

from .._format import fr_dec, fr_int, fr_pct
from ..io.facilities import EQUIPMENT_LABELS

__all__ = ["facility_access_metadata", "facility_access_section", "facility_summary_lines"]


def _kind_label(kind: str) -> str:
    """Label of a kind of facility, capitalised (« Service d'urgences »); a raw ``TYPEQU`` code as it is."""
    label = EQUIPMENT_LABELS.get(kind, kind)
    return label[:1].upper() + label[1:]


def _e(x: object) -> str:
    return html.escape(str(x))


def facility_access_metadata(access, destinations) -> dict:
    """Return the run-metadata entry of a :class:`~territoires.analysis.facility_access.FacilityAccess`.

    Plain lists and numbers (JSON in the GeoPackage): what the report and the summary format.
    """
    return {
        "parametres": access.params.describe(),
        "source": access.source,
        "au_dela": access.beyond.to_dict("records"),
        "par_difficulte": access.combined.by_difficulty.to_dict("records"),
        "combinaisons": access.combined.combinations.to_dict("records"),
        "lus": dict(destinations.attrs.get("par_equipement", {})),
        "au_centre_commune": int(destinations.attrs.get("au_centre_commune", 0)),
    }


def _rule(difficulty: str, threshold: float) -> str:
    return f"APL < {fr_dec(threshold, 1)}" if difficulty == "apl" else f"> {fr_int(threshold)} min"


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def facility_access_section(layers: Mapping[str, pd.DataFrame], metadata: Mapping | None) -> str:
    """HTML of the section (empty string when the access to facilities was not computed)."""
    info = (metadata or {}).get("acces_equipements")
    if not info:
        return ""
    params = info.get("parametres", {})
    parts = ["<h2>Accès aux urgences, maternités, pharmacies et hôpitaux</h2>"]
    parts.append(
        f"<p>Temps de trajet jusqu'à l'équipement le plus proche ({_e(info.get('source', ''))}, recherche jusqu'à "
        f"{fr_int(params.get('portee_minutes'))} min), y compris hors du territoire : la maternité la plus proche peut "
        "être de l'autre côté de la limite départementale. Référence nationale (DREES, 2017) : 6 % de la population "
        "à plus de 30 minutes d'un service d'urgences, 2,5 % à plus de 10 minutes d'une pharmacie.</p>"
    )
    beyond = pd.DataFrame(info.get("au_dela", []))
    if len(beyond):
        table = pd.DataFrame(
            {
                "Équipement": beyond["equipement"].map(_kind_label),
                "Équipements lus": beyond["destinations"].map(fr_int),
                "Seuil": beyond["seuil"].map(lambda v: f"{fr_int(v)} min"),
                "Communes au-delà": beyond["communes"].map(fr_int),
                "Habitants au-delà": beyond["population"].map(fr_int),
                "Part de la population": beyond["part"].map(fr_pct),
            }
        )
        parts.append(_table(table))
    centre = info.get("au_centre_commune", 0)
    if centre:
        parts.append(
            f'<p class="note">{fr_int(centre)} équipement(s) sans coordonnées dans la BPE ont été placés au centre de '
            "leur commune.</p>"
        )
    combos = pd.DataFrame(info.get("combinaisons", []))
    if len(combos):
        by = pd.DataFrame(info.get("par_difficulte", []))
        rules = "; ".join(f"{row.libelle} ({_rule(row.difficulte, row.seuil)})" for row in by.itertuples(index=False))
        parts.append("<h3>Difficultés cumulées</h3>")
        parts.append(
            f"<p>Difficultés évaluées : {_e(rules)}. Chaque habitant est compté dans une seule combinaison "
            "(population municipale de sa commune). Référence DREES 2017 : 0,5 % de la population cumule les trois.</p>"
        )
        table = pd.DataFrame(
            {
                "Combinaison": combos["combinaison"],
                "Communes": combos["communes"].map(fr_int),
                "Habitants": combos["population"].map(fr_int),
                "Part": combos["part"].map(fr_pct),
            }
        )
        parts.append(_table(table))
    catchments = layers.get("catchments")
    if catchments is not None and len(catchments):
        kinds = [k for k in ("hopital", "urgences") if f"part_pop_{k}_au_dela" in catchments.columns]
        if kinds:
            minutes = fr_int(params.get("cpts_minutes", 30))
            frame = pd.DataFrame({"CPTS": catchments.get("nom", catchments["cpts_id"]).astype(str)})
            for kind in kinds:
                label = "hôpitaux" if kind == "hopital" else "urgences"
                frame[f"Plus proche ({label})"] = catchments[f"{kind}_plus_proche"].fillna("—").astype(str)
                frame[f"{label.capitalize()} à moins de {minutes} min"] = catchments[f"nb_{kind}_a_portee"].map(fr_int)
                frame[f"Population au-delà ({label})"] = catchments[f"part_pop_{kind}_au_dela"].map(fr_pct)
            parts.append("<h3>Territoires de CPTS et hôpitaux</h3>")
            parts.append(
                "<p>Pour chaque territoire : l'établissement le plus proche pour la plus grande part de ses habitants, "
                f"le nombre d'établissements à moins de {minutes} minutes d'au moins une de ses communes, la part de "
                f"sa population à plus de {minutes} minutes.</p>"
            )
            parts.append(_table(frame))
    return "\n".join(parts)


def facility_summary_lines(info: Mapping | None) -> list[str]:
    """French lines for the terminal summary, from the ``acces_equipements`` run metadata (empty without it)."""
    if not info:
        return []
    params = info.get("parametres", {})
    lines = [
        f"Temps d'accès aux équipements ({info.get('source', '')}, portée {fr_int(params.get('portee_minutes'))} min) :"
    ]
    for row in info.get("au_dela", []):
        label = _kind_label(row["equipement"])
        lines.append(
            f"  {label} : {fr_int(row['population'])} habitants à plus de {fr_int(row['seuil'])} min "
            f"({fr_pct(row['part'])}) ; {fr_int(row['destinations'])} équipement(s) lu(s)"
        )
    combos = [r for r in info.get("combinaisons", []) if r["population"] > 0]
    if combos:
        lines.append("Difficultés cumulées (habitants) :")
        lines.extend(f"  {r['combinaison']} : {fr_int(r['population'])} ({fr_pct(r['part'])})" for r in combos)
    return lines
