"""The terminal summary: rich tables, numbers formatted for people (the engine keeps precision)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape as esc
from rich.table import Table

from capplan.outputs import fmt
from capplan.outputs.terminal_table import print_table

if TYPE_CHECKING:
    from capplan.ingest import Traffic
    from capplan.load import LoadProfile
    from capplan.plan import Plan

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def fmt_rate(x: float | None) -> str:
    return fmt.rate(x)


def fmt_seconds(s: float) -> str:
    return fmt.seconds(s)


def print_quality(console: Console, traffic: Traffic) -> None:
    q, src = traffic.quality, traffic.source
    sheet = f", sheet {esc(src.sheet)}" if src.sheet else ""
    console.print(f"[bold]{esc(src.path)}[/] ({src.format}{sheet}): time {esc(repr(src.time_column))}, "
                  f"value {esc(repr(src.value_column))} ({src.value_kind})")
    zone = (f"naive times read as {q.timezone_assumed}" if q.timezone_assumed
            else "times carried their offset")
    console.print(f"  {q.rows_read:,} rows read, {q.rows_used:,} used; {q.first:%Y-%m-%d %H:%M} to "
                  f"{q.last:%Y-%m-%d %H:%M} UTC; interval {fmt_seconds(q.interval_seconds)}; {zone}")
    for d in q.dropped:
        lines = ", ".join(str(n) for n in d.first_lines)
        console.print(f"  [yellow]dropped {d.count:,} row(s): {d.reason}[/] (first at line(s) {lines})")
    if q.duplicate_timestamps:
        console.print(f"  [yellow]{q.duplicate_timestamps:,} duplicate timestamp(s)[/]: kept "
                      f"{q.duplicates_kept}")
    if q.sorted_by_capplan:
        console.print("  rows were not in time order: sorted")
    if q.gaps:
        console.print(f"  [yellow]{q.gaps:,} gap(s)[/]: longest {fmt_seconds(q.longest_gap_seconds)}, "
                      f"{fmt_seconds(q.missing_seconds)} missing in all (not filled)")
    if q.zero_values:
        console.print(f"  {q.zero_values:,} zero value(s) (outages or idle periods?)")
    for n in q.notes:
        console.print(f"  {esc(n)}")


def print_load(console: Console, load: LoadProfile) -> None:
    t = Table(title=f"Load ({load.unit}; percentiles at the {fmt_seconds(load.interval_seconds)} "
                    "interval)", title_justify="left")
    for col in ("mean", "peak", "peak/mean", "p50", "p95", "p99", "p99.9"):
        t.add_column(col, justify="right")
    t.add_row(fmt_rate(load.mean), fmt_rate(load.peak),
              "-" if load.peak_to_mean is None else f"{load.peak_to_mean:.2f}",
              fmt_rate(load.p50), fmt_rate(load.p95), fmt_rate(load.p99), fmt_rate(load.p999))
    print_table(console, t)
    console.print(f"  peak at {load.peak_time:%Y-%m-%d %H:%M} UTC")
    if load.busiest_hour:
        wd, hr, v = load.busiest_hour
        console.print(f"  busiest hour: {WEEKDAYS[wd]} {hr:02d}:00 ({load.local_timezone}), mean "
                      f"{fmt_rate(v)}")
    pp = load.planning_peak
    console.print(f"  [bold]planning peak {fmt_rate(pp.value)}[/] on {pp.date}: {esc(pp.method)}")
    print_flat_topping(console, load.flat_topping)
    others = [a for a in load.anomalies if a not in pp.excluded]
    if others:
        shown = ", ".join(f"{a.date} ({fmt_rate(a.value)})" for a in others[:5])
        more = f" and {len(others) - 5} more" if len(others) > 5 else ""
        console.print("  spikes flagged in the history (daily peaks far above the days around "
                      f"them; the growth notes say which recur): {shown}{more}")


def flat_topping_warning(ft) -> str | None:
    """The warning a reader must see when daily peaks press against a ceiling (None when not):
    the PDF's page-1 words (resources_view.flat_topping_text)."""
    from capplan.outputs.resources_out import flat_topping_doc
    from capplan.outputs.resources_view import flat_topping_text

    return flat_topping_text(flat_topping_doc(ft))


