"""The console script leaves without the interpreter's teardown (`cli.leave`), and loses nothing
a normal exit gives: the status, everything printed, the atexit handlers; a thread still at work
and an exit with a message get the normal exit."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT, run_cli

CHILD = """
import atexit, sys, threading, time
from pathlib import Path
from capplan.cli import leave
out = Path(sys.argv[1])
atexit.register(lambda: (out / "atexit").write_text("ran"))
print("printed before leaving", end="")  # to a pipe: block-buffered until flushed
{extra}
leave({code})
"""


def child(tmp_path, code, extra=""):
    script = CHILD.format(code=code, extra=extra)
    return subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)


@pytest.mark.parametrize("code, status", [("0", 0), ("2", 2), ("None", 0), ("130", 130)])
def test_leave_keeps_the_status_the_output_and_the_atexit_handlers(tmp_path, code, status):
    r = child(tmp_path, code)
    assert r.returncode == status
    assert r.stdout == "printed before leaving"
    assert (tmp_path / "atexit").read_text() == "ran"


def test_a_thread_still_at_work_is_waited_for(tmp_path):
    work = ("threading.Thread(target=lambda: (time.sleep(0.3), "
            "(out / 'thread').write_text('done'))).start()")
    r = child(tmp_path, "0", work)
    assert r.returncode == 0 and (tmp_path / "thread").read_text() == "done"


def test_an_exit_with_a_message_is_the_normal_one(tmp_path):
    r = child(tmp_path, "'capplan: stopped'")
    assert r.returncode == 1 and r.stderr.strip() == "capplan: stopped"
    assert (tmp_path / "atexit").read_text() == "ran"


def test_the_installed_script_writes_its_files_and_exit_status(tmp_path):
    """The console script (`run`): a bad flag's status 2 and its one line; a good run's files
    whole and the same JSON as --json prints."""
    code, out, err = run_cli("analyze", ROOT / "inputs" / "nyc_taxi.csv", "--months", "3")
    assert code == 2 and err.count("\n") == 1 and out == ""
    code, out, err = run_cli("analyze", ROOT / "inputs" / "nyc_taxi.csv", "--json", "--out",
                             tmp_path / "a")
    assert code == 0, err
    assert json.loads(out) == json.loads((tmp_path / "a" / "analysis.json").read_text())
