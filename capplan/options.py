"""Typed keyword values (a notebook's) as the text their flags take (a shell's).

`capplan.api` turns every option into the value its flag would carry before the flags' rules
check it, so the two front ends share one reading: `growth=0.10` is `--growth 10%/month`, an event
dict with a `datetime` and a `timedelta` is `--event NAME:START:48h:3x`, `latency_slo=0.25` is
`--latency-slo 0.25s`. Numbers take the flag's type (1500 is 1500.0 for a float flag), so
plan.json is the same whichever was written. Pure: no I/O.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
import numbers
import os

from capplan.errors import CapplanError

PATH_KEYS = ("events_file", "load_test", "fleet_usl", "capacity_from")


def flag_value(key: str, value):
    """A typed option as the value its flag would carry (text where the flag takes text)."""
    if value is None:
        return None
    if key in ("growth", "worst_growth"):
        return growth_text(key, value)
    if key == "events":
        return events_text(value)
    if key in ("latency_slo", "service_time"):
        return duration_text(key, value)
    if key in PATH_KEYS or key == "config":
        return path_text(key, value)
    return _typed(key, plain(value))


def path_text(key: str, value) -> str:
    """A path option (str or os.PathLike) as text, or one line naming the keyword: these options
    name a file to read, never data in memory."""
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    from capplan.validation import flag

    raise CapplanError(f"{key}={type(value).__name__}: give the path of a file (a str or "
                       f"pathlib.Path), as {'--config' if key == 'config' else flag(key)} takes")


def unknown_keyword(call: str, key: str, allowed) -> str:
    """The line for a keyword `call` does not take: the nearest name, else the names it takes."""
    close = difflib.get_close_matches(key, list(allowed), n=1)
    hint = f"did you mean {close[0]}=?" if close else \
        f"the options are {', '.join(sorted(allowed))}"
    return f"capplan.{call}: no option {key!r}: {hint}"


def keywords_checked(call: str):
    """A library call whose misspelt keyword (or missing or surplus argument) is one
    `CapplanError` naming it, with the nearest name, as the options of forecast and plan are."""
    def wrap(fn):
        signature = inspect.signature(fn)
        names = [p for p in signature.parameters if p != "self"]

        @functools.wraps(fn)
        def checked(*args, **kwargs):
            for key in kwargs:
                if key not in names:
                    raise CapplanError(unknown_keyword(call, key, names))
            try:
                signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise CapplanError(f"capplan.{call}: {exc}: see help(capplan.{call})") from None
            return fn(*args, **kwargs)
        return checked
    return wrap


def _typed(key: str, value):
    """A number as the flag's type (the service file's): 1500 for a float flag is 1500.0, and
    20.0 for a whole-number flag is 20, so plan.json is the same whichever was written."""
    from capplan.config import KEYS

    want = float if key in ("peak", "mean") else KEYS.get(key)
    if isinstance(value, bool):
        return value
    if want is float and isinstance(value, int):
        return float(value)
    if want is int and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def plain(value):
    """numpy scalars as Python numbers: the rules check for int and float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value


def _decimal(x: float) -> str:
    """A float in plain decimal notation (no exponent: the flags' patterns have none), the
    shortest that reads back as the same float."""
    from decimal import Decimal

    return format(Decimal(repr(float(x))).normalize(), "f")


