"""Wiring: the one place that chooses the real adapters behind the services' ports.

Entry points ask here for the ports a use case needs and pass them to the service
function. Each builder imports its adapters only when called, so that a command loads
only what it uses (``safeconduct point`` never imports rasterio, reportlab or pymavlink).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safeconduct.services.planning import PlanningPorts


# ----------------------------------------------------------------- terrain and planning


def planning_ports() -> PlanningPorts:
    """Rasters (rasterio), layers and routes (GeoJSON files), maps (matplotlib)."""
    from safeconduct.adapters.formats.layers import GeoJsonLayers
    from safeconduct.adapters.formats.route_geojson import GeoJsonRouteFiles
    from safeconduct.adapters.gis.geotiff import RasterioRasters
    from safeconduct.adapters.report.maps import MatplotlibMaps
    from safeconduct.services.planning import PlanningPorts

    return PlanningPorts(
        rasters=RasterioRasters(),
        layers=GeoJsonLayers(),
        routes=GeoJsonRouteFiles(),
        maps=MatplotlibMaps(),
    )
