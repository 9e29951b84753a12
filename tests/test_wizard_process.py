"""The New-case wizard's heavy work runs in worker processes, never in the GUI's process.

A thread of the GUI process holds its GIL through format detection, XLSX parsing and the
draft's review, and the window froze for it (300-1,000 ms at a time). Here the core
functions behind every heavy job are replaced *in this process* by probes that record
the thread that called them: driving the wizard from adding files to the finish page must
leave every probe untouched, while the jobs still deliver (files inspected, ingress ids
counted, the review done) from other processes. Worker processes start from a clean
interpreter (fork server or spawn), so the probes are not there.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tests.qt_fixtures import wait_idle
from ui.wizard import jobs as wizard_jobs
from ui.wizard import state as wizard_state
from ui.wizard.process_pool import ProcessJobs
from ui.wizard.wizard import NewCaseWizard
from workbench.case import draft as core_draft
from workbench.common.errors import Cancelled, InputError
from workbench.investigation import draft_review as core_review

pytestmark = pytest.mark.gui

HEAVY = [(wizard_jobs, "inspect_file"), (wizard_jobs, "record_providers"),
         (wizard_jobs, "ingress_counts"), (wizard_jobs, "review_draft"),
         (wizard_jobs, "effective_mapping"), (wizard_state, "preview"),
         (wizard_state, "raw_preview"), (core_draft, "inspect_file"),
         (core_draft, "ingress_counts"), (core_draft, "preview"),
         (core_review, "review_draft")]


@pytest.fixture
def probes(monkeypatch) -> list[tuple[str, str]]:
    """(function, thread name) for every heavy core call made in this process."""
    seen: list[tuple[str, str]] = []
    for module, name in HEAVY:
        real = getattr(module, name)

        def probe(*args, _name=name, _real=real, **kwargs):
            seen.append((_name, threading.current_thread().name))
            return _real(*args, **kwargs)
        monkeypatch.setattr(module, name, probe)
    return seen


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split(")")[-1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_every_heavy_wizard_job_runs_in_another_process(qtbot, window, chain_case, tmp_path,
                                                         probes):
    root, _ = chain_case
    wiz = NewCaseWizard(window.session.runner, window)
    qtbot.addWidget(wiz)
    wiz.show()
    wiz.case_page.folder.setText(str(tmp_path / "case"))
    wiz.case_page.name.setText("In worker processes")
    wiz.case_page.tracebacks.setText(str(root / "tracebacks.csv"))
    wiz.next()
    files = sorted((root / "cdrs").iterdir())
    wiz.files_page.add_files(files)
    qtbot.waitUntil(lambda: len(wiz.state.files) == len(files), timeout=30_000)
    for i, f in enumerate(wiz.state.files):
        wiz.files_page.set_provider(i, f.provider or f.path.stem)
    wiz.next()
    wait_idle(qtbot, window)
    assert wiz.source_page.preview.rowCount() > 0  # the preview came back from a worker
    wiz.next()
    qtbot.waitUntil(lambda: wiz.currentPage() is wiz.ingress_page, timeout=30_000)
    qtbot.waitUntil(lambda: wiz.ingress_page.isComplete() and not wiz.ingress_page.reviewing,
                    timeout=60_000)
    assert any(f.ingress for f in wiz.state.files)  # counted elsewhere, delivered here
    wiz.next()
    qtbot.waitUntil(lambda: wiz.finish_page.isComplete(), timeout=60_000)
    assert wiz.state.review is not None and wiz.state.review.records > 0

    assert probes == [], f"heavy work ran in the GUI's process: {probes}"
    ran = wiz.jobs.pids
    assert set(ran) >= {"inspect_files", "preview_file", "first_problem", "count_ingress",
                        "review_state"}
    workers = set().union(*ran.values())
    assert os.getpid() not in workers
    assert all(_alive(pid) for pid in workers)  # the wizard's own worker processes
    wiz.reject()  # closing the wizard ends them
    qtbot.waitUntil(lambda: not any(_alive(pid) for pid in workers), timeout=10_000)


def test_a_job_fails_in_words_naming_the_file_and_stops_when_asked(tmp_path):
    jobs = ProcessJobs(workers=1)
    try:
        bad = tmp_path / "broken.xlsx"
        bad.write_bytes(b"PK\x03\x04 not really a workbook")
        f = wizard_state.FileDraft(path=bad, provider="Broken", format="generic")
        with pytest.raises(InputError) as err:
            jobs.call(wizard_jobs.count_ingress, f)
        assert str(bad) in str(err.value) and "\n" not in str(err.value)

        seen: list[tuple[float, str]] = []
        with pytest.raises(Cancelled):  # asked to stop once the worker reports progress
            jobs.call(wait_until_stopped, progress=lambda *a: seen.append(a),
                      should_stop=lambda: bool(seen))
        assert seen[0] == (0.0, "waiting")  # progress crossed from the worker process
        # the worker saw the stop too: the pool's one worker is free for the next job
        deadline = time.monotonic() + 20
        assert jobs.call(wizard_jobs.first_problem, [], "US",
                         should_stop=lambda: time.monotonic() > deadline) is None
        assert os.getpid() not in jobs.pids["first_problem"]
    finally:
        jobs.shutdown()


def wait_until_stopped(*, progress, should_stop) -> None:
    """A job that runs until it is asked to stop (runs in the worker process)."""
    progress(0.0, "waiting")
    while not should_stop():
        time.sleep(0.01)
    raise Cancelled()
