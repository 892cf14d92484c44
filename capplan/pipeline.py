"""The whole flow as library calls: ingest -> load -> capacity -> growth -> plan.

`capplan.api` (the notebook API, and the CLI through it) turns typed arguments into `Settings`
and calls these; so can any other program. Only `ingest` (and the USL load-test reader) read files
here; nothing is written. Each stage is marked with `capplan.progress` (silent unless a terminal
front end listens).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from capplan import progress
from capplan.errors import CapplanError


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a run needs, after the config file and the flags are merged."""

    months: int = 6
    per_instance: float | None = None
    instances: int | None = None
    utilization: float | None = None
    target_utilization: float = 0.6
    spare: int = 0
    zones: int = 1
    growth: str | None = None
    worst_growth: str | None = None
    worst_quantile: float = 0.95
    model: str | None = None
    events: tuple[str, ...] = ()
    events_file: str | None = None
    lead_time: int = 0
    cost_per_instance: float | None = None
    latency_slo: str | None = None
    load_test: str | None = None
    fleet_usl: str | None = None
    service_time: str | None = None
    service: str | None = None
    title: str | None = None
    paper: str = "A4"
    degraded_utilization: float = 0.8
    cell_overhead: int = 0
    prescale: int = 7
    currency: str | None = None
    throughput_unit: str = "second"
    # capacity from production metrics (--capacity-from; see capplan.resources)
    capacity_from: str | None = None
    throughput: str | None = None
    resources: tuple[str, ...] = ()
    instances_column: str | None = None
    utilization_unit: str = "auto"
    exclude: tuple[str, ...] = ()
    deploy: tuple[str, ...] = ()
    warm_up: str = "10m"
    # ingest
    time_column: str | None = None
    value_column: str | None = None
    series: str | None = None
    sheet: str | None = None
    timezone: str = "UTC"
    per_interval: bool = False
    counter: bool = False
    rate: bool = False
    aggregate: str | None = None
    unit: str | None = None

    @classmethod
    def from_dict(cls, values: dict) -> Settings:
        known = {f for f in cls.__dataclass_fields__}
        clean = {k: v for k, v in values.items() if k in known and v is not None}
        for key in ("events", "resources", "exclude", "deploy"):
            if key in clean:
                clean[key] = tuple(clean[key])
        return cls(**clean)


def check_months(months: int) -> None:
    if months < 1:
        raise CapplanError(f"--months {months}: the horizon must be at least 1 month")
    if months > 60:
        raise CapplanError(f"--months {months}: capplan plans at most 60 months ahead; growth "
                           "forecasts past five years are not worth sizing a fleet on")


def load_events(settings: Settings):
    from capplan.events import parse_event, read_events_file

    events = [parse_event(e) for e in settings.events]
    if settings.events_file:
        p = Path(settings.events_file)
        if not p.is_file():
            raise CapplanError(f"--events {p}: no such file: check the path")
        events += list(read_events_file(p.read_text(encoding="utf-8-sig"), str(p)))
    seen: dict = {}
    for e in events:  # a name may recur (each year's sale), but not at the same start
        key = (e.name.casefold(), e.start)
        if key in seen:
            raise CapplanError(f"event {e.name!r} is given twice starting {e.start:%Y-%m-%d %H:%M} "
                               f"(x{seen[key].multiplier:g} and x{e.multiplier:g}): give it once, "
                               "or give the two events different names")
        seen[key] = e
    return tuple(events)


def read(path: str, settings: Settings):
    """Read one traffic file with the settings' reading options: a `Traffic`."""
    from capplan.ingest import read_traffic

    progress.stage(f"reading {Path(path).name}")
    return read_traffic(path, time_column=settings.time_column,
                        value_column=settings.value_column, series=settings.series,
                        sheet=settings.sheet, timezone=settings.timezone,
                        per_interval=settings.per_interval, counter=settings.counter,
                        rate=settings.rate, aggregate=settings.aggregate, unit=settings.unit)


def analyze(path: str, settings: Settings):
    """Read and analyse one traffic file: (Traffic, LoadProfile)."""
    traffic = read(path, settings)
    return traffic, analyze_traffic(traffic)


