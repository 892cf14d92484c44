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
