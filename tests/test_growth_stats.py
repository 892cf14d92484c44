"""Every statistic of the growth stage's accuracy table, on small examples worked by hand."""
import math

import numpy as np
import pytest

from capplan.growth import conformal_quantile, coverage, mase, window_max
from capplan.growth.calibration import _column_stats, calibrate, history_spread


def test_mase_by_hand():
    # Train 1,2,4,3,5 with season 1: in-sample naive MAE = (1+2+1+2)/4 = 1.5.
    # Forecast 5,5 against actual 6,4: MAE = 1 -> MASE = 1 / 1.5.
    assert mase([6, 4], [5, 5], [1, 2, 4, 3, 5], 1) == pytest.approx(2 / 3)
    # Season 2: in-sample MAE of y[t] - y[t-2] = (|4-1| + |3-2| + |5-4|)/3 = 5/3.
    assert mase([6, 4], [5, 5], [1, 2, 4, 3, 5], 2) == pytest.approx(1 / (5 / 3))


def test_coverage_by_hand():
    # Five points, interval [2, 4]: 1 out, 2 in, 3 in, 4 in, 5 out -> 3/5.
    assert coverage([1, 2, 3, 4, 5], [2] * 5, [4] * 5) == pytest.approx(0.6)


def test_conformal_quantile_by_hand():
    # 19 scores 1..19 at q = 0.95: rank ceil(20 x 0.95) = 19 -> the largest, 19.
    assert conformal_quantile(np.arange(1, 20), 0.95) == 19
    # 39 scores: rank ceil(40 x 0.95) = 38 -> 38 (of 1..39); order does not matter.
    assert conformal_quantile(np.arange(39, 0, -1), 0.95) == 38
    # At q = 0.8 with 9 scores 10, 20, ..., 90: rank ceil(10 x 0.8) = 8 -> 80.
    assert conformal_quantile(np.arange(10, 100, 10), 0.8) == 80
    # 18 scores are too few for 95% (rank 19 > 18): no conformal quantile; NaN ignored.
    assert conformal_quantile(np.r_[np.arange(18), np.nan], 0.95) is None


def test_column_stats_agree_with_the_scalar_statistics():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(40, 5))
    a[rng.random(a.shape) < 0.3] = np.nan
    med, q, cnt = _column_stats(a, 0.9)
    for j in range(a.shape[1]):
        col = a[:, j][np.isfinite(a[:, j])]
        assert med[j] == pytest.approx(np.median(col))
        expect = conformal_quantile(col, 0.9)
        assert (np.isnan(q[j]) if expect is None else q[j] == pytest.approx(expect))
        assert cnt[j] == col.size


def test_window_max_by_hand():
    # Window 3 over 1, 5, 2, 0, 4, 3: the max of the last three steps (fewer at the start).
    got = window_max([[1, 5, 2, 0, 4, 3]], 3)[0]
    assert got.tolist() == [1, 5, 5, 5, 4, 4]
    # NaN is skipped; a window of NaN only stays NaN.
    got = window_max([[np.nan, np.nan, 2, np.nan]], 2)[0]
    assert np.isnan(got[0]) and np.isnan(got[1]) and got[2:].tolist() == [2, 2]


def test_calibration_offsets_by_hand():
    # One horizon, 19 origins: forecast window peak log 0, actual log peaks 0.01 .. 0.19.
    # Nominal offset: the median score 0.10; worst (q 0.95): the 19th smallest, 0.19.
    actual = (np.arange(1, 20) / 100)[:, None]
    forecast = np.zeros((19, 1))
    cal, at = calibrate(forecast, actual, actual, (0.95,), 0.0, 0, 1)[0.95]
    m, u = at(np.array([1]))
    assert m[0] == pytest.approx(0.10) and u[0] == pytest.approx(0.19)
    assert cal.horizons == 1 and cal.origins == 19


def test_parametric_bound_by_hand():
    # Three scores 0, 0.1, 0.2 at one horizon (too few for a conformal 95%): Student-t with
    # df = max(3 - 1, floor_n - 1) = 2, sd 0.1, centre 0.1:
    # 0.1 + t(0.95, 2) x 0.1 x sqrt(1 + 1/3) = 0.1 + 2.919986 x 0.1 x 1.154701.
    actual = np.array([[0.0], [0.1], [0.2]])
    _, at = calibrate(np.zeros((3, 1)), actual, actual, (0.95,), 0.0, 0, 1)[0.95]
    assert at(np.array([1]))[1][0] == pytest.approx(0.1 + 2.919986 * 0.1 * math.sqrt(4 / 3), rel=1e-5)


