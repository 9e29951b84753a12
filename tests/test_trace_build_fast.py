"""The functions that build a trace's result objects, made cheaper, answer exactly as the
code they replaced: each old version is kept here as the oracle and compared with the
module's own over generated inputs full of edge cases (Hypothesis).

A batch builds these objects for every call and hop (``trace.columnar.materialize``), so
they were tuned: the STIR/SHAKEN checks in fewer passes with the attestation's B/C answers
shared, a hop's names read from one per-view memo, a record scored with fewer builtin
calls. The comparisons are of values and of their types (a float where an int was would
change ``trace --json``).
"""
from __future__ import annotations

import math
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import casebuilder
from workbench.case.model import load_case
from workbench.columns.times import NAT, US
from workbench.ingest.config import ProviderInfo
from workbench.ingest.tracebacks import Traceback, TracebackHop
from workbench.store.normalize import F_LOW_PRECISION, F_TIME_AMBIGUOUS
from workbench.trace import shaken_checks as sc
from workbench.trace.engine import (
    MAX_CANDIDATES,
    CaseView,
    _Clock,
    _compare_traceback,
    _hop_from,
    _skew_us,
    end_without_records,
)
from workbench.trace.fast_match import LevelRows, _confidence
from workbench.trace.match import (
    HOUR_US,
    Match,
    PairRows,
    _Search,
    origid_confidence,
    settle_pass,
)
from workbench.trace.results import (
    Candidate,
    Hop,
    Note,
    NoteKind,
    Outcome,
    Role,
    ShakenCheck,
    Skew,
    TraceResult,
)

K, R = sc.K, sc.R
T0 = 1_772_955_000 * US
_SETTINGS = settings(max_examples=250, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])


def _typed(value: object) -> object:
    """A value with the types inside it, so 1 and 1.0 (or True) do not compare equal, nor
    -0.0 and 0.0 (NaN equals NaN here)."""
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_typed(v) for v in value])
    if isinstance(value, dict):
        return ("dict", sorted((k, _typed(v)) for k, v in value.items()))
    if hasattr(value, "__dataclass_fields__"):
        return (type(value).__name__, [(f.name, _typed(getattr(value, f.name)))
                                       for f in fields(value)])
    if isinstance(value, float):  # by repr: -0.0 is not 0.0 in trace --json
        return ("float", repr(value))
    if hasattr(value, "_fields"):  # a named tuple (Note, ShakenCheck)
        return (type(value).__name__, [_typed(v) for v in value])
    if hasattr(value, "items"):  # a read-only mapping (NO_VALUES)
        return ("dict", sorted((k, _typed(v)) for k, v in value.items()))
    return (type(value).__name__, value)


# == the STIR/SHAKEN checks ==================================================================
# -- the oracle: shaken_checks, _along and _attestation_origin as they were ---------------

def old_shaken_checks(result: TraceResult) -> list[list[ShakenCheck]]:
    hops = result.hops
    bare = [sc._bare(h) for h in hops]
    if all(b is not None for b in bare):
        return [list(b) for b in bare]  # type: ignore[arg-type]
    origids = old_along(hops, K.ORIGID_CONSTANT, sc._ORIGID, [h.origid for h in hops])
    if not any(h.pp_x5u or h.pp_orig or h.pp_dest or h.pp_iat_us != NAT for h in hops):
        return [list(b) if b is not None else
                [origids[i], old_attestation_origin(result, i), sc._NUMBERS.absent,
                 sc._IAT.absent, sc._SIGNER.absent] for i, b in enumerate(bare)]
    signers = old_along(hops, K.SAME_SIGNER, sc._SIGNER, [h.pp_x5u for h in hops])
    ref_i = sc._iat_reference(hops)
    return [list(b) if b is not None else
            [origids[i], old_attestation_origin(result, i), sc._passport_numbers(hops[i]),
             sc._iat_window(result, i, ref_i), signers[i]] for i, b in enumerate(bare)]


