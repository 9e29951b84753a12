"""What a trace finds, as typed values: numbers, enums and structured notes.

No prose, JSON or display rounding here: ``workbench.present`` turns these into the
`trace --json` contract, sentences and tables.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from workbench.columns.times import NAT
from workbench.store.protocol import SourceId

NoteValue = str | int | float | None


class Outcome(StrEnum):
    """How a trace ended: exactly one per trace."""

    ORIGIN = "origin"  # originating provider and its customer found
    NO_RECORDS = "no_records"  # upstream named, the case holds none of its CDRs
    NOT_FOUND = "not_found"  # that provider's CDRs are in the case, the call is not
    UNMAPPED_INGRESS = "unmapped_ingress"  # record found, its ingress in neither table
    LOOP = "loop"  # a provider would appear twice


class Role(StrEnum):
    """A provider's place in one chain (a case may also give a role of its own, as text)."""

    TERMINATING = "terminating"
    TERMINATING_ORIGINATING = "terminating+originating"
    ORIGINATING = "originating"
    GATEWAY = "gateway"
    FOREIGN = "foreign"
    TRANSIT = "transit"
    UNKNOWN = "unknown"


class NoteKind(StrEnum):
    """Why a hop or a candidate looks the way it does; words come from ``present``."""

    ANSWER_BASIS = "answer_basis"  # the switch logs answer time: window widened
    WHOLE_HOUR_ONLY = "whole_hour_only"  # hours: found only at a whole-hour offset
    WIDE_ONLY = "wide_only"  # window_s, offset_s: found only outside the window
    SAME_ORIGID = "same_origid"
    DIFFERENT_ORIGID = "different_origid"  # here, downstream
    DST_SECOND_PASS = "dst_second_pass"  # candidate read as the second pass of a DST overlap
    DST_OTHER_PASS = "dst_other_pass"  # hours: found at the other pass of the downstream hop's
    #   repeated local hour, so that record's time is read as that pass
    DST_PASS_OPEN = "dst_pass_open"  # start in a repeated hour, pass not settled: both passes
    #   are searched at the next hop
    DST_PASS_SETTLED = "dst_pass_settled"  # hours, by: an upstream hop's record settled the
    #   pass of this record's repeated local hour (its time moved by `hours`)
    ANSWER_MATCHED = "answer_matched"  # ring_s, reason, lag_s: an answer-time record matched
    #   against the answer time of the call (downstream answer, or start + ring time)
    HOUR_SHIFT = "hour_shift"  # hours: candidate at a whole-hour offset
    OUTSIDE_WINDOW = "outside_window"  # candidate outside the tolerance window
    DOUBTFUL_DURATION = "doubtful_duration"  # duration_s, ref_s: kept, right on time
    RETRY_REJECTED = "retry_rejected"  # line, offset_s, duration_s, ref_s
    NO_CDRS = "no_cdrs"  # the case holds no CDRs from this provider
    NOT_IN_WINDOW = "not_in_window"  # calling, called, window_s
    NEAREST = "nearest"  # line, offset_s: nearest record of the pair
    UNMAPPED_INGRESS = "unmapped_ingress"  # ingress
    TRACEBACK_DISAGREES = "traceback_disagrees"  # said, cdr
    LOOP = "loop"  # provider
    RECORD_FIRST_NOT_FOUND = "record_first_not_found"  # provider, found_at: the traceback
    #   record's first provider did not find the call; others did (a trace of a record
    #   starts where the record starts, never silently further upstream)
    RECORD_TIME_PASS = "record_time_pass"  # pass ("first" | "second"), both (bool), hours,
    #   how ("record" | "nearest" | "only"): the record's local call time fell in a
    #   repeated hour; which pass the first provider's record of the call is at


#: The values of a note or check that has none (shared, so read-only).
NO_VALUES: Mapping[str, NoteValue] = MappingProxyType({})


class Note(NamedTuple):
    """Why a hop or a trace ended as it did, with the values the sentence names. A named
    tuple: immutable like a frozen dataclass, and made in a third of the time (a batch
    makes one per hop or more)."""

    kind: NoteKind
    values: Mapping[str, NoteValue] = NO_VALUES

    def get(self, key: str) -> NoteValue:
        return self.values.get(key)


class ShakenCheckKind(StrEnum):
    """The STIR/SHAKEN path checks run on every hop of a traced chain (``trace.shaken_checks``)."""

    ORIGID_CONSTANT = "origid_constant"  # same origid as the nearest hop that has one
    ATTESTATION_ORIGIN = "attestation_origin"  # A only where the originating provider signed
    PASSPORT_NUMBERS = "passport_numbers"  # PASSporT orig/dest equal the CDR's numbers
    IAT_WINDOW = "iat_window"  # iat within a tolerance of the originating CDR's start
    SAME_SIGNER = "same_signer"  # same x5u as the nearest hop that has one


