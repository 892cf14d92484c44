"""`capplan analyze FILE`: load analysis only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from capplan.cli.common import (  # the shared option bundles
    TRAFFIC_FORMATS,
    Aggregate,
    Config,
    Counter,
    Json,
    Out,
    PerInterval,
    Quiet,
    Rate,
    Series,
    Sheet,
    TimeColumn,
    Timezone,
    Unit,
    ValueColumn,
    app,
    finish,
    ingest_flags,
    output_folder,
    reporting,
    show,
    stem,
)


@app.command()
def analyze(
    path: Annotated[Path, typer.Argument(help=f"Traffic export: {TRAFFIC_FORMATS}.")],
    out: Out = None, config: Config = None, time_column: TimeColumn = None,
    value_column: ValueColumn = None, series: Series = None, sheet: Sheet = None,
    timezone: Timezone = None, per_interval: PerInterval = False, counter: Counter = False,
    rate: Rate = False, aggregate: Aggregate = None, unit: Unit = None,
    json: Json = False, quiet: Quiet = False,
) -> None:
    """Load analysis only: mean, peak, percentiles, daily peaks, weekly shape, data quality.

    Writes analysis.json. Example: capplan analyze inputs/nyc_taxi.csv
    """
    from capplan import api

    out_dir = output_folder(out, Path("outputs") / stem(path))
    flags = ingest_flags(time_column, value_column, series, sheet, timezone, per_interval,
                         counter, aggregate=aggregate, rate=rate, unit=unit)
    with reporting(quiet):
        a = api.analyze(path, config=config, **flags)
        console = show(quiet, json)
        if console is not None:
            from capplan.outputs.terminal import print_load, print_quality

            print_quality(console, a.traffic)
            print_load(console, a.load)
        written = a.write(out_dir)
    finish(written, a.to_json, quiet, json)  # the text only for --json
