"""The report's charts as plotly figure specifications (plain dicts: plotly.js draws them in the
PDF's browser page and in plan.html), built from the plan's JSON document. Pure.

Every chart draws what the tables print: the demand chart draws `scenarios.<name>.path`, the
stepped path whose monthly maxima are the month table's peaks. Readable in black-and-white print:
series differ by dash and marker as well as by grey level; every band, line and grey series has a
legend entry; axes carry their units in plain numbers (28.8k, never 2.88e+04).
"""

from __future__ import annotations

import datetime as dt
import math

from capplan.outputs import fmt

INK = "#111111"
GREY = "#6b6b6b"
LIGHT = "#bdbdbd"
ACCENT = "#1f4e9c"  # one colour, dark enough to print as near-black
BAND = "rgba(120,120,120,0.22)"
EVENT_FILL = "rgba(31,78,156,0.13)"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_POINTS = 1500  # a long series is drawn as bucket maxima (the peaks stay visible)
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"


def base_layout(title: str, x_title: str, y_title: str, height: int = 300,
                width: int | None = None, legend: bool = True) -> dict:
    axis = {"showline": True, "linecolor": INK, "linewidth": 1, "ticks": "outside",
            "tickcolor": INK, "showgrid": True, "gridcolor": "#e3e3e3", "zeroline": False,
            "automargin": True, "separatethousands": True, "exponentformat": "SI"}
    layout = {
        "title": {"text": title, "x": 0, "xanchor": "left", "y": 0.98, "yanchor": "top",
                  "font": {"size": 13}},
        "height": height, "paper_bgcolor": "white", "plot_bgcolor": "white",
        "margin": {"l": 64, "r": 16, "t": 36, "b": 40},
        "font": {"family": FONT, "size": 10.5, "color": INK},
        "xaxis": {**axis, "title": {"text": x_title, "standoff": 6}},
        "yaxis": {**axis, "title": {"text": y_title, "standoff": 6}, "rangemode": "tozero"},
        "showlegend": legend,
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.16, "yanchor": "top",
                   "font": {"size": 9.5}, "traceorder": "normal"},
        "hovermode": "closest",
    }
    if width:
        layout["width"] = width
    return layout


# The narrowest width a chart is drawn at (A4's printable width, pdf.chart_width_px) and what a
# legend entry takes there: the symbol and its padding, then about 6 px a character at 9.5 px
# DejaVu Sans (its mean advance is ~0.6 em; 6 leaves room for wide letters).
NARROWEST_CHART_PX = 678
LEGEND_SYMBOL_PX = 46
LEGEND_CHAR_PX = 6.0