def print_flat_topping(console: Console, ft) -> None:
    text = flat_topping_warning(ft)
    if text is not None:
        console.print(f"  [bold yellow]warning[/]: {esc(text)}")
        console.print(f"    {esc(ft.method)}")


def money(x: float | None, currency: str | None, cents: bool | None = None) -> str:
    """A cost as the page, the HTML and the workbook write it: 7,750 USD (`fmt.money`)."""
    return esc(fmt.money(x, currency, cents=cents))


def plan_cents(plan: Plan) -> bool:
    """Whether the plan's costs are shown to the cent: `fmt.plan_cents`'s rule, on the engine's
    Plan rather than its plan.json (any cost that is not whole makes every cost show cents)."""
    costs = [plan.cost_per_instance]
    for s in plan.scenarios.values():
        costs.append(s.total_cost)
        costs += [r.cost for r in s.months]
    return fmt.has_cents(costs)


def _order_cell(order_by: str | None, late: int | None, start: str) -> str:
    if order_by is None:
        return "-"
    if late:
        return f"now, {late}d late"
    return "now" if order_by == start else order_by


def _instances_cell(r) -> str:
    if r.instances is None:
        return "-"
    if r.cells:
        return f"{r.cells:,}x{r.cell_size:,}={r.instances:,}"
    return f"{r.instances:,}"


def _range_cell(r) -> str:
    """The instances at the two ends of a fitted limit's interval: '1-2', '3' when equal."""
    low = "-" if r.instances_low is None else f"{r.instances_low:,}"
    high = "unbounded" if r.instances_high is None else f"{r.instances_high:,}"
    return low if low == high else f"{low}-{high}"


def print_capacity_plan(console: Console, plan: Plan, unit: str | None = None) -> None:
    """The capacity model in words: limit, both limits and which binds, both utilizations, in
    the traffic's `unit` (`load.unit`; by default the plan's own, `capacity.unit`, which the
    engine's sentences name already)."""
    unit = unit or plan.capacity.unit
    c = plan.capacity
    if not c.sized:
        console.print("[bold]Capacity[/]: not given, so this plan is of the load only. Add "
                      "--per-instance RPS, or --instances N --utilization U, to get instances.")
        return
    console.print(f"[bold]Capacity[/]: {esc(c.limit_source)}; "
                  f"{c.describe_redundancy()}")
    lim = plan.rate_limits
    if c.per_instance_limit is not None and lim is not None:
        line = (f"  limits per instance: utilization target {c.target_utilization:.0%} -> "
                f"{fmt_rate(lim.utilization_rate)} {esc(unit)}")
        if lim.latency is not None:
            line += (f"; p99 within {lim.latency.slo_seconds * 1000:g} ms up to "
                     f"{fmt_rate(lim.latency.rate)} {esc(unit)} ({lim.latency.method})")
            binds = "the latency objective" if lim.binding == "latency_slo" else \
                "the utilization target"
            line += f": {binds} binds, so {fmt_rate(c.usable_per_instance)} {esc(unit)} usable"
        console.print(line)
        if lim.latency is not None:
            lat = lim.latency
            console.print(f"    latency limit: {esc(lat.description)}; "
                          f"statistic: {esc(lat.statistic)}")
            if lat.servers_per_instance:
                console.print(f"    servers per instance: {lat.servers_per_instance} "
                              f"({esc(lat.servers_source or '')})")
            for n in lat.notes:
                console.print(f"    note: {esc(n)}")
            console.print(f"    recommended rate limit: {fmt_rate(lim.recommended_rate_limit)} "
                          f"{esc(unit)} per instance (the p99 rate less a {lim.margin:.0%} margin)")
    elif c.fleet_usl is not None:
        console.print(f"  fleet: target utilization {c.target_utilization:.0%} of the scale-out "
                      f"fit's X(N), never past N* (at most {fmt.plural(c.n_max, 'instance')} a fleet or cell)")
    if plan.today_instances_needed is not None:
        un, ua = plan.utilization_normal, plan.utilization_after_loss
        line = (f"  sizing: the planning peak of {fmt_rate(plan.planning_peak)} {esc(unit)} needs "
                f"{fmt.plural(plan.today_instances_needed, 'instance')}, running at "
                f"{'-' if un is None else f'{un:.0%}'} normally")
        if c.redundant:
            line += (f" and {'-' if ua is None else f'{ua:.0%}'} after losing "
                     f"{c.describe_loss()} (allowed: {c.degraded_utilization:.0%})")
        console.print(line)
    for a in c.assumptions:
        console.print(f"  note: {esc(a)}")
    if plan.today_capacity is not None:
        console.print(f"  today's {fmt.plural(c.current_instances, 'instance')} "
                      f"{fmt.verb(c.current_instances, 'carry', 'carries')} "
                      f"{fmt_rate(plan.today_capacity)} {esc(unit)} with the limits and redundancy "
                      "above")


