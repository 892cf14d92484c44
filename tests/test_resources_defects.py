"""Defects found by a fresh-eyes trial of `capplan capacity` / `forecast --capacity-from`, each
checked against a value worked by hand or by an independent fit."""
import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest

from capplan.ingest.metrics import MetricSpec, read_metrics
from capplan.resources import fit_resources, limit_for_plan

# util = 0.1 + 0.004 x + 0.00005 x^2: 0.6 is reached where 0.00005 x^2 + 0.004 x - 0.5 = 0,
# x = (-0.004 + sqrt(0.004^2 + 4 * 0.00005 * 0.5)) / (2 * 0.00005) = 67.70 req/s.
A, B, C = 0.1, 0.004, 0.00005
HAND_LIMIT = (-B + math.sqrt(B * B + 4 * C * (0.6 - A))) / (2 * C)


def convex_csv(tmp_path, n=600, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.uniform(5, 60, n)  # independent samples: no autocorrelation to widen the interval
    y = A + B * x + C * x * x + rng.normal(0, 0.01, n)
    path = tmp_path / "convex.csv"
    pd.DataFrame({"time": pd.date_range("2024-01-01", periods=n, freq="5min", tz="UTC"),
                  "rps": x, "cpu": y}).to_csv(path, index=False)
    return path, x, y


def test_hand_limit():
    assert HAND_LIMIT == pytest.approx(67.7033, abs=1e-3)


def test_convex_relation_plans_on_the_quadratic_limit(tmp_path):
    import statsmodels.api as sm
    from scipy import stats

    path, x, y = convex_csv(tmp_path)
    table = read_metrics(MetricSpec("throughput", "rps", str(path)),
                         [MetricSpec("cpu", "cpu", str(path))])
    r = fit_resources(table)
    f = r.fit("cpu")
    assert not f.linear and f.curvature == "convex"
    assert f.limit_method == "quadratic"
    assert f.limit == pytest.approx(HAND_LIMIT, abs=0.6)  # the hand value, within the noise
    assert f.limit_line > HAND_LIMIT + 3  # the straight line overstates it (about 75)
    assert f.limit_low < HAND_LIMIT < f.limit_high
    # The interval against an independent first-order (delta-method) one from a plain OLS
    # quadratic: Var(L) = g'Vg / q'(L)^2, g = (1, L, L^2).
    X = np.column_stack([np.ones_like(x), x, x * x])
    ols = sm.OLS(y, X).fit()
    c0, c1, c2 = ols.params
    lim = (-c1 + math.sqrt(c1 * c1 - 4 * c2 * (c0 - 0.6))) / (2 * c2)
    g = np.array([1, lim, lim * lim])
    se = math.sqrt(g @ ols.cov_params() @ g) / (c1 + 2 * c2 * lim)
    half = stats.t.ppf(0.975, x.size - 3) * se
    assert f.limit == pytest.approx(lim, rel=1e-6)
    assert (f.limit_high - f.limit_low) / 2 == pytest.approx(half, rel=0.05)
    assert any("the limit used is the quadratic's" in w for w in f.warnings)
    # Downstream: the plan sizes on the quadratic's limit (at 100%: divided by the target).
    pl = limit_for_plan(r)
    assert pl.limit * 0.6 == pytest.approx(f.limit, rel=1e-12)
    assert pl.limit_low * 0.6 == pytest.approx(f.limit_low, rel=1e-12)
    assert "quadratic" in pl.source
    # Where the quadratic itself reaches 100%, solved by hand, not the straight line's (1 - a) / b.
    at_full = (-c1 + math.sqrt(c1 * c1 - 4 * c2 * (c0 - 1.0))) / (2 * c2)
    assert f"the fitted quadratic itself reaches 100% at {at_full:,.4g}" in pl.source
    # The same fit at another target: the quadratic solved by hand at 0.5.
    at_half = (-c1 + math.sqrt(c1 * c1 - 4 * c2 * (c0 - 0.5))) / (2 * c2)
    assert f.limit_at(0.5)[0] == pytest.approx(at_half, rel=1e-6)
    assert f.headroom == pytest.approx(f.limit / x.max(), rel=1e-9)
    # The fitted utilization at the highest throughput is the quadratic's there too.
    assert f.peak_utilization == pytest.approx(c0 + c1 * x.max() + c2 * x.max() ** 2, rel=1e-9)


def test_convex_capacity_json_is_coherent(tmp_path, cli):
    path, x, _ = convex_csv(tmp_path)
    code, so, se = cli("capacity", path, "--throughput", "rps", "--resource", "cpu=cpu",
                       "--no-report", "--out", tmp_path / "o")
    assert code == 0, se
    doc = json.loads((tmp_path / "o" / "capacity.json").read_text())
    (cpu,) = doc["resources"]
    assert cpu["limit"] == pytest.approx(HAND_LIMIT, abs=0.6)
    assert cpu["limit_method"] == "quadratic" and cpu["limit"] == cpu["limit_quadratic"]
    assert cpu["limit_line"] > cpu["limit"]
    assert doc["plan_limit"]["limit"] * 0.6 == pytest.approx(cpu["limit"], rel=1e-12)
    assert cpu["headroom"] == pytest.approx(cpu["limit"] / x.max(), rel=1e-9)
    assert f"{cpu['limit']:.2f}" in so
    assert f"{cpu['limit_line']:.2f}" not in so.split("binding resource")[1]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_convex_workbook_recalculates_to_the_quadratic_limit(tmp_path):
    """plan.xlsx's Resources sheet solves the quadratic where capplan's limit is the quadratic's:
    recalculated, it equals plan.json (not the straight line's 75), and the whole plan agrees."""
    from capplan.api import forecast
    from test_workbook import mismatches, recalc

    path, _, _ = convex_csv(tmp_path)
    days = pd.date_range("2024-01-01", periods=60, freq="h", tz="UTC")
    traffic = pd.Series(500 + 100 * np.sin(np.arange(days.size) / 4), index=days)
    p = forecast(traffic, months=3, capacity_from=str(path), throughput="rps",
                 resources=["cpu=cpu"])
    p.write(tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "plan.json").read_text())
    (cpu,) = doc["capacity"]["resources"]
    assert cpu["limit_method"] == "quadratic"
    shutil.copy(tmp_path / "out" / "plan.xlsx", tmp_path / "fit.xlsx")
    wb = recalc(tmp_path, ["fit"])["fit"]
    assert mismatches(doc, wb) == []
    ws = wb["Resources"]
    row = next(i for i in range(1, ws.max_row + 1) if ws.cell(row=i, column=1).value == "cpu")
    c0, c1, c2 = cpu["quadratic"]
    by_hand = (-c1 + math.sqrt(c1 * c1 - 4 * c2 * (c0 - 0.6))) / (2 * c2)
    assert ws.cell(row=row, column=4).value == pytest.approx(by_hand, rel=1e-9)
    assert ws.cell(row=row, column=4).value == pytest.approx(cpu["limit"], rel=1e-9)
    sheet, ref = wb.defined_names["per_instance_limit"].attr_text.split("!")
    assert wb[sheet][ref.replace("$", "")].value == pytest.approx(
        doc["capacity"]["per_instance_limit"], rel=1e-9)


