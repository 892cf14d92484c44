"""Which column is the time; header names; time parsing to UTC; text to numbers.

Times are kept only between `EARLIEST` and `LATEST` (1970-2100): a row dated 1677 or 2300 is a
typo or a sentinel, never traffic, and is dropped with that reason rather than overflowing a
nanosecond clock. Parsing stays vectorised: ISO 8601 first, then one format guessed from the
column, and the slow per-value parser only for small files.

Numeric dates with the year last (03/04/2024) are read in one order for the whole column, told
by the whole column (`date_order`), never by the first rows alone: a first field above 12 means
day-first, a second field above 12 month-first, both is a file error (`DateOrderClash`), and
neither keeps month-first with a note saying so.
"""

from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from capplan.errors import CapplanError, name_list

if TYPE_CHECKING:  # pandas is imported lazily so the CLI starts fast
    import numpy as np
    import pandas as pd

TIME_NAMES = ("timestamp", "time", "ds", "datetime", "date", "ts", "@timestamp", "day",
              "period", "interval", "timestamps", "date_time", "time_bucket", "bucket", "minute",
              "hour", "_time", "start", "start_time", "eventtime", "event_time")
VALUE_NAMES = ("value", "y", "values", "rate", "rps", "qps", "requests", "request_count", "count",
               "hits", "throughput", "sum", "average", "avg", "mean", "max", "total")
SERIES_NAMES = ("series", "metric", "name", "label", "__name__")
# Epoch seconds from 1973 and epoch milliseconds from the same year: what a column of bare
# numbers must look like (its median) to be read as times at all.
EPOCH_S = (1e8, 1e10)
EPOCH_MS = (1e11, 1e13)
EARLIEST = "1970-01-01"
LATEST = "2100-01-01"  # exclusive
# The per-value parser costs ~30 us a value: past this many rows a column that needs it for
# most values is refused rather than parsed for minutes.
MIXED_PARSE_MAX_ROWS = 200_000
TIME_SCAN_COLUMNS = 50
# A year-first date; the look-ahead keeps a day-first 13/01/2024 from reading as year 13.
_YEAR = re.compile(r"^\s*\"?(\d{1,5})[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)")
# A numeric date with the year last: its first two fields are day and month in some order.
# (re2 syntax: pyarrow runs it over the whole column.)
_YEAR_LAST = r"^\s*\"?(?P<first>\d\d?)[/.\-](?P<second>\d\d?)[/.\-](?:\d{4}|\d{2})(?:\D|$)"


@dataclass(frozen=True, slots=True)
class ParsedTimes:
    """A time column parsed: naive-UTC datetime64[ns] (NaT where unusable) and why rows failed."""

    utc: np.ndarray
    out_of_range: np.ndarray  # bool: parsed, but outside 1970-2100
    dst: np.ndarray  # bool: a local time repeated or skipped by a daylight-saving change
    assumed: str | None  # the zone naive times were read in, None when they carried an offset
    note: str | None = None  # for the quality account: the date order assumed, and why


class DateOrderClash(Exception):
    """A column of numeric dates holds both day-first and month-first ones. The rows are
    positions in the column; the reader turns this into a `CapplanError` naming file lines."""

    def __init__(self, day_first_row: int, day_first: str, month_first_row: int,
                 month_first: str):
        super().__init__(day_first, month_first)
        self.day_first_row, self.day_first = day_first_row, day_first
        self.month_first_row, self.month_first = month_first_row, month_first

    def message(self, path, column: str, lines) -> str:
        return (f"{path}: column {column!r} mixes day-first dates (line "
                f"{int(lines[self.day_first_row])}: {self.day_first!r}) and month-first ones "
                f"(line {int(lines[self.month_first_row])}: {self.month_first!r}): export the "
                "times in one order, best as ISO 8601 (2024-01-31 13:00)")


