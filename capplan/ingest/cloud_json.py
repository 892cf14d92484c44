"""The series model of monitoring JSON and the readers of the cloud vendors' exports: AWS
CloudWatch (`get-metric-statistics`, `get-metric-data`), Google Cloud Monitoring
(`timeSeries.list`) and Azure Monitor (`az monitor metrics list`, REST Metrics - List).

Each reader turns a document into `MetricSeries`: times, values as written, and what the statistic
makes them (`kind`: a rate, a count per period, a cumulative count, or unstated). The conversion to
per-second rates is `monitoring_json.to_rates`. Documents are untrusted: every access goes through
the shape checks here, which raise a one-line `CapplanError` naming where the document is wrong.

Formats, as documented (the tests' samples are recreated from these):
- get-metric-statistics: https://awscli.amazonaws.com/v2/documentation/api/latest/reference/cloudwatch/get-metric-statistics.html
  and the Datapoint type, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Datapoint.html
- get-metric-data: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataResult.html
- timeSeries.list: https://cloud.google.com/monitoring/api/ref_v3/rest/v3/TimeSeries
- az monitor metrics list: https://learn.microsoft.com/cli/azure/monitor/metrics and
  https://learn.microsoft.com/rest/api/monitor/metrics/list
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from capplan.errors import CapplanError

if TYPE_CHECKING:  # numpy is imported lazily so the CLI starts fast
    import numpy as np

# The kinds of value a statistic gives (MetricSeries.kind).
RATE, COUNT, CUMULATIVE, UNSTATED = "rate", "count", "cumulative", "unstated"
VALUE_KIND = {RATE: "rate", COUNT: "per-interval count", CUMULATIVE: "counter",
              UNSTATED: "rate"}
CLOUDWATCH_STATISTICS = ("Sum", "Average", "Maximum", "Minimum", "SampleCount")
AZURE_AGGREGATIONS = ("total", "average", "maximum", "minimum", "count")
# CloudWatch and Azure units whose values are already per second.
PER_SECOND = re.compile(r"(?i)(/second$|persecond$|^1/s$)")
# Units of amounts (a Sum or total of them is a count per period); others (Percent, Seconds, ...)
# have no meaningful total.
_AMOUNT_UNITS = re.compile(r"(?i)^(count|none|bytes|bits|kilo|mega|giga|tera|\d*$|1$|by$|"
                           r"unspecified$)")


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """One series as the file gives it: times (epoch seconds, NaN where unparsable) and values,
    what the values are (`kind`), the statistic and unit the file states, and the seconds each
    value covers when the file says (`period`: one per point, or None to infer it)."""

    name: str
    times: np.ndarray
    values: np.ndarray
    kind: str
    statistic: str | None = None
    unit: str | None = None
    period: np.ndarray | None = None
    starts: np.ndarray | None = None  # GCP CUMULATIVE: the start time of each point's count


# --------------------------------------------------------------------------------------------
# Shape checks: every access to the untrusted document goes through these.


def shape(path: Path, fmt: str, where: str, expected: str) -> CapplanError:
    return CapplanError(f"{path}: {fmt}: {where} is not {expected}: export the file again "
                        "unchanged from the tool")


def obj(path, fmt, value, where) -> dict:
    if not isinstance(value, dict):
        raise shape(path, fmt, where, "an object")
    return value


def arr(path, fmt, value, where) -> list:
    if not isinstance(value, list):
        raise shape(path, fmt, where, "a list")
    return value


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def number(value) -> float:
    """A JSON value to a float: numbers and numeric strings ("1.5", "NaN", GCP's int64 strings);
    anything else is NaN (counted as a missing value by the caller)."""
    if isinstance(value, bool) or value is None:
        return math.nan
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:
            return math.inf
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return math.nan
    return math.nan


def label_name(pairs: list[tuple[str, str]]) -> str:
    """A label set written as Prometheus does: {a="x",b="y"} (quotes and backslashes escaped)."""
    def esc(v: str) -> str:
        return str(v).replace("\\", "\\\\").replace('"', '\\"')

    return "{" + ",".join(f'{k}="{esc(v)}"' for k, v in pairs) + "}"


def unique_names(found: list[MetricSeries]) -> list[MetricSeries]:
    """Two series with one name (a repeated query) get #2, #3 so each can be chosen."""
    from dataclasses import replace

    seen: dict[str, int] = {}
    out = []
    for s in found:
        n = seen.get(s.name, 0) + 1
        seen[s.name] = n
        out.append(s if n == 1 else replace(s, name=f"{s.name} #{n}"))
    return out


def epoch_seconds(values: list) -> np.ndarray:
    """Timestamps (ISO 8601 text, or epoch seconds or milliseconds) to epoch seconds; NaN where
    a value is not a time or is outside what a datetime can hold."""
    import numpy as np
    import pandas as pd

    out = np.full(len(values), np.nan)
    nums = np.array([number(v) if not isinstance(v, str) or _looks_numeric(v) else np.nan
                     for v in values], dtype=float)
    is_text = np.array([isinstance(v, str) and not _looks_numeric(v) for v in values], dtype=bool)
    ms = np.isfinite(nums) & (np.abs(nums) >= 1e11)
    out[np.isfinite(nums)] = np.where(ms, nums / 1000.0, nums)[np.isfinite(nums)]
    if is_text.any():
        text = pd.Series([values[i] for i in np.flatnonzero(is_text)], dtype="string")
        try:
            parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        except (ValueError, OverflowError):
            parsed = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
        # Via microseconds: a year such as 995 is a valid time but not a nanosecond one; the
        # caller drops times outside 1970-2100 with a reason.
        stamps = parsed.dt.tz_convert(None).to_numpy().astype("datetime64[us]")
        secs = stamps.astype("int64") / 1e6
        secs[np.isnat(stamps)] = np.nan
        out[is_text] = secs
    return out


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# --------------------------------------------------------------------------------------------
# AWS CloudWatch


def is_cw_statistics(doc) -> bool:
    return isinstance(doc, dict) and "Datapoints" in doc


def cw_statistics(path: Path, doc: dict):
    """`aws cloudwatch get-metric-statistics`: unordered Datapoints, each with a Timestamp, the
    statistics asked for (Sum, Average, ..., ExtendedStatistics pNN) and the Unit. The period is
    not in the output: it is the step between the timestamps."""
    import numpy as np

    fmt = "CloudWatch get-metric-statistics JSON"
    points = arr(path, fmt, doc["Datapoints"], "Datapoints")
    label = _text(doc.get("Label")) or "metric"
    rows = [obj(path, fmt, p, f"Datapoints[{i}]") for i, p in enumerate(points)]
    stats = [s for s in CLOUDWATCH_STATISTICS if any(s in r for r in rows)]
    extended = sorted({k for r in rows for k in obj(path, fmt, r.get("ExtendedStatistics", {}),
                                                      "ExtendedStatistics")})
    units = sorted({str(r.get("Unit")) for r in rows if r.get("Unit") is not None})
    if len(units) > 1:
        raise CapplanError(f"{path}: {fmt}: the datapoints mix units ({', '.join(units[:4])}): "
                           "export one unit with --unit")
    unit = units[0] if units else None
    times = epoch_seconds([r.get("Timestamp") for r in rows])
    found = []
    for stat in stats + extended:
        if stat in extended:
            vals = [number(obj(path, fmt, r.get("ExtendedStatistics", {}),
                                 "ExtendedStatistics").get(stat)) for r in rows]
        else:
            vals = [number(r.get(stat)) for r in rows]
        kind = _cw_kind(stat, unit)
        found.append(MetricSeries(label_name([("metric", label), ("statistic", stat)]), times,
                                  np.array(vals, dtype=float), kind, stat, unit))
    if not found and rows:
        raise CapplanError(f"{path}: {fmt}: the datapoints hold none of the statistics "
                           f"{', '.join(CLOUDWATCH_STATISTICS)} or pNN: export with --statistics "
                           "Sum (or --extended-statistics p99)")
    return fmt, _prefer(found, ("Sum", "Average", "Maximum"))


def _cw_kind(stat: str, unit: str | None) -> str:
    if unit and PER_SECOND.search(unit):
        return RATE
    if stat == "SampleCount" or (stat == "Sum" and (unit is None or _AMOUNT_UNITS.match(unit))):
        return COUNT
    return RATE


def _prefer(found: list[MetricSeries], order: tuple[str, ...]) -> list[MetricSeries]:
    """Several statistics of one metric: the preferred one first and alone unless asked for.
    The others stay selectable with --series (e.g. --series Maximum)."""
    by_stat = {s.statistic: s for s in found}
    first = next((by_stat[s] for s in order if s in by_stat), None)
    if first is None or len(found) == 1:
        return found
    return [first] + [s for s in found if s is not first]


def is_cw_data(doc) -> bool:
    return isinstance(doc, dict) and "MetricDataResults" in doc


def cw_data(path: Path, doc: dict):
    """`aws cloudwatch get-metric-data`: one result per query (Id, Label, Timestamps newest
    first, Values). The statistic is in the query, not the output; a label that names one
    ("RequestCount Sum", CloudWatch's default "<metric> <stat>" form) decides, else the values
    are passed on as given."""
    import numpy as np

    fmt = "CloudWatch get-metric-data JSON"
    found = []
    for i, r in enumerate(arr(path, fmt, doc["MetricDataResults"], "MetricDataResults")):
        r = obj(path, fmt, r, f"MetricDataResults[{i}]")
        ts = arr(path, fmt, r.get("Timestamps", []), f"MetricDataResults[{i}].Timestamps")
        vs = arr(path, fmt, r.get("Values", []), f"MetricDataResults[{i}].Values")
        if len(ts) != len(vs):
            raise CapplanError(f"{path}: {fmt}: MetricDataResults[{i}] has {len(ts)} Timestamps "
                               f"but {len(vs)} Values: export it again")
        rid = _text(r.get("Id")) or f"m{i + 1}"
        label = _text(r.get("Label")) or rid
        values = np.array([number(v) for v in vs], dtype=float)
        stat = _stat_in_label(label) or _stat_in_label(rid)
        kind = UNSTATED if stat is None else _cw_kind(stat, None)
        if stat is None and _CW_COUNT_METRIC.search(label) and _whole(values):
            # CloudWatch's *Count metrics (RequestCount, HTTPCode_Target_5XX_Count) count
            # requests; their meaningful statistic is Sum, and whole values say it is one.
            stat, kind = "Sum (assumed: a *Count metric with whole values)", COUNT
        found.append(MetricSeries(label_name([("id", rid), ("label", label)]), epoch_seconds(ts),
                                  values, kind, stat))
    return fmt, found


_CW_COUNT_METRIC = re.compile(r"(Count|_Count)$")


def _whole(values: np.ndarray) -> bool:
    import numpy as np

    ok = values[np.isfinite(values)]
    return bool(ok.size) and bool(np.all(ok == np.round(ok)))


def _stat_in_label(label: str) -> str | None:
    words = re.findall(r"[A-Za-z]+\d*(?:\.\d+)?", label)
    for w in reversed(words):
        for s in CLOUDWATCH_STATISTICS:
            if w.lower() == s.lower():
                return s
        if re.fullmatch(r"p\d{1,2}(\.\d+)?", w.lower()):
            return w.lower()
    return None


# --------------------------------------------------------------------------------------------
# Google Cloud Monitoring


def is_gcp(doc) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("timeSeries"), list)


