"""pytest fixtures for driving the real workbench widgets offscreen (used by tests/test_ui_*).

Settings go to a private INI file, cases are copied to a temporary folder (a trace
writes the case's audit trail), modal error boxes are recorded instead of shown,
and a test fails if it leaves a worker running.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def wb_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    yield tmp_path / "settings.ini"


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    """The bundled sample case copied to a temporary folder (built if it is missing)."""
    src = ROOT / "sample_data" / "auto_warranty_case"
    dst = tmp_path / "case"
    if (src / "case.toml").exists():
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("audit.jsonl"))
    else:
        from workbench.generate import generate_case
        generate_case(dst, rows=5000, seed=7)
    return dst


@pytest.fixture(scope="session")
def _chain_case_master(tmp_path_factory) -> tuple[Path, dict]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
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
    from . import errors
    seen: list[tuple[str, str]] = []

    def record(parent, title, exc):
        text = exc if isinstance(exc, str) else " ".join(errors.describe(exc)).strip()
        seen.append((title, text))
    monkeypatch.setattr(errors, "show_error", record)
    return seen


@pytest.fixture
def window(qtbot, shown_errors):
    from .main_window import MainWindow
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


__all__ = ["wb_settings", "sample_copy", "_chain_case_master", "chain_case", "shown_errors",
           "window", "wait_idle", "open_case"]
