"""Load tests for the USL fit: what each step measured, and which steps the fit uses.

A load test is a series of steps, each run at one concurrency N (threads, virtual users,
connections) and measuring throughput X and latency. `read_load_test_steps` reads the tools'
own outputs (module `loadtest_tools`: JMeter .jtl, k6 CSV and summary JSON, Locust stats
history and stats, wrk and hey text, one file per concurrency or a folder of them) and tables
with a concurrency and a throughput column found by name (`connections,requests_per_sec`).
It returns a `LoadTest`: every step with its throughput in requests per second, its measured
latency in seconds with the statistic named (mean, p50, p95, p99, ...), its requests and
errors, and for a step the fit leaves out, the reason:

- a ramp between levels (held for under a tenth of the typical step's time);
- a warm-up (named so by the tool's label or scenario, or the first step at a concurrency that
  is measured again later: the later measurement is used);
- errors above `max_error_rate` (1%: failing requests return early and overstate throughput).
Steps with fewer errors are used, and their errors reported.

`read_load_test` keeps the earlier interface: (n, x, latency in seconds or None) of the steps
used; `load_test_from_frame` reads a DataFrame's columns by the same rules as a table's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

from capplan.errors import CapplanError, name_list
from capplan.startup import resumes_collection

CONCURRENCY_NAMES = ("concurrency", "threads", "users", "user_count", "vus", "connections",
                     "clients", "load", "nodes", "instances", "n", "processors", "workers",
                     "servers", "cpus")
THROUGHPUT_NAMES = ("throughput", "rps", "requests/s", "requests_per_sec",
                    "requests_per_second", "req/s", "reqs/sec", "tps", "qps", "x", "rate", "ops",
                    "ops_per_sec", "requests/sec")
LATENCY_NAMES = ("latency", "response_time", "r", "rt", "latency_ms", "latency_s", "duration",
                 "mean_latency", "avg_latency")
THROUGHPUT_UNITS = {"second": 1.0, "minute": 1 / 60, "hour": 1 / 3600}
TABLE = "CSV table of steps"
MAX_ERROR_RATE = 0.01
RAMP_FRACTION = 0.1  # a step held under this share of the median step's time is a ramp


@dataclass(frozen=True, slots=True)
class Step:
    """One concurrency level as measured. `latency`: (statistic, seconds) pairs, e.g.
    (("mean", 0.012), ("p99", 0.045)). `excluded`: why the fit leaves it out, or None."""

    n: float
    throughput: float
    latency: tuple[tuple[str, float], ...] = ()
    requests: int | None = None
    errors: int | None = None
    duration_seconds: float | None = None
    where: str = ""  # where in the input: "rows 2-341", a file name
    label: str | None = None  # the tool's own name for the step (scenario, label), if any
    excluded: str | None = None

    @property
    def error_rate(self) -> float | None:
        if self.errors is None or not self.requests:
            return None
        return self.errors / self.requests

    def latency_of(self, statistic: str) -> float | None:
        return dict(self.latency).get(statistic)


@dataclass(frozen=True, slots=True)
class LoadTest:
    path: str
    format: str
    concurrency: str  # what N counts, as the file names it
    throughput_unit: str  # of the file's throughput ("second" for the tools, which state it)
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = ()
    latency_source: str | None = None  # the column or field, and its unit
    time_ordered: bool = False  # steps in the order they ran (a warm-up can be told)

    @property
    def used(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.excluded is None)

    def arrays(self):
        """(n, x, latency or None) of the steps used; latency in seconds, of
        `latency_statistic`."""
        import numpy as np

        used = self.used
        n = np.array([s.n for s in used], dtype=float)
        x = np.array([s.throughput for s in used], dtype=float)
        stat = self.latency_statistic
        lat = None
        if stat is not None:
            lat = np.array([s.latency_of(stat) for s in used], dtype=float)
        return n, x, lat

    def fit_arguments(self) -> dict:
        """What `capplan.usl.fit_usl` takes from the steps used: n, x, latency (seconds), where
        the latency came from and its statistic."""
        n, x, lat = self.arrays()
        return {"n": n, "x": x, "latency": lat, "latency_column": self.latency_source,
                "latency_statistic": self.latency_statistic}

    @property
    def latency_statistic(self) -> str | None:
        """The statistic handed on with the steps: the p99 when every step used measured it (the
        latency objective is on the p99), else the mean, else the first the steps share."""
        used = self.used
        if not used:
            return None
        shared = [k for k, _ in used[0].latency if all(s.latency_of(k) is not None for s in used)]
        for preferred in ("p99", "mean"):
            if preferred in shared:
                return preferred
        return shared[0] if shared else None


def read_load_test(path: str, concurrency_column: str | None = None,
                   throughput_column: str | None = None, latency_column: str | None = None,
                   throughput_unit: str = "second"):
    """(n, x in requests per second, latency in seconds or None) of the steps the fit uses."""
    test = read_load_test_steps(path, concurrency_column, throughput_column, latency_column,
                                throughput_unit)
    return test.arrays()


@resumes_collection
def read_load_test_steps(path: str | Path, concurrency_column: str | None = None,
                         throughput_column: str | None = None, latency_column: str | None = None,
                         throughput_unit: str = "second",
                         max_error_rate: float = MAX_ERROR_RATE) -> LoadTest:
    """Read a load test (a file, or a folder of one file per concurrency) into its steps."""
    from capplan.ingest import loadtest_tools as tools

    factor = check_throughput_unit(throughput_unit)
    if not 0 <= max_error_rate <= 1 or math.isnan(max_error_rate):
        raise CapplanError(f"--max-error-rate {max_error_rate * 100:g}%: give a share between 0% "
                           "and 100% of a step's requests")
    p = Path(path)
    if not p.exists():
        raise CapplanError(f"{p}: no such file or folder: check the path")
    if p.is_dir():
        test = tools.read_folder(p)
    else:
        test = tools.read_tool_file(p)
        if test is None:
            test = _read_table(p, concurrency_column, throughput_column, latency_column, factor,
                               throughput_unit)
    if test.format != TABLE and factor != 1.0:
        raise CapplanError(f"--throughput-unit {throughput_unit}: {test.format} states its "
                           "throughput per second already: drop --throughput-unit")
    return classify(test, max_error_rate)


def check_throughput_unit(unit: str, flag: str = "--throughput-unit") -> float:
    """The factor that turns a load test's throughput into requests per second."""
    key = str(unit).strip().lower()
    if key not in THROUGHPUT_UNITS:
        raise CapplanError(f"{flag} {unit!r} is not understood: write second, minute or hour "
                           "(the unit of the load test's throughput column)")
    return THROUGHPUT_UNITS[key]


