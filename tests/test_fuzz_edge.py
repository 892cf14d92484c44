"""Fuzzed: the service file and events readers raise nothing but CapplanError, whatever they are
given; and every plan built from in-range flags holds only finite numbers and sane counts.
Fixed seeds (derandomize), a few hundred examples each, a few seconds in all."""
import datetime as dt
import math
import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capplan.config import KEYS, read_config
from capplan.errors import CapplanError
from capplan.events import Event, parse_event, read_events_file, read_events_path
from capplan.validation import check_plan_finite, check_settings

FUZZ = settings(max_examples=300, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

# ---- events ------------------------------------------------------------------------------------
numbers = st.one_of(st.integers(-10, 10 ** 6).map(str), st.floats(allow_nan=True).map(repr),
                    st.sampled_from(["1e400", "9" * 400, "nan", "inf", "-1", "0", "0.0", "",
                                     "١٢", "1.5.2", "½"]))
dates = st.one_of(
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(str),
    st.datetimes(dt.datetime(1, 1, 2), dt.datetime(9999, 12, 30)).map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01T00:00+01:00", "9999-12-31T23:59-01:00", "2026-02-30",
                     "2026-01-01T25:00", "2026-13-01", "", "today"]),
)
durations = st.tuples(numbers, st.sampled_from(["", "m", "min", "h", "d", "w", "H", "y", " h"])
                      ).map("".join)
multipliers = st.tuples(numbers, st.sampled_from(["", "x", "X", "×", " x"])).map("".join)
names = st.text(min_size=0, max_size=300)
structured = st.tuples(names, dates, durations, multipliers).map(lambda t: ":".join(t))


def check_event(ev: Event) -> None:
    assert 1970 <= ev.start.year <= 2100 and ev.name and len(ev.name) <= 200
    assert 0 < ev.duration_hours <= 366 * 24 and 0 < ev.multiplier <= 1000
    assert math.isfinite(ev.duration_hours) and math.isfinite(ev.multiplier)
    assert ev.end.year <= 2101  # its window's end is a date too


@FUZZ
@given(st.one_of(structured, st.text(max_size=400)))
def test_parse_event_raises_only_capplan_error(text):
    try:
        ev = parse_event(text)
    except CapplanError as exc:
        assert "\n" not in str(exc) and len(str(exc)) <= 280
        return
    check_event(ev)


row = st.lists(st.one_of(names, dates, durations, multipliers), min_size=0, max_size=6)
csv_text = st.one_of(
    st.lists(row, max_size=6).map(
        lambda rows: "name,start,duration,multiplier\n"
        + "\n".join(",".join(r) for r in rows)),
    st.text(max_size=600),
    st.text(alphabet=string.printable + '"\x00\r', max_size=600),
)


@FUZZ
@given(csv_text)
def test_read_events_file_raises_only_capplan_error(text):
    try:
        events = read_events_file(text, "events.csv")
    except CapplanError as exc:
        assert "\n" not in str(exc) and len(str(exc)) <= 280
        return
    assert events
    for ev in events:
        check_event(ev)


@settings(max_examples=100, derandomize=True, deadline=None)
@given(st.one_of(st.binary(max_size=400), csv_text.map(lambda t: t.encode("utf-8", "replace")),
                 st.sampled_from([b"\xff\xfe" + "name,start".encode("utf-16-le"),
                                  b"\xef\xbb\xbfname,start,duration,multiplier\nx,2026-01-01,1h,2x"])))
def test_read_events_path_raises_only_capplan_error(data):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "events.csv"
        p.write_bytes(data)
        try:
            read_events_path(p)
        except CapplanError:
            pass


def test_events_reader_edges(tmp_path):
    p = tmp_path / "events.csv"
    p.write_bytes(b"\xef\xbb\xbfname,start,duration,multiplier\n\nsale,2026-11-27,48h,3x\n")
    (ev,) = read_events_path(p)
    assert (ev.name, ev.start, ev.duration_hours, ev.multiplier) == (
        "sale", dt.datetime(2026, 11, 27), 48.0, 3.0)
    p.write_bytes(b"name,start,duration,multiplier\nx,2026-01-01,1h,2x\n" + b"y" * 1_000_001)
    try:
        read_events_path(p)
        raise AssertionError("a 1 MB events file was read")
    except CapplanError as exc:
        assert "1,000,000 bytes" in str(exc)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,start,duration,multiplier\nok,2026-01-01,1h,2x\nlate,9999-12-31,1h,2x\n")
    try:
        read_events_path(bad)
        raise AssertionError("year 9999 accepted")
    except CapplanError as exc:
        assert "line 3" in str(exc) and "1970-2100" in str(exc)
    # An offset is converted to UTC; year 1 with an offset must not overflow on the way.
    assert parse_event("x:2026-01-01T00:30+01:00:1h:2x").start == dt.datetime(2025, 12, 31, 23, 30)
    for text in ("x:0001-01-01T00:00+01:00:1h:2x", "x:2026-01-01:" + "9" * 400 + "h:2x",
                 "x:2026-01-01:1h:1001x", "x:2026-01-01:1h:0x", "x:2026-01-01:0h:2x"):
        try:
            parse_event(text)
            raise AssertionError(text)
        except CapplanError:
            pass


# ---- the service file ----------------------------------------------------------------------------
toml_scalars = st.one_of(
    st.integers(-10 ** 30, 10 ** 30).map(str), st.sampled_from(["nan", "inf", "-inf", "1e308",
                                                                "1e-300", "true", "0", "-5"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=40).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"')
                             .replace("\n", "\\n").replace("\r", "\\r") + '"'),
    st.sampled_from(['["a:2026-01-01:1h:2x"]', "[1, 2]", "[]", "{a = 1}", "1979-05-27",
                     "07:32:00", '"10"', '"10%/month"', '"1e308%/month"', '"nan%"']),
)
keys = st.one_of(st.sampled_from(sorted(KEYS)), st.text(alphabet=string.ascii_lowercase + "_-",
                                                        min_size=1, max_size=12))
