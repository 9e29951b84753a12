"""The sentences behind a trace's structured notes (one wording for CLI, GUI and evidence)."""
from __future__ import annotations

from collections.abc import Callable

from workbench.trace.results import Note, NoteKind


def _hours(n: Note) -> str:
    return f"{int(n.get('hours') or 0):+d} h from the expected time"


def _f(n: Note, key: str) -> float:
    value = n.get(key)
    return float(value) if isinstance(value, (int, float)) else 0.0


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
}


def note_text(note: Note | None) -> str | None:
    """The sentence of one note (None stays None)."""
    if note is None:
        return None
    return _WORDS[note.kind](note)


def notes_text(notes: list[Note]) -> list[str]:
    return [_WORDS[n.kind](n) for n in notes]
