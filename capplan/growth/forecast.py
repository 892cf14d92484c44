"""forecast_peaks ties the parts: history -> candidates -> backtest and choice -> calibration ->
the two demand paths. fixed_growth does the same for a stated rate. Pure; no I/O.

Each step of the forecast, k = 1, 2, ... after the last observation:
- the chosen model's central log path f(k) and its window peak F(k) = max f over the 28 days to k;
- the future part of the planning peak at k, calibrated: nominal exp(F + m(k)), worst exp(F + u(k))
  with the offsets of `calibration`;
- the history part: the highest observed peak still inside the 28-day window (spike-free for the
  nominal, recurring spikes in for the worst case);
- the demand path is the higher of the two parts, so at day 0 the nominal is the planning peak and
  it moves to the forecast as the observed days leave the window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from capplan import progress
from capplan.errors import CapplanError
from capplan.growth.backtest import (CAL_HORIZON_DAYS, CHOICE_HORIZON_DAYS, choose, coverage_words,
                                     future_matrix, mase_by_origin, origins_for, window_max)
from capplan.growth.calibration import calibrate, history_spread, level_drift_sd
from capplan.growth.candidates import NAMES, all_candidates
from capplan.growth.history import History, find_recurring_peaks, latest_level_shift
from capplan.numbers import plain
from capplan.growth.values import (CAP_MULTIPLE, DAYS_PER_MONTH, FAN_QUANTILES,
                                   MAX_HISTORY_STEPS, WINDOW_DAYS, WORST_RATIO_CAP, BacktestScore,
                                   ChangePoint, PeakForecast, grid_steps, month_grid,
                                   path_frame)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

YEAR_DAYS = 365.25
FLOOR_SHARE = 0.1
LOG_MAX = 700.0  # exp() of more overflows; such a path is capped at 3x the nominal anyway
MIN_FIT_AFTER_SHIFT = 28  # steps after a level shift before growth is fitted on them alone


def _history_window(values, k, window: int):
    """Per step k: the highest observed value still inside the window ending at k (days
    k - window + 1 .. k; observed days are <= 0); 0 once none is."""
    import numpy as np

    v = np.asarray(values, float)
    out = np.zeros(len(k))
    for i, kk in enumerate(k):
        keep = window - int(kk)
        if keep > 0:
            seg = v[-keep:]
            seg = seg[np.isfinite(seg)]
            if seg.size:
                out[i] = seg.max()
    return out


def _hold_trend(mu, history_steps: int, season: int):
    """Hold the forecast level after `history_steps` steps: a trend is not extrapolated further
    ahead than the history it was fitted on (Armstrong, Principles of Forecasting, 2001). The last
    season of the path repeats, so a weekly shape survives. None when nothing is held."""
    import numpy as np

    h = len(mu)
    if h <= history_steps:
        return None
    out = np.array(mu, dtype=float)
    m = season if 1 < season <= history_steps else 1
    for k in range(history_steps, h):
        out[k] = out[k - m]
    return out


def _hold_trend_paths(paths, origins, first: int, season: int):
    """`_hold_trend` for every backtest origin at once: each origin's path is held after as many
    steps as it had history (origin - first), as the forecast from the end is, so that the
    calibration scores the procedure the plan uses. Without this, the scores at long horizons
    came from the earliest origins' trends (a week of training) run out for seven weeks, and
    set offsets that the forecast, whose trend is held, never needed."""
    import numpy as np

    out = np.array(paths, dtype=float)
    hist = np.asarray(origins, int) - first
    H = out.shape[1]
    for k in range(int(max(hist.min(), 0)) if hist.size else H, H):
        rows = np.flatnonzero(hist <= k)
        if rows.size == 0:
            continue
        m = np.where((season > 1) & (season <= hist[rows]), season, 1)
        out[rows, k] = out[rows, k - m]
    return out


def _num(x: float) -> str:
    """A peak for a sentence: whole numbers from 100 up, three significant digits below."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _pct(rate: float) -> str:
    """A signed percentage, without the sign of a rate that rounds to zero ("0.0%", not "-0.0%")."""
    text = f"{rate:+.1%}"
    return text[1:] if text[1:] == "0.0%" else text


