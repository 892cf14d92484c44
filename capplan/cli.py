"""The command line: parse flags, call the library, print, write. No arithmetic of its own.

Bad input ends with one line on stderr and exit status 2 (`CapplanError`); nothing is written.
"""

from __future__ import annotations

import os
import sys
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


def _console():
    from rich.console import Console

    return Console(highlight=False, width=max(100, int(os.environ.get("COLUMNS", "0") or 0)))


def _settings(config: Path | None, flags: dict):
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


def _ingest_flags(time_column, value_column, series, sheet, timezone, per_interval, counter):
    return {"time_column": time_column, "value_column": value_column, "series": series,
            "sheet": sheet, "timezone": timezone, "per_interval": per_interval or None,
            "counter": counter or None}


@app.command()
def analyze(
    path: Annotated[Path, typer.Argument(help="Traffic export: CSV, TSV, gzip or .xlsx.")],
    out: Out = None, config: Config = None, time_column: TimeColumn = None,
    value_column: ValueColumn = None, series: Series = None, sheet: Sheet = None,
    timezone: Timezone = None, per_interval: PerInterval = False, counter: Counter = False,
) -> None:
    """Load analysis only: mean, peak, percentiles, daily peaks, weekly shape, data quality.

    Example: capplan analyze inputs/nyc_taxi.csv
    """
    from capplan.outputs import json as jout
    from capplan.outputs.atomic import write_set
    from capplan.outputs.terminal import print_load, print_quality
    from capplan.pipeline import analyze as run

    settings = _settings(config, _ingest_flags(time_column, value_column, series, sheet, timezone,
                                               per_interval, counter))
    traffic, load = run(str(path), settings)
    console = _console()
    print_quality(console, traffic)
    print_load(console, load)
    out = out or Path("outputs") / _stem(path)
    written = write_set(out, {"analysis.json": jout.dumps(jout.analysis_doc(traffic, load))})
    console.print(f"wrote {', '.join(str(p) for p in written)}")


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv", ".tsv", ".txt", ".xlsx", ".xlsm"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or "plan"


@app.command()
def forecast(
    path: Annotated[Path, typer.Argument(help="Traffic export: CSV, TSV, gzip or .xlsx.")],
    months: Months = None, config: Config = None, out: Out = None,
    per_instance: PerInstance = None, instances: Instances = None, utilization: Utilization = None,
    target_utilization: TargetUtil = None, spare: Spare = None, zones: Zones = None,
    growth: Growth = None, worst_growth: WorstGrowth = None, worst_quantile: WorstQuantile = None,
    model: Model = None, event: EventOpt = None, events: EventsFile = None,
    lead_time: LeadTime = None, cost_per_instance: Cost = None, load_test: LoadTest = None,
    fleet_usl: FleetUSL = None, latency_slo: LatencySLO = None, service_time: ServiceTime = None,
    title: Title = None, paper: Paper = None, no_report: NoReport = False,
    time_column: TimeColumn = None, value_column: ValueColumn = None, series: Series = None,
    sheet: Sheet = None, timezone: Timezone = None, per_interval: PerInterval = False,
    counter: Counter = False,
) -> None:
    """Traffic export to capacity plan: load, capacity, growth chosen by backtest, plan.

    Example: capplan forecast inputs/nyc_taxi.csv --months 6 --instances 20 --utilization 0.40
    """
    from capplan.pipeline import forecast as run

    flags = dict(months=months, per_instance=per_instance, instances=instances,
                 utilization=utilization, target_utilization=target_utilization, spare=spare,
                 zones=zones, growth=growth, worst_growth=worst_growth,
                 worst_quantile=worst_quantile, model=model, events=event, events_file=events,
                 lead_time=lead_time, cost_per_instance=cost_per_instance, load_test=load_test,
                 fleet_usl=fleet_usl, latency_slo=latency_slo, service_time=service_time,
                 title=title, paper=paper,
                 **_ingest_flags(time_column, value_column, series, sheet, timezone,
                                 per_interval, counter))
    settings = _settings(config, flags)
    result = run(str(path), settings)
    _finish(result, settings, out or Path("outputs") / _stem(path), no_report,
            title=settings.title or settings.service or path.name)


