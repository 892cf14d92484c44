"""plan.xlsx's `Resources` sheet (a plan whose limit was fitted from production metrics,
`forecast --capacity-from`): each resource's fitted line as editable inputs, its limit as a
formula, the binding one, and the per-instance limit the plan uses, which the Inputs sheet's
`per_instance_limit` then references, so editing a slope or an intercept moves the whole plan.

The formulas are the ones `resources.limit_interval` and `resources.limit_for_plan` compute:
limit = (target - intercept) / slope at the target utilization (0 when the idle baseline is
already at the target; blank when utilization does not rise with throughput), or, where the
relation curves upwards and capplan's limit is the quadratic's (`limit_method`), the quadratic's
rising root (-c1 + sqrt(c1^2 - 4 c2 (c0 - target))) / (2 c2); the binding limit
the lowest, the plan's limit at 100% = binding / target. The target is the Inputs sheet's
`target_utilization` (one target for the whole workbook: edit it there). The 95% intervals need
the fit's covariance and are printed as capplan computed them (grey), not recalculated.
"""

from __future__ import annotations

RATE = "#,##0.00"
FRACTION = "0.0%"
SLOPE = "0.000000"


def add_resources_sheet(wb, doc: dict) -> None:
    """Add the sheet when plan.json's `capacity.resources` is set; else leave the workbook alone."""
    cap = doc["capacity"]
    resources = cap.get("resources")
    if not resources or cap.get("per_instance_limit") is None or "per_instance_limit" not in \
            wb.defined_names:
        return
    from openpyxl.styles import Font, PatternFill
    from openpyxl.workbook.defined_name import DefinedName

    bold, blue = Font(bold=True), Font(color="1F4E9C", bold=True)
    grey, fill = Font(color="808080", italic=True), PatternFill("solid", fgColor="DDDDDD")
    highlight = PatternFill("solid", fgColor="FFF2CC")
    ws = wb.create_sheet("Resources")
    ws["A1"] = "Resources: the per-instance limit fitted from production metrics"
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = ("utilization = intercept + slope x throughput per instance (a fraction; Huber "
                "line), or c0 + c1 x + c2 x² where the relation curves upwards (the quadratic "
                "columns are filled): the limit is where it reaches the target. Edit the blue "
                "coefficients: each limit, the binding one and the plan's per-instance limit "
                "(Inputs) follow. The target is Inputs' target utilization.")
    ws["A2"].font = Font(italic=True, color="444444")
    ws["A4"], ws["B4"] = "Target utilization", "=target_utilization"
    ws["B4"].number_format = FRACTION
    ws["C4"] = "from Inputs (edit it there)"
    from capplan.outputs.fmt import unit as plan_unit

    unit = plan_unit(doc)
    heads = ("resource", "intercept (idle)", f"slope (per {unit})", f"limit at the target ({unit})",
             "capplan: limit", "capplan: 95% low", "capplan: 95% high", "R²", "linear",
             "binding (capplan)", "quadratic c0", f"quadratic c1 (per {unit})",
             f"quadratic c2 (per {unit}²)")
    head_row = 6
    for col, text in enumerate(heads, start=1):
        c = ws.cell(row=head_row, column=col, value=text)
        c.font, c.fill = bold, fill
    first = head_row + 1
    for i, r in enumerate(resources):
        row = first + i
        ws.cell(row=row, column=1, value=str(r["name"])).data_type = "s"
        for col, key, fmt in ((2, "intercept", FRACTION), (3, "slope", SLOPE)):
            c = ws.cell(row=row, column=col, value=r[key])
            c.number_format, c.font = fmt, blue
        line = f'IF(C{row}>0,MAX(0,($B$4-B{row})/C{row}),"")'
        if r.get("limit_method") == "quadratic":
            # The relation curves upwards and the limit is where the quadratic reaches the
            # target on its rising part: (-c1 + sqrt(c1^2 - 4 c2 (c0 - target))) / (2 c2).
            for col, value in zip((11, 12, 13), r["quadratic"]):
                c = ws.cell(row=row, column=col, value=value)
                c.number_format, c.font = SLOPE, blue
            k, m, q = f"K{row}", f"L{row}", f"M{row}"
            line = (f'IF(AND(ISNUMBER({q}),{q}<>0),MAX(0,(-{m}+SQRT(MAX(0,{m}^2-4*{q}*({k}-$B$4))))'
                    f'/(2*{q})),{line})')
        c = ws.cell(row=row, column=4, value="=" + line)
        c.number_format = RATE
        for col, key in ((5, "limit"), (6, "limit_low"), (7, "limit_high")):
            c = ws.cell(row=row, column=col, value=r.get(key))
            c.number_format, c.font = RATE, grey
        c = ws.cell(row=row, column=8, value=r.get("r_squared"))
        c.number_format, c.font = "0.000", grey
        ws.cell(row=row, column=9, value="yes" if r.get("linear") else "no").font = grey
        ws.cell(row=row, column=10, value="binding" if r.get("binding") else "").font = grey
        if r.get("binding"):
            for col in range(1, len(heads) + 1):
                ws.cell(row=row, column=col).fill = highlight
    last = first + len(resources) - 1
    rng = f"$D${first}:$D${last}"
    row = last + 2
    derived = (
        ("resources_binding_limit", "Binding limit at the target (the lowest)",
         f'=IF(COUNT({rng})>0,MIN({rng}),"")', RATE),
        ("resources_binding", "Binding resource",
         f'=IF(COUNT({rng})>0,INDEX($A${first}:$A${last},MATCH(MIN({rng}),{rng},0)),"")', None),
        ("resources_plan_limit", "Per-instance limit the plan uses (at 100%)",
         '=IF(ISNUMBER(resources_binding_limit),resources_binding_limit/$B$4,"")', RATE),
    )
    for name, label, formula, fmt in derived:
        ws.cell(row=row, column=1, value=label).font = bold
        c = ws.cell(row=row, column=2, value=formula)
        if fmt:
            c.number_format = fmt
        wb.defined_names[name] = DefinedName(name, attr_text=f"Resources!$B${row}")
        row += 1
    ws.cell(row=row, column=1, value="binding / target: the plan multiplies it by the target "
            "again, so it sizes with the binding limit itself").font = Font(italic=True)
    # The Inputs sheet's limit now follows this sheet.
    sheet, ref = wb.defined_names["per_instance_limit"].attr_text.split("!")
    cell = wb[sheet][ref.replace("$", "")]
    cell.value = "=resources_plan_limit"
    cell.font = Font(bold=True)
    note = cell.offset(column=2)
    note.value = ("from the Resources sheet (binding limit / target): edit the fitted lines there; "
                  + str(cap.get("limit_source") or ""))[:250]
    _instance_ranges(ws, doc, row + 2, bold, grey, fill)
    ws.column_dimensions["A"].width = 44
    for col in "BCDEFGHIJ":
        ws.column_dimensions[col].width = 16


