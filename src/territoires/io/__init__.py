"""Loaders: commune boundaries, populations, COG vintages, practitioners, facilities, downloads."""
