"""The one place that reads and writes user settings (typed, versioned, over QSettings).

``WORKBENCH_SETTINGS`` (a file path) redirects everything to an INI file: the
tests use it so they never touch the user's real settings.
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORG, APP = "TracebackWorkbench", "Workbench"
VERSION = 2
MAX_RECENT = 10
THEMES = ("system", "light", "dark")


def _store() -> QSettings:
    path = os.environ.get("WORKBENCH_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORG, APP)


def migrate() -> None:
    """Bring settings written by an older version up to date."""
    s = _store()
    v = int(s.value("version", 0) or 0)
    if v < 1 and s.contains("recent"):  # v0 kept one path per key
        s.setValue("recent_cases", [str(x) for x in _as_list(s.value("recent"))])
        s.remove("recent")
    if v < 2:
        s.remove("window/state")  # dock names changed in v2: old layouts would misplace them
    s.setValue("version", VERSION)
    s.sync()


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]


def recent_cases() -> list[str]:
    """Recently opened cases, newest first; paths that no longer exist are dropped."""
    return [p for p in _as_list(_store().value("recent_cases")) if Path(p).exists()][:MAX_RECENT]


def add_recent_case(path: str | Path) -> list[str]:
    p = str(Path(path).resolve())
    items = [p] + [x for x in recent_cases() if x != p]
    s = _store()
    s.setValue("recent_cases", items[:MAX_RECENT])
    s.sync()
    return items[:MAX_RECENT]


def clear_recent_cases() -> None:
    _store().remove("recent_cases")


def window_geometry() -> QByteArray | None:
    v = _store().value("window/geometry")
    return v if isinstance(v, QByteArray) and not v.isEmpty() else None


def window_state() -> QByteArray | None:
    v = _store().value("window/state")
    return v if isinstance(v, QByteArray) and not v.isEmpty() else None


def save_window(geometry: QByteArray, state: QByteArray) -> None:
    s = _store()
    s.setValue("window/geometry", geometry)
    s.setValue("window/state", state)
    s.sync()


def theme() -> str:
    v = str(_store().value("theme", "system") or "system")
    return v if v in THEMES else "system"


def set_theme(value: str) -> None:
    if value not in THEMES:
        raise ValueError(value)
    _store().setValue("theme", value)


def investigator() -> str:
    return str(_store().value("investigator", "") or "")


def set_investigator(name: str) -> None:
    _store().setValue("investigator", name)


def last_dir() -> str:
    return str(_store().value("last_dir", str(Path.home())) or Path.home())


def set_last_dir(path: str | Path) -> None:
    p = Path(path)
    _store().setValue("last_dir", str(p if p.is_dir() else p.parent))


def ask_upstream_in_step_mode() -> bool:
    return str(_store().value("step/ask_upstream", "false")).lower() == "true"


def set_ask_upstream_in_step_mode(on: bool) -> None:
    _store().setValue("step/ask_upstream", "true" if on else "false")