def _monthly_growth(mu, step_days: float) -> float:
    """Compound monthly growth of the central log path over its first year (a fixed span, so it
    does not depend on the horizon asked): the least-squares slope, per month."""
    import numpy as np

    steps = max(2, int(round(YEAR_DAYS / step_days)))
    seg = np.asarray(mu[:steps], float)
    if len(seg) < 2:
        return 0.0
    slope = np.polyfit(np.arange(len(seg), dtype=float), seg, 1)[0]
    return float(math.expm1(slope * DAYS_PER_MONTH / step_days))


@dataclass(frozen=True, slots=True)
class _Setup:
    """The history made ready for the models: what forecast_peaks' steps share."""

    peaks: pd.Series
    hist: History
    y: np.ndarray  # the log peak to fit, yearly shape out
    yearly: object | None  # steps -> yearly offset, or None
    first: int  # the first step fitted (after a level shift, within the last two years)
    change_point: ChangePoint | None
    notes: tuple[str, ...]
    step_days: float
    season: int
    window: int  # the planning peak's window, in steps
    since: int  # the first step the window may hold: a named level shift's, else 0
    unit: str
    target: str
    history_used: str


def forecast_peaks(daily_peaks: pd.Series, months: int, *, worst_quantile: float = 0.95,
                   worst_growth: float | None = None, model: str | None = None,
                   planning_peak: float | None = None) -> PeakForecast:
    """The demand paths from a series of daily peaks (date index).

    `model`: force one candidate by name; `worst_growth`: a stated monthly rate for the worst case
    instead of the calibrated one; `planning_peak`: today's planning peak as the load stage chose
    it (the nominal path's day 0; recomputed the same way when not given).
    """
    import numpy as np

    peaks = _checked(daily_peaks, months, worst_quantile, model)
    st = _setup(peaks)
    p0 = (planning_peak if planning_peak is not None else
          float(np.nanmax(st.hist.clean[max(st.since, len(st.hist.clean) - st.window):])))
    if len(st.y) - st.first < 2 or np.ptp(st.y[st.first:]) == 0:
        return _flat(st, months, p0, worst_quantile)
    K = int(math.ceil(months * DAYS_PER_MONTH / st.step_days)) + 1
    chosen, because, scores, cals = _backtest_and_choose(st, worst_quantile, model, K)
    mu, held = _central_path(st, chosen)
    steps = np.arange(1, K + 1)
    progress.stage("simulating the demand paths")
    d = _demand(st, mu, cals, steps, p0, worst_quantile)
    grid = month_grid(months)
    idx = grid_steps(grid, st.step_days) - 1
    nominal_g, worst_g = d["nominal"][idx], d["worst"][idx]
    if worst_growth is not None:
        worst_g = np.maximum(p0 * (1 + worst_growth) ** (grid / DAYS_PER_MONTH), nominal_g)
    cal = cals[worst_quantile][0]
    # The trend's rate, the yearly shape aside: over a first year that starts in winter the
    # shape alone would read as growth (or, from summer, as decline).
    trend = mu if st.yearly is None else mu - st.yearly(len(st.y) + np.arange(len(mu)))
    growth = _monthly_growth(trend, st.step_days)
    notes = list(st.notes) + ([held] if held else [])
    return PeakForecast(
        start=peaks.index[-1], grid_days=grid, nominal=nominal_g, worst_case=worst_g,
        nominal_paths=nominal_g[None, :],
        worst_paths=(np.vstack([f[idx] for f in d["fan"]] + [worst_g]) if worst_growth is None
                     else worst_g[None, :]),
        worst_quantile=worst_quantile, model=chosen.name, monthly_growth=growth,
        worst_monthly_growth=worst_growth, target=st.target, history_used=st.history_used,
        step_days=st.step_days,
        path=path_frame(peaks.index[-1], grid, p0, nominal_g, worst_g, max(d["hist_r"][0], p0)),
        backtest=tuple(scores), chosen_because=because, change_point=st.change_point,
        recurring_peaks=find_recurring_peaks(peaks) if st.step_days == 1 else (),
        interval_widening=None, capped=d["capped"],
        assumptions=_assumptions(st, chosen.name, because, growth, cal, worst_quantile,
                                 worst_growth, notes, d),
        parameters=dict(chosen.params), point=np.maximum(np.exp(mu[:K]), np.finfo(float).tiny), window_nominal=d["fut_nom"],
        window_worst=np.clip(d["fut_worst"], d["fut_nom"], WORST_RATIO_CAP * d["fut_nom"]),
        calibration=cal, spikes=st.hist.spikes,
        fan_quantiles=(FAN_QUANTILES + (worst_quantile,)) if worst_growth is None else ())


