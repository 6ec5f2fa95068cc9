"""Exporters: GeoPackage (QGIS styles, run metadata), Folium map, report, rasters."""
