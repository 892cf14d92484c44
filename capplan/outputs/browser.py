"""The run's one headless Chromium, which draws the charts (plotly.js) and prints the PDF.

Starting Chromium and loading plotly.js take longer than a plan takes to compute, so the browser
is launched in a background thread as soon as the command's flags are read (`launch`), and is
ready by the time the plan is. The report page is then put into its open tab, plotly.js draws each
chart into it, and Chromium prints it (`Page.printToPDF`): vector charts and text, the CSS page
size and running headers, in a fraction of a second. When the run fails (a bad input), `abort`
kills the browser at once, so the error is not held up by it.

Every wait is bounded (`TIMEOUT`): a browser that hangs is an error, never a hung run. Nothing is
cached across runs. Chromium stamps the PDF with the clock; `fix_dates` replaces those stamps with
the plan's own date so the same plan gives the same bytes.
"""

from __future__ import annotations

import asyncio
import base64
import re
import tempfile
import threading
from pathlib import Path

from capplan.errors import CapplanError

TIMEOUT = 90.0  # seconds for any one step: launch, load, draw, print
HINT = "give --no-report for the JSON alone, or run setup.sh to install Chromium"

_DRAW = """async function (html, figures) {
  const parsed = new DOMParser().parseFromString(html, "text/html");
  document.title = parsed.title;
  // plotly.js keeps its own stylesheet in the head: add the page's styles beside it.
  for (const el of Array.from(parsed.head.children)) {
    if (el.tagName !== "SCRIPT") { document.head.appendChild(document.adoptNode(el)); }
  }
  document.body.replaceWith(document.adoptNode(parsed.body));
  for (const [name, fig] of figures) {
    const el = document.getElementById("chart-" + name);
    if (el) { await Plotly.newPlot(el, fig.data, fig.layout, {staticPlot: true}); }
  }
  await document.fonts.ready;
  return document.querySelectorAll(".js-plotly-plot").length;
}"""


# The figure as SVG text, drawn by plotly.js in a hidden element of its own, as kaleido does.
_SVG = """async function (fig, width) {
  return await Plotly.toImage({data: fig.data, layout: fig.layout},
                              {format: "svg", width: width, height: fig.layout.height,
                               imageDataOnly: true});
}"""


# Laid out at the printable width in print media, what comes before the element starts on the
# first page only when it ends within the first page's printable height (CSS pixels); otherwise
# the element follows on (class `follow-on`). Laid out without page breaks, the content's bottom
# is where it would end printed but for blocks moved whole past a page end, which only happens
# when it reaches past that page anyway.
_FOLLOW_ON = """function (pageHeight) {
  for (const el of document.querySelectorAll("[data-own-page]")) {
    const top = el.getBoundingClientRect().top + window.scrollY;
    if (top > pageHeight) { el.classList.add("follow-on"); }
  }
}"""


def plotly_js_path() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


