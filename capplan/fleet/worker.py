"""One service, planned inside a worker: the same calls as `capplan forecast` (ingest ->
pipeline.forecast -> outputs.report.plan_json) with the same defaults; only the plan comes back.

Never raises for a service's fault: a bad file, a bad service TOML or too little data becomes the
service's one-line error, and so does a bug (named as one), so one service cannot stop the fleet.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from capplan.errors import CapplanError
from capplan.fleet.model import (
    SCENARIOS,
    FleetSettings,
    InputHash,
    MonthSummary,
    ScenarioSummary,
    ServiceResult,
    ServiceSummary,
    ServiceTask,
)


# The libraries the stages import inside their functions: the fork server imports them once
# and every worker starts with them (and with one BLAS thread); warm() makes sure of the rest.
WARM_MODULES = ("numpy", "pandas", "pyarrow.csv", "scipy.optimize", "scipy.stats",
                "statsmodels.tsa.holtwinters", "capplan.ingest", "capplan.load",
                "capplan.growth", "capplan.plan", "capplan.outputs.report", "capplan.fleet.worker")


def import_libraries() -> None:
    """Import what planning imports inside its functions, so that no service's time includes
    it (a Dask worker runs this when the run connects)."""
    import importlib

    for name in WARM_MODULES:
        importlib.import_module(name)


def warm(parent: int | None = None) -> None:
    """Run once per local worker process before its first service: the imports, and Ctrl-C
    ignored (the parent stops the workers, and the terminal shows one line, not a traceback per
    worker). A worker whose `parent` (the run's process) dies exits too: a pool's workers would
    otherwise wait on their queue for ever."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        import threading

        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    import_libraries()


def _exit_with(parent: int) -> None:
    import os
    import time

    while True:
        time.sleep(1.0)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # the pid was reused by another user's process: ours is gone
            os._exit(1)


def plan_service(task: ServiceTask, settings: FleetSettings, keep_forecast: bool = False):
    """(ServiceResult, and with `keep_forecast` (its ForecastResult, its Settings) for the
    service's own report, else None)."""
    started = time.perf_counter()
    inputs: list[InputHash] = []
    notes: tuple[str, ...] = ()
    base = dict(name=task.name, path=task.path, series=task.series, config=task.config)
    try:
        if task.problem:
            raise CapplanError(task.problem)
        own = dict(task.facts)
        if task.config:
            from capplan.config import read_config
            from capplan.fleet.sources import sha256_of

            inputs.append(InputHash(task.config, sha256_of(Path(task.config)) or "", "service file",
                                    task.name))
            own = read_config(task.config)
        if task.series is not None and task.payload is None:
            own["series"] = task.series
        service_settings, notes = settings.for_service(own)
        from capplan.validation import check_settings

        # The one rule between two settings that may come from different places (flag, file).
        check_settings({"growth": service_settings.growth,
                        "worst_growth": service_settings.worst_growth})
        inputs += _side_inputs(service_settings, task.name)
        result, doc = _forecast(task, service_settings)
        from capplan.validation import check_plan_finite

        check_plan_finite(doc)  # as capplan forecast: a NaN stops this plan, named as a bug
        inputs.insert(0, InputHash(doc["input"]["path"], doc["input"]["sha256"], "export",
                                   task.name))
        body = compact_json(doc)
        import zlib

        out = ServiceResult(**base, summary=summarize(doc), plan_z=zlib.compress(body, 1),
                            inputs=tuple(inputs), notes=notes,
                            seconds=time.perf_counter() - started)
        return out, ((result, service_settings) if keep_forecast else None)
    except CapplanError as exc:
        message = _in_fleet_terms(str(exc), task)
    except Exception as exc:  # noqa: BLE001 - a bug in one service must not stop the fleet
        message = str(CapplanError(  # one bounded line, as every error of a service
            f"internal error: {type(exc).__name__}: {exc} (a bug: rerun this service with "
            "capplan forecast and CAPPLAN_DEBUG=1 for the traceback, and report it)"))
    if not any(i.role == "export" for i in inputs):
        from capplan.fleet.sources import sha256_of

        sha = task.sha256 or sha256_of(Path(task.path))
        if sha:
            inputs.insert(0, InputHash(task.path, sha, "export", task.name))
    return ServiceResult(**base, error=message, inputs=tuple(inputs), notes=notes,
                         seconds=time.perf_counter() - started), None


# The reader's advice for a file of several series, in `capplan forecast`'s flags: `capplan fleet`
# has no --series, so a fleet user is told the keys and the form that do the same.
FLAG_HINT = "pick one with --series, or combine them with --aggregate sum|max|mean"


def _in_fleet_terms(message: str, task: ServiceTask) -> str:
    if FLAG_HINT not in message:
        return message
    if task.config:
        where = Path(task.config).name
    elif task.facts:
        where = "its [[service]] table"
    else:
        where = f"{task.name}.toml or its [[service]] table"  # a folder, or a bare table
    # The export's full path is in the fleet's tables beside the error: its name is enough here.
    message = message.replace(task.path, Path(task.path).name, 1)
    return str(CapplanError(message.replace(
        FLAG_HINT, f'set series = "..." or aggregate = "sum" in {where}, or give capplan fleet '
                   "this file alone (a service per series)")))


def _side_inputs(settings, name: str) -> list[InputHash]:
    from capplan.fleet.sources import sha256_of

    out = []
    for key, role in (("load_test", "load test"), ("fleet_usl", "scale-out test"),
                      ("events_file", "events")):
        value = getattr(settings, key)
        if value:
            sha = sha256_of(Path(value))
            if sha:
                out.append(InputHash(str(value), sha, role, name))
    return out


def _forecast(task: ServiceTask, settings):
    from capplan.outputs.report import input_hashes, plan_json
    from capplan.pipeline import forecast

    if task.payload is None:
        result = forecast(task.path, settings)
        return result, plan_json(result, settings, task.config)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="capplan-fleet-") as scratch:
        # read_traffic reads a path: the payload goes through it exactly as a file would.
        part = Path(scratch) / f"series{task.payload_suffix}"
        part.write_bytes(task.payload)
        try:
            result = forecast(str(part), settings)
        except CapplanError as exc:
            raise CapplanError(_original_place(str(exc), str(part), task)) from None
    doc = plan_json(result, settings, task.config)
    doc["input"]["path"] = task.path
    doc["input"]["sha256"] = task.sha256
    doc["input"]["series"] = task.series
    doc["inputs"] = input_hashes(doc, settings, task.config)  # the export, not the scratch copy
    if task.line_map is not None:
        for d in doc["quality"]["dropped"]:
            d["first_lines"] = [_line(task, n) for n in d["first_lines"]]
    return result, doc


