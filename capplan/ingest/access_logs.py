"""Access logs counted per minute, read as a stream: web servers' Common and Combined Log Format,
AWS Application and Classic Load Balancer logs, CloudFront standard logs (W3C extended, with a
`#Fields:` header), and JSON lines with a time field (Caddy, Envoy, Traefik).

Each family is one anchored regular expression whose first group is the line's time, cut to the
minute where the format allows (ALB, ELB, CloudFront: UTC), or to the second with its offset
(CLF). The file is read in blocks of `BLOCK_BYTES` (inflated as it is read when gzipped): each
block's times are matched in one pass and counted with a `Counter`, only distinct times are
parsed, and the counts go into a per-minute table. Memory holds one block and one entry per
minute, never the file. A block whose lines do not all match is read again line by line, only
to name the lines dropped and why.

Formats, as documented (the tests' samples are recreated from these):
- CLF/Combined: https://httpd.apache.org/docs/2.4/logs.html#accesslog
- ALB: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html
- Classic ELB: https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html
- CloudFront: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html
- Caddy: https://caddyserver.com/docs/caddyfile/directives/log (JSON, `ts` in epoch seconds)
- Envoy: https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage
  (`json_format`, `start_time` from %START_TIME%)
- Traefik: https://doc.traefik.io/traefik/observability/access-logs/ (JSON, `StartUTC`)
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from capplan.errors import CapplanError
from capplan.ingest.model import FIRST_ROWS_SHOWN, DataQuality, DroppedRows, InputInfo, Traffic

LOG_BUCKET_SECONDS = 60
BLOCK_BYTES = 16 * 1024 * 1024
MAX_LINE_BYTES = 16 * 1024 * 1024  # past this, a "line" is not a log line and is not held
MAX_SPAN_MINUTES = 10 * 366 * 1440  # a per-minute table past ten years is a broken clock
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


_CLF = re.compile(rb"^\S+ \S+ [^\n\[]*\[(\d\d/[A-Za-z]{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\]",
                  re.M)
_ALB = re.compile(rb"^(?:http|https|h2|grpcs|ws|wss) (\d{4}-\d\d-\d\dT\d\d:\d\d):\d\d(?:\.\d+)?Z "
                  rb"\S+ ", re.M)
_ELB = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d):\d\d(?:\.\d+)?Z \S+ [0-9a-fA-F.:\[\]]+:\d+ ",
                  re.M)


def detect_log_format(head: str) -> LogFormat | None:
    """The access-log family of a file from its first lines (decoded text), or None."""
    lines = [ln for ln in head[:65536].split("\n")[:40] if ln.strip()]
    if not lines:
        return None
    w3c = _w3c_format(lines)
    if w3c is not None:
        return w3c
    sample = [ln.encode("utf-8", "replace") + b"\n" for ln in lines[:20]]
    for name, pattern in (("CLF", _CLF), ("AWS ALB", _ALB), ("AWS Classic ELB", _ELB)):
        if sum(bool(pattern.match(ln)) for ln in sample) >= 0.8 * len(sample):
            return LogFormat(name, pattern, "clf" if name == "CLF" else "minute")
    return _json_lines_format(lines[:20])


def _looks_like_access_log(text: str) -> bool:
    return detect_log_format(text) is not None


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
    pattern = re.compile(rb"^" + (field + sep_b) * skip + rb"(\d{4}-\d\d-\d\d" + sep_b +
                         rb"\d\d:\d\d):\d\d(?:\.\d+)?" + rb"(?:" + sep_b + rb"|$)", re.M)
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
        if all(isinstance(v, (int, float)) for v in values):
            digits = len(str(int(abs(values[0]))))
            if digits not in (10, 13, 16, 19):
                continue
            # Seconds, ms, us or ns since the epoch: the first ten digits are the second.
            pattern = re.compile(rb'^[^\n]*?"' + k + rb'"\s*:\s*(\d{10})\d{' +
                                 str(digits - 10).encode() + rb'}(?![\d])', re.M)
            return LogFormat(f"JSON lines, time in {key!r}", pattern, "epoch", epoch_digits=digits)
        if all(isinstance(v, str) and re.match(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d", v) for v in values):
            pattern = re.compile(rb'^[^\n]*?"' + k + rb'"\s*:\s*"(\d{4}-\d\d-\d\d[T ][^"]{4,40})"',
                                 re.M)
            return LogFormat(f"JSON lines, time in {key!r}", pattern, "iso")
    return None


def _all_keys(obj: dict) -> set:
    keys = set(obj)
    for v in obj.values():
        if isinstance(v, dict):
            keys |= set(v)
    return keys


# --------------------------------------------------------------------------------------------
# Counting


@dataclass
class _Tally:
    """What a pass over the log found: requests per minute, lines seen, and the lines dropped."""

    minutes: Counter
    lines: int = 0
    requests: int = 0
    headers: int = 0
    bad: int = 0
    bad_lines: list = None
    out_of_range: int = 0
    out_of_range_lines: list = None
    unparsable: int = 0
    unparsable_lines: list = None
    assumed_zone: bool = False


def count_log(path: Path, stream: BinaryIO, fmt: LogFormat, timezone: str) -> _Tally:
    """Requests per minute from a binary stream, one block at a time."""
    tally = _Tally(Counter(), bad_lines=[], out_of_range_lines=[], unparsable_lines=[])
    carry = b""
    while True:
        block = stream.read(BLOCK_BYTES)
        if not block:
            break
        block = carry + block
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            if len(block) > MAX_LINE_BYTES:
                raise CapplanError(f"{path}: line {tally.lines + 1} is longer than "
                                   f"{MAX_LINE_BYTES // 2**20} MiB, which no access log line is: "
                                   "check the file")
            carry = block
            continue
        carry = block[cut:]
        _count_block(path, block[:cut], fmt, timezone, tally)
    if carry:
        _count_block(path, carry + b"\n", fmt, timezone, tally)
    return tally


def _count_block(path: Path, block: bytes, fmt: LogFormat, timezone: str, tally: _Tally) -> None:
    first_line = tally.lines + 1
    n_lines = block.count(b"\n")
    tally.lines += n_lines
    keys = Counter(fmt.pattern.findall(block))
    matched = sum(keys.values())
    if matched < n_lines:
        _classify_lines(block, fmt, first_line, tally)
    minutes, bad_range, bad_parse = _minutes(keys, fmt, timezone, tally)
    tally.minutes.update(minutes)
    tally.requests += sum(minutes.values())
    for keyset, count_attr, lines_attr in ((bad_range, "out_of_range", "out_of_range_lines"),
                                           (bad_parse, "unparsable", "unparsable_lines")):
        if keyset:
            setattr(tally, count_attr, getattr(tally, count_attr) + sum(keys[k] for k in keyset))
            shown = getattr(tally, lines_attr)
            if len(shown) < FIRST_ROWS_SHOWN:
                shown += _lines_with(block, fmt, keyset, first_line,
                                     FIRST_ROWS_SHOWN - len(shown))


def _classify_lines(block: bytes, fmt: LogFormat, first_line: int, tally: _Tally) -> None:
    """A block with unmatched lines: count the blank and header lines apart from the bad ones."""
    for i, line in enumerate(block.split(b"\n")[:-1]):
        if not line.strip():
            tally.headers += 1
        elif fmt.comments and line.startswith(b"#"):
            tally.headers += 1
        elif not fmt.pattern.match(line + b"\n"):
            tally.bad += 1
            if len(tally.bad_lines) < FIRST_ROWS_SHOWN:
                tally.bad_lines.append(first_line + i)


def _lines_with(block: bytes, fmt: LogFormat, keys: set, first_line: int, limit: int) -> list:
    out = []
    for i, line in enumerate(block.split(b"\n")[:-1]):
        m = fmt.pattern.match(line + b"\n")
        if m and m.group(1) in keys:
            out.append(first_line + i)
            if len(out) >= limit:
                break
    return out


def _minutes(keys: Counter, fmt: LogFormat, timezone: str, tally: _Tally):
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


# --------------------------------------------------------------------------------------------
# To a Traffic


def read_access_log(path: Path, stream: BinaryIO, fmt: LogFormat, sha: str, fmt_prefix: str,
                    timezone: str) -> Traffic:
    """An access log becomes a request rate: requests per minute bucket / 60. Buckets with no
    request between the first and the last are real zeros (an idle minute), not gaps."""
    tally = count_log(path, stream, fmt, timezone)
    if not tally.minutes:
        why = _why_none(tally)
        raise CapplanError(f"{path}: no line of this {fmt.name} access log has a usable "
                           f"timestamp ({why}): check the file, or export the traffic as CSV")
    counts = _per_minute(path, tally.minutes)
    rate = counts / LOG_BUCKET_SECONDS
    dropped = tuple(DroppedRows(reason, n, tuple(lines)) for reason, n, lines in (
        (f"line not in {fmt.name} log format", tally.bad, tally.bad_lines),
        ("timestamp outside 1970-2100", tally.out_of_range, tally.out_of_range_lines),
        ("unparsable timestamp", tally.unparsable, tally.unparsable_lines)) if n)
    requests = tally.requests
    rows = tally.lines - tally.headers
    notes = [f"{fmt.name} access log: {requests:,} requests counted per {LOG_BUCKET_SECONDS} s "
             "bucket and divided by the bucket length; a bucket with no request is a real "
             "zero; the first and last buckets may be partial"]
    if tally.headers:
        notes.append(f"{tally.headers:,} blank or header line(s) skipped")
    quality = DataQuality(
        rows_read=rows, rows_used=requests, dropped=dropped, duplicate_timestamps=0,
        duplicates_kept="none", sorted_by_capplan=False, interval_seconds=LOG_BUCKET_SECONDS,
        gaps=0, longest_gap_seconds=0.0, missing_seconds=0.0, zero_values=int((counts == 0).sum()),
        first=rate.index[0], last=rate.index[-1],
        timezone_assumed=timezone if tally.assumed_zone else None, notes=tuple(notes))
    label = "CLF" if fmt.name == "CLF" else fmt.name
    info = InputInfo(path=str(path), sha256=sha, format=f"{fmt_prefix}access log ({label})",
                     sheet=None, time_column="log timestamp", value_column="requests",
                     series=None, value_kind="request count per bucket")
    return Traffic(rate=rate, unit="req/s", interval_seconds=float(LOG_BUCKET_SECONDS),
                   quality=quality, source=info, local_timezone=timezone)


def _why_none(tally: _Tally) -> str:
    parts = []
    if tally.bad:
        parts.append(f"{tally.bad:,} line(s) not in the format, first at line "
                     f"{tally.bad_lines[0]}")
    if tally.out_of_range:
        parts.append(f"{tally.out_of_range:,} dated outside 1970-2100, first at line "
                     f"{tally.out_of_range_lines[0]}")
    if tally.unparsable:
        parts.append(f"{tally.unparsable:,} with an impossible date, first at line "
                     f"{tally.unparsable_lines[0]}")
    return "; ".join(parts) or "no lines"


def _per_minute(path: Path, minutes: Counter):
    """The counts on a complete minute grid from the first to the last minute (UTC)."""
    import numpy as np
    import pandas as pd

    keys = np.fromiter(minutes.keys(), dtype=np.int64, count=len(minutes))
    vals = np.fromiter(minutes.values(), dtype=np.int64, count=len(minutes))
    first, last = int(keys.min()), int(keys.max())
    if last - first > MAX_SPAN_MINUTES:
        raise CapplanError(f"{path}: its timestamps span {(last - first) / 525960:,.0f} years "
                           "(per-minute counts need at most ten): check for a wrong clock, or "
                           "split the log")
    counts = np.bincount(keys - first, weights=vals, minlength=last - first + 1)
    index = pd.DatetimeIndex((np.arange(first, last + 1, dtype=np.int64) * LOG_BUCKET_SECONDS)
                             .astype("datetime64[s]").astype("datetime64[ns]"), tz="UTC")
    return pd.Series(counts.astype(float), index=index)


def _traffic_from_log(path: Path, text: str, sha: str, fmt_prefix: str, timezone: str) -> Traffic:
    """For callers holding the decoded text (small files): the same count."""
    fmt = detect_log_format(text)
    if fmt is None:
        raise CapplanError(f"{path}: not an access log capplan reads: export the traffic as CSV")
    return read_access_log(path, io.BytesIO(text.encode("utf-8", "replace")), fmt, sha,
                           fmt_prefix, timezone)


def peek_log(path: Path) -> tuple[LogFormat, bool] | None:
    """(the family, gzipped) when the file's first 64 KiB (inflated) read as an access log."""
    import gzip
    import zlib

    try:
        with path.open("rb") as fh:
            magic = fh.read(2)
        is_gzip = magic == b"\x1f\x8b"
        opener = gzip.open if is_gzip else open
        with opener(path, "rb") as fh:
            head = fh.read(65536)
    except (OSError, EOFError, zlib.error):
        return None  # the general reader names what is wrong with the file
    if b"\x00" in head:
        return None
    fmt = detect_log_format(head.decode("utf-8", "replace"))
    return None if fmt is None else (fmt, is_gzip)


def read_log_file(path: Path, fmt: LogFormat, is_gzip: bool, timezone: str) -> Traffic:
    """Stream a (gzipped) log file from disk: hashed in one pass, counted in another."""
    import gzip
    import hashlib
    import zlib

    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(BLOCK_BYTES):
                digest.update(chunk)
        with (gzip.open(path, "rb") if is_gzip else path.open("rb")) as stream:
            return read_access_log(path, stream, fmt, digest.hexdigest(),
                                   "gzip " if is_gzip else "", timezone)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise CapplanError(f"{path}: the gzip data is truncated or corrupt ({exc}): export the "
                           "log again or decompress it to check") from exc
    except OSError as exc:
        raise CapplanError(f"{path}: cannot be read ({exc.strerror or exc}): check the file") \
            from exc
