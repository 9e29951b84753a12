"""`case.toml`: reading and checking the case folder's human-readable description.

The keys of the issue are fixed (outside checks use them); anything else we add
is optional. A typo is reported with the file, its line and the key.
"""
from __future__ import annotations

import codecs
import difflib
import math
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workbench.common.errors import InputError
from workbench.common.files import is_regular_or_missing, read_bytes, regular_file

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
    "store": {"backend", "path", "spark_master", "spark"},
}
_TOP = {"case", "providers", "sources", "tracebacks", "store"}
#: Where the engine reads CDR rows (``[store] backend``); see workbench.store.protocol.
BACKENDS = ("arrow", "duckdb", "spark")


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
    store_backend: str = "arrow"  # [store] backend: arrow (embedded) | duckdb | spark
    store_path: str | None = None  # [store] path: a DuckDB database file (or a lake folder)
    spark_master: str = "local[2]"  # [store] spark_master: where Spark runs
    spark_settings: dict[str, str] = field(default_factory=dict)  # [store.spark]: its conf
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def file(self) -> Path:
        return self.root / CASE_FILE


def case_path(path: str | Path) -> Path:
    """The case.toml for a folder or a direct path to the file."""
    p = Path(path)
    if p.is_dir():
        p = p / CASE_FILE
    if not p.exists() and not p.is_symlink():
        raise InputError("no case.toml here (give the case folder or its case.toml)", file=str(p))
    return regular_file(p, what="case file")


