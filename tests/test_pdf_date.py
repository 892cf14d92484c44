"""The PDF carries the plan's data date (or SOURCE_DATE_EPOCH), never the day it is run: the same
input and flags give byte-identical reports on any day."""
import contextlib
import datetime as real_dt
import sys
import time
import types

import pytest

from capplan.errors import CapplanError
from capplan.outputs import report


@contextlib.contextmanager
def frozen_clock(when: real_dt.datetime):
    """Every clock read capplan can make says `when`: `datetime` (also when a function imports it
    itself), `date.today()` and `time.time()`."""

    class FrozenDatetime(real_dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return when if tz is None else when.replace(tzinfo=real_dt.timezone.utc).astimezone(tz)

        @classmethod
        def utcnow(cls):
            return when

        @classmethod
        def today(cls):
            return when

    class FrozenDate(real_dt.date):
        @classmethod
        def today(cls):
            return when.date()

    # Libraries with C extensions bind the real datetime when first imported: import them
    # before the swap (pandas crashes on a substitute), so only capplan's reads see the freeze.
    import numpy  # noqa: F401
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401
    import weasyprint  # noqa: F401

    module = types.ModuleType("datetime")
    module.__dict__.update(real_dt.__dict__)
    module.datetime, module.date = FrozenDatetime, FrozenDate
    saved = sys.modules["datetime"], time.time, time.time_ns
    sys.modules["datetime"] = module
    time.time, time.time_ns = when.timestamp, lambda: int(when.timestamp() * 1e9)
    try:
        yield
    finally:
        sys.modules["datetime"], time.time, time.time_ns = saved


def reports_on(day: real_dt.datetime, monkeypatch) -> dict:
    from capplan.pipeline import Settings, plan_from_numbers

    settings = Settings(per_instance=100, months=2, growth="5%/month")
    with frozen_clock(day):
        import datetime

        assert datetime.date.today() == day.date()  # the freeze reaches a fresh import
        result = plan_from_numbers(settings, peak=1000, today=real_dt.date(2026, 3, 2))
        doc = report.plan_json(result)
        files = report.report_files(result, settings, doc, title="t", argv=["capplan", "plan"])
    return {**files, "plan.json": doc}


def test_same_plan_on_two_days_gives_identical_pdf(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    a = reports_on(real_dt.datetime(2026, 3, 2, 9, 0), monkeypatch)
    b = reports_on(real_dt.datetime(2031, 12, 24, 23, 59), monkeypatch)
    assert a["plan.pdf"].startswith(b"%PDF") and a["plan.pdf"] == b["plan.pdf"]
    assert a["plan.xlsx"] == b["plan.xlsx"] and a["plan.html"] == b["plan.html"]


def test_pdf_date_is_the_data_date_or_source_date_epoch():
    from_file = {"start": "2015-01-31", "input": {"path": "x.csv"}}
    what_if = {"start": "2026-03-02", "input": None}
    assert report.pdf_date(from_file, {}) == "from data up to 31 Jan 2015"
    assert report.pdf_date(what_if, {}) == "2 Mar 2026"
    # 1,700,000,000 s after 1970-01-01 is 2023-11-14 22:13:20 UTC.
    assert report.pdf_date(from_file, {"SOURCE_DATE_EPOCH": "1700000000"}) == "14 Nov 2023"
    for bad in ("yesterday", "1e9", "99999999999999999999"):
        with pytest.raises(CapplanError, match="SOURCE_DATE_EPOCH"):
            report.pdf_date(from_file, {"SOURCE_DATE_EPOCH": bad})
