"""Worker processes for the wizard's heavy jobs, so they never hold this process's GIL.

Format detection, XLSX parsing and the draft's review are long pure-Python stretches: in a
thread of the GUI process they held the GIL and froze the window 300-1,000 ms at a time.
``ProcessJobs.call`` runs a job in a separate process instead and waits for it (the waiting
thread sleeps on a lock, so the GUI thread runs freely). Plain data in and out: arguments
and results are pickled, failures come back as ``InputError`` text (naming the user's file),
progress through one queue, cancel through a shared flag the job's ``should_stop`` reads.

No Qt here: the worker processes import this module and the job's own module only.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
import traceback
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from itertools import count
from typing import Any, Callable

from workbench.common.errors import Cancelled, InputError
from workbench.common.progress import ProgressFn, StopFn, never_stop, no_progress

log = logging.getLogger("workbench.gui")

WORKER_NICE = 10  # the jobs yield the CPU to the window (as ui.worker's threads do)
SLOTS = 128  # cancel flags: jobs submitted and not yet finished
POLL_S = 0.05  # how often a waiting thread looks at its should_stop
#: Imported once by the fork server, so each worker starts with them loaded (Linux, macOS).
PRELOAD = ["workbench.case.draft", "workbench.investigation.draft_review",
           "workbench.ingest.formats"]

# -- in the worker process -----------------------------------------------------------------
_pipe: Any = None  # the write end of the progress pipe
_pipe_lock: Any = None
_flags: Any = None


def _init_worker(pipe, lock, flags) -> None:
    global _pipe, _pipe_lock, _flags
    _pipe, _pipe_lock, _flags = pipe, lock, flags
    try:
        os.nice(WORKER_NICE)
    except (AttributeError, OSError):  # not allowed or not Unix: run as is
        pass


def _run_job(job: int, slot: int | None, fn: Callable, args: tuple, kwargs: dict
             ) -> tuple[str, int, Any]:
    """("ok" | "cancelled" | "error", pid, payload): never raises, so nothing unpicklable
    crosses back (an error is its one line, file, line, field, and the traceback)."""
    last = [0.0]

    def progress(fraction: float, message: str) -> None:
        now = time.monotonic()
        if _pipe is not None and (now - last[0] >= 0.1 or fraction >= 1.0):
            last[0] = now
            with _pipe_lock:
                _pipe.send((job, float(fraction), str(message)))

    def should_stop() -> bool:
        return bool(slot is not None and _flags is not None and _flags[slot])

    pid = os.getpid()
    try:
        return "ok", pid, fn(*args, progress=progress, should_stop=should_stop, **kwargs)
    except Cancelled:
        return "cancelled", pid, None
    except InputError as exc:
        return "error", pid, (exc.message, exc.file, exc.line, exc.field, None)
    except BaseException as exc:  # noqa: BLE001 - said in words; the traceback is logged
        name = getattr(exc, "filename", None)
        text = (f"{exc.strerror or exc}" if isinstance(exc, OSError) and exc.strerror
                else f"{type(exc).__name__}: {exc}")
        return "error", pid, (text, str(name) if name else None, None, None,
                              "".join(traceback.format_exception(exc)))


def _warm() -> int:
    """Nothing: starts a worker, so the first real job does not wait for it."""
    return os.getpid()


# -- in the GUI process ---------------------------------------------------------------------
def _context() -> multiprocessing.context.BaseContext:
    """A fork server (a clean interpreter without Qt, the core preloaded) where there is
    one; spawn elsewhere. Never plain fork: forking a process that runs Qt threads is unsafe."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