def analyze_traffic(traffic):
    """The load analysis of a `Traffic` read already (from a file or a DataFrame)."""
    from capplan.load import analyze_load

    progress.stage("analysing the load")
    return analyze_load(traffic)


@dataclass(frozen=True, slots=True)
class ForecastResult:
    traffic: object | None
    load: object | None
    plan: object
    usl: object | None = None  # the per-instance load-test fit (capplan.usl.USLFit)
    fleet_usl: object | None = None  # the scale-out fit
    queueing: object | None = None  # capplan.queueing.Worksheet
    # --capacity-from: the fits (capplan.resources.CapacityFromMetrics), the metrics as read
    # (capplan.ingest.metrics.MetricsTable) and, per scenario, each resource's outlook on today's
    # fleet (capplan.resources.ResourceOutlook tuples; None without today's fleet).
    resources: object | None = None
    metrics: object | None = None
    resource_outlook: dict | None = None
    # The demand a flat-topping ceiling hides, forecast beside the plan
    # (capplan.unclipped.UnclippedDemand; None unless load.flat_topping estimated it).
    unclipped: object | None = None


@dataclass(frozen=True, slots=True)
class _CapacityParts:
    capacity: object  # capplan.capacity.CapacityModel
    usl: object | None = None
    fleet_usl: object | None = None
    resources: object | None = None
    metrics: object | None = None


def fit_metrics(settings: Settings):
    """--capacity-from: read the metrics and fit every resource: (MetricsTable,
    CapacityFromMetrics). With --instances-column the throughput is divided by the column row by
    row (--instances is then only today's fleet); else by --instances, or taken as per instance."""
    from capplan.ingest.metrics import metric_specs, read_metrics
    from capplan.metrics_syntax import parse_instant, parse_warm_up, parse_window
    from capplan.resources import fit_resources
    from capplan.validation import check_metrics_settings

    check_metrics_settings({k: getattr(settings, k) for k in Settings.__dataclass_fields__})
    roles = metric_specs(settings)
    resources = [spec for flag, spec in roles if flag == "--resource"]
    counts = next((spec for flag, spec in roles if flag == "--instances-column"), None)
    zone = settings.timezone
    table = read_metrics(roles[0][1], resources, instances=counts, timezone=zone)
    fit = fit_resources(
        table, target_utilization=settings.target_utilization,
        instances=None if counts is not None else settings.instances,
        windows=[parse_window(w, "--exclude", zone) for w in settings.exclude],
        deploys=[parse_instant(t, "--deploy", zone) for t in settings.deploy],
        warm_up_seconds=parse_warm_up(settings.warm_up),
        utilization_unit=settings.utilization_unit)
    return table, fit


def _todays_fleet(settings: Settings, table) -> tuple[int | None, tuple[str, ...]]:
    """Today's fleet: --instances, else the last instance count of --instances-column."""
    if settings.instances is not None or table.instances is None:
        return settings.instances, ()
    import math

    counts = table.frame["instances"]
    last = float(counts.iloc[-1])
    if not (math.isfinite(last) and last >= 1):
        return None, (f"today's fleet is not known: the last instance count in "
                      f"{table.instances.describe()} is {last:g}; give --instances N",)
    n = round(last)
    return n, (f"today's fleet: {n} instances, the last count in {table.instances.describe()} "
               f"({counts.index[-1]:%Y-%m-%d %H:%M} UTC); give --instances N to state another",)


def _metrics_assumptions(fit, pl, target: float, unit: str = "req/s") -> tuple[str, ...]:
    """What a plan on a fitted limit rests on, in words."""
    b = fit.fit(fit.binding)
    out = [f"the plan scales {b.name}'s fitted limit linearly: {pl.limit * target:,.4g} {unit} "
           f"per instance at {target:.0%} is {pl.limit:,.4g} at 100%, and N instances carry N "
           "times one; utilizations in the plan are shares of that, while the fitted line itself "
           f"({b.name} = {b.intercept:.1%} + {100 * b.slope:.3g} points per {unit} per instance) "
           "includes the idle baseline"]
    out += [f"{b.name}: {w}" for w in b.warnings]
    return tuple(out)