@app.command()
def plan(
    peak: Annotated[Optional[float], typer.Option("--peak", help="Today's planning peak, req/s.")] = None,
    mean: Annotated[Optional[float], typer.Option("--mean", help="Mean rate, req/s (queueing worksheet).")] = None,
    months: Months = None, config: Config = None, out: Out = None,
    per_instance: PerInstance = None, instances: Instances = None, utilization: Utilization = None,
    target_utilization: TargetUtil = None, spare: Spare = None, zones: Zones = None,
    growth: Growth = None, worst_growth: WorstGrowth = None, event: EventOpt = None,
    events: EventsFile = None, lead_time: LeadTime = None, cost_per_instance: Cost = None,
    load_test: LoadTest = None, fleet_usl: FleetUSL = None, latency_slo: LatencySLO = None,
    service_time: ServiceTime = None, title: Title = None, paper: Paper = None,
    no_report: NoReport = False,
) -> None:
    """A what-if plan from numbers, no traffic file: a peak, a fleet, a growth rate.

    Example: capplan plan --peak 10000 --instances 20 --utilization 0.40 --target-utilization 0.60 --growth 10%/month --months 12
    """
    from capplan.pipeline import plan_from_numbers

    flags = dict(months=months, per_instance=per_instance, instances=instances,
                 utilization=utilization, target_utilization=target_utilization, spare=spare,
                 zones=zones, growth=growth, worst_growth=worst_growth, events=event,
                 events_file=events, lead_time=lead_time, cost_per_instance=cost_per_instance,
                 load_test=load_test, fleet_usl=fleet_usl, latency_slo=latency_slo,
                 service_time=service_time, title=title, paper=paper)
    settings = _settings(config, flags)
    if peak is None:
        raise CapplanError("capplan plan needs --peak (today's planning peak in req/s); to plan "
                           "from a traffic file use capplan forecast FILE")
    result = plan_from_numbers(settings, peak=peak, mean=mean)
    _finish(result, settings, out or Path("outputs") / "plan", no_report,
            title=settings.title or settings.service or "What-if plan")


def _finish(result, settings, out: Path, no_report: bool, title: str) -> None:
    from capplan.outputs.report import write_outputs
    from capplan.outputs.terminal import print_load, print_plan, print_quality

    console = _console()
    if result.traffic is not None:
        print_quality(console, result.traffic)
        print_load(console, result.load)
    if result.usl is not None or result.fleet_usl is not None or result.queueing is not None:
        from capplan.outputs.terminal import print_capacity_models

        print_capacity_models(console, result)
    print_plan(console, result.plan)
    written = write_outputs(result, settings, out, title=title, reports=not no_report,
                            argv=sys.argv)
    console.print(f"wrote {', '.join(str(p) for p in written)}")


@app.command()
def usl(
    path: Annotated[Optional[Path], typer.Argument(help="Load test: concurrency and throughput columns (latency optional).")] = None,
    sigma: Annotated[Optional[float], typer.Option("--sigma", help="What-if: contention coefficient.")] = None,
    kappa: Annotated[Optional[float], typer.Option("--kappa", help="What-if: coherency coefficient.")] = None,
    lambda_: Annotated[Optional[float], typer.Option("--lambda", help="What-if: throughput of one (X(1)).")] = None,
    concurrency_column: Annotated[Optional[str], typer.Option("--concurrency-column", help="Concurrency column (default: detected).")] = None,
    throughput_column: Annotated[Optional[str], typer.Option("--throughput-column", help="Throughput column (default: detected).")] = None,
    latency_column: Annotated[Optional[str], typer.Option("--latency-column", help="Latency column (default: detected, optional).")] = None,
    latency_slo: LatencySLO = None, out: Out = None, no_report: NoReport = False,
) -> None:
    """Fit the Universal Scalability Law to a load test, or explore given coefficients.

    Example: capplan usl inputs/loadtest_specsdm91.csv
    """
    from capplan.outputs.report import write_usl_outputs
    from capplan.outputs.terminal import print_usl
    from capplan.usl import USL, fit_usl, read_load_test, what_if

    if path is not None:
        if any(v is not None for v in (sigma, kappa, lambda_)):
            raise CapplanError("give a load-test file or --sigma/--kappa/--lambda, not both")
        n, x, r = read_load_test(str(path), concurrency_column, throughput_column, latency_column)
        result = fit_usl(n, x, r)
        out = out or Path("outputs") / _stem(path)
    else:
        if sigma is None or kappa is None or lambda_ is None:
            raise CapplanError("capplan usl needs a load-test file, or all of --sigma, --kappa "
                               "and --lambda for a what-if curve")
        result = what_if(USL(sigma, kappa, lambda_))
        out = out or Path("outputs") / "usl"
    console = _console()
    print_usl(console, result, latency_slo)
    written = write_usl_outputs(result, out, latency_slo, chart=not no_report)
    console.print(f"wrote {', '.join(str(p) for p in written)}")


def main() -> None:
    try:
        app()
    except CapplanError as exc:
        print(f"capplan: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("capplan: interrupted; nothing written", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - a bug: one line, and the traceback on request
        if os.environ.get("CAPPLAN_DEBUG"):
            raise
        print(f"capplan: internal error: {type(exc).__name__}: {exc} (nothing written; rerun "
              "with CAPPLAN_DEBUG=1 for the traceback and report it)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