class ProcessJobs:
    """A small pool of worker processes; ``call`` runs one job there and waits for it.

    ``call`` is meant for a worker thread (``TaskRunner``): it blocks until the job ends,
    returns its result, raises ``InputError``/``Cancelled``, and forwards progress.
    ``pids`` records, per job function, the processes it ran in (tests and benchmarks check
    that no heavy job ran in this process)."""

    def __init__(self, workers: int = 2):
        self.workers = workers
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._ctx: multiprocessing.context.BaseContext | None = None
        self._pipe: Any = None  # (read end, write end) of the progress pipe
        self._pipe_lock: Any = None  # one progress message at a time in the pipe
        self._flags: Any = None
        self._free = list(range(SLOTS))
        self._progress: dict[int, ProgressFn] = {}
        self._ids = count(1)
        self._reader: threading.Thread | None = None
        self._closed = False
        self.pids: dict[str, set[int]] = {}

    # -- lifecycle ------------------------------------------------------------------------
    def _ensure(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise Cancelled()
            if self._pool is None:
                if self._ctx is None:
                    self._ctx = _context()
                    self._pipe = self._ctx.Pipe(duplex=False)
                    self._pipe_lock = self._ctx.Lock()
                    self._flags = self._ctx.RawArray("b", SLOTS)
                    self._reader = threading.Thread(target=self._read_progress,
                                                    name="wizard-job-progress", daemon=True)
                    self._reader.start()
                self._pool = ProcessPoolExecutor(self.workers, mp_context=self._ctx,
                                                 initializer=_init_worker,
                                                 initargs=(self._pipe[1], self._pipe_lock,
                                                           self._flags))
            return self._pool

    def warm_up(self) -> None:
        """Start the worker processes now, before the first job, from a background thread:
        starting the fork server waits ~0.5 s for its imports (not on the GUI thread)."""
        def start() -> None:
            try:
                pool = self._ensure()
                for _ in range(self.workers):
                    pool.submit(_warm)
            except (Cancelled, RuntimeError, BrokenProcessPool):
                pass
        threading.Thread(target=start, name="wizard-jobs-warm-up", daemon=True).start()

    def shutdown(self) -> None:
        """Stop every job and the worker processes (the wizard is closed)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
            for slot in range(SLOTS):
                if self._flags is not None:
                    self._flags[slot] = 1
        if pool is not None:
            procs = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:  # a job deep in a parse does not look at its flag: end it
                if p.is_alive():
                    p.terminate()
        # the progress reader sees _closed and ends (never write to the pipe from here: a
        # terminated worker may have died holding its lock)

    def _read_progress(self) -> None:
        conn = self._pipe[0]
        while not self._closed:
            try:
                if not conn.poll(0.25):
                    continue
                job, fraction, message = conn.recv()
            except (EOFError, OSError, ValueError):
                return
            sink = self._progress.get(job)
            if sink is not None:
                sink(fraction, message)

    # -- jobs -----------------------------------------------------------------------------
    def call(self, fn: Callable, *args, progress: ProgressFn = no_progress,
             should_stop: StopFn = never_stop, **kwargs) -> Any:
        """``fn(*args, progress=, should_stop=, **kwargs)`` in a worker process. ``fn`` must
        be a module-level function of a Qt-free module; args and result must pickle."""
        job = next(self._ids)
        with self._lock:
            slot = self._free.pop() if self._free else None  # none free: not cancellable
            if slot is not None and self._flags is not None:
                self._flags[slot] = 0
        self._progress[job] = progress
        future = None
        for _attempt in range(2):
            try:
                pool = self._ensure()
            except Cancelled:  # the wizard was closed
                self._release(job, slot)
                raise
            try:
                future = pool.submit(_run_job, job, slot, fn, args, kwargs)
                break
            except (RuntimeError, BrokenProcessPool):  # a worker died: start the pool again
                with self._lock:
                    broken = self._pool
                    self._pool = None if broken is pool else broken
                pool.shutdown(wait=False, cancel_futures=True)
        if future is None:
            self._release(job, slot)
            raise InputError("the worker processes that read the files could not be started")
        future.add_done_callback(lambda _f: self._release(job, slot))
        status, pid, payload = self._wait(future, slot, should_stop)
        self.pids.setdefault(getattr(fn, "__qualname__", str(fn)), set()).add(pid)
        if status == "cancelled":
            raise Cancelled()
        if status == "error":
            message, file, line, field, trace = payload
            if trace:
                log.error("a wizard job failed\n%s", trace)
            raise InputError(message, file=file, line=line, field=field)
        return payload

    def _wait(self, future: Future, slot: int | None, should_stop: StopFn
              ) -> tuple[str, int, Any]:
        while True:
            if should_stop() or self._closed:
                if slot is not None:
                    self._flags[slot] = 1  # the job stops at its next check
                future.cancel()
                raise Cancelled()  # the answer is no longer wanted: do not wait for it
            try:
                return future.result(timeout=POLL_S)
            except FutureTimeout:
                continue
            except CancelledError:
                raise Cancelled() from None
            except BrokenProcessPool:
                if self._closed:  # the wizard closed and ended its workers
                    raise Cancelled() from None
                raise InputError("the worker process reading the files stopped unexpectedly "
                                 "(out of memory?)") from None

    def _release(self, job: int, slot: int | None) -> None:
        self._progress.pop(job, None)
        if slot is not None:
            with self._lock:
                if slot not in self._free:
                    self._free.append(slot)

    def bind(self, fn: Callable) -> Callable:
        """``fn`` as a ``TaskRunner`` function that runs in a worker process."""
        def run(*args, progress: ProgressFn = no_progress, should_stop: StopFn = never_stop,
                **kwargs):
            return self.call(fn, *args, progress=progress, should_stop=should_stop, **kwargs)
        run.__name__ = run.__qualname__ = getattr(fn, "__name__", "job")
        return run
