"""Hostile and careless inputs for the ingest fuzz test (tests/test_ingest_fuzz.py) and the longer
fuzz script (bench/fuzz_ingest.py): mutations of small real exports, by hypothesis strategies.

The seeds are slices of real files from ../shared/data and inputs/ (when present) plus small
exports written here in each tool's layout (Grafana wide and long, Prometheus and Datadog JSON, a
workbook). A mutation changes the delimiter, the encoding, the line ends, cells (huge numbers,
NaN/inf strings, dates far outside 1970-2100), the header (duplicates, a sep= line, a BOM), or the
bytes (truncation, flips, gzip, truncated gzip), in any combination.
"""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def _head(rel: str, lines: int, base: Path = DATA) -> bytes | None:
    p = base / rel
    if not p.exists():
        return None
    data = p.read_bytes()
    sep = b"\r" if b"\n" not in data[:5000] else b"\n"
    return sep.join(data.split(sep)[:lines]) + sep


def _workbook() -> bytes:
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["note: hires per day"])
    ws.append([])
    ws.append(["Day", "Hires"])
    for i in range(30):
        ws.append([dt.datetime(2024, 1, 1) + dt.timedelta(days=i), 1000 + 37 * i])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _prometheus() -> bytes:
    result = [{"metric": {"job": "api", "instance": f"web-{k}:9100"},
               "values": [[1700000000 + 60 * i, str(10 + k + i % 7)] for i in range(40)]}
              for k in range(3)]
    return json.dumps({"status": "success", "data": {"resultType": "matrix",
                                                     "result": result}}).encode()


def _datadog() -> bytes:
    series = [{"metric": "nginx.requests", "scope": f"host:web{k}",
               "pointlist": [[1700000000000.0 + 300000 * i, 5.0 + k + i % 3] for i in range(30)]}
              for k in range(2)]
    return json.dumps({"series": series}).encode()


def _grafana_wide() -> bytes:
    rows = ['"Time","api-1","api-2"'] + [f'"2024-03-01 00:{m:02d}:00",{10 + m % 5},{20 + m % 3}'
                                         for m in range(40)]
    return ("\n".join(rows) + "\n").encode()


def _grafana_long() -> bytes:
    rows = ["Series;Time;Value"] + [f"{s};2024-03-01T00:{m:02d}:00+01:00;{m % 9},5"
                                    for m in range(30) for s in ("web", "db")]
    return ("\n".join(rows) + "\n").encode()


def seeds() -> list[tuple[str, bytes]]:
    """(suffix, bytes) of every seed input present on this machine."""
    out = [(".csv", _head("traffic/nab_nyc_taxi.csv", 120)),
           (".csv", _head("traffic/nab_elb_request_count_8c0756.csv", 80)),
           (".csv", _head("traffic/prophet_example_pedestrians_multivariate.csv", 80)),
           (".csv", _head("forecasting/prophet_example_wp_log_peyton_manning.csv", 80)),
           (".csv", _head("forecasting/prophet_example_air_passengers.csv", 60)),
           (".csv", _head("forecasting/prophet_example_yosemite_temps.csv", 80)),
           (".log", _head("access_logs/nasa_access_log_Aug95_first20000.log", 40)),
           (".csv", _head("nyc_taxi.csv", 100, base=ROOT / "inputs")),
           (".xlsx", _workbook()), (".json", _prometheus()), (".json", _datadog()),
           (".csv", _grafana_wide()), (".csv", _grafana_long())]
    return [(s, b) for s, b in out if b]


NASTY_CELLS = ["1e400", "-1e400", "9" * 400, "-1e308", "NaN", "nan", "inf", "-inf", "Infinity",
               "", "null", "NULL", "#N/A", "1677-09-21", "1677-09-21 00:00:00", "0995-01-01",
               "9999-12-31T23:59:59", "2262-04-12", "2300-01-01", "1969-12-31 23:59:59",
               "-1", "0", "1,5", "1.234,5", "é", "ü€", '"', '""', "\\", "2024-02-30",
               "12/31/2024", "31/12/2024", "1700000000", "1700000000000", "17000000000000000",
               "{", "[", "x" * 300, "\t", ";", "|", "2024-01-01T00:00:00+99:00"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]


def _cells(data: bytes, draw, sep: bytes) -> bytes:
    lines = data.split(b"\n")
    for _ in range(draw(st.integers(0, 6))):
        if len(lines) < 2:
            break
        i = draw(st.integers(0, len(lines) - 1))
        cells = lines[i].split(sep)
        j = draw(st.integers(0, max(len(cells) - 1, 0)))
        cells[j] = draw(st.sampled_from(NASTY_CELLS)).encode("utf-8")
        lines[i] = sep.join(cells)
    return b"\n".join(lines)


@st.composite
def hostile_inputs(draw, seed_list=None):
    """(suffix, bytes): one seed through a random run of mutations."""
    seed_list = seed_list or seeds()
    suffix, data = draw(st.sampled_from(seed_list))
    text_like = suffix != ".xlsx"
    if text_like and draw(st.booleans()):
        sep = draw(st.sampled_from([b",", b";", b"\t", b"|", b" "]))
        data = data.replace(b",", sep) if draw(st.booleans()) else data
        data = _cells(data, draw, sep)
    if text_like and draw(st.integers(0, 4)) == 0:
        lines = data.split(b"\n")
        header = lines[0].split(b",")
        if header:
            k = draw(st.integers(0, len(header) - 1))
            lines[0] = b",".join(header + [header[k]])  # a duplicate header
        data = b"\n".join(lines)
    if text_like and draw(st.integers(0, 5)) == 0:
        data = draw(st.sampled_from([b"sep=,\n", b"sep=;\n", b"\xef\xbb\xbfsep=,\n",
                                     b"sep=\t\n", b"sep=x\n"])) + data
    if text_like and draw(st.integers(0, 4)) == 0:
        data = data.replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r"])))
    if text_like and draw(st.integers(0, 3)) == 0:
        enc = draw(st.sampled_from(ENCODINGS))
        data = data.decode("utf-8", errors="replace").replace("a", "é", 3).encode(
            enc, errors="replace")
    if draw(st.integers(0, 4)) == 0 and data:
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(data) - 1))
            data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1:]
    if draw(st.integers(0, 5)) == 0:
        data = data[:draw(st.integers(0, len(data)))]
    if draw(st.integers(0, 6)) == 0:
        data = draw(st.sampled_from([b"[" * 100_000, b"{\"data\": {\"result\": [1]}}",
                                     b'{"data": {"resultType": "matrix", "result": [1]}}',
                                     b'{"series": [{"pointlist": [[1, 2, 3]]}]}',
                                     b'{"series": [{"pointlist": "x"}]}', b"\x00" * 100,
                                     b"PK\x03\x04" + data[:50], b"timestamp,value,value\n" +
                                     b"2024-01-01,1,2\n2024-01-02,3,4\n"]))
    if draw(st.integers(0, 5)) == 0:
        data = gzip.compress(data, mtime=0)
        if draw(st.booleans()):
            data = data[:draw(st.integers(0, len(data)))]
        suffix += ".gz"
    return suffix, data


FLAG_SETS = [{}, {"series": "api"}, {"series": '{job="api"}'}, {"aggregate": "sum"},
             {"aggregate": "max", "series": "web"}, {"per_interval": True}, {"counter": True},
             {"rate": True}, {"timezone": "America/New_York"}, {"unit": "hires/day"},
             {"value_column": "value"}, {"time_column": "ds"}, {"sheet": "Data"}]
