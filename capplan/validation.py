"""The rules every flag and every service-file value must meet, in one place. Pure: no I/O.

The CLI checks its flags with these rules before it reads a file (a bad flag fails in well under a
second), and `config.read_config` checks the TOML values with the same rules, naming the file and
the key instead of the flag. A value that breaks a rule raises `CapplanError` with one line that
names where it came from, what it was and the allowed range.

The ranges are what a capacity plan can mean, not what a float can hold: a target utilization of
1e-300 is a number, but it asks for 10^305 instances. They also keep every computed number
finite: the largest peak (1e12 req/s) grown at the fastest rate (+1000% a month) for the longest
horizon (60 months), with the largest event (1000x), over the smallest usable instance (0.001 req/s
at 1%), is about 3e82 instances, and times the largest cost (1e9) about 3e91: far from overflow.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from capplan.errors import CapplanError
from capplan.metrics_syntax import (
    UTILIZATION_UNITS,
    check_metric_spec,
    check_resources,
    parse_instant,
    parse_warm_up,
    parse_window,
)


@dataclass(frozen=True, slots=True)
class Range:
    """A closed interval, open at either end when said; `integer` for counts."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    unit: str = ""
    hint: str = ""  # what the value means, for the message

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        kind = "a whole number" if self.integer else "a number"
        if self.low_open:
            return f"{kind} above {_g(self.low)}, up to {_g(self.high)}{unit}"
        if self.high_open:
            return f"{kind} from {_g(self.low)} up to but not including {_g(self.high)}{unit}"
        return f"{kind} from {_g(self.low)} to {_g(self.high)}{unit}"

    def holds(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


def _g(x: float) -> str:
    """A bound as people write it: 1000000 -> 1,000,000; 1e12 -> 1e+12; 0.01 -> 0.01."""
    if x == int(x) and abs(x) < 1e9:
        return f"{int(x):,}"
    return f"{x:g}"


_FRACTION = "a fraction: 0.6 for 60%"
RATE = "req/s"
# The rules of the numeric settings, by their Settings/TOML name.
RULES: dict[str, Range] = {
    "peak": Range(1e-6, 1e12, unit=RATE, hint="today's planning peak"),
    "mean": Range(1e-6, 1e12, unit=RATE, hint="the mean rate"),
    "per_instance": Range(1e-3, 1e12, unit=RATE, hint="what one instance carries at 100%"),
    "utilization": Range(0.001, 1, hint=_FRACTION),
    "target_utilization": Range(0.01, 1, hint=_FRACTION),
    "instances": Range(1, 10_000_000, integer=True),
    "spare": Range(0, 100_000, integer=True),
    "zones": Range(1, 20, integer=True),
    "months": Range(1, 60, integer=True, unit="months",
                    hint="growth forecasts past five years are not worth sizing a fleet on"),
    "lead_time": Range(0, 3650, integer=True, unit="days", hint="order to in service"),
    "cost_per_instance": Range(0, 1e9, hint="per instance per month"),
    "worst_quantile": Range(0.5, 1, high_open=True, hint="0.95 for the 95th percentile"),
    "sigma": Range(0, 1, hint="the USL contention coefficient"),
    "kappa": Range(0, 1, hint="the USL coherency coefficient"),
    "lambda_": Range(1e-6, 1e12, unit=RATE, hint="the throughput of one, X(1)"),
    "degraded_utilization": Range(0.01, 1, hint="what survivors may run at after losing a zone "
                                  "or the spares, a fraction: 0.8 for 80%"),
    "cell_overhead": Range(0, 100_000, integer=True, hint="instances each cell needs of its own"),
    "prescale": Range(0, 365, integer=True, unit="days",
                      hint="how long before an event its capacity is in service"),
}
THROUGHPUT_UNITS = ("second", "minute", "hour")
MAX_CURRENCY = 12
# Growth, as a monthly compound rate: -90% to +1000% a month.
GROWTH = Range(-0.9, 10.0)
# A stated growth rate compounded over the horizon may raise the peak at most this many times:
# past a million-fold (+900%/month over the default 6 months, +25.8%/month over 60; +1000%/month
# only up to 5 months) the instance counts and costs are numbers no fleet or budget means.
MAX_RISE = 1e6
# Relative slack on that bound, so a rate that rises exactly a million-fold (900%/month over 6
# months: 10^6) is not refused by the last bit of log1p's rounding.
RISE_SLACK = 1e-12
DEFAULT_MONTHS = 6  # the horizon when --months is not given (pipeline.Settings.months)
# Events: a start between these years, a window up to a year, a multiplier up to 1000x.
EVENT_YEARS = (1970, 2100)
EVENT_MAX_HOURS = 366 * 24
EVENT_MULTIPLIER = Range(0, 1000, low_open=True, hint="3x for three times the peak")
# Latency objectives and service times: a microsecond to an hour.
DURATION_SECONDS = Range(1e-6, 3600, unit="s")
MAX_TEXT = 200  # titles, service and event names: one line on a page

# Settings that only mean something with --capacity-from (in `capplan forecast`).
METRICS_KEYS = ("throughput", "resources", "instances_column", "utilization_unit", "exclude",
                "deploy", "warm_up")
# Settings that give the per-instance limit another way, refused beside --capacity-from.
OTHER_LIMIT_KEYS = ("per_instance", "load_test", "fleet_usl", "utilization")

FLAG_NAMES = {"events": "--event", "events_file": "--events", "lambda_": "--lambda",
              "resources": "--resource"}


def flag(key: str) -> str:
    """The command-line flag of a setting: target_utilization -> --target-utilization."""
    return FLAG_NAMES.get(key, "--" + key.replace("_", "-"))


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def check_number(key: str, value, where: str | None = None):
    """Check one numeric setting against its rule; returns it. `where` names the source
    (default: the flag, e.g. "--peak"; for a file "service.toml: capacity.peak =")."""
    rule = RULES[key]
    where = where or flag(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CapplanError(f"{where} {value!r}: must be {rule.describe()}")
    if rule.integer and not isinstance(value, int):
        raise CapplanError(f"{where} {_show(value)}: must be {rule.describe()}")
    try:
        number = float(value)
    except OverflowError:  # an integer past 1e308, from a TOML file
        number = math.inf
    if not rule.holds(number):
        why = "" if math.isfinite(number) else " (it is not finite)"
        value = value if math.isfinite(number) else number
        hint = f" ({rule.hint})" if rule.hint else ""
        if rule.hint == _FRACTION and 2 <= number <= 100:
            hint = f" (a fraction: did you mean {value / 100:g} for {_g(value)}%?)"
        raise CapplanError(f"{where} {_show(value)}{why}: must be {rule.describe()}{hint}")
    return value


def parse_growth(text, where: str = "--growth") -> float:
    """A growth flag -> its monthly compound rate, refusing what is ambiguous or out of range.

    Accepted: `10%` and `10%/month` (a month), `25%/year`, `2%/week`; the rate must carry a
    `%`. A bare number is refused: `10` could mean 10% or 1000% a month.
    """
    from capplan.growth import parse_growth as to_monthly

    s = str(text).strip().lower().replace(" ", "")
    number = s.split("/", 1)[0]
    if not number.endswith("%"):
        try:
            x = float(number)
        except ValueError:
            raise CapplanError(f"{where} {text!r} is not understood: write 10%/month, 25%/year "
                               "or -5%/month") from None
        guess = x * 100 if abs(x) < 1 else x
        raise CapplanError(f"{where} {text!r}: a bare number is ambiguous ({_g_pct(x)} or "
                           f"{_g_pct(x * 100)} a month?): write {_g_pct(guess)}/month")
    try:
        raw = float(number[:-1])
    except ValueError:
        raise CapplanError(f"{where} {text!r} is not understood: write 10%/month, 25%/year or "
                           "-5%/month") from None
    if not math.isfinite(raw) or raw <= -100:
        raise CapplanError(f"{where} {text!r}: must be a finite rate between -90%/month and "
                           "+1000%/month")
    monthly = to_monthly(s, where)
    if not GROWTH.holds(monthly):
        raise CapplanError(f"{where} {text!r} is {monthly * 100:+.4g}% a month: must be "
                           "between -90%/month and +1000%/month")
    return monthly


def _g_pct(x: float) -> str:
    return f"{x:g}%"


def check_duration(text, where: str) -> float:
    """A latency objective or service time (250ms, 0.25s) -> seconds, from 1 us to 1 hour."""
    from capplan.queueing import parse_duration_seconds

    seconds = parse_duration_seconds(str(text), where)
    if not DURATION_SECONDS.holds(seconds):
        raise CapplanError(f"{where} {text!r}: must be from 1us to 1 hour (3600s)")
    return seconds


def check_text(value, where: str) -> str:
    """A title or name: text of at most MAX_TEXT characters."""
    if not isinstance(value, str):
        raise CapplanError(f"{where} {value!r}: must be text")
    if len(value) > MAX_TEXT:
        raise CapplanError(f"{where}: {len(value):,} characters: keep it to {MAX_TEXT}")
    return value


def check_timezone(name, where: str = "--timezone") -> str:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(str(name))
    except Exception:  # noqa: BLE001 - ZoneInfo raises several kinds for a bad key
        raise CapplanError(f"{where} {str(name)[:60]!r} is not a known time zone: use an IANA "
                           "name such as UTC, Europe/London or America/New_York") from None
    return name


def check_model(name, where: str = "--model") -> str:
    from capplan.growth import CANDIDATES

    if name not in CANDIDATES:
        from capplan.errors import name_list

        raise CapplanError(f"{where} {str(name)[:60]!r} is not a candidate: choose from "
                           f"{name_list(CANDIDATES, limit=len(CANDIDATES))}")
    return name


def check_paper(name, where: str = "--paper") -> str:
    from capplan.outputs.pdf import paper_size

    try:
        return paper_size(str(name))
    except CapplanError:
        raise CapplanError(f"{where} {str(name)[:40]!r}: choose A4 or Letter") from None


def _check_list(key: str, value, label: str, check) -> None:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise CapplanError(f"{label} {str(value)[:60]!r}: give a list such as [\"...\"]")
    for item in value:
        check(item)


def check_setting(key: str, value, where: str | None = None, timezone: str = "UTC"):
    """Check one setting by its name, whatever its kind; unknown or free-form keys pass."""
    if value is None:
        return value
    label = where or flag(key)
    if key in RULES:
        return check_number(key, value, where)
    if key in ("growth", "worst_growth"):
        parse_growth(value, label)
    elif key == "events":
        from capplan.events import parse_event

        for text in value:
            if not isinstance(text, str):
                raise CapplanError(f"{label} {text!r}: each event must be text such as "
                                   "black-friday:2026-11-27:48h:3x")
            parse_event(text, label)
    elif key in ("latency_slo", "service_time"):
        check_duration(value, label)
    elif key in ("title", "service"):
        check_text(value, label)
    elif key == "timezone":
        check_timezone(value, label)
    elif key == "model":
        check_model(value, label)
    elif key == "paper":
        check_paper(value, label)
    elif key == "currency":
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_CURRENCY \
                or not value.isprintable():
            raise CapplanError(f"{label} {str(value)[:40]!r}: give a short label for costs, "
                               f"such as USD, EUR or GBP (at most {MAX_CURRENCY} characters)")
    elif key == "throughput_unit":
        if str(value).strip().lower() not in THROUGHPUT_UNITS:
            raise CapplanError(f"{label} {str(value)[:40]!r}: write second, minute or hour (the "
                               "unit of the load test's throughput column)")
    elif key == "throughput":
        check_metric_spec(value, label, "throughput")
    elif key == "instances_column":
        check_metric_spec(value, label, "instances")
    elif key == "resources":
        check_resources(value, label)
    elif key == "utilization_unit":
        if value not in UTILIZATION_UNITS:
            raise CapplanError(f"{label} {str(value)[:40]!r}: write auto (percent when any value "
                               "is over 1), percent or fraction")
    elif key == "exclude":
        _check_list(key, value, label, lambda w: parse_window(w, label, timezone))
    elif key == "deploy":
        _check_list(key, value, label, lambda t: parse_instant(t, label, timezone))
    elif key == "warm_up":
        parse_warm_up(value, label)
    elif key == "capacity_from":
        if not isinstance(value, str) or not value.strip():
            raise CapplanError(f"{label} {str(value)[:40]!r}: give the metrics file's path")
    return value


def check_settings(values: dict, where=None) -> None:
    """Check every setting given (None is "not given"), then the rules between them.

    `where(key)` names a setting in messages; default: its flag."""
    def name(key: str) -> str:
        return where(key) if where else flag(key)

    zone = values.get("timezone")
    zone = zone if isinstance(zone, str) and zone else "UTC"
    if "timezone" in values and values["timezone"] is not None:
        check_setting("timezone", values["timezone"], name("timezone"))
    for key, value in values.items():
        check_setting(key, value, name(key), zone)
    check_capacity_source(values, name)
    check_horizon_growth(values, name)
    growth, worst = values.get("growth"), values.get("worst_growth")
    if growth is not None and worst is not None:
        if parse_growth(worst, name("worst_growth")) < parse_growth(growth, name("growth")):
            raise CapplanError(f"{name('worst_growth')} {worst} is below {name('growth')} "
                               f"{growth}: the worst case must grow at least as fast")
    peak, mean = values.get("peak"), values.get("mean")
    if peak is not None and mean is not None and mean > peak:
        raise CapplanError(f"{name('mean')} {_show(mean)} is above {name('peak')} {_show(peak)}: "
                           "the mean rate cannot exceed the peak")


def check_capacity_source(values: dict, name=flag) -> None:
    """--capacity-from gives the per-instance limit: any other way of giving it beside it is
    refused (which one would the plan use?), as is --utilization (the fitted line says what
    today's utilization is). `name(key)` names a setting in the message."""
    if values.get("capacity_from") is None:
        return
    for key in OTHER_LIMIT_KEYS:
        if values.get(key) is not None:
            what = ("today's utilization comes from the fitted line" if key == "utilization" else
                    "both give the per-instance limit")
            given = f"{name(key)} {_show(values[key])}"
            raise CapplanError(f"{name('capacity_from')} {_show(values['capacity_from'])} and "
                               f"{given}: {what}; keep one (drop {given} to plan from the "
                               "production metrics)")


def max_monthly_growth(months: int) -> float:
    """The highest stated monthly growth a plan of `months` accepts: +1000% a month, or the rate
    that raises the peak MAX_RISE-fold over the horizon when that is lower (from 6 months)."""
    return min(GROWTH.high, MAX_RISE ** (1 / months) - 1)


def describe_max_growth(months: int) -> str:
    """`max_monthly_growth` as the help and the refusal print it: a percent rounded down to a
    tenth (900%, 25.8%), so the rate printed is always accepted."""
    pct = math.floor(max_monthly_growth(months) * 1000 * (1 + RISE_SLACK)) / 10
    return f"{pct:g}%"


def check_horizon_growth(values: dict, name=flag, default_months: int | None = None) -> None:
    """A stated growth (and worst-case growth) compounded over the horizon raises the peak at
    most MAX_RISE times. Without `months` in `values`, `default_months` (None: not checked)."""
    months = values.get("months", None)
    months = default_months if months is None else months
    if months is None or not isinstance(months, numbers.Real) or not 1 <= months <= 60:
        return
    most_log = math.log(MAX_RISE) + RISE_SLACK
    for key in ("growth", "worst_growth"):
        if values.get(key) is None:
            continue
        g = parse_growth(values[key], name(key))
        if months * math.log1p(g) <= most_log:
            continue
        most_months = int(most_log // math.log1p(g))
        raise CapplanError(
            f"{name(key)} {values[key]} over {months} months raises the peak "
            f"{math.exp(months * math.log1p(g)):.2g}-fold, past the {MAX_RISE:,.0f}-fold a plan "
            f"means anything at: give at most {describe_max_growth(months)}/month over "
            f"{months} months, or plan at most {most_months} months at that rate (--months "
            f"{most_months})")


def check_fleet_settings(values: dict, name=flag) -> None:
    """--utilization is today's fleet's utilization at the planning peak: it derives the
    per-instance limit (peak / (instances x utilization)), so it needs --instances and is refused
    beside another way of giving the limit (the plan would silently use one and ignore the
    other). --per-instance and --load-test are refused together for the same reason: the
    plan would take the given number and the report would still show the load test's X(N*).
    Checked once the flags and the service file are merged."""
    if values.get("per_instance") is not None and values.get("load_test") is not None:
        given = f"{name('per_instance')} {_show(values['per_instance'])}"
        raise CapplanError(f"{given} and {name('load_test')} {_show(values['load_test'])} both "
                           "give the per-instance limit (the load test's USL fit gives X(N*)); "
                           f"keep one of the two (drop {given} to plan from the load test)")
    u = values.get("utilization")
    if u is None:
        return
    given = f"{name('utilization')} {_show(u)}"
    for key in ("per_instance", "load_test"):
        if values.get(key) is not None:
            other = f"{name(key)} {_show(values[key])}"
            raise CapplanError(f"{other} and {given} both set the per-instance limit "
                               "(utilization derives it: peak / (instances x utilization)); "
                               "keep one of the two")
    if values.get("instances") is None:
        raise CapplanError(f"{given} needs --instances (today's fleet, which runs at that "
                           f"utilization at the planning peak): add --instances N, or drop "
                           "the utilization")


def check_metrics_settings(values: dict, name=flag) -> None:
    """The rules between the capacity and metrics settings of `capplan forecast` and `plan`, once
    the flags and the service file are merged: `check_fleet_settings`, `check_horizon_growth`
    (the default horizon when none is given); --capacity-from needs
    --throughput and a --resource, and those need --capacity-from."""
    check_capacity_source(values, name)
    check_fleet_settings(values, name)
    check_horizon_growth(values, name, DEFAULT_MONTHS)
    check_metrics_time_base(values, name)
    if values.get("capacity_from") is None:
        given = [k for k in METRICS_KEYS if values.get(k) not in (None, (), [])]
        if given:
            raise CapplanError(f"{name(given[0])} needs --capacity-from FILE (the metrics file "
                               "it reads); add it, or drop " + name(given[0]))
        return
    if not values.get("throughput"):
        raise CapplanError(f"{name('capacity_from')} needs --throughput COLUMN (the metrics "
                           "file's throughput column), e.g. --throughput txn_rate")
    if not values.get("resources"):
        raise CapplanError(f"{name('capacity_from')} needs at least one --resource NAME=COLUMN "
                           "(a utilization to fit), e.g. --resource cpu=cpu_util")


def check_metrics_time_base(values: dict, name=flag) -> None:
    """--capacity-from beside a --unit of another time base than the second (hires/day) is
    refused. The metrics' throughput column is read per second (a rate as given, or counts
    divided by the interval) and no flag states another time base, while the traffic's unit says
    its rates are per day: an export beside it may well be per day too, and a limit read per
    second would then be 86,400 times too high. The load tests and M/M/c are converted instead
    (`capplan.units`): their time base is stated (--throughput-unit, seconds)."""
    unit, source = values.get("unit"), values.get("capacity_from")
    if unit is None or source is None:
        return
    from capplan.ingest.rates import parse_unit
    from capplan.units import rate_unit

    ru = rate_unit(parse_unit(unit).label)
    if not ru.converts:
        return
    per = f"per {ru.base_word()}" if ru.seconds else "not per second"
    raise CapplanError(f"{name('capacity_from')} reads the metrics' throughput per second, but "
                       f"{name('unit')} {unit} is {per}: the metrics' time base is unknown; read "
                       f"the traffic per second (--unit {ru.thing} --per-interval) or give "
                       f"--per-instance in {ru.label} instead of {name('capacity_from')}")


# The parts of plan.json that are the plan itself: every number in them must be finite. Elsewhere
# a null can be honest (an unstable queue's mean length, an hour of the week never observed).
PLAN_PARTS = ("planning_peak", "capacity", "scenarios", "events", "lead_time_days",
              "cost_per_instance", "growth.forecast", "growth.monthly_growth",
              "growth.worst_monthly_growth", "load.planning_peak")


def check_plan_finite(doc: dict) -> None:
    """Refuse to write a plan holding NaN or infinity where a number belongs: it would reach
    plan.json as a silent null. Raises `CapplanBug` naming the first such field."""
    from capplan.errors import CapplanBug

    for part in PLAN_PARTS:
        node, found = doc, True
        for key in part.split("."):
            if not isinstance(node, dict) or key not in node:
                found = False
                break
            node = node[key]
        if not found:
            continue
        bad = _first_non_finite(node, part)
        if bad is not None:
            raise CapplanBug(f"plan.json would hold {bad[1]} at {bad[0]}; nothing was written")


def _first_non_finite(node, path: str):
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, (list, tuple)):
        items = ((f"[{i}]", v) for i, v in enumerate(node))
    else:
        if isinstance(node, bool) or not isinstance(node, numbers.Real):
            return None  # text (an event named "inf" is a name), dates, null
        x = float(node)
        return None if math.isfinite(x) else (path, x)
    for key, value in items:
        sub = f"{path}{key}" if str(key).startswith("[") else f"{path}.{key}"
        bad = _first_non_finite(value, sub)
        if bad is not None:
            return bad
    return None
