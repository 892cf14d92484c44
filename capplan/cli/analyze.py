"""`capplan analyze FILE`: load analysis only."""

from __future__ import annotations

from pathlib import Path

from capplan.cli.common import (  # the shared option bundles
    Config,
    Aggregate,
    Counter,
    Out,
    PerInterval,
    Rate,
    Series,
    Sheet,
    TimeColumn,
    TrafficFile,
    Unit,
    Timezone,
    ValueColumn,
    app,
    ingest_flags,
    make_console,
    output_folder,
    settings_from,
    stem,
)


@app.command()
def analyze(
    path: TrafficFile,
    out: Out = None, config: Config = None, time_column: TimeColumn = None,
    value_column: ValueColumn = None, series: Series = None, sheet: Sheet = None,
    timezone: Timezone = None, per_interval: PerInterval = False, counter: Counter = False,
    rate: Rate = False, aggregate: Aggregate = None, unit: Unit = None,
) -> None:
    """Load analysis only: mean, peak, percentiles, daily peaks, weekly shape, data quality.

    Example: capplan analyze inputs/nyc_taxi.csv
    """
    from capplan.outputs import json as jout
    from capplan.outputs.atomic import write_set
    from capplan.outputs.terminal import print_load, print_quality
    from capplan.pipeline import analyze as run

    out_dir = output_folder(out, Path("outputs") / stem(path))
    settings = settings_from(config, ingest_flags(time_column, value_column, series, sheet, timezone,
                                               per_interval, counter, aggregate=aggregate,
                                               rate=rate, unit=unit), inputs={"FILE": path})
    traffic, load = run(str(path), settings)
    console = make_console()
    print_quality(console, traffic)
    print_load(console, load)
    written = write_set(out_dir, {"analysis.json": jout.dumps(jout.analysis_doc(traffic, load))})
    console.print(f"wrote {', '.join(str(p) for p in written)}")
