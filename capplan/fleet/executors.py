"""Where the services are planned: this process, local worker processes, or a Dask cluster.

Each executor's `map(fn, tasks, *args)` calls fn(task, *args) for every task and yields
(task, value) pairs in the order they finish. At most `window` tasks are in flight, so memory is
bounded by the workers, not by the number of services; a task whose worker dies yields
`WorkerLost` instead of a value, and the others go on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from capplan.errors import CapplanError
from capplan.startup import BLAS_THREADS, one_blas_thread


@dataclass(frozen=True, slots=True)
class WorkerLost:
    """The process planning a task died (killed, out of memory) before it returned."""

    reason: str


def cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class LocalExecutor:
    """`jobs` worker processes on this machine (default: all cores); `jobs=1` plans in this
    process, one service after another."""

    def __init__(self, jobs: int | None = None, *, window_per_job: int = 4,
                 max_tasks_per_child: int | None = 2000):
        if jobs is not None and jobs < 1:
            raise CapplanError(f"--jobs {jobs}: give at least 1 (the number of worker processes)")
        self.jobs = jobs or cores()
        self.window = self.jobs * window_per_job
        self.max_tasks_per_child = max_tasks_per_child

    def describe(self) -> str:
        return "this process" if self.jobs == 1 else f"{self.jobs} local processes"

    def map(self, fn: Callable, tasks: Iterable, *args) -> Iterator[tuple[object, object]]:
        if self.jobs == 1:
            for task in tasks:
                yield task, fn(task, *args)
            return
        yield from self._pool(fn, iter(tasks), args)

    def _new_pool(self):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        from multiprocessing import forkserver

        from capplan.fleet.worker import WARM_MODULES, warm

        # forkserver: a worker never inherits this process's threads (a progress bar, a browser);
        # it is forked from a server that has imported the libraries once (so a worker starts
        # in milliseconds and shares their pages), with the environment the server started with.
        # Not this program's __main__: a script without a main guard would run again.
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(list(WARM_MODULES))
        saved = {n: os.environ.get(n) for n in BLAS_THREADS}
        one_blas_thread()
        forkserver.ensure_running()
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx,
                                   initializer=warm, initargs=(os.getpid(),),
                                   max_tasks_per_child=self.max_tasks_per_child)

    def _pool(self, fn, tasks: Iterator, args) -> Iterator[tuple[object, object]]:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        pool = self._new_pool()
        running: dict = {}
        try:
            def fill():
                for task in tasks:
                    running[pool.submit(fn, task, *args)] = task
                    if len(running) >= self.window:
                        return

            fill()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    task = running.pop(fut)
                    try:
                        yield task, fut.result()
                    except BrokenProcessPool:
                        broken = True
                        yield task, WorkerLost("its worker process died (killed, or out of "
                                               "memory)")
                if broken:
                    # Every task still in the dead pool is lost with it; a new pool takes the rest.
                    for fut, task in list(running.items()):
                        yield task, WorkerLost("its worker process died with another service's "
                                               "(killed, or out of memory)")
                    running.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = self._new_pool()
                fill()
        except BaseException:
            # Interrupted (Ctrl-C) or the caller stopped early: stop now, not after the services
            # in flight (the workers are killed; nothing of theirs is kept).
            procs = list((getattr(pool, "_processes", None) or {}).values())
            for proc in procs:
                proc.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)


class DaskExecutor:
    """A Dask distributed cluster: `scheduler` is its address (tcp://host:port) or "local" for a
    LocalCluster of `workers` processes on this machine (default: all cores). The workers need
    capplan installed (the same version) and must be able to read the exports' paths."""

    def __init__(self, scheduler: str, workers: int | None = None, *, window_per_worker: int = 4,
                 timeout: float = 20.0):
        self.scheduler = scheduler
        self.workers = workers
        self.window_per_worker = window_per_worker
        self.timeout = timeout

    def describe(self) -> str:
        if self.scheduler == "local":
            return f"a Dask LocalCluster of {self.workers or cores()} workers"
        return f"the Dask cluster at {self.scheduler}"

    def _client(self, stack):
        import logging

        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise CapplanError("--scheduler needs Dask: pip install 'capplan[dask]' (or "
                               "dask[distributed]) into capplan's environment") from None
        if self.scheduler == "local":
            cluster = stack.enter_context(LocalCluster(
                n_workers=self.workers or cores(), threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR))
            address = cluster.scheduler_address
        else:
            if not self.scheduler.startswith(("tcp://", "tls://", "ucx://", "inproc://")):
                raise CapplanError(f"--scheduler {self.scheduler}: give the scheduler's address "
                                   "(tcp://host:8786) or local for a cluster on this machine")
            address = self.scheduler
        try:
            client = stack.enter_context(Client(address, timeout=self.timeout,
                                                set_as_default=False))
        except (OSError, TimeoutError) as exc:
            raise CapplanError(f"--scheduler {self.scheduler}: cannot connect ({exc}): check the "
                               "address and that the scheduler is running") from None
        self._check_workers(client)
        return client

    def _check_workers(self, client) -> None:
        from importlib.metadata import version

        from capplan import __version__

        try:
            found = client.run(version, "capplan")
        except Exception as exc:  # noqa: BLE001 - whatever a worker raised, the fix is the same
            raise CapplanError(f"--scheduler {self.scheduler}: a worker cannot import capplan "
                               f"({type(exc).__name__}): install capplan {__version__} on every "
                               "worker") from None
        other = sorted({v for v in found.values() if v != __version__})
        if other:
            raise CapplanError(f"--scheduler {self.scheduler}: workers run capplan "
                               f"{', '.join(other)}, this is {__version__}: install the same "
                               "version everywhere")
        from capplan.fleet.worker import import_libraries

        client.run(import_libraries)

    def map(self, fn: Callable, tasks: Iterable, *args) -> Iterator[tuple[object, object]]:
        from contextlib import ExitStack

        with ExitStack() as stack:
            client = self._client(stack)
            from distributed import as_completed

            n_workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
            window = n_workers * self.window_per_worker
            it = iter(tasks)
            running: dict = {}
            pending = as_completed(loop=client.loop)

            def fill():
                for task in it:
                    fut = client.submit(fn, task, *args, pure=False)
                    running[fut.key] = task
                    pending.add(fut)
                    if len(running) >= window:
                        return

            fill()
            try:
                for fut in pending:
                    task = running.pop(fut.key)
                    if fut.status == "finished":
                        value = fut.result()
                    else:
                        exc = fut.exception()
                        value = WorkerLost(f"its Dask worker failed ({type(exc).__name__}: {exc})")
                    fut.release()
                    yield task, value
                    fill()
            finally:
                for key in list(running):
                    running.pop(key)
                pending.clear()


def executor_for(jobs: int | None = None, scheduler: str | None = None):
    """The executor the flags ask for: Dask when --scheduler is given, else local processes."""
    if scheduler:
        if jobs is not None and jobs < 1:
            raise CapplanError(f"--jobs {jobs}: give at least 1")
        return DaskExecutor(scheduler, workers=jobs)
    return LocalExecutor(jobs)
