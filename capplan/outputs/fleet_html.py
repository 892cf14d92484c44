"""fleet.html: the fleet report as one interactive page that works offline (plotly.js inlined
once): totals by month, services at risk with their charts, every service in a table that filters
and sorts, the failures and the inputs."""

from __future__ import annotations

from html import escape

from capplan.fleet.model import FleetResult
from capplan.outputs.fmt import DEFAULT_UNIT, dates_in_text, day, signed_pct

SCRIPT = """
function sortBy(th){const t=th.closest('table'),i=[...th.parentNode.children].indexOf(th),
b=t.tBodies[0],asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';
const key=td=>{const s=td.dataset.v!==undefined?td.dataset.v:td.textContent;const n=parseFloat(s);
return isNaN(n)||s.match(/^\\d{4}-/)?s:n};
[...b.rows].sort((x,y)=>{const p=key(x.cells[i]),q=key(y.cells[i]);
return (p>q?1:p<q?-1:0)*(asc?1:-1)}).forEach(r=>b.appendChild(r))}
function filterRows(box){const q=box.value.toLowerCase();
for(const r of document.getElementById('services').tBodies[0].rows)
r.style.display=r.cells[0].textContent.toLowerCase().includes(q)?'':'none'}
"""

STYLE = """body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1200px;margin:2em auto;color:#111}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border-bottom:1px solid #999;padding:3px 8px;
text-align:right}th{background:#eee;cursor:pointer}td.l,th.l{text-align:left}
details{margin:.3em 0}summary{cursor:pointer;font-weight:bold}.mono{font-family:monospace;font-size:.85em}
.scroll{overflow-x:auto;max-width:100%}html{overflow-y:scroll}"""


def _n(x) -> str:
    return "" if x is None else f"{x:,}"


def _money(x, cents: bool) -> str:
    from capplan.outputs import fmt

    return fmt.money(x, None, "", cents=cents)


def _rate(x) -> str:
    from capplan.outputs import fmt

    return fmt.rate(x, "")


def _td(text, left=False, value=None) -> str:
    v = "" if value is None else f' data-v="{escape(str(value))}"'
    return f'<td{" class=l" if left else ""}{v}>{escape(str(text))}</td>'


