"""Which series of a file to read, and how several become one.

A file may hold several series: wide (Grafana's "joined by time": one column per series), long
(Grafana's `Series;Time;Value`, one row per series and time) or JSON (one result per label set).
`--series` picks by exact name, by a label subset (`{job="api"}` matches
`{instance="web-1:9100",job="api"}`) or by a plain substring; `--aggregate sum|max|mean` combines
every series that matches into one (per-instance series into the service total).

Combining is on the series' own timestamps: a series counts from its first to its last sample
(an instance that starts later, or stops, adds nothing outside its span), and a timestamp at which a
series has no value inside its span is dropped and counted, since a total there would be short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from capplan.errors import CapplanError, name_list
from capplan.ingest.columns import SERIES_NAMES, VALUE_NAMES, numeric_columns, numeric_fraction
from capplan.ingest.model import FIRST_ROWS_SHOWN, DroppedRows

if TYPE_CHECKING:  # pandas is imported lazily so the CLI starts fast
    import pandas as pd

AGGREGATES = ("sum", "max", "mean")
_LABELS = re.compile(r'^\s*([A-Za-z_:][A-Za-z0-9_:.\-]*)?\s*\{(.*)\}\s*$', re.S)
_PAIR = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"\s*,?')
SERIES_HINT = "--series (a name, part of one, or {label=\"value\"})"
# Labels that name a series' statistic in monitoring JSON, and the statistic read by default when
# the file holds several of one metric.
STATISTIC_LABELS = ("statistic", "aggregation")
PREFERRED_STATISTICS = ("Sum", "total", "Average", "average", "Maximum", "maximum")


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the values are: one column ('single'), several columns ('wide'), or one value column
    with a series column naming each row's series ('long')."""

    kind: str
    value_columns: tuple[str, ...]
    series_column: str | None = None


def parse_labels(name: str) -> tuple[str | None, dict[str, str]] | None:
    """'metric{a="b", c="d"}' or '{__name__="metric",a="b"}' -> (metric or None, labels without
    __name__); None when not a label set. Only equality matchers: a selector with !=, =~ or !~
    is not a label set capplan can match."""
    m = _LABELS.match(name)
    if not m:
        return None
    body, labels, pos = m.group(2), {}, 0
    while pos < len(body):
        p = _PAIR.match(body, pos)
        if not p or p.end() == pos or p.group(2) != "=":
            return None
        labels[p.group(1)] = p.group(3)
        pos = p.end()
    metric = labels.pop("__name__", None)
    return m.group(1) or metric, labels


def short_names(names: list[str]) -> list[str]:
    """Label sets cut to the labels that tell them apart (`{instance="web-1:9100"}`): shorter in
    a message, and each still selects its series with --series. Other names as they are."""
    parsed = [parse_labels(n) for n in names]
    if len(names) < 2 or any(p is None for p in parsed):
        return list(names)
    keys = sorted({k for _, labels in parsed for k in labels})
    differ = [k for k in keys if len({labels.get(k) for _, labels in parsed}) > 1]
    metrics = len({metric for metric, _ in parsed}) > 1
    out = []
    for metric, labels in parsed:
        body = ",".join(f'{k}="{labels[k]}"' for k in differ if k in labels)
        out.append(f"{metric if metrics and metric else ''}{{{body}}}")
    return out if len(set(out)) == len(out) else list(names)


def match(names: list[str], wanted: str) -> list[str]:
    """The names `wanted` picks: itself when it is one; else those whose labels include its
    labels; else those that contain it (exactly, then ignoring case). File order is kept."""
    if wanted in names:
        return [wanted]
    want = parse_labels(wanted)
    if want is not None:
        metric, labels = want
        out = []
        for n in names:
            have = parse_labels(n)
            if have is None:
                continue
            if (metric is None or have[0] == metric) and \
                    all(have[1].get(k) == v for k, v in labels.items()):
                out.append(n)
        return out
    out = [n for n in names if wanted in n]
    if not out:
        low = wanted.lower()
        out = [n for n in names if low in n.lower()]
    return out


