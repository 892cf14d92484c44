"""plan.xlsx: the plan as a workbook finance can edit. Every number capplan prints is a formula
here, over named inputs (blue) and capplan's demand paths (blue, editable, with a growth override
beside them), so a recalculated workbook agrees with plan.json and follows any edit.

Sheets: Summary (today, each scenario's runway, order-by, totals; the events), Inputs (named,
editable facts; derived limits; the events), one month sheet per scenario (peak, instances, cells,
add, in-service and order-by dates, cost, utilizations; the events as that scenario plans them),
one path sheet per scenario (the demand path step by step, as plan.json's
`scenarios.<name>.path`), Load (daily peaks). The formulas follow capacity.py and plan.py; their
templates are in `workbook_formulas.py` and `workbook_scenario.py`. A cell where nothing applies is
blank; dates are real dates; every cost carries the currency.
"""

from __future__ import annotations

import datetime as dt
import io

from capplan.outputs.fmt import plan_cents
from capplan.outputs.fmt import unit as plan_unit
from capplan.outputs.workbook_formulas import Columns, carried_by, col_letter, sizing
from capplan.outputs.workbook_resources import add_resources_sheet
from capplan.outputs.workbook_scenario import (
    DATE,
    DATETIME,
    MONTH_DAYS,
    RATE,
    ScenarioSheets,
    money_format,
)

INT = "#,##0"
PCT = "0.0%"
HEADER_FILL = "DDDDDD"
BLUE = "1F4E9C"
SCENARIOS = (("nominal", "Nominal"), ("worst_case", "Worst case"))


def _text(cell, value):
    """Write text as text: a value from the input that starts with '=' must not become a formula."""
    cell.value = None if value is None else str(value)
    if value is not None:
        cell.data_type = "s"
    return cell


def _styles():
    from openpyxl.styles import Alignment, Font, PatternFill

    return {"bold": Font(bold=True), "title": Font(bold=True, size=13),
            "note": Font(italic=True, color="444444"), "input": Font(color=BLUE, bold=True),
            "printed": Font(color="808080", italic=True), "helper": Font(color="555555"),
            "fill": PatternFill("solid", fgColor=HEADER_FILL),
            "wrap": Alignment(wrap_text=True, vertical="top")}


