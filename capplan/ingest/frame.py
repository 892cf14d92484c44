"""A pandas DataFrame or Series in, a `Traffic` out: the notebook's way in.

A frame is a table already read, so it joins `read_traffic` where a file's table does: the time
column is chosen (`columns`), the layout and series decided (`series`: one column, a wide frame's
`series=`, a long frame's series column, `aggregate=`), and the reader's own table-to-Traffic step
(`reader._build`) drops bad rows with their reasons, sorts, keeps one value per time, infers the
interval and decides counts versus rates, exactly as for a file. What differs is provenance: the
input is named "DataFrame" (or "Series"), its sha256 is taken over pandas' row hashes of the frame
(index included), and a dropped row is named by its position in the frame, from 0.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from capplan.errors import CapplanError, name_list

if TYPE_CHECKING:
    import pandas as pd

    from capplan.ingest.model import Traffic

FORMAT = "DataFrame"


@dataclass(frozen=True, slots=True)
class _FrameSource:
    """What the reader's build step needs of a source: its digest."""

    sha256: str


def traffic_from_frame(data: pd.DataFrame | pd.Series, time_column: str | None = None,
                       value_column: str | None = None, unit: str | None = None, *,
                       series: str | None = None, aggregate: str | None = None,
                       timezone: str = "UTC", per_interval: bool = False, counter: bool = False,
                       rate: bool = False, min_rows: int = 2) -> Traffic:
    """Read a DataFrame (a timestamp index or column; one value column, `value_column=`, a wide
    frame's `series=`, or `aggregate=` over several) or a Series with a timestamp index into a
    `Traffic`. The other options mean what they mean for a file (`read_traffic`)."""
    import pandas as pd

    from capplan.ingest import reader
    from capplan.ingest import series as ser
    from capplan.ingest.columns import choose_time_column

    requested, unit_ = reader.check_reading_options(per_interval, counter, rate, unit, aggregate,
                                                    timezone)
    label = "Series" if isinstance(data, pd.Series) else FORMAT
    frame = _as_table(data, label, time_column)
    if len(frame) == 0:
        raise CapplanError(f"{label}: has no rows: give a frame with at least two timestamps")
    try:
        # Rows numbered by position, from 0; no text encoding, as nothing was decoded.
        table = reader._whole_table(frame, FORMAT, 0, encoding=None, notes=(
            f"rows are numbered by their position in the {label}, from 0",))
        tcol = choose_time_column(label, table.sample, time_column)
        lay = ser.layout(label, table.sample, tcol, value_column, series, aggregate)
        cols = list(dict.fromkeys([tcol, *lay.value_columns, *filter(None, [lay.series_column])]))
        return reader._build(label, _FrameSource(frame_sha256(data)), table, table.load(cols),
                             tcol, lay, series=series, aggregate=aggregate, timezone=timezone,
                             requested=requested, unit=unit_, min_rows=min_rows)
    except (TypeError, ValueError, OverflowError) as exc:
        # A frame holds any Python object (a bool, a date in year 1, a list); a file's text
        # never does. What the shared steps cannot read is one line, as for a file.
        raise CapplanError(f"{label}: cannot be read as a traffic series ({type(exc).__name__}: "
                           f"{str(exc)[:80]}): give a timestamp column or index and a numeric "
                           "value column") from None


def _as_table(data, label: str, time_column: str | None) -> pd.DataFrame:
    """The frame as a table of string-named columns, its timestamp index (if any) a column."""
    import pandas as pd

    from capplan.ingest.columns import TIME_NAMES

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
    names = list(frame.columns)
    dup = sorted({c for c in names if names.count(c) > 1})
    if dup:
        raise CapplanError(f"{label}: column name(s) {name_list(dup)} appear more than once: "
                           "rename them")
    if isinstance(frame.index, pd.PeriodIndex):  # monthly or daily periods: their start times
        frame.index = frame.index.to_timestamp()
    index_name = None if frame.index.name is None else str(frame.index.name)
    timed_index = isinstance(frame.index, pd.DatetimeIndex) or (
        index_name is not None and (index_name == time_column or
                                    index_name.lower() in TIME_NAMES))
    if timed_index and (time_column is None or time_column == index_name or
                        time_column not in frame.columns):
        name = index_name or "timestamp"
        if name in frame.columns:
            raise CapplanError(f"{label}: the index and a column are both named {name!r}: "
                               "rename one, or reset the index")
        frame.index = frame.index.rename(name)
        return frame.reset_index()
    return frame.reset_index(drop=True)


def frame_sha256(data) -> str:
    """sha256 over pandas' row hashes (`pandas.util.hash_pandas_object`, index included, its
    fixed default key): the same frame gives the same digest in any run."""
    import pandas as pd

    hashes = pd.util.hash_pandas_object(data, index=True).to_numpy()
    return hashlib.sha256(hashes.astype("<u8").tobytes()).hexdigest()
