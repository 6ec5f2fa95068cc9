"""CPTS ↔ hospital: for each catchment, the hospitals and emergency services within reach of its population.

A CPTS (communauté professionnelle territoriale de santé) organises care paths with the hospital; a planner wants to
know, per catchment (proposed or existing), which hospitals and emergency services its communes reach within
30 minutes, which is the nearest for most of its inhabitants, and what share of its population lives beyond.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._errors import ParameterError

__all__ = ["catchment_facility_access"]

#: Names listed per catchment before "…" (the count column has them all).
MAX_LISTED = 8


def _explode(communes: pd.DataFrame) -> pd.DataFrame:
    """One row per (commune, catchment); a commune split between k catchments (IRIS) counts 1/k in each."""
    ids = communes["cpts_id"].astype("string").fillna("").str.split(", ")
    frame = pd.DataFrame(
        {"row": np.arange(len(communes)), "cpts_id": ids.to_numpy(), "population": communes["population"].to_numpy()}
    )
    frame["k"] = ids.str.len().to_numpy()
    frame = frame.explode("cpts_id")
    frame = frame.loc[frame["cpts_id"].astype(str) != ""]
    frame["population"] = frame["population"].astype(float) / frame["k"].astype(float)
    return frame.reset_index(drop=True)


def catchment_facility_access(
    catchments: pd.DataFrame,
    communes: pd.DataFrame,
    destinations: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    kinds: tuple[str, ...] = ("hopital", "urgences"),
    threshold: float = 30.0,
) -> pd.DataFrame:
    """Add to a copy of the catchments, per kind ``k`` of facility, their links with the hospital.

    Parameters
    ----------
    catchments
        One row per catchment with ``cpts_id`` (:func:`territoires.analysis.catchments.mesh_catchments`).
    communes
        Communes with ``cpts_id``, ``population`` and, per kind, ``minutes_k`` and ``plus_proche_k``
        (:func:`territoires.analysis.nearest.nearest_facility`).
    destinations
        The facilities (``equipement``, ``nom``, ``code_commune``), row positions as in ``pairs``.
    pairs
        (commune, destination, minutes) within reach (:func:`territoires.analysis.nearest.facilities_within` with
        ``max_minutes=threshold``).
    kinds
        Kinds of facility to summarise (those absent from ``communes`` are skipped).
    threshold
        Minutes: "within reach" and "beyond" are measured against it.

    Returns
    -------
    pandas.DataFrame
        The catchments with ``nb_k_a_portee`` (facilities of kind k within ``threshold`` of at least one of its
        communes), ``k_a_portee`` (their names), ``k_plus_proche`` (the facility nearest for the largest part of
        its population), ``part_pop_k_au_dela`` (share of its population whose nearest k is beyond ``threshold``
        or beyond the search reach).
    """
    if threshold <= 0:
        raise ParameterError(f"seuil en minutes > 0 attendu (reçu {threshold}).")
    for frame, name in ((catchments, "catchments"), (communes, "communes")):
        if "cpts_id" not in frame.columns:
            raise ParameterError(f"`{name}` doit avoir une colonne 'cpts_id' (territoires de CPTS).")
    out = catchments.copy()
    members = _explode(communes)
    ids = out["cpts_id"].astype(str)
    labels = (
        destinations["nom"].astype(str) + " (" + destinations["code_commune"].fillna("?").astype(str) + ")"
    ).to_numpy()
    kind_of = destinations["equipement"].to_numpy()
    for kind in kinds:
        if f"minutes_{kind}" not in communes.columns:
            continue
        minutes = communes[f"minutes_{kind}"].to_numpy(dtype=float)[members["row"].to_numpy()]
        beyond = np.isnan(minutes) | (minutes > threshold)
        pop = members["population"].to_numpy(dtype=float)
        total = pd.Series(pop).groupby(members["cpts_id"].to_numpy()).sum()
        far = pd.Series(np.where(beyond, pop, 0.0)).groupby(members["cpts_id"].to_numpy()).sum()
        share = (far / total.where(total > 0)).reindex(ids)
        nearest = communes[f"plus_proche_{kind}"].to_numpy(dtype=object)[members["row"].to_numpy()]
        near = pd.DataFrame({"cpts_id": members["cpts_id"].to_numpy(), "nom": nearest, "population": pop}).dropna()
        main = near.groupby(["cpts_id", "nom"], sort=False)["population"].sum().reset_index()
        main = main.sort_values(["cpts_id", "population"], ascending=[True, False]).drop_duplicates("cpts_id")
        p = pairs.loc[(pairs["minutes"] <= threshold) & (kind_of[pairs["destination"].to_numpy()] == kind)]
        p = p.merge(members[["row", "cpts_id"]], left_on="commune", right_on="row")
        p = p.sort_values("minutes").drop_duplicates(["cpts_id", "destination"])
        p["nom"] = labels[p["destination"].to_numpy()]
        listed = p.groupby("cpts_id")["nom"].agg(
            lambda v: "; ".join(v.iloc[:MAX_LISTED]) + (" …" if len(v) > MAX_LISTED else "")
        )
        out[f"nb_{kind}_a_portee"] = p.groupby("cpts_id").size().reindex(ids, fill_value=0).to_numpy()
        out[f"{kind}_a_portee"] = listed.reindex(ids).fillna("aucun").to_numpy(dtype=object)
        out[f"{kind}_plus_proche"] = main.set_index("cpts_id")["nom"].reindex(ids).to_numpy(dtype=object)
        out[f"part_pop_{kind}_au_dela"] = share.to_numpy(dtype=float)
    return out
