"""`capplan usl FILE`: the Universal Scalability Law, fitted or what-if."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from capplan.cli.common import (  # the shared option bundles
    LatencySLO,
    NoReport,
    Out,
    ThroughputUnit,
    app,
    check_input_file,
    make_console,
    output_folder,
    stem,
)
from capplan.errors import CapplanError


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
    throughput_unit: ThroughputUnit = None,
) -> None:
    """Fit the Universal Scalability Law to a load test, or explore given coefficients.

    Example: capplan usl inputs/loadtest_specsdm91.csv --throughput-unit hour
    """
    from capplan.outputs.report import write_usl_outputs
    from capplan.outputs.terminal import print_usl
    from capplan.usl import USL, fit_usl, read_load_test_columns, what_if
    from capplan.validation import check_settings

    check_settings({"sigma": sigma, "kappa": kappa, "lambda_": lambda_,
                    "latency_slo": latency_slo, "throughput_unit": throughput_unit})
    if path is not None:
        if any(v is not None for v in (sigma, kappa, lambda_)):
            raise CapplanError("give a load-test file or --sigma/--kappa/--lambda, not both")
        out_dir = output_folder(out, Path("outputs") / stem(path, "usl"))
        check_input_file(path, "FILE")
        t = read_load_test_columns(str(path), concurrency_column, throughput_column,
                                   latency_column, throughput_unit=throughput_unit or "second")
        result = fit_usl(t.n, t.x, t.latency, source=str(path), latency_column=t.latency_column)
    else:
        if sigma is None or kappa is None or lambda_ is None:
            raise CapplanError("capplan usl needs a load-test file, or all of --sigma, --kappa "
                               "and --lambda for a what-if curve")
        out_dir = output_folder(out, Path("outputs") / "usl")
        result = what_if(USL(sigma, kappa, lambda_))
    console = make_console()
    if path is not None and (throughput_unit or "second").strip().lower() != "second":
        console.print(f"throughput read per {throughput_unit.strip().lower()}, shown per second")
    print_usl(console, result, latency_slo)
    written = write_usl_outputs(result, out_dir, latency_slo, chart=not no_report)
    console.print(f"wrote {', '.join(str(p) for p in written)}")