def counts_csv(tmp_path, n=120):
    """cnt: requests counted per 5 minutes (whole numbers); cpu = 10% + 0.5 points per req/s,
    so by hand the 60% limit is (60 - 10) / 0.5 = 100 req/s, i.e. 30,000 per 5 minutes."""
    rng = np.random.default_rng(7)
    rps = rng.uniform(20, 70, n)
    cnt = np.round(rps * 300)
    path = tmp_path / "cnt.csv"
    pd.DataFrame({"time": pd.date_range("2024-01-01", periods=n, freq="5min", tz="UTC"),
                  "cnt": cnt, "cpu": 10 + 0.5 * cnt / 300 + rng.normal(0, 0.05, n)}
                 ).to_csv(path, index=False)
    return path


def test_counts_per_interval_warned_on_the_capacity_path(tmp_path, cli):
    path = counts_csv(tmp_path)
    code, so, se = cli("capacity", path, "--throughput", "cnt", "--resource", "cpu=cpu",
                       "--no-report", "--out", tmp_path / "o")
    assert code == 0, se
    flat = " ".join(so.split())
    said = "every value of column 'cnt' is a whole number at a 5 min interval"
    assert said in flat and "pass --per-interval if each counts 5 min" in flat
    doc = json.loads((tmp_path / "o" / "capacity.json").read_text())
    assert any(said in n and n.startswith("warning: ") for n in doc["notes"])
    # With --per-interval the limit is the hand value, and the warning is gone.
    code, so, se = cli("capacity", path, "--throughput", "cnt", "--resource", "cpu=cpu",
                       "--per-interval", "--no-report", "--out", tmp_path / "p")
    assert code == 0, se
    doc = json.loads((tmp_path / "p" / "capacity.json").read_text())
    assert doc["resources"][0]["limit"] == pytest.approx(100, rel=0.01)
    assert not any(said in n for n in doc["notes"])
    # --rate confirms the column as a rate: no warning.
    code, so, se = cli("capacity", path, "--throughput", "cnt", "--resource", "cpu=cpu",
                       "--rate", "--no-report", "--out", tmp_path / "q")
    assert code == 0 and said not in " ".join(so.split())


