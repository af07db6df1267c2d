"""GIS with GDAL (rasterio): GeoTIFF DEMs and grids, and hazards burnt onto a grid."""
