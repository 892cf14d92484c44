"""Excel workbooks (.xlsx): find the first table with a date column and a numeric column."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from capplan.errors import CapplanError, name_list

if TYPE_CHECKING:  # pandas is imported lazily so the CLI starts fast
    import pandas as pd


MiB = 1024 * 1024
MAX_MEMBER_BYTES = 512 * MiB  # one part of the workbook, inflated (a sheet's XML)
MAX_TOTAL_BYTES = 1024 * MiB
MAX_RATIO = 100  # inflated : compressed, for parts over RATIO_CHECK_AFTER
RATIO_CHECK_AFTER = 16 * MiB
MAX_SHEET_ROWS = 1_048_576  # Excel's own limit
MAX_CELLS = 20_000_000
# What a damaged workbook raises from zipfile, zlib, the XML parser or openpyxl's readers.
_DAMAGED = (KeyError, OSError, EOFError, ValueError, TypeError, IndexError, AttributeError,
            SyntaxError, UnicodeDecodeError, ArithmeticError)


def _read_excel_table(path: Path, data: bytes, sheet: str | None) -> tuple[pd.DataFrame, str]:
    """Find the first table with a date column in a workbook (header need not be on row 1).

    Bounded: the zip's declared sizes are checked before anything is inflated, the sheet is read
    streaming (`read_only=True`) without padding rows to a declared dimension, and reading stops
    at Excel's row limit or `MAX_CELLS` cells."""
    import zipfile
    import zlib

    try:
        _check_zip(path, data)
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except CapplanError:
        raise
    except (zipfile.BadZipFile, zlib.error, *_DAMAGED) as exc:
        raise _damaged(path, exc) from exc
    try:
        if sheet is not None:
            if sheet not in wb.sheetnames:
                raise CapplanError(f"{path}: has no sheet {sheet!r}; its sheets are "
                                   f"{name_list(wb.sheetnames)}: pass one with --sheet")
            names = [sheet]
        else:
            names = list(wb.sheetnames)
        for name in names:
            try:
                rows = _sheet_rows(path, wb[name])
            except CapplanError:
                raise
            except (zipfile.BadZipFile, zlib.error, *_DAMAGED) as exc:
                raise _damaged(path, exc, name) from exc
            frame = _table_from_cells(rows)
            if frame is not None:
                return frame, name
    finally:
        wb.close()
    where = f"sheet {sheet!r}" if sheet else f"any of its sheets ({name_list(wb.sheetnames)})"
    raise CapplanError(f"{path}: no table with a date column and a numeric column in {where}: "
                       "pick the sheet with --sheet, or export the series as CSV")


def _damaged(path: Path, exc: Exception, sheet: str | None = None) -> CapplanError:
    where = f" (sheet {sheet!r})" if sheet else ""
    detail = " ".join(str(exc).split())[:80]
    return CapplanError(f"{path}: is not a readable Excel workbook{where} ({type(exc).__name__}"
                        f"{': ' + detail if detail else ''}): open it in Excel and save it again "
                        "as .xlsx, or export CSV")


def _check_zip(path: Path, data: bytes) -> None:
    """Refuse a zip bomb from its directory, before inflating a byte."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER_BYTES or (info.file_size > RATIO_CHECK_AFTER and
                                                 ratio > MAX_RATIO):
            raise CapplanError(
                f"{path}: part {info.filename[:60]!r} of the workbook declares "
                f"{info.file_size / MiB:,.0f} MiB inflated from {info.compress_size / MiB:,.1f} MiB"
                f" (ratio {ratio:,.0f}:1), past capplan's limits ({MAX_MEMBER_BYTES // MiB} MiB, "
                f"{MAX_RATIO}:1): this is a compression bomb or far too big; export the series "
                "as CSV")
    if total > MAX_TOTAL_BYTES:
        raise CapplanError(f"{path}: the workbook declares {total / MiB:,.0f} MiB inflated, past "
                           f"capplan's limit of {MAX_TOTAL_BYTES // MiB} MiB: export the series as "
                           "CSV")


def _sheet_rows(path: Path, ws) -> list[tuple]:
    """The sheet's rows as value tuples, trailing blanks trimmed, within the caps. A declared
    dimension such as A1:XFD1048576 is ignored: rows are as wide as their last cell."""
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    rows, cells = [], 0
    for row in ws.iter_rows(values_only=True):
        if len(rows) >= MAX_SHEET_ROWS:
            raise CapplanError(f"{path}: sheet {ws.title!r} has more than {MAX_SHEET_ROWS:,} "
                               "rows, Excel's limit: export the series as CSV")
        last = len(row) - 1
        while last >= 0 and row[last] is None:
            last -= 1
        cells += len(row)
        if cells > MAX_CELLS:
            raise CapplanError(f"{path}: sheet {ws.title!r} holds more than {MAX_CELLS:,} cells, "
                               "capplan's limit for a workbook: export the series as CSV")
        rows.append(row[:last + 1] if last + 1 < len(row) else row)
    return rows


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