def test_counts_warning_uses_the_readers_detection(tmp_path):
    """The words come from `rates.decide_kind` (what `analyze` says), the advice is the one
    `forecast --capacity-from` can follow (its --per-interval is the traffic's)."""
    from capplan.ingest import read_traffic

    path = counts_csv(tmp_path)
    (reader,) = read_traffic(str(path), value_column="cnt").quality.notes
    table = read_metrics(MetricSpec("throughput", "cnt", str(path)),
                         [MetricSpec("cpu", "cpu", str(path))])
    (note,) = [n for n in table.notes if "whole number" in n]
    assert reader.split(": pass --per-interval")[0].removeprefix("warning: ") in note
    assert "must be a per-second rate" in note
    assert note in fit_resources(table).notes  # and so in capacity.json / plan.json notes


def _times(n):
    return pd.date_range("2024-01-01", periods=n, freq="5min", tz="UTC")


def test_exact_line_no_library_warning_and_said_in_words():
    """utilization = 0.1 + 0.005 x exactly (a column computed from another): statsmodels' RLM
    warns that its scale is 0; the user gets a sentence instead, and the hand limit
    (0.6 - 0.1) / 0.005 = 100."""
    import warnings

    from capplan.resources import fit_resource

    x = np.random.default_rng(0).uniform(20, 70, 300)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        f = fit_resource("cpu", "m.csv column 'cpu'", x, 0.1 + 0.005 * x, _times(300), 0.6)
    assert [str(w.message) for w in seen] == []
    assert f.limit == pytest.approx(100, rel=1e-9)
    assert any("lie exactly on the fitted line" in w for w in f.warnings)


def test_tiny_throughput_no_library_warning_and_plain_numbers():
    """Throughput 0 or 1e-9 (tiny.csv): LOWESS divides 0 by 0 inside; no warning line leaks, and
    the slope in the sentence has no e-notation."""
    import warnings

    from capplan.resources import fit_resource

    rng = np.random.default_rng(1)
    n = 2000
    x = np.where(np.arange(n) % 50 == 0, 1e-9, 0.0)
    y = 0.3 + rng.normal(0, 0.005, n) - 3.0e6 * x  # falls with throughput: slope about -3e6
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        f = fit_resource("cpu", "t.csv column 'cpu'", x, y, _times(n), 0.6)
    assert [str(w.message) for w in seen] == []
    (said,) = [w for w in f.warnings if "does not rise" in w]
    assert "e+" not in said and "e-" not in said
    assert f"{f.slope:,.0f}" in said  # a number of millions in plain digits
    assert f.slope < -1e6


def _csv(path, start, n, col, values, freq="5min"):
    pd.DataFrame({"time": pd.date_range(start, periods=n, freq=freq, tz="UTC"), col: values}
                 ).to_csv(path, index=False)
    return path