def old_along(hops, kind, blank, values):
    having = [j for j, h in enumerate(hops) if h.found and values[j]]
    if not having:
        return [blank.absent if h.found else blank.no_record for h in hops]
    out = []
    below = -1
    k = 0
    for i, hop in enumerate(hops):
        while k < len(having) and having[k] < i:
            below, k = having[k], k + 1
        here = values[i]
        if not hop.found:
            out.append(blank.no_record)
            continue
        if not here:
            out.append(blank.absent)
            continue
        j = below if below >= 0 else (having[k + 1] if k + 1 < len(having) else None)
        if j is None:
            out.append(ShakenCheck(kind, None, R.NOTHING_TO_COMPARE, {"here": here}))
            continue
        same = values[j] == here
        out.append(ShakenCheck(kind, same, R.SAME if same else R.DIFFERS,
                               {"here": here, "other": values[j], "other_hop": j + 1,
                                "other_provider": hops[j].provider}))
    return out


def old_attestation_origin(result, i):
    hops, kind = result.hops, K.ATTESTATION_ORIGIN
    hop = hops[i]
    if not hop.found:
        return sc._ATTEST.no_record
    attest = (hop.attest or "").strip().upper()
    if not attest:
        return sc._ATTEST.absent
    if attest != "A":
        return ShakenCheck(kind, True, R.NOT_A, {"attest": attest})
    if sc._is_origin(hop):
        if hop.customer is None:
            return ShakenCheck(kind, False, R.ORIGIN_UNKNOWN, {"attest": attest})
        return ShakenCheck(kind, True, R.ORIGIN_KNOWN, {"attest": attest,
                                                        "customer": hop.customer})
    carriers = [k for k in range(i, len(hops)) if hops[k].found and
                (k == i or sc._same_token(hop, hops[k]) is True)]
    j = carriers[-1]
    signer = {"attest": attest, "signer_hop": j + 1, "signer_provider": hops[j].provider}
    if sc._is_origin(hops[j]) and hops[j].customer is not None:
        return ShakenCheck(kind, True, R.SIGNED_AT_ORIGIN, signer)
    for k in range(j + 1, len(hops)):
        if hops[k].found and sc._same_token(hop, hops[k]) is False:
            return ShakenCheck(kind, False, R.RESIGNED, {
                **signer, "other_hop": k + 1, "other_provider": hops[k].provider,
                "other": hops[k].origid if hop.origid and hops[k].origid else hops[k].pp_x5u})
    return ShakenCheck(kind, None, R.SIGNER_UNKNOWN, signer)


# -- generated chains: few distinct values, so hops agree, differ and repeat ---------------

_text = st.sampled_from([None, "", "o1", "o2"])
_attest = st.sampled_from([None, "", "A", " a ", "B", "b", "C ", "X", "  "])
_x5u = st.sampled_from([None, "", "https://u1", "https://u2"])
_tn = st.sampled_from([None, "", "13125550143", "3125550143", "+1 (312) 555-0143", "999"])


@st.composite
def _hop(draw: st.DrawFn, index: int) -> Hop:
    found = draw(st.booleans()) if draw(st.integers(0, 4)) == 0 else True
    customer = draw(st.sampled_from([None, None, "Robo Dialer", "robo dialer"]))
    role = draw(st.sampled_from([Role.TRANSIT, Role.ORIGINATING, Role.TERMINATING,
                                 Role.TERMINATING_ORIGINATING, "originator", "Originator",
                                 "gateway"]))
    start = T0 + draw(st.integers(-300, 300)) * US
    token = draw(st.integers(0, 3)) == 0  # a PASSporT on this hop (rarer)
    return Hop(f"P{index}", found, role, upstream=draw(st.sampled_from([None, "next"])),
               customer=customer, start_us=draw(st.sampled_from([start, NAT])),
               corrected_us=draw(st.sampled_from([start + 5 * US, NAT])),
               attest=draw(_attest), origid=draw(_text),
               calling_key=draw(st.sampled_from([-1, 13125550143])),
               called_key=draw(st.sampled_from([-1, 17735550188])),
               pp_orig=draw(_tn) if token else None, pp_dest=draw(_tn) if token else None,
               pp_iat_us=(T0 + draw(st.integers(-200, 200)) * US
                          if token and draw(st.booleans()) else NAT),
               pp_x5u=draw(_x5u) if token else None)


