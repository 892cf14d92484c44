"""Growth: synthetic series of known growth, level shift and spikes; the contract with the plan
(day 0 = the planning peak, month k independent of --months, worst >= nominal); determinism;
short, constant and degenerate histories; a stated rate."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capplan.errors import CapplanError
from capplan.growth import (DAYS_PER_MONTH, GRID_PER_MONTH, find_recurring_peaks, fixed_growth,
                            forecast_peaks, window_peak)

INPUTS = Path(__file__).resolve().parents[1] / "inputs"
WEEKLY = np.array([1.0, 1.0, 1.0, 1.0, 1.1, 0.85, 0.8])


def daily(values, start="2025-01-01"):
    return pd.Series(np.asarray(values, float), index=pd.date_range(start, periods=len(values)))


def month_max(path, m):
    return float(np.max(path[(m - 1) * GRID_PER_MONTH:m * GRID_PER_MONTH]))


def test_known_compound_growth_recovered():
    # 5% a month with a weekly shape and 3% noise: the fitted growth within 1 point, and the
    # nominal month-6 peak within 10% of the true window peak (the weekly top day, 1.1x).
    rng = np.random.default_rng(11)
    t = np.arange(365)
    g = 0.05
    y = 1000 * (1 + g) ** (t / DAYS_PER_MONTH) * WEEKLY[t % 7] * np.exp(rng.normal(0, 0.03, t.size))
    fc = forecast_peaks(daily(y), 6)
    assert fc.monthly_growth == pytest.approx(g, abs=0.01)
    true_m6 = 1000 * 1.1 * (1 + g) ** ((365 + 6 * DAYS_PER_MONTH) / DAYS_PER_MONTH)
    assert month_max(fc.nominal, 6) == pytest.approx(true_m6, rel=0.10)
    assert fc.change_point is None


def test_known_level_shift_named_and_the_path_starts_from_the_current_level():
    # 200 days at 1000, then 60 days at 1500 (+50%), 2% noise: the shift is named within 2 days
    # and within 10 points of +50%; after the old days leave the 28-day window, the nominal
    # sits at the new level (1500 x the window's top noise, under 1.1).
    rng = np.random.default_rng(2)
    y = np.r_[np.full(200, 1000.0), np.full(60, 1500.0)] * np.exp(rng.normal(0, 0.02, 260))
    fc = forecast_peaks(daily(y), 3)
    cp = fc.change_point
    assert cp is not None and cp.kind == "level"
    assert abs((pd.Timestamp(cp.date) - pd.Timestamp("2025-07-20")).days) <= 2
    assert cp.level_change == pytest.approx(0.5, abs=0.10)
    assert 1500 <= month_max(fc.nominal, 2) <= 1500 * 1.1
    assert any("level rise" in a for a in fc.assumptions)


def test_a_dip_that_recovers_is_not_a_level_shift():
    # A week at 50% (a holiday) three weeks before the end, then back to the old level.
    rng = np.random.default_rng(3)
    y = 1000 * np.exp(rng.normal(0, 0.03, 200))
    y[-28:-21] *= 0.5
    fc = forecast_peaks(daily(y), 2)
    assert fc.change_point is None


def test_recurring_spikes_stay_in_the_worst_case_and_a_one_off_stays_out():
    # Base 1000 (3% noise); a 2x spike every 14 days (recurring); one 5x spike 40 days before the
    # end (one-off: alone in its size). The worst case of month 1 covers the recurring 2x
    # (>= 1.9 x 1000) but not the one-off (< 3x); the nominal leaves both out (< 1.3 x 1000).
    rng = np.random.default_rng(4)
    y = 1000 * np.exp(rng.normal(0, 0.03, 180))
    y[5::14] *= 2.0
    y[-40] = 5000.0
    fc = forecast_peaks(daily(y), 2)
    kinds = {s.date: s.recurring for s in fc.spikes}
    one_off = str(pd.Timestamp("2025-01-01") + pd.Timedelta(days=140))[:10]
    assert kinds.pop(one_off) is False
    assert len(kinds) >= 10 and all(kinds.values())
    assert 1900 <= month_max(fc.worst_case, 1) < 3000
    assert month_max(fc.nominal, 1) < 1300


def test_worst_case_covers_the_window_peak_out_of_sample():
    # A stationary weekly series with lognormal noise: from 12 origins 11 days apart, the 28-day
    # window worst case covers the actual 28-day peak at >= 10 of them (95% nominal).
    rng = np.random.default_rng(5)
    t = np.arange(560)
    y = 1000 * WEEKLY[t % 7] * np.exp(rng.normal(0, 0.08, t.size))
    covered = []
    for o in range(400, 532, 11):
        fc = forecast_peaks(daily(y[:o]), 1)
        covered.append(window_peak(fc, 28)[1] >= y[o:o + 28].max())
    assert len(covered) == 12 and sum(covered) >= 10


def test_day_zero_is_the_planning_peak_and_month_one_never_depends_on_months():
    from capplan.capacity import build_capacity
    from capplan.pipeline import Settings, analyze

    _, load = analyze(str(INPUTS / "nyc_taxi.csv"), Settings())
    pp = load.planning_peak.value
    cap = build_capacity(planning_peak=pp, per_instance=1000.0, instances=None, utilization=None,
                         target_utilization=0.6, spare=0, zones=1)
    month1 = set()
    for months in (1, 3, 6, 12):
        fc = forecast_peaks(load.daily_peaks, months, planning_peak=pp)
        assert fc.path["nominal"].iloc[0] == pp
        assert fc.nominal[0] >= 0.99 * pp  # the planning peak's days are still in the window
        first = (fc.nominal[:GRID_PER_MONTH].tobytes(), fc.worst_case[:GRID_PER_MONTH].tobytes())
        month1.add((first, cap.instances_for(month_max(fc.nominal, 1)),
                    cap.instances_for(month_max(fc.worst_case, 1))))
    assert len(month1) == 1
    # Recomputed without being told, day 0 is the same planning peak.
    assert forecast_peaks(load.daily_peaks, 1).path["nominal"].iloc[0] == pp


def test_path_is_the_demand_paths():
    rng = np.random.default_rng(6)
    fc = forecast_peaks(daily(500 * np.exp(rng.normal(0, 0.05, 90))), 2)
    assert len(fc.path) == 1 + fc.grid_days.size
    assert np.array_equal(fc.path["nominal"].to_numpy()[1:], fc.nominal)
    assert np.array_equal(fc.path["worst_case"].to_numpy()[1:], fc.worst_case)
    assert fc.path["date"].is_monotonic_increasing and fc.path["date"].is_unique


def test_same_input_same_numbers():
    rng = np.random.default_rng(3)
    y = daily(100 + rng.normal(0, 5, 120))
    a, b = forecast_peaks(y, 2), forecast_peaks(y, 2)
    assert np.array_equal(a.nominal, b.nominal) and np.array_equal(a.worst_case, b.worst_case)
    assert a.path.equals(b.path) and a.assumptions == b.assumptions


@pytest.mark.parametrize("days", range(8, 15))
def test_short_histories_never_fail(days):
    rng = np.random.default_rng(days)
    fc = forecast_peaks(daily(300 * np.exp(rng.normal(0, 0.1, days))), 3)
    assert np.isfinite(fc.worst_case).all() and (fc.worst_case >= fc.nominal).all()
    assert (fc.worst_case > fc.nominal).any()  # an honest, non-zero interval
    if days < 14:
        assert "under two weeks" in fc.chosen_because or "too little" in fc.chosen_because


def test_constant_zero_and_one_point_series():
    flat = forecast_peaks(daily([50.0] * 30), 2)
    assert flat.monthly_growth == 0
    assert np.all(flat.nominal == 50.0) and np.all(flat.worst_case == 50.0)
    with pytest.raises(CapplanError, match="zero"):
        forecast_peaks(daily([0.0] * 30), 2)
    # Found by hypothesis: a fall to 1e-292 held at a tenth of the lowest peak, never zero.
    tiny = forecast_peaks(daily([1.0, 3.6118796367937686e-292]), 1)
    assert (tiny.nominal > 0).all() and (tiny.worst_case >= tiny.nominal).all()
    one = forecast_peaks(daily([42.0]), 1)
    assert one.nominal[0] == 42.0 and one.worst_case[-1] > 42.0
    with pytest.raises(CapplanError, match="--model"):
        forecast_peaks(daily([1.0, 2.0, 3.0] * 10), 1, model="prophet")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.floats(min_value=0.0, max_value=1e6, allow_nan=False), min_size=1, max_size=90),
       st.integers(min_value=1, max_value=14))
def test_property_worst_at_least_nominal_finite_positive(values, months):
    if not any(v > 0 for v in values):
        return
    fc = forecast_peaks(daily(values), months)
    for path in (fc.nominal, fc.worst_case):
        assert np.isfinite(path).all() and (path > 0).all()
    assert (fc.worst_case >= fc.nominal).all()
    assert fc.nominal.size == months * GRID_PER_MONTH


def test_recurring_yearly_peak_reported():
    rng = np.random.default_rng(4)
    idx = pd.date_range("2022-01-01", "2024-12-31", freq="D")
    y = pd.Series(100 * np.exp(rng.normal(0, 0.03, idx.size)), index=idx)
    for year in (2022, 2023, 2024):
        y[f"{year}-11-25"] = 250.0  # a yearly sale
    found = find_recurring_peaks(y)
    assert len(found) == 1 and "3 years" in found[0] and "2022-11-25" in found[0]
    fc = forecast_peaks(y, 2)
    assert fc.recurring_peaks == found
    assert all(s.recurring for s in fc.spikes if s.date.endswith("11-25"))


def test_trend_not_extrapolated_past_the_history():
    # 35 days falling 3% a day: after 35 forecast days the level is held (its last week repeats).
    y = 1000 * 0.97 ** np.arange(35)
    fc = forecast_peaks(daily(y), 4)
    held = fc.point[35:]
    assert np.allclose(held[7:], held[:-7])
    assert any("no further than the history" in a for a in fc.assumptions)


def test_stated_rate_worked_example_exact():
    # The course: 10,000 req/s growing 10% a month: month 5 = 16,105.1, month 12 = 31,384.28.
    fc = fixed_growth(pd.Timestamp("2026-01-01"), 10_000, 12, 0.10)
    assert month_max(fc.nominal, 5) == pytest.approx(10_000 * 1.1 ** 5, rel=1e-12)
    assert month_max(fc.nominal, 5) == pytest.approx(16_105.1, abs=0.01)
    assert month_max(fc.nominal, 12) == pytest.approx(31_384.28, abs=0.01)
    assert np.array_equal(fc.worst_case, fc.nominal)  # no history, no --worst-growth


def test_stated_rate_worst_case_from_the_series_own_spread():
    # A flat, noisy history with a stated 2%/month: the nominal stays the stated path exactly;
    # the worst case is wider (the series' spread around that rate) but never past 3x.
    rng = np.random.default_rng(8)
    hist = daily(1000 * WEEKLY[np.arange(200) % 7] * np.exp(rng.normal(0, 0.1, 200)))
    fc = fixed_growth(hist.index[-1], 1200.0, 6, 0.02, history=hist)
    grid = fc.grid_days
    assert np.allclose(fc.nominal, 1200.0 * 1.02 ** (grid / DAYS_PER_MONTH), rtol=1e-12)
    assert (fc.worst_case > fc.nominal).any()
    assert (fc.worst_case >= fc.nominal).all() and (fc.worst_case <= 3 * fc.nominal).all()
    assert fc.calibration is not None and fc.worst_monthly_growth is None


def test_a_level_drop_starts_the_planning_window_so_the_old_level_is_not_carried(tmp_path):
    # 120 days at 1000 then 24 days at 300 (-70%), 2% noise, hourly samples whose daily peak is
    # the series. The drop is named (within 2 days, -70% within 10 points) and has held the 21
    # days that start the planning window at it (the 28-day window still holds 4 old days): the
    # load stage's planning peak is the highest daily peak since the drop (read with pandas), not 1000; the
    # growth stage's day 0, recomputed, is that same number; and neither path carries the old
    # level: every grid day of month 1 stays under 1.5x the new level (it was ~1000 before).
    from capplan.ingest import read_traffic
    from capplan.load import analyze_load

    rng = np.random.default_rng(21)
    level = np.r_[np.full(120, 1000.0), np.full(24, 300.0)] * np.exp(rng.normal(0, 0.02, 144))
    hours = pd.date_range("2025-01-01", periods=144 * 24, freq="h")
    shape = 0.5 + 0.5 * np.sin(np.pi * (hours.hour.to_numpy() + 0.5) / 24)  # top at 12:00
    rate = np.repeat(level, 24) * shape / shape.max()
    p = tmp_path / "drop.csv"
    pd.DataFrame({"timestamp": hours.strftime("%Y-%m-%d %H:%M:%S"),
                  "value": rate}).to_csv(p, index=False)
    load = analyze_load(read_traffic(p))
    fc = forecast_peaks(load.daily_peaks, 3)
    cp = fc.change_point
    assert cp is not None and cp.kind == "level" and cp.level_change == pytest.approx(-0.7, abs=0.1)
    assert abs((pd.Timestamp(cp.date) - pd.Timestamp("2025-05-01")).days) <= 2
    pp = load.planning_peak
    assert pp.window_start == cp.date and "since the level drop" in pp.method
    assert pp.value == load.daily_peaks[cp.date:].max() < 350
    assert fc.path["nominal"].iloc[0] == pp.value  # day 0 of the nominal path, exactly
    assert month_max(fc.nominal, 1) < 1.5 * 300 and month_max(fc.worst_case, 1) < 1.5 * 300
    assert any("window starts at the level drop" in a for a in fc.assumptions)
    # Told the same planning peak, the same paths (the pipeline passes it).
    told = forecast_peaks(load.daily_peaks, 3, planning_peak=pp.value)
    assert np.array_equal(told.nominal, fc.nominal)
    assert np.array_equal(told.worst_case, fc.worst_case)



def test_a_drop_held_under_three_weeks_is_named_but_the_window_keeps_the_old_level():
    # 120 days at 1000 then 10 at 300: the drop is named, but it could still be a holiday dip
    # (a dip is named while it lasts), so the planning peak is the 28-day max, the old level
    # (read with numpy), and the worst case keeps it while those days are in the window.
    from capplan.load import _level_shift, choose_planning_peak, find_anomalies

    rng = np.random.default_rng(23)
    y = np.r_[np.full(120, 1000.0), np.full(10, 300.0)] * np.exp(rng.normal(0, 0.02, 130))
    peaks = daily(y)
    fc = forecast_peaks(peaks, 2)
    assert fc.change_point is not None and fc.change_point.level_change < -0.5
    assert _level_shift(peaks) is None
    pp = choose_planning_peak(peaks, find_anomalies(peaks), level_shift=_level_shift(peaks))
    assert pp.value == fc.path["nominal"].iloc[0] == y[-28:].max() > 900
    assert fc.worst_case[0] >= y[-28:].max()
    assert not any("window starts at the level" in a for a in fc.assumptions)


def test_a_flat_month_of_history_never_plans_above_what_it_saw_a_year_out():
    """Melbourne pedestrians at sensor 4 (April 2023, ../shared/data): 30 daily peaks, highest
    5,035, no trend. The backtest's long horizons used to come from its oldest origins (a week of
    training, their trend run out for seven weeks, while the plan's own trend is held after the
    history's length): the 12-month nominal stepped to 7,123 from month 2 (+41% over every day
    seen, under a "-0.0% a month" growth) and the worst case hit the 3x cap. Scored as the plan
    forecasts (trend held per origin, horizons that half the origins reach), the nominal stays at
    the window peak seen and the worst case grows without the cap."""
    from conftest import data

    frame = pd.read_csv(data("traffic/prophet_example_pedestrians_multivariate.csv"),
                        parse_dates=["ds"])
    peaks = frame.set_index("ds")["location_4"].resample("D").max()
    assert len(peaks) == 30 and peaks.max() == 5035
    fc = forecast_peaks(peaks, 12)
    months = [month_max(fc.nominal, m) for m in range(1, 13)]
    assert months[0] == pytest.approx(5035)  # the observed window peak, held for its 28 days
    assert max(months) <= 5035 * (1 + 1e-9)
    assert min(months) >= 0.9 * 5035  # a flat series' window peak: about what it saw
    assert abs(fc.monthly_growth) < 0.005
    assert not fc.capped
    assert fc.worst_case[-1] < 3 * fc.nominal[-1]


def test_backtest_paths_hold_their_trend_after_their_own_history_by_hand():
    """Origins with 2 and 4 steps of history (first = 0), season 2: a path is its own up to its
    history's length, then repeats its last season (as `_hold_trend` does from the end)."""
    from capplan.growth.forecast import _hold_trend, _hold_trend_paths

    paths = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]])
    got = _hold_trend_paths(paths, [2, 4], 0, 2)
    assert got.tolist() == [[1, 2, 1, 2, 1, 2], [10, 20, 30, 40, 30, 40]]
    assert got[1].tolist() == _hold_trend(paths[1], 4, 2).tolist()
    # season 3 is longer than the first origin's 2 steps: that origin holds its last value
    got = _hold_trend_paths(paths, [2, 4], 0, 3)
    assert got.tolist() == [[1, 2, 2, 2, 2, 2], [10, 20, 30, 40, 20, 30]]


