"""USL against published fits (../shared/data/README.md section 4) and queueing by hand."""
import math

import numpy as np
import pytest

from capplan.errors import CapplanError
from capplan.queueing import MMc, erlang_c, littles_law, max_rate_for_slo, worksheet
from capplan.usl import USL, fit_usl, read_load_test
from conftest import data

REL = 1e-3  # 0.1% relative


def fit_file(name, nc=None, xc=None):
    return fit_usl(*read_load_test(str(data(f"usl/{name}")), nc, xc))


def test_specsdm91_matches_r_usl_nls():
    # R usl 3.0.3 method "nls": alpha 0.0277285, beta 0.0001044, gamma 89.9952384; peak 96.52,
    # throughput at peak 1884 (V3 section 4.2 pp. 10, 12); limit 3245.589 (tests/limit-scalability).
    m = fit_file("specsdm91.csv").model
    assert m.sigma == pytest.approx(0.0277285, rel=REL)
    assert m.kappa == pytest.approx(0.0001044, rel=REL)
    assert m.lambda_ == pytest.approx(89.9952384, rel=REL)
    assert m.n_star == pytest.approx(96.51956, rel=REL)
    assert m.x_max == pytest.approx(1884, rel=REL)
    assert m.amdahl_ceiling == pytest.approx(3245.589, rel=REL)


def test_specsdm91_standard_errors_and_residuals_match_r():
    f = fit_file("specsdm91.csv")
    # R: SE 0.0091217, 0.0000199, 14.2134906; residual standard error 82.85 on 4 df.
    assert f.stderr["sigma"] == pytest.approx(0.0091217, rel=5e-3)
    assert f.stderr["kappa"] == pytest.approx(1.988e-05, rel=5e-3)
    assert f.stderr["lambda"] == pytest.approx(14.2134906, rel=5e-3)
    assert f.residual_se == pytest.approx(82.85, rel=1e-3)
    # tests/residuals.Rout.save: -25.10 -81.66 111.09 3.05 -49.99 -46.60 56.00 (x - fitted).
    assert np.allclose(np.array(f.residuals), [-25.10, -81.66, 111.09, 3.05, -49.99, -46.60, 56.00],
                       atol=0.02)
    # Interval: estimate +- t(0.975, 4) SE.
    lo, hi = f.ci["sigma"]
    assert hi - f.model.sigma == pytest.approx(2.776445 * f.stderr["sigma"], rel=1e-6)


def test_codahale_example_matches_go_usl():
    # codahale/usl README: sigma 0.0277299, kappa 0.000104343, lambda 89.9878; 1883.76 at 96.
    m = fit_file("codahale_usl_example.csv").model
    assert m.sigma == pytest.approx(0.0277299, rel=REL)
    assert m.kappa == pytest.approx(0.000104343, rel=REL)
    assert m.lambda_ == pytest.approx(89.9878, rel=REL)
    assert m.throughput(96) == pytest.approx(1883.76, rel=REL)
    # usl_test.go: X(1) 89.987785, X(2) 175.083978, X(3) 255.626353.
    for n, x in ((1, 89.987785), (2, 175.083978), (3, 255.626353)):
        assert m.throughput(n) == pytest.approx(x, rel=REL)


def test_raytracer_kappa_on_bound_reported():
    f = fit_file("raytracer.csv")
    # R usl 3.0.3 default: alpha 0.057771, beta 0 (on its bound), gamma 21.848843; limit 378.
    assert f.model.sigma == pytest.approx(0.057771, rel=REL)
    assert f.model.kappa == 0.0
    assert f.model.lambda_ == pytest.approx(21.848843, rel=REL)
    assert f.model.n_star is None
    assert f.model.amdahl_ceiling == pytest.approx(378.2, rel=REL)
    assert any("kappa is on its lower bound" in w for w in f.warnings)
    # predict() at 96 and 128 processors: 323.3, 335.5 (V3 p. 8).
    assert f.model.throughput(96) == pytest.approx(323.3, abs=0.06)
    assert f.model.throughput(128) == pytest.approx(335.5, abs=0.06)


def test_oracledb_matches_r_usl():
    m = fit_file("oracledb.csv", "db_time", "txn_rate").model
    # R usl 3.0.3: alpha 0.4414, beta 0.0453, gamma 3.3861; peak.scalability 3.512 (4 figures).
    assert m.sigma == pytest.approx(0.4414, rel=2e-4)
    assert m.kappa == pytest.approx(0.0453, rel=2e-3)
    assert m.lambda_ == pytest.approx(3.3861, rel=1e-4)
    assert m.n_star == pytest.approx(3.512, rel=2e-4)


def test_synthetic_recovers_coefficients_within_intervals():
    true = USL(0.04, 0.0005, 120.0)
    rng = np.random.default_rng(7)
    n = np.array([1, 2, 4, 8, 12, 16, 24, 32, 40, 48, 64], float)
    x = np.array([true.throughput(v) for v in n]) * (1 + rng.normal(0, 0.01, n.size))
    f = fit_usl(n, x)
    for name, v in (("sigma", 0.04), ("kappa", 0.0005), ("lambda", 120.0)):
        lo, hi = f.ci[name]
        assert lo <= v <= hi, name