def legend_columns(names: list[str], columns: int) -> int:
    """At most `columns` columns, fewer when the longest entry would not fit one: a legend in
    equal columns cuts an entry at its column's edge ("left out of the plann")."""
    longest = max((len(n) for n in names), default=0)
    need = LEGEND_SYMBOL_PX + LEGEND_CHAR_PX * longest
    return max(1, min(columns, int(NARROWEST_CHART_PX // need)))


def finish(fig: dict, columns: int = 3) -> dict:
    """Place the legend below the x axis, in `columns` columns (fewer when an entry is too long
    for one), with the bottom margin it needs (so it never overlaps the axis title, whatever the
    chart's height)."""
    layout = fig["layout"]
    entries = [t for t in fig["data"] if t.get("name") and t.get("showlegend", True)]
    columns = legend_columns([t["name"] for t in entries], columns)
    layout["meta"] = {"legend_columns": columns}  # to place the legend again at another height
    if not layout.get("showlegend", True) or not entries:
        layout["showlegend"] = False
        return fig
    rows = math.ceil(len(entries) / columns)
    gap = 44 if layout["xaxis"].get("title", {}).get("text") else 26
    layout["margin"]["b"] = gap + rows * 17 + 4
    plot_h = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    layout["legend"].update({"y": -gap / plot_h, "entrywidth": 1 / columns - 0.005,
                             "entrywidthmode": "fraction"})
    return fig


def _legend_only(name: str, **style) -> dict:
    """A legend entry for something drawn as a shape (a band, a window)."""
    return {"type": "scatter", "x": [None], "y": [None], "name": name, "mode": "markers",
            "hoverinfo": "skip", **style}


def _moment(start: str, day: float) -> str:
    t = dt.datetime.fromisoformat(start[:10]) + dt.timedelta(days=day)
    return t.strftime("%Y-%m-%dT%H:%M")


# ---- the plan ------------------------------------------------------------------------------

EVENT_LABEL_PX = 12  # one row of event labels (9 px text) above the plot
EVENT_LABEL_CHAR_PX = 5.8  # a 9 px DejaVu Sans character, a little generous
PLOT_PX = NARROWEST_CHART_PX - 80  # the plot area of the narrowest chart (less the margins)


def event_label_rows(labels: list[tuple[str, str]], x0: str, x1: str) -> list[int]:
    """A row above the plot for each event label (start, text), in start order, so that labels
    whose events are close in time are stacked, never drawn over each other: each takes the
    lowest row where the label before it has ended, its width estimated at the narrowest
    chart's scale."""
    t0, t1 = dt.datetime.fromisoformat(x0[:16]), dt.datetime.fromisoformat(x1[:16])
    span = max((t1 - t0).total_seconds(), 1.0)
    ends: list[float] = []  # per row, where its last label ends (seconds after x0)
    out = []
    for when, text in labels:
        at = (dt.datetime.fromisoformat(when[:16]) - t0).total_seconds()
        width = (len(text) * EVENT_LABEL_CHAR_PX + 4) / PLOT_PX * span
        row = next((i for i, e in enumerate(ends) if e <= at), len(ends))
        if row == len(ends):
            ends.append(0.0)
        ends[row] = at + width
        out.append(row)
    return out

def demand_figure(doc: dict, history_days: int = 365) -> dict:
    """History, the two scenarios' stepped demand paths (the month table's peaks marked), the
    band between them, event windows and what today's fleet carries."""
    start, unit = doc["start"], fmt.unit(doc)
    traces, shapes, annotations = [], [], []
    load = doc.get("load")
    if load and load.get("daily_peaks"):
        hist = load["daily_peaks"][-history_days:]
        traces.append({"type": "scatter", "mode": "lines", "name": "daily peak (history)",
                       "x": [r["date"] for r in hist], "y": [r["peak"] for r in hist],
                       "line": {"color": INK, "width": 1},
                       "hovertemplate": "%{x|%d %b %Y}: %{y:,.0f} " f"{unit}<extra></extra>"})
    paths = {}
    for name in ("nominal", "worst_case"):
        s = doc["scenarios"][name]
        rows = s.get("path") or []
        if rows:
            x = [_moment(start, 0)] + [_moment(start, r["day"]) for r in rows]
            y = [rows[0]["peak"]] + [r["peak"] for r in rows]
            paths[name] = (x, y, rows)
    same = ("nominal" in paths and "worst_case" in paths
            and paths["nominal"][1] == paths["worst_case"][1])
    if "nominal" in paths:
        x, y, _ = paths["nominal"]
        traces.append({"type": "scatter", "mode": "lines", "x": x, "y": y,
                       "name": "nominal path",
                       "line": {"color": ACCENT, "width": 2, "shape": "vh"},
                       "hovertemplate": "nominal %{x|%d %b %Y}: %{y:,.0f} " f"{unit}<extra></extra>"})
    if "worst_case" in paths and not same:
        x, y, _ = paths["worst_case"]
        traces.append({"type": "scatter", "mode": "lines", "x": x, "y": y, "fill": "tonexty",
                       "fillcolor": BAND, "name": "worst-case path",
                       "line": {"color": GREY, "width": 1.5, "dash": "dash", "shape": "vh"},
                       "hovertemplate": "worst case %{x|%d %b %Y}: %{y:,.0f} " f"{unit}<extra></extra>"})
        traces.append(_legend_only("nominal to worst case",
                                   marker={"symbol": "square", "size": 11, "color": BAND,
                                           "line": {"color": GREY, "width": 1}}))
    for name, symbol, color in (("nominal", "circle", ACCENT), ("worst_case", "triangle-up", GREY)):
        if name not in paths or (name == "worst_case" and same):
            continue
        xs, ys = [], []
        for m in doc["scenarios"][name]["months"]:
            best = _month_peak_row(paths[name][2], m["month"])
            if best is not None:
                xs.append(_moment(start, best["day"]))
                ys.append(m["peak"])
        label = "nominal" if name == "nominal" else "worst case"
        traces.append({"type": "scatter", "mode": "markers", "x": xs, "y": ys,
                       "name": f"month peak, {label} (the table)",
                       "marker": {"symbol": symbol, "size": 7, "color": color,
                                  "line": {"color": "white", "width": 1}},
                       "hovertemplate": f"{label} month peak: " "%{y:,.0f} " f"{unit}<extra></extra>"})
    traces.append({"type": "scatter", "mode": "markers", "x": [_moment(start, 0)],
                   "y": [doc["planning_peak"]], "name":
                   f"planning peak {fmt.rate(doc['planning_peak'])} {unit}",
                   "marker": {"symbol": "diamond", "size": 9, "color": INK},
                   "hovertemplate": "planning peak %{y:,.0f} " f"{unit}<extra></extra>"})
    cap = doc["capacity"]
    end = _moment(start, doc["months"] * 365.25 / 12)
    if cap.get("current_fleet_carries"):
        carries = cap["current_fleet_carries"]
        x0 = traces[0]["x"][0] if traces and traces[0]["x"] else _moment(start, 0)
        traces.append({"type": "scatter", "mode": "lines", "x": [x0, end], "y": [carries] * 2,
                       "name": f"today's {fmt.plural(cap['current_instances'], 'instance')} "
                               f"{fmt.verb(cap['current_instances'], 'carry', 'carries')} "
                               f"{fmt.rate(carries)} {unit}",
                       "line": {"color": INK, "width": 1, "dash": "dot"}, "hoverinfo": "skip"})
    shown = sorted((e for e in doc.get("events", []) if e.get("scenarios")),
                   key=lambda e: e["start"])
    first = traces[0]["x"][0] if traces and traces[0]["x"] else _moment(start, 0)
    rows = event_label_rows([(e["start"][:16], f"{e['name']} ×{e['multiplier']:g}")
                             for e in shown], first, end)
    for e, row in zip(shown, rows):
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": e["start"][:16],
                       "x1": e["end"][:16], "y0": 0, "y1": 1, "fillcolor": EVENT_FILL,
                       "line": {"width": 0}, "layer": "below"})
        annotations.append({"x": e["start"][:16], "y": 1, "xref": "x", "yref": "paper",
                            "text": f"{e['name']} ×{e['multiplier']:g}", "showarrow": False,
                            "xanchor": "left", "yanchor": "bottom", "font": {"size": 9},
                            "yshift": EVENT_LABEL_PX * row})
    if any(e.get("scenarios") for e in doc.get("events", [])):
        traces.append(_legend_only("event window",
                                   marker={"symbol": "square", "size": 11, "color": EVENT_FILL,
                                           "line": {"color": ACCENT, "width": 1}}))
    runway = doc["scenarios"]["nominal"].get("runway")
    if runway and cap.get("current_fleet_carries"):
        traces.append({"type": "scatter", "mode": "markers", "x": [runway],
                       "y": [cap["current_fleet_carries"]],
                       "name": f"runway (nominal) {fmt.day(runway)}",
                       "marker": {"symbol": "x", "size": 10, "color": INK,
                                  "line": {"width": 1}}, "hoverinfo": "skip"})
    g = doc["growth"]
    title = (f"Demand: {g['model']} ({fmt.signed_pct(g['monthly_growth'])} a month)"
             if g.get("monthly_growth") is not None else f"Demand: {g['model']}")
    layout = base_layout(title, "", f"peak ({unit})", height=340)
    layout["shapes"], layout["annotations"] = shapes, annotations
    layout["margin"]["t"] += EVENT_LABEL_PX * max(rows, default=0)  # room for stacked labels
    layout["xaxis"]["type"] = "date"
    return finish({"data": traces, "layout": layout}, columns=2)


def _month_peak_row(rows: list[dict], month: int) -> dict | None:
    best = None
    for r in rows:
        if r["month"] == month and (best is None or r["peak"] > best["peak"]):
            best = r
    return best


def instances_figure(doc: dict) -> dict:
    """Instances per month, both scenarios, against today's fleet."""
    traces = []
    months = doc["scenarios"]["nominal"]["months"]
    labels = [f"M{r['month']}" for r in months]
    show_text = len(months) <= 12
    for name, color, pattern, label in (("nominal", ACCENT, "", "nominal"),
                                        ("worst_case", LIGHT, "/", "worst case")):
        rows = doc["scenarios"][name]["months"]
        y = [r["instances"] for r in rows]
        text = [fmt.count(r["instances"], "") for r in rows]
        trace = {"type": "bar", "x": labels, "y": y, "name": label,
                 "marker": {"color": color, "line": {"color": INK, "width": 1},
                            "pattern": {"shape": pattern, "fgcolor": INK, "size": 6}},
                 "hovertemplate": f"{label} " "%{x}: %{y:,} instances<extra></extra>"}
        if show_text:
            trace.update({"text": text, "textposition": "outside", "cliponaxis": False,
                          "textfont": {"size": 8}})
        traces.append(trace)
    cap = doc["capacity"]
    if cap.get("current_instances"):
        n = cap["current_instances"]
        traces.append({"type": "scatter", "mode": "lines", "x": labels, "y": [n] * len(labels),
                       "name": f"today's fleet: {fmt.plural(n, 'instance')}",
                       "line": {"color": INK, "width": 1.2, "dash": "dash"},
                       "hoverinfo": "skip"})
    layout = base_layout("Instances needed per month", "plan month", "instances", height=235)
    layout["barmode"] = "group"
    layout["bargap"] = 0.25
    return finish({"data": traces, "layout": layout})


# ---- the load ------------------------------------------------------------------------------

def traffic_figure(rate, unit: str, interval_seconds: float) -> dict:
    """The rate over time; a long series as bucket maxima so every peak stays visible."""
    s = rate
    label = f"rate ({unit}) at the data's {fmt.seconds(interval_seconds)} interval"
    if len(s) > MAX_POINTS:
        span = (s.index[-1] - s.index[0]).total_seconds()
        bucket = max(interval_seconds, math.ceil(span / MAX_POINTS / 3600) * 3600)
        s = s.resample(f"{int(bucket)}s").max().dropna()
        label = f"highest rate in each {fmt.seconds(bucket)} ({unit})"
    x = [t.strftime("%Y-%m-%dT%H:%M") for t in s.index]
    trace = {"type": "scatter", "mode": "lines", "x": x, "y": [float(v) for v in s.to_numpy()],
             "name": label, "line": {"color": INK, "width": 0.8},
             "hovertemplate": "%{x|%d %b %Y %H:%M}: %{y:,.0f}<extra></extra>"}
    layout = base_layout("Traffic over time", "", f"rate ({unit})", height=240)
    layout["xaxis"]["type"] = "date"
    return finish({"data": [trace], "layout": layout}, columns=1)


def daily_peaks_figure(load: dict, planning_peak: float) -> dict:
    peaks = load["daily_peaks"]
    x = [r["date"] for r in peaks]
    traces = [{"type": "scatter", "mode": "lines+markers", "x": x, "y": [r["peak"] for r in peaks],
               "name": "daily peak", "line": {"color": INK, "width": 1}, "marker": {"size": 3},
               "hovertemplate": "%{x|%d %b %Y}: %{y:,.0f}<extra></extra>"}]
    pp = load.get("planning_peak") or {}
    traces.append({"type": "scatter", "mode": "lines", "x": [x[0], x[-1]] if x else [],
                   "y": [planning_peak] * (2 if x else 0),
                   "name": f"planning peak {fmt.rate(planning_peak)} {load['unit']}",
                   "line": {"color": GREY, "width": 1.2, "dash": "dash"}, "hoverinfo": "skip"})
    anomalies = load.get("anomalies") or []
    if anomalies:
        traces.append({"type": "scatter", "mode": "markers",
                       "x": [a["date"] for a in anomalies[:50]],
                       "y": [a["value"] for a in anomalies[:50]],
                       "name": "spike, left out of the planning peak",
                       "marker": {"symbol": "x", "size": 9, "color": ACCENT},
                       "hovertemplate": "%{x|%d %b %Y}: %{y:,.0f} (spike)<extra></extra>"})
    excluded = pp.get("excluded") or []
    title = "Daily peaks"
    layout = base_layout(title, "", f"daily peak ({load['unit']})", height=240)
    layout["xaxis"]["type"] = "date"
    if excluded:
        layout["title"]["text"] = f"Daily peaks ({len(excluded)} left out of the planning peak)"
    return finish({"data": traces, "layout": layout})


def heatmap_figure(load: dict) -> dict:
    profile = load["weekly_profile"]["mean"]
    z = [profile.get(d) or [None] * 24 for d in WEEKDAYS]
    trace = {"type": "heatmap", "z": z, "x": [f"{h:02d}" for h in range(24)], "y": list(WEEKDAYS),
             "colorscale": "Greys", "reversescale": False,
             "colorbar": {"title": {"text": load["unit"], "side": "top"}, "thickness": 12,
                          "len": 1, "tickformat": "~s", "outlinewidth": 0},
             "hovertemplate": "%{y} %{x}:00: %{z:,.0f}<extra></extra>", "xgap": 1, "ygap": 1}
    layout = base_layout(f"Mean rate by weekday and hour ({load['timezone']})", "hour of day",
                         "", height=230, legend=False)
    layout["yaxis"].update({"autorange": "reversed", "rangemode": "normal", "showgrid": False,
                            "type": "category"})
    layout["xaxis"].update({"showgrid": False, "type": "category", "dtick": 2})
    layout["margin"]["b"] = 36
    return {"data": [trace], "layout": layout}


# ---- capacity ------------------------------------------------------------------------------

def usl_chart(u: dict, title: str, x_title: str = "concurrency N", *,
              rate_lines: tuple = (), unit: str = fmt.DEFAULT_UNIT) -> dict:
    """A USL fit: the measured points, the curve solid over the measured range and dotted past it
    (extrapolation), N*; `rate_lines` are (label, rate) horizontal lines (the limits). With the
    load test's steps (`load_test` in usl.json), the steps left out of the fit and the measured
    latency per step against the fitted R(N) = N / X(N) on a right-hand axis."""
    sigma, kappa, lam = u["sigma"], u["kappa"], u["lambda"]

    def x_of(n):
        return lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))

    measured = u.get("measurements") or []
    top_measured = u.get("max_measured_n")
    n_star = u.get("n_star")
    top = max(2 * (top_measured or 1), 1.5 * (n_star or 0), 10)
    count = 160
    ns = [1 + i * (top - 1) / (count - 1) for i in range(count)]
    traces = []
    if top_measured:
        inside = [n for n in ns if n <= top_measured] + [top_measured]
        outside = [top_measured] + [n for n in ns if n > top_measured]
    else:
        inside, outside = ns, []
    traces.append({"type": "scatter", "mode": "lines", "x": inside, "y": [x_of(n) for n in inside],
                   "name": "USL fit (over the measured range)" if top_measured else "USL curve",
                   "line": {"color": INK, "width": 2},
                   "hovertemplate": "N = %{x:.1f}: X = %{y:,.0f}<extra></extra>"})
    if len(outside) > 1:
        traces.append({"type": "scatter", "mode": "lines", "x": outside,
                       "y": [x_of(n) for n in outside],
                       "name": f"extrapolated (past the largest measured N = {top_measured:g})",
                       "line": {"color": GREY, "width": 2, "dash": "dot"},
                       "hovertemplate": "N = %{x:.1f}: X = %{y:,.0f} (extrapolated)<extra></extra>"})
    if measured:
        traces.append({"type": "scatter", "mode": "markers", "name": "measured",
                       "x": [m["n"] for m in measured], "y": [m["x"] for m in measured],
                       "marker": {"symbol": "circle-open", "size": 8, "color": ACCENT,
                                  "line": {"width": 2}},
                       "hovertemplate": "measured N = %{x:g}: X = %{y:,.0f}<extra></extra>"})
    ymax = max(x_of(n) for n in ns)
    if n_star is not None:
        traces.append({"type": "scatter", "mode": "lines", "x": [n_star, n_star],
                       "y": [0, ymax * 1.05],
                       "name": f"N* = {n_star:.1f}: peak X = {fmt.rate(u.get('x_max'))}",
                       "line": {"color": GREY, "width": 1, "dash": "dash"}, "hoverinfo": "skip"})
    dashes = ("dashdot", "longdash", "dot")
    for i, (label, rate) in enumerate(rate_lines):
        traces.append({"type": "scatter", "mode": "lines", "x": [1, top], "y": [rate, rate],
                       "name": label, "hoverinfo": "skip",
                       "line": {"color": ACCENT, "width": 1.2, "dash": dashes[i % 3]}})
    layout = base_layout(title, x_title, f"throughput X ({unit})", height=300)
    if u.get("load_test"):
        _measured_latency(traces, layout, u["load_test"], x_of, inside)
    return finish({"data": traces, "layout": layout}, columns=2)