@pytest.mark.parametrize("end_day", [0, 91, 182, 273])
def test_the_growth_rate_is_the_trend_not_the_yearly_shape(end_day):
    """Three years growing 2% a month (compound) under a yearly shape of +-30%: the stated rate is
    the trend's, 2.0%, whatever the season the history ends in. It used to be the slope of the
    first forecast year, shape included: -5.0% a month on TfL cycle hires ending in February,
    whose path falls about 1% a month year on year."""
    rng = np.random.default_rng(3)
    n = 3 * 365 + end_day
    t = np.arange(n)
    log_y = (np.log(1000) + t * np.log(1.02) / DAYS_PER_MONTH
             + 0.3 * np.sin(2 * np.pi * t / 365.25) + rng.normal(0, 0.02, n))
    fc = forecast_peaks(daily(np.exp(log_y), start="2020-01-01"), 6)
    assert any("yearly shape" in a for a in fc.assumptions)
    assert fc.monthly_growth == pytest.approx(0.02, abs=0.004)


def test_a_stated_rate_keeps_the_yearly_shape_by_hand():
    """Three years and nine months of daily peaks with a yearly shape 0.3 sin(2 pi t / 365.25)
    (log), flat, ending near the trough. `--growth 0%` used to give a flat plan, so a stated
    +25%/year sized summer below the fitted model's shrinking one (a user trial on TfL cycle
    hires). Kept, each month's window peak follows the true shape's window peak:
    exp(S(end + k) - S(end)) with S(t) the max of the shape over the 28 days to t, computed here
    from the true shape, within 8% (the shape is estimated from noisy days); with 2%/month on top,
    the same times 1.02^(k / month)."""
    from capplan.growth.values import month_grid

    rng = np.random.default_rng(5)
    n = 3 * 365 + 274
    t = np.arange(n)
    shape = lambda s: 0.3 * np.sin(2 * np.pi * s / 365.25)  # noqa: E731
    peaks = daily(np.exp(np.log(5000) + shape(t) + rng.normal(0, 0.02, n)), start="2020-01-01")
    p0 = float(peaks.iloc[-28:].max())

    def window_shape(s):
        return max(shape(s - j) for j in range(28))

    grid = month_grid(12)
    for g in (0.0, 0.02):
        fc = fixed_growth(peaks.index[-1], p0, 12, g, history=peaks)
        assert any("yearly shape" in a for a in fc.assumptions)
        for day in (91, 182, 273, 365):
            i = int(np.argmin(np.abs(grid - day)))
            k = int(round(grid[i]))
            want = (np.exp(window_shape(n - 1 + k) - window_shape(n - 1))
                    * (1 + g) ** (grid[i] / DAYS_PER_MONTH))
            assert fc.nominal[i] / p0 == pytest.approx(want, rel=0.08), (g, day)
        assert np.all(fc.worst_case >= fc.nominal)
    # half a year on, at the crest, the plan is about 1.7x today's trough window peak
    assert 1.5 < fc.nominal[int(np.argmin(np.abs(grid - 182)))] / p0 / 1.02 ** 6 < 1.9


