"""Capacity from production metrics, for people and programs: capacity.json, the terminal table,
the scatter + fit + residual figures (capacity.html now, the PDF's Resources section later), and
the `flat_topping` JSON section that analysis.json and plan.json carry under `load`.

Heavy imports (plotly, rich) happen inside the functions that use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from capplan.outputs import fmt

if TYPE_CHECKING:
    from capplan.ingest.metrics import MetricsTable
    from capplan.resources import CapacityFromMetrics, ResourceFit
    from capplan.saturation import FlatTopping

MAX_SCATTER_POINTS = 4000  # a long export is drawn from an even subsample; the fit uses them all

FIT_METHOD = ("Huber M-estimator (statsmodels RLM, HuberT, MAD scale) of utilization (fraction) "
              "on per-instance throughput; R^2 = 1 - SSE/SST of that line over the points used")
INTERVAL_METHOD = ("95%: RLM covariance (H1) times (1 + r_e r_x)/(1 - r_e r_x) for lag-1 "
                   "autocorrelated residuals and throughput; t(n - 2) for intercept and slope; "
                   "Fieller's interval for the limit (target - intercept)/slope, unbounded (null) "
                   "when the slope is not distinguishable from 0")
LINEARITY_METHOD = ("OLS line vs OLS quadratic by AIC: non-linear when the quadratic is lower by "
                    "more than 10 and the two differ by more than 5 utilization points at the "
                    "limit (or at the highest throughput seen); then, when the quadratic reaches "
                    "the target first, the limit is the quadratic's, with the interval "
                    "{L : (target - q(L))^2 <= t(n - 3)^2 Var(q(L))} from its OLS covariance "
                    "(widened for autocorrelation as the line's)")
EXCLUSION_RULES = ("samples inside --exclude windows", "samples within --warm-up after a "
                   "--deploy time or after the instance count changes", "samples with no "
                   "instance in service", "outliers: residual beyond 3.5 robust SDs (median "
                   "absolute residual / 0.6745) from a local trend (LOWESS, windows of 10% of the "
                   "points and at least 15), per resource, so the bend near saturation is not an "
                   "outlier; the line is fitted without them; none is left out when more than 5% "
                   "of the points are that far out")


def _pair(p):
    return [float(p[0]), float(p[1])]


def flat_topping_doc(ft: FlatTopping | None) -> dict | None:
    """`load.flat_topping` (analysis.json, plan.json) and capacity.json's `flat_topping` parts."""
    if ft is None:
        return None
    doc = {"detected": ft.detected, "ceiling": ft.ceiling, "share_of_days": ft.share_of_days,
           "method": ft.method, "days": ft.days, "days_at_ceiling": ft.days_at_ceiling,
           "days_just_below": ft.days_just_below, "days_tied": ft.days_tied,
           "pile_up": ft.pile_up,
           "compressed": ft.compressed, "median_growth": ft.median_growth,
           "peak_growth": ft.peak_growth, "peak_to_p95_change": ft.peak_to_p95_change,
           "trend_days": ft.trend_days, "reference_percentile": ft.reference_percentile,
           "peak_ratio": ft.peak_ratio, "observed_peak": ft.observed_peak,
           "unclipped_peak": ft.unclipped_peak, "window_start": ft.window_start,
           "window_end": ft.window_end}
    doc["unclipped_daily_peaks"] = (
        None if ft.unclipped_daily_peaks is None else
        [{"date": str(d.date()), "peak": float(v)} for d, v in ft.unclipped_daily_peaks.items()])
    return doc


def _exclusion(e) -> dict:
    return {"time": e.time, "rule": e.rule, "throughput": e.throughput,
            "utilization": e.utilization, "detail": e.detail}


def resource_doc(f: ResourceFit, binding: str | None) -> dict:
    return {"name": f.name, "source": f.source, "unit_read": f.unit_read,
            "unit_note": f.unit_note, "intercept": f.intercept, "slope": f.slope,
            "intercept_ci": _pair(f.intercept_ci), "slope_ci": _pair(f.slope_ci),
            "r_squared": f.r_squared, "limit": f.limit, "limit_low": f.limit_low,
            "limit_high": f.limit_high, "linear": f.linear, "curvature": f.curvature,
            "aic_linear": f.aic_linear, "aic_quadratic": f.aic_quadratic,
            "quadratic": list(f.quadratic), "limit_quadratic": f.limit_quadratic,
            "limit_method": f.limit_method, "limit_line": f.limit_line,
            "limit_line_low": f.limit_line_low, "limit_line_high": f.limit_line_high,
            "binding": f.name == binding, "points_used": f.points_used,
            "peak_throughput": f.peak_throughput, "peak_utilization": f.peak_utilization,
            "headroom": f.headroom, "residual_autocorrelation": f.residual_autocorrelation,
            "throughput_autocorrelation": f.throughput_autocorrelation,
            "interval_inflation": f.interval_inflation,
            "interval_widening": f.interval_widening, "warnings": list(f.warnings),
            "outliers": [_exclusion(e) for e in f.outliers]}


