"""A delimited file's dialect from its first lines: the delimiter (or Excel's `sep=` line, which
Grafana's "Download for Excel" writes), the lines before the header, and whether the first row
is a header. Plain ISO 8601 times are recognised without pandas, so that reading a usual export
does not import pandas before its parse has started (`delimited.start_early_read`)."""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from capplan.errors import CapplanError
from capplan.ingest.columns import header_names

DELIMITERS = (",", "\t", ";", "|")
FMT = {",": "csv", "\t": "tsv", ";": "csv (;)", "|": "csv (|)"}
MAX_FIELDS = 10_000  # columns in a header: past this it is not a traffic export
_SEP_LINE = re.compile(r'^\s*"?sep=(.|\\t)"?\s*[,;\t|]*\s*$', re.I)


@dataclass(frozen=True, slots=True)
class Dialect:
    delimiter: str
    skip_lines: int  # physical lines before the header (or the first row when there is none)
    header: bool
    names: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def fmt(self) -> str:
        return FMT[self.delimiter]

    @property
    def first_line(self) -> int:
        """The file line of the first data row."""
        return self.skip_lines + 1 + (1 if self.header else 0)


def sniff_dialect(path: Path, text: str) -> Dialect:
    """Delimiter, preamble and header from the decoded first lines (LF line ends)."""
    lines = text.split("\n", 2000)[:2000]
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines):
        raise CapplanError(f"{path}: the file is empty: export the series with a header row "
                           "and at least two rows of data")
    delimiter, notes = None, []
    m = _SEP_LINE.match(lines[i])
    if m:
        # Excel's "sep=" line (Grafana's "Download for Excel" writes it after a BOM).
        delimiter = "\t" if m.group(1) in ("\t", "\\t") else m.group(1)
        if delimiter not in DELIMITERS:
            raise CapplanError(f"{path}: line {i + 1} names the delimiter {delimiter!r}: capplan "
                               "reads comma, tab, semicolon or pipe; export again with one of them")
        notes.append(f"line {i + 1} ('sep={m.group(1)}', Excel's delimiter line) names the "
                     f"delimiter {delimiter!r}; it is not data")
        i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i == len(lines):
            raise CapplanError(f"{path}: has a 'sep=' line but no header or rows after it: "
                               "export a time range with data")
    body = [ln for ln in lines[i:i + 50] if ln.strip()]
    delimiter = delimiter or _sniff_delimiter(body)
    try:
        fields = next(csv.reader([lines[i]], delimiter=delimiter))
    except csv.Error as exc:
        raise CapplanError(f"{path}: line {i + 1} cannot be split into fields ({exc}): check "
                           "its quotes") from exc
    if len(fields) > MAX_FIELDS:
        raise CapplanError(f"{path}: line {i + 1} has {len(fields):,} fields, more than "
                           f"{MAX_FIELDS:,}: export only the time and value columns")
    header = _looks_like_header(fields)
    names = header_names(path, fields, header)
    return Dialect(delimiter, i, header, tuple(names), tuple(notes))


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the first lines into the same number (> 1) of fields most often,
    quotes respected; ties go to the one whose fields read more often as numbers or ISO times
    (`2020-01-01T00:00:00;10,5` splits in two on the comma as well, into text), then to the more
    fields, then to the comma. (csv.Sniffer is not used: its regular expressions take minutes on
    a line of many quotes.)"""
    best, best_score = ",", (0.0, 0.0, 0)
    sample = [ln[:20_000] for ln in lines[:50]]
    for d in DELIMITERS:
        try:
            rows = list(csv.reader(sample, delimiter=d))
        except csv.Error:
            continue
        if not rows:
            continue
        width, seen = Counter(len(row) for row in rows).most_common(1)[0]
        if width < 2:
            continue
        cells = [c.strip() for row in rows[:20] for c in row]
        readable = sum(_is_datum(c, d) for c in cells) / len(cells) if cells else 0.0
        score = (seen / len(rows), readable, width)
        if score > best_score:
            best, best_score = d, score
    return best


def _is_datum(cell: str, delimiter: str) -> bool:
    """A number (with a decimal comma when the comma is not the delimiter) or an ISO time."""
    try:
        float(cell.replace(",", ".") if delimiter != "," else cell)
        return True
    except ValueError:
        return _iso_time(cell)


def _looks_like_header(fields: list[str]) -> bool:
    """True when a first row reads as names rather than data (no cell parses as a number or a
    time). Plain ISO 8601 times are recognised without pandas, so that reading a usual export
    does not import pandas before its parse has started (see `start_early_read`)."""
    for cell in fields:
        cell = cell.strip().strip('"')
        if not cell:
            continue
        try:
            float(cell)
            return False
        except ValueError:
            pass
        if cell[:1].isdigit() and (_iso_time(cell) or _pandas_time(cell)):
            return False
    return True


_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,9})?)?)?"
                       r"(Z|[+-]\d\d:?\d\d)?")


def _iso_time(cell: str) -> bool:
    """A valid ISO 8601 date or time of the usual shapes (which pandas parses too)."""
    from datetime import datetime

    if not _ISO_TIME.fullmatch(cell):
        return False
    try:  # since Python 3.11 it reads 'Z', offsets without a colon and 9 decimals
        datetime.fromisoformat(cell)
        return True
    except ValueError:
        return False


def _pandas_time(cell: str) -> bool:
    import warnings

    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return not pd.isna(pd.to_datetime(cell, errors="coerce"))
        except (ValueError, TypeError, OverflowError):
            return False
