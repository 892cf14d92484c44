"""The syntax of the production-metrics settings (`capplan capacity`, `capplan forecast
--capacity-from`): column specs, the resources, deploy times, exclusion windows and the warm-up.
Pure: no I/O. `validation.check_setting` applies these rules to flags and service-file values
alike; the rules between settings (--capacity-from needs --throughput, ...) are in `validation`.
"""

from __future__ import annotations

import re

from capplan.errors import CapplanError

UTILIZATION_UNITS = ("auto", "percent", "fraction")
MAX_WARM_UP_SECONDS = 24 * 3600
RESERVED_METRIC_NAMES = ("throughput", "instances")  # the roles of the metrics table's columns


def check_metric_spec(text, where: str, role: str | None = None) -> tuple[str, list[str]]:
    """The syntax of a metrics column spec: (name, the parts after it). With `role` (the
    throughput or instance-count column) the forms are COL, COL=FILE or FILE; without it
    NAME, NAME=COL, NAME=FILE or NAME=COL=FILE, NAME not a reserved role."""
    if not isinstance(text, str):
        raise CapplanError(f"{where} {text!r}: must be text such as cpu=cpu_util")
    raw = text.strip()
    if not raw:
        raise CapplanError(f"{where} is empty: write NAME=COLUMN, e.g. cpu=cpu_util" if role is None
                           else f"{where} is empty: write the column's name")
    parts = [p.strip() for p in raw.split("=")]
    if any(not p for p in parts):
        raise CapplanError(f"{where} {raw[:80]!r}: an empty part around '=': write "
                           + ("NAME=COLUMN or NAME=COLUMN=FILE" if role is None
                              else "COLUMN or COLUMN=FILE"))
    if role is not None:
        if len(parts) > 2:
            raise CapplanError(f"{where} {raw[:80]!r}: too many '=': write COLUMN or COLUMN=FILE")
        return role, parts
    if len(parts) > 3:
        raise CapplanError(f"{where} {raw[:80]!r}: too many '=': write NAME=COLUMN or "
                           "NAME=COLUMN=FILE")
    name = parts[0]
    if name.lower() in RESERVED_METRIC_NAMES:
        raise CapplanError(f"{where} {raw[:80]!r}: {name!r} is reserved: name the resource "
                           "after what it measures (cpu, memory, pool, ...)")
    return name, parts[1:] or [name]


def check_resources(values, where: str = "--resource") -> list[str]:
    """Every --resource spec, and no name twice."""
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise CapplanError(f"{where} {str(values)[:60]!r}: give a list of NAME=COLUMN specs, "
                           'such as ["cpu=cpu_util", "memory=mem_pct"]')
    names = [check_metric_spec(v, where)[0] for v in values]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise CapplanError(f"{where} {twice[0]!r} is given twice: give each resource one name")
    return list(values)


def parse_instant(text, where: str, timezone: str = "UTC"):
    """A --deploy time (or one end of an --exclude window) to a UTC pandas Timestamp; a time
    without an offset is read in `timezone`."""
    import pandas as pd

    try:
        t = pd.Timestamp(str(text).strip())
    except (ValueError, TypeError, OverflowError) as exc:
        raise CapplanError(f"{where} {str(text)[:60]!r} is not a time: write 2024-05-01T14:30 (an "
                           "offset such as +02:00 is allowed; without one --timezone applies)"
                           ) from exc
    if t is pd.NaT or not 1970 <= t.year <= 2100:
        raise CapplanError(f"{where} {str(text)[:60]!r} is not a time between 1970 and 2100: "
                           "write 2024-05-01T14:30")
    if t.tzinfo is None:
        try:
            t = t.tz_localize(timezone)
        except (ValueError, TypeError) as exc:  # a local time skipped or repeated by DST
            raise CapplanError(f"{where} {str(text)[:60]!r} does not exist once in {timezone} (a "
                               "daylight-saving change): give it with an offset") from exc
    return t.tz_convert("UTC")


def parse_window(text, where: str, timezone: str = "UTC"):
    """'START/END' to a (start, end) pair of UTC timestamps, start before end."""
    parts = str(text).split("/")
    if len(parts) != 2:
        raise CapplanError(f"{where} {str(text)[:60]!r}: write START/END, e.g. "
                           "2024-05-01T14:00/2024-05-01T15:30")
    start, end = (parse_instant(p, where, timezone) for p in parts)
    if end <= start:
        raise CapplanError(f"{where} {str(text)[:60]!r}: the end must come after the start")
    return start, end


_WARM_UP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h)?\s*$", re.IGNORECASE)


def parse_warm_up(text, where: str = "--warm-up") -> float:
    """A warm-up (10m, 90s, 1h, 0) -> seconds, 0 to 24 hours."""
    m = _WARM_UP.match(str(text))
    if not m or (m.group(2) is None and float(m.group(1)) != 0):
        raise CapplanError(f"{where} {str(text)[:40]!r} is not understood: write 10m, 90s or 1h "
                           "(0 for none)")
    unit = (m.group(2) or "s").lower()
    seconds = float(m.group(1)) * {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}[unit]
    if seconds > MAX_WARM_UP_SECONDS:
        raise CapplanError(f"{where} {str(text)[:40]!r}: at most 24h (the samples left out after "
                           "each deploy or instance-count change)")
    return seconds
