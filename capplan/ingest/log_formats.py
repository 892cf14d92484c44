"""Access-log families: how each is recognised from its first lines, the pattern that finds a
line's time, and how a time key becomes epoch seconds (CLF with its offset; ALB, ELB and
CloudFront in UTC; JSON lines as epoch numbers or ISO text, naive text in --timezone).

Each pattern starts at the newline before a line (a block is read with one put in front): a
literal first character lets the regex engine jump from line to line, several times faster than
a MULTILINE '^'. Group 1 is the time, cut to the minute where the format allows.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass

LOG_BUCKET_SECONDS = 60
MIN_YEAR, MAX_YEAR = 1970, 2100
_MONTHS = {m: i + 1 for i, m in enumerate(
    (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
     b"Dec"))}
# Names a JSON access log gives its time, most specific first, and keys that make a JSON line an
# HTTP request rather than any other event.
JSON_TIME_KEYS = ("ts", "StartUTC", "start_time", "@timestamp", "timestamp", "time", "date",
                  "datetime", "StartLocal")
_HTTP_KEYS = {"request", "status", "method", "uri", "path", "url", "response_code",
              "RequestMethod", "RequestPath", "DownstreamStatus", "OriginStatus", "status_code",
              "upstream_host", "duration", "authority", "protocol", "bytes_sent"}


@dataclass(frozen=True, slots=True)
class LogFormat:
    """One family: its name, the line pattern (group 1 is the time key), how a time key
    becomes epoch seconds, and whether a line starting with '#' is a header, not a request."""

    name: str
    pattern: re.Pattern
    parse: str  # "minute" (UTC 'YYYY-MM-DDTHH:MM'), "clf", "epoch", "iso"
    comments: bool = False
    epoch_digits: int = 10


_CLF = re.compile(rb"\n[^ \n]+ [^ \n]+ [^\n\[]*\[(\d\d/[A-Za-z]{3}/\d{4}:\d\d:\d\d:\d\d "
                  rb"[+-]\d{4})\]")
_ALB = re.compile(rb"\n(?:http|https|h2|grpcs|ws|wss) (\d{4}-\d\d-\d\dT\d\d:\d\d):\d\d(?:\.\d+)?Z "
                  rb"[^ \n]+ ")
_ELB = re.compile(rb"\n(\d{4}-\d\d-\d\dT\d\d:\d\d):\d\d(?:\.\d+)?Z [^ \n]+ "
                  rb"[0-9a-fA-F.:\[\]]+:\d+ ")


def detect_log_format(head: str) -> LogFormat | None:
    """The access-log family of a file from its first lines (decoded text), or None."""
    lines = [ln for ln in head[:65536].split("\n")[:40] if ln.strip()]
    if not lines:
        return None
    w3c = _w3c_format(lines)
    if w3c is not None:
        return w3c
    sample = [b"\n" + ln.encode("utf-8", "replace") + b"\n" for ln in lines[:20]]
    for name, pattern in (("CLF", _CLF), ("AWS ALB", _ALB), ("AWS Classic ELB", _ELB)):
        if sum(bool(pattern.match(ln)) for ln in sample) >= 0.8 * len(sample):
            return LogFormat(name, pattern, "clf" if name == "CLF" else "minute")
    return _json_lines_format(lines[:20])


def _w3c_format(lines: list[str]) -> LogFormat | None:
    """CloudFront standard logs (and W3C extended logs generally): '#Fields:' names the columns,
    tab-separated (CloudFront) or space-separated (IIS); the date and time columns are UTC."""
    fields = next((ln for ln in lines[:10] if ln.startswith("#Fields:")), None)
    if fields is None:
        return None
    names = fields[len("#Fields:"):].split()
    if "date" not in names or "time" not in names or names.index("time") != \
            names.index("date") + 1:
        return None
    data = [ln for ln in lines if not ln.startswith("#")]
    sep = "\t" if not data or "\t" in data[0] else " "
    skip = names.index("date")
    sep_b = re.escape(sep.encode())
    field = rb"[^\t\n]*" if sep == "\t" else rb"[^ \n]*"
    pattern = re.compile(rb"\n" + (field + sep_b) * skip + rb"(\d{4}-\d\d-\d\d" + sep_b +
                         rb"\d\d:\d\d):\d\d(?:\.\d+)?" + rb"(?=" + sep_b + rb"|\n)")
    name = "CloudFront W3C" if any(n.startswith("x-edge") for n in names) else "W3C extended"
    return LogFormat(name, pattern, "minute", comments=True)


def _json_lines_format(lines: list[str]) -> LogFormat | None:
    """JSON objects one per line, each with a time field and HTTP request fields."""
    objs = []
    for ln in lines:
        if not ln.lstrip().startswith("{"):
            return None
        try:
            obj = json.loads(ln)
        except (json.JSONDecodeError, RecursionError):
            return None
        if not isinstance(obj, dict):
            return None
        objs.append(obj)
    if len(objs) < 1 or not all(_HTTP_KEYS & _all_keys(o) for o in objs):
        return None
    for key in JSON_TIME_KEYS:
        values = [o.get(key) for o in objs]
        if not all(v is not None and not isinstance(v, (bool, list, dict)) for v in values):
            continue
        k = re.escape(key.encode())
        if all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            digits = len(str(int(abs(values[0]))))
            if digits not in (10, 13, 16, 19):
                continue
            # Seconds, ms, us or ns since the epoch: the first ten digits are the second.
            pattern = re.compile(rb'\n[^\n]*?"' + k + rb'"\s*:\s*(\d{10})\d{' +
                                 str(digits - 10).encode() + rb'}(?![\d])')
            return LogFormat(f"JSON lines, time in {key!r}", pattern, "epoch", epoch_digits=digits)
        if all(isinstance(v, str) and re.match(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d", v) for v in values):
            pattern = re.compile(rb'\n[^\n]*?"' + k + rb'"\s*:\s*"(\d{4}-\d\d-\d\d[T ][^"]{4,40})"')
            return LogFormat(f"JSON lines, time in {key!r}", pattern, "iso")
    return None


def _all_keys(obj: dict) -> set:
    keys = set(obj)
    for v in obj.values():
        if isinstance(v, dict):
            keys |= set(v)
    return keys



def minutes_of(keys: Counter, fmt: LogFormat, timezone: str, tally):
    """Distinct time keys to minute buckets (epoch minutes): (Counter, keys out of 1970-2100,
    keys that are not times)."""
    import datetime as dt

    out: Counter = Counter()
    bad_range, bad_parse = set(), set()
    lo, hi = _epoch_of_year(MIN_YEAR), _epoch_of_year(MAX_YEAR + 1)
    zone = None
    for key, n in keys.items():
        try:
            if fmt.parse == "minute":
                d = key.replace(b"\t", b"T").replace(b" ", b"T").decode()
                secs = dt.datetime.fromisoformat(d + ":00+00:00").timestamp()
            elif fmt.parse == "clf":
                secs = _clf_seconds(key)
            elif fmt.parse == "epoch":
                secs = float(int(key))
            else:
                text = key.decode()
                when = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
                if when.tzinfo is None:
                    if zone is None:
                        import zoneinfo

                        zone = zoneinfo.ZoneInfo(timezone)
                    when = when.replace(tzinfo=zone)
                    tally.assumed_zone = True
                secs = when.timestamp()
        except (ValueError, OverflowError, OSError, KeyError, UnicodeDecodeError):
            bad_parse.add(key)
            continue
        if not lo <= secs < hi:
            bad_range.add(key)
            continue
        out[int(secs // LOG_BUCKET_SECONDS)] += n
    return out, bad_range, bad_parse


def _clf_seconds(key: bytes) -> float:
    """'01/Aug/1995:00:00:01 -0400' to epoch seconds."""
    import calendar

    day, mon, year = int(key[0:2]), _MONTHS[key[3:6].capitalize()], int(key[7:11])
    h, m, s = int(key[12:14]), int(key[15:17]), int(key[18:20])
    sign = -1 if key[21:22] == b"-" else 1
    offset = sign * (int(key[22:24]) * 3600 + int(key[24:26]) * 60)
    import datetime as dt

    dt.date(year, mon, day)  # raises ValueError for 31 Feb
    if h > 23 or m > 59 or s > 60:
        raise ValueError("time of day out of range")
    return calendar.timegm((year, mon, day, h, m, s)) - offset


def _epoch_of_year(year: int) -> float:
    import calendar

    return float(calendar.timegm((year, 1, 1, 0, 0, 0)))