def gcp(path: Path, doc: dict):
    """`projects.timeSeries.list`: per series the metric and resource labels, metricKind
    (GAUGE, DELTA, CUMULATIVE), valueType and points (newest first), each with an interval
    (startTime, endTime) and a typed value."""
    import numpy as np

    fmt = "Google Cloud Monitoring timeSeries JSON"
    found = []
    for i, ts in enumerate(doc["timeSeries"]):
        ts = obj(path, fmt, ts, f"timeSeries[{i}]")
        metric = obj(path, fmt, ts.get("metric", {}), f"timeSeries[{i}].metric")
        resource = obj(path, fmt, ts.get("resource", {}), f"timeSeries[{i}].resource")
        labels = {**{str(k): str(v) for k, v in obj(path, fmt, resource.get("labels", {}),
                                                     "resource.labels").items()},
                  **{str(k): str(v) for k, v in obj(path, fmt, metric.get("labels", {}),
                                                     "metric.labels").items()}}
        name = label_name([("metric", str(metric.get("type", "metric")))] + sorted(labels.items()))
        kind_word = str(ts.get("metricKind", "GAUGE")).upper()
        starts, ends, vals = [], [], []
        for j, p in enumerate(arr(path, fmt, ts.get("points", []), f"timeSeries[{i}].points")):
            p = obj(path, fmt, p, f"timeSeries[{i}].points[{j}]")
            iv = obj(path, fmt, p.get("interval", {}), f"timeSeries[{i}].points[{j}].interval")
            ends.append(iv.get("endTime"))
            starts.append(iv.get("startTime", iv.get("endTime")))
            vals.append(_gcp_value(path, fmt, p.get("value"), f"timeSeries[{i}].points[{j}]"))
        start_s, end_s = epoch_seconds(starts), epoch_seconds(ends)
        values = np.array(vals, dtype=float)
        if kind_word == "DELTA":
            found.append(MetricSeries(name, start_s, values, COUNT, "DELTA", ts.get("unit"),
                                      period=end_s - start_s))
        elif kind_word == "CUMULATIVE":
            found.append(MetricSeries(name, end_s, values, CUMULATIVE, "CUMULATIVE",
                                      ts.get("unit"), starts=start_s))
        else:
            found.append(MetricSeries(name, end_s, values, RATE, "GAUGE", ts.get("unit")))
    return fmt, found