class Browser:
    """A headless Chromium with one tab that has plotly.js loaded (see the module docstring)."""

    def __init__(self, reusable: bool = False):
        self.reusable = reusable  # many pages a run (the fleet's reports): `release` waits for close
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._browser = None
        self._tab = None
        self._aborted = False
        self.overflow: int | None = None  # CSS pixels the last page was wider than printable
        self._thread = threading.Thread(target=self._run, name="capplan-browser", daemon=True)

    @classmethod
    def launch(cls, reusable: bool = False) -> Browser:
        """Start the browser in the background and return at once."""
        b = cls(reusable)
        b._thread.start()
        return b

    # ---- the background thread ------------------------------------------------------------
    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported to the caller by wait_ready
            if self._error is None:
                self._error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        import logging

        import choreographer

        for name in ("choreographer", "browser_proc", "logistro"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        with tempfile.TemporaryDirectory(prefix="capplan-page-") as tmp:
            shell = Path(tmp) / "shell.html"
            shell.write_text('<!doctype html><html><head><meta charset="utf-8"><script src="'
                             f'{plotly_js_path().as_uri()}"></script></head><body></body></html>',
                             encoding="utf-8")
            browser = choreographer.Browser(headless=True, enable_extensions=False)
            self._browser = browser
            try:
                await asyncio.wait_for(browser.open(), TIMEOUT)
                if self._aborted:
                    return
                tab = browser.get_tab()
                await asyncio.wait_for(tab.send_command("Page.navigate",
                                                        {"url": shell.as_uri()}), TIMEOUT)
                await asyncio.wait_for(self._plotly_loaded(tab), TIMEOUT)
                self._tab = tab
                self._ready.set()
                await self._stop.wait()
            finally:
                # The profile is a throwaway: end the process group at once (a polite
                # Browser.close takes a second or more), then let choreographer remove its
                # temporary profile.
                _kill(browser)
                try:
                    await asyncio.wait_for(browser.close(), 10)
                except BaseException:  # noqa: BLE001 - nothing is left to close
                    pass

    @staticmethod
    async def _plotly_loaded(tab) -> None:
        while True:
            r = await tab.send_command("Runtime.evaluate", {
                "expression": "typeof Plotly !== 'undefined' && document.readyState === "
                              "'complete'", "returnByValue": True})
            if r.get("result", {}).get("result", {}).get("value"):
                return
            await asyncio.sleep(0.02)

    async def _print(self, html: str, figures: dict, width: int | None,
                     page_height: float | None = None) -> bytes:
        tab = self._tab
        doc = await tab.send_command("Runtime.evaluate", {"expression": "document"})
        obj = doc["result"]["result"]["objectId"]
        drawn = await tab.send_command("Runtime.callFunctionOn", {
            "functionDeclaration": _DRAW, "objectId": obj, "awaitPromise": True,
            "returnByValue": True,
            "arguments": [{"value": html}, {"value": [[k, v] for k, v in figures.items()]}]})
        if "error" in drawn or "exceptionDetails" in drawn.get("result", {}):
            detail = drawn.get("error") or drawn["result"]["exceptionDetails"]
            raise CapplanError(f"the PDF: the browser could not draw the charts ({detail}); {HINT}")
        if width:
            self.overflow = await self._overflow(tab, width, page_height)
        pdf = await tab.send_command("Page.printToPDF", {
            "preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False,
            "generateDocumentOutline": True, "generateTaggedPDF": False,
            "transferMode": "ReturnAsBase64"})
        if "error" in pdf:
            raise CapplanError(f"the PDF: the browser could not print ({pdf['error']}); {HINT}")
        return base64.b64decode(pdf["result"]["data"])

    async def _svg(self, figure: dict, width: int) -> bytes:
        tab = self._tab
        doc = await tab.send_command("Runtime.evaluate", {"expression": "document"})
        drawn = await tab.send_command("Runtime.callFunctionOn", {
            "functionDeclaration": _SVG, "objectId": doc["result"]["result"]["objectId"],
            "awaitPromise": True, "returnByValue": True,
            "arguments": [{"value": figure}, {"value": width}]})
        if "error" in drawn or "exceptionDetails" in drawn.get("result", {}):
            detail = drawn.get("error") or drawn["result"]["exceptionDetails"]
            raise CapplanError(f"the browser could not draw a chart ({detail}); {HINT}")
        return drawn["result"]["result"]["value"].encode("utf-8")

    @staticmethod
    async def _overflow(tab, width: int, page_height: float | None = None) -> int:
        """How many CSS pixels the page is wider than the printable width (Chromium would
        shrink every page to fit: a layout fault the tests look for). With the printable
        `page_height`, an element marked `data-own-page` (the report's section 1, after the
        one-page summary) that would start past the first page follows on instead (`_FOLLOW_ON`):
        a summary that spills a few lines onto page 2 does not leave page 2 nearly empty."""
        await tab.send_command("Emulation.setEmulatedMedia", {"media": "print"})
        await tab.send_command("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        if page_height:
            await tab.send_command("Runtime.evaluate", {
                "expression": f"({_FOLLOW_ON})({float(page_height)!r})", "returnByValue": True})
        r = await tab.send_command("Runtime.evaluate", {
            "expression": "document.documentElement.scrollWidth", "returnByValue": True})
        await tab.send_command("Emulation.clearDeviceMetricsOverride")
        await tab.send_command("Emulation.setEmulatedMedia", {"media": ""})
        return max(0, int(r["result"]["result"]["value"]) - width)

    # ---- the caller's side ------------------------------------------------------------------
    def wait_ready(self) -> None:
        if not self._ready.wait(TIMEOUT * 2):
            raise CapplanError(f"the headless browser (it draws the charts and prints the PDF) "
                               f"did not start within {TIMEOUT * 2:.0f} s; {HINT}")
        if self._tab is None:
            exc = self._error
            why = f"{type(exc).__name__}: {exc}".splitlines()[0][:160] if exc else "it stopped"
            raise CapplanError(f"the headless browser (it draws the charts and prints the PDF) "
                               f"could not start ({why}); {HINT}")

    def print_pdf(self, html: str, figures: dict, *, stamp: str, width: int | None = None,
                  page_height: float | None = None) -> bytes:
        """The page printed to PDF, with `figures` (name -> plotly figure) drawn into the
        elements `chart-<name>`; its date stamps set to `stamp` (YYYY-MM-DD). With the printable
        `width` (CSS pixels), `overflow` records how far the page is wider; with the printable
        `page_height` too, a `data-own-page` element that would not start on page 1 follows on."""
        self.wait_ready()
        future = asyncio.run_coroutine_threadsafe(
            self._print(html, figures, width, page_height), self._loop)
        try:
            data = future.result(TIMEOUT)
        except TimeoutError as exc:
            future.cancel()
            raise CapplanError(f"the PDF: the browser did not print within {TIMEOUT:.0f} s; "
                               f"{HINT}") from exc
        return fix_dates(data, stamp)

    def svg(self, figure: dict, width: int) -> bytes:
        """A plotly figure (plain JSON: dicts and lists) as SVG, `width` CSS pixels wide and as
        high as its layout says: the drawing kaleido makes, without a browser of its own."""
        self.wait_ready()
        future = asyncio.run_coroutine_threadsafe(self._svg(figure, width), self._loop)
        try:
            return future.result(TIMEOUT)
        except TimeoutError as exc:
            future.cancel()
            raise CapplanError(f"the browser did not draw a chart within {TIMEOUT:.0f} s; "
                               f"{HINT}") from exc

    def release(self) -> None:
        """The page is printed: let the browser shut down in the background now (`close` waits
        for it), while the rest of the run finishes. A reusable browser stays for the next page."""
        if not self.reusable:
            self._shutdown()

    def _shutdown(self) -> None:
        if self._loop is not None and self._stop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stop.set)

    def close(self) -> None:
        """Stop the browser and wait for it (bounded)."""
        self._shutdown()
        self._thread.join(15)

    def abort(self) -> None:
        """The run failed: kill the browser now rather than close it politely."""
        self._aborted = True
        if self._browser is not None:
            _kill(self._browser)
        self.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False


def _kill(browser) -> None:
    """End Chromium and its renderers (one process group) now, and remove the socket folder it
    keeps in /tmp (its own clean exit would). Nothing of a throwaway profile is lost."""
    import os
    import shutil
    import signal
    import time

    proc = getattr(browser, "subprocess", None)
    if proc is None or proc.poll() is not None:
        return
    sockets = None
    impl = getattr(browser, "_browser_impl", None)
    tmp = getattr(getattr(impl, "tmp_dir", None), "path", None)
    if tmp is not None:
        try:
            sockets = Path(os.readlink(Path(tmp) / "SingletonSocket")).parent
        except OSError:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        try:
            proc.kill()
        except OSError:
            pass
    deadline = time.monotonic() + 5
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if sockets is not None and sockets.name.startswith("org.chromium."):
        shutil.rmtree(sockets, ignore_errors=True)
    # choreographer's reader thread waits on the pipe, whose write end this process also holds:
    # the goodbye Chromium would have sent wakes it now instead of after its 2 s poll.
    bye = getattr(getattr(browser, "_channel", None), "_fake_bye", None)
    if bye is not None:
        try:
            bye()
        except Exception:  # noqa: BLE001 - only a faster shutdown is lost
            pass


_STAMP = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}([^)]*)\)")


def fix_dates(pdf: bytes, stamp: str) -> bytes:
    """Replace the clock's /CreationDate and /ModDate with `stamp` (YYYY-MM-DD) at midnight UTC,
    keeping every byte offset (the cross-reference table stays valid)."""
    digits = stamp[:10].replace("-", "").encode() + b"000000"

    def repl(m):
        tail = m.group(2)
        zone = b"+00'00'"
        new_tail = zone if len(tail) == len(zone) else tail
        return b"/" + m.group(1) + b" (D:" + digits + new_tail + b")"

    return _STAMP.sub(repl, pdf)
