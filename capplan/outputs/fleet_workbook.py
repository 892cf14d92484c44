"""fleet.xlsx for finance: `Services` (one row each), `Months` (each service's months, instances
and cost per scenario: capplan's numbers, editable), `Totals` (formulas over `Months`, so an edit
there carries through), and `Failed` when a service could not be planned.

Written in openpyxl's streaming mode: thousands of services x months stay a few MB of memory.
"""

from __future__ import annotations

import io

from capplan.fleet.model import SCENARIOS, FleetResult

RATE = "#,##0.0"
INT = "#,##0"
PCT = "0.0%"
WHOLE_MONEY = "#,##0"
DATE = "d mmm yyyy"  # as the plan's workbook writes a date: a real date, not text
HEADER_FILL = "DDDDDD"
# Peaks are in each service's own unit (its --unit; req/s when none), named in the last column.
MONTHS_HEADS = ("service", "month", "ends", "nominal peak", "nominal instances",
                "nominal add", "nominal cost", "worst-case peak", "worst-case instances",
                "worst-case add", "worst-case cost", "peak unit", "currency")
# Months columns summed by Totals, per scenario: instances, add, cost.
SUMMED = {"nominal": ("E", "F", "G"), "worst_case": ("I", "J", "K")}


class _Sheet:
    """A streaming sheet whose cells are typed as written: text stays text (a service named
    '=1+1' is not a formula), numbers carry their format, headers are bold on grey."""

    def __init__(self, wb, title: str, widths: dict[str, int], *, freeze: str | None = None,
                 filter_range: str | None = None):
        self.ws = wb.create_sheet(title)
        for col, width in widths.items():
            self.ws.column_dimensions[col].width = width
        if freeze:
            self.ws.freeze_panes = freeze  # the header and the service name stay in view
        if filter_range:
            self.ws.auto_filter.ref = filter_range

    def row(self, *cells) -> None:
        self.ws.append([self._cell(c) for c in cells])

    def header(self, *names) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font, PatternFill

        out = []
        for n in names:
            c = WriteOnlyCell(self.ws, value=n)
            c.font, c.fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
            c.data_type = "s"
            out.append(c)
        self.ws.append(out)

    def _cell(self, spec):
        from openpyxl.cell import WriteOnlyCell

        # (number format, number or "=formula"), or text.
        kind, value = spec if isinstance(spec, tuple) else ("text", spec)
        c = WriteOnlyCell(self.ws, value=value)
        if kind == "text":
            c.value = None if value is None else str(value)
            if value is not None:
                c.data_type = "s"
        else:
            c.number_format = kind
        return c


def _date(iso: str | None):
    """An ISO date as a date cell (finance sorts and subtracts them), blank when there is none."""
    import datetime as dt

    return None if not iso else (DATE, dt.date.fromisoformat(iso[:10]))


def _last(s, name: str, field: str):
    months = s.summary.scenarios[name].months
    return getattr(months[-1], field) if months else None