def _capacity(settings: Settings, planning_peak: float | None, unit=None):
    """The capacity model, with the USL fits when load tests are given, and the latency limit
    when an objective is given; every rate and sentence in `unit` (a `units.RateUnit`, the
    traffic's; req/s when None), the per-second inputs converted (`units`)."""
    from capplan.capacity import build_capacity
    from capplan.units import RateUnit, conversion_note, fleet_in_unit, limit_in_unit

    from capplan.validation import check_fleet_settings

    unit = unit or RateUnit()
    # One way of giving the limit (the CLI checks it too; a library or fleet caller meets it
    # here, before a load test is fitted).
    check_fleet_settings({k: getattr(settings, k)
                          for k in ("per_instance", "load_test", "utilization", "instances")})
    per_instance = settings.per_instance
    source = None
    usl_fit = fleet_fit = table = res = None
    instances, extra, interval = settings.instances, (), None
    slo = _slo_seconds(settings)
    if settings.capacity_from:
        from capplan.resources import limit_for_plan
        from capplan.validation import check_metrics_time_base

        # the traffic's own unit (a Traffic made in code may carry one the flags did not)
        check_metrics_time_base({"unit": unit.label, "capacity_from": settings.capacity_from})
        table, res = fit_metrics(settings)
        pl = limit_for_plan(res, unit=unit.label)  # a unit of another time base is refused
        per_instance, source, interval = pl.limit, pl.source, (pl.limit_low, pl.limit_high)
        instances, extra = _todays_fleet(settings, table)
        extra = _metrics_assumptions(res, pl, settings.target_utilization, unit.label) + extra
    if settings.load_test:
        from capplan.ingest.loadtests import read_load_test_steps
        from capplan.usl import fit_usl, per_instance_limit

        progress.stage("fitting the load test")
        test = read_load_test_steps(settings.load_test, throughput_unit=settings.throughput_unit)
        usl_fit = fit_usl(**test.fit_arguments(), source=settings.load_test)
        if per_instance is None:
            per_instance, source = per_instance_limit(usl_fit, unit.per_second)
            per_instance, source = limit_in_unit(per_instance, source, unit, "--load-test")
    if settings.fleet_usl:
        from capplan.usl import fit_usl, read_load_test

        fleet_fit = fit_usl(*read_load_test(settings.fleet_usl,
                                            throughput_unit=settings.throughput_unit),
                            source=settings.fleet_usl)
        fleet_model = fleet_in_unit(fleet_fit.model, unit)
    _check_plan_settings(settings)
    latency = None
    if slo is not None:
        from capplan import limits

        if usl_fit is not None and settings.per_instance is None:
            latency = limits.for_load_test(usl_fit, slo, unit)
        elif settings.service_time:
            limit = per_instance
            if limit is None and settings.instances and settings.utilization and planning_peak:
                limit = planning_peak / (settings.instances * settings.utilization)
            if limit is not None:
                from capplan.queueing import parse_duration_seconds

                latency = limits.for_service_time(
                    limit, parse_duration_seconds(settings.service_time, "--service-time"), slo,
                    unit)
    capacity = build_capacity(
        planning_peak=planning_peak, per_instance=per_instance, instances=instances,
        utilization=settings.utilization, target_utilization=settings.target_utilization,
        spare=settings.spare, zones=settings.zones,
        fleet_usl=fleet_model if fleet_fit is not None else None,
        per_instance_source=source, degraded_utilization=settings.degraded_utilization,
        cell_overhead=settings.cell_overhead, latency_limit=latency,
        throughput_unit=settings.throughput_unit, per_instance_range=interval,
        assumptions=extra + conversion_note(
            unit, load_test=usl_fit is not None, fleet_usl=fleet_fit is not None,
            queueing=(latency is not None and latency.method == "M/M/c")
            or bool(settings.service_time)),
        unit=unit.label)
    if slo is not None and latency is None:
        import dataclasses

        capacity = dataclasses.replace(capacity, assumptions=capacity.assumptions + (
            f"--latency-slo {settings.latency_slo} is not applied to the sizing: give "
            "--service-time (with a per-instance limit) or a --load-test to turn it into a "
            "rate",))
    return _CapacityParts(capacity, usl_fit, fleet_fit, res, table)


