"""From values to a per-second rate: the sampling interval, counters, per-interval counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from capplan.errors import CapplanError
from capplan.ingest.model import FIRST_ROWS_SHOWN, DataQuality, DroppedRows

if TYPE_CHECKING:  # pandas is imported lazily so the CLI starts fast
    import pandas as pd


def _infer_interval(index: pd.DatetimeIndex) -> float:
    """The sampling interval: the most common step between timestamps (seconds)."""
    import numpy as np

    diffs = np.diff(index.asi8) // 1_000_000_000
    diffs = diffs[diffs > 0]
    if diffs.size == 0:
        return 1.0
    values, counts = np.unique(diffs, return_counts=True)
    step = float(values[np.argmax(counts)])
    # Monthly data steps by 28-31 days; the median is the better summary there.
    if counts.max() < 0.5 * diffs.size:
        step = float(np.median(diffs))
    return step


def _counter_to_rate(s: pd.Series) -> tuple[pd.Series, int]:
    import numpy as np
    import pandas as pd

    v = s.to_numpy()
    dt = np.diff(s.index.asi8) / 1e9
    dv = np.diff(v)
    resets = dv < 0
    # After a reset the counter restarted from zero, so its value is the increase since then.
    inc = np.where(resets, v[1:], dv)
    return pd.Series(inc / dt, index=s.index[1:], name=s.name), int(resets.sum())


def _fmt_seconds(seconds: float) -> str:
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}" if unit != "day" else f"{n} day{'s' if n > 1 else ''}"
    return f"{seconds:g} s"


def drop_bad_rows(path, tvals, values_np, lines, dst_lost, timezone: str, counter: bool,
                  rows_read: int, tcol: str, vcol: str):
    """Which rows are usable, and a `DroppedRows` per reason for the others (never silent)."""
    import numpy as np

    bad_time = np.isnat(tvals)
    dst = dst_lost if dst_lost is not None else np.zeros_like(bad_time)
    bad_time_text = bad_time & ~dst
    bad_value = ~bad_time & ~np.isfinite(values_np)
    negative = ~bad_time & ~bad_value & (values_np < 0)
    dropped = []
    for reason, mask in (("unparsable timestamp", bad_time_text),
                         (f"local time repeated or skipped by a daylight-saving change in "
                          f"{timezone} (cannot be placed in UTC)", dst),
                         ("missing or non-numeric value", bad_value),
                         ("negative value", negative if not counter else np.zeros_like(negative))):
        if mask.any():
            idx = np.flatnonzero(mask)
            dropped.append(DroppedRows(reason, int(idx.size),
                                       tuple(int(lines[i]) for i in idx[:FIRST_ROWS_SHOWN])))
    keep = ~(bad_time | bad_value | (negative if not counter else False))
    if not keep.any():
        why = "; ".join(f"{d.count} with {d.reason} (first at line {d.first_lines[0]})" for d in dropped)
        raise CapplanError(f"{path}: none of its {rows_read} rows is usable ({why}): check "
                           f"columns {tcol!r} (time) and {vcol!r} (value), or name others with "
                           "--time-column/--value-column")
    return keep, tuple(dropped)


def to_rate(s: pd.Series, interval: float, counter: bool, per_interval: bool):
    """The per-second rate, the value kind and a note saying what was done to the values."""
    if counter:
        s, resets = _counter_to_rate(s)
        return s, "counter", [f"counter converted to a per-second rate; {resets} counter reset(s) "
                              "seen; the first sample has no rate and is not used"]
    if per_interval:
        return s / interval, "per-interval count", [
            f"values are counts per {_fmt_seconds(interval)} interval, divided by "
            f"{interval:g} s to give a per-second rate"]
    return s, "rate", []


def quality_account(s: pd.Series, *, rows_read: int, dropped: tuple[DroppedRows, ...], n_dup: int,
                    sorted_by_us: bool, interval: float, assumed: str | None,
                    notes: list[str]) -> DataQuality:
    import numpy as np

    diffs = np.diff(s.index.asi8) / 1e9
    gap_mask = diffs > 1.5 * interval
    missing = diffs[gap_mask] - interval
    return DataQuality(
        rows_read=rows_read, rows_used=len(s), dropped=dropped,
        duplicate_timestamps=n_dup,
        duplicates_kept="the highest value of each repeated timestamp" if n_dup else "none",
        sorted_by_capplan=sorted_by_us, interval_seconds=interval, gaps=int(gap_mask.sum()),
        longest_gap_seconds=float(missing.max()) if missing.size else 0.0,
        missing_seconds=float(missing.sum()) if missing.size else 0.0,
        zero_values=int((s == 0).sum()), first=s.index[0], last=s.index[-1],
        timezone_assumed=assumed, notes=tuple(notes))
