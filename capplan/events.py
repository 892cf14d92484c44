"""Planned events: a window during which the peak is multiplied (a 3x sale for 48 hours).

Pure parsing and arithmetic; reading an events file is `read_events_file`, which takes the text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from capplan.errors import CapplanError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)?\s*$", re.IGNORECASE)
_MULT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*x?\s*$", re.IGNORECASE)
EVENT_FORMAT = "NAME:YYYY-MM-DD[THH:MM]:DURATION:MULTIPLIER, e.g. black-friday:2026-11-27:48h:3x"


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    start: dt.datetime  # UTC, naive
    duration_hours: float
    multiplier: float

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(hours=self.duration_hours)

    def covers_day(self, day: dt.date) -> bool:
        """True when the event window overlaps the calendar day [day, day + 1)."""
        d0 = dt.datetime.combine(day, dt.time())
        return self.start < d0 + dt.timedelta(days=1) and self.end > d0

    def describe(self) -> str:
        return (f"{self.name}: x{self.multiplier:g} for {self.duration_hours:g} h from "
                f"{self.start:%Y-%m-%d %H:%M} UTC")


def parse_duration_hours(text: str, where: str = "--event") -> float:
    m = _DURATION.match(text)
    if not m:
        raise CapplanError(f"{where}: duration {text!r} is not understood: write 48h, 2d, 90m or 1w")
    n, unit = float(m.group(1)), (m.group(2) or "h").lower()
    hours = n * {"m": 1 / 60, "min": 1 / 60, "h": 1, "d": 24, "w": 168}[unit]
    if hours <= 0:
        raise CapplanError(f"{where}: duration {text!r} must be longer than zero")
    return hours


def parse_multiplier(text: str, where: str = "--event") -> float:
    m = _MULT.match(str(text))
    if not m or float(m.group(1)) <= 0:
        raise CapplanError(f"{where}: multiplier {text!r} is not understood: write 3x or 1.5")
    return float(m.group(1))


def parse_start(text: str, where: str = "--event") -> dt.datetime:
    try:
        ts = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise CapplanError(f"{where}: start {text!r} is not a date: write YYYY-MM-DD or "
                           "YYYY-MM-DDTHH:MM") from exc
    if ts.tzinfo is not None:
        ts = ts.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return ts


def parse_event(text: str) -> Event:
    """Parse `NAME:START:DURATION:MULTIPLIER`; START may hold a time (its colons are allowed)."""
    parts = text.split(":")
    if len(parts) < 4:
        raise CapplanError(f"--event {text!r} is not understood: write {EVENT_FORMAT}")
    name, start, duration, mult = parts[0], ":".join(parts[1:-2]), parts[-2], parts[-1]
    where = f"--event {text!r}"
    if not name.strip():
        raise CapplanError(f"{where}: the event needs a name: write {EVENT_FORMAT}")
    return Event(name.strip(), parse_start(start, where), parse_duration_hours(duration, where),
                 parse_multiplier(mult, where))


def read_events_file(text: str, path: str) -> tuple[Event, ...]:
    """Events from CSV text with columns name, start, duration, multiplier (a header row)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    need = {"name", "start", "duration", "multiplier"}
    if not rows:
        raise CapplanError(f"{path}: no events: write a header name,start,duration,multiplier "
                           "and one row per event")
    have = {k.strip().lower() for k in rows[0] if k}
    if not need <= have:
        raise CapplanError(f"{path}: missing column(s) {', '.join(sorted(need - have))}: the "
                           "header must be name,start,duration,multiplier")
    events = []
    for i, row in enumerate(rows, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        where = f"{path} line {i}"
        if not row["name"]:
            raise CapplanError(f"{where}: the event has no name")
        events.append(Event(row["name"], parse_start(row["start"], where),
                            parse_duration_hours(row["duration"], where),
                            parse_multiplier(row["multiplier"], where)))
    return tuple(events)


def day_multipliers(events, days) -> list[float]:
    """For each calendar day, the largest multiplier of the events covering it (1 if none).

    Overlapping events do not compound: the peak of a day is the peak of its busiest window.
    """
    out = []
    for day in days:
        m = 1.0
        for ev in events:
            if ev.covers_day(day):
                m = max(m, ev.multiplier)
        out.append(m)
    return out
