"""`case.toml`: reading and checking the case folder's human-readable description.

The keys of the issue are fixed (outside checks use them); anything else we add
is optional. A typo is reported with the file, its line and the key.
"""
from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workbench.common.errors import InputError

from .formats.base import CANONICAL_FIELDS, EXTRA_FIELDS

CASE_FILE = "case.toml"

_KEYS = {
    "case": {"name", "default_country", "description", "notes", "investigator", "tolerance_s",
             "based_on", "rmd", "dno"},
    "providers": {"name", "aliases", "rmd", "frn", "country", "foreign", "role", "notes",
                  "contact", "business_hours_deferral", "timezone"},
    "sources": {"provider", "path", "format", "timezone", "date_order", "columns",
                "upstreams", "customers", "sheet", "delimiter", "encoding", "skew_s",
                "time_basis", "notes", "mapping_name"},
    "tracebacks": {"path", "sheet", "timezone", "notes"},
}
_TOP = {"case", "providers", "sources", "tracebacks"}


@dataclass
class ProviderInfo:
    name: str
    aliases: list[str] = field(default_factory=list)
    rmd: str | None = None
    frn: str | None = None
    country: str | None = None
    foreign: bool = False
    role: str | None = None
    notes: str | None = None


@dataclass
class SourceConfig:
    """One provider's CDR file as described in case.toml."""

    provider: str
    path: str  # as written (relative to the case folder)
    format: str = "auto"
    timezone: str = "UTC"
    date_order: str | None = None
    columns: dict[str, str | list[str]] = field(default_factory=dict)
    upstreams: dict[str, str] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    skew_s: float | None = None  # set by hand: overrides the estimate
    time_basis: str | None = None  # "invite" | "answer": overrides the profile
    notes: str | None = None
    line: int | None = None  # line of its [[sources]] header in case.toml

    def resolved(self, root: Path) -> Path:
        return (root / self.path).resolve()


@dataclass
class TracebackFileConfig:
    path: str
    sheet: str | None = None
    timezone: str = "UTC"


@dataclass
class CaseConfig:
    root: Path
    name: str
    default_country: str = "US"
    description: str | None = None
    tolerance_s: float = 60.0
    providers: list[ProviderInfo] = field(default_factory=list)
    sources: list[SourceConfig] = field(default_factory=list)
    tracebacks: list[TracebackFileConfig] = field(default_factory=list)
    rmd: list[str] = field(default_factory=list)  # RMD CSV downloads, oldest snapshot first
    dno: str | None = None  # a Do-Not-Originate list (one number per line, or a CSV)
    raw: dict = field(default_factory=dict)

    @property
    def file(self) -> Path:
        return self.root / CASE_FILE


def case_path(path: str | Path) -> Path:
    """The case.toml for a folder or a direct path to the file."""
    p = Path(path)
    if p.is_dir():
        p = p / CASE_FILE
    if not p.exists():
        raise InputError("no case.toml here (give the case folder or its case.toml)", file=str(p))
    return p


