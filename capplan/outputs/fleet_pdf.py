"""fleet.pdf for the capacity review: Jinja2 (autoescape on) renders templates/fleet.html.j2 from
`view(result)`, weasyprint lays it out. Page 1: the services at risk, ranked by runway, and the
totals by month with a chart; then a compact page per service at risk; a table of all services;
an appendix with every input's sha256 and the failures. Computes nothing of its own: every
number is a plan's or the roll-up's.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from capplan.fleet.model import SCENARIOS, FleetResult
from capplan.outputs import fmt, pdf

FIRST_PAGE_AT_RISK = 8  # rows of the at-risk table on page 1, beside the totals and chart


def _month_rows(result: FleetResult) -> list[dict]:
    rows = []
    for n, w in zip(result.rollup["nominal"], result.rollup["worst_case"]):
        rows.append({"month": n.month, "date": n.date, "nominal": n, "worst_case": w})
    return rows


def _service_row(s) -> dict:
    sm = s.summary
    last = {name: (sm.scenarios[name].months[-1] if sm.scenarios[name].months else None)
            for name in SCENARIOS}
    worst = last["worst_case"]
    rise = (worst.peak / sm.planning_peak - 1 if worst is not None and sm.planning_peak else None)
    return {"name": s.name, "path": s.path, "series": s.series, "model": sm.model, "rise": rise,
            "growth": sm.monthly_growth, "peak": sm.planning_peak, "sized": sm.sized,
            "current": sm.current_instances, "needed": sm.instances_needed_today,
            "last": last, "nominal": sm.scenarios["nominal"],
            "worst_case": sm.scenarios["worst_case"], "cost_per_instance": sm.cost_per_instance,
            "currency": sm.currency,
            "unit": service_unit(s)}


def service_unit(s) -> str:
    """The rate unit of a service's peaks (its plan's `load.unit`; req/s when none was given).

    Read from the plan's compact JSON text without parsing the whole document (a fleet may hold
    thousands of plans, each with its daily peaks and forecast path): `load` is written with
    `unit` as its first key."""
    import json

    raw = s.plan_bytes() or b""
    at = raw.find(b'"load":{"unit":')
    if at < 0:
        return fmt.DEFAULT_UNIT
    text = raw[at + len(b'"load":{"unit":'):at + 200].decode("utf-8", "replace")
    try:
        value, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return fmt.DEFAULT_UNIT
    return value if isinstance(value, str) and value else fmt.DEFAULT_UNIT


def at_risk_rows(result: FleetResult, limit: int | None = None) -> list[dict]:
    """The services at risk (earliest runway first; the first `limit`), each with how late its
    order already is: the plan's `order_late_days` for that scenario (0 when on time), read from
    the service's own plan so the fleet says what `capplan forecast` says ("now: 25 days late",
    never a past date as advice). Each service's plan is parsed once."""
    rows, docs = [], {}
    by_name = {s.name: s for s in result.planned}
    for a in result.at_risk[:limit]:
        if a.name not in docs:
            docs[a.name] = by_name[a.name].plan() or {}
        sc = (docs[a.name].get("scenarios") or {}).get(a.scenario) or {}
        late = sc.get("order_late_days") or 0
        rows.append({"name": a.name, "scenario": a.scenario, "runway": a.runway,
                     "runway_months": a.runway_months, "order_by": a.order_by,
                     "order_late_days": late if a.order_by else None,
                     "order_text": order_text(a.order_by, late)})
    return rows


def order_text(order_by: str | None, late: int | None) -> str:
    """An order-by date as the fleet's tables print it: the date, or 'now: N days late' when the
    date has passed (the plan moved it to its start)."""
    if not order_by:
        return "–"
    return f"now: {fmt.days(late)} late" if late else order_by


def at_risk_services(result: FleetResult) -> list:
    """Each service at risk once, by its earliest runway (the order of `result.at_risk`)."""
    seen, out = set(), []
    by_name = {s.name: s for s in result.planned}
    for a in result.at_risk:
        if a.name not in seen:
            seen.add(a.name)
            out.append(by_name[a.name])
    return out


def view(result: FleetResult, title: str) -> dict:
    """What the PDF and the HTML page show, from the result alone."""
    planned = result.planned
    today = sum(s.summary.current_instances or 0 for s in planned if s.summary.sized)
    nom, wc = result.rollup["nominal"], result.rollup["worst_case"]
    rows = [_service_row(s) for s in planned]
    at_risk = at_risk_rows(result)
    late = {(a["name"], a["scenario"]): a["order_late_days"] for a in at_risk}
    for r in rows:
        r["order"] = {name: order_text(r[name].order_by, late.get((r["name"], name)))
                      for name in SCENARIOS}
    return {
        "title": title, "source": result.source, "form": result.form, "months": result.months,
        "starts": result.starts, "n_total": len(result.services), "n_planned": len(planned),
        "n_failed": len(result.failed), "today": today,
        "any_sized": any(r.services_sized for r in nom),
        "any_cost": any(r.cost is not None for r in nom),  # the fleet's costs are added up
        "any_service_cost": any(r.services_costed for r in nom),
        "currency": result.currency,
        "cents": fmt.fleet_cents(result),  # every cost to the cent, or none
        "n_sized": max((r.services_sized for r in nom), default=0),
        "last": {"nominal": nom[-1] if nom else None, "worst_case": wc[-1] if wc else None},
        "rows": _month_rows(result), "at_risk": at_risk,
        "first_rows": FIRST_PAGE_AT_RISK,
        "risk_names": {name: len({a.name for a in result.at_risk if a.scenario == name})
                       for name in SCENARIOS},
        "services": rows,
        "by_rise": sorted((r for r in rows if r["rise"] is not None),
                          key=lambda r: (-r["rise"], r["name"])),
        "failed": [{"name": s.name, "path": s.path, "series": s.series, "error": s.error}
                   for s in result.failed],
        "inputs": result.inputs, "notes": result.notes,
        "service_notes": [(s.name, n) for s in result.services for n in s.notes],
    }


