"""One scenario in the workbook: its demand path (step by step, as plan.json's
`scenarios.<name>.path`), the events on it, and its month table, all formulas over the Inputs.

The path sheet holds capplan's path as an editable (blue) input column with a growth override
beside it; the demand used is the path, or, where an override is given (in the row, or for the
whole scenario on Inputs), the previous step's demand grown at that rate. From the demand: each
step's peak (an event's step where it is higher), whether today's fleet carries it, and when it
stops doing so (log-linear between grid points, as capplan.demand.crossing_day). The month sheet
reads the path: a month's peak is its highest step, instances by the sizing rule, the first day
more instances must be in service, order-by dates, cost. Below the month table, the events as this
scenario plans them.
"""

from __future__ import annotations

from copy import copy

from capplan.outputs.fmt import plan_cents
from capplan.outputs.workbook_formulas import (Columns, alternative, carried_by, col_letter,
                                                sizing)

MONTH_DAYS = 365.25 / 12
DATE = "d mmm yyyy"
DATETIME = "d mmm yyyy hh:mm"
RATE = "#,##0.0"
PATH_FIRST_ROW = 6
MONTH_HEAD = 5  # the month table's header row
HAS = "\x02has\x02"  # the fleet-has threshold of a step's month, resolved once the month sheet is laid out


def money_format(currency: str | None, cents: bool = False) -> str:
    """A cost's number format: to the cent when any of the plan's costs is not whole
    (`fmt.plan_cents`, as the page and the terminal show them), with the currency label."""
    number = "#,##0.00" if cents else "#,##0"
    if not currency:
        return number
    label = "".join(ch for ch in currency if ch not in '"\\')
    return f'{number}" {label}"'


