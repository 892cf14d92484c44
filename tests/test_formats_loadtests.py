"""Load-test tools' outputs for `capplan usl`: JMeter .jtl, k6 CSV and summary JSON, Locust stats
history and stats, wrk and hey text, and a two-column CSV.

The samples in tests/data/loadtests/ were written by make_samples.py there from each tool's
documented format (sources in inputs/SOURCES.md), for a service following the USL with
sigma = 0.05, kappa = 0.002, lambda = 2 (x 50 for wrk, x 40 for hey, x 30 for k6 summaries,
x 100 for the CSV). Each test works its expected numbers out from the file with pandas, or by
hand from the values written into it, and the fit must recover the design coefficients.
"""
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.errors import CapplanError
from capplan.ingest.loadtests import (
    LoadTest,
    Step,
    classify,
    read_load_test,
    read_load_test_steps,
)
from capplan.usl import fit_usl
from conftest import run_cli

LT = Path(__file__).parent / "data" / "loadtests"


def design_x(n, lam=2.0):
    return lam * n / (1 + 0.05 * (n - 1) + 0.002 * n * (n - 1))


def assert_recovers_design(test, lam, rel=0.1):
    m = fit_usl(*test.arrays()).model
    assert m.sigma == pytest.approx(0.05, rel=rel)
    assert m.kappa == pytest.approx(0.002, rel=rel)
    assert m.lambda_ == pytest.approx(lam, rel=rel)


def runs(values: pd.Series) -> pd.Series:
    """A run id per row: consecutive equal values share one."""
    return (values != values.shift()).cumsum()


def test_jmeter_steps_of_equal_allthreads():
    test = read_load_test_steps(LT / "jmeter_stepping.jtl")
    f = pd.read_csv(LT / "jmeter_stepping.jtl").sort_values("timeStamp", kind="stable")
    f["run"] = runs(f["allThreads"])
    g = f.groupby("run", sort=True)
    first = g["timeStamp"].min()
    end = first.shift(-1)
    end.iloc[-1] = (f["timeStamp"] + f["elapsed"]).max()
    seconds = (end - first) / 1000
    expect = pd.DataFrame({"n": g["allThreads"].first(), "x": g.size() / seconds,
                           "mean": g["elapsed"].mean() / 1000,
                           "p99": g["elapsed"].quantile(0.99) / 1000,
                           "errors": g["success"].apply(lambda s: int((~s).sum()))})
    assert len(test.steps) == len(expect)
    for step, (_, row) in zip(test.steps, expect.iterrows()):
        assert step.n == row["n"] and step.throughput == pytest.approx(row["x"])
        assert step.latency_of("mean") == pytest.approx(row["mean"])
        assert step.latency_of("p99") == pytest.approx(row["p99"])
        assert step.errors == row["errors"]
    assert [s.n for s in test.used] == [1, 2, 4, 8, 16, 24, 32]
    reasons = [s.excluded for s in test.steps if s.excluded]
    assert reasons[0] == "warm-up: named 'Warm-up' by the tool"
    assert sum(r.startswith("ramp between levels") for r in reasons) == 32
    (errors,) = [r for r in reasons if r.startswith("errors")]
    assert errors.startswith("errors: 34 of 395 requests failed (8.6%)")
    assert_recovers_design(test, 2.0)


def test_jmeter_error_limit_can_be_raised():
    test = read_load_test_steps(LT / "jmeter_stepping.jtl", max_error_rate=0.10)
    assert [s.n for s in test.used][-1] == 40


