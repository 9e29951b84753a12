"""Traceback records (one row per hop) from CSV, XLSX or JSON."""
from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from workbench.columns.arrow_numpy import strings
from workbench.columns.numbers import normalize_distinct
from workbench.columns.times import AMBIGUOUS, NAT, parse_times, second_pass_us
from workbench.common.errors import InputError
from workbench.common.files import read_bytes, regular_file

from .formats.base import ReadOptions
from .formats.generic import read_generic

COLUMNS = ("traceback_id", "campaign", "call_time", "calling", "called", "hop", "provider",
           "upstream", "status", "notified_at", "responded_at", "notes")
STATUSES = {"upstream_identified", "originator", "foreign_point_of_entry", "not_found",
            "no_response", "refused", "pending"}
REQUIRED = ("traceback_id", "hop", "provider")


@dataclass
class TracebackHop:
    hop: int
    provider: str
    upstream: str | None
    status: str | None
    notified_at: str | None = None
    responded_at: str | None = None
    notes: str | None = None
    line: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Traceback:
    """One traced call and what each provider answered about it."""

    traceback_id: str
    campaign: str | None
    call_time: str | None  # as written
    call_time_us: int
    calling: str | None  # E.164 where it normalizes
    called: str | None
    calling_raw: str | None
    called_raw: str | None
    hops: list[TracebackHop] = field(default_factory=list)
    source: str = ""
    #: a local call time in a repeated hour (DST fall-back) is read as its first pass
    #: (``call_time_us``); this is its second pass (NAT: the time was not ambiguous)
    call_time_alt_us: int = NAT


def load_tracebacks(path: Path, *, default_country: str = "US", timezone: str = "UTC",
                    sheet: str | None = None) -> list[Traceback]:
    """Every traceback of a records file, its hops in order. Numbers and call times are
    normalized as columns (one pass per file, distinct values once), not one call per row:
    a campaign's file holds tens of thousands of records."""
    lines, table = read_table(path, sheet)
    return records_from(path, lines, table, default_country=default_country, timezone=timezone)


def records_from(path: Path, lines: list[int], table: dict[str, list[Any]], *,
                 default_country: str = "US", timezone: str = "UTC") -> list[Traceback]:
    """The tracebacks of a records file already read as columns (``read_table``)."""
    col = table.get
    ids, hops, providers = col("traceback_id"), col("hop"), col("provider")
    statuses, upstreams = col("status"), col("upstream")
    notified, responded, notes = col("notified_at"), col("responded_at"), col("notes")
    campaigns, times = col("campaign"), col("call_time")
    callings, calleds = col("calling"), col("called")
    extras = [(k, v) for k, v in table.items() if k not in COLUMNS]
    by_id: dict[str, Traceback] = {}
    first_line: dict[str, int] = {}
    for i, line in enumerate(lines):
        for req, values in (("traceback_id", ids), ("hop", hops), ("provider", providers)):
            if values is None or not values[i]:
                raise InputError(f"traceback record without '{req}'", file=str(path), line=line,
                                 field=req)
        tid = str(ids[i])  # type: ignore[index]
        hop_no = _hop_number(hops[i], path, line)  # type: ignore[index]
        status = (_text(statuses[i]) or "").lower() or None if statuses else None
        if status and status not in STATUSES:
            raise InputError(f"unknown status '{status}' (known: {', '.join(sorted(STATUSES))})",
                             file=str(path), line=line, field="status")
        tb = by_id.get(tid)
        if tb is None:
            calling_raw = callings[i] if callings else None
            called_raw = calleds[i] if calleds else None
            tb = Traceback(traceback_id=tid, campaign=_text(campaigns[i]) if campaigns else None,
                           call_time=_text(times[i]) if times else None, call_time_us=NAT,
                           calling=None, called=None,
                           calling_raw=str(calling_raw) if calling_raw else None,
                           called_raw=str(called_raw) if called_raw else None, source=str(path))
            by_id[tid] = tb
            first_line[tid] = line
        tb.hops.append(TracebackHop(
            hop_no, str(providers[i]),  # type: ignore[index]
            _text(upstreams[i]) if upstreams else None, status,
            _text(notified[i]) if notified else None, _text(responded[i]) if responded else None,
            _text(notes[i]) if notes else None, line,
            {k: v[i] for k, v in extras if v[i] is not ABSENT}))
    records = list(by_id.values())
    _call_times(records, first_line, path, timezone)
    _numbers(records, default_country)
    for tb in records:
        tb.hops.sort(key=lambda h: h.hop)
    return records


