"""safeconduct: plan and rehearse drone-guided surrender, safely.

The package is laid out by architecture (see ``docs`` and the product brief):

- :mod:`safeconduct.terrain` -- rasters, layers, coordinates and visibility; the only
  place that knows about CRSs and GDAL.
- :mod:`safeconduct.routing` -- walking-cost models, search kernels and routes.
- :mod:`safeconduct.entrypoints.cli.app` -- the thin ``safeconduct`` command line.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("safeconduct")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
