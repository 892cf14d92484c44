"""Excel workbooks (.xlsx): find the first table with a date column and a numeric column."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from capplan.errors import CapplanError

if TYPE_CHECKING:  # pandas is imported lazily so the CLI starts fast
    import pandas as pd


def _read_excel_table(path: Path, data: bytes, sheet: str | None) -> tuple[pd.DataFrame, str]:
    """Find the first table with a date column in a workbook (header need not be on row 1)."""
    import zipfile

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