class ScenarioSheets:
    """The path sheet and the month sheet of one scenario (see the module docstring)."""

    def __init__(self, wb, styles, doc: dict, key: str, label: str, *, usl: bool,
                 event_rows: list[int]):
        """`event_rows`: the Inputs rows of the events, in plan.json's order."""
        self.wb, self.st, self.doc, self.key, self.label = wb, styles, doc, key, label
        self.usl, self.event_rows = usl, event_rows
        self.scn = doc["scenarios"][key]
        self.n = len(self.scn["path"])
        self.path_name = f"{label} path"
        self.sized = doc["capacity"].get("per_instance_limit") is not None or usl
        self.currency = doc.get("currency")
        self.cents = plan_cents(doc)
        self.path_cols = self._path_columns_stub()
        self.ev_top = 5 + len(self.scn["months"]) + 3
        self.ev = self.events_ranges(self.ev_top) if event_rows else None

    def _path_columns_stub(self) -> Columns:
        """The path sheet's first columns (the event table refers to them before the sheet is
        written)."""
        cols = Columns()
        for name in ("step", "day", "date", "month", "path", "override", "demand"):
            cols.add(name, name)
        return cols

    def ev_inputs_row(self, i: int) -> int:
        return self.event_rows[i]

    # ---- references into the path sheet ----------------------------------------------------
    def prng(self, col: str) -> str:
        letter = self.path_cols.letter(col)
        last = PATH_FIRST_ROW + self.n - 1
        return f"'{self.path_name}'!${letter}${PATH_FIRST_ROW}:${letter}${last}"

    # ---- the path ---------------------------------------------------------------------------
    def write_path(self) -> None:
        ws = self.wb.create_sheet(self.path_name)
        cols = Columns()
        override = f"growth_override_{self.key}"
        cols.add("step", "step j", None, "0", 7)
        cols.add("day", "day t_j (after the start)", None, "0.0000", 11)
        cols.add("date", "date", "=plan_start+INT({day}+1E-6)", DATE, 12)
        cols.add("month", "month", None, "0", 7)
        cols.add("path", "capplan's path (edit)", None, RATE, 14, kind="input")
        cols.add("override", "growth override a month (blank: the path)", None, "0.0%", 14,
                 kind="input")
        prev_g = "IF({step}=0,current_peak,{prev_demand})"
        prev_t = "IF({step}=0,0,{prev_day})"
        cols.add("demand", "demand used",
                 f"=IF(ISNUMBER({{override}}),{prev_g}*(1+{{override}})^(({{day}}-{prev_t})/"
                 f"{MONTH_DAYS}),IF(ISNUMBER({override}),{prev_g}*(1+{override})^(({{day}}-"
                 f"{prev_t})/{MONTH_DAYS}),{{path}}))", RATE, 13)
        cols.add("base", "step peak without events", "=IF({step}=0,MAX({demand},current_peak),"
                 "{demand})", RATE, 13)
        ev = self.ev
        cols.add("event_step", "event step", f"=_xlfn.MAXIFS({ev['peak']},{ev['first']},\"<=\"&"
                 f"{{step}},{ev['last']},\">=\"&{{step}})" if ev else "=0", RATE, 11)
        cols.add("peak", "step peak", "=MAX({base},{event_step})", RATE, 13)
        cols.add("event", "event", (f'=IF({{event_step}}>{{base}},INDEX({ev["name"]},MATCH(1,'
                                    f'INDEX(({ev["first"]}<={{step}})*({ev["last"]}>={{step}})*'
                                    f'({ev["peak"]}={{event_step}}),0),0)),"")') if ev else '=""',
                 None, 12)
        # What the fleet has going into the step's month carries (today's fleet, then every
        # earlier month's need: capplan.plan); resolved to the month sheet below.
        thr = HAS if self.sized else "fleet_carries"
        cols.add("over", "over what the fleet has carries",
                 f"=IF(ISNUMBER({thr}),IF({{base}}>{thr},1,0),0)", "0", 9, kind="helper")
        v0, t0 = prev_g, prev_t
        cols.add("crossing", "day the path passes it",
                 f'=IF({{over}}=1,IF({v0}>{thr},{t0},IF(AND({v0}>0,{v0}<{thr},{thr}<{{demand}}),'
                 f'{t0}+(LN({thr})-LN({v0}))/(LN({{demand}})-LN({v0}))*({{day}}-{t0}),{{day}})),"")',
                 "0.000", 11, kind="helper")
        match = (f'{ev["first"]},"<="&{{step}},{ev["last"]},">="&{{step}},{ev["over"]},1,'
                 f'{ev["peak"]},">"&{thr}' if ev else None)
        cols.add("event_in_service", "event: in service from day",
                 f'=IF(COUNTIFS({match})>0,_xlfn.MINIFS({ev["in_service_day"]},{match}),"")'
                 if ev else '=""', "0.000", 11, kind="helper")
        cols.add("event_need", "event: needed from day",
                 f'=IF(ISNUMBER({{event_in_service}}),MAX(_xlfn.MINIFS({ev["start_day"]},{match}),'
                 f'{t0},0),"")' if ev else '=""', "0.000", 11, kind="helper")
        cols.add("in_service_cand", "more than the fleet has in service by day",
                 '=IF(AND(NOT(ISNUMBER({crossing})),NOT(ISNUMBER({event_in_service}))),"",'
                 'MIN({crossing},{event_in_service}))', "0.000", 12, kind="helper")
        cols.add("need_cand", "more than the fleet has needed from day",
                 '=IF(AND(NOT(ISNUMBER({crossing})),NOT(ISNUMBER({event_need}))),"",'
                 'MIN({crossing},{event_need}))', "0.000", 12, kind="helper")
        cols.add("printed_peak", "capplan's step peak (printed)", None, RATE, 14, kind="printed")
        self.path_cols = cols
        if self.sized:
            self.month_cols = self.month_columns()
            letter = self.month_cols.letter("has_carries")
            last = MONTH_HEAD + len(self.scn["months"])
            has = (f"INDEX('{self.label}'!${letter}${MONTH_HEAD + 1}:${letter}${last},"
                   f"{{month}})")
            for c in cols.cols:
                if c.template is not None and HAS in c.template:
                    c.template = c.template.replace(HAS, has)
        self._title(ws, f"{self.scn['label'][:1].upper()}{self.scn['label'][1:]}: the demand path, "
                    "30 steps a month (plan.json scenarios." + self.key + ".path)",
                    "Blue: capplan's path, editable, and a growth override a month beside it "
                    "(blank: the path; given: from the step before, grown at that rate; "
                    f"growth_override_{self.key} on Inputs applies it to every step). Events are "
                    "steps over their windows (see the month sheet).")
        self._headers(ws, cols, PATH_FIRST_ROW - 1)
        for i, r in enumerate(self.scn["path"]):
            row = PATH_FIRST_ROW + i
            for c in cols.cols:
                cell = ws.cell(row=row, column=cols.index(c.name))
                if c.template is not None:
                    cell.value = cols.fill(c.template, row)
                elif c.name == "step":
                    cell.value = i
                elif c.name == "day":
                    cell.value = r["day"]
                elif c.name == "month":
                    cell.value = r["month"]
                elif c.name == "path":
                    cell.value = r["base"]
                elif c.name == "printed_peak":
                    cell.value = r["peak"]
                self._style(cell, c)
        ws.freeze_panes = ws.cell(row=PATH_FIRST_ROW, column=3)

    # ---- events on this path ----------------------------------------------------------------
    def event_columns(self) -> Columns:
        """The per-event table below the month table (columns from A)."""
        p, ev = self.prng, "{"
        cols = Columns()
        cols.add("name", "event", None, None, 16)
        cols.add("start_day", "starts, day", None, "0.000", 10, kind="helper")
        cols.add("end_day", "ends, day", None, "0.000", 10, kind="helper")
        cols.add("a", "window from (within the plan)", "=MAX({start_day},0)", "0.000", 10,
                 kind="helper")
        cols.add("b", "window to", f"=MIN({{end_day}},INDEX({p('day')},{self.n}))", "0.000", 10,
                 kind="helper")
        for side in ("a", "b"):
            t = "{" + side + "}"
            cols.add(f"j_{side}", f"steps before {side}", f"=SUMPRODUCT(--({p('day')}<{t}))", "0",
                     8, kind="helper")
            j = "{" + f"j_{side}" + "}"
            t0 = f"IF({j}=0,0,INDEX({p('day')},{j}))"
            v0 = f"IF({j}=0,current_peak,INDEX({p('demand')},{j}))"
            t1 = f"INDEX({p('day')},{j}+1)"
            v1 = f"INDEX({p('demand')},{j}+1)"
            interp = (f"IF({t}<={t0},{v0},IF({t}>={t1},{v1},IF(AND({v0}>0,{v1}>0),EXP(LN({v0})+"
                      f"({t}-{t0})/({t1}-{t0})*(LN({v1})-LN({v0}))),{v0}+({t}-{t0})/({t1}-{t0})*"
                      f"({v1}-{v0}))))")
            cols.add(f"v_{side}", f"path at {side}",
                     f"=IF({t}<=0,current_peak,IF({j}>={self.n},INDEX({p('demand')},{self.n}),"
                     f"{interp}))", RATE, 11, kind="helper")
        cols.add("inner", "path's highest grid point inside",
                 f"=SUMPRODUCT(MAX(({p('day')}>{{a}})*({p('day')}<{{b}})*{p('demand')}))", RATE, 11,
                 kind="helper")
        cols.add("inside", "in the plan", "=IF({a}<={b},1,0)", "0", 7, kind="helper")
        cols.add("path_peak", "path's peak over the window",
                 '=IF({inside}=1,MAX({v_a},{v_b},{inner}),"")', RATE, 12)
        cols.add("multiplier", "×", None, "0.00", 6)
        cols.add("peak", "event peak", '=IF({inside}=1,{multiplier}*{path_peak},0)', RATE, 12)
        cols.add("first_j", "first step", f"=MAX(0,SUMPRODUCT(--({p('day')}<{{start_day}})))", "0",
                 7, kind="helper")
        cols.add("last_j", "last step",
                 f"=MIN({self.n - 1},SUMPRODUCT(--({p('day')}<{{end_day}})))", "0", 7,
                 kind="helper")
        valid = "AND({inside}=1,{end_day}>0,{first_j}<={last_j})"
        cols.add("first", "steps from", f"=IF({valid},{{first_j}},-1)", "0", 7, kind="helper")
        cols.add("last", "steps to", f"=IF({valid},{{last_j}},-2)", "0", 7, kind="helper")
        cols.add("over", "over today's fleet",
                 '=IF(AND({inside}=1,ISNUMBER(fleet_carries)),IF({peak}>fleet_carries,1,0),0)',
                 "0", 7, kind="helper")
        cols.add("in_service_day", "in service from day", "={start_day}-prescale_days", "0.000", 9,
                 kind="helper")
        if self.sized:
            res = sizing(cols, "peak", usl=self.usl, prefix="e_")
            self.event_results = res
            for name in (res["instances"], res["cells"], res["cell_size"]):
                if name:  # an event outside the plan has no instances: blank, not a number
                    c = next(c for c in cols.cols if c.name == name)
                    c.template = f'=IF({{inside}}=1,{c.template[1:]},"")'
            inst = "{" + res["instances"] + "}"
            cols.add("add", "add", f'=IF(AND({{inside}}=1,ISNUMBER(current_instances),ISNUMBER({inst})),'
                     f'MAX(0,{inst}-current_instances),"")', "#,##0")
            cols.add("in_service_by", "in service by",
                     '=IF({inside}=1,plan_start+INT({in_service_day}+1E-6),"")', DATE, 12)
            order = ('AND({inside}=1,OR(NOT(ISNUMBER({add})),N({add})>0))')
            cols.add("order_by", "order by",
                     f'=IF({order},MAX(plan_start,{{in_service_by}}-lead_time_days),"")', DATE, 12)
            cols.add("late", "days late",
                     f'=IF({order},MAX(0,plan_start-({{in_service_by}}-lead_time_days)),"")', "0",
                     8)
        for name, head in (("printed_peak", "capplan's peak (printed)"),
                           ("printed_instances", "capplan's instances (printed)")):
            cols.add(name, head, None, RATE if "peak" in name else "#,##0", 13, kind="printed")
        return cols

    # ---- the month table --------------------------------------------------------------------
    def month_columns(self) -> Columns:
        p = self.prng
        cols = Columns()
        cols.add("month", "month", None, "0", 7)
        cols.add("ends", "ends", "=plan_start+INT({month}*" + f"{MONTH_DAYS})", DATE, 12)
        cols.add("peak", "peak (the path's highest step)",
                 f"=_xlfn.MAXIFS({p('peak')},{p('month')},{{month}})", RATE, 13)
        cols.add("event", "event",
                 f'=INDEX({p("event")},MATCH(1,INDEX(({p("month")}={{month}})*({p("peak")}='
                 f'{{peak}}),0),0))', None, 13)
        if self.sized:
            res = sizing(cols, "peak", usl=self.usl)
            self.month_results = res
            inst = "{" + res["instances"] + "}"
            cols.add("add", "add (beyond today's fleet)",
                     f'=IF(AND(ISNUMBER(current_instances),ISNUMBER({inst})),MAX(0,{inst}-'
                     'current_instances),"")',
                     "#,##0", 10)
            self._fleet_has(cols)
            has = (f"SUMPRODUCT(ISNUMBER({p('in_service_cand')})*({p('month')}={{month}}))>0")
            cols.add("in_service_day", "more in service from day",
                     f'=IF(AND(ISNUMBER({{add}}),N({{add}})>0,N({inst})>N({{has}}),{has}),'
                     f'_xlfn.MINIFS({p("in_service_cand")},{p("month")},{{month}}),"")', "0.000",
                     10, kind="helper")
            cols.add("in_service_by", "in service by",
                     '=IF(ISNUMBER({in_service_day}),plan_start+INT({in_service_day}+1E-6),"")',
                     DATE, 12)
            cols.add("order_by", "order by", '=IF(ISNUMBER({in_service_by}),MAX(plan_start,'
                     '{in_service_by}-lead_time_days),"")', DATE, 12)
            cols.add("late", "days late", '=IF(ISNUMBER({in_service_by}),MAX(0,plan_start-'
                     '({in_service_by}-lead_time_days)),"")', "0", 8)
            cols.add("cost", "cost", f'=IF(AND(ISNUMBER(cost_per_instance),ISNUMBER({inst})),'
                     f'{inst}*cost_per_instance,"")',
                     money_format(self.currency, self.cents), 12)
            if self.usl:
                cols.add("alt_cells", "cells that would save 25% or more (capplan's search)",
                         None, "0", 12, kind="printed")
                alternative(cols, "peak", "alt_cells", res["instances"])
        cols.add("printed_peak", "capplan's peak (printed)", None, RATE, 13, kind="printed")
        if self.sized:
            cols.add("printed_instances", "capplan's instances (printed)", None, "#,##0", 13,
                     kind="printed")
        return cols

    def _fleet_has(self, cols: Columns) -> None:
        """What the fleet has going into a month, as capplan.plan counts it: today's fleet, every
        earlier month's need without events (kept), and an event's instances while an event
        under way in an earlier month lasts. A month orders only what it needs beyond that."""
        p = self.prng
        cols.add("own_peak", "peak without events", f"=_xlfn.MAXIFS({p('base')},{p('month')},"
                 "{month})", RATE, 12, kind="helper")
        own = sizing(cols, "own_peak", usl=self.usl, prefix="own_")
        for c in cols.cols:
            if c.name.startswith("own_") and c.name != "own_peak":
                c.header, c.kind = f"without events: {c.header}", "helper"
        cols.add("held", "kept from earlier months",
                 '=IF(ISNUMBER(current_instances),IF({month}=1,current_instances,MAX({prev_held},'
                 f'N({{prev_{own["instances"]}}}))),"")', "#,##0", 10, kind="helper")
        if self.ev:
            ev, first = self.ev, f"_xlfn.MINIFS({p('step')},{p('month')},{{month}})"
            under_way = (f'_xlfn.MAXIFS({ev["instances"]},{ev["first"]},"<"&{first},'
                         f'{ev["last"]},">="&{first})')
        else:
            under_way = "0"
        cols.add("has", "the fleet has going into the month",
                 f'=IF(ISNUMBER({{held}}),MAX({{held}},{under_way}),"")', "#,##0", 10,
                 kind="helper")
        n = "MIN({has},usl_n_max)" if self.usl else "{has}"
        cols.add("has_carries", "which carries",
                 f'=IF(ISNUMBER({{has}}),{carried_by(n, usl=self.usl)},"")', RATE, 11,
                 kind="helper")

    def write_months(self) -> dict:
        """The month sheet; returns where its results are, for the Summary."""
        ws = self.wb.create_sheet(self.label)
        cols = self.month_cols if self.sized else self.month_columns()
        self.month_cols = cols
        months = self.scn["months"]
        head = 5
        first, last = head + 1, head + len(months)
        self._title(ws, f"{self.scn['label'][:1].upper()}{self.scn['label'][1:]}: the plan by "
                    "month (formulas over Inputs and the path sheet)",
                    "A month's peak is the highest step of the path in it; instances by the "
                    "sizing rule (normal running at the binding limit, the survivors of the loss "
                    "at the degraded utilization, zones and spares); grey columns are capplan's "
                    "own numbers as printed, for comparison.")
        self._headers(ws, cols, head)
        for i, r in enumerate(months):
            row = first + i
            for c in cols.cols:
                cell = ws.cell(row=row, column=cols.index(c.name))
                if c.template is not None:
                    cell.value = cols.fill(c.template, row)
                elif c.name == "month":
                    cell.value = r["month"]
                elif c.name == "printed_peak":
                    cell.value = r["peak"]
                elif c.name == "printed_instances":
                    cell.value = r["instances"]
                elif c.name == "alt_cells":
                    cell.value = (r.get("cell_alternative") or {}).get("cells")
                self._style(cell, c)
        out = {"sheet": self.label, "first": first, "last": last, "cols": cols}
        if self.ev:
            out["events"] = self._write_events(ws, self.ev_top)
        ws.freeze_panes = ws.cell(row=first, column=3)
        return out

    def _write_events(self, ws, top: int) -> dict:
        cols = self.event_cols
        ws.cell(row=top - 1, column=1, value="Events in this scenario: a step of multiplier × "
                "the path's highest value over the window; in service prescale_days before "
                "it starts; ordered lead_time_days before that (never before the plan's start)"
                ).font = self.st["bold"]
        self._headers(ws, cols, top)
        for i, e in enumerate(self.doc["events"]):
            row = top + 1 + i
            src = self.ev_inputs_row(i)
            per = (e.get("scenarios") or {}).get(self.key) or {}
            for c in cols.cols:
                cell = ws.cell(row=row, column=cols.index(c.name))
                if c.template is not None:
                    cell.value = cols.fill(c.template, row)
                elif c.name == "name":
                    cell.value = f"=Inputs!$A${src}"
                elif c.name == "start_day":
                    cell.value = f"=Inputs!$B${src}-plan_start"
                elif c.name == "end_day":
                    cell.value = f"=Inputs!$B${src}+Inputs!$C${src}/24-plan_start"
                elif c.name == "multiplier":
                    cell.value = f"=Inputs!$D${src}"
                elif c.name == "printed_peak":
                    cell.value = per.get("peak")
                elif c.name == "printed_instances":
                    cell.value = per.get("instances")
                self._style(cell, c)
        return {"first": top + 1, "last": top + len(self.doc["events"]), "cols": cols}

    def events_ranges(self, top: int) -> dict:
        """Absolute ranges of the event table this scenario's path reads (it sits on the month
        sheet, `top` being its header row)."""
        cols = self.event_columns()
        self.event_cols = cols
        first, last = top + 1, top + len(self.doc["events"])

        def rng(name):
            letter = cols.letter(name)
            return f"'{self.label}'!${letter}${first}:${letter}${last}"

        out = {k: rng(k) for k in ("name", "first", "last", "peak", "over", "in_service_day",
                                   "start_day")}
        if self.sized:
            out["instances"] = rng(self.event_results["instances"])
        return out

    # ---- style ------------------------------------------------------------------------------
    def _title(self, ws, title: str, note: str) -> None:
        ws["A1"] = title
        ws["A1"].font = self.st["title"]
        ws["A2"] = note
        ws["A2"].font = self.st["note"]

    def _headers(self, ws, cols: Columns, row: int) -> None:
        for c in cols.cols:
            cell = ws.cell(row=row, column=cols.index(c.name), value=c.header)
            cell.font, cell.fill, cell.alignment = (self.st["bold"], self.st["fill"],
                                                    self.st["wrap"])
            ws.column_dimensions[col_letter(cols.index(c.name))].width = c.width
        ws.row_dimensions[row].height = 42

    def _style(self, cell, c) -> None:
        # openpyxl registers a style per assignment; copying a styled cell's style array is the
        # same result, thousands of times faster.
        key = (c.kind, c.number_format)
        proto = self.st.setdefault("_protos", {}).get(key)
        if proto is not None:
            cell._style = copy(proto)
            return
        if c.number_format:
            cell.number_format = c.number_format
        if c.kind == "input":
            cell.font = self.st["input"]
        elif c.kind == "printed":
            cell.font = self.st["printed"]
        elif c.kind == "helper":
            cell.font = self.st["helper"]
        self.st["_protos"][key] = copy(cell._style)

