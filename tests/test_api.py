"""The notebook API (`import capplan`): the worked example by hand, the same plan as the command
line, typed options held to the flags' rules, DataFrames in and tables out."""
import datetime as dt
import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import capplan
from capplan.errors import CapplanError
from conftest import ROOT, data, run_cli

TODAY = dt.date(2026, 1, 1)  # a frozen clock for what-if plans
SEED = dict(peak=10000, instances=20, utilization=0.40, target_utilization=0.60, growth=0.10,
            months=12, today=TODAY)


def test_import_capplan_is_light_and_lists_the_api():
    code = ("import sys, capplan; heavy = [m for m in ('pandas', 'numpy', 'scipy', "
            "'statsmodels', 'weasyprint', 'capplan.api', 'capplan.pipeline') if m in "
            "sys.modules]; print(heavy, sorted(set(dir(capplan)) & {'analyze', 'forecast', "
            "'plan', 'fit_usl', 'read_traffic'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip() == "[] ['analyze', 'fit_usl', 'forecast', 'plan', 'read_traffic']"


def test_capplan_plan_stays_the_function_when_the_plan_module_is_imported():
    from capplan import plan as what_if
    from capplan.plan import build_plan  # binds the submodule on the package

    assert callable(build_plan) and capplan.plan is what_if and capplan.plan.__module__ == \
        "capplan.api"
    assert sys.modules["capplan.plan"].build_plan is build_plan
    with pytest.raises(AttributeError):
        capplan.no_such_name


def test_worked_example_by_hand():
    p = capplan.plan(**SEED)
    nominal = p.months[p.months.scenario == "nominal"].set_index("month")
    # 1,250 req/s per instance at 100% (10,000 / (20 x 0.40)), 750 usable at 60%.
    for m in (5, 8, 12):
        peak = 10000 * 1.1 ** m
        assert nominal.loc[m, "peak"] == pytest.approx(peak)
        assert nominal.loc[m, "instances"] == math.ceil(peak / 750)
    assert nominal.loc[5, "instances"] == 22 and nominal.loc[12, "instances"] == 42
    # The runway: 20 x 750 = 15,000 req/s carried; 10,000 x 1.1^t = 15,000 at t = ln 1.5 / ln 1.1.
    runway = p.to_dict()["scenarios"]["nominal"]["runway_months"]
    assert runway == pytest.approx(math.log(1.5) / math.log(1.1), abs=0.01)
    assert list(p.months.columns[:7]) == ["scenario", "month", "date", "peak", "instances", "add",
                                          "cost"]
    assert p.months["date"].dtype.kind == "M" and p.forecast["date"].dtype.kind == "M"


def test_month_table_columns_are_typed_and_summary_names_every_unit():
    """No number or date column of `months` holds Python None: dates are datetimes (NaT where
    a month orders nothing), counts nullable integers; the order-by dates are plan.json's."""
    p = capplan.forecast(ROOT / "inputs" / "nyc_taxi.csv", config=ROOT / "inputs" / "service.toml")
    m = p.months
    for name in ("order_by", "in_service_by"):
        assert m[name].dtype.kind == "M"
    for name in ("cells", "cell_size", "instances_low", "instances_high", "order_late_days"):
        assert str(m[name].dtype) == "Int64"
    doc = [row for s in p.to_dict()["scenarios"].values() for row in s["months"]]
    # Every column whose plan.json values are numbers (or null) is a number column.
    for name in m.columns:
        values = [row.get(name) for row in doc if row.get(name) is not None]
        if values and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                          for v in values):
            assert m[name].dtype != object, name
    plain = capplan.plan(peak=1000, per_instance=100, growth=0.1, months=3, instances=5,
                         today=dt.date(2026, 1, 1)).months  # no cost stated: <NA>, not None
    assert str(plain["cost"].dtype) == "Float64" and plain["cost"].isna().all()
    got = [None if v is pd.NaT else v.strftime("%Y-%m-%d") for v in m["order_by"]]
    assert got == [row["order_by"] for row in doc]
    summary = capplan.analyze(ROOT / "inputs" / "nyc_taxi.csv").summary().set_index("statistic")
    assert summary.loc["peak_to_mean", "unit"] == "ratio" and summary["unit"].notna().all()


