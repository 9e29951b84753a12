"""The store seam: the engine reaches rows only through CdrStore, with O(hops) calls."""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from workbench.case.model import load_case
from workbench.columns.times import US, parse_one
from workbench.store.protocol import CallKey, CdrStore, CountingStore
from workbench.trace.engine import trace, trace_traceback
from workbench.trace.skew import estimate_skew

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "auto_warranty_case"

#: Modules that must see CDR rows only through the protocol (case.store).
SEAM_USERS = [*sorted((ROOT / "workbench" / "trace").glob("*.py")),
              ROOT / "workbench" / "present" / "calls_query.py",
              ROOT / "workbench" / "present" / "chain_layout.py"]
SOURCE_CALLS = {"col", "text", "row", "window", "rows_with_called", "called_range", "raw_lines"}


@pytest.fixture(scope="module")
def case():
    return load_case(SAMPLE)  # read only: nothing here writes into the case folder


@pytest.fixture(scope="module")
def skew(case):
    return estimate_skew(case)


@pytest.mark.parametrize("path", SEAM_USERS, ids=lambda p: p.name)
def test_engine_modules_reach_rows_only_through_the_store(path):
    """No attribute of a loaded source's table (``src.table``, ``src.col(...)``, …) is read:
    a SQL or Spark backend could not serve it."""
    tree = ast.parse(path.read_text(), filename=str(path))
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "table":
            bad.append(f"{path.name}:{node.lineno} .table")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in SOURCE_CALLS and not _is_store(node.func.value)):
            bad.append(f"{path.name}:{node.lineno} .{node.func.attr}()")
    assert bad == []


def _is_store(node: ast.expr) -> bool:
    """``store`` or ``<anything>.store``: the protocol object."""
    return (isinstance(node, ast.Name) and node.id == "store") or (
        isinstance(node, ast.Attribute) and node.attr == "store")


def test_a_trace_costs_one_batched_store_call_per_hop(case, skew):
    assert isinstance(case.store, CdrStore)
    inner = case.store
    for tb in case.tracebacks:
        counting = CountingStore(inner)
        case.store = counting
        try:
            r = trace_traceback(case, tb.traceback_id, skew=skew)
        finally:
            case.store = inner
        with_records = sum(1 for h in r.hops if case.sources_of(h.provider))
        # one lookup over every source to find the terminating provider, then one per hop
        assert set(counting.calls) <= {"candidates"}, counting.calls
        assert 1 <= counting.total <= with_records + 1, (tb.traceback_id, counting.calls)


def test_trace_results_do_not_depend_on_the_number_of_store_calls(case, skew):
    """The same chain whether the store is wrapped or not (the wrapper is transparent)."""
    tb = case.tracebacks[0]
    plain = trace_traceback(case, tb.traceback_id, skew=skew)
    inner, case.store = case.store, CountingStore(case.store)
    try:
        counted = trace_traceback(case, tb.traceback_id, skew=skew)
    finally:
        case.store = inner
    assert [(h.provider, h.line) for h in plain.hops] == [(h.provider, h.line)
                                                            for h in counted.hops]


# -- the contract every backend must keep (ArrowStore today) ------------------------------

def test_candidates_returns_every_key_in_one_table(case):
    store = case.store
    r = trace_traceback(case, case.tracebacks[0].traceback_id)
    hop = r.hops[0]
    row = store.rows(hop.source, np.array([hop.row]), ["calling_key", "called_key", "start"])
    calling, called, start = (row.column(n)[0].as_py() for n in ("calling_key", "called_key",
                                                                  "start"))
    keys = [CallKey(hop.source, called, calling),  # every record of the pair
            CallKey(hop.source, called, calling, start - US, start + US),  # ±1 s
            CallKey(hop.source, called, -1, start, start),  # any calling number, exact start
            CallKey(hop.source, 19999999999, calling)]  # nobody
    t = store.candidates(keys)
    q = t.column("q").to_numpy()
    assert set(q.tolist()) <= {0, 1, 2}
    assert hop.row in t.filter(q == 1).column("row").to_pylist()
    assert hop.row in t.filter(q == 2).column("row").to_pylist()
    assert (q == 0).sum() >= (q == 1).sum() >= 1
    for part in (t.filter(q == k) for k in (0, 1, 2)):
        starts = part.column("start").to_numpy()
        assert (np.diff(starts) >= 0).all()  # start order within a key
    assert set(t.filter(q == 0).column("calling_key").to_pylist()) == {calling}
    assert t.column("ingress").type == "string"  # plain strings from every backend


