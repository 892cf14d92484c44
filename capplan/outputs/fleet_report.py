"""Which files a fleet run writes, and the services' own reports.

`--out`: fleet.json always; fleet.pdf, fleet.xlsx and fleet.html unless `--no-report`; one set
(`atomic.write_set`), fleet.json streamed into the staging folder. `--reports DIR`: each service's
own plan.pdf, plan.xlsx, plan.html and plan.json as `<name>.pdf`, `<name>.xlsx`, `<name>.html`,
`<name>.json` (what `capplan forecast` writes for it), rendered as each service finishes (pages
printed by the run's one browser) into a scratch folder, then moved into
DIR as one set. Nothing is written when no service could be planned.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from capplan.fleet.model import FleetResult
from capplan.outputs.atomic import write_set


class Browser:
    """The run's one headless browser (`outputs.browser`), started at its first use and stopped
    at the end of the run: it draws the fleet PDF's charts as SVG (`with Browser() as export:
    export(fig) -> svg bytes`) and prints the services' own reports (`page()`)."""

    def __init__(self):
        self._browser = None

    def __enter__(self):
        return self

    def page(self):
        """The browser itself, launched now if it is not yet."""
        if self._browser is None:
            from capplan.outputs.browser import Browser as PageBrowser

            self._browser = PageBrowser.launch(reusable=True)
        return self._browser

    def __call__(self, fig) -> bytes:
        from capplan.outputs.charts import svg_of

        return svg_of(fig, self.page())

    def __exit__(self, exc_type, *exc):
        if self._browser is not None:
            if exc_type is None:
                self._browser.close()
            else:
                self._browser.abort()  # a failed run is not held up by the browser
            self._browser = None
        return False


def file_stem(name: str) -> str:
    """A service name as a file name: letters, digits, dot, dash and underscore."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "service"


class ServiceReports:
    """Each service's own plan set, rendered as its result arrives (bounded memory: a set is on
    disk before the next service's is rendered) and written into `folder` by `write()`."""

    def __init__(self, folder: Path, export, *, argv):
        self.folder = Path(folder)
        self.export = export
        self.argv = list(argv)
        self.scratch = Path(tempfile.mkdtemp(prefix="capplan-reports-"))
        self.files: dict[str, Path] = {}
        self.problems: list[str] = []
        self._stems: set[str] = set()
        self.browser = None  # the page printer, at the first service's report
        self._own = False  # launched here (no shared browser given), so closed here

    def add(self, result, kept) -> None:
        """Render one service's plan set from (ForecastResult, Settings) (nothing for a failed
        service)."""
        if not result.ok or kept is None:
            return
        stem = file_stem(result.name)
        n = 2
        while stem in self._stems:
            stem = f"{file_stem(result.name)}-{n}"
            n += 1
        self._stems.add(stem)
        try:
            rendered = self._render(result, *kept)
        except Exception as exc:  # noqa: BLE001 - one report must not stop the fleet's
            self.problems.append(f"{result.name}: its report could not be rendered "
                                 f"({type(exc).__name__}: {exc})")
            return
        for suffix, content in rendered.items():
            p = self.scratch / f"{stem}{suffix}"
            p.write_bytes(content)
            self.files[p.name] = p

    def _render(self, result, forecast, settings) -> dict:
        """The service's plan.pdf, plan.xlsx and plan.html exactly as `capplan forecast` renders
        them (`report.report_files`), printed by this run's one reusable browser."""
        from capplan.outputs import json as jout
        from capplan.outputs.report import report_files

        if self.browser is None:
            page = getattr(self.export, "page", None)  # the run's one browser, shared
            if page is not None:
                self.browser = page()
            else:
                from capplan.outputs.browser import Browser as PageBrowser

                self.browser, self._own = PageBrowser.launch(reusable=True), True
        doc = result.plan()  # the plan as fleet.json holds it (a split series names its file)
        title = settings.title or settings.service or result.name
        files = report_files(forecast, settings, doc, title=title, argv=self.argv,
                             browser=self.browser)
        files["plan.json"] = jout.dumps(doc)
        return {name.removeprefix("plan"): content.encode("utf-8") if isinstance(content, str)
                else content for name, content in files.items()}

    def write(self) -> list[Path]:
        if not self.files:
            return []

        def mover(src: Path):
            return lambda target: shutil.move(str(src), str(target))

        return write_set(self.folder, {name: mover(p) for name, p in sorted(self.files.items())},
                         name="service-plans")

    def close(self) -> None:
        if self.browser is not None and self._own:  # a shared one is closed by its owner
            self.browser.close()
        self.browser = None
        shutil.rmtree(self.scratch, ignore_errors=True)


@contextmanager
def service_reports(folder: Path | None, export, *, argv):
    """A ServiceReports for `folder` (None: no reports), its scratch removed at the end."""
    if folder is None:
        yield None
        return
    reports = ServiceReports(folder, export, argv=argv)
    try:
        yield reports
    finally:
        reports.close()


def fleet_files(result: FleetResult, *, reports: bool, title: str, paper: str, argv,
                export) -> dict:
    """name -> bytes or writer, for `atomic.write_set`."""
    from capplan.outputs import fleet_json

    files: dict = {"fleet.json": lambda target: fleet_json.write(result, target)}
    if reports:
        from capplan.outputs import fleet_html, fleet_pdf, fleet_workbook

        files["fleet.pdf"] = fleet_pdf.build(result, title=title, paper=paper, argv=argv,
                                             export=export)
        files["fleet.xlsx"] = fleet_workbook.build(result, title)
        files["fleet.html"] = fleet_html.render(result, title)
    return files


def write_fleet(result: FleetResult, out: Path, *, reports: bool, title: str, paper: str,
                argv, export) -> list[Path]:
    return write_set(out, fleet_files(result, reports=reports, title=title, paper=paper,
                                      argv=argv, export=export), name="fleet")
