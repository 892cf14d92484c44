"""The library API: what a notebook or another program calls, and what the command line calls.

    import capplan
    a = capplan.analyze(df)                      # a DataFrame, a Series or a path
    p = capplan.forecast(df, months=6, per_instance=750, target_utilization=0.6)
    p.months; p.forecast; p.to_json(); p.write("out/")
    capplan.fit_usl(n, x).summary()

Keyword arguments are the command's flags with underscores, as in the service file
(`--target-utilization` is `target_utilization=`; `--event` is `events=`, a list, and
`--events FILE` is `events_file=`). Values are typed: numbers are numbers, a growth rate is a
fraction a month (`growth=0.10`) or the flag's text (`"25%/year"`), an event is an `Event`, a
dict with a `datetime` start or the flag's text, a duration is a `timedelta`, seconds or the
flag's text. Each value is turned into the text the flag would take and meets the rules the
command line applies (`capplan.validation`), so a mistake is the same one-line `CapplanError`
(naming the flag) in a notebook as in a shell, and the same settings give the same numbers and
the same files (the conversions are `capplan.options`). The result wrappers (`capplan.results`)
add tables and writers and compute nothing of their own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from capplan.errors import CapplanError
from capplan.options import (PATH_KEYS, duration_text, flag_value, keywords_checked, path_text,
                              plain, unknown_keyword)

if TYPE_CHECKING:
    from capplan.ingest import Traffic
    from capplan.pipeline import Settings
    from capplan.results import Analysis, PlanResult, USLResult

__all__ = ["analyze", "forecast", "plan", "fit_usl", "usl_what_if", "read_traffic",
           "build_settings", "option_names", "need_peak", "check_input_file", "check_output_folder"]

# Settings that `plan` (a what-if from numbers) has no use for: it reads no file and fits nothing.
_NOT_FOR_PLAN = ("model", "worst_quantile")
_INPUT_LABELS = {"events_file": "--events", "load_test": "--load-test", "fleet_usl": "--fleet-usl",
                 "capacity_from": "--capacity-from"}


# ---- the calls ------------------------------------------------------------------------------

def read_traffic(data, **options) -> Traffic:
    """A traffic series as a `Traffic` (UTC rate series, interval, quality account, provenance).

    `data`: a path to any export `capplan forecast` reads, or a pandas DataFrame (a timestamp
    index or column, one value column or `value_column=`) or Series (a timestamp index).
    `options`: the reading flags (time_column, value_column, series, sheet, timezone,
    per_interval, counter, ...)."""
    settings = build_settings("read", options, inputs=_inputs(data))
    return _read(data, settings)


def analyze(data, *, config=None, **options) -> Analysis:
    """The load analysis of a traffic series (`capplan analyze`): mean, peak, percentiles,
    daily peaks, the weekly shape and the data's quality account."""
    from capplan.pipeline import analyze_traffic
    from capplan.results import Analysis

    settings = build_settings("analyze", options, config=config, inputs=_inputs(data))
    traffic = _read(data, settings)
    return Analysis(traffic, analyze_traffic(traffic))


def forecast(data, *, config=None, **options) -> PlanResult:
    """A capacity plan from a traffic series (`capplan forecast`): load, capacity, growth
    chosen by backtest (or `growth=`), instances per month per scenario, runway, order-by date.

    Example: ``capplan.forecast(df, months=6, per_instance=750, target_utilization=0.6)``."""
    from capplan.pipeline import forecast_traffic
    from capplan.results import PlanResult

    # Every option, the service file and the events were checked here, before the series is read.
    settings = build_settings("forecast", options, config=config, inputs=_inputs(data))
    result = forecast_traffic(_read(data, settings), settings)
    label = os.fspath(data) if _is_path(data) else _frame_label(data)
    return PlanResult.of(result, settings, default_title=Path(label).name,
                         command=_command("forecast", label, options, config), config=config)


def plan(*, peak, mean=None, today=None, config=None, **options) -> PlanResult:
    """A what-if plan from numbers, no traffic series (`capplan plan`): today's planning `peak`
    (req/s), a fleet or a per-instance limit, a growth rate. `today` (a date) is the plan's
    start; default: today in UTC.

    Example: ``capplan.plan(peak=10000, instances=20, utilization=0.4, growth=0.10, months=12)``
    (the course's worked example: 22 instances in month 5)."""
    import datetime as dt

    from capplan.pipeline import plan_from_numbers
    from capplan.results import PlanResult

    need_peak(peak)
    if today is not None and not isinstance(today, dt.date):
        raise CapplanError(f"today={today!r}: give a datetime.date (the plan's first day)")
    if isinstance(today, dt.datetime):
        today = today.date()
    settings = build_settings("plan", {**options, "peak": peak, "mean": mean}, config=config)
    peak, mean = flag_value("peak", peak), flag_value("mean", mean)
    result = plan_from_numbers(settings, peak=peak, mean=mean, today=today)
    args = {**options, "peak": peak, "mean": mean}
    return PlanResult.of(result, settings, default_title="What-if plan",
                         command=_command("plan", None, args, config), config=config)


