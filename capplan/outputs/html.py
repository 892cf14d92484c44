"""plan.html: the PDF's page for the screen. The same template and texts as the PDF (page 1's
scenarios, events, limits and assumptions, then every section), with the charts interactive and
responsive (they fill the width and follow the window), plotly.js inlined once: one file that
works offline."""

from __future__ import annotations

import json


def figures_json(figures: dict) -> str:
    """The figures as JSON safe inside a <script> element (no '<' can close it)."""
    return json.dumps(figures, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def render(doc: dict, figures: dict, *, title: str, generated: str, command: str, versions: str,
           inputs: list[dict] | None = None, paper: str = "A4") -> bytes:
    from capplan.outputs import pdf
    from capplan.outputs.browser import plotly_js_path

    page = pdf.render_html(doc, figures, title=title, paper=paper, generated=generated,
                           command=command, versions=versions, mode="screen",
                           figures_json=figures_json(figures),
                           plotly_js=plotly_js_path().read_text(encoding="utf-8"),
                           inputs=inputs)
    return page.encode("utf-8")