def _checked(daily_peaks, months: int, worst_quantile: float, model):
    if months < 1:
        raise CapplanError(f"--months {months}: the horizon must be at least one month")
    if not 0.5 <= worst_quantile < 1:
        raise CapplanError(f"--worst-quantile {worst_quantile:g} must be in [0.5, 1): 0.95 means "
                           "the worst case is the 95th percentile of the window peak")
    if model is not None and model not in NAMES:
        raise CapplanError(f"--model {model!r} is not a candidate: choose from {', '.join(NAMES)}")
    peaks = daily_peaks.astype(float)
    if len(peaks) == 0 or not (peaks > 0).any():
        raise CapplanError("every daily peak is zero: there is no load to plan for; check the "
                           "value column (--value-column)")
    return peaks


def _setup(peaks) -> _Setup:
    """Spikes, gaps, the yearly shape and a level shift: the series the models fit."""
    ls = latest_level_shift(peaks)
    step_days, season, hist, y, yearly = ls.step_days, ls.season, ls.hist, ls.y, ls.yearly
    notes = _history_notes(hist)
    n = len(hist.fit)
    unit = "days" if step_days == 1 else ("weeks" if step_days == 7 else "steps")
    if yearly is not None:
        notes.append(f"a yearly shape (it explains {ls.yearly_explained:.0%} of the detrended "
                     "variance) is taken out before fitting and put back on the forecast")
    shift_at, cp = ls.at, ls.change_point
    window = max(1, int(round(WINDOW_DAYS / step_days)))
    if cp is not None:
        kind = "rise" if cp.level_change > 0 else "drop"
        what = f"a level {kind} of {cp.level_change:+.0%} on {cp.date}"
        if n - shift_at >= MIN_FIT_AFTER_SHIFT:
            notes.append(f"{what}: growth fitted on the {n - shift_at} {unit} since")
        else:
            notes.append(f"{what}: too recent ({n - shift_at} {unit}) to fit growth on alone; "
                         "the models' levels follow it")
            shift_at = 0
        if ls.starts_window and n - ls.at < window:
            notes.append(f"the planning peak's window starts at the level {kind} (the last "
                         f"{n - ls.at} {unit}): the old level is not carried in the demand")
    first = max(shift_at, n - MAX_HISTORY_STEPS)
    return _Setup(
        peaks=peaks, hist=hist, y=y, yearly=yearly, first=first, change_point=cp,
        notes=tuple(notes), step_days=step_days, season=season,
        window=window, since=ls.at if ls.starts_window else 0, unit=unit,
        target=("daily peaks" if step_days == 1 else
                f"peaks at the data's own step ({step_days:.3g} days)"),
        history_used=f"{hist.dates[first].date()} to {hist.dates[-1].date()} ({n - first} {unit})")