def need_peak(peak) -> None:
    """A what-if plan starts from today's peak: refuse its absence first, before anything else."""
    if peak is None:
        raise CapplanError("capplan plan needs --peak (today's planning peak in req/s); to plan "
                           "from a traffic file use capplan forecast FILE")


@keywords_checked("fit_usl")
def fit_usl(n, x=None, latency=None, *, concurrency_column=None, throughput_column=None,
            latency_column=None, latency_slo=None, throughput_unit=None,
            max_error_rate=None, latency_statistic=None) -> USLResult:
    """Fit the Universal Scalability Law (`capplan usl`): measured concurrency `n` and
    throughput `x` (sequences), or a load-test file (any format `capplan usl` reads, or a
    folder of them) or DataFrame as `n` alone (columns found by name, or named).
    `throughput_unit` (second, minute or hour) is the unit of the throughput given;
    `max_error_rate` (a fraction, default 0.01) leaves out a step whose failed requests exceed
    it; `latency_slo` adds the p99 objective's limit to the JSON. `latency` given as numbers is
    in seconds, one per measurement, and the objective is checked against it as against a
    file's latency column: `latency_statistic` says which statistic it is ("p99", "p95", "mean",
    ...; default "unstated", as a column whose name does not say, which the JSON notes)."""
    from capplan.results import USLResult
    from capplan.usl import check_throughput_unit
    from capplan.usl import fit_usl as fit
    from capplan.validation import check_settings

    latency_slo = duration_text("latency_slo", latency_slo)
    check_settings({"latency_slo": latency_slo, "throughput_unit": throughput_unit})
    unit = throughput_unit or "second"
    if max_error_rate is not None:
        max_error_rate = _fraction("max_error_rate", max_error_rate)
    if x is None:
        if latency is not None or latency_statistic is not None:
            raise CapplanError("latency= and latency_statistic= go with n and x given as numbers; "
                               "a load-test file or DataFrame names its latency column "
                               "(latency_column=)")
        test = _load_test(n, concurrency_column, throughput_column, latency_column, unit,
                          0.01 if max_error_rate is None else max_error_rate)
        return USLResult(fit(**test.fit_arguments(), source=test.path if test.path ==
                             "DataFrame" else f"{test.path} ({test.format})"),
                         latency_slo, load_test=test)
    if max_error_rate is not None:
        raise CapplanError("max_error_rate applies to a load-test file or DataFrame, not to n "
                           "and x given as numbers")
    if latency_statistic is not None and latency is None:
        raise CapplanError("latency_statistic names the statistic of latency= given as numbers: "
                           "give latency= too, or leave latency_statistic out")
    if any(c is not None for c in (concurrency_column, throughput_column, latency_column)):
        raise CapplanError("the column names apply to a load-test file or DataFrame, not to n "
                           "and x given as numbers")
    n, x = _numbers(n, "n"), _numbers(x, "x") * check_throughput_unit(unit)
    if latency is None:
        return USLResult(fit(n, x, source="load test"), latency_slo)
    return USLResult(fit(n, x, _numbers(latency, "latency"), source="load test",
                         latency_column="latency= (seconds)",
                         latency_statistic=_statistic(latency_statistic)), latency_slo)


def _statistic(name) -> str:
    """The statistic of latencies given as numbers: p99, p95, ..., mean, max, or unstated."""
    import re

    if name is None:
        return "unstated"
    text = str(name).strip().lower()
    if text in ("mean", "max", "unstated") or re.fullmatch(r"p\d{1,2}(\.\d+)?", text):
        return text
    raise CapplanError(f"latency_statistic={name!r}: give the statistic the latencies are, "
                       "such as 'p99', 'p95', 'p50' or 'mean'")


def _numbers(values, name: str):
    """A sequence of numbers as a float array, or one line saying what is wrong with it."""
    import numpy as np

    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise CapplanError(f"{name}: give a sequence of numbers (a list, an array or a column)"
                           ) from None
    if array.ndim != 1:
        raise CapplanError(f"{name}: give one number per measurement (a flat sequence), not an "
                           f"array of shape {array.shape}")
    return array


