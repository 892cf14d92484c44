"""The design-review PDF: Jinja2 (autoescape on) renders templates/report.html.j2 from the plan's
JSON document and page 1's texts (`view.page_one`); the run's browser (`browser.Browser`) draws the
charts into the page and prints it. Computes nothing of its own.

The same template, in `screen` mode, is plan.html (`html.py`); in `image` mode the charts are
images given by the caller (`render_html` with data URIs), laid out by weasyprint (`pdf_bytes`).
"""

from __future__ import annotations

import base64
import copy
import math
import re
from pathlib import Path

from markupsafe import Markup, escape

from capplan.outputs import fmt

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PAPER = {"a4": "A4", "letter": "Letter", "us-letter": "Letter", "usletter": "Letter"}
# The printable width (page less the @page side margins of report.css, 15 mm each) in CSS pixels,
# so a chart is drawn at the width it is printed at.
PAPER_WIDTH_MM = {"A4": 210.0, "Letter": 215.9}
PAPER_HEIGHT_MM = {"A4": 297.0, "Letter": 279.4}
TOP_BOTTOM_MARGINS_MM = 30.0  # report.css @page: 16 mm top, 14 mm bottom
# Letter is 18 mm shorter than A4: its charts are drawn shorter so the sections fill the same pages.
CHART_HEIGHT = {"A4": 1.0, "Letter": 0.92}
SIDE_MARGINS_MM = 30.0  # 15 mm each side


def paper_size(name: str | None) -> str:
    from capplan.errors import CapplanError

    key = (name or "A4").strip().lower()
    if key not in PAPER:
        raise CapplanError(f"--paper {name!r}: choose A4 or Letter")
    return PAPER[key]


def content_width_px(paper: str) -> int:
    return int((PAPER_WIDTH_MM[paper] - SIDE_MARGINS_MM) / 25.4 * 96)


def content_height_px(paper: str) -> float:
    return (PAPER_HEIGHT_MM[paper] - TOP_BOTTOM_MARGINS_MM) / 25.4 * 96


def chart_width_px(paper: str) -> int:
    return content_width_px(paper) - 2


FILTERS = {
    "rate": lambda x: fmt.rate(x, "–"),
    "pct": lambda x: fmt.pct(x, "–"),
    "pct1": lambda x: fmt.signed_pct(x, "–"),
    "ratio": lambda x: "–" if x is None else f"{x:.2f}",
    "sig": lambda x: fmt.sig(x, 4, "–"),
    "money": lambda x, cents=False: fmt.money(x, None, "–", cents=cents),
    "ms": lambda x: "–" if x is None or not math.isfinite(x) else f"{fmt.sig(x * 1000, 3)} ms",
    "seconds": lambda x: fmt.seconds(x, "–"),
    "count": lambda x: fmt.count(x, "–"),
    "count_or_dash": lambda x: "–" if x is None else str(x),
    "day": lambda x: fmt.day(x, "–"),
    "nobreak": lambda x: x.replace(" ", "\u00a0"),
    "capitalize_first": lambda x: x[:1].upper() + x[1:],
    "flags": lambda x: flags(x),
    "plural": lambda n, noun: fmt.plural(n, noun),
    "moment": lambda x: fmt.moment(x, "–"),
    "verbatim": lambda x: verbatim(x),
    "instances": lambda r: (f"{r['cells']} cells × {r['cell_size']}" if r.get("beyond_fleet_limit")
                            else ("–" if r["instances"] is None else str(r["instances"]))),
}


_FLAG = re.compile(r"(--[a-z][a-z-]*)")


def flags(text: str):
    """Text with its --flags kept on one line (a line never breaks inside --worst-growth)."""
    return Markup(_FLAG.sub(r'<span class="nw">\1</span>', str(escape(text))))


class Verbatim(Markup):
    """Text the page prints exactly as typed (`finalize` leaves its dates alone): file names,
    hashes, the command line, versions, names a user gave."""

    __slots__ = ()


def verbatim(text) -> Verbatim | None:
    if text is None:
        return None
    return Verbatim(text if isinstance(text, Markup) else escape(str(text)))


def finalize(value):
    """Every value the template prints, with its ISO dates as people write them
    (`fmt.dates_in_text`): the engine's sentences keep ISO dates in plan.json for scripts, the
    page shows 4 Jan 2015. `Verbatim` values, and values that are not text, print as they are."""
    if not isinstance(value, str) or isinstance(value, Verbatim):
        return value
    text = fmt.dates_in_text(value)
    return Markup(text) if isinstance(value, Markup) else text


def svg_data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _css_string(text: str) -> str:
    cleaned = "".join(ch for ch in text if ch not in '<>"\\\n\r')
    return cleaned[:120]


def default_inputs(doc: dict) -> list[dict]:
    """The inputs the appendix hashes: plan.json's `inputs`, else its traffic file."""
    if doc.get("inputs"):
        return doc["inputs"]
    if doc.get("input"):
        return [{"role": "traffic", "path": doc["input"]["path"],
                 "sha256": doc["input"]["sha256"]}]
    return []


def render_html(doc: dict, charts: dict, *, title: str, paper: str, generated: str, command: str,
                versions: str, mode: str = "image", figures_json: str | None = None,
                plotly_js: str | None = None, inputs: list[dict] | None = None) -> str:
    """The report page. `mode`: `print` (empty chart elements the browser draws into),
    `screen` (plan.html: plotly.js and the figures inlined) or `image` (`charts` holds an image
    URI per chart)."""
    import jinja2

    from capplan import __version__
    from capplan.outputs.resources_view import view as resources_view
    from capplan.outputs.view import page_one

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, finalize=finalize)
    env.filters.update(FILTERS)
    env.globals["resources_view"] = resources_view  # the fitted limit, the flat-topping warning
    css_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False)
    css = css_env.get_template("report.css").render(
        paper=paper, title_css=_css_string(title), generated=generated, version=__version__)
    return env.get_template("report.html.j2").render(
        doc=doc, view=page_one(doc), charts=charts, title=title, generated=generated,
        command=verbatim(command), versions=verbatim(versions), css=verbatim(Markup(css)),
        mode=mode, figures_json=verbatim(Markup(figures_json)) if figures_json else None,
        plotly_js=verbatim(Markup(plotly_js)) if plotly_js else None,
        inputs=inputs if inputs is not None else default_inputs(doc))


def build(doc: dict, figures: dict, browser, *, title: str, paper: str, generated: str,
          command: str, versions: str, inputs: list[dict] | None = None) -> bytes:
    """plan.pdf: the page in `print` mode, drawn and printed by the run's browser."""
    from capplan.outputs.charts import finish

    width = chart_width_px(paper)
    sized = {}
    for name, fig in figures.items():
        sized[name] = copy.deepcopy(fig)  # the HTML page keeps its own sizes
        layout = sized[name]["layout"]
        layout["width"] = width
        layout["height"] = round(layout["height"] * CHART_HEIGHT[paper])
        if layout.get("meta", {}).get("legend_columns"):
            finish(sized[name], layout["meta"]["legend_columns"])
    page = render_html(doc, sized, title=title, paper=paper, generated=generated,
                       command=command, versions=versions, mode="print", inputs=inputs)
    try:
        return browser.print_pdf(page, sized, stamp=doc["start"], width=content_width_px(paper),
                                 page_height=content_height_px(paper))
    finally:
        browser.release()  # one page a run: the browser shuts down while the rest finishes


def pdf_bytes(page: str) -> bytes:
    """An `image`-mode page laid out by weasyprint (for callers that bring chart images)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=page, base_url=str(TEMPLATES)).write_pdf()
