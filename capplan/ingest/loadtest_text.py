"""wrk and hey text reports as load-test steps (module `loadtest_tools` dispatches to these).

wrk states its concurrency (`N threads and M connections`); several runs in one file (a shell
loop appending to it) are several steps. hey does not state its concurrency: the file's name does
(hey_c50.txt). Latencies carry their units (us, ms, s, m; hey: secs).
"""

from __future__ import annotations

import re
from pathlib import Path

from capplan.errors import CapplanError
from capplan.ingest.loadtests import Step, concurrency_from_name

_TIME_UNITS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _duration(text: str) -> float:
    m = re.fullmatch(r"\s*([0-9.]+)\s*(us|µs|ms|s|m|h)\s*", text)
    if not m:
        return float("nan")
    return float(m.group(1)) * _TIME_UNITS[m.group(2)]


def wrk(p: Path):
    text = p.read_text(encoding="utf-8", errors="replace")
    runs = [r for r in re.split(r"(?m)^(?=Running )", text) if "Requests/sec:" in r]
    steps = []
    for k, run in enumerate(runs, start=1):
        conn = re.search(r"(\d+) threads and (\d+) connections", run)
        rps = re.search(r"Requests/sec:\s*([0-9.]+)", run)
        if not conn or not rps:
            raise CapplanError(f"{p}: wrk run {k} lacks its 'threads and connections' or "
                               "Requests/sec line: keep wrk's whole output")
        lat = []
        avg = re.search(r"Latency\s+([0-9.]+\s*(?:us|µs|ms|s|m|h))\s", run)
        if avg:
            lat.append(("mean", _duration(avg.group(1))))
        dist = run.split("Latency Distribution", 1)
        if len(dist) == 2:
            for q, value in re.findall(r"(?m)^\s+([0-9.]+)%\s+([0-9.]+\s*(?:us|µs|ms|s|m|h))\s*$",
                                       dist[1]):
                lat.append((f"p{float(q):g}", _duration(value)))
        done = re.search(r"(\d+) requests in ([0-9.]+\s*(?:us|µs|ms|s|m|h))", run)
        errors = 0
        sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                         r"timeout (\d+)", run)
        if sock:
            errors += sum(int(g) for g in sock.groups())
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", run)
        if non2xx:
            errors += int(non2xx.group(1))
        steps.append(Step(float(conn.group(2)), float(rps.group(1)), tuple(lat),
                          requests=int(done.group(1)) if done else None, errors=errors,
                          duration_seconds=_duration(done.group(2)) if done else None,
                          where=f"{p.name}, run {k}" if len(runs) > 1 else p.name))
    return steps, "wrk text", "connections", []


def hey(p: Path):
    text = p.read_text(encoding="utf-8", errors="replace")
    rps = re.search(r"Requests/sec:\s*([0-9.]+)", text)
    if not rps:
        raise CapplanError(f"{p}: the hey output lacks its Requests/sec line: keep hey's whole "
                           "output")
    lat = []
    avg = re.search(r"Average:\s*([0-9.]+) secs", text)
    if avg:
        lat.append(("mean", float(avg.group(1))))
    for q, value in re.findall(r"(?m)^\s*([0-9.]+)% in ([0-9.]+) secs", text):
        lat.append((f"p{float(q):g}", float(value)))
    total = re.search(r"Total:\s*([0-9.]+) secs", text)
    statuses = [(int(c), int(n)) for c, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", text)]
    errors = sum(n for c, n in statuses if c >= 400)
    err_block = text.split("Error distribution:", 1)
    failed = sum(int(n) for n in re.findall(r"(?m)^\s*\[(\d+)\]\s", err_block[1])) \
        if len(err_block) == 2 else 0
    requests = sum(n for _, n in statuses) + failed
    step = Step(concurrency_from_name(p), float(rps.group(1)), tuple(lat),
                requests=requests or None, errors=errors + failed,
                duration_seconds=float(total.group(1)) if total else None, where=p.name)
    return [step], "hey text", "concurrency (from the file name)", []
