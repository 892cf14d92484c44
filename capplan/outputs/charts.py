"""Plotly figures of a plan (pure), and their SVG export through one browser per run.

Readable in black-and-white print: series differ by dash and marker as well as by grey level, every
axis carries its unit.
"""

from __future__ import annotations

from contextlib import contextmanager

INK = "#111111"
GREY = "#6b6b6b"
LIGHT = "#bdbdbd"
ACCENT = "#1f4e9c"  # one colour, dark enough to print as near-black
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_POINTS = 2500  # a long series is drawn as bucket maxima (the peaks stay visible)


def _layout(fig, title: str, x_title: str, y_title: str, height: int = 330):
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 14}},
        template="simple_white", height=height, width=760,
        margin={"l": 70, "r": 20, "t": 45, "b": 50},
        font={"family": "DejaVu Sans, Liberation Sans, Arial", "size": 11, "color": INK},
        legend={"orientation": "h", "y": -0.22, "x": 0},
    )
    fig.update_xaxes(title_text=x_title, showgrid=True, gridcolor="#e6e6e6")
    fig.update_yaxes(title_text=y_title, showgrid=True, gridcolor="#e6e6e6", rangemode="tozero")
    return fig


def traffic_figure(rate, unit: str, interval_seconds: float):
    import plotly.graph_objects as go

    import math

    s = rate
    label = f"rate ({unit}, {interval_seconds:g} s interval)"
    if len(s) > MAX_POINTS:
        # Bucket maxima keep every peak visible while the SVG stays small.
        span = (s.index[-1] - s.index[0]).total_seconds()
        bucket = max(interval_seconds, math.ceil(span / MAX_POINTS / 3600) * 3600)
        s = s.resample(f"{int(bucket)}s").max().dropna()
        label = f"max of the rate per {bucket / 3600:g} h ({unit})"
    fig = go.Figure(go.Scatter(x=s.index, y=s.to_numpy(), mode="lines", name=label,
                               line={"color": INK, "width": 1}))
    return _layout(fig, "Traffic over time", "time (UTC)", f"rate ({unit})")


def daily_peaks_figure(load, planning_peak: float):
    import plotly.graph_objects as go

    p = load.daily_peaks
    fig = go.Figure(go.Scatter(x=p.index, y=p.to_numpy(), mode="lines+markers", name="daily peak",
                               line={"color": INK, "width": 1}, marker={"size": 3}))
    fig.add_hline(y=planning_peak, line={"color": GREY, "dash": "dash"},
                  annotation_text=f"planning peak {planning_peak:,.4g}", annotation_position="top left")
    for a in load.anomalies[:20]:
        fig.add_trace(go.Scatter(x=[a.date], y=[a.value], mode="markers", showlegend=False,
                                 marker={"symbol": "x", "size": 9, "color": ACCENT}))
    if load.anomalies:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="flagged one-off spike",
                                 marker={"symbol": "x", "size": 9, "color": ACCENT}))
    return _layout(fig, "Daily peaks", "day", f"daily peak ({load.unit})")


def heatmap_figure(load):
    import plotly.graph_objects as go

    m = load.hourly_mean.reindex(index=range(7), columns=range(24))
    fig = go.Figure(go.Heatmap(z=m.to_numpy(), x=[f"{h:02d}" for h in range(24)],
                               y=list(WEEKDAYS), colorscale="Greys",
                               colorbar={"title": {"text": load.unit}}))
    fig.update_yaxes(autorange="reversed")
    fig = _layout(fig, f"Mean rate by weekday and hour ({load.local_timezone})",
                  "hour of day", "weekday", height=300)
    fig.update_yaxes(rangemode="normal")
    return fig


