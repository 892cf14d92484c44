"""Read a traffic export into a `Traffic`: a UTC-indexed rate series plus an honest quality account.

Formats are sniffed from the bytes, not trusted from the name: gzip, an Excel workbook (a zip), or
text: delimited (comma, tab, semicolon, pipe; CR, LF or CRLF line ends; UTF-8, UTF-16 with a BOM or
Windows-1252), access logs and monitoring JSON. The timestamp and value columns are found by name
and by content, and can be named by the caller. Nothing is filled in or dropped silently: every
dropped row is counted with its reason and the first few line numbers. Every input is bounded in
memory and time, and anything unreadable is a one-line `CapplanError`.

One module per step or family: `sniff` (bytes, gzip as a bounded stream, encodings, which family),
`delimited` (CSV/TSV dialect, header, streamed columns), `excel` (bounded .xlsx), `monitoring_json`
(Prometheus, Datadog), `access_logs` (CLF/Combined), `columns` (the time column, times to UTC,
numbers), `series` (choosing and combining series), `rates` (dropped rows, interval, counts versus
rates, units, the quality account), `model` (the values returned) and `reader` (`read_traffic`,
`list_series`: the wiring).
"""

from capplan.ingest.columns import EPOCH_MS, EPOCH_S, SERIES_NAMES, TIME_NAMES, VALUE_NAMES
from capplan.ingest.delimited import _read_text_table
from capplan.ingest.frame import traffic_from_frame  # noqa: F401 - a DataFrame in (notebooks)
from capplan.ingest.model import FIRST_ROWS_SHOWN, DataQuality, DroppedRows, InputInfo, Traffic
from capplan.ingest.reader import list_series, read_traffic
from capplan.ingest.series import AGGREGATES
from capplan.ingest.sniff import _decode, _read_bytes

__all__ = ["read_traffic", "list_series", "Traffic", "DataQuality", "DroppedRows", "InputInfo",
           "AGGREGATES", "TIME_NAMES", "VALUE_NAMES", "SERIES_NAMES", "EPOCH_S", "EPOCH_MS",
           "FIRST_ROWS_SHOWN", "_decode", "_read_bytes", "_read_text_table"]
