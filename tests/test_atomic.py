"""Output sets are crash-clean: a run killed at any step of its write leaves exactly the earlier
set or exactly the new one, and the next run removes whatever the killed one left behind."""
import os
import signal
from pathlib import Path

import pytest

from capplan.errors import CapplanError
from capplan.outputs import atomic
from capplan.outputs.atomic import PREFIX, clean_stale, write_set

# The filesystem calls atomic.py makes; a kill is placed just before the k-th of them.
STEPS = {"open", "write", "fsync", "close", "mkdir", "symlink", "link", "replace", "unlink",
         "rmdir", "rename"}

OLD4 = {"plan.json": b'{"run": 1}', "plan.pdf": b"%PDF old", "plan.xlsx": b"PK old",
        "plan.html": b"<html>old"}
NEW4 = {"plan.json": b'{"run": 2}', "plan.pdf": b"%PDF new", "plan.xlsx": b"PK new",
        "plan.html": b"<html>new"}
NEW1 = {"plan.json": b'{"run": 3, "no_report": true}'}


class KillingOS:
    """`os` for atomic.py that counts its filesystem calls and SIGKILLs the process before call
    number `kill_at` (never, when None)."""

    def __init__(self, kill_at=None):
        self.kill_at, self.calls = kill_at, 0

    def __getattr__(self, name):
        real = getattr(os, name)
        if name not in STEPS:
            return real

        def step(*args, **kwargs):
            self.calls += 1
            if self.calls == self.kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return step


def visible(folder: Path) -> dict:
    """What a user or script reads in the folder: the files their names open (links followed)."""
    if not folder.exists():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if not p.name.startswith(".") and p.exists()}


def debris(folder: Path) -> list[str]:
    """Entries no reader needs: hidden capplan folders no pointer names, temporary links, links
    that resolve to nothing."""
    if not folder.exists():
        return []
    pointers = {os.readlink(p) for p in folder.iterdir()
                if p.name.startswith(PREFIX) and p.is_symlink()}
    out = []
    for p in folder.iterdir():
        if p.name.startswith(PREFIX + "tmp-"):
            out.append(p.name)
        elif p.name.startswith(PREFIX) and not p.is_symlink() and p.name not in pointers:
            out.append(p.name)
        elif p.is_symlink() and not p.exists():
            out.append(p.name)
    return sorted(out)


def prepare(kind: str, folder: Path) -> dict:
    """Lay out the earlier set; returns what it reads as."""
    if kind == "none":
        return {}
    if kind == "legacy":  # plain files from an earlier capplan, and a file of the user's
        folder.mkdir(parents=True)
        for name, data in {**OLD4, "notes.txt": b"mine"}.items():
            (folder / name).write_bytes(data)
        return visible(folder)
    write_set(folder, OLD4 if kind == "four" else NEW1)
    return visible(folder)


SCENARIOS = [  # (earlier set, new files)
    ("four", NEW4),    # a rerun: the same names, new bytes
    ("four", NEW1),    # --no-report after a full run: the PDF, workbook and HTML go
    ("one", NEW4),     # a full run after --no-report: three names appear
    ("legacy", NEW4),  # plain files taken over
    ("none", NEW4),    # a first run into a new folder
]


def count_steps(tmp_path: Path, kind: str, new: dict, monkeypatch) -> int:
    folder = tmp_path / "count"
    prepare(kind, folder)
    counter = KillingOS()
    monkeypatch.setattr(atomic, "os", counter)
    write_set(folder, new)
    monkeypatch.setattr(atomic, "os", os)
    return counter.calls


def killed_run(folder: Path, new: dict, kill_at: int) -> int:
    """Run write_set in a forked child killed before filesystem call `kill_at`; the signal."""
    pid = os.fork()
    if pid == 0:  # the child: never returns to pytest
        try:
            atomic.os = KillingOS(kill_at)
            write_set(folder, new)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0


