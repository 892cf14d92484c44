"""The level-shift search is asked twice per plan (load's planning window, growth's fit): the
second ask reuses the first's answer. It must be exactly what a fresh search gives, and a
caller that changes its copy must not change the next caller's."""
import numpy as np
import pandas as pd

from capplan.growth import history


def peaks(level_after: float) -> pd.Series:
    rng = np.random.default_rng(7)
    days = pd.date_range("2025-01-01", periods=150, freq="D", tz="UTC")
    values = np.r_[np.full(110, 1000.0), np.full(40, level_after)] * rng.uniform(0.97, 1.03, 150)
    return pd.Series(values, index=days)


def fields(ls):
    cp = ls.change_point
    return (ls.at, None if cp is None else (cp.date, round(cp.level_change, 12)),
            ls.y.tolist(), ls.hist.fit.tolist())


def test_reused_answer_is_the_fresh_search():
    s = peaks(300.0)
    fresh = history._latest_level_shift(s)
    first = history.latest_level_shift(s)
    again = history.latest_level_shift(s)
    assert fields(first) == fields(fresh) == fields(again)
    assert fresh.change_point is not None and fresh.change_point.level_change < -0.5  # named


def test_a_changed_copy_does_not_leak_and_other_series_are_searched_afresh():
    s = peaks(300.0)
    first = history.latest_level_shift(s)
    first.y[:] = 0.0  # a careless caller
    assert fields(history.latest_level_shift(s)) == fields(history._latest_level_shift(s))
    other = peaks(1000.0)  # no shift: a different series is not answered from the cache
    assert fields(history.latest_level_shift(other)) == fields(history._latest_level_shift(other))
    assert history.latest_level_shift(other).change_point is None
