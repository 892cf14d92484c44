"""The design-review PDF: Jinja2 (autoescape on) renders templates/report.html.j2 from the plan's
JSON document and the charts' SVGs; weasyprint lays it out. Computes nothing of its own."""

from __future__ import annotations

import base64
import math
from pathlib import Path

from capplan.outputs import fmt

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PAPER = {"a4": "A4", "letter": "Letter", "us-letter": "Letter", "usletter": "Letter"}


def paper_size(name: str | None) -> str:
    from capplan.errors import CapplanError

    key = (name or "A4").strip().lower()
    if key not in PAPER:
        raise CapplanError(f"--paper {name!r}: choose A4 or Letter")
    return PAPER[key]


FILTERS = {
    "rate": lambda x: fmt.rate(x, "–"),
    "pct": lambda x: "–" if x is None else f"{x:.0%}",
    "pct1": lambda x: "–" if x is None else f"{x:+.1%}",
    "ratio": lambda x: "–" if x is None else f"{x:.2f}",
    "sig": lambda x: "–" if x is None else f"{x:.4g}",
    "money": lambda x: "–" if x is None else f"{x:,.0f}",
    "ms": lambda x: "–" if x is None or not math.isfinite(x) else f"{x * 1000:,.3g} ms",
    "seconds": lambda x: fmt.seconds(x, "–"),
    "count_or_dash": lambda x: "–" if x is None else str(x),
    "instances": lambda r: (f"{r['cells']} cells × {r['cell_size']}" if r.get("beyond_fleet_limit")
                            else ("–" if r["instances"] is None else str(r["instances"]))),
}


def svg_data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _css_string(text: str) -> str:
    cleaned = "".join(ch for ch in text if ch not in '<>"\\\n\r')
    return cleaned[:120]


def render_html(doc: dict, charts: dict, *, title: str, paper: str, generated: str, command: str,
                versions: str) -> str:
    import jinja2

    from capplan import __version__

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined)
    env.filters.update(FILTERS)
    css_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False)
    css = css_env.get_template("report.css").render(
        paper=paper, title_css=_css_string(title), generated=generated, version=__version__)
    return env.get_template("report.html.j2").render(
        doc=doc, charts=charts, title=title, generated=generated, command=command,
        versions=versions, css=jinja2.utils.markupsafe.Markup(css))