def print_plan(console: Console, plan: Plan, unit: str | None = None) -> None:
    """The plan: capacity, growth, the month tables, events, runway, cost; rates in `unit`
    (the traffic's `load.unit`, req/s when none was given; by default the plan's own)."""
    unit = unit or plan.capacity.unit
    c, f = plan.capacity, plan.forecast
    console.print()
    print_capacity_plan(console, plan, unit)
    console.print(f"[bold]Growth[/]: {f.model}, {fmt.signed_pct(f.monthly_growth)} a month; "
                  f"{esc(f.chosen_because)}")
    if f.backtest:
        bt = Table(title="Backtest (rolling origins; lower MASE is better, 1 = seasonal naive "
                         "in-sample)", title_justify="left")
        for col in ("model", "MASE", "cover 80%", "cover 95%", "origins"):
            bt.add_column(col, justify="right" if col != "model" else "left")
        for b in f.backtest:
            mark = " *" if b.model == f.model else ""
            bt.add_row(b.model + mark, "-" if b.mase is None else f"{b.mase:.3f}",
                       "-" if b.coverage_80 is None else f"{b.coverage_80:.0%}",
                       "-" if b.coverage_95 is None else f"{b.coverage_95:.0%}", str(b.origins))
        print_table(console, bt)
    for a in f.assumptions[2:]:
        console.print(f"  {esc(a)}")
    for r in f.recurring_peaks:
        console.print(f"  recurring peak {r}")
    nominal, worst = plan.scenarios["nominal"], plan.scenarios["worst_case"]
    _month_table(console, plan, nominal, worst, unit)
    _event_table(console, plan, unit)
    if c.sized and c.current_instances:
        for s in (nominal, worst):
            _runway_line(console, plan, s)
    if plan.cost_per_instance is not None and c.sized:
        cents = plan_cents(plan)
        per = money(plan.cost_per_instance, plan.currency, cents)
        console.print(f"  [bold]cost[/] over {plan.months} month(s) (instances x {per} an "
                      f"instance a month): " + "; ".join(
                          f"{esc(s.label)} {money(s.total_cost, plan.currency, cents)}"
                          for s in (nominal, worst)))
    for n in plan.notes:
        console.print(f"  note: {esc(n)}")