def growth_text(key: str, value) -> str:
    """A growth rate as the flag's text. A number is a fraction a month, from -0.9 up to but
    not including 1: `growth=10` could mean 10% or 1000% a month, as a bare `--growth 10` could,
    so it is refused; 100% a month or more is written as text ("150%/month")."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise CapplanError(f"{key}={value!r}: give a fraction a month such as 0.10, or text such "
                           "as '10%/month' or '25%/year'")
    x = float(value)
    if not math.isfinite(x) or not -0.9 <= x < 1:
        hint = (f" (did you mean {x / 100:g} for {x:g}%? For {x * 100:g}% a month write "
                f"'{x * 100:g}%/month')" if 1 <= x <= 100 else "")
        raise CapplanError(f"{key}={x:g}: a number is a fraction a month, from -0.9 up to but "
                           f"not including 1 (0.10 for 10%){hint}")
    return _percent_text(x) + "%/month"


def _percent_text(x: float) -> str:
    """100 x as text that the growth flag reads back (value / 100) as exactly x: the percentage
    people would type (0.035 -> "3.5") when it does, else a neighbouring float's text that does.
    Dividing by 100 cannot reach every float; then the nearest (one unit in the last place)."""
    from decimal import Decimal

    y = float(Decimal(repr(x)) * 100)
    candidates = [y]
    for direction in (math.inf, -math.inf):
        z = y
        for _ in range(2):
            z = math.nextafter(z, direction)
            candidates.append(z)
    best = min(candidates, key=lambda c: abs(float(_decimal(c)) / 100 - x))  # the first if exact
    return _decimal(best)


def events_text(value) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        value = [value]
    return tuple(_event_text(e, i) for i, e in enumerate(value))


_EVENT_KEYS = ("name", "start", "duration", "multiplier")


def _event_text(event, i: int) -> str:
    """An event as the `--event` text NAME:START:DURATION:MULTIPLIER."""
    from collections.abc import Mapping

    from capplan.events import Event

    where = f"events[{i}]"
    if isinstance(event, str):
        return event
    if isinstance(event, Event):
        name, start, hours, mult = event.name, event.start, event.duration_hours, event.multiplier
        duration = f"{_decimal(hours)}h"
    elif isinstance(event, Mapping):
        missing = [k for k in _EVENT_KEYS if k not in event]
        extra = [str(k) for k in event if k not in _EVENT_KEYS]
        if missing or extra:
            what = f"missing {', '.join(missing)}" if missing else f"no key {extra[0]!r}"
            raise CapplanError(f"{where}: {what}: an event is a dict with keys name, start (a "
                               "datetime), duration (a timedelta) and multiplier (3 for 3x)")
        name, start, mult = event["name"], event["start"], event["multiplier"]
        duration = _event_duration(event["duration"], where)
    else:
        raise CapplanError(f"{where} {event!r}: give an Event, a dict (name, start, duration, "
                           "multiplier) or text such as black-friday:2026-11-27:48h:3x")
    name = str(name)
    if ":" in name:
        raise CapplanError(f"{where}: the name {name[:40]!r} holds ':', which separates an "
                           "event's fields: choose another name")
    return f"{name}:{_event_start(start, where)}:{duration}:{_multiplier(mult, where)}"


def _event_start(start, where: str) -> str:
    import datetime as dt

    if isinstance(start, str):
        return start
    if isinstance(start, dt.datetime):
        if start.tzinfo is not None:
            start = start.astimezone(dt.timezone.utc)
        # Rebuilt as a plain datetime: a pandas Timestamp's text may carry nanoseconds.
        start = dt.datetime(start.year, start.month, start.day, start.hour, start.minute,
                            start.second, start.microsecond)
        return start.isoformat(timespec="seconds" if not start.microsecond else "microseconds")
    if isinstance(start, dt.date):
        return start.isoformat()
    raise CapplanError(f"{where}: start {start!r}: give a datetime (UTC when naive), a date or "
                       "YYYY-MM-DD text")


def _event_duration(duration, where: str) -> str:
    if isinstance(duration, str):
        return duration
    seconds = _seconds(duration, f"{where}: duration")
    if seconds > 0 and seconds % 3600 == 0:
        return f"{_decimal(seconds / 3600)}h"
    if seconds <= 0:
        raise CapplanError(f"{where}: duration {duration!r} must be longer than zero")
    return f"{_decimal(seconds / 60)}m"


def _multiplier(mult, where: str) -> str:
    if isinstance(mult, str):
        return mult
    if isinstance(mult, bool) or not isinstance(mult, numbers.Real) or not math.isfinite(mult) \
            or mult <= 0:
        raise CapplanError(f"{where}: multiplier {mult!r}: give a number above 0 (3 for 3x)")
    return f"{_decimal(mult)}x"


def _seconds(value, where: str) -> float:
    import datetime as dt

    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
            not math.isfinite(value):
        raise CapplanError(f"{where} {value!r}: give a timedelta or a number of seconds")
    return float(value)


def duration_text(key: str, value) -> str | None:
    """A latency or service time as the flag's text: a timedelta or a number is seconds."""
    if value is None or isinstance(value, str):
        return value
    seconds = _seconds(value, f"{key}=")
    if seconds <= 0:
        raise CapplanError(f"{key}={value!r}: must be longer than zero")
    return f"{_decimal(seconds)}s"