@contextmanager
def _quiet():
    """pandas' date guessing warns on stderr (\"Parsing dates in %d/%m/%Y format...\"): capplan
    decides the order itself and says so in the quality account, so no library warning reaches
    the user."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def header_names(path: Path, fields: list[str], header: bool) -> list[str]:
    """Column names from a header row: blanks become columnN; a repeated name is an error."""
    if not header:
        return [f"column{i + 1}" for i in range(len(fields))]
    names = [" ".join(f.split()) or f"column{i + 1}" for i, f in enumerate(fields)]
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in seen:
            raise CapplanError(f"{path}: the header names column {seen[n] + 1} and column {i + 1} "
                               f"both {n!r}: rename one so each column has its own name "
                               "(capplan picks columns by name)")
        seen[n] = i
    return names


def parse_times(col: pd.Series, timezone: str) -> ParsedTimes:
    """Parse a column to UTC: datetimes, ISO 8601 text (offsets honoured), other layouts, epoch
    seconds or milliseconds. Naive times are wall-clock times in `timezone`."""
    import numpy as np
    import pandas as pd

    n = len(col)
    note = None
    aware = isinstance(col.dtype, pd.DatetimeTZDtype)
    if aware or (timezone == "UTC" and pd.api.types.is_datetime64_any_dtype(col)):
        # Typed by the reader (pyarrow): range-checked in integers, no pandas round trips.
        return _datetimes_fast(col, None if aware else "UTC")
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        times, assumed = col.dt.tz_convert("UTC").dt.tz_localize(None), None
    elif pd.api.types.is_datetime64_any_dtype(col):
        times, assumed = col, timezone
    elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        times, assumed = _epoch(col.astype("float64")), None
    else:
        if col.dtype == object:
            # Spreadsheet cells: datetime/date objects become ISO text, parsed with the rest.
            col = col.map(_cell_text)
        with _quiet():
            times, assumed, note = _text_to_times(
                col.astype("string").str.strip().str.strip('"'), timezone, col.name)
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times, assumed = times.dt.tz_convert("UTC").dt.tz_localize(None), None
    lo, hi = pd.Timestamp(EARLIEST), pd.Timestamp(LATEST)
    valid = times.notna().to_numpy()
    in_range = ((times >= lo) & (times < hi)).to_numpy()
    out_of_range = valid & ~in_range
    if isinstance(col.dtype, pd.StringDtype) or col.dtype == object:
        out_of_range |= _year_outside(col, ~valid)
    times = times.where(pd.Series(in_range, index=times.index))
    dst = np.zeros(n, dtype=bool)
    if assumed is not None and assumed != "UTC":
        local = times.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
        dst = (local.isna() & times.notna()).to_numpy()
        times = local.dt.tz_convert("UTC").dt.tz_localize(None)
    utc = times.astype("datetime64[ns]").to_numpy()
    return ParsedTimes(utc, out_of_range, dst, assumed, note)


def utc_index(times: np.ndarray) -> pd.DatetimeIndex:
    """UTC datetime64[ns] values as a UTC DatetimeIndex on the same memory: integers cast to a
    zoned dtype are UTC instants, so no localizing copy is made."""
    import pandas as pd

    ints = pd.Series(times.view("int64"), copy=False).astype("datetime64[ns, UTC]")
    return pd.DatetimeIndex(ints.array, copy=False)


def _datetimes_fast(col: pd.Series, assumed: str | None) -> ParsedTimes:
    """UTC (or naive UTC) datetimes of any resolution to datetime64[ns], 1970-2100 only."""
    import numpy as np

    v = col.array.asi8  # UTC integers in the column's unit, NaT the smallest int64
    unit = col.array.unit
    lo = np.datetime64(EARLIEST, unit).astype("int64")
    hi = np.datetime64(LATEST, unit).astype("int64")
    scale = np.timedelta64(1, unit) // np.timedelta64(1, "ns")
    if v.size and v.min() >= lo and v.max() < hi:  # the common case: two passes, no masks
        utc = v * scale if scale != 1 else v.copy()
        none = np.zeros(v.size, dtype=bool)
        none.setflags(write=False)  # shared by both masks
        return ParsedTimes(utc.view("datetime64[ns]"), none, none, assumed)
    nat = v == np.iinfo(np.int64).min
    inside = (v >= lo) & (v < hi)
    if inside.all():
        utc = v * scale if scale != 1 else v.copy()
    else:
        utc = np.where(inside, v, 0) * scale
        utc[~inside] = np.iinfo(np.int64).min  # NaT
    return ParsedTimes(utc.view("datetime64[ns]"), ~nat & ~inside, np.zeros(len(v), dtype=bool),
                       assumed)


def _epoch(vals: pd.Series) -> pd.Series:
    """Epoch seconds, or milliseconds when the column's median says so."""
    import numpy as np
    import pandas as pd

    finite = vals[np.isfinite(vals)]
    med = float(np.median(finite)) if len(finite) else 0.0
    if med < EPOCH_S[0]:
        # Not epoch times (hours of a day, row numbers): nothing here is a time.
        return pd.Series(pd.NaT, index=vals.index, dtype="datetime64[ns]")
    seconds = vals / 1000.0 if EPOCH_MS[0] <= med < EPOCH_MS[1] else vals
    # Clip to a span datetime64[ns] holds; the 1970-2100 check then names the outliers.
    bad = ~np.isfinite(seconds)
    clipped = seconds.where(~bad, 0.0).clip(-9e9, 9e9)
    out = pd.Series((clipped.to_numpy() * 1e9).round().astype("int64").view("datetime64[ns]"),
                    index=vals.index)
    return out.where(~bad)


