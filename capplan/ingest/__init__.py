"""Read a traffic export into a `Traffic`: a UTC-indexed rate series plus an honest quality account.

Formats are sniffed from the bytes, not trusted from the name: gzip, an Excel workbook (a zip), or
delimited text (comma, tab, semicolon, pipe; CR, LF or CRLF line ends), access logs and monitoring
JSON. The timestamp and value columns are found by name and by content, and can be named by the
caller. Nothing is filled in or dropped silently: every dropped row is counted with its reason and
the first few line numbers.

One module per step or family: `sniff` (bytes, gzip, text encodings), `delimited` (CSV/TSV),
`excel`, `monitoring_json` (Prometheus, Datadog), `access_logs` (CLF/Combined), `columns` (which
column is what; times; numbers), `rates` (interval, counters, dropped rows, the quality account),
`model` (the values returned) and `reader` (`read_traffic`, wiring them together).
"""

from capplan.ingest.columns import EPOCH_MS, EPOCH_S, SERIES_NAMES, TIME_NAMES, VALUE_NAMES
from capplan.ingest.delimited import _read_text_table
from capplan.ingest.model import FIRST_ROWS_SHOWN, DataQuality, DroppedRows, InputInfo, Traffic
from capplan.ingest.reader import read_traffic
from capplan.ingest.sniff import _decode, _read_bytes

__all__ = ["read_traffic", "Traffic", "DataQuality", "DroppedRows", "InputInfo", "TIME_NAMES",
           "VALUE_NAMES", "SERIES_NAMES", "EPOCH_S", "EPOCH_MS", "FIRST_ROWS_SHOWN",
           "_decode", "_read_bytes", "_read_text_table"]