def test_k6_csv_steps_from_the_vus_gauge():
    test = read_load_test_steps(LT / "k6_ramping.csv")
    f = pd.read_csv(LT / "k6_ramping.csv")
    vus = f[f.metric_name == "vus"].reset_index(drop=True)
    vus["run"] = runs(vus.metric_value)
    starts = vus.groupby("run").timestamp.min()
    ends = starts.shift(-1)
    ends.iloc[-1] = vus.timestamp.max() + 1  # vus is sampled every second
    reqs = f[f.metric_name == "http_reqs"]
    dur = f[f.metric_name == "http_req_duration"]
    for step, (run, lo), hi in zip(test.steps, starts.items(), ends):
        inside = (reqs.timestamp >= lo) & (reqs.timestamp < hi)
        assert step.n == vus.metric_value[vus.run == run].iloc[0]
        assert step.throughput == pytest.approx(reqs.metric_value[inside].sum() / (hi - lo))
        window = dur.metric_value[(dur.timestamp >= lo) & (dur.timestamp < hi)]
        assert step.latency_of("mean") == pytest.approx(window.mean() / 1000)
        assert step.latency_of("p99") == pytest.approx(window.quantile(0.99) / 1000)
    # One ramp second between held levels (12 s each; N = 1 also holds its ramp second).
    assert [s.n for s in test.used] == [1, 2, 4, 8, 16, 32]
    assert [s.n for s in test.steps if s.excluded] == [3, 6, 12, 24]
    assert test.used[-1].errors == 1 and any("N = 32: 1 (0.59%)" in n for n in test.notes)
    assert_recovers_design(test, 2.0)


def test_locust_stats_history_steps_from_cumulative_totals():
    test = read_load_test_steps(LT / "locust_stats_history.csv")
    f = pd.read_csv(LT / "locust_stats_history.csv")
    a = f[f.Name == "Aggregated"].reset_index(drop=True)
    a["run"] = runs(a["User Count"])
    expect = []
    for _, g in a.groupby("run"):
        if len(g) < 2:
            continue
        i, j = g.index[0], g.index[-1]
        n_req = a.at[j, "Total Request Count"] - a.at[i, "Total Request Count"]
        mean = (a.at[j, "Total Average Response Time"] * a.at[j, "Total Request Count"]
                - a.at[i, "Total Average Response Time"] * a.at[i, "Total Request Count"]) / n_req
        expect.append((a.at[i, "User Count"], n_req / (a.at[j, "Timestamp"] - a.at[i, "Timestamp"]),
                       mean / 1000, g["99%"].median() / 1000))
    assert [s.n for s in test.used] == [5, 10, 20, 30, 40, 60] == [e[0] for e in expect]
    for s, (n, x, mean, p99) in zip(test.used, expect):
        assert s.throughput == pytest.approx(x) and s.latency_of("mean") == pytest.approx(mean)
        assert s.latency_of("p99") == pytest.approx(p99)
    assert all("one row only" in s.excluded for s in test.steps if s.excluded)
    assert_recovers_design(test, 2.0)


def test_locust_stats_csv_folder_named_by_users():
    test = read_load_test_steps(LT / "locust_runs")
    # By hand: each file's Aggregated row, Requests/s and Average Response Time (ms).
    got = {s.n: (s.throughput, s.latency_of("mean")) for s in test.used}
    for n in (5, 10, 20, 30, 40, 60):
        row = pd.read_csv(LT / "locust_runs" / f"users_{n}_stats.csv").iloc[-1]
        assert got[n] == (pytest.approx(row["Requests/s"]),
                          pytest.approx(row["Average Response Time"] / 1000))
    assert_recovers_design(test, 2.0, rel=0.02)


def test_wrk_runs_in_one_file():
    test = read_load_test_steps(LT / "wrk_runs.txt")
    assert [(s.n, s.throughput) for s in test.used] == [
        (1, 100.00), (2, 189.75), (4, 340.72), (8, 547.20), (16, 717.49), (32, 705.78)]
    first, last = test.used[0], test.used[-1]
    assert first.latency_of("mean") == pytest.approx(0.010)  # "Latency   10.00ms"
    assert last.latency_of("p99") == pytest.approx(0.14)  # "99%    0.14s"
    assert last.requests == 21173 and last.errors == 4 and last.duration_seconds == 30
    assert_recovers_design(test, 100.0, rel=0.01)