def usl_figure(fit, title: str, x_title: str = "concurrency N", latency_slo: float | None = None,
               load_test=None):
    import numpy as np
    import plotly.graph_objects as go

    m = fit.model
    top = max(2 * (fit.max_measured_n or 1), 1.5 * (m.n_star or 0), 10)
    n = np.linspace(1, top, 200)
    x = np.array([m.throughput(v) for v in n])
    fig = go.Figure()
    limit = 2 * fit.max_measured_n if fit.max_measured_n else None
    inside = n <= limit if limit else np.ones_like(n, bool)
    fig.add_trace(go.Scatter(x=n[inside], y=x[inside], mode="lines", name="USL fit",
                             line={"color": INK, "width": 2}))
    if limit and (~inside).any():
        fig.add_trace(go.Scatter(x=n[~inside], y=x[~inside], mode="lines",
                                 name="extrapolated (past 2x the largest measured N)",
                                 line={"color": GREY, "width": 2, "dash": "dot"}))
    if fit.n:
        fig.add_trace(go.Scatter(x=list(fit.n), y=list(fit.x), mode="markers", name="measured",
                                 marker={"symbol": "circle-open", "size": 8, "color": ACCENT,
                                         "line": {"width": 2}}))
    if m.n_star is not None:
        fig.add_vline(x=m.n_star, line={"color": GREY, "dash": "dash"},
                      annotation_text=f"N* = {m.n_star:.1f}, X = {m.x_max:,.4g}",
                      annotation_position="top right")
    if latency_slo:
        n_slo = m.concurrency_at_latency(latency_slo)
        fig.add_vline(x=n_slo, line={"color": ACCENT, "dash": "dashdot"},
                      annotation_text=f"latency objective at N = {n_slo:.1f}",
                      annotation_position="bottom right")
    _layout(fig, title, x_title, "throughput X (req/s)")
    if load_test is not None:
        _measured_latency(fig, fit, load_test, n)
    return fig


def _measured_latency(fig, fit, load_test, n):
    """The load test's own latency per step (mean and p99, right axis) against the fitted
    R(N) = N / X(N), and the steps left out of the fit as grey crosses."""
    import numpy as np
    import plotly.graph_objects as go

    left = [s for s in load_test.steps if s.excluded and np.isfinite(s.throughput)]
    if left:
        fig.add_trace(go.Scatter(x=[s.n for s in left], y=[s.throughput for s in left],
                                 mode="markers", name="left out of the fit (see usl.json)",
                                 marker={"symbol": "x", "size": 7, "color": GREY}))
    used = load_test.used
    stats = [k for k in ("mean", "p99") if any(s.latency_of(k) is not None for s in used)]
    if not stats:
        return
    m = fit.model
    inside = n <= 2 * (fit.max_measured_n or n.max())
    measured = [v for s in used for k in stats if (v := s.latency_of(k)) is not None]
    scale, unit = (1000.0, "ms") if max(measured) < 1 else (1.0, "s")
    fig.add_trace(go.Scatter(x=n[inside], y=[m.latency(v) * scale for v in n[inside]],
                             mode="lines", yaxis="y2",
                             name="fitted mean latency R(N) = N / X(N)",
                             line={"color": GREY, "width": 1.5, "dash": "dash"}))
    for k, symbol in zip(stats, ("diamond-open", "triangle-up-open")):
        pts = [(s.n, s.latency_of(k) * scale) for s in used if s.latency_of(k) is not None]
        fig.add_trace(go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], mode="markers",
                                 yaxis="y2", name=f"measured {k} latency",
                                 marker={"symbol": symbol, "size": 8, "color": INK}))
    fig.update_layout(yaxis2={"title": {"text": f"latency ({unit})"}, "overlaying": "y",
                              "side": "right", "rangemode": "tozero", "showgrid": False,
                              "tickmode": "auto", "nticks": 6},
                      margin={"r": 70}, height=380)


def growth_figure(load, forecast, events=()):
    import pandas as pd
    import plotly.graph_objects as go

    fig = go.Figure()
    if load is not None:
        p = load.daily_peaks.iloc[-365:]
        fig.add_trace(go.Scatter(x=p.index, y=p.to_numpy(), mode="lines", name="daily peak (history)",
                                 line={"color": INK, "width": 1}))
    path = forecast.path
    dates = pd.to_datetime(path["date"])
    fig.add_trace(go.Scatter(x=dates, y=path["worst_case"], mode="lines",
                             name=(f"worst case ({forecast.worst_quantile:.0%} quantile)"
                                   if forecast.worst_paths.shape[0] > 1 else
                                   f"worst case ({forecast.worst_monthly_growth:+.1%} a month)"),
                             line={"color": GREY, "width": 1.5, "dash": "dash"}))
    fig.add_trace(go.Scatter(x=dates, y=path["nominal"], mode="lines", name="nominal forecast",
                             line={"color": ACCENT, "width": 2}, fill="tonexty",
                             fillcolor="rgba(150,150,150,0.25)"))
    for e in events:
        # A 48-hour window is a hairline at this scale: a dashed line marks where it starts.
        fig.add_vrect(x0=e.start, x1=e.end, fillcolor="rgba(0,0,0,0.25)", line_width=0)
        fig.add_vline(x=e.start, line={"color": INK, "dash": "dot", "width": 1},
                      annotation_text=f"{e.name} x{e.multiplier:g} (applied in the plan)",
                      annotation_position="top right")
    return _layout(fig, f"Growth: {forecast.model} ({forecast.monthly_growth:+.1%} a month)",
                   "date", "peak (req/s)")


