"""Fixtures shared with other test folders: ``cli`` runs ``safeconduct ARGS...`` in-process."""

from tests.cli.conftest import cli  # noqa: F401  (a fixture, registered by this import)
