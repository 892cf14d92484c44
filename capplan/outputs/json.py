"""The JSON contract (schema 1). Fields are added in later versions, never renamed.

Every number is a plain JSON number (requests per second unless the name says otherwise); no NaN
or infinity is ever written (they become null).
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

from capplan import __version__

if TYPE_CHECKING:
    from capplan.ingest import Traffic
    from capplan.load import LoadProfile
    from capplan.plan import Plan

SCHEMA = 1
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _num(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _clean(obj):
    """Recursively turn numpy scalars into Python numbers and non-finite floats into null."""
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _num(obj)
    return obj


def dumps(doc: dict) -> bytes:
    return (json.dumps(_clean(doc), indent=2, allow_nan=False) + "\n").encode("utf-8")


def input_section(traffic: Traffic) -> dict:
    q, src = traffic.quality, traffic.source
    return {"path": src.path, "sha256": src.sha256, "format": src.format, "sheet": src.sheet,
            "time_column": src.time_column, "value_column": src.value_column,
            "series": src.series, "value_kind": src.value_kind, "rows": q.rows_read,
            "first": q.first.isoformat(), "last": q.last.isoformat(),
            "interval_seconds": traffic.interval_seconds, "timezone": traffic.local_timezone}


def quality_section(traffic: Traffic) -> dict:
    q = traffic.quality
    return {"rows_read": q.rows_read, "rows_used": q.rows_used, "rows_dropped": q.rows_dropped,
            "dropped": [{"reason": d.reason, "count": d.count, "first_lines": list(d.first_lines)}
                        for d in q.dropped],
            "duplicate_timestamps": q.duplicate_timestamps, "duplicates_kept": q.duplicates_kept,
            "sorted_by_capplan": q.sorted_by_capplan, "interval_seconds": q.interval_seconds,
            "gaps": q.gaps, "longest_gap_seconds": q.longest_gap_seconds,
            "missing_seconds": q.missing_seconds, "zero_values": q.zero_values,
            "first": q.first.isoformat(), "last": q.last.isoformat(),
            "timezone_assumed": q.timezone_assumed, "notes": list(q.notes)}


def load_section(load: LoadProfile) -> dict:
    pp = load.planning_peak
    doc = {"unit": load.unit, "interval_seconds": load.interval_seconds,
           "mean": load.mean, "peak": load.peak, "peak_time": load.peak_time.isoformat(),
           "peak_to_mean": load.peak_to_mean, "p50": load.p50, "p95": load.p95, "p99": load.p99,
           "p999": load.p999,
           "percentile_method": "linear interpolation between order statistics (numpy default) "
                                f"on the rate at the data's own {load.interval_seconds:g} s interval",
           "planning_peak": {"value": pp.value, "date": pp.date, "method": pp.method,
                             "excluded": [a.date for a in pp.excluded]},
           "anomalies": [{"date": a.date, "value": a.value, "modified_z": a.modified_z,
                          "reason": a.reason} for a in load.anomalies],
           "daily_peaks": [{"date": str(d.date()), "peak": float(v)}
                           for d, v in load.daily_peaks.items()],
           "partial_days_dropped": list(load.partial_days_dropped),
           "timezone": load.local_timezone}
    from capplan.outputs.resources_out import flat_topping_doc

    doc["flat_topping"] = flat_topping_doc(load.flat_topping)
    if load.busiest_hour is not None:
        wd, hr, v = load.busiest_hour
        doc["busiest_hour"] = {"weekday": WEEKDAYS[wd], "hour": hr, "mean": v}
        doc["weekly_profile"] = {
            "mean": {WEEKDAYS[int(w)]: [_num(x) for x in row] for w, row in
                     load.hourly_mean.reindex(columns=range(24)).iterrows()},
            "p95": {WEEKDAYS[int(w)]: [_num(x) for x in row] for w, row in
                    load.hourly_p95.reindex(columns=range(24)).iterrows()}}
    else:
        doc["busiest_hour"] = None
    return doc


def analysis_doc(traffic: Traffic, load: LoadProfile) -> dict:
    return {"schema": SCHEMA, "capplan": __version__, "input": input_section(traffic),
            "quality": quality_section(traffic), "load": load_section(load)}


def capacity_section(plan: Plan, resources=None, metrics=None, outlook=None) -> dict:
    """plan.json's `capacity`; with --capacity-from also `resources` (each fit, with its outlook
    on today's fleet), `binding`, `plan_limit` and `metrics` (what was read and left out)."""
    c = plan.capacity
    doc = {"per_instance_limit": c.per_instance_limit, "limit_source": c.limit_source,
           "target_utilization": c.target_utilization,
           "usable_per_instance": c.usable_per_instance,
           "current_instances": c.current_instances,
           "current_utilization": c.current_utilization, "spare": c.spare, "zones": c.zones,
           "redundancy": c.describe_redundancy(),
           "instances_needed_today": plan.today_instances_needed,
           "current_fleet_carries": plan.today_capacity,
           "assumptions": list(c.assumptions),
           "degraded_utilization": c.degraded_utilization,
           "loss": c.describe_loss(),
           "utilization_normal": plan.utilization_normal,
           "utilization_after_loss": plan.utilization_after_loss,
           "cell_overhead": c.cell_overhead,
           "max_fleet_instances": c.n_max,
           "throughput_unit": c.throughput_unit,
           "unit": c.unit,
           "limits": limits_section(plan)}
    doc.update(resources_section(resources, metrics, outlook, c.unit))
    return doc


