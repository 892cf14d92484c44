"""Numbers and dates formatted for people: the one place the terminal, the PDF, the HTML page and
the charts share, so the same number reads the same everywhere."""

from __future__ import annotations

import datetime as dt
import math
import re

from capplan.numbers import rate as sentence_rate

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _finite(x) -> bool:
    return x is not None and not (isinstance(x, float) and not math.isfinite(x))


TINY = 1e-6  # below this a number reads "< 0.000001" (plan.json keeps the exact value)


def sig(x: float | None, digits: int = 4, missing: str = "-") -> str:
    """A number to `digits` significant digits in plain notation, never 2.662e-23: thousands
    separated, trailing zeros dropped, "0" for zero, "< 0.000001" (or "> -0.000001") for a
    number closer to zero than that; the exact value is in the JSON."""
    if not _finite(x):
        return missing
    if x == 0:
        return "0"
    if abs(x) < TINY:
        return "< 0.000001" if x > 0 else "> -0.000001"
    if abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    text = f"{x:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "0") else text


def rate(x: float | None, missing: str = "-") -> str:
    """Requests per second: thousands separated, decimals only where they matter."""
    if not _finite(x):
        return missing
    if abs(x) >= 1:  # the engine's sentences write a rate by the same rule
        return sentence_rate(x)
    return sig(x, 3)


def short(x: float | None, missing: str = "-") -> str:
    """A rate in plain short units for chart labels: 28.8k, 1.2M, 950 (never 2.88e+04)."""
    if not _finite(x):
        return missing
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            v = x / size
            text = f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
            return text + suffix
    return sig(x, 3) if abs(x) < 100 else f"{x:,.0f}"


def seconds(s: float | None, missing: str = "-") -> str:
    """A duration in the largest unit it fills: 30 min, 1 h, 2 days."""
    if s is None:
        return missing
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            v = s / size
            return f"{v:g} {unit}" if v == int(v) else f"{v:.1f} {unit}"
    return f"{s:g} s"


def count(n: int | None, missing: str = "-") -> str:
    return missing if n is None else f"{n:,}"


def pct(x: float | None, missing: str = "-", digits: int = 0) -> str:
    """A share as a percentage; one that rounds to zero is "0%", never "-0%"."""
    if not _finite(x):
        return missing
    text = f"{x:.{digits}%}"
    return text[1:] if text.startswith("-") and float(text[1:-1]) == 0 else text


def signed_pct(x: float | None, missing: str = "-", digits: int = 1) -> str:
    """A change with its sign, +5.0% or -3.2%; one that rounds to zero has none: 0.0%."""
    if not _finite(x):
        return missing
    text = f"{x:+.{digits}%}"
    return text[1:] if float(text[1:-1]) == 0 else text


def verb(n: int | None, many: str, one: str) -> str:
    """The verb that agrees with a count: verb(1, "run", "runs") is "runs"."""
    return one if n == 1 else many


def plural(n: int | None, noun: str, nouns: str | None = None) -> str:
    """'1 instance', '8 instances' (thousands separated); `n` may be a count already formatted
    ('1,204')."""
    if n is None:
        return f"- {nouns or noun + 's'}"
    text = n if isinstance(n, str) else f"{n:,}"
    return f"{text} {noun if text == '1' else (nouns or noun + 's')}"


def has_cents(costs) -> bool:
    """True when any of `costs` is not a whole number of currency units (to the cent): then every
    cost of the plan is shown to the cent, so that the months shown add up to the total shown
    (99.99 x 4 = 399.96, not 400, beside a total of 6,999.30). None and non-finite are skipped."""
    return any(_finite(x) and round(abs(x) * 100) % 100 != 0 for x in costs)


def plan_cents(doc: dict) -> bool:
    """Whether a plan.json's costs are shown to the cent (`has_cents` over every cost it shows:
    the cost per instance, each month's, each scenario's total)."""
    out = [doc.get("cost_per_instance")]
    for s in (doc.get("scenarios") or {}).values():
        out.append(s.get("total_cost"))
        out += [m.get("cost") for m in s.get("months") or []]
    return has_cents(out)


