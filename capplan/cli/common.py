"""What the commands share: the Typer app, the option bundles, settings from flags and TOML.

The command modules (`analyze`, `forecast`, `usl`, ...) register themselves on `app`; they parse
flags and call the library. No arithmetic lives here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  rich_markup_mode=None,
                  help="Capacity planning from traffic exports, load tests and growth forecasts.\n\n"
                       "Example: capplan forecast inputs/nyc_taxi.csv --months 6 "
                       "--config inputs/service.toml")

# ---- option bundles shared between commands -------------------------------------------------
TimeColumn = Annotated[Optional[str], typer.Option("--time-column", help="Timestamp column (default: detected).")]
ValueColumn = Annotated[Optional[str], typer.Option("--value-column", help="Value column (default: detected).")]
Series = Annotated[Optional[str], typer.Option("--series", help="Which series, when the file holds several (Grafana exports).")]
Sheet = Annotated[Optional[str], typer.Option("--sheet", help="Excel sheet (default: the first with a date column).")]
Timezone = Annotated[Optional[str], typer.Option("--timezone", help="Zone of naive timestamps, and of calendar days (default UTC).")]
PerInterval = Annotated[bool, typer.Option("--per-interval", help="Values are counts per interval, not per-second rates.")]
Counter = Annotated[bool, typer.Option("--counter", help="Values are a monotonically increasing counter (Prometheus style).")]
Out = Annotated[Optional[Path], typer.Option("--out", help="Output folder (default outputs/<input-stem>/).")]
Config = Annotated[Optional[Path], typer.Option("--config", help="Service TOML file with capacity facts; flags override it.")]
Months = Annotated[Optional[int], typer.Option("--months", help="Plan horizon in months (default 6).")]
PerInstance = Annotated[Optional[float], typer.Option("--per-instance", help="Requests/s one instance carries at 100%.")]
Instances = Annotated[Optional[int], typer.Option("--instances", help="Instances in today's fleet.")]
Utilization = Annotated[Optional[float], typer.Option("--utilization", help="Today's utilization at the planning peak (0.40 = 40%).")]
TargetUtil = Annotated[Optional[float], typer.Option("--target-utilization", help="Highest utilization to plan for (default 0.6).")]
Spare = Annotated[Optional[int], typer.Option("--spare", help="Spare instances on top (N+k; default 0).")]
Zones = Annotated[Optional[int], typer.Option("--zones", help="Zones: survive the loss of one of them (default 1: no zone redundancy).")]
Growth = Annotated[Optional[str], typer.Option("--growth", help="Fixed growth instead of a fitted model: 10%/month, 25%/year.")]
WorstGrowth = Annotated[Optional[str], typer.Option("--worst-growth", help="Worst-case growth rate, e.g. 15%/month.")]
WorstQuantile = Annotated[Optional[float], typer.Option("--worst-quantile", help="Quantile of the horizon peak for the worst case (default 0.95).")]
Model = Annotated[Optional[str], typer.Option("--model", help="Force a growth model instead of the backtest's choice.")]
EventOpt = Annotated[Optional[list[str]], typer.Option("--event", help="NAME:YYYY-MM-DD:DURATION:MULTIPLIER, e.g. black-friday:2026-11-27:48h:3x (repeatable).")]
EventsFile = Annotated[Optional[Path], typer.Option("--events", help="CSV of events: name,start,duration,multiplier.")]
LeadTime = Annotated[Optional[int], typer.Option("--lead-time", help="Days from order to capacity in service (default 0).")]
Cost = Annotated[Optional[float], typer.Option("--cost-per-instance", help="Cost of one instance per month.")]
LoadTest = Annotated[Optional[Path], typer.Option("--load-test", help="Load test of one instance (concurrency, throughput[, latency]) for a USL per-instance limit.")]
FleetUSL = Annotated[Optional[Path], typer.Option("--fleet-usl", help="Scale-out test (instances, throughput) for USL fleet sizing.")]
LatencySLO = Annotated[Optional[str], typer.Option("--latency-slo", help="Latency objective, e.g. 250ms.")]
ServiceTime = Annotated[Optional[str], typer.Option("--service-time", help="Mean service time of one request, e.g. 50ms (queueing worksheet).")]
Title = Annotated[Optional[str], typer.Option("--title", help="Report title (default: the input's name).")]
Paper = Annotated[Optional[str], typer.Option("--paper", help="PDF paper size: A4 or Letter.")]
NoReport = Annotated[bool, typer.Option("--no-report", help="Write plan.json only (no PDF, workbook or HTML).")]


def make_console():
    from rich.console import Console

    return Console(highlight=False, width=max(100, int(os.environ.get("COLUMNS", "0") or 0)))


def settings_from(config: Path | None, flags: dict):
    from capplan.config import merge, read_config
    from capplan.pipeline import Settings

    base = read_config(config) if config else {}
    merged = merge(base, flags)
    if merged.get("events_file") is not None:
        merged["events_file"] = str(merged["events_file"])
    for key in ("load_test", "fleet_usl"):
        if merged.get(key) is not None:
            merged[key] = str(merged[key])
    return Settings.from_dict(merged)


def ingest_flags(time_column, value_column, series, sheet, timezone, per_interval, counter):
    return {"time_column": time_column, "value_column": value_column, "series": series,
            "sheet": sheet, "timezone": timezone, "per_interval": per_interval or None,
            "counter": counter or None}


def stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv", ".tsv", ".txt", ".xlsx", ".xlsm"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or "plan"
