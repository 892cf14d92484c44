"""Write a run's files as one set: a reader, or a run killed at any instant, sees the whole earlier
set or the whole new one, never a mix, and what a killed run leaves behind is removed by the next.

Layout inside `--out`, for the set named `plan` (the files' common stem):

    plan.json -> .capplan-plan/plan.json       one relative symlink per file, made once
    plan.pdf  -> .capplan-plan/plan.pdf
    .capplan-plan -> .capplan-plan-1f0c9a...   the pointer: which version is current
    .capplan-plan-1f0c9a.../plan.json          the version's files

A run stages its files in a new hidden version folder inside `--out` (the same filesystem, so
no copy), fsyncs them, then swaps the set with ONE `rename(2)`: a new pointer symlink over the old
one. Every file path resolves through the pointer, so all of them change at that instant.
After the swap the earlier version folder, and the links of files the new set no longer has
(a `--no-report` run after a full one), are removed.

Why this and not the alternatives:
- Files moved into place one `os.replace` at a time (the earlier way) leave a mix of old and new
  when a run dies between two renames.
- `--out` itself as a symlink to a versioned folder swaps as one rename too, but it cannot take
  over an existing plain folder atomically, would put the staging outside `--out`, and would
  replace everything in the folder, including files that are not capplan's.
- Files in place plus a manifest written last are only consistent for readers that read the
  manifest; people and scripts open `plan.json`.
Here `outputs/<stem>/plan.json` stays a plain path for people, scripts and tests (`open`,
`cat`, a browser all follow the link), other files in the folder are never touched, and a
folder of plain files from an earlier capplan is taken over without a visible change: each
file is first hard-linked into a version folder, then replaced by a link to the same bytes.

Debris: a run killed while staging leaves a hidden `.capplan-<set>-*` folder that no pointer
names, or a dangling link for a file the new set would have added (it reads as absent, as in
the earlier set). Each write first removes such debris, under an exclusive lock on the folder
that concurrent runs share, so one run never removes another's staging. A run that fails on
bad input touches nothing, debris included: it never reaches this module.

Limits: symlinks need a POSIX filesystem (not FAT, not Windows without developer mode). A
reader that opens several files while a run writes may see one file from each set; one that
needs a consistent set resolves the pointer once (`os.path.realpath(out / ".capplan-plan")`).
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from capplan.errors import CapplanError

PREFIX = ".capplan-"
_TMP = PREFIX + "tmp-"
_SET_NAME = re.compile(r"[^A-Za-z0-9_]+")


def write_set(out_dir: str | Path, files: dict[str, bytes | Callable[[Path], None]],
              *, name: str | None = None) -> list[Path]:
    """Write `files` (name -> bytes, or a function that writes the file at the path it is given)
    into `out_dir` as one set named `name` (default: the first file's stem). Returns the paths."""
    out = Path(out_dir)
    names = list(files)
    for n in names:
        if not n or "/" in n or os.sep in n or n.startswith(".") or n in (".", ".."):
            raise ValueError(f"write_set: {n!r} is not a plain file name")
    set_name = _SET_NAME.sub("_", name or Path(names[0]).stem) or "set"
    if out.exists() and not out.is_dir():
        raise CapplanError(f"--out {out}: exists and is not a folder: choose another --out")
    for n in names:
        if (out / n).is_dir() and not (out / n).is_symlink():
            raise CapplanError(f"--out {out}: {n} is a folder: move it away or choose another "
                               "--out")
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CapplanError(f"--out {out}: cannot create the folder ({exc.strerror}): choose a "
                           "writable --out") from exc
    with _locked(out):
        try:
            clean_stale(out)
            return _write_locked(out, files, set_name)
        except BaseException:
            if created:  # a folder this run made and left empty goes too; never another's files
                try:
                    os.rmdir(out)
                except OSError:
                    pass
            raise


def _write_locked(out: Path, files: dict, set_name: str) -> list[Path]:
    pointer = out / f"{PREFIX}{set_name}"
    stage = out / f"{PREFIX}{set_name}-{secrets.token_hex(8)}"
    try:
        os.mkdir(stage)
    except OSError as exc:
        raise CapplanError(f"--out {out}: cannot write in the folder ({exc.strerror}): choose a "
                           "writable --out") from exc
    try:
        for n, content in files.items():
            _write_file(stage / n, content)
        _fsync_dir(stage)
        old = _adopt(out, pointer, set_name, list(files))
        _replace_link(out, pointer, stage.name)  # the one rename that swaps the whole set
    except BaseException as exc:
        _rmtree(stage)
        if isinstance(exc, OSError):  # a full disk, a read-only mount: the earlier set stands
            raise CapplanError(f"--out {out}: cannot write ({exc.strerror or exc}); the earlier "
                               "files are unchanged: free space or choose another --out") from exc
        raise
    try:
        _fsync_dir(out)
        if old is not None:
            for n in os.listdir(old):
                if n not in files and _link_pointer(out / n) == pointer.name:
                    os.unlink(out / n)
            _rmtree(old)
    except OSError:
        pass  # the new set is in place; what is left over goes at the next write's clean-up
    return [out / n for n in files]


def _adopt(out: Path, pointer: Path, set_name: str, names: list[str]) -> Path | None:
    """Make every name of the new set a link through the pointer without changing what it reads
    as now, and return the current version folder (None for a first set).

    A name with nothing there gets its link at once: it dangles, so it reads as absent, as in
    the current set, until the swap. A plain file (an earlier capplan's, or a copy) is first
    hard-linked into the current version folder, so the link that replaces it reads the same
    bytes. Another link at one of the set's names is taken over."""
    current = _current(pointer)
    for n in names:
        path = out / n
        if _link_pointer(path) == pointer.name:
            continue
        if not os.path.lexists(path):
            os.symlink(f"{pointer.name}/{n}", path)
            continue
        if path.is_file() and not path.is_symlink():
            if current is None:
                current = out / f"{PREFIX}{set_name}-{secrets.token_hex(8)}"
                os.mkdir(current)
                _replace_link(out, pointer, current.name)
            tmp = out / f"{_TMP}{secrets.token_hex(8)}"
            os.link(path, tmp)
            os.replace(tmp, current / n)
            # rename(2) does nothing when both names are already links to one file (a killed
            # run got this far): the temporary name is then still there.
            _unlink(tmp)
            _fsync_dir(current)
        _replace_link(out, path, f"{pointer.name}/{n}")
    return current


def clean_stale(out: str | Path) -> list[str]:
    """Remove what killed runs left in `out`: version folders no pointer names, temporary links,
    and file links that resolve to nothing. Returns the names removed. Call it with the folder
    locked (`write_set` does) or when no run is writing there."""
    out = Path(out)
    removed: list[str] = []
    try:
        entries = list(os.scandir(out))
    except FileNotFoundError:
        return removed
    pointers = {e.name: os.readlink(e.path) for e in entries
                if e.name.startswith(PREFIX) and not e.name.startswith(_TMP) and e.is_symlink()}
    for e in entries:
        path = Path(e.path)
        if e.name.startswith(_TMP) or (e.name.startswith(PREFIX) and
                                       e.is_dir(follow_symlinks=False) and
                                       e.name not in pointers.values()):
            _rmtree(path)
            removed.append(e.name)
        elif (not e.name.startswith(PREFIX) and e.is_symlink()
              and _link_pointer(path) is not None and not path.exists()):
            os.unlink(path)
            removed.append(e.name)
    return removed


def _link_pointer(path: Path) -> str | None:
    """The pointer a file link of ours goes through (`plan.json -> .capplan-plan/plan.json`),
    or None when `path` is not such a link."""
    try:
        target = os.readlink(path)
    except OSError:
        return None
    head, _, tail = target.partition("/")
    return head if head.startswith(PREFIX) and tail == path.name else None


def _current(pointer: Path) -> Path | None:
    try:
        target = os.readlink(pointer)
    except OSError:
        return None
    folder = pointer.parent / target
    return folder if folder.is_dir() else None


def _replace_link(out: Path, path: Path, target: str) -> None:
    """Point `path` at `target` in one rename: a reader sees the old target or the new one."""
    tmp = out / f"{_TMP}{secrets.token_hex(8)}"
    os.symlink(target, tmp)
    os.replace(tmp, path)


def _write_file(path: Path, content) -> None:
    if callable(content):
        content(path)
        if not path.is_file():
            raise RuntimeError(f"internal error: {path.name} was not written")
        fd = os.open(path, os.O_RDONLY)
    else:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    """Make the folder's entries durable (a power cut as well as a kill)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems cannot fsync a folder; the rename still holds
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def _rmtree(path: Path) -> None:
    """Remove a file, link or folder tree; what is already gone is fine."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(mode):
        _unlink(path)
        return
    for entry in os.scandir(path):
        _rmtree(Path(entry.path))
    try:
        os.rmdir(path)
    except FileNotFoundError:
        pass


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """An exclusive lock on the folder for the write: concurrent runs into one --out take turns
    (each write takes milliseconds), and one run's clean-up never removes another's staging.
    The kernel drops it when the process dies, so a killed run never leaves it held."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): no concurrent-run protection
        yield
        return
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
