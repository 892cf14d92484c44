"""JSON from monitoring APIs, recognised by its shape: Prometheus query_range, Datadog query,
AWS CloudWatch (`get-metric-statistics`, `get-metric-data`), Google Cloud Monitoring
(`timeSeries.list`) and Azure Monitor (`az monitor metrics list`).

The statistic decides what a value is, so the file, not a flag, says how it becomes a rate:
a count per period (CloudWatch Sum or SampleCount of a count, GCP DELTA, Azure total or count) is
divided by the period; a rate or an average (CloudWatch Average/Maximum/pNN, GCP GAUGE, Azure
average) is used as it is; a GCP CUMULATIVE count becomes the increase between points over the
time between them. Each series records which conversion was made, for the quality account. Files
that do not name a statistic (Prometheus, Datadog, CloudWatch get-metric-data without one in its
label) are passed on as given and the caller's flags decide.

`json_long_frame` hands every series on, as per-second rates where the file settled the kind,
in one long table: choosing (`--series`) and combining (`--aggregate`) are `capplan.ingest.series`'
job, as for any other multi-series file. Each series is named as a label set
(`{metric="RequestCount",statistic="Sum"}`), so `--series` picks it by its labels or by any part of
its name. The document is untrusted: a shape the reader does not expect is a one-line
`CapplanError` naming where in the document it is.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from capplan.errors import CapplanError
from capplan.ingest.cloud_json import (
    COUNT,
    CUMULATIVE,
    PER_SECOND,
    RATE,
    UNSTATED,
    VALUE_KIND,
    MetricSeries,
    arr,
    azure,
    cw_data,
    cw_statistics,
    epoch_seconds,
    gcp,
    is_azure,
    is_cw_data,
    is_cw_statistics,
    is_gcp,
    label_name,
    number,
    obj,
    shape,
    unique_names,
)

if TYPE_CHECKING:  # numpy is imported lazily so the CLI starts fast
    import numpy as np


@dataclass(frozen=True, slots=True)
class Rates:
    """One series made per-second: times (epoch seconds), rates, and what was done."""

    name: str
    times: np.ndarray
    values: np.ndarray
    value_kind: str
    settled: bool  # the file said what the values are (flags cannot change it)
    note: str | None


def json_long_frame(path: Path, text: str):
    """Every series as one long (timestamp in epoch seconds, value, series) frame, and the
    format's name. A series whose file states its statistic is converted to per-second rates
    here (per series: each has its own period and restarts); the others are as written.
    attrs["series_info"] maps each series to its value_kind, whether the file settled it, the
    note on the conversion made, and its statistic (None when the file names none)."""
    import numpy as np
    import pandas as pd

    fmt, found = parse_document(path, text)
    rates = [to_rates(path, s) for s in found]
    frame = pd.DataFrame({"timestamp": np.concatenate([r.times for r in rates]),
                          "value": np.concatenate([r.values for r in rates]),
                          "series": np.repeat([r.name for r in rates],
                                              [len(r.times) for r in rates])})
    frame.attrs["series_info"] = {
        r.name: {"value_kind": r.value_kind, "settled": r.settled, "note": r.note,
                 "statistic": s.statistic} for r, s in zip(rates, found)}
    return frame, fmt


def parse_document(path: Path, text: str) -> tuple[str, list[MetricSeries]]:
    """The format's name and its series, from the document's shape."""
    doc = _load(path, text)
    for test, reader in _READERS:
        if test(doc):
            fmt, found = reader(path, doc)
            if not found:
                raise CapplanError(f"{path}: the {fmt} holds no series: widen the query's time "
                                   "range, or check the metric name and dimensions")
            return fmt, unique_names(found)
    raise CapplanError(
        f"{path}: JSON of no shape capplan reads (Prometheus query_range, Datadog query, "
        "CloudWatch get-metric-statistics or get-metric-data, Google Cloud Monitoring "
        "timeSeries.list, Azure az monitor metrics list): export one of these, or CSV")


def _load(path: Path, text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CapplanError(f"{path}: looks like JSON but does not parse ({exc.msg} at line "
                           f"{exc.lineno}): export it again") from exc
    except RecursionError as exc:
        raise CapplanError(f"{path}: JSON nested too deeply to be a monitoring export: export "
                           "it again, or export CSV") from exc


# --------------------------------------------------------------------------------------------
# Prometheus and Datadog: no statistic is stated; values are passed on as given.


def _is_prometheus(doc) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("data"), dict) and \
        "result" in doc["data"]


def _prometheus(path: Path, doc: dict):
    import numpy as np

    fmt = "Prometheus query_range JSON"
    data = doc["data"]
    if data.get("resultType") != "matrix":
        raise CapplanError(f"{path}: Prometheus result type {str(data.get('resultType'))[:40]!r}"
                           " is not a range: export with query_range (resultType matrix)")
    found = []
    for i, r in enumerate(arr(path, fmt, data["result"], "data.result")):
        r = obj(path, fmt, r, f"data.result[{i}]")
        labels = obj(path, fmt, r.get("metric", {}), f"data.result[{i}].metric")
        values = arr(path, fmt, r.get("values", []), f"data.result[{i}].values")
        times, vals = _pairs(path, fmt, values, f"data.result[{i}].values")
        name = label_name(sorted((str(k), str(v)) for k, v in labels.items()))
        found.append(MetricSeries(name, epoch_seconds(times), np.array(vals), UNSTATED))
    return fmt, found


def _pairs(path, fmt, values: list, where: str) -> tuple[list, list]:
    times, vals = [], []
    for j, p in enumerate(values):
        if not isinstance(p, list) or len(p) != 2:
            raise shape(path, fmt, f"{where}[{j}]", "a [time, value] pair")
        times.append(p[0] if not isinstance(p[0], (list, dict)) else None)
        vals.append(number(p[1]))
    return times, vals


def _is_datadog(doc) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("series"), list)


def _datadog(path: Path, doc: dict):
    import numpy as np

    fmt = "Datadog query JSON"
    found = []
    for i, r in enumerate(doc["series"]):
        r = obj(path, fmt, r, f"series[{i}]")
        name = r.get("expression") or r.get("scope") or r.get("metric") or "series"
        times, vals = _pairs(path, fmt, arr(path, fmt, r.get("pointlist", []),
                                              f"series[{i}].pointlist"), f"series[{i}].pointlist")
        ms = [(number(t) / 1000.0) if not isinstance(t, str) else t for t in times]
        found.append(MetricSeries(str(name)[:200], epoch_seconds(ms), np.array(vals), UNSTATED))
    return fmt, found


_READERS = ((_is_prometheus, _prometheus), (is_cw_statistics, cw_statistics),
            (is_cw_data, cw_data), (is_gcp, gcp), (is_azure, azure),
            (_is_datadog, _datadog))


# --------------------------------------------------------------------------------------------
# To per-second rates


def to_rates(path: Path, s: MetricSeries) -> Rates:
    """Per-second rates from what the statistic says the values are, with a note saying so."""
    import numpy as np

    what = f"{s.statistic}" + (f" ({s.unit})" if s.unit else "")
    if s.kind == UNSTATED:
        return Rates(s.name, s.times, s.values, "rate", False, None)
    if s.kind == RATE:
        note = f"{what} values used as given (a rate or an average per period)"
        if s.unit and not PER_SECOND.search(s.unit) and s.statistic and \
                s.statistic.lower() in ("average", "maximum", "minimum") and \
                re.match(r"(?i)count$", s.unit):
            note = (f"warning: {s.statistic} of a Count is per sample, not per second: read as "
                    "given; export the Sum (CloudWatch) or total (Azure) for requests per "
                    "second")
        return Rates(s.name, s.times, s.values, "rate", True, note)
    if s.kind == COUNT:
        period, how = _period(path, s)
        with np.errstate(divide="ignore", invalid="ignore"):
            rates = np.where(period > 0, s.values / period, np.nan)
        return Rates(s.name, s.times, rates, VALUE_KIND[COUNT], True,
                     f"{what} is a count per period: divided by the period, {how}, to give a "
                     "per-second rate")
    return _cumulative(s)


def _period(path: Path, s: MetricSeries):
    """Seconds each value covers: stated by the file per point, else the most common step
    between its timestamps (CloudWatch does not write the period it was asked for)."""
    import numpy as np

    if s.period is not None:
        p = np.asarray(s.period, dtype=float)
        ok = p[np.isfinite(p) & (p > 0)]
        if ok.size:
            common = float(np.median(ok))
            return p, f"{_fmt(common)} as the file states" + (
                "" if np.all(ok == common) else " (per point)")
    t = np.unique(s.times[np.isfinite(s.times)])
    steps = np.round(np.diff(t), 3)
    steps = steps[steps > 0]
    if steps.size == 0:
        raise CapplanError(f"{path}: {s.name}: one timestamp only, so the period of its "
                           f"{s.statistic} cannot be told: export a longer time range")
    vals, counts = np.unique(steps, return_counts=True)
    step = float(vals[np.argmax(counts)])
    return np.full(s.values.shape, step), f"{_fmt(step)}, the step between its timestamps"


def _cumulative(s: MetricSeries) -> Rates:
    """GCP CUMULATIVE points: each counts from its start time to its end time. Within one start
    the rate is the increase over the time between end times; a start time after the previous
    point is a restart, after which the point's own count over its interval gives the rate. The
    first point has no rate (its count may span days before the export). Each rate is stamped at
    the start of the span it covers."""
    import numpy as np

    order = np.argsort(s.times, kind="stable")
    end, start, v = s.times[order], s.starts[order], s.values[order]
    times, rates, resets = [], [], 0
    for k in range(1, len(end)):
        if start[k] == start[k - 1] and end[k] > end[k - 1]:
            times.append(end[k - 1])
            rates.append((v[k] - v[k - 1]) / (end[k] - end[k - 1]))
        elif start[k] >= end[k - 1] and end[k] > start[k]:
            resets += 1
            times.append(start[k])
            rates.append(v[k] / (end[k] - start[k]))
        else:  # unparsable or overlapping intervals: no rate, counted as a missing value
            times.append(end[k])
            rates.append(np.nan)
    return Rates(s.name, np.array(times, dtype=float), np.array(rates, dtype=float),
                 VALUE_KIND[CUMULATIVE], True,
                 f"CUMULATIVE count: the increase between points divided by the time between "
                 f"them gives a per-second rate; {resets} restart(s) (a new start time) seen; "
                 "the first point has no rate and is not used")


def _fmt(seconds: float) -> str:
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"
