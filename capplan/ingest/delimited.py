"""Delimited text (CSV, TSV, semicolon, pipe): dialect, header, a typed sample, then a stream.

Two passes, so a 5-million-row file never sits in memory as text: the first megabyte gives the
dialect (a Grafana "Download for Excel" `sep=` line names the delimiter), the header and a typed
sample of the first rows, from which the caller picks the columns; then pyarrow streams the file
(inflating gzip as it goes) and converts only those columns, batch by batch, up to `MAX_ROWS`;
a plain UTF-8 file under `WHOLE_READ_BYTES` is read in one multithreaded pass instead. Rows with the wrong number of fields are dropped and counted, never guessed at.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from capplan.errors import CapplanError
from capplan.frames import named_frame
from capplan.ingest.columns import header_names
from capplan.ingest.model import FIRST_ROWS_SHOWN, DroppedRows
from capplan.ingest.sniff import HEAD_BYTES, Source, decode, open_stream

if TYPE_CHECKING:  # pandas is imported lazily so the CLI starts fast
    import numpy as np
    import pandas as pd

DELIMITERS = (",", "\t", ";", "|")
FMT = {",": "csv", "\t": "tsv", ";": "csv (;)", "|": "csv (|)"}
SAMPLE_ROWS = 2000
MAX_ROWS = 10_000_000
WHOLE_READ_BYTES = 64 << 20  # a plain file up to this size is read at once, multithreaded
MAX_FIELDS = 10_000  # columns in a header: past this it is not a traffic export
BLOCK_BYTES = 4 << 20  # what pyarrow parses at a time
WHOLE_BLOCK_BYTES = 1 << 20  # at once: smaller blocks keep both cores busy to the end
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


@dataclass(frozen=True, slots=True)
class Columns:
    """The chosen columns of every row, the file line of each row, and the rows left out."""

    frame: pd.DataFrame
    lines: np.ndarray
    rows_read: int
    dropped: tuple[DroppedRows, ...]
    notes: tuple[str, ...]
    encoding: str | None = None  # when the stream found another than the head's


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
    quotes respected; ties go to the more fields, then to the comma. (csv.Sniffer is not used:
    its regular expressions take minutes on a line of many quotes.)"""
    best, best_score = ",", (0.0, 0)
    sample = [ln[:20_000] for ln in lines[:50]]
    for d in DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(sample, delimiter=d)]
        except csv.Error:
            continue
        if not widths:
            continue
        width, seen = Counter(widths).most_common(1)[0]
        score = (seen / len(widths), width)
        if width > 1 and score > best_score:
            best, best_score = d, score
    return best


def _looks_like_header(fields: list[str]) -> bool:
    """True when a first row reads as names rather than data (no cell parses as a number)."""
    import warnings

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
        if cell[:1].isdigit():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    if not pd.isna(pd.to_datetime(cell, errors="coerce")):
                        return False
                except (ValueError, TypeError, OverflowError):
                    pass
    return True


def _options(dialect: Dialect, handler, threads: bool, columns=None, types=None):
    import pyarrow.csv as pacsv

    read = pacsv.ReadOptions(column_names=list(dialect.names), block_size=BLOCK_BYTES,
                             skip_rows=dialect.skip_lines + (1 if dialect.header else 0),
                             use_threads=threads)
    parse = pacsv.ParseOptions(delimiter=dialect.delimiter, invalid_row_handler=handler,
                               newlines_in_values=False)
    convert = pacsv.ConvertOptions(include_columns=columns, column_types=types,
                                   strings_can_be_null=True, quoted_strings_can_be_null=True)
    return read, parse, convert


