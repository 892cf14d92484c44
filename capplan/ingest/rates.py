"""From cleaned values to a per-second rate, and the honest account of what was done.

Rows are dropped only with a reason (`DroppedRows`). Whether the values are rates, counts per
interval or a running counter comes from the caller when stated (`--rate`, `--per-interval`,
`--counter`, or a `--unit` with a time base such as hires/day); otherwise from the file: a value
column named as a count or a Sum (`RequestCount`, `request_count`, `Sum`) whose values are whole
numbers is a count per interval. When the values only look like counts (whole numbers at a minute
or longer, or a name such as "Number of hires"), they are read as rates and a warning naming
`--per-interval` is recorded: never silent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from capplan.errors import CapplanError
from capplan.ingest.model import FIRST_ROWS_SHOWN, DataQuality, DroppedRows

if TYPE_CHECKING:  # pandas is imported lazily so the CLI starts fast
    import numpy as np

KINDS = ("rate", "per-interval", "counter")
# A count per period by name: a word "count" or "sum" (snake, camel or spaced), and no word that
# makes it a rate or another statistic ("count_per_sec", "avg count").
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_COUNT_WORDS = {"count", "sum"}
_RATE_WORDS = {"per", "rate", "avg", "average", "mean", "rps", "qps", "tps", "ps", "sec",
               "second", "seconds", "max", "maximum", "min", "minimum", "median", "p"}
# Looks like counts, but is not a statistic name: warn only.
_COUNTISH_NAME = re.compile(r"(?i)\b(number|total|hits|requests|hires|visits|events|jobs|"
                            r"messages|orders|passengers|calls)\b|_total$")
_COUNTER_NAME = re.compile(r"(?i)(_total$|counter)")
WARNING = "warning: "
# No rate of anything reaches 1e15 a second; past it a value is a unit mix-up or a sentinel, and
# sums of such values overflow to infinity downstream.
MAX_VALUE = 1e15
TIME_UNITS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hr": 3600,
              "hour": 3600, "d": 86400, "day": 86400, "week": 604800, "wk": 604800}


@dataclass(frozen=True, slots=True)
class Unit:
    """What a value counts and per what: the label reports print (req/s, hires/day, jobs/s)."""

    label: str
    stated_rate: bool  # the caller gave the time base (hires/day): values are rates as given


def parse_unit(unit: str | None) -> Unit:
    """`--unit`: 'hires/day' names a rate (values used as given); 'jobs' names what is counted
    (the rate is jobs/s)."""
    if unit is None:
        return Unit("req/s", False)
    text = " ".join(str(unit).split())
    if not text or len(text) > 40 or any(c in text for c in "\"'<>{}\\"):
        raise CapplanError(f"--unit {unit!r}: give a short label such as hires/day, jobs or "
                           "messages/s (at most 40 characters, no quotes or brackets)")
    if "/" in text:
        thing, _, base = text.rpartition("/")
        if not thing.strip() or base.strip().lower().rstrip("s") not in TIME_UNITS and \
                base.strip().lower() not in TIME_UNITS:
            raise CapplanError(f"--unit {unit!r}: after the '/' give a time (s, min, h, day, "
                               "week), e.g. hires/day; or give only what is counted (jobs)")
        return Unit(text, True)
    return Unit(f"{text}/s", False)


def drop_bad_rows(times, values: np.ndarray, lines: np.ndarray, timezone: str,
                  counter: bool) -> tuple[np.ndarray, list[DroppedRows]]:
    """Which rows are usable (a bool mask), and a `DroppedRows` per reason for the others."""
    import numpy as np

    bad_time = np.isnat(times.utc)
    if not bad_time.any():
        ok = np.isfinite(values)
        if ok.all() and (counter or values.min(initial=0.0) >= 0) and \
                values.max(initial=0.0) <= MAX_VALUE:
            return ok, []  # the common case: every row usable, in a few passes
    dst = times.dst & bad_time
    out_of_range = times.out_of_range & bad_time & ~dst
    unparsable = bad_time & ~dst & ~out_of_range
    bad_value = ~bad_time & ~np.isfinite(values)
    huge = ~bad_time & ~bad_value & (np.abs(values) > MAX_VALUE)
    negative = ~bad_time & ~bad_value & ~huge & (values < 0) if not counter else \
        np.zeros_like(bad_time)
    dropped = []
    for reason, mask in (("unparsable timestamp", unparsable),
                         ("timestamp outside 1970-2100", out_of_range),
                         (f"local time repeated or skipped by a daylight-saving change in "
                          f"{timezone} (cannot be placed in UTC)", dst),
                         ("missing or non-numeric value", bad_value),
                         (f"value beyond {MAX_VALUE:g} (not a plausible rate: check the column "
                          "and its unit)", huge),
                         ("negative value", negative)):
        if mask.any():
            idx = np.flatnonzero(mask)
            dropped.append(DroppedRows(reason, int(idx.size),
                                       tuple(int(lines[i]) for i in idx[:FIRST_ROWS_SHOWN])))
    return ~(bad_time | bad_value | huge | negative), dropped


def sort_unique(times: np.ndarray, values: np.ndarray, lines: np.ndarray):
    """Sorted by time, one value per time (the highest: capacity is sized for the peak).
    Returns (times, values, lines, duplicates, sorted_by_capplan)."""
    import numpy as np

    t64 = times.view("int64")
    steps = np.diff(t64)
    low = int(steps.min()) if steps.size else 1
    if low > 0:  # strictly increasing already: nothing to sort or merge
        return times, values, lines, 0, False
    unsorted = low < 0
    if unsorted:
        order = np.argsort(t64, kind="stable")
        times, values, lines, t64 = times[order], values[order], lines[order], t64[order]
        steps = np.diff(t64)
    dup = np.zeros(t64.size, dtype=bool)
    dup[1:] = steps == 0
    n_dup = int(dup.sum())
    if n_dup:
        starts = np.flatnonzero(~dup)
        values = np.maximum.reduceat(values, starts)
        times, lines = times[starts], lines[starts]
    return times, values, lines, n_dup, unsorted


def infer_interval(steps: np.ndarray) -> float:
    """The sampling interval: the most common of the steps between timestamps (nanoseconds in;
    seconds out)."""
    import numpy as np

    if steps.size:
        low, high = int(steps.min()), int(steps.max())
        if low == high and low >= 1_000_000_000:
            return float(low // 1_000_000_000)  # a regular series: no division per step
    diffs = steps // 1_000_000_000
    diffs = diffs[diffs > 0]
    if diffs.size == 0:
        return 1.0
    values, counts = np.unique(diffs, return_counts=True)
    step = float(values[np.argmax(counts)])
    # Monthly data steps by 28-31 days; the median is the better summary there.
    if counts.max() < 0.5 * diffs.size:
        step = float(np.median(diffs))
    return step


def counter_to_rate(times: np.ndarray, values: np.ndarray, lines: np.ndarray):
    """A running counter to a per-second rate: (times, rate, lines, resets). A decrease is a
    reset, after which the value is the increase since the restart (as Prometheus' rate())."""
    import numpy as np

    dt = np.diff(times.view("int64")) / 1e9
    dv = np.diff(values)
    resets = dv < 0
    inc = np.where(resets, values[1:], dv)
    return times[1:], inc / dt, lines[1:], int(resets.sum())


def decide_kind(requested: str | None, unit: Unit, name: str | None, values: np.ndarray,
                interval: float) -> tuple[str, list[str]]:
    """'rate' or 'per-interval', and the notes saying why: stated, said by the file, or read as
    rates with a warning when the values look like counts."""
    import numpy as np

    if requested is not None:
        return requested, []
    if unit.stated_rate:
        return "rate", []
    finite = values if values.size and np.isfinite(values).all() else values[np.isfinite(values)]
    head = finite[:10_000]  # fractional values show at once in real rates: skip the full pass
    whole = bool(finite.size) and bool((np.trunc(head) == head).all()) and \
        float(np.abs(finite).max()) < 2 ** 53 and bool((np.trunc(finite) == finite).all())
    col = f"column {name!r}" if name else "the combined series"
    every = _fmt_seconds(interval)
    if name and _named_as_count(name) and whole:
        return "per-interval", [
            f"{col} is named as a count per period and every value is a whole number: read as "
            f"counts per {every} and divided by {interval:g} s; pass --rate if they are "
            "per-second rates already"]
    # A rate that never falls over 50+ samples is rare (traffic has daily cycles); a counter
    # always rises but at its resets. A name such as requests_total settles it sooner.
    rising = _rising_share(finite)
    counter_like = finite.size >= 10 and finite[-1] > finite[0] and (
        (finite.size >= 50 and rising >= 0.99) or
        (name is not None and _COUNTER_NAME.search(name) is not None and rising >= 0.9))
    shape = _counter_shape(finite) if counter_like else None
    if shape is not None:
        return "rate", [f"{WARNING}{col} {shape}, but was read as a rate: pass --counter if it "
                        "is a counter, or --rate to confirm"]
    if whole and interval >= 60 or (name and _COUNTISH_NAME.search(name)):
        why = (f"every value of {col} is a whole number at a {every} interval" if whole else
               f"{col} is named like a count")
        return "rate", [f"{WARNING}{why}, like counts per interval, but was read as a rate: "
                        f"pass --per-interval if each counts {every}, --rate to confirm, or --unit "
                        "to name it (hires/day)"]
    return "rate", []


def _rising_share(v: np.ndarray) -> float:
    """Share of steps that do not fall (a counter's is 1); the first 10,000 steps decide when
    they already fall often."""
    import numpy as np

    if v.size < 2:
        return 0.0
    head = float((np.diff(v[:10_001]) >= 0).mean())
    if head < 0.9 or v.size <= 10_001:
        return head
    return float((np.diff(v) >= 0).mean())


def _counter_shape(v: np.ndarray) -> str | None:
    """How a mostly rising column is like a running counter, in words true to the data, or None
    when it is not: a counter never falls but at a reset, where it starts again near zero (the
    count since its restart), so any fall must take it below half the value before it and not
    below zero. A rate that rises with a few small dips is not counter-like."""
    import numpy as np

    falls = np.flatnonzero(np.diff(v) < 0)
    steps = v.size - 1
    if falls.size == 0:
        return f"never falls over its {v.size:,} values, as a running counter does"
    before, after = v[falls], v[falls + 1]
    if not ((after >= 0) & (after < 0.5 * before)).all():
        return None
    n = falls.size
    each = "each " if n > 1 else ""
    return (f"never falls but at {n:,} of its {steps:,} steps, {each}a fall to under half the "
            "value before it, as a running counter's resets are")


def _named_as_count(name: str) -> bool:
    words = {w.lower() for w in _WORDS.findall(name)}
    return bool(words & _COUNT_WORDS) and not words & _RATE_WORDS


def quality_account(times: np.ndarray, steps: np.ndarray, values: np.ndarray, *, rows_read: int,
                    dropped: list[DroppedRows], n_dup: int, sorted_by_us: bool, interval: float,
                    assumed: str | None, notes: list[str]) -> DataQuality:
    import pandas as pd

    gap_mask = steps > 1.5 * interval * 1e9  # on the integer steps: no division per sample
    missing = steps[gap_mask] / 1e9 - interval
    return DataQuality(
        rows_read=rows_read, rows_used=int(values.size), dropped=tuple(dropped),
        duplicate_timestamps=n_dup,
        duplicates_kept="the highest value of each repeated timestamp" if n_dup else "none",
        sorted_by_capplan=sorted_by_us, interval_seconds=interval, gaps=int(gap_mask.sum()),
        longest_gap_seconds=float(missing.max()) if missing.size else 0.0,
        missing_seconds=float(missing.sum()) if missing.size else 0.0,
        zero_values=int((values == 0).sum()), first=pd.Timestamp(times[0], tz="UTC"),
        last=pd.Timestamp(times[-1], tz="UTC"), timezone_assumed=assumed, notes=tuple(notes))


def none_usable(path, rows_read: int, dropped: list[DroppedRows], tcol: str, vcol: str):
    why = "; ".join(f"{d.count} with {d.reason} (first at line {d.first_lines[0]})"
                    for d in dropped if d.first_lines)
    return CapplanError(f"{path}: none of its {rows_read} rows is usable ({why}): check columns "
                        f"{tcol!r} (time) and {vcol!r} (value), or name others with "
                        "--time-column/--value-column")


def _fmt_seconds(seconds: float) -> str:
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}" if unit != "day" else f"{n} day{'s' if n > 1 else ''}"
    return f"{seconds:g} s"
