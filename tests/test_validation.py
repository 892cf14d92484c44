"""Every flag rule: finite, in range and meaningful, one short line naming the flag and the range.
Expected ranges are the task's, written out here, not read back from capplan.validation."""
import datetime as dt
import math
from pathlib import Path

import pytest

from capplan.errors import MAX_MESSAGE, CapplanBug, CapplanError
from capplan.validation import check_number, check_plan_finite, check_settings, parse_growth

# key -> (flag, smallest allowed, largest allowed, a value just outside below, just outside above)
RANGES = {
    "peak": ("--peak", 1e-6, 1e12, 0.0, 1.0000001e12),
    "mean": ("--mean", 1e-6, 1e12, -1.0, 2e12),
    "per_instance": ("--per-instance", 1e-3, 1e12, 0.0, 1e13),
    "utilization": ("--utilization", 0.001, 1.0, 0.0, 1.0000001),
    "target_utilization": ("--target-utilization", 0.01, 1.0, 1e-300, 1.01),
    "instances": ("--instances", 1, 10_000_000, 0, 10_000_001),
    "spare": ("--spare", 0, 100_000, -1, 100_001),
    "zones": ("--zones", 1, 20, 0, 21),
    "months": ("--months", 1, 60, 0, 61),
    "lead_time": ("--lead-time", 0, 3650, -5, 1_000_000_000),
    "cost_per_instance": ("--cost-per-instance", 0.0, 1e9, -1.0, 1.1e9),
    "sigma": ("--sigma", 0.0, 1.0, -0.01, 1.5),
    "kappa": ("--kappa", 0.0, 1.0, -1e-9, 2.0),
    "lambda_": ("--lambda", 1e-6, 1e12, 0.0, 1e13),
    "degraded_utilization": ("--degraded-utilization", 0.01, 1.0, 0.0, 1.2),
    "cell_overhead": ("--cell-overhead", 0, 100_000, -1, 100_001),
    "prescale": ("--prescale", 0, 365, -1, 366),
}
FLOATS = {k for k, v in RANGES.items() if isinstance(v[1], float)}


def refused(key, value, *words):
    with pytest.raises(CapplanError) as info:
        check_number(key, value)
    msg = str(info.value)
    assert "\n" not in msg and len(msg) <= MAX_MESSAGE
    for w in words:
        assert w in msg, msg
    return msg


@pytest.mark.parametrize("key", sorted(RANGES))
def test_each_rule_accepts_its_bounds_and_refuses_past_them(key):
    flag, lo, hi, below, above = RANGES[key]
    assert check_number(key, lo) == lo and check_number(key, hi) == hi
    refused(key, below, flag, "must be")
    refused(key, above, flag, "must be")


@pytest.mark.parametrize("key", sorted(FLOATS))
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e308, -1e308])
def test_non_finite_and_huge_floats_are_refused(key, value):
    refused(key, value, RANGES[key][0])


@pytest.mark.parametrize("key", sorted(set(RANGES) - FLOATS))
def test_counts_must_be_whole_numbers(key):
    refused(key, 2.5, RANGES[key][0], "whole number")
    refused(key, 10 ** 400, RANGES[key][0])  # a TOML integer past any float


def test_worst_quantile_is_half_open():
    assert check_number("worst_quantile", 0.5) == 0.5
    assert check_number("worst_quantile", 0.999) == 0.999
    refused("worst_quantile", 1.0, "--worst-quantile", "not including 1")
    refused("worst_quantile", 0.49, "--worst-quantile")
    refused("worst_quantile", math.nan, "--worst-quantile")


def test_a_percentage_given_for_a_fraction_gets_a_hint():
    assert "did you mean 0.6" in refused("target_utilization", 60.0)
    assert "did you mean 0.4" in refused("utilization", 40.0)