def flat_peaks(days=42, peak=10000.0, start="2026-01-01"):
    """Hourly traffic whose every day peaks at exactly `peak` (at 14:00)."""
    t = pd.date_range(start, periods=days * 24, freq="h", tz="UTC")
    hour = t.hour.to_numpy()
    value = peak * (0.55 + 0.45 * np.cos((hour - 14) / 24 * 2 * np.pi))
    return pd.DataFrame({"timestamp": t, "rps": value})


def test_notebook_forecast_of_the_worked_example():
    # The seed numbers from a DataFrame: a 10,000 req/s daily peak, 1,250 per instance at 100%,
    # 60% target, +10%/month: 16,105.1 req/s and ceil(16,105.1 / 750) = 22 instances in month 5.
    p = capplan.forecast(flat_peaks(), months=6, per_instance=1250, target_utilization=0.6,
                         growth=0.10)
    row = p.months.query("scenario == 'nominal' and month == 5").iloc[0]
    assert row["peak"] == pytest.approx(16105.1) and row["instances"] == 22
    doc = p.to_dict()
    assert doc["input"]["format"] == "DataFrame" and doc["input"]["value_column"] == "rps"
    assert doc["planning_peak"] == pytest.approx(10000)


def test_api_and_cli_write_the_same_plan_json(tmp_path):
    path = ROOT / "inputs" / "nyc_taxi.csv"
    code, _, se = run_cli("forecast", path, "--months", 3, "--per-instance", 1500, "--growth",
                          "5%/month", "--event", "launch:2015-02-10:48h:2x", "--out",
                          tmp_path / "cli", "--no-report")
    assert code == 0, se
    p = capplan.forecast(path, months=3, per_instance=1500, growth=0.05,
                         events=[{"name": "launch", "start": dt.datetime(2015, 2, 10),
                                  "duration": dt.timedelta(hours=48), "multiplier": 2}])
    written = p.write(tmp_path / "api", reports=False)
    assert [w.name for w in written] == ["plan.json"]
    cli_text = (tmp_path / "cli" / "plan.json").read_text()
    assert (tmp_path / "api" / "plan.json").read_text() == cli_text == p.to_json()
    # The month table is plan.json's, row for row.
    doc = json.loads(cli_text)
    for name, s in doc["scenarios"].items():
        table = p.months[p.months.scenario == name]
        assert table["instances"].tolist() == [r["instances"] for r in s["months"]]
        assert table["peak"].tolist() == [r["peak"] for r in s["months"]]
    assert p.command[:3] == ("capplan", "forecast", str(path))
    assert "--growth" in p.command and "5%/month" in p.command


def test_a_frame_and_its_file_give_the_same_plan():
    path = ROOT / "inputs" / "nyc_taxi.csv"
    frame = pd.read_csv(path)
    kw = dict(months=2, per_instance=1500, growth=0.05)
    from_file, from_frame = capplan.forecast(path, **kw), capplan.forecast(frame, **kw)
    pd.testing.assert_frame_equal(from_file.months, from_frame.months)
    pd.testing.assert_frame_equal(from_file.forecast, from_frame.forecast)
    a, b = from_file.to_dict(), from_frame.to_dict()
    assert a["load"] == b["load"] and a["capacity"] == b["capacity"]
    assert b["input"]["path"] == "DataFrame" and b["input"]["rows"] == len(frame)


def test_forecast_paths_are_the_month_table():
    # The fitted model (a short series keeps it quick): each month's peak is the highest point
    # of its scenario's path within the month, month 1 with today's planning peak; the worst
    # case never below the nominal.
    frame = flat_peaks(days=35)
    frame["rps"] *= np.linspace(1, 1.2, len(frame))
    p = capplan.forecast(frame, months=3, per_instance=2000)
    f = p.forecast
    assert (f["worst_case"] >= f["nominal"]).all() and np.isfinite(f[["nominal", "worst_case"]]).all().all()
    today = p.to_dict()["planning_peak"]
    by_month = f.groupby("month")[["nominal", "worst_case"]].max()
    for name in ("nominal", "worst_case"):
        want = by_month[name].copy()
        want[1] = max(want[1], today)
        table = p.months[p.months.scenario == name].set_index("month")["peak"]
        assert table.to_numpy() == pytest.approx(want.to_numpy())


@settings(max_examples=25, derandomize=True, deadline=None)
@given(peak=st.floats(1, 1e6), growth=st.floats(-0.5, 0.5), per_instance=st.floats(10, 1e4),
       target=st.floats(0.1, 1), months=st.integers(1, 8), spare=st.integers(0, 3))
