"""territoires: territorial diagnosis of medical deserts in France.

Loaders (``territoires.io``) read commune boundaries, populations, practitioners and care facilities from the
official French files; the analysis layer (``territoires.analysis``) computes access to care (APL, accessibilité
potentielle localisée, and the floating-catchment family), access zones and CPTS (communautés professionnelles
territoriales de santé) catchments; exporters (``territoires.export``) write GeoPackages, Folium maps and reports.

Every step is a plain function over (Geo)DataFrames, so that a researcher can swap one (their own travel times,
their own catchments) and keep the rest::

    import territoires as tt

    territory = tt.load_territory("communes.gpkg", population="populations.csv")
    doctors = tt.practitioners_from_file("PS_LibreAcces_Personne_activite.txt", communes=territory.communes)
    apl = tt.compute_apl(territory.communes, doctors, travel_times=my_matrix)
    cpts = tt.mesh_catchments(apl, params=tt.CatchmentParameters(per_departement=(4, 5)))
    tt.save_map_html("carte.html", {"communes": cpts.communes, "practitioners": doctors, "catchments": cpts.catchments})
"""

from __future__ import annotations

from ._errors import DownloadError, InputError, ParameterError, TerritoiresError, TerritoiresWarning
from ._version import __version__
from .analysis.apl import APLParameters, compute_apl, practitioner_supply
from .analysis.catchment_comparison import CatchmentComparison, adjusted_rand_index, compare_catchments
from .analysis.catchments import CatchmentParameters, CatchmentResult, gravity_flows, mesh_catchments, split_communes
from .analysis.fca import (
    FCAMethod,
    binary_weights,
    cost_matrix,
    enhanced_two_step_fca,
    gaussian_weights,
    step_weights,
    three_step_fca,
    two_step_fca,
)
from .analysis.road_network import travel_times_from_road_network
from .analysis.tiers import TIER_LABELS, aggregate_apl, classify_access, population_by_tier
from .analysis.travel_times import straight_line_times, travel_times_from_matrix
from .analysis.zones import Surface, travel_time_surface, zones_from_surface
from .diagnostic import (
    Diagnostic,
    Territory,
    load_territory,
    run_catchments,
    run_diagnostic,
    save_catchments,
    save_diagnostic,
)
from .export.folium_map import make_map, save_map_html, save_map_html_from_geopackage
from .export.geopackage import read_diagnostic_geopackage, save_diagnostic_geopackage
from .export.qgis_style import save_qgis_styles
from .export.raster import save_surface_geotiff
from .export.report import save_report_html
from .io.cog import former_codes_from_table, reconcile_vintages
from .io.communes import communes_from_file, communes_from_files
from .io.cpts import (
    cpts_perimeters_from_file,
    existing_cpts_from_file,
    existing_cpts_from_frame,
    flows_from_file,
    flows_from_frame,
    infra_units_from_file,
)
from .io.facilities import facilities_from_bpe, facilities_from_finess
from .io.populations import join_populations, populations_from_csv
from .io.practitioners import (
    locate_in_communes,
    practitioners_from_file,
    practitioners_from_rpps,
    practitioners_from_table,
)

__all__ = [
    "APLParameters",
    "CatchmentComparison",
    "CatchmentParameters",
    "CatchmentResult",
    "Diagnostic",
    "DownloadError",
    "FCAMethod",
    "InputError",
    "ParameterError",
    "Surface",
    "TIER_LABELS",
    "TerritoiresError",
    "TerritoiresWarning",
    "Territory",
    "__version__",
    "aggregate_apl",
    "binary_weights",
    "classify_access",
    "communes_from_file",
    "communes_from_files",
    "compute_apl",
    "cost_matrix",
    "enhanced_two_step_fca",
    "existing_cpts_from_file",
    "existing_cpts_from_frame",
    "facilities_from_bpe",
    "facilities_from_finess",
    "flows_from_file",
    "flows_from_frame",
    "former_codes_from_table",
    "gaussian_weights",
    "gravity_flows",
    "infra_units_from_file",
    "join_populations",
    "load_territory",
    "locate_in_communes",
    "make_map",
    "mesh_catchments",
    "compare_catchments",
    "adjusted_rand_index",
    "cpts_perimeters_from_file",
    "population_by_tier",
    "populations_from_csv",
    "practitioner_supply",
    "practitioners_from_file",
    "practitioners_from_rpps",
    "practitioners_from_table",
    "read_diagnostic_geopackage",
    "reconcile_vintages",
    "run_catchments",
    "run_diagnostic",
    "save_catchments",
    "save_diagnostic",
    "save_diagnostic_geopackage",
    "save_map_html",
    "save_map_html_from_geopackage",
    "save_qgis_styles",
    "save_report_html",
    "save_surface_geotiff",
    "split_communes",
    "step_weights",
    "straight_line_times",
    "three_step_fca",
    "travel_time_surface",
    "travel_times_from_matrix",
    "travel_times_from_road_network",
    "two_step_fca",
    "zones_from_surface",
]