def test_hey_folder_named_by_concurrency():
    test = read_load_test_steps(LT / "hey")
    assert [s.n for s in test.used] == [1, 2, 4, 8, 16, 32]
    c32 = test.used[-1]
    text = (LT / "hey" / "hey_c32.txt").read_text()
    assert c32.throughput == float(text.split("Requests/sec:\t")[1].split()[0])
    assert c32.latency_of("p99") == float(text.split("99% in ")[1].split()[0])
    assert c32.errors == 3  # the Error distribution's [3]
    assert_recovers_design(test, 80.0, rel=0.01)


def test_k6_summary_json_folder():
    test = read_load_test_steps(LT / "k6_summaries")
    doc = json.loads((LT / "k6_summaries" / "summary_vus16.json").read_text())
    s16 = [s for s in test.used if s.n == 16][0]
    assert s16.throughput == doc["metrics"]["http_reqs"]["values"]["rate"]
    assert s16.latency_of("p95") == doc["metrics"]["http_req_duration"]["values"]["p(95)"] / 1000
    assert_recovers_design(test, 60.0, rel=0.01)


def test_two_column_csv_and_the_old_tuple_interface(tmp_path):
    n, x, lat = read_load_test(str(LT / "connections_rps.csv"))
    assert list(n) == [1, 2, 4, 8, 16, 32] and lat is None
    assert list(x) == [round(design_x(v) * 100, 1) for v in (1, 2, 4, 8, 16, 32)]
    per_hour = tmp_path / "hourly.csv"
    per_hour.write_text("users,tps\n1,3600\n2,7200\n")
    n, x, _ = read_load_test(str(per_hour), throughput_unit="hour")
    assert list(x) == [1.0, 2.0]
    with pytest.raises(CapplanError, match="states its throughput per second"):
        read_load_test(str(LT / "wrk_runs.txt"), throughput_unit="minute")


def test_table_latency_unit_from_name_or_littles_law(tmp_path):
    named = tmp_path / "named.csv"
    named.write_text("vus,rps,p99_ms\n1,10,120\n2,19,130\n4,35,150\n")
    t = read_load_test_steps(named)
    assert t.used[0].latency == (("p99", 0.12),)
    inferred = tmp_path / "inferred.csv"
    # mean latency = N / X seconds = 100 ms, 105 ms, 114 ms: written in ms without saying so.
    inferred.write_text("threads,throughput,latency\n1,10,100\n2,19,105\n4,35,114\n")
    t = read_load_test_steps(inferred)
    assert t.used[2].latency == (("unstated", pytest.approx(0.114)),)
    assert "milliseconds, inferred" in t.latency_source


def test_warm_up_repeated_level_is_left_out(tmp_path):
    text = (LT / "wrk_runs.txt").read_text()
    runs_ = text.split("Running ")[1:]
    p = tmp_path / "wrk.txt"
    p.write_text("Running " + runs_[3] + "".join("Running " + r for r in runs_))
    test = read_load_test_steps(p)
    assert test.steps[0].n == 8 and test.steps[0].excluded.startswith(
        "warm-up: the first step, at N = 8, is measured again later (wrk.txt, run 5)")
    assert [s.n for s in test.used] == [1, 2, 4, 8, 16, 32]


STEPS = st.lists(st.builds(
    lambda n, x, req, err, dur: Step(n, x, requests=req, errors=min(err, req) if req else None,
                                     duration_seconds=dur),
    st.integers(1, 64).map(float), st.floats(0, 1e4), st.one_of(st.none(), st.integers(0, 10**6)),
    st.integers(0, 10**5), st.one_of(st.none(), st.floats(0.001, 3600))), min_size=1, max_size=30)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(steps=STEPS, limit=st.floats(0, 1), ordered=st.booleans())
def test_every_left_out_step_has_a_reason_and_none_over_the_error_limit_is_used(steps, limit,
                                                                                ordered):
    test = LoadTest("x", "test", "n", "second", tuple(steps), time_ordered=ordered)
    try:
        out = classify(test, limit)
    except CapplanError as exc:  # nothing usable: one line naming why
        assert "no step of the load test can be used" in str(exc)
        return
    assert len(out.steps) == len(steps) and out.used
    for s in out.steps:
        assert s.excluded is None or s.excluded.strip()
        if s.excluded is None and s.error_rate is not None:
            assert s.error_rate <= limit


