import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def data(rel: str) -> Path:
    p = DATA / rel
    if not p.exists():
        pytest.skip(f"shared data {rel} not present")
    return p


def run_cli(*args, cwd=None):
    """Run the installed CLI as a user would; returns (exit code, stdout, stderr)."""
    exe = Path(sys.executable).with_name("capplan")
    env = dict(os.environ, COLUMNS="120")
    r = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                       env=env, timeout=300)
    return r.returncode, r.stdout, r.stderr
