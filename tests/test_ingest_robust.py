"""Ingest on inputs that broke it (issue 11): each failing input recreated, each hostile file
generated here and refused within bounds, and the decoding fallbacks."""
import datetime as dt
import gzip
import io
import json
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from capplan.errors import CapplanError
from capplan.ingest import read_traffic
from hostile_files import (SHEET, _base_workbook, dimension_xlsx, gzip_bomb_csv, replace_member,
                           zip_bomb_xlsx)

HERE = Path(__file__).resolve().parent


def refuse(p, *words):
    with pytest.raises(CapplanError) as e:
        read_traffic(p)
    msg = str(e.value)
    assert "\n" not in msg and len(msg) <= 280 and str(p) in msg
    for w in words:
        assert w.lower() in msg.lower(), msg
    return msg


def rows(n=6, start="2024-01-01 00:00", step="min"):
    return [str(t) for t in pd.date_range(start, periods=n, freq=step)]


# ---- text encodings ----------------------------------------------------------------------------


def test_windows_1252_csv_with_an_accented_cell(tmp_path):
    text = "timestamp,value,site\n" + "".join(
        f"{t},{10 + i},Zürich\n" for i, t in enumerate(rows()))
    p = tmp_path / "cp1252.csv"
    p.write_bytes(text.encode("cp1252"))  # "ü" is the single byte 0xFC: not UTF-8
    t = read_traffic(p)
    assert list(t.rate) == [10, 11, 12, 13, 14, 15]
    assert t.source.encoding == "cp1252"
    assert any("Windows-1252" in n for n in t.quality.notes)


def test_cp1252_below_the_first_mebibyte_is_found_while_streaming(tmp_path):
    # 60,000 ASCII rows (> 1 MiB, the sniffed head) and then one timestamp with a cp1252 byte:
    # that row is unparsable, every other is read, and the encoding is recorded.
    times = pd.date_range("2024-01-01", periods=60_001, freq="min").strftime("%Y-%m-%d %H:%M:%S")
    body = "".join(f"{t},{i % 7}\n" for i, t in enumerate(times[:-1]))
    p = tmp_path / "late.csv"
    p.write_bytes(b"timestamp,value\n" + body.encode() + f"{times[-1]}\xe9,3\n".encode("cp1252"))
    assert p.stat().st_size > 1024 * 1024
    t = read_traffic(p, rate=True)
    assert t.quality.rows_read == 60_001 and t.quality.rows_used == 60_000
    (d,) = t.quality.dropped
    assert d.reason == "unparsable timestamp" and d.first_lines == (60_002,)
    assert t.source.encoding == "cp1252"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_utf16_and_utf8_with_a_bom(tmp_path, encoding):
    text = "timestamp;value\r\n" + "".join(f"{t};{i},5\r\n" for i, t in enumerate(rows()))
    p = tmp_path / "bom.csv"
    p.write_bytes(text.encode(encoding))
    t = read_traffic(p)
    assert list(t.rate) == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]  # ';' files use the decimal comma
    assert t.source.encoding == ("utf-16" if encoding == "utf-16" else "utf-8")


# ---- headers, dates -----------------------------------------------------------------------------


def test_duplicate_header_gets_a_clear_message(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("timestamp,value,value\n2024-01-01,1,2\n2024-01-02,3,4\n")
    refuse(p, "column 2 and column 3", "'value'", "rename")


@pytest.mark.parametrize("bad", ["1677-09-21", "1677-09-21 00:00:00", "0995-01-01",
                                 "2300-01-01 00:00", "1969-12-31 23:59:59", "9999-12-31"])
def test_dates_outside_1970_2100_are_dropped_with_a_reason(tmp_path, bad):
    lines = rows(4)
    p = tmp_path / "old.csv"
    p.write_text("timestamp,value\n" + f"{lines[0]},1\n{bad},2\n{lines[1]},3\n{lines[2]},4\n")
    t = read_traffic(p, rate=True)
    assert list(t.rate) == [1, 3, 4]
    (d,) = t.quality.dropped
    assert (d.reason, d.count, d.first_lines) == ("timestamp outside 1970-2100", 1, (3,))


def test_epoch_values_outside_1970_2100_dropped(tmp_path):
    # 4102444800 s is 2100-01-01 00:00 UTC: the first instant outside; 4102444799 is inside.
    p = tmp_path / "epoch.csv"
    p.write_text("timestamp,value\n1700000000,1\n1700000060,2\n4102444800,3\n4102444799,4\n")
    t = read_traffic(p, rate=True)
    assert list(t.rate) == [1, 2, 4]
    assert t.quality.dropped[0].reason == "timestamp outside 1970-2100"


def test_all_rows_out_of_range_names_the_reason(tmp_path):
    p = tmp_path / "air.csv"
    p.write_text("ds,y\n1949-01-01,112\n1949-02-01,118\n")
    refuse(p, "timestamp outside 1970-2100", "line 2")


def test_the_air_passengers_file_shifted_into_range_reads_with_cr_line_ends(tmp_path):
    from conftest import data

    raw = data("forecasting/prophet_example_air_passengers.csv").read_bytes()
    assert b"\n" not in raw  # CR-only line ends (README quirk)
    p = tmp_path / "air2049.csv"
    p.write_bytes(raw.replace(b"\r19", b"\r20"))  # 1949-1960 -> 2049-2060
    t = read_traffic(p, rate=True)
    # README: 144 rows, mean 280.299, min 104, max 622 (1960-07-01, now 2060-07-01).
    assert len(t.rate) == 144 and t.rate.mean() == pytest.approx(280.2986, abs=1e-3)
    assert t.rate.idxmax() == pd.Timestamp("2060-07-01", tz="UTC") and t.rate.max() == 622


# ---- JSON ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", ['{"data": {"resultType": "matrix", "result": [1]}}',
                                 '{"series": [{"pointlist": [[1, 2, 3]]}]}',
                                 '{"series": [{"pointlist": "x"}]}', "[" * 100_000])