@st.composite
def _chain(draw: st.DrawFn) -> TraceResult:
    n = draw(st.integers(0, 7))
    hops = [draw(_hop(i)) for i in range(n)]
    if hops and draw(st.booleans()):  # the chain ends at an origin carrying a hop's token
        k = draw(st.integers(0, n - 1))
        last = hops[-1]
        last.found, last.customer, last.role = True, "Robo Dialer", Role.ORIGINATING
        last.origid, last.pp_x5u = hops[k].origid or "o1", hops[k].pp_x5u
        if k < n - 1 and draw(st.booleans()):  # a transit repeating the origin's full token
            hops[k].found, hops[k].attest = True, "A"
            hops[k].origid = last.origid
    return TraceResult("+13125550143", "+17735550188", T0, Outcome.NOT_FOUND, hops, None,
                       {}, 60.0)


@_SETTINGS
@given(result=_chain())
def test_shaken_checks_equal_the_old_ones(result):
    got = sc.shaken_checks(result)
    assert _typed(got) == _typed(old_shaken_checks(result))
    # each hop its own list (a caller may change one hop's checks)
    assert len({id(x) for x in got}) == len(got)
    sc.annotate(result)
    assert [h.shaken_checks for h in result.hops] == old_shaken_checks(result)


def test_shaken_checks_paths_are_all_exercised():
    """The generated chains reach each path of shaken_checks (no token, attest and origid
    only, PASSporT) and each reason of the attestation check."""
    reasons: set[str] = set()
    paths: set[str] = set()

    @settings(max_examples=400, deadline=None, derandomize=True, database=None)
    @given(result=_chain())
    def collect(result):
        hops = result.hops
        paths.add("token" if any(h.pp_x5u or h.pp_orig or h.pp_dest or h.pp_iat_us != NAT
                                 for h in hops) else
                  "marked" if any(h.found and (h.origid or h.attest) for h in hops) else
                  "bare")
        reasons.update(str(c[1].reason) for c in sc.shaken_checks(result))
    collect()
    assert paths == {"token", "marked", "bare"}
    assert {"not_a", "origin_known", "origin_unknown", "signed_at_origin", "resigned",
            "signer_unknown", "absent", "no_record"} - reasons == set()


# == a hop's names, the record's comparison ==================================================

