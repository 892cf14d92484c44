"""The latency objective as a limit, and the two limits side by side. Pure; no I/O.

`--latency-slo` has one meaning everywhere: an objective on the p99 response time. It gives a
second per-instance limit beside the utilization target: the highest rate at which p99 still
meets the objective. It comes from
- the load test's measured latency per step, when it has one (a latency column, or a tool's
  percentiles: the p99 when measured, else the statistic named, e.g. by the column's name);
- else M/M/c (Erlang C) with c servers of mean service time s: on a USL fit, s = R(1) = 1/lambda
  (one request alone) and c = X(N*) x s by Little's Law (the requests in service at full load);
  with `--service-time`, s is given and c = limit x s.
The lower of the two limits binds the normal per-instance rate (`CapacityModel.binding`). The
recommended rate limit (load shedding) is the highest rate at which the objective holds, less a
stated margin; the latency limit that sizes the fleet carries the same margin, so the rate
limit never throttles the traffic the fleet is sized for. It is not the headroom target.

Rates are in the traffic's unit (`units.RateUnit`); the load test's throughput and M/M/c are per
second, so with a unit of another time base (hires/day) their rates are converted exactly and the
sentence says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from capplan.capacity import RATE_LIMIT_MARGIN, CapacityModel, LatencyLimit
from capplan.units import RateUnit
from capplan.numbers import duration, plain
from capplan.numbers import rate as fmt_rate

MARGIN = RATE_LIMIT_MARGIN  # the rate limit sits this far below the rate at which p99 = objective


@dataclass(frozen=True, slots=True)
class RateLimits:
    utilization_rate: float | None  # limit x target utilization, per instance
    latency: LatencyLimit | None
    binding: str  # "utilization" or "latency_slo"
    recommended_rate_limit: float | None  # per instance: latency.rate x (1 - margin)
    margin: float
    note: str


def _in_unit(rate: float, how: str, unit: RateUnit, flag: str) -> tuple[float, str]:
    """A per-second rate and its sentence in the traffic's unit (unchanged for a per-second
    unit; else converted, and the sentence says by what)."""
    if not unit.converts or not rate > 0:
        return rate, how
    converted = unit.from_per_second(rate, flag)
    return converted, f"{how}; {plain(converted)} {unit.label} ({unit.conversion()})"


def from_measured(n, x, latency_seconds, slo: float, source: str, statistic: str,
                  unit: RateUnit = RateUnit()) -> LatencyLimit:
    """The rate at which the measured latency reaches `slo`: steps in order of concurrency, the
    first step past the objective, linear interpolation in (throughput, latency) from the step
    before it; never below the highest throughput measured within the objective. The load
    test's throughput `x` is per second; the rate is in `unit`."""
    import numpy as np

    per_s = unit.per_second

    n, x, lat = (np.asarray(v, float) for v in (n, x, latency_seconds))
    order = np.lexsort((x, n))
    n, x, lat = n[order], x[order], lat[order]
    over = np.flatnonzero(lat > slo)
    what = f"{statistic} ({source})"
    notes = []
    if statistic != "p99":
        kind = ("optimistic: a p99 is higher" if statistic in ("mean", "p50", "p90", "p95")
                or statistic == "unstated" else "conservative: a p99 is lower")
        notes.append(f"the measured latency is the {statistic}, not the p99: the objective is "
                     f"checked against it ({kind})")
    if over.size == 0:
        rate = float(x.max())
        how = (f"the measured {statistic} stays within {duration(slo)} at every step: the rate "
               f"is at least the highest measured throughput, {plain(rate)} {per_s}")
    elif over[0] == 0:
        rate = 0.0
        how = (f"the measured {statistic} is {duration(lat[0])} already at the lightest "
               f"step (N = {n[0]:g}), above {duration(slo)}")
    else:
        i = int(over[0])
        frac = (slo - lat[i - 1]) / (lat[i] - lat[i - 1])
        cross = float(x[i - 1] + frac * (x[i] - x[i - 1]))
        rate = max(cross, float(x[:i].max()))
        rule = ("by linear interpolation" if cross >= float(x[:i].max()) else
                f"the highest throughput measured within it (interpolation gives {plain(cross)}: "
                "the throughput falls past that step)")
        how = (f"the measured {statistic} reaches {duration(slo)} between N = {n[i - 1]:g} "
               f"({plain(x[i - 1])} {per_s}, {duration(lat[i - 1])}) and N = {n[i]:g} "
               f"({plain(x[i])} {per_s}, {duration(lat[i])}): {plain(rate)} {per_s}, {rule}")
    rate, how = _in_unit(rate, how, unit, "--load-test")
    return LatencyLimit(slo_seconds=slo, rate=rate, method="measured", statistic=what,
                        description=how, notes=tuple(notes))


