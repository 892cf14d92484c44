"""The fleet's totals and its services at risk, from the services' plans. Pure: no I/O.

Month m of the fleet adds up month m of every planned service: its instances (a month past what
one fleet carries counts its cells x cell size), the instances to add to today's fleet, and the
cost. Services whose data end on different days have month ends a few days apart; the roll-up
month's date is the latest of them, and the fleet's notes say so. Costs are added only when every
costed service has them in the same currency (or none states one): 100 EUR and 100 USD are not
200 of anything.
"""

from __future__ import annotations

from capplan.fleet.model import (
    SCENARIOS,
    AtRisk,
    FleetResult,
    InputHash,
    RollupMonth,
    ServiceResult,
)


def cost_currencies(services: tuple[ServiceResult, ...]) -> list[str | None]:
    """The currencies of the services with a cost in some month (None: not stated), sorted. A
    cost per instance without instances (a load plan) costs nothing and names no currency."""
    found = {s.summary.currency for s in services
             if s.ok and any(m.cost is not None for sc in s.summary.scenarios.values()
                             for m in sc.months)}
    return sorted(found, key=lambda c: (c is None, c or ""))


def rollup(services: tuple[ServiceResult, ...], months: int, costs_addable: bool = True) -> dict:
    """scenario -> tuple of RollupMonth, 1..months; `costs_addable` False (the services' costs
    are in different currencies) leaves every month's cost None."""
    planned = [s.summary for s in services if s.ok]
    out = {}
    for name in SCENARIOS:
        rows = []
        for m in range(months):
            cells = [p.scenarios[name].months[m] for p in planned
                     if m < len(p.scenarios[name].months)]
            sized = [c for c in cells if c.instances is not None]
            adds = [c.add for c in cells if c.add is not None]
            costs = [c.cost for c in cells if c.cost is not None]
            rows.append(RollupMonth(
                month=m + 1, date=max((c.date for c in cells), default=""),
                instances=sum(c.instances for c in sized) if sized else None,
                add=sum(adds) if adds else None,
                cost=float(sum(costs)) if costs and costs_addable else None,
                services_sized=len(sized), services_costed=len(costs),
                beyond_fleet_limit=sum(1 for c in cells if c.beyond_fleet_limit)))
        out[name] = tuple(rows)
    return out


def at_risk(services: tuple[ServiceResult, ...]) -> tuple[AtRisk, ...]:
    """Every (service, scenario) whose runway falls inside the horizon, earliest runway first
    (then nominal before worst case, then by name)."""
    rows = []
    for s in services:
        if not s.ok:
            continue
        for name in SCENARIOS:
            sc = s.summary.scenarios[name]
            if sc.runway is not None:
                rows.append(AtRisk(s.name, name, sc.runway, sc.runway_months, sc.order_by))
    order = {n: i for i, n in enumerate(SCENARIOS)}
    return tuple(sorted(rows, key=lambda r: (r.runway, order[r.scenario], r.name)))


def assemble(source, months: int, results) -> FleetResult:
    """The FleetResult of a run: services sorted by name whatever order the workers finished in."""
    services = tuple(sorted(results, key=lambda r: r.name))
    inputs: dict[tuple[str, str, str], InputHash] = {}
    for i in source.inputs:
        inputs.setdefault((i.path, i.sha256, i.role), i)
    for s in services:
        for i in s.inputs:
            key = (i.path, i.sha256, i.role)
            if key in inputs and inputs[key].service != i.service:
                # One file behind several services (a multi-series export): list it once.
                inputs[key] = InputHash(i.path, i.sha256, i.role, None)
            else:
                inputs.setdefault(key, i)
    starts = sorted({s.summary.start for s in services if s.ok})
    notes = list(source.notes)
    currencies = cost_currencies(services)
    if len(currencies) > 1:
        notes.append("the services' costs are in different currencies ("
                     + ", ".join(c or "none stated" for c in currencies)
                     + "): the fleet's costs are not added up; give every service the same "
                     "currency (currency in [defaults])")
    if len(starts) > 1:
        notes.append(f"the services' data end on different days ({starts[0]} to {starts[-1]}): "
                     "roll-up month m adds each service's own month m, dated by the latest")
    return FleetResult(source=source.path, form=source.form, months=months, services=services,
                       rollup=rollup(services, months, costs_addable=len(currencies) <= 1),
                       at_risk=at_risk(services),
                       inputs=tuple(sorted(inputs.values(), key=lambda i: (i.role != "fleet file",
                                                                           i.path, i.role))),
                       notes=tuple(notes), starts=(starts[0], starts[-1]) if starts else None,
                       currency=currencies[0] if len(currencies) == 1 else None)