def _table(heads, rows, table_id=None) -> str:
    ident = f' id="{table_id}"' if table_id else ""
    head = "".join(f'<th class="{"l" if left else ""}" onclick="sortBy(this)">{escape(h)}</th>'
                   for h, left in heads)
    # A wide table scrolls in its own box (a narrow window, a long path): the page does not.
    return (f'<div class="scroll"><table{ident}><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _totals(v: dict, cur: str):
    """The totals table's heads and rows; cost columns only when the fleet's costs add up."""
    heads = [("month", False), ("ends", True)]
    for name, label in (("nominal", "nominal"), ("worst_case", "worst-case")):
        heads += [(f"{label} instances", False), ("add", False)]
        heads += [(f"cost{cur}", False)] if v["any_cost"] else []
    rows = []
    for r in v["rows"]:
        cells = [_td(r["month"], value=r["month"]), _td(day(r["date"], ""), True, value=r["date"])]
        for name in ("nominal", "worst_case"):
            m = r[name]
            cells += [_td(_n(m.instances), value=m.instances), _td(_n(m.add), value=m.add)]
            cells += [_td(_money(m.cost, v["cents"]), value=m.cost)] if v["any_cost"] else []
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return heads, rows


def render(result: FleetResult, title: str) -> bytes:
    import plotly.io as pio

    from capplan.outputs import fleet_charts as fc
    from capplan.outputs.fleet_pdf import at_risk_services, view

    v = view(result, title)
    data_to = ""
    if v["starts"]:
        first, last = (day(d) for d in v["starts"])
        data_to = f"; data to {first}" if first == last else f"; data to {first} – {last}"
    parts = [f"<h1>{escape(title)}</h1><p>{v['n_planned']:,} of {v['n_total']:,} services "
             f"planned from {escape(v['source'])} ({escape(v['form'])}); horizon {v['months']} "
             f"month(s){data_to}"
             f"{'; ' + str(v['n_failed']) + ' failed' if v['n_failed'] else ''}.</p>"]
    cur = f" ({v['currency']})" if v["currency"] else ""
    if v["any_sized"]:
        parts += ["<h2>Totals by month</h2>", fc.totals_figure(result, v["today"] or None)]
        parts.append(_table(*_totals(v, cur)))
        if v["any_service_cost"] and not v["any_cost"]:
            parts.append("<p>Costs are not added up: the services' costs are in different "
                         "currencies (see the notes below).</p>")
    risk = [f"<tr>{_td(a['name'], True)}{_td(a['scenario'].replace('_', ' '), True)}"
            f"{_td(day(a['runway'], ''), value=a['runway'])}"
            + _td(dates_in_text(a["order_text"]) if a["order_by"] else "", value=a["order_by"])
            + "</tr>" for a in v["at_risk"]]
    parts.append(f"<h2>At risk ({len(risk):,}), earliest runway first</h2>" + (_table(
        [("service", True), ("scenario", True), ("runway", False), ("order by", False)], risk)
        if risk else "<p>No service runs out within the horizon.</p>"))
    parts.append("<p>Peaks are in req/s unless the cell names the service's unit (its --unit).</p>")
    for s in at_risk_services(result):
        parts += [f"<details><summary>{escape(s.name)}</summary>",
                  fc.service_figure(s.name, s.plan()), "</details>"]
    rows = []
    for r in v["services"]:
        ln, lw = r["last"]["nominal"], r["last"]["worst_case"]
        growth = "" if r["growth"] is None else signed_pct(r["growth"])
        unit = "" if r["unit"] == DEFAULT_UNIT else f" {r['unit']}"
        order = dates_in_text(r["order"]["nominal"]) if r["nominal"].order_by else ""
        cost = ln.cost if ln else None
        cost_text = "" if cost is None else _money(cost, v["cents"]) + (
            "" if v["currency"] or not r["currency"] else f" {r['currency']}")
        rows.append(f"<tr>{_td(r['name'], True)}{_td(_rate(r['peak']) + unit, value=r['peak'])}"
                    f"{_td(r['model'], True)}"
                    f"{_td(growth, value=r['growth'])}"
                    f"{_td(_n(r['current']), value=r['current'])}"
                    f"{_td(_n(r['needed']), value=r['needed'])}"
                    f"{_td(_n(ln.instances if ln else None), value=ln.instances if ln else None)}"
                    f"{_td(_n(lw.instances if lw else None), value=lw.instances if lw else None)}"
                    f"{_td(day(r['nominal'].runway, ''), value=r['nominal'].runway)}"
                    f"{_td(order, value=r['nominal'].order_by)}"
                    f"{_td(day(r['worst_case'].runway, ''), value=r['worst_case'].runway)}"
                    + (_td(cost_text, value=cost) if v["any_service_cost"] else "") + "</tr>")
    parts.append('<h2>All services</h2><input placeholder="filter by name" '
                 'oninput="filterRows(this)">' + _table(
                     [("service", True), ("peak today", False), ("growth model", True),
                      ("a month", False), ("instances today", False), ("needed today", False),
                      (f"month {v['months']} nominal", False), ("worst", False),
                      ("runway", False), ("order by", False), ("runway worst", False)]
                     + ([(f"month {v['months']} cost{cur}", False)]
                        if v["any_service_cost"] else []),
                     rows, "services"))
    if v["failed"]:
        parts.append("<h2>Failed</h2>" + _table(
            [("service", True), ("error", True)],
            [f"<tr>{_td(f['name'], True)}{_td(f['error'], True)}</tr>" for f in v["failed"]]))
    parts.append("<h2>Inputs</h2>" + _table(
        [("role", True), ("service", True), ("path", True), ("sha256", True)],
        [f"<tr>{_td(i.role, True)}{_td(i.service or '', True)}{_td(i.path, True)}"
         f"<td class='l mono'>{escape(i.sha256)}</td></tr>" for i in v["inputs"]]))
    for n in v["notes"]:
        parts.append(f"<p>note: {escape(dates_in_text(n))}</p>")
    html_parts, n = [], 0
    for part in parts:
        if isinstance(part, str):
            html_parts.append(part)
            continue
        # The page's width, and again on a resize (the PDF's fixed width is not the window's).
        part.update_layout(width=None, autosize=True)
        html_parts.append(pio.to_html(part, full_html=False, include_plotlyjs=n == 0,
                                      div_id=f"chart-{n}", default_width="100%",
                                      config={"displaylogo": False, "responsive": True}))
        n += 1
    body = "".join(html_parts)
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
            f"</title><style>{STYLE}</style><script>{SCRIPT}</script></head><body>{body}"
            "</body></html>")
    return page.encode("utf-8")
