"""The input's SHA-256 (the appendix's hash): started by the reader when a core is free, never
missing and always the file's, whichever reader ran and whether or not anyone started it."""
import gzip
import hashlib

import pytest

from capplan.ingest import read_traffic
from capplan.ingest.sniff import Digest

ROWS = "".join(f"2024-01-01T{h:02d}:00:00Z,{100 + h}\n" for h in range(24))


def test_a_digest_nobody_started_is_computed_when_asked(tmp_path):
    f = tmp_path / "a.bin"
    f.write_bytes(b"capplan" * 1000)
    d = Digest(f)
    assert d.result() == hashlib.sha256(b"capplan" * 1000).hexdigest()
    d.start()  # a second start is a no-op: one thread, one answer
    assert d.result() == hashlib.sha256(b"capplan" * 1000).hexdigest()


@pytest.mark.parametrize("name,data", [
    ("plain.csv", ("time,value\n" + ROWS).encode()),  # read at once: hashed after its parse
    ("zipped.csv.gz", gzip.compress(("time,value\n" + ROWS).encode(), mtime=0)),  # streamed
    ("many.csv", ("time,value,a,b,c\n" + ROWS.replace("\n", ",1,2,3\n")).encode()),
])
def test_the_traffic_source_carries_the_files_own_hash(tmp_path, name, data):
    f = tmp_path / name
    f.write_bytes(data)
    t = read_traffic(f, value_column="value")
    assert t.source.sha256 == hashlib.sha256(data).hexdigest()
