"""Write a set of files together or not at all.

Every file of a run is first rendered to bytes in memory or in a staging folder beside the target
(same filesystem), and only when all of them exist are they moved into place with `os.replace`,
which is atomic per file. A failure at any point before that leaves the folder as it was; the
earlier run's files are replaced together, within milliseconds, only on success.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from capplan.errors import CapplanError


def write_set(out_dir: str | Path, files: dict[str, bytes | Callable[[Path], None]]) -> list[Path]:
    """Write `files` (name -> bytes, or a function that writes the file at the path it is given)
    into `out_dir` as one set. Returns the final paths."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise CapplanError(f"--out {out}: exists and is not a folder: choose another --out")
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=".capplan-", dir=out))
    except OSError as exc:
        raise CapplanError(f"--out {out}: cannot create the folder ({exc.strerror}): choose a "
                           "writable --out") from exc
    try:
        for name, content in files.items():
            target = stage / name
            if callable(content):
                content(target)
                if not target.exists():
                    raise CapplanError(f"internal error: {name} was not written")
            else:
                target.write_bytes(content)
        final = []
        for name in files:
            dest = out / name
            os.replace(stage / name, dest)
            final.append(dest)
        return final
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
