"""Capacity from production metrics: fits checked against independent fits, known truths, by hand."""
import math

import numpy as np
import pandas as pd
import pytest
from conftest import data

from capplan.errors import CapplanError
from capplan.ingest.metrics import MetricSpec, parse_spec, read_metrics
from capplan.metrics_syntax import parse_instant, parse_window
from capplan.resources import (
    fit_resource,
    fit_resources,
    limit_for_plan,
    limit_interval,
)
from capplan.utilization import utilization_fraction

HUBER_T = 1.345  # statsmodels' HuberT default tuning constant (95% efficiency at the normal)


def oracledb_fit(xcol, **kw):
    path = str(data("usl/oracledb.csv"))
    table = read_metrics(MetricSpec("throughput", xcol, path),
                         [MetricSpec("cpu", "cpu_util", path)])
    return fit_resources(table, instances=1, **kw)


def lag1(v):
    v = np.asarray(v, float) - np.mean(v)
    return float(v[:-1] @ v[1:] / (v @ v))


@pytest.mark.parametrize("xcol", ["txn_rate", "call_rate"])
def test_oracledb_cpu_fit_matches_an_independent_fit(xcol):
    import statsmodels.api as sm
    from scipy import stats

    r = oracledb_fit(xcol).fit("cpu")
    d = pd.read_csv(data("usl/oracledb.csv"))
    x, y = d[xcol].to_numpy(), d["cpu_util"].to_numpy() / 100  # README: cpu_util is percent
    X = sm.add_constant(x)
    # The outlier rule: beyond 3.5 robust SDs (median |r| / 0.6745) of a LOWESS trend whose
    # windows hold 10% of the 360 points.
    from statsmodels.nonparametric.smoothers_lowess import lowess

    r0 = y - lowess(y, x, frac=0.1, it=3, delta=0.01 * np.ptp(x), return_sorted=False)
    keep = np.abs(r0) / (np.median(np.abs(r0)) / stats.norm.ppf(0.75)) <= 3.5
    ref = sm.RLM(y[keep], X[keep], M=sm.robust.norms.HuberT()).fit()
    assert r.points_used == keep.sum() and len(r.outliers) == (~keep).sum()
    assert r.intercept == pytest.approx(ref.params[0], rel=1e-9)
    assert r.slope == pytest.approx(ref.params[1], rel=1e-9)
    # By hand, without statsmodels: Huber's estimating equations sum psi(r/s) [1, x] = 0 hold at
    # the fitted line, psi(u) = clip(u, -1.345, 1.345), s = median |r| / 0.6745.
    xk, yk = x[keep], y[keep]
    res = yk - (r.intercept + r.slope * xk)
    s = np.median(np.abs(res)) / stats.norm.ppf(0.75)
    psi = np.clip(res / s, -HUBER_T, HUBER_T)
    assert abs(psi.sum()) < 0.02 * np.abs(psi).sum()
    assert abs((psi * xk).sum()) < 0.02 * np.abs(psi * xk).sum()
    # R^2 of the robust line, and the limit, by hand.
    assert r.r_squared == pytest.approx(1 - (res @ res) / np.sum((yk - yk.mean()) ** 2), rel=1e-9)
    assert r.limit == pytest.approx((0.6 - r.intercept) / r.slope, rel=1e-12)
    # The interval: RLM covariance x (1 + r_e r_x) / (1 - r_e r_x), then Fieller; near the
    # delta method when the slope is precise (numpy here).
    re_, rx = lag1(res), lag1(xk)
    f = (1 + re_ * rx) / (1 - re_ * rx) if re_ * rx > 0 else 1.0
    assert r.interval_inflation == pytest.approx(f, rel=1e-9)
    cov = ref.cov_params() * f
    q = stats.t.ppf(0.975, keep.sum() - 2)
    assert r.slope_ci[0] == pytest.approx(r.slope - q * math.sqrt(cov[1, 1]), rel=1e-9)
    for L in (r.limit_low, r.limit_high):  # Fieller: (t - a - b L)^2 = q^2 Var(a + b L)
        lhs = (0.6 - r.intercept - r.slope * L) ** 2
        assert lhs == pytest.approx(q * q * (cov[0, 0] + 2 * L * cov[0, 1] + L * L * cov[1, 1]),
                                    rel=1e-6)
    if xcol == "txn_rate":  # a precise slope: Fieller is close to the delta method
        g = np.array([-1 / r.slope, -r.limit / r.slope])
        half = q * math.sqrt(g @ cov @ g)
        assert r.limit_low == pytest.approx(r.limit - half, rel=0.03)
        assert r.limit_high == pytest.approx(r.limit + half, rel=0.03)