def read_sample(path: Path, text: str, complete: bool, dialect: Dialect) -> pd.DataFrame:
    """The first `SAMPLE_ROWS` rows, typed as pyarrow infers them: to choose the columns by."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    keep = dialect.skip_lines + (1 if dialect.header else 0) + SAMPLE_ROWS
    lines = text.split("\n", keep)
    if len(lines) <= keep and not complete:
        lines = lines[:-1]  # the head may end inside a line
    data = "\n".join(lines[:keep]).encode("utf-8")
    read, parse, convert = _options(dialect, lambda row: "skip", threads=False)
    try:
        table = pacsv.read_csv(io.BytesIO(data), read_options=read, parse_options=parse,
                               convert_options=convert)
    except (pa.ArrowException, ValueError) as exc:
        raise CapplanError(f"{path}: cannot be parsed as {dialect.fmt} ({_short(exc)}): check "
                           "that it is a delimited text export with one header row") from exc
    return _to_pandas(table)


def read_columns(path: Path, src: Source, encoding: str, dialect: Dialect, columns: list[str],
                 sample: pd.DataFrame) -> Columns:
    """Stream the whole file, keeping `columns`. Typed as in the sample first (fast); when a later
    row does not fit the sample's types, again with the columns as text (parsed by the caller)."""
    import pyarrow as pa

    types = {c: _stream_type(sample[c]) for c in columns}
    notes = []
    for attempt in range(3):
        try:
            frame, lines, rows_read, bad = _stream(path, src, encoding, dialect, columns, types)
            break
        except (pa.ArrowException, UnicodeDecodeError) as exc:
            text = str(exc)
            if encoding != "cp1252" and ("UTF8" in text or "UTF-8" in text or
                                         isinstance(exc, UnicodeDecodeError)):
                # Valid UTF-8 at the top, not further down: Windows-1252 is what Excel writes.
                encoding = "cp1252"
                notes.append("text decoded as Windows-1252 (cp1252): part of the file is not "
                             "valid UTF-8; check any accented names")
                continue
            if attempt < 2 and any(t != pa.string() for t in types.values()):
                types = {c: pa.string() for c in columns}
                continue
            raise CapplanError(f"{path}: cannot be parsed as {dialect.fmt} ({_short(exc)}): "
                               "check that every row has the header's fields") from exc
    dropped = ()
    if bad:
        dropped = (DroppedRows(f"row with a number of fields other than the header's "
                               f"{len(dialect.names)}", len(bad), tuple(bad[:FIRST_ROWS_SHOWN])),)
    return Columns(frame, lines, rows_read, dropped, tuple(notes),
                   "cp1252" if notes else None)


def _too_many_rows(path: Path) -> CapplanError:
    return CapplanError(f"{path}: has more than {MAX_ROWS:,} rows, capplan's limit: aggregate "
                        "to a coarser interval (a year of 5-second samples is 6.3 million rows)")


def _read_at_once(src: Source, dialect: Dialect, columns: list[str], types):
    """A plain UTF-8 file under `WHOLE_READ_BYTES` in one multithreaded `read_csv` (about twice
    the streaming reader's speed on two cores): (table, rows, bad row numbers), or None when a bad
    row came without its number (known only single-threaded) so the caller streams instead. The
    size cap bounds the memory: at most ~16 M rows of the chosen columns before MAX_ROWS refuses."""
    import pyarrow.csv as pacsv

    bad: list[int | None] = []

    def handler(row):
        bad.append(row.number)
        return "skip"

    import pyarrow as pa

    read, parse, convert = _options(dialect, handler, True, columns, types)
    read.block_size = WHOLE_BLOCK_BYTES
    try:  # pyarrow's own file reader: no Python call per block
        fh = pa.OSFile(str(src.path))
    except OSError as exc:
        raise CapplanError(f"{src.path}: cannot be read ({exc}): check its permissions") from exc
    with fh:
        table = pacsv.read_csv(fh, read_options=read, parse_options=parse,
                               convert_options=convert)
    if any(b is None for b in bad):
        return None
    return table, table.num_rows, bad


def _stream(path: Path, src: Source, encoding: str, dialect: Dialect, columns: list[str], types):
    import numpy as np

    at_once = None
    if not src.gzip and encoding in ("utf-8", "utf-8-sig") and src.size <= WHOLE_READ_BYTES:
        at_once = _read_at_once(src, dialect, columns, types)
    if at_once is None:
        table, rows, bad = _read_streaming(path, src, encoding, dialect, columns, types)
    else:
        table, rows, bad = at_once
        if rows + len(bad) > MAX_ROWS:
            raise _too_many_rows(path)
    known = sorted(b for b in bad if b is not None)
    first = dialect.first_line
    if known:
        every = np.arange(first, first + rows + len(known), dtype=np.int32)
        lines = np.setdiff1d(every, np.asarray(known, dtype=np.int32), assume_unique=True)
    else:
        lines = np.arange(first, first + rows, dtype=np.int32)  # rows are capped at 10 M
    return _to_pandas(table), lines, rows + len(bad), known


