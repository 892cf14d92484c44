"""fleet.pdf for the capacity review: Jinja2 (autoescape on) renders templates/fleet.html.j2 from
`view(result)`, weasyprint lays it out. Page 1: the services at risk, ranked by runway, and the
totals by month with a chart; then a compact page per service at risk; a table of all services;
an appendix with every input's sha256 and the failures. Computes nothing of its own: every
number is a plan's or the roll-up's.
"""

from __future__ import annotations

from capplan.fleet.model import SCENARIOS, FleetResult
from capplan.outputs import pdf

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
            "worst_case": sm.scenarios["worst_case"], "cost_per_instance": sm.cost_per_instance}


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
    return {
        "title": title, "source": result.source, "form": result.form, "months": result.months,
        "starts": result.starts, "n_total": len(result.services), "n_planned": len(planned),
        "n_failed": len(result.failed), "today": today,
        "any_sized": any(r.services_sized for r in nom),
        "any_cost": any(r.services_costed for r in nom),
        "n_sized": max((r.services_sized for r in nom), default=0),
        "last": {"nominal": nom[-1] if nom else None, "worst_case": wc[-1] if wc else None},
        "rows": _month_rows(result), "at_risk": result.at_risk, "first_rows": FIRST_PAGE_AT_RISK,
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


def render_html(v: dict, charts: dict, pages: list, *, paper: str, command: str,
                versions: str) -> str:
    import jinja2

    from capplan import __version__

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(pdf.TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined)
    env.filters.update(pdf.FILTERS)
    env.filters["n"] = lambda x: "–" if x is None else f"{x:,}"
    env.filters["scenario"] = lambda x: x.replace("_", " ")
    css_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(pdf.TEMPLATES)),
                                 autoescape=False)
    data_to = v["starts"][1] if v["starts"] else ""
    css = css_env.get_template("fleet.css").render(
        paper=paper, title_css=pdf._css_string(v["title"]), data_to=data_to, version=__version__)
    return env.get_template("fleet.html.j2").render(
        v=v, charts=charts, pages=pages, command=command, versions=versions,
        css=jinja2.utils.markupsafe.Markup(css))
