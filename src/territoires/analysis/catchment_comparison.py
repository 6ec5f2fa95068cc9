"""Compare two partitions of communes into CPTS territories: a proposal against real perimeters, or two proposals.

The scores are those used to judge a meshing against the CPTS that professionals actually formed:

- for each reference territory ``r``, the proposed territory ``p`` that overlaps it best, with their
  **population-weighted Jaccard index** ``J(r, p) = pop(r ∩ p) / pop(r ∪ p)`` (1: same communes; 0: no common
  inhabitant), and the **weighted best Jaccard** of the whole comparison: the mean of each reference territory's
  best ``J`` weighted by its population;
- the **adjusted Rand index** (ARI, Hubert & Arabie 1985) of the two partitions, over communes (each commune counts
  once, as ``sklearn.metrics.adjusted_rand_score`` counts items) and over inhabitants (each inhabitant counts once);
  0 is the agreement expected by chance, 1 identical partitions;
- the communes **assigned differently**: those of a reference territory that are not in its best-matching
  proposed territory.

Only the communes present in both partitions are compared (a reference that covers part of the territory is
judged where it exists); the others are counted in the summary. A commune listed in several territories of one
partition (a city shared by several CPTS below the commune level, such as Nice) counts for an equal share in each,
unless a ``part`` column gives the shares; the shares of the two partitions are taken as independent (where no
finer units tell how they overlap), so a partition with shared communes compared with itself scores a little
below 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from .._errors import InputError

__all__ = ["CatchmentComparison", "adjusted_rand_index", "compare_catchments", "comparison_layer"]


@dataclass
class CatchmentComparison:
    """Result of :func:`compare_catchments`.

    Attributes
    ----------
    territories
        One row per reference territory: ``cpts_id``, ``cpts_nom``, ``population`` (inhabitants compared),
        ``nb_communes``, ``meilleur_territoire`` (id of the best-matching proposed territory), ``meilleur_nom``,
        ``jaccard`` (population-weighted, 0-1), ``part_couverte`` (share of the reference's inhabitants inside the
        best match), ``communes_differentes`` (communes of the reference outside its best match),
        ``population_differente`` (their inhabitants).
    communes
        One row per (commune, reference territory, proposed territory) compared: ``code_commune``, ``reference``,
        ``proposition``, ``meilleur_territoire``, ``population`` (inhabitants of the commune, shares applied),
        ``concordante`` (the commune lies in its reference territory's best match).
    summary
        ``jaccard_pondere`` (weighted best Jaccard), ``jaccard_median``, ``ari`` (communes), ``ari_population``
        (inhabitants), counts of territories and communes compared, communes and inhabitants assigned
        differently, communes of either partition absent from the other.
    """

    territories: pd.DataFrame
    communes: pd.DataFrame
    summary: dict = field(default_factory=dict)


def _comb2(x: np.ndarray) -> float:
    """Sum of ``x (x - 1) / 2``: the number of pairs inside each cell (real-valued counts allowed)."""
    x = np.asarray(x, dtype=float)
    return float((x * (x - 1.0) / 2.0).sum())


def adjusted_rand_index(contingency: np.ndarray | sparse.sparray) -> float:
    """Compute the adjusted Rand index of two partitions from their contingency table (Hubert & Arabie 1985).

    Parameters
    ----------
    contingency
        Counts of items in each (class of the first partition, class of the second); real-valued counts (weights
        such as inhabitants) are allowed.

    Returns
    -------
    float
        1 for identical partitions, about 0 for independent ones; 1 when both put every item in one class or
        each in its own (as scikit-learn does).

    Examples
    --------
    >>> adjusted_rand_index(np.array([[2, 0], [0, 2]]))
    1.0
    >>> round(adjusted_rand_index(np.array([[2, 1], [0, 1]])), 4)
    0.0
    """
    table = sparse.csr_array(contingency, dtype=float)
    n = float(table.sum())
    rows = np.asarray(table.sum(axis=1)).ravel()
    cols = np.asarray(table.sum(axis=0)).ravel()
    index = _comb2(table.data)
    sum_rows, sum_cols = _comb2(rows), _comb2(cols)
    total = n * (n - 1.0) / 2.0
    expected = sum_rows * sum_cols / total if total > 0 else 0.0
    maximum = (sum_rows + sum_cols) / 2.0
    if np.isclose(maximum, expected):
        return 1.0
    return float((index - expected) / (maximum - expected))


def _memberships(partition: pd.DataFrame, *, what: str) -> pd.DataFrame:
    """``code_commune``, ``cpts_id``, ``cpts_nom``, ``part`` (share of the commune in the territory)."""
    if isinstance(partition, pd.Series):
        partition = partition.rename("cpts_id").rename_axis("code_commune").reset_index()
    for column in ("code_commune", "cpts_id"):
        if column not in partition.columns:
            msg = f"{what} : colonne « {column} » attendue (colonnes : {', '.join(map(str, partition.columns))})."
            raise InputError(msg)
    out = pd.DataFrame(
        {
            "code_commune": partition["code_commune"].astype(str).to_numpy(),
            "cpts_id": partition["cpts_id"].astype(str).to_numpy(),
            "cpts_nom": (partition["cpts_nom"] if "cpts_nom" in partition else partition["cpts_id"])
            .astype(str)
            .to_numpy(),
        }
    )
    if "part" in partition.columns:
        out["part"] = pd.to_numeric(partition["part"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    else:
        out["part"] = 1.0
    out = out.drop_duplicates(["code_commune", "cpts_id"])
    total = out.groupby("code_commune")["part"].transform("sum").to_numpy()
    out["part"] = np.divide(out["part"].to_numpy(), total, out=np.zeros(len(out)), where=total > 0)
    if out.empty:
        raise InputError(f"{what} : aucune commune rattachée à un territoire.")
    return out.reset_index(drop=True)


def compare_catchments(
    proposal: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    population: pd.Series | pd.DataFrame | None = None,
) -> CatchmentComparison:
    """Score a proposed partition of communes against a reference one (real CPTS, or another proposal).

    Parameters
    ----------
    proposal
        One row per commune (and territory): ``code_commune``, ``cpts_id``, optional ``cpts_nom`` and ``part``
        (share of the commune in the territory, for a commune split between several). The ``communes`` of a
        :class:`~territoires.CatchmentResult` fits as it is; where its ``cpts_id`` lists several territories
        (``"P001, P002"``, a city split into IRIS) the commune is shared equally among them.
    reference
        The same for the reference partition, e.g. :func:`territoires.existing_cpts_from_file` or
        :func:`territoires.io.cpts.cpts_perimeters_from_file` (which accepts a commune in several CPTS).
    population
        Inhabitants per commune: a Series indexed by commune code, or a frame with ``code_commune`` and
        ``population``. By default the ``population`` column of ``proposal`` (then of ``reference``).

    Returns
    -------
    CatchmentComparison
        Scores per reference territory, per commune, and the summary (see the module docstring).

    Raises
    ------
    InputError
        Missing columns, no commune in common, no population.
    """
    pop = _population(population, proposal, reference)
    prop = _memberships(_explode_ids(proposal), what="proposition")
    ref = _memberships(_explode_ids(reference), what="référence")
    common = pd.Index(np.intersect1d(prop["code_commune"].unique(), ref["code_commune"].unique()))
    if common.empty:
        raise InputError("comparaison : aucune commune commune aux deux découpages (codes commune différents ?).")
    only_ref = sorted(set(ref["code_commune"]) - set(common))
    only_prop = sorted(set(prop["code_commune"]) - set(common))
    prop = prop[prop["code_commune"].isin(common)]
    ref = ref[ref["code_commune"].isin(common)]

    # One row per (commune, reference, proposal) with the commune's shares multiplied.
    cells = ref.merge(prop, on="code_commune", suffixes=("_ref", "_prop"))
    cells["share"] = cells["part_ref"] * cells["part_prop"]
    inhabitants = pop.reindex(cells["code_commune"]).fillna(0.0).to_numpy(dtype=float)
    cells["population"] = inhabitants * cells["share"].to_numpy()
    r_idx, r_ids = pd.factorize(cells["cpts_id_ref"], sort=True)
    p_idx, p_ids = pd.factorize(cells["cpts_id_prop"], sort=True)
    shape = (len(r_ids), len(p_ids))
    by_pop = sparse.csr_array((cells["population"].to_numpy(), (r_idx, p_idx)), shape=shape)
    by_commune = sparse.csr_array((cells["share"].to_numpy(), (r_idx, p_idx)), shape=shape)

    # Best match per reference territory: the largest Jaccard, ties to the largest overlap then the first id.
    ref_pop = np.asarray(by_pop.sum(axis=1)).ravel()
    prop_pop = np.asarray(by_pop.sum(axis=0)).ravel()
    coo = by_pop.tocoo()
    union = ref_pop[coo.row] + prop_pop[coo.col] - coo.data
    jac = np.divide(coo.data, union, out=np.zeros_like(coo.data), where=union > 0)
    order = np.lexsort((coo.col, -coo.data, -jac, coo.row))
    first = np.ones(order.size, dtype=bool)
    first[1:] = coo.row[order][1:] != coo.row[order][:-1]
    pick = order[first]
    best = np.full(len(r_ids), -1)
    best_j = np.zeros(len(r_ids))
    best_in = np.zeros(len(r_ids))
    best[coo.row[pick]] = coo.col[pick]
    best_j[coo.row[pick]] = jac[pick]
    best_in[coo.row[pick]] = coo.data[pick]

    cells["meilleur_territoire"] = np.asarray(p_ids)[best[r_idx]]
    cells["concordante"] = cells["cpts_id_prop"].to_numpy() == cells["meilleur_territoire"].to_numpy()
    differ = cells.loc[~cells["concordante"]]
    differ_communes = differ.groupby(pd.Categorical(differ["cpts_id_ref"], categories=r_ids), observed=False)[
        "code_commune"
    ].nunique()
    differ_pop = differ.groupby(pd.Categorical(differ["cpts_id_ref"], categories=r_ids), observed=False)[
        "population"
    ].sum()
    ref_names = ref.drop_duplicates("cpts_id").set_index("cpts_id")["cpts_nom"]
    prop_names = prop.drop_duplicates("cpts_id").set_index("cpts_id")["cpts_nom"]
    territories = pd.DataFrame(
        {
            "cpts_id": np.asarray(r_ids, dtype=object),
            "cpts_nom": ref_names.reindex(r_ids).to_numpy(),
            "population": ref_pop,
            "nb_communes": ref.groupby("cpts_id")["code_commune"].nunique().reindex(r_ids).to_numpy(),
            "meilleur_territoire": np.asarray(p_ids, dtype=object)[best],
            "meilleur_nom": prop_names.reindex(np.asarray(p_ids)[best]).to_numpy(),
            "jaccard": best_j,
            "part_couverte": np.divide(best_in, ref_pop, out=np.zeros_like(best_in), where=ref_pop > 0),
            "communes_differentes": differ_communes.reindex(r_ids).fillna(0).astype(int).to_numpy(),
            "population_differente": differ_pop.reindex(r_ids).fillna(0.0).to_numpy(),
        }
    )
    weight = ref_pop.sum()
    communes = pd.DataFrame(
        {
            "code_commune": cells["code_commune"].to_numpy(),
            "reference": cells["cpts_id_ref"].to_numpy(),
            "proposition": cells["cpts_id_prop"].to_numpy(),
            "meilleur_territoire": cells["meilleur_territoire"].to_numpy(),
            "population": cells["population"].to_numpy(),
            "concordante": cells["concordante"].to_numpy(),
        }
    )
    summary = {
        "jaccard_pondere": float((best_j * ref_pop).sum() / weight) if weight > 0 else float("nan"),
        "jaccard_median": float(np.median(best_j)),
        "ari": adjusted_rand_index(by_commune),
        "ari_population": adjusted_rand_index(by_pop),
        "territoires_reference": len(r_ids),
        "territoires_proposes": len(p_ids),
        "communes_comparees": len(common),
        "population_comparee": float(weight),
        "communes_differentes": int(differ["code_commune"].nunique()),
        "population_differente": float(differ["population"].sum()),
        "communes_hors_proposition": only_ref,
        "communes_hors_reference": len(only_prop),
    }
    return CatchmentComparison(territories=territories, communes=communes, summary=summary)


def _explode_ids(partition: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Split ``"P001, P002"`` (a commune shared by several territories) into one row per territory."""
    if isinstance(partition, pd.Series):
        return partition
    if "cpts_id" not in partition.columns or not partition["cpts_id"].astype(str).str.contains(", ").any():
        return partition
    frame = pd.DataFrame(partition.drop(columns="geometry", errors="ignore")).copy()
    frame["cpts_id"] = frame["cpts_id"].astype(str).str.split(", ")
    if "cpts_nom" in frame:
        names = frame["cpts_nom"].astype(str).str.split(", ")
        same = names.str.len() == frame["cpts_id"].str.len()
        frame["cpts_nom"] = names.where(same, frame["cpts_id"])
        return frame.explode(["cpts_id", "cpts_nom"], ignore_index=True)
    return frame.explode("cpts_id", ignore_index=True)


def _population(population, proposal, reference) -> pd.Series:
    """Inhabitants per commune code."""
    if population is None:
        for frame in (proposal, reference):
            if isinstance(frame, pd.DataFrame) and "population" in frame.columns:
                population = frame[["code_commune", "population"]]
                break
        else:
            msg = "comparaison : population des communes absente (donnez population=… ou une colonne « population »)."
            raise InputError(msg)
    if isinstance(population, pd.DataFrame):
        population = population.assign(code_commune=population["code_commune"].astype(str)).drop_duplicates(
            "code_commune"
        )
        population = population.set_index("code_commune")["population"]
    pop = pd.to_numeric(pd.Series(population), errors="coerce").fillna(0.0)
    pop.index = pop.index.astype(str)
    return pop[~pop.index.duplicated()]


def comparison_layer(comparison: CatchmentComparison, communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Draw the reference territories as polygons (their communes dissolved) with their scores, for a GeoPackage.

    Parameters
    ----------
    comparison
        Result of :func:`compare_catchments`.
    communes
        Commune polygons with ``code_commune`` (a commune shared by several reference territories is drawn whole
        in each).

    Returns
    -------
    geopandas.GeoDataFrame
        The rows of ``comparison.territories`` with the dissolved polygons, in the communes' CRS.
    """
    pairs = comparison.communes[["code_commune", "reference"]].drop_duplicates()
    geometry = communes[["code_commune", "geometry"]].assign(code_commune=lambda d: d["code_commune"].astype(str))
    shapes = geometry.merge(pairs, on="code_commune").dissolve("reference")
    table = comparison.territories
    return gpd.GeoDataFrame(
        table.reset_index(drop=True),
        geometry=shapes.geometry.reindex(table["cpts_id"]).to_numpy(),
        crs=communes.crs,
    )
