"""Access logs: AWS ALB (plain and gzipped), Classic ELB, CloudFront, JSON lines (Caddy, Envoy,
Traefik), counted per minute as a stream.

The samples in tests/data/formats/ were written for these tests from each format's documented
fields (sources in inputs/SOURCES.md). Each expected per-minute count is checked twice: against
the counts the sample was written with (by hand), and against an independent parse of the same
file with pandas.
"""
import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capplan.errors import CapplanError
from capplan.ingest import access_logs, read_traffic
from conftest import run_cli

FORMATS = Path(__file__).parent / "data" / "formats"
T0 = pd.Timestamp("2024-05-06 09:00", tz="UTC")


def per_minute(t):
    counts = (t.rate * 60).round().astype(int)
    assert counts.index[0] == T0 and (counts.index.to_series().diff().dropna()
                                      == pd.Timedelta(minutes=1)).all()
    return counts.tolist()


def pandas_minutes(times: pd.Series) -> list[int]:
    """Independent count: requests per minute from parsed times, idle minutes filled with 0."""
    minutes = pd.to_datetime(times, utc=True).dt.floor("min").value_counts().sort_index()
    grid = pd.date_range(minutes.index[0], minutes.index[-1], freq="min")
    return minutes.reindex(grid, fill_value=0).tolist()


def test_alb_log_plain_and_gzipped():
    plain = read_traffic(FORMATS / "alb_access.log")
    gz = read_traffic(FORMATS / "alb_access.log.gz")
    assert per_minute(plain) == per_minute(gz) == [7, 0, 5, 9]  # an idle minute is a real zero
    assert plain.source.format == "access log (AWS ALB)"
    assert gz.source.format == "gzip access log (AWS ALB)"
    # Line 10 was cut short mid-write: dropped with its line number, not a column-name error.
    (bad,) = plain.quality.dropped
    assert bad.count == 1 and bad.first_lines == (10,) and "AWS ALB" in bad.reason
    # Independent: ALB fields are space-separated with quoted strings; field 2 is the time.
    rows = pd.read_csv(FORMATS / "alb_access.log", sep=" ", header=None, quotechar='"',
                       engine="python", on_bad_lines="skip")
    rows = rows[rows[12].notna()]  # the cut line has no request field
    assert pandas_minutes(rows[1]) == [7, 0, 5, 9]


def test_classic_elb_log_drops_year_995_with_a_reason():
    t = read_traffic(FORMATS / "elb_classic_access.log")
    assert per_minute(t) == [4, 6, 3]
    (old,) = t.quality.dropped
    assert old.reason == "timestamp outside 1970-2100" and old.first_lines == (14,)
    rows = pd.read_csv(FORMATS / "elb_classic_access.log", sep=" ", header=None, quotechar='"')
    assert pandas_minutes(rows[0][rows[0].str.startswith("2024")]) == [4, 6, 3]


def test_cloudfront_standard_log_with_fields_header():
    t = read_traffic(FORMATS / "cloudfront_standard.log")
    assert per_minute(t) == [5, 2, 6] and t.quality.rows_dropped == 0
    assert t.source.format == "access log (CloudFront W3C)"
    assert any("2 blank or header line(s) skipped" in n for n in t.quality.notes)
    rows = pd.read_csv(FORMATS / "cloudfront_standard.log", sep="\t", comment="#", header=None)
    assert pandas_minutes(rows[0] + " " + rows[1]) == [5, 2, 6]


@pytest.mark.parametrize("name,key,expected", [
    ("caddy_access.json.log", "ts", [4, 3]),
    ("envoy_access.json.log", "start_time", [3, 5]),
    ("traefik_access.json.log", "StartUTC", [6, 2]),
])
def test_json_lines_logs(name, key, expected):
    t = read_traffic(FORMATS / name)
    assert per_minute(t) == expected
    assert t.source.format == f"access log (JSON lines, time in {key!r})"
    rows = pd.read_json(FORMATS / name, lines=True, dtype=False)
    times = pd.to_datetime(rows[key], unit="s") if key == "ts" else rows[key]
    assert pandas_minutes(times) == expected


def test_clf_year_995_and_impossible_dates_are_dropped_with_reasons(tmp_path):
    ok = '1.2.3.4 - - [06/May/2024:09:00:0{} +0200] "GET / HTTP/1.1" 200 12\n'
    p = tmp_path / "a.log"
    p.write_text(ok.format(1) + ok.format(2) + ok.format(3)
                 + '5.6.7.8 - - [06/May/0995:09:00:04 +0200] "GET / HTTP/1.1" 200 12\n'
                 + '5.6.7.8 - - [31/Feb/2024:09:00:05 +0200] "GET / HTTP/1.1" 200 12\n'
                 + ok.format(6)
                 + '1.2.3.4 - - [06/May/2024:09:01:00 +0200] "GET / HTTP/1.1" 200 12\n')
    t = read_traffic(p)  # a second minute: capplan needs two samples to infer anything
    reasons = {d.reason: (d.count, d.first_lines) for d in t.quality.dropped}
    assert reasons == {"timestamp outside 1970-2100": (1, (4,)),
                       "unparsable timestamp": (1, (5,))}
    assert per_minute_at(t, "2024-05-06 07:00") == [4, 1]  # +0200: 09:00 local is 07:00 UTC


