import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def daily_csv(path: Path, values, start=dt.date(2024, 1, 1), header="date,value") -> Path:
    """One row a day from `start`: the value is the day's peak."""
    lines = [header] + [f"{start + dt.timedelta(days=i)},{v}" for i, v in enumerate(values)]
    path.write_text("\n".join(lines) + "\n")
    return path


def data(rel: str) -> Path:
    p = DATA / rel
    if not p.exists():
        pytest.skip(f"shared data {rel} not present")
    return p


# The clock every CLI run in the tests sees: `capplan plan` starts on this day, so no test
# depends on the day it runs (CAPPLAN_TODAY, README "Reproducible runs").
TODAY = "2026-11-24"


def run_cli(*args, cwd=None, env=None):
    """Run the installed CLI as a user would, on the frozen day TODAY unless `env` says
    otherwise; returns (exit code, stdout, stderr)."""
    exe = Path(sys.executable).with_name("capplan")
    env = dict(os.environ, COLUMNS="120", CAPPLAN_TODAY=TODAY, **(env or {}))
    r = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                       env=env, timeout=300)
    return r.returncode, r.stdout, r.stderr


@pytest.fixture
def cli(capsys, monkeypatch):
    """The CLI in this process (main(), as the console script calls it), on the frozen day TODAY:
    cases that only check an exit code and a line would otherwise pay the interpreter and library
    start-up each time. Returns (exit code, stdout, stderr)."""
    from capplan.cli import main

    def run(*args):
        monkeypatch.setattr("sys.argv", ["capplan", *map(str, args)])
        monkeypatch.setenv("COLUMNS", "120")
        monkeypatch.setenv("CAPPLAN_TODAY", TODAY)
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def json_strings(obj):
    """Every string in a JSON document (dicts, lists and tuples walked), for wording checks."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from json_strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from json_strings(v)