def _slo_seconds(settings: Settings) -> float | None:
    if not settings.latency_slo:
        return None
    from capplan.queueing import parse_duration_seconds

    return parse_duration_seconds(settings.latency_slo, "--latency-slo")


def _check_plan_settings(settings: Settings) -> None:
    """The plan's own flags (the CLI checks them too; a library caller meets the same rules)."""
    if not 0 <= settings.prescale <= 365:
        raise CapplanError(f"--prescale {settings.prescale}: give the days before an event its "
                           "capacity must be in service, 0 to 365 (default 7)")
    if settings.currency is not None and not (
            0 < len(settings.currency.strip()) <= 12 and settings.currency.isprintable()):
        raise CapplanError(f"--currency {settings.currency!r}: give a short label such as USD, "
                           "EUR or GBP (at most 12 characters)")


def forecast(path: str, settings: Settings) -> ForecastResult:
    """A traffic file to a plan: the `capplan forecast` flow."""
    check_months(settings.months)
    events = load_events(settings)  # a bad event fails before the file is read
    return _forecast(read(path, settings), settings, events)


def forecast_traffic(traffic, settings: Settings) -> ForecastResult:
    """A `Traffic` read already (from a file or a DataFrame) to a plan."""
    check_months(settings.months)
    return _forecast(traffic, settings, load_events(settings))


def _forecast(traffic, settings: Settings, events) -> ForecastResult:
    from capplan.growth import forecast_peaks, parse_growth
    from capplan.plan import build_plan

    load = analyze_traffic(traffic)
    where = traffic.source.path
    if len(load.daily_peaks) < 1:
        raise CapplanError(f"{where}: not one full day of data: capplan plans from daily peaks; "
                           "export at least a day (two weeks or more for a growth fit)")
    if not (load.daily_peaks > 0).any():
        raise CapplanError(f"{where}: every value in column {traffic.source.value_column!r} is "
                           "zero: there is no load to plan for; check the column "
                           "(--value-column) or the export's time range")
    peak = load.planning_peak.value
    from capplan.units import rate_unit

    unit = rate_unit(traffic.unit)
    parts = _capacity(settings, peak, unit)
    capacity = parts.capacity
    progress.stage("forecasting growth")
    if settings.growth is not None:
        import pandas as pd

        from capplan.growth import fixed_growth

        g = parse_growth(settings.growth)
        wg = parse_growth(settings.worst_growth, "--worst-growth") if settings.worst_growth else None
        fc = fixed_growth(pd.Timestamp(load.daily_peaks.index[-1]), peak, settings.months, g, wg,
                          history=load.daily_peaks, worst_quantile=settings.worst_quantile)
    else:
        wg = parse_growth(settings.worst_growth, "--worst-growth") if settings.worst_growth else None
        fc = forecast_peaks(load.daily_peaks, settings.months,
                            worst_quantile=settings.worst_quantile, worst_growth=wg,
                            model=settings.model, planning_peak=peak)
    start = fc.start.date()
    progress.stage("planning")
    plan = build_plan(start=start, planning_peak=peak, capacity=capacity, forecast=fc,
                      events=events, months=settings.months, lead_time_days=settings.lead_time,
                      cost_per_instance=settings.cost_per_instance,
                      prescale_days=settings.prescale, currency=_currency(settings))
    queue = _queueing(settings, load.mean, peak, capacity, unit)
    from capplan.unclipped import unclipped_demand

    hidden = unclipped_demand(load, settings.months, capacity,
                              growth=g if settings.growth is not None else None, worst_growth=wg,
                              worst_quantile=settings.worst_quantile, model=settings.model)
    return _result(traffic, load, plan, parts, queue, hidden)


