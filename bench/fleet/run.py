"""Benchmark: `capplan fleet` on N services (default 10,000), two years of daily peaks each.

Prints: the per-service path on one core split into stages (read, analyze, growth, plan, JSON;
median and p95 over a sample), the whole per-service call; the wall time of the sample with
--jobs 1 and --jobs 2 (the scaling); the full run with --jobs 2 (services/s, peak RSS of the
process tree); the same on a Dask LocalCluster of 2 workers and its overhead; statsforecast's
AutoETS over the same N daily-peak series from the peers' own venv (bench/.peers-venv, made here
when missing: statsforecast pins pandas<3 and is never a capplan dependency). Timings on a shared
machine are noisy: the load average is printed before and after.

Run:  .venv/bin/python bench/fleet/run.py --services 10000       (about 20-40 min on 2 cores)
      .venv/bin/python bench/fleet/run.py --services 300 --sample 60   (a few minutes)
Data: bench/results/fleet/services-N/ (made by make_series.py, fixed seed; gitignored).
"""
import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # as the fleet's workers run: one BLAS thread

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RESULTS = ROOT / "bench" / "results" / "fleet"
PEERS = ROOT / "bench" / ".peers-venv"
sys.path.insert(0, str(HERE))

from make_series import make  # noqa: E402