def resources_section(resources, metrics, outlook, unit: str = "req/s") -> dict:
    """`resources`, `binding`, `plan_limit`, `metrics`: null without --capacity-from."""
    if resources is None:
        return {"resources": None, "binding": None, "plan_limit": None, "metrics": None}
    from capplan.outputs.resources_out import metrics_doc, plan_limit_doc, resource_doc

    rows = []
    for i, f in enumerate(resources.resources):
        row = resource_doc(f, resources.binding)
        ahead = None if outlook is None else {name: rows_[i] for name, rows_ in outlook.items()}
        first = None if ahead is None else next(iter(ahead.values()))
        row.update({
            "per_instance_peak_today": None if first is None else first.per_instance_peak,
            "utilization_today": None if first is None else first.utilization_today,
            "headroom_today": None if first is None else first.headroom_today,
            "crosses_target_month": None if ahead is None else {
                name: o.crosses_target_month for name, o in ahead.items()}})
        rows.append(row)
    return {"resources": rows, "binding": resources.binding,
            "plan_limit": plan_limit_doc(resources, unit), "metrics": metrics_doc(resources, metrics)}


def unclipped_section(u) -> dict | None:
    """`growth.unclipped`: the demand a flat-topping ceiling hides, forecast beside the plan
    (capplan.unclipped.UnclippedDemand), or null."""
    if u is None:
        return None
    f = u.forecast
    return {"planning_peak": u.planning_peak, "observed_planning_peak": u.observed_planning_peak,
            "model": f.model, "monthly_growth": f.monthly_growth,
            "worst_monthly_growth": f.worst_monthly_growth, "method": u.method,
            "forecast": [{"date": r.date, "nominal": r.nominal, "worst_case": r.worst_case}
                         for r in f.path.itertuples(index=False)],
            "months": [{"month": m.month, "nominal_peak": m.nominal_peak,
                        "worst_case_peak": m.worst_case_peak,
                        "nominal_instances": m.nominal_instances,
                        "worst_case_instances": m.worst_case_instances} for m in u.months]}


def limits_section(plan: Plan) -> dict | None:
    lim = plan.rate_limits
    if lim is None:
        return None
    lat = lim.latency
    return {"utilization": {"rate": lim.utilization_rate,
                            "target_utilization": plan.capacity.target_utilization,
                            "per_instance_limit": plan.capacity.per_instance_limit},
            "latency_slo": None if lat is None else {
                "rate": lat.rate, "slo_seconds": lat.slo_seconds, "method": lat.method,
                "statistic": lat.statistic, "servers_per_instance": lat.servers_per_instance,
                "servers_source": lat.servers_source, "service_time": lat.service_time,
                "description": lat.description, "notes": list(lat.notes)},
            "binding": lim.binding, "recommended_rate_limit": lim.recommended_rate_limit,
            "margin": lim.margin, "note": lim.note}


def growth_section(plan: Plan) -> dict:
    f = plan.forecast
    cp = f.change_point
    cal = f.calibration
    return {"model": f.model, "monthly_growth": f.monthly_growth,
            "worst_monthly_growth": f.worst_monthly_growth, "worst_quantile": f.worst_quantile,
            "target": f.target, "history_used": f.history_used, "step_days": f.step_days,
            "chosen_because": f.chosen_because, "interval_widening": f.interval_widening,
            "capped": f.capped, "parameters": f.parameters,
            "change_point": None if cp is None else {
                "date": cp.date, "kind": cp.kind, "growth_before": cp.before_growth_monthly,
                "growth_after": cp.after_growth_monthly},
            "recurring_peaks": list(f.recurring_peaks),
            "backtest": [{"model": b.model, "mase": b.mase, "coverage_80": b.coverage_80,
                          "coverage_95": b.coverage_95, "origins": b.origins,
                          "horizon_steps": b.horizon_steps, "note": b.note} for b in f.backtest],
            "forecast": [{"date": r.date, "nominal": r.nominal, "worst_case": r.worst_case}
                         for r in f.path.itertuples(index=False)],
            "assumptions": list(f.assumptions),
            "calibration": None if cal is None else {
                "method": cal.method, "horizons": cal.horizons, "origins": cal.origins,
                "coverage": cal.coverage, "median_over_provision": cal.median_over_provision,
                "extrapolation": cal.extrapolation},
            "spikes": [{"date": s.date, "value": s.value, "ratio": s.ratio,
                        "kind": "recurring" if s.recurring else "one-off", "why": s.why}
                       for s in f.spikes],
            "level_shift": None if cp is None or cp.level_change is None else {
                "date": cp.date, "change": cp.level_change}}


