"""What the commands share: the Typer app, the option bundles, the readable formats, the edge
checks and how a command reports (summary, --json, --quiet, progress).

The command modules (`analyze`, `forecast`, `usl`, ...) register themselves on `app`; each parses
its flags and makes exactly the `capplan.api` call a notebook would make. No arithmetic lives here.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

# What the readers take, in one place: every command's help, and the README, say this.
TRAFFIC_FORMATS = ("CSV, TSV, semicolon- or pipe-delimited text (UTF-8, UTF-16 or Windows-1252; "
                   "Grafana's CSV exports), Excel .xlsx; Prometheus, Datadog, AWS CloudWatch, "
                   "Google Cloud Monitoring or Azure Monitor JSON; an access log (Common or "
                   "Combined Log Format, AWS ALB or Classic ELB, CloudFront, JSON lines); any of "
                   "them gzipped")
LOAD_TEST_FORMATS = ("a CSV or TSV with a concurrency column (threads, users, vus, ...) and a "
                     "throughput column (throughput, rps, ...), latency optional, or two unnamed "
                     "columns; JMeter .jtl, k6 CSV or summary JSON, Locust stats_history.csv or "
                     "stats.csv, wrk or hey text; or a folder with one output per concurrency")

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  rich_markup_mode=None,
                  help="Capacity planning from traffic exports, load tests and growth forecasts.\n\n"
                       f"Reads {TRAFFIC_FORMATS}.\n\n"
                       "Example: capplan forecast inputs/nyc_taxi.csv --months 6 "
                       "--config inputs/service.toml")


def _print_version(value: bool) -> None:
    if value:
        from capplan import __version__

        print(f"capplan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print capplan's version and exit.")] = False) -> None:
    """Capacity planning from traffic exports, load tests and growth forecasts."""

# ---- option bundles shared between commands -------------------------------------------------
TimeColumn = Annotated[Optional[str], typer.Option("--time-column", help="Timestamp column (default: detected).")]
ValueColumn = Annotated[Optional[str], typer.Option("--value-column", help="Value column (default: detected).")]
Series = Annotated[Optional[str], typer.Option("--series", help="Which series, when the file holds several (Grafana, Prometheus, Datadog, CloudWatch, Google Cloud, Azure): a name, part of one, or labels such as '{job=\"api\"}'; with --aggregate, every series it matches.")]
Sheet = Annotated[Optional[str], typer.Option("--sheet", help="Excel sheet (default: the first with a date column).")]
Timezone = Annotated[Optional[str], typer.Option("--timezone", help="Zone of naive timestamps, and of calendar days (default UTC).")]
PerInterval = Annotated[bool, typer.Option("--per-interval", help="Values are counts per interval, not per-second rates.")]
Counter = Annotated[bool, typer.Option("--counter", help="Values are a monotonically increasing counter (Prometheus style).")]
Rate = Annotated[bool, typer.Option("--rate", help="Values are per-second rates already: no conversion, and no warning when they look like counts.")]
Aggregate = Annotated[Optional[str], typer.Option("--aggregate", help="Combine every series that --series matches (all when it is not given): sum (per-instance series to the service total), max or mean.")]
Unit = Annotated[Optional[str], typer.Option("--unit", help="What the values count, for the reports' labels: jobs (rate jobs/s) or a rate such as hires/day (values used as given). Default req/s.")]


def out_option(default: str):
    """--out/-o, naming the command's own default folder."""
    return Annotated[Optional[str], typer.Option(
        "--out", "-o", help=f"Output folder (default {default}); the files a run writes in it "
                            "are replaced as one set.")]


