"""The traffic's rate unit as the engine sees it: the label every sentence names (req/s,
orders/s, hires/day) and its time base in seconds. Pure; no I/O.

The plan's rates (the planning peak, the per-instance limits, the month rows) are all in the
traffic's unit. Three inputs are per second whatever the traffic's unit: a load test's throughput
(`--load-test`, `--fleet-usl`: read per second by `ingest.loadtests`), and the service time and
latency objective behind Little's Law and M/M/c (`--service-time`, `--latency-slo`). With a unit
of another time base (hires/day: 86,400 s; orders/min: 60 s) they meet the traffic's rates through
`seconds`, an exact factor: a load test's 2 hires/s is 172,800 hires/day, and 172,800 hires/day
arrive at 2 a second for Little's Law. The label says what is counted; the time base is only the
one the label states (`--unit` is parsed by `ingest.rates.parse_unit`).
"""

from __future__ import annotations

from dataclasses import dataclass

from capplan.errors import CapplanError
from capplan.numbers import plain

DEFAULT = "req/s"
BASE_WORDS = {1.0: "second", 60.0: "minute", 3600.0: "hour", 86400.0: "day", 604800.0: "week"}


@dataclass(frozen=True, slots=True)
class RateUnit:
    """A rate's label and the seconds of its time base (86,400 for hires/day); `seconds` None:
    the label names no time base capplan knows (only a hand-made `Traffic` can have one)."""

    label: str = DEFAULT
    seconds: float | None = 1.0

    @property
    def thing(self) -> str:
        """What is counted: orders for orders/s, hires for hires/day."""
        return self.label.rpartition("/")[0].strip() or self.label

    @property
    def items(self) -> str:
        """What is counted, as a plural noun for sentences: "requests" for req/s, else the
        unit's own word (jobs for jobs/s, hires for hires/day)."""
        return "requests" if self.thing in ("req", "requests") else self.thing

    @property
    def per_second(self) -> str:
        """The label of the same count per second: hires/s for hires/day; the label itself for a
        per-second unit."""
        return self.label if self.seconds == 1 else f"{self.thing}/s"

    @property
    def converts(self) -> bool:
        """Whether per-second figures differ from the traffic's (a time base other than 1 s)."""
        return self.seconds != 1

    def base_word(self) -> str:
        """The time base in a word: day for hires/day and hires/d."""
        return BASE_WORDS.get(self.seconds, self.label.rpartition("/")[2].strip())

    def factor(self, flag: str) -> float:
        """Seconds of the time base, to meet an input given per second (`flag` names it); refused
        when the label states none capplan knows."""
        if self.seconds is None:
            raise CapplanError(f"{flag} is per second, but the traffic's unit {self.label!r} "
                               "states no time base capplan knows: give --unit THING/s, /min, "
                               "/h, /day or /week, or only what is counted (--unit orders)")
        return self.seconds

    def from_per_second(self, rate: float, flag: str) -> float:
        return rate * self.factor(flag)

    def to_per_second(self, rate: float, flag: str) -> float:
        return rate / self.factor(flag)

    def conversion(self) -> str:
        """'x 86,400 seconds a day', the exact factor in words."""
        return f"x {self.seconds:,.0f} seconds a {self.base_word()}"


def rate_unit(label: str | None) -> RateUnit:
    """The RateUnit of a traffic's label (`Traffic.unit`, `LoadProfile.unit`); req/s for None."""
    if not label:
        return RateUnit()
    from capplan.ingest.rates import TIME_UNITS

    text = " ".join(str(label).split())
    thing, slash, base = text.rpartition("/")
    if not slash or not thing.strip():
        return RateUnit(text, None)
    key = base.strip().lower()
    seconds = TIME_UNITS.get(key, TIME_UNITS.get(key.rstrip("s")) if key.rstrip("s") else None)
    return RateUnit(text, None if seconds is None else float(seconds))


def limit_in_unit(rate: float, source: str, unit: RateUnit, flag: str) -> tuple[float, str]:
    """A load test's per-second limit and its sentence in the traffic's unit (`flag` names the
    per-second input)."""
    if not unit.converts:
        return rate, source
    converted = unit.from_per_second(rate, flag)
    return converted, f"{source}; {plain(converted)} {unit.label} ({unit.conversion()})"


def fleet_in_unit(model, unit: RateUnit):
    """A scale-out fit (`usl.USL`, per second) with X(N) in the traffic's unit: lambda times the
    time base; sigma, kappa and N* do not depend on it."""
    if not unit.converts:
        return model
    from dataclasses import replace

    return replace(model, lambda_=unit.from_per_second(model.lambda_, "--fleet-usl"))


def conversion_note(unit: RateUnit, *, load_test: bool = False, fleet_usl: bool = False,
                    queueing: bool = False) -> tuple[str, ...]:
    """The one sentence a plan in a unit of another time base carries when per-second inputs
    met its rates: which, and by what exact factor; () for a per-second unit."""
    what = ((["the load test's throughput (--load-test)"] if load_test else [])
            + (["the scale-out test's throughput (--fleet-usl)"] if fleet_usl else [])
            + (["Little's Law and M/M/c (--service-time, --latency-slo)"] if queueing else []))
    if not unit.converts or not what:
        return ()
    unit.factor("--load-test" if load_test else "--fleet-usl" if fleet_usl else "--service-time")
    return (f"the traffic is in {unit.label}; converted exactly from per second to "
            f"{unit.label} ({unit.conversion()}): {', '.join(what)}",)
