"""Flags are checked at the edge: before any file is read, one line naming the flag, exit 2,
nothing written. And the default output folder stays inside outputs/."""
import json
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

from capplan.cli import main
from capplan.cli.common import stem


def cli(monkeypatch, capsys, *args):
    """Run `capplan ARGS` in this process (fast); returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["capplan", *map(str, args)])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    return info.value.code, out, err


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a command gets as far as reading its traffic or planning."""
    import capplan.ingest
    import capplan.pipeline

    def forbidden(*a, **k):
        raise AssertionError("a bad flag reached the work")

    for mod, name in ((capplan.pipeline, "forecast"), (capplan.pipeline, "plan_from_numbers"),
                      (capplan.pipeline, "analyze"), (capplan.ingest, "read_traffic")):
        monkeypatch.setattr(mod, name, forbidden)


PLAN = ["plan", "--instances", 20, "--utilization", 0.4, "--months", 3, "--no-report"]
CASES = [  # (extra arguments, words the one line must hold)
    (["--peak", "inf", "--growth", "10%/month"], ["--peak inf", "not finite"]),
    (["--peak", "nan", "--growth", "10%/month"], ["--peak nan"]),
    (["--peak", "1e308", "--growth", "10%/month"], ["--peak 1e+308", "1e+12"]),
    (["--peak", "-3"], ["--peak -3"]),
    (["--peak", 100, "--per-instance", "nan"], ["--per-instance nan"]),
    (["--peak", 100, "--per-instance", "inf"], ["--per-instance inf"]),
    (["--peak", 100, "--growth", "1e308%/month"], ["--growth", "+1000%/month"]),
    (["--peak", 100, "--growth", "nan%/month"], ["--growth", "finite"]),
    (["--peak", 100, "--growth", "10"], ["--growth '10'", "10%/month"]),
    (["--peak", 100, "--growth", "-150%/month"], ["--growth", "-90%/month"]),
    (["--peak", 100, "--event", "x:9999-12-31:24h:2x"], ["--event", "1970-2100"]),
    (["--peak", 100, "--lead-time", "1000000000"], ["--lead-time 1000000000", "3,650"]),
    (["--peak", 100, "--lead-time", "-5"], ["--lead-time -5"]),
    (["--peak", 100, "--target-utilization", "1e-300"], ["--target-utilization 1e-300", "0.01"]),
    (["--peak", 100, "--cost-per-instance", "-1"], ["--cost-per-instance -1"]),
    (["--peak", 100, "--cost-per-instance", "nan"], ["--cost-per-instance nan"]),
    (["--peak", 100, "--worst-quantile", "1"], ["--worst-quantile"]),
    (["--peak", 100, "--zones", "0"], ["--zones 0"]),
    (["--peak", 100, "--paper", "A3"], ["--paper", "A4 or Letter"]),
    (["--peak", 100, "--months", "1e3"], ["--months", "integer", "capplan plan --help"]),
    (["--peak", 100, "--bogus"], ["--bogus"]),
    (["--peak", 100, "--out", ""], ["--out ''", "empty"]),
    (["--peak", 100, "--events", "no/such/events.csv"], ["--events no/such/events.csv",
                                                          "no such file"]),
    (["--peak", 100, "--load-test", "no_such.csv"], ["--load-test no_such.csv"]),
    (["--peak", 100, "--mean", 200], ["--mean 200 is above --peak 100"]),
]


@pytest.mark.parametrize("extra,words", CASES, ids=[" ".join(map(str, c[0])) for c in CASES])
def test_bad_flag_one_line_exit_2_before_any_work(extra, words, tmp_path, monkeypatch, capsys,
                                                  no_work):
    monkeypatch.chdir(tmp_path)
    args = [*PLAN, *extra] + ([] if "--out" in extra else ["--out", tmp_path / "o"])
    code, out, err = cli(monkeypatch, capsys, *args)
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1, out + err
    assert lines[0].startswith("capplan: error: ") and len(lines[0]) <= 300
    for w in words:
        assert w in lines[0], lines[0]
    assert not (tmp_path / "o").exists() and list(tmp_path.iterdir()) == []


def test_forecast_flags_checked_before_the_file_is_read(tmp_path, monkeypatch, capsys, no_work):
    sample = ROOT / "inputs" / "nyc_taxi.csv"
    for extra, word in ((["--paper", "A3"], "--paper"), (["--growth", "nan%/month"], "--growth"),
                        (["--timezone", "Mars/Olympus"], "--timezone"),
                        (["--model", "prophet"], "--model")):
        code, _, err = cli(monkeypatch, capsys, "forecast", sample, *extra, "--out", tmp_path / "o")
        assert code == 2 and word in err
    code, _, err = cli(monkeypatch, capsys, "forecast", tmp_path / "missing.csv")
    assert code == 2 and "missing.csv: no such file" in err
    code, _, err = cli(monkeypatch, capsys, "analyze", sample, "--out", sample / "x")
    assert code == 2 and "cannot write in" in err
    code, _, err = cli(monkeypatch, capsys, "analyze", sample, "--out", sample)
    assert code == 2 and "not a folder" in err
    code, _, err = cli(monkeypatch, capsys, "usl", "--sigma", "nan", "--kappa", 0, "--lambda", 1)
    assert code == 2 and "--sigma nan" in err
    assert not (tmp_path / "o").exists()


def test_toml_values_named_by_file_and_key(tmp_path, monkeypatch, capsys, no_work):
    cfg = tmp_path / "svc.toml"
    cfg.write_text("[capacity]\ntarget_utilization = 1e-300\n")
    code, _, err = cli(monkeypatch, capsys, "plan", "--peak", 10, "--config", cfg,
                       "--out", tmp_path / "o")
    assert code == 2 and f"{cfg}: capacity.target_utilization = 1e-300" in err
    cfg.write_text('events_file = "nowhere.csv"\n')
    code, _, err = cli(monkeypatch, capsys, "plan", "--peak", 10, "--config", cfg,
                       "--out", tmp_path / "o")
    assert code == 2 and "nowhere.csv: no such file" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("name,folder", [
    ("...csv", "plan"), ("..csv", "plan"), (".csv", "plan"), (".hidden.csv", "hidden"),
    ("a b?c*.csv", "a_b_c_"), ("traffic.csv.gz", "traffic"), ("données.csv", "données"),
    ("x" * 500 + ".csv", "x" * 80), ("api.json", "api"), ("-dash.csv", "-dash"),
])
def test_default_folder_is_one_safe_name(name, folder):
    assert stem(Path(name)) == folder
    assert (Path("outputs") / stem(Path(name))).resolve().parent == Path("outputs").resolve()


def test_input_named_dots_writes_inside_outputs(tmp_path):
    f = tmp_path / "...csv"
    f.write_text("timestamp,value\n" + "".join(f"2024-01-01 {h:02d}:00,{10 + h}\n"
                                                for h in range(24)))
    code, so, se = run_cli("analyze", "...csv", cwd=tmp_path)
    assert code == 0, se
    assert sorted(p.name for p in tmp_path.iterdir()) == ["...csv", "outputs"]
    a = json.loads((tmp_path / "outputs" / "plan" / "analysis.json").read_text())
    assert a["load"]["peak"] == 33  # 10 + 23, the last hour