Out = out_option("outputs/<input-stem>/")
Config = Annotated[Optional[Path], typer.Option("--config", help="Service TOML file with capacity facts; flags override it.")]
Months = Annotated[Optional[int], typer.Option("--months", help="Plan horizon in months, 1-60 (default 6).")]
PerInstance = Annotated[Optional[float], typer.Option("--per-instance", help="Requests/s one instance carries at 100% (0.001 to 1e12).")]
Instances = Annotated[Optional[int], typer.Option("--instances", help="Instances in today's fleet (1 to 10,000,000).")]
Utilization = Annotated[Optional[float], typer.Option("--utilization", help="Today's utilization at the planning peak, 0.001-1 (0.40 = 40%).")]
TargetUtil = Annotated[Optional[float], typer.Option("--target-utilization", help="Highest utilization to plan for, 0.01-1 (default 0.6).")]
Spare = Annotated[Optional[int], typer.Option("--spare", help="Spare instances on top (N+k; default 0): after losing them the survivors must carry the peak at --degraded-utilization. When the target utilization's headroom already covers that, they add no instances, and the plan says so.")]
Zones = Annotated[Optional[int], typer.Option("--zones", help="Zones, 1-20: survive the loss of one of them (default 1: no zone redundancy).")]
Growth = Annotated[Optional[str], typer.Option("--growth", help="Fixed growth instead of a fitted model, with a %: 10%/month (or 10%), 25%/year, 2%/week; from -90% a month up to a million-fold rise over the horizon: at most +900%/month over the default 6 months (+1000% up to 5 months, +25.8% over 60). A bare 10 is refused: 10% or 1000%?")]
WorstGrowth = Annotated[Optional[str], typer.Option("--worst-growth", help="Worst-case growth rate, e.g. 15%/month (at least --growth).")]
WorstQuantile = Annotated[Optional[float], typer.Option("--worst-quantile", help="Quantile of the horizon peak for the worst case, 0.5 up to 1 (default 0.95).")]
Model = Annotated[Optional[str], typer.Option("--model", help="Force a growth model instead of the backtest's choice.")]
EventOpt = Annotated[Optional[list[str]], typer.Option("--event", help="NAME:YYYY-MM-DD:DURATION:MULTIPLIER, e.g. black-friday:2026-11-27:48h:3x (repeatable; 1970-2100, up to a year, up to 1000x).")]
EventsFile = Annotated[Optional[Path], typer.Option("--events", help="CSV of events: name,start,duration,multiplier.")]
LeadTime = Annotated[Optional[int], typer.Option("--lead-time", help="Days from order to capacity in service, 0-3650 (default 0).")]
Cost = Annotated[Optional[float], typer.Option("--cost-per-instance", help="Cost of one instance per month (0 to 1e9).")]
LoadTest = Annotated[Optional[Path], typer.Option("--load-test", help=f"Load test of one instance for a USL per-instance limit: {LOAD_TEST_FORMATS}.")]
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
Json = Annotated[bool, typer.Option("--json", help="Print the JSON document the run writes on stdout, for scripts: nothing else goes to stdout and the summary is not shown; the files are written as usual.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors: no summary, no progress (--json still prints its JSON).")]
# Production metrics: `capplan capacity` and `capplan forecast --capacity-from`.
CapacityFrom = Annotated[Optional[str], typer.Option("--capacity-from", help="Metrics file (throughput beside utilizations, any format analyze reads): the per-instance limit is fitted from it; needs --throughput and --resource; --instances stays today's fleet. E.g. capplan forecast inputs/oracledb_txn_13weeks.csv.gz --growth 4%/month --instances 1 --capacity-from ../shared/data/usl/oracledb.csv --throughput txn_rate --resource cpu=cpu_util")]
Throughput = Annotated[Optional[str], typer.Option("--throughput", help="The metrics' throughput column: COL, COL=FILE or FILE (fleet-wide when --instances or --instances-column is given, else per instance).")]
Resource = Annotated[Optional[list[str]], typer.Option("--resource", help="A utilization to fit: NAME=COL, NAME=COL=FILE or NAME=FILE, in percent or as a fraction (repeatable).")]
InstancesColumn = Annotated[Optional[str], typer.Option("--instances-column", help="The metrics' instance count per sample: COL or COL=FILE (fleet throughput is divided by it row by row).")]
UtilizationUnit = Annotated[Optional[str], typer.Option("--utilization-unit", help="auto (default: percent when any value is over 1), percent or fraction.")]
Exclude = Annotated[Optional[list[str]], typer.Option("--exclude", help="Leave a window START/END out of the fits, e.g. 2024-05-01T14:00/2024-05-01T15:30 (repeatable).")]
Deploy = Annotated[Optional[list[str]], typer.Option("--deploy", help="A deploy time; the --warm-up after it is left out of the fits (repeatable).")]
WarmUp = Annotated[Optional[str], typer.Option("--warm-up", help="Left out after each --deploy and instance-count change: 10m (default), 90s, 1h; 0 for none; at most 24h.")]


def make_console():
    """The console for the human summary. Emoji codes are left as typed: a series named
    "api:fire:" is printed as such (and rich's table of codes, ~5 ms, is not loaded)."""
    from rich.console import Console

    return Console(highlight=False, emoji=False, width=max(100, int(os.environ.get("COLUMNS", "0") or 0)))


def check_input_file(path, label: str) -> None:
    from capplan.api import check_input_file as check

    check(path, label)


def output_folder(out: str | None, default: Path) -> Path:
    """The folder a run writes to: --out, or `default`; refused before any work when it is empty,
    not a folder, or not writable."""
    from capplan.api import check_output_folder

    return check_output_folder(out, default)


@contextmanager
def reporting(quiet: bool):
    """Progress on stderr while the block runs, when stderr is a terminal and not `quiet`."""
    from capplan import progress

    with progress.reporting(progress.for_terminal(quiet)):
        yield


def show(quiet: bool, as_json: bool):
    """A console for the human summary, or None when --quiet or --json keep stdout for other
    things. The progress line is cleared first, so the summary is not drawn over it."""
    if quiet or as_json:
        return None
    from capplan import progress

    progress.pause()
    return make_console()


def report_session(paper, no_report: bool):
    """The run's report browser, launched in the background now (after a --paper flag is
    checked), or None with --no-report: Chromium starts while the inputs are read and the
    models fit, and is killed at once if the run fails."""
    from capplan.outputs.report import session

    if not no_report and paper is not None:
        from capplan.validation import check_paper

        check_paper(paper)
    return session(not no_report)


def finish(written, doc_text, quiet: bool, as_json: bool) -> None:
    """The last word of a run: the JSON on stdout with --json, else which files were written.
    `doc_text` is the JSON text or the call that makes it (made only for --json)."""
    import sys

    from capplan import progress

    progress.pause()
    if as_json:
        sys.stdout.write(doc_text() if callable(doc_text) else doc_text)
        sys.stdout.flush()
    elif not quiet:
        make_console().print(f"wrote {', '.join(str(p) for p in written)}")


def metrics_flags(throughput, resource, instances_column, utilization_unit, exclude, deploy,
                  warm_up, capacity_from=None) -> dict:
    """The metrics options as settings (None or [] when not given)."""
    return {"capacity_from": capacity_from, "throughput": throughput, "resources": resource,
            "instances_column": instances_column, "utilization_unit": utilization_unit,
            "exclude": exclude, "deploy": deploy, "warm_up": warm_up}


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
