"""Read a traffic export into a `Traffic`: a UTC-indexed rate series plus an honest quality account.

Formats are sniffed from the bytes, not trusted from the name: gzip, an Excel workbook (a zip), or
delimited text (comma, tab, semicolon, pipe; CR, LF or CRLF line ends). The timestamp and value
columns are found by name and by content, and can be named by the caller. Nothing is filled in or
dropped silently: every dropped row is counted with its reason and the first few line numbers.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from capplan.errors import CapplanError

if TYPE_CHECKING:  # pandas is imported lazily so the CLI starts fast
    import pandas as pd

TIME_NAMES = ("timestamp", "time", "ds", "datetime", "date", "ts", "@timestamp", "day",
              "period", "interval", "timestamps", "date_time", "time_bucket", "bucket", "minute",
              "hour", "_time", "start", "start_time", "eventtime", "event_time")
VALUE_NAMES = ("value", "y", "values", "rate", "rps", "qps", "requests", "request_count", "count",
               "hits", "throughput", "sum", "average", "avg", "mean", "max", "total")
SERIES_NAMES = ("series", "metric", "name", "label", "__name__")
# Epoch seconds between 1973 and 2286, or epoch milliseconds in the same span.
EPOCH_S = (1e8, 1e10)
EPOCH_MS = (1e11, 1e13)
FIRST_ROWS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class DroppedRows:
    """Rows left out for one reason: how many and the first few line numbers (1 = the header)."""

    reason: str
    count: int
    first_lines: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class DataQuality:
    rows_read: int
    rows_used: int
    dropped: tuple[DroppedRows, ...]
    duplicate_timestamps: int
    duplicates_kept: str
    sorted_by_capplan: bool
    interval_seconds: float
    gaps: int
    longest_gap_seconds: float
    missing_seconds: float
    zero_values: int
    first: pd.Timestamp
    last: pd.Timestamp
    timezone_assumed: str | None
    notes: tuple[str, ...] = ()

    @property
    def rows_dropped(self) -> int:
        return sum(d.count for d in self.dropped)


@dataclass(frozen=True, slots=True)
class InputInfo:
    path: str
    sha256: str
    format: str
    sheet: str | None
    time_column: str
    value_column: str
    series: str | None
    value_kind: str  # "rate", "per-interval count" or "counter"


@dataclass(frozen=True, slots=True)
class Traffic:
    """A rate series (per second) on a sorted, unique UTC index, with where it came from."""

    rate: pd.Series
    unit: str
    interval_seconds: float
    quality: DataQuality
    source: InputInfo
    local_timezone: str = "UTC"  # the zone calendar days and hours are counted in


# --------------------------------------------------------------------------------------------
# Reading bytes into a table of strings/numbers


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise CapplanError(f"{path}: no such file: check the path")
    if path.is_dir():
        raise CapplanError(f"{path}: is a folder, not a file: give the traffic export's path")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CapplanError(f"{path}: cannot be read ({exc.strerror}): check its permissions") from exc


def _gunzip(path: Path, data: bytes) -> bytes:
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        raise CapplanError(f"{path}: the gzip data is truncated or corrupt ({exc}): "
                           "export the file again or decompress it to check") from exc


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise CapplanError(f"{path}: looks like a binary file, not CSV/TSV text or an Excel "
                           "workbook: export the series as CSV")
    for enc in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost everything; latin-1 decodes everything
        text = data.decode("latin-1")
    sample = text[:65536]
    if sample:
        control = len(re.findall(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]", sample))
        if control / len(sample) > 0.05:
            raise CapplanError(f"{path}: looks like a binary file, not CSV/TSV text: "
                               "export the series as CSV")
    # Old-Mac CR-only and Windows CRLF line ends both become LF.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _sniff_delimiter(path: Path, text: str) -> str:
    lines = [ln for ln in text[:20000].split("\n")[:50] if ln.strip()]
    if not lines:
        raise CapplanError(f"{path}: the file is empty: export the series with a header row "
                           "and at least two rows of data")
    sample = "\n".join(lines)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        pass
    counts = {d: sum(ln.count(d) for ln in lines) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _looks_like_header(fields: list[str]) -> bool:
    """True when a first row reads as names rather than data (no cell parses as a number)."""
    import pandas as pd

    for cell in fields:
        cell = cell.strip().strip('"')
        if not cell:
            continue
        try:
            float(cell)
            return False
        except ValueError:
            pass
        if cell[:1].isdigit() and not pd.isna(pd.to_datetime(cell, errors="coerce")):
            return False
    return True


def _read_text_table(path: Path, text: str, raw: bytes | None = None) -> tuple[pd.DataFrame, str]:
    """Parse delimited text into a DataFrame; pyarrow's reader first (fast), pandas as fallback.

    `raw`: the file's bytes when they are already clean UTF-8 with LF line ends (saves a copy).
    """
    import pandas as pd

    delimiter = _sniff_delimiter(path, text)
    first = next(ln for ln in text[:20000].split("\n") if ln.strip())
    header = _looks_like_header(next(csv.reader([first], delimiter=delimiter)))
    fmt = {",": "csv", "\t": "tsv", ";": "csv (;)", "|": "csv (|)"}[delimiter]
    if raw is None:
        raw = text.encode("utf-8")
    try:
        import pyarrow.csv as pacsv

        read_opts = pacsv.ReadOptions(autogenerate_column_names=not header)
        parse_opts = pacsv.ParseOptions(delimiter=delimiter)
        table = pacsv.read_csv(io.BytesIO(raw), read_options=read_opts, parse_options=parse_opts)
        frame = table.to_pandas()
        if not header:
            frame.columns = [f"column{i + 1}" for i in range(frame.shape[1])]
    except Exception:  # noqa: BLE001 - ragged rows etc.: the slower, more forgiving parser
        try:
            frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, engine="python",
                                header=0 if header else None, skip_blank_lines=True,
                                on_bad_lines="skip")
        except Exception as exc:  # noqa: BLE001
            raise CapplanError(f"{path}: cannot be parsed as {fmt} ({exc}): check that it is a "
                               "delimited text export with one header row") from exc
        if not header:
            frame.columns = [f"column{i + 1}" for i in range(frame.shape[1])]
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, fmt


def _read_excel_table(path: Path, data: bytes, sheet: str | None) -> tuple[pd.DataFrame, str]:
    """Find the first table with a date column in a workbook (header need not be on row 1)."""
    import zipfile

    import pandas as pd

    try:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise CapplanError(f"{path}: is not a readable Excel workbook ({type(exc).__name__}): "
                           "open it in Excel and save it again as .xlsx, or export CSV") from exc
    try:
        if sheet is not None:
            if sheet not in wb.sheetnames:
                raise CapplanError(f"{path}: has no sheet {sheet!r}; its sheets are "
                                   f"{', '.join(wb.sheetnames)}: pass one with --sheet")
            names = [sheet]
        else:
            names = list(wb.sheetnames)
        for name in names:
            rows = [list(r) for r in wb[name].iter_rows(values_only=True)]
            frame = _table_from_cells(rows)
            if frame is not None:
                return frame, name
    finally:
        wb.close()
    where = f"sheet {sheet!r}" if sheet else f"any of its sheets ({', '.join(wb.sheetnames)})"
    raise CapplanError(f"{path}: no table with a date column and a numeric column in {where}: "
                       "pick the sheet with --sheet, or export the series as CSV")


def _table_from_cells(rows: list[list]) -> pd.DataFrame | None:
    """Locate a header row and the block of columns under it that holds dates and numbers.

    Real workbooks put a title or totals above the header and several tables side by side,
    separated by empty columns (the TfL cycle-hire workbook does both).
    """
    import datetime as dt

    import pandas as pd

    def is_date(v):
        return isinstance(v, (dt.datetime, dt.date))

    def is_num(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    for r, row in enumerate(rows):
        date_cols = [c for c, v in enumerate(row) if is_date(v)]
        num_cols = [c for c, v in enumerate(row) if is_num(v)]
        if not date_cols or not num_cols:
            continue
        # The header is the nearest row above with text in the first date column.
        header_row = None
        for h in range(r - 1, -1, -1):
            cells = rows[h]
            if date_cols[0] < len(cells) and isinstance(cells[date_cols[0]], str):
                header_row = h
                break
        c0 = date_cols[0]
        # The block: contiguous non-empty cells around the date column in the first data row.
        lo = c0
        while lo > 0 and row[lo - 1] is not None:
            lo -= 1
        hi = c0
        while hi + 1 < len(row) and row[hi + 1] is not None:
            hi += 1
        if header_row is not None:
            names = [str(rows[header_row][c]).strip() if c < len(rows[header_row]) and
                     rows[header_row][c] is not None else f"column{c + 1}" for c in range(lo, hi + 1)]
        else:
            names = [f"column{c + 1}" for c in range(lo, hi + 1)]
        body = []
        for row2 in rows[r:]:
            cells = [row2[c] if c < len(row2) else None for c in range(lo, hi + 1)]
            if all(v is None for v in cells):
                break
            body.append(cells)
        frame = pd.DataFrame(body, columns=_unique(names), dtype=object)
        frame.attrs["first_line"] = r + 1  # sheet row number of the first data row
        return frame
    return None


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}.{seen[n]}")
        else:
            seen[n] = 0
            out.append(n)
    return out


# --------------------------------------------------------------------------------------------
# Web-server access logs (Common and Combined Log Format)

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


# --------------------------------------------------------------------------------------------
# JSON from monitoring APIs: Prometheus query_range, Datadog timeseries query


def _json_frame(path: Path, text: str, series: str | None):
    """A (timestamp, value) frame from Prometheus' query_range or Datadog's query JSON."""
    import json

    import pandas as pd

    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CapplanError(f"{path}: looks like JSON but does not parse ({exc.msg} at line "
                           f"{exc.lineno}): export it again") from exc
    found: dict[str, list] = {}
    if isinstance(doc, dict) and isinstance(doc.get("data"), dict) and "result" in doc["data"]:
        kind = "Prometheus query_range JSON"
        if doc["data"].get("resultType") != "matrix":
            raise CapplanError(f"{path}: Prometheus result type {doc['data'].get('resultType')!r}"
                               " is not a range: export with query_range (resultType matrix)")
        for r in doc["data"]["result"]:
            labels = r.get("metric", {})
            name = "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
            found[name] = [(float(t), v) for t, v in r.get("values", [])]
    elif isinstance(doc, dict) and isinstance(doc.get("series"), list):
        kind = "Datadog query JSON"
        for r in doc["series"]:
            name = r.get("expression") or r.get("scope") or r.get("metric") or "series"
            found[str(name)] = [(float(t) / 1000.0, v) for t, v in r.get("pointlist", [])]
    else:
        raise CapplanError(f"{path}: JSON that is neither Prometheus query_range nor Datadog query "
                           "output: export CSV instead")
    if not found:
        raise CapplanError(f"{path}: the {kind} holds no series: widen the query's time range")
    if series is None and len(found) > 1:
        raise CapplanError(f"{path}: holds {len(found)} series ({', '.join(list(found)[:6])}): "
                           "choose one with --series NAME")
    if series is not None and series not in found:
        raise CapplanError(f"{path}: no series {series!r}; the series are "
                           f"{', '.join(list(found)[:6])}")
    points = found[series] if series is not None else next(iter(found.values()))
    frame = pd.DataFrame({"timestamp": [p[0] for p in points],
                          "value": [None if p[1] is None else str(p[1]) for p in points]})
    return frame, kind


# --------------------------------------------------------------------------------------------
# Columns


def _parse_times(col: pd.Series, timezone: str) -> tuple[pd.Series, str | None]:
    """Parse a column to UTC timestamps (NaT where unparsable). Returns (times, zone assumed)."""
    import numpy as np
    import pandas as pd

    assumed = None
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        return col.dt.tz_convert("UTC"), None
    if pd.api.types.is_datetime64_any_dtype(col):
        times = col
    elif pd.api.types.is_numeric_dtype(col):
        vals = col.astype("float64")
        finite = vals[np.isfinite(vals)]
        med = float(np.median(finite)) if len(finite) else 0.0
        unit = "ms" if EPOCH_MS[0] <= med < EPOCH_MS[1] else "s"
        ok = vals.where((vals >= (EPOCH_MS if unit == "ms" else EPOCH_S)[0]) &
                        (vals < (EPOCH_MS if unit == "ms" else EPOCH_S)[1]))
        return pd.to_datetime(ok, unit=unit, utc=True, errors="coerce"), None
    else:
        text = col.astype("string").str.strip().str.strip('"')
        # Numeric strings are epoch times (some exports quote everything).
        as_num = pd.to_numeric(text, errors="coerce")
        if as_num.notna().mean() > 0.9:
            return _parse_times(as_num, timezone)
        try:
            times = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=False)
        except (ValueError, TypeError):
            times = None
        if times is None or times.isna().mean() > 0.5:
            # Mixed offsets or non-ISO layouts: let pandas work out each value, everything to UTC.
            times = pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
            has_offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False)
            if not has_offset.any():
                # No value carried an offset: they are wall-clock times in `timezone`.
                times = times.dt.tz_localize(None)
            else:
                return times, None
    if getattr(times.dt, "tz", None) is None:
        assumed = timezone
        # Wall-clock times repeated or skipped by a daylight-saving change cannot be placed in
        # UTC; they become NaT here and are counted apart from unparsable text by the caller.
        times = times.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    else:
        times = times.dt.tz_convert("UTC")
    return times, assumed


def _time_fraction(col: pd.Series) -> float:
    """Share of a column's values that parse as timestamps (sampled; used to find the column)."""
    import pandas as pd

    sample = col.dropna().head(200)
    if sample.empty:
        return 0.0
    if pd.api.types.is_datetime64_any_dtype(sample) or isinstance(sample.dtype, pd.DatetimeTZDtype):
        return 1.0
    if pd.api.types.is_numeric_dtype(sample):
        return 0.0  # bare numbers are a time column only when named as one
    if sample.map(lambda v: hasattr(v, "year")).all():
        return 1.0
    text = sample.astype("string").str.strip()
    if (pd.to_numeric(text, errors="coerce").notna().mean()) > 0.5:
        return 0.0
    parsed = pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
    return float(parsed.notna().mean())


