"""Multi-series files (--series by name, label subset or substring; --aggregate), Grafana's
"Download for Excel" CSV, counts versus rates, --unit, and their CLI wiring (issue 12).

Expected numbers come from pandas on the same data (pivot, sum, max, mean) or by hand."""
import json

import numpy as np
import pandas as pd
import pytest

from capplan.errors import CapplanError
from capplan.ingest import list_series, read_traffic
from conftest import data, run_cli

T0 = 1_700_000_040  # 2023-11-14 22:14:00 UTC, on a minute


def prom(tmp_path, series, name="prom.json"):
    """Prometheus query_range JSON: series = {labels dict: [(epoch s, value or None), ...]}."""
    result = [{"metric": labels, "values": [[t, None if v is None else str(v)] for t, v in pts]}
              for labels, pts in series]
    p = tmp_path / name
    p.write_text(json.dumps({"status": "success",
                             "data": {"resultType": "matrix", "result": result}}))
    return p


def minutes(n, start=0):
    return [T0 + 60 * (start + i) for i in range(n)]


WEB1 = {"__name__": "http_rps", "instance": "web-1:9100", "job": "api"}
WEB2 = {"__name__": "http_rps", "instance": "web-2:9100", "job": "api"}
DB1 = {"__name__": "http_rps", "instance": "db-1:9100", "job": "db"}


@pytest.fixture
def three(tmp_path):
    rng = np.random.default_rng(3)
    vals = {k: rng.uniform(5, 50, 10).round(3) for k in ("web1", "web2", "db1")}
    p = prom(tmp_path, [(WEB1, list(zip(minutes(10), vals["web1"]))),
                        (WEB2, list(zip(minutes(10), vals["web2"]))),
                        (DB1, list(zip(minutes(10), vals["db1"])))])
    return p, vals


def test_series_by_label_subset_substring_or_full_name(three):
    p, vals = three
    t = read_traffic(p, series='{job="db"}')
    assert np.allclose(t.rate.to_numpy(), vals["db1"])
    t = read_traffic(p, series="web-2")  # a plain substring, unique
    assert np.allclose(t.rate.to_numpy(), vals["web2"])
    t = read_traffic(p, series='http_rps{instance="web-1:9100"}')  # metric name and a label
    assert np.allclose(t.rate.to_numpy(), vals["web1"])
    full = '{__name__="http_rps",instance="web-1:9100",job="api"}'
    assert np.allclose(read_traffic(p, series=full).rate.to_numpy(), vals["web1"])


def test_several_matches_are_listed_and_aggregate_is_offered(three):
    p, _ = three
    with pytest.raises(CapplanError) as e:
        read_traffic(p, series='{job="api"}')
    msg = str(e.value)
    assert "2 series match" in msg and "web-1:9100" in msg and "web-2:9100" in msg
    assert "--aggregate" in msg and "db-1" not in msg
    with pytest.raises(CapplanError, match="no series matches --series 'nope'"):
        read_traffic(p, series="nope")


@pytest.mark.parametrize("how", ["sum", "max", "mean"])
def test_aggregate_per_instance_series(three, how):
    p, vals = three
    t = read_traffic(p, series='{job="api"}', aggregate=how)
    frame = pd.DataFrame({"a": vals["web1"], "b": vals["web2"]})
    expected = getattr(frame, how)(axis=1).to_numpy()
    assert np.allclose(t.rate.to_numpy(), expected)
    assert t.source.aggregate == how and len(t.source.series_used) == 2
    assert any(f"2 series combined by {how}" in n for n in t.quality.notes)


def test_aggregate_everything_when_no_series_given(three):
    p, vals = three
    t = read_traffic(p, aggregate="sum")
    assert np.allclose(t.rate.to_numpy(), vals["web1"] + vals["web2"] + vals["db1"])


def test_aggregate_spans_and_gaps(tmp_path):
    # web-1 every minute 0-9 except minute 6 (a missed scrape inside its span); web-2 starts at
    # minute 4 (a new instance). Sum: minutes 0-3 are web-1 alone; minute 6 is dropped (web-1
    # has no value inside its span); 4-5 and 7-9 are both.
    w1 = [(t, 10.0 + i) for i, t in enumerate(minutes(10)) if i != 6]
    w2 = [(t, 100.0 + i) for i, t in enumerate(minutes(6, start=4))]
    p = prom(tmp_path, [(WEB1, w1), (WEB2, w2)])
    t = read_traffic(p, aggregate="sum")
    expected = [10, 11, 12, 13, 114 + 0, 115 + 1, 117 + 3, 118 + 4, 119 + 5]
    assert list(t.rate) == expected
    times = [pd.Timestamp(m, unit="s", tz="UTC") for m in minutes(10)]
    assert list(t.rate.index) == times[:6] + times[7:]
    short = [d for d in t.quality.dropped if "inside its span" in d.reason]
    assert short and short[0].count == 1
    assert any("4 times fall outside some series' span" in n for n in t.quality.notes)