def test_plan_tables_agree_with_each_other_and_by_hand(peak, growth, per_instance, target,
                                                       months, spare):
    p = capplan.plan(peak=peak, per_instance=per_instance, target_utilization=target,
                     growth=growth, months=months, spare=spare, today=TODAY)
    m, f = p.months, p.forecast
    assert len(m) == 2 * months and len(f) == 30 * months
    nominal = m[m.scenario == "nominal"].set_index("month")
    for month in range(1, months + 1):
        # README "How the numbers are made": a month's peak is the path's highest step in it,
        # month 1 including today's peak; the path is P0 (1 + g)^t, t in months, 30 steps a month.
        first_step = (month - 1) + 1 / 30
        expected = peak * max((1 + growth) ** month, (1 + growth) ** first_step,
                              1.0 if month == 1 else 0.0)
        assert nominal.loc[month, "peak"] == pytest.approx(expected, rel=1e-9)
        # Instances, two states: all N at the target in normal running; with K spares, the
        # z = N - K left after losing them at the degraded utilization (default 0.8).
        normal = math.ceil(expected / (per_instance * target))
        if spare:
            survive = math.ceil(expected / (per_instance * 0.8))
            need = max(survive, normal - spare) + spare
        else:
            need = normal
        assert nominal.loc[month, "instances"] == need
    # The month table is the path's: each month's highest step (month 1 with today's peak).
    from_path = f.groupby("month")["nominal"].max()
    from_path[1] = max(from_path[1], peak)
    assert nominal["peak"].to_numpy() == pytest.approx(from_path.to_numpy(), rel=1e-12)
    assert (m["instances"] >= 0).all() and np.isfinite(m["peak"]).all()
    worst = m[m.scenario == "worst_case"].set_index("month")
    assert (worst["peak"] >= nominal["peak"]).all()
    assert (worst["instances"] >= nominal["instances"]).all()


def test_typed_options_meet_the_flags_rules():
    with pytest.raises(CapplanError) as e:
        capplan.plan(peak=1000, per_instance=100, target_utilization=1.5, today=TODAY)
    code, _, se = run_cli("plan", "--peak", 1000, "--per-instance", 100, "--target-utilization",
                          1.5, "--no-report")
    assert code == 2 and se.strip() == f"capplan: error: {e.value}"
    with pytest.raises(CapplanError, match=r"did you mean 0\.1 for 10%"):
        capplan.plan(peak=1000, per_instance=100, growth=10, today=TODAY)
    with pytest.raises(CapplanError, match="a bare number is ambiguous"):
        capplan.plan(peak=1000, per_instance=100, growth="10", today=TODAY)
    with pytest.raises(CapplanError, match="did you mean target_utilization="):
        capplan.plan(peak=1000, per_instance=100, target_util=0.5, today=TODAY)
    with pytest.raises(CapplanError, match="no option 'time_column'"):
        capplan.plan(peak=1000, time_column="t", today=TODAY)
    with pytest.raises(CapplanError, match="--instances 2.5: must be a whole number"):
        capplan.plan(peak=1000, instances=2.5, utilization=0.5, today=TODAY)
    with pytest.raises(CapplanError, match="needs --peak"):
        capplan.plan(peak=None, per_instance=10)
    with pytest.raises(CapplanError, match="no such file"):
        capplan.forecast("no/such.csv", months=2)
    with pytest.raises(CapplanError, match=r"events\[0\]: missing duration"):
        capplan.plan(peak=1000, events=[{"name": "x", "start": TODAY, "multiplier": 2}],
                     today=TODAY)
    with pytest.raises(CapplanError, match="holds ':'"):
        capplan.plan(peak=1000, events=[{"name": "a:b", "start": TODAY, "multiplier": 2,
                                         "duration": 3600}], today=TODAY)
    # numpy numbers are numbers.
    p = capplan.plan(peak=np.float64(1000), instances=np.int64(4), utilization=np.float32(0.5),
                     months=np.int64(2), today=TODAY)
    assert p.to_dict()["capacity"]["per_instance_limit"] == 500


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.floats(-0.9, 1, exclude_max=True))
def test_a_growth_fraction_reaches_the_plan(x):
    from capplan.options import growth_text as _growth_text
    from capplan.validation import parse_growth

    # x / 100 cannot reach every float: within one unit in the last place, exact where possible.
    assert abs(parse_growth(_growth_text("growth", x)) - x) <= math.ulp(x)