@keywords_checked("usl_what_if")
def usl_what_if(sigma, kappa, lambda_, *, latency_slo=None) -> USLResult:
    """The USL curve of given coefficients (`capplan usl --sigma --kappa --lambda`)."""
    from capplan.results import USLResult
    from capplan.usl import USL, what_if
    from capplan.validation import check_settings

    latency_slo = duration_text("latency_slo", latency_slo)
    values = {"sigma": plain(sigma), "kappa": plain(kappa), "lambda_": plain(lambda_)}
    check_settings({**values, "latency_slo": latency_slo})
    return USLResult(what_if(USL(**values)), latency_slo)


# ---- settings: typed values to the flags' rules ---------------------------------------------

def build_settings(kind: str, options: dict, *, config=None, inputs: dict | None = None
                   ) -> Settings:
    """`Settings` for a `kind` of run ("read", "analyze", "forecast", "plan") from keyword
    options (None is "not given") and a service file, every rule checked before any work: the
    options (named as their flags), the file's values (named by file and key), then that the
    files they name exist. `inputs` maps a label (FILE, ...) to a path the caller gave."""
    from capplan.config import merge, read_config
    from capplan.pipeline import Settings
    from capplan.validation import check_settings

    allowed = option_names(kind)
    for key in options:
        if key not in allowed:
            raise CapplanError(_unknown_option(kind, key, allowed))
    values = {k: flag_value(k, v) for k, v in options.items()}
    check_settings({k: v for k, v in values.items() if v is not None and v != ()})
    for label, path in (inputs or {}).items():
        check_input_file(path, label)
    if config is not None and kind == "read":
        raise CapplanError("config= applies to analyze, forecast and plan, not to read_traffic")
    base = read_config(path_text("config", config)) if config is not None else {}
    merged = merge(base, values)
    check_settings({k: merged.get(k) for k in ("growth", "worst_growth")})
    if kind in ("forecast", "plan"):  # the metrics settings (--capacity-from), file and flags
        from capplan.validation import check_metrics_settings, flag

        check_metrics_settings(merged, lambda k: flag(k) if values.get(k) not in (None, [], ())
                               else f"{config}: {k}")
    for key in PATH_KEYS:
        if merged.get(key) is not None:
            merged[key] = str(merged[key])
            if key != "events_file" and Path(merged[key]).is_dir():
                continue  # a load test may be a folder of one output per concurrency
            check_input_file(merged[key], _INPUT_LABELS[key])
    if merged.get("capacity_from") is not None:
        from capplan.ingest.metrics import metric_specs

        for label, spec in metric_specs(merged):
            if spec.path != merged["capacity_from"]:
                check_input_file(spec.path, label)
    if merged.get("events_file") is not None:
        from capplan.events import read_events_path

        read_events_path(merged["events_file"])  # its rows meet the rules before any work
    return Settings.from_dict(merged)


def option_names(kind: str) -> tuple[str, ...]:
    """The keyword options a kind of run takes: the Settings fields it uses (so a flag added to
    Settings is an option here at once), plus `peak` and `mean` for a what-if plan."""
    import inspect

    from capplan.ingest import read_traffic as read_file
    from capplan.pipeline import Settings

    fields = tuple(Settings.__dataclass_fields__)
    reading = tuple(k for k in inspect.signature(read_file).parameters if k in fields)
    if kind in ("read", "analyze"):
        return reading
    if kind == "forecast":
        return fields
    if kind == "plan":
        return tuple(k for k in fields if k not in reading and k not in _NOT_FOR_PLAN) + \
            ("peak", "mean")
    raise ValueError(f"unknown kind of run {kind!r}")


def check_input_file(path, label: str) -> None:
    """An input named by the caller (or in the service file) is an existing file."""
    p = Path(path)
    where = f"{label} {p}" if label.startswith("--") else str(p)
    if not p.exists():
        raise CapplanError(f"{where}: no such file: check the path")
    if p.is_dir():
        raise CapplanError(f"{where}: is a folder, not a file: give the file's path")