def test_aggregate_refuses_series_on_different_clocks(tmp_path):
    w1 = [(t, 1.0) for t in minutes(10)]
    w2 = [(t + 30, 2.0) for t in minutes(10)]  # scraped 30 s later
    p = prom(tmp_path, [(WEB1, w1), (WEB2, w2)])
    with pytest.raises(CapplanError, match="do not share timestamps"):
        read_traffic(p, aggregate="sum")


def test_counters_are_rated_per_series_before_summing(tmp_path):
    # Two counters, one resets: rate each (reset: the new value is the increase), then sum.
    c1 = [(t, v) for t, v in zip(minutes(4), [100, 160, 220, 280])]  # +1/s throughout
    c2 = [(t, v) for t, v in zip(minutes(4), [500, 620, 30, 150])]  # +2/s, reset, 30/60, +2/s
    p = prom(tmp_path, [(WEB1, c1), (WEB2, c2)])
    t = read_traffic(p, aggregate="sum", counter=True)
    assert np.allclose(t.rate.to_numpy(), [1 + 2, 1 + 0.5, 1 + 2])


def test_grafana_wide_labels_and_substrings(tmp_path):
    p = tmp_path / "wide.csv"
    idx = pd.date_range("2024-03-01", periods=20, freq="min")
    rng = np.random.default_rng(4)
    cols = {'http_rps{instance="web-1:9100", job="api"}': rng.uniform(1, 9, 20).round(2),
            'http_rps{instance="web-2:9100", job="api"}': rng.uniform(1, 9, 20).round(2),
            'http_rps{instance="db-1:9100", job="db"}': rng.uniform(1, 9, 20).round(2)}
    frame = pd.DataFrame({"Time": idx.strftime("%Y-%m-%d %H:%M:%S"), **cols})
    frame.to_csv(p, index=False)
    t = read_traffic(p, series='{job="api"}', aggregate="max")
    expected = frame[list(cols)[:2]].max(axis=1).to_numpy()
    assert np.allclose(t.rate.to_numpy(), expected)
    t = read_traffic(p, series="db-1")
    assert np.allclose(t.rate.to_numpy(), frame[list(cols)[2]].to_numpy())
    assert list_series(p) == list(cols)


def test_grafana_long_aggregate_mean_and_rows(tmp_path):
    p = tmp_path / "long.csv"
    lines = ["Series;Time;Value"]
    vals = {}
    for m in range(12):
        for s in ("web-1", "web-2", "db"):
            v = round(3 + m * 0.5 + len(s), 1)
            vals[(s, m)] = v
            lines.append(f"{s};2024-03-01T00:{m:02d}:00Z;{str(v).replace('.', ',')}")
    p.write_text("\n".join(lines) + "\n")
    t = read_traffic(p, series="web", aggregate="mean")
    expected = [(vals[("web-1", m)] + vals[("web-2", m)]) / 2 for m in range(12)]
    assert np.allclose(t.rate.to_numpy(), expected)
    assert list_series(p) == ["web-1", "web-2", "db"]
    one = read_traffic(p, series="db")
    assert one.quality.rows_read == 12 and one.quality.rows_used == 12
    assert any("24 rows of 2 other series" in n for n in one.quality.notes)


def test_datadog_scopes_summed(tmp_path):
    series = [{"metric": "nginx.requests", "scope": f"host:web{k}",
               "pointlist": [[1_700_000_100_000.0 + 300_000 * i, 2.0 * k + i] for i in range(8)]}
              for k in (1, 2)]
    p = tmp_path / "dd.json"
    p.write_text(json.dumps({"series": series}))
    t = read_traffic(p, series="host:web", aggregate="sum")
    assert list(t.rate) == [2 + 4 + 2 * i for i in range(8)]
    assert t.interval_seconds == 300 and list_series(p) == ["host:web1", "host:web2"]


