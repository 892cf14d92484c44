"""How the console script sets the process up (`capplan.startup`): numpy's BLAS asked for one
thread before numpy loads, and the cyclic collector paused while the libraries load and resumed
once the input is read, whatever the reading's outcome. Neither may change a number: the
console script's plan.json is byte for byte the library's."""
import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from capplan import startup
from capplan.errors import CapplanError
from capplan.fleet import read_sources
from capplan.ingest import read_traffic
from capplan.ingest.loadtests import read_load_test_steps
from conftest import ROOT

SAMPLE = ROOT / "inputs" / "nyc_taxi.csv"


@pytest.fixture
def collector():
    """Leave the test process's collector as it found it (enabled, nothing frozen)."""
    yield
    startup._paused = False
    gc.unfreeze()
    gc.enable()


def test_the_console_script_is_the_startup_function():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'capplan = "capplan.startup:console"' in text


def test_the_command_line_loads_no_numpy_before_the_startup_is_done():
    """`console` sets the BLAS threads and pauses the collector, then imports capplan.cli: the
    settings only work if that import loads neither numpy nor pandas."""
    code = ("import sys, gc\nfrom capplan import startup\nstartup.one_blas_thread()\n"
            "startup.pause_collection()\nimport capplan.cli\n"
            "print(gc.isenabled(), 'numpy' in sys.modules, 'pandas' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k not in startup.BLAS_THREADS}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "False", "False"]


def test_one_blas_thread_keeps_what_the_user_set(monkeypatch):
    for name in startup.BLAS_THREADS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    startup.one_blas_thread()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"
    assert os.environ["OMP_NUM_THREADS"] == "1" and os.environ["MKL_NUM_THREADS"] == "1"


def test_the_collector_resumes_once_the_traffic_is_read(collector):
    startup.pause_collection()
    assert not gc.isenabled()
    read_traffic(SAMPLE)
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0  # what loaded before is set aside, never traversed again


def test_the_collector_resumes_when_the_read_fails(collector, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    for read, bad in ((read_traffic, empty), (read_load_test_steps, empty),
                      (read_sources, tmp_path / "missing")):
        startup.pause_collection()
        with pytest.raises(CapplanError):
            read(bad)
        assert gc.isenabled(), read.__name__


def test_resuming_leaves_a_collector_the_caller_disabled_alone(collector):
    """A notebook that disabled the collector itself keeps it disabled: only a pause is undone."""
    gc.disable()
    read_traffic(SAMPLE)
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_the_console_script_plans_as_the_library_does(tmp_path):
    """The same plan.json from the console script (BLAS at one thread, the collector paused)
    as from `capplan.cli.main` in a process set up as Python sets one up."""
    args = [str(SAMPLE), "--config", str(ROOT / "inputs" / "service.toml"), "--no-report",
            "--quiet", "-o"]
    env = {k: v for k, v in os.environ.items() if k not in startup.BLAS_THREADS}
    console = [sys.executable, "-c", "import sys; sys.argv[0] = 'capplan'\n"
               "from capplan.startup import console\nconsole()", "forecast"]
    plain = [sys.executable, "-c", "import sys; sys.argv[0] = 'capplan'\n"
             "from capplan.cli import main\nmain()", "forecast"]
    docs = []
    for name, cmd in (("console", console), ("plain", plain)):
        out = tmp_path / name
        r = subprocess.run([*cmd, *args, str(out)], capture_output=True, text=True, env=env,
                           timeout=300)
        assert r.returncode == 0, r.stderr
        docs.append(json.loads(Path(out / "plan.json").read_text()))
    assert docs[0] == docs[1]