def fleet_cents(result) -> bool:
    """Whether a fleet's costs are shown to the cent (`has_cents` over each service's cost per
    instance, whose costs are whole numbers of instances of it, and the fleet's month totals)."""
    out = [s.summary.cost_per_instance for s in result.planned]
    for rows in result.rollup.values():
        out += [r.cost for r in rows]
    return has_cents(out)


def money(x: float | None, currency: str | None, missing: str = "-",
          cents: bool | None = None) -> str:
    """A cost with its currency label: 7,750 EUR, 6,999.30 GBP (the label only when one was
    given). `cents`: the plan's choice (`plan_cents`, `fleet_cents`), so every cost of a plan
    has the same decimals; by default, this cost's own (2 decimals unless it is whole)."""
    if not _finite(x):
        return missing
    if cents is None:
        cents = has_cents([x])
    text = f"{x:,.2f}" if cents else f"{x:,.0f}"
    return f"{text} {currency}" if currency else text


def day(text: str | None, missing: str = "-") -> str:
    """An ISO date (or the date part of a timestamp) as people write it: 2 Nov 2014."""
    if not text:
        return missing
    d = dt.date.fromisoformat(str(text)[:10])
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def moment(text: str | None, missing: str = "-") -> str:
    """An ISO timestamp as people write it, with its zone: 2 Nov 2014 01:00 UTC (UTC when the
    timestamp carries no offset: capplan's timestamps are UTC)."""
    if not text:
        return missing
    t = dt.datetime.fromisoformat(str(text))
    if t.tzinfo is not None:
        offset = t.utcoffset()
        zone = "UTC" if not offset else _offset(offset)
    else:
        zone = "UTC"
    clock = f"{t.hour:02d}:{t.minute:02d}"
    return f"{t.day} {MONTHS[t.month - 1]} {t.year} {clock} {zone}"


# An ISO date in running text, with an optional time and zone: 2015-01-31, 2014-11-02T01:00:00Z,
# 2014-11-02 01:00 UTC, 2014-11-02T01:00:00+00:00. Not inside a longer token (a file name
# traffic_2015-01-31.csv, an event named bf-2015-11-27, an --event flag's NAME:START:...): the
# characters before it must not be a letter, digit, _, -, :, /, . or = (--exclude=2015-...), nor
# those after it (but a full stop that ends the sentence).
ISO_IN_TEXT = re.compile(
    r"(?<![\w:/.=-])(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2}| UTC)?)?"
    r"(?![\w:/-]|\.\w)")


def _human(m: re.Match) -> str:
    text = m.group(0)
    try:
        if m.group(4) is None:
            return day(text)
        zone = m.group(7) or ""
        iso = f"{m.group(1)}-{m.group(2)}-{m.group(3)}T{m.group(4)}:{m.group(5)}"
        iso += f":{m.group(6) or '00'}"
        iso += {"Z": "+00:00", " UTC": "+00:00"}.get(zone, zone)
        return moment(iso)
    except ValueError:  # 2015-13-45 is not a date: left as written
        return text


def dates_in_text(text: str) -> str:
    """Every ISO date in a sentence as people write it ("the last 28 days (2015-01-04 to
    2015-01-31)" -> "(4 Jan 2015 to 31 Jan 2015)"; a time keeps its clock and zone: 2 Nov 2014
    01:00 UTC). For the PDF and plan.html: the engine's sentences keep ISO dates in plan.json,
    which scripts read. Dates inside file names, event names and flags are left as typed."""
    return ISO_IN_TEXT.sub(_human, text)


def _offset(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def days(n: int | None) -> str:
    return "-" if n is None else f"{n} day" + ("" if n == 1 else "s")


DEFAULT_UNIT = "req/s"


def unit(doc: dict | None) -> str:
    """The rate unit a plan's numbers are in: the `--unit` the traffic was read with
    (plan.json's `capacity.unit`, the same as `load.unit`: hires/day, jobs/s), req/s when none was
    given or there is no traffic (`capplan plan`). Every label of a rate in the outputs reads it
    from here; the engine's sentences name it already."""
    doc = doc or {}
    return (((doc.get("capacity") or {}).get("unit")) or (doc.get("load") or {}).get("unit")
            or DEFAULT_UNIT)