def test_oracledb_txn_rate_numbers():
    r = oracledb_fit("txn_rate")
    cpu = r.fit("cpu")
    assert r.binding == "cpu" and r.aligned_points == 360  # README: 360 rows, no gaps
    # OLS (numpy) as a sanity bound on the robust line: slopes within two OLS standard errors.
    d = pd.read_csv(data("usl/oracledb.csv"))
    x, y = d["txn_rate"].to_numpy(), d["cpu_util"].to_numpy() / 100
    A = np.column_stack([np.ones_like(x), x])
    beta, sse, *_ = np.linalg.lstsq(A, y, rcond=None)
    se = math.sqrt(sse[0] / (x.size - 2) * np.linalg.inv(A.T @ A)[1, 1])
    assert abs(cpu.slope - beta[1]) < 2 * se
    assert cpu.peak_throughput == pytest.approx(x.max())


def test_fieller_bounds_solve_the_defining_equation():
    a, b, cov, t, dof = 0.1, 0.002, ((1e-4, -2e-7), (-2e-7, 1e-9)), 0.6, 40
    limit, low, high = limit_interval(a, b, cov, t, dof)
    from scipy import stats

    q = stats.t.ppf(0.975, dof)
    for L in (low, high):  # (t - a - b L)^2 = q^2 Var(a + b L) at each bound
        lhs = (t - a - b * L) ** 2
        rhs = q * q * (cov[0][0] + 2 * L * cov[0][1] + L * L * cov[1][1])
        assert lhs == pytest.approx(rhs, rel=1e-9)
    assert limit == pytest.approx(250) and low < limit < high
    # A slope within noise of 0: unbounded; no rise: no limit; idle above target: zero.
    assert limit_interval(a, b, ((1e-4, 0), (0, 1e-5)), t, dof)[1:] == (None, None)
    assert limit_interval(a, -b, cov, t, dof) == (None, None, None)
    assert limit_interval(0.7, b, cov, t, dof) == (0.0, 0.0, 0.0)


