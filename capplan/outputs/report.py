"""Which files a run writes, rendered as one set: plan.json always; plan.pdf, plan.xlsx and
plan.html beside it unless `--no-report`.

Speed: the report needs one headless browser (charts and the PDF), which takes longer to start
than the plan takes to compute. `session(reports)` launches it in the background as soon as the
command has read its flags and kills it at once when the run fails; `report_files` then has the
browser print the PDF while this thread builds the workbook and the HTML page.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from pathlib import Path

from capplan.outputs import fmt
from capplan.outputs import json as jout
from capplan.outputs.atomic import write_set

HASH_BLOCK = 1 << 20


def plan_json(result, settings=None, config: str | Path | None = None) -> dict:
    from capplan.outputs.usl_json import queueing_doc, usl_doc

    extra = {}
    if result.usl is not None:
        extra["usl"] = usl_doc(result.usl)
    if result.fleet_usl is not None:
        extra["fleet_usl"] = usl_doc(result.fleet_usl)
    if result.queueing is not None:
        extra["queueing"] = queueing_doc(result.queueing)
    doc = jout.plan_doc(result.plan, traffic=result.traffic, load=result.load, extra=extra,
                        resources=result.resources, metrics=result.metrics,
                        outlook=result.resource_outlook,
                        unclipped=getattr(result, "unclipped", None))
    doc["inputs"] = input_hashes(doc, settings, config)
    return doc


def _sha256(path: str | Path) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(HASH_BLOCK), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def input_hashes(doc: dict, settings=None, config: str | Path | None = None) -> list[dict]:
    """Every file the plan was made from, with its sha256: the traffic export (hashed as it was
    read), the service config, the load tests and the events file."""
    out = []
    if doc.get("input"):
        out.append({"role": "traffic", "path": doc["input"]["path"],
                    "sha256": doc["input"]["sha256"]})
    named = [("config", config)]
    if settings is not None:
        named += [("load test", settings.load_test), ("scale-out test", settings.fleet_usl),
                  ("events file", settings.events_file)]
    for role, path in named:
        if path:
            out.append({"role": role, "path": str(path), "sha256": _sha256(path)})
    metrics = (doc.get("capacity") or {}).get("metrics") or {}
    seen = set()
    for m in metrics.get("inputs") or ():  # --capacity-from: hashed as they were read
        if m["path"] not in seen:
            seen.add(m["path"])
            out.append({"role": f"metrics ({m['role']})", "path": m["path"],
                        "sha256": m["sha256"]})
    return out


@contextmanager
def session(reports: bool):
    """The run's browser, launched now in the background when reports are wanted (else None);
    killed at once if the run fails, closed when it ends."""
    if not reports:
        yield None
        return
    from capplan.outputs.browser import Browser

    with Browser.launch() as browser:
        yield browser


def write_outputs(result, settings, out: Path, *, title: str, reports: bool, argv,
                  browser=None, config: str | Path | None = None) -> list[Path]:
    from capplan.validation import check_plan_finite

    doc = plan_json(result)
    doc["inputs"] = input_hashes(doc, settings, config)
    check_plan_finite(doc)  # a NaN must stop the run, not reach plan.json as a silent null
    files: dict = {"plan.json": jout.dumps(doc)}
    if reports:
        files.update(report_files(result, settings, doc, title=title, argv=argv,
                                  browser=browser))
    return write_set(out, files)


def report_files(result, settings, doc: dict, *, title: str, argv, timings: dict | None = None,
                 browser=None) -> dict:
    """The PDF, workbook and HTML, rendered to bytes (nothing touches the folder until all exist).
    `browser`: the run's (see `session`); one is launched here when None. `timings`, when given,
    receives the seconds each stage took."""
    import shlex
    import time

    from capplan.outputs import charts as ch
    from capplan.outputs import html, pdf, resources_view, workbook

    timings = timings if timings is not None else {}
    paper = pdf.paper_size(settings.paper)
    own = browser is None
    if own:
        from capplan.outputs.browser import Browser

        browser = Browser.launch()
    from capplan import progress
    from capplan.threads import Background

    try:
        t = time.perf_counter()
        progress.stage("drawing the charts")
        figs = ch.report_figures(doc, result.traffic)
        figs.update(resources_view.figures(result, doc))  # --capacity-from, flat-topping
        timings["charts (figures)"] = time.perf_counter() - t
        common = {"title": title, "generated": pdf_date(doc),
                  "command": shlex.join(["capplan", *list(argv)[1:]]), "versions": _versions(),
                  "inputs": doc.get("inputs")}
        t = time.perf_counter()
        # The browser draws and prints in its own process while this thread builds the rest.
        printing = Background(pdf.build, doc, figs, browser, paper=paper, **common)
        progress.stage("building the workbook (the PDF prints meanwhile)")
        xlsx = workbook.build(doc, title)
        timings["workbook"] = time.perf_counter() - t
        t = time.perf_counter()
        progress.stage("building the HTML page")
        page_html = html.render(doc, figs, paper=paper, **common)
        timings["html"] = time.perf_counter() - t
        t = time.perf_counter()
        progress.stage("printing the PDF")
        pdf_bytes = printing.result()
        timings["pdf (waiting for the browser)"] = time.perf_counter() - t
    finally:
        if own:
            browser.close()
    return {"plan.pdf": pdf_bytes, "plan.xlsx": xlsx, "plan.html": page_html}


def pdf_date(doc: dict, environ=None) -> str:
    """The date the PDF carries: `SOURCE_DATE_EPOCH` when set (reproducible builds), else the
    plan's data date, never the day it is run, so the same input and flags give the same bytes
    on any day. A plan from a file says its data ends then; a what-if starts today anyway. As
    people write dates: 31 Jan 2015."""
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
        return fmt.day(when.strftime("%Y-%m-%d"))
    start = fmt.day(str(doc["start"])[:10])
    return f"from data up to {start}" if doc.get("input") else start


def _pdf_bytes(page: str) -> bytes:
    """An image-mode report page laid out by weasyprint (callers that bring chart images)."""
    from capplan.outputs.pdf import pdf_bytes

    return pdf_bytes(page)


def _versions() -> str:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from capplan import __version__

    parts = [f"capplan {__version__}", f"Python {platform.python_version()}"]
    for lib in ("pandas", "numpy", "scipy", "statsmodels", "plotly", "openpyxl", "choreographer"):
        try:
            parts.append(f"{lib} {version(lib)}")
        except PackageNotFoundError:
            pass
    return ", ".join(parts)


def write_usl_outputs(result, out: Path, latency_slo: str | None, chart: bool = True,
                      load_test=None, browser=None) -> list[Path]:
    """usl.json and the fitted curve as usl.svg (measured points, N*, extrapolation dotted;
    with a `load_test`, its steps and their measured latency). `browser`: the run's (see
    `session`: the command line starts it before the fit); one is launched here when None."""
    from capplan.outputs.usl_json import usl_doc

    files = {"usl.json": jout.dumps(usl_doc(result, latency_slo, load_test=load_test))}
    if chart:
        from capplan.outputs import charts as ch

        slo = None
        if latency_slo:
            from capplan.queueing import parse_duration_seconds

            slo = parse_duration_seconds(latency_slo, "--latency-slo")
        title = "USL fit" if result.n else "USL what-if curve"
        figure = ch.usl_figure(result, title, latency_slo=slo, load_test=load_test)
        if browser is None:
            from capplan.outputs.browser import Browser

            with Browser.launch() as own:
                files["usl.svg"] = ch.svg_of(figure, own)
        else:
            try:
                files["usl.svg"] = ch.svg_of(figure, browser)
            finally:
                browser.release()  # one chart a run: it shuts down while the files are written
    return write_set(out, files)
