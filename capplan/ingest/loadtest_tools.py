"""Load-test tools' own outputs, read into steps (`loadtests.Step`): one step per concurrency level.

- JMeter CSV results (.jtl): raw samples; a step is a run of samples with the same `allThreads`;
  throughput = samples / (last sample's end - first sample's start); latency = `elapsed` (ms).
- k6 `--out csv`: raw metrics; the `vus` gauge (sampled about every second) makes the steps,
  `http_reqs`, `http_req_duration` (ms) and `http_req_failed` inside each step's time window make
  its throughput, latency and errors. k6's end-of-test summary JSON (`--summary-export`, or
  handleSummary's data) is one step at its `vus`.
- Locust `stats_history.csv`: a step is a run of rows with the same `User Count`; throughput and
  mean latency from the cumulative `Total Request Count` and `Total Average Response Time`
  between the step's first and last row (exact), p50/p95/p99 the median of Locust's rolling
  window percentiles over the step. Locust `stats.csv` (one run) is one step.
- wrk text (`N threads and M connections`, Requests/sec, Latency Avg and Distribution, socket
  errors, non-2xx responses), several runs in one file allowed; hey text (Requests/sec,
  Average, Latency distribution, Status code and Error distribution).
- A folder holds one file per concurrency; a file whose output does not state its concurrency
  (hey, Locust stats.csv, k6 summary without vus) takes it from its name (hey_c50.txt, 50.txt).

Formats, as documented (the tests' samples are recreated from these):
- JMeter: https://jmeter.apache.org/usermanual/listeners.html#csvlogformat
- k6 CSV: https://grafana.com/docs/k6/latest/results-output/real-time/csv/ ; summary:
  https://grafana.com/docs/k6/latest/results-output/end-of-test/
- Locust: https://docs.locust.io/en/stable/retrieving-stats.html
- wrk: https://github.com/wg/wrk (README); hey: https://github.com/rakyll/hey (README)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from capplan.errors import CapplanError
from capplan.ingest.loadtest_text import hey, wrk
from capplan.ingest.loadtests import LoadTest, Step, concurrency_from_name

_HEAD = 65536
PERCENTILES = (50, 90, 95, 99)


def read_tool_file(p: Path) -> LoadTest | None:
    """A tool's output file as a LoadTest, or None when it is a plain table."""
    kind = _kind(p)
    if kind is None:
        return None
    steps, fmt, concurrency, notes = _READERS[kind](p)
    if not steps:
        raise CapplanError(f"{p}: the {fmt} holds no measured step: check the test ran")
    return LoadTest(str(p), fmt, concurrency, "second", tuple(steps), tuple(notes),
                    _LATENCY_SOURCE.get(kind), time_ordered=kind in _TIME_ORDERED)


def read_folder(folder: Path) -> LoadTest:
    """One file per concurrency (wrk, hey, k6 summaries, Locust stats.csv): a step each."""
    files = sorted(f for f in folder.iterdir() if f.is_file() and not f.name.startswith("."))
    if not files:
        raise CapplanError(f"{folder}: the folder holds no files: give one load-test output per "
                           "concurrency level (wrk or hey text, k6 summary JSON, Locust stats.csv)")
    steps, kinds = [], set()
    for f in files:
        kind = _kind(f)
        if kind is None:
            raise CapplanError(f"{f}: not a wrk, hey, k6 summary or Locust stats output: a folder "
                               "of load-test results holds one tool's output per concurrency")
        kinds.add(kind)
        found, fmt, _, _ = _READERS[kind](f)
        steps += found
    if len(kinds) > 1:
        raise CapplanError(f"{folder}: mixes outputs of several tools ({', '.join(sorted(kinds))}):"
                           " keep one tool's results in the folder")
    kind = kinds.pop()
    steps.sort(key=lambda s: s.n)
    fmt = f"{_FORMAT_NAMES[kind]} (a folder of {len(files)} files)"
    return LoadTest(str(folder), fmt, _CONCURRENCY_NAMES[kind], "second", tuple(steps),
                    latency_source=_LATENCY_SOURCE.get(kind), time_ordered=False)