def _backtest_and_choose(st: _Setup, worst_quantile: float, model, K: int):
    """Every candidate from every origin: MASE, calibration, coverage; the model. Returns (the
    chosen Candidate, why, BacktestScores, its calibrations q -> (Calibration, offsets))."""
    import numpy as np

    n, first, window = len(st.y), st.first, st.window
    Hf = max(K, int(round(YEAR_DAYS / st.step_days)))
    Hb = max(1, int(round(CAL_HORIZON_DAYS / st.step_days)))
    origins = origins_for(n, first)
    progress.stage("fitting candidates")
    cands = all_candidates(st.y, origins, Hb, Hf, st.season, origins[0] if origins else n, first)
    cands = {k: (replace(c, paths=_hold_trend_paths(c.paths, origins, first, st.season))
                 if c.paths is not None else c) for k, c in cands.items()}
    if st.yearly is not None and origins:
        back = st.yearly(np.asarray(origins)[:, None] + np.arange(Hb)[None, :])
        cands = {k: (replace(c, paths=c.paths + back) if c.paths is not None else c)
                 for k, c in cands.items()}
    log_clean, log_recur = np.log(st.hist.clean), np.log(st.hist.recurring)
    floor = history_spread(log_recur[first:], st.season)
    drift = level_drift_sd(st.y[st.since:], window, Hb, max(Hb, int(round(YEAR_DAYS / st.step_days))))
    actual_c = future_matrix(log_clean, origins, Hb)
    win_c = window_max(actual_c, window)
    win_r = window_max(future_matrix(log_recur, origins, Hb), window)
    h_choice = max(1, int(round(CHOICE_HORIZON_DAYS / st.step_days)))
    scores, maseof, cals = [], {}, {}
    scoring = progress.stage("backtest", total=len(cands))
    for name, c in cands.items():
        scoring.advance()
        if c.paths is None:
            scores.append(BacktestScore(name, None, None, None, 0, Hb, "too little history"))
            continue
        mb = mase_by_origin(c.paths, np.exp(actual_c), st.hist.clean, origins, st.season, first,
                            h_choice)
        mb = mb[np.isfinite(mb)]
        maseof[name] = float(np.mean(mb)) if mb.size else None
        cals[name] = calibrate(window_max(c.paths, window), win_c, win_r,
                               tuple(sorted({0.80, worst_quantile})), *floor, st.season,
                               drift_sd=drift)
        scores.append(BacktestScore(name, maseof[name], cals[name][0.80][0].coverage,
                                    cals[name][worst_quantile][0].coverage, len(origins), Hb))
    if model is not None:
        chosen, because = model, f"forced with --model {model}"
    elif not maseof:
        chosen = "combination"
        because = (f"too little history for a backtest ({n - first} {st.unit}): the combination, "
                   "with a stated margin for the worst case (see below)")
    else:
        chosen, because = choose(maseof)
        because += (f" over {len(origins)} origins (MASE on horizons 1-{h_choice} {st.unit}; the "
                    f"worst case's calibration and coverage on 1-{Hb})")
        if n - first < 14:
            because += (f"; under two weeks of history ({n - first} {st.unit}), so the worst case "
                        "is a Student-t bound on few scores, floored by the history's own spread")
    c = cands[chosen]
    fans = tuple(q for q in FAN_QUANTILES if q != worst_quantile)
    if c.paths is None:
        empty = np.full((1, Hb), np.nan)
        cals[chosen] = calibrate(empty, empty, empty, (worst_quantile, *fans), *floor, st.season)
    else:
        cals[chosen].update(calibrate(window_max(c.paths, window), win_c, win_r, fans, *floor,
                                      st.season, check=False, drift_sd=drift))
    return c, because, scores, cals[chosen]


def _central_path(st: _Setup, chosen):
    """The chosen model's log path from the end, trend held past the history's length, the
    yearly shape put back. Returns (path, the note when a trend was held)."""
    import numpy as np

    n = len(st.y)
    mu = chosen.final
    held = _hold_trend(mu, n - st.first, st.season)
    note = None
    if held is not None:
        mu = held
        note = (f"the trend is extrapolated no further than the history it was fitted on "
                f"({n - st.first} {st.unit}); after that the level is held with its season")
    if st.yearly is not None:
        mu = mu + st.yearly(n + np.arange(len(mu)))
    return mu, note


