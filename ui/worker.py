"""The one bridge between long core work and the GUI thread.

A ``Task`` runs ``fn(*args, progress=..., should_stop=..., **kw)`` on a thread pool
and delivers ``sig_progress`` / ``sig_finished`` / ``sig_failed`` /
``sig_cancelled`` on the GUI thread. The ``TaskRunner`` keeps a strong reference
to every running task, cancels the previous task of the same kind when new
input arrives, and tells the status bar what is running.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from workbench.common.errors import Cancelled

WORKER_NICE = 10  # background work yields the CPU to the window


class _Relay(QObject):
    """Lives in the GUI thread; worker threads emit through it (queued delivery)."""

    progress = Signal(float, str)
    done = Signal(object, object)  # result, exception


class Task(QObject):
    sig_progress = Signal(float, str)
    sig_finished = Signal(object)
    sig_failed = Signal(object)  # the exception (show it with ui.errors.show_error)
    sig_cancelled = Signal()
    sig_ended = Signal(object)  # this task, after any of the three above

    def __init__(self, title: str, fn: Callable, *args, kind: str | None = None,
                 cancellable: bool = True, **kwargs):
        super().__init__()
        self.title, self.kind, self.cancellable = title, kind or title, cancellable
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._stop = threading.Event()
        self._relay = _Relay()
        self._relay.progress.connect(self._on_progress)
        self._relay.done.connect(self._on_done)
        self.running = False
        self.fraction, self.message = 0.0, title
        self._last_emit = 0.0

    def cancel(self) -> None:
        self._stop.set()

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def _progress(self, fraction: float, message: str) -> None:  # worker thread
        now = time.monotonic()
        if now - self._last_emit >= 0.05 or fraction >= 1.0:  # at most 20 updates a second
            self._last_emit = now
            self._relay.progress.emit(float(fraction), str(message))

    def run_here(self) -> None:  # worker thread
        result, error = None, None
        try:
            result = self._fn(*self._args, progress=self._progress,
                              should_stop=self.should_stop, **self._kwargs)
        except BaseException as exc:  # delivered to the GUI thread, never lost
            error = exc
        self._relay.done.emit(result, error)

    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        self.fraction, self.message = fraction, message
        self.sig_progress.emit(fraction, message)

    @Slot(object, object)
    def _on_done(self, result, error) -> None:
        self.running = False
        if isinstance(error, Cancelled) or (error is None and self.cancelled):
            self.sig_cancelled.emit()
        elif error is not None:
            self.sig_failed.emit(error)
        else:
            self.sig_finished.emit(result)
        self.sig_ended.emit(self)


class _Runnable(QRunnable):
    def __init__(self, task: Task):
        super().__init__()
        self.task = task
        self.setAutoDelete(True)

    def run(self) -> None:
        _yield_to_the_gui()
        self.task.run_here()


def _yield_to_the_gui() -> None:
    """Lower this worker thread's priority (Linux: per-thread nice; threads it starts inherit
    it), so the GUI thread gets a core first: on a busy 2-core machine, opening a 10 M-row
    case froze the window ~100-200 ms at a time without it, ~60 ms with it."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICE)
    except (AttributeError, OSError):  # not Linux/Unix, or not allowed: run as is
        pass


class TaskRunner(QObject):
    """Starts tasks, holds them until they end, and reports what is running."""

    sig_started = Signal(object)  # Task
    sig_ended = Signal(object)

    def __init__(self, parent: QObject | None = None, max_threads: int = 2):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._running: list[Task] = []
        self._closed = False

    def start(self, task: Task) -> Task:
        """Run ``task`` (after a shutdown nothing starts any more)."""
        if self._closed:
            return task
        for other in self._running:
            if other.kind == task.kind:
                other.cancel()  # new input: the old answer is no longer wanted
        self._running.append(task)
        task.running = True
        task.sig_ended.connect(self._on_task_ended)
        self.sig_started.emit(task)
        self._pool.start(_Runnable(task))
        return task

    def run(self, title: str, fn: Callable, *args, kind: str | None = None,
            on_done: Callable | None = None, on_failed: Callable | None = None,
            on_cancelled: Callable | None = None, **kwargs) -> Task:
        task = Task(title, fn, *args, kind=kind, **kwargs)
        if on_done:
            task.sig_finished.connect(on_done)
        if on_failed:
            task.sig_failed.connect(on_failed)
        if on_cancelled:
            task.sig_cancelled.connect(on_cancelled)
        return self.start(task)

    @Slot(object)
    def _on_task_ended(self, task: Task) -> None:
        if task in self._running:
            self._running.remove(task)
        self.sig_ended.emit(task)

    @property
    def running(self) -> list[Task]:
        return list(self._running)

    def cancel_all(self) -> None:
        for t in self._running:
            t.cancel()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything, start nothing more, and wait for the threads (on close)."""
        self._closed = True
        self.cancel_all()
        return self._pool.waitForDone(timeout_ms)