def _measured_latency(traces: list, layout: dict, test: dict, x_of, ns: list) -> None:
    """The load test's own latency per step (mean and p99, right axis, in ms below a second)
    against the fitted mean latency R(N) = N / X(N) over the measured range, and the steps left
    out of the fit as grey crosses."""
    def finite(v):
        return v is not None and math.isfinite(v)

    left = [s for s in test["steps"] if not s["used"] and finite(s["throughput"])]
    if left:
        traces.append({"type": "scatter", "mode": "markers",
                       "name": "left out of the fit (see usl.json)",
                       "x": [s["n"] for s in left], "y": [s["throughput"] for s in left],
                       "marker": {"symbol": "x", "size": 7, "color": GREY},
                       "hovertemplate": "left out: N = %{x:g}, X = %{y:,.0f}<extra></extra>"})
    used = [s for s in test["steps"] if s["used"]]
    stats = [k for k in ("mean", "p99")
             if any(finite(s["latency_seconds"].get(k)) for s in used)]
    if not stats:
        return
    measured = [s["latency_seconds"][k] for s in used for k in stats
                if finite(s["latency_seconds"].get(k))]
    scale, unit = (1000.0, "ms") if max(measured) < 1 else (1.0, "s")
    traces.append({"type": "scatter", "mode": "lines", "yaxis": "y2", "x": ns,
                   "y": [n / x_of(n) * scale for n in ns],
                   "name": "fitted mean latency R(N) = N / X(N)",
                   "line": {"color": GREY, "width": 1.5, "dash": "dash"},
                   "hovertemplate": f"N = %{{x:.1f}}: R = %{{y:,.3g}} {unit}<extra></extra>"})
    for k, symbol in zip(stats, ("diamond-open", "triangle-up-open")):
        pts = [(s["n"], s["latency_seconds"][k] * scale) for s in used
               if finite(s["latency_seconds"].get(k))]
        traces.append({"type": "scatter", "mode": "markers", "yaxis": "y2",
                       "name": f"measured {k} latency", "x": [p[0] for p in pts],
                       "y": [p[1] for p in pts],
                       "marker": {"symbol": symbol, "size": 8, "color": INK},
                       "hovertemplate": f"N = %{{x:g}}: {k} %{{y:,.3g}} {unit}<extra></extra>"})
    layout["yaxis2"] = {**{k: v for k, v in layout["yaxis"].items() if k != "title"},
                        "title": {"text": f"latency ({unit})", "standoff": 6},
                        "overlaying": "y", "side": "right", "showgrid": False,
                        "rangemode": "tozero"}
    layout["margin"]["r"] = 64
    layout["height"] = 340


