"""Excel workbooks (.xlsx): find the first table with a date column and a numeric column."""

from __future__ import annotations

import io
import re
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
        rows: dict[int, tuple[int, tuple]] = {}
        for name in names:
            try:
                rows = _sheet_rows(path, wb, wb[name])
            except CapplanError:
                raise
            except (zipfile.BadZipFile, zlib.error, *_DAMAGED) as exc:
                raise _damaged(path, exc, name) from exc
            frame = _table_from_cells(rows)
            if frame is not None:
                return frame, name
    finally:
        wb.close()
    if len(names) == 1:
        # One sheet to look in: say what it lacks, not which sheet to pick.
        raise CapplanError(f"{path}: sheet {names[0]!r} has no table with a date column and a "
                           f"numeric column ({_missing(rows)}): put the times in one column "
                           "beside the numbers, or export the series as CSV")
    raise CapplanError(f"{path}: no table with a date column and a numeric column in any of its "
                       f"sheets ({name_list(wb.sheetnames)}): pick the sheet with --sheet, or "
                       "export the series as CSV")


def _missing(rows: dict[int, tuple[int, tuple]]) -> str:
    """What a sheet lacks for a table, in words."""
    cells = [v for _, values in rows.values() for v in values if v is not None]
    if not cells:
        return "it is empty"
    dates, numbers = any(map(_is_date, cells)), any(map(_is_num, cells))
    if not dates and not numbers:
        return "no cell holds a date or a number"
    if not dates:
        return "no cell holds a date, as a date cell or as text such as 2024-01-31 13:00"
    if not numbers:
        return "no cell holds a number"
    return "no row holds both a date and a number"


# Text that reads as a date: year first (2024-01-31, 2024/01/31 13:00, ISO 8601 with a T),
# year last (31/01/2024, 01.31.24) or a month's name (31 Jan 2024, Jan 31, 2024).
_DATE_TEXT = re.compile(r"^\s*(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|"
                        r"\d{1,2}[ -][A-Za-z]{3,9}[ -]\d{2,4}|[A-Za-z]{3,9} \d{1,2},? \d{4})"
                        r"(?:$|[ T])")


def _is_date(v) -> bool:
    """A date cell, or text that reads as one: a workbook's text dates are read as a CSV's."""
    import datetime as dt

    if isinstance(v, (dt.datetime, dt.date)):
        return True
    # The layout alone, no parse per cell: a sheet of a million text cells stays fast, and a
    # cell of that layout that is no real date (2024-13-45) is dropped later with its reason.
    return isinstance(v, str) and len(v) <= 40 and _DATE_TEXT.match(v) is not None


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


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


def _sheet_rows(path: Path, wb, ws) -> dict[int, tuple[int, tuple]]:
    """The sheet's non-empty rows: {row number: (first column, values from there to the row's
    last cell)}, within the caps. Read from the sheet's XML as it is, not through the worksheet's
    row iterator, which yields every row up to a declared dimension such as A1:XFD1048576: empty
    rows cost nothing here."""
    from openpyxl.worksheet._reader import WorkSheetParser

    rows: dict[int, tuple[int, tuple]] = {}
    cells = 0
    with ws._get_source() as src:
        parser = WorkSheetParser(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                                 date_formats=wb._date_formats,
                                 timedelta_formats=wb._timedelta_formats)
        for idx, row in parser.parse():
            if idx > MAX_SHEET_ROWS or len(rows) >= MAX_SHEET_ROWS:
                raise CapplanError(f"{path}: sheet {ws.title!r} has a row past {MAX_SHEET_ROWS:,}"
                                   ", Excel's limit: export the series as CSV")
            filled = {c["column"]: c["value"] for c in row if c["value"] is not None}
            if not filled:
                continue
            lo, hi = min(filled), max(filled)
            cells += hi - lo + 1
            if cells > MAX_CELLS:
                raise CapplanError(f"{path}: sheet {ws.title!r} holds more than {MAX_CELLS:,} "
                                   "cells, capplan's limit for a workbook: export the series as "
                                   "CSV")
            rows[idx] = (lo, tuple(filled.get(c) for c in range(lo, hi + 1)))
    return rows


def _cell(rows: dict, r: int, c: int):
    row = rows.get(r)
    if row is None:
        return None
    lo, values = row
    return values[c - lo] if lo <= c < lo + len(values) else None


def _table_from_cells(rows: dict[int, tuple[int, tuple]]) -> pd.DataFrame | None:
    """Locate a header row and the block of columns under it that holds dates and numbers.

    Real workbooks put a title or totals above the header and several tables side by side,
    separated by empty columns (the TfL cycle-hire workbook does both). `rows` is sparse, as
    `_sheet_rows` gives it; rows and columns are numbered from 1, as in the sheet.
    """
    import pandas as pd

    is_date, is_num = _is_date, _is_num
    numbers = sorted(rows)
    for k, r in enumerate(numbers):
        lo0, values = rows[r]
        if not any(is_num(v) for v in values):
            continue
        date_cols = [lo0 + i for i, v in enumerate(values) if is_date(v)]
        if not date_cols:
            continue
        c0 = date_cols[0]
        # The header is the nearest row above with text in the first date column.
        header_row = next((h for h in reversed(numbers[:k]) if isinstance(_cell(rows, h, c0), str)),
                          None)
        # The block: contiguous non-empty cells around the date column in the first data row.
        lo = c0
        while _cell(rows, r, lo - 1) is not None:
            lo -= 1
        hi = c0
        while _cell(rows, r, hi + 1) is not None:
            hi += 1
        heads = [_cell(rows, header_row, c) if header_row is not None else None
                 for c in range(lo, hi + 1)]
        names = [str(h).strip() if h is not None else f"column{c}"
                 for c, h in zip(range(lo, hi + 1), heads)]
        body = []
        r2 = r
        while True:
            cells = [_cell(rows, r2, c) for c in range(lo, hi + 1)]
            if all(v is None for v in cells):
                break
            body.append(cells)
            r2 += 1
        frame = pd.DataFrame(body, columns=_unique(names), dtype=object)
        frame.attrs["first_line"] = r  # sheet row number of the first data row
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
