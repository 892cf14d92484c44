"""The terminal summary: rich tables, numbers formatted for people (the engine keeps precision)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape as esc
from rich.table import Table

from capplan.outputs import fmt

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
    console.print(t)
    console.print(f"  peak at {load.peak_time:%Y-%m-%d %H:%M} UTC")
    if load.busiest_hour:
        wd, hr, v = load.busiest_hour
        console.print(f"  busiest hour: {WEEKDAYS[wd]} {hr:02d}:00 ({load.local_timezone}), mean "
                      f"{fmt_rate(v)}")
    pp = load.planning_peak
    console.print(f"  [bold]planning peak {fmt_rate(pp.value)}[/] on {pp.date}: {esc(pp.method)}")
    others = [a for a in load.anomalies if a not in pp.excluded]
    if others:
        shown = ", ".join(f"{a.date} ({fmt_rate(a.value)})" for a in others[:5])
        more = f" and {len(others) - 5} more" if len(others) > 5 else ""
        console.print(f"  one-off daily peaks flagged in the history: {shown}{more}")


def print_plan(console: Console, plan: Plan) -> None:
    c, f = plan.capacity, plan.forecast
    console.print()
    if c.sized:
        usable = (f"{fmt_rate(c.usable_per_instance)} req/s usable per instance"
                  if c.usable_per_instance is not None else "the fleet's X(N) times the target")
        console.print(f"[bold]Capacity[/]: {c.limit_source}; target utilization "
                      f"{c.target_utilization:.0%} -> {usable}; {c.describe_redundancy()}")
        for a in c.assumptions:
            console.print(f"  note: {a}")
        if plan.today_capacity is not None:
            console.print(f"  today's {c.current_instances} instances carry "
                          f"{fmt_rate(plan.today_capacity)} req/s at the target; the planning peak "
                          f"needs {plan.today_instances_needed}")
    else:
        console.print("[bold]Capacity[/]: not given, so this plan is of the load only. Add "
                      "--per-instance RPS, or --instances N --utilization U, to get instances.")
    console.print(f"[bold]Growth[/]: {f.model}, {f.monthly_growth:+.1%} a month; "
                  f"{f.chosen_because}")
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
        console.print(bt)
    for a in f.assumptions[2:]:
        console.print(f"  {esc(a)}")
    for r in f.recurring_peaks:
        console.print(f"  recurring peak {r}")
    t = Table(title=f"Plan from {plan.start}, {plan.months} month(s)", title_justify="left")
    t.add_column("month", justify="right")
    t.add_column("date")
    for name in plan.scenarios:
        label = name.replace("_", " ")
        t.add_column(f"{label} peak", justify="right")
        if c.sized:
            t.add_column(f"{label} inst.", justify="right")
            t.add_column("add", justify="right")
    nominal, worst = plan.scenarios["nominal"], plan.scenarios["worst_case"]
    for rn, rw in zip(nominal.months, worst.months):
        row = [str(rn.month), rn.date]
        for r in (rn, rw):
            peak = fmt_rate(r.peak) + (f" ({esc(r.event)})" if r.event else "")
            row.append(peak)
            if c.sized:
                row += [f"{r.cells} cells x {r.cell_size}" if r.beyond_fleet_limit
                        else str(r.instances),
                        "-" if r.add is None else str(r.add)]
        t.add_row(*row)
    console.print(t)
    if c.sized and c.current_instances:
        for s in (nominal, worst):
            label = s.name.replace("_", " ")
            if s.runway == plan.start:
                console.print(f"  [bold]{label} runway[/]: today's fleet is already short of the "
                              "planning peak at the target utilization with the redundancy asked "
                              "for: order now")
            elif s.runway:
                extra = f"; order by {s.order_by}" if plan.lead_time_days else ""
                console.print(f"  [bold]{label} runway[/]: today's fleet runs out on {s.runway} "
                              f"({s.runway_months:.2f} months){extra}")
            else:
                console.print(f"  [bold]{label} runway[/]: today's fleet lasts the "
                              f"{plan.months}-month horizon")
    for n in plan.notes:
        console.print(f"  note: {esc(n)}")


def print_usl(console: Console, fit, latency_slo: str | None = None) -> None:
    m = fit.model
    t = Table(title=f"Universal Scalability Law ({fit.source})", title_justify="left")
    for col in ("coefficient", "value", "std. error", "95% interval (t, n-3 df)"):
        t.add_column(col, justify="right" if col != "coefficient" else "left")
    for name, label, v in (("sigma", "sigma (contention)", m.sigma),
                           ("kappa", "kappa (coherency)", m.kappa),
                           ("lambda", "lambda (X of one)", m.lambda_)):
        se = fit.stderr.get(name) if fit.stderr else None
        ci = fit.ci.get(name) if fit.ci else None
        t.add_row(label, f"{v:.6g}", "-" if se is None else f"{se:.3g}",
                  "-" if ci is None else f"[{ci[0]:.4g}, {ci[1]:.4g}]")
    console.print(t)
    if m.n_star is not None:
        flag = " (extrapolated)" if fit.is_extrapolation(m.n_star) else ""
        console.print(f"  peak: X(N*) = {fmt_rate(m.x_max)} at N* = {m.n_star:.2f}{flag}")
    if m.amdahl_ceiling is not None:
        console.print(f"  Amdahl ceiling lambda/sigma = {fmt_rate(m.amdahl_ceiling)}")
    if fit.r_squared is not None:
        console.print(f"  R^2 = {fit.r_squared:.4f}, residual standard error "
                      f"{fit.residual_se:.4g} on {len(fit.n) - 3} df")
    if latency_slo:
        from capplan.queueing import parse_duration_seconds

        r = parse_duration_seconds(latency_slo, "--latency-slo")
        n = m.concurrency_at_latency(r)
        flag = " (extrapolated)" if fit.is_extrapolation(n) else ""
        if m.n_star is not None and n > m.n_star:
            flag += "; past N*: throughput is already falling there, so X(N*) is the limit"
        console.print(f"  at latency {latency_slo}: X = {fmt_rate(m.throughput_at_latency(r))} at "
                      f"concurrency {n:.1f}{flag}")
    for w in fit.warnings:
        console.print(f"  [yellow]warning[/]: {w}")


def print_capacity_models(console: Console, result) -> None:
    if result.usl is not None:
        print_usl(console, result.usl)
    if result.fleet_usl is not None:
        console.print("[bold]Fleet scale-out[/] (instances against throughput):")
        print_usl(console, result.fleet_usl)
    w = result.queueing
    if w is not None:
        console.print("[bold]Queueing worksheet[/] (Little's Law, M/M/c per instance)")
        if w.in_flight_mean is not None:
            console.print(f"  in flight at the mean: {w.in_flight_mean:,.4g}; at the peak: "
                          f"{w.in_flight_peak:,.4g}")
        if w.queue_peak is not None:
            qm = "-" if w.queue_mean is None else f"{w.queue_mean:,.4g}"
            console.print(f"  queue length per instance ({w.servers_per_instance} server(s)): "
                          f"mean load {qm}, peak {w.queue_peak:,.4g}")
        if w.utilization_table:
            t = Table(title="p99 by utilization (one instance)", title_justify="left")
            for col in ("utilization", "p99 wait", "p99 response"):
                t.add_column(col, justify="right")
            for rho, w99, r99 in w.utilization_table:
                t.add_row(f"{rho:.0%}", f"{w99 * 1000:,.3g} ms", f"{r99 * 1000:,.3g} ms")
            console.print(t)
        for line in w.at_peak:
            console.print(f"  {line}")