def _demand(st: _Setup, mu, cals, steps, p0: float, worst_quantile: float) -> dict:
    """Per step: the calibrated window peaks of the future, the observed days still in the
    window, and the demand paths (the higher of the two; capped; worst >= nominal)."""
    import numpy as np

    K = steps.size
    f_win = window_max(mu[None, :K], st.window)[0]
    m_off, u_off = cals[worst_quantile][1](steps)
    # A falling trend is held past the history's length, and never taken below a tenth of the
    # lowest spike-free peak seen (nor to a zero a float cannot tell from nothing).
    low = max(FLOOR_SHARE * float(np.nanmin(st.hist.clean)), np.finfo(float).tiny)
    fut_nom = np.maximum(np.exp(np.minimum(f_win + m_off, LOG_MAX)), low)
    fut_worst = np.maximum(np.exp(np.minimum(f_win + u_off, LOG_MAX)), fut_nom)
    # Observed days count from a named level shift on: a drop is not carried for a window.
    hist_c = _history_window(st.hist.clean[st.since:], steps, st.window)
    hist_r = _history_window(st.hist.recurring[st.since:], steps, st.window)
    cap = CAP_MULTIPLE * float(np.nanmax(st.hist.clean))
    nominal = np.minimum(np.maximum(hist_c, fut_nom), max(cap, p0))
    worst = np.maximum(hist_r, fut_worst)
    # Where the observed days stop holding the nominal up: its step down, when more than 5%.
    # Only a step within the window is theirs: a drop after it (a seasonal low, a falling
    # trend) is the forecast's own, and the observed days no longer hold anything by then.
    held_until = None
    drop = np.flatnonzero(nominal < 0.95 * nominal[0])
    gone = min(st.window, K) - 1  # the first step with no observed day in the window
    if drop.size and drop[0] <= gone and hist_c[0] >= fut_nom[0]:
        held_until = (int(steps[drop[0]]), float(nominal[0]), float(nominal[gone]),
                      int(steps[gone]))
    over_w, over_n = worst > WORST_RATIO_CAP * nominal, fut_nom > cap
    capped = bool(over_w.any() or over_n.any())
    # the first step each cap binds at (None: never), for the words
    cap_steps = (int(steps[np.argmax(over_n)]) if over_n.any() else None,
                 int(steps[np.argmax(over_w)]) if over_w.any() else None)
    worst = np.maximum(np.minimum(worst, WORST_RATIO_CAP * nominal), nominal)
    fan = [np.clip(np.maximum(hist_r, np.exp(np.minimum(f_win + cals[q][1](steps)[1], LOG_MAX))),
                   nominal, worst)
           for q in FAN_QUANTILES]
    return {"nominal": nominal, "worst": worst, "fan": fan, "fut_nom": fut_nom,
            "fut_worst": fut_worst, "hist_r": hist_r, "capped": capped, "cap": cap,
            "cap_steps": cap_steps, "held_until": held_until}


def _assumptions(st, name, because, growth, cal, worst_quantile, worst_growth, notes, d):
    out = [
        f"model: {name} on {st.target}, {st.history_used}",
        f"chosen because: {because}",
        (f"nominal growth {_pct(growth)} a month (the trend of the central forecast's first "
         "year" + (", the yearly shape aside: the month table carries the shape)"
                   if st.yearly is not None else ")")),
        "each day's demand is the planning peak as it will stand that day: the highest daily peak "
        f"of the {WINDOW_DAYS} days up to it",
        (f"worst case: the {worst_quantile:.0%} quantile of that window peak, {cal.method}"
         + (f"; calibrated over horizons 1-{cal.horizons} {st.unit} from {cal.origins} origins"
            if cal.origins else "")
         + coverage_words(cal.coverage, worst_quantile)
         + f"; {cal.extrapolation}") if worst_growth is None else
        f"worst case grows {worst_growth:.1%} a month (--worst-growth)",
    ] + list(notes)
    held = d.get("held_until")
    if held is not None:
        step, held_peak, after, gone = held
        out.append(f"the observed planning peak ({_num(held_peak)}) holds the nominal until day "
                   f"{step * st.step_days:,.0f}, when the days it rests on start to leave the "
                   f"{WINDOW_DAYS}-day window; by day {gone * st.step_days:,.0f} the nominal is "
                   f"the forecast's own window peak ({_num(after)}), whatever the growth rate")
    nominal_at, worst_at = d.get("cap_steps", (None, None))

    def from_(step):
        day = step * st.step_days
        return f"from day {day:,.0f} (plan month {math.ceil(day / DAYS_PER_MONTH - 1e-9)})"

    if nominal_at is not None:
        out.append(f"capped: the nominal at {CAP_MULTIPLE:g}x the highest spike-free peak of the "
                   f"history ({plain(d['cap'])}), {from_(nominal_at)}")
    if worst_at is not None:
        out.append(f"capped: the worst case at {WORST_RATIO_CAP:g}x the nominal {from_(worst_at)}: "
                   "its quantile, extrapolated past the backtest's horizons, would be higher, and "
                   f"{WORST_RATIO_CAP:g}x the nominal is the most capplan plans for")
    return tuple(out)


