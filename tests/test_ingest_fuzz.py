"""Fuzzed ingest: whatever the file, read_traffic raises nothing but a one-line CapplanError.

Mutated real exports (tests/fuzz_inputs.py): random delimiters, encodings, line ends, huge
numbers, NaN/inf strings, dates outside 1970-2100, duplicate headers, sep= lines, flipped and
truncated bytes, gzip. Fixed seed (derandomize), a few hundred examples, well under a minute.
bench/fuzz_ingest.py runs the same generator for longer.
"""
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capplan.errors import CapplanError
from capplan.ingest import list_series, read_traffic
from fuzz_inputs import FLAG_SETS, hostile_inputs, seeds

SEEDS = seeds()
WORK = Path(tempfile.mkdtemp(prefix="capplan-fuzz-"))


def read_once(suffix: str, data: bytes, flags: dict) -> None:
    p = WORK / f"input{suffix}"
    p.write_bytes(data)
    try:
        t = read_traffic(p, **flags)
    except CapplanError as exc:
        msg = str(exc)
        assert "\n" not in msg and 0 < len(msg) <= 280, msg
        return
    rate = t.rate.to_numpy()
    assert len(rate) >= 2 and t.rate.index.is_monotonic_increasing and t.rate.index.is_unique
    assert (rate >= 0).all() and (rate <= 1e15).all(), "a negative, huge or infinite rate"
    assert t.quality.first.year >= 1970 and t.quality.last.year < 2100


@settings(max_examples=300, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hostile_inputs(SEEDS), st.sampled_from(FLAG_SETS))
def test_read_traffic_raises_only_capplan_error(inp, flags):
    read_once(*inp, flags)


@settings(max_examples=60, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hostile_inputs(SEEDS))
def test_list_series_raises_only_capplan_error(inp):
    suffix, data = inp
    p = WORK / f"list{suffix}"
    p.write_bytes(data)
    try:
        names = list_series(p)
    except CapplanError:
        return
    assert names and all(isinstance(n, str) for n in names)