def _result(traffic, load, plan, parts: _CapacityParts, queue, unclipped=None
            ) -> ForecastResult:
    outlook = None
    current = plan.capacity.current_instances
    if parts.resources is not None and current:
        from capplan.resources import outlook as resource_outlook

        outlook = {name: resource_outlook(parts.resources, plan.planning_peak, current,
                                          [(m.month, m.peak) for m in s.months])
                   for name, s in plan.scenarios.items()}
    return ForecastResult(traffic, load, plan, parts.usl, parts.fleet_usl, queue,
                          parts.resources, parts.metrics, outlook, unclipped)


def plan_from_numbers(settings: Settings, *, peak: float, mean: float | None = None,
                      today: dt.date | None = None) -> ForecastResult:
    """A what-if plan from a stated peak and growth rate: the `capplan plan` flow."""
    import pandas as pd

    from capplan.growth import fixed_growth, parse_growth
    from capplan.plan import build_plan

    check_months(settings.months)
    if peak is None or peak <= 0:
        raise CapplanError("--peak must be a positive rate in req/s (today's planning peak)")
    if mean is not None and not 0 < mean <= peak:
        raise CapplanError(f"--mean {mean:g} must be positive and no more than --peak {peak:g}")
    events = load_events(settings)
    parts = _capacity(settings, peak)
    capacity = parts.capacity
    g = parse_growth(settings.growth) if settings.growth is not None else 0.0
    wg = parse_growth(settings.worst_growth, "--worst-growth") if settings.worst_growth else None
    today = today or today_utc()
    fc = fixed_growth(pd.Timestamp(today), peak, settings.months, g, wg,
                      stated=settings.growth is not None)
    progress.stage("planning")
    plan = build_plan(start=today, planning_peak=peak, capacity=capacity, forecast=fc,
                      events=events, months=settings.months, lead_time_days=settings.lead_time,
                      cost_per_instance=settings.cost_per_instance,
                      prescale_days=settings.prescale, currency=_currency(settings))
    queue = _queueing(settings, mean, peak, capacity)
    return _result(None, None, plan, parts, queue)


def _currency(settings: Settings) -> str | None:
    """The label costs carry. A three-letter code is an ISO 4217 code and is written in capitals
    ("usd" is USD), so that a fleet whose services write it either way adds their costs up;
    other labels ("US$", "€") are kept as given."""
    if not settings.currency:
        return None
    label = settings.currency.strip()
    return label.upper() if len(label) == 3 and label.isascii() and label.isalpha() else label


def today_utc(environ=None) -> dt.date:
    """The plan's today: `CAPPLAN_TODAY` (YYYY-MM-DD) when set, else `SOURCE_DATE_EPOCH` (seconds
    since 1970, the reproducible-builds convention) as a UTC date, else the clock's UTC date. Tests
    and reproducible runs freeze the clock with either."""
    import os

    env = os.environ if environ is None else environ
    text = env.get("CAPPLAN_TODAY", "").strip()
    if text:
        try:
            return dt.date.fromisoformat(text)
        except ValueError as exc:
            raise CapplanError(f"CAPPLAN_TODAY={text!r} is not a date: write YYYY-MM-DD, or "
                               "unset it to plan from today") from exc
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
        except (ValueError, OverflowError, OSError) as exc:
            raise CapplanError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds "
                               "since 1970: fix or unset it") from exc
    return dt.datetime.now(dt.timezone.utc).date()


def _queueing(settings: Settings, mean, peak, capacity, unit=None):
    if not settings.service_time:
        return None
    from capplan.queueing import parse_duration_seconds, worksheet

    service_time = parse_duration_seconds(settings.service_time, "--service-time")
    slo = _slo_seconds(settings)
    servers = None
    from capplan.units import RateUnit

    unit = unit or RateUnit()
    if capacity.per_instance_limit is not None:
        # Little's Law: an instance that completes X a second at 100% with service time s keeps
        # X s requests in service, its number of servers.
        limit = unit.to_per_second(capacity.per_instance_limit, "--service-time")
        servers = max(1, round(limit * service_time))
    return worksheet(mean_rate=mean, peak_rate=peak, service_time=service_time,
                     instances=settings.instances, target_utilization=capacity.target_utilization,
                     latency_slo=slo, servers_per_instance=servers,
                     latency_limit=capacity.latency_limit, unit=unit)