def _history_notes(hist) -> list[str]:
    notes = []
    if hist.zeros_dropped:
        notes.append(f"{hist.zeros_dropped} zero daily peak(s) treated as missing (outages or gaps "
                     "in the export, not load)")
    if hist.gaps_filled:
        notes.append(f"{hist.gaps_filled} missing day(s) filled between their neighbours for the "
                     "fit (not counted as observed peaks)")
    one = [s for s in hist.spikes if not s.recurring]
    rec = [s for s in hist.spikes if s.recurring]
    if one:
        notes.append(f"{len(one)} one-off spike(s) left out of the fit, the caps and the worst case "
                     f"({', '.join(s.date for s in one[:5])}{', ...' if len(one) > 5 else ''})")
    if rec:
        notes.append(f"{len(rec)} recurring spike(s) kept in the worst case, left out of the fit "
                     f"and the nominal ({', '.join(s.date for s in rec[:5])}"
                     f"{', ...' if len(rec) > 5 else ''}; {rec[0].why})")
    return notes


def _flat(st: _Setup, months: int, p0: float, worst_quantile: float) -> PeakForecast:
    """One point, or a constant history: nothing to fit and no spread to measure."""
    import numpy as np

    grid = month_grid(months)
    level = np.full(grid.size, p0)
    constant = len(st.hist.fit) >= 2
    because = ("the peak is constant over the history: no growth, no spread" if constant else
               "too little history to fit a trend: the peak is held")
    if not constant:
        # One day: nothing to measure a spread on, a stated level drift of 10% a month (one
        # standard deviation, at the worst quantile) rather than a number the data cannot support.
        from scipy.special import ndtri  # the normal quantile (scipy.stats.norm.ppf)

        z = float(ndtri(worst_quantile))
        worst = p0 * np.exp(z * 0.10 * np.sqrt(grid / DAYS_PER_MONTH))
        spread = (f"too little history to measure a spread: an assumed level drift of 10% a "
                  f"month (1 sd), at the {worst_quantile:.0%} quantile")
    else:
        worst = level.copy()
        spread = ("none: the history is constant, so the worst case equals the nominal (check "
                  "the export: a flat peak is often a capped metric)")
    K = int(math.ceil(months * DAYS_PER_MONTH / st.step_days)) + 1
    start = st.peaks.index[-1]
    return PeakForecast(
        start=start, grid_days=grid, nominal=level, worst_case=worst,
        nominal_paths=level[None, :], worst_paths=np.vstack([worst, worst]),
        worst_quantile=worst_quantile, model="flat", monthly_growth=0.0, worst_monthly_growth=None,
        target=st.target, history_used=st.history_used, step_days=st.step_days,
        path=path_frame(start, grid, p0, level, worst, p0), chosen_because=because,
        change_point=st.change_point,
        assumptions=tuple([f"model: flat on {st.target}, {st.history_used}",
                           f"chosen because: {because}", f"worst case: {spread}"]
                          + list(st.notes)),
        point=np.full(K, p0), window_nominal=np.full(K, p0), window_worst=None,
        spikes=st.hist.spikes)
