"""Access logs counted per minute, read as a stream: web servers' Common and Combined Log Format,
AWS Application and Classic Load Balancer logs, CloudFront standard logs (W3C extended, with a
`#Fields:` header), and JSON lines with a time field (Caddy, Envoy, Traefik).

Each family (module `log_formats`) is one regular expression whose first group is the line's
time, cut to the minute where the format allows (ALB, ELB, CloudFront: UTC), or to the second
with its offset (CLF). The stream (`sniff.open_stream`: inflated as it is read when gzipped,
under the ratio check but no size cap) is read in blocks of `BLOCK_BYTES`, one block ahead in a
second thread: each block's times are matched in one pass and
counted with a `Counter`, only distinct times are parsed, and the counts go into a per-minute
table. Memory holds a few blocks and one entry per minute, never the file. A block whose lines
do not all match is read again line by line, only to name the lines dropped and why.

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

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from capplan.errors import CapplanError
from capplan.ingest.log_formats import (
    LOG_BUCKET_SECONDS,
    LogFormat,
    minutes_of,
)
from capplan.ingest.model import FIRST_ROWS_SHOWN, DataQuality, DroppedRows, InputInfo, Traffic

BLOCK_BYTES = 16 * 1024 * 1024
MAX_LINE_BYTES = 16 * 1024 * 1024  # past this, a "line" is not a log line and is not held
MAX_SPAN_MINUTES = 10 * 366 * 1440  # a per-minute table past ten years is a broken clock


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
    """Requests per minute from a binary stream, one block at a time. The stream is read ahead
    in a second thread (inflating gzip releases the GIL), so inflating and matching overlap."""
    tally = _Tally(Counter(), bad_lines=[], out_of_range_lines=[], unparsable_lines=[])
    # The buffer always starts with a newline (the patterns start at one) followed by whole
    # lines and the start of the next; only that unfinished line is copied forward.
    buf = bytearray(b"\n")
    with _ReadAhead(stream, BLOCK_BYTES) as blocks:
        for data in blocks:
            buf += data
            cut = buf.rfind(b"\n") + 1
            if cut <= 1:
                if len(buf) > MAX_LINE_BYTES:
                    raise CapplanError(f"{path}: line {tally.lines + 1} is longer than "
                                       f"{MAX_LINE_BYTES // 2**20} MiB, which no access log "
                                       "line is: check the file")
                continue
            with memoryview(buf) as view:
                _count_block(path, buf, view[:cut], fmt, timezone, tally)
            buf = bytearray(b"\n") + buf[cut:]
    if len(buf) > 1:
        buf += b"\n"
        with memoryview(buf) as view:
            _count_block(path, buf, view, fmt, timezone, tally)
    return tally


class _ReadAhead:
    """Blocks of a stream, read by a worker thread one block ahead of the consumer."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        import queue
        import threading

        self._stream, self._size = stream, size
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="capplan-log-reader",
                                        daemon=True)

    def _run(self) -> None:
        import queue

        try:
            while not self._stop.is_set():
                data = self._stream.read(self._size)
                item = data if data else None
                while not self._stop.is_set():
                    try:
                        self._queue.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if item is None:
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            self._queue.put(exc)

    def __enter__(self):
        self._thread.start()
        return self

    def __iter__(self):
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def __exit__(self, *exc) -> None:
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get_nowait()
            except Exception:
                pass
            self._thread.join(timeout=0.05)


def _count_block(path: Path, buf: bytearray, view: memoryview, fmt: LogFormat, timezone: str,
                 tally: _Tally) -> None:
    """One block: `view` is a newline, whole lines, and their final newline."""
    first_line = tally.lines + 1
    n_lines = buf.count(b"\n", 0, len(view)) - 1
    tally.lines += n_lines
    keys = Counter(fmt.pattern.findall(view))
    matched = sum(keys.values())
    if matched < n_lines:
        _classify_lines(bytes(view[1:]), fmt, first_line, tally)
    minutes, bad_range, bad_parse = minutes_of(keys, fmt, timezone, tally)
    tally.minutes.update(minutes)
    tally.requests += sum(minutes.values())
    for keyset, count_attr, lines_attr in ((bad_range, "out_of_range", "out_of_range_lines"),
                                           (bad_parse, "unparsable", "unparsable_lines")):
        if keyset:
            setattr(tally, count_attr, getattr(tally, count_attr) + sum(keys[k] for k in keyset))
            shown = getattr(tally, lines_attr)
            if len(shown) < FIRST_ROWS_SHOWN:
                shown += _lines_with(bytes(view[1:]), fmt, keyset, first_line,
                                     FIRST_ROWS_SHOWN - len(shown))


def _classify_lines(block: bytes, fmt: LogFormat, first_line: int, tally: _Tally) -> None:
    """A block with unmatched lines: count the blank and header lines apart from the bad ones."""
    for i, line in enumerate(block.split(b"\n")[:-1]):
        if not line.strip():
            tally.headers += 1
        elif fmt.comments and line.startswith(b"#"):
            tally.headers += 1
        elif not fmt.pattern.match(b"\n" + line + b"\n"):
            tally.bad += 1
            if len(tally.bad_lines) < FIRST_ROWS_SHOWN:
                tally.bad_lines.append(first_line + i)


def _lines_with(block: bytes, fmt: LogFormat, keys: set, first_line: int, limit: int) -> list:
    out = []
    for i, line in enumerate(block.split(b"\n")[:-1]):
        m = fmt.pattern.match(b"\n" + line + b"\n")
        if m and m.group(1) in keys:
            out.append(first_line + i)
            if len(out) >= limit:
                break
    return out


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
