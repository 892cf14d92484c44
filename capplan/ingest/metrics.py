"""Production metrics for `capplan capacity` and `forecast --capacity-from`: throughput beside
resource utilizations, on one clock.

Reading only (the ingest edge). Each column is read with `capplan.ingest.read_traffic`, one value column per call, so every format it
reads works here and each column keeps its own quality account; the columns are then joined on
identical timestamps. A sample of one metric with no sample of the others at the same instant is
left out and counted, never interpolated: utilization averaged over one window says nothing exact
about throughput averaged over another.

Column specs, as the flags take them (FILE is the command's input file unless one is named):
    --throughput COL | COL=FILE | FILE
    --resource NAME=COL | NAME=COL=FILE | NAME=FILE | NAME (a column called NAME)
    --instances-column COL | COL=FILE
`NAME=FILE` is read as a file when that path exists (its one value column is detected). The
syntax of a spec is a flag rule (`metrics_syntax.check_metric_spec`); this module resolves its file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from capplan.errors import CapplanError
from capplan.ingest.sniff import is_workbook
from capplan.startup import resumes_collection

if TYPE_CHECKING:
    import pandas as pd

    from capplan.ingest import Traffic

MIN_ALIGNED = 20  # as resources.MIN_POINTS: the fewest aligned samples a fit is attempted on
MIN_MATCHED_SHARE = 0.5  # of the sparser series' samples inside the common time range


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One column the user asked for: its role name, column (None: detected) and file."""

    name: str
    column: str | None
    path: str

    def describe(self) -> str:
        if self.column:
            return f"{self.path} column {self.column!r}"
        return f"the value column of {self.path}"  # before the reader has found it


@dataclass(frozen=True, slots=True)
class MetricsTable:
    """Aligned samples: `frame` has a UTC index and columns "throughput", each resource's name
    and, when given, "instances"; `series` holds every column as read (before the join)."""

    frame: pd.DataFrame
    throughput: MetricSpec
    resources: tuple[MetricSpec, ...]
    instances: MetricSpec | None
    series: dict[str, Traffic]
    interval_seconds: float
    timezone: str
    notes: tuple[str, ...]


def parse_spec(text: str, flag: str, default_path: str, role: str | None = None) -> MetricSpec:
    """A flag's value to a MetricSpec (see the module docstring for the forms). `role` names an
    unnamed column ("throughput", "instances"); without it the value starts with NAME=."""
    from capplan.metrics_syntax import check_metric_spec

    name, rest = check_metric_spec(text, flag, role)
    if len(rest) == 2:
        return MetricSpec(name, rest[0], rest[1])
    only = rest[0]
    if Path(only).is_file():
        return MetricSpec(name, None, only)
    return MetricSpec(name, only, default_path)


def metric_specs(settings) -> list[tuple[str, MetricSpec]]:
    """(flag, spec) for the throughput, every resource and the instance-count column of a
    `--capacity-from` run; `settings` is a mapping or a `pipeline.Settings`."""
    get = settings.get if isinstance(settings, dict) else (lambda k: getattr(settings, k))
    default = str(get("capacity_from"))
    out = [("--throughput", parse_spec(get("throughput"), "--throughput", default,
                                       role="throughput"))]
    out += [("--resource", parse_spec(r, "--resource", default)) for r in get("resources") or ()]
    if get("instances_column"):
        out.append(("--instances-column", parse_spec(get("instances_column"),
                                                     "--instances-column", default,
                                                     role="instances")))
    return out


def rebase_spec(text: str, base: Path, role: str | None = None) -> str:
    """A spec from a service file with its FILE part made relative to the file's folder (as the
    file's other paths are): NAME=COL=FILE and COL=FILE always, NAME=FILE and FILE when that
    file exists there."""
    from capplan.metrics_syntax import check_metric_spec

    name, rest = check_metric_spec(text, "spec", role)
    head = [] if role is not None else [name]
    if len(rest) == 2 and not Path(rest[1]).is_absolute():
        return "=".join([*head, rest[0], str(base / rest[1])])
    if len(rest) == 1 and not Path(rest[0]).is_absolute() and (base / rest[0]).is_file():
        return "=".join([*head, str(base / rest[0])])
    return text