def test_malformed_monitoring_json_is_one_line(tmp_path, doc):
    p = tmp_path / "bad.json"
    p.write_text(doc)
    refuse(p, "JSON")


# ---- workbooks -----------------------------------------------------------------------------------


def test_truncated_sheet_xml(tmp_path):
    xlsx = _base_workbook()
    sheet = zipfile.ZipFile(io.BytesIO(xlsx)).read(SHEET)
    p = tmp_path / "trunc.xlsx"
    p.write_bytes(replace_member(xlsx, SHEET, sheet[: len(sheet) // 2]))
    refuse(p, "not a readable Excel workbook", "save it again")


def test_corrupt_workbooks_bad_zip_and_zlib(tmp_path):
    xlsx = _base_workbook()
    p = tmp_path / "badzip.xlsx"
    p.write_bytes(xlsx[: len(xlsx) // 3])  # the central directory is gone: BadZipFile
    refuse(p, "not a readable Excel workbook")
    # Damage the sheet's deflate stream, keeping the zip's structure: zlib error or bad CRC.
    info = zipfile.ZipFile(io.BytesIO(xlsx)).getinfo(SHEET)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    damaged = bytearray(xlsx)
    for i in range(start + 2, start + info.compress_size - 2, 7):
        damaged[i] ^= 0x5A
    q = tmp_path / "badzlib.xlsx"
    q.write_bytes(bytes(damaged))
    refuse(q, "not a readable Excel workbook")


def test_workbook_dates_outside_range_dropped(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Day", "Hires"])
    for d, v in ((dt.datetime(1900, 1, 1), 5), (dt.datetime(2024, 1, 1), 6),
                 (dt.datetime(2024, 1, 2), 7), (dt.datetime(2024, 1, 3), 8)):
        ws.append([d, v])
    p = tmp_path / "wb.xlsx"
    wb.save(p)
    t = read_traffic(p, rate=True)
    assert list(t.rate) == [6, 7, 8]
    assert t.quality.dropped[0].first_lines == (2,)  # sheet row 2


# ---- hostile files: bounded ---------------------------------------------------------------------


def test_declared_dimension_is_not_materialised(tmp_path):
    p = tmp_path / "dimension.xlsx"
    p.write_bytes(dimension_xlsx())
    assert p.stat().st_size < 6000
    t = time.perf_counter()
    refuse(p, "only 1 usable row")  # the one data row, at sheet row 1,048,576
    assert time.perf_counter() - t < 20


def test_xlsx_zip_bomb_refused_from_its_directory(tmp_path):
    p = tmp_path / "bomb.xlsx"
    p.write_bytes(zip_bomb_xlsx())
    assert p.stat().st_size < 700_000
    declared = zipfile.ZipFile(p).getinfo(SHEET).file_size
    assert declared > 200 * 2**20
    t = time.perf_counter()
    refuse(p, "compression bomb", "100:1")
    assert time.perf_counter() - t < 5


def test_gzip_bomb_refused_while_streaming(tmp_path):
    p = tmp_path / "bomb.csv.gz"
    p.write_bytes(gzip_bomb_csv())
    assert p.stat().st_size < 3_000_000
    t = time.perf_counter()
    refuse(p, "200:1", "compression bomb")
    assert time.perf_counter() - t < 30


def test_hostile_files_within_60_s_and_2_gb_in_a_fresh_process(tmp_path):
    # One child reads the three hostile files and reports its own peak RSS: the bound the
    # issue sets (60 s, 2 GB each); in-process figures would include the test run's own.
    for name, make in (("dimension.xlsx", dimension_xlsx), ("bomb.xlsx", zip_bomb_xlsx),
                       ("bomb.csv.gz", gzip_bomb_csv)):
        (tmp_path / name).write_bytes(make())
    code = textwrap.dedent(f"""
        import resource, time
        from pathlib import Path
        from capplan.errors import CapplanError
        from capplan.ingest import read_traffic
        for name in ("dimension.xlsx", "bomb.xlsx", "bomb.csv.gz"):
            t = time.perf_counter()
            try:
                read_traffic(Path({str(tmp_path)!r}) / name)
                print(name, "READ", time.perf_counter() - t)
            except CapplanError:
                print(name, "refused", time.perf_counter() - t)
        print("rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=180, check=True).stdout.split("\n")
    for line in out[:3]:
        name, outcome, seconds = line.split()
        assert outcome == "refused" and float(seconds) < 60, line
    assert float(out[3].split()[1]) < 2048


def test_row_cap_and_field_cap(tmp_path, monkeypatch):
    from capplan.ingest import delimited

    monkeypatch.setattr(delimited, "MAX_ROWS", 1000)
    p = tmp_path / "many.csv"
    p.write_text("timestamp,value\n" + "".join(f"{t},1\n" for t in rows(1500, step="s")))
    refuse(p, "more than 1,000 rows", "coarser")
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(10_001)) + "\n")
    refuse(wide, "10,001 fields")


def test_error_lines_about_columns_are_capped(tmp_path):
    p = tmp_path / "wide.csv"
    names = [f"series_with_a_long_name_{i}" for i in range(2000)]
    p.write_text("time," + ",".join(names) + "\n" + "".join(
        f"{t}," + ",".join("1" for _ in names) + "\n" for t in rows(3)))
    msg = refuse(p, "2000 value columns", "and 1997 more")
    assert len(msg) < 300


def test_ragged_rows_dropped_with_their_lines(tmp_path):
    p = tmp_path / "ragged.csv"
    r = rows(5)
    p.write_text(f"timestamp,value\n{r[0]},1\n{r[1]},2,9\n{r[2]},3\n{r[3]}\n{r[4]},5\n")
    t = read_traffic(p, rate=True)
    assert list(t.rate) == [1, 3, 5]
    (d,) = t.quality.dropped
    assert d.count == 2 and d.first_lines == (3, 5) and "fields" in d.reason
    assert t.quality.rows_read == 5


def test_rows_stream_in_batches(tmp_path, monkeypatch):
    # Many batches of the streaming reader: every row arrives once, in order, with its value.
    from capplan.ingest import delimited

    monkeypatch.setattr(delimited, "BLOCK_BYTES", 64 * 1024)
    n = 50_000
    idx = pd.date_range("2025-01-01", periods=n, freq="s")
    vals = np.arange(n) % 1000 + 0.5
    p = tmp_path / "big.csv.gz"
    with gzip.open(p, "wt", compresslevel=1) as fh:
        pd.DataFrame({"timestamp": idx.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": vals}).to_csv(
            fh, index=False)
    t = read_traffic(p)
    assert len(t.rate) == n and t.rate.index[-1] == pd.Timestamp(idx[-1], tz="UTC")
    assert t.rate.sum() == pytest.approx(vals.sum()) and t.source.format == "gzip csv"


def test_json_helpers_keep_their_public_shape():
    # usl.read_load_test reads text tables with these; keep them importable.
    from capplan.ingest import _decode, _read_bytes, _read_text_table  # noqa: F401

    frame, fmt = _read_text_table(Path("x.csv"), "n,x\r\n1,10\r\n2,19\r\n")
    assert fmt == "csv" and list(frame["x"]) == [10, 19]
    assert json.loads(json.dumps({"ok": 1}))


def test_quote_heavy_lines_and_devices_are_quick(tmp_path):
    # csv.Sniffer needs minutes on lines like these (its regular expressions backtrack).
    p = tmp_path / "quotes.csv"
    p.write_text("\n".join(['a,"b' * 500] * 60) + "\n")
    t = time.perf_counter()
    with pytest.raises(CapplanError):
        read_traffic(p)
    assert time.perf_counter() - t < 10
    if Path("/dev/zero").exists():
        refuse(Path("/dev/zero"), "not a regular file")


def test_files_over_the_size_cap_are_refused_before_reading(tmp_path, monkeypatch):
    from capplan.ingest import sniff

    monkeypatch.setattr(sniff, "MAX_FILE_BYTES", 1000)
    p = tmp_path / "big.csv"
    p.write_text("timestamp,value\n" + "".join(f"{t},1\n" for t in rows(100)))
    refuse(p, "capplan's limit for an input")


def test_values_beyond_1e15_are_dropped_with_a_reason(tmp_path):
    p = tmp_path / "huge.csv"
    r = rows(4)
    p.write_text(f"timestamp,value\n{r[0]},1.5\n{r[1]},1e308\n{r[2]},-2e20\n{r[3]},2.5\n")
    t = read_traffic(p)
    assert list(t.rate) == [1.5, 2.5]
    (d,) = t.quality.dropped
    assert d.count == 2 and d.first_lines == (3, 4) and "beyond 1e+15" in d.reason
