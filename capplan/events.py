"""Planned events: a window during which the peak is multiplied (a 3x sale for 48 hours).

Pure parsing and arithmetic; reading an events file is `read_events_file`, which takes the text
(`read_events_path` reads it first, bounded). Whatever the text, only `CapplanError` escapes: the
limits (a start in 1970-2100, a window up to a year, a multiplier up to 1000x) are the ones in
`capplan.validation`, and they keep every date and product finite.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from capplan.errors import CapplanError
from capplan.validation import (
    EVENT_MAX_HOURS,
    EVENT_MULTIPLIER,
    EVENT_YEARS,
    MAX_TEXT,
)

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
    m = _DURATION.match(str(text))
    if not m:
        raise CapplanError(f"{where}: duration {_clip(text)} is not understood: write 48h, 2d, "
                           "90m or 1w")
    n, unit = float(m.group(1)), (m.group(2) or "h").lower()
    hours = n * {"m": 1 / 60, "min": 1 / 60, "h": 1, "d": 24, "w": 168}[unit]
    if hours <= 0:
        raise CapplanError(f"{where}: duration {_clip(text)} must be longer than zero")
    if not hours <= EVENT_MAX_HOURS:
        raise CapplanError(f"{where}: duration {_clip(text)} is longer than a year: give an "
                           "event's window, such as 48h or 2w")
    return hours


def parse_multiplier(text: str, where: str = "--event") -> float:
    m = _MULT.match(str(text))
    if not m:
        raise CapplanError(f"{where}: multiplier {_clip(text)} is not understood: write 3x or 1.5")
    value = float(m.group(1))
    if not EVENT_MULTIPLIER.holds(value):
        raise CapplanError(f"{where}: multiplier {_clip(text)} must be above 0 and at most "
                           f"{EVENT_MULTIPLIER.high:g}x: write 3x for three times the peak")
    return value


def parse_start(text: str, where: str = "--event") -> dt.datetime:
    lo, hi = EVENT_YEARS
    try:
        ts = dt.datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise CapplanError(f"{where}: start {_clip(text)} is not a date: write YYYY-MM-DD or "
                           "YYYY-MM-DDTHH:MM") from None
    # Checked before converting an offset to UTC: year 1 or 9999 with an offset overflows.
    if not lo <= ts.year < hi:
        raise CapplanError(f"{where}: start {_clip(text)} is outside {lo}-{hi}: give the "
                           "event's real date")
    if ts.tzinfo is not None:
        ts = ts.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return ts


def _clip(text, width: int = 40) -> str:
    """A user's text quoted for a message, cut to `width` characters."""
    s = str(text)
    return repr(s if len(s) <= width else s[:width] + "...")


def _name(text: str, where: str, hint: str = f"write {EVENT_FORMAT}") -> str:
    name = " ".join(str(text).split())
    if not name:
        raise CapplanError(f"{where}: the event needs a name: {hint}")
    if len(name) > MAX_TEXT:
        raise CapplanError(f"{where}: the event's name has {len(name):,} characters: keep it to "
                           f"{MAX_TEXT}")
    return name


def parse_event(text: str, flag: str = "--event") -> Event:
    """Parse `NAME:START:DURATION:MULTIPLIER`; START may hold a time (its colons are allowed).

    `flag` names the source in messages: the flag, or a file and key."""
    if not isinstance(text, str):
        raise CapplanError(f"{flag} {text!r}: an event is text: write {EVENT_FORMAT}")
    parts = text.split(":")
    if len(parts) < 4:
        raise CapplanError(f"{flag} {_clip(text)} is not understood: write {EVENT_FORMAT}")
    name, start, duration, mult = parts[0], ":".join(parts[1:-2]), parts[-2], parts[-1]
    where = f"{flag} {_clip(text)}"
    return Event(_name(name, where), parse_start(start, where),
                 parse_duration_hours(duration, where), parse_multiplier(mult, where))


MAX_EVENTS_BYTES = 1_000_000  # an events file lists a few dozen events, not megabytes


def read_events_path(path) -> tuple[Event, ...]:
    """Read an events CSV file (UTF-8, a BOM allowed), at most MAX_EVENTS_BYTES, and parse it."""
    from pathlib import Path

    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(MAX_EVENTS_BYTES + 1)
    except OSError as exc:
        raise CapplanError(f"--events {p}: cannot be read ({exc.strerror or exc}): check the "
                           "path") from None
    if len(raw) > MAX_EVENTS_BYTES:
        raise CapplanError(f"--events {p}: larger than {MAX_EVENTS_BYTES:,} bytes: an events "
                           "file holds one line per event (name,start,duration,multiplier)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CapplanError(f"--events {p}: byte {exc.start} is not UTF-8: save the file as "
                           "UTF-8 CSV") from None
    return read_events_file(text, str(p))


def read_events_file(text: str, path: str) -> tuple[Event, ...]:
    """Events from CSV text with columns name, start, duration, multiplier (a header row)."""
    header = "name,start,duration,multiplier"
    reader = csv.reader(io.StringIO(text))
    events = []
    try:
        columns = None
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if columns is None:
                columns = {c.strip().lower(): j for j, c in enumerate(cells)}
                missing = [c for c in header.split(",") if c not in columns]
                if missing:
                    raise CapplanError(f"{path}: missing column(s) {', '.join(missing)}: the "
                                       f"header must be {header}")
                continue
            row = {k: cells[j].strip() if j < len(cells) else "" for k, j in columns.items()}
            where = f"{path} line {reader.line_num}"
            events.append(Event(_name(row["name"], where, "give each event a name"),
                                parse_start(row["start"], where),
                                parse_duration_hours(row["duration"], where),
                                parse_multiplier(row["multiplier"], where)))
    except csv.Error as exc:
        raise CapplanError(f"{path} line {reader.line_num}: not a readable CSV ({exc}): write "
                           f"a header {header} and one row per event") from None
    if not events:
        raise CapplanError(f"{path}: no events: write a header {header} and one row per event")
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
