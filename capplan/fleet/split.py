"""Split one export that holds every service into one payload per service, reading it once.

A payload is that service's rows in the export's own format (a one-series Prometheus or Datadog
JSON; the long CSV's header and rows without the service column, in the file's own delimiter and
text), so a worker reads it with the same `read_traffic` as any file and gets what
`capplan forecast FILE --series NAME` would get. Each part is (label, payload, suffix, line map).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from capplan.errors import CapplanError

MAX_SERVICES = 100_000  # a fleet this size is planned in several runs
MAX_TEXT_BYTES = 4 * 2**30  # one export holding every service, uncompressed


def _text(path: Path) -> str:
    """The export's text: read once, gzip undone (bounded), decoded as capplan's reader does."""
    import gzip
    import zlib

    from capplan.ingest import _decode, _read_bytes

    data = _read_bytes(path)
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
                data = f.read(MAX_TEXT_BYTES + 1)
        except (EOFError, OSError, zlib.error) as exc:
            raise CapplanError(f"{path}: the gzip data is truncated or corrupt ({exc}): export "
                               "the file again") from None
    if len(data) > MAX_TEXT_BYTES:
        raise CapplanError(f"{path}: more than {MAX_TEXT_BYTES // 2**30} GiB of text: split the "
                           "export and plan it in several runs")
    return _decode(path, data)


def is_json(path: Path) -> bool:
    """True when the export is JSON (a monitoring API's answer), by its first bytes."""
    import gzip

    try:
        with path.open("rb") as f:
            head = f.read(4096)
        if head[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as f:
                head = f.read(4096)
    except (OSError, EOFError):
        return False
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def _prometheus_label(labels: dict) -> str:
    # The label text capplan's reader gives a Prometheus series (and takes back as --series).
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def split_json(path: Path):
    """Prometheus query_range (`data.result[]`) or Datadog query (`series[]`) JSON, one series
    per part. Returns (parts, notes), or None for another shape (CloudWatch, Google Cloud,
    Azure: the reader's `list_series` names their series, and each worker reads its own)."""
    text = _text(path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CapplanError(f"{path}: looks like JSON but does not parse ({exc.msg} at line "
                           f"{exc.lineno}): export it again") from exc
    parts = []
    if isinstance(doc, dict) and isinstance(doc.get("data"), dict) and \
            isinstance(doc["data"].get("result"), list):
        if doc["data"].get("resultType") != "matrix":
            raise CapplanError(f"{path}: Prometheus result type {doc['data'].get('resultType')!r}"
                               " is not a range: export with query_range (resultType matrix)")
        for r in doc["data"]["result"]:
            labels = r.get("metric", {}) if isinstance(r, dict) else {}
            one = {"status": doc.get("status", "success"),
                   "data": {"resultType": "matrix", "result": [r]}}
            parts.append((_prometheus_label(labels if isinstance(labels, dict) else {}),
                          json.dumps(one).encode("utf-8"), ".json", None))
    elif isinstance(doc, dict) and isinstance(doc.get("series"), list):
        for r in doc["series"]:
            if not isinstance(r, dict):
                continue
            name = r.get("expression") or r.get("scope") or r.get("metric") or "series"
            parts.append((str(name), json.dumps({"series": [r]}).encode("utf-8"), ".json", None))
    else:
        return None
    if len(parts) > MAX_SERVICES:
        raise CapplanError(f"{path}: holds {len(parts):,} series, more than {MAX_SERVICES:,}: "
                           "split the export and plan it in several runs")
    return parts, []


def _delimiter(path: Path, text: str) -> str:
    """The delimiter that splits the first lines into the same number of fields (counted, not
    csv.Sniffer: its guess is quadratic in quotes)."""
    lines = [ln for ln in text[:65536].split("\n")[:50] if ln.strip()]
    if not lines:
        raise CapplanError(f"{path}: the file is empty: export the series with a header row")
    best, best_score = ",", (0, 0)
    for d in (",", "\t", ";", "|"):
        counts = [ln.count(d) for ln in lines]
        if counts[0] == 0:
            continue
        score = (sum(c == counts[0] for c in counts), counts[0])
        if score > best_score:
            best, best_score = d, score
    return best


def split_long(path: Path, service_column: str):
    """A long CSV (one row per service and time) by the values of `service_column`: each part is
    the header and that service's rows without the column, with the original line of each row
    (line 1 is the header; a row's line is its position, as capplan's reader counts them).
    Returns (parts, notes)."""
    text = _text(path)
    delimiter = _delimiter(path, text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next((row for row in reader if any(c.strip() for c in row)), None)
    if header is None:
        raise CapplanError(f"{path}: the file is empty: export it with a header row")
    header = [h.strip() for h in header]
    if service_column not in header:
        raise CapplanError(f"{path}: no column {service_column!r} for --service-column; the "
                           f"columns are {', '.join(header[:20])}")
    col = header.index(service_column)
    keep = [i for i in range(len(header)) if i != col]
    writers: dict[str, tuple[io.StringIO, csv.writer, list[int]]] = {}
    missing, first_missing = 0, None
    row_no = 0
    for row in reader:
        if not any(c.strip() for c in row):
            continue  # the reader skips blank lines too: rows are numbered without them
        line = row_no + 2
        row_no += 1
        name = row[col].strip() if col < len(row) else ""
        if not name:
            missing += 1
            first_missing = first_missing or line
            continue
        if name not in writers:
            if len(writers) >= MAX_SERVICES:
                raise CapplanError(f"{path}: more than {MAX_SERVICES:,} services in column "
                                   f"{service_column!r}: plan them in several runs")
            buf = io.StringIO()
            w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
            w.writerow([header[i] for i in keep])
            writers[name] = (buf, w, [])
        buf, w, lines = writers[name]
        w.writerow([row[i] if i < len(row) else "" for i in keep])
        lines.append(line)
    if not writers:
        raise CapplanError(f"{path}: column {service_column!r} names no service in any row: "
                           "check --service-column")
    notes = []
    if missing:
        notes.append(f"{missing} row(s) of {path.name} have no {service_column} (first at line "
                     f"{first_missing}): left out")
    suffix = ".tsv" if delimiter == "\t" else ".csv"
    return [(name, buf.getvalue().encode("utf-8"), suffix, tuple(lines))
            for name, (buf, _, lines) in sorted(writers.items())], notes
