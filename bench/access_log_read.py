"""Read rate of a gzipped access log: capplan against `zcat FILE | wc -l` on the same file, in the
same run. Targets (issue 11): peak RSS under 1 GB, time within 3x of zcat | wc -l.

    .venv/bin/python bench/access_log_read.py                # 1 GB gzipped ALB log in /tmp
    .venv/bin/python bench/access_log_read.py --gb 0.1       # a quick run
    .venv/bin/python bench/access_log_read.py --file X.gz    # an existing log

The log is generated here (AWS ALB lines, the documented field layout, varied addresses, paths,
statuses and agents; one request every ~10 ms on average) and piped through `gzip -6`; it is
kept in /tmp between runs (`--fresh` writes it again) and never committed. capplan reads it in a
child process so its peak RSS (from wait4) is its own. Figures depend on the machine and on what
else runs on it: quote them with this command.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

AGENTS = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 "
          "Safari/537.36", "curl/8.5.0", "okhttp/4.12.0", "Go-http-client/2.0",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15"]
PATHS = ["/", "/api/cart", "/api/search?q=lamp", "/static/app.js", "/login", "/api/items/4711",
         "/img/logo.png", "/api/checkout", "/health"]


def generate(path: Path, gigabytes: float, seed: int = 1) -> tuple[int, int]:
    """Write a gzipped ALB log of about `gigabytes` compressed; returns (lines, inflated bytes).
    Each line's fields after the time come from a pool of 200,000 varied lines (far wider than
    gzip's 32 KB window, so the compression ratio stays that of real logs); times advance by
    exponential gaps (mean 10 ms)."""
    import numpy as np

    rng = random.Random(seed)
    gen = np.random.default_rng(seed)
    pool = []
    for _ in range(200_000):
        status = rng.choice((200, 200, 200, 200, 304, 404, 502))
        tgt = f"10.0.{rng.randint(1, 4)}.{rng.randint(10, 99)}:8080"
        pool.append(
            f' app/shop-web/50dc6c495c0c9188 203.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}:'
            f'{rng.randint(1024, 65535)} {tgt} 0.000 {rng.random() * 0.3:.3f} 0.000 {status} '
            f'{status} {rng.randint(100, 900)} {rng.randint(200, 9000)} "GET '
            f'https://shop.example.com:443{rng.choice(PATHS)} HTTP/1.1" "{rng.choice(AGENTS)}" '
            'ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:'
            '123456789012:targetgroup/shop-web/73e2d6bc24d8a067 '
            f'"Root=1-{rng.getrandbits(32):08x}-{rng.getrandbits(96):024x}" "shop.example.com" '
            '"arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234" 0 - "forward" "-" '
            f'"-" "{tgt}" "{status}" "-" "-" TID_{rng.getrandbits(64):016x}\n')
    target = int(gigabytes * 1e9)
    t_us = np.int64(1714986000) * 1_000_000  # 2024-05-06 09:00 UTC
    lines = inflated = 0
    batch = 100_000
    with path.open("wb") as out:
        gz = subprocess.Popen(["gzip", "-6", "-c"], stdin=subprocess.PIPE, stdout=out)
        while True:
            gaps = gen.exponential(10_000, batch).astype(np.int64)
            stamps = t_us + np.cumsum(gaps)
            t_us = stamps[-1]
            text = np.datetime_as_string(stamps.astype("datetime64[us]"), unit="us")
            picks = gen.integers(0, len(pool), batch)
            data = "".join(f"https {ts}Z{pool[i]}" for ts, i in zip(text.tolist(),
                                                                   picks.tolist())).encode()
            gz.stdin.write(data)
            lines += batch
            inflated += len(data)
            if lines % 2_000_000 == 0 and path.stat().st_size >= target:
                break
        gz.stdin.close()
        gz.wait()
    return lines, inflated


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB of the child, its stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"{cmd[0]} failed with {proc.returncode}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=1.0, help="compressed size to generate")
    ap.add_argument("--file", type=Path, help="an existing gzipped access log instead")
    ap.add_argument("--fresh", action="store_true", help="write the generated log again")
    ap.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    path = args.file or Path(f"/tmp/capplan-bench-alb-{args.gb:g}gb.log.gz")
    if args.generate_only:
        generate(path, args.gb)
        return
    if args.file is None and (args.fresh or not path.exists()):
        # In a child process: a child forked from a parent that held the generator's pool would
        # start with the parent's peak RSS, and wait4 would report that instead of capplan's.
        t = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--gb", str(args.gb), "--generate-only"],
                       check=True)
        print(f"generated {path} in {time.perf_counter() - t:.0f} s")
    size = path.stat().st_size

    zcat_s, _, out = timed(["sh", "-c", f"zcat '{path}' | wc -lc"])
    lines, inflated = (int(v) for v in out.split())
    code = ("import sys; from capplan.ingest import read_traffic; "
            "t = read_traffic(sys.argv[1]); "
            "print(int(round((t.rate * 60).sum())), t.quality.rows_read)")
    cap_s, cap_rss, out = timed([sys.executable, "-c", code, str(path)])
    counted, rows = (int(v) for v in out.split())

    mb = 1e6
    print(f"file: {size / mb:,.0f} MB gzipped, {inflated / mb:,.0f} MB inflated, {lines:,} lines")
    print(f"zcat | wc -l : {zcat_s:6.1f} s  {size / mb / zcat_s:6.1f} MB/s gzipped  "
          f"{inflated / mb / zcat_s:6.1f} MB/s inflated")
    print(f"capplan read : {cap_s:6.1f} s  {size / mb / cap_s:6.1f} MB/s gzipped  "
          f"{inflated / mb / cap_s:6.1f} MB/s inflated  peak RSS {cap_rss:,.0f} MB")
    print(f"ratio capplan / zcat|wc: {cap_s / zcat_s:.2f} (target <= 3); requests counted "
          f"{counted:,} of {rows:,} lines")
    print(f"targets: RSS < 1000 MB {'met' if cap_rss < 1000 else 'MISSED'}; "
          f"within 3x {'met' if cap_s <= 3 * zcat_s else 'MISSED'}")


if __name__ == "__main__":
    main()