def _alternative(a) -> dict | None:
    if a is None:
        return None
    return {"cells": a.cells, "cell_size": a.cell_size, "instances": a.instances,
            "saving": a.saving}


def month_row(r) -> dict:
    return {"month": r.month, "date": r.date, "peak": r.peak, "instances": r.instances,
            "add": r.add, "event": r.event, "beyond_fleet_limit": r.beyond_fleet_limit,
            "cells": r.cells, "cell_size": r.cell_size, "cost": r.cost,
            "order_by": r.order_by, "order_late_days": r.order_late_days,
            "in_service_by": r.in_service_by, "cell_alternative": _alternative(r.cell_alternative),
            "utilization": r.utilization, "utilization_after_loss": r.utilization_after_loss,
            "instances_low": r.instances_low, "instances_high": r.instances_high}


def path_rows(path, start: str) -> list[dict]:
    """The scenario's demand path, one row per grid step (see capplan.demand)."""
    import datetime as dt

    from capplan.demand import date_of
    from capplan.growth import GRID_PER_MONTH

    d0 = dt.date.fromisoformat(start)
    return [{"date": date_of(d0, float(day)).isoformat(), "day": float(day),
             "month": j // GRID_PER_MONTH + 1, "base": float(path.base[j]),
             "peak": float(path.peak[j]), "event": path.event[j]}
            for j, day in enumerate(path.days)]


def scenario_section(plan: Plan, name: str) -> dict:
    s = plan.scenarios[name]
    return {"label": s.label, "runway": s.runway, "runway_months": s.runway_months,
            "runway_event": s.runway_event, "in_service_by": s.in_service_by,
            "order_by": s.order_by, "order_late_days": s.order_late_days,
            "total_cost": s.total_cost, "assumptions": list(s.assumptions),
            "months": [month_row(r) for r in s.months],
            "path": path_rows(s.path, plan.start) if s.path is not None else None}


def events_section(plan: Plan) -> list[dict]:
    out = []
    for i, e in enumerate(plan.events):
        per = {}
        for name, s in plan.scenarios.items():
            ep = s.events[i] if i < len(s.events) else None
            per[name] = None if ep is None or ep.peak is None else {
                "peak": ep.peak, "path_peak": ep.base_peak, "instances": ep.instances,
                "add": ep.add, "cells": ep.cells, "cell_size": ep.cell_size,
                "in_service_by": ep.in_service_by, "order_by": ep.order_by,
                "order_late_days": ep.order_late_days}
        in_plan = any(v is not None for v in per.values())
        out.append({"name": e.name, "start": e.start.isoformat(), "end": e.end.isoformat(),
                    "duration_hours": e.duration_hours, "multiplier": e.multiplier,
                    "in_plan": [{"month": f.month, "at_months": f.at_months}
                                for f in plan.event_effects if f.name == e.name],
                    "scenarios": per if in_plan else None,
                    "peak_method": "multiplier x the scenario path's highest value over the "
                                   "event's window, held over the whole window"})
    return out


def plan_doc(plan: Plan, *, traffic: Traffic | None = None, load: LoadProfile | None = None,
             extra: dict | None = None, resources=None, metrics=None, outlook=None,
             unclipped=None) -> dict:
    """plan.json. `resources`, `metrics`, `outlook`: a --capacity-from run's fits, metrics table
    and per-scenario resource outlook (`pipeline.ForecastResult`)."""
    doc = {"schema": SCHEMA, "capplan": __version__, "start": plan.start, "months": plan.months,
           "planning_peak": plan.planning_peak}
    if traffic is not None:
        doc["input"] = input_section(traffic)
        doc["quality"] = quality_section(traffic)
    else:
        doc["input"] = None
    if load is not None:
        doc["load"] = load_section(load)
    doc["capacity"] = capacity_section(plan, resources, metrics, outlook)
    doc["growth"] = growth_section(plan)
    doc["growth"]["unclipped"] = unclipped_section(unclipped)
    doc["events"] = events_section(plan)
    doc["scenarios"] = {name: scenario_section(plan, name) for name in plan.scenarios}
    doc["lead_time_days"] = plan.lead_time_days
    doc["prescale_days"] = plan.prescale_days
    doc["cost_per_instance"] = plan.cost_per_instance
    doc["currency"] = plan.currency
    doc["cost_method"] = plan.cost_method
    doc["notes"] = list(plan.notes)
    if extra:
        doc.update(extra)
    return doc
