"""Rolling-origin backtest: MASE, interval coverage, and the choice of a model."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    import numpy as np

from capplan.growth.candidates import CANDIDATES, _combination
from capplan.growth.values import (MAX_ORIGINS, MIN_TRAIN_STEPS, SIMPLICITY, TIE_TOLERANCE,
                                    BacktestScore)

def mase(actual, forecast, train, season) -> float:
    """Mean absolute scaled error (Hyndman & Koehler 2006): MAE of the forecast divided by the
    in-sample MAE of the seasonal naive method (lag `season`, or 1 when the history is short)."""
    import numpy as np

    actual, forecast, train = (np.asarray(a, float) for a in (actual, forecast, train))
    m = season if len(train) > season else 1
    scale = np.mean(np.abs(train[m:] - train[:-m])) if len(train) > m else 0.0
    mae = np.mean(np.abs(actual - forecast))
    if scale == 0:
        return 0.0 if mae == 0 else math.inf
    return float(mae / scale)


def coverage(actual, lower, upper) -> float:
    """Share of actual values inside [lower, upper]."""
    import numpy as np

    actual = np.asarray(actual, float)
    return float(np.mean((actual >= np.asarray(lower)) & (actual <= np.asarray(upper))))


def _origins(n: int, h: int, season: int) -> list[int]:
    """Rolling forecast origins (training lengths), latest first, spaced half a horizon apart."""
    min_train = max(MIN_TRAIN_STEPS, season)
    spacing = max(1, h // 2)
    out = []
    o = n - h
    while o >= min_train and len(out) < MAX_ORIGINS:
        out.append(o)
        o -= spacing
    # Under two weeks of history, or fewer than three origins, a backtest is noise, not evidence.
    return out if n >= 14 and len(out) >= 3 else []


@dataclass
class _Backtest:
    score: BacktestScore
    errors: np.ndarray | None  # origins x h log errors (actual - forecast)
    forecasts: np.ndarray | None = None  # origins x h log forecasts


def backtest(y_log, names, season: int, h: int) -> dict:
    """Score candidates at rolling origins: MASE (on the peak, not its log) and the coverage of
    each one's own 80% and 95% intervals. Returns name -> _Backtest. Fits are shared within an
    origin (the combination reuses its members)."""
    import numpy as np

    origins = _origins(len(y_log), h, season)
    if not origins:
        return {n: _Backtest(BacktestScore(n, None, None, None, 0, h, "too little history"), None)
                for n in names}
    acc = {n: {"mase": [], "c80": [], "c95": [], "err": [], "fc": [], "fail": None} for n in names}
    for o in origins:
        train, test = y_log[:o], y_log[o:o + h]
        memo: dict = {}
        for name in names:
            a = acc[name]
            if a["fail"]:
                continue
            try:
                if name not in memo:
                    memo[name] = (_combination(train, season, memo) if name == "combination"
                                  else CANDIDATES[name](train, season))
                fitted = memo[name]
                mu = fitted.forecast_log(len(test))
            except Exception:  # noqa: BLE001 - a candidate that cannot fit here scores nothing
                a["fail"] = "failed to fit"
                continue
            if not np.all(np.isfinite(mu)):
                a["fail"] = "non-finite forecast"
                continue
            sd = fitted.sd(len(test))
            a["mase"].append(mase(np.exp(test), np.exp(mu), np.exp(train), season))
            a["c80"].append(coverage(test, mu - 1.2816 * sd, mu + 1.2816 * sd))
            a["c95"].append(coverage(test, mu - 1.96 * sd, mu + 1.96 * sd))
            a["err"].append(test - mu)
            a["fc"].append(mu)
    out = {}
    for name, a in acc.items():
        if a["fail"]:
            out[name] = _Backtest(BacktestScore(name, None, None, None, 0, h, a["fail"]), None)
        else:
            out[name] = _Backtest(BacktestScore(name, float(np.mean(a["mase"])),
                                                float(np.mean(a["c80"])), float(np.mean(a["c95"])),
                                                len(origins), h),
                                  np.array(a["err"]), np.array(a["fc"]))
    return out


COMBINATION_MARGIN = 0.10  # a single model must beat the combination's MASE by 10% to replace it


def _choose(results: dict, h_bt: int) -> tuple[str, str]:
    """The backtest's choice. The combination is the default: a single model replaces it only when
    its MASE is lower by more than COMBINATION_MARGIN (a handful of origins on a noisy series is
    weak evidence, and on the eight shared series the combination had the best mean rank of every
    candidate). Among single models, the lowest MASE wins and ties within TIE_TOLERANCE go to the
    simpler one."""
    scored = [r.score for r in results.values() if r.score.mase is not None
              and math.isfinite(r.score.mase)]
    singles = [s for s in scored if s.model != "combination"]
    combo = next((s for s in scored if s.model == "combination"), None)
    best = min(s.mase for s in singles)
    ties = [s for s in singles if s.mase <= best * (1 + TIE_TOLERANCE)]
    pick = min(ties, key=lambda s: SIMPLICITY[s.model])
    if combo is not None and pick.mase >= combo.mase * (1 - COMBINATION_MARGIN):
        pick, why = combo, (f"the combination's backtest MASE {combo.mase:.3f} is not beaten by "
                            f"more than {COMBINATION_MARGIN:.0%} by a single model (best single: "
                            f"{min(ties, key=lambda s: SIMPLICITY[s.model]).model} "
                            f"{best:.3f})")
    else:
        why = f"lowest backtest MASE ({pick.mase:.3f})"
        if len(ties) > 1:
            why += f"; tied within {TIE_TOLERANCE:.0%} with " + ", ".join(
                s.model for s in ties if s is not pick) + ", the simpler wins"
        if combo is not None:
            why += f", more than {COMBINATION_MARGIN:.0%} below the combination's {combo.mase:.3f}"
    why += f" over {pick.origins} origins, horizon {h_bt} steps"
    base = next((s for s in scored if s.model == "seasonal naive"), None)
    if base is not None and pick.model != "seasonal naive" and pick.mase >= base.mase:
        why += "; it does not beat seasonal naive"
    return pick.model, why

