"""`capplan forecast FILE` and `capplan plan`: the capacity plan, from a file or from numbers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from capplan.cli.common import (  # the shared option bundles
    CellOverhead,
    Config,
    Cost,
    Aggregate,
    Counter,
    Currency,
    DegradedUtil,
    EventOpt,
    EventsFile,
    FleetUSL,
    Growth,
    Instances,
    LatencySLO,
    LeadTime,
    LoadTest,
    Model,
    Months,
    NoReport,
    Out,
    Paper,
    PerInstance,
    PerInterval,
    Prescale,
    Rate,
    Series,
    ServiceTime,
    Sheet,
    Spare,
    TargetUtil,
    ThroughputUnit,
    TimeColumn,
    Unit,
    Timezone,
    Title,
    Utilization,
    ValueColumn,
    WorstGrowth,
    WorstQuantile,
    Zones,
    app,
    ingest_flags,
    make_console,
    output_folder,
    settings_from,
    stem,
)
from capplan.errors import CapplanError


@app.command()
def forecast(
    path: Annotated[Path, typer.Argument(help="Traffic export: CSV/TSV/text table (UTF-8, UTF-16 or Windows-1252; Grafana's sep= line), .xlsx, Prometheus or Datadog JSON, a CLF/Combined access log; any of them gzipped.")],
    months: Months = None, config: Config = None, out: Out = None,
    per_instance: PerInstance = None, instances: Instances = None, utilization: Utilization = None,
    target_utilization: TargetUtil = None, spare: Spare = None, zones: Zones = None,
    growth: Growth = None, worst_growth: WorstGrowth = None, worst_quantile: WorstQuantile = None,
    model: Model = None, event: EventOpt = None, events: EventsFile = None,
    lead_time: LeadTime = None, cost_per_instance: Cost = None, load_test: LoadTest = None,
    fleet_usl: FleetUSL = None, latency_slo: LatencySLO = None, service_time: ServiceTime = None,
    title: Title = None, paper: Paper = None, no_report: NoReport = False,
    degraded_utilization: DegradedUtil = None, cell_overhead: CellOverhead = None,
    prescale: Prescale = None, currency: Currency = None, throughput_unit: ThroughputUnit = None,
    time_column: TimeColumn = None, value_column: ValueColumn = None, series: Series = None,
    sheet: Sheet = None, timezone: Timezone = None, per_interval: PerInterval = False,
    counter: Counter = False, rate: Rate = False, aggregate: Aggregate = None, unit: Unit = None,
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
                 title=title, paper=paper, **plan_flags(degraded_utilization, cell_overhead,
                                                        prescale, currency, throughput_unit),
                 **ingest_flags(time_column, value_column, series, sheet, timezone,
                                 per_interval, counter, aggregate=aggregate, rate=rate,
                                 unit=unit))
    out_dir = output_folder(out, Path("outputs") / stem(path))
    settings = settings_from(config, flags, inputs={"FILE": path})
    with report_session(settings, no_report) as browser:  # the browser starts while models fit
        result = run(str(path), settings)
        _finish(result, settings, out_dir, no_report,
                title=settings.title or settings.service or path.name, browser=browser,
                config=config)


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
    no_report: NoReport = False, degraded_utilization: DegradedUtil = None,
    cell_overhead: CellOverhead = None, prescale: Prescale = None, currency: Currency = None,
    throughput_unit: ThroughputUnit = None,
) -> None:
    """A what-if plan from numbers, no traffic file: a peak, a fleet, a growth rate.

    Example: capplan plan --peak 10000 --instances 20 --utilization 0.40 --target-utilization 0.60 --growth 10%/month --months 12
    """
    from capplan.pipeline import plan_from_numbers, today_utc

    flags = dict(months=months, per_instance=per_instance, instances=instances,
                 utilization=utilization, target_utilization=target_utilization, spare=spare,
                 zones=zones, growth=growth, worst_growth=worst_growth, events=event,
                 events_file=events, lead_time=lead_time, cost_per_instance=cost_per_instance,
                 load_test=load_test, fleet_usl=fleet_usl, latency_slo=latency_slo,
                 service_time=service_time, title=title, paper=paper,
                 **plan_flags(degraded_utilization, cell_overhead, prescale, currency,
                              throughput_unit))
    if peak is None:
        raise CapplanError("capplan plan needs --peak (today's planning peak in req/s); to plan "
                           "from a traffic file use capplan forecast FILE")
    out_dir = output_folder(out, Path("outputs") / "plan")
    settings = settings_from(config, {**flags, "peak": peak, "mean": mean})
    with report_session(settings, no_report) as browser:
        result = plan_from_numbers(settings, peak=peak, mean=mean, today=today_utc())
        _finish(result, settings, out_dir, no_report,
                title=settings.title or settings.service or "What-if plan", browser=browser,
                config=config)


def plan_flags(degraded_utilization, cell_overhead, prescale, currency, throughput_unit) -> dict:
    return {"degraded_utilization": degraded_utilization, "cell_overhead": cell_overhead,
            "prescale": prescale, "currency": currency, "throughput_unit": throughput_unit}


def report_session(settings, no_report: bool):
    """The run's report browser, launched in the background now (after the paper size is
    checked), or None with --no-report."""
    from capplan.outputs.pdf import paper_size
    from capplan.outputs.report import session

    if not no_report:
        paper_size(settings.paper)
    return session(not no_report)


def _finish(result, settings, out: Path, no_report: bool, title: str, browser=None,
            config=None) -> None:
    from capplan.outputs.report import write_outputs
    from capplan.outputs.terminal import print_load, print_plan, print_quality

    console = make_console()
    if result.traffic is not None:
        print_quality(console, result.traffic)
        print_load(console, result.load)
    if result.usl is not None or result.fleet_usl is not None or result.queueing is not None:
        from capplan.outputs.terminal import print_capacity_models

        print_capacity_models(console, result)
    print_plan(console, result.plan)
    written = write_outputs(result, settings, out, title=title, reports=not no_report,
                            argv=sys.argv, browser=browser, config=config)
    console.print(f"wrote {', '.join(str(p) for p in written)}")
