"""Hostile inputs from issue 11, generated at test time (never committed), cheaply:

- `dimension_xlsx`: a ~5 KB workbook whose sheet declares A1:XFD1048576 and has cells only in
  its first and last rows (a reader that pads to the declared dimension builds 17 billion cells);
- `zip_bomb_xlsx`: a ~0.6 MB workbook whose sheet inflates to ~250 MB (one 1 MiB block of rows,
  deflated once and repeated: each repeat is a self-contained, byte-aligned deflate block);
- `gzip_bomb_csv`: a ~2.6 MB .csv.gz inflating to 1.1 GB (one gzip member per repeated block);
- `rows_csv`: a CSV of n one-second rows (the 5-million-row benchmark), written in chunks.

Used by tests/test_ingest_robust.py and bench/ingest_bounds.py.
"""
from __future__ import annotations

import datetime as dt
import gzip
import io
import zipfile
import zlib
from pathlib import Path

MiB = 1024 * 1024
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _base_workbook() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Day", "Hires"])
    ws.append([dt.datetime(2024, 1, 1), 10])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def replace_member(xlsx: bytes, name: str, data: bytes | None = None, *, raw: bytes | None = None,
                   size: int = 0, crc: int = 0) -> bytes:
    """A copy of the workbook with member `name` replaced: by `data` (deflated normally), or by
    a raw deflate stream `raw` declaring `size` bytes with CRC `crc`."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out_buf = io.BytesIO()
    with zipfile.ZipFile(out_buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename != name:
                out.writestr(info, src.read(info.filename))
            elif raw is None:
                out.writestr(info, data)
            else:
                zinfo = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
                zinfo.compress_type = zipfile.ZIP_DEFLATED
                zinfo.file_size, zinfo.compress_size, zinfo.CRC = size, len(raw), crc
                zinfo.header_offset = out.fp.tell()
                out.fp.write(zinfo.FileHeader(zip64=size > 0xFFFFFFFF))
                out.fp.write(raw)
                out.start_dir = out.fp.tell()
                out.filelist.append(zinfo)
                out.NameToInfo[name] = zinfo
                out._didModify = True
    return out_buf.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def dimension_xlsx() -> bytes:
    sheet = (f'<worksheet {NS}><dimension ref="A1:XFD1048576"/><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>Day</t></is></c>'
             '<c r="B1" t="inlineStr"><is><t>Hires</t></is></c></row>'
             '<row r="1048576"><c r="A1048576" s="1"><v>45292</v></c><c r="B1048576"><v>10</v></c>'
             '<c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>').encode()
    return replace_member(_base_workbook(), SHEET, sheet)


def _block(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)


def zip_bomb_xlsx(repeats: int = 250) -> bytes:
    head = f'<worksheet {NS}><sheetData>'.encode()
    chunk = (b'<row><c t="n"><v>1</v></c></row>' * (MiB // 33 + 1))[:MiB]
    tail = b"</sheetData></worksheet>"
    body = _block(chunk)
    raw = _block(head) + body * repeats + _block(tail) + b"\x03\x00"  # an empty final block
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + repeats * len(chunk) + len(tail)
    return replace_member(_base_workbook(), SHEET, raw=raw, size=size, crc=crc)


def gzip_bomb_csv(inflated: int = 1100 * MiB) -> bytes:
    row = b"2024-01-01 00:00:00,1\n"
    chunk = row * (MiB // len(row))
    member = gzip.compress(chunk, compresslevel=9, mtime=0)
    first = gzip.compress(b"timestamp,value\n" + chunk, compresslevel=9, mtime=0)
    return first + member * (inflated // len(chunk) - 1)


def rows_csv(path: Path, n: int, start: str = "2025-01-01") -> Path:
    """n rows at one-second steps, 'YYYY-MM-DDTHH:MM:SSZ,value', written a million at a time."""
    import numpy as np
    import pandas as pd

    t0 = pd.Timestamp(start)
    rng = np.random.default_rng(5)
    with path.open("w") as fh:
        fh.write("timestamp,value\n")
        for s in range(0, n, 1_000_000):
            k = min(1_000_000, n - s)
            idx = pd.date_range(t0 + pd.Timedelta(seconds=s), periods=k, freq="s")
            v = (100 + 30 * np.sin(np.arange(s, s + k) / 86400 * 2 * np.pi)
                 + rng.normal(0, 3, k)).round(2)
            pd.DataFrame({"t": idx.strftime("%Y-%m-%dT%H:%M:%SZ"), "v": v}).to_csv(
                fh, header=False, index=False)
    return path
