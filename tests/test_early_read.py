"""The early whole-file read (`delimited.start_early_read`): the parse starts before pandas is
first imported and before the columns are chosen, and what it gives is what the read of the
chosen columns alone gives, whatever goes wrong in a column that was not chosen."""
import json
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.errors import CapplanError
from capplan.ingest import delimited, dialect, list_series, read_traffic

N = 5000  # rows: more than the 2000-row sample, so a bad row can sit past it


def write(path, rows, header="timestamp,value,note"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def minutes(n=N):
    return [f"{t:%Y-%m-%dT%H:%M:%SZ}" for t in pd.date_range("2025-03-01", periods=n,
                                                            freq="min")]


def both(path, monkeypatch, **kw):
    """The read with the early read, then without it (the columns chosen, then read)."""
    calls = []
    real = delimited._read_at_once
    monkeypatch.setattr(delimited, "_read_at_once",
                        lambda *a: calls.append(tuple(a[2])) or real(*a))
    early = read_traffic(path, **kw)
    with monkeypatch.context() as m:
        m.setattr(delimited, "EARLY_MAX_COLUMNS", 0)
        late = read_traffic(path, **kw)
    return early, late, calls


def test_the_early_read_is_taken_and_equal(tmp_path, monkeypatch):
    values = np.arange(N) % 97 + 1.5
    rows = [f"{t},{v},x{i}" for i, (t, v) in enumerate(zip(minutes(), values))]
    rows.insert(3000, "2025-03-03T02:00:30Z,1,a,b")  # one field too many: dropped, line 3002
    early, late, calls = both(write(tmp_path / "t.csv", rows), monkeypatch)
    # every column at once, early; then the chosen two in the read without it
    assert calls == [("timestamp", "value", "note"), ("timestamp", "value")]
    pd.testing.assert_series_equal(early.rate, late.rate, check_exact=True)
    assert early.quality == late.quality
    assert early.rate.to_numpy().tolist() == values.tolist()
    (dropped,) = early.quality.dropped
    assert dropped.count == 1 and dropped.first_lines == (3002,)


def test_a_column_not_chosen_that_fails_late_is_not_the_read_s_error(tmp_path, monkeypatch):
    # "note" is a number in the sample and text at row 4000: the early read of every column
    # fails; the chosen columns are read again and nothing is lost.
    rows = [f"{t},{i},{i % 7}" for i, t in enumerate(minutes())]
    rows[4000] = rows[4000].rsplit(",", 1)[0] + ",n/a here"
    early, late, calls = both(write(tmp_path / "t.csv", rows), monkeypatch)
    assert calls == [("timestamp", "value", "note"), ("timestamp", "value"),
                     ("timestamp", "value")]
    pd.testing.assert_series_equal(early.rate, late.rate, check_exact=True)
    assert len(early.rate) == N and early.quality.rows_dropped == 0


def test_a_chosen_column_that_fails_late_is_read_as_text_as_before(tmp_path, monkeypatch):
    rows = [f"{t},{i}" for i, t in enumerate(minutes())]
    rows[4000] = rows[4000].split(",")[0] + ",oops"
    early, late, _ = both(write(tmp_path / "t.csv", rows, "timestamp,value"), monkeypatch)
    pd.testing.assert_series_equal(early.rate, late.rate, check_exact=True)
    assert early.quality == late.quality
    assert len(early.rate) == N - 1  # the row that is not a number is dropped and counted
    assert early.quality.rows_dropped == 1


def test_no_early_read_past_four_columns_or_for_gzip(tmp_path, monkeypatch):
    calls = []
    real = delimited._read_at_once
    monkeypatch.setattr(delimited, "_read_at_once",
                        lambda *a: calls.append(tuple(a[2])) or real(*a))
    rows = [f"{t},{i},1,2,3" for i, t in enumerate(minutes(100))]
    read_traffic(write(tmp_path / "wide.csv", rows, "timestamp,value,a,b,c"),
                 value_column="value")
    assert calls == [("timestamp", "value")]  # only the chosen columns, after they are chosen


def test_a_failure_before_the_columns_are_chosen_waits_for_the_read(tmp_path, monkeypatch):
    finished = []
    real = delimited._read_at_once

    def slow(*a):
        time.sleep(0.3)
        out = real(*a)
        finished.append(threading.current_thread().name)
        return out

    monkeypatch.setattr(delimited, "_read_at_once", slow)
    path = write(tmp_path / "t.csv", [f"{t},{i},x" for i, t in enumerate(minutes(100))])
    with pytest.raises(CapplanError, match="no column 'when' for --time-column"):
        read_traffic(path, time_column="when")
    assert len(finished) == 1  # the early read had ended before the error reached the caller
    assert list_series(path) == ["value"]  # nothing loaded: the early read is waited for too
    assert len(finished) == 2


def test_in_a_fresh_process_the_parse_starts_before_pandas_is_imported(tmp_path):
    path = write(tmp_path / "t.csv", [f"{t},{i}" for i, t in enumerate(minutes())],
                 "timestamp,value")
    code = f"""
import json, sys
from capplan.ingest import delimited, read_traffic
seen = {{}}
real = delimited._read_at_once
def spy(src, dialect, columns, types, threads=True):
    seen.setdefault("pandas_at_start", "pandas" in sys.modules)
    seen.setdefault("threads", threads)
    return real(src, dialect, columns, types, threads)
delimited._read_at_once = spy
t = read_traffic({str(path)!r})
print(json.dumps({{**seen, "rows": len(t.rate)}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    # pandas not yet imported: one parse thread, so the import keeps the other core
    assert json.loads(out.stdout) == {"pandas_at_start": False, "threads": False, "rows": N}


@pytest.mark.parametrize("fields, header", [
    (["timestamp", "value"], True),
    (["2025-03-01T00:00:00Z", "x"], False),       # ISO, read without pandas
    (["2025-03-01 00:00", "x"], False),
    (["01/03/2025 10:00", "x"], False),           # not ISO: pandas decides, as before
    (["2025-13-01", "x"], True),                  # no 13th month, for either
    (["5xx", "2xx"], True),
    (["95th percentile", "requests"], True),
])
def test_header_detection(fields, header):
    assert dialect._looks_like_header(fields) is header


@settings(max_examples=300, deadline=None)
@given(st.from_regex(dialect._ISO_TIME, fullmatch=True))
def test_what_is_an_iso_time_without_pandas_is_one_to_pandas(cell):
    if dialect._iso_time(cell):
        assert dialect._pandas_time(cell)
