"""What the PDF and plan.html say about capacity fitted from production metrics and about demand
hidden by a ceiling, from plan.json alone (as `view.py` does for page 1), and their charts.

- `flat_topping_text`: the warning a reader must see when daily peaks press against a ceiling
  (the terminal prints the same words);
- `view(doc)`: the page-1 warning, the Resources section's rows (binding resource first) and the
  instance range per month, the unclipped-demand comparison;
- `figures(result, doc)`: per resource the scatter, line and residuals (binding first) and the
  unclipped-demand chart ("show both"), as plotly figure dicts.
Computes no number of its own: every figure is one plan.json holds, formatted by `fmt`.
"""

from __future__ import annotations

from capplan.outputs import fmt

SCENARIOS = (("nominal", "nominal"), ("worst_case", "worst case"))


def flat_topping_text(ft: dict | None) -> str | None:
    """The flat-topping warning (None when not detected), from `load.flat_topping`."""
    if not ft or not ft.get("detected"):
        return None
    text = (f"flat-topping: the daily peaks press against a ceiling near {fmt.rate(ft['ceiling'])} "
            "(saturation, a rate limit or an export cap?), so the observed peak understates "
            "demand")
    if ft.get("unclipped_peak") is not None and ft.get("observed_peak") is not None:
        text += (f": the unclipped demand over {ft['window_start']} to {ft['window_end']} is "
                 f"estimated at {fmt.rate(ft['unclipped_peak'])} against "
                 f"{fmt.rate(ft['observed_peak'])} observed (the daily "
                 f"p{ft['reference_percentile']} x {fmt.sig(ft['peak_ratio'], 3)}, the peak's usual "
                 "multiple of it on days below the ceiling)")
    return text


def _unclipped(doc: dict) -> dict | None:
    u = (doc.get("growth") or {}).get("unclipped")
    if not u:
        return None
    last = u["months"][-1]
    rows = []
    for key, label in SCENARIOS:
        plan_row = doc["scenarios"][key]["months"][-1]
        n = last[f"{key}_instances"]
        rows.append({"label": label, "month": last["month"],
                     "unclipped": fmt.rate(last[f"{key}_peak"]),
                     "plan": fmt.rate(plan_row["peak"]),
                     "unclipped_instances": fmt.count(n, "–"),
                     "plan_instances": fmt.count(plan_row["instances"], "–")})
    return {"planning_peak": fmt.rate(u["planning_peak"]),
            "observed": fmt.rate(u["observed_planning_peak"]), "rows": rows,
            "method": u["method"], "sized": last["nominal_instances"] is not None}


def _crossing(r: dict, key: str, months: int) -> str:
    m = (r.get("crosses_target_month") or {}).get(key)
    if r.get("crosses_target_month") is None:
        return "–"
    return f"month {m}" if m is not None else f"after month {months}"


def _resource_rows(doc: dict) -> list[dict]:
    cap = doc["capacity"]
    rows = []
    for r in sorted(cap.get("resources") or [], key=lambda r: not r["binding"]):
        low, high = r.get("limit_low"), r.get("limit_high")
        ci = ("unbounded" if low is None or high is None else
              f"{fmt.rate(low)}–{fmt.rate(high)}")
        rows.append({
            "name": r["name"], "binding": r["binding"],
            "idle": f"{r['intercept']:.1%}", "slope": fmt.sig(100 * r["slope"], 3),
            "r2": f"{r['r_squared']:.2f}",
            "linear": "yes" if r["linear"] else f"no ({r.get('curvature') or 'curved'})",
            "limit": fmt.rate(r["limit"], "none"), "ci": ci if r["limit"] else "–",
            "peak_seen": fmt.rate(r["peak_throughput"]),
            "today": ("–" if r.get("utilization_today") is None else
                      f"{r['utilization_today']:.0%}"),
            "headroom": ("–" if r.get("headroom_today") is None else
                         f"{r['headroom_today']:.2f}×"),
            "nominal": _crossing(r, "nominal", doc["months"]),
            "worst_case": _crossing(r, "worst_case", doc["months"]),
            "warnings": list(r.get("warnings") or [])})
    return rows


def _range(row: dict) -> str:
    n, low, high = row.get("instances"), row.get("instances_low"), row.get("instances_high")
    if n is None:
        return "–"
    lo = "–" if low is None else str(low)
    hi = "unbounded" if high is None else str(high)
    return lo if lo == hi else f"{lo}–{hi}"