def _numeric_fraction(col: pd.Series) -> float:
    import pandas as pd

    sample = col.dropna().head(500)
    if sample.empty:
        return 0.0
    if pd.api.types.is_bool_dtype(sample):
        return 0.0
    if pd.api.types.is_numeric_dtype(sample):
        return 1.0
    text = sample.astype("string").str.strip()
    plain = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce").notna().mean()
    comma = pd.to_numeric(text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False),
                          errors="coerce").notna().mean()
    return float(max(plain, comma))


def _choose_time_column(path: Path, frame: pd.DataFrame, wanted: str | None) -> str:
    import pandas as pd

    cols = list(frame.columns)
    if wanted is not None:
        if wanted not in cols:
            raise CapplanError(f"{path}: no column {wanted!r} for --time-column; the columns are "
                               f"{', '.join(cols)}")
        return wanted
    lower = {c.lower(): c for c in cols}
    named = [lower[n] for n in TIME_NAMES if n in lower]
    for c in named:
        if _time_fraction(frame[c]) > 0.5 or pd.api.types.is_numeric_dtype(frame[c]):
            return c
    for c in cols:
        if _time_fraction(frame[c]) > 0.8:
            return c
    if named:
        # Named as the time but nothing in it parses: take it, so the error names the rows.
        return named[0]
    # A headerless file whose first column is epoch seconds or milliseconds.
    first = frame[cols[0]]
    if pd.api.types.is_numeric_dtype(first) and len(first.dropna()) > 1:
        med = float(first.dropna().median())
        if (EPOCH_S[0] <= med < EPOCH_S[1] or EPOCH_MS[0] <= med < EPOCH_MS[1]) and \
                first.dropna().is_monotonic_increasing:
            return cols[0]
    raise CapplanError(f"{path}: no timestamp column found among {', '.join(cols)}: name it with "
                       "--time-column (ISO 8601 times or epoch seconds/milliseconds)")


