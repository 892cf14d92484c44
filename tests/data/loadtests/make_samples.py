"""Writes the load-test samples in this folder (run from here: python make_samples.py).

Each file recreates a tool's documented output format (sources in inputs/SOURCES.md) with
content written here: a service whose throughput follows the USL with sigma = 0.05,
kappa = 0.002 and lambda = 2 req/s per unit of concurrency (so X(N) rises to N* ~ 22 and falls
after), latency by Little's Law N / X(N), seeded noise. The tests work their expected numbers out
from the files themselves (pandas) and check them against these design values.
"""

import json
import random
from pathlib import Path

SIGMA, KAPPA, LAM = 0.05, 0.002, 2.0
HERE = Path(__file__).parent
START_MS = 1714986000000  # 2024-05-06 09:00:00 UTC


def x_of(n):
    return LAM * n / (1 + SIGMA * (n - 1) + KAPPA * n * (n - 1))


def jmeter():
    """Stepping thread group: levels held 30 s, threads added one a second in between; a
    warm-up thread group first; the last level returns 500s for 8% of its samples."""
    rng = random.Random(1)
    head = ("timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
            "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect")
    rows, t = [head], START_MS
    plan = [("Warm-up", 4, 20)]
    levels = [1, 2, 4, 8, 16, 24, 32, 40]
    prev = 0
    for n in levels:
        for ramp in range(prev + 1, n):  # one second per added thread
            plan.append(("Stepping Thread Group", ramp, 1))
        plan.append(("Stepping Thread Group", n, 30))
        prev = n
    for group, n, hold in plan:
        x = x_of(n)
        count = max(1, round(x * hold))
        for i in range(count):
            start = t + round(i * 1000 / x)
            elapsed = max(1, round(rng.expovariate(1 / (n / x * 1000))))
            fail = group != "Warm-up" and n == 40 and rng.random() < 0.08
            code, msg = ("500", "Internal Server Error") if fail else ("200", "OK")
            label = rng.choice(["GET /api/cart", "GET /api/search", "POST /api/checkout"])
            thread = f"{group} 1-{rng.randint(1, n)}"
            failure = '"The operation lasted too long, or: status 500, see body"' if fail else ""
            rows.append(f"{start},{elapsed},{label},{code},{msg},{thread},text,"
                        f"{'false' if fail else 'true'},{failure},{rng.randint(900, 2100)},"
                        f"{rng.randint(200, 500)},{n},{n},https://shop.example.com"
                        f"{label.split()[1]},{max(0, elapsed - 1)},0,{rng.randint(0, 3)}")
        t += hold * 1000
    (HERE / "jmeter_stepping.jtl").write_text("\n".join(rows) + "\n")