def _gcp_value(path, fmt, value, where) -> float:
    value = obj(path, fmt, value, f"{where}.value")
    for key in ("doubleValue", "int64Value"):
        if key in value:
            return number(value[key])
    if "distributionValue" in value:
        # A distribution (latencies, sizes) counts its samples: its count is the requests.
        dist = obj(path, fmt, value["distributionValue"], f"{where}.value.distributionValue")
        return number(dist.get("count", 0))
    raise shape(path, fmt, f"{where}.value", "a doubleValue, int64Value or distributionValue "
                 "(boolean and string metrics carry no traffic)")


# --------------------------------------------------------------------------------------------
# Azure Monitor


def is_azure(doc) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("value"), list) and \
        ("interval" in doc or "timespan" in doc or "namespace" in doc)


def azure(path: Path, doc: dict):
    """`az monitor metrics list` (and the REST Metrics - List response): per metric a unit and
    timeseries, each with metadatavalues (the dimensions) and data points holding the
    aggregations asked for (total, average, maximum, minimum, count). `interval` is the time
    grain: ISO 8601 (PT1M) from REST, h:mm:ss (0:01:00) from the CLI."""
    import numpy as np

    fmt = "Azure Monitor metrics JSON"
    grain = duration_seconds(doc.get("interval"))
    found = []
    for i, m in enumerate(doc["value"]):
        m = obj(path, fmt, m, f"value[{i}]")
        name_obj = m.get("name", {})
        metric = str(name_obj.get("value") if isinstance(name_obj, dict) else name_obj or "metric")
        unit = _text(m.get("unit"))
        for k, ts in enumerate(arr(path, fmt, m.get("timeseries", []), f"value[{i}].timeseries")):
            ts = obj(path, fmt, ts, f"value[{i}].timeseries[{k}]")
            dims = []
            for mv in arr(path, fmt, ts.get("metadatavalues", []), "metadatavalues"):
                mv = obj(path, fmt, mv, "metadatavalues[]")
                key = mv.get("name", {})
                key = key.get("value") if isinstance(key, dict) else key
                dims.append((str(key), str(mv.get("value"))))
            rows = [obj(path, fmt, d, f"value[{i}].timeseries[{k}].data[{j}]")
                    for j, d in enumerate(arr(path, fmt, ts.get("data", []),
                                               f"value[{i}].timeseries[{k}].data"))]
            times = epoch_seconds([r.get("timeStamp") for r in rows])
            aggs = [a for a in AZURE_AGGREGATIONS if any(r.get(a) is not None for r in rows)]
            period = None if grain is None else np.full(len(rows), grain)
            for agg in aggs:
                kind = _azure_kind(agg, unit)
                name = label_name([("metric", metric), ("aggregation", agg)] + sorted(dims))
                found.append(MetricSeries(name, times, np.array([number(r.get(agg)) for r in rows],
                                                                dtype=float),
                                          kind, agg, unit, period=period))
    return fmt, _prefer_each(found, ("total", "average", "maximum"))