def _instance_ranges(ws, doc: dict, top: int, bold, grey, fill) -> None:
    """Each month's instances at the two ends of the plan limit's 95% interval, as plan.json and
    the PDF give them (capplan's figures, grey: the interval needs the fit's covariance, so it is
    not recalculated from the edited lines). The high end of the limit needs the fewest."""
    from capplan.outputs.fmt import unit as plan_unit

    pl = doc["capacity"].get("plan_limit") or {}
    ws.cell(row=top, column=1, value="Instances over the limit's 95% interval (capplan's "
            "figures, not recalculated)").font = bold
    ws.cell(row=top + 1, column=1, value=(
        f"plan limit at 100%: {_rate(pl.get('limit'))} {plan_unit(doc)}, 95% interval "
        f"{_rate(pl.get('limit_low'))} to {_rate(pl.get('limit_high'))}; "
        "blank: that end is unbounded")).font = grey
    heads = ("month", "nominal: instances", "nominal: at the high limit (fewest)",
             "nominal: at the low limit (most)", "worst case: instances",
             "worst case: at the high limit (fewest)", "worst case: at the low limit (most)")
    for col, text in enumerate(heads, start=1):
        c = ws.cell(row=top + 2, column=col, value=text)
        c.font, c.fill = bold, fill
    nominal = doc["scenarios"]["nominal"]["months"]
    worst = doc["scenarios"]["worst_case"]["months"]
    for i, (n, w) in enumerate(zip(nominal, worst)):
        row = top + 3 + i
        ws.cell(row=row, column=1, value=n["month"])
        for col, m, key in ((2, n, "instances"), (3, n, "instances_low"), (4, n, "instances_high"),
                            (5, w, "instances"), (6, w, "instances_low"), (7, w, "instances_high")):
            c = ws.cell(row=row, column=col, value=m.get(key))
            c.number_format, c.font = "#,##0", grey


def _rate(x) -> str:
    return "unbounded" if x is None else f"{x:,.2f}"