def test_list_series_of_plain_and_prometheus_files(three, tmp_path):
    p, _ = three
    names = list_series(p)
    assert len(names) == 3 and all(n.startswith("{") for n in names)
    for n in names:  # every listed name reads back as itself alone
        assert read_traffic(p, series=n).source.series == n
    plain = tmp_path / "plain.csv"
    plain.write_text("timestamp,rps\n2024-01-01 00:00,1.5\n2024-01-01 00:01,2.5\n")
    assert list_series(plain) == ["rps"]


# ---- Grafana "Download for Excel" -----------------------------------------------------------


@pytest.mark.parametrize("sep", [",", ";"])
def test_grafana_download_for_excel(tmp_path, sep):
    # Grafana's toCSV with useExcelHeader writes "sep=," then the quoted header; the download
    # prepends a BOM; time is epoch milliseconds. Values: the real NAB ELB request counts.
    src = pd.read_csv(data("traffic/nab_elb_request_count_8c0756.csv"), parse_dates=["timestamp"])
    ms = (src["timestamp"] - pd.Timestamp("1970-01-01")) // pd.Timedelta("1ms")
    body = "".join(f"{t}{sep}{v:g}\r\n" for t, v in zip(ms, src["value"]))
    p = tmp_path / "grafana.csv"
    p.write_bytes(b"\xef\xbb\xbf" + f'sep={sep}\r\n"Time"{sep}"Value"\r\n{body}'.encode())
    t = read_traffic(p, rate=True)
    assert t.source.time_column == "Time" and t.source.value_column == "Value"
    assert t.quality.rows_read == 4032 and t.quality.duplicate_timestamps == 0
    assert t.rate.mean() == pytest.approx(src["value"].mean())  # README: 61.8371
    assert t.rate.index[0] == pd.Timestamp("2014-04-10 00:04", tz="UTC")
    assert any("sep=" in n for n in t.quality.notes)
    # The first data row is file line 3 (BOM+sep line, header).
    bad = tmp_path / "grafana_bad.csv"
    bad.write_bytes(p.read_bytes().replace(f"{ms.iloc[0]}{sep}".encode(), f"x{sep}".encode(), 1))
    assert read_traffic(bad, rate=True).quality.dropped[0].first_lines == (3,)


# ---- counts versus rates, --rate, --unit -----------------------------------------------------


def cloudwatch_csv(tmp_path, column):
    # A CloudWatch RequestCount Sum per 5 minutes: 54,000 requests in the busiest period is
    # 54,000 / 300 s = 180 req/s (the case).
    idx = pd.date_range("2024-05-01", periods=12, freq="5min")
    counts = [9000, 12000, 54000, 30000, 15000, 6000, 6000, 9000, 12000, 15000, 18000, 21000]
    p = tmp_path / f"{column}.csv"
    pd.DataFrame({"Timestamp": idx.strftime("%Y-%m-%dT%H:%M:%SZ"), column: counts}).to_csv(
        p, index=False)
    return p, np.array(counts, dtype=float)


@pytest.mark.parametrize("column", ["RequestCount", "Sum", "request_count"])
def test_a_column_named_as_a_count_is_divided_by_the_interval(tmp_path, column):
    p, counts = cloudwatch_csv(tmp_path, column)
    t = read_traffic(p)
    assert t.rate.max() == 180 and np.allclose(t.rate.to_numpy(), counts / 300)
    assert t.source.value_kind == "per-interval count"
    assert any("named as a count" in n and "--rate" in n for n in t.quality.notes)
    kept = read_traffic(p, rate=True)  # the caller says they are rates: as given, no note
    assert kept.rate.max() == 54000 and not kept.quality.warnings


def test_whole_numbers_at_a_long_interval_warn_naming_per_interval(tmp_path):
    p, counts = cloudwatch_csv(tmp_path, "value")
    t = read_traffic(p)
    assert t.rate.max() == 54000  # read as given...
    (w,) = t.quality.warnings  # ...and never silently
    assert "--per-interval" in w and "5 min" in w
    assert not read_traffic(p, rate=True).quality.warnings
    assert read_traffic(p, per_interval=True).rate.max() == 180


