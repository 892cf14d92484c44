"""Invariants of the resource fits and the flat-topping check, on generated data (hypothesis)."""
import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.resources import CapacityFromMetrics, fit_resource, limit_for_plan
from capplan.saturation import day_table, detect_flat_topping

FAST = settings(max_examples=20, deadline=None, derandomize=True)


@st.composite
def metrics(draw):
    n = draw(st.integers(20, 150))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.uniform(draw(st.floats(0, 50)), draw(st.floats(60, 5000)), n)
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        a = draw(st.floats(0.0, 0.5))
        b = draw(st.floats(-1e-3, 0.8)) / float(x.max())  # a few do not rise
        sd = draw(st.floats(0.001, 0.1))
        lines.append(np.clip(a + b * x + rng.normal(0, sd, n), 0, 1))
    target = draw(st.floats(0.3, 1.0))
    return x, lines, target


def finite_or_none(v):
    return v is None or math.isfinite(v)


@FAST
@given(metrics())
def test_fits_are_finite_ordered_and_agree_with_each_other(case):
    x, lines, target = case
    times = pd.date_range("2024-01-01", periods=x.size, freq="min", tz="UTC")
    fits = []
    for i, y in enumerate(lines):
        if np.ptp(y) == 0:
            continue
        f = fit_resource(f"r{i}", "generated", x, y, times, target)
        fits.append(f)
        for v in (f.intercept, f.slope, f.limit, f.limit_low, f.limit_high, f.r_squared,
                  f.interval_inflation):
            assert finite_or_none(v)
        assert f.interval_inflation >= 1
        if f.limit is not None:
            assert f.limit >= 0
            if f.intercept < target:
                assert math.isclose(f.limit, (target - f.intercept) / f.slope, rel_tol=1e-9)
            if f.limit_low is not None:
                assert 0 <= f.limit_low <= f.limit <= f.limit_high
        assert f.points_used + len(f.outliers) == x.size
    limited = [f for f in fits if f.limit is not None and f.limit > 0]
    if limited:
        r = CapacityFromMetrics(tuple(fits), min(limited, key=lambda f: f.limit).name, target,
                                "", x.size, times[0], times[-1], 60.0, (), None, None, ())
        if all(f.limit > 0 for f in fits if f.limit is not None):
            pl = limit_for_plan(r)
            assert math.isclose(pl.limit * target, min(f.limit for f in limited), rel_tol=1e-12)
            assert pl.limit_low is None or pl.limit_low <= pl.limit <= pl.limit_high


@st.composite
def traffic(draw):
    days = draw(st.integers(14, 90))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01", periods=days * 24, freq="h", tz="UTC")
    t = np.arange(index.size) / index.size
    hour = np.arange(index.size) % 24
    shape = 0.3 + 0.7 * np.exp(-((hour - draw(st.floats(8, 20))) / 4.0) ** 2)
    level = np.repeat(rng.lognormal(0, draw(st.floats(0.02, 0.25)), days), 24)
    growth = draw(st.floats(-0.3, 1.0))
    values = 1000 * (1 + growth * t) * shape * level * rng.lognormal(0, 0.03, index.size)
    return pd.Series(values, index)


@FAST
@given(traffic())
def test_a_hard_ceiling_is_always_found_and_the_estimate_never_below_what_was_seen(s):
    cap = float(np.percentile(day_table(s, 3600)["peak"], 80))
    ft = detect_flat_topping(s.clip(upper=cap), 3600)
    assert ft.detected and ft.pile_up
    assert ft.ceiling == cap and 0 < ft.share_of_days <= 1
    if ft.unclipped_peak is not None:
        assert ft.unclipped_peak >= ft.observed_peak
        assert np.isfinite(ft.unclipped_daily_peaks.to_numpy()).all()
    plain = detect_flat_topping(s, 3600)
    for v in (plain.share_of_days, plain.median_growth, plain.peak_growth, plain.peak_to_p95_change):
        assert finite_or_none(v)