def build(doc: dict, title: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    st = _styles()
    usl = bool(doc.get("fleet_usl"))
    sized = doc["capacity"].get("per_instance_limit") is not None or usl
    summary = wb.active
    summary.title = "Summary"
    inputs = wb.create_sheet("Inputs")
    event_rows = _write_inputs(wb, inputs, st, doc, title, usl=usl, sized=sized)
    add_resources_sheet(wb, doc)  # --capacity-from: the fitted lines the limit comes from
    sheets = {key: ScenarioSheets(wb, st, doc, key, label, usl=usl, event_rows=event_rows)
              for key, label in SCENARIOS}
    for sc in sheets.values():
        sc.write_path()
    results = {key: sc.write_months() for key, sc in sheets.items()}
    _order_tabs(wb)
    _write_summary(summary, st, doc, title, results, sheets, sized=sized)
    _write_load(wb, st, doc)
    return _save(wb, doc)


def _order_tabs(wb) -> None:
    want = ["Summary", "Inputs", "Nominal", "Worst case", "Nominal path", "Worst case path"]
    order = [wb[n] for n in want if n in wb.sheetnames]
    order += [ws for ws in wb.worksheets if ws.title not in want]
    wb._sheets = order


# ---- Inputs ------------------------------------------------------------------------------

def _input_rows(doc: dict, usl: bool) -> list[tuple]:
    """(name, label, value, unit, number format, note, editable)."""
    cap = doc["capacity"]
    lim = cap.get("limits") or {}
    lat = (lim.get("latency_slo") or {}) if not usl else {}
    fu = doc.get("fleet_usl") or {}
    pp = (doc.get("load") or {}).get("planning_peak") or {}
    cur, unit = doc.get("currency"), plan_unit(doc)
    # The scale-out fit is per second (plan.json's fleet_usl, as usl.json); the plan's X(N) is in
    # its unit, which may have another time base (hires/day: lambda x 86,400).
    from capplan.units import rate_unit

    ru = rate_unit(unit)
    per = ru.seconds if ru.converts and ru.seconds else 1.0
    per_note = (f"the scale-out test's {fu.get('lambda', 0):,.6g} {ru.per_second} "
                f"{ru.conversion()}" if per != 1.0 and usl else "")
    rows = [
        ("plan_start", "Plan start (day 0)", dt.date.fromisoformat(doc["start"][:10]), "date", DATE,
         "the last observation's day, or today for a what-if", False),
        ("current_peak", "Planning peak today", doc["planning_peak"], unit, RATE,
         pp.get("method") or "given with --peak", True),
    ]
    if usl:
        rows += [("usl_sigma", "Scale-out fit: sigma (contention)", fu["sigma"], "", "0.000000",
                  "X(N) = lambda N / (1 + sigma (N-1) + kappa N (N-1)) over instances", True),
                 ("usl_kappa", "Scale-out fit: kappa (coherency)", fu["kappa"], "", "0.000000000",
                  "", True),
                 ("usl_lambda", "Scale-out fit: lambda (X of one)", fu["lambda"] * per, unit,
                  RATE, per_note, True),
                 ("cell_overhead", "Instances each cell needs of its own", cap["cell_overhead"],
                  "instances", INT, "--cell-overhead", True)]
    else:
        rows += [("per_instance_limit", "Per-instance limit (100%)", cap["per_instance_limit"],
                  unit, RATE, cap["limit_source"], True),
                 ("latency_limit_rate", "Latency-SLO rate per instance", lat.get("rate"), unit,
                  RATE, (lat.get("description")
                         or "blank: no latency objective")[:200], True),
                 ("rate_limit_margin", "Rate limit's margin below it", lim.get("margin", 0.1),
                  "fraction", PCT, "the recommended rate limit, and a latency-bound fleet's rate "
                  "per instance, sit this far below the latency-SLO rate", True)]
    rows += [
        ("target_utilization", "Target utilization", cap["target_utilization"], "fraction", PCT,
         "headroom kept on every instance in normal running", True),
        ("degraded_utilization", "Degraded utilization", cap["degraded_utilization"], "fraction",
         PCT, "what the survivors may run at after the loss", True),
        ("zones", "Zones", cap["zones"], "zones", INT, "survive the loss of one when more than 1",
         True),
        ("spare", "Spare instances (N+k)", cap["spare"], "instances", INT, "", True),
        ("current_instances", "Instances today", cap.get("current_instances"), "instances", INT,
         "blank: no fleet today", True),
        ("cost_per_instance", "Cost per instance a month", doc.get("cost_per_instance"),
         cur or "", money_format(cur, plan_cents(doc)), "blank: no cost", True),
        ("lead_time_days", "Lead time", doc.get("lead_time_days") or 0, "days", INT,
         "from order to instances in service", True),
        ("prescale_days", "Pre-scale before an event", doc.get("prescale_days") or 0, "days", INT,
         "an event's capacity is in service this long before it starts", True),
        ("growth_override_nominal", "Growth override, nominal", None, "a month", PCT,
         "blank: capplan's path; given: every step grows at this rate", True),
        ("growth_override_worst_case", "Growth override, worst case", None, "a month", PCT,
         "blank: capplan's path; given: every step grows at this rate", True),
    ]
    return rows


def _derived_rows(usl: bool) -> list[tuple]:
    """(name, label, formula, number format, note)."""
    rows = [("redundant", "A loss is planned for", "=IF(OR(zones>1,spare>0),1,0)", "0",
             "1 when zones > 1 or spare > 0")]
    if usl:
        rows += [("usl_n_max", "Largest fleet or cell (floor N*)",
                  "=IF(usl_kappa>0,MAX(1,INT(SQRT(MAX(1-usl_sigma,0)/usl_kappa)+1E-9)),1000000)",
                  INT, "N* = sqrt((1 - sigma) / kappa): past it, more instances carry less"),
                 ("cell_capacity", "The peak one cell of at most N* carries",
                  "=" + carried_by("usl_n_max", usl=True), RATE,
                  "at the target, the survivors at the degraded utilization"),
                 ("fleet_carries", "Today's fleet carries",
                  '=IF(ISNUMBER(current_instances),' + carried_by(
                      "MIN(current_instances,usl_n_max)", usl=True) + ',"")', RATE,
                  "runs out when the path passes this")]
    else:
        rows += [("utilization_rate", "Rate at the utilization target",
                  '=IF(ISNUMBER(per_instance_limit),per_instance_limit*target_utilization,"")', RATE,
                  "per instance: limit × target"),
                 ("usable_per_instance", "Usable per instance (the binding limit)",
                  "=IF(ISNUMBER(latency_limit_rate),MIN(utilization_rate,"
                  "latency_limit_rate*(1-rate_limit_margin)),utilization_rate)", RATE,
                  "the lower of the two limits (the latency one less the rate limit's margin)"),
                 ("binding", "Binding limit",
                  '=IF(AND(ISNUMBER(latency_limit_rate),'
                  'latency_limit_rate*(1-rate_limit_margin)<utilization_rate),'
                  '"latency SLO","utilization target")', None, ""),
                 ("fleet_carries", "Today's fleet carries",
                  '=IF(ISNUMBER(current_instances),' + carried_by("current_instances", usl=False)
                  + ',"")', RATE, "runs out when the path passes this")]
    return rows


def _write_inputs(wb, ws, st, doc: dict, title: str, *, usl: bool, sized: bool) -> list[int]:
    from openpyxl.workbook.defined_name import DefinedName

    _text(ws["A1"], title).font = st["title"]
    ws["A2"] = ("Edit the blue values: every sheet recalculates from them. Black values are "
                "formulas.")
    ws["A2"].font = st["note"]
    for col, head in enumerate(("input", "value", "unit", "note"), start=1):
        c = ws.cell(row=4, column=col, value=head)
        c.font, c.fill = st["bold"], st["fill"]
    row = 5
    for name, label, value, unit, fmt, note, editable in _input_rows(doc, usl):
        _text(ws.cell(row=row, column=1), label)
        c = ws.cell(row=row, column=2, value=value)
        c.number_format = fmt
        c.font = st["input"] if editable else st["bold"]
        _text(ws.cell(row=row, column=3), unit)
        _text(ws.cell(row=row, column=4), note)
        wb.defined_names[name] = DefinedName(name, attr_text=f"Inputs!$B${row}")
        row += 1
    if doc.get("currency"):
        _text(ws.cell(row=row, column=1), "Currency")
        _text(ws.cell(row=row, column=2), doc["currency"]).font = st["bold"]
        _text(ws.cell(row=row, column=4), "the label of every cost")
        row += 1
    row += 1
    ws.cell(row=row, column=1, value="Derived (formulas)").font = st["bold"]
    row += 1
    for name, label, formula, fmt, note in _derived_rows(usl):
        _text(ws.cell(row=row, column=1), label)
        c = ws.cell(row=row, column=2, value=formula)
        if fmt:
            c.number_format = fmt
        _text(ws.cell(row=row, column=4), note)
        wb.defined_names[name] = DefinedName(name, attr_text=f"Inputs!$B${row}")
        row += 1
    if sized:
        row = _write_today(wb, ws, st, row + 1, usl=usl)
    row += 1
    event_rows = []
    events = doc.get("events") or []
    if events:
        ws.cell(row=row, column=1, value="Events (edit the start, the hours or the "
                "multiplier)").font = st["bold"]
        row += 1
        for col, head in enumerate(("event", "starts (UTC)", "hours", "multiplier"), start=1):
            c = ws.cell(row=row, column=col, value=head)
            c.font, c.fill = st["bold"], st["fill"]
        for e in events:
            row += 1
            _text(ws.cell(row=row, column=1), e["name"])
            c = ws.cell(row=row, column=2, value=dt.datetime.fromisoformat(e["start"]))
            c.number_format, c.font = DATETIME, st["input"]
            c = ws.cell(row=row, column=3, value=e["duration_hours"])
            c.number_format, c.font = "0.##", st["input"]
            c = ws.cell(row=row, column=4, value=e["multiplier"])
            c.number_format, c.font = "0.00", st["input"]
            event_rows.append(row)
    for col, width in zip("ABCD", (40, 18, 14, 70)):
        ws.column_dimensions[col].width = width
    return event_rows


def _write_today(wb, ws, st, row: int, *, usl: bool) -> int:
    """One row sizing today's planning peak (instances needed today and the utilizations), its
    helper columns to the right."""
    from openpyxl.workbook.defined_name import DefinedName

    ws.cell(row=row, column=1, value="Today's planning peak, sized").font = st["bold"]
    cols = Columns(first=2)
    cols.add("peak", "planning peak", "=current_peak", RATE)
    res = sizing(cols, "peak", usl=usl, prefix="t_")
    head, r = row + 1, row + 2
    for c in cols.cols:
        h = ws.cell(row=head, column=cols.index(c.name), value=c.header)
        h.font, h.fill, h.alignment = st["bold"], st["fill"], st["wrap"]
        cell = ws.cell(row=r, column=cols.index(c.name), value=cols.fill(c.template, r))
        if c.number_format:
            cell.number_format = c.number_format
    ws.row_dimensions[head].height = 42
    for key, name in (("instances", "today_instances"), ("utilization", "today_utilization"),
                      ("utilization_after_loss", "today_utilization_after_loss")):
        wb.defined_names[name] = DefinedName(
            name, attr_text=f"Inputs!${cols.letter(res[key])}${r}")
    return r + 1


# ---- Summary -----------------------------------------------------------------------------

def _write_summary(ws, st, doc: dict, title: str, results: dict, sheets: dict, *,
                   sized: bool) -> None:
    _text(ws["A1"], f"{title}: the plan in brief (formulas over the other sheets)").font = st["title"]
    ws["A2"] = (f"Plan from {doc['start'][:10]} for {doc['months']} months. Dates are real dates; "
                "a blank cell means nothing applies (no runway in the horizon, nothing to order).")
    ws["A2"].font = st["note"]
    row = 4
    if sized:
        ws.cell(row=row, column=1, value="Today").font = st["bold"]
        items = [(f"Planning peak ({plan_unit(doc)})", "=current_peak", RATE),
                 ("Instances today", '=IF(ISNUMBER(current_instances),current_instances,"")', INT),
                 ("Instances the planning peak needs", "=today_instances", INT),
                 (f"Today's fleet carries ({plan_unit(doc)})", "=fleet_carries", RATE),
                 ("Utilization, normal running", "=today_utilization", PCT),
                 ("Utilization after the loss", "=today_utilization_after_loss", PCT)]
        if not doc.get("fleet_usl"):
            items.append(("Binding limit", "=binding", None))
        for label, formula, fmt in items:
            row += 1
            _text(ws.cell(row=row, column=1), label)
            c = ws.cell(row=row, column=2, value=formula)
            if fmt:
                c.number_format = fmt
        row += 2
    money = money_format(doc.get("currency"), plan_cents(doc))
    cols = Columns()
    cols.add("scenario", "scenario", None, None, 34)
    if sized:
        cols.add("month1", "instances, month 1", None, INT, 11)
        cols.add("horizon", f"instances, month {doc['months']}", None, INT, 11)
        cols.add("most", "instances, at most", None, INT, 11)
        cols.add("runway_day", "runway, day", None, "0.000", 9)
        cols.add("runway", "runway", '=IF(ISNUMBER({runway_day}),plan_start+INT({runway_day}+1E-6),"")',
                 DATE, 12)
        cols.add("runway_months", "runway, months",
                 f'=IF(ISNUMBER({{runway_day}}),{{runway_day}}/{MONTH_DAYS},"")', "0.00", 9)
        cols.add("in_service_day", "in service, day", None, "0.000", 9)
        cols.add("in_service_by", "in service by",
                 '=IF(ISNUMBER({in_service_day}),plan_start+INT({in_service_day}+1E-6),"")', DATE,
                 12)
        cols.add("order_by", "order by", '=IF(ISNUMBER({in_service_by}),MAX(plan_start,'
                 '{in_service_by}-lead_time_days),"")', DATE, 12)
        cols.add("late", "days late", '=IF(ISNUMBER({in_service_by}),MAX(0,plan_start-'
                 '({in_service_by}-lead_time_days)),"")', "0", 8)
        cols.add("total_cost", "total cost", None, money, 14)
    cols.add("peak_horizon", f"peak, month {doc['months']} ({plan_unit(doc)})", None, RATE, 14)
    head = row
    for c in cols.cols:
        h = ws.cell(row=head, column=cols.index(c.name), value=c.header)
        h.font, h.fill, h.alignment = st["bold"], st["fill"], st["wrap"]
        ws.column_dimensions[col_letter(cols.index(c.name))].width = c.width
    ws.row_dimensions[head].height = 32
    ws.column_dimensions["A"].width = 38
    for i, (key, label) in enumerate(SCENARIOS):
        r = head + 1 + i
        res, sc = results[key], sheets[key]
        mc = res["cols"]
        sheet = f"'{res['sheet']}'"

        def mref(name, row):
            return f"{sheet}!{mc.ref(name, row)}"

        values = {"scenario": doc["scenarios"][key]["label"]}
        formulas = {"peak_horizon": f"={mref('peak', res['last'])}"}
        if sized:
            inst = sc.month_results["instances"]
            letter = mc.letter(inst)
            formulas.update({
                "month1": f"={mref(inst, res['first'])}",
                "horizon": f"={mref(inst, res['last'])}",
                "most": f"=MAX({sheet}!{letter}{res['first']}:{letter}{res['last']})",
                "runway_day": f'=IF(COUNT({sc.prng("need_cand")})>0,MIN({sc.prng("need_cand")}),"")',
                "in_service_day": (f'=IF(COUNT({sc.prng("in_service_cand")})>0,'
                                   f'MIN({sc.prng("in_service_cand")}),"")'),
                "total_cost": (f'=IF(ISNUMBER(cost_per_instance),SUM({sheet}!{mc.letter("cost")}'
                               f'{res["first"]}:{mc.letter("cost")}{res["last"]}),"")')})
        for c in cols.cols:
            cell = ws.cell(row=r, column=cols.index(c.name))
            if c.name in values:
                _text(cell, values[c.name])
            elif c.name in formulas:
                cell.value = formulas[c.name]
            elif c.template:
                cell.value = cols.fill(c.template, r)
            if c.number_format:
                cell.number_format = c.number_format
    row = head + 4
    if sized and doc.get("events"):
        row = _summary_events(ws, st, doc, row, results, sheets, money)
    ws.freeze_panes = ws.cell(row=head + 1, column=2)


def _summary_events(ws, st, doc, row, results, sheets, money) -> int:
    ws.cell(row=row, column=1, value="Events (as each scenario plans them)").font = st["bold"]
    row += 1
    heads = ("event", "scenario", f"peak ({plan_unit(doc)})", "instances", "add", "in service by",
             "order by", "days late")
    for col, h in enumerate(heads, start=1):
        c = ws.cell(row=row, column=col, value=h)
        c.font, c.fill = st["bold"], st["fill"]
    for i, _ in enumerate(doc["events"]):
        for key, label in SCENARIOS:
            row += 1
            res, sc = results[key], sheets[key]
            ev = res["events"]
            cols, r = ev["cols"], ev["first"] + i
            sheet = f"'{res['sheet']}'"
            ws.cell(row=row, column=1, value=f"={sheet}!{cols.ref('name', r)}")
            _text(ws.cell(row=row, column=2), label.lower())
            refs = (("peak", RATE), (sc.event_results["instances"], INT), ("add", INT),
                    ("in_service_by", DATE), ("order_by", DATE), ("late", "0"))
            for col, (name, fmt) in enumerate(refs, start=3):
                c = ws.cell(row=row, column=col, value=f"={sheet}!{cols.ref(name, r)}")
                c.number_format = fmt
    return row + 2


# ---- Load --------------------------------------------------------------------------------

def _write_load(wb, st, doc: dict) -> None:
    peaks = (doc.get("load") or {}).get("daily_peaks") or []
    if not peaks:
        return
    ld = wb.create_sheet("Load")
    for col, head in enumerate(("date", f"daily peak ({doc['load']['unit']})"), start=1):
        c = ld.cell(row=1, column=col, value=head)
        c.font, c.fill = st["bold"], st["fill"]
    for i, r in enumerate(peaks, start=2):
        c = ld.cell(row=i, column=1, value=dt.date.fromisoformat(r["date"]))
        c.number_format = DATE
        ld.cell(row=i, column=2, value=r["peak"]).number_format = RATE
    ld.column_dimensions["A"].width = 13
    ld.column_dimensions["B"].width = 20
    ld.freeze_panes = "A2"


# ---- the file ----------------------------------------------------------------------------

def _save(wb, doc: dict) -> bytes:
    # Fixed document dates (the plan's start), so the same plan gives the same file.
    stamp = dt.datetime.fromisoformat(doc["start"][:10])
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.creator = "capplan"
    wb.calculation.fullCalcOnLoad = True  # Excel and LibreOffice compute every formula on open
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip(buf.getvalue(), stamp)


def _fixed_zip(data: bytes, stamp) -> bytes:
    """Rewrite the .xlsx zip with fixed entry times and a fixed 'modified' date (openpyxl stamps
    both with the clock), so the same plan gives the same bytes."""
    import re
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + iso, body)
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, body)
    return out.getvalue()
