"""Bytes in: read the file, undo gzip, decode text, refuse binaries."""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

from capplan.errors import CapplanError


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise CapplanError(f"{path}: no such file: check the path")
    if path.is_dir():
        raise CapplanError(f"{path}: is a folder, not a file: give the traffic export's path")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CapplanError(f"{path}: cannot be read ({exc.strerror}): check its permissions") from exc


def _gunzip(path: Path, data: bytes) -> bytes:
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        raise CapplanError(f"{path}: the gzip data is truncated or corrupt ({exc}): "
                           "export the file again or decompress it to check") from exc


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise CapplanError(f"{path}: looks like a binary file, not CSV/TSV text or an Excel "
                           "workbook: export the series as CSV")
    for enc in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost everything; latin-1 decodes everything
        text = data.decode("latin-1")
    sample = text[:65536]
    if sample:
        control = len(re.findall(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]", sample))
        if control / len(sample) > 0.05:
            raise CapplanError(f"{path}: looks like a binary file, not CSV/TSV text: "
                               "export the series as CSV")
    # Old-Mac CR-only and Windows CRLF line ends both become LF.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text
