"""territoires: territorial diagnosis of medical deserts in France.

Loaders (``territoires.io``) read commune boundaries, populations, practitioners and care facilities from the
official French files; the analysis layer (``territoires.analysis``) computes access to care (APL, accessibilité
potentielle localisée, and the floating-catchment family), access zones and CPTS (communautés professionnelles
territoriales de santé) catchments; exporters (``territoires.export``) write GeoPackages, Folium maps and reports.

Every step is a plain function over (Geo)DataFrames, so that a researcher can swap one (their own travel times,
their own catchments) and keep the rest::

    import territoires as tt

    diagnostic = tt.run_diagnostic(tt.DiagnosticInputs(communes="communes.gpkg", population="populations.csv",
                                                       practitioners="PS_LibreAcces_Personne_activite.txt"))
    print(diagnostic.figures.apl_mean, diagnostic.figures.share_below)

    territory = tt.load_territory("communes.gpkg", population="populations.csv")
    doctors = tt.practitioners_from_file("PS_LibreAcces_Personne_activite.txt", communes=territory.communes)
    apl = tt.compute_apl(territory.communes, doctors, travel_times=my_matrix)
    cpts = tt.mesh_catchments(apl, params=tt.CatchmentParameters(per_departement=(4, 5)))
    tt.save_map_html("carte.html", {"communes": cpts.communes, "practitioners": doctors, "catchments": cpts.catchments})

The names are loaded on first use (``import territoires`` stays light: the map and report libraries load only
when a map or a report is made).
"""

from __future__ import annotations

from ._errors import DownloadError as DownloadError
from ._errors import InputError as InputError
from ._errors import ParameterError as ParameterError
from ._errors import TerritoiresError as TerritoiresError
from ._errors import TerritoiresWarning as TerritoiresWarning
from ._lazy import lazy_names
from ._version import __version__ as __version__

