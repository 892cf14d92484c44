"""How the console script starts a process, before numpy and pandas load.

- `one_blas_thread`: numpy's BLAS gets one thread, so that its threads leave the cores to the
  file's parse and hash.
- `pause_collection` / `resume_collection`: Python's cyclic garbage collector is paused while the
  libraries load, and resumes once the input is read.

Neither changes a number: they decide only when memory is reclaimed and which thread has a core.
A notebook or a library caller never pauses, so resuming there does nothing.
"""

from __future__ import annotations

import functools
import gc
import os

BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

_paused = False


def one_blas_thread() -> None:
    """Ask numpy's BLAS for one thread, in this process when numpy has not loaded yet and in the
    processes it starts (unless the user set it).
    - capplan's matrices are small (a USL fit, a forecast model's few parameters), so more BLAS
      threads never make a fit faster.
    - OpenBLAS starts its threads when numpy loads, and they spin on the cores that the file's
      parse and hash use then. A whole `capplan analyze` of a year of minutes took a paired 0.93x
      of its time without them (21 pairs).
    - Services planned in parallel lose no time to them (3x slower on a busy 2-core machine)."""
    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")


def pause_collection() -> None:
    """Pause the cyclic collector while the libraries load. Loading pandas, pyarrow, typer and
    rich makes some 70,000 objects that live for the whole run; the collector traverses them
    again and again as they appear, about 40 ms of the half second that loading takes. Nothing
    a run computes waits for it: reference counting still frees every object that is not in a
    cycle."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collection() -> None:
    """Resume the collector if `pause_collection` paused it. The objects loaded so far are set
    aside first (`gc.freeze`), so that no later collection traverses them either."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def resumes_collection(read):
    """For a function that reads an input: the libraries are loaded once it returns (or fails),
    so the collector resumes then, before any computation."""

    @functools.wraps(read)
    def reading(*args, **kwargs):
        try:
            return read(*args, **kwargs)
        finally:
            resume_collection()

    return reading


def console() -> None:
    """The `capplan` console script: the process is set up before the command line's own
    modules (typer, rich) load, then `capplan.cli.run` runs the command."""
    one_blas_thread()
    pause_collection()
    from capplan.cli import run

    run()