@pytest.mark.parametrize("x,text,exact", [
    (0.1, "10%/month", True), (0.035, "3.5%/month", True), (-0.05, "-5%/month", True),
    (0.0125, "1.25%/month", True), (0, "0%/month", True),
    # No float reads back as 0.005255 after dividing by 100: the text people type, whose rate
    # (0.005254999999999999) the flag --growth 0.5255% gives as well.
    (0.005255, "0.5255%/month", False)])
def test_a_growth_fraction_as_the_flag_text(x, text, exact):
    from capplan.options import growth_text as _growth_text
    from capplan.validation import parse_growth

    assert _growth_text("growth", x) == text
    assert (parse_growth(text) == x) is exact and abs(parse_growth(text) - x) <= math.ulp(x)


def test_events_as_objects_dicts_and_text_are_the_same_event():
    from capplan.options import events_text as _events_text
    from capplan.events import Event, parse_event

    text = "sale:2026-11-27T06:30:00:90m:1.5x"
    want = parse_event(text)
    utc_plus_2 = dt.timezone(dt.timedelta(hours=2))
    given_as = [
        text,
        Event("sale", dt.datetime(2026, 11, 27, 6, 30), 1.5, 1.5),
        {"name": "sale", "start": dt.datetime(2026, 11, 27, 8, 30, tzinfo=utc_plus_2),
         "duration": dt.timedelta(minutes=90), "multiplier": 1.5},
        {"name": "sale", "start": pd.Timestamp("2026-11-27 06:30"), "duration": 5400,
         "multiplier": "1.5x"},
    ]
    for g in given_as:
        (got,) = _events_text([g])
        assert parse_event(got) == want, g
    (whole_day,) = _events_text([{"name": "d", "start": dt.date(2026, 1, 2),
                                  "duration": dt.timedelta(days=2), "multiplier": 3}])
    assert whole_day == "d:2026-01-02:48h:3x"


def test_durations_are_seconds_or_timedeltas():
    from capplan.options import duration_text as _duration_text
    from capplan.queueing import parse_duration_seconds

    assert parse_duration_seconds(_duration_text("latency_slo", dt.timedelta(milliseconds=250)),
                                  "x") == 0.25
    assert parse_duration_seconds(_duration_text("service_time", 0.05), "x") == 0.05
    assert _duration_text("latency_slo", "250ms") == "250ms"
    with pytest.raises(CapplanError, match="longer than zero"):
        _duration_text("latency_slo", 0)


def test_fit_usl_summary_matches_r_usl():
    # specsdm91 (../shared/data/README.md): R usl 3.0.3 "nls": sigma 0.0277285 (SE 0.0091217),
    # kappa 0.0001044 (SE 1.988e-05), lambda 89.9952384 (SE 14.2134906); 7 points, 4 df.
    from scipy import stats

    frame = pd.read_csv(data("usl/specsdm91.csv"))
    fit = capplan.fit_usl(frame.iloc[:, 0], frame.iloc[:, 1])
    table = fit.summary().set_index("coefficient")
    published = {"sigma": (0.0277285, 0.0091217), "kappa": (0.0001044, 1.988e-05),
                 "lambda": (89.9952384, 14.2134906)}
    t = stats.t.ppf(0.975, 7 - 3)
    for name, (est, se) in published.items():
        assert table.loc[name, "estimate"] == pytest.approx(est, rel=1e-3)
        assert table.loc[name, "stderr"] == pytest.approx(se, rel=5e-3)
        assert table.loc[name, "ci_low"] == pytest.approx(est - t * se, rel=1e-2, abs=1e-6)
        assert table.loc[name, "ci_high"] == pytest.approx(est + t * se, rel=1e-2)
    assert fit.n_star == pytest.approx(96.51956, rel=1e-3)
    assert fit.throughput([1, 96.51956])[1] == pytest.approx(1884, rel=1e-3)
    # The same fit from the file and from a DataFrame.
    from_file = capplan.fit_usl(data("usl/specsdm91.csv")).summary()
    from_frame = capplan.fit_usl(frame).summary()
    pd.testing.assert_frame_equal(from_file, table.reset_index())
    pd.testing.assert_frame_equal(from_frame, from_file)
    what_if = capplan.usl_what_if(0.05, 0.001, 100).summary()
    assert what_if["estimate"].tolist() == [0.05, 0.001, 100] and what_if["stderr"].isna().all()