DAMAGED = {
    "jmeter_bad.jtl": "timeStamp,elapsed,label,success,allThreads\nabc,def,x,true,zz\n",
    "k6_novus.csv": "metric_name,timestamp,metric_value\nhttp_reqs,1714986000,1\n",
    "locust_noagg_stats_history.csv": '"Timestamp","User Count","Type","Name","Requests/s",'
                                     '"Total Request Count","Total Failure Count",'
                                     '"Total Average Response Time"\n1,5,"GET","/x",1,1,0,5\n',
    "wrk_cut.txt": "Running 30s test @ http://x/\n  2 threads and 10 connections\n",
    "k6_broken.json": '{"metrics": {"http_reqs": ',
    "k6_norate.json": '{"metrics": {"vus": {"values": {"value": 5}}}}',
    "table_text.csv": "users,rps\n1,10\ntwo,19\n",
}


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_damaged_load_tests_are_one_line_errors(tmp_path, name):
    p = tmp_path / name
    p.write_text(DAMAGED[name])
    with pytest.raises(CapplanError) as err:
        fit_usl(*read_load_test(str(p)))
    assert "\n" not in str(err.value)


def test_folders_without_concurrency_or_with_mixed_tools(tmp_path):
    hey = (LT / "hey" / "hey_c8.txt").read_text()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "first_run_2.txt").write_text(hey)
    (tmp_path / "a" / "run.txt").write_text(hey)
    with pytest.raises(CapplanError, match="does not state its concurrency"):
        read_load_test_steps(tmp_path / "a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "hey_c8.txt").write_text(hey)
    (tmp_path / "b" / "wrk.txt").write_text((LT / "wrk_runs.txt").read_text())
    with pytest.raises(CapplanError, match="mixes outputs of several tools"):
        read_load_test_steps(tmp_path / "b")
    (tmp_path / "c").mkdir()
    with pytest.raises(CapplanError, match="holds no files"):
        read_load_test_steps(tmp_path / "c")


def test_usl_cli_writes_steps_and_measured_latency(tmp_path):
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("usl", LT / "jmeter_stepping.jtl", "--out", out, "--no-report")
    assert code == 0, stderr
    assert "left out N = 40" in stdout and "32 ramp step(s)" in stdout
    doc = json.loads((out / "usl.json").read_text(),
                     parse_constant=lambda c: pytest.fail(f"{c} in usl.json"))
    lt = doc["load_test"]
    assert lt["format"] == "JMeter CSV results (.jtl)" and lt["latency_statistic_fitted"] == "p99"
    used = [s for s in lt["steps"] if s["used"]]
    assert [s["n"] for s in used] == [m["n"] for m in doc["measurements"]]
    assert all(set(s["latency_seconds"]) == {"mean", "p50", "p90", "p95", "p99"} for s in used)
    assert all(s["excluded_because"] for s in lt["steps"] if not s["used"])


def test_usl_chart_shows_measured_latency_against_the_fitted_curve():
    from capplan.outputs.charts import usl_figure

    test = read_load_test_steps(LT / "wrk_runs.txt")
    fit = fit_usl(*test.arrays())
    fig = usl_figure(fit, "USL fit", load_test=test)
    traces = {t["name"]: t for t in fig["data"]}
    mean = traces["measured mean latency"]
    # wrk's "Latency Avg" per run, in ms on the right axis: 10.00ms at N = 1 ... 45.34ms at 32.
    assert mean["yaxis"] == "y2" and list(mean["x"]) == [1, 2, 4, 8, 16, 32]
    assert mean["y"][0] == pytest.approx(10.0)
    assert fig["layout"]["yaxis2"]["title"]["text"] == "latency (ms)"
    fitted = traces["fitted mean latency R(N) = N / X(N)"]
    n0 = fitted["x"][0]
    assert fitted["y"][0] == pytest.approx(n0 / fit.model.throughput(n0) * 1000)
    p99 = traces["measured p99 latency"]  # 99% 0.03s ... 0.14s, as wrk prints them
    assert p99["y"] == pytest.approx([30, 30, 40, 50, 70, 140])


def test_usl_cli_damaged_load_test_exit_2_nothing_written(tmp_path):
    p = tmp_path / "k6.json"
    p.write_text(DAMAGED["k6_broken.json"])
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("usl", p, "--out", out)
    assert code == 2 and stderr.count("\n") == 1 and not out.exists()


def test_design_values_are_what_the_samples_say():
    # Guard for the other tests: the USL design itself, by hand. N* = sqrt((1 - 0.05) / 0.002).
    assert math.sqrt(0.95 / 0.002) == pytest.approx(21.794, abs=1e-3)
    assert design_x(1) == 2.0 and design_x(16) == pytest.approx(32 / 2.23)
    assert np.isclose(design_x(32), 64 / (1 + 1.55 + 1.984))


def test_readme_examples_of_the_new_formats_run(tmp_path):
    """The README's examples that read the samples in tests/data run as written (in-process)."""
    import shlex

    from typer.testing import CliRunner

    from capplan.cli import app

    root = Path(__file__).resolve().parents[1]
    lines = [ln.split("  #")[0].strip() for ln in (root / "README.md").read_text().splitlines()
             if ln.startswith("capplan ") and "tests/data/" in ln]
    assert len(lines) >= 5
    runner = CliRunner()
    for i, line in enumerate(lines):
        args = shlex.split(line)[1:]
        args = [str(root / a) if a.startswith("tests/data/") else a for a in args]
        extra = ["--out", str(tmp_path / str(i))] + (["--no-report"] if args[0] == "usl" else [])
        result = runner.invoke(app, args + extra)
        assert result.exit_code == 0, (line, result.output, result.exception)


SAMPLE_FILES = sorted(p for p in LT.rglob("*") if p.is_file() and p.suffix != ".py")


@settings(max_examples=150, deadline=None, derandomize=True)
@given(sample=st.sampled_from(SAMPLE_FILES), cut=st.integers(0, 400_000),
       at=st.integers(0, 400_000), junk=st.sampled_from([b"", b"NaN", b"x", b",,,", b"\n",
                                                        b"-1e400", b"\x00\xff", b'"', b"{", b"N/A",
                                                        b"99%", b"Requests/sec:", b"\t"]))
def test_mutated_load_tests_fit_or_fail_in_one_line(tmp_path_factory, sample, cut, at, junk):
    data = sample.read_bytes()
    data = data[:max(1, len(data) - cut % len(data))]
    i = at % len(data)
    data = data[:i] + junk + data[i + len(junk):]
    folder = tmp_path_factory.mktemp("m")
    p = folder / sample.name
    p.write_bytes(data)
    try:
        n, x, lat = read_load_test(str(p))
        fit_usl(n, x, lat)
    except CapplanError as exc:
        assert "\n" not in str(exc)


# ---- one load-test path: latency in seconds, its statistic and unit stated ----------------------

def test_a_tools_p99_sets_the_latency_limit_in_the_plan_and_usl_json():
    import datetime as dt

    import capplan
    from capplan.pipeline import Settings, plan_from_numbers

    # wrk's runs, by hand from the file: (connections, Requests/sec, 99%) = (8, 547.20, 0.05 s)
    # and (16, 717.49, 0.07 s) bracket a 60 ms objective: 547.20 + (60 - 50) / (70 - 50) x
    # (717.49 - 547.20) = 632.345 req/s.
    want = 547.20 + (0.060 - 0.050) / (0.070 - 0.050) * (717.49 - 547.20)
    path = str(LT / "wrk_runs.txt")
    res = plan_from_numbers(Settings(load_test=path, latency_slo="60ms", months=1), peak=5000,
                            today=dt.date(2026, 1, 1))
    lim = res.plan.capacity.latency_limit
    assert lim.method == "measured" and lim.rate == pytest.approx(want)
    assert lim.statistic.startswith("p99 (wrk's Latency Avg and Distribution")
    assert res.usl.latency_statistic == "p99"
    assert res.usl.latency == pytest.approx((0.03, 0.03, 0.04, 0.05, 0.07, 0.14))  # seconds
    doc = capplan.fit_usl(path, latency_slo="60ms").to_dict()
    assert doc["at_latency_slo"]["throughput"] == pytest.approx(want)
    assert doc["load_test"]["latency_statistic_fitted"] == "p99"


def test_a_dataframe_of_steps_reads_as_its_file_does(tmp_path):
    import capplan

    rows = [(1, 100, 20), (2, 190, 25), (4, 350, 40), (8, 600, 90), (16, 800, 300),
            (32, 850, 900)]
    frame = pd.DataFrame(rows, columns=["users", "throughput", "latency_p99_ms"])
    path = tmp_path / "lt.csv"
    frame.to_csv(path, index=False)
    # 50 ms lies between N = 4 (350 req/s, 40 ms) and N = 8 (600, 90 ms): 350 + 10/50 x 250.
    for source in (frame, path):
        doc = capplan.fit_usl(source, latency_slo="50ms").to_dict()
        assert doc["at_latency_slo"]["throughput"] == pytest.approx(400.0)
        assert "latency_p99_ms" in doc["at_latency_slo"]["statistic"]
        assert "milliseconds, as its name says" in doc["load_test"]["latency_source"]
        steps = doc["load_test"]["steps"]
        assert [s["latency_seconds"]["p99"] for s in steps] == pytest.approx(
            [r[2] / 1000 for r in rows])
    frame_doc = capplan.fit_usl(frame).to_dict()
    file_doc = capplan.fit_usl(path).to_dict()
    assert frame_doc["sigma"] == file_doc["sigma"] and frame_doc["kappa"] == file_doc["kappa"]
    with pytest.raises(CapplanError, match="max_error_rate"):
        capplan.fit_usl(frame, max_error_rate=2)


def test_usl_cli_reads_a_folder_and_max_error_rate(tmp_path):
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("usl", LT / "hey", "--out", out, "--no-report")
    assert code == 0, stderr
    doc = json.loads((out / "usl.json").read_text())
    assert [s["n"] for s in doc["load_test"]["steps"]] == [1, 2, 4, 8, 16, 32]
    code, _, stderr = run_cli("usl", LT / "hey", "--max-error-rate", "150", "--out", out)
    assert code == 2 and "--max-error-rate 150" in stderr


def test_usl_chart_draws_the_p99_limit_usl_json_states():
    import capplan
    from capplan.outputs.charts import usl_figure

    u = capplan.fit_usl(str(LT / "wrk_runs.txt"), latency_slo="60ms")
    fig = usl_figure(u.fit, "USL fit", latency_slo=0.060, load_test=u.load_test)
    line = next(t for t in fig["data"] if t["name"].startswith("p99"))
    want = 547.20 + (0.060 - 0.050) / (0.070 - 0.050) * (717.49 - 547.20)  # by hand, as above
    assert line["y"] == [pytest.approx(want)] * 2
    assert u.to_dict()["at_latency_slo"]["throughput"] == pytest.approx(line["y"][0])


def test_measured_latency_limit_says_which_rule_set_it():
    """Past its peak a load test's throughput falls: interpolating towards the step over the
    objective would give less than a step already measured within it, so the limit is that step,
    and the description says so (wrk's N = 16 and 32 steps: 70 ms and 140 ms p99)."""
    from capplan.limits import from_measured

    n, x, p99 = [8, 16, 32], [550.0, 717.49, 705.78], [0.040, 0.070, 0.140]
    lim = from_measured(n, x, p99, 0.100, "wrk", "p99")
    by_hand = 717.49 + (0.100 - 0.070) / (0.140 - 0.070) * (705.78 - 717.49)  # 712.471
    assert lim.rate == 717.49
    assert "the highest throughput measured within it" in lim.description
    assert f"{by_hand:,.6g}" in lim.description
    rising = from_measured(n, [550.0, 700.0, 800.0], p99, 0.100, "wrk", "p99")
    assert abs(rising.rate - (700 + 3 / 7 * 100)) < 1e-9  # 742.857 by hand
    assert rising.description.endswith("by linear interpolation")
