"""`capplan capacity` as a user meets it: the help example, capacity.json, bad input."""
import json
import re
import shlex

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, data, run_cli


def test_help_example_runs_and_writes_the_contract(tmp_path):
    code, so, _ = run_cli("capacity", "--help")
    assert code == 0
    m = re.search(r"Example: (capplan .+?)(?: ╭|$| Options| Arguments)", " ".join(so.split()))
    args = shlex.split(m.group(1))[1:]
    code, so, se = run_cli(*args, "--out", tmp_path, cwd=ROOT)
    assert code == 0, se
    visible = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert visible == ["capacity.html", "capacity.json"]
    doc = json.loads((tmp_path / "capacity.json").read_text())
    assert doc["binding"] == "cpu" and doc["kind"] == "capacity"
    (cpu,) = doc["resources"]
    for key in ("name", "intercept", "slope", "r_squared", "limit", "limit_low", "limit_high",
                "linear"):
        assert key in cpu
    # Outputs agree with each other: the limit is (target - intercept) / slope, the plan's limit
    # times the target is the binding limit, the terminal shows the same number.
    assert cpu["limit"] == pytest.approx((doc["target_utilization"] - cpu["intercept"])
                                         / cpu["slope"], rel=1e-12)
    assert doc["plan_limit"]["limit"] * doc["target_utilization"] == pytest.approx(cpu["limit"])
    assert f"{cpu['limit']:.2f}" in so
    assert set(doc["flat_topping"]) == {"throughput", "binding_resource"}
    assert doc["aligned_points"] == 360 and doc["inputs"][0]["rows_read"] == 360


def test_several_files_joined_on_time(tmp_path, cli):
    d = pd.read_csv(data("usl/oracledb.csv"))
    d[["timestamp", "txn_rate"]].to_csv(tmp_path / "txn.csv", index=False)
    d[["timestamp", "cpu_util"]].to_csv(tmp_path / "cpu.csv", index=False)
    code, so, se = cli("capacity", tmp_path / "txn.csv", "--throughput", "txn_rate",
                           "--resource", f"cpu={tmp_path / 'cpu.csv'}", "--no-report",
                           "--out", tmp_path / "o")
    assert code == 0, se
    two = json.loads((tmp_path / "o" / "capacity.json").read_text())["resources"][0]
    code, _, se = cli("capacity", data("usl/oracledb.csv"), "--throughput", "txn_rate",
                          "--resource", "cpu=cpu_util", "--no-report", "--out", tmp_path / "p")
    one = json.loads((tmp_path / "p" / "capacity.json").read_text())["resources"][0]
    assert two["limit"] == pytest.approx(one["limit"], rel=1e-12)


def metrics(n=60, start="2024-03-01", freq="5min", cpu=None, rps=None):
    rng = np.random.default_rng(0)
    t = pd.date_range(start, periods=n, freq=freq)
    x = rng.uniform(50, 150, n) if rps is None else rps
    return pd.DataFrame({"timestamp": t.strftime("%Y-%m-%d %H:%M:%S"), "rps": x,
                         "cpu": 10 + 0.3 * x + rng.normal(0, 1, n) if cpu is None else cpu})


def bad_cases(tmp_path):
    good = metrics()
    cases = {}
    shifted = metrics(start="2024-03-01 00:02:30")[["timestamp", "cpu"]]
    good[["timestamp", "rps"]].to_csv(tmp_path / "rps.csv", index=False)
    shifted.to_csv(tmp_path / "cpu_shifted.csv", index=False)
    cases["misaligned"] = (["--resource", f"cpu=cpu={tmp_path / 'cpu_shifted.csv'}"],
                           "misaligned")
    later = metrics(start="2024-04-01")[["timestamp", "cpu"]]
    later.to_csv(tmp_path / "cpu_later.csv", index=False)
    cases["no_overlap"] = (["--resource", f"cpu=cpu={tmp_path / 'cpu_later.csv'}"],
                           "do not overlap")
    over = metrics()
    over.loc[17, "cpu"] = 130.0
    over.to_csv(tmp_path / "over.csv", index=False)
    cases["over_100"] = ([tmp_path / "over.csv", "--resource", "cpu=cpu"], "at most 100%")
    const = metrics(cpu=np.full(60, 42.0))
    const.to_csv(tmp_path / "const.csv", index=False)
    cases["constant"] = ([tmp_path / "const.csv", "--resource", "cpu=cpu"], "constant")
    flat_rps = metrics(rps=np.full(60, 100.0))
    flat_rps.to_csv(tmp_path / "flat_rps.csv", index=False)
    cases["constant_throughput"] = ([tmp_path / "flat_rps.csv", "--resource", "cpu=cpu"],
                                    "constant")
    short = metrics(n=19)
    short.to_csv(tmp_path / "short.csv", index=False)
    cases["19_points"] = ([tmp_path / "short.csv", "--resource", "cpu=cpu"], "at least 20")
    cases["no_column"] = (["--resource", "cpu=nope"], "no column 'nope' for --resource cpu=")
    # the throughput's column named by its own flag (it said --value-column, a user trial)
    cases["no_throughput_column"] = (["--resource", "cpu=cpu", "--throughput", "nope"],
                                     "no column 'nope' for --throughput;")
    cases["bad_target"] = (["--resource", "cpu=cpu", "--target-utilization", "1.5"],
                           "--target-utilization")
    cases["bad_window"] = (["--resource", "cpu=cpu", "--exclude", "2024-03-01"], "--exclude")
    cases["bad_unit"] = (["--resource", "cpu=cpu", "--utilization-unit", "pct"],
                         "--utilization-unit")
    return cases


CASES = ["misaligned", "no_overlap", "over_100", "constant", "constant_throughput", "19_points",
         "no_column", "no_throughput_column", "bad_target", "bad_window", "bad_unit"]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, case, cli):
    args, words = bad_cases(tmp_path)[case]
    if not str(args[0]).startswith("--") and str(args[0]).endswith(".csv"):
        path, rest = args[0], args[1:]
    else:
        path, rest = tmp_path / "rps.csv", args
    out = tmp_path / "out"
    code, so, se = cli("capacity", path, "--throughput", "rps", *rest, "--out", out)
    assert code == 2, (so, se)
    assert words in se and "Traceback" not in so + se
    assert len(se.strip().splitlines()) == 1
    assert not out.exists()


def test_bad_input_through_the_real_console_script(tmp_path):
    args, words = bad_cases(tmp_path)["misaligned"]
    code, so, se = run_cli("capacity", tmp_path / "rps.csv", "--throughput", "rps", *args,
                           "--out", tmp_path / "out")
    assert code == 2 and words in se and len(se.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_readme_capacity_examples_run(tmp_path, cli, monkeypatch):
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### `capplan capacity FILE`"):]
    block = section[section.index("```") + 3:]
    block = block[:block.index("```")]
    lines = [ln for ln in block.strip().splitlines() if ln.startswith("capplan capacity")]
    assert len(lines) == 2
    monkeypatch.chdir(ROOT)
    for i, line in enumerate(lines):
        code, so, se = cli(*shlex.split(line)[1:], "--out", tmp_path / str(i))
        assert code == 0, se
        assert (tmp_path / str(i) / "capacity.json").exists()


def test_same_input_same_files(tmp_path, cli):
    args = ["capacity", data("usl/oracledb.csv"), "--throughput", "txn_rate", "--resource",
            "cpu=cpu_util", "--resource", "db=db_time"]
    for run in ("a", "b"):
        code, _, se = cli(*args, "--out", tmp_path / run)
        assert code == 0, se
    for name in ("capacity.json", "capacity.html"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
