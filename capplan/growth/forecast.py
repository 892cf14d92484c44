"""forecast_peaks: history -> candidates -> backtest and choice -> calibrated worst case."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from capplan.errors import CapplanError

if TYPE_CHECKING:
    import pandas as pd

from capplan.growth.backtest import _choose, backtest
from capplan.growth.candidates import CANDIDATES, Fitted, candidate_names
from capplan.growth.history import find_change_point, find_recurring_peaks
from capplan.growth.values import (CAP_MULTIPLE, DAYS_PER_MONTH, GRID_PER_MONTH, MAX_HISTORY_STEPS,
                                    N_PATHS, SEED, ChangePoint, PeakForecast, month_grid)
from capplan.growth.worst_case import _hold_trend, _simulate, demand_path


def fixed_growth(start, planning_peak: float, months: int, monthly_growth: float,
                 worst_growth: float | None = None, stated: bool = True) -> PeakForecast:
    """A stated compound growth rate from the planning peak: peak(t) = P0 (1 + g)^(t / month)."""
    import numpy as np
    import pandas as pd

    if monthly_growth <= -1:
        raise CapplanError(f"--growth {monthly_growth:.0%}/month would make the peak negative")
    if worst_growth is not None and worst_growth < monthly_growth:
        raise CapplanError(f"--worst-growth {worst_growth:.1%}/month is below --growth "
                           f"{monthly_growth:.1%}/month: the worst case must grow at least as fast")
    grid = month_grid(months)
    wg = monthly_growth if worst_growth is None else worst_growth
    nominal = planning_peak * (1 + monthly_growth) ** (grid / DAYS_PER_MONTH)
    worst = planning_peak * (1 + wg) ** (grid / DAYS_PER_MONTH)
    days = np.arange(0, int(math.ceil(grid[-1])) + 1)
    path = pd.DataFrame({
        "date": [(start + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d") for d in days],
        "nominal": planning_peak * (1 + monthly_growth) ** (days / DAYS_PER_MONTH),
        "worst_case": planning_peak * (1 + wg) ** (days / DAYS_PER_MONTH)})
    assumptions = [f"growth fixed at {monthly_growth:.1%} a month (compound) from the planning "
                   f"peak of {planning_peak:,.6g} req/s"]
    if worst_growth is None:
        assumptions.append("no --worst-growth given: the worst case equals the nominal case")
    else:
        assumptions.append(f"worst case grows {worst_growth:.1%} a month (--worst-growth)")
    return PeakForecast(start=start, grid_days=grid, nominal=nominal, worst_case=np.maximum(worst, nominal),
                        nominal_paths=nominal[None, :],
                        worst_paths=worst[None, :], worst_quantile=1.0, model="fixed growth",
                        monthly_growth=monthly_growth, worst_monthly_growth=wg,
                        target="stated rate", history_used="none (growth given)",
                        step_days=1.0, path=path,
                        chosen_because="growth given with --growth" if stated else
                        "no --growth given: the peak is held flat",
                        assumptions=tuple(assumptions))


def _target_series(peaks: pd.Series, months: int) -> tuple[pd.Series, str, float, int]:
    """Daily peaks (weekly peaks past three months with 16+ weeks of history), and the season."""
    import numpy as np

    step = float(np.median(np.diff(peaks.index.asi8)) / 86400e9) if len(peaks) > 1 else 1.0
    if step >= 6:  # weekly, monthly or coarser data: forecast at the native step
        season = 52 if 6 <= step <= 8 else (12 if 27 <= step <= 32 else 1)
        return peaks, f"peaks at the data's own step ({step:.3g} days)", step, season
    if months > 3 and len(peaks) >= 16 * 7:
        weekly = peaks.resample("W-SUN").max().dropna()
        # Drop a last, incomplete week: its max understates the peak.
        last_full = peaks.index[-1].day_of_week == 6
        if not last_full:
            weekly = weekly.iloc[:-1]
        season = 52 if len(weekly) >= 104 else 1
        return weekly, "weekly peaks (horizon past three months)", 7.0, season
    return peaks, "daily peaks", 1.0, 7


def forecast_peaks(daily_peaks: pd.Series, months: int, *, worst_quantile: float = 0.95,
                   worst_growth: float | None = None, model: str | None = None,
                   seed: int = SEED) -> PeakForecast:
    """Fit the candidates, choose one by backtest, and simulate calibrated peak paths.

    `daily_peaks`: the daily peak series (date index). `model`: force one candidate by name.
    `worst_growth`: a stated monthly rate for the worst case instead of the calibrated bound.
    """
    import numpy as np
    import pandas as pd

    if months < 1:
        raise CapplanError(f"--months {months}: the horizon must be at least one month")
    if not 0.5 <= worst_quantile < 1:
        raise CapplanError(f"--worst-quantile {worst_quantile:g} must be in [0.5, 1): 0.95 means "
                           "the worst case is the 95th percentile of the horizon peak")
    peaks = daily_peaks.astype(float)
    notes = []
    zeros = int((peaks <= 0).sum())
    if zeros == len(peaks):
        raise CapplanError("every daily peak is zero: there is no load to plan for; check the "
                           "value column (--value-column)")
    if zeros:
        notes.append(f"{zeros} zero daily peak(s) treated as missing (outages or gaps in the "
                     "export, not load)")
        peaks = peaks[peaks > 0]
    start = daily_peaks.index[-1]
    target, target_name, step_days, season = _target_series(peaks, months)
    y = np.log(target.to_numpy(float))
    hist_max = float(np.exp(y.max()))
    h_steps = max(1, int(math.ceil(months * DAYS_PER_MONTH / step_days)))

    # One-off spikes (modified z > 3.5 against their month, as the load stage flags them) are
    # replaced by their neighbourhood's median before fitting: flagged, not planned for.
    from capplan.load import find_anomalies

    y_raw = y.copy()
    spikes = find_anomalies(pd.Series(np.exp(y), index=target.index))
    if spikes:
        med = pd.Series(y).rolling(29, center=True, min_periods=1).median().to_numpy()
        pos = {str(d.date()): i for i, d in enumerate(target.index)}
        for a_ in spikes:
            i = pos[a_.date]
            y[i] = min(y[i], med[i])
        notes.append(f"{len(spikes)} one-off spike(s) replaced by their month's median before "
                     f"fitting ({', '.join(a_.date for a_ in spikes[:5])}"
                     f"{', ...' if len(spikes) > 5 else ''})")
    cp_index, cp = find_change_point(y, step_days)
    if cp is not None:
        cp = ChangePoint(str(target.index[cp_index].date()), cp.kind, cp.before_growth_monthly,
                         cp.after_growth_monthly)
        y = y[cp_index:]
        y_raw = y_raw[cp_index:]
        target = target.iloc[cp_index:]
        notes.append(f"a {cp.kind} break on {cp.date}: growth fitted on the {len(y)} "
                     f"{'days' if step_days == 1 else 'steps'} since (growth before "
                     f"{cp.before_growth_monthly:+.1%}/month, after {cp.after_growth_monthly:+.1%})")
    if len(y) > MAX_HISTORY_STEPS:
        y = y[-MAX_HISTORY_STEPS:]
        y_raw = y_raw[-MAX_HISTORY_STEPS:]
        target = target.iloc[-MAX_HISTORY_STEPS:]
        notes.append(f"growth fitted on the last {MAX_HISTORY_STEPS} steps of the history: the "
                     "current regime, not the distant past")
    unit = "days" if step_days == 1 else ("weeks" if step_days == 7 else "steps")
    history_used = f"{target.index[0].date()} to {target.index[-1].date()} ({len(y)} {unit})"

    results = {}
    if len(y) < 2 or np.ptp(y) == 0:
        fitted = Fitted("flat", lambda h: np.full(h, y[-1]), 0.0, "flat")
        chosen, scores, because = fitted, (), (
            "too little history to fit a trend" if len(y) < 2 else
            "the peak is constant over the history: no growth, no spread")
    else:
        h_bt = min(h_steps, max(1, len(y) // 4))
        names = candidate_names(y, season)
        if model is not None and model not in CANDIDATES:
            raise CapplanError(f"--model {model!r} is not a candidate: choose from "
                               f"{', '.join(CANDIDATES)}")
        results = backtest(y, names, season, h_bt)
        scores = tuple(r.score for r in results.values())
        scored = [r for r in results.values() if r.score.mase is not None
                  and math.isfinite(r.score.mase)]
        if model is not None:
            chosen_name = model
            because = f"forced with --model {model}"
        elif not scored:
            chosen_name = "compound"
            because = (f"too little history for a backtest ({len(y)} {target_name}): compound "
                       "growth with a wide interval")
        else:
            chosen_name, because = _choose(results, h_bt)
        try:
            chosen = CANDIDATES[chosen_name](y, season)
        except Exception as exc:  # noqa: BLE001 - only reachable with a forced --model
            raise CapplanError(f"--model {chosen_name}: cannot be fitted to this history "
                               f"({len(y)} {target_name}): leave --model out to let the "
                               "backtest choose") from exc

    mu = chosen.forecast_log(h_steps)
    held = _hold_trend(mu, len(y), season)
    if held is not None:
        mu = held
        notes.append(f"the trend is extrapolated no further than the history it was fitted on "
                     f"({len(y)} steps); after that the level is held (with its season)")
    bt = results.get(chosen.name) if results else None
    # The nominal case draws deviations from the history with one-off spikes replaced (flagged,
    # not planned for); the worst case from the raw history, spikes included.
    paths, a, b, widening, spread = _simulate(y, mu, bt, season, worst_quantile, seed, step_days)
    raw_paths, *_ = _simulate(y_raw, mu, bt, season, worst_quantile, seed, step_days)
    cap = CAP_MULTIPLE * hist_max
    capped = bool((raw_paths > cap).any())
    paths = np.minimum(paths, cap)
    raw_paths = np.maximum(np.minimum(raw_paths, cap), paths)
    # Month-aligned grid: each grid point reads the forecast step that contains it.
    grid = month_grid(months)
    step_idx = np.clip(np.ceil(grid / step_days).astype(int) - 1, 0, h_steps - 1)
    grid_paths = paths[:, step_idx]

    nominal_step = np.minimum(np.exp(mu), cap)
    upper_step = np.quantile(raw_paths, worst_quantile, axis=0)
    dates = [target.index[-1] + pd.Timedelta(days=step_days * i) for i in range(1, h_steps + 1)]
    path = pd.DataFrame({"date": [d.strftime("%Y-%m-%d") for d in dates],
                         "nominal": nominal_step, "worst_case": upper_step})
    months_per_step = step_days / DAYS_PER_MONTH
    growth = _monthly_growth(mu, months_per_step)
    worst_paths = raw_paths[:, step_idx]
    if worst_growth is not None:
        # A stated worst-case rate from the same starting level as the nominal forecast.
        p0 = float(np.median(np.max(grid_paths[:, :GRID_PER_MONTH], axis=1))) / \
            (1 + max(growth, -0.99)) ** 1
        worst_paths = (p0 * (1 + worst_growth) ** (grid / DAYS_PER_MONTH))[None, :]
    assumptions = [
        f"model: {chosen.name} on {target_name}, {history_used}",
        f"chosen because: {because}",
        f"nominal growth {growth:+.1%} a month",
        f"worst case: the {worst_quantile:.0%} quantile of each month's peak over {N_PATHS} "
        f"simulated paths (seed {seed}); spread {spread}"
        + (f"; widened {widening:.2f}x to cover the backtest's horizon peaks" if widening and
           widening > 1 else ""),
    ] + notes
    if worst_growth is not None:
        assumptions.append(f"worst case grows {worst_growth:.1%} a month (--worst-growth)")
    if capped:
        assumptions.append(f"some simulated peaks were capped at {CAP_MULTIPLE:g}x the highest "
                           f"peak in the history ({cap:,.6g})")
    params = dict(chosen.params)
    params.update({"deviation_var_log": float(a), "drift_var_log_per_step": float(b)})
    return PeakForecast(
        start=start, grid_days=grid, nominal=demand_path(grid_paths, 0.5),
        worst_case=np.maximum(demand_path(worst_paths, worst_quantile), demand_path(grid_paths, 0.5)),
        nominal_paths=grid_paths, worst_paths=worst_paths,
        worst_quantile=worst_quantile, model=chosen.name, monthly_growth=growth,
        worst_monthly_growth=worst_growth, target=target_name, history_used=history_used,
        step_days=step_days, path=path, backtest=scores, chosen_because=because,
        change_point=cp, recurring_peaks=find_recurring_peaks(peaks) if step_days < 6 else (),
        interval_widening=widening, step_paths=paths, worst_step_paths=raw_paths, capped=capped,
        assumptions=tuple(assumptions), parameters=params)



def _monthly_growth(mu, months_per_step: float) -> float:
    """Compound monthly growth of a log path: its least-squares slope, per month."""
    import numpy as np

    if len(mu) < 2:
        return 0.0
    slope = np.polyfit(np.arange(len(mu), dtype=float), mu, 1)[0]
    return float(math.expm1(slope / months_per_step))


def parse_growth(text: str, flag: str = "--growth") -> float:
    """'10%/month', '10%', '0.1', '120%/year' -> monthly compound rate (0.1 = 10% a month)."""
    s = str(text).strip().lower().replace(" ", "")
    per = "month"
    for suffix, unit in (("/month", "month"), ("/mo", "month"), ("/year", "year"), ("/yr", "year"),
                         ("/y", "year"), ("/week", "week"), ("/wk", "week"), ("/m", "month")):
        if s.endswith(suffix):
            s, per = s[: -len(suffix)], unit
            break
    try:
        rate = float(s[:-1]) / 100 if s.endswith("%") else float(s)
    except ValueError as exc:
        raise CapplanError(f"{flag} {text!r} is not understood: write 10%/month, 25%/year or "
                           "0.1 (a fraction per month)") from exc
    if rate <= -1:
        raise CapplanError(f"{flag} {text!r}: a decline of 100% or more is not a growth rate")
    if per == "year":
        return (1 + rate) ** (1 / 12) - 1
    if per == "week":
        return (1 + rate) ** (DAYS_PER_MONTH / 7) - 1
    return rate