def view(doc: dict) -> dict:
    """Everything the Resources section and the page-1 warning print, as text."""
    cap = doc["capacity"]
    ft = (doc.get("load") or {}).get("flat_topping")
    out = {"warning": flat_topping_text(ft), "unclipped": _unclipped(doc),
           "resources": None, "ranges": [], "binding": cap.get("binding")}
    if cap.get("resources"):
        metrics, pl = cap.get("metrics") or {}, cap.get("plan_limit") or {}
        out.update(
            resources=_resource_rows(doc), plan_limit_source=pl.get("source"),
            target=f"{cap['target_utilization']:.0%}",
            today=cap.get("current_instances"), points=metrics.get("aligned_points"),
            period=(f"{fmt.moment(metrics['first'])} to {fmt.moment(metrics['last'])}"
                    if metrics.get("first") else ""),
            instances_note=metrics.get("instances"),
            notes=list(metrics.get("notes") or []),
            ranges=[{"month": n["month"], "nominal": str(n["instances"]),
                     "nominal_range": _range(n), "worst_case": str(w["instances"]),
                     "worst_case_range": _range(w)}
                    for n, w in zip(doc["scenarios"]["nominal"]["months"],
                                    doc["scenarios"]["worst_case"]["months"])])
    return out


# ---- charts ----------------------------------------------------------------------------------

def figures(result, doc: dict) -> dict:
    """name -> plotly figure dict: each fitted resource (binding first), the unclipped demand."""
    import json

    figs = {}
    res = getattr(result, "resources", None)
    if res is not None:
        from capplan.outputs.resources_out import resources_figures

        for name, fig in resources_figures(res, fmt.unit(doc)).items():
            figs[name.replace("-", "_")] = json.loads(fig.to_json())
    if (doc.get("growth") or {}).get("unclipped"):
        figs["unclipped"] = unclipped_figure(doc)
    return figs


def unclipped_figure(doc: dict, history_days: int = 365) -> dict:
    """Show both: the observed daily peaks and the plan's nominal path beside the estimated
    unclipped daily peaks and their forecast, with the ceiling."""
    from capplan.outputs.charts import ACCENT, GREY, INK, base_layout, finish

    load, u = doc["load"], doc["growth"]["unclipped"]
    ft = load["flat_topping"]
    seen = load["daily_peaks"][-history_days:]
    first = seen[0]["date"] if seen else None
    hidden = [r for r in ft.get("unclipped_daily_peaks") or [] if first is None or
              r["date"] >= first]
    plan_path = doc["growth"]["forecast"]
    traces = [
        {"type": "scatter", "mode": "lines", "name": "observed daily peak",
         "x": [r["date"] for r in seen], "y": [r["peak"] for r in seen],
         "line": {"color": INK, "width": 1}},
        {"type": "scatter", "mode": "lines", "name": "unclipped daily peak (estimate)",
         "x": [r["date"] for r in hidden], "y": [r["peak"] for r in hidden],
         "line": {"color": ACCENT, "width": 1, "dash": "dot"}},
        {"type": "scatter", "mode": "lines", "name": "plan, nominal (observed)",
         "x": [r["date"] for r in plan_path], "y": [r["nominal"] for r in plan_path],
         "line": {"color": INK, "width": 2}},
        {"type": "scatter", "mode": "lines", "name": "unclipped forecast, nominal",
         "x": [r["date"] for r in u["forecast"]], "y": [r["nominal"] for r in u["forecast"]],
         "line": {"color": ACCENT, "width": 2, "dash": "dash"}},
        {"type": "scatter", "mode": "lines", "name": f"ceiling {fmt.rate(ft['ceiling'])}",
         "x": [seen[0]["date"] if seen else plan_path[0]["date"], plan_path[-1]["date"]],
         "y": [ft["ceiling"]] * 2, "line": {"color": GREY, "width": 1, "dash": "dashdot"},
         "hoverinfo": "skip"},
    ]
    layout = base_layout("Demand hidden by a ceiling: observed and unclipped", "",
                         f"daily peak ({load['unit']})", height=280)
    layout["xaxis"]["type"] = "date"
    return finish({"data": traces, "layout": layout}, columns=3)