def _kind(p: Path) -> str | None:
    try:
        with p.open("rb") as fh:
            head = fh.read(_HEAD)
    except OSError as exc:
        raise CapplanError(f"{p}: cannot be read ({exc.strerror or exc}): check the file") from exc
    if b"\x00" in head:
        return None
    text = head.decode("utf-8-sig", "replace").replace("\r\n", "\n")
    first = text.split("\n", 1)[0]
    cols = {c.strip().strip('"').lower() for c in re.split(r"[,;\t]", first)}
    if {"timestamp", "elapsed"} <= cols and ({"allthreads", "grpthreads"} & cols):
        return "jmeter"
    if {"metric_name", "timestamp", "metric_value"} <= cols:
        return "k6csv"
    if {"user count", "requests/s", "name"} <= cols and "total request count" in cols:
        return "locust_history"
    if {"request count", "requests/s", "name"} <= cols and "average response time" in cols:
        return "locust_stats"
    if text.lstrip().startswith("{") and '"metrics"' in text:
        return "k6json"
    if re.search(r"\d+ threads and \d+ connections", text) and "Requests/sec:" in text:
        return "wrk"
    if "Summary:" in text and "Requests/sec:" in text:
        return "hey"
    return None


# --------------------------------------------------------------------------------------------
# Shared


def _latency_stats(seconds) -> tuple[tuple[str, float], ...]:
    """Mean and percentiles (numpy's linear interpolation, type 7) of latencies in seconds."""
    import numpy as np

    v = np.asarray(seconds, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return ()
    pct = np.percentile(v, PERCENTILES)
    return (("mean", float(v.mean())),) + tuple((f"p{q}", float(x)) for q, x in zip(PERCENTILES,
                                                                                    pct))


def _runs(levels) -> list[tuple[int, int]]:
    """(start, stop) of each run of equal consecutive values."""
    import numpy as np

    levels = np.asarray(levels)
    if levels.size == 0:
        return []
    change = np.flatnonzero(levels[1:] != levels[:-1]) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [levels.size]])
    return list(zip(starts.tolist(), stops.tolist()))


def _csv(p: Path, usecols, what: str):
    import pandas as pd

    try:
        return pd.read_csv(p, usecols=lambda c: c in usecols, low_memory=False,
                           on_bad_lines="skip", encoding_errors="replace")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise CapplanError(f"{p}: the {what} does not read as CSV ({str(exc)[:80]}): export it "
                           "again") from exc