def test_history_spread_by_hand():
    # Lag-1 log differences 0.1, -0.1, 0.1, -0.1, 0.3: median 0.1, |d - 0.1| = 0, .2, 0, .2, .2 ->
    # MAD 0.2 -> 1.4826 x 0.2.
    y = np.cumsum([0, 0.1, -0.1, 0.1, -0.1, 0.3])
    sd, n = history_spread(y, 1)
    assert sd == pytest.approx(1.4826 * 0.2) and n == 5


def test_the_choice_says_when_the_rule_not_the_backtest_chose():
    """A user trial read "MASE 0.281 against the best single model's 0.215" as the combination
    having won: when a single model scored lower, the words say the rule chose."""
    from capplan.growth.backtest import choose

    name, why = choose({"combination": 0.281, "ses with drift": 0.215, "damped trend": 0.3})
    assert name == "combination"
    assert "by rule" in why and "ses with drift scored a lower backtest MASE (0.215 against the " \
        "combination's 0.281)" in why
    name, why = choose({"combination": 0.791, "ses with drift": 0.8})
    assert name == "combination" and "by rule" not in why
    assert "0.791, at least as good as the best single model's 0.800 (ses with drift)" in why


def test_without_a_backtest_the_worst_case_is_the_stated_margin_by_hand():
    """Under eight days no backtest origin exists. The worst offset is log(1.5) at q = 0.95 (the
    stated +50%), scaled by the normal quantile for another q, unless the history's own
    day-to-day spread is wider (z sd sqrt 2); flat over the grid, then u sqrt(k / grid)."""
    import math

    import numpy as np
    from scipy.special import ndtri

    from capplan.growth.calibration import calibrate

    empty = np.full((1, 61), np.nan)
    cal = calibrate(empty, empty, empty, (0.95, 0.8), 0.01, 3, 1)
    c95, at95 = cal[0.95]
    assert c95.worst_offset == pytest.approx(np.full(61, math.log(1.5)))
    assert "stated margin of +50%" in c95.method
    _, wo = at95(np.array([1, 61, 244]))
    assert wo == pytest.approx(math.log(1.5) * np.sqrt(np.array([61, 61, 244]) / 61))
    assert cal[0.8][0].worst_offset[0] == pytest.approx(math.log(1.5) * ndtri(0.8) / ndtri(0.95))
    wide = calibrate(empty, empty, empty, (0.95,), 0.5, 3, 1)[0.95][0]
    assert wide.worst_offset[0] == pytest.approx(ndtri(0.95) * 0.5 * math.sqrt(2))


@pytest.mark.parametrize("sigma", [0.0, 0.005, 0.02])
def test_level_drift_is_the_random_walk_it_was_made_of(sigma):
    """Daily log peaks = a random walk of step sd sigma + day-to-day noise of sd 0.15 (which
    reverts): the drift estimate recovers sigma (within 30%, or under 0.004 when there is none),
    not the noise, which used to set the long-horizon widening (TfL cycle hires: the worst case
    at the 3x cap from month 15 of a 24-month plan)."""
    from capplan.growth.calibration import level_drift_sd

    rng = np.random.default_rng(11)
    n = 4000
    y = np.cumsum(rng.normal(0, sigma, n)) + rng.normal(0, 0.15, n)
    got = level_drift_sd(y, 28, 61, 365)
    if sigma == 0:
        assert got < 0.004  # the noise-based widening it replaces: 0.15 / sqrt(7) = 0.057
    else:
        assert got == pytest.approx(sigma, rel=0.3)
    assert level_drift_sd(y[:1000], 28, 61, 365) is None  # under three long lags


def test_a_flat_grid_to_rounding_widens_by_the_history_spread_by_hand():
    """Scores equal at every horizon: the worst offset is flat on the grid, whose fitted slope
    is then zero only to rounding (1e-17). It used to count as growth measured (the worst case
    held flat for months past 13 days of ELB history); it now falls back to the seasonal-naive
    spread a season: slope = floor_sd / sqrt(season)."""
    import math

    import numpy as np

    from capplan.growth.calibration import calibrate

    actual = np.full((40, 10), 0.4)  # every score 0.4: polyfit's slope on it is +2e-18
    cal, at = calibrate(np.zeros((40, 10)), actual, actual, (0.95,), 0.07, 30, 7)[0.95]
    assert np.all(cal.worst_offset == 0.4)
    _, wo = at(np.array([10, 40]))
    assert wo[1] - wo[0] == pytest.approx(0.07 / math.sqrt(7) * (math.sqrt(40) - math.sqrt(10)))


def test_a_coverage_well_short_of_the_quantile_is_said():
    from capplan.growth.backtest import coverage_words

    assert coverage_words(None, 0.95) == ""
    assert coverage_words(0.93, 0.95) == ", 93% covered out of sample"  # within 10 points
    assert coverage_words(0.68, 0.95) == (", 68% covered out of sample (short of the 95% aimed "
                                          "at: the worst case may be too low)")