def _cell_text(v) -> str | None:
    if v is None or isinstance(v, str):
        return v
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _text_to_times(text: pd.Series, timezone: str,
                   name) -> tuple[pd.Series, str | None, str | None]:
    """(times, the zone naive ones were read in, a note on the date order assumed)."""
    import pandas as pd

    # Numeric strings are epoch times (some exports quote everything).
    if pd.to_numeric(text.dropna().head(200), errors="coerce").notna().mean() > 0.9:
        return _epoch(pd.to_numeric(text, errors="coerce").astype("float64")), None, None
    times, note = None, None
    try:
        times = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=False)
    except (ValueError, TypeError, OverflowError):
        pass  # mixed offsets: parsed to UTC below
    if times is None or times.isna().mean() > 0.5:
        dayfirst, note = date_order(text, name)
        times = _other_layouts(text, dayfirst)
        has_offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False)
        if has_offset.any():
            return times, None, note
        # No value carried an offset: they are wall-clock times in `timezone`.
        times = times.dt.tz_localize(None)
    return times, timezone, note


def date_order(text: pd.Series, name) -> tuple[bool | None, str | None]:
    """(dayfirst, note) for a text column, decided by every value with a numeric date whose
    year comes last: True when some first field is above 12 (13/01/2024 is 13 January), False
    when some second field is (01/13/2024), None when the column holds no such date. Both in
    one column raise `DateOrderClash`; neither (every field 12 or less) keeps month-first, as
    capplan always read them, with a note saying so. One re2 pass over the column in pyarrow:
    about 0.1 s a million rows, paid only by text times that are not ISO 8601."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(text.array, type=pa.large_string(), from_pandas=True)
    parts = pc.extract_regex(arr, _YEAR_LAST)
    if parts.null_count == len(parts):
        return None, None
    first = pc.cast(pc.struct_field(parts, 0), pa.int16())
    second = pc.cast(pc.struct_field(parts, 1), pa.int16())
    # A row with both fields above 12 (13/13/2024) is no date in either order: not evidence.
    day = pc.and_(pc.greater(first, 12), pc.less_equal(second, 12))
    month = pc.and_(pc.greater(second, 12), pc.less_equal(first, 12))
    day_row = pc.index(pc.fill_null(day, False), True).as_py()
    month_row = pc.index(pc.fill_null(month, False), True).as_py()
    if day_row >= 0 and month_row >= 0:
        raise DateOrderClash(day_row, text.iloc[day_row], month_row, text.iloc[month_row])
    if day_row >= 0:
        return True, None
    if month_row >= 0:
        return False, None
    # A date whose two fields are equal (03/03/2024) reads alike in both orders.
    row = pc.index(pc.fill_null(pc.not_equal(first, second), False), True).as_py()
    if row < 0:
        return False, None
    example = str(text.iloc[row])
    m, d = int(first[row].as_py()), int(second[row].as_py())
    month_name = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")
    col = f"column {name!r}" if name is not None else "the time column"
    return False, (
        f"the dates of {col} were read month-first ({example!r} is {d} {month_name[m - 1]}, "
        f"not {m} {month_name[d - 1]}): "
        "no first or second field in the column is above 12, so nothing in it tells day-first "
        "from month-first; if they are day-first, export the times as ISO 8601 (2024-01-31)")


def _other_layouts(text: pd.Series, dayfirst: bool | None) -> pd.Series:
    """Non-ISO layouts, to UTC: one format guessed from the values when it fits most of them,
    else each value on its own (small files only: it is slow). `dayfirst` is the column's date
    order when `date_order` could tell it, None when it has no numeric day and month."""
    import pandas as pd
    from pandas.tseries.api import guess_datetime_format

    sample = text.dropna().head(50)
    formats = []
    orders = (False, True) if dayfirst is None else (dayfirst,)
    for value in sample:
        for order in orders:
            try:
                fmt = guess_datetime_format(value, dayfirst=order)
            except (ValueError, TypeError, OverflowError):
                fmt = None
            if fmt and fmt not in formats:
                formats.append(fmt)
    best, best_share = None, 0.5
    for fmt in formats:  # the format that reads most of the sample; month-first wins ties
        share = _share_parsed(sample, fmt)
        if share > best_share:
            best, best_share = fmt, share
    if best is not None:
        return pd.to_datetime(text, errors="coerce", format=best, utc=True)
    if len(text) > MIXED_PARSE_MAX_ROWS:
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    return pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=bool(dayfirst), utc=True)


def _share_parsed(sample: pd.Series, fmt: str) -> float:
    import pandas as pd

    try:
        return float(pd.to_datetime(sample, errors="coerce", format=fmt, utc=True).notna().mean())
    except (ValueError, TypeError, OverflowError):
        return 0.0


def _year_outside(col: pd.Series, rows: np.ndarray) -> np.ndarray:
    """Rows that failed to parse but start with a date whose year is outside 1970-2100."""
    import numpy as np

    out = np.zeros(len(col), dtype=bool)
    idx = np.flatnonzero(rows)
    if idx.size == 0:
        return out
    years = col.iloc[idx].astype("string").str.extract(_YEAR, expand=False)
    years = years.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    out[idx] = np.isfinite(years) & ((years < 1970) | (years >= 2100))
    return out


def time_fraction(col: pd.Series) -> float:
    """Share of a column's values that parse as timestamps (sampled; used to find the column)."""
    import pandas as pd

    kind = _dtype_kind(col.dtype)
    if kind != "text":
        # Bare numbers are a time column only when named as one.
        return 1.0 if kind == "time" else 0.0
    sample = col.dropna().head(200)
    if sample.empty:
        return 0.0
    if sample.map(lambda v: hasattr(v, "year")).all():
        return 1.0
    text = sample.astype("string").str.strip()
    if (pd.to_numeric(text, errors="coerce").notna().mean()) > 0.5:
        return 0.0
    try:
        with _quiet():
            parsed = pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
    except (ValueError, TypeError, OverflowError):
        return 0.0
    return float(parsed.notna().mean())