def test_sigkill_at_every_step_leaves_old_or_new_set_and_no_debris_after_the_next_start(
        tmp_path, monkeypatch):
    # A kill loses nothing the kernel has accepted, so fsync (durability across a power cut)
    # is not what this checks; skipping it keeps 185 writes fast on a busy disk. It still
    # counts as a step where the kill can land.
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    kills = 0
    for s, (kind, new) in enumerate(SCENARIOS):
        steps = count_steps(tmp_path / f"s{s}", kind, new, monkeypatch)
        assert steps >= 8
        for k in range(1, steps + 1):  # every step of the write, not a sample of them
            folder = tmp_path / f"s{s}" / f"k{k}"
            before = prepare(kind, folder)
            extra = {"notes.txt": b"mine"} if kind == "legacy" else {}
            assert killed_run(folder, new, k) == signal.SIGKILL
            kills += 1
            after = visible(folder)
            assert after in (before, {**new, **extra}), (kind, k, sorted(after))
            # The next run's first act, under the folder's lock: the debris goes, the set stays.
            clean_stale(folder)
            assert debris(folder) == [], (kind, k)
            assert visible(folder) == after
            # And the next run writes a whole set over whatever was left.
            write_set(folder, NEW4)
            assert visible(folder) == {**NEW4, **extra} and debris(folder) == []
    assert kills >= 50


def test_a_failing_writer_changes_nothing(tmp_path):
    folder = tmp_path / "o"
    write_set(folder, OLD4)
    before = sorted(os.listdir(folder))

    def broken(path):
        raise CapplanError("the workbook could not be built")

    with pytest.raises(CapplanError):
        write_set(folder, {"plan.json": b"new", "plan.xlsx": broken})
    assert visible(folder) == OLD4 and sorted(os.listdir(folder)) == before
    with pytest.raises(CapplanError):
        write_set(tmp_path / "fresh" / "deep", {"plan.xlsx": broken})
    assert not (tmp_path / "fresh" / "deep").exists()


def test_other_files_and_other_sets_in_the_folder_are_kept(tmp_path):
    folder = tmp_path / "o"
    folder.mkdir()
    (folder / "README.txt").write_text("the team's notes")
    write_set(folder, {"analysis.json": b"a"})
    write_set(folder, OLD4)
    write_set(folder, NEW1)  # the plan set shrinks; the analysis set and the notes stay
    assert visible(folder) == {"README.txt": b"the team's notes", "analysis.json": b"a", **NEW1}
    assert debris(folder) == []


def test_stale_staging_from_an_older_capplan_is_removed(tmp_path):
    folder = tmp_path / "o"
    write_set(folder, OLD4)
    (folder / ".capplan-k3j2h1").mkdir()  # the earlier tempfile.mkdtemp staging
    (folder / ".capplan-k3j2h1" / "plan.pdf").write_bytes(b"half")
    write_set(folder, NEW4)
    assert not (folder / ".capplan-k3j2h1").exists() and visible(folder) == NEW4


def test_out_that_is_a_file_or_holds_a_folder_at_a_name_is_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(CapplanError, match="not a folder"):
        write_set(f, NEW1)
    d = tmp_path / "d"
    (d / "plan.json").mkdir(parents=True)
    with pytest.raises(CapplanError, match="plan.json is a folder"):
        write_set(d, NEW1)
    with pytest.raises(ValueError):
        write_set(tmp_path / "e", {"../plan.json": b"x"})


def test_a_second_writer_waits_for_the_first_instead_of_removing_its_staging(tmp_path,
                                                                             monkeypatch):
    """Writer A is stopped with its files staged, before its swap; writer B starts meanwhile.
    Without the folder lock B's clean-up would remove A's staging and A would fail."""
    import threading

    monkeypatch.setattr(os, "fsync", lambda fd: None)
    folder = tmp_path / "o"
    write_set(folder, OLD4)

    class StopBeforeSwap(KillingOS):
        def __getattr__(self, name):
            if name == "symlink":  # the first link is made once every file is staged
                os.kill(os.getpid(), signal.SIGSTOP)
            return getattr(os, name)

    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            atomic.os = StopBeforeSwap()
            write_set(folder, NEW1)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status)
    outcome = []
    b = threading.Thread(target=lambda: outcome.append(write_set(folder, NEW4)))
    b.start()
    b.join(timeout=2)  # time for B to do harm, were it not waiting for the lock
    os.kill(pid, signal.SIGCONT)
    _, status = os.waitpid(pid, 0)
    b.join()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0  # A finished its write
    assert outcome and visible(folder) == NEW4 and debris(folder) == []  # B wrote last


def test_a_full_disk_is_one_line_and_the_earlier_set_stands(tmp_path, monkeypatch):
    import errno

    folder = tmp_path / "o"
    write_set(folder, OLD4)
    real_write = os.write

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(CapplanError, match="No space left on device"):
        write_set(folder, NEW4)
    monkeypatch.setattr(os, "write", real_write)
    assert visible(folder) == OLD4 and debris(folder) == []
