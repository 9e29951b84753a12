"""Where the workbench keeps its per-user cache (never inside a case folder)."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def cache_dir() -> Path:
    env = os.environ.get("WORKBENCH_CACHE_DIR")
    if env:
        base = Path(env)
    elif sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home())) / "TracebackWorkbench" / "cache"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches" / "TracebackWorkbench"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "traceback-workbench"
    base.mkdir(parents=True, exist_ok=True)
    return base