def _azure_kind(agg: str, unit: str | None) -> str:
    if unit and PER_SECOND.search(unit):
        return RATE
    return COUNT if agg in ("total", "count") and (unit is None or _AMOUNT_UNITS.match(unit)) \
        else RATE


def _prefer_each(found: list[MetricSeries], order: tuple[str, ...]) -> list[MetricSeries]:
    """Per metric and dimensions, the preferred aggregation first; several metrics stay several."""
    groups: dict[str, list[MetricSeries]] = {}
    for s in found:
        key = re.sub(r',?aggregation="[^"]*"', "", s.name)
        groups.setdefault(key, []).append(s)
    if len(groups) == 1:
        return _prefer(found, order)
    return found


def duration_seconds(text) -> float | None:
    """ISO 8601 durations (PT1M, PT5M, PT1H, P1D) and Python's timedelta text (0:01:00,
    1 day, 0:00:00) to seconds; None when absent or not understood."""
    if not isinstance(text, str):
        return None
    t = text.strip()
    m = re.fullmatch(r"P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?"
                     r"(?:(\d+(?:\.\d+)?)S)?)?", t, flags=re.I)
    if m and any(m.groups()):
        d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
        total = d * 86400 + h * 3600 + mi * 60 + s
        return total if total > 0 else None
    m = re.fullmatch(r"(?:(\d+) days?, )?(\d+):(\d\d):(\d\d(?:\.\d+)?)", t)
    if m:
        total = int(m.group(1) or 0) * 86400 + int(m.group(2)) * 3600 + int(m.group(3)) * 60 + \
            float(m.group(4))
        return total if total > 0 else None
    return None
