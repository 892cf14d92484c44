"""`read_traffic`: a file in, a `Traffic` out; `list_series`: the series a file holds.

This module only wires the steps, each in its own module: bytes (`sniff`) -> a table of the first
rows and a loader of chosen columns (`delimited`, `excel`, `monitoring_json`) -> the time column
(`columns`) and the series (`series`) -> usable rows, one value per time, rate (`rates`). An access
log is counted per minute as it streams (`access_logs`) and becomes a `Traffic` directly.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from capplan.errors import CapplanError, name_list
from capplan.ingest import series as ser
from capplan.ingest.columns import (
    DateOrderClash,
    ParsedTimes,
    check_timezone,
    choose_time_column,
    parse_times,
    to_numbers,
    utc_index,
)
from capplan.ingest.delimited import (
    Columns,
    finish_early_read,
    read_columns,
    read_sample,
    sample_frame,
    sniff_dialect,
    start_early_read,
    stream_types,
)
from capplan.ingest.log_formats import detect_log_format
from capplan.ingest.model import FIRST_ROWS_SHOWN, DroppedRows, InputInfo, Traffic
from capplan.ingest.rates import (
    _fmt_seconds,
    counter_to_rate,
    decide_kind,
    drop_bad_rows,
    infer_interval,
    none_usable,
    parse_unit,
    quality_account,
    sort_unique,
)
from capplan.ingest.sniff import (
    HEAD_BYTES,
    Source,
    decode,
    detect_encoding,
    encoding_note,
    family,
    open_source,
    open_stream,
    read_whole,
    text_family,
    utf8_lines,
)
from capplan.startup import resumes_collection

if TYPE_CHECKING:  # pandas is imported lazily so the CLI starts fast
    import pandas as pd

# Time-level reasons are the same for every column of a wide row: counted once, not per series.
_ROW_REASONS = ("unparsable timestamp", "timestamp outside 1970-2100", "local time repeated")
KIND_LABEL = {"rate": "rate", "per-interval": "per-interval count", "counter": "counter"}
KIND_OF_LABEL = {label: kind for kind, label in KIND_LABEL.items()}


@dataclass(frozen=True, slots=True)
class _Table:
    """The first rows (to choose columns by) and how to load chosen columns of every row."""

    sample: pd.DataFrame
    load: Callable[[list[str]], Columns]
    fmt: str
    sheet: str | None = None
    encoding: str = "utf-8"
    notes: tuple[str, ...] = ()
    decimal_comma: bool = False
    # Monitoring JSON: per series, what the file says its values are (monitoring_json).
    series_info: dict | None = None
    early: object = None  # a delimited file's whole-file read, started before columns are chosen

    def settle(self) -> None:
        """Wait for an early read that `load` did not take (a failure before it, or a list of
        the series): nothing of a read is left running once a reading call returns."""
        finish_early_read(self.early)


@resumes_collection
def read_traffic(path: str | Path, *, time_column: str | None = None,
                 value_column: str | None = None, series: str | None = None,
                 aggregate: str | None = None, sheet: str | None = None, timezone: str = "UTC",
                 per_interval: bool = False, counter: bool = False, rate: bool = False,
                 unit: str | None = None, min_rows: int = 2) -> Traffic:
    """Read a traffic export and return its rate series with the quality account.

    `series`: a name, a label subset (`{job="api"}`) or a substring picking one series of a
    multi-series file; with `aggregate` ("sum", "max", "mean") every match is combined.
    `per_interval`: each value is a count over its interval (divided by the inferred interval).
    `counter`: a monotonically increasing counter (a decrease is a reset, after which the value
    is the increase since the reset, as Prometheus' rate() treats it). `rate`: values are
    per-second rates already. With none of the three the file decides (see `rates`).
    `unit`: what the values count ("jobs": the rate is jobs/s) or a rate ("hires/day": values
    used as given); default "req/s".
    """
    requested, unit_ = check_reading_options(per_interval, counter, rate, unit, aggregate,
                                             timezone)
    path = Path(path)
    src = open_source(path)
    table = _open_table(src, sheet, timezone)
    if isinstance(table, Traffic):
        if len(table.rate) < min_rows:
            raise CapplanError(f"{path}: the log covers only {len(table.rate)} minute(s): capplan "
                               f"needs at least {min_rows} to infer anything; export a longer log")
        if unit is None:
            return table
        if unit_.stated_rate:
            raise CapplanError(f"--unit {unit!r}: an access log is counted per second; give only "
                               "what a line counts (--unit hits)")
        return replace(table, unit=unit_.label)
    try:
        tcol = choose_time_column(path, table.sample, time_column)
        lay = ser.layout(path, table.sample, tcol, value_column, series, aggregate)
        cols = list(dict.fromkeys([tcol, *lay.value_columns, *filter(None, [lay.series_column])]))
        loaded = table.load(cols)
    finally:
        table.settle()
    if loaded.rows_read == 0:
        raise CapplanError(f"{path}: has a header but no data rows: export a time range with data")
    return _build(path, src, table, loaded, tcol, lay, series=series, aggregate=aggregate,
                  timezone=timezone, requested=requested, unit=unit_, min_rows=min_rows)


def list_series(path: str | Path, *, time_column: str | None = None,
                sheet: str | None = None) -> list[str]:
    """The series a file holds, in file order: the value columns of a wide file, the names in a
    long file's series column, the label sets of a JSON export; one name for a plain file. Each
    name can be given back as `series=` (exactly) to read that series alone."""
    path = Path(path)
    src = open_source(path)
    table = _open_table(src, sheet, "UTC")
    if isinstance(table, Traffic):
        return [table.source.value_column]
    try:
        tcol = choose_time_column(path, table.sample, time_column)
        lay = ser.layout(path, table.sample, tcol, None, None, "sum")
        if lay.kind != "long":
            return list(lay.value_columns)
        loaded = table.load([lay.series_column])
    finally:
        table.settle()
    return ser.long_names(loaded.frame, lay.series_column)


def check_reading_options(per_interval, counter, rate, unit, aggregate, timezone):
    """The reading options' own rules, before anything is read (a file and a frame alike):
    (the kind of values asked for, the parsed unit)."""
    requested = _requested_kind(per_interval, counter, rate)
    unit_ = parse_unit(unit)
    if unit_.stated_rate and requested in ("per-interval", "counter"):
        raise CapplanError(f"--unit {unit!r} states a rate, so the values are used as given: drop "
                           f"--{requested}, or give only what is counted (--unit "
                           f"{unit.split('/')[0].strip()}) to get a per-second rate")
    if aggregate is not None and aggregate not in ser.AGGREGATES:
        raise CapplanError(f"--aggregate {aggregate!r}: use one of {', '.join(ser.AGGREGATES)}")
    check_timezone(timezone)
    return requested, unit_


def _requested_kind(per_interval: bool, counter: bool, rate: bool) -> str | None:
    given = [k for k, on in (("per-interval", per_interval), ("counter", counter),
                             ("rate", rate)) if on]
    if len(given) > 1:
        raise CapplanError(f"--{given[0]} and --{given[1]} exclude each other: a column holds "
                           "per-second rates (--rate), counts per interval (--per-interval) or a "
                           "running counter (--counter)")
    return given[0] if given else None


# --------------------------------------------------------------------------------------------
# Bytes to a table


def _open_table(src: Source, sheet: str | None, timezone: str) -> _Table | Traffic:
    path = src.path
    if not src.head.strip():
        what = "the compressed file is empty" if src.gzip else "the file is empty"
        raise CapplanError(f"{path}: {what}: export the series with a header row and at least "
                           "two rows of data")
    fam = family(src)
    if fam == "xlsx":
        src.start_hash()
        from capplan.ingest.excel import _read_excel_table  # each family's reader when met

        frame, sheet_used = _read_excel_table(path, read_whole(src, "xlsx"), sheet)
        return _whole_table(frame, src.fmt_prefix + "xlsx", frame.attrs.get("first_line", 2),
                            sheet=sheet_used)
    if fam == "xls":
        raise CapplanError(f"{path}: is an old binary Excel (.xls) file: save it as .xlsx or CSV")
    encoding = detect_encoding(path, src.head)
    complete = len(src.head) < HEAD_BYTES
    head = decode(src.head, encoding)
    notes = tuple(filter(None, [encoding_note(encoding)]))
    kind = text_family(head)
    if kind in ("log", "json"):
        src.start_hash()
    if sheet is not None:
        # Ignored, a --sheet would leave the user believing a sheet was chosen.
        what = {"log": "an access log", "json": "JSON"}.get(kind, "delimited text (CSV)")
        raise CapplanError(f"--sheet {sheet!r}: --sheet applies to Excel workbooks (.xlsx), and "
                           f"{path} is {what}: drop --sheet")
    if kind == "log":
        return _read_log(src, head, encoding, timezone)
    if kind == "json":
        frame, fmt = _read_json(path, decode(read_whole(src, "json"), encoding))
        return _whole_table(frame, src.fmt_prefix + fmt, 1, encoding=encoding, notes=notes,
                            series_info=frame.attrs.get("series_info"))
    dialect = sniff_dialect(path, head)
    sample = read_sample(path, head, complete, dialect)
    if sample.num_rows == 0 and complete:
        raise CapplanError(f"{path}: has a header but no data rows: export a time range with data")
    if sample.num_rows == 0:
        raise CapplanError(f"{path}: none of the first rows splits into the header's "
                           f"{len(dialect.names)} fields ({dialect.fmt}): check the delimiter and "
                           "the quotes")
    types = stream_types(sample)
    # The parse starts before pandas is first imported (by sample_frame) and runs beside it.
    early = start_early_read(src, encoding, dialect, types)
    if early is None:
        src.start_hash()  # else the early read starts it when its parse ends
    try:
        frame = sample_frame(sample)
    except BaseException:
        finish_early_read(early)
        raise
    return _Table(frame, lambda cols: read_columns(path, src, encoding, dialect, cols, types,
                                                   early),
                  src.fmt_prefix + dialect.fmt, encoding=_enc_name(encoding),
                  notes=dialect.notes + notes, decimal_comma=dialect.delimiter == ";",
                  early=early)


def _whole_table(frame: pd.DataFrame, fmt: str, first_line: int, **kw) -> _Table:
    import numpy as np

    def load(cols: list[str]) -> Columns:
        lines = np.arange(first_line, first_line + len(frame), dtype=np.int64)
        return Columns(frame[cols], lines, len(frame), (), ())

    if "encoding" in kw:
        kw["encoding"] = _enc_name(kw["encoding"])
    return _Table(frame.head(2000), load, fmt, **kw)


def _read_log(src: Source, head: str, encoding: str, timezone: str) -> Traffic:
    """An access log, counted per minute from a stream: never held whole, and not under the
    size caps that protect tables (the gzip ratio check stays)."""
    fmt = detect_log_format(head)
    if fmt is None:  # text_family said log from the same lines
        raise CapplanError(f"{src.path}: not an access log capplan reads: export the traffic as "
                           "CSV")
    from capplan.ingest.access_logs import read_access_log

    with open_stream(src, capped=False) as raw:
        return read_access_log(src.path, utf8_lines(raw, encoding, src.head), fmt, src.sha256,
                               src.fmt_prefix, timezone)


def _read_json(path: Path, text: str):
    """Monitoring JSON as a long table of every series. The document is untrusted: the readers
    check its shape, and what they do not foresee (`"result": [1]`, 100,000 nested brackets) is
    still a one-line error."""
    from capplan.ingest.monitoring_json import json_long_frame

    try:
        return json_long_frame(path, text)
    except CapplanError:
        raise
    except RecursionError as exc:
        raise CapplanError(f"{path}: JSON nested too deeply to be a monitoring export: export "
                           "it again, or export CSV") from exc
    except (json.JSONDecodeError, KeyError, IndexError, TypeError, ValueError, AttributeError,
            OverflowError, zlib.error) as exc:
        raise CapplanError(f"{path}: JSON that does not have the shape of a monitoring export "
                           f"capplan reads ({type(exc).__name__}): export it again, or export "
                           "CSV") from exc


def _enc_name(encoding: str) -> str:
    return {"utf-8-sig": "utf-8"}.get(encoding, encoding)


# --------------------------------------------------------------------------------------------
# Table to Traffic


def _build(path: Path, src: Source, table: _Table, loaded: Columns, tcol: str, lay: ser.Layout, *,
           series, aggregate, timezone, requested, unit, min_rows) -> Traffic:
    import numpy as np
    import pandas as pd

    try:
        times = parse_times(loaded.frame[tcol], timezone)
    except DateOrderClash as clash:
        raise CapplanError(clash.message(path, tcol, loaded.lines)) from None
    notes = [*table.notes, *loaded.notes, *filter(None, [times.note])]
    chosen, columns, rows_read, picked = _series_columns(path, table, loaded, lay, series,
                                                         aggregate, notes)
    settled = _settled(path, table.series_info, chosen, requested, unit, notes)
    clean = _clean(columns, times, loaded.lines, timezone, requested, lay.kind != "long")
    dropped = [*loaded.dropped, *clean.dropped]
    vcol = lay.value_columns[0]
    if not clean.parts:
        raise none_usable(path, rows_read, dropped, tcol, vcol)
    if len(clean.parts) < len(columns):
        empty = [c[0] for c in columns if c[0] not in {p.name for p in clean.parts}]
        notes.append(f"{len(empty)} series with no usable rows left out ({name_list(empty)})")
    if len(clean.parts) == 1:
        t, v = clean.parts[0].times, clean.parts[0].values
    else:
        t, v, _, short, note = ser.combine(path, clean.parts, aggregate)
        notes.append(note)
        dropped += [short] if short is not None else []
    if len(t) < min_rows:
        raise CapplanError(f"{path}: only {len(t)} usable row(s) after dropping bad ones: capplan "
                           f"needs at least {min_rows} timestamps to infer the interval")
    steps = np.diff(t.view("int64"))
    interval = infer_interval(steps)
    if settled is not None:  # the file's statistic made each series a per-second rate already
        kind = settled
    else:
        v, kind = _to_rate(v, interval, requested, unit, vcol if len(chosen) == 1 else None,
                           clean.resets, notes)
    quality = quality_account(t, steps, v, rows_read=rows_read, dropped=dropped, n_dup=clean.n_dup,
                              sorted_by_us=clean.unsorted, interval=interval,
                              assumed=times.assumed, notes=notes)
    info = InputInfo(
        path=str(path), sha256=src.sha256, format=table.fmt, sheet=table.sheet, time_column=tcol,
        value_column=name_list(chosen, limit=3) if lay.kind == "wide" else vcol,
        series=series if aggregate else (chosen[0] if picked else None),
        value_kind=KIND_LABEL[kind], encoding=loaded.encoding or table.encoding,
        aggregate=aggregate if len(clean.parts) > 1 else None,
        series_used=tuple(p.name for p in clean.parts))
    v = v.astype("float64", copy=False)
    if not v.flags.writeable:  # pyarrow's own memory (one block, no copy on the way): a
        v = v.copy()           # notebook user may set values in the rate
    rate = pd.Series(v, index=utc_index(t), name=vcol)
    return Traffic(rate=rate, unit=unit.label, interval_seconds=interval, quality=quality,
                   source=info, local_timezone=timezone)


def _series_columns(path: Path, table: _Table, loaded: Columns, lay: ser.Layout, series,
                    aggregate, notes: list[str]):
    """The series to read as (name, values of every row, rows of that series or None), with the
    names chosen, the rows read (a long file's rows of other series do not count), and whether
    one series was picked from several (by --series, or a file's default statistic)."""
    import numpy as np

    frame = loaded.frame
    if lay.kind != "long":
        chosen = list(lay.value_columns)
        return chosen, [(c, to_numbers(frame[c], table.decimal_comma), None) for c in chosen], \
            loaded.rows_read, series is not None
    names = ser.long_names(frame, lay.series_column)
    where = "" if table.fmt.endswith("JSON") else f" in column {lay.series_column!r}"
    chosen = ser.select(path, names, series, aggregate, where=where, notes=notes)
    picked = series is not None or len(chosen) < len(names)
    labels = frame[lay.series_column].astype(str).to_numpy()
    values = to_numbers(frame[lay.value_columns[0]], table.decimal_comma)
    masks = [labels == name for name in chosen]
    mine = np.logical_or.reduce(masks)
    rows_read = loaded.rows_read
    if not mine.all():
        notes.append(f"{int((~mine).sum()):,} rows of {len(names) - len(chosen)} other series"
                     f"{where} were not read")
        rows_read = int(mine.sum()) + (loaded.rows_read - len(frame))  # + ragged rows
    return chosen, [(name, values, m) for name, m in zip(chosen, masks)], rows_read, picked


def _settled(path: Path, info: dict | None, chosen: list[str], requested: str | None, unit,
             notes: list[str]) -> str | None:
    """The kind of the chosen series when the file settled it (monitoring JSON naming its
    statistic: each series already a per-second rate, its conversion noted), else None (the
    flags and `decide_kind` decide). Series combined must be of one kind; a flag saying
    otherwise than the file is refused rather than applied a second time."""
    if not info:
        return None
    mine = [info[name] for name in chosen if name in info]
    if not any(i["settled"] for i in mine):
        return None
    kind_of = [i["value_kind"] if i["settled"] else "no statistic stated" for i in mine]
    kinds = set(kind_of)
    if len(kinds) > 1:
        shorts = ser.short_names(chosen)
        shown = "; ".join(f"{k}: {name_list([n for n, kk in zip(shorts, kind_of) if kk == k], 2)}"
                          for k in dict.fromkeys(kind_of))
        raise CapplanError(f"{path}: the {len(chosen)} series to combine are not of one kind "
                           f"({shown}): combine series of one statistic, picked with --series")
    said_notes = list(dict.fromkeys(i["note"] for i in mine if i["note"]))
    notes += said_notes[:3]
    if len(said_notes) > 3:
        notes.append(f"{len(said_notes) - 3} more series converted alike, each by its own period")
    kind = KIND_OF_LABEL[kinds.pop()]
    stats = list(dict.fromkeys(str(i["statistic"]) for i in mine))
    said = (f"the file states its statistic ({', '.join(stats)}), which makes the values a "
            f"{KIND_LABEL[kind]}, " + ("used as given" if kind == "rate" else
                                       "converted to a per-second rate already"))
    if requested == "counter" or (requested == "per-interval" and kind != "per-interval"):
        raise CapplanError(f"--{requested}: {said}: drop --{requested}")
    if unit.stated_rate and kind != "rate":
        raise CapplanError(f"--unit {unit.label!r} states a rate per its own time base, but "
                           f"{said}: give only what is counted (--unit "
                           f"{unit.label.split('/')[0].strip()})")
    return kind


@dataclass(frozen=True, slots=True)
class _Clean:
    parts: list  # ser.Part per series with usable rows
    dropped: list[DroppedRows]
    n_dup: int
    unsorted: bool
    resets: int


def _clean(columns, times, lines, timezone: str, requested: str | None, same_rows: bool) -> _Clean:
    """Each series' usable rows, sorted, one value per time; counters rated per series (a reset
    in one instance is not a drop in the total)."""
    parts, per_part, n_dup, unsorted, resets = [], [], 0, False, 0
    for name, values, mask in columns:
        sel = slice(None) if mask is None else mask
        sub = _subset(times, sel)
        keep, why = drop_bad_rows(sub, values[sel], lines[sel], timezone, requested == "counter")
        per_part.append(why)
        if not why and mask is None:  # every row usable: no copies of a 5-million-row column
            t, v, ln, dup, uns = sort_unique(sub.utc, values, lines)
        else:
            t, v, ln, dup, uns = sort_unique(sub.utc[keep], values[sel][keep], lines[sel][keep])
        n_dup, unsorted = n_dup + dup, unsorted or uns
        if requested == "counter" and t.size > 1:
            t, v, ln, r = counter_to_rate(t, v, ln)
            resets += r
        if t.size:
            parts.append(ser.Part(name, t, v, ln))
    return _Clean(parts, _merge_dropped(per_part, same_rows), n_dup, unsorted, resets)


def _to_rate(v, interval: float, requested: str | None, unit, name: str | None, resets: int,
             notes: list[str]):
    """The values as a rate, and their kind; what was done goes into `notes`."""
    if requested == "counter":
        notes.append(f"counter converted to a per-second rate; {resets} counter reset(s) seen; "
                     "the first sample has no rate and is not used")
        return v, "counter"
    kind, why = decide_kind(requested, unit, name, v, interval)
    notes += why
    if kind == "per-interval":
        v = v / interval
        if not why:
            notes.append(f"values are counts per {_fmt_seconds(interval)} interval, divided by "
                         f"{interval:g} s to give a per-second rate")
    return v, kind


def _subset(times: ParsedTimes, sel) -> ParsedTimes:
    return ParsedTimes(times.utc[sel], times.out_of_range[sel], times.dst[sel], times.assumed,
                       times.note)


def _merge_dropped(per_part: list[list[DroppedRows]], same_rows: bool) -> list[DroppedRows]:
    """One `DroppedRows` per reason over all series read; a wide row's time problems once."""
    merged: dict[str, tuple[int, list[int]]] = {}
    for i, why in enumerate(per_part):
        for d in why:
            if same_rows and i > 0 and d.reason.startswith(_ROW_REASONS):
                continue
            count, lines = merged.get(d.reason, (0, []))
            merged[d.reason] = (count + d.count, sorted(set(lines) | set(d.first_lines)))
    return [DroppedRows(r, c, tuple(ls[:FIRST_ROWS_SHOWN])) for r, (c, ls) in merged.items()]

