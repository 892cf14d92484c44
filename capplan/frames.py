"""DataFrames from named numpy columns, with the names as an object index.

pandas 3 makes a column index of names a pyarrow-backed string array, and the first one in a
process imports pyarrow's pandas layer (about 10 ms): most of what `capplan analyze` spends
beyond its own work on a small input. Frames built here hold the same columns and names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def named_frame(columns: dict, index=None) -> pd.DataFrame:
    """A DataFrame of `columns` (name -> array or Series, no copy), names as an object index."""
    import pandas as pd

    names = list(columns)
    frame = pd.DataFrame(dict(enumerate(columns.values())), index=index, copy=False)
    frame.columns = pd.Index(names, dtype=object)
    return frame