def load_config(path: str | Path) -> CaseConfig:
    file = case_path(path)
    text = _read_text(file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise InputError(f"not valid TOML: {exc}", file=str(file),
                         line=int(m.group(1)) if m else None) from None
    return parse_config(data, file, text)


def parse_config(data: dict, file: Path, text: str = "") -> CaseConfig:
    f = str(file)
    lines = text.splitlines()
    for key in data:
        if key not in _TOP:
            _unknown(key, _TOP, f, lines)
    case = data.get("case", {})
    _check_keys("case", case, f, lines)
    country = str(case.get("default_country", "US")).upper()
    _check_country(country, f, lines)
    cfg = CaseConfig(root=file.parent.resolve(), name=str(case.get("name", file.parent.name)),
                     default_country=country, description=case.get("description"),
                     tolerance_s=float(case.get("tolerance_s", 60.0)), raw=data,
                     rmd=_paths(case.get("rmd"), "rmd", f, lines),
                     dno=_paths(case.get("dno"), "dno", f, lines)[0] if case.get("dno") else None)
    for p in _list(data, "providers", f):
        _check_keys("providers", p, f, lines)
        if "name" not in p:
            raise InputError("a [[providers]] entry has no name", file=f, field="name")
        cfg.providers.append(ProviderInfo(
            name=str(p["name"]), aliases=[str(a) for a in p.get("aliases", [])],
            rmd=p.get("rmd"), frn=p.get("frn"), country=p.get("country"),
            foreign=bool(p.get("foreign", False)), role=p.get("role"), notes=p.get("notes")))
    source_lines = _header_lines(lines, "sources")
    for i, s in enumerate(_list(data, "sources", f)):
        line = source_lines[i] if i < len(source_lines) else None
        cfg.sources.append(_source(s, f, lines, line, cfg.root))
    for t in _list(data, "tracebacks", f):
        _check_keys("tracebacks", t, f, lines)
        if "path" not in t:
            raise InputError("a [[tracebacks]] entry has no path", file=f, field="path")
        cfg.tracebacks.append(TracebackFileConfig(path=str(t["path"]), sheet=t.get("sheet"),
                                                  timezone=t.get("timezone", "UTC")))
    return cfg


def _paths(value: object, key: str, f: str, lines: list[str]) -> list[str]:
    """A path or a list of paths (relative to the case folder), as written."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise InputError(f"{key} must be a path or a list of paths", file=f,
                     line=_find_line(lines, key), field=key)


def _source(s: dict, f: str, lines: list[str], line: int | None, root: Path) -> SourceConfig:
    _check_keys("sources", s, f, lines)
    for req in ("provider", "path"):
        if req not in s:
            raise InputError(f"a [[sources]] entry has no '{req}'", file=f, line=line, field=req)
    tz = str(s.get("timezone", "UTC"))
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone '{tz}' (use an IANA name such as America/Chicago)",
                         file=f, line=_find_line(lines, "timezone", tz) or line,
                         field="timezone") from None
    order = s.get("date_order")
    if order is not None and str(order).upper() not in ("MDY", "DMY", "YMD"):
        raise InputError(f"date_order must be MDY, DMY or YMD, not '{order}'", file=f,
                         line=_find_line(lines, "date_order", str(order)) or line,
                         field="date_order")
    columns = dict(s.get("columns", {}))
    allowed = set(CANONICAL_FIELDS) | set(EXTRA_FIELDS)
    for key in columns:
        if key not in allowed:
            _unknown(key, allowed, f, lines, what="canonical field")
    fmt = str(s.get("format", "auto"))
    if fmt != "auto":
        from workbench.ingest import formats
        formats.get(fmt)  # raises with the list of known formats
    path = str(s["path"])
    if not (root / path).exists():
        raise InputError(f"source file not found: {path}", file=f,
                         line=_find_line(lines, "path", path) or line, field="path")
    basis = s.get("time_basis")
    if basis is not None and basis not in ("invite", "answer"):
        raise InputError("time_basis must be \"invite\" or \"answer\"", file=f, line=line,
                         field="time_basis")
    return SourceConfig(
        provider=str(s["provider"]), path=path, format=fmt, timezone=tz,
        date_order=str(order).upper() if order else None, columns=columns,
        upstreams={str(k): str(v) for k, v in s.get("upstreams", {}).items()},
        customers={str(k): str(v) for k, v in s.get("customers", {}).items()},
        sheet=s.get("sheet"), delimiter=s.get("delimiter"), encoding=s.get("encoding"),
        skew_s=float(s["skew_s"]) if "skew_s" in s else None, time_basis=basis,
        notes=s.get("notes"), line=line)


def _list(data: dict, key: str, f: str) -> list[dict]:
    v = data.get(key, [])
    if isinstance(v, dict):
        raise InputError(f"use [[{key}]] (an array of tables), not [{key}]", file=f, field=key)
    return v


def _check_keys(table: str, d: dict, f: str, lines: list[str]) -> None:
    for key in d:
        if key not in _KEYS[table]:
            _unknown(key, _KEYS[table], f, lines, what=f"key in [{table}]")


def _unknown(key: str, known, f: str, lines: list[str], what: str = "table") -> None:
    close = difflib.get_close_matches(key, sorted(known), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(sorted(known))})"
    raise InputError(f"unknown {what} '{key}'{hint}", file=f, line=_find_line(lines, key),
                     field=key)


def _check_country(country: str, f: str, lines: list[str]) -> None:
    import phonenumbers
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise InputError(f"default_country '{country}' is not an ISO region code such as US",
                         file=f, line=_find_line(lines, "default_country"),
                         field="default_country")


def _find_line(lines: list[str], key: str, value: str | None = None) -> int | None:
    pat = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=')
    for i, ln in enumerate(lines, start=1):
        if pat.match(ln) and (value is None or value in ln):
            return i
    for i, ln in enumerate(lines, start=1):
        if re.match(rf"^\s*\[+\s*(?:[\w.]+\.)?{re.escape(key)}\s*\]+", ln):
            return i
    return None


def _header_lines(lines: list[str], table: str) -> list[int]:
    return [i for i, ln in enumerate(lines, start=1) if re.match(rf"^\s*\[\[\s*{table}\s*\]\]", ln)]


def _read_text(file: Path) -> str:
    raw = file.read_bytes()
    for enc in ("utf-8-sig", "utf-16"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError("case.toml is not UTF-8 text", file=str(file))