def usl_figure(fit, title: str, x_title: str = "concurrency N", latency_slo: float | None = None,
               load_test=None):
    """The `capplan usl` chart of a fit (usl.svg): the same drawing as the report's; with the
    load test as read, its steps' measured latency too."""
    from capplan.outputs.usl_json import usl_doc

    u = usl_doc(fit, load_test=load_test)
    lines = ()
    if latency_slo:
        from capplan.errors import CapplanError
        from capplan.limits import for_load_test

        # The objective is on p99, as in usl.json's at_latency_slo and the plan: the same rate.
        try:
            lim = for_load_test(fit, latency_slo)
        except CapplanError:
            lim = None
        if lim is not None:
            lines = ((f"p99 ≤ {fmt.seconds(latency_slo)} up to {fmt.rate(lim.rate)} req/s "
                      f"({lim.method})", lim.rate),)
    return usl_chart(u, title, x_title, rate_lines=lines)


def _limit_lines(doc: dict, unit: str, per: float = 1.0) -> tuple:
    """The plan's two per-instance limits as lines on a load test's curve: in `unit`, the
    plan's rates divided by `per` (the seconds of the plan's time base: the curve is per
    second)."""
    lim = doc["capacity"].get("limits") or {}
    out = []
    util = lim.get("utilization") or {}
    if util.get("rate"):
        rate = util["rate"] / per
        out.append((f"utilization target {fmt.pct(util['target_utilization'])}: "
                    f"{fmt.rate(rate)} {unit}"
                    + (" (binds)" if lim.get("binding") == "utilization" else ""), rate))
    lat = lim.get("latency_slo")
    if lat and lat.get("rate"):
        rate = lat["rate"] / per
        # The fleet is sized to the latency rate less the rate limit's margin when it binds.
        sized = rate * (1 - (lim.get("margin") or 0))
        out.append((f"latency SLO p99 ≤ {fmt.seconds(lat['slo_seconds'])}: "
                    f"{fmt.rate(rate)} {unit}"
                    + (f" (less {fmt.pct(lim.get('margin') or 0)}: {fmt.rate(sized)} binds)"
                       if lim.get("binding") == "latency_slo" else ""), rate))
    return tuple(out)


