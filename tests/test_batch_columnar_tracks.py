"""The batch's columns: targets normalized as columns, and the two tracks of the columnar
path (traceback records a store query a level; plain calls decided to their chains' ends
from their first answer), against the code they replaced and the general path.

- ``targets`` / ``normalize_calls`` against the per-call code it replaced (kept below as
  the oracle), over Hypothesis calls in every written form, with errors of every kind;
- ``_texts`` against ``to_pylist`` on dictionary arrays with nulls and non-ASCII;
- batches mixing traceback records, plain calls and errors in one list (both tracks share
  the first level's answer) against every call's own steps, ``--json`` byte for byte;
- a plain list whose chains are all decided as columns asks the store once.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_batch_columnar import (
    _PARAMS,
    _json,
    _plain,
    _text,
    _write_case,
    columnar_and_general,
    confirmed,
    traced_counting,
)
from workbench.case.model import load_case
from workbench.columns.arrow_numpy import strings, to_numpy
from workbench.columns.numbers import normalize_numbers
from workbench.columns.times import NAT, parse_times
from workbench.common.errors import InputError
from workbench.ingest.tracebacks import Traceback, TracebackHop
from workbench.store.protocol import CallKey
from workbench.trace.batch import BatchCall, _problem, _texts, normalize_calls, trace_many
from workbench.trace.columnar import LazyTrace, _call_keys
from workbench.trace.engine import Call
from workbench.trace.skew import estimate_skew

__all__ = ["confirmed"]  # the fixture, used by name below


# -- the oracle: normalize_calls as it was -------------------------------------------------

def _normalize_calls_before(case, calls):
    import pyarrow.compute as pc

    from workbench.trace.batch import _ZONED
    country = case.config.default_country
    calling = [c.traceback.calling if c.traceback else c.calling for c in calls]
    called = [c.traceback.called if c.traceback else c.called for c in calls]
    ing = normalize_numbers(strings([x or None for x in calling]), country)
    ed = normalize_numbers(strings([x or None for x in called]), country)
    ing_text, ed_text = ing.text.to_pylist(), ed.text.to_pylist()
    at_us = np.full(len(calls), NAT, dtype=np.int64)
    texts = [(i, str(c.at)) for i, c in enumerate(calls)
             if not c.traceback and isinstance(c.at, str) and c.at.strip()]
    zoned = np.zeros(len(calls), bool)
    if texts:
        col = strings([t for _, t in texts])
        idx = np.array([i for i, _ in texts], dtype=np.int64)
        at_us[idx] = parse_times(col, "UTC").us
        zoned[idx] = to_numpy(pc.match_substring_regex(col, _ZONED).fill_null(False))
    ing_key, ed_key = ing.key.tolist(), ed.key.tolist()
    at_list, zoned_list = at_us.tolist(), zoned.tolist()
    tbs = [c.traceback for c in calls]
    t_us = [tb.call_time_us if tb is not None else int(c.at) if isinstance(c.at, int) else t
            for c, tb, t in zip(calls, tbs, at_list)]
    alt = [NAT if tb is None else tb.call_time_alt_us for tb in tbs]
    zoned_all = [z or tb is not None or isinstance(c.at, int)
                 for c, tb, z in zip(calls, tbs, zoned_list)]
    ing_out = [t or r or "" for t, r in zip(ing_text, calling)]
    ed_out = [t or r or "" for t, r in zip(ed_text, called)]
    return [Call(a, ak, b, bk, t, al) if bk >= 0 and t != NAT and z and (
        tb is None or tb.called) else _problem(c, bk, t, z)
        for c, tb, a, ak, b, bk, t, al, z in zip(calls, tbs, ing_out, ing_key, ed_out, ed_key,
                                                 t_us, alt, zoned_all)]


_NUMBERS = st.sampled_from([
    "", " ", "+14045551234", "404-555-1234", "(404) 555-1234", "1 404 555 1234",
    "sip:+14045551234@carrier.example;user=phone", "tel:+16785550000", "4045551234",
    "+442079460958", "020 7946 0958", "not a number", "Zürich ☎", "+1404555123", "911",
    "+1 (678) 555-0199 ext. 12", "00442079460958"])
_TIMES = st.one_of(
    st.sampled_from(["", "  ", "2026-03-07T20:02:11Z", "2026-03-07T14:02:11-06:00",
                     "2026-03-07T20:02:11", "2026-03-07 20:02:11+0100", "yesterday",
                     "2026-11-01T01:30:00-05:00", "2026-03-07T20:02:11.250z"]),
    st.integers(1_700_000_000 * 10**6, 1_800_000_000 * 10**6))


@st.composite
def _calls(draw) -> BatchCall:
    row = draw(st.one_of(st.none(), st.integers(2, 10**6)))
    if draw(st.integers(0, 3)) == 0:  # a traceback record
        calling = draw(st.one_of(st.none(), _NUMBERS))
        called = draw(st.one_of(st.none(), _NUMBERS))
        at = draw(st.sampled_from([NAT, 1_772_900_000 * 10**6, 1_793_000_000 * 10**6]))
        alt = draw(st.sampled_from([NAT, NAT, at + 3_600 * 10**6]))
        hops = [TracebackHop(1, draw(st.sampled_from(["A", "B"])), "C",
                             "upstream_identified")] if draw(st.booleans()) else []
        tb = Traceback(f"TB-{draw(st.integers(0, 99))}", None, None, at, calling, called,
                       calling, called, hops, call_time_alt_us=alt)
        return BatchCall(traceback=tb, row=row)
    return BatchCall(draw(_NUMBERS), draw(_NUMBERS), draw(_TIMES), row=row)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(calls=st.lists(_calls(), max_size=30), country=st.sampled_from(["US", "GB"]))
def test_targets_equal_the_per_call_normalizing(calls, country):
    case = SimpleNamespace(config=SimpleNamespace(default_country=country))
    want = _normalize_calls_before(case, calls)
    got = normalize_calls(case, calls)  # type: ignore[arg-type]
    assert [type(x) for x in got] == [type(x) for x in want]
    assert got == want
    for g in got:  # the fields of a Call, as its own constructor fills them
        if isinstance(g, Call):
            assert tuple(g) == tuple(Call(*g))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(values=st.lists(st.one_of(st.none(), st.sampled_from(["+14045551234", "", "é☎", "a"]),
                                 st.text(max_size=6)), max_size=40),
       sliced=st.integers(0, 5))
def test_texts_equal_to_pylist(values, sliced):
    arr = pa.array(values, pa.string()).dictionary_encode()
    arr = arr.slice(min(sliced, len(arr)))
    assert _texts(arr) == arr.to_pylist()
    plain = pa.array(values, pa.string())
    assert _texts(plain) == plain.to_pylist()


def test_call_keys_equal_the_named_tuples():
    sid = ("A", "a.csv")
    got = _call_keys([sid, sid], [1, 2], [-1, 5])  # type: ignore[list-item]
    assert got == [CallKey(sid, 1, -1), CallKey(sid, 2, 5)]  # type: ignore[arg-type]
    assert all(type(k) is CallKey and k.lo_us is None and k.hi_us is None for k in got)


# -- both tracks in one batch ----------------------------------------------------------

def _mixed(calls: list[BatchCall], seed: int) -> list[BatchCall]:
    """Records, the same calls as a plain list, and calls that cannot be traced, shuffled
    into one list."""
    rng = np.random.default_rng(seed)
    bad = [BatchCall("+14045551234", "no number", "2026-03-20T05:00:00Z", row=1),
           BatchCall("+14045551234", "+16785552000", "2026-03-20T05:00:00", row=2),
           BatchCall("", "+16785552000", "later", row=3)]
    every = calls + _plain(calls) + bad
    order = rng.permutation(len(every))
    return [every[k] for k in order]


@settings(max_examples=14, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(p=_PARAMS)
def test_mixed_batches_equal_the_general_path(p, confirmed):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        calls = _mixed(_write_case(root, p), p["seed"])
        got, want = columnar_and_general(root, calls, p["tol"])
        assert _json(got) == _json(want)
        assert _text(got) == _json(want)
        assert sum(isinstance(r, InputError) for r in got) == 3
        assert not confirmed


def test_plain_chains_are_decided_from_their_first_answer(tmp_path, confirmed):
    """The plain calls of a draw that are decided as columns, as a list of their own:
    every chain (several hops long) decided from the one store query that asked every
    source for the call's pair."""
    p = {"seed": 7, "n": 60, "busy": 40, "dst": False, "answer": False, "c_skew": 0.4,
         "missing": 0.1, "odd": 0.1, "to_d": 0.3, "retry": 0.0, "same_pair": 0.0,
         "loop": False, "d_records": True, "tol": None, "b_len": (0,)}
    calls = _plain(_write_case(tmp_path, p))
    case = load_case(tmp_path)
    skew = estimate_skew(case)
    first = trace_many(case, calls, skew=skew)
    calls = [c for c, r in zip(calls, first) if isinstance(r, LazyTrace)]
    assert len(calls) > 0.6 * len(first)
    got, made = traced_counting(case, calls, skew)
    queries = made["candidates"]
    want = trace_many(case, calls, skew=skew, columnar=False)
    assert all(isinstance(r, LazyTrace) for r in got)
    assert max(len(r.hops) for r in want) >= 3  # chains of several hops
    assert queries == 1
    assert _json(got) == _json(want)
    assert not confirmed