#: Public name → module that defines it (imported on first use).
_LAZY = {
    "APLParameters": "analysis.apl",
    "commune_supply": "analysis.apl",
    "compute_apl": "analysis.apl",
    "describe_supply": "analysis.apl",
    "practitioner_supply": "analysis.apl",
    "CatchmentComparison": "analysis.catchment_comparison",
    "adjusted_rand_index": "analysis.catchment_comparison",
    "compare_catchments": "analysis.catchment_comparison",
    "comparison_layer": "analysis.catchment_comparison",
    "CatchmentParameters": "analysis.catchment_parameters",
    "CatchmentResult": "analysis.catchments",
    "care_basins": "analysis.catchments",
    "contiguity": "analysis.catchments",
    "gravity_flows": "analysis.catchments",
    "mesh_catchments": "analysis.catchments",
    "split_communes": "analysis.catchments",
    "FCAMethod": "analysis.fca",
    "binary_weights": "analysis.fca",
    "cost_matrix": "analysis.fca",
    "enhanced_two_step_fca": "analysis.fca",
    "gaussian_weights": "analysis.fca",
    "step_weights": "analysis.fca",
    "three_step_fca": "analysis.fca",
    "two_step_fca": "analysis.fca",
    "KeyFigures": "analysis.key_figures",
    "TierFigures": "analysis.key_figures",
    "compute_key_figures": "analysis.key_figures",
    "communes_within_reach": "analysis.reach",
    "near_the_edge": "analysis.reach",
    "CombinedDifficulties": "analysis.combined",
    "DifficultyThresholds": "analysis.combined",
    "combined_difficulties": "analysis.combined",
    "FacilityAccess": "analysis.facility_access",
    "FacilityAccessParameters": "analysis.facility_parameters",
    "facility_access": "analysis.facility_access",
    "StraightLine": "analysis.nearest",
    "facilities_within": "analysis.nearest",
    "facility_time_surface": "analysis.nearest",
    "nearest_facility": "analysis.nearest",
    "RoadGraph": "analysis.road_network",
    "road_graph": "analysis.road_network",
    "travel_times_from_road_network": "analysis.road_network",
    "TIER_LABELS": "analysis.tiers",
    "aggregate_apl": "analysis.tiers",
    "classify_access": "analysis.tiers",
    "population_by_tier": "analysis.tiers",
    "straight_line_times": "analysis.travel_times",
    "Surface": "analysis.zones",
    "travel_time_surface": "analysis.zones",
    "zones_from_surface": "analysis.zones",
    "make_map": "export.folium_map",
    "save_map_html": "export.folium_map",
    "save_map_html_from_geopackage": "export.folium_map",
    "read_diagnostic_geopackage": "export.geopackage",
    "save_diagnostic_geopackage": "export.geopackage",
    "OutputError": "export.output_set",
    "OutputSet": "export.output_set",
    "check_output_location": "export.output_set",
    "estimate_output_bytes": "export.output_set",
    "save_qgis_styles": "export.qgis_style",
    "save_surface_geotiff": "export.raster",
    "save_report_html": "export.report",
    "save_table": "export.tables",
    "former_codes_from_table": "io.cog",
    "reconcile_vintages": "io.cog",
    "communes_from_file": "io.communes",
    "communes_from_files": "io.communes",
    "cpts_perimeters_from_file": "io.cpts",
    "existing_cpts_from_file": "io.cpts",
    "existing_cpts_from_frame": "io.cpts",
    "flows_from_file": "io.cpts",
    "flows_from_frame": "io.cpts",
    "infra_units_from_file": "io.cpts",
    "EQUIPMENT_KINDS": "io.facilities",
    "destinations_from_bpe": "io.facilities",
    "destinations_from_files": "io.facilities",
    "destinations_from_finess": "io.facilities",
    "facilities_from_bpe": "io.facilities",
    "facilities_from_finess": "io.facilities",
    "communes_with_populations": "io.populations",
    "join_populations": "io.populations",
    "populations_from_csv": "io.populations",
    "locate_in_communes": "io.practitioners",
    "parse_maxspeed": "io.road_network",
    "roads_from_file": "io.road_network",
    "practitioners_from_file": "io.practitioners",
    "practitioners_from_rpps": "io.practitioners",
    "practitioners_from_table": "io.practitioners",
    "TerritorySplit": "io.practitioners",
    "split_by_territory": "io.practitioners",
    "travel_times_from_matrix": "io.travel_times",
    "Diagnostic": "pipeline.diagnostic",
    "Territory": "pipeline.diagnostic",
    "catchments_summary": "pipeline.diagnostic",
    "load_territory": "pipeline.diagnostic",
    "run_catchments": "pipeline.diagnostic",
    "run_diagnostic": "pipeline.diagnostic",
    "save_catchments": "pipeline.outputs",
    "save_diagnostic": "pipeline.outputs",
    "DiagnosticInputs": "pipeline.inputs",
    "DiagnosticOptions": "pipeline.inputs",
    "APLModel": "analysis.scenario",
    "near_threshold": "analysis.scenario",
    "SitingParameters": "analysis.siting",
    "exact_siting": "analysis.siting",
    "greedy_siting": "analysis.siting",
    "save_scenario": "export.decision",
    "save_siting": "export.decision",
    "scenario_map": "export.decision",
    "candidates_from_file": "io.changes",
    "changes_from_file": "io.changes",
    "ScenarioResult": "pipeline.scenario",
    "SitingResult": "pipeline.scenario",
    "run_scenario": "pipeline.scenario",
    "run_siting": "pipeline.scenario",
    "run_facility_access": "pipeline.facility_access",
    "save_facility_access": "pipeline.facility_access",
    "demo_paths": "demo.generate",
}

__all__ = sorted(
    ["DownloadError", "InputError", "ParameterError", "TerritoiresError", "TerritoiresWarning", "__version__"]
    + list(_LAZY)
)


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
