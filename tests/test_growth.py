"""Growth: synthetic series of known growth, MASE and coverage by hand, determinism, edge cases."""
import math

import numpy as np
import pandas as pd
import pytest

from capplan.errors import CapplanError
from capplan.growth import (DAYS_PER_MONTH, backtest, coverage, forecast_peaks, mase,
                            window_peak)


def daily(values, start="2025-01-01"):
    return pd.Series(np.asarray(values, float), index=pd.date_range(start, periods=len(values)))


def test_mase_by_hand():
    # Train 1,2,4,3,5 with season 1: in-sample naive MAE = (1+2+1+2)/4 = 1.5.
    # Forecast 5,5 against actual 6,4: MAE = 1 -> MASE = 1 / 1.5.
    assert mase([6, 4], [5, 5], [1, 2, 4, 3, 5], 1) == pytest.approx(2 / 3)
    # Season 2: in-sample MAE of y[t] - y[t-2] = (|4-1| + |3-2| + |5-4|)/3 = 5/3.
    assert mase([6, 4], [5, 5], [1, 2, 4, 3, 5], 2) == pytest.approx(1 / (5 / 3))


def test_coverage_by_hand():
    # Five points, interval [2, 4]: 1 out, 2 in, 3 in, 4 in, 5 out -> 3/5.
    assert coverage([1, 2, 3, 4, 5], [2] * 5, [4] * 5) == pytest.approx(0.6)


def test_compound_growth_recovered():
    rng = np.random.default_rng(11)
    t = np.arange(240)
    g = 0.05  # 5% a month
    y = 1000 * (1 + g) ** (t / DAYS_PER_MONTH) * np.exp(rng.normal(0, 0.02, t.size))
    fc = forecast_peaks(daily(y), 3)
    assert fc.monthly_growth == pytest.approx(g, abs=0.01)
    assert fc.model in ("compound", "combination", "linear trend", "damped trend")


def test_linear_trend_with_weekly_season():
    rng = np.random.default_rng(12)
    t = np.arange(200)
    weekly = np.array([1.0, 1.0, 1.0, 1.0, 1.15, 0.8, 0.8])
    level = 500 + 5 * t  # +5 a day
    y = level * weekly[t % 7] * np.exp(rng.normal(0, 0.01, t.size))
    fc = forecast_peaks(daily(y), 2)
    # Local monthly growth at the end of the history: 5 x 30.44 / 1495 = 10.2% a month; a
    # straight line's compound rate falls over the horizon, so allow 7-11%.
    assert 0.07 <= fc.monthly_growth <= 0.11
    # Models that carry a weekly season (damped trend via its classical weekly index).
    assert fc.model in ("holt-winters", "combination", "damped trend")
    # The weekly shape survives in the forecast path: 2025-01-01 is a Wednesday, so the 1.15 day
    # (t % 7 == 4) is a Sunday and the 0.8 days are Monday and Tuesday.
    path = fc.path.assign(dow=pd.to_datetime(fc.path["date"]).dt.day_of_week)
    by_dow = path.groupby("dow")["nominal"].mean()
    assert by_dow[6] > by_dow[0] * 1.2


def test_logistic_saturation_offered_and_bounded():
    t = np.arange(300)
    K = 10_000
    y = K / (1 + np.exp(-0.03 * (t - 100)))
    fc = forecast_peaks(daily(y), 3)
    names = [b.model for b in fc.backtest]
    assert "logistic" in names
    # Saturated: growth under 1% a month and no path far above K.
    assert fc.monthly_growth < 0.01
    assert fc.path["nominal"].max() < 1.05 * K


def test_same_input_same_numbers():
    rng = np.random.default_rng(3)
    y = 100 + rng.normal(0, 5, 120)
    a, b = forecast_peaks(daily(y), 2), forecast_peaks(daily(y), 2)
    assert np.array_equal(a.nominal_paths, b.nominal_paths)
    assert a.path.equals(b.path) and window_peak(a, 30) == window_peak(b, 30)


def test_short_constant_and_zero_series():
    short = forecast_peaks(daily([100, 104, 98, 110, 105, 103, 99, 108, 111, 102]), 2)
    assert short.model == "compound" and "too little history" in short.chosen_because
    assert np.isfinite(short.nominal_paths).all()
    flat = forecast_peaks(daily([50.0] * 30), 2)
    assert flat.monthly_growth == pytest.approx(0, abs=1e-12)
    assert window_peak(flat, 30) == pytest.approx((50.0, 50.0))
    with pytest.raises(CapplanError, match="zero"):
        forecast_peaks(daily([0.0] * 30), 2)
    one = forecast_peaks(daily([42.0]), 1)
    assert window_peak(one, 30)[0] == pytest.approx(42.0, rel=0.01)


def test_worst_case_covers_and_is_not_below_nominal():
    rng = np.random.default_rng(5)
    t = np.arange(150)
    y = 1000 * np.exp(0.002 * t + rng.normal(0, 0.05, t.size))
    fc = forecast_peaks(daily(y), 1)
    nominal, worst = window_peak(fc, 30)
    assert worst > nominal > y[-30:].mean()
    # Non-negative, and capped: nothing above 10x the history's max.
    assert (fc.nominal_paths >= 0).all() and fc.nominal_paths.max() <= 10 * y.max()


def test_backtest_table_has_every_candidate():
    rng = np.random.default_rng(9)
    y = np.log(200 + rng.normal(0, 10, 90))
    res = backtest(y, ["seasonal naive", "compound", "combination"], 7, 14)
    assert set(res) == {"seasonal naive", "compound", "combination"}
    for r in res.values():
        assert r.score.origins >= 4 and 0 <= r.score.coverage_95 <= 1


def test_change_point_found_and_named():
    rng = np.random.default_rng(2)
    y = np.r_[np.full(150, 100.0), np.full(90, 180.0)] * np.exp(rng.normal(0, 0.02, 240))
    fc = forecast_peaks(daily(y), 2)
    assert fc.change_point is not None
    assert abs((pd.Timestamp(fc.change_point.date) - pd.Timestamp("2025-05-31")).days) <= 10
    assert any("break" in a for a in fc.assumptions)


def test_recurring_yearly_peak_reported():
    from capplan.growth import find_recurring_peaks

    rng = np.random.default_rng(4)
    idx = pd.date_range("2022-01-01", "2024-12-31", freq="D")
    y = pd.Series(100 * np.exp(rng.normal(0, 0.03, idx.size)), index=idx)
    for year in (2022, 2023, 2024):
        y[f"{year}-11-25"] = 250.0  # a yearly sale
    found = find_recurring_peaks(y)
    assert len(found) == 1 and "3 years" in found[0] and "2022-11-25" in found[0]
    fc = forecast_peaks(y, 2)
    assert fc.recurring_peaks == found


def test_trend_not_extrapolated_past_the_history():
    # 20 days falling 10% a day: after 20 forecast days the level is held (its last week repeats,
    # weekly season) instead of being driven on towards zero.
    y = 1000 * 0.9 ** np.arange(20)
    fc = forecast_peaks(daily(y), 3)
    path = fc.path["nominal"].to_numpy()
    assert np.allclose(path[20:], path[13:len(path) - 7])
    assert path[-1] >= path[13:20].min() * 0.999
    assert any("no further than the history" in a for a in fc.assumptions)
