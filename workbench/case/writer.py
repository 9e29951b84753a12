"""Writing `case.toml`: a new case from a draft, or edits (mappings, notes) to an open one.

Every write is checked before it lands: the text must parse back to the same data
and pass ``config.parse_config`` (so the CLI reads it identically), and it replaces
the old file atomically. The previous version of an edited file is kept as
``case.toml.bak``. Comments in a hand-written file are not preserved.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import math
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from workbench.common.atomic import atomic_write_text
from workbench.common.errors import InputError
from workbench.ingest.config import CASE_FILE, CaseConfig, SourceConfig, parse_config
from workbench.store.protocol import SourceId

_TOP_ORDER = ("case", "providers", "sources", "tracebacks")
_BARE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


#: A source as the New-case wizard describes it: the same fields case.toml gives a source.
DraftSource = SourceConfig
_SOURCE_TABLES = ("columns", "upstreams", "customers")
_SOURCE_SKIP = {"provider", "path", "format", "timezone", "line", *_SOURCE_TABLES}


def source_dict(s: SourceConfig) -> dict[str, Any]:
    """The ``[[sources]]`` table of ``s``: its required keys, then only what is set."""
    d: dict[str, Any] = {"provider": s.provider, "path": s.path, "format": s.format,
                         "timezone": s.timezone}
    for f in fields(s):
        value = getattr(s, f.name)
        if f.name not in _SOURCE_SKIP and value not in (None, ""):
            d[f.name] = value
    for key in _SOURCE_TABLES:
        value = {k: v for k, v in getattr(s, key).items() if k and v}
        if value:
            d[key] = value
    return d


@dataclass
class DraftCase:
    name: str
    default_country: str = "US"
    description: str | None = None
    notes: str | None = None
    sources: list[SourceConfig] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)  # paths of traceback files
    providers: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        case = {"name": self.name, "default_country": self.default_country.upper()}
        if self.description:
            case["description"] = self.description
        if self.notes:
            case["notes"] = self.notes
        data: dict[str, Any] = {"case": case}
        if self.providers:
            data["providers"] = [dict(p) for p in self.providers]
        data["sources"] = [source_dict(s) for s in self.sources]
        if self.tracebacks:
            data["tracebacks"] = [{"path": p} for p in self.tracebacks]
        return data


@dataclass
class CaseEdits:
    """Unsaved changes to an open case: per-source mappings and notes, case notes."""

    # source -> {upstreams, customers, notes}
    sources: dict[SourceId, dict[str, Any]] = field(default_factory=dict)
    case_notes: str | None = None  # None: unchanged

    def __bool__(self) -> bool:
        return bool(self.sources) or self.case_notes is not None


def relative_path(file: str | Path, folder: str | Path) -> str:
    """``file`` relative to the case folder (POSIX slashes), or absolute across drives."""
    try:
        rel = os.path.relpath(Path(file).resolve(), Path(folder).resolve())
    except ValueError:
        return Path(file).resolve().as_posix()
    return Path(rel).as_posix()


def dumps(data: dict[str, Any], comment: str | None = None) -> str:
    """TOML text for ``data`` (the shape ``tomllib`` returns for a case.toml)."""
    lines: list[str] = []
    if comment:
        lines += [f"# {ln}" if ln else "#" for ln in comment.splitlines()] + [""]
    keys = [k for k in _TOP_ORDER if k in data] + [k for k in data if k not in _TOP_ORDER]
    _emit(lines, [], {k: data[k] for k in keys})
    return "\n".join(lines).strip("\n") + "\n"


def _is_aot(v: object) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _emit(lines: list[str], path: list[str], table: dict[str, Any], array: bool = False) -> None:
    if path:
        if lines and lines[-1] != "":
            lines.append("")
        dotted = ".".join(_key(p) for p in path)
        lines.append(f"[[{dotted}]]" if array else f"[{dotted}]")
    subs = []
    for k, v in table.items():
        if isinstance(v, dict) or _is_aot(v):
            subs.append((k, v))
        elif v is not None:
            lines.append(f"{_key(k)} = {_value(v)}")
    for k, v in subs:
        if isinstance(v, dict):
            _emit(lines, path + [k], v)
        else:
            for item in v:
                _emit(lines, path + [k], item, array=True)


def _key(k: str) -> str:
    return k if _BARE.match(k) else json.dumps(k, ensure_ascii=False)


def _value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    return json.dumps(str(v), ensure_ascii=False)


def write_case(folder: str | Path, data: dict[str, Any] | DraftCase, *, backup: bool = False,
               comment: str | None = "Written by Traceback Workbench.") -> Path:
    """Check and atomically write ``folder/case.toml``; returns its path."""
    if isinstance(data, DraftCase):
        data = data.to_dict()
    folder = Path(folder)
    file = folder / CASE_FILE
    text = dumps(data, comment)
    back = tomllib.loads(text)
    if _plain(back) != _plain(data):
        raise InputError("case.toml would not read back as written (please report this)",
                         file=str(file))
    folder.mkdir(parents=True, exist_ok=True)  # relative paths like ../cdrs resolve through it
    parse_config(back, file, text)  # raises InputError naming the line and field
    if backup and file.exists():
        atomic_write_text(file.with_name(CASE_FILE + ".bak"), file.read_text(encoding="utf-8"))
    atomic_write_text(file, text)
    return file


def _plain(v: object) -> object:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items() if x is not None}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def apply_edits(raw: dict[str, Any], edits: CaseEdits) -> dict[str, Any]:
    """A copy of the parsed case.toml data with ``edits`` applied."""
    data = copy.deepcopy(raw)
    sources = data.get("sources", [])
    for sid, change in edits.sources.items():
        s = next((x for x in sources if (str(x.get("provider", "")), str(x.get("path", "")))
                  == (sid.provider, sid.path)), None)
        if s is None:
            raise InputError(f"no source {sid} in this case", field="sources")
        for key in ("upstreams", "customers"):
            if key in change:
                table = {str(k).strip(): str(v).strip() for k, v in change[key].items()
                         if str(k).strip() and str(v).strip()}
                if table:
                    s[key] = table
                else:
                    s.pop(key, None)
        if "notes" in change:
            _set_or_drop(s, "notes", change["notes"])
    if edits.case_notes is not None:
        _set_or_drop(data.setdefault("case", {}), "notes", edits.case_notes)
    return data


def _set_or_drop(d: dict[str, Any], key: str, value: str | None) -> None:
    if value and value.strip():
        d[key] = value.rstrip()
    else:
        d.pop(key, None)


def save_edits(cfg: CaseConfig, edits: CaseEdits) -> Path:
    """Apply ``edits`` to the open case's file (atomically, keeping case.toml.bak)."""
    head = []
    try:
        for line in cfg.file.read_text(encoding="utf-8-sig").splitlines():
            if not line.startswith("#"):
                break
            head.append(line[1:].removeprefix(" "))
    except OSError:
        pass
    return write_case(cfg.root, apply_edits(cfg.raw, edits), backup=True,
                      comment="\n".join(head) or None)
