"""safeconduct: plan and rehearse drone-guided surrender, safely.

The package is laid out by architecture (``docs/architecture.md``):

- the domain, pure values and computation: :mod:`~safeconduct.terrain`,
  :mod:`~safeconduct.routing`, :mod:`~safeconduct.mission`, :mod:`~safeconduct.guidance`,
  :mod:`~safeconduct.signals`, :mod:`~safeconduct.note`, with :mod:`~safeconduct.errors`;
- :mod:`~safeconduct.services`: the use cases, reaching the world through
  :mod:`~safeconduct.services.ports`;
- :mod:`~safeconduct.adapters`: files, formats, GIS, PDF, pictures, MAVLink, vision;
- :mod:`~safeconduct.entrypoints`: the ``safeconduct`` command line (and the web app to come);
- :mod:`~safeconduct.bootstrap`: wires the real adapters into the use cases.
"""

# The one place the version is written; pyproject.toml reads it from here. A literal
# rather than importlib.metadata, which alone costs 40 ms at every command's start.
__version__ = "0.1.0"

__all__ = ["__version__"]