def test_name_equals_file_errors_name_the_column_found(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)  # short names: an error line elides long paths
    _csv(tmp_path / "tp.csv", "2024-01-01", 60, "rps", np.linspace(10, 60, 60))
    _csv(tmp_path / "cpu_late.csv", "2024-01-31", 60, "cpu", np.linspace(20, 50, 60))
    code, _, se = cli("capacity", "tp.csv", "--throughput", "rps", "--resource", "cpu=cpu_late.csv",
                      "--out", tmp_path / "o")
    assert code == 2
    assert "its value column" not in se
    assert "cpu_late.csv column 'cpu' from 2024-01-31 00:00" in " ".join(se.split())
    _csv(tmp_path / "cpu_shift.csv", "2024-01-01 00:01", 60, "cpu",
                 np.linspace(20, 50, 60))
    code, _, se = cli("capacity", "tp.csv", "--throughput", "rps", "--resource", "cpu=cpu_shift.csv",
                      "--out", tmp_path / "o")
    assert code == 2 and "misaligned" in se and "its value column" not in se
    assert "cpu_shift.csv column 'cpu'" in " ".join(se.split())


def test_too_few_common_timestamps_names_the_columns(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = "three.csv"
    pd.DataFrame({"time": pd.date_range("2024-01-01", periods=3, freq="5min", tz="UTC"),
                  "rps": [50.0, 60.0, 70.0], "cpu": [0.3, 0.35, 0.4]}).to_csv(path, index=False)
    code, _, se = cli("capacity", path, "--throughput", "rps", "--resource", "cpu=cpu",
                      "--out", tmp_path / "o")
    flat = " ".join(se.split())
    assert code == 2 and "only 3 timestamp(s)" in flat
    assert f"{path} column 'rps': 3" in flat and f"{path} column 'cpu': 3" in flat


def test_dropped_rows_by_file_line(tmp_path, cli):
    """A negative throughput on the 10th data row is line 11 of the file (header line 1)."""
    rng = np.random.default_rng(4)
    rps = rng.uniform(20, 70, 60)
    rps[9] = -5.0
    path = tmp_path / "neg.csv"
    pd.DataFrame({"time": pd.date_range("2024-01-01", periods=60, freq="5min", tz="UTC"),
                  "rps": rps, "cpu": 0.1 + 0.005 * rps + rng.normal(0, 0.01, 60)}
                 ).to_csv(path, index=False)
    assert path.read_text().splitlines()[10].split(",")[1] == "-5.0"  # line 11, counted by hand
    code, so, se = cli("capacity", path, "--throughput", "rps", "--resource", "cpu=cpu",
                       "--no-report", "--out", tmp_path / "o")
    assert code == 0, se
    assert "1 dropped (1 with negative value, first at line 11)" in " ".join(so.split())


def test_interval_widening_is_the_square_root_of_the_inflation(tmp_path, cli):
    """AR(1) throughput and residuals (phi 0.8 each): the factor on the covariance,
    (1 + r_e r_x) / (1 - r_e r_x) from the lag-1 autocorrelations computed here by hand, and the
    widening the warning and capacity.json state, its square root."""
    rng = np.random.default_rng(11)
    n = 400
    x, e = np.empty(n), np.empty(n)
    x[0], e[0] = 40.0, 0.0
    for i in range(1, n):
        x[i] = 40 + 0.8 * (x[i - 1] - 40) + rng.normal(0, 5)
        e[i] = 0.8 * e[i - 1] + rng.normal(0, 0.01)
    path = tmp_path / "ar.csv"
    pd.DataFrame({"time": pd.date_range("2024-01-01", periods=n, freq="5min", tz="UTC"),
                  "rps": x, "cpu": 0.1 + 0.005 * x + e}).to_csv(path, index=False)
    code, so, se = cli("capacity", path, "--throughput", "rps", "--resource", "cpu=cpu",
                       "--no-report", "--out", tmp_path / "o")
    assert code == 0, se
    (cpu,) = json.loads((tmp_path / "o" / "capacity.json").read_text())["resources"]

    def lag1(v):
        v = np.asarray(v) - np.mean(v)
        return float(v[:-1] @ v[1:] / (v @ v))

    p = cpu["residual_autocorrelation"] * lag1(x)
    assert cpu["throughput_autocorrelation"] == pytest.approx(lag1(x), rel=1e-9)
    assert cpu["interval_inflation"] == pytest.approx((1 + p) / (1 - p), rel=1e-9)
    assert cpu["interval_widening"] == pytest.approx(math.sqrt((1 + p) / (1 - p)), rel=1e-9)
    (said,) = [w for w in cpu["warnings"] if "widened" in w]
    assert f"widened by {cpu['interval_widening']:.2f}x" in said
    assert f"covariance by {cpu['interval_inflation']:.2f}x" in said
