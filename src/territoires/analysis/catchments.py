"""CPTS catchments: mesh a territory into contiguous groups of communes of 12,000 to 152,000 inhabitants.

The method is a constrained, flow-based agglomeration in the tradition of functional regionalisation (Intramax,
Masser & Brown 1975), run on sparse matrices so that it scales to all of France:

1. **Contiguity.** Two communes are neighbours when their polygons touch (queen contiguity). A group of communes
   cut off from the rest (an island, an exclave) whose population is below the floor is joined to the nearest
   commune outside it (shortest polygon-to-polygon distance, same département or EPCI when borders are kept); a
   cut-off group above the floor (Corsica, a large island) is meshed on its own.
2. **Care flows.** Patients' commune → commune of the practitioner consulted. Given by the user (health insurance
   flows) or, by default, estimated with a gravity (Huff) model: each commune's population is shared among the
   communes within ``gravity_max_minutes`` in proportion to ``supply × exp(-minutes / gravity_decay_minutes)``, the
   supply being the GP full-time equivalents plus ``pole_weight`` per MSP, centre de santé or hospital (care poles
   attract), and staying home when no supply is within reach.
3. **Fixed parts.** Communes of existing CPTS are kept as they are and never merged; a commune above the ceiling
   is its own catchment, flagged for an infra-communal split.
4. **Agglomeration, inside the EPCI first.** Every other commune starts in the basin of the care pole it depends on,
   cut at the borders of its EPCI (``structure``) and département. Each round, regions below the floor choose the
   adjacent region with the strongest Intramax interaction ``F_ab / (O_a D_b) + F_ba / (O_b D_a)`` (``F`` flows
   between regions, ``O`` outflows, ``D`` inflows) among those they can join without exceeding the ceiling;
   mutual choices merge, and regions joining one that is already above the floor merge while its population stays
   under the ceiling. This runs inside each EPCI first (an EPCI larger than the target size is split to it); then
   the borders become soft: regions still below the floor cross them, preferring small neighbours
   (``floor_balance``), and mutual best pairs keep merging until the number of proposed catchments reaches its
   target (by default the uncovered population divided by 82,000, the national mean CPTS size in 2024: 32 for
   Centre-Val de Loire, the number that region planned) when ``target_everywhere``; by default, instead, territories
   below ``min_containment`` self-containment keep merging with a neighbour their residents go to, so that the size
   follows the care basins (Centre-Val de Loire: 30 territories); ``containment_max_ratio`` can stop these merges at
   a multiple of the target size instead of the ceiling (an option: see its entry). Real CPTS mostly follow EPCI:
   on the 25 real CPTS of Alpes-de-Haute-Provence, Hautes-Alpes and Alpes-Maritimes, the adjusted Rand index rises
   from 0.28 (flows only) to 0.62 (``bench/bench_cpts_real.py``). All of it is vectorised: a round is a few sparse
   products, and there are a few dozen rounds.
5. **Shape.** Border communes move to a neighbouring catchment when that makes the two rounder (Polsby-Popper),
   within the bounds, keeping contiguity and the care flows (see :func:`_improve_shape`).
6. **Figures and flags.** Per catchment: population, communes, practitioners and FTE, APL weighted by the
   standardised population, self-containment (share of its residents' care flows that stay inside), Polsby-Popper
   compactness, national size class, main commune (largest supply, then population) as its name. A catchment that
   cannot meet the bounds is kept and flagged with the reason; a commune above the ceiling says how many
   catchments it would need (``territoires_necessaires_min`` = population / ceiling rounded up,
   ``territoires_necessaires_cible`` = population / target size).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from .._errors import InputError, warn
from .._format import fr_int, fr_list
from ..io.communes import departement_of
from ..settings import CPTS_SIZE_CLASSES
from .catchment_parameters import CPTS_MEAN_POP, CatchmentParameters  # noqa: F401 (re-exported)
from .travel_times import straight_line_pairs

log = logging.getLogger(__name__)

STATUS_EXISTING = "existante"
STATUS_PROPOSED = "proposée"
ALERT_ABOVE_CEILING = "au-dessus du plafond : découpage infra-communal nécessaire"
ALERT_ISOLATED = "sous le plancher : territoire isolé trop peu peuplé"
ALERT_ENCLAVED = "sous le plancher : enclavé entre des CPTS existantes ou une grande ville"
ALERT_BLOCKED = "sous le plancher : tous les voisins sont proches du plafond"
ALERT_EXISTING_SMALL = "CPTS existante sous le plancher"
ALERT_EXISTING_LARGE = "CPTS existante au-dessus du plafond"


@dataclass
class CatchmentResult:
    """Result of :func:`mesh_catchments`.

    Attributes
    ----------
    communes
        The input communes with ``cpts_id``, ``cpts_nom`` and ``cpts_statut``.
    catchments
        One row per catchment (dissolved polygons): ``cpts_id``, ``nom``, ``statut``, ``commune_principale``,
        ``population``, ``population_standardisee``, ``nb_communes``, ``praticiens``, ``etp``, ``apl_moyen``,
        ``autonomie``, ``compacite``, ``classe_taille``, ``alerte``.
    summary
        Coverage before and after (population shares), counts, the source of the flows, islands joined.
    units
        When communes were split into infra-communal units: the meshed units (communes not split, and the units
        of those split) with their catchment; ``None`` otherwise.
    """

    communes: gpd.GeoDataFrame
    catchments: gpd.GeoDataFrame
    summary: dict = field(default_factory=dict)
    units: gpd.GeoDataFrame | None = None


# --------------------------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------------------------


def contiguity(communes: gpd.GeoDataFrame) -> sparse.csr_array:
    """Queen contiguity of commune polygons (touching borders or corners) as a symmetric 0/1 sparse matrix."""
    geoms = communes.geometry.values
    i, j = communes.sindex.query(geoms, predicate="intersects")
    keep = i != j
    n = len(communes)
    adj = sparse.csr_array((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(n, n))
    adj = ((adj + adj.T) > 0).astype(float)
    return sparse.csr_array(adj)


def _join_cut_off_groups(
    communes: gpd.GeoDataFrame, adj: sparse.csr_array, population: np.ndarray, groups: np.ndarray, floor: float
) -> tuple[sparse.csr_array, list[dict]]:
    """Link every cut-off group of communes below ``floor`` to the nearest commune outside it (same group)."""
    links: list[dict] = []
    geoms = communes.geometry.values
    codes = communes["code_commune"].to_numpy()
    n = len(communes)
    # Each pass links every cut-off component below the floor to its nearest commune outside (same group), all
    # at once; a component linked to another small one is joined again in the next pass. The links are added to
    # the adjacency once per pass (a sparse sum), never one by one.
    for _ in range(n):
        n_comp, comp = connected_components(adj, directed=False)
        comp_pop = np.bincount(comp, weights=population, minlength=n_comp)
        small = np.flatnonzero(comp_pop < floor)
        if small.size == 0:
            break
        comp_group = np.zeros(n_comp, dtype=int)
        comp_group[comp] = groups
        group_size = np.bincount(comp_group, minlength=int(groups.max()) + 1)
        small = small[group_size[comp_group[small]] > 1]  # a group of one component has nowhere to go
        new_a, new_b = [], []
        tree = shapely.STRtree(geoms)  # one tree a pass, queried within growing distances
        for c in small[np.argsort(comp_pop[small], kind="stable")]:  # islands and exclaves: a handful
            members = np.flatnonzero(comp == c)
            found = _nearest_outside(tree, geoms, members, (comp != c) & (groups == groups[members[0]]))
            if found is None:
                continue
            a, b, distance = found
            new_a.append(a)
            new_b.append(b)
            links.append({"commune": codes[a], "rattachee_a": codes[b], "distance_m": distance})
        if not new_a:
            break
        extra = sparse.csr_array((np.ones(len(new_a)), (new_a, new_b)), shape=(n, n))
        adj = sparse.csr_array(((adj + extra + extra.T) > 0).astype(float))
    return adj, links


def _nearest_outside(
    tree: shapely.STRtree, geoms: np.ndarray, members: np.ndarray, allowed: np.ndarray
) -> tuple[int, int, float] | None:
    """Closest pair (member, allowed commune) by polygon distance (metres), or None when none is allowed.

    The tree of all communes is queried within 2 km, then 5 times farther each time, so that the search stays
    local; the candidates found are measured exactly.
    """
    if not allowed.any():
        return None
    distance = 2_000.0
    while True:
        src, dst = tree.query(geoms[members], predicate="dwithin", distance=distance)
        ok = allowed[dst]
        if ok.any() or distance > 5e6:
            break
        distance *= 5
    if not ok.any():
        return None
    src, dst = members[src[ok]], dst[ok]
    gaps = shapely.distance(geoms[src], geoms[dst])
    best = int(np.lexsort((dst, src, gaps))[0])
    return int(src[best]), int(dst[best]), float(gaps[best])


def gravity_flows(
    communes: gpd.GeoDataFrame,
    *,
    supply: np.ndarray,
    max_minutes: float = 30.0,
    decay_minutes: float = 10.0,
    population_column: str = "population",
) -> pd.DataFrame:
    """Estimate care flows between communes with a gravity (Huff) model.

    The population of each commune ``i`` is shared among the communes ``j`` within ``max_minutes``
    (straight-line travel times) in proportion to ``supply_j × exp(-minutes_ij / decay_minutes)``; a commune with
    no supply within reach keeps its population at home.

    Parameters
    ----------
    communes
        Communes in a metric CRS with ``code_commune`` and the population column.
    supply
        Attractiveness of each commune (GP full-time equivalents, say), aligned with ``communes``.
    max_minutes, decay_minutes
        Reach and decay constant of the model (minutes).

    Returns
    -------
    pandas.DataFrame
        ``origin``, ``destination`` (commune codes), ``flux`` (inhabitants; each origin's flows sum to its
        population).
    """
    pop = communes[population_column].fillna(0).to_numpy(dtype=float)
    coo = gravity_matrix(communes, supply=supply, population=pop, max_minutes=max_minutes, decay_minutes=decay_minutes)
    codes = communes["code_commune"].to_numpy()
    return pd.DataFrame({"origin": codes[coo.row], "destination": codes[coo.col], "flux": coo.data})


def gravity_matrix(
    communes: gpd.GeoDataFrame,
    *,
    supply: np.ndarray,
    population: np.ndarray,
    max_minutes: float = 30.0,
    decay_minutes: float = 10.0,
) -> sparse.coo_array:
    """Positional form of :func:`gravity_flows`: the commune × commune flow matrix (inhabitants)."""
    i, j, minutes = straight_line_pairs(communes, max_minutes=max_minutes)
    n = len(communes)
    w = np.asarray(supply, dtype=float)[j] * np.exp(-minutes / decay_minutes)
    total = np.bincount(i, weights=w, minlength=n)
    flux = population[i] * np.divide(w, total[i], out=np.zeros_like(w), where=total[i] > 0)
    home = np.flatnonzero(total <= 0)  # no supply within reach: patients stay home
    keep = flux > 0
    rows = np.concatenate([i[keep], home])
    cols = np.concatenate([j[keep], home])
    return sparse.coo_array((np.concatenate([flux[keep], population[home]]), (rows, cols)), shape=(n, n))


def _flow_matrix(flows: pd.DataFrame, codes: pd.Index) -> tuple[sparse.csr_array, dict]:
    """Sparse commune × commune flow matrix; flows with codes outside the territory are counted, not used."""
    i = codes.get_indexer(flows["origin"].astype(str))
    j = codes.get_indexer(flows["destination"].astype(str))
    flux = flows["flux"].to_numpy(dtype=float)
    ok = (i >= 0) & (j >= 0)
    report = {
        "flux_lignes": len(flows),
        "flux_lignes_hors_territoire": int((~ok).sum()),
        "flux_hors_territoire": float(flux[~ok].sum()),
    }
    if (~ok).any():
        unknown = pd.unique(
            np.concatenate([flows["origin"].astype(str)[i < 0], flows["destination"].astype(str)[j < 0]])
        )
        warn(
            f"flux : {fr_int((~ok).sum())} ligne(s) ({fr_int(flux[~ok].sum())} au total) ont une commune hors du "
            f"territoire ({fr_list(unknown)}) : elles ne guident pas le découpage."
        )
    n = len(codes)
    mat = sparse.csr_array((flux[ok], (i[ok], j[ok])), shape=(n, n))
    return mat, report


def _argmax_by_row(rows: np.ndarray, cols: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each distinct row, the column of its highest score (vectorised)."""
    order = np.lexsort((cols, -score, rows))
    rows, cols, score = rows[order], cols[order], score[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    return rows[first], cols[first], score[first]


def _relabel(labels: np.ndarray, a: np.ndarray, b: np.ndarray, k: int) -> tuple[np.ndarray, sparse.csr_array, int]:
    """Merge regions along the edges ``a``–``b``; return new commune labels, the k×k' map and k'."""
    link = sparse.csr_array((np.ones(a.size), (a, b)), shape=(k, k))
    k_new, new = connected_components(link, directed=False)
    mapping = sparse.csr_array((np.ones(k), (np.arange(k), new)), shape=(k, k_new))
    return new[labels], mapping, k_new


def care_basins(
    flows: sparse.csr_array,
    adjacency: sparse.csr_array,
    *,
    free: np.ndarray,
    population: np.ndarray,
    ceiling: float,
    units: np.ndarray | None = None,
) -> np.ndarray:
    """Group communes by the care pole they depend on (dominant flows), in contiguous pieces under the ceiling.

    Each commune points to the commune receiving most of its residents' flows (itself for a pole); the chains of
    such pointers end at poles, and each pole with the communes leading to it forms a basin (Nystuen & Dacey's
    dominant-flow method, as in INSEE's bassins de vie). A basin is cut into contiguous pieces; a piece above the
    ceiling falls back to single communes, left to the agglomeration.

    Parameters
    ----------
    flows
        Commune × commune care flows (sparse).
    adjacency
        Contiguity between communes (sparse, symmetric).
    free
        Communes to group (others keep a basin of their own).
    population, ceiling
        Populations (inhabitants) and the ceiling of a catchment.
    units
        Borders a basin does not cross (an integer code per commune: EPCI, département), if any.

    Returns
    -------
    numpy.ndarray
        A basin label per commune (integers, not consecutive).
    """
    n = flows.shape[0]
    keep = sparse.diags_array(free.astype(float))
    coo = sparse.csr_array(keep @ flows @ keep).tocoo()
    positive = coo.data > 0
    rows, cols, _ = _argmax_by_row(coo.row[positive], coo.col[positive], coo.data[positive])
    dominant = np.arange(n)
    dominant[rows] = cols
    pointer = sparse.csr_array((np.ones(n), (np.arange(n), dominant)), shape=(n, n))
    _, basin = connected_components(pointer, directed=False)
    adj = adjacency.tocoo()
    inside = free[adj.row] & free[adj.col] & (basin[adj.row] == basin[adj.col])
    if units is not None:
        inside &= units[adj.row] == units[adj.col]
    links = sparse.csr_array((np.ones(int(inside.sum())), (adj.row[inside], adj.col[inside])), shape=(n, n))
    _, piece = connected_components(links, directed=False)
    too_big = np.bincount(piece, weights=population, minlength=n)[piece] > ceiling
    piece = piece.copy()
    piece[too_big] = n + np.flatnonzero(too_big)
    return piece


class _Agglomeration:
    """Region-level state of the agglomeration: labels, populations, flows and contiguity between regions."""

    def __init__(
        self,
        labels: np.ndarray,
        population: np.ndarray,
        flows: sparse.csr_array,
        adjacency: sparse.csr_array,
        frozen_regions: np.ndarray,
        group_of_region: np.ndarray,
        *,
        seed: int,
        soft_borders: list[np.ndarray] | None = None,
        structure_weight: float = 1.0,
    ) -> None:
        self._population, self._flows, self._adjacency = population, flows, adjacency
        # Soft borders (EPCI, département): commune × unit matrices of inhabitants; merges inside a unit score higher.
        n = labels.size
        self._structure = [
            sparse.csr_array((population + 1e-9, (np.arange(n), codes)), shape=(n, int(codes.max()) + 1))
            for codes in (soft_borders or [])
            if structure_weight != 1.0
        ]
        self.structure: list[sparse.csr_array] = []
        self.structure_weight = structure_weight
        self.frozen = frozen_regions.astype(bool)
        self.group = group_of_region
        rng = np.random.default_rng(seed)
        self.jitter = rng.random(frozen_regions.size)
        self.rounds = 0
        self._rebuild(labels)

    def _rebuild(self, labels: np.ndarray) -> None:
        """Recompute the region-level state from commune labels (dropping regions left empty)."""
        kept, labels = np.unique(labels, return_inverse=True)
        self.frozen, self.group, self.jitter = self.frozen[kept], self.group[kept], self.jitter[kept]
        self.labels = labels
        self.k = kept.size
        n = labels.size
        onehot = sparse.csr_array((np.ones(n), (np.arange(n), labels)), shape=(n, self.k))
        self.pop = np.bincount(labels, weights=self._population, minlength=self.k)
        self.flows = sparse.csr_array(onehot.T @ self._flows @ onehot)
        self.structure = [sparse.csr_array(onehot.T @ m) for m in self._structure]
        adj = sparse.csr_array(onehot.T @ self._adjacency @ onehot)
        adj = sparse.csr_array(adj - sparse.diags_array(adj.diagonal()))  # no self-loops; setdiag(0) would warn
        adj.eliminate_zeros()  # on scipy before 1.15 by adding the missing diagonal entries
        self.adj = sparse.csr_array((adj > 0).astype(float))

    def dissolve(self, r: int, ceiling: float) -> bool:
        """Share the communes of region ``r`` among its neighbours, border first, following the flows.

        Each round, the communes of ``r`` touching another (unfrozen, same group) region join the one they
        exchange most flows with, while it stays under the ceiling. Returns False, leaving everything unchanged,
        when some communes cannot be placed.
        """
        labels = self.labels.copy()
        pop = self.pop.copy()
        remaining = labels == r
        n = labels.size
        while remaining.any():
            onehot = sparse.csr_array((np.ones(n), (np.arange(n), labels)), shape=(n, self.k))
            idx = np.flatnonzero(remaining)
            near = sparse.csr_array(self._adjacency[idx] @ onehot).tocoo()
            i, region = idx[near.row], near.col
            ok = (region != r) & ~self.frozen[region] & (self.group[region] == self.group[r])
            if not ok.any():
                return False
            i, region, shared = i[ok], region[ok], near.data[ok]
            link = sparse.csr_array(self._flows[idx] @ onehot + (onehot.T @ self._flows[:, idx]).T)
            position = pd.Index(idx).get_indexer(i)
            score = np.asarray(link[position, region]).ravel() + 1e-9 * shared
            rows, cols, sc = _argmax_by_row(i, region, score)
            order = np.lexsort((rows, -sc, cols))
            rows, cols = rows[order], cols[order]
            added = pd.Series(self._population[rows]).groupby(cols).cumsum().to_numpy()
            accept = pop[cols] + added <= ceiling
            if not accept.any():
                return False
            labels[rows[accept]] = cols[accept]
            pop += np.bincount(cols[accept], weights=self._population[rows[accept]], minlength=self.k)
            remaining[rows[accept]] = False
        self._rebuild(labels)
        self.rounds += 1
        return True

    def _apply(self, a: np.ndarray, b: np.ndarray) -> None:
        self.labels, mapping, k_new = _relabel(self.labels, a, b, self.k)
        mt = mapping.T
        self.pop = mt @ self.pop
        self.flows = sparse.csr_array(mt @ self.flows @ mapping)
        self.structure = [sparse.csr_array(mt @ m) for m in self.structure]
        adj = sparse.csr_array(mt @ self.adj @ mapping)
        adj = sparse.csr_array(adj - sparse.diags_array(adj.diagonal()))  # no self-loops; setdiag(0) would warn
        adj.eliminate_zeros()  # on scipy before 1.15 by adding the missing diagonal entries
        self.adj = sparse.csr_array((adj > 0).astype(float))
        self.frozen = (mt @ self.frozen.astype(float)) > 0
        first = np.full(k_new, -1)
        newidx = mapping.indices  # row r of mapping has its single 1 at column newidx[r]
        first[newidx[::-1]] = np.arange(self.k)[::-1]
        self.group = self.group[first]
        self.jitter = self.jitter[first]
        self.k = k_new
        self.rounds += 1

    def _candidate_pairs(self, ceiling: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Adjacent, unfrozen region pairs whose union stays under the ceiling, with their Intramax score."""
        coo = self.adj.tocoo()
        a, b = coo.row, coo.col
        ok = ~self.frozen[a] & ~self.frozen[b] & (self.pop[a] + self.pop[b] <= ceiling)
        ok &= self.group[a] == self.group[b]
        a, b = a[ok], b[ok]
        out = np.asarray(self.flows.sum(axis=1)).ravel()
        inn = np.asarray(self.flows.sum(axis=0)).ravel()
        inv_o = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
        inv_d = np.divide(1.0, inn, out=np.zeros_like(inn), where=inn > 0)
        norm = sparse.csr_array(sparse.diags_array(inv_o) @ self.flows @ sparse.diags_array(inv_d))
        sym = sparse.csr_array(norm + norm.T)
        intramax = np.asarray(sym[a, b]).ravel() if a.size else np.zeros(0)
        # Regions with no flow between them still need a partner: a tiny score favouring small unions, and a
        # seeded, symmetric tie-break.
        fallback = 1e-9 / (self.pop[a] + self.pop[b] + 1.0)
        tie = 1e-15 * (self.jitter[a] + self.jitter[b])
        return a, b, (intramax + fallback + tie) * self._affinity(a, b)

    def _affinity(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Score multiplier of merging ``a`` and ``b``.

        The product over soft borders of ``weight ** s``, ``s`` the share of their inhabitants' pairs in the same
        unit (1 inside one EPCI, 0 across EPCI borders).
        """
        factor = np.ones(a.size)
        for matrix in self.structure if a.size else []:
            sa, sb = matrix[a], matrix[b]
            na = np.asarray(sa.sum(axis=1)).ravel()
            nb = np.asarray(sb.sum(axis=1)).ravel()
            same = np.asarray(sa.multiply(sb).sum(axis=1)).ravel()
            share = np.divide(same, na * nb, out=np.zeros(a.size), where=(na * nb) > 0)
            factor *= self.structure_weight ** np.clip(share, 0.0, 1.0)
        return factor

    def containment(self) -> np.ndarray:
        """Self-containment of each region among the flows it could hold (0 without flows).

        The share of its residents' flows that stay inside, leaving out those towards fixed regions (existing
        CPTS, cities above the ceiling): no merge can bring those inside.
        """
        out = np.asarray(self.flows.sum(axis=1)).ravel()
        out -= np.asarray(self.flows @ self.frozen.astype(float)).ravel() * ~self.frozen
        return np.divide(self.flows.diagonal(), out, out=np.zeros(self.k), where=out > 0)

    def grow_to_floor(self, floor: float, ceiling: float, *, balance: float = 0.0) -> None:
        """Merge regions below the floor with their best neighbour until none can move.

        Scores are divided by the union's population to the power ``balance`` (0: flows alone).
        """
        self._grow(lambda: self.pop < floor, ceiling, balance=balance)

    def grow_to_containment(
        self,
        minimum: float,
        ceiling: float,
        *,
        balance: float = 1.0,
        min_share: float = 0.0,
        max_union: float | None = None,
    ) -> None:
        """Merge regions whose self-containment is below ``minimum`` with their best neighbour, under the ceiling.

        The stopping rule of functional regionalisation (travel-to-work areas, Coombes & Bond 2008): a region is
        a territory of its own once most of its residents' flows stay inside it. A region joins only a neighbour
        that receives at least ``min_share`` of its residents' flows: one its residents use for care. With
        ``max_union``, no union of more than that many inhabitants is formed (a size cap below the ceiling).
        """
        self._grow(
            lambda: self.containment() < minimum, ceiling, balance=balance, min_share=min_share, max_union=max_union
        )

    def _grow(
        self,
        needs,
        ceiling: float,
        *,
        balance: float,
        min_share: float = 0.0,
        max_union: float | None = None,
    ) -> None:
        """Regions for which ``needs()`` is true merge with their best neighbour until none can move.

        With ``min_share``, a region only joins a neighbour that receives at least that share of its residents'
        flows. With ``max_union``, only unions of at most that many inhabitants are candidates.
        """
        while True:
            a, b, score = self._candidate_pairs(ceiling)
            if min_share:
                out = np.asarray(self.flows.sum(axis=1)).ravel()
                used = np.asarray(self.flows[a, b]).ravel() if a.size else np.zeros(0)
                keep = used >= min_share * out[a]
                a, b, score = a[keep], b[keep], score[keep]
            if max_union is not None and a.size:
                keep = self.pop[a] + self.pop[b] <= max_union
                a, b, score = a[keep], b[keep], score[keep]
            if balance:
                score = score / (self.pop[a] + self.pop[b] + 1.0) ** balance
            small = needs()
            src = small[a]
            if not src.any():
                return
            rows, choice_col, choice_score = _argmax_by_row(a[src], b[src], score[src])
            choice = np.full(self.k, -1)
            choice[rows] = choice_col
            is_source = choice >= 0
            mutual = is_source[choice_col] & (choice[choice_col] == rows)
            pa, pb = rows[mutual & (rows < choice_col)], choice_col[mutual & (rows < choice_col)]
            # Sources joining a region that is not moving: accept the strongest while under the ceiling.
            lone = ~is_source[choice_col]
            ja, jb, js = rows[lone], choice_col[lone], choice_score[lone]
            order = np.lexsort((ja, -js, jb))
            ja, jb = ja[order], jb[order]
            added = pd.Series(self.pop[ja]).groupby(jb).cumsum().to_numpy()
            accept = self.pop[jb] + added <= (ceiling if max_union is None else min(ceiling, max_union))
            a_all = np.concatenate([pa, ja[accept]])
            b_all = np.concatenate([pb, jb[accept]])
            if a_all.size == 0:
                return
            self._apply(a_all, b_all)

    def merge_to_targets(self, targets: dict, ceiling: float, *, balance: float = 1.0) -> None:
        """Merge mutual best pairs (strongest first) until each group's count of unfrozen regions hits its target.

        Scores are divided by the union's population to the power ``balance``: among equally linked pairs, small
        regions merge first, which keeps sizes even and leaves room under the ceiling for the last merges.
        """
        while True:
            a, b, score = self._candidate_pairs(ceiling)
            score = score / (self.pop[a] + self.pop[b] + 1.0) ** balance
            n_groups = int(self.group.max()) + 1
            active = ~self.frozen
            counts = np.bincount(self.group[active], minlength=n_groups)
            target = np.full(n_groups, np.iinfo(np.int64).max)
            for g, t in targets.items():  # one entry per département or border group, not per commune
                target[g] = t
            excess = counts - np.minimum(target, counts)
            keep = excess[self.group[a]] > 0
            a, b, score = a[keep], b[keep], score[keep]
            if a.size == 0:
                if self._dissolve_one(np.flatnonzero(excess > 0), ceiling):
                    continue
                return
            rows, cols, sc = _argmax_by_row(a, b, score)
            choice = np.full(self.k, -1)
            choice[rows] = cols
            mutual = (choice[cols] == rows) & (rows < cols)
            pa, pb, ps = rows[mutual], cols[mutual], sc[mutual]
            order = np.argsort(-ps, kind="stable")
            pa, pb = pa[order], pb[order]
            rank = pd.Series(np.ones(pa.size)).groupby(self.group[pa]).cumsum().to_numpy()
            take = rank <= excess[self.group[pa]]
            if not take.any():
                return
            self._apply(pa[take], pb[take])

    def _dissolve_one(self, groups: np.ndarray, ceiling: float) -> bool:
        """Blocked by the ceiling: dissolve the smallest region of a group above its target that can be."""
        candidates = np.flatnonzero(~self.frozen & np.isin(self.group, groups))
        for r in candidates[np.argsort(self.pop[candidates], kind="stable")]:  # a few regions, not communes
            if self.dissolve(int(r), ceiling):
                return True
        return False


def _self_containment(labels: np.ndarray, k: int, flows: sparse.csr_array) -> np.ndarray:
    """Share of each region's residents' flows that stay inside it."""
    n = labels.size
    onehot = sparse.csr_array((np.ones(n), (np.arange(n), labels)), shape=(n, k))
    inside = (onehot.T @ flows @ onehot).diagonal()
    out = np.bincount(labels, weights=np.asarray(flows.sum(axis=1)).ravel(), minlength=k)
    return np.divide(inside, out, out=np.full(k, np.nan), where=out > 0)


def _shared_borders(geoms: np.ndarray, adjacency: sparse.csr_array) -> sparse.csr_array:
    """Length of the border shared by each pair of neighbouring communes (metres; 0 for island links).

    Commune polygons tile the territory (IGN contours are a coverage): a border segment shared by two communes is
    the same pair of vertices in both. Segments are matched by their end points (to the centimetre), which takes
    a few sort passes over the vertices instead of a polygon intersection per pair. Pairs in ``adjacency`` whose
    vertices do not match (a contour drawn with a sliver) fall back to the length of their boundaries' intersection.
    """
    n = adjacency.shape[0]
    parts, owner = shapely.get_parts(geoms, return_index=True)
    rings, part = shapely.get_rings(parts, return_index=True)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    # Each vertex as one integer (centimetres, x and y packed), each segment as its two vertices in order.
    cm = np.round(coords * 100).astype(np.int64)
    cm -= cm.min(axis=0)
    point = (cm[:, 0] << 31) | cm[:, 1]
    p0, p1 = point[:-1][same], point[1:][same]
    lo, hi = np.minimum(p0, p1), np.maximum(p0, p1)
    length_all = np.hypot(*(coords[1:][same] - coords[:-1][same]).T)
    commune = owner[part[ring[:-1][same]]]
    order = np.lexsort((hi, lo))
    lo, hi = lo[order], hi[order]
    pair = (lo[1:] == lo[:-1]) & (hi[1:] == hi[:-1])  # segment k and k + 1 are the same border
    first = np.flatnonzero(pair)
    a, b, length = commune[order][first], commune[order][first + 1], length_all[order][first]
    other = a != b
    shared = sparse.csr_array((length[other], (a[other], b[other])), shape=(n, n))
    shared = sparse.csr_array(shared + shared.T)
    # Neighbours with no matching segment (not a clean coverage): measure their boundaries' intersection.
    coo = sparse.triu(adjacency, k=1).tocoo()
    missing = np.asarray(shared[coo.row, coo.col]).ravel() == 0
    if missing.any():
        boundaries = shapely.boundary(geoms)
        r, c = coo.row[missing], coo.col[missing]
        extra = np.asarray(shapely.length(shapely.intersection(boundaries[r], boundaries[c])))
        upper = sparse.csr_array((extra, (r, c)), shape=(n, n))
        shared = sparse.csr_array(shared + upper + upper.T)
    return shared


def _improve_shape(
    agg: _Agglomeration,
    communes: gpd.GeoDataFrame,
    *,
    floor: float,
    ceiling: float,
    structure: np.ndarray | None,
    params: CatchmentParameters,
) -> dict:
    """Move border communes to a neighbouring territory whose centre is nearer, to make territories rounder.

    Each round, every commune on the border of two proposed territories is a candidate to move to the neighbour
    whose (area-weighted) centroid is nearer than its own territory's, by at least ``shape_min_gain`` of the
    territory's radius. A move is kept only when both territories stay within the bounds (or do not get further
    from them), the commune exchanges at least ``shape_flow_ratio`` times as much care flow with its new territory
    as with the rest of its own, it does not leave most of its EPCI behind, and its territory stays in one piece.
    Each territory gives or receives at most one commune a round (moves never conflict). The whole pass is undone if
    the median self-containment falls by more than ``shape_max_containment_loss``.

    Returns
    -------
    dict
        ``communes_deplacees``, ``tours``, ``compacite_proxy_avant``/``apres`` (mean normalised distance of the
        communes to their territory's centroid), ``autonomie_mediane_avant``/``apres``.
    """
    report = {"communes_deplacees": 0, "tours": 0}
    if params.shape_rounds <= 0 or agg.k < 2:
        return report
    n = agg.labels.size
    geom = communes.geometry.values
    area = np.asarray(shapely.area(geom))
    pop = agg._population
    flows = agg._flows
    sym = sparse.csr_array(flows + flows.T)
    adj = agg._adjacency.tocoo()
    labels = agg.labels.copy()
    k = agg.k
    movable_region = ~agg.frozen
    start = labels.copy()
    before_containment = float(np.nanmedian(_self_containment(labels, k, flows)))

    shared = _shared_borders(geom, agg._adjacency)
    perimeter = np.asarray(shapely.length(geom))

    def polsby_popper(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray, sparse.csr_array]:
        onehot = sparse.csr_array((np.ones(n), (np.arange(n), lab)), shape=(n, k))
        towards = sparse.csr_array(shared @ onehot)  # border length of each commune with each territory
        inner = np.bincount(lab, weights=np.asarray(towards[np.arange(n), lab]).ravel(), minlength=k)
        per = np.bincount(lab, weights=perimeter, minlength=k) - inner
        return np.bincount(lab, weights=area, minlength=k), per, towards

    def pp(a: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.divide(4 * np.pi * a, p**2, out=np.zeros_like(a), where=p > 0)

    a_reg, p_reg_len, _ = polsby_popper(labels)
    if not movable_region.any():
        return report
    report["compacite_mediane_avant"] = float(np.median(pp(a_reg, p_reg_len)[movable_region]))
    moved_total = 0
    for round_ in range(params.shape_rounds):
        a_reg, per_reg, towards = polsby_popper(labels)
        p_reg = np.bincount(labels, weights=pop, minlength=k)
        size = np.bincount(labels, minlength=k)
        own, other = labels[adj.row], labels[adj.col]
        cand = (own != other) & movable_region[own] & movable_region[other] & (size[own] > 1)
        i, src, dst = adj.row[cand], own[cand], other[cand]
        if i.size == 0:
            break
        # Polsby-Popper of both territories after the move: the commune's border with its old territory becomes
        # outer border there, its border with the new one becomes inner.
        s_src = np.asarray(towards[i, src], dtype=float).ravel()
        s_dst = np.asarray(towards[i, dst], dtype=float).ravel()
        new_src = pp(a_reg[src] - area[i], per_reg[src] - perimeter[i] + 2 * s_src)
        new_dst = pp(a_reg[dst] + area[i], per_reg[dst] + perimeter[i] - 2 * s_dst)
        gain = new_src + new_dst - pp(a_reg[src], per_reg[src]) - pp(a_reg[dst], per_reg[dst])
        # Flows: the commune's exchanges with its new territory against those with the rest of its own.
        onehot = sparse.csr_array((np.ones(n), (np.arange(n), labels)), shape=(n, k))
        moving, pos = np.unique(i, return_inverse=True)
        ties = sparse.csr_array(sym[moving] @ onehot)
        to_dst = np.asarray(ties[pos, dst]).ravel()
        to_src = np.maximum(np.asarray(ties[pos, src]).ravel() - 2 * flows.diagonal()[i], 0.0)
        ok = (gain > params.shape_min_gain) & (to_dst >= params.shape_flow_ratio * to_src)
        # Bounds: both stay within them, or get no further from them.
        new_src, new_dst = p_reg[src] - pop[i], p_reg[dst] + pop[i]
        ok &= (new_src >= floor) | (new_src >= p_reg[src])
        ok &= (new_dst <= ceiling) | (new_dst <= p_reg[dst])
        if structure is not None and params.shape_keep_structure:
            units = sparse.csr_array((np.ones(n), (labels, structure)), shape=(k, int(structure.max()) + 1))
            mates_dst = np.asarray(units[dst, structure[i]]).ravel()
            mates_src = np.asarray(units[src, structure[i]]).ravel() - 1
            ok &= mates_dst >= mates_src
        i, src, dst, gain = i[ok], src[ok], dst[ok], gain[ok]
        if i.size == 0:
            break
        # At most one move per territory (giving or receiving), best gains first.
        order = np.argsort(-gain, kind="stable")
        i, src, dst = i[order], src[order], dst[order]
        best = np.unique(src, return_index=True)[1]  # the best move out of each territory
        best = best[np.argsort(best)]  # still by decreasing gain
        i, src, dst = i[best], src[best], dst[best]
        used = np.zeros(k, dtype=bool)
        take = np.zeros(i.size, dtype=bool)
        for m in range(i.size):  # one candidate per territory: a loop over territories, not communes
            if not used[src[m]] and not used[dst[m]]:
                used[src[m]] = used[dst[m]] = True
                take[m] = True
        i, src, dst = i[take], src[take], dst[take]
        trial = labels.copy()
        trial[i] = dst
        # Contiguity: a territory that gave a commune must stay in one piece.
        inside = trial[adj.row] == trial[adj.col]
        links = sparse.csr_array((np.ones(int(inside.sum())), (adj.row[inside], adj.col[inside])), shape=(n, n))
        _, piece = connected_components(links, directed=False)
        pieces = np.bincount(trial, minlength=k)
        distinct = pd.Series(piece).groupby(trial).nunique().reindex(range(k), fill_value=0).to_numpy()
        broken = (distinct > 1) & (pieces > 0)
        undo = broken[src]
        trial[i[undo]] = src[undo]
        moved = int((~undo).sum())
        labels = trial
        report["tours"] = round_ + 1
        moved_total += moved
        if moved == 0:
            break
    after_containment = float(np.nanmedian(_self_containment(labels, k, flows)))
    if before_containment - after_containment > params.shape_max_containment_loss:
        labels, moved_total = start, 0
        after_containment = before_containment
        report["annule"] = True
    report.update(
        communes_deplacees=moved_total,
        compacite_mediane_apres=float(np.median(pp(*polsby_popper(labels)[:2])[movable_region])),
        autonomie_mediane_avant=before_containment,
        autonomie_mediane_apres=after_containment,
    )
    if moved_total:
        agg._rebuild(labels)
    log.info("forme : %d commune(s) déplacée(s) en %d tours", moved_total, report["tours"])
    return report


# --------------------------------------------------------------------------------------------------------------
# Main entry point
# --------------------------------------------------------------------------------------------------------------


def _group_column(communes: gpd.GeoDataFrame, params: CatchmentParameters) -> np.ndarray:
    within = params.within or ("departement" if params.per_departement is not None else None)
    if within is None:
        return np.zeros(len(communes), dtype=int)
    if within == "departement":
        values = (
            communes["departement"] if "departement" in communes else departement_of(communes["code_commune"])
        ).astype(str)
    elif within in communes.columns:
        values = communes[within].astype("string")
        missing = values.isna()
        if missing.any():
            msg = (
                f"colonne « {within} » : {int(missing.sum())} commune(s) sans valeur "
                f"(ex. {communes.loc[missing, 'code_commune'].iloc[0]}) ; impossible de garder les limites."
            )
            raise InputError(msg)
        values = values.astype(str)
    else:
        msg = f"limites à respecter : colonne « {within} » absente des communes (colonnes : {list(communes.columns)})."
        raise InputError(msg)
    return pd.factorize(values, sort=True)[0]


def _structure_codes(communes: gpd.GeoDataFrame, params: CatchmentParameters) -> np.ndarray | None:
    """Soft-border unit of each commune (integer codes), or None when there is none to follow.

    A commune with no unit (missing EPCI) is a unit of its own: it has no border to prefer.
    """
    column = params.structure
    if column is None or column not in communes.columns:
        return None
    values = communes[column].astype("string")
    if values.isna().all():
        return None
    own = "_" + communes["code_commune"].astype(str)
    values = values.where(values.notna(), own).astype(str)
    return pd.factorize(values, sort=True)[0]


def _soft_borders(communes: gpd.GeoDataFrame, structure: np.ndarray | None) -> list[np.ndarray]:
    """Units whose borders merges prefer not to cross: the structure (EPCI) and the département."""
    from ..io.communes import departement_of

    departement = communes["departement"] if "departement" in communes else departement_of(communes["code_commune"])
    units = [pd.factorize(departement.astype(str), sort=True)[0]]
    return ([structure] if structure is not None else []) + units


def _practitioner_counts(practitioners: pd.DataFrame, codes: pd.Index) -> np.ndarray:
    """Head count of practitioners (``nombre`` where given) in each commune of ``codes``."""
    weight = practitioners["nombre"] if "nombre" in practitioners else pd.Series(1.0, index=practitioners.index)
    idx = codes.get_indexer(practitioners["code_commune"].astype(str))
    ok = idx >= 0
    return np.bincount(idx[ok], weights=weight.to_numpy(dtype=float)[ok], minlength=len(codes))


def _supply(communes, practitioners, facilities, *, hospital_weight: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Return the care supply per commune (GP FTE of the APL supply rule) and its care poles.

    Supply: ``etp`` from :func:`territoires.analysis.apl.compute_apl`, else the same rule applied to
    ``practitioners`` (:func:`territoires.analysis.apl.commune_supply`: activity, else FTE, else head count), else
    head counts. Poles: MSP and centres de santé count 1, hospitals ``hospital_weight`` (MSP equivalents); with the
    supply they make the attraction of the gravity model.
    """
    codes = pd.Index(communes["code_commune"])
    n = len(codes)
    if "etp" in communes.columns:
        gp = communes["etp"].fillna(0).to_numpy(dtype=float)
    elif practitioners is not None and len(practitioners):
        from .apl import APLParameters, commune_supply

        gp = commune_supply(codes.astype(str), practitioners, APLParameters())["etp"].to_numpy()
    elif "praticiens" in communes.columns:
        gp = communes["praticiens"].fillna(0).to_numpy(dtype=float)
    else:
        gp = np.zeros(n)
    poles = np.zeros(n)
    if facilities is not None and len(facilities) and "type_structure" in facilities:
        kind = facilities["type_structure"]
        weight = np.where(kind.isin(["msp", "centre_sante"]), 1.0, np.where(kind.eq("hopital"), hospital_weight, 0.0))
        idx = codes.get_indexer(facilities["code_commune"].astype(str))
        ok = (idx >= 0) & (weight > 0)
        poles = np.bincount(idx[ok], weights=weight[ok], minlength=n).astype(float)
    return gp, poles


def _existing_labels(existing: pd.DataFrame | None, codes: pd.Index) -> tuple[np.ndarray, pd.DataFrame]:
    """Index of the existing CPTS of each commune (-1 if none) and the table of existing CPTS."""
    label = np.full(len(codes), -1)
    if existing is None or len(existing) == 0:
        return label, pd.DataFrame(columns=["cpts_id", "cpts_nom"])
    for column in ("code_commune", "cpts_id"):
        if column not in existing.columns:
            raise InputError(f"CPTS existantes : colonne « {column} » attendue (colonnes : {list(existing.columns)}).")
    ex = existing.copy()
    ex["cpts_id"] = ex["cpts_id"].astype(str)
    if "cpts_nom" not in ex:
        ex["cpts_nom"] = ex["cpts_id"]
    idx = codes.get_indexer(ex["code_commune"].astype(str))
    if (idx < 0).any():
        unknown = ex.loc[idx < 0, "code_commune"].astype(str).tolist()
        warn(
            f"CPTS existantes : {len(unknown)} commune(s) hors du territoire ignorée(s) "
            f"({', '.join(unknown[:5])}{'…' if len(unknown) > 5 else ''})."
        )
    ex = ex[idx >= 0]
    idx = idx[idx >= 0]
    dup = pd.Series(idx).duplicated(keep=False).to_numpy()
    if dup.any():
        rows = ex[dup].sort_values("code_commune").head(4)
        detail = ", ".join(f"{c} ({n})" for c, n in zip(rows["code_commune"], rows["cpts_nom"], strict=True))
        raise InputError(f"CPTS existantes : commune(s) rattachée(s) à plusieurs CPTS : {detail}.")
    table = ex.drop_duplicates("cpts_id")[["cpts_id", "cpts_nom"]].reset_index(drop=True)
    label[idx] = pd.Index(table["cpts_id"]).get_indexer(ex["cpts_id"])
    return label, table


def _targets(
    params: CatchmentParameters, group: np.ndarray, pop: np.ndarray, free: np.ndarray, *, structured: bool = False
) -> dict | None:
    """Target number of proposed catchments per group (None: stop at the floor).

    With soft borders (``structured``), the target size has already been applied inside each unit: only an
    explicit number of catchments (``n_catchments``, ``per_departement``) still sets a count.
    """
    free_pop = pd.Series(pop[free]).groupby(group[free]).sum()
    if params.per_departement is not None:
        per = params.per_departement
        low, high = (per, per) if isinstance(per, int) else per
        size = params.target_population or CPTS_MEAN_POP
        return {g: int(np.clip(round(p / size), low, high)) for g, p in free_pop.items()}
    if params.n_catchments is not None:
        if free_pop.size > 1:
            share = free_pop / free_pop.sum() * params.n_catchments
            return {g: max(1, round(v)) for g, v in share.items()}
        return {g: params.n_catchments for g in free_pop.index}
    if params.target_population is None or structured:
        return None
    return {g: max(1, round(p / params.target_population)) for g, p in free_pop.items()}


def _group_names(communes: pd.DataFrame, params: CatchmentParameters, group: np.ndarray) -> dict[int, str]:
    """Readable name of each border group (the département or EPCI code; "territoire" without borders)."""
    within = params.within or ("departement" if params.per_departement is not None else None)
    if within is None:
        return {0: "territoire"}
    values = (
        departement_of(communes["code_commune"])
        if within == "departement" and "departement" not in communes
        else communes[within]
    )
    first = pd.Series(values.astype(str).to_numpy()).groupby(group).first()
    return {int(g): f"{within} {v}" for g, v in first.items()}


def _named_targets(targets, communes, params, group) -> dict[str, int]:
    if not targets:
        return {}
    names = _group_names(communes, params, group)
    return {names[g]: t for g, t in targets.items()}


def _size_class(population: pd.Series) -> pd.Series:
    bounds = [b for b, _ in CPTS_SIZE_CLASSES]
    classes = [c for _, c in CPTS_SIZE_CLASSES]
    return pd.Series(
        np.asarray(classes)[np.searchsorted(bounds, population.to_numpy(), side="left")], index=population.index
    )


def mesh_catchments(
    communes: gpd.GeoDataFrame,
    *,
    params: CatchmentParameters | None = None,
    flows: pd.DataFrame | None = None,
    existing: pd.DataFrame | None = None,
    practitioners: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    infra: gpd.GeoDataFrame | None = None,
) -> CatchmentResult:
    """Partition communes into contiguous CPTS catchments within population bounds (see the module docstring).

    Parameters
    ----------
    communes
        Communes in a metric CRS (Lambert-93) with ``code_commune``, ``nom``, ``population`` and geometry; where
        present ``population_standardisee``, ``apl``, ``praticiens``, ``etp`` (from :func:`compute_apl`),
        ``departement``, ``epci``.
    params
        Bounds, targets and options (:class:`CatchmentParameters`).
    flows
        Care flows ``origin``, ``destination``, ``flux`` (patients' commune → practitioner's commune); estimated
        with a gravity model when absent.
    existing
        Existing CPTS: ``code_commune``, ``cpts_id``, ``cpts_nom`` (one row per commune); kept as they are.
    practitioners, facilities
        Used for the supply of the gravity model when the communes carry no ``etp``/``praticiens``; MSP and
        centres de santé act as care poles.
    infra
        Infra-communal units (IRIS) with ``code_unite``, ``code_commune``, ``nom_unite``, ``population`` and
        polygons (see :func:`territoires.io.cpts.infra_units_from_file`): a commune above the ceiling that has
        units is split into them before the meshing (see :func:`split_communes`); the result then also holds the
        ``units`` meshed.

    Returns
    -------
    CatchmentResult
        Communes with their catchment, the dissolved catchments with their figures, and a summary.
    """
    params = params or CatchmentParameters()
    if infra is not None and len(infra):
        return _mesh_with_units(
            communes,
            infra,
            params=params,
            flows=flows,
            existing=existing,
            practitioners=practitioners,
            facilities=facilities,
        )
    if len(communes) == 0:
        raise InputError("découpage en CPTS : aucune commune.")
    if communes.crs is None or not communes.crs.is_projected:
        raise InputError("découpage en CPTS : les communes doivent être dans un système métrique (Lambert-93).")
    gdf = communes.reset_index(drop=True)
    codes = pd.Index(gdf["code_commune"].astype(str))
    if codes.has_duplicates:
        raise InputError(f"découpage en CPTS : codes commune en double ({codes[codes.duplicated()][:5].tolist()}).")
    n = len(gdf)
    pop = gdf["population"].fillna(0).to_numpy(dtype=float)
    floor, ceiling = float(params.min_population), float(params.max_population)
    group = _group_column(gdf, params)

    # 1. Contiguity, cut-off groups joined to their nearest neighbour.
    adj = contiguity(gdf)
    if group.max() > 0:
        coo = adj.tocoo()
        same = group[coo.row] == group[coo.col]
        adj = sparse.csr_array((coo.data[same], (coo.row[same], coo.col[same])), shape=(n, n))
    adj, links = _join_cut_off_groups(gdf, adj, pop, group, floor)
    if links:
        log.info("%d île(s)/enclave(s) rattachée(s) à leur voisine la plus proche", len(links))

    # 2. Flows.
    gp, poles = _supply(gdf, practitioners, facilities, hospital_weight=params.hospital_weight)
    supply = gp + params.pole_weight * poles
    if flows is None:
        flows_source = "estimés (modèle gravitaire)"
        if supply.sum() <= 0:
            supply = pop.copy()
            flows_source = "estimés (modèle gravitaire sur la population, sans offre connue)"
        flow_mat = sparse.csr_array(
            gravity_matrix(
                gdf,
                supply=supply,
                population=pop,
                max_minutes=params.gravity_max_minutes,
                decay_minutes=params.gravity_decay_minutes,
            )
        )
        flow_report = {"flux_lignes": int(flow_mat.nnz), "flux_lignes_hors_territoire": 0, "flux_hors_territoire": 0.0}
    else:
        flows_source = "fournis"
        flow_mat, flow_report = _flow_matrix(flows, codes)
        defaults = CatchmentParameters()
        unused = [
            f"{name} {getattr(params, field):g} min"
            for field, name in (("gravity_decay_minutes", "décroissance"), ("gravity_max_minutes", "portée"))
            if getattr(params, field) != getattr(defaults, field)
        ]
        if unused:
            warn(
                f"découpage en CPTS : les flux sont fournis ; les réglages du modèle gravitaire ({', '.join(unused)}) "
                "ne servent qu'à les estimer et sont sans effet."
            )

    # 3. Fixed parts: existing CPTS, communes above the ceiling.
    ex_label, ex_table = _existing_labels(existing, codes)
    in_existing = ex_label >= 0
    big = ~in_existing & (pop > ceiling)
    free = ~in_existing & ~big
    labels = np.empty(n, dtype=int)
    n_ex = len(ex_table)
    labels[in_existing] = ex_label[in_existing]
    others = np.flatnonzero(~in_existing)
    # Soft borders (EPCI by default): the first pass keeps inside them, the second crosses them where needed.
    structure = _structure_codes(gdf, params)
    soft = _soft_borders(gdf, structure)
    inner = group if structure is None else pd.factorize(pd.MultiIndex.from_arrays([group, *soft]))[0]
    basins = care_basins(flow_mat, adj, free=free, population=pop, ceiling=ceiling, units=inner)
    first_labels, uniques = pd.factorize(basins[others], sort=True)
    labels[others] = n_ex + first_labels
    frozen_regions = np.zeros(n_ex + len(uniques), dtype=bool)
    frozen_regions[:n_ex] = True
    frozen_regions[labels[big]] = True
    group_of_region = np.zeros(frozen_regions.size, dtype=int)
    group_of_region[labels] = inner

    # 4. Agglomeration.
    agg = _Agglomeration(
        labels,
        pop,
        flow_mat,
        adj,
        frozen_regions,
        group_of_region,
        seed=params.seed,
        soft_borders=soft,
        structure_weight=params.structure_weight,
    )
    agg.grow_to_floor(floor, ceiling)
    if structure is not None:
        # Inside each unit, the target size splits the large ones (a métropole into several territories); the
        # floor and an explicit number of territories are then met across unit borders, same-unit merges first.
        if params.target_population is not None:
            unit_pop = pd.Series(pop[free]).groupby(inner[free]).sum()
            agg.merge_to_targets({g: max(1, round(p / params.target_population)) for g, p in unit_pop.items()}, ceiling)
        outer = np.zeros(agg.k, dtype=int)
        outer[agg.labels] = group
        agg.group = outer
        agg.grow_to_floor(floor, ceiling, balance=params.floor_balance)
    targets = _targets(params, group, pop, free, structured=structure is not None and not params.target_everywhere)
    missed = {}
    if targets:
        agg.merge_to_targets(targets, ceiling)
        reached = np.bincount(agg.group[~agg.frozen], minlength=int(group.max()) + 1)
        names = _group_names(gdf, params, group)
        missed = {names[g]: {"cible": t, "obtenu": int(reached[g])} for g, t in targets.items() if reached[g] > t}
        if missed:
            detail = "; ".join(f"{k} : {v['obtenu']} au lieu de {v['cible']}" for k, v in list(missed.items())[:5])
            warn(
                "territoires de CPTS : nombre visé non atteint sans dépasser le plafond ("
                + detail
                + ") ; relevez --max-pop ou le nombre visé."
            )
    if (
        params.min_containment is not None
        and params.target_population is not None
        and params.n_catchments is None
        and params.per_departement is None
    ):
        cap = None
        if params.containment_max_ratio is not None:
            cap = params.containment_max_ratio * params.target_population
        agg.grow_to_containment(params.min_containment, ceiling, min_share=params.containment_min_share, max_union=cap)
    log.info("agglomération : %d tours, %d territoires", agg.rounds, agg.k)
    shape = _improve_shape(agg, gdf, floor=floor, ceiling=ceiling, structure=structure, params=params)

    return _assemble(
        gdf,
        agg=agg,
        n_existing=n_ex,
        ex_label=ex_label,
        ex_table=ex_table,
        big=big,
        supply=supply,
        flow_mat=flow_mat,
        params=params,
        summary_extra={
            "flux": flows_source,
            **flow_report,
            "iles_rattachees": links,
            "tours": agg.rounds,
            "forme": shape,
            "cibles": {str(k): int(v) for k, v in _named_targets(targets, gdf, params, group).items()},
            "cibles_non_atteintes": missed,
        },
    )


def _assemble(gdf, *, agg, n_existing, ex_label, ex_table, big, supply, flow_mat, params, summary_extra):
    """Name, figure and dissolve the catchments; flag those outside the bounds."""
    n = len(gdf)
    labels = agg.labels
    floor, ceiling = float(params.min_population), float(params.max_population)
    pop = gdf["population"].fillna(0).to_numpy(dtype=float)
    in_existing = ex_label >= 0

    # Main commune: largest supply, then population, then code (deterministic).
    order = np.lexsort((gdf["code_commune"].to_numpy(), -pop, -supply, labels))
    main = np.full(agg.k, -1)
    first = np.ones(n, dtype=bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    main[labels[order][first]] = order[first]

    # A catchment holding an existing CPTS's communes carries its identity.
    region_existing = np.full(agg.k, -1)
    region_existing[labels[in_existing]] = ex_label[in_existing]
    status = np.where(region_existing >= 0, STATUS_EXISTING, STATUS_PROPOSED)
    names = gdf["nom"].astype(str).to_numpy()[main] if "nom" in gdf else gdf["code_commune"].to_numpy()[main]
    main_codes = gdf["code_commune"].to_numpy()[main]
    ids = np.empty(agg.k, dtype=object)
    is_ex = region_existing >= 0
    ids[is_ex] = ex_table["cpts_id"].to_numpy()[region_existing[is_ex]]
    names = names.astype(object)
    names[is_ex] = ex_table["cpts_nom"].to_numpy()[region_existing[is_ex]]
    proposed = np.flatnonzero(~is_ex)
    rank = np.argsort(np.argsort(main_codes[proposed], kind="stable"), kind="stable")
    ids[proposed] = [f"P{r + 1:03d}" for r in rank]

    # Figures per catchment.
    def per_region(values) -> np.ndarray:
        return np.bincount(labels, weights=np.asarray(values, dtype=float), minlength=agg.k)

    pop_r = per_region(pop)
    std = gdf["population_standardisee"].fillna(0) if "population_standardisee" in gdf else pd.Series(pop)
    std_r = per_region(std)
    apl = gdf["apl"].fillna(0).to_numpy(dtype=float) if "apl" in gdf else None
    onehot = sparse.csr_array((np.ones(n), (np.arange(n), labels)), shape=(n, agg.k))
    inside = (onehot.T @ flow_mat @ onehot).diagonal()
    outflow = per_region(np.asarray(flow_mat.sum(axis=1)).ravel())

    table = pd.DataFrame(
        {
            "cpts_id": ids.astype(str),
            "nom": names.astype(str),
            "statut": status,
            "commune_principale": main_codes,
            "population": pop_r.round().astype(np.int64),
            "population_standardisee": std_r,
            "nb_communes": np.bincount(labels, minlength=agg.k),
            "praticiens": per_region(gdf["praticiens"].fillna(0)) if "praticiens" in gdf else np.nan,
            "etp": per_region(gdf["etp"].fillna(0)) if "etp" in gdf else np.nan,
            "apl_moyen": np.divide(per_region(apl * std), std_r, out=np.full(agg.k, np.nan), where=std_r > 0)
            if apl is not None
            else np.nan,
            "autonomie": np.divide(inside, outflow, out=np.full(agg.k, np.nan), where=outflow > 0),
        }
    )
    table["classe_taille"] = _size_class(table["population"])
    table["alerte"] = _alerts(table, agg=agg, big=big, labels=labels, floor=floor, ceiling=ceiling)
    # A city above the ceiling (no infra-communal units given): how many territories it would need.
    big_region = np.zeros(agg.k, dtype=bool)
    big_region[labels[big]] = True
    size = params.target_population or CPTS_MEAN_POP
    minimum = np.ceil(pop_r / ceiling)
    table["territoires_necessaires_min"] = np.where(big_region, minimum, 0).astype(np.int64)
    table["territoires_necessaires_cible"] = np.where(
        big_region, np.maximum(minimum, np.round(pop_r / size)), 0
    ).astype(np.int64)
    cities = table.loc[
        big_region, ["nom", "population", "territoires_necessaires_min", "territoires_necessaires_cible"]
    ]
    to_split = [
        {
            "commune": str(r.nom),
            "population": int(r.population),
            "minimum": int(r.territoires_necessaires_min),
            "cible": int(r.territoires_necessaires_cible),
        }
        for r in cities.itertuples(index=False)
    ]
    if to_split:
        detail = ", ".join(
            f"{c['commune']} ({_fr_int(c['population'])} hab. : au moins {c['minimum']}, {c['cible']} à "
            f"{_fr_int(size)} hab.)"
            for c in to_split[:5]
        )
        warn(
            f"territoires de CPTS : {len(to_split)} commune(s) au-dessus du plafond de {_fr_int(ceiling)} habitants "
            f"restent entières faute d'unités infra-communales ; territoires nécessaires : {detail}. Donnez les IRIS "
            "(--iris) pour les découper."
        )

    # Dissolve (a coverage union: communes tile the territory), compactness.
    parts = gpd.GeoDataFrame({"_r": labels}, geometry=gdf.geometry.values, crs=gdf.crs)
    try:
        dissolved = parts.dissolve("_r", method="coverage")
    except Exception:  # noqa: BLE001 - not a clean coverage: fall back to the general union
        dissolved = parts.dissolve("_r")
    geom = dissolved.geometry.reindex(range(agg.k)).values
    area, perim = shapely.area(geom), shapely.length(geom)
    table["compacite"] = np.divide(4 * np.pi * area, perim**2, out=np.full(agg.k, np.nan), where=perim > 0)
    catchments = gpd.GeoDataFrame(table, geometry=geom, crs=gdf.crs)
    catchments = catchments.sort_values(["statut", "cpts_id"], ascending=[True, True]).reset_index(drop=True)

    out = gdf.copy()
    out["cpts_id"] = ids.astype(str)[labels]
    out["cpts_nom"] = names.astype(str)[labels]
    out["cpts_statut"] = status[labels]

    total = pop.sum()
    covered_after = table["statut"].eq(STATUS_EXISTING) | ~table["alerte"].str.startswith("sous le plancher")
    summary = {
        "coverage_before": float(pop[in_existing].sum() / total) if total > 0 else float("nan"),
        "coverage_after": float(table.loc[covered_after, "population"].sum() / total) if total > 0 else float("nan"),
        "n_catchments": int(agg.k),
        "n_existing": int(is_ex.sum()),
        "n_proposed": int((~is_ex).sum()),
        "n_flagged": int(table["alerte"].ne("").sum()),
        "min_population": floor,
        "max_population": ceiling,
        "villes_a_decouper": to_split,
        **summary_extra,
    }
    log.info(
        "CPTS : %d territoires (%d existants, %d proposés, %d signalés)",
        summary["n_catchments"],
        summary["n_existing"],
        summary["n_proposed"],
        summary["n_flagged"],
    )
    return CatchmentResult(communes=out, catchments=catchments, summary=summary)


def _fr_int(x: float) -> str:
    """French integer with narrow no-break spaces (TODO _format: use territoires._format.fr_int)."""
    return f"{x:,.0f}".replace(",", "\u202f")


def _alerts(table, *, agg, big, labels, floor, ceiling) -> pd.Series:
    """French explanation for each catchment outside the bounds ('' when within)."""
    k = len(table)
    alerts = np.full(k, "", dtype=object)
    p = table["population"].to_numpy(dtype=float)
    existing = table["statut"].eq(STATUS_EXISTING).to_numpy()
    big_region = np.zeros(k, dtype=bool)
    big_region[labels[big]] = True
    alerts[big_region] = ALERT_ABOVE_CEILING
    alerts[existing & (p < floor)] = ALERT_EXISTING_SMALL
    alerts[existing & (p > ceiling)] = ALERT_EXISTING_LARGE
    small = ~existing & (p < floor)
    if small.any():
        adj = agg.adj
        deg_free = np.asarray(adj @ (~agg.frozen).astype(float)).ravel()
        n_comp, comp = connected_components(adj, directed=False)
        comp_pop = np.bincount(comp, weights=agg.pop, minlength=n_comp)
        isolated = comp_pop[comp] < floor
        alerts[small & isolated] = ALERT_ISOLATED
        alerts[small & ~isolated & (deg_free == 0)] = ALERT_ENCLAVED
        alerts[small & ~isolated & (deg_free > 0)] = ALERT_BLOCKED
    return pd.Series(alerts, index=table.index, dtype=str)


# --------------------------------------------------------------------------------------------------------------
# Cities above the ceiling: meshing infra-communal units (IRIS)
# --------------------------------------------------------------------------------------------------------------

#: Commune columns spread over the units of a split commune in proportion to their population.
_ADDITIVE = ("population", "population_standardisee", "praticiens", "etp")


def split_communes(
    communes: gpd.GeoDataFrame, infra: gpd.GeoDataFrame, codes: list[str]
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Replace the communes ``codes`` by their infra-communal units.

    Each unit takes the commune's attributes; additive ones (population, standardised population, practitioners,
    FTE) are shared in proportion to the units' populations, so that the commune's totals are kept (IRIS
    populations are often of another year than the communes'). The unit's code is ``code_unite`` and its name
    ``"<commune> – <unit>"``.

    Returns
    -------
    tuple
        The units (communes not split, then units) and a share table ``code_commune``, ``code_unite``, ``part``.
    """
    split = infra[infra["code_commune"].isin(codes)].to_crs(communes.crs)
    parents = communes.set_index("code_commune").loc[split["code_commune"]]
    weight = split["population"].to_numpy(dtype=float)
    total = pd.Series(weight).groupby(split["code_commune"].to_numpy()).transform("sum").to_numpy()
    share = np.divide(weight, total, out=np.zeros_like(weight), where=total > 0)
    units = parents.reset_index().drop(columns="geometry")
    for column in _ADDITIVE:
        if column in units:
            units[column] = units[column].to_numpy(dtype=float) * share
    units["commune_parent"] = units["code_commune"]
    units["code_commune"] = split["code_unite"].to_numpy()
    units["nom"] = parents["nom"].astype(str).to_numpy() + " – " + split["nom_unite"].astype(str).to_numpy()
    units = gpd.GeoDataFrame(units, geometry=split.geometry.to_numpy(), crs=communes.crs)
    kept = communes[~communes["code_commune"].isin(codes)].assign(commune_parent=lambda d: d["code_commune"])
    shares = pd.DataFrame({"code_commune": units["commune_parent"], "code_unite": units["code_commune"], "part": share})
    return pd.concat([kept, units], ignore_index=True), shares


def _spread_flows(flows: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """Commune-level flows onto units: a split commune's flows shared by its units' populations, both ends."""
    out = flows
    for end in ("origin", "destination"):
        out = out.merge(shares, how="left", left_on=end, right_on="code_commune")
        split = out["code_unite"].notna()
        out.loc[split, end] = out.loc[split, "code_unite"]
        out.loc[split, "flux"] = out.loc[split, "flux"] * out.loc[split, "part"]
        out = out.drop(columns=["code_commune", "code_unite", "part"])
    return out


def _mesh_with_units(communes, infra, *, params, flows, existing, practitioners, facilities) -> CatchmentResult:
    """Split the communes above the ceiling that have units, mesh the units, and report per commune too."""
    for column in ("code_unite", "code_commune", "nom_unite", "population"):
        if column not in infra.columns:
            msg = f"unités infra-communales : colonne « {column} » attendue (colonnes : {list(infra.columns)})."
            raise InputError(msg)
    gdf = communes.reset_index(drop=True)
    in_existing = (
        gdf["code_commune"].isin(existing["code_commune"]) if existing is not None else pd.Series(False, gdf.index)
    )
    if "praticiens" not in gdf and practitioners is not None and len(practitioners):
        gdf = gdf.assign(praticiens=_practitioner_counts(practitioners, pd.Index(gdf["code_commune"])))
    too_big = gdf.loc[(gdf["population"] > params.max_population) & ~in_existing, "code_commune"]
    codes = sorted(set(too_big) & set(infra["code_commune"]))
    if not codes:
        warn("unités infra-communales : aucune commune au-dessus du plafond n'en a ; elles ne sont pas utilisées.")
        return mesh_catchments(
            communes, params=params, flows=flows, existing=existing, practitioners=practitioners, facilities=facilities
        )
    units, shares = split_communes(gdf, infra, codes)
    if facilities is not None and len(facilities) and "geometry" in facilities:
        facilities = facilities.copy()
        inside = facilities["code_commune"].isin(codes)
        located = gpd.sjoin(
            facilities.loc[inside, ["geometry"]].to_crs(units.crs),
            units.loc[units["commune_parent"].isin(codes), ["code_commune", "geometry"]],
            how="left",
            predicate="within",
        )
        located = located[~located.index.duplicated()]
        facilities.loc[inside, "code_commune"] = located["code_commune"].fillna("").to_numpy()
    result = mesh_catchments(
        units,
        params=params,
        flows=_spread_flows(flows, shares) if flows is not None else None,
        existing=existing,
        facilities=facilities,
    )
    meshed = result.communes
    per_commune = (
        meshed.groupby("commune_parent", sort=False)
        .agg(
            cpts_id=("cpts_id", lambda v: ", ".join(dict.fromkeys(v))),
            cpts_nom=("cpts_nom", lambda v: ", ".join(dict.fromkeys(v))),
            cpts_statut=("cpts_statut", "first"),
        )
        .reindex(gdf["code_commune"])
    )
    out = gdf.copy()
    for column in ("cpts_id", "cpts_nom", "cpts_statut"):
        out[column] = per_commune[column].to_numpy()
    summary = {**result.summary, "communes_decoupees": codes, "unites": int(len(shares))}
    log.info("%d commune(s) découpée(s) en %d unités infra-communales", len(codes), len(shares))
    return CatchmentResult(communes=out, catchments=result.catchments, summary=summary, units=meshed)