class ShakenReason(StrEnum):
    """Why a check came out as it did; ``present.trace_words`` turns it into a sentence."""

    NO_RECORD = "no_record"  # no record matched at this hop
    ABSENT = "absent"  # the hop's record lacks the field the check reads
    NOTHING_TO_COMPARE = "nothing_to_compare"  # no other hop carries the field
    SAME = "same"  # here, other, other_hop, other_provider
    DIFFERS = "differs"  # here, other, other_hop, other_provider
    NOT_A = "not_a"  # attest: B or C claims no full knowledge of the caller
    ORIGIN_KNOWN = "origin_known"  # attest, customer: A at the origin, customer identified
    ORIGIN_UNKNOWN = "origin_unknown"  # attest: A at the origin, customer not identified
    SIGNED_AT_ORIGIN = "signed_at_origin"  # signer_hop, signer_provider: token of the origin
    RESIGNED = "resigned"  # signer_hop, signer_provider, other_hop, other_provider, other
    SIGNER_UNKNOWN = "signer_unknown"  # nothing shows who signed the A token
    NUMBERS_MATCH = "numbers_match"  # orig, calling, dest, called
    NUMBERS_DIFFER = "numbers_differ"  # orig, calling, dest, called, orig_ok, dest_ok
    NO_CDR_NUMBERS = "no_cdr_numbers"  # the CDR's own numbers are missing
    IAT_WITHIN = "iat_within"  # iat_us, ref_us, gap_s, tolerance_s, ref_hop, ref_provider
    IAT_OUTSIDE = "iat_outside"  # same values
    NO_REFERENCE_TIME = "no_reference_time"  # no start time to compare iat with


class ShakenCheck(NamedTuple):
    """One STIR/SHAKEN path check on one hop: ``ok`` is None when the data it needs is absent.

    Checks compare decoded fields only: no signature is ever verified. A named tuple, as
    ``Note`` is (five per hop).
    """

    check: ShakenCheckKind
    ok: bool | None
    reason: ShakenReason
    values: Mapping[str, NoteValue] = NO_VALUES

    def get(self, key: str) -> NoteValue:
        return self.values.get(key)


@dataclass(slots=True)  # a batch makes tens of thousands: slots halve __init__
class Candidate:
    """One record considered for a hop, scored against the call searched for."""

    row: int
    line: int
    start_us: int  # as the source's clock wrote it (UTC)
    corrected_us: int  # minus the source's skew and any assumed shift
    offset_s: float  # observed start (skew removed) minus the time searched for
    duration: float | None
    score: float
    origid: str | None = None
    note: Note | None = None
    shift_s: float = 0.0  # assumed clock error beyond the estimated skew
    penalty: float = 1.0  # confidence factor for a match that needed an assumption
    ingress: str | None = None
    egress: str | None = None
    attest: str | None = None
    verstat: str | None = None
    calling_key: int = -1  # the record's own numbers (E.164 digits, -1 missing)
    called_key: int = -1
    pp_orig: str | None = None  # the PASSporT of the record's Identity header, decoded
    pp_dest: str | None = None  # comma-joined when the token names several
    pp_iat_us: int = NAT
    pp_x5u: str | None = None
    answer_us: int = NAT  # when the call was answered, reference clock (NAT: unknown)
    alt_us: int = NAT  # corrected_us read as the other pass of a repeated local hour, while
    #                    no neighbouring hop has settled which pass it is (NAT: settled)
    pass_s: float = 0.0  # found at the other pass of the downstream record's repeated hour


@dataclass
class Skew:
    """A source's clock offset against the case's reference clock."""

    provider: str
    path: str
    offset_s: float  # source clock minus reference, to the millisecond
    calls: int  # shared calls the estimate rests on
    basis: str  # "estimated" | "manual" | "reference" | "insufficient"
    against: list[str]  # providers it was compared with
    # an answer-time switch: its median ring time (answer basis), estimated apart from the
    # clock, offset_s then being the clock alone; None: not separable (folded into offset_s)
    answer_lag_s: float | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Origin:
    provider: str
    customer: str


@dataclass(slots=True)
class Hop:
    """One provider of the chain: the record found there (if any) and what it names."""

    provider: str
    found: bool
    role: str = Role.TRANSIT  # a Role, or the role the case gives the provider
    upstream: str | None = None
    customer: str | None = None
    ingress: str | None = None
    egress: str | None = None
    start_us: int = NAT
    corrected_us: int = NAT
    offset_s: float | None = None
    confidence: float | None = None
    alternatives: int = 0
    source: SourceId | None = None
    line: int | None = None
    row: int | None = None
    duration: float | None = None
    skew_s: float | None = None
    skew_calls: int | None = None
    attest: str | None = None
    origid: str | None = None
    verstat: str | None = None
    candidates: list[Candidate] = field(default_factory=list)  # the match first, then rivals
    notes: list[Note] = field(default_factory=list)
    traceback_agrees: bool | None = None
    traceback_upstream: str | None = None
    traceback_status: str | None = None
    calling_key: int = -1  # the matched record's numbers (E.164 digits, -1 missing)
    called_key: int = -1
    pp_orig: str | None = None  # its PASSporT: signed calling number
    pp_dest: str | None = None  # signed called number(s), comma-joined
    pp_iat_us: int = NAT  # signing time, UTC µs
    pp_x5u: str | None = None  # signer's certificate URL
    shaken_checks: list[ShakenCheck] = field(default_factory=list)

    @property
    def source_path(self) -> str | None:
        """The source file as written in case.toml (what reports and the JSON show)."""
        return self.source.path if self.source else None


@dataclass(slots=True)
class TraceResult:
    calling: str
    called: str
    at_us: int
    outcome: Outcome
    hops: list[Hop]
    origin: Origin | None
    skew: Mapping[SourceId, Skew]  # in case order
    tolerance_s: float
    traceback_id: str | None = None
    unmapped_ingress: str | None = None
    loop_to: str | None = None
    notes: list[Note] = field(default_factory=list)
