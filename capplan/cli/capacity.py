"""`capplan capacity FILE`: per-resource fits of utilization against throughput, the binding one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from capplan.cli.common import (  # the shared option bundles
    TRAFFIC_FORMATS,
    Deploy,
    Exclude,
    InstancesColumn,
    Json,
    Out,
    Quiet,
    Resource,
    Sheet,
    TargetUtil,
    Throughput,
    TimeColumn,
    Timezone,
    UtilizationUnit,
    WarmUp,
    app,
    check_input_file,
    finish,
    metrics_flags,
    output_folder,
    reporting,
    show,
    stem,
)
from capplan.errors import CapplanError


@app.command()
def capacity(
    path: Annotated[Path, typer.Argument(help=f"Metrics export with a time column: {TRAFFIC_FORMATS}.")],
    throughput: Throughput = None, resource: Resource = None,
    instances: Annotated[Optional[int], typer.Option("--instances", help="Instances the throughput is spread over (default 1: throughput is per instance).")] = None,
    instances_column: InstancesColumn = None, target_utilization: TargetUtil = None,
    utilization_unit: UtilizationUnit = None, exclude: Exclude = None, deploy: Deploy = None,
    warm_up: WarmUp = None, out: Out = None, time_column: TimeColumn = None,
    timezone: Timezone = None, sheet: Sheet = None,
    per_interval: Annotated[bool, typer.Option("--per-interval", help="The throughput column holds counts per interval, not per-second rates.")] = False,
    counter: Annotated[bool, typer.Option("--counter", help="The throughput column is a monotonically increasing counter (Prometheus style).")] = False,
    rate: Annotated[bool, typer.Option("--rate", help="The throughput column holds per-second rates already: no warning when its values look like counts.")] = False,
    no_report: Annotated[bool, typer.Option("--no-report", help="Write capacity.json only (no capacity.html).")] = False,
    json: Json = False, quiet: Quiet = False,
) -> None:
    """Fit each resource's utilization against per-instance throughput; name the one that binds.

    Example: capplan capacity ../shared/data/usl/oracledb.csv --throughput txn_rate --resource cpu=cpu_util --instances 1
    """
    from capplan.ingest.metrics import metric_specs, read_metrics
    from capplan.metrics_syntax import parse_instant, parse_warm_up, parse_window
    from capplan.outputs import json as jout
    from capplan.outputs.atomic import write_set
    from capplan.outputs.resources_out import (
        capacity_doc,
        capacity_html,
        print_resources,
    )
    from capplan.resources import fit_resources
    from capplan.validation import check_settings

    # Every flag, the output folder and every input file are checked before a file is read.
    flags = metrics_flags(throughput, resource, instances_column, utilization_unit, exclude,
                          deploy, warm_up)
    check_settings({"target_utilization": target_utilization, "instances": instances,
                    "timezone": timezone,
                    **{k: v for k, v in flags.items() if v not in (None, [])}})
    if throughput is None:
        raise CapplanError("capplan capacity needs --throughput COLUMN (the throughput column), "
                           "e.g. --throughput txn_rate")
    if not resource:
        raise CapplanError("capplan capacity needs at least one --resource NAME=COLUMN (a "
                           "utilization to fit), e.g. --resource cpu=cpu_util")
    if rate and (per_interval or counter):
        raise CapplanError("--rate says the throughput is a per-second rate already: give it, "
                           "--per-interval or --counter, not two of them")
    if instances is not None and instances_column is not None:
        raise CapplanError("give --instances N or --instances-column, not both")
    zone = timezone or "UTC"
    target = 0.6 if target_utilization is None else target_utilization
    warm = parse_warm_up(warm_up or "10m")
    windows = [parse_window(w, "--exclude", zone) for w in exclude or ()]
    deploys = [parse_instant(d, "--deploy", zone) for d in deploy or ()]
    default = str(path)
    roles = metric_specs({**flags, "capacity_from": default})
    out_dir = output_folder(out, Path("outputs") / stem(path, "capacity"))
    check_input_file(path, "FILE")
    for flag_name, spec in roles:
        check_input_file(spec.path, flag_name if spec.path != default else "FILE")
    thr = roles[0][1]
    specs = [spec for flag_name, spec in roles if flag_name == "--resource"]
    inst = next((spec for flag_name, spec in roles if flag_name == "--instances-column"), None)
    with reporting(quiet):
        from capplan import progress

        progress.stage("reading the metrics")
        table = read_metrics(thr, specs, instances=inst, time_column=time_column, timezone=zone,
                             per_interval=per_interval, counter=counter, rate=rate,
                             sheet=sheet, throughput_flags=True)
        progress.stage("fitting the resources")
        result = fit_resources(table, target_utilization=target, instances=instances,
                               windows=windows, deploys=deploys, warm_up_seconds=warm,
                               utilization_unit=utilization_unit or "auto")
        console = show(quiet, json)
        if console is not None:
            for role, t in table.series.items():
                q = t.quality
                # Rows by the file's line numbers (the header is line 1), as the reader counts.
                why = "; ".join(f"{d.count:,} with {d.reason}, first at line {d.first_lines[0]}"
                                for d in q.dropped if d.first_lines)
                dropped = (f", {q.rows_dropped:,} dropped" + (f" ({why})" if why else "")
                           if q.rows_dropped else "")
                console.print(f"{role}: {t.source.path} column {t.source.value_column!r}: "
                              f"{q.rows_used:,} of {q.rows_read:,} rows used{dropped}",
                              markup=False)
            print_resources(console, result)
        doc = jout.dumps(capacity_doc(result, table))
        files = {"capacity.json": doc}
        if not no_report:
            files["capacity.html"] = capacity_html(result, f"Capacity from metrics: {path.name}")
        written = write_set(out_dir, files)
    finish(written, doc.decode("utf-8"), quiet, json)
