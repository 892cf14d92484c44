"""What the commands share: the Typer app, the option bundles, settings from flags and TOML.

The command modules (`analyze`, `forecast`, `usl`, ...) register themselves on `app`; they parse
flags and call the library. No arithmetic lives here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Optional

import typer

from capplan.errors import CapplanError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  rich_markup_mode=None,
                  help="Capacity planning from traffic exports, load tests and growth forecasts.\n\n"
                       "Example: capplan forecast inputs/nyc_taxi.csv --months 6 "
                       "--config inputs/service.toml")

# ---- option bundles shared between commands -------------------------------------------------
TimeColumn = Annotated[Optional[str], typer.Option("--time-column", help="Timestamp column (default: detected).")]
ValueColumn = Annotated[Optional[str], typer.Option("--value-column", help="Value column (default: detected).")]
Series = Annotated[Optional[str], typer.Option("--series", help="Which series, when the file holds several (Grafana, Prometheus, Datadog): a name, part of one, or labels such as '{job=\"api\"}'; with --aggregate, every series it matches.")]
Sheet = Annotated[Optional[str], typer.Option("--sheet", help="Excel sheet (default: the first with a date column).")]
Timezone = Annotated[Optional[str], typer.Option("--timezone", help="Zone of naive timestamps, and of calendar days (default UTC).")]
PerInterval = Annotated[bool, typer.Option("--per-interval", help="Values are counts per interval, not per-second rates.")]
Counter = Annotated[bool, typer.Option("--counter", help="Values are a monotonically increasing counter (Prometheus style).")]
Rate = Annotated[bool, typer.Option("--rate", help="Values are per-second rates already: no conversion, and no warning when they look like counts.")]
Aggregate = Annotated[Optional[str], typer.Option("--aggregate", help="Combine every series that --series matches (all when it is not given): sum (per-instance series to the service total), max or mean.")]
Unit = Annotated[Optional[str], typer.Option("--unit", help="What the values count, for the reports' labels: jobs (rate jobs/s) or a rate such as hires/day (values used as given). Default req/s.")]
Out = Annotated[Optional[str], typer.Option("--out", help="Output folder (default outputs/<input-stem>/); the files in it are replaced as one set.")]
Config = Annotated[Optional[Path], typer.Option("--config", help="Service TOML file with capacity facts; flags override it.")]
Months = Annotated[Optional[int], typer.Option("--months", help="Plan horizon in months, 1-60 (default 6).")]
PerInstance = Annotated[Optional[float], typer.Option("--per-instance", help="Requests/s one instance carries at 100% (0.001 to 1e12).")]
Instances = Annotated[Optional[int], typer.Option("--instances", help="Instances in today's fleet (1 to 10,000,000).")]
Utilization = Annotated[Optional[float], typer.Option("--utilization", help="Today's utilization at the planning peak, 0.001-1 (0.40 = 40%).")]
TargetUtil = Annotated[Optional[float], typer.Option("--target-utilization", help="Highest utilization to plan for, 0.01-1 (default 0.6).")]
Spare = Annotated[Optional[int], typer.Option("--spare", help="Spare instances on top (N+k; default 0).")]
Zones = Annotated[Optional[int], typer.Option("--zones", help="Zones, 1-20: survive the loss of one of them (default 1: no zone redundancy).")]
Growth = Annotated[Optional[str], typer.Option("--growth", help="Fixed growth instead of a fitted model, with a %: 10%/month (or 10%), 25%/year, 2%/week; -90% to +1000% a month. A bare 10 is refused: 10% or 1000%?")]
WorstGrowth = Annotated[Optional[str], typer.Option("--worst-growth", help="Worst-case growth rate, e.g. 15%/month (at least --growth).")]
WorstQuantile = Annotated[Optional[float], typer.Option("--worst-quantile", help="Quantile of the horizon peak for the worst case, 0.5 up to 1 (default 0.95).")]
Model = Annotated[Optional[str], typer.Option("--model", help="Force a growth model instead of the backtest's choice.")]
EventOpt = Annotated[Optional[list[str]], typer.Option("--event", help="NAME:YYYY-MM-DD:DURATION:MULTIPLIER, e.g. black-friday:2026-11-27:48h:3x (repeatable; 1970-2100, up to a year, up to 1000x).")]
EventsFile = Annotated[Optional[Path], typer.Option("--events", help="CSV of events: name,start,duration,multiplier.")]
LeadTime = Annotated[Optional[int], typer.Option("--lead-time", help="Days from order to capacity in service, 0-3650 (default 0).")]
Cost = Annotated[Optional[float], typer.Option("--cost-per-instance", help="Cost of one instance per month (0 to 1e9).")]
LoadTest = Annotated[Optional[Path], typer.Option("--load-test", help="Load test of one instance (concurrency, throughput[, latency]) for a USL per-instance limit.")]
FleetUSL = Annotated[Optional[Path], typer.Option("--fleet-usl", help="Scale-out test (instances, throughput) for USL fleet sizing.")]
LatencySLO = Annotated[Optional[str], typer.Option("--latency-slo", help="p99 response-time objective, e.g. 250ms.")]
ServiceTime = Annotated[Optional[str], typer.Option("--service-time", help="Mean service time of one request, e.g. 50ms (queueing worksheet).")]
Title = Annotated[Optional[str], typer.Option("--title", help="Report title (default: the input's name).")]
Paper = Annotated[Optional[str], typer.Option("--paper", help="PDF paper size: A4 or Letter.")]
DegradedUtil = Annotated[Optional[float], typer.Option("--degraded-utilization", help="Utilization the survivors may run at after losing a zone or the spares (default 0.8).")]
CellOverhead = Annotated[Optional[int], typer.Option("--cell-overhead", help="Instances each cell needs of its own when a scale-out fit splits the fleet into cells (default 0).")]
Prescale = Annotated[Optional[int], typer.Option("--prescale", help="Days before an event starts that its capacity must be in service (default 7).")]
Currency = Annotated[Optional[str], typer.Option("--currency", help="Label for every cost, e.g. USD or EUR (default: none).")]
ThroughputUnit = Annotated[Optional[str], typer.Option("--throughput-unit", help="Unit of the load tests' throughput column: second, minute or hour (default second).")]
NoReport = Annotated[bool, typer.Option("--no-report", help="Write plan.json only (no PDF, workbook or HTML).")]


def make_console():
    from rich.console import Console

    return Console(highlight=False, width=max(100, int(os.environ.get("COLUMNS", "0") or 0)))


def settings_from(config: Path | None, flags: dict, *, inputs: dict | None = None):
    """Settings from the service file and the flags, every rule checked before any work: the
    flags (named as flags), the file's values (named by file and key), then the files they
    name exist. `inputs` maps a label (FILE, --load-test, ...) to a path given on the line."""
    from capplan.config import merge, read_config
    from capplan.pipeline import Settings
    from capplan.validation import check_settings

    check_settings({k: v for k, v in flags.items() if v is not None and v != []})
    for label, path in (inputs or {}).items():
        check_input_file(path, label)
    base = read_config(config) if config else {}
    merged = merge(base, flags)
    check_settings({k: merged.get(k) for k in ("growth", "worst_growth")})
    for key in ("events_file", "load_test", "fleet_usl"):
        if merged.get(key) is not None:
            merged[key] = str(merged[key])
            check_input_file(merged[key], "--events" if key == "events_file" else
                             "--" + key.replace("_", "-"))
    if merged.get("events_file") is not None:
        from capplan.events import read_events_path

        read_events_path(merged["events_file"])  # its rows meet the rules before any work
    return Settings.from_dict(merged)


def check_input_file(path, label: str) -> None:
    """An input named on the command line (or in the service file) is an existing file."""
    p = Path(path)
    if not p.exists():
        where = f"{label} {p}" if label.startswith("--") else str(p)
        raise CapplanError(f"{where}: no such file: check the path")
    if p.is_dir():
        where = f"{label} {p}" if label.startswith("--") else str(p)
        raise CapplanError(f"{where}: is a folder, not a file: give the file's path")


def output_folder(out: str | None, default: Path) -> Path:
    """The folder a run writes to: --out, or `default`; refused before any work when it is empty,
    not a folder, or not writable."""
    if out is not None and not out.strip():
        raise CapplanError("--out '': an empty folder name: give one, such as --out outputs/plan, "
                           "or leave --out out for the default")
    path = Path(out) if out is not None else default
    label = f"--out {path}" if out is not None else f"output folder {path}"
    if path.exists() and not path.is_dir():
        raise CapplanError(f"{label}: exists and is not a folder: choose another --out")
    probe = path
    while not probe.exists():  # the nearest existing ancestor is where the folder is made
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and (not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK)):
        raise CapplanError(f"{label}: cannot write in {probe}: choose a writable --out")
    return path


def ingest_flags(time_column, value_column, series, sheet, timezone, per_interval, counter, *,
                 aggregate=None, rate=False, unit=None):
    return {"time_column": time_column, "value_column": value_column, "series": series,
            "sheet": sheet, "timezone": timezone, "per_interval": per_interval or None,
            "counter": counter or None, "aggregate": aggregate, "rate": rate or None,
            "unit": unit}


_UNSAFE = re.compile(r"[^\w.-]+")


def stem(path: Path, fallback: str = "plan") -> str:
    """The input's name without its extensions, made safe as one folder name under outputs/:
    no separators, no leading dots (an input named `...csv` must not write to outputs/../),
    at most 80 characters."""
    name = Path(path).name
    for suffix in (".gz", ".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json", ".log"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    name = _UNSAFE.sub("_", name).lstrip("._")[:80].rstrip(".")
    return name or fallback