def build(result: FleetResult, title: str) -> bytes:
    from openpyxl import Workbook

    from capplan.outputs.fmt import fleet_cents

    wb = Workbook(write_only=True)
    m = result.months
    # every cost to the cent when any is not whole (as the page and the terminal show them)
    money = "#,##0.00" if fleet_cents(result) else WHOLE_MONEY
    n_services = len(result.planned)
    from capplan.outputs.fleet_pdf import at_risk_rows, service_unit

    services = _Sheet(wb, "Services", {"A": 28, "B": 40, "C": 24, "D": 22}, freeze="B2",
                      filter_range=f"A1:W{n_services + 1}")
    late = {(a["name"], a["scenario"]): a["order_late_days"] for a in at_risk_rows(result)}
    units = {s.name: service_unit(s) for s in result.planned}
    services.header("service", "export", "series", "growth model", "monthly growth (nominal)",
                    "peak today", "instances today", "needed today",
                    f"instances at month {m} (nominal)", f"instances at month {m} (worst case)",
                    "runway (nominal)", "order by (nominal)", "runway (worst case)",
                    "order by (worst case)", "cost per instance", f"cost at month {m} (nominal)",
                    f"cost at month {m} (worst case)", "service file", "notes", "peak unit",
                    "order days late (nominal)", "order days late (worst case)", "currency")
    for s in result.planned:
        sm = s.summary
        nom, wc = sm.scenarios["nominal"], sm.scenarios["worst_case"]
        services.row(s.name, s.path, s.series, sm.model, (PCT, sm.monthly_growth),
                     (RATE, sm.planning_peak), (INT, sm.current_instances),
                     (INT, sm.instances_needed_today), (INT, _last(s, "nominal", "instances")),
                     (INT, _last(s, "worst_case", "instances")), _date(nom.runway),
                     _date(nom.order_by), _date(wc.runway), _date(wc.order_by),
                     (money, sm.cost_per_instance),
                     (money, _last(s, "nominal", "cost")), (money, _last(s, "worst_case", "cost")),
                     s.config, "; ".join(s.notes) or None, units[s.name],
                     (INT, late.get((s.name, "nominal"))),
                     (INT, late.get((s.name, "worst_case"))), sm.currency)

    n_rows = sum(min(len(s.summary.scenarios["nominal"].months),
                     len(s.summary.scenarios["worst_case"].months)) for s in result.planned)
    months = _Sheet(wb, "Months", {"A": 28, "C": 12}, freeze="B2",
                    filter_range=f"A1:M{n_rows + 1}")
    months.header(*MONTHS_HEADS)
    for s in result.planned:
        nom = s.summary.scenarios["nominal"].months
        wc = s.summary.scenarios["worst_case"].months
        for r, w in zip(nom, wc):
            months.row(s.name, (INT, r.month), _date(r.date), (RATE, r.peak), (INT, r.instances),
                       (INT, r.add), (money, r.cost), (RATE, w.peak), (INT, w.instances),
                       (INT, w.add), (money, w.cost), units[s.name], s.summary.currency)
    last = n_rows + 1

    totals = _Sheet(wb, "Totals", {"A": 12, "B": 12})
    totals.row(title)
    totals.row("Each month adds up every planned service's own month (SUMIFS over Months): edit "
               "Months and recalculate. Services without capacity facts add nothing.")
    totals.row("instances today (sum of Services)",
               (INT, f"=SUM(Services!$G$2:$G${n_services + 1})"))
    # Costs were left unadded (different currencies) where a month has costed services but no cost.
    addable = not any(r.services_costed and r.cost is None for r in result.rollup["nominal"])
    cur = f" ({result.currency})" if result.currency else ""
    totals.header("month", "ends", "nominal instances", "nominal add", f"nominal cost{cur}",
                  "worst-case instances", "worst-case add", f"worst-case cost{cur}")
    for i, r in enumerate(result.rollup["nominal"]):
        row = 5 + i
        cells = [(INT, r.month), _date(r.date)]
        for name in SCENARIOS:
            month = result.rollup[name][i]
            for col, fmt, what in zip(SUMMED[name], (INT, INT, money),
                                      ("instances", "add", "cost")):
                if what == "cost" and not addable:  # 100 EUR and 100 USD are not 200 of anything
                    cells.append("not added: the services' costs are in different currencies")
                    continue
                if getattr(month, what) is None:  # no service gives it: blank, as in fleet.json
                    cells.append(None)
                    continue
                cells.append((fmt, f"=SUMIFS(Months!${col}$2:${col}${last},"
                                   f"Months!$B$2:$B${last},$A{row})"))
        totals.row(*cells)
    if result.failed:
        failed = _Sheet(wb, "Failed", {"A": 28, "B": 40, "C": 24, "D": 100})
        failed.header("service", "export", "series", "error")
        for s in result.failed:
            failed.row(s.name, s.path, s.series, s.error)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
