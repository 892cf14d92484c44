"""Queueing: Little's Law and the M/M/c (Erlang C) model. Pure; no I/O.

Notation: arrival rate lam (per second), mean service time s (seconds, so mu = 1/s per server),
c servers, offered load a = lam s (Erlangs), utilization rho = a / c. The worksheet takes and
returns rates in the traffic's unit (`units.RateUnit`) and runs per second: a unit of another time
base (hires/day) is converted exactly, and its sentences say so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from capplan.errors import CapplanError
from capplan.units import RateUnit
from capplan.numbers import duration, plain, rate

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|sec|m|min)?\s*$", re.IGNORECASE)


def parse_duration_seconds(text: str, flag: str) -> float:
    """'250ms', '0.25s', '250' (milliseconds when no unit) -> seconds."""
    m = _DURATION.match(str(text))
    if not m:
        raise CapplanError(f"{flag} {text!r} is not understood: write 250ms, 0.25s or 2min")
    value, unit = float(m.group(1)), (m.group(2) or "ms").lower()
    seconds = value * {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "sec": 1, "m": 60,
                       "min": 60}[unit]
    if seconds <= 0:
        raise CapplanError(f"{flag} {text!r} must be longer than zero")
    return seconds


def littles_law(rate: float, time_in_system: float) -> float:
    """L = lambda W (Little 1961): mean number in the system."""
    return rate * time_in_system


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c, C(c, a), for offered load a < c.

    Computed through the Erlang B recursion B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1, and
    C = c B / (c - a (1 - B)), which is stable for large c (no factorials).
    """
    if a >= c:
        return 1.0
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1 - b))


@dataclass(frozen=True, slots=True)
class MMc:
    arrival_rate: float
    service_time: float
    servers: int

    @property
    def offered_load(self) -> float:
        return self.arrival_rate * self.service_time

    @property
    def utilization(self) -> float:
        return self.offered_load / self.servers

    @property
    def stable(self) -> bool:
        return self.utilization < 1

    @property
    def wait_probability(self) -> float:
        return erlang_c(self.servers, self.offered_load)

    @property
    def _theta(self) -> float:
        # Rate of the exponential tail of the wait: c mu - lambda.
        return self.servers / self.service_time - self.arrival_rate

    @property
    def mean_wait(self) -> float:
        """Wq = C(c, a) / (c mu - lambda)."""
        if not self.stable:
            return math.inf
        return self.wait_probability / self._theta

    @property
    def mean_response(self) -> float:
        return self.mean_wait + self.service_time

    @property
    def queue_length(self) -> float:
        """Lq = lambda Wq (Little's Law on the queue)."""
        return self.arrival_rate * self.mean_wait

    def wait_quantile(self, q: float) -> float:
        """P(Wq > t) = C exp(-(c mu - lambda) t), so t_q = ln(C / (1 - q)) / (c mu - lambda)."""
        if not self.stable:
            return math.inf
        c = self.wait_probability
        if c <= 1 - q:
            return 0.0
        return math.log(c / (1 - q)) / self._theta

    def response_tail(self, t: float) -> float:
        """P(T > t) for T = Wq + S, S exponential(mu) (FCFS M/M/c)."""
        mu, theta, c = 1 / self.service_time, self._theta, self.wait_probability
        if abs(theta - mu) < 1e-12 * mu:
            conv = (1 + mu * t) * math.exp(-mu * t)
        else:
            conv = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
        return (1 - c) * math.exp(-mu * t) + c * conv

    def response_quantile(self, q: float) -> float:
        if not self.stable:
            return math.inf
        from scipy.optimize import brentq

        hi = self.service_time
        while self.response_tail(hi) > 1 - q:
            hi *= 2
        return brentq(lambda t: self.response_tail(t) - (1 - q), 0.0, hi, xtol=1e-12)


def max_rate_for_slo(service_time: float, servers: int, slo: float, q: float = 0.99) -> float:
    """Highest arrival rate at which the q-quantile of response time stays within `slo`."""
    from scipy.optimize import brentq

    if MMc(1e-12, service_time, servers).response_quantile(q) > slo:
        return 0.0
    hi = servers / service_time * (1 - 1e-9)

    def f(lam):
        return MMc(lam, service_time, servers).response_quantile(q) - slo

    if f(hi) <= 0:
        return hi
    return brentq(f, 1e-12, hi, xtol=1e-9)


