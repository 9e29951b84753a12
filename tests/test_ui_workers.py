"""Long work runs off the GUI thread and can be cancelled; the window stays responsive."""
from __future__ import annotations

import threading
import time

import pytest

from tests.qt_fixtures import wait_idle
from ui.worker import Task, TaskRunner
from workbench.common.errors import InputError
from workbench.common.progress import check

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def big_case(tmp_path_factory):
    """A generated case big enough that opening it takes a while (not cached)."""
    from workbench.generate import generate_case
    root = tmp_path_factory.mktemp("big") / "case"
    generate_case(root, rows=120_000, seed=11)  # >100k rows: CSV, quick to write
    return root


def test_bridge_delivers_results_progress_and_failures_on_the_gui_thread(qtbot):
    runner = TaskRunner()
    gui = threading.get_ident()
    seen = []

    def work(n, *, progress, should_stop):
        progress(0.5, "half")
        seen.append(threading.get_ident())
        return n * 2

    t = Task("double", work, 21)
    t.sig_progress.connect(lambda f, m: seen.append(("progress", threading.get_ident() == gui)))
    with qtbot.waitSignal(t.sig_finished, timeout=5000) as blocker:
        runner.start(t)
    assert blocker.args == [42] and seen[0] != gui
    qtbot.waitUntil(lambda: not runner.running)
    failed = runner.run("fail", lambda *, progress, should_stop: (_ for _ in ()).throw(
        InputError("bad line", file="x.csv", line=3)))
    with qtbot.waitSignal(failed.sig_failed, timeout=5000) as blocker:
        pass
    assert blocker.args[0].line == 3
    assert runner.shutdown(5000)


def test_new_input_cancels_the_previous_task_of_the_same_kind(qtbot):
    runner = TaskRunner()

    def slow(*, progress, should_stop):
        for _ in range(60):
            check(should_stop)
            time.sleep(0.01)
        return "done"

    first = runner.run("q1", slow, kind="query")
    with qtbot.waitSignal(first.sig_cancelled, timeout=5000):
        second = runner.run("q2", slow, kind="query")
    with qtbot.waitSignal(second.sig_finished, timeout=10_000):
        pass
    assert runner.shutdown(5000)


def test_cancel_a_running_import(qtbot, window, big_case):
    s = window.session
    progress_seen = []
    task = s.open(big_case)
    task.sig_progress.connect(lambda f, m: progress_seen.append(m))
    qtbot.waitUntil(lambda: bool(progress_seen), timeout=10_000)
    ticks = []
    timer_start = time.monotonic()
    qtbot.waitUntil(lambda: ticks.append(time.monotonic()) or len(ticks) > 3, timeout=5000)
    assert ticks[-1] - timer_start < 2.0  # the event loop keeps running during the import
    with qtbot.waitSignal(task.sig_cancelled, timeout=30_000):
        window.actions["trace.cancel"].trigger()
    wait_idle(qtbot, window)
    assert s.case is None
    assert "cancelled" in window.statusBar().currentMessage().lower()