def load_config(path: str | Path) -> CaseConfig:
    file = case_path(path)
    text = _read_text(file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise InputError(f"not valid TOML: {exc}", file=str(file),
                         line=int(m.group(1)) if m else None) from None
    except RecursionError:  # arrays nested thousands deep
        raise InputError("not valid TOML: values nested too deeply", file=str(file)) from None
    return parse_config(data, file, text)


def parse_config(data: dict[str, Any], file: Path, text: str = "") -> CaseConfig:
    f = str(file)
    lines = text.splitlines()
    for key in data:
        if key not in _TOP:
            _unknown(key, _TOP, f, lines)
    case = _table(data, "case", f, lines)
    _check_keys("case", case, f, lines)
    at = _At(f, lines)
    for key in ("description", "notes", "investigator", "based_on"):
        at.text(case, key)
    country = (at.text(case, "default_country") or "US").upper()
    _check_country(country, f, lines)
    tolerance = at.number(case, "tolerance_s", low=0.0, high=_MAX_TOLERANCE_S, open_low=True)
    dno = _paths(case.get("dno"), "dno", f, lines)
    cfg = CaseConfig(root=file.parent.resolve(), name=at.text(case, "name") or file.parent.name,
                     default_country=country, description=case.get("description"),
                     tolerance_s=60.0 if tolerance is None else tolerance, raw=data,
                     rmd=_paths(case.get("rmd"), "rmd", f, lines),
                     dno=dno[0] if dno else None)
    if "store" in data:
        store = _table(data, "store", f, lines)
        _check_keys("store", store, f, lines)
        backend = (at.text(store, "backend") or "arrow").lower()
        if backend not in BACKENDS:
            raise at.fail("backend", f"unknown store backend '{backend}' (known: "
                          f"{', '.join(BACKENDS)})", backend)
        cfg.store_backend, cfg.store_path = backend, at.text(store, "path")
        cfg.spark_master = at.text(store, "spark_master") or "local[2]"
        cfg.spark_settings = _spark_settings(store, at)
    for p, line in _entries(data, "providers", f, lines):
        cfg.providers.append(_provider(p, _At(f, lines, line)))
    for s, line in _entries(data, "sources", f, lines):
        cfg.sources.append(_source(s, f, lines, line, cfg.root))
    for t, line in _entries(data, "tracebacks", f, lines):
        _check_keys("tracebacks", t, f, lines)
        tat = _At(f, lines, line)
        path = tat.text(t, "path")
        if not path:
            raise InputError("a [[tracebacks]] entry has no path", file=f, line=line,
                             field="path")
        try:  # before any CDR is read: a FIFO here would block the load at its very end
            regular_file(cfg.root / path, what="traceback file", field="path")
        except InputError as exc:
            raise tat.fail("path", f"{exc.message}: {path}", path) from None
        cfg.tracebacks.append(TracebackFileConfig(path=path, sheet=tat.text(t, "sheet"),
                                                  timezone=tat.zone(t, "timezone")))
    return cfg


def _spark_settings(store: dict[str, Any], at: _At) -> dict[str, str]:
    """``[store.spark]``: Spark configuration keys and values, all text. Unquoted dotted
    keys (``spark.sql.shuffle.partitions = "4"``) are TOML tables: joined back with dots."""
    v = store.get("spark")
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise at.fail("spark", f"spark must be a table ([store.spark]), not {_kind(v)}")
    out: dict[str, str] = {}

    def walk(prefix: str, d: dict[str, Any]) -> None:
        for k, x in d.items():
            key = f"{prefix}{k}"
            if isinstance(x, dict):
                walk(f"{key}.", x)
            elif isinstance(x, str):
                out[key] = x
            else:
                raise at.fail(k, f"[store.spark] {key} must be text in quotes, not {_kind(x)}")
    walk("", v)
    return out


#: Bounds that keep times in range downstream (µs arithmetic in int64): a match window
#: wider than a day, or a clock a week off, is a typo, not a setting.
_MAX_TOLERANCE_S = 86_400.0
_MAX_SKEW_S = 7 * 86_400.0


@dataclass
class _At:
    """Where a table of case.toml starts, to check its values' types and name their line."""

    f: str
    lines: list[str]
    start: int | None = None  # line of the table's header; None: search the whole file

    def fail(self, key: str, message: str, value: str | None = None) -> InputError:
        line = _find_line(self.lines, key, value, start=self.start) or self.start
        return InputError(message, file=self.f, line=line, field=key)

    def text(self, d: dict[str, Any], key: str) -> str | None:
        v = d.get(key)
        if v is None or isinstance(v, str):
            return v
        raise self.fail(key, f"{key} must be text in quotes, not {_kind(v)}")

    def number(self, d: dict[str, Any], key: str, *, low: float, high: float,
               open_low: bool = False) -> float | None:
        v = d.get(key)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(key, f"{key} must be a number of seconds, not {_kind(v)}")
        x = float(v)
        if not math.isfinite(x) or x > high or x < low or (open_low and x == low):
            lo = f"above {low:g}" if open_low else f"at least {low:g}"
            raise self.fail(key, f"{key} must be {lo} and at most {high:g} seconds, not {v}")
        return x

    def flag(self, d: dict[str, Any], key: str) -> bool:
        v = d.get(key, False)
        if isinstance(v, bool):
            return v
        raise self.fail(key, f"{key} must be true or false, not {_kind(v)}")

    def texts(self, d: dict[str, Any], key: str) -> list[str]:
        """A list of text values; a single text is a list of one."""
        v = d.get(key)
        if v is None:
            return []
        if isinstance(v, str):
            return [v]
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return list(v)
        raise self.fail(key, f"{key} must be a list of texts in quotes, not {_kind(v)}")

    def mapping(self, d: dict[str, Any], key: str) -> dict[str, str]:
        """A [table] of text values (trunk id = provider or customer name)."""
        v = d.get(key)
        if v is None:
            return {}
        if not isinstance(v, dict):
            raise self.fail(key, f"{key} must be a table ([sources.{key}]), not {_kind(v)}")
        for k, x in v.items():
            if not isinstance(x, str):
                raise InputError(f"{key} '{k}' must name a provider in quotes, not {_kind(x)}",
                                 file=self.f, line=_find_line(self.lines, k, start=self.start)
                                 or self.start, field=key)
        return dict(v)

    def zone(self, d: dict[str, Any], key: str) -> str:
        tz = self.text(d, key) or "UTC"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise self.fail(key, f"unknown time zone '{tz}' (use an IANA name such as "
                                 "America/Chicago)", tz) from None
        return tz


def _kind(v: object) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "text",
             list: "a list", dict: "a table"}
    return next((n for t, n in names.items() if type(v) is t), type(v).__name__)


