"""Plotly figures of a fleet (pure): the totals by month, and one service's peaks and forecast
against what today's fleet carries. Same style as the plan's charts (charts.py)."""

from __future__ import annotations

from capplan.fleet.model import FleetResult
from capplan.outputs import fmt
from capplan.outputs.charts import ACCENT, GREY, INK, LIGHT, _layout

HISTORY_DAYS = 365


def totals_figure(result: FleetResult, today: int | None):
    """Instances summed over the sized services, per month and scenario."""
    import plotly.graph_objects as go

    fig = go.Figure()
    styles = {"nominal": (ACCENT, ""), "worst_case": (LIGHT, "/")}
    for name, (color, pattern) in styles.items():
        rows = result.rollup[name]
        fig.add_trace(go.Bar(x=[f"M{r.month}<br>{fmt.day(r.date, '')}" for r in rows],
                             y=[r.instances or 0 for r in rows], name=name.replace("_", " "),
                             marker={"color": color, "line": {"color": INK, "width": 1},
                                     "pattern": {"shape": pattern}}))
    if today:
        # An explicit width and opacity: without them this plotly/kaleido draws the line at 0 px.
        fig.add_hline(y=today, line={"color": INK, "dash": "dash", "width": 1.5}, opacity=1,
                      annotation_text=f"today: {today:,}", annotation_position="top left")
    fig.update_layout(barmode="group")
    fig = _layout(fig, "Fleet instances needed per month (sum over services)", "plan month",
                  "instances", height=260)
    # Under the plot are two-line tick labels (month, date) and the axis title: at the default
    # place below them the legend covered both. It goes on the title's line, at the right.
    fig.update_layout(legend={"x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"})
    return fig


def _scenario_line(doc: dict, name: str):
    """x, y, shape of a scenario's demand: its path when the plan holds one, else each month's
    peak held over the month (what the month table says)."""
    s = doc["scenarios"][name]
    if s.get("path"):
        return [r["date"] for r in s["path"]], [r["peak"] for r in s["path"]], "linear"
    months = s["months"]
    x = [doc["start"]] + [r["date"] for r in months]
    y = [r["peak"] for r in months]
    return x, y + y[-1:], "hv"


def service_figure(name: str, doc: dict, height: int = 300):
    """A service's daily peaks (last year), its nominal and worst-case peaks as the plan counts
    them, and the peak today's fleet carries at the target utilization."""
    import plotly.graph_objects as go

    fig, unit = go.Figure(), fmt.unit(doc)
    peaks = (doc.get("load") or {}).get("daily_peaks") or []
    peaks = peaks[-HISTORY_DAYS:]
    if peaks:
        fig.add_trace(go.Scatter(x=[p["date"] for p in peaks], y=[p["peak"] for p in peaks],
                                 mode="lines", name="daily peak (history)",
                                 line={"color": INK, "width": 1}))
    for scenario, label, line in (
            ("worst_case", "worst case", {"color": GREY, "width": 1.5, "dash": "dash"}),
            ("nominal", "nominal", {"color": ACCENT, "width": 2})):
        x, y, shape = _scenario_line(doc, scenario)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=f"{label}: peak in the plan",
                                 line={**line, "shape": shape}))
    carries = doc["capacity"].get("current_fleet_carries")
    if carries:
        # An explicit width and opacity: without them this plotly/kaleido draws the line at 0 px.
        fig.add_hline(y=carries, line={"color": INK, "dash": "dot", "width": 1.5}, opacity=1,
                      annotation_text=f"today's fleet carries {fmt.rate(carries)} {unit}",
                      annotation_position="top left")
    g = doc["growth"]
    growth = g.get("monthly_growth")
    sub = f" ({fmt.signed_pct(growth)} a month)" if growth is not None else ""
    return _layout(fig, f"{name}: {g['model']}{sub}", "", f"peak ({unit})", height=height)