def read_table(path: Path, sheet: str | None = None) -> tuple[list[int], dict[str, list[Any]]]:
    """The records as columns named in lower case, text values stripped (a later column of
    the same name wins, as a row's dict kept it). A JSON record lacking a key holds
    ``ABSENT`` there in the columns ``extra`` is made of (its ``extra`` then lacks the key
    too), None in the known ones."""
    regular_file(path, what="traceback file", field="path")  # never a FIFO or a folder
    if path.suffix.lower() == ".json":
        rows = _json_rows(path)
        table: dict[str, list[Any]] = {}
        for i, (_, row) in enumerate(rows):
            for k, v in row.items():
                name = str(k).strip().lower()
                if name not in table:
                    table[name] = [ABSENT] * len(rows)
                table[name][i] = v.strip() if isinstance(v, str) else v
        for name in COLUMNS:
            if name in table:
                table[name] = [None if v is ABSENT else v for v in table[name]]
        return [line for line, _ in rows], table
    parsed = _parsed(path, sheet)
    table = {}
    for n in parsed.columns:
        values = parsed.columns[n].to_pylist()
        table[str(n).strip().lower()] = [v.strip() if isinstance(v, str) else v for v in values]
    return parsed.lines.tolist(), table


#: A JSON record's missing key, in the columns made of many records.
ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()


def _call_times(records: list[Traceback], first_line: dict[str, int], path: Path,
                timezone: str) -> None:
    """Every record's call time in one parse; an unreadable one names its line."""
    timed = [tb for tb in records if tb.call_time]
    if not timed:
        return
    parsed = parse_times(strings([str(tb.call_time) for tb in timed]), timezone)
    ambiguous = (parsed.flags & AMBIGUOUS) != 0
    for tb, value, twice in zip(timed, parsed.us.tolist(), ambiguous.tolist()):
        if value == NAT:
            raise InputError(f"unreadable call_time '{tb.call_time}'", file=str(path),
                             line=first_line[tb.traceback_id], field="call_time")
        tb.call_time_us = int(value)
        if twice:
            tb.call_time_alt_us = second_pass_us(int(value), timezone)


def _numbers(records: list[Traceback], default_country: str) -> None:
    """E.164 of every calling and called number, each distinct written form once."""
    raws = sorted({x for tb in records for x in (tb.calling_raw, tb.called_raw) if x})
    if not raws:
        return
    text, _, _ = normalize_distinct(strings(raws), default_country)
    e164 = dict(zip(raws, text.to_pylist()))
    for tb in records:
        tb.calling = e164[tb.calling_raw] if tb.calling_raw else None
        tb.called = e164[tb.called_raw] if tb.called_raw else None


def _hop_number(value: object, path: Path, line: int) -> int:
    """A hop's position: a whole number of sensible size (1e400 or 'nan' is a typo)."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = math.nan
    if not math.isfinite(x) or x != int(x) or not 0 <= x <= _MAX_HOP:
        raise InputError(f"hop must be a whole number from 0 to {_MAX_HOP}, not '{value}'",
                         file=str(path), line=line, field="hop")
    return int(x)


#: No chain has a thousand hops; a larger number is a damaged cell.
_MAX_HOP = 999


def _text(value: object) -> str | None:
    """A cell as text; JSON may hold numbers or nested values where we expect text."""
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _parsed(path: Path, sheet: str | None) -> Any:
    """A CSV or XLSX file of records read as text columns (every column as written)."""
    try:
        return read_generic(path, ReadOptions(sheet=sheet, columns={}), mapping=False)
    except InputError:
        raise
    except (ValueError, KeyError, IndexError, LookupError, UnicodeError, csv.Error,
            pa.ArrowException) as exc:  # the guard `load_source` has around a CDR reader
        raise InputError(f"cannot read the traceback file: {type(exc).__name__}: {exc}",
                         file=str(path)) from None


def _json_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Records of a JSON file: a list of objects, or {"tracebacks": [...]} / {"records": ...}.
    Lines are record numbers (JSON has no rows)."""
    f = str(path)
    raw = read_bytes(path, what="traceback file", field="path")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 JSON (byte {exc.start})", file=f,
                         line=raw[:exc.start].count(b"\n") + 1) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=f, line=exc.lineno) from None
    except RecursionError:
        raise InputError("not valid JSON: nested too deeply", file=f) from None
    if isinstance(data, dict):
        data = data.get("tracebacks") or data.get("records") or []
    if not isinstance(data, list):
        raise InputError("expected a list of traceback records (or {\"tracebacks\": [...]})",
                         file=f)
    for i, row in enumerate(data, start=1):
        if not isinstance(row, dict):
            raise InputError(f"record {i} is not an object of fields", file=f, line=i)
    return [(i, dict(row)) for i, row in enumerate(data, start=1)]
