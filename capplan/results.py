"""What `capplan.api` returns: thin wrappers that add tables (pandas) and writers to a run's values.

They compute nothing of their own. A plan's tables are read from the very document `plan.json`
holds (`PlanResult.to_json()` is its text, byte for byte), so a table, the JSON and the files
written by `write()` cannot disagree; `write()` goes through the same `outputs.report` call as the
command line. Each table is a new DataFrame on every access: editing it changes nothing here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from capplan.numbers import plain
from capplan.options import keywords_checked

if TYPE_CHECKING:
    import pandas as pd

    from capplan.ingest import Traffic
    from capplan.load import LoadProfile
    from capplan.pipeline import ForecastResult, Settings
    from capplan.usl import USLFit

# The month table's leading columns, in the order people read them; the rest follow as in JSON.
MONTH_COLUMNS = ("scenario", "month", "date", "peak", "instances", "add", "cost")


def _dumps(doc: dict) -> str:
    from capplan.outputs import json as jout

    return jout.dumps(doc).decode("utf-8")


@dataclass(frozen=True, slots=True)
class Analysis:
    """The load analysis of one traffic series (`capplan analyze`)."""

    traffic: Traffic = field(repr=False)
    load: LoadProfile = field(repr=False)

    def __repr__(self) -> str:
        q = self.traffic.quality
        return (f"Analysis({self.traffic.source.path}: {q.rows_used:,} rows from "
                f"{q.first:%Y-%m-%d %H:%M} to {q.last:%Y-%m-%d %H:%M} UTC; peak "
                f"{plain(self.load.peak)} {self.load.unit})")

    @property
    def rate(self) -> pd.Series:
        """The rate series as analysed (UTC index), a copy."""
        return self.traffic.rate.copy()

    @property
    def daily_peaks(self) -> pd.DataFrame:
        """date, peak: the highest rate of each full calendar day in the local zone."""
        import pandas as pd

        peaks = self.load.daily_peaks
        return pd.DataFrame({"date": pd.to_datetime(peaks.index), "peak": peaks.to_numpy(float)})

    def summary(self) -> pd.DataFrame:
        """statistic, value, unit: mean, peak, peak_to_mean, p50, p95, p99, p999 (at the data's
        own interval) and the planning peak, as in analysis.json."""
        import pandas as pd

        load = self.to_dict()["load"]
        unit = load["unit"]
        rows = [(k, load[k], "ratio" if k == "peak_to_mean" else unit)
                for k in ("mean", "peak", "peak_to_mean", "p50", "p95", "p99", "p999")]
        rows.append(("planning_peak", load["planning_peak"]["value"], unit))
        return pd.DataFrame(rows, columns=["statistic", "value", "unit"])

    def to_dict(self) -> dict:
        return json.loads(self.to_json())

    def to_json(self) -> str:
        """The text of analysis.json."""
        from capplan.outputs import json as jout

        return _dumps(jout.analysis_doc(self.traffic, self.load))

    @keywords_checked("Analysis.write")
    def write(self, out) -> list[Path]:
        """Write analysis.json into the folder `out` (as one set, like the command line)."""
        from capplan.api import check_output_folder
        from capplan.outputs.atomic import write_set

        folder = check_output_folder(out)
        return write_set(folder, {"analysis.json": self.to_json().encode("utf-8")})


@dataclass(frozen=True, slots=True)
class PlanResult:
    """A capacity plan (`capplan forecast` or `capplan plan`) with its tables and writers."""

    result: ForecastResult = field(repr=False)
    settings: Settings = field(repr=False)
    title: str
    command: tuple[str, ...] = field(repr=False)  # the equivalent command line, for the report
    _doc: dict = field(repr=False, compare=False)  # the plan.json document (to_dict: a copy)
    config: str | None = field(default=None, repr=False)  # the service file, hashed in plan.json

    @classmethod
    def of(cls, result: ForecastResult, settings: Settings, *, default_title: str,
           command: tuple[str, ...], config=None) -> PlanResult:
        from capplan.outputs.report import input_hashes, plan_json

        title = settings.title or settings.service or default_title
        doc = plan_json(result)
        doc["inputs"] = input_hashes(doc, settings, config)  # as write() puts it in plan.json
        return cls(result, settings, title, tuple(command), doc,
                   None if config is None else str(config))

    def __repr__(self) -> str:
        parts = []
        for name, s in self._doc["scenarios"].items():
            last = s["months"][-1]
            need = "load only" if last["instances"] is None else f"{last['instances']} instances"
            parts.append(f"{name}: {need} at month {last['month']}, runway "
                         f"{s['runway'] or 'past the horizon'}")
        return f"PlanResult({self.title!r}, from {self._doc['start']}; {'; '.join(parts)})"

    # ---- the engine's values, for those who want them ---------------------------------------
    @property
    def plan(self):
        """The plan (`capplan.plan.Plan`): scenarios, capacity model, forecast, events."""
        return self.result.plan

    @property
    def traffic(self):
        return self.result.traffic

    @property
    def load(self):
        return self.result.load

    @property
    def usl(self):
        return self.result.usl

    # ---- tables ----------------------------------------------------------------------------
    @property
    def months(self) -> pd.DataFrame:
        """One row per scenario and month, from plan.json's `scenarios.*.months`: scenario,
        month, date (the month's end), peak, instances, add, cost, then the other fields."""
        import pandas as pd

        rows = [{"scenario": name, **row} for name, s in self._doc["scenarios"].items()
                for row in s["months"]]
        frame = pd.DataFrame(rows)
        lead = [c for c in MONTH_COLUMNS if c in frame.columns]
        frame = frame[lead + [c for c in frame.columns if c not in lead]]
        frame["date"] = pd.to_datetime(frame["date"])
        # Typed columns, not objects holding None: dates as datetimes (NaT where there is none),
        # counts as nullable integers (<NA> where the plan has no such count).
        for name in ("order_by", "in_service_by"):
            if name in frame.columns:
                frame[name] = pd.to_datetime(frame[name])
        for name in ("cells", "cell_size", "instances_low", "instances_high", "order_late_days"):
            if name in frame.columns:
                frame[name] = frame[name].astype("Int64")
        for name in ("cost", "utilization", "utilization_after_loss"):  # <NA> without a cost
            if name in frame.columns:
                frame[name] = frame[name].astype("Float64")
        return frame

    @property
    def forecast(self) -> pd.DataFrame:
        """The demand paths the month table is read from, one row per grid point (30 a month):
        date, day (days after the start), month, nominal, worst_case (req/s)."""
        import numpy as np
        import pandas as pd

        scenarios = self._doc["scenarios"]
        if all(s.get("path") for s in scenarios.values()):
            # The plan states each scenario's path (events applied): read it as written.
            paths = {name: pd.DataFrame(s["path"]) for name, s in scenarios.items()}
            first = paths["nominal"]
            return pd.DataFrame({"date": pd.to_datetime(first["date"]), "day": first["day"],
                                 "month": first["month"],
                                 "nominal": first["peak"],
                                 "worst_case": paths["worst_case"]["peak"]})
        from capplan.growth import GRID_PER_MONTH

        fc = self.plan.forecast
        start = pd.Timestamp(self._doc["start"])
        days = np.asarray(fc.grid_days, dtype=float)
        # The grid is whole minutes (1,461 a step); rounding drops the float's nanosecond noise.
        dates = (start + pd.to_timedelta(days, unit="D")).round("s")
        return pd.DataFrame({"date": dates, "day": days,
                             "month": np.arange(days.size) // GRID_PER_MONTH + 1,
                             "nominal": np.asarray(fc.nominal, dtype=float),
                             "worst_case": np.asarray(fc.worst_case, dtype=float)})

    # ---- the contract and the files -------------------------------------------------------
    def to_dict(self) -> dict:
        """plan.json as a dict (a copy)."""
        return json.loads(self.to_json())

    def to_json(self) -> str:
        """The text of plan.json, as `write()` and the command line write it."""
        from capplan.validation import check_plan_finite

        check_plan_finite(self._doc)
        return _dumps(self._doc)

    @keywords_checked("PlanResult.write")
    def write(self, out, *, reports: bool = True, command=None, browser=None) -> list[Path]:
        """Write plan.json and (with `reports`) plan.pdf, plan.xlsx and plan.html into the
        folder `out`, as one set: the command line's files. `command` is the command line the
        report's appendix shows (default: the equivalent of this call); `browser`: a running
        report browser to print with (the command line starts one while the models fit)."""
        from capplan.api import check_output_folder
        from capplan.outputs.report import write_outputs

        folder = check_output_folder(out)
        return write_outputs(self.result, self.settings, folder, title=self.title,
                             reports=reports, argv=list(command or self.command),
                             browser=browser, config=self.config)


@dataclass(frozen=True, slots=True)
class USLResult:
    """A Universal Scalability Law fit (or a what-if curve) with its table and writers."""

    fit: USLFit = field(repr=False)
    latency_slo: str | None = None
    # The load test as read (capplan.ingest.loadtests.LoadTest): its steps, which the fit uses
    # and why not, for usl.json's load_test section and the chart's measured latency.
    load_test: object | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        m = self.fit.model
        star = "none (kappa = 0)" if m.n_star is None else f"{m.n_star:.4g}"
        return (f"USLResult(sigma={m.sigma:.6g}, kappa={m.kappa:.6g}, lambda={m.lambda_:.6g}, "
                f"N*={star}, {len(self.fit.n)} measurements)")

    @property
    def model(self):
        """The fitted `capplan.usl.USL` (throughput, latency, N*, X_max, ...)."""
        return self.fit.model

    @property
    def sigma(self) -> float:
        return self.fit.model.sigma

    @property
    def kappa(self) -> float:
        return self.fit.model.kappa

    @property
    def lambda_(self) -> float:
        return self.fit.model.lambda_

    @property
    def n_star(self) -> float | None:
        return self.fit.model.n_star

    @property
    def x_max(self) -> float | None:
        return self.fit.model.x_max

    def throughput(self, n):
        """X(N) of the fitted curve, for a number or an array of concurrencies."""
        import numpy as np

        return self.fit.model.throughput(np.asarray(n, dtype=float))

    def summary(self) -> pd.DataFrame:
        """coefficient, estimate, stderr, ci_low, ci_high: sigma, kappa and lambda with their
        standard errors and two-sided 95% intervals (t, n - 3 degrees of freedom), as in
        usl.json; the errors and intervals are NaN for a what-if curve."""
        import pandas as pd

        doc = self.to_dict()
        stderr, ci = doc["stderr"] or {}, doc["ci"] or {}
        nan = float("nan")
        rows = []
        for name in ("sigma", "kappa", "lambda"):
            lo, hi = ci.get(name) or (nan, nan)
            err = stderr.get(name)
            rows.append((name, doc[name], nan if err is None else err,
                         nan if lo is None else lo, nan if hi is None else hi))
        return pd.DataFrame(rows, columns=["coefficient", "estimate", "stderr", "ci_low",
                                           "ci_high"])

    def to_dict(self) -> dict:
        return json.loads(self.to_json())

    def to_json(self) -> str:
        """The text of usl.json."""
        from capplan.outputs.usl_json import usl_doc

        return _dumps(usl_doc(self.fit, self.latency_slo, load_test=self.load_test))

    @keywords_checked("USLResult.write")
    def write(self, out, *, chart: bool = True, browser=None) -> list[Path]:
        """Write usl.json and (with `chart`) usl.svg into the folder `out`, as one set.
        `browser`: a running report browser to draw with (the command line starts one before
        the fit)."""
        from capplan.api import check_output_folder
        from capplan.outputs.report import write_usl_outputs

        return write_usl_outputs(self.fit, check_output_folder(out), self.latency_slo,
                                 chart=chart, load_test=self.load_test, browser=browser)
