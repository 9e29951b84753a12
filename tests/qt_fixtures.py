"""pytest fixtures for driving the real workbench widgets offscreen (used by tests/test_ui_*).

Registered for the whole test tree by ``pytest_plugins`` in tests/conftest.py (it used to
ship inside the ``ui`` package as ui/testing.py). Cases are copied to a temporary folder (a
trace writes the case's audit trail), modal error boxes are recorded instead of shown, and
a test fails if it leaves a worker running. Private settings for every test: see
``wb_settings`` in tests/conftest.py.

Qt is imported inside the fixtures only, so the core tests never load it through here.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def _chain_case_master(tmp_path_factory) -> tuple[Path, dict]:
    from tests import casebuilder
    root = tmp_path_factory.mktemp("chain-master") / "chain"
    return root, casebuilder.build(root)


@pytest.fixture
def chain_case(_chain_case_master, tmp_path) -> tuple[Path, dict]:
    """The small five-provider test case of tests/casebuilder.py (a fresh copy) and its truth."""
    master, truth = _chain_case_master
    root = tmp_path / "chain"
    shutil.copytree(master, root)
    return root, truth


@pytest.fixture
def shown_errors(monkeypatch) -> list[tuple[str, str]]:
    """Error boxes the workbench would have shown: (title, text)."""
    from ui import errors
    seen: list[tuple[str, str]] = []

    def record(parent, title, exc):
        text = exc if isinstance(exc, str) else " ".join(errors.describe(exc)).strip()
        seen.append((title, text))
    monkeypatch.setattr(errors, "show_error", record)
    return seen


@pytest.fixture
def window(qtbot, shown_errors):
    from ui.main_window import MainWindow
    w = MainWindow(restore=False)
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    yield w
    runner = w.session.runner
    assert runner.shutdown(10_000), "a worker thread did not stop"
    qtbot.waitUntil(lambda: not runner.running, timeout=5000)
    w.session.edits.sources.clear()
    w.session.edits.case_notes = None


def wait_idle(qtbot, window, timeout: int = 30_000) -> None:
    """Until no worker of the window is running."""
    qtbot.waitUntil(lambda: not window.session.runner.running, timeout=timeout)


def open_case(qtbot, window, path: Path, timeout: int = 60_000) -> None:
    with qtbot.waitSignal(window.session.sig_case_changed, timeout=timeout):
        window.file.open(path)
    wait_idle(qtbot, window, timeout)
