"""`capplan usl FILE`: the Universal Scalability Law, fitted or what-if."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from capplan.cli.common import (  # the shared option bundles
    LOAD_TEST_FORMATS,
    LatencySLO,
    NoReport,
    Out,
    app,
    check_input_file,
    make_console,
    output_folder,
    stem,
)
from capplan.errors import CapplanError


@app.command()
def usl(
    path: Annotated[Optional[Path], typer.Argument(help=f"Load test: {LOAD_TEST_FORMATS}.")] = None,
    sigma: Annotated[Optional[float], typer.Option("--sigma", help="What-if: contention coefficient.")] = None,
    kappa: Annotated[Optional[float], typer.Option("--kappa", help="What-if: coherency coefficient.")] = None,
    lambda_: Annotated[Optional[float], typer.Option("--lambda", help="What-if: throughput of one (X(1)).")] = None,
    concurrency_column: Annotated[Optional[str], typer.Option("--concurrency-column", help="Concurrency column (default: detected).")] = None,
    throughput_column: Annotated[Optional[str], typer.Option("--throughput-column", help="Throughput column (default: detected).")] = None,
    latency_column: Annotated[Optional[str], typer.Option("--latency-column", help="Latency column (default: detected, optional).")] = None,
    throughput_unit: Annotated[str, typer.Option("--throughput-unit", help="Unit of a table's throughput column: second (default), minute or hour; tools' outputs state per second.")] = "second",
    max_error_rate: Annotated[float, typer.Option("--max-error-rate", help="Leave out a step whose failed requests exceed this share, in percent (0-100, default 1).")] = 1.0,
    latency_slo: LatencySLO = None, out: Out = None, no_report: NoReport = False,
) -> None:
    """Fit the Universal Scalability Law to a load test, or explore given coefficients.

    Example: capplan usl inputs/loadtest_specsdm91.csv
    """
    from capplan.ingest.loadtests import read_load_test_steps
    from capplan.outputs.report import write_usl_outputs
    from capplan.outputs.terminal import print_usl
    from capplan.usl import USL, fit_usl, what_if
    from capplan.validation import check_settings

    check_settings({"sigma": sigma, "kappa": kappa, "lambda_": lambda_,
                    "latency_slo": latency_slo})
    test = None
    if path is not None:
        if any(v is not None for v in (sigma, kappa, lambda_)):
            raise CapplanError("give a load-test file or --sigma/--kappa/--lambda, not both")
        out_dir = output_folder(out, Path("outputs") / stem(path, "usl"))
        if not path.is_dir():  # a folder holds one output per concurrency
            check_input_file(path, "FILE")
        test = read_load_test_steps(path, concurrency_column, throughput_column, latency_column,
                                    throughput_unit, max_error_rate=max_error_rate / 100)
        result = fit_usl(*test.arrays(), source=f"{path} ({test.format})")
    else:
        if sigma is None or kappa is None or lambda_ is None:
            raise CapplanError("capplan usl needs a load-test file, or all of --sigma, --kappa "
                               "and --lambda for a what-if curve")
        out_dir = output_folder(out, Path("outputs") / "usl")
        result = what_if(USL(sigma, kappa, lambda_))
    console = make_console()
    if test is not None:
        _print_steps(console, test)
    print_usl(console, result, latency_slo)
    written = write_usl_outputs(result, out_dir, latency_slo, chart=not no_report,
                                load_test=test)
    console.print(f"wrote {', '.join(str(p) for p in written)}")


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