@dataclass(frozen=True, slots=True)
class Worksheet:
    mean_rate: float | None
    peak_rate: float
    service_time: float
    instances: int | None
    servers_per_instance: int | None
    target_utilization: float
    latency_slo: float | None
    in_flight_mean: float | None
    in_flight_peak: float
    queue_mean: float | None
    queue_peak: float | None
    rate_limit_per_instance: float | None  # the recommended limit (see `rate_limit_basis`)
    slo_rate_per_instance: float | None  # the highest rate at which p99 meets the objective
    slo_utilization: float | None
    utilization_table: tuple[tuple[float, float, float], ...]  # rho, p99 wait, p99 response
    at_peak: tuple[str, ...]
    utilization_rate_per_instance: float | None = None  # target x capacity
    binding: str | None = None  # "utilization" or "latency_slo": the lower of the two rates
    rate_limit_basis: str | None = None  # how the recommended limit was set
    servers_source: str | None = None


def _rate_limit(words: list, *, service_time, servers, capacity, util_rate, target_utilization,
                latency_slo, latency_limit, unit: RateUnit):
    """(SLO rate, its utilization, which limit binds, the recommended rate limit, its basis in
    words), per second; the sentences about them go into `words`."""
    from capplan.capacity import RATE_LIMIT_MARGIN as MARGIN

    per_s = unit.per_second

    c = servers
    slo_rate = slo_util = None
    binding = "utilization"
    limit = util_rate
    basis = (f"the target utilization ({target_utilization:.0%} of {plain(capacity)} {per_s}): no "
             "latency objective given (--latency-slo sets the limit by p99)")
    if latency_slo:
        if latency_limit is not None:
            slo_rate = unit.to_per_second(latency_limit.rate, "--latency-slo")
            how = ("measured in the load test" if latency_limit.method == "measured" else
                   f"M/M/c with {latency_limit.servers_per_instance} server(s) of "
                   f"{latency_limit.service_time * 1000:.4g} ms")
        else:
            slo_rate = max_rate_for_slo(service_time, c, latency_slo)
            how = f"M/M/c with {c} server(s) of {service_time * 1000:.4g} ms"
        slo_util = slo_rate / capacity
        limit = slo_rate * (1 - MARGIN)  # also the rate a latency-bound fleet is sized to
        binding = "latency_slo" if limit < util_rate else "utilization"
        basis = (f"the highest rate at which p99 stays within {latency_slo * 1000:g} ms, "
                 f"{rate(slo_rate)} {per_s}, less a {MARGIN:.0%} margin")
        words.append(f"p99 response stays within {latency_slo * 1000:g} ms up to {rate(slo_rate)} "
                     f"{per_s} per instance ({how}), {slo_util:.0%} utilization: past it waiting "
                     "time climbs steeply (the cliff)")
        words.append(f"limits per instance: the utilization target allows {rate(util_rate)} "
                     f"{per_s}, the latency objective {rate(limit)} {per_s} (with the rate "
                     f"limit's {MARGIN:.0%} margin): the "
                     f"{'latency objective' if binding == 'latency_slo' else 'utilization target'}"
                     " binds (the lower)")
    return slo_rate, slo_util, binding, limit, basis


