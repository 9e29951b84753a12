"""The sentences behind a trace's structured notes (one wording for CLI, GUI and evidence)."""
from __future__ import annotations

from collections.abc import Callable

from workbench.columns.times import iso_utc
from workbench.trace.results import Note, NoteKind, ShakenCheck, ShakenCheckKind, ShakenReason


def _hours(n: Note) -> str:
    return f"{int(n.get('hours') or 0):+d} h from the expected time"


def _f(n: Note, key: str) -> float:
    value = n.get(key)
    return float(value) if isinstance(value, (int, float)) else 0.0


def _answer_matched(n: Note) -> str:
    ring, lag = _f(n, "ring_s"), _f(n, "lag_s")
    if n.get("reason") == "downstream_answer":
        return (f"this switch logs answer time: matched against the downstream record's answer "
                f"time ({ring:.0f} s after its start; this switch's usual ring time is "
                f"{lag:.0f} s, its clock offset corrected apart)")
    return (f"this switch logs answer time: the downstream record has none, so matched at its "
            f"start plus this switch's usual ring time ({lag:.0f} s, estimated apart from its "
            "clock offset)")


def _record_time_pass(n: Note) -> str:
    which = "second" if n.get("pass") == "second" else "first"
    if not n.get("both"):
        return (f"the record's local call time falls in a repeated hour (DST fall-back): the "
                f"first provider has the call at its {which} pass only, so it is read there")
    why = ("its record's ingress names the upstream the traceback record names"
           if n.get("how") == "record" else "it is the nearer record")
    return (f"the record's local call time falls in a repeated hour (DST fall-back) and the "
            f"first provider has a record of these numbers at both passes: the {which} pass "
            f"is taken because {why}; the other is another call of the same numbers")


_WORDS: dict[NoteKind, Callable[[Note], str]] = {
    NoteKind.ANSWER_BASIS: lambda n: "this switch logs answer time as start: window widened",
    NoteKind.WHOLE_HOUR_ONLY: lambda n: (f"found only at a whole-hour offset ({_hours(n)}): "
                                         "the file's time zone is probably wrong"),
    NoteKind.WIDE_ONLY: lambda n: (f"found only outside ±{_f(n, 'window_s'):.0f} s (at "
                                   f"{_f(n, 'offset_s'):+.0f} s): a clock off by minutes whose "
                                   "skew could not be estimated"),
    NoteKind.SAME_ORIGID: lambda n: "same SHAKEN origid as the downstream hop",
    NoteKind.DIFFERENT_ORIGID: lambda n: (f"different origid ({n.get('here')} here, "
                                          f"{n.get('downstream')} downstream): re-signed?"),
    NoteKind.DST_SECOND_PASS: lambda n: ("start in a DST overlap: read as the second occurrence "
                                         "of that local time"),
    NoteKind.DST_OTHER_PASS: lambda n: (
        "found at the other pass of the downstream record's repeated local hour "
        f"({int(n.get('hours') or 0):+d} h): this record settles which pass that was"),
    NoteKind.DST_PASS_OPEN: lambda n: ("start in a repeated local hour (DST fall-back) that "
                                       "no neighbouring record has settled: both passes are "
                                       "searched at the next hop"),
    NoteKind.DST_PASS_SETTLED: lambda n: (
        f"start in a repeated local hour: {n.get('by')}'s record places the call in the other "
        f"pass, so this time is read {int(n.get('hours') or 0):+d} h from its first reading"),
    NoteKind.ANSWER_MATCHED: _answer_matched,
    NoteKind.HOUR_SHIFT: _hours,
    NoteKind.OUTSIDE_WINDOW: lambda n: "outside the tolerance window",
    NoteKind.DOUBTFUL_DURATION: lambda n: (f"duration {_f(n, 'duration_s'):.0f} s against "
                                           f"{_f(n, 'ref_s'):.0f} s downstream (ring time "
                                           "counted on one side?)"),
    NoteKind.RETRY_REJECTED: lambda n: (f"line {n.get('line')} ({_f(n, 'offset_s'):+.0f} s) has "
                                        f"duration {_f(n, 'duration_s'):.0f} s against "
                                        f"{_f(n, 'ref_s'):.0f} s downstream: a different call "
                                        "(retry?), not taken"),
    NoteKind.NO_CDRS: lambda n: ("the case holds no CDRs from this provider: the next "
                                 "traceback request goes here"),
    NoteKind.NOT_IN_WINDOW: lambda n: (f"no record of {n.get('calling')} → {n.get('called')} "
                                       f"within ±{_f(n, 'window_s'):.0f} s after skew correction"),
    NoteKind.NEAREST: lambda n: (f"nearest record of this pair: line {n.get('line')}, "
                                 f"{_f(n, 'offset_s'):+.0f} s from the expected time"),
    NoteKind.UNMAPPED_INGRESS: lambda n: (f"ingress '{n.get('ingress')}' is in neither "
                                          "[sources.upstreams] nor [sources.customers]"),
    NoteKind.TRACEBACK_DISAGREES: lambda n: (f"traceback record says upstream '{n.get('said')}'; "
                                             f"the CDRs show '{n.get('cdr')}'"),
    NoteKind.LOOP: lambda n: f"{n.get('provider')} would appear twice in the chain",
    NoteKind.RECORD_TIME_PASS: _record_time_pass,
    NoteKind.RECORD_FIRST_NOT_FOUND: lambda n: (
        f"the traceback record starts at {n.get('provider')}, which has no record of this "
        f"call; it was found at {n.get('found_at')}: check that file's zone, clock and "
        "numbers before trusting a chain that starts further upstream"),
}