@pytest.fixture(scope="module")
def chain_case(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("objects")
    casebuilder.build(root, n_background=20)
    case = load_case(root)
    d = case.directory
    # roles the directory decides: foreign by flag or by country, a role of its own
    d.providers["Gateway Co"] = ProviderInfo(name="Gateway Co", aliases=["GWC"],
                                             country="MX")
    d.add("Faraway Telecom")
    d.providers["Faraway Telecom"] = ProviderInfo(name="Faraway Telecom", foreign=True)
    d.providers["Midway Transit"] = ProviderInfo(name="Midway Transit", role="hub")
    return case


def _old_hop_from(view, provider, src, match, clock, index):
    c = match.best
    upstream, customer = view.upstream_of(src, c.ingress)
    sk = clock.skew
    return Hop(provider, True, view.role(provider, index, upstream, customer),
               upstream, customer, c.ingress, c.egress, c.start_us, c.corrected_us, None,
               match.confidence, len(match.alternatives), view.sid(src),
               c.line, c.row, c.duration,
               sk.offset_s if sk else None, sk.calls if sk else None,
               c.attest, c.origid, c.verstat,
               [c] + match.alternatives[:MAX_CANDIDATES - 1], list(match.notes),
               None, None, None, c.calling_key, c.called_key,
               c.pp_orig, c.pp_dest, c.pp_iat_us, c.pp_x5u)


_INGRESS = st.sampled_from([None, "", "MID-01", "mid-01 ", "000307", "GW-7", "OV-TRUNK",
                            "ACCT-77", " acct-77", "NOPE", "Faraway"])
_PROVIDERS = st.sampled_from(casebuilder.CHAIN + ["GWC", "Faraway Telecom", "Nobody"])


def _cand(draw: st.DrawFn, ingress: str | None) -> Candidate:
    return Candidate(draw(st.integers(0, 9)), draw(st.integers(2, 9)), T0, T0 + 1, 0.5,
                     draw(st.sampled_from([None, 30.0])), 0.9, draw(_text), None, 0.0, 1.0,
                     ingress, draw(st.sampled_from([None, "E1"])), draw(_attest), None,
                     13125550143, 17735550188)


@_SETTINGS
@given(data=st.data())
def test_hop_from_equals_the_old_one(chain_case, data):
    """A long-lived view (as a batch's) against a fresh one per hop: a memo keyed on too
    little would hand one hop another's names."""
    view = _VIEWS.setdefault(id(chain_case), CaseView(chain_case))
    draw = data.draw
    src = draw(st.sampled_from(chain_case.sources))
    best = _cand(draw, draw(_INGRESS))
    rivals = [_cand(draw, draw(_INGRESS)) for _ in range(draw(st.sampled_from([0, 1, 12])))]
    notes = draw(st.sampled_from([[], [Note(NoteKind.SAME_ORIGID)]]))
    match = Match(best, rivals, 0.8, 60.0, notes)
    skew = draw(st.sampled_from([None, Skew("x", "y", 1.5, 7, "estimated", [])]))
    clock = _Clock(skew, skew.offset_s if skew else 0.0, bool(skew), None)
    provider, index = draw(_PROVIDERS), draw(st.integers(0, 4))
    got = _hop_from(view, provider, src, match, clock, index)
    want = _old_hop_from(CaseView(chain_case), provider, src, match, clock, index)
    assert _typed(got) == _typed(want)
    # lists of their own: later steps append to a hop's notes
    assert got.notes is not match.notes and got.candidates is not match.alternatives


_VIEWS: dict[int, CaseView] = {}


def _old_compare(view, result, tb):
    records = {}
    for h in tb.hops:
        records.setdefault(view.canonical(h.provider), h)
    for hop in result.hops:
        rec = records.get(hop.provider)
        if rec is None:
            continue
        hop.traceback_status = rec.status
        said = view.canonical(rec.upstream) if rec.upstream else None
        hop.traceback_upstream = rec.upstream
        if not hop.found:
            hop.traceback_agrees = None
            continue
        if said is None:
            if rec.status == "originator" and hop.customer is not None:
                hop.traceback_agrees = True
            elif rec.status == "originator" and hop.customer is None:
                hop.traceback_agrees = False
                hop.traceback_upstream = "(originator)"
            else:
                hop.traceback_agrees = None
            continue
        cdr = hop.upstream or hop.customer
        hop.traceback_agrees = said == cdr or (hop.customer is not None and
                                               said.lower() == hop.customer.lower())
        if not hop.traceback_agrees:
            hop.notes.append(Note(NoteKind.TRACEBACK_DISAGREES,
                                  {"said": rec.upstream, "cdr": cdr}))


_NAMES = st.sampled_from(casebuilder.CHAIN + ["GWC", "gwc ", " midway transit", "Nobody",
                                              "Robo Dialer LLC", "robo dialer llc", "", None])


@_SETTINGS
@given(data=st.data())
def test_compare_traceback_equals_the_old_one(chain_case, data):
    draw = data.draw
    tb_hops = [TracebackHop(k + 1, draw(_NAMES) or "", draw(_NAMES),
                            draw(st.sampled_from([None, "originator", "upstream_identified",
                                                  "refused"])))
               for k in range(draw(st.integers(0, 6)))]
    tb = Traceback("TB-1", None, None, T0, None, None, None, None, tb_hops)

    def hops() -> list[Hop]:
        return [Hop(p, f, upstream=u, customer=c, notes=[])
                for p, f, u, c in chain]
    chain = [(draw(st.sampled_from(casebuilder.CHAIN + ["Gateway Co", "Nobody"])),
              draw(st.booleans()), draw(_NAMES), draw(st.sampled_from(
                  [None, "Robo Dialer LLC", "ROBO DIALER LLC", "Other"])))
             for _ in range(draw(st.integers(0, 6)))]
    got = TraceResult("a", "b", T0, Outcome.ORIGIN, hops(), None, {}, 60.0)
    want = TraceResult("a", "b", T0, Outcome.ORIGIN, hops(), None, {}, 60.0)
    _compare_traceback(_VIEWS.setdefault(id(chain_case), CaseView(chain_case)), got, tb)
    _old_compare(CaseView(chain_case), want, tb)
    assert _typed(got) == _typed(want)


def test_a_hop_without_records_shares_one_note_value(chain_case):
    view = CaseView(chain_case)
    a = TraceResult("a", "b", T0, Outcome.ORIGIN, [], None, {}, 60.0)
    b = TraceResult("a", "b", T0, Outcome.ORIGIN, [Hop("x", True)], None, {}, 60.0)
    end_without_records(view, a, "Faraway Telecom")
    end_without_records(view, b, "Faraway Telecom")
    assert a.hops[0].notes == [Note(NoteKind.NO_CDRS)] and a.outcome == Outcome.NO_RECORDS
    assert a.hops[0].notes is not b.hops[1].notes  # the lists are the hops' own
    assert (a.hops[0].role, b.hops[1].role) == (Role.TERMINATING, Role.FOREIGN)


# == scoring one record ======================================================================
# -- the oracle: _Search.candidate as it was --------------------------------------------------

def old_candidate(self, i, tol, note=None, shift_us=0, penalty=1.0):
    rows = self.rows
    start = int(rows.start[i])
    observed = start - self.skew_us
    logged = observed - shift_us
    corrected = logged - self.ring_us
    residual = (logged - self.at_us) / US
    dur_v = float(rows.duration[i])
    dur = None if dur_v != dur_v else dur_v
    time_score = max(0.0, 1.0 - abs(residual) / tol) if tol else 1.0
    if self.ref_duration is not None and dur is not None:
        dur_score = max(0.0, 1.0 - abs(dur - self.ref_duration) / 30.0)
        score = 0.65 * time_score + 0.35 * dur_score
    else:
        score = 0.85 * time_score + 0.15 * 0.5
    flags = int(rows.flags[i])
    if flags & F_LOW_PRECISION:
        score *= 0.9
    origid = rows.origid[i]
    if self.ref_origid and origid == self.ref_origid:
        score = min(1.0, score + 0.1)
    ing, ed, iat = rows.calling_key, rows.called_key, rows.pp_iat
    pp_orig, pp_dest, pp_x5u = rows.pp_orig, rows.pp_dest, rows.pp_x5u
    if self.answer_basis:
        answer = logged
    else:
        answer = NAT if rows.answer is None else int(rows.answer[i])
        if answer != NAT:
            answer -= self.skew_us
    return Candidate(int(rows.row[i]), int(rows.line[i]), start, corrected,
                     (observed - self.at_us) / US, dur, round(score, 4), origid, note,
                     shift_us / US, penalty, rows.ingress[i], rows.egress[i],
                     rows.attest[i], rows.verstat[i],
                     -1 if ing is None else int(ing[i]), -1 if ed is None else int(ed[i]),
                     None if pp_orig is None else pp_orig[i],
                     None if pp_dest is None else pp_dest[i],
                     NAT if iat is None else int(iat[i]),
                     None if pp_x5u is None else pp_x5u[i], answer,
                     NAT if not self.open_pass or not flags & F_TIME_AMBIGUOUS else
                     self._other_pass(i, corrected, shift_us))


_DUR = st.one_of(st.sampled_from([math.nan, 0.0, 30.0, 41.5, 300.0, math.inf]),
                 st.floats(0, 4000, allow_nan=False))


@st.composite
def _rows(draw: st.DrawFn) -> PairRows:
    n = draw(st.integers(1, 4))
    ints = st.integers(-2**40, 2**40)
    optional = draw(st.booleans())  # the store's optional columns absent (None)

    def col(values: list, dtype) -> np.ndarray:
        return np.array(values, dtype=dtype)
    return PairRows(
        col([draw(st.integers(0, 10**6)) for _ in range(n)], np.int64),
        col([draw(st.integers(1, 10**6)) for _ in range(n)], np.int64),
        col([T0 + draw(st.integers(-4000, 4000)) * US // 3 for _ in range(n)], np.int64),
        col([draw(_DUR) for _ in range(n)], np.float64),
        col([draw(st.sampled_from([0, F_LOW_PRECISION, F_TIME_AMBIGUOUS,
                                   F_LOW_PRECISION | F_TIME_AMBIGUOUS])) for _ in range(n)],
            np.uint32),
        [draw(_text) for _ in range(n)], [draw(_text) for _ in range(n)],
        [draw(_text) for _ in range(n)], [draw(_attest) for _ in range(n)],
        [draw(_text) for _ in range(n)],
        answer=None if optional else col([draw(st.sampled_from([NAT, T0 + 7 * US]))
                                          for _ in range(n)], np.int64),
        calling_key=None if optional else col([draw(ints) for _ in range(n)], np.int64),
        called_key=None if optional else col([draw(ints) for _ in range(n)], np.int64),
        pp_orig=None if optional else [draw(_tn) for _ in range(n)],
        pp_dest=None if optional else [draw(_tn) for _ in range(n)],
        pp_iat=None if optional else col([draw(st.sampled_from([NAT, T0]))
                                          for _ in range(n)], np.int64),
        pp_x5u=None if optional else [draw(_x5u) for _ in range(n)])


def _listed(rows: PairRows) -> PairRows:
    """The rows as LevelRows.plain holds them (Python lists), as the quick path scores."""
    return LevelRows(rows).plain


@_SETTINGS
@given(rows=_rows(), data=st.data())
def test_candidate_scores_as_the_old_code(rows, data):
    draw = data.draw
    listed = draw(st.booleans())
    search = _Search(_listed(rows) if listed else rows,
                     draw(st.sampled_from([-1, 13125550143])),
                     T0 + draw(st.integers(-4000, 4000)) * US // 3,
                     draw(st.sampled_from([0, 500_000, -97 * US, HOUR_US])),
                     draw(st.one_of(st.none(), _DUR)), draw(_text),
                     draw(st.sampled_from([0, 12 * US])), draw(st.booleans()),
                     draw(st.booleans()))
    i = draw(st.integers(0, len(rows) - 1))
    tol = draw(st.sampled_from([0.0, 1.0, 60.0, 105.0, 900.0, 1e-300, math.nan, -5.0]))
    extra = draw(st.sampled_from([
        {}, {"note": Note(NoteKind.DST_SECOND_PASS), "shift_us": -HOUR_US, "penalty": 0.95},
        {"note": Note(NoteKind.HOUR_SHIFT, {"hours": 2}), "shift_us": 2 * HOUR_US,
         "penalty": 0.6}]))
    got = search.candidate(i, tol, **extra)
    assert _typed(got) == _typed(old_candidate(search, i, tol, **extra))


# == small ones ===============================================================================

def _old_origid_confidence(conf, best, ref_origid, notes):
    if ref_origid and best.origid:
        if best.origid == ref_origid:
            notes.append(Note(NoteKind.SAME_ORIGID))
            return max(conf, min(0.99, best.score + 0.3))
        notes.append(Note(NoteKind.DIFFERENT_ORIGID,
                          {"here": best.origid, "downstream": ref_origid}))
        return conf * 0.8
    return conf


@_SETTINGS
@given(conf=st.floats(0, 1), score=st.floats(0, 1), origid=_text, ref=_text)
def test_origid_confidence_equals_the_old_one(conf, score, origid, ref):
    best = Candidate(1, 2, T0, T0, 0.0, None, score, origid)
    got_notes: list[Note] = []
    want_notes: list[Note] = []
    got = origid_confidence(conf, best, ref, got_notes)
    assert _typed((got, got_notes)) == _typed(
        (_old_origid_confidence(conf, best, ref, want_notes), want_notes))


def _old_settle_pass(hops):
    if not hops or not hops[-1].candidates or not hops[-1].candidates[0].pass_s:
        return 0
    shift = int(round(hops[-1].candidates[0].pass_s * US))
    moved_first = 0
    for k in range(len(hops) - 2, -1, -1):
        hop = hops[k]
        c = hop.candidates[0] if hop.found and hop.candidates else None
        if c is None or c.alt_us == NAT:
            break
        c.corrected_us, c.alt_us = c.alt_us, NAT
        if c.answer_us != NAT:
            c.answer_us += shift
        hop.corrected_us = c.corrected_us
        hop.notes = [n for n in hop.notes if n.kind != NoteKind.DST_PASS_OPEN]
        hop.notes.append(Note(NoteKind.DST_PASS_SETTLED, {"hours": round(shift / HOUR_US),
                                                          "by": hops[-1].provider}))
        moved_first = shift if k == 0 else moved_first
    return moved_first


@_SETTINGS
@given(spec=st.lists(st.tuples(st.booleans(), st.integers(0, 2),
                               st.sampled_from([NAT, T0 + HOUR_US]),
                               st.sampled_from([NAT, T0 + 9 * US]),
                               st.sampled_from([0.0, 3600.0, -3600.0])), max_size=5))
def test_settle_pass_equals_the_old_one(spec):
    def hops() -> list[Hop]:
        out = []
        for k, (found, n, alt, answer, pass_s) in enumerate(spec):
            cands = [Candidate(j, j, T0, T0, 0.0, None, 0.9, answer_us=answer, alt_us=alt,
                               pass_s=pass_s) for j in range(n)]
            out.append(Hop(f"P{k}", found, corrected_us=T0, candidates=cands,
                           notes=[Note(NoteKind.DST_PASS_OPEN), Note(NoteKind.SAME_ORIGID)]))
        return out
    got, want = hops(), hops()
    assert _typed((settle_pass(got), got)) == _typed((_old_settle_pass(want), want))


@_SETTINGS
@given(score=st.one_of(st.floats(), st.sampled_from([0, 1, 2, -1, 0.0, -0.0, 1.0, 0.7])),
       origid=_text, ref=_text)
def test_confidence_equals_the_old_one(score, origid, ref):
    best = Candidate(1, 2, T0, T0, 0.0, None, score, origid)
    got_notes: list[Note] = []
    want_notes: list[Note] = []
    got = _confidence(best, ref, got_notes)
    conf = _old_origid_confidence(best.score, best, ref, want_notes)
    assert _typed((got, got_notes)) == _typed((float(min(max(conf, 0.0), 1.0)), want_notes))


@_SETTINGS
@given(skew=st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 0.508, -0.508, 96.417, 1e300])))
def test_skew_in_microseconds_equals_rounding_it(skew):
    for _ in range(2):  # asked again: from the memo
        try:
            want: object = int(round(skew * US))
        except (ValueError, OverflowError) as exc:
            want = type(exc)
        try:
            got: object = _skew_us(skew)
        except (ValueError, OverflowError) as exc:
            got = type(exc)
        assert _typed(got) == _typed(want)


@_SETTINGS
@given(name=_NAMES)
def test_the_views_canonical_names_are_the_directorys(chain_case, name):
    view = _VIEWS.setdefault(id(chain_case), CaseView(chain_case))
    for _ in range(2):
        assert _typed(view.canonical(name)) == _typed(chain_case.directory.canonical(name))


def test_path_root_is_this_checkout():
    """These tests compare this checkout's code (not an installed copy)."""
    assert Path(sc.__file__).parents[2] == Path(__file__).parents[1]