# --------------------------------------------------------------------------------------------
# Which steps the fit uses


def classify(test: LoadTest, max_error_rate: float = MAX_ERROR_RATE) -> LoadTest:
    """Mark ramps, warm-ups and steps with too many errors as excluded, each with its reason."""
    steps = list(test.steps)
    typical = _typical_duration(steps)
    for i, s in enumerate(steps):
        if s.excluded is not None:
            continue
        if typical and s.duration_seconds is not None and \
                s.duration_seconds < RAMP_FRACTION * typical:
            steps[i] = replace(s, excluded=(
                f"ramp between levels: held {s.duration_seconds:g} s, under a tenth of the "
                f"typical step ({typical:g} s)"))
    for i, s in enumerate(steps):
        if s.excluded is None and s.label and re.search(r"(?i)warm", s.label):
            steps[i] = replace(s, excluded=f"warm-up: named {s.label!r} by the tool")
    live = [i for i, s in enumerate(steps) if s.excluded is None]
    if live and test.time_ordered:
        first = steps[live[0]]
        again = [i for i in live[1:] if steps[i].n == first.n]
        if again:
            steps[live[0]] = replace(first, excluded=(
                f"warm-up: the first step, at N = {first.n:g}, is measured again later "
                f"({steps[again[0]].where}); the later measurement is used"))
    for i, s in enumerate(steps):
        rate = s.error_rate
        if s.excluded is None and rate is not None and rate > max_error_rate:
            steps[i] = replace(s, excluded=(
                f"errors: {s.errors:,} of {s.requests:,} requests failed ({rate:.1%}), over "
                f"the {max_error_rate:.0%} limit: failing requests return early and overstate "
                "throughput"))
    for i, s in enumerate(steps):
        if s.excluded is None and not (math.isfinite(s.n) and math.isfinite(s.throughput)):
            steps[i] = replace(s, excluded="no concurrency or throughput could be read")
    notes = list(test.notes)
    kept_errors = [s for s in steps if s.excluded is None and s.errors]
    if kept_errors:
        listed = ", ".join(f"N = {s.n:g}: {s.errors:,} ({s.error_rate:.2%})"
                           for s in kept_errors[:4])
        notes.append(f"{len(kept_errors)} step(s) used despite errors at or under the "
                     f"{max_error_rate:.0%} limit: {listed}")
    out = replace(test, steps=tuple(steps), notes=tuple(notes))
    if not out.used:
        reasons = "; ".join(f"N = {s.n:g}: {s.excluded}" for s in steps[:3])
        raise CapplanError(f"{test.path}: no step of the load test can be used ({reasons}): "
                           "check the test, or raise --max-error-rate")
    return out


