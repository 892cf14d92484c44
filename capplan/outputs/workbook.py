"""plan.xlsx: the scenario workbook finance edits. Inputs are named cells; each scenario's month
table is Excel formulas over them, with capplan's own forecast beside it as plain numbers."""

from __future__ import annotations

import io

RATE = "#,##0.0"
INT = "#,##0"
PCT = "0.0%"
MONEY = "#,##0"
HEADER_FILL = "DDDDDD"


def _text(cell, value):
    """Write text as text: a value from the input that starts with '=' must not become a formula."""
    cell.value = None if value is None else str(value)
    if value is not None:
        cell.data_type = "s"
    return cell


def _implied_growth(start_peak: float, end_peak: float, months: int) -> float:
    """The constant monthly rate that takes start_peak to end_peak in `months` months."""
    if start_peak <= 0 or end_peak <= 0 or months <= 0:
        return 0.0
    return (end_peak / start_peak) ** (1 / months) - 1


def build(doc: dict, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.workbook.defined_name import DefinedName

    wb = Workbook()
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    cap, growth = doc["capacity"], doc["growth"]
    months = doc["months"]
    nom, wc = doc["scenarios"]["nominal"], doc["scenarios"]["worst_case"]
    p0 = doc["planning_peak"]
    fixed = growth["model"] == "fixed growth"
    g_nom = growth["monthly_growth"]
    if fixed:
        g_wc = growth["worst_monthly_growth"] if growth["worst_monthly_growth"] is not None else g_nom
    else:
        g_wc = _implied_growth(p0, wc["months"][-1]["peak"], months)

    # ---- Inputs ---------------------------------------------------------------------------
    ws = wb.active
    ws.title = "Inputs"
    _text(ws["A1"], title).font = Font(bold=True, size=13)
    ws["A2"] = "Edit the blue values; every scenario sheet recalculates from them."
    for col, head in enumerate(("input", "value", "unit", "note"), start=1):
        c = ws.cell(row=4, column=col, value=head)
        c.font, c.fill = bold, fill
    usable_note = "per-instance limit x target utilization (formula)"
    rows = [
        ("current_peak", "Current (planning) peak", p0, "req/s", RATE,
         "capplan's planning peak: " + (doc["load"]["planning_peak"]["method"] if doc.get("load")
                                        else "given with --peak")),
        ("per_instance_limit", "Per-instance limit", cap["per_instance_limit"], "req/s at 100%",
         RATE, cap["limit_source"]),
        ("target_utilization", "Target utilization", cap["target_utilization"], "fraction", PCT,
         "headroom kept on every instance"),
        ("usable_per_instance", "Usable per instance", "=per_instance_limit*target_utilization",
         "req/s", RATE, usable_note),
        ("spare", "Spare instances (N+k)", cap["spare"], "instances", INT, "added on top"),
        ("zones", "Zones", cap["zones"], "zones", INT,
         "survive the loss of one zone when more than 1"),
        ("current_instances", "Instances today", cap["current_instances"] or 0, "instances", INT,
         "today's fleet"),
        ("growth_nominal", "Monthly growth, nominal", g_nom, "per month", PCT,
         "stated with --growth" if fixed else f"{growth['model']}: the fitted model's growth"),
        ("growth_worst_case", "Monthly growth, worst case", g_wc, "per month", PCT,
         "stated with --worst-growth (or equal to nominal)" if fixed else
         f"the constant rate that reaches capplan's worst-case peak at month {months}"),
        ("cost_per_instance", "Cost per instance", doc.get("cost_per_instance") or 0, "per month",
         MONEY, "0 when not given"),
    ]
    blue = Font(color="1F4E9C", bold=True)
    for i, (name, label, value, unit, fmt, note) in enumerate(rows, start=5):
        _text(ws.cell(row=i, column=1), label)
        c = ws.cell(row=i, column=2, value=value)
        c.number_format = fmt
        if not (isinstance(value, str) and value.startswith("=")):
            c.font = blue
        _text(ws.cell(row=i, column=3), unit)
        _text(ws.cell(row=i, column=4), note)
        wb.defined_names[name] = DefinedName(name, attr_text=f"Inputs!$B${i}")
    ev_row = 5 + len(rows) + 2
    _text(ws.cell(row=ev_row - 1, column=1), "Events: in its plan month, an event's peak is the "
          "grown peak at its time x its multiplier").font = bold
    for col, head in enumerate(("event", "plan month", "at (months from start)", "multiplier",
                                "note"), start=1):
        c = ws.cell(row=ev_row, column=col, value=head)
        c.font, c.fill = bold, fill
    events = _event_months(doc)
    ev_names = []
    for j, (name, month, at, mult) in enumerate(events, start=1):
        r = ev_row + j
        _text(ws.cell(row=r, column=1), name)
        ws.cell(row=r, column=2, value=month).font = blue
        c = ws.cell(row=r, column=3, value=at)
        c.font, c.number_format = blue, "0.000"
        c = ws.cell(row=r, column=4, value=mult)
        c.font, c.number_format = blue, "0.00"
        _text(ws.cell(row=r, column=5), "from --event; edit the month, the time or the multiplier")
        for suffix, col in (("month", "B"), ("at", "C"), ("multiplier", "D")):
            wb.defined_names[f"event{j}_{suffix}"] = DefinedName(
                f"event{j}_{suffix}", attr_text=f"Inputs!${col}${r}")
        ev_names.append(j)
    for col, width in zip("ABCDE", (30, 16, 20, 14, 60)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A5"

    # ---- Scenario sheets ------------------------------------------------------------------
    heads = ("month", "ends", "event peak (formula)", "demand (formula)", "base instances",
             "instances (formula)", "add vs today", "cost (formula)",
             "capplan model peak", "capplan model instances")
    sheets = {}
    for key, label, gname in (("nominal", "Nominal", "growth_nominal"),
                              ("worst_case", "Worst case", "growth_worst_case")):
        s = wb.create_sheet(label)
        sheets[key] = s
        _text(s["A1"], f"{label}: demand = current_peak x (1 + {gname})^month, or an event's "
                       "peak when higher; "
                       "instances = ceil(demand / usable_per_instance), zone loss and spares added. "
                       "Columns I and J are capplan's own forecast (plain numbers, not formulas).")
        s["A1"].alignment = Alignment(wrap_text=False)
        for col, head in enumerate(heads, start=1):
            c = s.cell(row=3, column=col, value=head)
            c.font, c.fill = bold, fill
        for i, r in enumerate(doc["scenarios"][key]["months"]):
            row = 4 + i
            s.cell(row=row, column=1, value=r["month"])
            _text(s.cell(row=row, column=2), r["date"])
            terms = ", ".join(
                f"IF(event{j}_month=A{row},current_peak*(1+{gname})^event{j}_at*event{j}_multiplier,0)"
                for j in ev_names)
            s.cell(row=row, column=3, value=f"=MAX(0,{terms})" if terms else 0).number_format = RATE
            s.cell(row=row, column=4,
                   value=f"=MAX(current_peak*(1+{gname})^A{row},C{row})").number_format = RATE
            s.cell(row=row, column=5, value=(
                f'=IF(usable_per_instance>0,MAX(1,ROUNDUP(D{row}/usable_per_instance-1E-9,0)),"")'
            )).number_format = INT
            s.cell(row=row, column=6, value=(
                f'=IF(E{row}="","",IF(zones>1,ROUNDUP(E{row}/(zones-1),0)*zones,E{row})+spare)'
            )).number_format = INT
            s.cell(row=row, column=7, value=f'=IF(F{row}="","",MAX(0,F{row}-current_instances))'
                   ).number_format = INT
            s.cell(row=row, column=8, value=f'=IF(F{row}="","",F{row}*cost_per_instance)'
                   ).number_format = MONEY
            s.cell(row=row, column=9, value=r["peak"]).number_format = RATE
            s.cell(row=row, column=10, value=r["instances"]).number_format = INT
        for col, width in zip("ABCDEFGHIJ", (8, 12, 16, 18, 15, 18, 13, 15, 19, 23)):
            s.column_dimensions[col].width = width
        s.freeze_panes = "A4"

    # ---- Summary --------------------------------------------------------------------------
    sm = wb.create_sheet("Summary", 1)
    _text(sm["A1"], f"{title}: scenarios compared (formulas over the scenario sheets)").font = Font(
        bold=True, size=13)
    last = 3 + months
    for col, head in enumerate(("scenario", f"peak at month {months}",
                                f"instances at month {months}", f"cost at month {months}",
                                "total cost over the horizon", "first month over today's fleet",
                                "capplan runway"), start=1):
        c = sm.cell(row=3, column=col, value=head)
        c.font, c.fill = bold, fill
    for i, (key, label) in enumerate((("nominal", "Nominal"), ("worst_case", "Worst case"))):
        row = 4 + i
        ref = f"'{label}'"
        _text(sm.cell(row=row, column=1), label)
        sm.cell(row=row, column=2, value=f"={ref}!D{last}").number_format = RATE
        sm.cell(row=row, column=3, value=f"={ref}!F{last}").number_format = INT
        sm.cell(row=row, column=4, value=f"={ref}!H{last}").number_format = MONEY
        sm.cell(row=row, column=5, value=f"=SUM({ref}!H4:H{last})").number_format = MONEY
        sm.cell(row=row, column=6, value=(
            f'=IFERROR(INDEX({ref}!A4:A{last},MATCH(1,INDEX(({ref}!F4:F{last}>current_instances)*1,0),0)),'
            '"none in the horizon")'))
        _text(sm.cell(row=row, column=7), doc["scenarios"][key]["runway"] or "beyond the horizon")
    for col, width in zip("ABCDEFG", (14, 20, 24, 20, 26, 28, 20)):
        sm.column_dimensions[col].width = width
    sm.freeze_panes = "A4"

    # ---- Load -----------------------------------------------------------------------------
    ld = wb.create_sheet("Load")
    for col, head in enumerate(("date", "daily peak (req/s)"), start=1):
        c = ld.cell(row=1, column=col, value=head)
        c.font, c.fill = bold, fill
    for i, r in enumerate((doc.get("load") or {}).get("daily_peaks", []), start=2):
        _text(ld.cell(row=i, column=1), r["date"])
        ld.cell(row=i, column=2, value=r["peak"]).number_format = RATE
    ld.column_dimensions["A"].width = 12
    ld.column_dimensions["B"].width = 20
    ld.freeze_panes = "A2"

    # Fixed document dates (the plan's start), so the same plan gives the same file.
    import datetime as dt

    stamp = dt.datetime.fromisoformat(doc["start"])
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.creator = "capplan"
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


def _event_months(doc: dict) -> list[tuple[str, int, float, float]]:
    """(name, plan month, time in months, multiplier) for each month an event lands in, as the
    plan placed it."""
    return [(e["name"], p["month"], p["at_months"], e["multiplier"])
            for e in doc.get("events", []) for p in e.get("in_plan", [])]