def _need(p: Path, frame, cols, what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise CapplanError(f"{p}: the {what} has no column {', '.join(missing)}: export it "
                           "again with the default columns")


def _epoch_seconds(p: Path, col, what: str, unit: str):
    """A time column (epoch numbers in `unit`, or date text) to float seconds; NaN where bad."""
    import numpy as np
    import pandas as pd

    num = pd.to_numeric(col, errors="coerce")
    if num.notna().mean() > 0.9:
        return num.to_numpy(float) * {"ms": 1e-3, "s": 1.0}[unit]
    when = pd.to_datetime(col, errors="coerce", utc=True, format="mixed")
    if when.isna().all():
        raise CapplanError(f"{p}: the {what}'s time column holds no readable times: export it "
                           "again with epoch timestamps")
    stamps = when.dt.tz_convert(None).to_numpy().astype("datetime64[us]")
    out = stamps.astype("int64") / 1e6
    out[np.isnat(stamps)] = np.nan
    return out


# --------------------------------------------------------------------------------------------
# JMeter


def _jmeter(p: Path):
    import numpy as np

    what = "JMeter results"
    f = _csv(p, {"timeStamp", "elapsed", "success", "allThreads", "grpThreads", "threadName",
                 "label"}, what)
    threads = "allThreads" if "allThreads" in f.columns else "grpThreads"
    _need(p, f, ["timeStamp", "elapsed", "success", threads], what)
    start = _epoch_seconds(p, f["timeStamp"], what, "ms")
    elapsed = f["elapsed"].apply(_float).to_numpy(float) / 1000.0
    level = f[threads].apply(_float).to_numpy(float)
    ok = np.isfinite(start) & np.isfinite(elapsed) & np.isfinite(level) & (level > 0)
    order = np.argsort(start[ok], kind="stable")
    rows = np.flatnonzero(ok)[order]
    start, elapsed, level = start[rows], elapsed[rows], level[rows]
    failed = ~f["success"].astype(str).str.strip().str.lower().eq("true").to_numpy()[rows]
    group = (f["threadName"].astype(str).str.replace(r"\s+\d+-\d+$", "", regex=True).to_numpy()
             [rows] if "threadName" in f.columns else None)
    steps = []
    runs = _runs(level)
    for a, b in runs:
        # A level lasts from its first sample's start to the next level's first start (the
        # last level, to its last sample's end): the samples started in it over that time.
        end = float(start[b]) if b < len(start) else float(np.max(start[a:b] + elapsed[a:b]))
        duration = end - float(start[a])
        groups = set(group[a:b]) if group is not None else set()
        steps.append(Step(
            float(level[a]), (b - a) / duration if duration > 0 else float("nan"),
            _latency_stats(elapsed[a:b]), requests=b - a, errors=int(failed[a:b].sum()),
            duration_seconds=round(duration, 3), where=f"samples {a + 1}-{b} (by time)",
            label=groups.pop() if len(groups) == 1 else None))
    notes = []
    if (~ok).any():
        notes.append(f"{int((~ok).sum()):,} sample row(s) without a readable timeStamp, elapsed "
                     f"or {threads} left out")
    return steps, "JMeter CSV results (.jtl)", threads, notes


def _float(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _count(v) -> int | None:
    """A count read from a file: a whole number, or None when the cell is not one."""
    import math

    f = _float(v)
    return int(f) if math.isfinite(f) and f >= 0 else None


# --------------------------------------------------------------------------------------------
# k6


def _k6_csv(p: Path):
    import numpy as np

    what = "k6 CSV output"
    f = _csv(p, {"metric_name", "timestamp", "metric_value", "scenario"}, what)
    _need(p, f, ["metric_name", "timestamp", "metric_value"], what)
    t = _epoch_seconds(p, f["timestamp"], what, "s")
    v = f["metric_value"].apply(_float).to_numpy(float)
    name = f["metric_name"].astype(str).to_numpy()
    scen = f["scenario"].astype(str).to_numpy() if "scenario" in f.columns else None

    def series(metric):
        m = (name == metric) & np.isfinite(t) & np.isfinite(v)
        idx = np.flatnonzero(m)
        order = np.argsort(t[idx], kind="stable")
        return t[idx][order], v[idx][order], idx[order]

    tv, vv, _ = series("vus")
    if tv.size == 0:
        raise CapplanError(f"{p}: the k6 CSV output has no vus samples to tell the concurrency: "
                           "run k6 with --out csv and keep the vus metric")
    tr, vr, ir = series("http_reqs")
    td, vd, _ = series("http_req_duration")
    tf, vf, _ = series("http_req_failed")
    distinct = np.unique(tv)
    sample = float(np.median(np.diff(distinct))) if distinct.size > 1 else 1.0
    runs = [(a, b) for a, b in _runs(vv) if vv[a] > 0]
    steps = []
    for k, (a, b) in enumerate(runs):
        lo = tv[a]
        hi = tv[runs[k + 1][0]] if k + 1 < len(runs) else tv[b - 1] + sample
        r0, r1 = np.searchsorted(tr, [lo, hi], side="left")
        d0, d1 = np.searchsorted(td, [lo, hi], side="left")
        f0, f1 = np.searchsorted(tf, [lo, hi], side="left")
        requests = int(round(vr[r0:r1].sum()))
        label = None
        if scen is not None and r1 > r0:
            names = set(scen[ir[r0:r1]])
            label = names.pop() if len(names) == 1 else None
        duration = float(hi - lo)
        steps.append(Step(float(vv[a]), requests / duration if duration > 0 else float("nan"),
                          _latency_stats(vd[d0:d1] / 1000.0), requests=requests,
                          errors=int(round(vf[f0:f1].sum())), duration_seconds=duration,
                          where=f"{_iso(lo)} to {_iso(hi)}", label=label))
    return steps, "k6 CSV output", "vus", []


def _iso(seconds: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%H:%M:%S")


def _k6_json(p: Path):
    """k6's end-of-test summary: `--summary-export` (metrics -> stats) or handleSummary's data
    (metrics -> {type, values})."""
    try:
        doc = json.loads(p.read_text(encoding="utf-8", errors="replace"))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise CapplanError(f"{p}: the k6 summary JSON does not parse: export it again") from exc
    metrics = doc.get("metrics") if isinstance(doc, dict) else None
    if not isinstance(metrics, dict):
        raise CapplanError(f"{p}: JSON without k6's metrics: give k6's summary JSON "
                           "(--summary-export) or CSV output (--out csv)")

    def stats(metric) -> dict:
        m = metrics.get(metric)
        if not isinstance(m, dict):
            return {}
        m = m.get("values", m)
        return m if isinstance(m, dict) else {}

    reqs = stats("http_reqs")
    if "rate" not in reqs:
        raise CapplanError(f"{p}: the k6 summary has no http_reqs rate: the test made no HTTP "
                           "requests, or the summary was trimmed")
    vus = stats("vus")
    if vus.get("min") is not None and vus.get("max") is not None and vus["min"] != vus["max"]:
        n, note = _float(vus["max"]), (f"VUs varied from {vus['min']} to {vus['max']} during "
                                       "the run: not one concurrency level")
    elif vus.get("max") is not None or vus.get("value") is not None:
        n, note = _float(vus.get("max", vus.get("value"))), None
    else:
        n, note = concurrency_from_name(p), None
    dur = stats("http_req_duration")
    lat = []
    for key, stat in (("avg", "mean"), ("med", "p50"), ("p(90)", "p90"), ("p(95)", "p95"),
                      ("p(99)", "p99"), ("max", "max")):
        if _finite(dur.get(key)):
            lat.append((stat, float(dur[key]) / 1000.0))
    failed = stats("http_req_failed")
    errors = failed.get("passes")
    requests = reqs.get("count")
    seconds = None
    if isinstance(doc.get("state"), dict) and _finite(doc["state"].get("testRunDurationMs")):
        seconds = float(doc["state"]["testRunDurationMs"]) / 1000.0
    step = Step(n, _float(reqs["rate"]), tuple(lat),
                requests=_count(requests) if _finite(requests) else None,
                errors=_count(errors) if _finite(errors) else None, duration_seconds=seconds,
                where=p.name, excluded=note)
    return [step], "k6 summary JSON", "vus", []


def _finite(v) -> bool:
    import math

    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# --------------------------------------------------------------------------------------------
# Locust


def _locust_history(p: Path):
    import numpy as np

    what = "Locust stats history"
    need = ["Timestamp", "User Count", "Name", "Total Request Count", "Total Failure Count",
            "Total Average Response Time"]
    pct_cols = ("50%", "90%", "95%", "99%")
    f = _csv(p, set(need) | set(pct_cols), what)
    _need(p, f, need, what)
    agg = f[f["Name"].astype(str).isin(["Aggregated", "Total"])]
    if agg.empty:
        raise CapplanError(f"{p}: the Locust stats history has no 'Aggregated' rows: export it "
                           "with --csv (stats_history.csv)")
    t = _epoch_seconds(p, agg["Timestamp"], what, "s")
    users = agg["User Count"].apply(_float).to_numpy(float)
    count = agg["Total Request Count"].apply(_float).to_numpy(float)
    fails = agg["Total Failure Count"].apply(_float).to_numpy(float)
    avg = agg["Total Average Response Time"].apply(_float).to_numpy(float) / 1000.0
    pcts = {c: agg[c].apply(_float).to_numpy(float) / 1000.0 for c in pct_cols if c in agg}
    steps = []
    for a, b in _runs(users):
        if users[a] <= 0 or not np.isfinite(users[a]):
            continue
        i, j = a, b - 1
        where = f"rows of {_iso(t[i])} to {_iso(t[j])}"
        if j == i or not t[j] > t[i]:
            steps.append(Step(float(users[a]), float("nan"), where=where,
                              excluded="one row only: no time span to measure over"))
            continue
        n_req = count[j] - count[i]
        duration = float(t[j] - t[i])
        mean = (avg[j] * count[j] - avg[i] * count[i]) / n_req if n_req > 0 else float("nan")
        lat = [("mean", float(mean))] if np.isfinite(mean) else []
        for col, vals in pcts.items():
            window = vals[a:b][np.isfinite(vals[a:b])]
            if window.size:
                lat.append((f"p{col[:-1]}", float(np.median(window))))
        steps.append(Step(float(users[a]), n_req / duration, tuple(lat), requests=_count(n_req),
                          errors=_count(fails[j] - fails[i]), duration_seconds=duration,
                          where=where))
    return steps, "Locust stats history", "User Count", [
        "Locust p50/p95/p99 per step: the median over the step of Locust's rolling-window "
        "percentiles; the mean is exact (from the cumulative totals)"]


def _locust_stats(p: Path):
    what = "Locust stats"
    pct_cols = ("50%", "90%", "95%", "99%")
    need = ["Name", "Request Count", "Failure Count", "Average Response Time", "Requests/s"]
    f = _csv(p, set(need) | set(pct_cols), what)
    _need(p, f, need, what)
    agg = f[f["Name"].astype(str).isin(["Aggregated", "Total"])]
    if agg.empty:
        raise CapplanError(f"{p}: the Locust stats have no 'Aggregated' row: export them with "
                           "--csv (stats.csv)")
    row = agg.iloc[-1]
    lat = [("mean", _float(row["Average Response Time"]) / 1000.0)]
    lat += [(f"p{c[:-1]}", _float(row[c]) / 1000.0) for c in pct_cols if c in row.index and
            _float(row[c]) == _float(row[c])]
    step = Step(concurrency_from_name(p), _float(row["Requests/s"]), tuple(lat),
                requests=_count(row["Request Count"]),
                errors=_count(row["Failure Count"]), where=p.name)
    return [step], "Locust stats", "users (from the file name)", []


_READERS = {"jmeter": _jmeter, "k6csv": _k6_csv, "k6json": _k6_json,
            "locust_history": _locust_history, "locust_stats": _locust_stats, "wrk": wrk,
            "hey": hey}
_FORMAT_NAMES = {"jmeter": "JMeter CSV results", "k6csv": "k6 CSV output",
                 "k6json": "k6 summary JSON", "locust_history": "Locust stats history",
                 "locust_stats": "Locust stats", "wrk": "wrk text", "hey": "hey text"}
_CONCURRENCY_NAMES = {"jmeter": "allThreads", "k6csv": "vus", "k6json": "vus",
                      "locust_history": "User Count", "locust_stats": "users (from file names)",
                      "wrk": "connections", "hey": "concurrency (from file names)"}
_LATENCY_SOURCE = {"jmeter": "JMeter's elapsed per sample, in ms",
                   "k6csv": "k6's http_req_duration, in ms",
                   "k6json": "k6's http_req_duration, in ms",
                   "locust_history": "Locust's Total Average Response Time and percentiles, in ms",
                   "locust_stats": "Locust's Average Response Time and percentiles, in ms",
                   "wrk": "wrk's Latency Avg and Distribution, each in its stated unit",
                   "hey": "hey's Average and Latency distribution, in secs"}
_TIME_ORDERED = {"jmeter", "k6csv", "locust_history", "wrk"}