def per_minute_at(t, start):
    assert t.rate.index[0] == pd.Timestamp(start, tz="UTC")
    return (t.rate * 60).round().astype(int).tolist()


def test_a_log_of_only_year_995_is_one_line_error(tmp_path):
    p = tmp_path / "old.log"
    p.write_text('1.2.3.4 - - [06/May/0995:09:00:01 +0000] "GET / HTTP/1.1" 200 12\n' * 3)
    with pytest.raises(CapplanError, match="3 dated outside 1970-2100, first at line 1"):
        read_traffic(p)


def test_block_boundaries_do_not_change_the_count(monkeypatch):
    # Blocks far smaller than a line force every line across a boundary.
    whole = read_traffic(FORMATS / "alb_access.log")
    monkeypatch.setattr(access_logs, "BLOCK_BYTES", 97)
    small = read_traffic(FORMATS / "alb_access.log.gz")
    assert per_minute(small) == per_minute(whole)
    assert small.quality.dropped == whole.quality.dropped


LOGS = sorted(p for p in FORMATS.glob("*.log"))


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sample=st.sampled_from(LOGS), block=st.integers(40, 3000), cut=st.integers(0, 20000),
       at=st.integers(0, 20000), junk=st.sampled_from([b"", b"\x00\xff\xfe", b"\n\n", b"#",
                                                      b"[32/Jan/2024:00:00:00 +0000]",
                                                      b"0995-01-01T00:00:00Z ", b'{"ts":1e400}',
                                                      b"\t", b"x" * 300]))
def test_mutated_logs_count_every_line_once(monkeypatch, tmp_path, sample, block, cut, at, junk):
    text = sample.read_bytes()
    text = text[:max(1, len(text) - cut % len(text))]
    i = at % len(text)
    text = text[:i] + junk + text[i:]
    p = tmp_path / sample.name
    p.write_bytes(text)
    monkeypatch.setattr(access_logs, "BLOCK_BYTES", block)
    try:
        t = read_traffic(p)
    except CapplanError as exc:
        assert "\n" not in str(exc)
        return
    if "access log" not in t.source.format:
        return  # no longer reads as a log: another reader took it
    counted = int(round((t.rate * 60).sum()))
    assert counted + t.quality.rows_dropped == t.quality.rows_read
    assert t.quality.rows_read <= text.count(b"\n") + 1
    assert (t.rate >= 0).all() and t.rate.index.is_monotonic_increasing


def test_truncated_gzip_log_is_one_line_error_nothing_written(tmp_path):
    p = tmp_path / "alb.log.gz"
    p.write_bytes((FORMATS / "alb_access.log.gz").read_bytes()[:-30])
    with pytest.raises(CapplanError, match="gzip data is truncated or corrupt"):
        read_traffic(p)
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("analyze", p, "--out", out)
    assert code == 2 and stderr.count("\n") == 1 and not out.exists()


def test_json_documents_are_not_mistaken_for_json_lines_logs(tmp_path):
    prom = {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"job": "api"}, "values": [[1700000000, "1"], [1700000060, "2"]]}]}}
    p = tmp_path / "prom.json"
    p.write_text(json.dumps(prom))  # one line, like a minified API response
    assert read_traffic(p).source.format == "Prometheus query_range JSON"


def test_gzip_stream_is_not_read_whole(monkeypatch, tmp_path):
    # A 4 MB log read in 64 KB blocks: the stream is asked for blocks, never for everything.
    lines = (FORMATS / "elb_classic_access.log").read_text().splitlines()
    # Two lines of different minutes: capplan needs two samples to infer anything.
    other = next(ln for ln in lines if ln.startswith("2024") and ln[:16] != lines[0][:16])
    p = tmp_path / "big.log.gz"
    with gzip.open(p, "wt") as fh:
        fh.write((lines[0] + "\n" + other + "\n") * 10_000)
    sizes = []
    real = access_logs.count_log

    def spy(path, stream, fmt, timezone):
        orig = stream.read
        stream_read = (lambda n=-1: sizes.append(n) or orig(n))
        return real(path, _Reader(stream_read), fmt, timezone)

    monkeypatch.setattr(access_logs, "BLOCK_BYTES", 65536)
    monkeypatch.setattr(access_logs, "count_log", spy)
    t = read_traffic(p)
    assert int(round((t.rate * 60).sum())) == 20_000
    assert sizes and all(0 < n <= 65536 for n in sizes)


class _Reader:
    def __init__(self, read):
        self.read = read