def plan_figure(plan):
    import plotly.graph_objects as go

    fig = go.Figure()
    styles = {"nominal": (ACCENT, None), "worst_case": (LIGHT, "/")}
    for name, s in plan.scenarios.items():
        color, pattern = styles.get(name, (GREY, None))
        y = [r.instances if r.instances is not None else 0 for r in s.months]
        fig.add_trace(go.Bar(x=[f"M{r.month}" for r in s.months], y=y,
                             name=name.replace("_", " "), marker={
                                 "color": color, "line": {"color": INK, "width": 1},
                                 "pattern": {"shape": pattern or ""}}))
    if plan.capacity.current_instances:
        fig.add_hline(y=plan.capacity.current_instances, line={"color": INK, "dash": "dash"},
                      annotation_text=f"today: {plan.capacity.current_instances}",
                      annotation_position="top left")
    fig.update_layout(barmode="group")
    return _layout(fig, "Instances needed per month", "plan month", "instances")


def plan_figures(result, latency_slo: float | None = None) -> dict:
    """name -> figure, for every chart the report shows (pure: no export)."""
    figs = {}
    plan = result.plan
    if result.traffic is not None:
        figs["traffic"] = traffic_figure(result.traffic.rate, result.traffic.unit,
                                         result.traffic.interval_seconds)
        figs["daily_peaks"] = daily_peaks_figure(result.load, plan.planning_peak)
        if result.load.hourly_mean is not None:
            figs["heatmap"] = heatmap_figure(result.load)
    if result.usl is not None:
        figs["usl"] = usl_figure(result.usl, "Per-instance load test: USL fit",
                                 latency_slo=latency_slo)
    if result.fleet_usl is not None:
        figs["fleet_usl"] = usl_figure(result.fleet_usl, "Scale-out test: USL fit over instances",
                                       x_title="instances N")
    figs["growth"] = growth_figure(result.load, plan.forecast, plan.events)
    if plan.capacity.sized:
        figs["plan"] = plan_figure(plan)
    return figs


def normalise_svg(svg: bytes) -> bytes:
    """Rename every element id plotly generates at random per render (defs-78cd6f,
    clip78cd6fxy, pattern ids, ...) to i0, i1, ... in order of appearance, with the references to
    them, so the same figure gives the same bytes (and the same PDF)."""
    import re

    ids = list(dict.fromkeys(re.findall(rb'\bid="([^"]+)"', svg)))
    if not ids:
        return svg
    names = {old: b"i%d" % n for n, old in enumerate(ids)}
    pattern = re.compile(rb'(?<=id=")(' + b"|".join(re.escape(i) for i in
                                                   sorted(ids, key=len, reverse=True)) +
                         rb')(?=")|(?<=#)(' + b"|".join(re.escape(i) for i in
                                                        sorted(ids, key=len, reverse=True)) +
                         rb')(?=[)"\'])')
    return pattern.sub(lambda m: names[m.group(1) or m.group(2)], svg)


@contextmanager
def svg_exporter():
    """One headless browser for the whole run; yields a function figure -> SVG bytes."""
    import kaleido
    import plotly.io as pio

    pio.defaults.headers = {}
    kaleido.start_sync_server(mathjax=False, silence_warnings=True)
    try:
        yield lambda fig: normalise_svg(pio.to_image(fig, format="svg"))
    finally:
        kaleido.stop_sync_server(silence_warnings=True)
