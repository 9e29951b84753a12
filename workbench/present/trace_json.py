"""The `workbench trace --json` contract, produced from a typed TraceResult.

Keys, order and rounding are fixed here (outside checks read them); the engine
keeps full-precision numbers and structured notes.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workbench.columns.times import NAT, US, iso_utc
from workbench.present.trace_words import check_text, note_text, notes_text
from workbench.store.protocol import SourceId
from workbench.trace.results import Candidate, Hop, ShakenCheck, Skew, TraceResult

#: each day's 'YYYY-MM-DDT' as ``iso_utc`` writes it, by day since the epoch
_DAYS: dict[int, str] = {}


def _iso(us: int | None) -> str | None:
    """``iso_utc(us)``, byte for byte, with each day's date formatted once: a batch's
    --json writes two times a hop, and ``iso_utc`` builds a datetime for each (≈ 6 µs, a
    third of the whole JSON). The time of day is plain arithmetic on the same floored
    seconds (tests/test_batch_columnar.py compares both)."""
    if us == NAT or us is None:
        return None
    secs, micro = divmod(int(us), US)
    day, rest = divmod(secs, 86400)
    date = _DAYS.get(day)
    if date is None:
        whole = iso_utc(day * 86400 * US)
        assert whole is not None
        date = _DAYS[day] = whole[:whole.index("T") + 1]
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    text = f"{date}{h:02d}:{m:02d}:{s:02d}"
    if micro:
        frac = f"{micro:06d}"[:3].rstrip("0")
        if frac:
            text += "." + frac
    return text + "Z"


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def candidate_json(c: Candidate) -> dict[str, Any]:
    return {"line": c.line, "offset_s": round(c.offset_s, 3), "duration": c.duration,
            "score": round(c.score, 3), "note": note_text(c.note)}


def check_json(c: ShakenCheck) -> dict[str, Any]:
    """One STIR/SHAKEN path check: its id, true/false/null and the sentence saying why."""
    return {"check": str(c.check), "ok": c.ok, "detail": check_text(c)}


def hop_json(hop: Hop, with_traceback: bool = False) -> dict[str, Any]:
    d: dict[str, Any] = {
        "provider": hop.provider, "found": hop.found, "role": str(hop.role),
        "upstream": hop.upstream, "customer": hop.customer, "ingress": hop.ingress,
        "egress": hop.egress,
        "start": _iso(hop.start_us), "start_corrected": _iso(hop.corrected_us),
        "offset_s": _r(hop.offset_s), "confidence": _r(hop.confidence),
        "alternatives": hop.alternatives, "source": hop.source_path, "line": hop.line,
        "duration_s": hop.duration, "skew_s": hop.skew_s, "skew_calls": hop.skew_calls,
        "shaken": {"attest": hop.attest, "origid": hop.origid, "verstat": hop.verstat},
        "shaken_checks": [check_json(c) for c in hop.shaken_checks],
        "candidates": [candidate_json(c) for c in hop.candidates],
        "notes": notes_text(hop.notes)}
    if with_traceback:
        d["traceback_agrees"] = hop.traceback_agrees
        if hop.traceback_agrees is False:
            d["traceback_says"] = hop.traceback_upstream
            d["cdr_says"] = hop.upstream or hop.customer
        d["traceback_status"] = hop.traceback_status
    return d


def skew_json(skew: Mapping[SourceId, Skew]) -> dict[str, dict[str, Any]]:
    """Per source, keyed by provider (provider and path when a provider has two files)."""
    out: dict[str, dict[str, Any]] = {}
    for s in skew.values():
        key = s.provider if s.provider not in out else f"{s.provider} ({s.path})"
        out[key] = {"offset_s": s.offset_s, "calls": s.calls, "basis": s.basis,
                    "source": s.path}
    return out


def call_json(result: TraceResult) -> dict[str, Any]:
    return {"calling": result.calling, "called": result.called, "at": _iso(result.at_us)}


def trace_json(result: TraceResult) -> dict[str, Any]:
    tb = result.traceback_id is not None
    origin = ({"provider": result.origin.provider, "customer": result.origin.customer}
              if result.origin else None)
    d: dict[str, Any] = {
        "call": call_json(result), "outcome": str(result.outcome), "origin": origin,
        "hops": [hop_json(h, tb) for h in result.hops], "skew": skew_json(result.skew),
        "tolerance_s": result.tolerance_s, "notes": notes_text(result.notes)}
    if tb:
        d["traceback_id"] = result.traceback_id
    if result.unmapped_ingress is not None:
        d["unmapped_ingress"] = result.unmapped_ingress
    if result.loop_to is not None:
        d["loop_to"] = result.loop_to
    return d