def test_a_chain_that_does_not_hold_up_is_traced_on_its_own(tmp_path, monkeypatch):
    """Should a decided chain not hold up while its result is built (``Mismatch``, after
    part of it was built in place), the call is traced on its own and every field of the
    lazy result is that trace's."""
    import workbench.trace.columnar as columnar
    p = {"seed": 3, "n": 40, "busy": 40, "dst": False, "answer": False, "c_skew": 0.4,
         "missing": 0.1, "odd": 0.1, "to_d": 0.3, "retry": 0.3, "same_pair": 0.3,
         "loop": False, "d_records": True, "tol": None, "b_len": (0, 0, 3)}
    records = _write_case(tmp_path, p)
    calls = records + _plain(records)
    case = load_case(tmp_path)
    skew = estimate_skew(case)
    want = trace_many(case, calls, skew=skew, columnar=False)
    real = columnar.Columnar.materialize
    refused: list[int] = []

    def half_built(self, plan, *into):
        got = real(self, plan, *into)
        if plan.slot % 2:
            refused.append(plan.slot)
            got.hops.append(got.hops[0] if got.hops else None)  # a wrong field, replaced
            got.notes.append("wrong")
            raise columnar.Mismatch(plan.slot)
        return got
    monkeypatch.setattr(columnar.Columnar, "materialize", half_built)
    got = trace_many(case, calls, skew=skew)
    assert _json(got) == _json(want)
    assert got == want
    assert len(refused) > 10