def from_mmc(service_time: float, servers: int, slo: float, servers_source: str,
             unit: RateUnit = RateUnit(), flag: str = "--service-time") -> LatencyLimit:
    """The highest arrival rate at which the M/M/c p99 response time stays within `slo`, in
    `unit` (M/M/c runs per second)."""
    from capplan.queueing import max_rate_for_slo

    rate = max_rate_for_slo(service_time, servers, slo)
    if rate > 0:
        how = (f"M/M/c with {servers} server(s) of mean service time "
               f"{duration(service_time)}: p99 response reaches {duration(slo)} at "
               f"{fmt_rate(rate)} {unit.per_second} ({rate * service_time / servers:.0%} "
               "utilization)")
        rate, how = _in_unit(rate, how, unit, flag)
    else:
        how = (f"M/M/c with {servers} server(s) of mean service time {duration(service_time)}: "
               f"the p99 response time exceeds {duration(slo)} even unloaded (the p99 of the "
               f"service time alone is {duration(service_time * math.log(100))})")
    return LatencyLimit(slo_seconds=slo, rate=rate, method="M/M/c",
                        statistic="p99 of the M/M/c response time (wait + service)",
                        description=how, servers_per_instance=servers,
                        servers_source=servers_source, service_time=service_time)


def for_load_test(fit, slo: float, unit: RateUnit = RateUnit()) -> LatencyLimit:
    """From a one-instance load test (a `USLFit`, its throughput per second): its measured
    latency per step (in seconds, read by `capplan.ingest.loadtests`, which names its statistic
    and unit) when the test measured it, else M/M/c on the fitted curve; the rate in `unit`."""
    from capplan.usl import per_instance_limit

    if fit.latency is not None and fit.latency_statistic:
        return from_measured(fit.n, fit.x, fit.latency, slo,
                             fit.latency_column or "the load test", fit.latency_statistic, unit)
    m = fit.model
    limit, _ = per_instance_limit(fit, unit.per_second)
    service = 1 / m.lambda_
    servers = max(1, round(limit * service))
    source = (f"Little's Law on the USL fit: X at the limit x R(1) = {plain(limit)} "
              f"{unit.per_second} x {duration(service)} = {limit * service:,.4g} {unit.items} in "
              "service at full load (R(1) = 1/lambda: one request alone); the load test has no "
              "measured latency")
    return from_mmc(service, servers, slo, source, unit, "--load-test")


def for_service_time(per_instance_limit: float, service_time: float, slo: float,
                     unit: RateUnit = RateUnit()) -> LatencyLimit:
    """From `--service-time`: M/M/c with c = limit x service time (Little's Law), the limit
    (in `unit`) taken per second."""
    per_s = unit.to_per_second(per_instance_limit, "--service-time")
    servers = max(1, round(per_s * service_time))
    given = (f" ({plain(per_instance_limit)} {unit.label} / {unit.seconds:,.0f})"
             if unit.converts else "")
    source = (f"Little's Law: the per-instance limit x the service time = "
              f"{plain(per_s)} {unit.per_second}{given} x {duration(service_time)} = "
              f"{per_s * service_time:,.4g} {unit.items} in service at 100%")
    return from_mmc(service_time, servers, slo, source, unit)


def rate_limits(capacity: CapacityModel) -> RateLimits:
    """The utilization limit and the latency limit per instance, which binds, and the
    recommended rate limit."""
    lat = capacity.latency_limit
    u = capacity.utilization_rate
    label = capacity.unit
    binding = capacity.binding
    recommended = capacity.latency_rate  # p99's rate less the margin: what a latency-bound fleet is sized to
    if lat is None:
        note = ("no latency objective: the utilization target alone limits the rate; give "
                "--latency-slo (with --service-time or a --load-test) for a rate limit")
    elif capacity.fleet_usl is not None:
        note = ("the fleet is sized by its scale-out fit at the target utilization; the latency "
                "limit is one instance's and sets the recommended rate limit only")
    elif binding == "latency_slo":
        note = (f"p99 reaches the objective at {plain(lat.rate)} {label} an instance; less the "
                f"rate limit's {MARGIN:.0%} margin, {plain(recommended)} is below the utilization "
                f"target's {plain(u)}: the latency objective binds and sizes the fleet, which then "
                "never meets the rate limit in normal running")
    else:
        note = (f"the utilization target ({plain(u)} {label} an instance) is below the rate at which "
                f"p99 reaches the objective ({plain(lat.rate)}) less the rate limit's "
                f"{MARGIN:.0%} margin ({plain(recommended)}): the target binds")
    return RateLimits(u, lat, binding, recommended, MARGIN, note)
