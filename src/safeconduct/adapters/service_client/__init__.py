"""Clients of the coordination service's web API (the ``lead`` command's live map)."""