def plan_limit_doc(result: CapacityFromMetrics, unit: str = "req/s") -> dict:
    """The binding limit in the plan's terms (at 100%: divided by the target); its source
    sentence names `unit`, the plan's rate unit."""
    from capplan.errors import CapplanError
    from capplan.resources import limit_for_plan

    try:
        pl = limit_for_plan(result, unit=unit)
    except CapplanError as exc:
        return {"limit": None, "limit_low": None, "limit_high": None, "source": str(exc)}
    return {"limit": pl.limit, "limit_low": pl.limit_low, "limit_high": pl.limit_high,
            "source": pl.source}


def inputs_doc(table: MetricsTable) -> list[dict]:
    inputs = []
    for role, t in table.series.items():
        q, src = t.quality, t.source
        inputs.append({"role": role, "path": src.path, "sha256": src.sha256,
                       "format": src.format, "time_column": src.time_column,
                       "value_column": src.value_column, "rows_read": q.rows_read,
                       "rows_used": q.rows_used, "rows_dropped": q.rows_dropped,
                       "first": q.first.isoformat(), "last": q.last.isoformat(),
                       "interval_seconds": t.interval_seconds})
    return inputs


def metrics_doc(result: CapacityFromMetrics, table: MetricsTable) -> dict:
    """What the fits were made from and how: capacity.json's top level, plan.json's
    `capacity.metrics`."""
    return {"inputs": inputs_doc(table), "aligned_points": result.aligned_points,
            "first": result.first.isoformat(), "last": result.last.isoformat(),
            "interval_seconds": result.interval_seconds,
            "target_utilization": result.target_utilization, "confidence": 0.95,
            "instances": result.instances_note,
            "methods": {"fit": FIT_METHOD, "interval": INTERVAL_METHOD,
                        "linearity": LINEARITY_METHOD, "exclusion_rules": list(EXCLUSION_RULES)},
            "flat_topping": {"throughput": flat_topping_doc(result.throughput_flat_topping),
                             "binding_resource": flat_topping_doc(result.binding_flat_topping)},
            "excluded": [_exclusion(e) for e in result.excluded],
            "notes": list(result.notes)}


def capacity_doc(result: CapacityFromMetrics, table: MetricsTable) -> dict:
    """capacity.json (schema 1; fields are added, never renamed; see README)."""
    from capplan import __version__
    from capplan.outputs.json import SCHEMA

    m = metrics_doc(result, table)
    return {"schema": SCHEMA, "capplan": __version__, "kind": "capacity",
            **{k: m[k] for k in ("inputs", "aligned_points", "first", "last", "interval_seconds",
                                 "target_utilization", "confidence", "instances", "methods")},
            "resources": [resource_doc(f, result.binding) for f in result.resources],
            "binding": result.binding, "plan_limit": plan_limit_doc(result),
            **{k: m[k] for k in ("flat_topping", "excluded", "notes")}}


