"""Delimited text (CSV, TSV, semicolon, pipe): dialect, header, a typed sample, then a stream.

Two passes, so a 5-million-row file never sits in memory as text: the first megabyte gives the
dialect (a Grafana "Download for Excel" `sep=` line names the delimiter), the header and a typed
sample of the first rows, from which the caller picks the columns; then pyarrow streams the file
(inflating gzip as it goes) and converts only those columns, batch by batch, up to `MAX_ROWS`;
a plain UTF-8 file under `WHOLE_READ_BYTES` is read in one multithreaded pass instead. When
such a file has at most `EARLY_MAX_COLUMNS` columns, that pass starts as soon as the sample is
typed, on a thread, for every column (`start_early_read`), so that it runs while pandas is
imported and the columns are chosen. Rows with the wrong number of fields are dropped and
counted, never guessed at.
"""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from capplan.errors import CapplanError
from capplan.frames import named_frame
from capplan.ingest.dialect import Dialect, sniff_dialect
from capplan.ingest.model import FIRST_ROWS_SHOWN, DroppedRows
from capplan.ingest.sniff import HEAD_BYTES, Source, decode, open_stream
from capplan.threads import Background

if TYPE_CHECKING:  # pandas is imported lazily so the CLI starts fast
    import numpy as np
    import pandas as pd

SAMPLE_ROWS = 2000
MAX_ROWS = 10_000_000
WHOLE_READ_BYTES = 64 << 20  # a plain file up to this size is read at once, multithreaded
BLOCK_BYTES = 4 << 20  # what pyarrow parses at a time
WHOLE_BLOCK_BYTES = 1 << 20  # at once: smaller blocks keep both cores busy to the end
EARLY_MAX_COLUMNS = 4  # time, value, a series name and one more: a usual export


@dataclass(frozen=True, slots=True)
class Columns:
    """The chosen columns of every row, the file line of each row, and the rows left out."""

    frame: pd.DataFrame
    lines: np.ndarray
    rows_read: int
    dropped: tuple[DroppedRows, ...]
    notes: tuple[str, ...]
    encoding: str | None = None  # when the stream found another than the head's


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


def read_sample(path: Path, text: str, complete: bool, dialect: Dialect):
    """The first `SAMPLE_ROWS` rows as a pyarrow table, typed as pyarrow infers them: the
    caller chooses the columns by it (`sample_frame`) and streams them with `stream_types`."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    keep = dialect.skip_lines + (1 if dialect.header else 0) + SAMPLE_ROWS
    lines = text.split("\n", keep)
    if len(lines) <= keep and not complete:
        lines = lines[:-1]  # the head may end inside a line
    data = "\n".join(lines[:keep]).encode("utf-8")
    read, parse, convert = _options(dialect, lambda row: "skip", threads=False)
    try:
        return pacsv.read_csv(io.BytesIO(data), read_options=read, parse_options=parse,
                              convert_options=convert)
    except (pa.ArrowException, ValueError) as exc:
        raise CapplanError(f"{path}: cannot be parsed as {dialect.fmt} ({_short(exc)}): check "
                           "that it is a delimited text export with one header row") from exc


def sample_frame(sample) -> pd.DataFrame:
    return _to_pandas(sample)


def stream_types(sample) -> dict:
    """The pyarrow type to read each column of the whole file as, from the sample's: numbers as
    float64 (an int64 column may meet 1e400 further down), times as they were inferred (a date
    as a timestamp in seconds), the rest (true/false included) as text."""
    import pyarrow as pa

    def stream_type(t):
        if pa.types.is_integer(t) or pa.types.is_floating(t):
            return pa.float64()
        if pa.types.is_timestamp(t):
            return t
        if pa.types.is_date(t):
            return pa.timestamp("s")
        return pa.string()

    return {name: stream_type(t) for name, t in zip(sample.column_names, sample.schema.types)}


def start_early_read(src: Source, encoding: str, dialect: Dialect, types: dict):
    """Start the whole-file read of every column on a thread, before the caller has chosen its
    columns, or None when the file is not read at once (`_stream`) or has more than
    `EARLY_MAX_COLUMNS` columns (reading the unchosen ones would cost more than it hides).
    pyarrow parses without the GIL, so in a fresh process (the CLI) the parse runs on the second
    core while the main thread imports pandas, about 0.4 s: on a year of minutes that hides the
    whole parse. It then parses on one thread, leaving the import its core; with pandas already
    imported (a notebook) nothing runs beside it, so it uses all. `read_columns` takes the
    result; the caller waits for it in any case (`finish_early_read`)."""
    import sys

    if (src.gzip or encoding not in ("utf-8", "utf-8-sig") or src.size > WHOLE_READ_BYTES
            or len(types) > EARLY_MAX_COLUMNS):
        return None
    threads = "pandas" in sys.modules
    return Background(_read_then_hash, src, dialect, list(types), types, threads)


def _read_then_hash(src: Source, *args):
    """`_read_at_once`, then the file's hash started: the parse had the cores, and the main
    thread's work after it leaves one free."""
    try:
        return _read_at_once(src, *args)
    finally:
        src.start_hash()


def finish_early_read(early: Background | None) -> None:
    """Wait for an early read whatever became of it (its error is the chosen columns' read's to
    report): no parse is left running, at exit least of all, once a reading call returns."""
    if early is not None:
        try:
            early.result()
        except Exception:  # noqa: BLE001, S110
            pass


def read_columns(path: Path, src: Source, encoding: str, dialect: Dialect, columns: list[str],
                 types: dict, early: Background | None = None) -> Columns:
    """Stream the whole file, keeping `columns`. Typed as in the sample first (fast); when a later
    row does not fit the sample's types, again with the columns as text (parsed by the caller).
    `early`: the whole-file read of every column that `start_early_read` started, if any."""
    import pyarrow as pa

    types = {c: types[c] for c in columns}
    notes = []
    for attempt in range(3):
        try:
            frame, lines, rows_read, bad = _stream(path, src, encoding, dialect, columns, types,
                                                   early if attempt == 0 else None)
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


def _read_at_once(src: Source, dialect: Dialect, columns: list[str], types, threads=True):
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

    read, parse, convert = _options(dialect, handler, threads, columns, types)
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
    # One buffer per column, joined here, off the main thread (pyarrow releases the GIL): the
    # columns then reach numpy without a copy (`_plain_column`), and in a fresh process the join
    # runs while pandas is imported.
    return table.combine_chunks(), table.num_rows, bad


def _stream(path: Path, src: Source, encoding: str, dialect: Dialect, columns: list[str], types,
            early: Background | None):
    import numpy as np

    at_once = _from_early(early, columns) if early is not None else _UNUSED
    if at_once is _UNUSED:
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


_UNUSED = object()


def _from_early(early: Background, columns: list[str]):
    """The early read's (table, rows, bad row numbers) cut to `columns`; None when it met a bad
    row without its number (so the streaming reader is next, whatever the columns); `_UNUSED`
    when it failed, since a column not chosen may be the cause: the chosen ones are read again."""
    try:
        got = early.result()
    except Exception:  # noqa: BLE001 - the read of the chosen columns reports its own error
        return _UNUSED
    if got is None:
        return None
    table, rows, bad = got
    return table.select(columns), rows, bad


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


__all__ = ["Dialect", "Columns", "sniff_dialect", "read_sample", "sample_frame", "stream_types",
           "start_early_read", "finish_early_read", "read_columns", "decode",
           "HEAD_BYTES", "_read_text_table"]