def numeric_fraction(col: pd.Series) -> float:
    """Share of a column's values that read as numbers (sampled; used to find value columns)."""
    import pandas as pd

    kind = _dtype_kind(col.dtype)
    if kind != "text":
        return 1.0 if kind == "number" else 0.0
    sample = col.dropna().head(500)
    if sample.empty:
        return 0.0
    text = sample.astype("string").str.strip()
    plain = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce").notna().mean()
    comma = pd.to_numeric(text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False),
                          errors="coerce").notna().mean()
    return float(max(plain, comma))


def numeric_columns(frame: pd.DataFrame, cols: list[str]) -> list[str]:
    """The columns of `cols` that hold numbers (typed so, or text that reads as numbers); typed
    columns are told apart by dtype alone, so a 10,000-column header stays fast."""
    dtypes = dict(zip(frame.columns, frame.dtypes))
    out = []
    for c in cols:
        kind = _dtype_kind(dtypes[c])
        if kind == "number" or (kind == "text" and numeric_fraction(frame[c]) > 0.5):
            out.append(c)
    return out


def _dtype_kind(dtype) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.DatetimeTZDtype):
        return "time"
    return "text"


def choose_time_column(path: Path, frame: pd.DataFrame, wanted: str | None) -> str:
    import pandas as pd

    cols = list(frame.columns)
    if wanted is not None:
        if wanted not in cols:
            raise CapplanError(f"{path}: no column {wanted!r} for --time-column; the columns are "
                               f"{name_list(cols)}")
        return wanted
    lower = {c.lower(): c for c in cols}
    named = [lower[n] for n in TIME_NAMES if n in lower]
    for c in named:
        if time_fraction(frame[c]) > 0.5 or pd.api.types.is_numeric_dtype(frame[c]):
            return c
    dtypes = dict(zip(frame.columns, frame.dtypes))
    # By content: the first columns only (a time column comes first in every export seen; the
    # per-value parser this needs would take minutes over a 10,000-column header).
    for c in cols[:TIME_SCAN_COLUMNS]:
        if _dtype_kind(dtypes[c]) in ("text", "time") and time_fraction(frame[c]) > 0.8:
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
    raise CapplanError(f"{path}: no timestamp column found among {name_list(cols)}: name it with "
                       "--time-column (ISO 8601 times or epoch seconds/milliseconds)")


def to_numbers(col: pd.Series, decimal_comma: bool) -> np.ndarray:
    """Any column to float64 (NaN where not a number). Text: with ';' as the delimiter a comma is
    the decimal mark (European exports: "1.234,5" is 1234.5); otherwise it separates thousands."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_datetime64_any_dtype(col) or \
            isinstance(col.dtype, pd.DatetimeTZDtype):
        return np.full(len(col), np.nan)
    if col.dtype in (np.float64, np.int64):  # NaN is NaN already: no copy to fill it in
        return col.to_numpy(dtype="float64")
    if pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype="float64", na_value=np.nan)
    if col.dtype == object:
        # Spreadsheet cells: numbers stay numbers; text is parsed like CSV text.
        col = col.map(lambda v: v if isinstance(v, str) or v is None else
                      (str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None))
    text = col.astype("string").str.strip()
    if decimal_comma:
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("float64").to_numpy(na_value=np.nan)


def check_timezone(timezone: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise CapplanError(f"--timezone {timezone!r} is not a known time zone: use an IANA name "
                           "such as UTC, Europe/London or America/New_York") from exc