# ---- terminal ------------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def print_resources(console, result: CapacityFromMetrics, unit: str = "req/s") -> None:
    """The resources table and notes; throughput in `unit` (the plan's, for --capacity-from)."""
    from rich import box
    from rich.markup import escape as esc
    from rich.table import Table

    from capplan.outputs import fmt

    t = Table(title=f"Resources: utilization against per-instance throughput "
                    f"({result.aligned_points:,} aligned samples, {result.first:%Y-%m-%d %H:%M} "
                    f"to {result.last:%Y-%m-%d %H:%M} UTC)", title_justify="left",
              box=box.SIMPLE_HEAD)
    for col in ("resource", "idle", f"per {unit}", "R²", "linear",
                f"limit at {result.target_utilization:.0%}\n(95% CI)", "peak\nseen",
                "head-\nroom"):
        t.add_column(col, justify="left" if col in ("resource", "linear") else "right",
                     no_wrap=True)
    for f in result.resources:
        name = f"[bold]{esc(f.name)} *[/]" if f.name == result.binding else esc(f.name)
        if f.limit is None:
            limit = "none"
        else:
            limit = (f"{fmt.rate(f.limit)} ({'?' if f.limit_low is None else fmt.rate(f.limit_low)}"
                     f"-{'unbounded' if f.limit_high is None else fmt.rate(f.limit_high)})")
        t.add_row(name, _pct(f.intercept), f"{fmt.sig(100 * f.slope, 3)} pts",
                  "-" if f.r_squared is None else f"{f.r_squared:.2f}",
                  "yes" if f.linear else f"no, {f.curvature}", limit,
                  fmt.rate(f.peak_throughput),
                  "-" if f.headroom is None else f"{f.headroom:.2f}x")
    from capplan.outputs.terminal_table import print_table

    print_table(console, t)
    console.print(f"  {esc(result.instances_note)}")
    if result.excluded:
        rules = {}
        for e in result.excluded:
            rules[e.rule] = rules.get(e.rule, 0) + 1
        console.print("  left out of every fit: " + ", ".join(f"{n:,} ({r})" for r, n in
                                                            rules.items()))
    for f in result.resources:
        console.print(f"  {esc(f.name)}: {f.points_used:,} points used, {len(f.outliers):,} "
                      f"outlier(s) left out; {esc(f.unit_note)}")
        for w in f.warnings:
            console.print(f"  [yellow]{esc(f.name)}: {esc(w)}[/]")
    if result.binding is not None:
        b = result.fit(result.binding)
        console.print(f"  [bold]* binding resource: {esc(b.name)}[/], "
                      f"{fmt.rate(b.limit)} {esc(unit)} per instance at "
                      f"{result.target_utilization:.0%} utilization")
    for label, ft in (("throughput", result.throughput_flat_topping),
                      (result.binding, result.binding_flat_topping)):
        if ft is None:
            continue
        style = "yellow" if ft.detected else "dim"
        verdict = "flat-topping DETECTED" if ft.detected else "no flat-topping"
        console.print(f"  [{style}]{esc(str(label))}: {verdict}: {esc(ft.method)}[/]")
    for n in result.notes:
        console.print(f"  [yellow]{esc(n)}[/]" if n.startswith("warning: ") else f"  {esc(n)}")


# ---- figures -------------------------------------------------------------------------------


