"""`capplan forecast FILE` and `capplan plan`: the capacity plan, from a file or from numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from capplan.cli.common import (  # the shared option bundles
    TRAFFIC_FORMATS,
    Aggregate,
    CapacityFrom,
    CellOverhead,
    Config,
    Cost,
    Counter,
    Currency,
    DegradedUtil,
    Deploy,
    EventOpt,
    EventsFile,
    Exclude,
    FleetUSL,
    Growth,
    Instances,
    Json,
    InstancesColumn,
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
    Quiet,
    Rate,
    Resource,
    Series,
    ServiceTime,
    Sheet,
    Spare,
    TargetUtil,
    Throughput,
    ThroughputUnit,
    TimeColumn,
    Timezone,
    Title,
    Unit,
    Utilization,
    UtilizationUnit,
    ValueColumn,
    WarmUp,
    WorstGrowth,
    WorstQuantile,
    Zones,
    app,
    finish,
    ingest_flags,
    metrics_flags,
    out_option,
    output_folder,
    report_session,
    reporting,
    show,
    stem,
)

PlanOut = out_option("outputs/plan/")


@app.command()
def forecast(
    path: Annotated[Path, typer.Argument(help=f"Traffic export: {TRAFFIC_FORMATS}.")],
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
    capacity_from: CapacityFrom = None, throughput: Throughput = None, resource: Resource = None,
    instances_column: InstancesColumn = None, utilization_unit: UtilizationUnit = None,
    exclude: Exclude = None, deploy: Deploy = None, warm_up: WarmUp = None,
    json: Json = False, quiet: Quiet = False,
) -> None:
    """Traffic export to capacity plan: load, capacity, growth chosen by backtest, plan.

    Writes plan.json, plan.pdf, plan.xlsx and plan.html. Example: capplan forecast inputs/nyc_taxi.csv --months 6 --instances 20 --utilization 0.40
    """
    from capplan import api

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
                                 unit=unit),
                 **metrics_flags(throughput, resource, instances_column, utilization_unit,
                                 exclude, deploy, warm_up, capacity_from))
    out_dir = output_folder(out, Path("outputs") / stem(path))
    # Every flag and file checked before the browser starts: a bad one fails in a blink.
    api.build_settings("forecast", flags, config=config, inputs={"FILE": path})
    with reporting(quiet), report_session(flags.get("paper"), no_report) as browser:
        # The browser starts while the models fit.
        p = api.forecast(path, config=config, **flags)
        _finish(p, out_dir, no_report, quiet, json, browser=browser)


@app.command()
def plan(
    peak: Annotated[Optional[float], typer.Option("--peak", help="Today's planning peak, req/s.")] = None,
    mean: Annotated[Optional[float], typer.Option("--mean", help="Mean rate, req/s (queueing worksheet).")] = None,
    months: Months = None, config: Config = None, out: PlanOut = None,
    per_instance: PerInstance = None, instances: Instances = None, utilization: Utilization = None,
    target_utilization: TargetUtil = None, spare: Spare = None, zones: Zones = None,
    growth: Growth = None, worst_growth: WorstGrowth = None, event: EventOpt = None,
    events: EventsFile = None, lead_time: LeadTime = None, cost_per_instance: Cost = None,
    load_test: LoadTest = None, fleet_usl: FleetUSL = None, latency_slo: LatencySLO = None,
    service_time: ServiceTime = None, title: Title = None, paper: Paper = None,
    no_report: NoReport = False, degraded_utilization: DegradedUtil = None,
    cell_overhead: CellOverhead = None, prescale: Prescale = None, currency: Currency = None,
    throughput_unit: ThroughputUnit = None, json: Json = False, quiet: Quiet = False,
) -> None:
    """A what-if plan from numbers, no traffic file: a peak, a fleet, a growth rate.

    Writes plan.json, plan.pdf, plan.xlsx and plan.html. Example: capplan plan --peak 10000 --instances 20 --utilization 0.40 --target-utilization 0.60 --growth 10%/month --months 12
    """
    from capplan import api

    flags = dict(months=months, per_instance=per_instance, instances=instances,
                 utilization=utilization, target_utilization=target_utilization, spare=spare,
                 zones=zones, growth=growth, worst_growth=worst_growth, events=event,
                 events_file=events, lead_time=lead_time, cost_per_instance=cost_per_instance,
                 load_test=load_test, fleet_usl=fleet_usl, latency_slo=latency_slo,
                 service_time=service_time, title=title, paper=paper,
                 **plan_flags(degraded_utilization, cell_overhead, prescale, currency,
                              throughput_unit))
    api.need_peak(peak)  # before the folder: the missing flag is the first thing to say
    out_dir = output_folder(out, Path("outputs") / "plan")
    api.build_settings("plan", {**flags, "peak": peak, "mean": mean}, config=config)
    with reporting(quiet), report_session(flags.get("paper"), no_report) as browser:
        # The plan starts today: CAPPLAN_TODAY or SOURCE_DATE_EPOCH when set (pipeline.today_utc).
        p = api.plan(peak=peak, mean=mean, config=config, **flags)
        _finish(p, out_dir, no_report, quiet, json, browser=browser)


def plan_flags(degraded_utilization, cell_overhead, prescale, currency, throughput_unit) -> dict:
    return {"degraded_utilization": degraded_utilization, "cell_overhead": cell_overhead,
            "prescale": prescale, "currency": currency, "throughput_unit": throughput_unit}


def _finish(p, out: Path, no_report: bool, quiet: bool, as_json: bool, browser=None) -> None:
    """The summary (unless --quiet or --json), the files, then the JSON or what was written."""
    import sys

    console = show(quiet, as_json)
    if console is not None:
        from capplan.outputs.terminal import print_load, print_plan, print_quality, print_unclipped

        if p.traffic is not None:
            print_quality(console, p.traffic)
            print_load(console, p.load)
        if p.usl is not None or p.result.fleet_usl is not None or p.result.queueing is not None:
            from capplan.outputs.terminal import print_capacity_models

            print_capacity_models(console, p.result)
        if p.result.resources is not None:
            from capplan.outputs.resources_out import print_resources
            from capplan.outputs.terminal import print_resource_outlook

            print_resources(console, p.result.resources, p.plan.capacity.unit)
            print_resource_outlook(console, p.result)
        print_plan(console, p.plan, unit=p.load.unit if p.load is not None and p.load.unit else "req/s")
        print_unclipped(console, p.result)
    written = p.write(out, reports=not no_report, command=sys.argv, browser=browser)
    finish(written, p.to_json, quiet, as_json)  # the text only for --json