def test_the_worst_case_cap_names_the_day_it_starts_to_bind():
    """Five quiet days and a 24-month plan: no backtest, so the worst offset is the stated
    log(1.5) over the 61-step grid, times sqrt(k / 61) past it; it reaches log(3), the cap, at
    k = 61 (log 3 / log 1.5)^2 = 449.2 days (plan month 15). The note names that day, and the
    path (to the grid's resolution) is at 3x the nominal from there, not before."""
    import math
    import re

    from capplan.growth.values import WORST_RATIO_CAP

    fc = forecast_peaks(daily([100.0, 101.0, 100.5, 100.2, 100.8]), 24)
    note = next(a for a in fc.assumptions if a.startswith("capped: the worst case"))
    day = int(re.search(r"from day (\d[\d,]*)", note).group(1).replace(",", ""))
    by_hand = 61 * (math.log(3) / math.log(1.5)) ** 2
    assert abs(day - by_hand) <= 1.5  # whole steps, and the nominal's own small drift
    assert math.ceil(by_hand / DAYS_PER_MONTH) == 15 and "(plan month 15)" in note
    at_cap = fc.worst_case >= WORST_RATIO_CAP * fc.nominal * (1 - 1e-9)
    assert at_cap.any() and not at_cap[fc.grid_days < day - 1.5].any()
    assert abs(float(fc.grid_days[np.argmax(at_cap)]) - day) <= 1.5


