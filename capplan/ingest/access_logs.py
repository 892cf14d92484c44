"""Web-server access logs (Common and Combined Log Format), counted per minute."""

from __future__ import annotations

import re
from pathlib import Path

from capplan.errors import CapplanError
from capplan.ingest.model import FIRST_ROWS_SHOWN, DataQuality, DroppedRows, InputInfo, Traffic

# host ident user [01/Aug/1995:00:00:01 -0400] "request" status bytes ...
_CLF_TIME = re.compile(r'^\S+ \S+ .*?\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]')
LOG_BUCKET_SECONDS = 60


def _looks_like_access_log(text: str) -> bool:
    lines = [ln for ln in text[:20000].split("\n")[:20] if ln.strip()]
    return bool(lines) and sum(bool(_CLF_TIME.match(ln)) for ln in lines) >= 0.8 * len(lines)


def _access_log_counts(path: Path, text: str):
    """Requests per LOG_BUCKET_SECONDS bucket from a CLF/Combined log; buckets with no request
    between the first and the last are real zeros (an idle minute), not gaps."""
    import numpy as np
    import pandas as pd

    lines = text.split("\n")
    stamps, bad = [], []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        m = _CLF_TIME.match(line)
        if m:
            stamps.append(m.group(1))
        else:
            bad.append(i)
    if not stamps:
        raise CapplanError(f"{path}: no line has a Common Log Format timestamp: export the "
                           "traffic as CSV instead")
    times = pd.to_datetime(pd.Series(stamps), format="%d/%b/%Y:%H:%M:%S %z", errors="coerce",
                           utc=True)
    ok = times.notna().to_numpy()
    bad += [i for i, good in zip(range(1, len(stamps) + 1), ok) if not good]
    ns = times[ok].astype("datetime64[ns, UTC]").dt.tz_localize(None).to_numpy().astype("int64")
    bucket = LOG_BUCKET_SECONDS * 1_000_000_000
    first, last = ns.min() // bucket, ns.max() // bucket
    counts = np.bincount(ns // bucket - first, minlength=int(last - first + 1))
    index = pd.DatetimeIndex((np.arange(first, last + 1) * bucket).astype("datetime64[ns]"))
    return pd.Series(counts.astype(float), index=index.tz_localize("UTC")), len(stamps), bad


def _traffic_from_log(path: Path, text: str, sha: str, fmt_prefix: str, timezone: str) -> Traffic:
    """An access log becomes a request rate: requests per minute bucket / 60."""
    counts, parsed, bad = _access_log_counts(path, text)
    rows = parsed + len(bad)
    dropped = ()
    if bad:
        dropped = (DroppedRows("line without a Common Log Format timestamp", len(bad),
                               tuple(bad[:FIRST_ROWS_SHOWN])),)
    rate = counts / LOG_BUCKET_SECONDS
    quality = DataQuality(
        rows_read=rows, rows_used=rows - len(bad), dropped=dropped, duplicate_timestamps=0,
        duplicates_kept="none", sorted_by_capplan=False, interval_seconds=LOG_BUCKET_SECONDS,
        gaps=0, longest_gap_seconds=0.0, missing_seconds=0.0, zero_values=int((counts == 0).sum()),
        first=rate.index[0], last=rate.index[-1], timezone_assumed=None,
        notes=(f"access log: {rows - len(bad):,} requests counted per {LOG_BUCKET_SECONDS} s "
               "bucket and divided by the bucket length; a bucket with no request is a real "
               "zero; the first and last buckets may be partial",))
    info = InputInfo(path=str(path), sha256=sha, format=fmt_prefix + "access log (CLF)", sheet=None,
                     time_column="log timestamp", value_column="requests", series=None,
                     value_kind="request count per bucket")
    return Traffic(rate=rate, unit="req/s", interval_seconds=float(LOG_BUCKET_SECONDS),
                   quality=quality, source=info, local_timezone=timezone)