def _month_table(console: Console, plan: Plan, nominal, worst, unit: str) -> None:
    """One table per scenario (the worst case's only when it differs from the nominal)."""
    from rich import box

    c = plan.capacity
    show_add = c.sized and c.current_instances is not None
    show_cost = c.sized and plan.cost_per_instance is not None
    show_alt = any(r.cell_alternative is not None for s in (nominal, worst) for r in s.months)
    show_range = c.sized and c.limit_range is not None
    cents = plan_cents(plan)
    for s in (nominal, worst):
        if s is worst and worst.label != "worst case":
            console.print(f"[bold]{esc(worst.label)}[/]: the same table")
            break
        t = Table(title=f"{esc(s.label.capitalize())}: plan from {plan.start}, {plan.months} "
                        "month(s)", title_justify="left", box=box.SIMPLE_HEAD)
        t.add_column("month", justify="right")
        t.add_column("ends", no_wrap=True)
        t.add_column(f"peak ({esc(unit)})", justify="right")
        t.add_column("event")
        if c.sized:
            t.add_column("instances", justify="right")
        if show_range:
            t.add_column("95% range", justify="right", no_wrap=True)
        if show_add:
            t.add_column("add", justify="right")
            t.add_column("order by", justify="right", no_wrap=True)
        if show_cost:
            t.add_column(f"cost{f' ({esc(plan.currency)})' if plan.currency else ''}",
                         justify="right")
        if show_alt:
            t.add_column("cells instead", justify="right")
        for r in s.months:
            row = [str(r.month), r.date, fmt_rate(r.peak), esc(r.event or "")]
            if c.sized:
                row.append(_instances_cell(r))
            if show_range:
                row.append(_range_cell(r))
            if show_add:
                row += ["-" if r.add is None else f"{r.add:,}",
                        _order_cell(r.order_by, r.order_late_days, plan.start)]
            if show_cost:
                row.append(money(r.cost, None, cents))
            if show_alt:
                a = r.cell_alternative
                row.append("" if a is None else
                           f"{a.cells:,}x{a.cell_size:,}={a.instances:,} (-{a.saving:.0%})")
            t.add_row(*row)
        print_table(console, t)


def _event_table(console: Console, plan: Plan, unit: str) -> None:
    if not plan.events:
        return
    from rich import box

    t = Table(title=f"Events: peak = multiplier x the path's peak over the window; in service "
                    f"{plan.prescale_days} day(s) before the start", title_justify="left",
              box=box.SIMPLE_HEAD)
    longest = min(20, max(len(e.name) for e in plan.events))
    for col in ("event", "starts", "window", "scenario", f"peak ({esc(unit)})", "inst.", "add",
                "in service", "order by"):
        t.add_column(col, justify="left" if col in ("event", "starts", "scenario") else "right",
                     no_wrap=col in ("starts", "window", "in service", "order by"),
                     overflow="fold", min_width=longest if col == "event" else None)
    for i, e in enumerate(plan.events):
        when = f"{e.start:%Y-%m-%d}" + ("" if e.start.time() == e.start.time().min else
                                         f" {e.start:%H:%M}")
        window = (when, f"{e.duration_hours:g}h x{e.multiplier:g}")
        for s in plan.scenarios.values():
            if s.name != "nominal" and s.label != "worst case":
                continue  # the worst case equals the nominal: said under the table
            ep = s.events[i]
            name = "nominal" if s.name == "nominal" else "worst"
            if ep.peak is None:
                t.add_row(esc(e.name), *window, name, "outside the plan", "-", "-", "-", "-")
                continue
            inst = "-" if ep.instances is None else (
                f"{ep.cells:,}x{ep.cell_size:,}={ep.instances:,}" if ep.cells else
                f"{ep.instances:,}")
            past = ep.in_service_by < plan.start
            t.add_row(esc(e.name), *window, name, fmt_rate(ep.peak), inst,
                      "-" if ep.add is None else f"{ep.add:,}",
                      "now (passed)" if past else ep.in_service_by,
                      _order_cell(ep.order_by, ep.order_late_days, plan.start))
    print_table(console, t)
    worst = plan.scenarios["worst_case"]
    if worst.label != "worst case":
        console.print(f"  [bold]{esc(worst.label)}[/]: the same events")


