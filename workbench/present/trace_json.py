"""The `workbench trace --json` contract, produced from a typed TraceResult.

Keys, order and rounding are fixed here (outside checks read them); the engine
keeps full-precision numbers and structured notes.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii
from operator import is_
from typing import Any

from workbench.columns.times import NAT, US, iso_utc
from workbench.present.trace_words import check_text, note_text, notes_text
from workbench.store.protocol import SourceId
from workbench.trace.results import (
    NO_VALUES,
    Candidate,
    Hop,
    Note,
    Origin,
    ShakenCheck,
    Skew,
    TraceResult,
)


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
_MEMO_MAX = 200_000  # entries a writer's memo may hold before it starts afresh
_NONE = type(None)


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


def _s(v: Any) -> str:
    """``json.dumps(v)`` for a field that is text or None (anything else: ``_j``)."""
    return _ENC(v) if type(v) is str else "null" if v is None else _j(v)


def _plain(*values: object) -> bool:
    """Values a memo may key on by equality alone: text and None. (1, 1.0 and True, or 0.0
    and -0.0, are equal keys with different JSON; they are written each time instead.)"""
    return all([v is None or type(v) is str for v in values])


def _strings(values: list[str]) -> str:
    return "[" + ", ".join([_j(v) for v in values]) + "]"


#: the JSON of a time's milliseconds and its end, as ``iso_utc`` writes them: ".4Z\"" for
#: 400 ms, "Z\"" for none (a time of less than a millisecond past the second included)
_MS: tuple[str, ...] = tuple(
    ("." + f"{ms:03d}".rstrip("0") if ms else "") + 'Z"' for ms in range(1000))
#: 'MM:SS' by second of the hour
_MMSS: tuple[str, ...] = tuple(f"{s // 60:02d}:{s % 60:02d}" for s in range(3600))
_HOUR = 3600 * US
#: a check's values that its memo keys on: their types are then equal when the values are
#: (no bool beside int, no float: 0.0 and -0.0 are equal, their JSON is not)
_KEYED = frozenset([str, int, _NONE])


class TraceJsonText:
    """``json.dumps(trace_json(result))``, byte for byte, written straight as text: a
    batch's --json otherwise builds ≈ 40 dicts a call only to encode them. What repeats
    from call to call is encoded once per writer: the skew table, a hop's names, its
    clock, checks and notes, each hour of a time, each float. A memo keys on text and None,
    or on a value with its type (1, 1.0 and True are equal keys, so are 0.0 and -0.0: such
    values are written each time); make one writer per batch (the case's skew must not
    change while it writes). tests/test_batch_columnar.py compares it with
    json.dumps(trace_json(...)), and tests/test_trace_json_text.py on odd values."""

    def __init__(self) -> None:
        self._skews: dict[tuple[int, ...], tuple[tuple[Skew, ...], str]] = {}
        self._check_lists: dict[tuple[int, ...], tuple[tuple[ShakenCheck, ...], str]] = {}
        self._check_ids: dict[int, tuple[ShakenCheck, str]] = {}
        self._checks: dict[tuple[object, ...], str] = {}
        self._check_heads: dict[tuple[object, ...], str] = {}
        self._fixed: dict[tuple[object, ...], tuple[str, str, str]] = {}
        self._notes: dict[object, str] = {}  # by kind, or by the kinds of several notes
        self._hours: dict[int, str] = {}
        self._floats: dict[float, str] = {}
        self._rounded: dict[float, str] = {}

    def __call__(self, result: TraceResult) -> str:
        tb = result.traceback_id is not None
        o, hops = result.origin, result.hops
        ends = ""  # the keys written only when set
        if tb:
            ends = ', "traceback_id": ' + _s(result.traceback_id)
        if result.unmapped_ingress is not None:
            ends += ', "unmapped_ingress": ' + _s(result.unmapped_ingress)
        if result.loop_to is not None:
            ends += ', "loop_to": ' + _s(result.loop_to)
        # one f-string: each piece (the hops most of all) is copied once
        return (
            f'{{"call": {{"calling": {_s(result.calling)}, "called": {_s(result.called)}, '
            f'"at": {self._time(result.at_us)}}}, "outcome": {_j(str(result.outcome))}, '
            '"origin": '
            f'{self._origin(o) if o else "null"}, "hops": ['
            f'{", ".join([self._hop(h, tb) for h in hops]) if hops else ""}], '
            f'"skew": {self._skew(result.skew)}, "tolerance_s": '
            f'{self._float(result.tolerance_s)}, "notes": '
            f'{self._notes_of(result.notes) if result.notes else "[]"}{ends}}}')

    @staticmethod
    def _origin(o: Origin) -> str:
        return f'{{"provider": {_s(o.provider)}, "customer": {_s(o.customer)}}}'

    def _hop(self, h: Hop, tb: bool) -> str:
        """``hop_json(h, tb)`` as text, in one f-string. What a provider's hops share (its
        names, clock and the traceback's word) is memoised as one key; times and floats
        come from their memos."""
        provider, found, role = h.provider, h.found, h.role
        up, cust, ing, egr = h.upstream, h.customer, h.ingress, h.egress
        sk, calls = h.skew_s, h.skew_calls
        agrees, status = (h.traceback_agrees, h.traceback_status) if tb else (None, None)
        key = (provider, found, type(found), role, type(role), up, cust, ing, egr, sk,
               type(sk), calls, type(calls), tb, agrees, type(agrees), status)
        fixed = self._fixed.get(key)
        if fixed is None:
            fixed = self._fixed_text(h, tb, key)
        head, clock, tail = fixed
        if agrees is False:
            tail = (f', "traceback_agrees": false, "traceback_says": '
                    f'{_s(h.traceback_upstream)}, "cdr_says": {_s(up or cust)}, '
                    f'"traceback_status": {_s(status)}}}')
        times = f'{self._time(h.start_us)}, "start_corrected": {self._time(h.corrected_us)}'
        off_t, conf_t = self._round_or_null(h.offset_s), self._round_or_null(h.confidence)
        dur_t = self._float(h.duration)
        cands = h.candidates
        return (
            f'{head}{times}, "offset_s": {off_t}, "confidence": {conf_t}, "alternatives": '
            f'{_j(h.alternatives)}, "source": {_s(h.source_path)}, "line": {_j(h.line)}, '
            f'"duration_s": {dur_t}{clock}{_s(h.attest)}, "origid": {_s(h.origid)}, '
            f'"verstat": {_s(h.verstat)}}}, "shaken_checks": ['
            f'{self._checks_of(h.shaken_checks)}], "candidates": ['
            f'{", ".join([self._candidate(c) for c in cands]) if cands else ""}], '
            f'"notes": {self._notes_of(h.notes) if h.notes else "[]"}{tail}')

    def _fixed_text(self, h: Hop, tb: bool, key: tuple[object, ...]) -> tuple[str, str, str]:
        """A hop's pieces that a provider's hops share: from its name to "start", its
        clock to "attest", its traceback fields (those of a disagreeing traceback: made
        each time). Kept when every value in ``key`` keys by equality alone."""
        provider, found, up, cust = h.provider, h.found, h.upstream, h.customer
        sk, calls = h.skew_s, h.skew_calls
        head = (f'{{"provider": {_s(provider)}, "found": {_j(found)}, "role": '
                f'{_j(str(h.role))}, "upstream": {_s(up)}, "customer": {_s(cust)}, '
                f'"ingress": {_s(h.ingress)}, "egress": {_s(h.egress)}, "start": ')
        clock = (f', "skew_s": {_j(sk)}, "skew_calls": {_j(calls)}, '
                 '"shaken": {"attest": ')
        agrees, status = h.traceback_agrees, h.traceback_status
        tail = (f', "traceback_agrees": {_j(agrees)}, "traceback_status": {_s(status)}}}'
                if tb else "}")
        if (_plain(provider, up, cust, h.ingress, h.egress) and type(found) is bool
                and isinstance(h.role, str)  # equal roles of one type: the same str()
                and (sk is None or type(sk) is float and sk and sk == sk)
                and (calls is None or type(calls) is int)
                and (not tb or (agrees is None or agrees is True) and _plain(status))):
            self._remember(self._fixed, key, (head, clock, tail))
        return head, clock, tail

    def _candidate(self, c: Candidate) -> str:
        """``candidate_json(c)`` as text."""
        line, note = c.line, c.note
        return (f'{{"line": {_j(line)}, "offset_s": '
                f'{self._round(c.offset_s)}, "duration": {self._float(c.duration)}, "score": '
                f'{self._round(c.score)}, "note": '
                f'{"null" if note is None else _s(note_text(note))}}}')

    def _time(self, us: Any) -> str:
        """``_j(iso_utc(us))``: each hour's text made once (by ``iso_utc`` itself), the
        minutes, seconds and milliseconds from tables."""
        if type(us) is not int or us == NAT:
            return _j(iso_utc(us))
        hour, rest = divmod(us, _HOUR)
        head = self._hours.get(hour)
        if head is None:
            whole = iso_utc(hour * _HOUR)  # '…THH:00:00Z'
            assert whole is not None
            head = self._remember(self._hours, hour, '"' + whole[:-6])
        sec, ms = divmod(rest // 1000, 1000)
        return head + _MMSS[sec] + _MS[ms]

    def _float(self, v: Any) -> str:
        """``_j(v)``, each float's text made once (not ±0.0, equal keys; nor NaN)."""
        if type(v) is not float:
            return _j(v)
        got = self._floats.get(v)
        if got is None:
            got = _j(v)
            if v and v == v:
                self._remember(self._floats, v, got)
        return got

    def _round(self, v: Any) -> str:
        """``_j(round(v, 3))``, each float's text made once (as ``_float``); ±0.0 round to
        themselves."""
        if type(v) is not float:
            return _j(round(v, 3))
        if not v:
            return _FLOAT(v)
        got = self._rounded.get(v)
        if got is None:
            got = _j(round(v, 3))
            if v == v:
                self._remember(self._rounded, v, got)
        return got

    def _round_or_null(self, v: Any) -> str:
        return "null" if v is None else self._round(v)

    def _notes_of(self, notes: list[Note]) -> str:
        """``_j(notes_text(notes))``: notes without values (most) say the same each time."""
        if len(notes) == 1:
            key: tuple[object, ...] | object = notes[0].kind
            plain = notes[0].values is NO_VALUES
        else:
            plain = all([n.values is NO_VALUES for n in notes])
            key = tuple([n.kind for n in notes]) if plain else None
        if plain:
            got = self._notes.get(key)
            if got is None:
                got = self._remember(self._notes, key, _strings(notes_text(notes)))
            return got
        return _strings(notes_text(notes))

    def _checks_of(self, checks: list[ShakenCheck]) -> str:
        """A hop's checks, joined. Hops with nothing to check share the very same check
        objects (``trace.shaken_checks``): their text is kept by identity, the list's and
        each check's (the objects kept with it, so an id is not reused while the writer
        lives)."""
        key = tuple(map(id, checks))
        got = self._check_lists.get(key)
        if got is not None and all(map(is_, got[0], checks)):
            return got[1]
        ids, texts, bare = self._check_ids, [], True
        for c in checks:
            if c.values is NO_VALUES:
                known = ids.get(id(c))
                if known is not None and known[0] is c:
                    texts.append(known[1])
                    continue
            else:
                bare = False
            texts.append(self._check(c))
        text = ", ".join(texts)
        if bare:
            if len(self._check_lists) >= _MEMO_MAX:
                self._check_lists.clear()
            self._check_lists[key] = (tuple(checks), text)
        return text

    def _check(self, c: ShakenCheck) -> str:
        """``check_json(c)`` as text. A check naming no values is kept by identity (checks
        are immutable; hops share them) and by value; so is one naming up to three values
        that recur (an attestation, a signer). One naming more (an origid and the hop it is
        compared with) is mostly new: its sentence is made each time."""
        check, ok, values = c.check, c.ok, c.values
        if not ((ok is None or ok is True or ok is False) and isinstance(check, str)):
            # 1 == True, and equal checks of one type other than text may print apart
            return (f'{{"check": {_j(str(check))}, "ok": {_j(ok)}, '
                    f'"detail": {_j(check_text(c))}}}')
        key: tuple[object, ...] | None = None
        if values is NO_VALUES:
            key = (check, type(check), ok, c.reason)
        elif len(values) <= 3 and _KEYED.issuperset(map(type, values.values())):
            key = (check, type(check), ok, c.reason, tuple(values.items()))
        text = None if key is None else self._checks.get(key)
        if text is None:
            hkey = (check, type(check), ok)
            head = self._check_heads.get(hkey)
            if head is None:
                head = self._remember(self._check_heads, hkey,
                                      f'{{"check": {_j(str(check))}, "ok": {_j(ok)}, "detail": ')
            text = f"{head}{_j(check_text(c))}}}"
            if key is not None:
                self._remember(self._checks, key, text)
        if values is NO_VALUES:
            if len(self._check_ids) >= _MEMO_MAX:
                self._check_ids.clear()
            self._check_ids[id(c)] = (c, text)
        return text

    def _skew(self, skew: Mapping[SourceId, Skew]) -> str:
        """``skew_json(skew)`` as text: a batch's results share their Skew objects (each
        its own table of them): kept by the objects' identity."""
        values = tuple(skew.values())
        key = tuple(map(id, values))
        got = self._skews.get(key)
        if got is not None and all(map(is_, got[0], values)):
            return got[1]
        text = _DUMPS(skew_json(skew))
        if len(self._skews) >= 64:
            self._skews.clear()
        self._skews[key] = (values, text)
        return text

    @staticmethod
    def _remember(memo: dict[Any, Any], key: Any, text: Any) -> Any:
        if len(memo) >= _MEMO_MAX:  # a batch of odd values: keep the memo bounded
            memo.clear()
        memo[key] = text
        return text