def select(path: Path, names: list[str], wanted: str | None, aggregate: str | None,
           where: str = "", notes: list[str] | None = None) -> list[str]:
    """The series to read: one, or with `aggregate` every one that matches (all when `wanted` is
    None). Where the matches are several statistics of one series (CloudWatch Sum and Average,
    Azure total and average), the preferred one is read (`one_statistic`) and `notes` say which
    others the file holds. The errors list what there is (capped) and say which flag to use."""
    if aggregate is not None and aggregate not in AGGREGATES:
        raise CapplanError(f"--aggregate {aggregate!r}: use one of {', '.join(AGGREGATES)}")
    if not names:
        raise CapplanError(f"{path}: holds no series{where}: export a time range with data")
    if wanted is None:
        chosen = list(names)
    else:
        chosen = match(names, wanted)
        if not chosen:
            raise CapplanError(f"{path}: no series matches --series {wanted!r}{where}; the series "
                               f"are {name_list(short_names(names), 4)}: give {SERIES_HINT}")
    chosen, note = one_statistic(chosen)
    if note and notes is not None:
        notes.append(note)
    if aggregate is None and len(chosen) > 1:
        which = f"holds {len(chosen)} series" if wanted is None else \
            f"{len(chosen)} series match --series {wanted!r}"
        shown = name_list(short_names(chosen), 3)
        raise CapplanError(f"{path}: {which}{where} ({shown}): pick one with --series, or "
                           "combine them with --aggregate sum|max|mean")
    return chosen


def statistic_of(name: str) -> str | None:
    """The statistic a series' label set names (CloudWatch `statistic`, Azure `aggregation`)."""
    parsed = parse_labels(name)
    if parsed is None:
        return None
    labels = parsed[1]
    return next((labels[k] for k in STATISTIC_LABELS if k in labels), None)


def one_statistic(chosen: list[str]) -> tuple[list[str], str | None]:
    """Several statistics of the same series are not several series: a Sum and an Average of
    one metric cannot be summed or picked between by --aggregate. Keep the preferred statistic
    (a count before an average before a maximum: the count is what becomes a request rate) and
    say which others the file holds, with the --series that reads one."""
    stats = [statistic_of(n) for n in chosen]
    distinct = list(dict.fromkeys(s for s in stats if s is not None))
    if len(distinct) < 2:
        return chosen, None
    preferred = next((s for s in PREFERRED_STATISTICS if s in distinct), distinct[0])
    others = [s for s in distinct if s != preferred]
    kept = [n for n, s in zip(chosen, stats) if s in (preferred, None)]
    return kept, (f"the file also holds {', '.join(others)}: --series {others[0]} reads it "
                  f"instead of {preferred}")


def layout(path: Path, sample: pd.DataFrame, tcol: str, value_column: str | None,
           series: str | None, aggregate: str | None) -> Layout:
    """Decide from the first rows where the values are and, for wide files, which columns."""
    cols = [c for c in sample.columns if c != tcol]
    if value_column is not None:
        if value_column not in sample.columns:
            raise CapplanError(f"{path}: no column {value_column!r} for --value-column; the "
                               f"columns are {name_list(list(sample.columns))}")
        if value_column == tcol:
            raise CapplanError(f"{path}: column {value_column!r} is the time column: name another "
                               "with --value-column")
    lower = {c.lower(): c for c in cols}
    series_col = next((lower[n] for n in SERIES_NAMES if n in lower and lower[n] != value_column
                       and numeric_fraction(sample[lower[n]]) < 0.5), None)
    if series_col is not None and (value_column is None or series is not None or aggregate):
        # Long format (Grafana's "Series;Time;Value"): the value column is the numeric one.
        others = [c for c in cols if c != series_col]
        vcol = value_column or _value_column(path, others, numeric_columns(sample, others))
        return Layout("long", (vcol,), series_col)
    if value_column is not None:
        return Layout("single", (value_column,))
    numeric = numeric_columns(sample, cols)
    if series is not None or aggregate is not None:
        if series is not None and series in cols and series not in numeric:
            numeric.append(series)  # named exactly: read it, and let the rows say what is wrong
        chosen = select(path, numeric, series, aggregate, where=" among its columns")
        return Layout("wide" if len(chosen) > 1 else "single", tuple(chosen))
    return Layout("single", (_value_column(path, cols, numeric),))