def _runway_line(console: Console, plan: Plan, s) -> None:
    c = plan.capacity
    label = esc(s.label)
    fleet, n = fmt.plural(c.current_instances, "instance"), c.current_instances
    lead = f" (lead time {plan.lead_time_days} days)" if plan.lead_time_days else ""
    if s.order_late_days:
        order = f"order now, {s.order_late_days} days late{lead}"
    elif s.order_by == plan.start:
        order = f"order now{lead}"
    else:
        order = f"order by {s.order_by}{lead}"
    if s.runway is None:
        console.print(f"  [bold]{label} runway[/]: today's {fleet} {fmt.verb(n, 'last', 'lasts')} the "
                      f"{plan.months}-month horizon")
    elif s.runway_months == 0:
        console.print(f"  [bold]{label} runway[/]: today's {fleet} {fmt.verb(n, 'are', 'is')} "
                      f"already short: the planning peak needs {plan.today_instances_needed:,} "
                      f"with the limits and redundancy asked for; {order}")
    else:
        at = f" at {esc(s.runway_event)}" if s.runway_event else ""
        ins = ""
        if s.in_service_by and s.in_service_by != s.runway:
            ins = (f"; in service by {s.in_service_by}" if s.in_service_by >= plan.start
                   else "; in service now (pre-scale date passed)")
        console.print(f"  [bold]{label} runway[/]: today's {fleet} {fmt.verb(n, 'run', 'runs')} "
                      f"out on {s.runway}{at} ({s.runway_months:.2f} months){ins}; {order}")


def print_usl(console: Console, fit, latency_slo: str | None = None,
              unit: str = fmt.DEFAULT_UNIT) -> None:
    """The fit's coefficients and what follows from them; every throughput in `unit`, the
    load test's per-second unit (req/s; hires/s beside traffic in hires/day)."""
    m = fit.model
    u = esc(unit)
    t = Table(title=f"Universal Scalability Law ({fit.source})", title_justify="left")
    for col in ("coefficient", "value", "std. error", "95% interval (t, n-3 df)"):
        t.add_column(col, justify="right" if col != "coefficient" else "left")
    for name, label, v in (("sigma", "sigma (contention)", m.sigma),
                           ("kappa", "kappa (coherency)", m.kappa),
                           ("lambda", f"lambda (X of one, {u})", m.lambda_)):
        se = fit.stderr.get(name) if fit.stderr else None
        ci = fit.ci.get(name) if fit.ci else None
        t.add_row(label, fmt.sig(v, 6), fmt.sig(se, 3),
                  "-" if ci is None else f"[{fmt.sig(ci[0])}, {fmt.sig(ci[1])}]")
    print_table(console, t)
    if m.n_star is not None:
        flag = " (extrapolated)" if fit.is_extrapolation(m.n_star) else ""
        console.print(f"  peak: X(N*) = {fmt_rate(m.x_max)} {u} at N* = {m.n_star:.2f}{flag}")
    if m.amdahl_ceiling is not None:
        console.print(f"  Amdahl ceiling lambda/sigma = {fmt_rate(m.amdahl_ceiling)} {u}")
    if fit.r_squared is not None:
        console.print(f"  R^2 = {fit.r_squared:.4f}, residual standard error "
                      f"{fmt.sig(fit.residual_se)} {u} on {len(fit.n) - 3} df")
    if latency_slo:
        from capplan.errors import CapplanError
        from capplan.limits import for_load_test
        from capplan.queueing import parse_duration_seconds

        try:
            lim = for_load_test(fit, parse_duration_seconds(latency_slo, "--latency-slo"))
        except CapplanError as exc:
            console.print(f"  p99 objective {esc(latency_slo)}: {esc(str(exc))}")
        else:
            reach = (f"up to {fmt_rate(lim.rate)} {u} an instance" if lim.rate > 0 else
                     "not met at any rate")  # the description below says why
            console.print(f"  p99 objective {esc(latency_slo)}: {reach} ({lim.method}; "
                          f"{esc(lim.statistic)})")
            console.print(f"    {esc(lim.description)}")
            if lim.servers_source:
                console.print(f"    servers: {esc(lim.servers_source)}")
            for n in lim.notes:
                console.print(f"    note: {esc(n)}")
    for w in fit.warnings:
        console.print(f"  [yellow]warning[/]: {w}")


