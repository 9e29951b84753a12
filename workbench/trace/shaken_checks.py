"""STIR/SHAKEN path checks on a traced chain: does the signed token agree with the chain?

A function of the ``TraceResult`` alone (no store calls), run by the engine once the
chain is built. Every check compares decoded fields: the workbench decodes PASSporTs,
it never verifies a signature, so a passing check proves consistency, not authenticity.
Hops are in chain order: index 0 is the terminating provider, the last is the furthest
upstream (the originating provider when the trace found it).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from workbench.columns.times import NAT, US
from workbench.trace.results import (
    Hop,
    NoteValue,
    Role,
    ShakenCheck,
    ShakenCheckKind,
    ShakenReason,
    TraceResult,
)

#: How far a PASSporT's ``iat`` may lie from the originating CDR's start. Verifiers commonly
#: reject tokens older than about a minute; ``iat`` is whole seconds on the signer's clock.
IAT_TOLERANCE_S = 60.0

_ORIGIN_ROLES = {Role.ORIGINATING.value, Role.TERMINATING_ORIGINATING.value, "originator"}
_NON_DIGIT = re.compile(r"\D")

K = ShakenCheckKind
R = ShakenReason
# the members read for every chain, read once: an Enum member read through its class costs
# several times a plain attribute's (EnumType's lookup), and a batch checks 10,000s of hops
_K_ORIGID, _K_SIGNER = K.ORIGID_CONSTANT, K.SAME_SIGNER
_SAME, _DIFFERS, _NOTHING = R.SAME, R.DIFFERS, R.NOTHING_TO_COMPARE


class _Blank(NamedTuple):
    """A check's "no record" and "absent" answers: the same value for every hop, made once
    (most hops of a batch carry no PASSporT). Checks are values: nothing changes one after
    ``annotate``, so hops may share these."""

    no_record: ShakenCheck
    absent: ShakenCheck


def _blank(kind: ShakenCheckKind) -> _Blank:
    return _Blank(ShakenCheck(kind, None, R.NO_RECORD), ShakenCheck(kind, None, R.ABSENT))


_ORIGID, _ATTEST, _NUMBERS, _IAT, _SIGNER = (
    _blank(K.ORIGID_CONSTANT), _blank(K.ATTESTATION_ORIGIN), _blank(K.PASSPORT_NUMBERS),
    _blank(K.IAT_WINDOW), _blank(K.SAME_SIGNER))


#: The five answers of a hop without a record, and of one whose record carries no SHAKEN
#: field at all: what every check says for them, whatever the other hops hold.
_NO_RECORD = (_ORIGID.no_record, _ATTEST.no_record, _NUMBERS.no_record, _IAT.no_record,
              _SIGNER.no_record)
_ABSENT = (_ORIGID.absent, _ATTEST.absent, _NUMBERS.absent, _IAT.absent, _SIGNER.absent)


def _bare(hop: Hop) -> tuple[ShakenCheck, ...] | None:
    """The checks of a hop that has nothing to check (None: it has something)."""
    if not hop.found:
        return _NO_RECORD
    if (hop.origid or hop.pp_x5u or hop.attest or hop.pp_orig or hop.pp_dest
            or hop.pp_iat_us != NAT):
        return None
    return _ABSENT


def shaken_checks(result: TraceResult) -> list[list[ShakenCheck]]:
    """Per hop, in chain order, the five checks (always all five, in ``ShakenCheckKind``
    order, so a reader can index them by check id)."""
    hops = result.hops
    marked = token = False  # a found hop with a SHAKEN field; a PASSporT field anywhere
    for h in hops:  # one look at each hop (a batch checks tens of thousands of chains)
        if h.pp_x5u or h.pp_orig or h.pp_dest or h.pp_iat_us != NAT:
            token = True
            marked = marked or h.found
        elif h.found and (h.origid or h.attest):
            marked = True
    if not marked:  # no token anywhere (most chains of a batch)
        return [list(_ABSENT) if h.found else list(_NO_RECORD) for h in hops]
    origids = _along(hops, _K_ORIGID, _ORIGID, [h.origid for h in hops])
    out = []
    if not token:
        # no PASSporT on the chain (records with attest and origid only, most of a batch):
        # the token's three checks say "absent" on every found hop
        for i, h in enumerate(hops):
            if not h.found:
                out.append(list(_NO_RECORD))
            elif h.origid or h.attest:
                out.append([origids[i], _attestation_origin(result, i), _NUMBERS.absent,
                            _IAT.absent, _SIGNER.absent])
            else:
                out.append(list(_ABSENT))
        return out
    signers = _along(hops, _K_SIGNER, _SIGNER, [h.pp_x5u for h in hops])
    ref_i = _iat_reference(hops)
    for i, h in enumerate(hops):
        b = _bare(h)
        out.append(list(b) if b is not None else
                   [origids[i], _attestation_origin(result, i), _passport_numbers(h),
                    _iat_window(result, i, ref_i), signers[i]])
    return out


def annotate(result: TraceResult) -> None:
    """Set each hop's ``shaken_checks``."""
    for hop, checks in zip(result.hops, shaken_checks(result)):
        hop.shaken_checks = checks


