"""Plan every service of an organisation in one run: `plan_fleet(sources, settings, executor=...)`.

Each service goes through exactly the calls of `capplan forecast` (ingest -> pipeline.forecast ->
outputs.report.plan_json) with the same defaults, inside a worker that reads its own series and
sends back only the plan. The parent keeps each plan as compressed JSON and a small summary, adds
the services up month by month and lists those whose runway falls inside the horizon.

Modules: `sources` (what to plan: a folder, fleet.toml, a multi-series export, a long CSV),
`split` (one export into a payload per service, read once), `worker` (one service), `executors`
(this process, local processes, Dask), `rollup` (totals and at-risk, pure), `model` (the values).
"""

from __future__ import annotations

from collections.abc import Callable

from capplan.fleet.executors import DaskExecutor, LocalExecutor, WorkerLost, executor_for
from capplan.fleet.model import (
    AtRisk,
    FleetResult,
    FleetSettings,
    RollupMonth,
    ServiceResult,
    ServiceTask,
)
from capplan.fleet.sources import FleetSource, read_sources

__all__ = ["plan_fleet", "read_sources", "FleetSource", "FleetSettings", "FleetResult",
           "ServiceResult", "ServiceTask", "RollupMonth", "AtRisk", "LocalExecutor",
           "DaskExecutor", "executor_for"]


def plan_fleet(sources, settings=None, executor=None, *,
               on_result: Callable[[ServiceResult, object], None] | None = None,
               keep_forecasts: bool = False) -> FleetResult:
    """Plan every service of `sources` (a `FleetSource`, or a path for `read_sources`).

    `settings`: a `FleetSettings` (flags over each service's facts over fleet.toml's [defaults])
    or a `pipeline.Settings` whose non-default values apply to every service. `executor`: a
    `LocalExecutor` (default: all cores) or a `DaskExecutor`. `on_result(result, forecast)` is
    called in this process as each service finishes (progress, the services' own reports);
    `forecast` is the service's `pipeline.ForecastResult` when `keep_forecasts`, else None.
    """
    from capplan.fleet.rollup import assemble
    from capplan.fleet.worker import plan_service
    from capplan.pipeline import Settings, check_months

    source = sources if isinstance(sources, FleetSource) else read_sources(sources)
    if settings is None:
        settings = FleetSettings()
    elif isinstance(settings, Settings):
        settings = FleetSettings.from_settings(settings)
    if source.defaults:
        settings = FleetSettings(flags=settings.flags,
                                 defaults=tuple({**dict(settings.defaults),
                                                 **dict(source.defaults)}.items()))
    check_months(settings.months)
    executor = executor or LocalExecutor()
    results = []
    for task, value in executor.map(plan_service, source.tasks, settings, keep_forecasts):
        if isinstance(value, WorkerLost):
            result, forecast = ServiceResult(name=task.name, path=task.path, series=task.series,
                                             config=task.config, error=value.reason), None
        else:
            result, forecast = value
        results.append(result)
        if on_result is not None:
            on_result(result, forecast)
    return assemble(source, settings.months, results)
