"""Utilization columns and the samples a fit leaves out. Pure; no I/O.

A utilization column is read as percent or as a fraction (detected, or as the user says) and
becomes a fraction; over 100% is refused. Samples inside `--exclude` windows, in the warm-up
after a `--deploy` time and after a change of the instance count, and with no instance in
service are left out of every fit, each listed with the rule that left it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from capplan.errors import CapplanError
from capplan.metrics_syntax import UTILIZATION_UNITS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

AMBIGUOUS_FRACTION_MAX = 1.5  # values up to this, nearly all <= 1: a fraction over 100%, or tiny %
UNITS = UTILIZATION_UNITS  # the rule lives with the other flag rules


@dataclass(frozen=True, slots=True)
class Exclusion:
    """One sample left out of a fit, and the rule that left it out."""

    time: str  # ISO 8601, UTC
    rule: str  # "window", "deploy warm-up", "instance-count warm-up", "no instances", "outlier"
    throughput: float | None  # per instance
    utilization: float | None  # fraction; None for exclusions common to every resource
    detail: str



def utilization_fraction(values: np.ndarray, unit: str, where: str, times) -> tuple:
    """Percent or fraction to a fraction: (fraction, "percent" | "fraction", note)."""
    import numpy as np

    if unit not in UNITS:
        raise CapplanError(f"--utilization-unit {unit!r}: use auto, percent or fraction")
    v = np.asarray(values, dtype=float)
    i = int(np.argmax(v))
    top = float(v[i])
    at = f"{times[i]:%Y-%m-%d %H:%M} UTC"
    if unit == "fraction" and top > 1:
        raise CapplanError(f"{where} reaches {top:g} at {at}, over 1 (100%) with "
                           "--utilization-unit fraction: check the column or say percent")
    if top > 100:
        raise CapplanError(f"{where} reaches {top:g} at {at}: a utilization is at most 100%; if "
                           "it counts cores (400% = 4 busy cores), divide by the core count, or "
                           "name the right column")
    if unit == "percent":
        return v / 100, "percent", f"read as percent (--utilization-unit percent; max {top:g})"
    if unit == "fraction":
        return v, "fraction", f"read as a fraction (--utilization-unit fraction; max {top:g})"
    if top <= 1:
        return v, "fraction", (f"read as a fraction: every value is at most 1 (max {top:g}); if "
                               "they are percentages under 1%, say --utilization-unit percent")
    if top <= AMBIGUOUS_FRACTION_MAX and np.mean(v <= 1) >= 0.95:
        raise CapplanError(f"{where} reaches {top:g} at {at} but nearly every value is at most "
                           "1: a fraction over 100%, or a percentage that stays near 1%? Say "
                           "--utilization-unit percent or fraction")
    return v / 100, "percent", f"read as percent: values above 1 (max {top:g})"


def time_exclusions(index: pd.DatetimeIndex, per_instance_x, instances,
                    windows=(), deploys=(), warm_up_seconds: float = 600.0
                    ) -> tuple[np.ndarray, tuple[Exclusion, ...]]:
    """Samples left out of every fit: (keep mask, the exclusions in time order).

    `windows`: (start, end) UTC timestamps, inclusive. `deploys`: UTC timestamps; the warm-up
    after each, and after each change of the instance count, is [t, t + warm_up).
    """
    import numpy as np
    import pandas as pd

    n = len(index)
    reason = np.full(n, "", dtype=object)
    detail = np.full(n, "", dtype=object)
    warm = pd.Timedelta(seconds=warm_up_seconds)
    for start, end in windows:
        hit = (index >= start) & (index <= end) & (reason == "")
        reason[hit], detail[hit] = "window", f"inside --exclude {start:%Y-%m-%d %H:%M}/{end:%Y-%m-%d %H:%M}"
    for t in deploys:
        hit = (index >= t) & (index < t + warm) & (reason == "")
        reason[hit] = "deploy warm-up"
        detail[hit] = f"within {warm_up_seconds / 60:g} min after the deploy at {t:%Y-%m-%d %H:%M}"
    if instances is not None:
        counts = np.asarray(instances, dtype=float)
        none = ~(counts > 0) & (reason == "")
        reason[none], detail[none] = "no instances", "instance count 0 or missing"
        change = np.flatnonzero(np.r_[False, counts[1:] != counts[:-1]])
        for i in change:
            t = index[i]
            hit = (index >= t) & (index < t + warm) & (reason == "")
            reason[hit] = "instance-count warm-up"
            detail[hit] = (f"within {warm_up_seconds / 60:g} min after the instance count went "
                           f"from {counts[i - 1]:g} to {counts[i]:g} at {t:%Y-%m-%d %H:%M}")
    drop = np.flatnonzero(reason != "")
    x = np.asarray(per_instance_x, dtype=float)
    out = tuple(Exclusion(index[i].isoformat(), str(reason[i]),
                          float(x[i]) if np.isfinite(x[i]) else None, None, str(detail[i]))
                for i in drop)
    return reason == "", out
