"""Compare a meshing with given CPTS perimeters (``territoires cpts --comparer``): scores, layer and summary."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._format import fr_dec, fr_int
from ..analysis.catchment_comparison import CatchmentComparison, compare_catchments, comparison_layer
from ..io.cog import ARRONDISSEMENTS, former_codes_from_table
from ..io.cpts import cpts_perimeters_from_file
from ..io.populations import populations_from_csv
from .diagnostic import Diagnostic

__all__ = ["compare_with_perimeters", "comparison_summary"]


def compare_with_perimeters(
    diagnostic: Diagnostic, path: str | Path, *, population: str | Path | None = None
) -> tuple[CatchmentComparison, pd.DataFrame]:
    """Score the communes of a meshing against the CPTS perimeters of ``path`` (table or polygons).

    The comparison's summary is recorded in ``diagnostic.metadata["comparaison"]`` (with the file as ``source``),
    so that the GeoPackage and the report carry it.

    Parameters
    ----------
    diagnostic
        A meshing (:func:`territoires.run_catchments`), its communes carrying ``cpts_id`` and ``population``.
    path
        Perimeters as :func:`territoires.cpts_perimeters_from_file` reads them.
    population
        The population table of the run: its ``anciens_codes`` bring perimeters listed by former commune codes to
        the current communes, and its arrondissements municipaux weigh a city listed by arrondissements. Read only
        when the diagnostic does not carry its :class:`~territoires.pipeline.diagnostic.Territory` (built by hand).

    Returns
    -------
    tuple
        The :class:`~territoires.CatchmentComparison` and the ``comparison`` layer (one polygon per given CPTS).
    """
    former = arrondissements = None
    if diagnostic.territory is not None:
        # The run's own reading of the population file: not read (nor its warnings said) a second time.
        # Without the arrondissement → city entries the loader adds: a perimeter row coded by an arrondissement
        # must stay one (a share of the city), as the perimeters reader handles it.
        former = {k: v for k, v in diagnostic.territory.former_codes.items() if k not in ARRONDISSEMENTS}
        arrondissements = diagnostic.territory.arrondissement_populations
    elif population is not None:
        table = populations_from_csv(population)
        former = former_codes_from_table(table) if "anciens_codes" in table.columns else None
        # The inhabitants of the arrondissements of Paris, Lyon and Marseille weigh a city listed by them.
        arrondissements = table.attrs.get("populations_arrondissements")
    reference = cpts_perimeters_from_file(
        path, diagnostic.communes, former_codes=former or None, arrondissement_populations=arrondissements or None
    )
    comparison = compare_catchments(diagnostic.communes, reference)
    comparison.summary["source"] = str(path)
    diagnostic.metadata["comparaison"] = comparison.summary
    return comparison, comparison_layer(comparison, diagnostic.communes)


def comparison_summary(comparison: CatchmentComparison) -> str:
    """Return a French summary of a comparison with given perimeters, for the terminal."""
    s = comparison.summary
    lines = [
        f"Comparaison avec {s.get('source', 'les périmètres donnés')} : {fr_int(s['territoires_reference'])} CPTS, "
        f"{fr_int(s['communes_comparees'])} communes comparées",
        f"  Jaccard pondéré par la population (meilleur territoire proposé) : {fr_dec(s['jaccard_pondere'])} ; "
        f"indice de Rand ajusté : {fr_dec(s['ari'])} (communes), {fr_dec(s['ari_population'])} (habitants)",
        f"  Communes rattachées autrement : {fr_int(s['communes_differentes'])} "
        f"({fr_int(s['population_differente'])} hab.)",
    ]
    for row in comparison.territories.sort_values("jaccard").itertuples(index=False):
        lines.append(f"  {row.cpts_nom} → {row.meilleur_nom} : Jaccard {fr_dec(row.jaccard)}")
    return "\n".join(lines)
