"""`capplan fleet PATH`: every service of an organisation in one run, with a fleet report."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from capplan.cli.common import (  # the shared option bundles
    Cost,
    Counter,
    Currency,
    EventOpt,
    EventsFile,
    Growth,
    LeadTime,
    Model,
    Months,
    Out,
    Paper,
    PerInterval,
    Spare,
    TargetUtil,
    TimeColumn,
    Timezone,
    Title,
    ValueColumn,
    WorstGrowth,
    WorstQuantile,
    Zones,
    app,
    check_input_file,
    ingest_flags,
    make_console,
    output_folder,
    stem,
)
from capplan.errors import CapplanError

ServiceColumn = Annotated[Optional[str], typer.Option("--service-column", help="A long file's column naming each row's service.")]
Jobs = Annotated[Optional[int], typer.Option("--jobs", help="Worker processes (default: all cores; 1 plans in this process). With --scheduler local: Dask workers.")]
Scheduler = Annotated[Optional[str], typer.Option("--scheduler", help="Plan on Dask: tcp://host:8786 (a running cluster) or local (a LocalCluster here).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary; errors only (--json still prints its JSON).")]
Json = Annotated[bool, typer.Option("--json", help="Print fleet.json on stdout, for scripts: nothing else goes to stdout and the summary is not shown; the files are written as usual.")]
Reports = Annotated[Optional[Path], typer.Option("--reports", help="Also write each service's own plan (<name>.pdf, .xlsx, .html, .json: what capplan forecast writes) into this folder.")]
FleetNoReport = Annotated[bool, typer.Option("--no-report", help="Write fleet.json only (no PDF, workbook or HTML).")]


@app.command()
def fleet(
    path: Annotated[Path, typer.Argument(help="A folder of exports (one per service, <name>.toml beside), a fleet.toml, or one export holding every service.")],
    service_column: ServiceColumn = None, jobs: Jobs = None, scheduler: Scheduler = None,
    out: Out = None, reports: Reports = None, no_report: FleetNoReport = False,
    quiet: Quiet = False, json: Json = False, months: Months = None, target_utilization: TargetUtil = None,
    spare: Spare = None, zones: Zones = None, growth: Growth = None,
    worst_growth: WorstGrowth = None, worst_quantile: WorstQuantile = None, model: Model = None,
    event: EventOpt = None, events: EventsFile = None, lead_time: LeadTime = None,
    cost_per_instance: Cost = None, currency: Currency = None, title: Title = None,
    paper: Paper = None, time_column: TimeColumn = None, value_column: ValueColumn = None,
    timezone: Timezone = None,
    per_interval: PerInterval = False, counter: Counter = False,
) -> None:
    """Plan every service in one run: totals by month, services at risk, what to order by when.

    Each service is planned as capplan forecast plans it; its capacity facts come from its own
    TOML (or its table in fleet.toml); flags apply to every service and win over those files.
    Exit status 0 when every service was planned, 1 when some failed, 2 when none could be.

    Example: capplan fleet ../shared/data/traffic/prophet_example_pedestrians_multivariate.csv --months 3 --jobs 2
    """
    from capplan.startup import one_blas_thread

    one_blas_thread()  # before numpy loads: --jobs 1 plans in this process
    _stop_on_sigterm()
    from capplan.fleet import FleetSettings, executor_for, plan_fleet, read_sources
    from capplan.validation import check_settings

    flags = dict(months=months, target_utilization=target_utilization, spare=spare, zones=zones,
                 growth=growth, worst_growth=worst_growth, worst_quantile=worst_quantile,
                 model=model, events=tuple(event) if event else None,
                 events_file=str(events) if events else None, lead_time=lead_time,
                 cost_per_instance=cost_per_instance, currency=currency, paper=paper,
                 **ingest_flags(time_column, value_column, None, None, timezone, per_interval,
                                counter))
    given = {k: v for k, v in flags.items() if v is not None}
    check_settings(given)  # every flag meets its rule before any work
    if events is not None:
        from capplan.events import read_events_path

        check_input_file(events, "--events")
        read_events_path(str(events))
    if jobs is not None and not 1 <= jobs <= 1024:
        raise CapplanError(f"--jobs {jobs}: give 1 to 1024 worker processes (default: all cores)")
    if not path.exists():
        raise CapplanError(f"{path}: no such file or folder: give a folder of exports, a "
                           "fleet.toml or one export holding every service")
    out = output_folder(out, Path("outputs") / f"fleet-{stem(path.resolve(), 'fleet')}")
    if path.is_dir() and out.resolve() == path.resolve():
        raise CapplanError(f"--out {out}: is the services folder: the fleet's files would be read "
                           "as exports next time; choose another --out")
    if reports is not None:
        reports = output_folder(str(reports), reports)
        if reports.resolve() == path.resolve():
            raise CapplanError(f"--reports {reports}: is the services folder: choose another")
        if reports.resolve() == out.resolve():
            raise CapplanError(f"--reports {reports}: is the --out folder: give the services' "
                               "plans a folder of their own")
    executor = executor_for(jobs, scheduler)
    source = read_sources(path, service_column=service_column, time_column=time_column)
    title = title or f"Fleet: {path.name}"
    from capplan.outputs.fleet_report import Browser, service_reports, write_fleet

    console = make_console()
    with Browser() as export, service_reports(reports, export, argv=sys.argv) as spool, \
            _progress(len(source.tasks), quiet, executor.describe()) as progress:
        def on_result(result, kept):
            progress(result)
            if spool is not None:
                spool.add(result, kept)

        result = plan_fleet(source, FleetSettings(flags=tuple(given.items())), executor,
                            on_result=on_result,
                            keep_forecasts=spool is not None)
        if not result.planned:
            shown = "; ".join(f"{s.name}: {s.error}" for s in result.failed[:3])
            raise CapplanError(f"no service could be planned ({len(result.failed)} failed; "
                               f"nothing written): {shown}")
        written = spool.write() if spool is not None else []
        written += write_fleet(result, out, reports=not no_report, title=title,
                               paper=paper or "A4", argv=sys.argv, export=export)
        problems = spool.problems if spool is not None else []
    if json:
        quiet = True  # stdout is the document's alone
    if not quiet:
        from capplan.outputs.fleet_terminal import print_fleet

        print_fleet(console, result)
    for problem in problems:
        print(f"capplan: {problem}", file=sys.stderr)
    if not quiet:
        shown = [str(p) for p in written if p.parent.resolve() == out.resolve()]
        if reports is not None:
            shown.append(f"{len(written) - len(shown)} files of the services' own plans in "
                         f"{reports}")
        console.print(f"wrote {', '.join(shown)}")
    if json:
        sys.stdout.write((out / "fleet.json").read_text(encoding="utf-8"))
        sys.stdout.flush()
    if result.failed:
        print(f"capplan: {len(result.failed)} of {len(result.services)} services failed (see "
              f"{'Failed in fleet.xlsx and ' if not no_report else ''}failed in fleet.json)",
              file=sys.stderr)
        raise typer.Exit(1)


def _stop_on_sigterm() -> None:
    """SIGTERM (a job scheduler's stop) ends the run as Ctrl-C does: the workers are stopped,
    nothing is written, one line."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


@contextmanager
def _progress(total: int, quiet: bool, where: str):
    """A progress bar on stderr (services done, failed, time left) when stderr is a terminal;
    yields the function to call per finished service."""
    if quiet or not sys.stderr.isatty():
        yield lambda result: None
        return
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    failed = 0
    columns = (TextColumn("planning on {task.fields[where]}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
               TextColumn("left"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True, emoji=False), transient=True) as bar:
        task = bar.add_task("fleet", total=total, failed=0, where=where)

        def advance(result):
            nonlocal failed
            failed += 0 if result.ok else 1
            bar.update(task, advance=1, failed=failed)

        yield advance
