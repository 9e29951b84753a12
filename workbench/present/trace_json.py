"""The `workbench trace --json` contract, produced from a typed TraceResult.

Keys, order and rounding are fixed here (outside checks read them); the engine
keeps full-precision numbers and structured notes.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii
from typing import Any

from workbench.columns.times import iso_utc
from workbench.present.trace_words import check_text, note_text, notes_text
from workbench.store.protocol import SourceId
from workbench.trace.results import NO_VALUES, Candidate, Hop, ShakenCheck, Skew, TraceResult


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
        "start": iso_utc(hop.start_us), "start_corrected": iso_utc(hop.corrected_us),
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
    return {"calling": result.calling, "called": result.called, "at": iso_utc(result.at_us)}


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


# -- the same JSON as text, for a batch's .jsonl ------------------------------------------

_ENC = encode_basestring_ascii
_FLOAT = float.__repr__
_INT = int.__repr__
_DUMPS = json.dumps


def _j(v: Any) -> str:
    """``json.dumps(v)`` for the scalars a trace holds (anything else: json.dumps itself)."""
    if v is None:
        return "null"
    t = type(v)
    if t is str:
        return _ENC(v)
    if t is float:
        return _FLOAT(v) if v - v == 0.0 else _DUMPS(v)  # NaN and ±inf: json's words
    if v is True:
        return "true"
    if v is False:
        return "false"
    if t is int:
        return _INT(v)
    return _DUMPS(v)


def _strings(values: list[str]) -> str:
    return "[" + ", ".join([_j(v) for v in values]) + "]"


class TraceJsonText:
    """``json.dumps(trace_json(result))``, byte for byte, written straight as text: a
    batch's --json otherwise builds ≈ 40 dicts a call only to encode them. What repeats
    from call to call is encoded once per writer (the skew table, a check's sentence when
    it names no values); make one writer per batch (the case's skew must not change while
    it writes). tests/test_batch_columnar.py compares it with json.dumps(trace_json(...))."""

    def __init__(self) -> None:
        self._skews: dict[tuple[int, ...], tuple[tuple[Skew, ...], str]] = {}
        self._checks: dict[tuple[object, object, object, object], str] = {}
        self._heads: dict[tuple[object, ...], str] = {}
        self._check_lists: dict[tuple[int, ...], tuple[tuple[ShakenCheck, ...], str]] = {}
        self._clocks: dict[tuple[object, ...], str] = {}
        self._shaken: dict[tuple[object, ...], str] = {}

    def __call__(self, result: TraceResult) -> str:
        tb = result.traceback_id is not None
        o = result.origin
        parts = ['{"call": {"calling": ', _j(result.calling), ', "called": ', _j(result.called),
                 ', "at": ', _j(iso_utc(result.at_us)), '}, "outcome": ', _j(str(result.outcome)),
                 ', "origin": ',
                 "null" if o is None else
                 f'{{"provider": {_j(o.provider)}, "customer": {_j(o.customer)}}}',
                 ', "hops": [']
        for k, h in enumerate(result.hops):
            if k:
                parts.append(", ")
            self._hop(parts, h, tb)
        parts += ['], "skew": ', self._skew(result.skew), ', "tolerance_s": ',
                  _j(result.tolerance_s), ', "notes": ', _strings(notes_text(result.notes))]
        if tb:
            parts += [', "traceback_id": ', _j(result.traceback_id)]
        if result.unmapped_ingress is not None:
            parts += [', "unmapped_ingress": ', _j(result.unmapped_ingress)]
        if result.loop_to is not None:
            parts += [', "loop_to": ', _j(result.loop_to)]
        parts.append("}")
        return "".join(parts)

    def _hop(self, parts: list[str], h: Hop, tb: bool) -> None:
        """``hop_json(h, tb)`` as text, appended to ``parts``. The runs of fields that a
        provider's hops share (names, its source and clock, the SHAKEN fields, checks that
        name no values) are encoded once per writer; values whose type could change the
        text (a number) key on their type too."""
        key = (h.provider, h.role, h.upstream, h.customer, h.ingress, h.egress)
        head = self._heads.get(key)
        if head is None:
            head = self._heads[key] = (
                f', "role": {_j(str(h.role))}, "upstream": {_j(h.upstream)}, '
                f'"customer": {_j(h.customer)}, "ingress": {_j(h.ingress)}, '
                f'"egress": {_j(h.egress)}, "start": ')
        sk, calls, path = h.skew_s, h.skew_calls, h.source_path
        key2 = (path, sk, type(sk), calls, type(calls))
        clock = self._clocks.get(key2)
        if clock is None:
            clock = self._clocks[key2] = (', "skew_s": ' + _j(sk) + ', "skew_calls": '
                                          + _j(calls) + ', "shaken": {"attest": ')
        key3 = (h.attest, h.origid, h.verstat)
        shaken = self._shaken.get(key3)
        if shaken is None:
            shaken = self._shaken[key3] = (
                f'{_j(h.attest)}, "origid": {_j(h.origid)}, "verstat": {_j(h.verstat)}}}, '
                '"shaken_checks": [')
        parts += [
            '{"provider": ', _j(h.provider), ', "found": ', _j(h.found), head,
            _j(iso_utc(h.start_us)), ', "start_corrected": ', _j(iso_utc(h.corrected_us)),
            ', "offset_s": ', _j(_r(h.offset_s)), ', "confidence": ', _j(_r(h.confidence)),
            ', "alternatives": ', _j(h.alternatives), ', "source": ', _j(path),
            ', "line": ', _j(h.line), ', "duration_s": ', _j(h.duration), clock, shaken,
            self._checks_of(h.shaken_checks), '], "candidates": [',
            ", ".join([_candidate(c) for c in h.candidates]), '], "notes": ',
            _strings(notes_text(h.notes)) if h.notes else "[]"]
        if tb:
            parts += [', "traceback_agrees": ', _j(h.traceback_agrees)]
            if h.traceback_agrees is False:
                parts += [', "traceback_says": ', _j(h.traceback_upstream),
                          ', "cdr_says": ', _j(h.upstream or h.customer)]
            parts += [', "traceback_status": ', _j(h.traceback_status)]
        parts.append("}")

    def _checks_of(self, checks: list[ShakenCheck]) -> str:
        """A hop's checks, joined. Hops with nothing to check share the very same check
        objects (``trace.shaken_checks``): their text is kept by identity (the objects
        kept with it, so an id is not reused while the writer lives)."""
        if all([c.values is NO_VALUES for c in checks]):
            key = tuple(map(id, checks))
            got = self._check_lists.get(key)
            if got is None:
                got = self._check_lists[key] = (
                    tuple(checks), ", ".join([self._check(c) for c in checks]))
            return got[1]
        return ", ".join([self._check(c) for c in checks])

    def _check(self, c: ShakenCheck) -> str:
        """``check_json(c)`` as text; a check naming no values is the same text each time."""
        key = (c.check, c.ok, type(c.ok), c.reason) if c.values is NO_VALUES else None
        if key is not None:
            got = self._checks.get(key)
            if got is not None:
                return got
        text = (f'{{"check": {_j(str(c.check))}, "ok": {_j(c.ok)}, '
                f'"detail": {_j(check_text(c))}}}')
        if key is not None:
            self._checks[key] = text
        return text

    def _skew(self, skew: Mapping[SourceId, Skew]) -> str:
        """``skew_json(skew)`` as text: a batch's results share their Skew objects."""
        values = tuple(skew.values())
        key = tuple(map(id, values))
        got = self._skews.get(key)
        if got is not None and all(a is b for a, b in zip(got[0], values)):
            return got[1]
        text = _DUMPS(skew_json(skew))
        self._skews[key] = (values, text)
        return text


def _candidate(c: Candidate) -> str:
    return (f'{{"line": {_j(c.line)}, "offset_s": {_j(round(c.offset_s, 3))}, '
            f'"duration": {_j(c.duration)}, "score": {_j(round(c.score, 3))}, '
            f'"note": {_j(note_text(c.note))}}}')
