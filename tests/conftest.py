"""Test setup: offscreen Qt, a private cache and settings per session."""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "*.debug=false;qt.qpa.*=false")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("wbcache")
    os.environ["WORKBENCH_CACHE_DIR"] = str(cache)
    yield cache


@pytest.fixture
def sample_case() -> Path:
    return ROOT / "sample_data" / "auto_warranty_case"