# ---- the set ---------------------------------------------------------------------------------

def report_figures(doc: dict, traffic=None) -> dict:
    """name -> figure for every chart the report shows, in the order the report shows them."""
    figs = {}
    sized = doc["capacity"].get("per_instance_limit") is not None or doc.get("fleet_usl")
    figs["growth"] = demand_figure(doc)
    if sized:
        figs["plan"] = instances_figure(doc)
    load = doc.get("load")
    if traffic is not None:
        figs["traffic"] = traffic_figure(traffic.rate, traffic.unit, traffic.interval_seconds)
    if load and load.get("daily_peaks"):
        figs["daily_peaks"] = daily_peaks_figure(load, doc["planning_peak"])
    if load and load.get("weekly_profile"):
        figs["heatmap"] = heatmap_figure(load)
    # The load tests' curves are per second (usl.json): in the plan's count per second, which
    # is the plan's unit unless that has another time base (hires/day: hires/s).
    from capplan.units import rate_unit

    ru = rate_unit(fmt.unit(doc))
    per = ru.seconds if ru.converts and ru.seconds else 1.0
    if doc.get("usl"):
        figs["usl"] = usl_chart(doc["usl"], "Per-instance load test: USL fit",
                                rate_lines=_limit_lines(doc, ru.per_second, per),
                                unit=ru.per_second)
    if doc.get("fleet_usl"):
        figs["fleet_usl"] = usl_chart(doc["fleet_usl"], "Scale-out test: USL fit over instances",
                                      x_title="instances N", unit=ru.per_second)
    return figs


