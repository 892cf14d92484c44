"""`read_traffic`: a file in, a `Traffic` out. Each step lives in the module for its family; this
module only wires them: bytes -> table -> time/value columns -> usable rows -> rate -> quality."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from capplan.errors import CapplanError
from capplan.ingest.access_logs import (
    _looks_like_access_log,
    _traffic_from_log,
    peek_log,
    read_log_file,
)
from capplan.ingest.columns import (
    SERIES_NAMES,
    _check_timezone,
    _choose_time_column,
    _choose_value_column,
    _numeric_fraction,
    _parse_times,
    _to_numbers,
)
from capplan.ingest.delimited import _read_text_table
from capplan.ingest.excel import _read_excel_table
from capplan.ingest.model import InputInfo, Traffic
from capplan.ingest.monitoring_json import _json_frame
from capplan.ingest.rates import _infer_interval, drop_bad_rows, quality_account, to_rate
from capplan.ingest.sniff import _decode, _gunzip, _read_bytes

if TYPE_CHECKING:  # pandas is imported lazily so the CLI starts fast
    import pandas as pd


def read_traffic(path: str | Path, *, time_column: str | None = None,
                 value_column: str | None = None, series: str | None = None,
                 sheet: str | None = None, timezone: str = "UTC", per_interval: bool = False,
                 counter: bool = False, min_rows: int = 2) -> Traffic:
    """Read a traffic export and return the per-second rate series with its quality account.

    `per_interval`: each value is a count over its interval (divided by the inferred interval).
    `counter`: the column is a monotonically increasing counter (a decrease is a counter reset,
    after which the new value is the increase since the reset, as Prometheus' rate() treats it).
    """
    import numpy as np
    import pandas as pd

    if per_interval and counter:
        raise CapplanError("--per-interval and --counter exclude each other: a column is either a "
                           "count per interval or a running counter")
    _check_timezone(timezone)
    path = Path(path)
    if path.is_file():
        log = peek_log(path)
        if log is not None:  # read as a stream: a log may be gigabytes
            return read_log_file(path, *log, timezone)
    data = _read_bytes(path)
    sha = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise CapplanError(f"{path}: the file is empty: export the series with a header row and "
                           "at least two rows of data")
    fmt_prefix = ""
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(path, data)
        fmt_prefix = "gzip "
        if not data.strip():
            raise CapplanError(f"{path}: the compressed file is empty: export the series again")
    sheet_used = None
    series_json = None
    if data[:4] == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm"):
        frame, sheet_used = _read_excel_table(path, data, sheet)
        fmt = "xlsx"
        first_line = frame.attrs.get("first_line", 2)
    elif path.suffix.lower() == ".xls" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise CapplanError(f"{path}: is an old binary Excel (.xls) file: save it as .xlsx or CSV")
    else:
        text = _decode(path, data)
        if _looks_like_access_log(text):
            return _traffic_from_log(path, text, sha, fmt_prefix, timezone)
        if text.lstrip().startswith("{"):
            frame, fmt = _json_frame(path, text, series)
            first_line, series = 1, None  # the series is chosen already
            series_json = frame.attrs.get("series")
        else:
            clean = b"\r" not in data and not data.startswith(b"\xef\xbb\xbf") and \
                len(text) == len(data)  # pure ASCII: the bytes are the text
            frame, fmt = _read_text_table(path, text, data if clean else None)
            first_line = 2
    fmt = fmt_prefix + fmt
    rows_read = len(frame)
    if rows_read == 0:
        raise CapplanError(f"{path}: has a header but no data rows: export a time range with data")

    tcol = _choose_time_column(path, frame, time_column)
    frame, series_col, first_line_map = _long_format_rows(path, frame, tcol, value_column, series,
                                                          first_line)
    vcol = _choose_value_column(path, frame, tcol, value_column, series, series_col)
    tvals, values_np, assumed, dst_lost = _times_and_values(frame, tcol, vcol, timezone, fmt)
    lines = (first_line_map if first_line_map is not None else np.arange(len(frame)) + first_line)
    keep, dropped = drop_bad_rows(path, tvals, values_np, lines, dst_lost, timezone, counter,
                                  rows_read, tcol, vcol)

    s = pd.Series(values_np[keep], index=pd.DatetimeIndex(tvals[keep]).tz_localize("UTC"), name=vcol)
    sorted_by_us = not s.index.is_monotonic_increasing
    if sorted_by_us:
        s = s.sort_index(kind="stable")
    n_dup = int(s.index.duplicated().sum())
    if n_dup:
        # Keep the highest reading of each repeated timestamp: capacity is sized for the peak.
        s = s.groupby(level=0).max()
    if len(s) < min_rows:
        raise CapplanError(f"{path}: only {len(s)} usable row(s) after dropping bad ones: capplan "
                           f"needs at least {min_rows} timestamps to infer the interval")

    interval = _infer_interval(s.index)
    if frame.attrs.get("settled"):
        # Monitoring JSON that names its statistic has made its values per-second rates.
        kind, notes = _settled_kind(frame.attrs, per_interval, counter)
    else:
        s, kind, notes = to_rate(s, interval, counter, per_interval)
    quality = quality_account(s, rows_read=rows_read, dropped=dropped, n_dup=n_dup,
                              sorted_by_us=sorted_by_us, interval=interval, assumed=assumed,
                              notes=notes)
    info = InputInfo(path=str(path), sha256=sha, format=fmt, sheet=sheet_used, time_column=tcol,
                     value_column=vcol, series=series if series_json is None else series_json,
                     value_kind=kind)
    return Traffic(rate=s.astype("float64"), unit="req/s", interval_seconds=interval,
                   quality=quality, source=info, local_timezone=timezone)


def _settled_kind(attrs: dict, per_interval: bool, counter: bool):
    """The value kind a monitoring export stated, and its notes; a flag saying otherwise is an
    error rather than a second conversion."""
    kind = attrs["value_kind"]
    if counter or (per_interval and kind != "per-interval count"):
        flag = "--counter" if counter else "--per-interval"
        raise CapplanError(f"{flag}: the file states its statistic ({attrs.get('statistic')}), "
                           f"which makes its values a {kind}; capplan has converted them to a "
                           f"per-second rate already: drop {flag}")
    return kind, list(attrs.get("notes", []))


def _long_format_rows(path: Path, frame: pd.DataFrame, tcol: str, value_column: str | None,
                      series: str | None, first_line: int):
    """Long format (Grafana's "Series;Time;Value"): one row per series and time. Keeps the rows of
    the chosen series; returns (frame, series column or None, file line of each kept row or None)."""
    import numpy as np

    lower = {c.lower(): c for c in frame.columns if c != tcol}
    series_col = next((lower[n] for n in SERIES_NAMES if n in lower and
                       _numeric_fraction(frame[lower[n]]) < 0.5), None)
    if series_col is None or value_column is not None:
        return frame, None, None
    names = sorted(frame[series_col].dropna().astype(str).unique())
    if series is None and len(names) > 1:
        raise CapplanError(f"{path}: holds {len(names)} series in column {series_col!r} "
                           f"({', '.join(names[:10])}): choose one with --series NAME")
    if series is None:
        return frame, series_col, None
    if series not in names:
        raise CapplanError(f"{path}: no series {series!r} in column {series_col!r}; the "
                           f"series are {', '.join(names[:10])}")
    keep = (frame[series_col].astype(str) == series).to_numpy()
    return frame[keep].reset_index(drop=True), series_col, np.flatnonzero(keep) + first_line


def _times_and_values(frame: pd.DataFrame, tcol: str, vcol: str, timezone: str, fmt: str):
    """Times as naive-UTC datetime64[ns] and values as float64 arrays, the zone assumed for naive
    times, and which rows were lost to a daylight-saving change (or None)."""
    import pandas as pd

    times, assumed = _parse_times(frame[tcol], timezone)
    dst_lost = None
    if assumed is not None and assumed != "UTC" and times.isna().any():
        # Which NaTs come from the time zone (ambiguous or skipped local times), not the text.
        as_utc, _ = _parse_times(frame[tcol], "UTC")
        dst_lost = (times.isna() & as_utc.notna()).to_numpy()
    raw_values = frame[vcol]
    if pd.api.types.is_numeric_dtype(raw_values) and not pd.api.types.is_bool_dtype(raw_values):
        values = raw_values.astype("float64")
    else:
        values = _to_numbers(raw_values, decimal_comma=fmt.endswith("(;)"))
    # Naive UTC datetime64[ns]: a tz-aware Series' to_numpy() builds Timestamp objects (slow).
    tvals = times.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]").to_numpy()
    return tvals, values.to_numpy(), assumed, dst_lost