def check_output_folder(out, default=None, label: str = "--out") -> Path:
    """The folder a run writes to: `out`, or `default` when `out` is None; refused before any
    work when it is empty, not a folder, or not writable."""
    if out is not None and not str(out).strip():
        raise CapplanError(f"{label} '': an empty folder name: give one, such as "
                           f"{label} outputs/plan, or leave {label} out for the default")
    if out is None and default is None:
        raise CapplanError("give the folder to write into")
    path = Path(out) if out is not None else Path(default)
    where = f"{label} {path}" if out is not None else f"output folder {path}"
    if path.exists() and not path.is_dir():
        raise CapplanError(f"{where}: exists and is not a folder: choose another {label}")
    probe = path
    while not probe.exists():  # the nearest existing ancestor is where the folder is made
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and (not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK)):
        raise CapplanError(f"{where}: cannot write in {probe}: choose a writable {label}")
    if probe.is_dir():
        # os.access says yes to root everywhere; a folder made and removed at once asks the
        # file system itself (a read-only mount, /sys), before any work and leaving nothing.
        import tempfile

        try:
            os.rmdir(tempfile.mkdtemp(prefix=".capplan-probe-", dir=probe))
        except OSError as exc:
            raise CapplanError(f"{where}: cannot write in {probe} ({exc.strerror or exc}): "
                               f"choose a writable {label}") from exc
    return path


def _unknown_option(kind: str, key: str, allowed) -> str:
    return unknown_keyword("read_traffic" if kind == "read" else kind, key, allowed)


# ---- inputs --------------------------------------------------------------------------------

def _is_path(data) -> bool:
    return isinstance(data, (str, os.PathLike))


def _is_frame(data) -> bool:
    import sys

    pd = sys.modules.get("pandas")  # a frame exists only if pandas was imported to make it
    return pd is not None and isinstance(data, (pd.DataFrame, pd.Series))


def _inputs(data) -> dict:
    if _is_path(data):
        return {"FILE": data}
    if _is_frame(data):
        return {}
    raise CapplanError(f"{type(data).__name__} is not a traffic series: give a path or a pandas "
                       "DataFrame or Series")


def _frame_label(data) -> str:
    return "DataFrame" if not hasattr(data, "to_frame") else "Series"


def _read(data, settings: Settings) -> Traffic:
    from capplan.pipeline import read

    if _is_path(data):
        return read(os.fspath(data), settings)
    from capplan import progress
    from capplan.ingest.frame import traffic_from_frame

    if settings.sheet is not None:
        raise CapplanError("--sheet applies to an Excel file, not to a DataFrame")
    progress.stage(f"reading the {_frame_label(data)}")
    return traffic_from_frame(data, time_column=settings.time_column,
                              value_column=settings.value_column, unit=settings.unit,
                              series=settings.series, aggregate=settings.aggregate,
                              timezone=settings.timezone, per_interval=settings.per_interval,
                              counter=settings.counter, rate=settings.rate)


def _fraction(name: str, value) -> float:
    """A share from 0 to 1, or one line naming the keyword."""
    import math

    try:
        share = float(value)
    except (TypeError, ValueError):
        share = math.nan
    if not 0 <= share <= 1:
        raise CapplanError(f"{name}={value!r}: give a fraction from 0 to 1 (0.01 is 1%)")
    return share


def _load_test(data, concurrency_column, throughput_column, latency_column, unit: str,
               max_error_rate: float):
    """The `LoadTest` of a load-test file or folder, or of a DataFrame of steps: one reader,
    latency in seconds with its statistic and unit named."""
    from capplan.ingest import loadtests

    if _is_path(data):
        if not Path(data).is_dir():  # a folder holds one output per concurrency
            check_input_file(data, "FILE")
        return loadtests.read_load_test_steps(os.fspath(data), concurrency_column,
                                              throughput_column, latency_column, unit,
                                              max_error_rate=max_error_rate)
    if _is_frame(data) and hasattr(data, "columns"):
        return loadtests.load_test_from_frame(data, concurrency_column, throughput_column,
                                              latency_column, unit, max_error_rate)
    raise CapplanError(f"{type(data).__name__}: give n and x (sequences), or a load-test file or "
                       "DataFrame as the first argument")


def _command(command: str, data_label: str | None, options: dict, config) -> tuple[str, ...]:
    """The command line equivalent to a call, for the report's appendix."""
    from capplan.validation import flag

    args = ["capplan", command] + ([data_label] if data_label else [])
    if config is not None:
        args += ["--config", os.fspath(config)]
    for key, value in options.items():
        value = flag_value(key, value)
        if value is None or value is False:
            continue
        name = "--event" if key == "events" else flag(key)
        if value is True:
            args.append(name)
        elif key == "events":
            for e in value:
                args += [name, e]
        else:
            args += [name, str(value)]
    return tuple(args)
