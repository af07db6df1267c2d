"""File formats of the field: GeoJSON layers and routes, QGroundControl ``.plan``,
``QGC WPL 110``, the mission folder."""
