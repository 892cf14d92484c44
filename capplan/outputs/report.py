"""Write a run's files as one set: plan.json always; the PDF, workbook and HTML beside it."""

from __future__ import annotations

from pathlib import Path

from capplan.outputs import json as jout
from capplan.outputs.atomic import write_set


def plan_json(result) -> dict:
    from capplan.outputs.usl_json import queueing_doc, usl_doc

    extra = {}
    if result.usl is not None:
        extra["usl"] = usl_doc(result.usl)
    if result.fleet_usl is not None:
        extra["fleet_usl"] = usl_doc(result.fleet_usl)
    if result.queueing is not None:
        extra["queueing"] = queueing_doc(result.queueing)
    return jout.plan_doc(result.plan, traffic=result.traffic, load=result.load, extra=extra)


def write_outputs(result, settings, out: Path, *, title: str, reports: bool, argv) -> list[Path]:
    from capplan.validation import check_plan_finite

    doc = plan_json(result)
    check_plan_finite(doc)  # a NaN must stop the run, not reach plan.json as a silent null
    files: dict = {"plan.json": jout.dumps(doc)}
    if reports:
        files.update(report_files(result, settings, doc, title=title, argv=argv))
    return write_set(out, files)


def report_files(result, settings, doc: dict, *, title: str, argv, timings: dict | None = None
                 ) -> dict:
    """The PDF, workbook and HTML, rendered to bytes (nothing touches the folder until all exist).
    `timings`, when given, receives the seconds each stage took."""
    import shlex
    import time

    from capplan.outputs import charts as ch
    from capplan.outputs import html, pdf, workbook

    timings = timings if timings is not None else {}
    paper = pdf.paper_size(settings.paper)
    t = time.perf_counter()
    slo = None
    if settings.latency_slo:
        from capplan.queueing import parse_duration_seconds

        slo = parse_duration_seconds(settings.latency_slo, "--latency-slo")
    figs = ch.plan_figures(result, slo)
    with ch.svg_exporter() as export:
        svgs = {name: pdf.svg_data_uri(export(fig)) for name, fig in figs.items()}
    timings["charts"] = time.perf_counter() - t
    t = time.perf_counter()
    generated = pdf_date(doc)
    page = pdf.render_html(doc, svgs, title=title, paper=paper, generated=generated,
                           command=shlex.join(["capplan", *argv[1:]]), versions=_versions())
    from weasyprint import HTML  # noqa: F401 - imported here so its cost is timed as the PDF's

    pdf_bytes = _pdf_bytes(page)
    timings["pdf"] = time.perf_counter() - t
    t = time.perf_counter()
    xlsx = workbook.build(doc, title)
    timings["workbook"] = time.perf_counter() - t
    t = time.perf_counter()
    page_html = html.render(figs, doc, title)
    timings["html"] = time.perf_counter() - t
    return {"plan.pdf": pdf_bytes, "plan.xlsx": xlsx, "plan.html": page_html}


def pdf_date(doc: dict, environ=None) -> str:
    """The date the PDF carries: `SOURCE_DATE_EPOCH` when set (reproducible builds), else the
    plan's data date, never the day it is run, so the same input and flags give the same bytes
    on any day. A plan from a file says its data ends then; a what-if starts today anyway."""
    import datetime as dt
    import os

    epoch = (os.environ if environ is None else environ).get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            when = dt.datetime.fromtimestamp(int(epoch.strip()), dt.timezone.utc)
        except (ValueError, OverflowError, OSError):
            from capplan.errors import CapplanError

            raise CapplanError(f"SOURCE_DATE_EPOCH={epoch[:30]!r}: must be whole seconds since "
                               "1970-01-01 UTC, such as 1700000000, or unset") from None
        return when.strftime("%Y-%m-%d")
    start = str(doc["start"])[:10]
    return f"from data up to {start}" if doc.get("input") else start


def _pdf_bytes(page: str) -> bytes:
    import logging

    from weasyprint import HTML

    from capplan.outputs.pdf import TEMPLATES

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=page, base_url=str(TEMPLATES)).write_pdf()


def _versions() -> str:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from capplan import __version__

    parts = [f"capplan {__version__}", f"Python {platform.python_version()}"]
    for lib in ("pandas", "numpy", "scipy", "statsmodels", "plotly", "kaleido", "weasyprint",
                "openpyxl"):
        try:
            parts.append(f"{lib} {version(lib)}")
        except PackageNotFoundError:
            pass
    return ", ".join(parts)


def write_usl_outputs(result, out: Path, latency_slo: str | None, chart: bool = True,
                      load_test=None) -> list[Path]:
    """usl.json and the fitted curve as usl.svg (measured points, N*, extrapolation dotted;
    with a `load_test`, its steps and their measured latency)."""
    from capplan.outputs.usl_json import usl_doc

    files = {"usl.json": jout.dumps(usl_doc(result, latency_slo, load_test=load_test))}
    if chart:
        from capplan.outputs import charts as ch

        slo = None
        if latency_slo:
            from capplan.queueing import parse_duration_seconds

            slo = parse_duration_seconds(latency_slo, "--latency-slo")
        title = "USL fit" if result.n else "USL what-if curve"
        with ch.svg_exporter() as export:
            files["usl.svg"] = export(ch.usl_figure(result, title, latency_slo=slo,
                                                    load_test=load_test))
    return write_set(out, files)