toml_docs = st.lists(st.tuples(st.sampled_from(["", "[capacity]\n", "[growth]\n", "[a.b]\n"]),
                               keys, toml_scalars), max_size=8).map(
    lambda items: "".join(f"{table}{k} = {v}\n" for table, k, v in items))


@settings(max_examples=200, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(toml_docs, st.text(max_size=300),
                 st.sampled_from(["a = " + "[" * 5000, "x = {" * 3000, "[" + "a." * 3000 + "b]"])))
def test_read_config_raises_only_capplan_error(text):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "service.toml"
        p.write_text(text, encoding="utf-8", errors="surrogatepass") if _encodable(text) else \
            p.write_bytes(text.encode("utf-8", "replace"))
        try:
            values = read_config(p)
        except CapplanError as exc:
            assert "\n" not in str(exc) and len(str(exc)) <= 280
            return
        # What it accepts meets the flags' rules.
        check_settings({k: v for k, v in values.items() if k not in ("events_file",)})


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.binary(max_size=300))
def test_read_config_bytes(data):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "service.toml"
        p.write_bytes(data)
        try:
            read_config(p)
        except CapplanError:
            pass


def test_config_names_file_and_key(tmp_path):
    p = tmp_path / "svc.toml"
    for body, words in [
        ("[capacity]\ntarget_utilization = 1e-300\n", ["svc.toml", "capacity.target_utilization",
                                                         "0.01"]),
        ("[growth]\ngrowth = 10\n", ["growth.growth", "10%/month"]),
        ("[growth]\ngrowth = \"nan%/month\"\n", ["growth.growth", "finite"]),
        ("[plan]\nlead_time = -5\n", ["plan.lead_time", "3,650"]),
        ("[plan]\ncost_per_instance = nan\n", ["plan.cost_per_instance", "finite"]),
        ("[capacity]\nper_instance = inf\n", ["capacity.per_instance"]),
        ("events = [1]\n", ["events", "text"]),
        ("events = [\"x:9999-12-31:24h:2x\"]\n", ["events", "1970-2100"]),
        ("target_utilisation = 0.6\n", ["did you mean 'target_utilization'"]),
        ("months = 6\n[growth]\nmonths = 7\n", ["months is set twice"]),
        ("instances = " + "9" * 400 + "\n", ["instances"]),
    ]:
        p.write_text(body)
        try:
            read_config(p)
            raise AssertionError(body)
        except CapplanError as exc:
            for w in words:
                assert w in str(exc), (body, str(exc))
    p.write_bytes(b"x" * 1_000_001)
    try:
        read_config(p)
        raise AssertionError("1 MB config read")
    except CapplanError as exc:
        assert "1,000,000 bytes" in str(exc)


# ---- plans from in-range flags ---------------------------------------------------------------------
@settings(max_examples=25, derandomize=True, deadline=None)
@given(peak=st.floats(1e-6, 1e12), per_instance=st.floats(1e-3, 1e12),
       target=st.floats(0.01, 1.0), growth=st.floats(-90, 1000), extra=st.floats(0, 1000),
       months=st.integers(1, 60), spare=st.integers(0, 100_000), zones=st.integers(1, 20),
       cost=st.floats(0, 1e9), mult=st.floats(0.001, 1000), day=st.integers(0, 1800))
def test_any_in_range_plan_is_finite_and_sane(peak, per_instance, target, growth, extra, months,
                                             spare, zones, cost, mult, day):
    from capplan.outputs.report import plan_json
    from capplan.pipeline import Settings, plan_from_numbers

    start = dt.date(2026, 1, 1)
    when = start + dt.timedelta(days=day)
    worst = min(growth + extra, 1000.0)
    values = dict(per_instance=per_instance, target_utilization=target, months=months,
                  spare=spare, zones=zones, cost_per_instance=cost, growth=f"{growth!r}%/month",
                  worst_growth=f"{worst!r}%/month", events=(f"e:{when}:48h:{mult!r}x",))
    # A growth that compounds past a million-fold over the horizon is refused, naming --growth
    # or --worst-growth; the plan is then made over the longest horizon allowed.
    per_month = math.log1p(max(growth, worst) / 100)
    allowed = max(1, math.floor(math.log(1e6) / per_month * (1 - 1e-12))) if per_month > 0 else 60
    if months > allowed:
        try:
            check_settings({**values, "events": list(values["events"]), "peak": peak})
            raise AssertionError(f"{months} months at {max(growth, worst)}%/month accepted")
        except CapplanError as exc:
            assert "growth" in str(exc) and "fold" in str(exc), str(exc)
        values["months"] = months = allowed
    check_settings({**values, "events": list(values["events"]), "peak": peak})
    result = plan_from_numbers(Settings(**values), peak=peak, today=start)
    doc = plan_json(result)
    check_plan_finite(doc)
    nominal, worst_rows = (doc["scenarios"][s]["months"] for s in ("nominal", "worst_case"))
    for a, b in zip(nominal, worst_rows):
        # A positive peak needs at least one instance, plus the spares (zones only add).
        assert isinstance(a["instances"], int) and a["instances"] >= 1 + spare
        assert b["peak"] >= a["peak"] * (1 - 1e-12) and b["instances"] >= a["instances"]
        assert a["cost"] >= 0 and math.isfinite(a["cost"])
