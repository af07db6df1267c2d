"""Render the operation report: one self-contained HTML file that works offline.

Images are embedded as base64 PNG; no script, font or style sheet is fetched from
anywhere. The template lives beside this module (``templates/report.html``) and is filled
with Jinja2 (auto-escaping on).
"""

from __future__ import annotations

import base64
import os
from importlib.resources import files
from pathlib import Path

import jinja2

from safeconduct import __version__
from safeconduct.adapters.files.atomic import write_text_atomic
from safeconduct.services.ports import ReportContent


def render_report(path: str | os.PathLike[str], content: ReportContent) -> Path:
    """Write the report HTML to ``path`` atomically."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(
        files("safeconduct.adapters.report").joinpath("templates/report.html").read_text("utf-8")
    )
    images = {name: base64.b64encode(png).decode("ascii") for name, png in content.images.items()}
    images.setdefault("note", "")
    html = template.render(
        title=content.title,
        subtitle=content.subtitle,
        images=images,
        summary=content.summary,
        sortie_header=content.sortie_header,
        sortie_rows=content.sortie_rows,
        events=content.events,
        artifacts=content.artifacts,
        caveats=content.caveats,
        generated=content.generated,
        version=__version__,
    )
    return write_text_atomic(path, html)


class HtmlReports:
    """:class:`~safeconduct.services.ports.Reports` as one offline HTML file."""

    def render_report(self, path: str | os.PathLike[str], content: ReportContent) -> Path:
        return render_report(path, content)