def risk_page(s, doc: dict, chart: str) -> dict:
    """What a service's compact page shows, taken from its plan (not the whole plan: a fleet may
    have hundreds of these pages)."""
    cap, g = doc["capacity"], doc["growth"]
    nom, wc = doc["scenarios"]["nominal"]["months"], doc["scenarios"]["worst_case"]["months"]
    return {"row": _service_row(s), "chart": chart, "start": doc["start"],
            "lead_time_days": doc.get("lead_time_days"),
            "input": doc.get("input") or {},
            "capacity": {k: cap.get(k) for k in ("limit_source", "redundancy",
                                                 "per_instance_limit", "usable_per_instance",
                                                 "target_utilization", "current_fleet_carries",
                                                 "current_utilization")},
            "growth": {k: g.get(k) for k in ("model", "chosen_because", "monthly_growth",
                                             "worst_monthly_growth", "worst_quantile")},
            "months": [{"n": n, "w": w} for n, w in zip(nom, wc)],
            "order": {name: order_text(doc["scenarios"][name].get("order_by"),
                                       doc["scenarios"][name].get("order_late_days"))
                      for name in SCENARIOS},
            "late": {name: doc["scenarios"][name].get("order_late_days") or 0
                     for name in SCENARIOS},
            "notes": list(doc.get("notes") or [])}


def build(result: FleetResult, *, title: str, paper: str, argv, export) -> bytes:
    """The PDF's bytes; `export(fig) -> svg` is the run's one browser."""
    import shlex

    from capplan.outputs import fleet_charts as fc
    from capplan.outputs.report import _pdf_bytes, _versions

    v = view(result, title)
    charts = {}
    if v["any_sized"]:
        charts["totals"] = pdf.svg_data_uri(export(fc.totals_figure(result, v["today"] or None)))
    pages = []
    for s in at_risk_services(result):
        doc = s.plan()
        pages.append(risk_page(s, doc, pdf.svg_data_uri(export(fc.service_figure(s.name, doc,
                                                                                 height=280)))))
    page = render_html(v, charts, pages, paper=pdf.paper_size(paper),
                       command=shlex.join(["capplan", *list(argv)[1:]]), versions=_versions())
    return _pdf_bytes(page)


def _order_cell(text: str) -> str:
    """An order-by cell: a date as people write it, kept on one line; 'now: N days late' as is."""
    if len(text) == 10 and text[4:5] == "-":
        return fmt.day(text).replace(" ", "\u00a0")
    return text


_NAME_BREAK = re.compile(r"([_\-.:/])")


def _name_cell(name: str):
    """A service name as typed, with a break allowed after each _ - . : / (a long name wraps at
    its own seams, in the narrow tables, rather than push the table past the page)."""
    return pdf.verbatim(Markup(_NAME_BREAK.sub(r"\1<wbr>", str(escape(name)))))


def render_html(v: dict, charts: dict, pages: list, *, paper: str, command: str,
                versions: str) -> str:
    import jinja2

    from capplan import __version__

    # Dates as people write them, as on the service report; names, paths and hashes as typed.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(pdf.TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, finalize=pdf.finalize)
    env.filters.update(pdf.FILTERS)
    env.filters["n"] = lambda x: "–" if x is None else f"{x:,}"
    env.filters["scenario"] = lambda x: x.replace("_", " ")
    env.filters["cur"] = lambda c: f" {c}" if c else ""
    env.filters["in_cur"] = lambda c: f" ({c})" if c else ""
    env.filters["order"] = _order_cell
    env.filters["name"] = _name_cell
    env.filters["unit_note"] = lambda u: "" if u == fmt.DEFAULT_UNIT else f" {u}"
    css_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(pdf.TEMPLATES)),
                                 autoescape=False)
    data_to = fmt.dates_in_text(v["starts"][1]) if v["starts"] else ""
    css = css_env.get_template("fleet.css").render(
        paper=paper, title_css=pdf._css_string(v["title"]), data_to=data_to, version=__version__)
    return env.get_template("fleet.html.j2").render(
        v=v, charts=charts, pages=pages, command=pdf.verbatim(command),
        versions=pdf.verbatim(versions), css=pdf.verbatim(jinja2.utils.markupsafe.Markup(css)))
