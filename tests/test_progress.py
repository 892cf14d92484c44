"""Progress: silent by default (library, tests, pipes), a rich line on a terminal's stderr, nothing
but errors with --quiet. The terminal is faked (rich's force_terminal, or a pseudo-terminal)."""
import io
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from rich.console import Console

import capplan
from capplan import progress
from conftest import ROOT, run_cli

SEED = ["plan", "--peak", 10000, "--instances", 20, "--utilization", 0.4, "--growth",
        "10%/month", "--months", 12, "--no-report"]


def terminal():
    buf = io.StringIO()
    return buf, Console(file=buf, force_terminal=True, width=100)


def test_stages_are_silent_without_a_reporter(capsys):
    s = progress.stage("fitting candidates", total=3)
    s.advance()
    s.end()
    capplan.forecast(ROOT / "inputs" / "nyc_taxi.csv", months=1, per_instance=1500,
                     growth=0.05)
    assert capsys.readouterr() == ("", "")


def test_a_stage_shows_after_half_a_second_with_its_count():
    buf, console = terminal()
    now = [0.0]
    reporter = progress.TerminalReporter(console, clock=lambda: now[0])
    with progress.reporting(reporter):
        s = progress.stage("fitting candidates", total=4)
        now[0] = 0.4
        reporter._live.refresh()
        early = buf.getvalue()
        s.advance(2)
        now[0] = 0.6
        reporter._live.refresh()
    assert "fitting candidates" not in early  # under half a second: not shown
    shown = buf.getvalue()
    assert "fitting candidates" in shown and "2 of 4" in shown


def test_library_stages_reach_the_terminal_reporter():
    buf, console = terminal()
    with progress.reporting(progress.TerminalReporter(console, show_after=0)):
        capplan.forecast(ROOT / "inputs" / "nyc_taxi.csv", months=1, per_instance=1500,
                         growth=0.05)
    out = buf.getvalue()
    for name in ("reading nyc_taxi.csv", "analysing the load", "forecasting growth", "planning"):
        assert name in out
    buf, console = terminal()
    with progress.reporting(progress.TerminalReporter(console, show_after=0)):
        fitted = capplan.forecast(ROOT / "inputs" / "nyc_taxi.csv", months=1, per_instance=1500)
    out = buf.getvalue()
    m = len(fitted.to_dict()["growth"]["backtest"])  # the candidates scored
    for name in ("fitting candidates", "backtest", f"{m} of {m}", "simulating the demand paths"):
        assert name in out


def test_the_reporter_is_the_silent_one_off_a_terminal_or_when_quiet():
    buf = io.StringIO()
    assert type(progress.for_terminal(console=Console(file=buf))) is progress.Reporter
    _, console = terminal()
    assert type(progress.for_terminal(quiet=True, console=console)) is progress.Reporter
    assert type(progress.for_terminal(console=console)) is progress.TerminalReporter
    assert progress.show_after_from_env({"CAPPLAN_PROGRESS_AFTER": "0"}) == 0
    assert progress.show_after_from_env({"CAPPLAN_PROGRESS_AFTER": "x"}) == 0.5
    assert progress.show_after_from_env({}) == 0.5


def run_with_terminal_stderr(*args, cwd=ROOT):
    """Run the CLI with stderr on a pseudo-terminal (stdout a pipe); (code, stdout, stderr)."""
    exe = Path(sys.executable).with_name("capplan")
    master, slave = pty.openpty()
    env = dict(os.environ, CAPPLAN_PROGRESS_AFTER="0", COLUMNS="120")
    proc = subprocess.Popen([str(exe), *map(str, args)], stdout=subprocess.PIPE, stderr=slave,
                            stdin=subprocess.DEVNULL, env=env, cwd=cwd)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    out = proc.stdout.read().decode()
    return proc.wait(timeout=300), out, b"".join(chunks).decode("utf-8", "replace")


def test_cli_shows_stages_on_a_terminal_and_keeps_stdout_clean(tmp_path):
    code, out, err = run_with_terminal_stderr(*SEED, "-o", tmp_path)
    assert code == 0, err
    assert "planning" in err  # the stage, drawn on the terminal
    assert "\x1b" not in out and "16,105" in out  # stdout: the summary, no terminal codes


def test_cli_without_a_terminal_prints_no_progress(tmp_path):
    code, out, err = run_cli(*SEED, "-o", tmp_path)
    assert code == 0 and err == "" and "16,105" in out


def test_quiet_prints_nothing_but_errors(tmp_path):
    code, out, err = run_with_terminal_stderr(*SEED, "--quiet", "-o", tmp_path / "a")
    assert code == 0 and out == "" and err == ""
    assert (tmp_path / "a" / "plan.json").exists()
    code, out, err = run_with_terminal_stderr(*SEED, "-q", "--months", 0, "-o", tmp_path / "b")
    assert code == 2 and out == ""
    assert err.strip() == err.strip().splitlines()[0] and "--months 0" in err


def test_report_stages_reach_the_terminal_reporter(tmp_path):
    # The reports take most of a full run: each of their stages is named while it runs.
    buf, console = terminal()
    p = capplan.plan(peak=10000, instances=20, utilization=0.4, growth=0.10, months=3)
    with progress.reporting(progress.TerminalReporter(console, show_after=0)):
        p.write(tmp_path)
    out = buf.getvalue()
    for name in ("drawing the charts", "building the workbook", "building the HTML page",
                 "printing the PDF"):
        assert name in out