def _subsample(n: int) -> slice:
    return slice(None, None, max(1, -(-n // MAX_SCATTER_POINTS)))


def _add_line(fig, f: ResourceFit, top: float, line_color: str) -> None:
    """The robust line (solid where there are samples, dotted beyond) with its 95% band, and the
    quadratic when the relation curves."""
    import numpy as np
    import plotly.graph_objects as go
    from scipy import stats

    from capplan.outputs.charts import GREY

    grid = np.linspace(0, top, 120)
    fitted = f.intercept + f.slope * grid
    cov = np.asarray(f.covariance)
    se = np.sqrt(np.clip(cov[0, 0] + 2 * grid * cov[0, 1] + grid * grid * cov[1, 1], 0, None))
    q = float(stats.t.ppf(0.975, f.dof))
    fig.add_trace(go.Scatter(x=np.r_[grid, grid[::-1]],
                             y=100 * np.r_[fitted + q * se, (fitted - q * se)[::-1]],
                             fill="toself", fillcolor="rgba(150,150,150,0.25)",
                             line={"width": 0}, name="95% band of the line", hoverinfo="skip"),
                  row=1, col=1)
    seen = grid <= f.peak_throughput
    fig.add_trace(go.Scatter(x=grid[seen], y=100 * fitted[seen], mode="lines",
                             name="robust line (Huber)", line={"color": line_color, "width": 2}),
                  row=1, col=1)
    if (~seen).any():
        fig.add_trace(go.Scatter(x=grid[~seen], y=100 * fitted[~seen], mode="lines",
                                 name="extrapolated", line={"color": line_color, "width": 2,
                                                            "dash": "dot"}), row=1, col=1)
    if not f.linear:
        c0, c1, c2 = f.quadratic
        fig.add_trace(go.Scatter(x=grid, y=100 * (c0 + c1 * grid + c2 * grid * grid),
                                 mode="lines", name=f"quadratic ({f.curvature})",
                                 line={"color": GREY, "width": 1.5, "dash": "dash"}),
                      row=1, col=1)


def resource_figure(f: ResourceFit, binding: bool = False, unit: str = "req/s"):
    """Scatter of the points used, the robust line with its 95% band, the target and the limit
    with its interval; the residuals below; throughput in `unit`. Pure: returns a plotly
    figure."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from capplan.outputs.charts import ACCENT, GREY, INK, LIGHT, _layout

    line_color = ACCENT if binding else INK
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28],
                        vertical_spacing=0.06)
    pick = _subsample(f.x.size)
    fig.add_trace(go.Scatter(x=f.x[pick], y=100 * f.y[pick], mode="markers",
                             name="samples used" + ("" if pick.step == 1 else
                                                    f" (every {pick.step}th drawn)"),
                             marker={"symbol": "circle-open", "size": 5, "color": GREY}),
                  row=1, col=1)
    if f.outliers:
        fig.add_trace(go.Scatter(x=[e.throughput for e in f.outliers],
                                 y=[100 * e.utilization for e in f.outliers], mode="markers",
                                 name="outliers left out", marker={"symbol": "x", "size": 7,
                                                                   "color": ACCENT}),
                      row=1, col=1)
    top = max(f.peak_throughput, f.limit_high or f.limit or 0.0) * 1.05
    _add_line(fig, f, top, line_color)
    # Lines and the limit as traces, not layout shapes: they then sit in the legend and print.
    fig.add_trace(go.Scatter(x=[0, top], y=[100 * f.target_utilization] * 2, mode="lines",
                             name=f"target {f.target_utilization:.0%}",
                             line={"color": GREY, "width": 1.5, "dash": "dash"}), row=1, col=1)
    if f.limit:
        bounded = f.limit_low is not None and f.limit_high is not None
        ci = (f" (95% CI {fmt.sig(f.limit_low)} to {fmt.sig(f.limit_high)})" if bounded
              else " (95% CI unbounded)")
        fig.add_trace(go.Scatter(
            x=[f.limit], y=[100 * f.target_utilization], mode="markers",
            name=f"limit {fmt.sig(f.limit)}{ci}"
                 + (" (the quadratic's)" if f.limit_method == "quadratic" else ""),
            marker={"symbol": "diamond", "size": 11, "color": line_color},
            error_x=({"type": "data", "symmetric": False, "array": [f.limit_high - f.limit],
                      "arrayminus": [f.limit - f.limit_low], "color": line_color,
                      "thickness": 2, "width": 8} if bounded else None)), row=1, col=1)
    resid = f.y - (f.intercept + f.slope * f.x)
    fig.add_trace(go.Scatter(x=f.x[pick], y=100 * resid[pick], mode="markers",
                             name="residual", showlegend=False,
                             marker={"symbol": "circle-open", "size": 4, "color": LIGHT}),
                  row=2, col=1)
    fig.add_hline(y=0, line={"color": INK, "width": 1}, row=2, col=1)
    if f.limit is None:
        head = f"{f.name}: no limit (utilization does not rise with throughput)"
    else:
        ci = ("" if f.limit_low is None or f.limit_high is None else
              f" (95% CI {fmt.sig(f.limit_low)} to {fmt.sig(f.limit_high)})")
        head = (f"{f.name}{' - BINDING' if binding else ''}: {fmt.sig(f.limit)} {unit} per instance "
                f"at {f.target_utilization:.0%}{ci}")
    _layout(fig, head, "", "utilization (%)", height=430)
    fig.update_yaxes(title_text="residual (pts)", rangemode="normal", row=2, col=1)
    fig.update_xaxes(title_text=f"throughput per instance ({unit})", rangemode="tozero",
                     row=2, col=1)
    fig.update_layout(legend={"y": -0.18})
    return fig


def resources_figures(result: CapacityFromMetrics, unit: str = "req/s") -> dict:
    """name -> figure, the binding resource first."""
    order = sorted(result.resources, key=lambda f: (f.name != result.binding,))
    return {f"resource-{f.name}": resource_figure(f, f.name == result.binding, unit)
            for f in order}


def capacity_html(result: CapacityFromMetrics, title: str) -> bytes:
    """capacity.html: the figures, interactive, offline (plotly.js inlined once)."""
    import html as _html

    import plotly.io as pio

    parts = []
    for i, (name, fig) in enumerate(resources_figures(result).items()):
        parts.append(pio.to_html(fig, full_html=False, include_plotlyjs=i == 0,
                                 div_id=f"chart-{name}", config={"displaylogo": False}))
    t = _html.escape(title)
    binding = (f"binding resource: <b>{_html.escape(result.binding)}</b>"
               if result.binding else "no resource rises with throughput")
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{t}</title>'
            '<style>body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:900px;'
            'margin:2em auto;color:#111}</style></head><body>'
            f"<h1>{t}</h1><p>{binding}; target utilization "
            f"{result.target_utilization:.0%}; {result.aligned_points:,} aligned samples.</p>"
            + "".join(parts) + "</body></html>")
    return page.encode("utf-8")