def k6_csv():
    """ramping-vus stages: hold 12 s at each level, one second between levels; vus sampled
    every second; per request http_reqs, http_req_duration (ms), http_req_failed."""
    rng = random.Random(2)
    cols = ("metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,"
            "method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,"
            "metadata")
    rows = [cols]
    t = START_MS // 1000
    levels = [1, 2, 4, 8, 16, 32]
    seq = []
    for k, n in enumerate(levels):
        if k:
            seq.append((levels[k - 1] + n) // 2)  # the ramp second between two levels
        seq += [n] * 12
    url = "https://shop.example.com/api/cart"
    tags = f"true,,GET,{url},HTTP/1.1,ramp,,200,,tls1.3,{url},,"
    done = 0.0  # requests so far, fractional: each second makes the whole ones due by then
    for sec, n in enumerate(seq):
        now = t + sec
        rows.append(f"vus,{now},{n:.6f},,,,,,,,,,,,,,,,")
        rows.append(f"vus_max,{now},40.000000,,,,,,,,,,,,,,,,")
        reqs = int(done + x_of(n)) - int(done)
        done += x_of(n)
        for _ in range(reqs):
            dur = rng.expovariate(1 / (n / x_of(n) * 1000))
            failed = n == 32 and sec == len(seq) - 3 and _ == 0  # one 503, under 1%
            status = "503" if failed else "200"
            tag = tags.replace(",200,", f",{status},")
            rows.append(f"http_reqs,{now},1.000000,,,,{tag}")
            rows.append(f"http_req_duration,{now},{dur:.6f},,,,{tag}")
            rows.append(f"http_req_blocked,{now},{rng.random() * 0.01:.6f},,,,{tag}")
            rows.append(f"http_req_failed,{now},{1 if failed else 0:.6f},,,,{tag}")
        rows.append(f"iterations,{now},{reqs:.6f},,,,,,,,,ramp,,,,,,,")
    (HERE / "k6_ramping.csv").write_text("\n".join(rows) + "\n")


def locust_history():
    """Locust --csv: rows every second per endpoint and 'Aggregated'; users spawned 4 a second
    up to each level, held 40 s; cumulative totals and rolling-window percentiles (ms)."""
    rng = random.Random(3)
    pcts = ["50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"]
    head = (["Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s"] + pcts +
            ["Total Request Count", "Total Failure Count", "Total Median Response Time",
             "Total Average Response Time", "Total Min Response Time", "Total Max Response Time",
             "Total Average Content Size"])
    rows = [",".join(f'"{h}"' for h in head)]
    t = START_MS // 1000
    users, total, fails, total_ms = 0, 0, 0, 0.0
    for level in [5, 10, 20, 30, 40, 60]:
        seconds = []
        while users < level:
            users = min(level, users + 4)
            seconds.append(users)
        seconds += [level] * 40
        for u in seconds:
            x = x_of(u)
            r = u / x * 1000
            got = int(round(x * rng.uniform(0.97, 1.03)))
            total += got
            fails += 1 if rng.random() < 0.02 else 0
            total_ms += got * r
            avg = total_ms / total
            window = [round(r * f) for f in (0.7, 0.85, 0.95, 1.0, 1.5, 2.0, 2.6, 3.1, 4.5, 5.0,
                                             5.2)]
            for name, typ in (("/api/cart", "GET"), ("Aggregated", "")):
                rows.append(",".join(str(v) for v in [
                    t, u, f'"{typ}"', f'"{name}"', f"{x:.2f}", "0.00", *window, total, fails,
                    round(r), f"{avg:.3f}", 1, round(r * 6), 1532]))
            t += 1
    (HERE / "locust_stats_history.csv").write_text("\n".join(rows) + "\n")


def folders():
    """wrk (one file with a run per connection count), hey (one file per concurrency, named by
    it), k6 summary JSON and Locust stats.csv (one per run, named by the user count)."""
    levels = [1, 2, 4, 8, 16, 32]
    wrk = []
    for n in levels:
        x, r = x_of(n) * 50, n / (x_of(n) * 50)
        wrk.append(
            f"Running 30s test @ http://shop.example.com/api/cart\n"
            f"  {min(n, 4)} threads and {n} connections\n"
            f"  Thread Stats   Avg      Stdev     Max   +/- Stdev\n"
            f"    Latency   {r * 1000:.2f}ms    {r * 300:.2f}ms  {r * 4000:.2f}ms   81.20%\n"
            f"    Req/Sec    {x / min(n, 4):.2f}     {x / 40:.2f}   {x / 3:.2f}     70.10%\n"
            f"  Latency Distribution\n"
            f"     50%  {r * 900:.2f}ms\n     75%  {r * 1200:.2f}ms\n"
            f"     90%  {r * 1700:.2f}ms\n     99%    {r * 3.1:.2f}s\n"
            f"  {round(x * 30)} requests in 30.00s, {x * 30 * 1.6 / 1e3:.2f}MB read\n"
            + (f"  Socket errors: connect 0, read {n // 8}, write 0, timeout 0\n" if n >= 16
               else "")
            + f"Requests/sec:   {x:.2f}\nTransfer/sec:    {x * 1.6 / 1e3:.2f}MB\n")
    (HERE / "wrk_runs.txt").write_text("\n".join(wrk))
    hey = HERE / "hey"
    hey.mkdir(exist_ok=True)
    for n in levels:
        x, r = x_of(n) * 40, n / (x_of(n) * 40)
        total = round(x * 20)
        (hey / f"hey_c{n}.txt").write_text(
            f"\nSummary:\n  Total:\t20.0012 secs\n  Slowest:\t{r * 5:.4f} secs\n"
            f"  Fastest:\t{r / 5:.4f} secs\n  Average:\t{r:.4f} secs\n"
            f"  Requests/sec:\t{x:.4f}\n  \n  Total data:\t{total * 612} bytes\n"
            f"  Size/request:\t612 bytes\n\nResponse time histogram:\n"
            f"  {r / 5:.3f} [{total // 2}]\t|■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■\n"
            f"  {r * 5:.3f} [{total - total // 2}]\t|■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■\n\n\n"
            f"Latency distribution:\n  10% in {r * 0.4:.4f} secs\n  25% in {r * 0.6:.4f} secs\n"
            f"  50% in {r * 0.9:.4f} secs\n  75% in {r * 1.2:.4f} secs\n"
            f"  90% in {r * 1.7:.4f} secs\n  95% in {r * 2.2:.4f} secs\n"
            f"  99% in {r * 3.2:.4f} secs\n\nDetails (average, fastest, slowest):\n"
            f"  DNS+dialup:\t0.0001 secs, {r / 5:.4f} secs, {r * 5:.4f} secs\n"
            f"  DNS-lookup:\t0.0000 secs, 0.0000 secs, 0.0012 secs\n"
            f"  req write:\t0.0000 secs, 0.0000 secs, 0.0009 secs\n"
            f"  resp wait:\t{r * 0.98:.4f} secs, {r / 5:.4f} secs, {r * 5:.4f} secs\n"
            f"  resp read:\t0.0000 secs, 0.0000 secs, 0.0021 secs\n\n"
            f"Status code distribution:\n  [200]\t{total} responses\n"
            + ("\nError distribution:\n  [3]\tGet \"http://shop.example.com/api/cart\": dial tcp "
               "10.0.1.5:80: connect: connection refused\n" if n == 32 else ""))
    k6 = HERE / "k6_summaries"
    k6.mkdir(exist_ok=True)
    for n in levels:
        x, r = x_of(n) * 30, n / (x_of(n) * 30) * 1000
        doc = {"root_group": {"name": "", "path": "", "id": "d41d8cd98f00b204e9800998ecf8427e",
                              "groups": [], "checks": []},
               "metrics": {
                   "http_reqs": {"type": "counter", "contains": "default",
                                 "values": {"count": round(x * 60), "rate": x}},
                   "http_req_duration": {"type": "trend", "contains": "time",
                                         "values": {"avg": r, "min": r / 4, "med": r * 0.9,
                                                    "max": r * 6, "p(90)": r * 1.7,
                                                    "p(95)": r * 2.2}},
                   "http_req_failed": {"type": "rate", "contains": "default",
                                       "values": {"rate": 0.0, "passes": 0,
                                                  "fails": round(x * 60)}},
                   "vus": {"type": "gauge", "contains": "default",
                           "values": {"value": n, "min": n, "max": n}},
                   "vus_max": {"type": "gauge", "contains": "default",
                               "values": {"value": n, "min": n, "max": n}}},
               "state": {"isStdOutTTY": False, "isStdErrTTY": False,
                         "testRunDurationMs": 60012.5}}
        (k6 / f"summary_vus{n}.json").write_text(json.dumps(doc, indent=2))
    loc = HERE / "locust_runs"
    loc.mkdir(exist_ok=True)
    for n in [5, 10, 20, 30, 40, 60]:
        x, r = x_of(n), n / x_of(n) * 1000
        count = round(x * 120)
        head = ('"Type","Name","Request Count","Failure Count","Median Response Time",'
                '"Average Response Time","Min Response Time","Max Response Time",'
                '"Average Content Size","Requests/s","Failures/s","50%","66%","75%","80%",'
                '"90%","95%","98%","99%","99.9%","99.99%","100%"')
        pct = [round(r * f) for f in (0.9, 1.0, 1.1, 1.2, 1.6, 2.1, 2.7, 3.2, 4.6, 5.1, 5.3)]
        rows = [head]
        for typ, name in (('"GET"', '"/api/cart"'), ('""', '"Aggregated"')):
            rows.append(",".join(str(v) for v in [typ, name, count, 0, round(r * 0.9), f"{r:.2f}",
                                                  1, round(r * 6), 1532, f"{x:.4f}", "0.0000",
                                                  *pct]))
        (loc / f"users_{n}_stats.csv").write_text("\n".join(rows) + "\n")
    (HERE / "connections_rps.csv").write_text(
        "connections,requests_per_sec\n" + "".join(f"{n},{x_of(n) * 100:.1f}\n"
                                                   for n in levels))


if __name__ == "__main__":
    jmeter()
    k6_csv()
    locust_history()
    folders()