def print_capacity_models(console: Console, result) -> None:
    from capplan.units import rate_unit

    per_second = rate_unit(_unit_of(result)).per_second  # the load tests' own unit
    if result.usl is not None:
        print_usl(console, result.usl, unit=per_second)
    if result.fleet_usl is not None:
        console.print("[bold]Fleet scale-out[/] (instances against throughput):")
        print_usl(console, result.fleet_usl, unit=per_second)
    w = result.queueing
    if w is not None:
        console.print("[bold]Queueing worksheet[/] (Little's Law, M/M/c per instance)")
        if w.in_flight_mean is not None:
            console.print(f"  in flight at the mean: {fmt.sig(w.in_flight_mean)}; at the peak: "
                          f"{fmt.sig(w.in_flight_peak)}")
        if w.queue_peak is not None:
            qm = fmt.sig(w.queue_mean)
            console.print(f"  queue length per instance ({w.servers_per_instance} server(s)): "
                          f"mean load {qm}, peak {fmt.sig(w.queue_peak)}")
        if w.utilization_table:
            t = Table(title="p99 by utilization (one instance)", title_justify="left")
            for col in ("utilization", "p99 wait", "p99 response"):
                t.add_column(col, justify="right")
            for rho, w99, r99 in w.utilization_table:
                t.add_row(f"{rho:.0%}", f"{fmt.sig(w99 * 1000, 3)} ms",
                          f"{fmt.sig(r99 * 1000, 3)} ms")
            print_table(console, t)
        for line in w.at_peak:
            console.print(f"  {line}")


def _unit_of(result) -> str:
    """The traffic's unit of a pipeline result (req/s for `capplan plan`, which has none)."""
    load = getattr(result, "load", None)
    return getattr(load, "unit", None) or fmt.DEFAULT_UNIT


def print_resource_outlook(console: Console, result) -> None:
    """Each fitted resource on today's fleet: its utilization and headroom at today's planning
    peak, and the month each scenario takes it past the target if the fleet stays as it is."""
    res, outlook, plan = result.resources, result.resource_outlook, result.plan
    if res is None:
        return
    c = plan.capacity
    if outlook is None:
        console.print("  resources today: give --instances N (today's fleet) to see each "
                      "resource's headroom today and the month it crosses the target")
        return
    target = f"{res.target_utilization:.0%}"
    shown = [s for s in plan.scenarios.values() if s.name == "nominal" or s.label == "worst case"]
    for i, f in enumerate(res.resources):
        o = outlook["nominal"][i]
        mark = " *" if f.name == res.binding else ""
        head = (f"  {esc(f.name)}{mark}: {o.utilization_today:.1%} at today's planning peak "
                f"({fmt_rate(o.per_instance_peak)} {esc(_unit_of(result))} on each of "
                f"{c.current_instances:,})")
        if o.headroom_today is not None:
            head += f", headroom {o.headroom_today:.2f}x to {fmt_rate(f.limit)} at {target}"
        crossings = []
        for s in shown:
            m = outlook[s.name][i].crosses_target_month
            crossings.append(f"{esc(s.label)} " + (f"month {m}" if m is not None else
                                                   f"not within {plan.months} months"))
        console.print(head)
        if f.limit is not None:
            console.print(f"    past {target} on today's {c.current_instances:,} instance(s): "
                          + ", ".join(crossings))


def print_unclipped(console: Console, result) -> None:
    """The demand a flat-topping ceiling hides, forecast beside the plan: its planning peak and,
    at the horizon, each scenario's unclipped peak and the instances it would need."""
    u = getattr(result, "unclipped", None)
    if u is None:
        return
    plan = result.plan
    last = u.months[-1]
    console.print(f"[bold yellow]Unclipped demand[/] (an estimate beside the plan, which stays on "
                  f"the observed peaks): planning peak {fmt_rate(u.planning_peak)} against "
                  f"{fmt_rate(u.observed_planning_peak)} observed")
    for label, peak, n, row in (
            ("nominal", last.nominal_peak, last.nominal_instances,
             plan.scenarios["nominal"].months[-1]),
            ("worst case", last.worst_case_peak, last.worst_case_instances,
             plan.scenarios["worst_case"].months[-1])):
        line = (f"  {label}, month {last.month}: {fmt_rate(peak)} unclipped against "
                f"{fmt_rate(row.peak)} in the plan")
        if n is not None and row.instances is not None:
            line += f"; {fmt.plural(n, 'instance')} against {row.instances:,}"
        console.print(line)
    console.print(f"  {esc(u.method)}")