def pct(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def stage_times(folder: Path, k: int) -> dict:
    """Each stage of the per-service path, in this process (one core), over k services."""
    import zlib

    from capplan.config import read_config
    from capplan.fleet import FleetSettings, ServiceTask
    from capplan.fleet.worker import compact_json, plan_service, summarize
    from capplan.growth import forecast_peaks
    from capplan.ingest import read_traffic
    from capplan.load import analyze_load
    from capplan.outputs.report import plan_json
    from capplan.pipeline import ForecastResult, Settings, _capacity, load_events
    from capplan.plan import build_plan

    stages = {s: [] for s in ("read", "analyze", "growth", "plan", "json", "whole call",
                              "whole call, CPU")}
    settings = FleetSettings()
    for i in range(k + 3):
        name = f"svc{i:05d}"
        csv, toml = folder / f"{name}.csv", folder / f"{name}.toml"
        s = Settings.from_dict(read_config(toml) if toml.exists() else {})
        t0 = time.perf_counter()
        traffic = read_traffic(csv)
        t1 = time.perf_counter()
        load = analyze_load(traffic)
        t2 = time.perf_counter()
        fc = forecast_peaks(load.daily_peaks, s.months, worst_quantile=s.worst_quantile)
        t3 = time.perf_counter()
        capacity, usl, fleet = _capacity(s, load.planning_peak.value)
        plan = build_plan(start=fc.start.date(), planning_peak=load.planning_peak.value,
                          capacity=capacity, forecast=fc, events=load_events(s), months=s.months,
                          lead_time_days=s.lead_time, cost_per_instance=s.cost_per_instance)
        t4 = time.perf_counter()
        doc = plan_json(ForecastResult(traffic, load, plan, usl, fleet, None))
        zlib.compress(compact_json(doc), 1)
        summarize(doc)
        t5 = time.perf_counter()
        task = ServiceTask(name=name, path=str(csv), config=str(toml) if toml.exists() else None)
        t6, c6 = time.perf_counter(), time.process_time()
        result, _ = plan_service(task, settings)
        t7, c7 = time.perf_counter(), time.process_time()
        assert result.ok, result.error
        if i < 3:
            continue  # warm-up: first calls fill caches
        for key, v in (("read", t1 - t0), ("analyze", t2 - t1), ("growth", t3 - t2),
                       ("plan", t4 - t3), ("json", t5 - t4), ("whole call", t7 - t6),
                       ("whole call, CPU", c7 - c6)):
            stages[key].append(v)
    return stages


class TreeRSS:
    """Peak RSS of a process and all its descendants (sum), sampled every 0.2 s."""

    def __init__(self, pid: int):
        import psutil

        self.proc = psutil.Process(pid)
        self.peak_sum = self.peak_one = 0
        self.cpu: dict[int, float] = {}  # pid -> user + system seconds, last seen
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        import psutil

        while not self.done:
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                rss = []
                for p in procs:
                    try:
                        rss.append(p.memory_info().rss)
                        t = p.cpu_times()
                        self.cpu[p.pid] = t.user + t.system
                    except psutil.Error:
                        pass
                self.peak_sum = max(self.peak_sum, sum(rss))
                self.peak_one = max(self.peak_one, max(rss, default=0))
            except psutil.Error:
                pass
            time.sleep(0.2)

    def stop(self):
        self.done = True
        self.thread.join()


def run_cli(args: list, out: Path) -> dict:
    exe = Path(sys.executable).with_name("capplan")
    t = time.perf_counter()
    p = subprocess.Popen([str(exe), "fleet", *map(str, args), "--no-report", "--quiet",
                          "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    rss = TreeRSS(p.pid)
    so, se = p.communicate()
    rss.stop()
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"capplan fleet {args} exited {p.returncode}: {se.decode()[-500:]}")
    digest = hashlib.sha256((out / "fleet.json").read_bytes()).hexdigest()
    return {"wall": wall, "cpu": sum(rss.cpu.values()), "peak_rss_sum": rss.peak_sum,
            "peak_rss_one": rss.peak_one,
            "fleet_json_sha256": digest, "fleet_json_bytes": (out / "fleet.json").stat().st_size}


def subset(folder: Path, k: int) -> Path:
    sub = folder.parent / f"{folder.name}-first{k}"
    sub.mkdir(exist_ok=True)
    for i in range(k):
        for suffix in (".csv", ".toml"):
            src = folder / f"svc{i:05d}{suffix}"
            dst = sub / src.name
            if src.exists() and not dst.exists():
                dst.symlink_to(src)
    return sub


def peers_python() -> Path:
    py = PEERS / "bin" / "python"
    if not py.exists():
        print(f"making {PEERS} (statsforecast, pandas<3) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        subprocess.run([str(PEERS / "bin" / "pip"), "install", "-q",
                        "--disable-pip-version-check", "pandas<3", "python-dateutil<3",
                        "statsforecast"], check=True)
    return py


def mb(b):
    return f"{b / 2**20:,.0f} MB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--services", type=int, default=10_000)
    ap.add_argument("--sample", type=int, default=200, help="services for the one-core stage "
                    "timing and the --jobs 1 -> 2 scaling")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--no-peers", action="store_true")
    a = ap.parse_args()
    n, k = a.services, min(a.sample, a.services)
    load0 = os.getloadavg()
    figures = {"services": n, "sample": k, "load_before": load0, "cores": os.cpu_count()}
    folder = make(RESULTS / f"services-{n}", n)
    print(f"{n:,} services in {folder}; load average {load0[0]:.1f} {load0[1]:.1f} "
          f"{load0[2]:.1f} on {os.cpu_count()} cores", flush=True)

    st = stage_times(folder, k)
    figures["stages"] = {s: {"median": statistics.median(v), "p95": pct(v, 0.95)}
                         for s, v in st.items()}
    print(f"\nper-service path, one core, {k} services (seconds):")
    print(f"  {'stage':12s} {'median':>8s} {'p95':>8s}")
    for s, v in st.items():
        print(f"  {s:12s} {statistics.median(v):8.3f} {pct(v, 0.95):8.3f}", flush=True)

    sub = subset(folder, k)
    one = run_cli([sub, "--jobs", 1], RESULTS / "out-jobs1")
    two = run_cli([sub, "--jobs", 2], RESULTS / "out-jobs2-sample")
    figures["scaling"] = {"jobs1": one["wall"], "jobs2": two["wall"],
                          "speedup": one["wall"] / two["wall"],
                          "same_fleet_json": one["fleet_json_sha256"] == two["fleet_json_sha256"]}
    print(f"\n{k} services, whole CLI: --jobs 1 {one['wall']:.1f} s (CPU {one['cpu']:.0f} s), "
          f"--jobs 2 {two['wall']:.1f} s (CPU {two['cpu']:.0f} s): "
          f"x{one['wall'] / two['wall']:.2f}; same fleet.json: "
          f"{figures['scaling']['same_fleet_json']}", flush=True)

    full = run_cli([folder, "--jobs", 2], RESULTS / "out-jobs2")
    figures["jobs2"] = full
    print(f"\n{n:,} services, --jobs 2: {full['wall']:.0f} s ({n / full['wall']:.1f} services/s); "
          f"CPU {full['cpu']:.0f} s in all its processes ({full['cpu'] / n * 1000:.0f} ms a "
          f"service: {full['cpu'] / 2:.0f} s of wall time on 2 idle cores); peak RSS "
          f"{mb(full['peak_rss_sum'])} (all processes), {mb(full['peak_rss_one'])} "
          f"(largest one); fleet.json {mb(full['fleet_json_bytes'])}", flush=True)

    if not a.no_dask:
        dask = run_cli([folder, "--scheduler", "local", "--jobs", 2], RESULTS / "out-dask")
        figures["dask"] = dask
        print(f"{n:,} services, Dask LocalCluster of 2 workers: {dask['wall']:.0f} s "
              f"({n / dask['wall']:.1f} services/s); CPU {dask['cpu']:.0f} s "
              f"({dask['cpu'] / full['cpu'] - 1:+.1%} vs --jobs 2); wall overhead vs --jobs 2: "
              f"{dask['wall'] / full['wall'] - 1:+.1%}; peak RSS {mb(dask['peak_rss_sum'])}; same "
              f"fleet.json as --jobs 2: {dask['fleet_json_sha256'] == full['fleet_json_sha256']}",
              flush=True)

    if not a.no_peers:
        py = peers_python()
        r = subprocess.run([str(py), str(HERE / "run_autoets.py"), str(folder), "--services",
                            str(n), "--jobs", "2", "--sample", str(k)], capture_output=True,
                           text=True,
                           env={**os.environ, "OMP_NUM_THREADS": "1"})
        if r.returncode != 0:
            print(f"AutoETS failed: {r.stderr[-800:]}")
        else:
            ets = json.loads(r.stdout.strip().splitlines()[-1])
            figures["autoets"] = ets
            print(f"statsforecast AutoETS (season 7, h 183 days, n_jobs 2) over the same {n:,} "
                  f"series: {ets['seconds']:.0f} s ({n / ets['seconds']:.1f} series/s; JIT warm-up "
                  f"{ets['warmup_seconds']:.0f} s apart); one core: "
                  f"{ets['one_core_mean_seconds'] * 1000:.0f} ms a series, CPU "
                  f"{ets.get('one_core_cpu_seconds', float('nan')) * 1000:.0f} ms (mean of "
                  f"{ets['one_core_sample']}). AutoETS fits one model family per series; capplan "
                  "backtests several candidates, simulates the worst case, then plans", flush=True)

    figures["load_after"] = os.getloadavg()
    print(f"\nload average after: {figures['load_after'][0]:.1f} {figures['load_after'][1]:.1f} "
          f"{figures['load_after'][2]:.1f}")
    (RESULTS / f"figures-{n}.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
