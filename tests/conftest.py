"""Test setup: offscreen Qt, a private cache and settings, and a checkout nothing writes into."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "*.debug=false;qt.qpa.*=false")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SAMPLE_DATA = ROOT / "sample_data"
SAMPLE = SAMPLE_DATA / "auto_warranty_case"

# The Qt widget fixtures (window, chain_case, shown_errors, ...) for tests/test_ui_*.
pytest_plugins = ["tests.qt_fixtures"]


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("wbcache")
    os.environ["WORKBENCH_CACHE_DIR"] = str(cache)
    yield cache


@pytest.fixture(autouse=True)
def wb_settings(tmp_path, monkeypatch):
    """Every test reads and writes its own settings file, never the user's (ui/settings.py)."""
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    yield tmp_path / "settings.ini"


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): (st.st_size, st.st_mtime_ns)
            for p in folder.rglob("*") if p.is_file() and (st := p.stat())}


@pytest.fixture(autouse=True, scope="session")
def _sample_data_untouched():
    """Fail the run if any test wrote into the checkout's sample_data/ (an audit.jsonl left
    by a trace, say): tests open, trace and export copies (`sample_copy`)."""
    before = _files(SAMPLE_DATA)
    yield
    after = _files(SAMPLE_DATA)
    new = sorted(after.keys() - before.keys())
    gone = sorted(before.keys() - after.keys())
    changed = sorted(k for k in after.keys() & before.keys() if after[k] != before[k])
    if new or gone or changed:
        pytest.fail(f"tests wrote into {SAMPLE_DATA}: new {new}, changed {changed}, removed "
                    f"{gone}; work on a copy (the sample_copy fixture)", pytrace=False)


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    """The bundled sample case copied to a temporary folder (built if it is missing)."""
    dst = tmp_path / "case"
    if (SAMPLE / "case.toml").exists():
        shutil.copytree(SAMPLE, dst, ignore=shutil.ignore_patterns("audit.jsonl"))
    else:
        from workbench.generate import generate_case
        generate_case(dst, rows=5000, seed=7)
    return dst


@pytest.fixture
def small_positional_limits(monkeypatch):
    """The positional readers' refusal and trial limits made small, so a few generated or
    damaged lines reach the paths a large file takes."""
    from workbench.ingest.formats.switches import positional
    monkeypatch.setattr(positional, "MAX_REFUSED", 2)
    monkeypatch.setattr(positional, "TRIAL_LINES", 12)
