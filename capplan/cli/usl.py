"""`capplan usl FILE`: the Universal Scalability Law, fitted or what-if."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from capplan.cli.common import (  # the shared option bundles
    LOAD_TEST_FORMATS,
    Json,
    LatencySLO,
    Quiet,
    ThroughputUnit,
    app,
    finish,
    out_option,
    output_folder,
    report_session,
    reporting,
    show,
    stem,
)
from capplan.errors import CapplanError

USLOut = out_option("outputs/<input-stem>/, or outputs/usl/ for a what-if")


@app.command()
def usl(
    path: Annotated[Optional[Path], typer.Argument(help=f"Load test: {LOAD_TEST_FORMATS}.")] = None,
    sigma: Annotated[Optional[float], typer.Option("--sigma", help="What-if: contention coefficient.")] = None,
    kappa: Annotated[Optional[float], typer.Option("--kappa", help="What-if: coherency coefficient.")] = None,
    lambda_: Annotated[Optional[float], typer.Option("--lambda", help="What-if: throughput of one (X(1)).")] = None,
    concurrency_column: Annotated[Optional[str], typer.Option("--concurrency-column", help="Concurrency column (default: detected).")] = None,
    throughput_column: Annotated[Optional[str], typer.Option("--throughput-column", help="Throughput column (default: detected).")] = None,
    latency_column: Annotated[Optional[str], typer.Option("--latency-column", help="Latency column (default: detected, optional).")] = None,
    latency_slo: LatencySLO = None, out: USLOut = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="Write usl.json only (no usl.svg chart).")] = False,
    throughput_unit: ThroughputUnit = None,
    max_error_rate: Annotated[Optional[float], typer.Option("--max-error-rate", help="Leave out a step whose failed requests exceed this share, in percent (0-100, default 1).")] = None,
    json: Json = False, quiet: Quiet = False,
) -> None:
    """Fit the Universal Scalability Law to a load test, or explore given coefficients.

    Writes usl.json and usl.svg. Example: capplan usl inputs/loadtest_specsdm91.csv --throughput-unit hour
    """
    from capplan import api
    from capplan.validation import check_settings

    check_settings({"sigma": sigma, "kappa": kappa, "lambda_": lambda_,
                    "latency_slo": latency_slo, "throughput_unit": throughput_unit})
    if path is not None and any(v is not None for v in (sigma, kappa, lambda_)):
        raise CapplanError("give a load-test file or --sigma/--kappa/--lambda, not both")
    if max_error_rate is not None and not 0 <= max_error_rate <= 100:
        raise CapplanError(f"--max-error-rate {max_error_rate:g}: give a percentage from 0 to 100 "
                           "of a step's requests (default 1)")
    if path is None and (sigma is None or kappa is None or lambda_ is None):
        raise CapplanError("capplan usl needs a load-test file, or all of --sigma, --kappa "
                           "and --lambda for a what-if curve")
    default = Path("outputs") / (stem(path, "usl") if path is not None else "usl")
    out_dir = output_folder(out, default)
    # The chart's browser starts now, while the load test is read and fitted.
    with reporting(quiet), report_session(None, no_report) as browser:
        if path is not None:
            fit = api.fit_usl(path, concurrency_column=concurrency_column,
                              throughput_column=throughput_column, latency_column=latency_column,
                              latency_slo=latency_slo, throughput_unit=throughput_unit,
                              max_error_rate=None if max_error_rate is None else
                              max_error_rate / 100)
        else:
            fit = api.usl_what_if(sigma, kappa, lambda_, latency_slo=latency_slo)
        console = show(quiet, json)
        if console is not None:
            from capplan.outputs.terminal import print_usl

            if path is not None and (throughput_unit or "second").strip().lower() != "second":
                console.print(f"throughput read per {throughput_unit.strip().lower()}, shown "
                              "per second")
            if fit.load_test is not None:
                _print_steps(console, fit.load_test)
            print_usl(console, fit.fit, latency_slo)
        written = fit.write(out_dir, chart=not no_report, browser=browser)
    finish(written, fit.to_json, quiet, json)  # the text only for --json


def _print_steps(console, test) -> None:
    """Which steps the fit uses, and why any are left out: warm-ups and error steps one line
    each, ramps between levels in one line."""
    used = test.used
    console.print(f"{test.path} ({test.format}): {len(test.steps)} step(s) by {test.concurrency};"
                  f" the fit uses N = {', '.join(f'{s.n:g}' for s in used[:12])}"
                  f"{' ...' if len(used) > 12 else ''}")
    ramps = [s for s in test.steps if s.excluded and s.excluded.startswith("ramp")]
    others = [s for s in test.steps if s.excluded and s not in ramps]
    for s in others[:6]:
        console.print(f"  left out N = {s.n:g} ({s.where}): {s.excluded}")
    if len(others) > 6:
        console.print(f"  and {len(others) - 6} more left out (listed in usl.json)")
    if ramps:
        console.print(f"  left out {len(ramps)} ramp step(s) between levels (each held under a "
                      "tenth of the typical step; listed in usl.json)")
    for note in test.notes:
        console.print(f"  {note}")