def test_no_holding_note_when_the_forecast_is_above_the_observed_peak():
    """TfL's daily hires: the planning peak (25,160 on 2024-02-20, 9 days before the data's end)
    is below the forecast's own path from month 1 (spring), and the nominal falls below 95% of
    its first day only in the next winter, around day 293. The note said the observed peak
    "holds the nominal until day 293, when the days it rests on start to leave the 28-day
    window": they leave by day 19, and nothing held. A step down after the window is the
    forecast's own."""
    import re

    import capplan
    from conftest import data

    path = data("excel/tfl-daily-cycle-hires.xlsx")
    if not path.exists():
        pytest.skip("shared data not present")
    p = capplan.forecast(path, unit="hires/day", per_instance=20000, instances=3, months=12)
    notes = [a for a in p.plan.forecast.assumptions if "holds the nominal" in a]
    for note in notes:  # when there is one, the step is inside the window
        assert int(re.search(r"until day (\d+)", note).group(1)) <= 28
    month1 = p.months.query("scenario == 'nominal'")["peak"].iloc[0]
    assert month1 > 25160 and not notes  # the forecast is above the observed peak by month 1


def test_the_note_says_when_the_observed_peak_stops_holding_the_nominal():
    """Two months at 145-150, then 18 days at 95-100 (a drop too recent to start the window): the
    nominal holds the observed peak while the old days are in the 28-day window and steps down
    as they leave (the last old day is 18 days back: gone after 10 more). The note gives the
    day the step starts (the path's own first day below 95% of day 0) and the nominal's value
    by day 28 (the path's own value there); a user saw 381 fall to 295 under "-0.0% a month"."""
    import re

    rng = np.random.default_rng(9)
    values = np.r_[rng.uniform(145, 150, 60), rng.uniform(95, 100, 18)]
    fc = forecast_peaks(daily(values), 2)
    note = next(a for a in fc.assumptions if "holds the nominal" in a)
    start = int(re.search(r"until day (\d[\d,]*\d|\d)", note).group(1))
    by28 = float(re.search(r"window peak \(([\d.,]+)\)", note).group(1).replace(",", ""))
    assert 9 <= start <= 11
    below = fc.grid_days[fc.nominal < 0.95 * fc.nominal[0]]
    assert below.size and abs(below[0] - start) <= 1.5
    i28 = int(np.argmin(np.abs(fc.grid_days - 28)))
    assert by28 == pytest.approx(fc.nominal[i28], rel=0.02)
    assert by28 < 110