def note_text(note: Note | None) -> str | None:
    """The sentence of one note (None stays None)."""
    if note is None:
        return None
    return _WORDS[note.kind](note)


def notes_text(notes: list[Note]) -> list[str]:
    return [_WORDS[n.kind](n) for n in notes]


# -- STIR/SHAKEN path checks ---------------------------------------------------------------

#: Said of every check that came out either way: agreement of decoded fields is not proof.
UNVERIFIED = "not verified: the workbench decodes, it does not check signatures"

#: Short names of the checks, for table headings.
CHECK_LABELS: dict[ShakenCheckKind, str] = {
    ShakenCheckKind.ORIGID_CONSTANT: "origid constant",
    ShakenCheckKind.ATTESTATION_ORIGIN: "A only from the originator",
    ShakenCheckKind.PASSPORT_NUMBERS: "PASSporT numbers = CDR",
    ShakenCheckKind.IAT_WINDOW: "iat near the call",
    ShakenCheckKind.SAME_SIGNER: "same signer (x5u)",
}

_ABSENT: dict[ShakenCheckKind, str] = {
    ShakenCheckKind.ORIGID_CONSTANT: "this hop's record carries no origid",
    ShakenCheckKind.ATTESTATION_ORIGIN: "this hop's record carries no attestation",
    ShakenCheckKind.PASSPORT_NUMBERS: ("no PASSporT orig/dest in this hop's record (no Identity "
                                       "header)"),
    ShakenCheckKind.IAT_WINDOW: "no PASSporT iat in this hop's record (no Identity header)",
    ShakenCheckKind.SAME_SIGNER: ("no signer certificate URL (x5u) in this hop's record (no "
                                  "Identity header)"),
}


def _field(c: ShakenCheck) -> str:
    return "origid" if c.check == ShakenCheckKind.ORIGID_CONSTANT else "certificate URL (x5u)"


def _at(c: ShakenCheck, prefix: str = "other", inner: bool = False) -> str:
    """'hop 4 (Seaport Gateway)', or 'hop 4, Seaport Gateway' inside brackets."""
    hop, provider = c.get(prefix + "_hop"), c.get(prefix + "_provider")
    return f"hop {hop}, {provider}" if inner else f"hop {hop} ({provider})"


def _compare_words(c: ShakenCheck) -> str:
    if c.reason == ShakenReason.SAME:
        return f"{_field(c)} {c.get('here')} is the same as at {_at(c)}"
    if c.check == ShakenCheckKind.ORIGID_CONSTANT:
        return (f"origid {c.get('here')} differs from {c.get('other')} at {_at(c)}: the call "
                "was re-signed between them (or the records are not the same call)")
    return (f"certificate URL {c.get('here')} differs from {c.get('other')} at {_at(c)}: "
            "another provider signed the token")


