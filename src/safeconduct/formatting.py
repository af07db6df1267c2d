"""Figures as people read them, shared by every output (terminal, report, web)."""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    """A duration in seconds as people read it: ``3725`` -> ``"1 h 02 min"``; ``125`` ->
    ``"2 min 05 s"``; ``42`` -> ``"42 s"``."""
    s = round(seconds)
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"