def _value_column(path: Path, cols: list[str], numeric: list[str]) -> str:
    if not numeric:
        raise CapplanError(f"{path}: no numeric value column found among "
                           f"{name_list(cols) if cols else 'no other columns'}: name it with "
                           "--value-column")
    if len(numeric) == 1:
        return numeric[0]
    lower = {c.lower(): c for c in numeric}
    named = [lower[n] for n in VALUE_NAMES if n in lower]
    if len(named) == 1:
        return named[0]
    raise CapplanError(f"{path}: has {len(numeric)} value columns ({name_list(numeric, 3)}): pick "
                       "one with --series, or combine them with --aggregate sum|max|mean")


def long_names(frame: pd.DataFrame, series_col: str) -> list[str]:
    """The series of a long table in order of first appearance."""
    return [str(n) for n in frame[series_col].dropna().astype(str).unique()]


@dataclass(frozen=True, slots=True)
class Part:
    """One series after its own rows were cleaned: sorted unique UTC times (naive datetime64[ns]),
    values, and the file line of each."""

    name: str
    times: object  # np.ndarray datetime64[ns]
    values: object  # np.ndarray float64
    lines: object  # np.ndarray int64


def combine(path: Path, parts: list[Part], how: str):
    """Several series into one by `how` (sum, max or mean) on their timestamps.

    Returns (times, values, lines, dropped, note): `dropped` counts the timestamps at which a
    series had no value inside its span (None when there were none)."""
    import numpy as np
    import pandas as pd

    values = pd.DataFrame({i: pd.Series(p.values, index=p.times) for i, p in enumerate(parts)})
    lines = pd.DataFrame({i: pd.Series(p.lines, index=p.times) for i, p in enumerate(parts)})
    index = values.index.to_numpy()
    present = values.notna().to_numpy()
    first = np.array([p.times[0] for p in parts])
    last = np.array([p.times[-1] for p in parts])
    inside = (index[:, None] >= first[None, :]) & (index[:, None] <= last[None, :])
    short = (inside & ~present).any(axis=1)
    n_short = int(short.sum())
    if n_short > 0.5 * len(index):
        raise CapplanError(
            f"{path}: the {len(parts)} series to combine do not share timestamps ({n_short:,} of "
            f"{len(index):,} times lack a value in some series): export them on one time grid "
            "(Grafana: 'Series joined by time'; Prometheus query_range steps are shared)")
    keep = ~short
    frame = values[keep]
    if how == "sum":
        total = frame.sum(axis=1, min_count=1)
    elif how == "max":
        total = frame.max(axis=1)
    else:
        total = frame.mean(axis=1)
    line = lines[keep].min(axis=1).to_numpy(dtype="float64", na_value=np.nan)
    dropped = None
    if n_short:
        first_lines = lines[short].min(axis=1).dropna().astype("int64").to_numpy()
        dropped = DroppedRows(
            f"a combined series has no value at this time inside its span (the {how} there "
            "would be incomplete)", n_short, tuple(int(x) for x in first_lines[:FIRST_ROWS_SHOWN]))
    spans = int((inside.sum(axis=1) < len(parts)).sum())
    note = (f"{len(parts)} series combined by {how} on their timestamps "
            f"({name_list([p.name for p in parts], limit=3)}); each counts from its first to its "
            f"last sample")
    if spans:
        note += f" ({spans:,} times fall outside some series' span and use the others)"
    note += (f"; {n_short:,} times where a series had no value inside its span were dropped"
             if n_short else "; no series had a gap inside its span")
    return (total.index.to_numpy(), total.to_numpy(dtype="float64"),
            np.nan_to_num(line, nan=0).astype("int64"), dropped, note)