# -- origid and signer along the chain ----------------------------------------------------

def _along(hops: list[Hop], kind: ShakenCheckKind, blank: _Blank,
           values: list[str | None]) -> list[ShakenCheck]:
    """Each hop's value (``values``, in hop order) against the nearest other hop that has
    one: downstream first (so the hop where a re-signed token starts is the one flagged),
    else upstream. One pass for the chain: a batch checks tens of thousands of hops."""
    out: list[ShakenCheck] = []
    having: list[int] = []  # the hops that carry the field, in chain order
    for j, h in enumerate(hops):
        if not h.found:
            out.append(blank.no_record)
        elif values[j]:
            having.append(j)
            out.append(blank.absent)  # set below
        else:
            out.append(blank.absent)
    last = len(having) - 1
    for m, i in enumerate(having):
        # nearest downstream, else the nearest upstream
        j = having[m - 1] if m else having[1] if last else -1
        here = values[i]
        if j < 0:
            out[i] = ShakenCheck(kind, None, _NOTHING, {"here": here})
            continue
        other = values[j]
        same = other == here
        out[i] = ShakenCheck(kind, same, _SAME if same else _DIFFERS,
                             {"here": here, "other": other, "other_hop": j + 1,
                              "other_provider": hops[j].provider})
    return out


# -- attestation against the chain --------------------------------------------------------

def _is_origin(hop: Hop) -> bool:
    """The hop took the call from its own customer (or the case says it originates)."""
    return hop.customer is not None or str(hop.role).lower() in _ORIGIN_ROLES


def _same_token(a: Hop, b: Hop) -> bool | None:
    """Whether two records carry the same token: by origid, else by signer; None when they
    share neither field."""
    if a.origid and b.origid:
        return a.origid == b.origid
    if a.pp_x5u and b.pp_x5u:
        return a.pp_x5u == b.pp_x5u
    return None


#: per attest value as written: the check's answer where the value alone decides it (no
#: attestation, B or C: shared by every hop saying the same, checks being values), or
#: ``_FULL`` for A, which the chain decides (a marker, told by identity, never returned)
_FULL = ShakenCheck(K.ATTESTATION_ORIGIN, None, R.NO_RECORD)
_ATTEST_SAYS: dict[str | None, ShakenCheck] = {}
_ATTEST_SAYS_MAX = 4096  # values kept (a file could hold any number of odd ones)


def _attest_says(value: str | None) -> ShakenCheck:
    attest = (value or "").strip().upper()
    said = (_ATTEST.absent if not attest else _FULL if attest == "A" else
            ShakenCheck(K.ATTESTATION_ORIGIN, True, R.NOT_A, {"attest": attest}))
    if len(_ATTEST_SAYS) < _ATTEST_SAYS_MAX:
        _ATTEST_SAYS[value] = said
    return said


