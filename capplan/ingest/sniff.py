"""Bytes in, bounded: open the file, undo gzip as a stream, pick the text encoding, name the family.

Nothing here holds a whole file unless the family needs it (a workbook, a JSON document), and
then only under a stated cap. gzip is inflated as a stream and refused past `MAX_GZIP_RATIO` once
`RATIO_CHECK_AFTER` bytes are out (a 2.6 MB file that inflates to 1.1 GB is a bomb, not an
export), and a table past `MAX_INFLATED_BYTES` or `MAX_FILE_BYTES`: its rows are held. An access
log is exempt from those two size caps, not from the ratio: it is counted per minute as it
streams (`access_logs`), so its size bounds the time taken, never the memory. Text is UTF-8, then
UTF-16 when a BOM says so, then cp1252 (the encoding Excel on Windows writes); which one was used
is recorded for the quality account.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import re
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

from capplan.errors import CapplanError
from capplan.threads import Background

MiB = 1024 * 1024
MAX_INFLATED_BYTES = 2048 * MiB
MAX_GZIP_RATIO = 200
RATIO_CHECK_AFTER = 64 * MiB
HEAD_BYTES = 1 * MiB  # what the sniffers and the column chooser look at
MAX_FILE_BYTES = 4096 * MiB  # on disk: past this no export fits the row caps below
MAX_WHOLE_BYTES = {"xlsx": 256 * MiB, "json": 256 * MiB}  # logs are never held whole
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003)
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


@dataclass(frozen=True, slots=True)
class Source:
    """An input file: where it is, whether it is gzip, its first bytes (inflated) and its hash."""

    path: Path
    gzip: bool
    head: bytes
    size: int
    digest: object  # a str, or a `Digest` hashing it

    @property
    def fmt_prefix(self) -> str:
        return "gzip " if self.gzip else ""

    def start_hash(self) -> None:
        """Start hashing the file on a thread now, if it is not already (`Digest`)."""
        if not isinstance(self.digest, str):
            self.digest.start()

    @property
    def sha256(self) -> str:
        if isinstance(self.digest, str):
            return self.digest
        try:  # computed on a thread while the file is read (hashlib releases the GIL)
            return self.digest.result()
        except OSError as exc:
            raise CapplanError(f"{self.path}: cannot be read ({exc.strerror or exc}): check its "
                               "permissions") from exc


class Digest:
    """A file's SHA-256, hashed on a thread from the first `start()`: the reader starts it when
    a core is free (for a table read at once, when its parse ends: the parse uses both cores,
    the main thread's work after it only one). `result()` starts it if no one has."""

    def __init__(self, path: Path):
        self._path = path
        self._job: Background | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._job is None:
                self._job = Background(_sha256_of, self._path)

    def result(self) -> str:
        self.start()
        return self._job.result()


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(4 * MiB):
            digest.update(chunk)
    return digest.hexdigest()


def open_source(path: Path) -> Source:
    """Check the path and read its first `HEAD_BYTES` (inflated when gzip); its hash is started
    by the reader (`Digest`)."""
    if not path.exists():
        raise CapplanError(f"{path}: no such file: check the path")
    if path.is_dir():
        raise CapplanError(f"{path}: is a folder, not a file: give the traffic export's path")
    if not path.is_file():
        raise CapplanError(f"{path}: is not a regular file (a device or a pipe): save the export "
                           "to a file and give its path")
    try:
        with path.open("rb") as fh:
            is_gzip = fh.read(2) == GZIP_MAGIC
        size = path.stat().st_size
        src = Source(path, is_gzip, b"", size, "")
        with open_stream(src, capped=False) as fh:  # the head is capped by what is read
            head = fh.read(HEAD_BYTES)
        if src.size > MAX_FILE_BYTES and not _log_head(path, head):
            raise CapplanError(f"{path}: is over {MAX_FILE_BYTES // MiB:,} MiB, capplan's limit "
                               "for an input other than an access log: export a shorter time "
                               "range or a coarser step")
    except OSError as exc:
        raise CapplanError(f"{path}: cannot be read ({exc.strerror or exc}): check its "
                           "permissions") from exc
    return Source(path, is_gzip, head, size, Digest(path))


def _log_head(path: Path, head: bytes) -> bool:
    try:
        return text_family(decode(head, detect_encoding(path, head))) == "log"
    except CapplanError:
        return False


def open_stream(src: Source, capped: bool = True) -> io.BufferedReader:
    """The file's bytes as a stream, inflated when gzip, with the bomb limits enforced: the
    ratio always; the inflated size unless `capped` is False (a reader that holds nothing of
    what it has read: the access-log count)."""
    try:
        raw = src.path.open("rb")
    except OSError as exc:
        raise CapplanError(f"{src.path}: cannot be read ({exc.strerror or exc}): check its "
                           "permissions") from exc
    if not src.gzip:
        return raw
    return io.BufferedReader(_Inflating(src.path, raw, MAX_INFLATED_BYTES if capped else None),
                             buffer_size=MiB)


def read_whole(src: Source, family: str) -> bytes:
    """All the (inflated) bytes, for families that need the whole document, under a cap."""
    cap = MAX_WHOLE_BYTES[family]
    with open_stream(src) as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise CapplanError(f"{src.path}: is over {cap // MiB} MiB{' inflated' if src.gzip else ''}"
                           f", past capplan's limit for a {family} input: export a shorter time "
                           "range or a coarser step, or export CSV")
    return data


class _Inflating(io.RawIOBase):
    """gzip inflated as a stream; refuses bombs and turns corrupt data into one-line errors."""

    def __init__(self, path: Path, raw, max_inflated: int | None) -> None:
        self._path = path
        self._raw = raw
        self._gz = gzip.GzipFile(fileobj=raw, mode="rb")
        self._out = 0
        self._max = max_inflated

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            n = self._gz.readinto(buffer)
        except (EOFError, OSError, zlib.error) as exc:
            raise CapplanError(f"{self._path}: the gzip data is truncated or corrupt ({exc}): "
                               "export the file again or decompress it to check") from exc
        self._out += n
        if self._max is not None and self._out > self._max:
            raise CapplanError(f"{self._path}: inflates past {self._max // MiB:,} MiB, capplan's "
                               "limit for a gzip table: export a shorter time range or a coarser "
                               "step")
        if self._out > RATIO_CHECK_AFTER:
            read = max(self._raw.tell(), 1)
            if self._out / read > MAX_GZIP_RATIO:
                raise CapplanError(
                    f"{self._path}: inflates more than {MAX_GZIP_RATIO}:1 ({self._out // MiB} MiB "
                    f"from its first {read / MiB:.1f} MiB), past capplan's limit for gzip: this "
                    "is a compression bomb, not an export; decompress it yourself to check")
        return n

    def close(self) -> None:
        try:
            self._gz.close()
        finally:
            self._raw.close()
            super().close()


# --------------------------------------------------------------------------------------------
# Text


def detect_encoding(path: Path, head: bytes) -> str:
    """'utf-8-sig' (UTF-8, BOM or not), 'utf-16' (only with a BOM) or 'cp1252'; refuses binaries."""
    for bom, enc in BOMS:
        if head.startswith(bom):
            if enc == "utf-16":
                _check_text(path, head[len(bom):].decode("utf-16-le" if bom == codecs.BOM_UTF16_LE
                                                         else "utf-16-be", errors="replace"))
            return enc
    if b"\x00" in head[:65536]:
        raise CapplanError(f"{path}: looks like a binary file, not CSV/TSV text or an Excel "
                           "workbook: export the series as CSV")
    try:
        # The head may end inside a multi-byte character: decode it as an unfinished stream.
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        enc = "utf-8-sig"
    except UnicodeDecodeError:
        text = head.decode("cp1252", errors="replace")
        enc = "cp1252"
    _check_text(path, text)
    return enc


def _check_text(path: Path, text: str) -> None:
    sample = text[:65536]
    if sample and len(_CONTROL.findall(sample)) / len(sample) > 0.05:
        raise CapplanError(f"{path}: looks like a binary file, not CSV/TSV text: export the "
                           "series as CSV")


def decode(data: bytes, encoding: str) -> str:
    """Bytes to text with line ends made LF; bytes cp1252 leaves undefined become U+FFFD."""
    if encoding == "utf-8-sig":  # the same text; the plain codec is loaded already
        encoding, data = "utf-8", data[3:] if data.startswith(codecs.BOM_UTF8) else data
    text = data.decode(encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        # Old-Mac CR-only and Windows CRLF line ends both become LF.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def utf8_lines(stream, encoding: str, head: bytes):
    """A byte stream as UTF-8 with LF line ends, for the access-log count (its patterns are
    bytes, and start at a newline). UTF-8 and cp1252 files with LF or CRLF ends are the stream
    itself: a log's times are ASCII in either, and this is the fast path for gigabytes. A BOM,
    UTF-16, or old-Mac CR-only line ends go through `_Utf8Lines`."""
    cr_only = b"\r" in head and b"\n" not in head
    if encoding == "utf-16" or cr_only or head.startswith(codecs.BOM_UTF8):
        return _Utf8Lines(stream, encoding)
    return stream


class _Utf8Lines:
    """Decoded block by block, line ends made LF (a CR at a block's end waits for the next
    block, which may start with its LF), encoded as UTF-8; `read` is all the log count needs."""

    def __init__(self, stream, encoding: str) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._cr = False

    def read(self, size: int) -> bytes:
        while True:
            data = self._stream.read(size)
            text = ("\r" if self._cr else "") + self._decoder.decode(data, final=not data)
            self._cr = bool(data) and text.endswith("\r")
            if self._cr:
                text = text[:-1]
            if text or not data:
                return text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")


def encoding_note(encoding: str) -> str | None:
    if encoding == "utf-16":
        return "text decoded as UTF-16 (the file starts with a UTF-16 byte-order mark)"
    if encoding == "cp1252":
        return ("text decoded as Windows-1252 (cp1252): the file is not valid UTF-8; check any "
                "accented names")
    return None


# --------------------------------------------------------------------------------------------
# Which family


def _xlsx(path: Path, head: bytes) -> bool:
    return head[:4] == ZIP_MAGIC or path.suffix.lower() in (".xlsx", ".xlsm")


def family(src: Source) -> str:
    """'xlsx', 'xls', or 'text' (delimited, JSON and logs are told apart from the decoded head)."""
    suffix = src.path.suffix.lower()
    if _xlsx(src.path, src.head):
        return "xlsx"
    if suffix == ".xls" or src.head[:8] == OLE_MAGIC:
        return "xls"
    return "text"


def is_workbook(path: str | Path) -> bool:
    """Whether a path is an Excel workbook by the rule `family` applies (suffix or zip magic),
    from four bytes; False when it cannot be read (its reader then says why)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return _xlsx(path, fh.read(4))
    except OSError:
        return _xlsx(path, b"")


def text_family(text_head: str) -> str:
    """'json', 'log' or 'delimited' from the first characters and lines of decoded text."""
    from capplan.ingest.log_formats import detect_log_format  # not the counting (access_logs)

    if detect_log_format(text_head) is not None:
        return "log"
    if text_head.lstrip()[:1] in ("{", "["):
        return "json"
    return "delimited"


# Kept for callers outside the package (usl.read_load_test): whole-file helpers.


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise CapplanError(f"{path}: no such file: check the path")
    if path.is_dir():
        raise CapplanError(f"{path}: is a folder, not a file: give the traffic export's path")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CapplanError(f"{path}: cannot be read ({exc.strerror}): check its "
                           "permissions") from exc


def _decode(path: Path, data: bytes) -> str:
    return decode(data, detect_encoding(path, data[:HEAD_BYTES]))