@pytest.mark.parametrize("text,monthly", [
    ("10%/month", 0.10), ("10%", 0.10), ("10 % / month", 0.10), ("-5%/month", -0.05),
    ("-90%/month", -0.90), ("1000%/month", 10.0), ("0%", 0.0),
    ("25%/year", 1.25 ** (1 / 12) - 1),            # compound: 1.25 a year is 1.0188 a month
    ("2%/week", 1.02 ** (30.4375 / 7) - 1),        # a mean month is 30.4375 days
])
def test_growth_forms_accepted(text, monthly):
    assert parse_growth(text) == pytest.approx(monthly, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("text,words", [
    ("10", ["ambiguous", "10%/month"]),
    ("0.1", ["ambiguous", "10%/month"]),
    ("1e308%/month", ["-90%/month and +1000%/month"]),
    ("inf%/month", ["finite"]), ("nan%/month", ["finite"]), ("-inf%", ["finite"]),
    ("-150%/month", ["-90%/month"]), ("-91%/month", ["-90%/month"]),
    ("1001%/month", ["+1000%/month"]), ("-100%/year", ["-90%/month"]),
    ("1e308%/year", ["+1000%/month"]),  # (1 + 1e306)^(1/12) is still 3.6e25 a month
    ("abc", ["not understood"]), ("", ["not understood"]), ("%", ["not understood"]),
])
def test_growth_refused_with_a_hint(text, words):
    with pytest.raises(CapplanError) as info:
        parse_growth(text)
    msg = str(info.value)
    assert msg.startswith("--growth") and len(msg) <= MAX_MESSAGE
    for w in words:
        assert w in msg, msg


def test_settings_between_themselves():
    with pytest.raises(CapplanError, match="--worst-growth"):
        check_settings({"growth": "10%/month", "worst_growth": "5%/month"})
    with pytest.raises(CapplanError, match="--mean 20 is above --peak 10"):
        check_settings({"peak": 10.0, "mean": 20.0})
    check_settings({"growth": "10%/month", "worst_growth": "15%/month", "peak": 10.0,
                    "mean": 5.0, "model": "damped trend", "paper": "letter",
                    "timezone": "Europe/London", "latency_slo": "250ms", "title": "t"})


@pytest.mark.parametrize("values,words", [
    ({"model": "prophet"}, ["--model", "damped trend"]),
    ({"paper": "A3"}, ["--paper", "A4 or Letter"]),
    ({"timezone": "Mars/Base"}, ["--timezone", "IANA"]),
    ({"timezone": "../../etc/passwd"}, ["--timezone"]),
    ({"latency_slo": "0ms"}, ["--latency-slo"]),
    ({"service_time": "9" * 400 + "s"}, ["--service-time", "3600s"]),  # inf seconds
    ({"latency_slo": "2h"}, ["--latency-slo"]),
    ({"title": "x" * 5000}, ["--title", "200"]),
    ({"events": ["x:9999-12-31:24h:2x"]}, ["--event", "1970-2100"]),
    ({"currency": "a very long currency label"}, ["--currency", "12 characters"]),
    ({"currency": " "}, ["--currency", "USD"]),
    ({"throughput_unit": "day"}, ["--throughput-unit", "second, minute or hour"]),
])
def test_other_rules(values, words):
    with pytest.raises(CapplanError) as info:
        check_settings(values)
    msg = str(info.value)
    assert len(msg) <= MAX_MESSAGE
    for w in words:
        assert w in msg, msg


def test_plan_guard_names_the_first_non_finite_number():
    doc = {"planning_peak": 10.0, "scenarios": {"nominal": {"months": [
        {"month": 1, "peak": 10.0, "event": "inf"}, {"month": 2, "peak": math.nan}]}},
        "queueing": {"queue_mean": math.inf}}  # an unstable queue's length is honestly null
    with pytest.raises(CapplanBug, match=r"nan at scenarios\.nominal\.months\[1\]\.peak"):
        check_plan_finite(doc)
    doc["scenarios"]["nominal"]["months"][1]["peak"] = 11.0
    check_plan_finite(doc)
    with pytest.raises(CapplanBug, match="growth.forecast"):
        check_plan_finite({"growth": {"forecast": [{"nominal": 1.0, "worst_case": math.inf}]}})


def test_a_plan_with_a_nan_is_not_written(tmp_path, monkeypatch):
    from capplan.outputs import report
    from capplan.pipeline import Settings, plan_from_numbers

    result = plan_from_numbers(Settings(per_instance=100, months=2), peak=1000,
                               today=dt.date(2026, 3, 2))
    real = report.plan_json

    def poisoned(r):
        doc = real(r)
        doc["scenarios"]["worst_case"]["months"][0]["peak"] = math.nan
        return doc

    monkeypatch.setattr(report, "plan_json", poisoned)
    with pytest.raises(CapplanBug, match="worst_case"):
        report.write_outputs(result, Settings(), tmp_path / "o", title="t", reports=False,
                             argv=["capplan"])
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("values,words", [
    ({"per_instance": 100.0, "instances": 5, "utilization": 0.5},
     ["--per-instance 100 and --utilization 0.5", "keep one"]),
    ({"load_test": "t.csv", "instances": 5, "utilization": 0.5},
     ["--load-test t.csv and --utilization 0.5", "keep one"]),
    ({"utilization": 0.5}, ["--utilization 0.5 needs --instances"]),
    ({"utilization": 0.5, "per_instance": 100.0}, ["--per-instance 100", "--utilization 0.5"]),
    # the plan took the number and the report still showed the load test's X(N*)
    ({"per_instance": 100.0, "load_test": "t.csv"},
     ["--per-instance 100 and --load-test t.csv", "keep one"]),
])
def test_contradictory_capacity_settings_are_refused(values, words):
    from capplan.validation import check_metrics_settings

    with pytest.raises(CapplanError) as info:
        check_metrics_settings(values)
    msg = str(info.value)
    assert len(msg) <= MAX_MESSAGE and "\n" not in msg
    for w in words:
        assert w in msg, msg
    # The ways the README gives: each alone.
    check_metrics_settings({"per_instance": 100.0, "instances": 5})
    check_metrics_settings({"instances": 5, "utilization": 0.5})
    check_metrics_settings({"load_test": "t.csv", "instances": 5})


LOAD_TEST = str(Path(__file__).parents[1] / "inputs" / "loadtest_specsdm91.csv")


@pytest.mark.parametrize("args,expected", [
    (["--per-instance", "100", "--instances", "5", "--utilization", "0.5"], "--utilization 0.5"),
    (["--utilization", "0.5"], "--utilization 0.5"),
    (["--per-instance", "100", "--load-test", LOAD_TEST], "both give the per-instance limit"),
])
def test_the_cli_refuses_them_before_any_work(tmp_path, monkeypatch, capsys, args, expected):
    import sys

    import capplan.pipeline
    from capplan.cli import main

    def forbidden(*a, **k):
        raise AssertionError("a bad flag reached the work")

    monkeypatch.setattr(capplan.pipeline, "forecast", forbidden)
    monkeypatch.setattr(capplan.pipeline, "plan_from_numbers", forbidden)
    out = tmp_path / "o"
    for cmd in (["forecast", str(Path(__file__).parents[1] / "inputs" / "nyc_taxi.csv")], ["plan", "--peak", "1000"]):
        monkeypatch.setattr(sys, "argv", ["capplan", *cmd, *args, "--no-report", "-o", str(out)])
        with pytest.raises(SystemExit) as info:
            main()
        err = capsys.readouterr().err
        assert info.value.code == 2 and expected in err and len(err.splitlines()) == 1
        assert not out.exists()


def test_growth_compounded_past_a_million_fold_is_refused():
    from capplan.validation import check_metrics_settings

    # 11^5 = 161,051 <= 1e6 < 11^6 = 1,771,561: 1000%/month is plannable for 5 months, not 6.
    # Over 60 months the most is 1e6^(1/60) - 1 = 10^0.1 - 1 = 25.89%/month (shown as 25.8%).
    with pytest.raises(CapplanError) as info:
        check_settings({"growth": "1000%/month", "months": 60})
    msg = str(info.value)
    assert msg.startswith("--growth 1000%/month over 60 months") and len(msg) <= MAX_MESSAGE
    assert "--months 5" in msg and "25.8%/month" in msg
    check_settings({"growth": "1000%/month", "months": 5})
    check_settings({"growth": "25.8%/month", "months": 60})  # 1.258^60 = 9.7e5
    with pytest.raises(CapplanError, match="--worst-growth 26%/month over 60"):
        check_settings({"growth": "5%/month", "worst_growth": "26%/month", "months": 60})
    # The flags alone say nothing of a horizon a service file may set; once merged, the default
    # horizon (6 months) applies: 1000%/month is refused, 899%/month (9.99^6 = 9.9e5) is not.
    check_settings({"growth": "1000%/month"})
    with pytest.raises(CapplanError, match="over 6 months"):
        check_metrics_settings({"growth": "1000%/month"})
    check_metrics_settings({"growth": "899%/month"})
    check_metrics_settings({"growth": "-90%/month", "months": 60})  # a fall is never refused


def test_documented_growth_bound_is_the_one_enforced():
    """The --growth help and README state the real bound (a million-fold rise over the horizon):
    +900%/month over 6 months (10^6 exactly), +1000% up to 5 months (11^5 = 161,051), +25.8% over
    60 (1.258^60 = 9.7e5; 1.259^60 = 1.0e6 is past it). Each stated maximum is accepted and a
    tenth of a point more is refused, with the same maximum in the message."""
    from capplan.cli import common
    from capplan.validation import describe_max_growth

    help_text = common.Growth.__metadata__[0].help
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert "+900%/month over the default 6 months" in help_text
    assert "+1000% up to 5 months" in help_text and "+25.8% over 60" in help_text
    assert "at most +900%/month" in readme and "+25.8%/month" in readme
    for months, most, past in ((6, "900%", "900.1%"), (60, "25.8%", "25.9%"),
                               (5, "1000%", None)):
        assert describe_max_growth(months) == most
        check_settings({"growth": f"{most}/month", "months": months})
        check_settings({"growth": "5%/month", "worst_growth": f"{most}/month", "months": months})
        if past is None:
            continue
        with pytest.raises(CapplanError) as info:
            check_settings({"growth": f"{past}/month", "months": months})
        assert f"give at most {most}/month over {months} months" in str(info.value)
    # 1000%/month at the default 6 months names 900% (not 899.9%: the bound is exactly 10^6).
    with pytest.raises(CapplanError, match=r"at most 900%/month over 6 months, or plan at most 5"):
        check_settings({"growth": "1000%/month", "months": 6})


def test_a_library_or_fleet_caller_meets_the_one_limit_rule(tmp_path):
    # The engine checks it too (a fleet service's settings come from its files, not the CLI).
    from capplan.pipeline import Settings, plan_from_numbers
    from conftest import ROOT

    with pytest.raises(CapplanError, match="both give the per-instance limit"):
        plan_from_numbers(Settings(per_instance=100.0, months=1,
                                   load_test=str(ROOT / "inputs" / "loadtest_specsdm91.csv")),
                          peak=500.0)


def test_an_event_given_twice_at_one_start_is_refused(tmp_path):
    # The month table would show "x" twice with two multipliers; a name may recur at another
    # start (each year's sale), in the flags and the file alike.
    from capplan.pipeline import Settings, load_events

    with pytest.raises(CapplanError, match=r"'X' is given twice starting 2026-02-10 00:00 "
                                           r"\(x2 and x3\)"):
        load_events(Settings(events=("x:2026-02-10:1h:2x", "X:2026-02-10:2h:3x")))
    f = tmp_path / "events.csv"
    f.write_text("name,start,duration,multiplier\nsale,2026-11-27,48h,3x\n")
    with pytest.raises(CapplanError, match="'sale' is given twice"):
        load_events(Settings(events=("sale:2026-11-27:24h:2x",), events_file=str(f)))
    yearly = load_events(Settings(events=("sale:2025-11-28:48h:3x", "sale:2026-11-27:48h:3x")))
    assert [e.start.year for e in yearly] == [2025, 2026]