def test_no_warning_for_fractional_rates_and_a_warning_for_counters(tmp_path):
    p = tmp_path / "rates.csv"
    idx = pd.date_range("2024-05-01", periods=30, freq="min")
    pd.DataFrame({"timestamp": idx, "value": np.linspace(1.5, 9.25, 30)}).to_csv(p, index=False)
    assert not read_traffic(p).quality.warnings  # 30 rising fractional rates: nothing to say
    c = tmp_path / "ctr.csv"
    idx = pd.date_range("2024-05-01", periods=60, freq="min")
    pd.DataFrame({"timestamp": idx, "value": 1000 + 37 * np.arange(60)}).to_csv(c, index=False)
    (w,) = read_traffic(c).quality.warnings  # 60 samples that only rise: a counter
    assert "--counter" in w
    named = tmp_path / "named.csv"
    pd.DataFrame({"timestamp": idx[:20], "http_requests_total": 5000 + 60 * np.arange(20)}
                 ).to_csv(named, index=False)
    (w,) = read_traffic(named).quality.warnings  # the Prometheus name says counter
    assert "--counter" in w


def test_unit_labels_and_rules(tmp_path):
    tfl = data("excel/tfl-daily-cycle-hires.xlsx")
    t = read_traffic(tfl, unit="hires/day")
    assert t.unit == "hires/day" and t.rate.max() == 73094 and not t.quality.warnings
    plain = read_traffic(tfl)
    assert plain.unit == "req/s" and plain.quality.warnings  # daily whole counts: flagged
    p, counts = cloudwatch_csv(tmp_path, "RequestCount")
    assert read_traffic(p, unit="jobs").unit == "jobs/s"
    with pytest.raises(CapplanError, match="--unit 'hires/day' states a rate"):
        read_traffic(p, unit="hires/day", per_interval=True)
    for bad in ("", "x" * 41, "hires/fortnightish", '{"a"}'):
        with pytest.raises(CapplanError, match="--unit"):
            read_traffic(p, unit=bad)
    with pytest.raises(CapplanError, match="exclude each other"):
        read_traffic(p, rate=True, per_interval=True)
    with pytest.raises(CapplanError, match="--aggregate 'median'"):
        read_traffic(p, aggregate="median")


def test_cli_unit_aggregate_and_config(tmp_path):
    code, so, se = run_cli("analyze", data("excel/tfl-daily-cycle-hires.xlsx"), "--unit",
                           "hires/day", "--out", tmp_path / "a")
    assert code == 0, se
    a = json.loads((tmp_path / "a" / "analysis.json").read_text())
    assert a["load"]["unit"] == "hires/day" and "Load (hires/day" in so
    ped = data("traffic/prophet_example_pedestrians_multivariate.csv")
    cfg = tmp_path / "svc.toml"
    cfg.write_text('[input]\naggregate = "sum"\nunit = "pedestrians/h"\n')
    code, so, se = run_cli("analyze", ped, "--config", cfg, "--out", tmp_path / "b")
    assert code == 0, se
    b = json.loads((tmp_path / "b" / "analysis.json").read_text())
    frame = pd.read_csv(ped)
    assert b["load"]["peak"] == (frame["location_4"] + frame["location_41"]).max()
    assert b["load"]["unit"] == "pedestrians/h"
    code, so, se = run_cli("analyze", ped, "--aggregate", "median", "--out", tmp_path / "c")
    assert code == 2 and "--aggregate" in se and not (tmp_path / "c").exists()


def test_readme_analyze_examples_run(tmp_path, monkeypatch):
    # Every `capplan analyze` line of the README's analyze section, run as written (from the
    # project root, where its relative paths point), in-process through the CLI's entry point.
    import re
    import shlex
    import sys

    from capplan.cli import main
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    section = readme.split("### `capplan analyze FILE`", 1)[1].split("###", 1)[0]
    block = section.split("```", 2)[1].replace("\\\n", " ")
    commands = [re.sub(r"\s+#.*$", "", ln).strip() for ln in block.splitlines()
                if ln.strip().startswith("capplan analyze")]
    assert len(commands) >= 5
    monkeypatch.chdir(ROOT)
    for i, cmd in enumerate(commands):
        args = shlex.split(cmd)[1:] + ["--out", str(tmp_path / str(i))]
        for a in args:
            if a.startswith("../shared/") and not (ROOT / a).exists():
                pytest.skip(f"shared data {a} not present")
        monkeypatch.setattr(sys, "argv", ["capplan", *args])
        with pytest.raises(SystemExit) as done:
            main()
        assert done.value.code in (0, None), cmd
        assert (tmp_path / str(i) / "analysis.json").exists()