def _typical_duration(steps: list[Step]) -> float | None:
    """The median step duration weighted by requests: what the levels were held for, however
    many short ramp steps lie between them."""
    timed = sorted((s.duration_seconds, s.requests or 1) for s in steps
                   if s.duration_seconds and math.isfinite(s.duration_seconds))
    if not timed:
        return None
    half, seen = sum(w for _, w in timed) / 2, 0
    for d, w in timed:
        seen += w
        if seen >= half:
            return d
    return timed[-1][0]


def concurrency_from_name(p: Path) -> float:
    """The concurrency a file's name states: hey_c50.txt, users-50.csv, 50vus.json, 50.txt."""
    stem = p.name.split(".")[0]
    m = re.search(r"(?i)(?:^|[^a-z])(?:c|conc|concurrency|u|users?|vus?|clients?|threads?|"
                  r"connections?|n)[-_=]?(\d+)(?!\d)", stem) or \
        re.search(r"(?i)(\d+)[-_]?(?:c|users?|vus?|clients?|threads?|connections?|conc)(?:$|[^a-z])",
                  stem)
    numbers = re.findall(r"\d+", stem)
    if m:
        return float(m.group(1))
    if len(numbers) == 1:
        return float(numbers[0])
    raise CapplanError(f"{p}: the output does not state its concurrency and the file name does "
                       "not either: name each file by it (hey_c50.txt, users_50_stats.csv)")


# --------------------------------------------------------------------------------------------
# A table: one row per step, columns found by name


def _read_table(p: Path, concurrency_column, throughput_column, latency_column, factor: float,
                throughput_unit: str) -> LoadTest:
    """A CSV/TSV with a concurrency and a throughput column (latency optional), or the first
    two numeric columns when there is no header (codahale/usl's example.csv)."""
    from capplan.ingest import _decode, _read_bytes, _read_text_table

    text = _decode(p, _read_bytes(p))
    frame, _ = _read_text_table(p, text)
    return _table_steps(p, str(p), TABLE, frame, concurrency_column, throughput_column,
                        latency_column, factor, throughput_unit)


def load_test_from_frame(frame, concurrency_column: str | None = None,
                         throughput_column: str | None = None, latency_column: str | None = None,
                         throughput_unit: str = "second",
                         max_error_rate: float = MAX_ERROR_RATE) -> LoadTest:
    """A DataFrame of steps (one row each), its columns found or named as a table's are."""
    factor = check_throughput_unit(throughput_unit)
    cols = [str(c) for c in frame.columns]
    if len(set(cols)) < len(cols):
        raise CapplanError(f"DataFrame: column names repeat ({name_list(cols)}): rename them")
    named = frame.set_axis(cols, axis=1)
    if _pick("DataFrame", named, concurrency_column, CONCURRENCY_NAMES, "concurrency") is None or \
            _pick("DataFrame", named, throughput_column, THROUGHPUT_NAMES, "throughput") is None:
        raise CapplanError(f"DataFrame: name the concurrency and throughput columns with "
                           f"concurrency_column= and throughput_column= (the columns are "
                           f"{name_list(cols)})")
    test = _table_steps("DataFrame", "DataFrame", "DataFrame of steps", frame.set_axis(
        cols, axis=1).reset_index(drop=True), concurrency_column, throughput_column,
        latency_column, factor, throughput_unit, first_row=0)
    return classify(test, max_error_rate)