def synthetic(n=400, seed=3, truths=None, rho=0.0, instances=None):
    """Metrics with known lines: utilization (percent) = 100 (a + b x) + noise."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    x = 200 + 150 * np.sin(2 * np.pi * i / 288) + rng.normal(0, 15, n)  # per instance
    x = np.clip(x, 5, None)
    frame = {"timestamp": pd.date_range("2024-03-01", periods=n, freq="5min")}
    fleet = x if instances is None else x * instances
    frame["rps"] = fleet
    if instances is not None:
        frame["n"] = instances
    for name, (a, b, s) in (truths or {}).items():
        z = rng.normal(0, s, n)
        e = np.empty(n)
        e[0] = z[0]
        for k in range(1, n):
            e[k] = rho * e[k - 1] + math.sqrt(1 - rho * rho) * z[k]
        frame[name] = 100 * (a + b * x + e)
    return pd.DataFrame(frame)


TRUTHS = {"cpu": (0.08, 0.0011, 0.01), "mem": (0.30, 0.0004, 0.01), "pool": (0.02, 0.0014, 0.015)}


def fit_frame(tmp_path, df, resources, **kw):
    p = tmp_path / "metrics.csv"
    df.to_csv(p, index=False)
    inst = kw.pop("instances_column", None)
    table = read_metrics(MetricSpec("throughput", "rps", str(p)),
                         [MetricSpec(r, r, str(p)) for r in resources],
                         instances=MetricSpec("instances", inst, str(p)) if inst else None)
    return fit_resources(table, **kw)


def test_synthetic_lines_and_binding_resource_recovered(tmp_path):
    df = synthetic(truths=TRUTHS)
    r = fit_frame(tmp_path, df, TRUTHS)
    x = df["rps"].to_numpy()
    A = np.column_stack([np.ones_like(x), x])
    for name, (a, b, sd) in TRUTHS.items():
        f = r.fit(name)
        true_limit = (0.6 - a) / b
        # Tolerances: 400 points with 1-1.5 utilization points of noise give slope SEs near 1%.
        assert f.intercept == pytest.approx(a, abs=0.01)
        assert f.slope == pytest.approx(b, rel=0.03)
        assert f.limit == pytest.approx(true_limit, rel=0.03)
        assert f.linear and f.unit_read == "percent"
        # The interval's width against the one the known noise implies (OLS algebra by hand:
        # Var = sd^2 (A'A)^-1; Huber costs ~5% efficiency at the normal; delta method).
        cov = sd * sd * np.linalg.inv(A.T @ A)
        g = np.array([-1 / b, -true_limit / b])
        expected = 2 * 1.966 * math.sqrt(g @ cov @ g)
        assert f.limit_high - f.limit_low == pytest.approx(expected, rel=0.25)
    # Limits: cpu 472.7, mem 750, pool 414.3 req/s: pool binds.
    assert r.binding == "pool"
    assert min(f.limit for f in r.resources) == r.fit("pool").limit


def test_fleet_wide_throughput_is_divided_by_instances(tmp_path):
    df = synthetic(truths={"cpu": TRUTHS["cpu"]}, instances=4)
    r = fit_frame(tmp_path, df, ["cpu"], instances=4)
    assert r.fit("cpu").slope == pytest.approx(TRUTHS["cpu"][1], rel=0.03)
    assert "--instances 4" in r.instances_note
    # A varying instance count in a column: throughput per row over that row's count.
    n = np.where(np.arange(len(df)) < 200, 3, 6)
    df2 = synthetic(truths={"cpu": TRUTHS["cpu"]})
    df2["rps"] = df2["rps"] * n
    df2["n"] = n
    r2 = fit_frame(tmp_path, df2, ["cpu"], instances_column="n", warm_up_seconds=1800)
    assert r2.fit("cpu").slope == pytest.approx(TRUTHS["cpu"][1], rel=0.03)
    warm = [e for e in r2.excluded if e.rule == "instance-count warm-up"]
    assert len(warm) == 6  # 30 minutes at a 5-minute step after the one change
    assert warm[0].time == pd.Timestamp("2024-03-01 16:40", tz="UTC").isoformat()


def test_usl_shaped_resource_is_flagged_non_linear(tmp_path):
    from capplan.usl import USL

    m = USL(sigma=0.05, kappa=0.002, lambda_=10.0)  # X(N*) = 163.6 req/s at N* = 21.8
    rng = np.random.default_rng(5)
    n = 400
    x = rng.uniform(10, 0.97 * m.x_max, n)
    busy = np.array([m.concurrency_at_throughput(v) for v in x]) / m.n_star  # convex in x
    df = pd.DataFrame({"timestamp": pd.date_range("2024-03-01", periods=n, freq="1min"),
                       "rps": x, "threads": 100 * np.clip(busy + rng.normal(0, 0.01, n), 0, 1),
                       "cpu": 100 * (0.1 + 0.003 * x + rng.normal(0, 0.01, n))})
    r = fit_frame(tmp_path, df, ["threads", "cpu"])
    curved = r.fit("threads")
    assert not curved.linear and curved.curvature == "convex"
    # the straight line overstates capacity, so the limit used is the quadratic's
    assert curved.limit_method == "quadratic" and curved.limit == curved.limit_quadratic
    assert curved.limit_quadratic < curved.limit_line
    assert any("overstates capacity" in w for w in curved.warnings)
    assert r.fit("cpu").linear
    assert curved.outliers == ()  # the bend near saturation is not set aside as outliers


def test_intervals_cover_the_true_limit_near_nominal():
    """200 seeded replicates, independent noise: coverage of the 95% interval (binomial sd 1.5%).
    bench/resources_coverage.py prints the table for more cases (autocorrelated noise too)."""
    rng = np.random.default_rng(20240301)
    a, b, n = 0.1, 0.002, 60
    true_limit = (0.6 - a) / b
    times = pd.date_range("2024-03-01", periods=n, freq="5min", tz="UTC")
    hits = 0
    for _ in range(200):
        x = 100 + 60 * np.sin(2 * np.pi * np.arange(n) / 20) + rng.normal(0, 10, n)
        y = a + b * x + rng.normal(0, 0.03, n)
        f = fit_resource("cpu", "synthetic", x, y, times, 0.6)
        hits += f.limit_low <= true_limit <= f.limit_high
    assert 0.91 <= hits / 200 <= 0.99


def test_exclusions_are_listed_with_their_rules(tmp_path):
    df = synthetic(truths={"cpu": TRUTHS["cpu"]}, n=300)
    deploy = pd.Timestamp("2024-03-01 10:00")
    warm = (df["timestamp"] >= deploy) & (df["timestamp"] < deploy + pd.Timedelta("10min"))
    df.loc[warm, "cpu"] = 95.0  # warm-up: JIT and cold caches
    df.loc[[250], "cpu"] = 99.0  # one wild sample
    window = (pd.Timestamp("2024-03-01 15:00", tz="UTC"), pd.Timestamp("2024-03-01 15:30", tz="UTC"))
    r = fit_frame(tmp_path, df, ["cpu"], deploys=[deploy.tz_localize("UTC")], windows=[window])
    rules = [e.rule for e in r.excluded]
    assert rules.count("deploy warm-up") == 2 and rules.count("window") == 7
    f = r.fit("cpu")
    wild = df["timestamp"][250].tz_localize("UTC").isoformat()
    assert wild in [e.time for e in f.outliers]
    assert all(e.rule == "outlier" and "robust SDs" in e.detail for e in f.outliers)
    assert f.points_used == 300 - 2 - 7 - len(f.outliers)
    assert f.slope == pytest.approx(TRUTHS["cpu"][1], rel=0.03)


def test_percent_and_fraction_give_the_same_fit(tmp_path):
    df = synthetic(truths={"cpu": TRUTHS["cpu"]})
    as_pct = fit_frame(tmp_path, df, ["cpu"]).fit("cpu")
    df["cpu"] = df["cpu"] / 100
    as_frac = fit_frame(tmp_path, df, ["cpu"]).fit("cpu")
    assert as_frac.unit_read == "fraction" and as_pct.unit_read == "percent"
    assert as_frac.slope == pytest.approx(as_pct.slope, rel=1e-9)
    assert as_frac.limit == pytest.approx(as_pct.limit, rel=1e-9)


def test_utilization_units_and_their_errors():
    t = pd.date_range("2024-01-01", periods=4, freq="min", tz="UTC")
    assert utilization_fraction(np.array([10, 50, 80, 99.5]), "auto", "f", t)[1] == "percent"
    assert utilization_fraction(np.array([0.1, 0.5, 0.8, 1.0]), "auto", "f", t)[1] == "fraction"
    assert utilization_fraction(np.array([0.1, 0.5]), "percent", "f", t)[0][1] == 0.005
    with pytest.raises(CapplanError, match="at most 100%"):
        utilization_fraction(np.array([10, 50, 130, 90]), "auto", "cpu.csv column 'c'", t)
    with pytest.raises(CapplanError, match="utilization-unit"):
        utilization_fraction(np.array([0.2] * 30 + [1.02]), "auto", "f",
                             pd.date_range("2024-01-01", periods=31, freq="min", tz="UTC"))
    with pytest.raises(CapplanError, match="over 1"):
        utilization_fraction(np.array([0.2, 1.2]), "fraction", "f", t)


def test_limit_for_plan_matches_the_capacity_model():
    from capplan.capacity import build_capacity

    r = oracledb_fit("txn_rate")
    cpu = r.fit("cpu")
    pl = limit_for_plan(r)
    # The plan multiplies its limit by the target: that must give the fitted rate at the target.
    model = build_capacity(planning_peak=20.0, per_instance=pl.limit, target_utilization=0.6,
                           per_instance_source=pl.source)
    assert model.usable_per_instance == pytest.approx(cpu.limit, rel=1e-12)
    assert pl.limit_low * 0.6 == pytest.approx(cpu.limit_low) and pl.limit_high * 0.6 == \
        pytest.approx(cpu.limit_high)
    assert f"cpu binds at {cpu.limit:,.4g} req/s per instance at 60% utilization" in pl.source
    # The plan's 100% (limit / target) is not where the fitted line reaches 100%: both are
    # stated, the line's as (1 - a) / b.
    assert f"{cpu.limit / 0.6:,.4g} req/s at 100% under linear scaling" in pl.source
    assert f"the fitted line itself reaches 100% at {(1 - cpu.intercept) / cpu.slope:,.4g} " \
        "req/s" in pl.source
    # Another target: recomputed from the same line, (0.7 - a) / b.
    pl7 = limit_for_plan(r, 0.7)
    assert pl7.limit * 0.7 == pytest.approx((0.7 - cpu.intercept) / cpu.slope, rel=1e-12)


def test_limit_for_plan_refuses_what_cannot_be_planned():
    times = pd.date_range("2024-03-01", periods=50, freq="5min", tz="UTC")
    rng = np.random.default_rng(1)
    x = rng.uniform(10, 100, 50)
    flat = fit_resource("mem", "m", x, 0.4 - 0.001 * x + rng.normal(0, 0.01, 50), times, 0.6)
    assert flat.limit is None
    from capplan.resources import CapacityFromMetrics

    r = CapacityFromMetrics((flat,), None, 0.6, "", 50, times[0], times[-1], 300.0, (), None,
                            None, ())
    with pytest.raises(CapplanError, match="rises with throughput"):
        limit_for_plan(r)


def test_spec_and_time_parsing(tmp_path):
    f = tmp_path / "cpu.csv"
    f.write_text("timestamp,value\n")
    assert parse_spec("cpu=cpu_util", "--resource", "m.csv") == MetricSpec("cpu", "cpu_util", "m.csv")
    assert parse_spec("cpu=c=other.csv", "--resource", "m.csv") == MetricSpec("cpu", "c", "other.csv")
    assert parse_spec(f"cpu={f}", "--resource", "m.csv") == MetricSpec("cpu", None, str(f))
    assert parse_spec("txn", "--throughput", "m.csv", role="throughput").column == "txn"
    for bad in ("", "cpu=", "a=b=c=d", "throughput=x"):
        with pytest.raises(CapplanError):
            parse_spec(bad, "--resource", "m.csv")
    t = parse_instant("2024-05-01T14:30", "--deploy", "Europe/Berlin")
    assert t == pd.Timestamp("2024-05-01 12:30", tz="UTC")
    assert parse_window("2024-05-01T14:00/2024-05-01T15:00", "--exclude")[1].hour == 15
    for bad in ("yesterday", "2024-05-01T15:00/2024-05-01T14:00", "9999-01-01"):
        with pytest.raises(CapplanError):
            (parse_window if "/" in bad else parse_instant)(bad, "--exclude")


def test_figure_draws_the_fitted_numbers():
    from capplan.outputs.resources_out import resource_figure, resources_figures

    r = oracledb_fit("txn_rate")
    f = r.fit("cpu")
    fig = resource_figure(f, binding=True)
    by_name = {t.name: t for t in fig.data}
    line = by_name["robust line (Huber)"]
    assert np.allclose(np.asarray(line.y), 100 * (f.intercept + f.slope * np.asarray(line.x)))
    (limit,) = [t for t in fig.data if (t.name or "").startswith("limit ")]
    assert limit.x[0] == f.limit and limit.y[0] == pytest.approx(60)
    assert limit.error_x.array[0] == pytest.approx(f.limit_high - f.limit)
    assert limit.error_x.arrayminus[0] == pytest.approx(f.limit - f.limit_low)
    resid = by_name["residual"]
    assert np.allclose(np.asarray(resid.y), 100 * (f.y - f.intercept - f.slope * f.x))
    assert "BINDING" in fig.layout.title.text and f"{f.limit:,.4g}" in fig.layout.title.text
    assert list(resources_figures(r)) == ["resource-cpu"]


def test_counter_throughput_becomes_a_rate_before_the_fit(tmp_path):
    df = synthetic(truths={"cpu": TRUTHS["cpu"]}, n=200)
    direct = fit_frame(tmp_path, df.iloc[1:], ["cpu"]).fit("cpu")
    # A counter of requests served, sampled every 5 minutes: (c(t) - c(t - 5 min)) / 300 s is
    # the rate over the interval ending at t, here exactly the rps of row t.
    df["rps"] = np.cumsum(df["rps"].to_numpy() * 300.0)
    p = tmp_path / "m.csv"
    df.to_csv(p, index=False)
    table = read_metrics(MetricSpec("throughput", "rps", str(p)), [MetricSpec("cpu", "cpu", str(p))],
                         counter=True)
    assert len(table.frame) == 199  # the counter's first sample has no rate
    f = fit_resources(table).fit("cpu")
    assert f.slope == pytest.approx(direct.slope, rel=1e-6)
    assert f.limit == pytest.approx(direct.limit, rel=1e-6)


def test_outlook_headroom_today_and_the_month_each_resource_crosses():
    from capplan.resources import outlook

    r = oracledb_fit("txn_rate")
    cpu = r.fit("cpu")
    L = cpu.limit
    peaks = [(1, 1.6 * L), (2, 1.98 * L), (3, 2.02 * L), (4, 2.2 * L)]
    (row,) = outlook(r, planning_peak=10.0, instances=2, month_peaks=peaks)
    assert row.per_instance_peak == 5.0
    assert row.utilization_today == pytest.approx(cpu.intercept + cpu.slope * 5.0)
    assert row.headroom_today == pytest.approx(L / 5.0)
    # Per instance on 2: 0.99 L in month 2 is under the limit, 1.01 L in month 3 is over.
    assert row.crosses_target_month == 3
    assert outlook(r, 10.0, 2, [(1, 1.6 * L)])[0].crosses_target_month is None