def _choose_value_column(path: Path, frame: pd.DataFrame, time_col: str, wanted: str | None,
                         series: str | None, series_col: str | None) -> str:
    cols = [c for c in frame.columns if c != time_col and c != series_col]
    if wanted is not None:
        if wanted not in frame.columns:
            raise CapplanError(f"{path}: no column {wanted!r} for --value-column; the columns are "
                               f"{', '.join(frame.columns)}")
        return wanted
    numeric = [c for c in cols if _numeric_fraction(frame[c]) > 0.5]
    if series is not None and series_col is None:
        if series not in frame.columns:
            raise CapplanError(f"{path}: no series {series!r}; the series are "
                               f"{', '.join(numeric) or 'none'}: pick one with --series NAME")
        return series
    if not numeric:
        raise CapplanError(f"{path}: no numeric value column found among {', '.join(cols) or 'no other columns'}: "
                           "name it with --value-column")
    if len(numeric) == 1:
        return numeric[0]
    lower = {c.lower(): c for c in numeric}
    named = [lower[n] for n in VALUE_NAMES if n in lower]
    if len(named) == 1:
        return named[0]
    raise CapplanError(f"{path}: has {len(numeric)} value columns ({', '.join(numeric)}): "
                       "choose one with --series NAME")


def _to_numbers(col: pd.Series, decimal_comma: bool) -> pd.Series:
    """Text to numbers. With ';' as the delimiter a comma is the decimal mark (European exports:
    "1.234,5" is 1234.5); otherwise it separates thousands ("1,234.5")."""
    import pandas as pd

    text = col.astype("string").str.strip()
    if decimal_comma:
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("float64")