def worksheet(*, mean_rate, peak_rate, service_time, instances, target_utilization,
              latency_slo=None, servers_per_instance=None, latency_limit=None,
              unit: RateUnit = RateUnit()) -> Worksheet:
    """Little's Law and M/M/c at the mean and the peak; the two per-instance limits (the
    utilization target, and the highest rate at which p99 meets `latency_slo`), which binds, the
    recommended rate limit, and what the peak does with and without it.

    `latency_limit` (capacity.LatencyLimit), when the capacity model has one, is the SLO-limited
    rate the whole plan uses (measured, or M/M/c on the fit); this worksheet then shows that rate
    rather than its own model's, so one objective gives one number.

    `mean_rate`, `peak_rate` and the rates returned are in `unit`; the sentences are per second
    (`unit.per_second`), as Little's Law and M/M/c are, and say so when the unit is not."""
    per_s = unit.per_second
    given_mean, given_peak = mean_rate, peak_rate
    peak_rate = unit.to_per_second(peak_rate, "--service-time")
    mean_rate = unit.to_per_second(mean_rate, "--service-time") if mean_rate else mean_rate
    in_flight_peak = littles_law(peak_rate, service_time)
    in_flight_mean = littles_law(mean_rate, service_time) if mean_rate else None
    words = [f"at the peak, {plain(peak_rate)} {per_s} x {service_time * 1000:g} ms = "
             f"{in_flight_peak:,.4g} {unit.items} in service at once (Little's Law): size thread "
             "and connection pools above this"]
    if unit.converts:
        words.insert(0, f"the worksheet runs per second, as Little's Law and M/M/c do: the "
                        f"traffic's {unit.label} divided by {unit.seconds:,.0f} (seconds a "
                        f"{unit.base_word()}) is {per_s}; the peak of {plain(given_peak)} "
                        f"{unit.label} is {plain(peak_rate)} {per_s}")
    if not instances:
        return Worksheet(given_mean, given_peak, service_time, None, None, target_utilization,
                         latency_slo, in_flight_mean, in_flight_peak, None, None, None, None, None,
                         (), tuple(words + ["give --instances to get queueing per instance"]))
    # Servers per instance: the concurrency an instance sustains; with no better figure, enough
    # that the target utilization carries today's peak (Little's Law: c = X s / rho).
    if servers_per_instance:
        c, servers_source = servers_per_instance, ("Little's Law: the per-instance limit x the "
                                                   "service time")
    else:
        c = max(1, math.ceil(peak_rate / instances * service_time / target_utilization))
        servers_source = ("Little's Law at today's peak: enough servers that the target "
                          "utilization carries it (no per-instance limit given)")
    capacity = c / service_time  # per second, per instance at 100%
    util_rate = target_utilization * capacity

    def queue(rate):
        m = MMc(rate / instances, service_time, c)
        return m.queue_length if m.stable else math.inf

    table = []
    for rho in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        m = MMc(rho * capacity, service_time, c)
        table.append((rho, m.wait_quantile(0.99), m.response_quantile(0.99)))
    slo_rate, slo_util, binding, limit, basis = _rate_limit(
        words, service_time=service_time, servers=c, capacity=capacity, util_rate=util_rate,
        target_utilization=target_utilization, latency_slo=latency_slo,
        latency_limit=latency_limit, unit=unit)
    per_instance_peak = peak_rate / instances
    if per_instance_peak > limit:
        shed = (per_instance_peak - limit) / per_instance_peak
        words.append(f"with a rate limit of {rate(limit)} {per_s} per instance ({basis}), the "
                     f"peak of {rate(per_instance_peak)} {per_s} per instance sheds {shed:.0%} of "
                     f"{unit.items}")
    else:
        words.append(f"a rate limit of {rate(limit)} {per_s} per instance ({basis}) is not "
                     f"reached at the peak ({rate(per_instance_peak)} {per_s} per instance)")
    if per_instance_peak >= capacity:
        words.append(f"without a limit the queue grows without bound at the peak: "
                     f"{plain(per_instance_peak - capacity)} {per_s} per instance more than "
                     f"{c} server(s) can serve")
    else:
        m = MMc(per_instance_peak, service_time, c)
        words.append(f"without a limit the peak runs at {m.utilization:.0%} utilization: mean "
                     f"wait {duration(m.mean_wait)}, p99 response "
                     f"{duration(m.response_quantile(0.99))}")
    def in_unit(rate):
        return None if rate is None else unit.from_per_second(rate, "--service-time")

    return Worksheet(given_mean, given_peak, service_time, instances, c, target_utilization,
                     latency_slo, in_flight_mean, in_flight_peak,
                     queue(mean_rate) if mean_rate else None, queue(peak_rate), in_unit(limit),
                     in_unit(slo_rate), slo_util, tuple(table), tuple(words), in_unit(util_rate),
                     binding, basis, servers_source)
