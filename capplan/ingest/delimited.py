"""Delimited text (CSV, TSV, semicolon, pipe): the delimiter, whether row 1 is a header, the table."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from capplan.errors import CapplanError

if TYPE_CHECKING:  # pandas is imported lazily so the CLI starts fast
    import pandas as pd


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
