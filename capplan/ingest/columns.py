"""Which column is the time, the value and the series; time parsing; text to numbers."""

from __future__ import annotations

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


def _check_timezone(timezone: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise CapplanError(f"--timezone {timezone!r} is not a known time zone: use an IANA name "
                           "such as UTC, Europe/London or America/New_York") from exc