def test_rows_raw_lines_and_ingress_counts(case):
    store = case.store
    sid = store.source_ids()[0]
    t = store.rows(sid, np.array([2, 0]), ["line", "ingress", "start"])
    assert t.column_names == ["line", "ingress", "start"] and t.num_rows == 2
    lines = t.column("line").to_pylist()
    raw = store.raw_lines(sid, lines)
    assert set(raw) == set(lines) and all(raw[ln] for ln in lines)
    counts = dict(store.ingress_counts([sid])[sid])
    assert sum(counts.values()) <= store.summary(sid).rows
    assert all(isinstance(k, str) and n > 0 for k, n in counts.items())


def test_pair_offsets_see_a_known_shift(case):
    """The skew join: a source paired with itself has offset 0 on every unique pair."""
    store = case.store
    sid = store.source_ids()[0]
    ingresses = [k for k, _ in store.ingress_counts([sid])[sid]]
    off = store.pair_offsets(sid, ingresses, sid, 26 * 3600)
    assert len(off) > 0 and np.allclose(off, 0.0)


def test_a_trace_given_the_skew_does_not_estimate_it_again(case, skew, monkeypatch):
    import workbench.trace.skew as skew_mod

    def boom(*a, **k):
        raise AssertionError("skew estimated again")
    monkeypatch.setattr(skew_mod, "estimate_skew", boom)
    tb = case.tracebacks[0]
    r = trace(case, calling=tb.calling, called=tb.called, at=tb.call_time_us, skew=skew)
    assert r.hops and r.at_us == tb.call_time_us
    assert parse_one("2026-03-08T07:41:12Z") > 0


def _offsets_from_columns(store, a, ingresses, b, times, max_offset_s):
    """The answer-time skew join as skew._answer_clock computed it before it moved into the
    store: whole columns of both sources brought into this process (the oracle)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from workbench.store.pair_offsets import PairRows, matched_offsets
    ta = store.columns(a, ["calling_key", "called_key", "start", "answer", "ingress"])
    tb = store.columns(b, ["calling_key", "called_key", "start", "answer"])
    ing = ta.column("ingress")
    if pa.types.is_dictionary(ing.type):
        ing = ing.cast(ing.type.value_type)
    mask = pc.fill_null(pc.is_in(ing, value_set=pa.array(list(ingresses), pa.string())),
                        False).to_numpy(zero_copy_only=False)

    def col(t, name):
        return np.asarray(t.column(name).to_numpy(), dtype=np.int64)
    ra = PairRows(*(col(ta, n)[mask] for n in ("calling_key", "called_key", "start")),
                  col(ta, times[0])[mask])
    rb = PairRows(*(col(tb, n) for n in ("calling_key", "called_key", "start")),
                  col(tb, times[1]))
    return sorted(float(x) for x in matched_offsets(ra, rb, max_offset_s))


@pytest.mark.parametrize("which", ["sample", "built"])
def test_pair_offsets_compare_start_or_answer_times_as_asked(which, tmp_path):
    """The skew join on answer times (an answer-time switch against a neighbour's answer
    column) runs in the store; it equals the whole-column computation it replaced, and a
    name other than start or answer never reaches a query."""
    from tests import casebuilder
    from tests.store_keys import every_pair_offset
    if which == "built":
        casebuilder.build(tmp_path)
        c = load_case(tmp_path)
    else:
        c = load_case(SAMPLE)
    store = c.store
    got = every_pair_offset(store)
    sids = store.source_ids()
    for (i, j, times), off in got.items():
        ingresses = [k for k, _ in store.ingress_counts([sids[i]])[sids[i]]]
        assert off == _offsets_from_columns(store, sids[i], ingresses, sids[j], times,
                                            26 * 3600), (i, j, times)
    if which == "sample":  # its switches record answer times (the built case's do not)
        assert any(off for (_, _, t), off in got.items() if "answer" in t), \
            "no answer times in the sample: the answer-time join goes untested"
    with pytest.raises(ValueError, match="start' or 'answer"):
        store.pair_offsets(sids[0], ["x"], sids[0], 60.0, times=("start", "row; DROP"))
