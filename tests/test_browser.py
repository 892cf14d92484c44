"""The run's one browser: killed at once when a run fails, nothing left behind; the PDF's clock
stamps replaced without moving a byte."""
import shutil

import pytest

from capplan.errors import CapplanError
from capplan.outputs import browser as br
from capplan.outputs import report


def test_fix_dates_keeps_every_offset():
    pdf = (b"%PDF-1.4\n1 0 obj\n<</Producer (Skia/PDF m156)\n/CreationDate (D:20261126112214"
           b"+00'00')\n/ModDate (D:20261126112214+01'00')>>\nendobj\n")
    out = br.fix_dates(pdf, "2015-01-31")
    assert len(out) == len(pdf)
    assert b"/CreationDate (D:20150131000000+00'00')" in out
    assert b"/ModDate (D:20150131000000+00'00')" in out


def _gone(b: br.Browser) -> bool:
    proc = getattr(b._browser, "subprocess", None)
    return not b._thread.is_alive() and (proc is None or proc.poll() is not None)


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chrome") is None,
                    reason="no Chromium")
def test_a_failed_run_kills_the_browser_at_once():
    # failing while the browser is still starting
    with pytest.raises(CapplanError):
        with report.session(True) as b:
            raise CapplanError("bad input")
    assert _gone(b)
    # and once it is up
    with pytest.raises(CapplanError):
        with report.session(True) as b:
            b.wait_ready()
            raise CapplanError("bad input")
    assert _gone(b)


def test_no_browser_without_reports():
    with report.session(False) as b:
        assert b is None


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chrome") is None,
                    reason="no Chromium")
def test_no_page_is_wider_than_the_paper(tmp_path):
    """Chromium shrinks every page of a document that is wider than the paper: the report must
    fit (a 12-month plan with cells, a long event name and a currency; A4 and Letter)."""
    import datetime as dt
    import json

    from capplan.outputs import charts, pdf
    from capplan.pipeline import Settings, plan_from_numbers

    fleet = tmp_path / "fleet.csv"
    s, k, lam = 0.05, 0.001, 100.0
    fleet.write_text("instances,throughput\n" + "".join(
        f"{n},{lam * n / (1 + s * (n - 1) + k * n * (n - 1)):.6f}\n" for n in (1, 2, 4, 8, 16, 32)))
    flags = dict(fleet_usl=str(fleet), growth="8%/month", worst_growth="12%/month", months=12,
                 cost_per_instance=12345.6, currency="EUR", instances=14, zones=3, spare=1,
                 lead_time=45, events=("spring-marketing-launch:2027-03-01:24h:2x",))
    result = plan_from_numbers(Settings(**flags), peak=586, today=dt.date(2026, 11, 24))
    doc = json.loads(json.dumps(report.plan_json(result, Settings(**flags))))
    figs = charts.report_figures(doc)
    with report.session(True) as b:
        for paper in ("A4", "Letter"):
            width = pdf.content_width_px(paper)
            sized = {n: {**f, "layout": {**f["layout"], "width": width - 2}}
                     for n, f in figs.items()}
            page = pdf.render_html(doc, sized, title="t", paper=paper, generated="x",
                                   command="c", versions="v", mode="print")
            data = b.print_pdf(page, sized, stamp=doc["start"], width=width)
            assert data.startswith(b"%PDF") and b.overflow == 0, paper


def test_a_browser_that_cannot_start_is_one_line_for_any_command(monkeypatch):
    # usl.svg and the fleet's charts use it too: the message names neither plan.pdf nor
    # plan.json, and says how to go on without it.
    import choreographer

    class Broken:
        def __init__(self, *a, **k):
            raise FileNotFoundError("chromium not found")

    monkeypatch.setattr(choreographer, "Browser", Broken)
    b = br.Browser.launch()
    with pytest.raises(CapplanError) as info:
        b.svg({"data": [], "layout": {"height": 10}}, 10)
    msg = str(info.value)
    assert msg.startswith("the headless browser (it draws the charts and prints the PDF) could "
                          "not start (FileNotFoundError: chromium not found)")
    assert "--no-report for the JSON alone" in msg and "plan." not in msg
    assert "\n" not in msg
    b.close()
