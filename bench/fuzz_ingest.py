"""Longer fuzz of read_traffic than the suite's: how many inputs ran, how many ended as a Traffic,
how many as a one-line CapplanError, and how many escaped as anything else (should be 0).

Same generator as tests/test_ingest_fuzz.py (tests/fuzz_inputs.py); fixed seed, so a run is
reproducible. Run: .venv/bin/python bench/fuzz_ingest.py [--examples 3000] [--seed 1]
"""
import argparse
import collections
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from capplan.errors import CapplanError  # noqa: E402
from capplan.ingest import read_traffic  # noqa: E402
from fuzz_inputs import FLAG_SETS, hostile_inputs, seeds  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="capplan-fuzz-bench-"))
    counts = collections.Counter()
    escaped: list[str] = []
    slowest = [0.0, ""]

    @seed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(hostile_inputs(seeds()), st.sampled_from(FLAG_SETS))
    def run(inp, flags):
        suffix, data = inp
        p = work / f"input{suffix}"
        p.write_bytes(data)
        t = time.perf_counter()
        try:
            read_traffic(p, **flags)
            counts["read"] += 1
        except CapplanError:
            counts["CapplanError"] += 1
        except Exception as exc:  # noqa: BLE001 - the point: count what escapes
            counts["escaped"] += 1
            if len(escaped) < 10:
                escaped.append(f"{type(exc).__name__}: {exc} ({suffix}, {flags}, {len(data)} B)\n"
                               + "".join(traceback.format_exc().splitlines(True)[-4:]))
        el = time.perf_counter() - t
        if el > slowest[0]:
            slowest[:] = [el, f"{suffix}, {len(data):,} B, {flags}"]

    start = time.perf_counter()
    run()
    total = sum(counts.values())
    print(f"ran {total:,} inputs in {time.perf_counter() - start:.1f} s (seed {args.seed}): "
          f"{counts['read']:,} read, {counts['CapplanError']:,} refused with a CapplanError, "
          f"{counts['escaped']:,} escaped")
    print(f"slowest input: {slowest[0]:.2f} s ({slowest[1]})")
    for e in escaped:
        print("ESCAPED", e)
    sys.exit(1 if counts["escaped"] else 0)


if __name__ == "__main__":
    main()
