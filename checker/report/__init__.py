"""Reporters: pure functions `render(report) -> str`, one module per format, registered in one table.

They read a `Report` and nothing else, so any report.json can be rendered again later.
"""

from __future__ import annotations

from collections.abc import Callable

from checker.report import junit, markdown
from checker.results import Report

Renderer = Callable[[Report], str]

RENDERERS: dict[str, tuple[str, Renderer]] = {
    "json": ("report.json", lambda report: report.to_json()),
    "junit": ("junit.xml", junit.render),
    "markdown": ("matrix.md", markdown.render),
}

__all__ = ["RENDERERS", "Renderer"]
