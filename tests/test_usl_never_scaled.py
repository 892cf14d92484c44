"""A load test whose throughput falls from its first step never scaled: the fit says so, the
limit is the measured peak (a demonstrated rate) and no interval leaves its coefficient's range."""
import json

import pytest

from capplan.usl import fit_usl, per_instance_limit
from conftest import run_cli

N = [1, 2, 4, 8, 16, 32]
FALLING = [100, 90, 80, 60, 40, 20]


def test_falling_test_warns_and_uses_the_measured_peak():
    fit = fit_usl(N, FALLING)
    assert fit.model.n_star < 1  # the curve's peak lies below the lowest measured N
    assert any("never scaled" in w and "below the lowest measured concurrency 1" in w
               for w in fit.warnings)
    limit, how = per_instance_limit(fit)
    assert limit == 100  # measured at N = 1, by eye from the data
    assert "100 req/s at N = 1" in how and "highest measured throughput" in how


def test_intervals_stay_in_the_coefficients_range():
    fit = fit_usl(N, FALLING)
    t3 = 3.182446305284263  # t(0.975, 3), tables
    lo, hi = fit.ci["sigma"]
    # sigma + t SE passes 1 here; the interval stops at the bound.
    assert fit.model.sigma + t3 * fit.stderr["sigma"] > 1
    assert hi == 1.0 and lo == pytest.approx(fit.model.sigma - t3 * fit.stderr["sigma"])
    for name, (low, high) in fit.ci.items():
        assert low >= 0 and (name == "lambda" or high <= 1)


def test_a_scaling_test_has_no_never_scaled_warning():
    # sigma 0.05, kappa 0.001, lambda 100 sampled exactly: N* = 30.8 inside the data.
    n = [1, 4, 8, 16, 32, 64]
    x = [100 * k / (1 + 0.05 * (k - 1) + 0.001 * k * (k - 1)) for k in n]
    fit = fit_usl(n, x)
    assert not any("never scaled" in w for w in fit.warnings)
    limit, _ = per_instance_limit(fit)
    assert limit == pytest.approx(fit.model.x_max)


def test_plan_with_a_falling_load_test_sizes_on_the_measured_peak(tmp_path):
    lt = tmp_path / "fall.csv"
    lt.write_text("load,throughput\n" + "".join(f"{n},{x}\n" for n, x in zip(N, FALLING)))
    code, so, se = run_cli("plan", "--peak", 1000, "--load-test", lt, "--growth", "0%",
                           "--target-utilization", 0.5, "--out", tmp_path / "p", "--no-report")
    assert code == 0, se
    plan = json.loads((tmp_path / "p" / "plan.json").read_text())
    c = plan["capacity"]
    assert c["per_instance_limit"] == 100
    assert c["usable_per_instance"] == pytest.approx(50)  # 100 x 0.5
    assert c["limit_source"].startswith("USL fit of the load test: the highest measured "
                                        "throughput, 100 req/s at N = 1")
    assert "never scaled" in c["limit_source"]