def _read_streaming(path: Path, src: Source, encoding: str, dialect: Dialect, columns: list[str],
                    types):
    """Batch by batch (gzip inflated and other encodings transcoded as they are read), refused
    as soon as the rows pass MAX_ROWS: (table, rows, bad row numbers)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    for threads in (True, False):
        bad: list[int | None] = []

        def handler(row, bad=bad):
            bad.append(row.number)
            return "skip"

        read, parse, convert = _options(dialect, handler, threads, columns, types)
        batches, rows = [], 0
        with _text_stream(src, encoding) as fh:
            reader = pacsv.open_csv(fh, read_options=read, parse_options=parse,
                                    convert_options=convert)
            for batch in reader:
                rows += batch.num_rows
                if rows + len(bad) > MAX_ROWS:
                    raise _too_many_rows(path)
                batches.append(batch)
        if not bad or all(b is not None for b in bad) or not threads:
            break  # row numbers of the bad rows are known only from a single-threaded read
    return pa.Table.from_batches(batches, schema=reader.schema), rows, bad


def _stream_type(col: pd.Series):
    """The pyarrow type to read a column as, from its sample: numbers as float64 (an int64
    column may meet 1e400 further down), datetimes as they were inferred, the rest as text."""
    import pandas as pd
    import pyarrow as pa

    if pd.api.types.is_bool_dtype(col):
        return pa.string()
    if pd.api.types.is_numeric_dtype(col):
        return pa.float64()
    if pd.api.types.is_datetime64_any_dtype(col) or isinstance(col.dtype, pd.DatetimeTZDtype):
        unit = getattr(col.dtype, "unit", "s")
        tz = getattr(col.dtype, "tz", None)
        return pa.timestamp(unit if unit in ("s", "ms", "us", "ns") else "s",
                            tz=str(tz) if tz is not None else None)
    return pa.string()


def _to_pandas(table) -> pd.DataFrame:
    import pandas as pd
    import pyarrow as pa

    plain, rest = {}, {}
    for name, col in zip(table.column_names, table.columns):
        series = _plain_column(col, pa, pd)
        if series is not None:
            plain[name] = series
            continue
        if pa.types.is_date(col.type):
            col = col.cast(pa.timestamp("s"))
        elif pa.types.is_null(col.type):
            col = col.cast(pa.string())
        elif pa.types.is_time(col.type):
            col = col.cast(pa.string())
        rest[name] = col
    if rest:
        converted = pa.table(rest).to_pandas(date_as_object=False,
                                             coerce_temporal_nanoseconds=False)
        plain.update({name: converted[name] for name in rest})
    return named_frame({name: plain[name] for name in table.column_names})


def _plain_column(col, pa, pd):
    """A column without nulls of float64, int64 or a UTC (or naive) timestamp as a pandas Series
    straight from its numpy values, or None for pyarrow's general conversion. The general one
    imports pyarrow's pandas layer (about 10 ms) and copies twice; the plain columns are what
    nearly every traffic export holds."""
    t = col.type
    if col.null_count:
        return None
    if pa.types.is_float64(t) or pa.types.is_int64(t):
        return pd.Series(col.to_numpy(), copy=False)
    if pa.types.is_timestamp(t) and t.tz in (None, "UTC", "+00:00"):
        ints = col.cast(pa.int64()).to_numpy()
        if t.tz is None:
            return pd.Series(ints.view(f"M8[{t.unit}]"), copy=False)
        # Integers cast to a zoned dtype are read as UTC instants, the ones pyarrow parsed, and
        # without the copy that localizing a naive array makes.
        return pd.Series(ints, copy=False).astype(f"datetime64[{t.unit}, UTC]")
    return None


class _Transcoding(io.RawIOBase):
    """A byte stream in `encoding` read as UTF-8 (pyarrow reads UTF-8); undefined bytes become
    U+FFFD rather than an error: numbers and times are ASCII in every encoding read here."""

    def __init__(self, raw, encoding: str) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            chunk = self._raw.read(1 << 20)
            self._pending = self._decoder.decode(chunk, final=not chunk).encode("utf-8")
            if not chunk:
                break
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def _text_stream(src: Source, encoding: str):
    raw = open_stream(src)
    if encoding in ("utf-8", "utf-8-sig"):
        return raw  # pyarrow skips a UTF-8 BOM itself
    return io.BufferedReader(_Transcoding(raw, encoding), buffer_size=1 << 20)


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:120]


# The whole-text reader that usl.read_load_test uses (small files): the same dialect and types.


def _read_text_table(path: Path, text: str, raw: bytes | None = None) -> tuple[pd.DataFrame, str]:
    """Delimited text (already decoded, LF line ends) into a typed DataFrame; (frame, format)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    dialect = sniff_dialect(path, text)
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read, parse, convert = _options(dialect, lambda row: "skip", threads=False)
    try:
        table = pacsv.read_csv(io.BytesIO(text.encode("utf-8")), read_options=read,
                               parse_options=parse, convert_options=convert)
    except (pa.ArrowException, ValueError) as exc:
        raise CapplanError(f"{path}: cannot be parsed as {dialect.fmt} ({_short(exc)}): check "
                           "that it is a delimited text export with one header row") from exc
    return _to_pandas(table), dialect.fmt


__all__ = ["Dialect", "Columns", "sniff_dialect", "read_sample", "read_columns", "decode",
           "HEAD_BYTES", "_read_text_table"]