def _table_steps(p, path: str, fmt: str, frame, concurrency_column, throughput_column,
                 latency_column, factor: float, throughput_unit: str,
                 first_row: int = 2) -> LoadTest:
    """Steps from a table's columns: found by name, or the first two numeric columns of a file
    without a header; rows numbered from `first_row` (a file's line, a frame's position)."""
    import pandas as pd

    cols = [str(c) for c in frame.columns]
    frame.columns = cols
    nc = _pick(p, frame, concurrency_column, CONCURRENCY_NAMES, "concurrency")
    xc = _pick(p, frame, throughput_column, THROUGHPUT_NAMES, "throughput")
    lc = _pick(p, frame, latency_column, LATENCY_NAMES, "latency")
    if lc is None and latency_column is None:
        lc = next((c for c in cols if c not in (nc, xc) and _is_latency_name(c)), None)
    numeric = [c for c in cols if pd.to_numeric(frame[c], errors="coerce").notna().mean() > 0.9]
    if nc is None and xc is None and len(numeric) >= 2 and cols[0].startswith("column"):
        nc, xc = numeric[0], numeric[1]
    if nc is None:
        raise CapplanError(f"{p}: no concurrency column among {name_list(cols)}: name it with "
                           "--concurrency-column (threads, users, vus, connections, ...)")
    if xc is None:
        raise CapplanError(f"{p}: no throughput column among {name_list(cols)}: name it with "
                           "--throughput-column (rps, requests/s, tps, throughput, ...)")
    n = pd.to_numeric(frame[nc], errors="coerce")
    x = pd.to_numeric(frame[xc], errors="coerce")
    bad = (n.isna() | x.isna()).to_numpy()
    if bad.any():
        line = int(bad.argmax()) + first_row
        what = "line" if first_row else "row"
        raise CapplanError(f"{p}: {what} {line} has a non-numeric {nc!r} or {xc!r}: fix or "
                           "remove it")
    lat, lat_source, stat = None, None, None
    if lc is not None and lc not in (nc, xc):
        values = pd.to_numeric(frame[lc], errors="coerce")
        if values.notna().all():
            unit, how = latency_unit_seconds(lc, n.to_numpy(float),
                                             x.to_numpy(float) * factor, values.to_numpy(float))
            lat, stat = values.to_numpy(float) * unit, latency_statistic(lc)
            lat_source = f"column {lc!r} in {how}"
    where = "line" if first_row else "row"
    steps = tuple(Step(float(n.iloc[i]), float(x.iloc[i]) * factor,
                       ((stat, float(lat[i])),) if lat is not None else (),
                       where=f"{where} {i + first_row}")
                  for i in range(len(frame)))
    return LoadTest(path, fmt, nc, str(throughput_unit).strip().lower(), steps,
                    latency_source=lat_source)


def _pick(p: Path, frame, wanted, names, role):
    cols = list(frame.columns)
    if wanted is not None:
        if wanted not in cols:
            raise CapplanError(f"{p}: no column {wanted!r} for the {role}; the columns are "
                               f"{name_list(cols)}")
        return wanted
    lower = {c.lower().strip(): c for c in cols}
    for nm in names:
        if nm in lower:
            return lower[nm]
    return None


def _is_latency_name(column: str) -> bool:
    c = column.lower().strip()
    return bool(re.search(r"(latenc|response|duration|(^|[^a-z])p\d{2,3}(\.\d+)?($|[^0-9]))", c))


def latency_statistic(column: str) -> str:
    """Which statistic a latency column holds, from its name: 'p99', 'p95', 'p50', 'mean',
    'max', or 'unstated'."""
    c = column.lower()
    m = re.search(r"p(\d{2,3}(?:\.\d+)?)", c) or re.search(r"(\d{2})(?:th)?_?pct", c)
    if m:
        return f"p{m.group(1)}"
    for words, stat in ((("mean", "avg", "average"), "mean"), (("median",), "p50"),
                        (("max",), "max")):
        if any(w in c for w in words):
            return stat
    return "unstated"


def latency_unit_seconds(column: str, n, x, latency) -> tuple[float, str]:
    """Seconds per unit of a latency column, and how that was decided: from its name (_ms, _us,
    _s), else from Little's Law: in a closed-loop test the mean response time is N / X seconds,
    so values near 1,000 x N / X are milliseconds (the nearer power of 1,000 on a log scale
    wins)."""
    import numpy as np

    c = column.lower().strip()
    for suffix, factor, word in (("_ms", 1e-3, "milliseconds"), ("(ms)", 1e-3, "milliseconds"),
                                 ("_us", 1e-6, "microseconds"), ("_s", 1.0, "seconds"),
                                 ("(s)", 1.0, "seconds")):
        if c.endswith(suffix):
            return factor, f"{word}, as its name says"
    n, x, lat = (np.asarray(v, float) for v in (n, x, latency))
    ok = (x > 0) & (lat > 0) & (n > 0)
    if not ok.any():
        return 1.0, "seconds, assumed: no step to check it by Little's Law"
    ratio = float(np.median(lat[ok] / (n[ok] / x[ok])))
    exponent = int(np.clip(round(math.log10(ratio) / 3), 0, 2))
    word = ("seconds", "milliseconds", "microseconds")[exponent]
    return (1.0, 1e-3, 1e-6)[exponent], (f"{word}, inferred: the values are {ratio:,.3g} x N / X, "
                                         "the mean response time in seconds by Little's Law")