def _numbers_words(c: ShakenCheck) -> str:
    parts = []
    for signed, ours, ok, what in (("orig", "calling", c.get("orig_ok"), "calling number"),
                                   ("dest", "called", c.get("dest_ok"), "called number")):
        if c.get(signed) is None:
            continue
        if ok is None:
            parts.append(f"PASSporT {signed} {c.get(signed)} not compared (no {what} in the "
                         "record)")
        else:
            rel = "equals" if ok else "differs from"
            parts.append(f"PASSporT {signed} {c.get(signed)} {rel} the record's {what} "
                         f"{c.get(ours)}")
    words = "; ".join(parts)
    if c.reason == ShakenReason.NUMBERS_DIFFER:
        words += ": the numbers were rewritten after signing, or the token was signed for others"
    return words


def _iat_words(c: ShakenCheck) -> str:
    iat = iso_utc(int(c.get("iat_us") or 0), 0)
    ref = (f"the originating CDR's start ({_at(c, 'ref', True)}, skew-corrected)"
           if c.get("ref_basis") == "origin" else
           "this hop's own start (the chain has no originating record)")
    if c.reason == ShakenReason.NO_REFERENCE_TIME:
        return f"iat {iat}: no start time to compare it with"
    tol = f"the stated tolerance of ±{_f_values(c, 'tolerance_s'):.0f} s"
    gap = f"iat {iat} is {_f_values(c, 'gap_s'):+.1f} s from {ref}"
    if c.ok:
        return f"{gap}: within {tol}"
    return f"{gap}: outside {tol} (clock skew at the signer, or a replayed token)"


def _f_values(c: ShakenCheck, key: str) -> float:
    value = c.get(key)
    return float(value) if isinstance(value, (int, float)) else 0.0


def _attest_words(c: ShakenCheck) -> str:
    r = c.reason
    if r == ShakenReason.NOT_A:
        return (f"attestation {c.get('attest')}: no claim of full knowledge of the caller "
                "to test")
    if r == ShakenReason.ORIGIN_KNOWN:
        return (f"attestation A at the originating provider, which names its customer "
                f"({c.get('customer')})")
    if r == ShakenReason.ORIGIN_UNKNOWN:
        return ("attestation A at the originating position, but its customer is not identified:"
                " A claims the signer knows the caller")
    if r == ShakenReason.SIGNED_AT_ORIGIN:
        return (f"attestation A on the token of the originating provider "
                f"({_at(c, 'signer', True)}), "
                "passed on unchanged")
    if r == ShakenReason.RESIGNED:
        return (f"attestation A on a token first seen at {_at(c, 'signer')}, while {_at(c)} "
                f"carries another ({c.get('other')}): a provider other than the originator "
                "signed with A")
    return (f"attestation A, but the chain does not show who signed it (the token is first "
            f"seen at {_at(c, 'signer')})")


_CHECK_WORDS: dict[ShakenCheckKind, Callable[[ShakenCheck], str]] = {
    ShakenCheckKind.ORIGID_CONSTANT: _compare_words,
    ShakenCheckKind.SAME_SIGNER: _compare_words,
    ShakenCheckKind.ATTESTATION_ORIGIN: _attest_words,
    ShakenCheckKind.PASSPORT_NUMBERS: _numbers_words,
    ShakenCheckKind.IAT_WINDOW: _iat_words,
}


def check_text(c: ShakenCheck, caveat: bool = True) -> str:
    """The sentence of one SHAKEN check. Every decided check says that nothing was verified,
    unless ``caveat`` is False (a table whose heading says it once for all rows)."""
    if c.reason == ShakenReason.NO_RECORD:
        return "no record matched at this hop"
    if c.reason == ShakenReason.ABSENT:
        return _ABSENT[c.check]
    if c.reason == ShakenReason.NOTHING_TO_COMPARE:
        return f"{_field(c)} {c.get('here')}: no other hop carries one to compare with"
    if c.reason == ShakenReason.NO_CDR_NUMBERS:
        return (f"the record's own calling and called numbers are missing: PASSporT orig "
                f"{c.get('orig')}, dest {c.get('dest')} not compared")
    words = _CHECK_WORDS[c.check](c)
    return words if c.ok is None or not caveat else f"{words} — {UNVERIFIED}"