def _line(task: ServiceTask, line: int) -> int:
    """The original file's line of the payload's `line` (line 1 is the header in both)."""
    i = line - 2
    return task.line_map[i] if 0 <= i < len(task.line_map) else line


def _original_place(message: str, part: str, task: ServiceTask) -> str:
    message = message.replace(part, f"{task.path} (series {task.series})")
    if task.line_map is not None:
        message = re.sub(r"\bline (\d+)", lambda m: f"line {_line(task, int(m.group(1)))}",
                         message)
    return message


def compact_json(doc: dict) -> bytes:
    """The plan document as compact JSON: the same values as plan.json, no NaN (null instead).

    Fast path: numpy scalars through `default`, and a non-finite float makes json refuse, so the
    slower walk of `outputs.json` (NaN to null) runs only for a document that holds one."""
    import json

    def scalar(x):
        import numpy as np

        if isinstance(x, np.bool_):
            return bool(x)
        if isinstance(x, np.integer):
            return int(x)
        if isinstance(x, np.floating):
            return float(x)
        raise TypeError(f"{type(x).__name__} is not JSON")

    try:
        text = json.dumps(doc, separators=(",", ":"), allow_nan=False, default=scalar)
    except (ValueError, TypeError):  # NaN or infinity; a numpy key
        from capplan.outputs.json import _clean

        text = json.dumps(_clean(doc), separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8")


def _instances(row: dict) -> int | None:
    if row.get("instances") is not None:
        return int(row["instances"])
    if row.get("cells") and row.get("cell_size"):
        return int(row["cells"]) * int(row["cell_size"])
    return None


def summarize(doc: dict) -> ServiceSummary:
    """The numbers the fleet's tables and roll-up use, read from the plan's own document (so that
    fleet.json, the workbook and the PDF agree with each service's plan)."""
    cap, growth = doc["capacity"], doc["growth"]
    scenarios = {}
    for name in SCENARIOS:
        s = doc["scenarios"][name]
        months = tuple(MonthSummary(month=int(r["month"]), date=r["date"], peak=r["peak"],
                                    instances=_instances(r), add=r.get("add"), cost=r.get("cost"),
                                    beyond_fleet_limit=bool(r.get("beyond_fleet_limit")))
                       for r in s["months"])
        scenarios[name] = ScenarioSummary(runway=s.get("runway"),
                                          runway_months=s.get("runway_months"),
                                          order_by=s.get("order_by"), months=months)
    sized = any(m.instances is not None for m in scenarios["nominal"].months)
    return ServiceSummary(start=doc["start"], planning_peak=doc["planning_peak"],
                          model=growth["model"], monthly_growth=growth.get("monthly_growth"),
                          worst_monthly_growth=growth.get("worst_monthly_growth"), sized=sized,
                          current_instances=cap.get("current_instances"),
                          instances_needed_today=cap.get("instances_needed_today"),
                          cost_per_instance=doc.get("cost_per_instance"), scenarios=scenarios,
                          currency=doc.get("currency"))