def plan_figures(result, latency_slo: float | None = None) -> dict:
    """name -> figure for a pipeline result (its plan's JSON document and its traffic)."""
    from capplan.outputs.report import plan_json

    return report_figures(plan_json(result), result.traffic)


def _layout(fig, title: str, x_title: str, y_title: str, height: int = 330):
    """Style a plotly graph_objects Figure as the report's charts (for other outputs' figures)."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 14}},
        template="simple_white", height=height, width=760,
        margin={"l": 70, "r": 20, "t": 45, "b": 50},
        font={"family": FONT, "size": 11, "color": INK},
        legend={"orientation": "h", "y": -0.22, "x": 0},
    )
    fig.update_xaxes(title_text=x_title, showgrid=True, gridcolor="#e6e6e6")
    fig.update_yaxes(title_text=y_title, showgrid=True, gridcolor="#e6e6e6", rangemode="tozero")
    return fig


def normalise_svg(svg: bytes) -> bytes:
    """Rename every element id plotly generates at random per render (defs-78cd6f,
    clip78cd6fxy, pattern ids, ...) to i0, i1, ... in order of appearance, with the references to
    them, so the same figure gives the same bytes."""
    import re

    ids = list(dict.fromkeys(re.findall(rb'\bid="([^"]+)"', svg)))
    if not ids:
        return svg
    names = {old: b"i%d" % n for n, old in enumerate(ids)}
    alternatives = b"|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    pattern = re.compile(rb'(?<=id=")(' + alternatives + rb')(?=")|(?<=#)(' + alternatives +
                         rb')(?=[)"\'])')
    return pattern.sub(lambda m: names[m.group(1) or m.group(2)], svg)


def stable_uids(fig: dict) -> dict:
    """The figure with each trace's `uid` set to its index: plotly.js names every trace's SVG
    group after its uid (class "trace961aa1"), random per render when none is given, so the
    same figure would give different bytes each run."""
    if hasattr(fig, "to_plotly_json"):
        fig = fig.to_plotly_json()
    data = [{**trace, "uid": trace.get("uid", str(i))} for i, trace in enumerate(fig["data"])]
    return {**fig, "data": data}


def svg_of(fig, browser, width: int = 760) -> bytes:
    """A figure as the same SVG bytes every run, drawn by the run's `browser`."""
    return normalise_svg(browser.svg(stable_uids(fig), width))
