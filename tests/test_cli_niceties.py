"""--version, -o, --json and the help texts: the formats listed in one place, each command's
own default folder and files."""
import json
import re

import pytest

from capplan import __version__
from capplan.cli.common import LOAD_TEST_FORMATS, TRAFFIC_FORMATS
from conftest import ROOT, run_cli

SEED = ["plan", "--peak", 10000, "--instances", 20, "--utilization", 0.4, "--growth",
        "10%/month", "--months", 12, "--no-report"]


def flat(text: str) -> str:
    """Help text with the line wrapping and box drawing taken out."""
    text = re.sub(r"[│╭╮╰╯─]", " ", text)
    text = re.sub(r"-\n\s+", "-", text)  # a word wrapped at its hyphen
    return " ".join(text.split())


def test_version():
    code, out, err = run_cli("--version")
    assert code == 0 and out.strip() == f"capplan {__version__}" and err == ""


def test_o_is_out(tmp_path):
    code, _, err = run_cli(*SEED, "-o", tmp_path / "short")
    assert code == 0, err
    assert json.loads((tmp_path / "short" / "plan.json").read_text())["months"] == 12


@pytest.mark.parametrize("args,name", [
    (SEED, "plan.json"),
    (["forecast", ROOT / "inputs" / "nyc_taxi.csv", "--months", 1, "--per-instance", 1500,
      "--growth", "5%/month", "--no-report"], "plan.json"),
    (["analyze", ROOT / "inputs" / "nyc_taxi.csv"], "analysis.json"),
    (["usl", ROOT / "inputs" / "loadtest_specsdm91.csv", "--no-report"], "usl.json"),
    (["capacity", ROOT.parent / "shared" / "data" / "usl" / "oracledb.csv", "--throughput",
      "txn_rate", "--resource", "cpu=cpu_util", "--instances", 1, "--no-report"],
     "capacity.json"),
])
def test_json_prints_the_document_and_nothing_else(tmp_path, args, name):
    if not all(a.exists() for a in args if hasattr(a, "exists")):
        pytest.skip("shared data not present")
    code, out, err = run_cli(*args, "--json", "-o", tmp_path)
    assert code == 0, err
    assert out == (tmp_path / name).read_text()  # stdout is the file, byte for byte
    json.loads(out)
    assert err == ""  # the summary is not shown anywhere


def test_json_on_error_prints_nothing_on_stdout(tmp_path):
    code, out, err = run_cli(*SEED, "--target-utilization", 2, "--json", "-o", tmp_path)
    assert code == 2 and out == "" and "--target-utilization 2" in err


def test_every_command_lists_what_it_reads():
    traffic, load_test = flat(TRAFFIC_FORMATS), flat(LOAD_TEST_FORMATS)
    # The readers on main: delimited text, Excel, Prometheus and Datadog JSON, access logs, gzip.
    for word in ("CSV", "TSV", ".xlsx", "Prometheus", "Datadog", "Common", "Combined",
                 "gzipped"):
        assert word in traffic
    for command in ("analyze", "forecast", "capacity"):
        code, out, _ = run_cli(command, "--help")
        assert code == 0 and traffic in flat(out)
        assert "--json" in out and "-o, --out" in out and "--quiet" in out
    code, out, _ = run_cli("usl", "--help")
    assert load_test in flat(out)
    code, out, _ = run_cli("--help")
    assert traffic in flat(out) and "--version" in out


def test_each_command_names_its_own_default_folder_and_files():
    _, plan_help, _ = run_cli("plan", "--help")
    plan_help = flat(plan_help)
    assert "default outputs/plan/" in plan_help and "input-stem" not in plan_help
    _, usl_help, _ = run_cli("usl", "--help")
    usl_help = flat(usl_help)
    assert "Write usl.json only (no usl.svg chart)" in usl_help and "plan.json" not in usl_help
    assert "outputs/usl/ for a what-if" in usl_help
    _, forecast_help, _ = run_cli("forecast", "--help")
    assert "default outputs/<input-stem>/" in flat(forecast_help)
    assert "Write plan.json only" in flat(forecast_help)


def test_usl_what_if_writes_to_outputs_usl(tmp_path):
    code, out, err = run_cli("usl", "--sigma", 0.05, "--kappa", 0.001, "--lambda", 100,
                             "--no-report", cwd=tmp_path)
    assert code == 0, err
    doc = json.loads((tmp_path / "outputs" / "usl" / "usl.json").read_text())
    assert doc["n_star"] == pytest.approx((0.95 / 0.001) ** 0.5)  # sqrt((1 - sigma) / kappa)


def test_emoji_codes_in_names_are_printed_as_typed(tmp_path):
    # rich would turn ":fire:" into a flame: a file or series name is printed as it is spelt.
    src = tmp_path / "api:fire:.csv"
    rows = [f"2024-01-0{1 + i // 24}T{i % 24:02d}:00:00Z,{100 + i}" for i in range(48)]
    src.write_text("timestamp,rps:zap:\n" + "\n".join(rows) + "\n")
    code, out, err = run_cli("analyze", src, "-o", tmp_path / "out:thumbs_up:")
    assert code == 0, err
    assert ":fire:" in out and ":thumbs_up:" in out and "rps:zap:" in out
    assert not any(ord(ch) > 0x2FFF for ch in out)  # no emoji, box drawing aside
