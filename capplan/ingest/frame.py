"""A pandas DataFrame or Series in, a `Traffic` out: the notebook's way in.

The frame goes through the same steps as a file once its table is read: the time and value
columns are chosen by the same rules (`columns`), times parsed to UTC the same way (naive ones in
`timezone`), bad rows dropped with their reasons, duplicates and order handled, the interval,
counters and per-interval counts as for a file (`rates`). What differs is provenance: the input
is named "DataFrame" (or "Series"), its sha256 is taken over pandas' own row hashes of the frame
(index included), and a dropped row is named by its position in the frame, from 0.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from capplan.errors import CapplanError, name_list
from capplan.ingest.columns import TIME_NAMES, _check_timezone, _choose_time_column, \
    _choose_value_column
from capplan.ingest.model import InputInfo, Traffic
from capplan.ingest.rates import _infer_interval, drop_bad_rows, quality_account, to_rate

if TYPE_CHECKING:
    import pandas as pd

FORMAT = "DataFrame"


def traffic_from_frame(data: pd.DataFrame | pd.Series, time_column: str | None = None,
                       value_column: str | None = None, unit: str | None = None, *,
                       series: str | None = None, timezone: str = "UTC",
                       per_interval: bool = False, counter: bool = False,
                       min_rows: int = 2) -> Traffic:
    """Read a DataFrame (a timestamp index or column; one value column, `value_column=`, or a
    wide frame's `series=`) or a Series with a timestamp index into a `Traffic`.

    `unit`: the rate's unit for labels (default req/s). `per_interval`, `counter`, `timezone`:
    as for a file (`read_traffic`)."""
    import numpy as np
    import pandas as pd

    if per_interval and counter:
        raise CapplanError("--per-interval and --counter exclude each other: a column is either a "
                           "count per interval or a running counter")
    _check_timezone(timezone)
    label = "Series" if isinstance(data, pd.Series) else FORMAT
    frame = _as_table(data, label, time_column)
    rows_read = len(frame)
    if rows_read == 0:
        raise CapplanError(f"{label}: has no rows: give a frame with at least two timestamps")
    try:
        return _read(frame, data, label, rows_read, time_column, value_column, unit, series,
                     timezone, per_interval, counter, min_rows)
    except (TypeError, ValueError, OverflowError) as exc:
        # A frame holds any Python object (a bool, a date in year 1, a list); a file's text
        # never does. What the shared steps cannot read is one line, as for a file.
        raise CapplanError(f"{label}: cannot be read as a traffic series ({type(exc).__name__}: "
                           f"{str(exc)[:80]}): give a timestamp column or index and a numeric "
                           "value column") from None


def _read(frame, data, label, rows_read, time_column, value_column, unit, series, timezone,
          per_interval, counter, min_rows) -> Traffic:
    import numpy as np
    import pandas as pd

    from capplan.ingest.reader import _long_format_rows, _times_and_values

    tcol = _choose_time_column(label, frame, time_column)
    frame, series_col, positions = _long_format_rows(label, frame, tcol, value_column, series, 0)
    vcol = _choose_value_column(label, frame, tcol, value_column, series, series_col)
    tvals, values, assumed, dst_lost = _times_and_values(frame, tcol, vcol, timezone, FORMAT)
    rows = positions if positions is not None else np.arange(len(frame))
    keep, dropped = drop_bad_rows(label, tvals, values, rows, dst_lost, timezone, counter,
                                  rows_read, tcol, vcol)
    s = pd.Series(values[keep], index=pd.DatetimeIndex(tvals[keep]).tz_localize("UTC"), name=vcol)
    unsorted = not s.index.is_monotonic_increasing
    if unsorted:
        s = s.sort_index(kind="stable")
    n_dup = int(s.index.duplicated().sum())
    if n_dup:
        # As for a file: the highest reading of a repeated timestamp, as capacity is for the peak.
        s = s.groupby(level=0).max()
    if len(s) < min_rows:
        raise CapplanError(f"{label}: only {len(s)} usable row(s) after dropping bad ones: capplan "
                           f"needs at least {min_rows} timestamps to infer the interval")
    interval = _infer_interval(s.index)
    s, kind, notes = to_rate(s, interval, counter, per_interval)
    if dropped:
        notes = [*notes, f"dropped rows are numbered by their position in the {label}, from 0"]
    quality = quality_account(s, rows_read=rows_read, dropped=dropped, n_dup=n_dup,
                              sorted_by_us=unsorted, interval=interval, assumed=assumed,
                              notes=notes)
    info = InputInfo(path=label, sha256=frame_sha256(data), format=FORMAT, sheet=None,
                     time_column=tcol, value_column=vcol, series=series, value_kind=kind)
    return Traffic(rate=s.astype("float64"), unit=unit or "req/s", interval_seconds=interval,
                   quality=quality, source=info, local_timezone=timezone)


def _as_table(data, label: str, time_column: str | None) -> pd.DataFrame:
    """The frame as a table of string-named columns, its timestamp index (if any) a column."""
    import pandas as pd

    if isinstance(data, pd.Series):
        data = data.to_frame(str(data.name) if data.name is not None else "value")
    elif not isinstance(data, pd.DataFrame):
        raise CapplanError(f"{type(data).__name__} is not a DataFrame or Series: give one with "
                           "a timestamp index or column")
    if isinstance(data.columns, pd.MultiIndex):
        raise CapplanError(f"{label}: has MultiIndex columns: flatten them (one name a column) "
                           "or pass the one column as a Series")
    frame = data.copy(deep=False)
    frame.columns = [str(c) for c in frame.columns]
    dup = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dup:
        raise CapplanError(f"{label}: column name(s) {name_list(dup)} appear more than once: "
                           "rename them")
    if isinstance(data.index, pd.PeriodIndex):  # monthly or daily periods: their start times
        frame.index = data.index.to_timestamp()
        data = frame
    index_name = None if data.index.name is None else str(data.index.name)
    timed_index = isinstance(data.index, pd.DatetimeIndex) or (
        index_name is not None and (index_name == time_column or
                                    index_name.lower() in TIME_NAMES))
    if timed_index and (time_column is None or time_column == index_name or
                        time_column not in frame.columns):
        name = index_name or "timestamp"
        if name in frame.columns:
            raise CapplanError(f"{label}: the index and a column are both named {name!r}: "
                               "rename one, or reset the index")
        frame.index = frame.index.rename(name)
        frame = frame.reset_index()
    else:
        frame = frame.reset_index(drop=True)
    return frame


def frame_sha256(data) -> str:
    """sha256 over pandas' row hashes (`pandas.util.hash_pandas_object`, index included, its
    fixed default key): the same frame gives the same digest in any run."""
    import pandas as pd

    hashes = pd.util.hash_pandas_object(data, index=True).to_numpy()
    return hashlib.sha256(hashes.astype("<u8").tobytes()).hexdigest()