# --------------------------------------------------------------------------------------------
# The public reader


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
            first_line, series_json, series = 1, series, None  # the series is chosen already
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
    lower = {c.lower(): c for c in frame.columns if c != tcol}
    series_col = next((lower[n] for n in SERIES_NAMES if n in lower and
                       _numeric_fraction(frame[lower[n]]) < 0.5), None)
    if series_col is not None and value_column is None:
        # Long format (Grafana's "Series;Time;Value"): one row per series and time.
        names = sorted(frame[series_col].dropna().astype(str).unique())
        if series is None and len(names) > 1:
            raise CapplanError(f"{path}: holds {len(names)} series in column {series_col!r} "
                               f"({', '.join(names[:10])}): choose one with --series NAME")
        if series is not None:
            if series not in names:
                raise CapplanError(f"{path}: no series {series!r} in column {series_col!r}; the "
                                   f"series are {', '.join(names[:10])}")
            keep = (frame[series_col].astype(str) == series).to_numpy()
            frame = frame[keep].reset_index(drop=True)
            first_line_map = np.flatnonzero(keep) + first_line
        else:
            first_line_map = None
    else:
        series_col = None
        first_line_map = None
    vcol = _choose_value_column(path, frame, tcol, value_column, series, series_col)

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
    values_np = values.to_numpy()
    lines = (first_line_map if first_line_map is not None else np.arange(len(frame)) + first_line)

    bad_time = np.isnat(tvals)
    dst = dst_lost if dst_lost is not None else np.zeros_like(bad_time)
    bad_time_text = bad_time & ~dst
    bad_value = ~bad_time & ~np.isfinite(values_np)
    negative = ~bad_time & ~bad_value & (values_np < 0)
    dropped = []
    for reason, mask in (("unparsable timestamp", bad_time_text),
                         (f"local time repeated or skipped by a daylight-saving change in "
                          f"{timezone} (cannot be placed in UTC)", dst),
                         ("missing or non-numeric value", bad_value),
                         ("negative value", negative if not counter else np.zeros_like(negative))):
        if mask.any():
            idx = np.flatnonzero(mask)
            dropped.append(DroppedRows(reason, int(idx.size),
                                       tuple(int(lines[i]) for i in idx[:FIRST_ROWS_SHOWN])))
    keep = ~(bad_time | bad_value | (negative if not counter else False))
    if not keep.any():
        why = "; ".join(f"{d.count} with {d.reason} (first at line {d.first_lines[0]})" for d in dropped)
        raise CapplanError(f"{path}: none of its {rows_read} rows is usable ({why}): check "
                           f"columns {tcol!r} (time) and {vcol!r} (value), or name others with "
                           "--time-column/--value-column")

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
    notes = []
    if counter:
        s, resets = _counter_to_rate(s)
        notes.append(f"counter converted to a per-second rate; {resets} counter reset(s) seen; "
                     "the first sample has no rate and is not used")
        kind = "counter"
    elif per_interval:
        s = s / interval
        kind = "per-interval count"
        notes.append(f"values are counts per {_fmt_seconds(interval)} interval, divided by "
                     f"{interval:g} s to give a per-second rate")
    else:
        kind = "rate"
    diffs = np.diff(s.index.asi8) / 1e9
    gap_mask = diffs > 1.5 * interval
    missing = diffs[gap_mask] - interval
    quality = DataQuality(
        rows_read=rows_read, rows_used=len(s), dropped=tuple(dropped),
        duplicate_timestamps=n_dup,
        duplicates_kept="the highest value of each repeated timestamp" if n_dup else "none",
        sorted_by_capplan=sorted_by_us, interval_seconds=interval, gaps=int(gap_mask.sum()),
        longest_gap_seconds=float(missing.max()) if missing.size else 0.0,
        missing_seconds=float(missing.sum()) if missing.size else 0.0,
        zero_values=int((s == 0).sum()), first=s.index[0], last=s.index[-1],
        timezone_assumed=assumed, notes=tuple(notes))
    info = InputInfo(path=str(path), sha256=sha, format=fmt, sheet=sheet_used, time_column=tcol,
                     value_column=vcol, series=series if series_json is None else series_json,
                     value_kind=kind)
    return Traffic(rate=s.astype("float64"), unit="req/s", interval_seconds=interval,
                   quality=quality, source=info, local_timezone=timezone)


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


