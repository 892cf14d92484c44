"""The fleet's terminal summary: totals by month, services at risk, failures (the first few of
each; the files hold all of them)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape as esc
from rich.table import Table

from capplan.fleet.model import FleetResult
from capplan.outputs import fmt
from capplan.outputs.terminal_table import print_table

SHOWN = 15


def _n(x) -> str:
    return "-" if x is None else f"{x:,}"


def _money(x, cents: bool) -> str:
    return fmt.money(x, None, cents=cents)


def print_fleet(console: Console, result: FleetResult) -> None:
    planned, failed = len(result.planned), len(result.failed)
    data = ""
    if result.starts is not None:
        a, b = result.starts
        data = f"; data to {a}" if a == b else f"; data to {a} .. {b}"
    console.print(f"[bold]{esc(result.source)}[/] ({result.form}): {planned:,} of "
                  f"{len(result.services):,} services planned"
                  f"{f', [red]{failed:,} failed[/]' if failed else ''}; horizon "
                  f"{result.months} month(s){data}")
    nom, wc = result.rollup["nominal"], result.rollup["worst_case"]
    if any(r.services_sized for r in nom):
        t = Table(title="Fleet totals by month (instances summed over the sized services)",
                  title_justify="left")
        cost = f"cost ({result.currency})" if result.currency else "cost"
        cents = fmt.fleet_cents(result)  # every cost to the cent, or none
        for col in ("month", "ends", "nominal", "add", cost, "worst case", "add", cost):
            t.add_column(col, justify="right")
        for r, w in zip(nom, wc):
            t.add_row(str(r.month), r.date, _n(r.instances), _n(r.add), _money(r.cost, cents),
                      _n(w.instances), _n(w.add), _money(w.cost, cents))
        print_table(console, t)
        sized = nom[-1].services_sized if nom else 0
        if sized < planned:
            console.print(f"{planned - sized:,} service(s) without capacity facts have load plans "
                          "only (peaks and growth, no instances)")
    else:
        console.print("No service has capacity facts: load plans only (peaks per month and "
                      "growth). Give --per-instance for every service, or per_instance (or "
                      "instances and utilization) in a fleet.toml's [defaults] or [[service]] "
                      "tables, or in a service's TOML beside its export in a folder of exports.")
    if result.at_risk:
        t = Table(title=f"At risk: runway inside the {result.months}-month horizon "
                        f"({len(result.at_risk):,}; earliest first)", title_justify="left")
        for col in ("service", "scenario", "runway", "order by"):
            t.add_column(col, justify="left" if col == "service" else "right")
        from capplan.outputs.fleet_pdf import at_risk_rows

        for a in at_risk_rows(result, SHOWN):
            order = a["order_text"].replace("–", "-")
            t.add_row(esc(a["name"]), a["scenario"].replace("_", " "), a["runway"],
                      f"[bold]{order}[/]" if a["order_late_days"] else order)
        print_table(console, t)
        if len(result.at_risk) > SHOWN:
            console.print(f"... and {len(result.at_risk) - SHOWN:,} more in fleet.json (at_risk)")
    elif any(r.services_sized for r in nom):
        console.print(f"No service runs out within {result.months} month(s), in either scenario.")
    for s in result.failed[:SHOWN]:
        console.print(f"[red]failed[/] {esc(s.name)}: {esc(s.error or '')}")
    if failed > SHOWN:
        console.print(f"... and {failed - SHOWN:,} more failures in fleet.json (failed)")
    for n in result.notes:
        console.print(f"note: {esc(n)}")

