"""Traceback records (one row per hop) from CSV, XLSX or JSON."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from workbench.columns.numbers import normalize_one
from workbench.columns.times import NAT, parse_times
from workbench.common.errors import InputError

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
    extra: dict = field(default_factory=dict)


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


def load_tracebacks(path: Path, *, default_country: str = "US", timezone: str = "UTC",
                    sheet: str | None = None) -> list[Traceback]:
    rows = _rows(path, sheet)
    by_id: dict[str, Traceback] = {}
    for line, row in rows:
        r = {k.strip().lower(): (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
        for req in REQUIRED:
            if not r.get(req):
                raise InputError(f"traceback record without '{req}'", file=str(path), line=line,
                                 field=req)
        tid = str(r["traceback_id"])
        try:
            hop_no = int(float(r["hop"]))
        except ValueError:
            raise InputError(f"hop must be a number, not '{r['hop']}'", file=str(path),
                             line=line, field="hop") from None
        status = (r.get("status") or "").lower() or None
        if status and status not in STATUSES:
            raise InputError(f"unknown status '{status}' (known: {', '.join(sorted(STATUSES))})",
                             file=str(path), line=line, field="status")
        tb = by_id.get(tid)
        if tb is None:
            raw_time = r.get("call_time")
            us = NAT
            if raw_time:
                us = int(parse_times(pa.array([str(raw_time)]), timezone).us[0])
                if us == NAT:
                    raise InputError(f"unreadable call_time '{raw_time}'", file=str(path),
                                     line=line, field="call_time")
            calling_raw, called_raw = r.get("calling"), r.get("called")
            tb = Traceback(
                traceback_id=tid, campaign=r.get("campaign"), call_time=raw_time,
                call_time_us=us,
                calling=normalize_one(str(calling_raw), default_country)[0] if calling_raw else None,
                called=normalize_one(str(called_raw), default_country)[0] if called_raw else None,
                calling_raw=calling_raw, called_raw=called_raw, source=str(path))
            by_id[tid] = tb
        extra = {k: v for k, v in r.items() if k not in COLUMNS}
        tb.hops.append(TracebackHop(hop=hop_no, provider=str(r["provider"]),
                                    upstream=r.get("upstream") or None, status=status,
                                    notified_at=r.get("notified_at") or None,
                                    responded_at=r.get("responded_at") or None,
                                    notes=r.get("notes") or None, line=line, extra=extra))
    for tb in by_id.values():
        tb.hops.sort(key=lambda h: h.hop)
    return list(by_id.values())


def _rows(path: Path, sheet: str | None) -> list[tuple[int, dict]]:
    if not path.exists():
        raise InputError("traceback file not found", file=str(path), field="path")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
        if isinstance(data, dict):
            data = data.get("tracebacks") or data.get("records") or []
        return [(i, dict(row)) for i, row in enumerate(data, start=1)]
    parsed = read_generic(path, ReadOptions(sheet=sheet, columns={}), mapping=False)
    names = list(parsed.columns)
    cols = {n: parsed.columns[n].to_pylist() for n in names}
    return [(int(parsed.lines[i]), {n: cols[n][i] for n in names}) for i in range(len(parsed))]