def test_little_law_relations_by_hand():
    m = USL(0.1, 0.01, 100)
    # N = X R at every N.
    for n in (1, 5, 9.5):
        assert n == pytest.approx(m.throughput(n) * m.latency(n))
    # R(1) = 1/lambda; X at that latency is lambda.
    assert m.throughput_at_latency(0.01) == pytest.approx(100)
    # Round trips: N(X(N)) = N before the peak; X(R(N)) = X(N).
    assert m.concurrency_at_throughput(m.throughput(4)) == pytest.approx(4)
    assert m.throughput_at_latency(m.latency(6)) == pytest.approx(m.throughput(6))
    # N* = sqrt(0.9 / 0.01) = 9.4868.
    assert m.n_star == pytest.approx(math.sqrt(90))
    assert m.instances_for(m.x_max * 1.001) is None


def test_bad_load_tests(tmp_path):
    cases = {
        "few.csv": "concurrency,throughput\n1,10\n2,19\n4,35\n",
        "neg.csv": "concurrency,throughput\n0,1\n1,10\n2,19\n4,35\n8,60\n16,80\n",
        "flat.csv": "concurrency,throughput\n1,5\n2,5\n4,5\n8,5\n16,5\n32,5\n",
        "nocol.csv": "alpha,beta\n1,10\n2,19\n4,35\n8,60\n16,80\n32,90\n",
    }
    for name, text in cases.items():
        p = tmp_path / name
        p.write_text(text)
        with pytest.raises(CapplanError) as e:
            fit_usl(*read_load_test(str(p)))
        assert "\n" not in str(e.value)


# ---- queueing ------------------------------------------------------------------------------

def test_erlang_c_textbook():
    # Offered load a = 2 Erlangs on c = 3 servers: C = (8/6 x 3) / (1 + 2 + 2 + 4) = 4/9.
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    # Call-centre example (Wikipedia "Erlang (unit)"/Erlang C): 10 Erlangs, 12 agents -> 0.4494.
    assert erlang_c(12, 10.0) == pytest.approx(0.4494, abs=1e-4)


def test_mm1_closed_forms():
    m = MMc(0.5, 1.0, 1)  # rho = 0.5
    assert m.wait_probability == pytest.approx(0.5)
    assert m.mean_wait == pytest.approx(1.0)  # rho / (mu - lambda)
    assert m.queue_length == pytest.approx(0.5)  # rho^2 / (1 - rho)
    # M/M/1 response time is exponential with rate mu - lambda: p99 = ln(100) / 0.5.
    assert m.response_quantile(0.99) == pytest.approx(math.log(100) / 0.5)
    assert m.wait_quantile(0.99) == pytest.approx(math.log(0.5 / 0.01) / 0.5)


def test_little_law():
    assert littles_law(1500, 0.05) == pytest.approx(75)


def test_max_rate_for_slo_mm1():
    # M/M/1: p99 response = ln(100) / (mu - lambda) <= slo -> lambda = mu - ln(100)/slo.
    assert max_rate_for_slo(0.01, 1, 0.1) == pytest.approx(100 - math.log(100) / 0.1, rel=1e-6)


def test_worksheet_words():
    w = worksheet(mean_rate=200, peak_rate=1500, service_time=0.05, instances=4,
                  target_utilization=0.6, servers_per_instance=30)
    assert w.in_flight_mean == pytest.approx(10) and w.in_flight_peak == pytest.approx(75)
    assert w.rate_limit_per_instance == pytest.approx(0.6 * 30 / 0.05)  # 360
    assert any("sheds 4%" in s for s in w.at_peak)  # (375 - 360) / 375
    over = worksheet(mean_rate=None, peak_rate=4000, service_time=0.05, instances=4,
                     target_utilization=0.6, servers_per_instance=30)
    assert any("grows without bound" in s for s in over.at_peak)


def test_a_rate_is_written_one_way_in_the_sentences():
    from capplan.numbers import rate

    # whole from 100, two decimals from 1, three significant digits below
    assert [rate(x) for x in (500.236, 555.818, 1234567.8, 55.5, 1.0, 0.12345)] == \
        ["500", "556", "1,234,568", "55.50", "1.00", "0.123"]
    # The worksheet of `capplan plan --peak 1500 --service-time 50ms --instances 4
    # --per-instance 600 --latency-slo 250ms`: M/M/c with 30 servers meets p99 <= 250 ms up to
    # max_rate_for_slo; the recommended limit is 90% of it. Each rate appears in one form, with
    # its unit, as the terminal's table writes it.
    slo_rate = max_rate_for_slo(0.05, 30, 0.25)
    w = worksheet(mean_rate=200, peak_rate=1500, service_time=0.05, instances=4,
                  target_utilization=0.6, servers_per_instance=30, latency_slo=0.25)
    text = " ".join(w.at_peak)
    assert f"p99 response stays within 250 ms up to {rate(slo_rate)} req/s" in text
    assert f"the latency objective {rate(0.9 * slo_rate)} req/s (with the rate limit's 10% " \
        "margin)" in text
    assert f"a rate limit of {rate(0.9 * slo_rate)} req/s" in text and rate(0.9 * slo_rate) == "500"
    assert "555.8" not in text and "500.2" not in text