def test_analyze_summary_against_numpy():
    path = data("traffic/nab_nyc_taxi.csv")
    frame = pd.read_csv(path)
    a = capplan.analyze(frame)
    s = a.summary().set_index("statistic")["value"]
    values = frame["value"].to_numpy(float)
    assert s["mean"] == pytest.approx(values.mean())
    assert s["peak"] == values.max()
    for q, key in ((50, "p50"), (95, "p95"), (99, "p99"), (99.9, "p999")):
        assert s[key] == pytest.approx(np.percentile(values, q))
    assert s["peak_to_mean"] == pytest.approx(values.max() / values.mean())
    days = pd.to_datetime(frame["timestamp"]).dt.floor("D")
    by_day = frame.groupby(days)["value"].max()
    full = by_day.iloc[1:-1] if len(by_day) > 2 else by_day  # first and last days may be partial
    got = a.daily_peaks.set_index("date")["peak"]
    assert got.reindex(full.index.tz_localize(None)).to_numpy() == pytest.approx(full.to_numpy())
    assert a.to_dict()["load"] == capplan.analyze(path).to_dict()["load"]


def test_frames_read_like_files():
    t = pd.date_range("2026-03-01", periods=6, freq="5min")
    values = [1.0, 2.0, np.nan, 4.0, 5.0, 6.0]
    by_index = capplan.read_traffic(pd.Series(values, index=t, name="rps"))
    by_column = capplan.read_traffic(pd.DataFrame({"when": t, "rps": values}),
                                     time_column="when")
    assert by_index.rate.tolist() == by_column.rate.tolist() == [1, 2, 4, 5, 6]
    assert by_index.interval_seconds == 300
    dropped = by_index.quality.dropped
    assert [(d.reason, d.count, d.first_lines) for d in dropped] == [
        ("missing or non-numeric value", 1, (2,))]  # by position, from 0
    # Naive times are wall-clock in `timezone`: 09:00 in New York in March (EST) is 14:00 UTC.
    ny = capplan.read_traffic(pd.Series([1.0, 2.0], index=pd.DatetimeIndex(
        ["2026-03-02 09:00", "2026-03-02 09:05"])), timezone="America/New_York")
    assert ny.rate.index[0] == pd.Timestamp("2026-03-02 14:00", tz="UTC")
    # Unsorted with a repeated time: sorted, the highest reading kept, both said.
    messy = capplan.read_traffic(pd.DataFrame({"ts": t[[2, 0, 1, 1]], "v": [3.0, 1.0, 2.0, 9.0]}))
    assert messy.rate.tolist() == [1.0, 9.0, 3.0]
    assert messy.quality.sorted_by_capplan and messy.quality.duplicate_timestamps == 1
    # Wide frames: one series named, like a wide CSV.
    wide = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0]}, index=t[:3])
    assert capplan.read_traffic(wide, series="b").rate.tolist() == [4.0, 5.0, 6.0]
    with pytest.raises(CapplanError, match="2 value columns"):
        capplan.read_traffic(wide)


def test_frame_provenance_is_a_stable_digest():
    t = pd.date_range("2026-03-01", periods=4, freq="h")
    s = pd.Series([1.0, 2.0, 3.0, 4.0], index=t)
    a, b = capplan.read_traffic(s), capplan.read_traffic(s.copy())
    changed = capplan.read_traffic(s.where(s != 4.0, 4.5))
    assert a.source.sha256 == b.source.sha256 != changed.source.sha256
    assert len(a.source.sha256) == 64 and a.source.format == "DataFrame"
    assert a.source.path == "Series"


@pytest.mark.parametrize("frame,words", [
    (pd.DataFrame({"x": [1, 2], "y": [3, 4]}), "no timestamp column found among x, y"),
    (pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "b"), ("a", "c")])),
     "MultiIndex"),
    (pd.DataFrame([["2026-01-01", 1, 2]], columns=["t", "v", "v"]), "more than once"),
    (pd.DataFrame({"t": pd.to_datetime([]), "v": []}), "has no rows"),
    (pd.DataFrame({"t": pd.date_range("2026-01-01", periods=2), "v": [np.nan, np.nan]}),
     "none of its 2 rows is usable"),
    (pd.DataFrame({"time": ["soon", "later"], "v": [1.0, 2.0]}), "none of its 2 rows is usable"),
])
def test_bad_frames_are_one_line_errors(frame, words):
    with pytest.raises(CapplanError, match=words) as e:
        capplan.read_traffic(frame)
    assert "\n" not in str(e.value)