def _attestation_origin(result: TraceResult, i: int) -> ShakenCheck:
    """A (full) attestation is the originating provider's claim to know the caller and its
    right to the number: it must come from the origin, and the origin must know its customer.

    A downstream record repeats the token it received; the token's signer is taken to be the
    furthest-upstream hop carrying the same token (same origid, else same x5u)."""
    hops, kind = result.hops, K.ATTESTATION_ORIGIN
    hop = hops[i]
    if not hop.found:
        return _ATTEST.no_record
    said = _ATTEST_SAYS.get(hop.attest)
    if said is None:
        said = _attest_says(hop.attest)
    if said is not _FULL:  # absent, or B or C
        return said
    attest = "A"
    if _is_origin(hop):
        if hop.customer is None:
            return ShakenCheck(kind, False, R.ORIGIN_UNKNOWN, {"attest": attest})
        return ShakenCheck(kind, True, R.ORIGIN_KNOWN, {"attest": attest,
                                                        "customer": hop.customer})
    carriers = [k for k in range(i, len(hops)) if hops[k].found and
                (k == i or _same_token(hop, hops[k]) is True)]
    j = carriers[-1]
    signer: dict[str, NoteValue] = {"attest": attest, "signer_hop": j + 1,
                                    "signer_provider": hops[j].provider}
    if _is_origin(hops[j]) and hops[j].customer is not None:
        return ShakenCheck(kind, True, R.SIGNED_AT_ORIGIN, signer)
    for k in range(j + 1, len(hops)):  # a different token upstream: re-signed in between
        if hops[k].found and _same_token(hop, hops[k]) is False:
            return ShakenCheck(kind, False, R.RESIGNED, {
                **signer, "other_hop": k + 1, "other_provider": hops[k].provider,
                "other": hops[k].origid if hop.origid and hops[k].origid else hops[k].pp_x5u})
    return ShakenCheck(kind, None, R.SIGNER_UNKNOWN, signer)


# -- the token's claims against the record ------------------------------------------------

@lru_cache(maxsize=65536)
def _digits(tn: str) -> str:
    """The digits of a signed number (a batch meets the same few numbers again and again)."""
    return _NON_DIGIT.sub("", tn)


def _digits_match(tn: str, key: int) -> bool:
    """A signed number against a record's E.164 digits (a NANP tn may lack its leading 1)."""
    digits, e164 = _digits(tn), str(key)
    return bool(digits) and (digits == e164 or (len(digits) == 10 and e164 == "1" + digits))


def _passport_numbers(hop: Hop) -> ShakenCheck:
    kind = K.PASSPORT_NUMBERS
    if not hop.found:
        return _NUMBERS.no_record
    if not hop.pp_orig and not hop.pp_dest:
        return _NUMBERS.absent
    values: dict[str, NoteValue] = {
        "orig": hop.pp_orig, "dest": hop.pp_dest,
        "calling": f"+{hop.calling_key}" if hop.calling_key >= 0 else None,
        "called": f"+{hop.called_key}" if hop.called_key >= 0 else None}
    orig_ok = (_digits_match(hop.pp_orig, hop.calling_key)
               if hop.pp_orig and hop.calling_key >= 0 else None)
    dest_ok = (any(_digits_match(tn, hop.called_key) for tn in hop.pp_dest.split(","))
               if hop.pp_dest and hop.called_key >= 0 else None)
    if orig_ok is None and dest_ok is None:
        return ShakenCheck(kind, None, R.NO_CDR_NUMBERS, values)
    values.update(orig_ok=orig_ok, dest_ok=dest_ok)
    ok = orig_ok is not False and dest_ok is not False
    return ShakenCheck(kind, ok, R.NUMBERS_MATCH if ok else R.NUMBERS_DIFFER, values)


def _iat_reference(hops: list[Hop]) -> int | None:
    """The originating hop whose start every iat is held against (None: the chain has none,
    each hop's own start is used)."""
    return next((k for k, h in enumerate(hops)
                 if h.found and h.customer is not None and _start(h) != NAT), None)


def _iat_window(result: TraceResult, i: int, origin_i: int | None) -> ShakenCheck:
    """iat against the originating CDR's start on the reference clock (skew-corrected), or
    this hop's own start when the chain has no originating record."""
    hop, kind = result.hops[i], K.IAT_WINDOW
    if not hop.found:
        return _IAT.no_record
    if hop.pp_iat_us == NAT:
        return _IAT.absent
    ref_i = i if origin_i is None else origin_i
    ref = result.hops[ref_i]
    ref_us = _start(ref)
    values: dict[str, NoteValue] = {"iat_us": hop.pp_iat_us, "tolerance_s": IAT_TOLERANCE_S,
                                    "ref_hop": ref_i + 1, "ref_provider": ref.provider,
                                    "ref_basis": "origin" if ref.customer is not None else "own"}
    if ref_us == NAT:
        return ShakenCheck(kind, None, R.NO_REFERENCE_TIME, values)
    gap_s = (hop.pp_iat_us - ref_us) / US
    values.update(ref_us=ref_us, gap_s=gap_s)
    ok = abs(gap_s) <= IAT_TOLERANCE_S
    return ShakenCheck(kind, ok, R.IAT_WITHIN if ok else R.IAT_OUTSIDE, values)


def _start(hop: Hop) -> int:
    return hop.corrected_us if hop.corrected_us != NAT else hop.start_us
