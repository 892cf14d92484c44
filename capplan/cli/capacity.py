"""`capplan capacity FILE`: per-resource fits of utilization against throughput, the binding one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from capplan.cli.common import (  # the shared option bundles
    TRAFFIC_FORMATS,
    Json,
    Out,
    Quiet,
    Sheet,
    TargetUtil,
    TimeColumn,
    Timezone,
    app,
    check_input_file,
    finish,
    output_folder,
    reporting,
    show,
    stem,
)
from capplan.errors import CapplanError

MAX_WARM_UP_HOURS = 24


@app.command()
def capacity(
    path: Annotated[Path, typer.Argument(help=f"Metrics export with a time column: {TRAFFIC_FORMATS}.")],
    throughput: Annotated[str, typer.Option("--throughput", help="Throughput column: COL, COL=FILE or FILE (fleet-wide unless --instances/--instances-column say otherwise).")],
    resource: Annotated[list[str], typer.Option("--resource", help="A utilization: NAME=COL, NAME=COL=FILE or NAME=FILE, in percent or as a fraction (repeatable).")],
    instances: Annotated[Optional[int], typer.Option("--instances", help="Instances the throughput is spread over (default 1: throughput is per instance).")] = None,
    instances_column: Annotated[Optional[str], typer.Option("--instances-column", help="Column with the instance count per sample: COL or COL=FILE.")] = None,
    target_utilization: TargetUtil = None,
    utilization_unit: Annotated[str, typer.Option("--utilization-unit", help="auto (default: percent when any value is over 1), percent or fraction.")] = "auto",
    exclude: Annotated[Optional[list[str]], typer.Option("--exclude", help="Leave out a window START/END, e.g. 2024-05-01T14:00/2024-05-01T15:30 (repeatable).")] = None,
    deploy: Annotated[Optional[list[str]], typer.Option("--deploy", help="A deploy time; its --warm-up is left out (repeatable).")] = None,
    warm_up: Annotated[str, typer.Option("--warm-up", help="Left out after each --deploy and instance-count change (default 10m; 0m for none).")] = "10m",
    out: Out = None, time_column: TimeColumn = None, timezone: Timezone = None,
    sheet: Sheet = None,
    per_interval: Annotated[bool, typer.Option("--per-interval", help="The throughput column holds counts per interval, not per-second rates.")] = False,
    counter: Annotated[bool, typer.Option("--counter", help="The throughput column is a monotonically increasing counter (Prometheus style).")] = False,
    no_report: Annotated[bool, typer.Option("--no-report", help="Write capacity.json only (no capacity.html).")] = False,
    json: Json = False, quiet: Quiet = False,
) -> None:
    """Fit each resource's utilization against per-instance throughput; name the one that binds.

    Example: capplan capacity ../shared/data/usl/oracledb.csv --throughput txn_rate --resource cpu=cpu_util --instances 1
    """
    from capplan.events import parse_duration_hours
    from capplan.metrics_input import parse_instant, parse_spec, parse_window, read_metrics
    from capplan.outputs import json as jout
    from capplan.outputs.atomic import write_set
    from capplan.outputs.resources_out import capacity_doc, capacity_html, print_resources
    from capplan.resources import fit_resources
    from capplan.utilization import UNITS
    from capplan.validation import check_settings

    # Every flag, the output folder and every input file are checked before a file is read.
    check_settings({"target_utilization": target_utilization, "instances": instances,
                    "timezone": timezone})
    zone = timezone or "UTC"
    target = 0.6 if target_utilization is None else target_utilization
    if instances is not None and instances_column is not None:
        raise CapplanError("give --instances N or --instances-column, not both")
    if utilization_unit not in UNITS:
        raise CapplanError(f"--utilization-unit {utilization_unit!r}: use auto, percent or "
                           "fraction")
    warm = 0.0 if warm_up.strip() in ("0", "0m", "0min", "0h") else \
        parse_duration_hours(warm_up, "--warm-up") * 3600
    if warm > MAX_WARM_UP_HOURS * 3600:
        raise CapplanError(f"--warm-up {warm_up}: at most {MAX_WARM_UP_HOURS} h")
    windows = [parse_window(w, "--exclude", zone) for w in exclude or ()]
    deploys = [parse_instant(d, "--deploy", zone) for d in deploy or ()]
    default = str(path)
    specs = [parse_spec(r, "--resource", default) for r in resource]
    thr = parse_spec(throughput, "--throughput", default, role="throughput")
    inst = (parse_spec(instances_column, "--instances-column", default, role="instances")
            if instances_column else None)
    out_dir = output_folder(out, Path("outputs") / stem(path, "capacity"))
    check_input_file(path, "FILE")
    for flag_name, spec in [("--throughput", thr), *(("--resource", r) for r in specs),
                            *([("--instances-column", inst)] if inst else [])]:
        check_input_file(spec.path, flag_name if spec.path != default else "FILE")
    with reporting(quiet):
        from capplan import progress

        progress.stage("reading the metrics")
        table = read_metrics(thr, specs, instances=inst, time_column=time_column, timezone=zone,
                             per_interval=per_interval, counter=counter, sheet=sheet)
        progress.stage("fitting the resources")
        result = fit_resources(table, target_utilization=target, instances=instances,
                               windows=windows, deploys=deploys, warm_up_seconds=warm,
                               utilization_unit=utilization_unit)
        console = show(quiet, json)
        if console is not None:
            for role, t in table.series.items():
                q = t.quality
                dropped = f", {q.rows_dropped:,} dropped" if q.rows_dropped else ""
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