def test_bad_data_arguments():
    with pytest.raises(CapplanError, match="not a traffic series"):
        capplan.analyze([1, 2, 3])
    with pytest.raises(CapplanError, match="--sheet applies to an Excel file"):
        capplan.read_traffic(pd.Series([1.0, 2.0], index=pd.date_range("2026", periods=2)),
                             sheet="Data")
    with pytest.raises(CapplanError, match="no option 'months'"):
        capplan.analyze("x.csv", months=3)


def test_fit_usl_refuses_what_is_not_numbers():
    with pytest.raises(CapplanError, match="n: give a sequence of numbers"):
        capplan.fit_usl(["a", "b"], [1, 2])
    with pytest.raises(CapplanError, match="flat sequence"):
        capplan.fit_usl([[1, 2], [3, 4]], [1, 2])
    with pytest.raises(CapplanError, match="at least 6"):
        capplan.fit_usl([1, 2, 3], [1, 2, 3])
    with pytest.raises(CapplanError, match="name the concurrency and throughput columns"):
        capplan.fit_usl(pd.DataFrame({"a": [1, 2], "b": [3, 4]}))


def test_a_period_index_is_read_as_its_start_times():
    s = pd.Series([1.0, 2.0, 3.0], index=pd.period_range("2026-01-01", periods=3, freq="D"))
    t = capplan.read_traffic(s)
    assert list(t.rate.index) == list(pd.date_range("2026-01-01", periods=3, freq="D", tz="UTC"))
    assert t.interval_seconds == 86400


ANY_VALUE = st.one_of(st.floats(), st.integers(-10**12, 10**12), st.text(max_size=12), st.none(),
                      st.booleans(), st.datetimes(min_value=dt.datetime(1, 1, 1)))


@settings(max_examples=150, derandomize=True, deadline=None)
@given(st.lists(st.tuples(ANY_VALUE, ANY_VALUE, ANY_VALUE), max_size=25),
       st.sampled_from(["columns", "numeric", "index"]))
def test_any_frame_reads_or_is_one_line(rows, shape):
    import warnings

    frame = pd.DataFrame(rows, columns=["timestamp", "value", "other"], dtype=object)
    if shape == "numeric":
        frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    if shape == "index":
        frame = frame.set_index("timestamp")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traffic = capplan.read_traffic(frame)
    except CapplanError as e:
        assert "\n" not in str(e)
    else:
        assert np.isfinite(traffic.rate.to_numpy()).all() and (traffic.rate >= 0).all()


def test_frame_options_as_for_a_file():
    t = pd.date_range("2026-03-01", periods=4, freq="5min")
    wide = pd.DataFrame({"web-1": [1.0, 2.0, 3.0, 4.0], "web-2": [10.0, 20.0, 30.0, 40.0]},
                        index=t)
    summed = capplan.read_traffic(wide, aggregate="sum")
    assert summed.rate.tolist() == (wide["web-1"] + wide["web-2"]).tolist()
    assert summed.source.aggregate == "sum" and summed.source.series_used == ("web-1", "web-2")
    # Counts per 5-minute interval: / 300 s; a unit names what is counted.
    counts = capplan.read_traffic(wide["web-2"], per_interval=True, unit="jobs")
    assert counts.rate.tolist() == pytest.approx([10 / 300, 20 / 300, 30 / 300, 40 / 300])
    assert counts.unit == "jobs/s" and counts.source.value_kind == "per-interval count"
    # A long frame (series, time, value), one series chosen.
    long = pd.DataFrame({"series": ["a", "b"] * 3, "time": t[[0, 0, 1, 1, 2, 2]],
                         "value": [1.0, 5.0, 2.0, 6.0, 3.0, 7.0]})
    assert capplan.read_traffic(long, series="b").rate.tolist() == [5.0, 6.0, 7.0]
    with pytest.raises(CapplanError, match="--aggregate 'median'"):
        capplan.read_traffic(wide, aggregate="median")