def _provider(p: dict[str, Any], at: _At) -> ProviderInfo:
    _check_keys("providers", p, at.f, at.lines)
    name = at.text(p, "name")
    if not name:
        raise InputError("a [[providers]] entry has no name", file=at.f, line=at.start,
                         field="name")
    at.flag(p, "business_hours_deferral")  # read by the deadline rule
    if "timezone" in p:
        at.zone(p, "timezone")
    return ProviderInfo(name=name, aliases=at.texts(p, "aliases"), rmd=at.text(p, "rmd"),
                        frn=at.text(p, "frn"), country=at.text(p, "country"),
                        foreign=at.flag(p, "foreign"), role=at.text(p, "role"),
                        notes=at.text(p, "notes"))



def _paths(value: object, key: str, f: str, lines: list[str]) -> list[str]:
    """A path or a list of paths (relative to the case folder), as written."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise InputError(f"{key} must be a path or a list of paths", file=f,
                         line=_find_line(lines, key), field=key)
    for v in value:  # a missing download is said where it is read; a FIFO would hang there
        if not is_regular_or_missing(Path(f).parent / v):
            raise InputError(f"{key} file {v} is not a regular file (a folder, pipe or "
                             "device)", file=f, line=_find_line(lines, key), field=key)
    return list(value)


def _source(s: dict[str, Any], f: str, lines: list[str], line: int | None,
            root: Path) -> SourceConfig:
    _check_keys("sources", s, f, lines)
    at = _At(f, lines, line)
    for req in ("provider", "path"):
        if not at.text(s, req):
            raise InputError(f"a [[sources]] entry has no '{req}'", file=f, line=line, field=req)
    tz = at.zone(s, "timezone")
    order = at.text(s, "date_order")
    if order is not None and order.upper() not in ("MDY", "DMY", "YMD"):
        raise at.fail("date_order", f"date_order must be MDY, DMY or YMD, not '{order}'", order)
    columns = _columns(s, at)
    fmt = at.text(s, "format") or "auto"
    if fmt != "auto":
        from workbench.ingest import formats
        formats.get(fmt)  # raises with the list of known formats
    path = str(s["path"])
    try:
        regular_file(root / path, what="source file", field="path")
    except InputError as exc:
        raise at.fail("path", f"{exc.message}: {path}", path) from None
    basis = at.text(s, "time_basis")
    if basis is not None and basis not in ("invite", "answer"):
        raise at.fail("time_basis", "time_basis must be \"invite\" or \"answer\"")
    return SourceConfig(
        provider=str(s["provider"]), path=path, format=fmt, timezone=tz,
        date_order=order.upper() if order else None, columns=columns,
        upstreams=at.mapping(s, "upstreams"), customers=at.mapping(s, "customers"),
        sheet=at.text(s, "sheet"), delimiter=_delimiter(s, at), encoding=_encoding(s, at),
        skew_s=at.number(s, "skew_s", low=-_MAX_SKEW_S, high=_MAX_SKEW_S),
        time_basis=basis, notes=at.text(s, "notes"), line=line)


def _columns(s: dict[str, Any], at: _At) -> dict[str, str | list[str]]:
    """[sources.columns]: canonical field = header name, or a list of names joined."""
    v = s.get("columns", {})
    if not isinstance(v, dict):
        raise at.fail("columns", f"columns must be a table ([sources.columns]), not {_kind(v)}")
    allowed = set(CANONICAL_FIELDS) | set(EXTRA_FIELDS)
    for key, want in v.items():
        if key not in allowed:
            _unknown(key, allowed, at.f, at.lines, what="canonical field")
        ok = isinstance(want, str) or (isinstance(want, list) and want
                                       and all(isinstance(x, str) for x in want))
        if not ok:
            raise at.fail(key, f"column for '{key}' must be a header name in quotes or a "
                               f"list of them, not {_kind(want)}")
    return dict(v)


def _delimiter(s: dict[str, Any], at: _At) -> str | None:
    d = at.text(s, "delimiter")
    if d is not None and (len(d) != 1 or d in "\"\r\n"):
        raise at.fail("delimiter", f"delimiter must be one character such as \",\" or \"\\t\", "
                                   f"not {d!r}")
    return d


def _encoding(s: dict[str, Any], at: _At) -> str | None:
    enc = at.text(s, "encoding")
    if enc is None:
        return None
    try:
        info = codecs.lookup(enc)
    except LookupError:
        raise at.fail("encoding", f"unknown encoding '{enc}' (use a name such as utf-8, "
                                  "cp1252 or utf-16)", enc) from None
    if not _is_text_codec(info):
        raise at.fail("encoding", f"'{enc}' is not a text encoding", enc)
    return enc


def _is_text_codec(info: codecs.CodecInfo) -> bool:
    """Codecs such as base64 or rot13 are registered too but do not turn bytes into text."""
    return getattr(info, "_is_text_encoding", True)


def _table(data: dict[str, Any], key: str, f: str, lines: list[str]) -> dict[str, Any]:
    v = data.get(key, {})
    if not isinstance(v, dict):
        raise InputError(f"[{key}] must be a table, not {_kind(v)}", file=f,
                         line=_find_line(lines, key), field=key)
    return v


def _entries(data: dict[str, Any], key: str, f: str,
             lines: list[str]) -> list[tuple[dict[str, Any], int | None]]:
    """The tables of an array of tables ([[key]]), each with the line of its header."""
    v = data.get(key, [])
    if isinstance(v, dict):
        raise InputError(f"use [[{key}]] (an array of tables), not [{key}]", file=f,
                         line=_find_line(lines, key), field=key)
    if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
        raise InputError(f"{key} must be [[{key}]] tables, not {_kind(v)}", file=f,
                         line=_find_line(lines, key), field=key)
    heads = _header_lines(lines, key)
    return [(x, heads[i] if i < len(heads) else None) for i, x in enumerate(v)]


def _check_keys(table: str, d: dict[str, Any], f: str, lines: list[str]) -> None:
    for key in d:
        if key not in _KEYS[table]:
            _unknown(key, _KEYS[table], f, lines, what=f"key in [{table}]")


def _unknown(key: str, known: Iterable[str], f: str, lines: list[str], what: str = "table") -> None:
    close = difflib.get_close_matches(key, sorted(known), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(sorted(known))})"
    raise InputError(f"unknown {what} '{key}'{hint}", file=f, line=_find_line(lines, key),
                     field=key)


def _check_country(country: str, f: str, lines: list[str]) -> None:
    from workbench.columns.regions import REGIONS  # phonenumbers' set, without its import
    if country not in REGIONS:
        raise InputError(f"default_country '{country}' is not an ISO region code such as US",
                         file=f, line=_find_line(lines, "default_country"),
                         field="default_country")


def _find_line(lines: list[str], key: str, value: str | None = None,
               start: int | None = None) -> int | None:
    """The line where `key` is set (from the table header at `start` on, when given)."""
    pat = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=')
    first = (start or 1) - 1
    for i, ln in enumerate(lines[first:], start=first + 1):
        if pat.match(ln) and (value is None or value in ln):
            return i
    for i, ln in enumerate(lines[first:], start=first + 1):
        if re.match(rf"^\s*\[+\s*(?:[\w.]+\.)?{re.escape(key)}\s*\]+", ln):
            return i
    return None


def _header_lines(lines: list[str], table: str) -> list[int]:
    return [i for i, ln in enumerate(lines, start=1) if re.match(rf"^\s*\[\[\s*{table}\s*\]\]", ln)]


def _read_text(file: Path) -> str:
    raw = read_bytes(file, what="case file")
    for enc in ("utf-8-sig", "utf-16"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError("case.toml is not UTF-8 text", file=str(file))