def _check_timezone(timezone: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise CapplanError(f"--timezone {timezone!r} is not a known time zone: use an IANA name "
                           "such as UTC, Europe/London or America/New_York") from exc


def _infer_interval(index: pd.DatetimeIndex) -> float:
    """The sampling interval: the most common step between timestamps (seconds)."""
    import numpy as np

    diffs = np.diff(index.asi8) // 1_000_000_000
    diffs = diffs[diffs > 0]
    if diffs.size == 0:
        return 1.0
    values, counts = np.unique(diffs, return_counts=True)
    step = float(values[np.argmax(counts)])
    # Monthly data steps by 28-31 days; the median is the better summary there.
    if counts.max() < 0.5 * diffs.size:
        step = float(np.median(diffs))
    return step


def _counter_to_rate(s: pd.Series) -> tuple[pd.Series, int]:
    import numpy as np
    import pandas as pd

    v = s.to_numpy()
    dt = np.diff(s.index.asi8) / 1e9
    dv = np.diff(v)
    resets = dv < 0
    # After a reset the counter restarted from zero, so its value is the increase since then.
    inc = np.where(resets, v[1:], dv)
    return pd.Series(inc / dt, index=s.index[1:], name=s.name), int(resets.sum())


def _fmt_seconds(seconds: float) -> str:
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}" if unit != "day" else f"{n} day{'s' if n > 1 else ''}"
    return f"{seconds:g} s"