@resumes_collection
def read_metrics(throughput: MetricSpec, resources: list[MetricSpec], *,
                 instances: MetricSpec | None = None, time_column: str | None = None,
                 timezone: str = "UTC", per_interval: bool = False, counter: bool = False,
                 rate: bool = False, sheet: str | None = None,
                 throughput_flags: bool = False) -> MetricsTable:
    """Read every column and join them on identical timestamps.

    `per_interval` / `counter` / `rate` apply to the throughput column only (utilizations are
    levels). `throughput_flags`: the command takes those flags for the metrics' throughput
    (`capplan capacity`), so a warning on its reading may advise them; else (`forecast
    --capacity-from`, whose --per-interval is the traffic's) it advises a per-second export.
    """
    from capplan.ingest import read_traffic

    names = [r.name for r in resources]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise CapplanError(f"--resource {dup[0]!r} is given twice: give each resource one name")
    if not resources:
        raise CapplanError("give at least one --resource NAME=COLUMN (a utilization to fit), "
                           "e.g. --resource cpu=cpu_util")
    cache: dict[tuple, Traffic] = {}
    specs_given = [throughput, *resources, *filter(None, [instances])]
    # --sheet names the sheet of every workbook among the files; a CSV beside one takes no
    # sheet, but with no workbook at all the reader refuses the flag.
    books = {s.path for s in specs_given if sheet is not None and is_workbook(s.path)}

    def read(spec: MetricSpec, flag: str, **kind) -> Traffic:
        key = (spec.path, spec.column, tuple(sorted(kind.items())))
        if key not in cache:
            try:
                cache[key] = read_traffic(spec.path, time_column=time_column,
                                          value_column=spec.column, timezone=timezone,
                                          sheet=sheet if spec.path in books or not books else None,
                                          **kind)
            except CapplanError as exc:
                # The reader names its own flag; here the column came from another one.
                raise CapplanError(str(exc).replace("--value-column", flag)) from exc
        return cache[key]

    kind = {"rate": True} if rate else {"per_interval": per_interval, "counter": counter}
    series = {"throughput": read(throughput, "--throughput", **kind)}
    # Utilizations and instance counts are levels: read as given (rate=True), never taken for
    # counts per interval from their name or whole numbers.
    for r in resources:
        series[r.name] = read(r, f"--resource {r.name}=COLUMN", rate=True)
    if instances is not None:
        series["instances"] = read(instances, "--instances-column", rate=True)
    # NAME=FILE and FILE forms: from here on, name the column the reader found.
    def found(spec: MetricSpec, role: str) -> MetricSpec:
        column = spec.column or series[role].source.value_column
        return MetricSpec(spec.name, column, spec.path) if column else spec

    throughput = found(throughput, "throughput")
    resources = [found(r, r.name) for r in resources]
    if instances is not None:
        instances = found(instances, "instances")
    specs = {"throughput": throughput, **{r.name: r for r in resources}}
    if instances is not None:
        specs["instances"] = instances
    frame, notes = _join(series, specs)
    notes = _reader_notes(series, specs, throughput_flags) + notes
    interval = series["throughput"].interval_seconds
    return MetricsTable(frame=frame, throughput=throughput, resources=tuple(resources),
                        instances=instances, series=series, interval_seconds=interval,
                        timezone=timezone, notes=tuple(notes))


def _reader_notes(series: dict, specs: dict, throughput_flags: bool) -> list[str]:
    """What the reader said of each column (its quality notes: a throughput of whole numbers
    read as a rate, dropped rows, ...), naming the column; a warning keeps its "warning: "
    head, so every output shows it as one. The reader's advice names `analyze`'s flags; here
    it names what this command takes."""
    from capplan.ingest.rates import WARNING, _fmt_seconds

    out = []
    for name, t in series.items():
        for note in t.quality.notes:
            warn = note.startswith(WARNING)
            body = note[len(WARNING):] if warn else note
            head, sep, _ = body.partition(": pass --per-interval")
            if sep:
                every = _fmt_seconds(t.interval_seconds)
                body = head + (f": pass --per-interval if each counts {every}, or --rate to "
                               "confirm" if throughput_flags else
                               ": the metrics' throughput must be a per-second rate: export it "
                               "as one, or fit it with `capplan capacity ... --per-interval`")
            text = f"{specs[name].describe()} ({name}): {body}"
            text = WARNING + text if warn else text
            if text not in out:
                out.append(text)
    return out


def _join(series: dict, specs: dict) -> tuple[pd.DataFrame, list[str]]:
    import pandas as pd

    rates = {name: t.rate for name, t in series.items()}
    start = max(s.index[0] for s in rates.values())
    end = min(s.index[-1] for s in rates.values())
    if start > end:
        spans = "; ".join(f"{specs[n].describe()} from {s.index[0]:%Y-%m-%d %H:%M} to "
                          f"{s.index[-1]:%Y-%m-%d %H:%M}" for n, s in rates.items())
        raise CapplanError(f"the metrics do not overlap in time ({spans} UTC): export the same "
                           "time range for every column")
    frame = pd.concat(rates, axis=1, join="inner").sort_index()
    inside = {n: int(((s.index >= start) & (s.index <= end)).sum()) for n, s in rates.items()}
    sparsest = min(inside, key=inside.get)
    matched = len(frame)
    if matched < MIN_ALIGNED or matched < MIN_MATCHED_SHARE * inside[sparsest]:
        if inside[sparsest] >= MIN_ALIGNED and matched < MIN_MATCHED_SHARE * inside[sparsest]:
            other = next(n for n in rates if n != sparsest)
            a, b = rates[sparsest], rates[other]
            a0 = a.index[(a.index >= start)][0]
            b0 = b.index[(b.index >= start)][0]
            raise CapplanError(
                f"the metrics' timestamps are misaligned: only {matched} of {inside[sparsest]} "
                f"samples of {specs[sparsest].describe()} have a sample of "
                f"{specs[other].describe()} at the same instant (e.g. {a0:%Y-%m-%d %H:%M:%S} vs "
                f"{b0:%Y-%m-%d %H:%M:%S} UTC): export every column at the same step and "
                "alignment")
        named = "; ".join(f"{specs[n].describe()}: {len(s):,}" for n, s in rates.items())
        raise CapplanError(f"only {matched} timestamp(s) are common to every metric (samples "
                           f"read: {named}); a fit needs at least {MIN_ALIGNED}: export a longer "
                           "common time range")
    notes = []
    for n, s in rates.items():
        lost = inside[n] - matched
        if lost > 0:
            notes.append(f"{specs[n].describe()}: {lost} of its {inside[n]} samples in the "
                         "common time range have no sample of every other metric at the same "
                         "instant and are not used")
    steps = {n: series[n].interval_seconds for n in rates}
    if len(set(steps.values())) > 1:
        shown = ", ".join(f"{n} every {v:g} s" for n, v in steps.items())
        notes.append(f"the metrics come at different steps ({shown}): joined at their common "
                     "instants, where each one averages over its own window")
    return frame, notes
