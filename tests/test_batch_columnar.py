"""The batch's columnar path (trace.columnar) gives exactly the general path's results.

Whole batches over a generated case, and Hypothesis over hand-made chains of three or four
providers full of decoys (retries, the same pair seconds or minutes apart, calls one hop
never carried, a night with a repeated local hour, an answer-time switch, skewed clocks, an
ingress nobody mapped, a provider without CDRs, a loop), traced as traceback records with
the columnar path and with every call's own steps: ``trace --json`` byte for byte, and
the columnar path's chains all confirmed by quick_match when built (no silent fallback).
"""
from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench.trace.columnar as columnar
from workbench.case.model import load_case
from workbench.columns.times import NAT, iso_utc
from workbench.generate import generate_case
from workbench.ingest.tracebacks import Traceback, TracebackHop
from workbench.present.trace_json import TraceJsonText, trace_json
from workbench.store.protocol import CountingStore
from workbench.trace.batch import BatchCall, outcome_counts, trace_many
from workbench.trace.columnar import LazyTrace
from workbench.trace.engine import trace, trace_traceback
from workbench.trace.skew import estimate_skew

UTC = timezone.utc


def _json(results) -> list[str]:
    return [str(r) if isinstance(r, Exception) else json.dumps(trace_json(r)) for r in results]


def _text(results) -> list[str]:
    """The CLI's .jsonl lines (``TraceJsonText``), to compare with ``_json``."""
    text = TraceJsonText()
    return [str(r) if isinstance(r, Exception) else text(r) for r in results]


@pytest.fixture()
def confirmed(monkeypatch) -> list[int]:
    """Fails the test if a decided chain is not confirmed when built (the batch would
    quietly trace that call the general way: right, but a bug in the columnar path)."""
    bad: list[int] = []
    real = columnar.Columnar.materialize

    def checked(self, plan, *into):
        try:
            return real(self, plan, *into)
        except columnar.Mismatch:
            bad.append(plan.slot)
            raise
    monkeypatch.setattr(columnar.Columnar, "materialize", checked)
    return bad


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("columnar") / "gen"
    generate_case(root, rows=3000, tracebacks=400)
    return root


def traced_counting(case, calls, skew) -> tuple[list, dict[str, int]]:
    """``trace_many`` of ``calls`` with the store calls it made, per operation."""
    inner = case.store
    case.store = CountingStore(inner)
    try:
        return trace_many(case, calls, skew=skew), dict(case.store.calls)
    finally:
        case.store = inner


def columnar_and_general(root: Path, calls: list[BatchCall], tol) -> tuple[list, list]:
    """The case at ``root`` traced as a batch, columnar and the general way only."""
    case = load_case(root)
    skew = estimate_skew(case)
    return (trace_many(case, calls, skew=skew, tolerance_s=tol),
            trace_many(case, calls, skew=skew, tolerance_s=tol, columnar=False))


def test_generated_case_equals_the_general_path_and_single_traces(generated, confirmed):
    case = load_case(generated)
    skew = estimate_skew(case)
    calls = [BatchCall(traceback=tb) for tb in case.tracebacks]
    got, made = traced_counting(case, calls, skew)
    queries = made["candidates"]
    lazy = sum(isinstance(r, LazyTrace) for r in got)
    assert lazy > 0.8 * len(calls)  # most chains decided as columns
    want = trace_many(case, calls, skew=skew, columnar=False)
    assert _json(got) == _json(want)
    assert _json(got) == _json(trace_many(case, calls, skew=skew, fast=False))
    singles = [trace_traceback(case, tb.traceback_id, skew=skew) for tb in case.tracebacks[::7]]
    assert _json(got[::7]) == _json(singles)
    assert _text(got) == _json(want)
    assert queries <= max(len(r.hops) for r in want) + 1  # still one query a level
    assert outcome_counts(got) == outcome_counts(want)
    assert got == want and want == got  # a built LazyTrace equals the TraceResult
    assert not confirmed


# -- Hypothesis: chains with decoys ------------------------------------------------------

def _write_case(root: Path, p: dict) -> list[BatchCall]:
    """Providers A <- B <- C (<- D, with or without CDRs): A writes UTC, B local wall time
    (Chicago, over the fall-back night or not), C UTC or answer time, its clock off by
    ``c_skew``; decoys as the module docstring lists. Calls are traceback records naming A
    first (sometimes B, or a provider the case does not know). B's length of a call may
    differ from A's (``b_len``)."""
    rng = np.random.default_rng(p["seed"])
    t0 = (datetime(2026, 11, 1, 4, 0, tzinfo=UTC) if p["dst"]
          else datetime(2026, 3, 20, 4, 0, tzinfo=UTC))
    rows: dict[str, list[list[object]]] = {"a": [], "b": [], "c": [], "d": []}
    calls: list[BatchCall] = []
    fall_back = datetime(2026, 11, 1, 7, tzinfo=UTC)

    def chicago(t: datetime) -> str:
        dst = t < fall_back if p["dst"] else True
        return (t + timedelta(hours=-5 if dst else -6)).strftime("%Y-%m-%d %H:%M:%S")

    def utc(t: datetime) -> str:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")

    for k in range(p["n"]):
        t = t0 + timedelta(seconds=float(rng.uniform(0, 6 * 3600)))
        calling = "" if k % 19 == 0 else f"+1404555{1000 + k:04d}"
        called = f"+1678555{2000 + k % p['busy']:04d}"
        dur = int(rng.integers(5, 300))
        ring = float(rng.uniform(2, 9))
        rows["a"].append([utc(t), calling, called, "B-TRUNK", dur])
        carried = rng.random() >= p["missing"]
        if carried:
            tb = t - timedelta(seconds=0.3)
            rows["b"].append([chicago(tb), calling, called, "ODD" if rng.random() < p["odd"]
                              else "C-TRUNK", dur + int(rng.choice(p["b_len"]))])
            tc = tb + timedelta(seconds=p["c_skew"] + (ring if p["answer"] else 0.2))
            c_in = "ACCT-1" if rng.random() >= p["to_d"] else "D-TRUNK"
            rows["c"].append([utc(tc), calling, called, c_in, dur])
            if rng.random() < p.get("c_retry", 0.0):  # C alone retried it 5 s later
                rows["c"].append([utc(tc + timedelta(seconds=5)), calling, called, c_in,
                                  dur + 7])
        if rng.random() < p.get("twin", 0.0):  # D holds the same call, named by nobody
            rows["d"].append([utc(t + timedelta(seconds=float(rng.choice([0.5, 20])))),
                              calling, called, "X", dur])
        if rng.random() < p["retry"]:  # a retry seconds later, another length
            gap = float(rng.choice([3, 12, 30, 50]))
            retry = t + timedelta(seconds=gap)
            rows["a"].append([utc(retry), calling, called, "B-TRUNK", dur + 40])
            rows["b"].append([chicago(retry), calling, called, "C-TRUNK",
                              int(rng.choice([dur, dur + 40]))])
        if rng.random() < p["same_pair"]:  # the same pair minutes later
            later = t + timedelta(minutes=float(rng.choice([2, 3, 60])))
            rows["a"].append([utc(later), calling, called, "B-TRUNK", 12])
            rows["b"].append([chicago(later), calling, called, "C-TRUNK", 12])
            rows["c"].append([utc(later + timedelta(seconds=40)), calling, called, "ACCT-1",
                              12])
        at = t + timedelta(seconds=float(rng.choice([0, 0, 0, 1, -4, 50, 3600])))
        first = str(rng.choice(["A", "A", "A", "A", "B", "Nobody"]))
        hops = [TracebackHop(1, first, "B" if first == "A" else "C", "upstream_identified"),
                TracebackHop(2, "B", "C", "upstream_identified")]
        tbk = Traceback(f"TB-{k}", None, utc(at), int(at.timestamp()) * 1_000_000,
                        calling or None, called, calling or None, called, hops)
        calls.append(BatchCall(traceback=tbk, row=k + 2))
    header = "start,calling,called,ingress,duration"
    for key in ("a", "b", "c"):
        body = sorted(rows[key], key=lambda r: str(r[0]))
        (root / f"{key}.csv").write_text(
            "\n".join([header] + [",".join(map(str, r)) for r in body]) + "\n")
    c_ups = '"D-TRUNK" = "D"' if not p["loop"] else '"D-TRUNK" = "A"'
    lines = ['[case]', 'name = "Decoys"', 'default_country = "US"', '',
             '[[sources]]', 'provider = "A"', 'path = "a.csv"', 'format = "generic"',
             '[sources.upstreams]', '"B-TRUNK" = "B"', '',
             '[[sources]]', 'provider = "B"', 'path = "b.csv"', 'format = "generic"',
             'timezone = "America/Chicago"', '[sources.upstreams]', '"C-TRUNK" = "C"', '',
             '[[sources]]', 'provider = "C"', 'path = "c.csv"', 'format = "generic"']
    if p["answer"]:
        lines.append('time_basis = "answer"')
    lines += ['[sources.upstreams]', c_ups, '[sources.customers]', '"ACCT-1" = "Caller LLC"',
              '']
    if p["d_records"]:  # D's file holds a few unrelated rows (and the twins)
        (root / "d.csv").write_text("\n".join(
            [header, "2026-03-20T04:00:00Z,+14045550000,+16785550000,X,10"]
            + [",".join(map(str, r)) for r in sorted(rows["d"], key=lambda r: str(r[0]))])
            + "\n")
        lines += ['[[sources]]', 'provider = "D"', 'path = "d.csv"', 'format = "generic"', '']
    (root / "case.toml").write_text("\n".join(lines))
    return calls


_PARAMS = st.fixed_dictionaries({
    "seed": st.integers(0, 10_000), "n": st.integers(20, 70), "busy": st.sampled_from([3, 40]),
    "dst": st.booleans(), "answer": st.booleans(),
    "c_skew": st.sampled_from([0.0, 0.4, 37.0, -61.0, 3600.0]),
    "missing": st.sampled_from([0.0, 0.1, 0.4]), "odd": st.sampled_from([0.0, 0.1]),
    "to_d": st.sampled_from([0.0, 0.3]), "retry": st.sampled_from([0.0, 0.3]),
    "same_pair": st.sampled_from([0.0, 0.3]), "loop": st.booleans(),
    "d_records": st.booleans(), "tol": st.sampled_from([None, 30.0, 90.0]),
    # B's length of the call against A's: the same, or off by rounding, ring time, a retry
    "b_len": st.sampled_from([(0,), (0, 0, 3, 15, 40, 90)]),
    "twin": st.sampled_from([0.0, 0.2]), "c_retry": st.sampled_from([0.0, 0.3]),
})


def _plain(calls: list[BatchCall]) -> list[BatchCall]:
    """The same calls as a plain list: numbers and time as the records wrote them (no
    record names the first provider: every provider is asked whether it holds the call)."""
    out = []
    for c in calls:
        tb = c.traceback
        assert tb is not None
        out.append(BatchCall(tb.calling_raw or "", tb.called_raw or "", tb.call_time,
                             row=c.row))
    return out


@settings(max_examples=14, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(p=_PARAMS)
def test_columnar_equals_the_general_path_on_chains_with_decoys(p, confirmed):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        calls = _write_case(root, p)
        got, want = columnar_and_general(root, calls, p["tol"])
        assert _json(got) == _json(want)
        assert _text(got) == _json(want)
        assert not confirmed


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(p=_PARAMS)
def test_plain_lists_equal_the_general_path_on_chains_with_decoys(p, confirmed):
    """The same chains given as (calling, called, at): the terminating step decided as
    columns (who holds the call, who names whom) where it is plain, the general way else."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        calls = _plain(_write_case(root, p))
        got, want = columnar_and_general(root, calls, p["tol"])
        assert _json(got) == _json(want)
        assert _text(got) == _json(want)
        assert not confirmed


def test_plain_lists_take_the_columnar_path(tmp_path, confirmed):
    """Most plain calls of a draw are decided as columns; the twins (a second head) and
    the calls off every clock's window go the general way; each equals a single trace."""
    p = {"seed": 4, "n": 200, "busy": 40, "dst": False, "answer": False, "c_skew": 37.0,
         "missing": 0.1, "odd": 0.1, "to_d": 0.3, "retry": 0.3, "same_pair": 0.3,
         "loop": False, "d_records": True, "tol": None, "b_len": (0, 0, 3, 15), "twin": 0.2}
    calls = _plain(_write_case(tmp_path, p))
    case = load_case(tmp_path)
    skew = estimate_skew(case)
    got = trace_many(case, calls, skew=skew)
    lazy = [r for r in got if isinstance(r, LazyTrace)]
    assert 0.3 * len(calls) < len(lazy) < len(calls)
    assert {"origin", "not_found", "unmapped_ingress"} <= {str(r.outcome) for r in lazy}
    assert _json(got) == _json(trace_many(case, calls, skew=skew, columnar=False))
    singles = [trace(case, calling=c.calling, called=c.called, at=c.at, skew=skew)
               for c in calls[::5]]
    assert _json(got[::5]) == _json(singles)
    assert not confirmed


def test_the_chains_above_exercise_the_columnar_path(tmp_path):
    """A good part of a draw is decided as columns (the retries go the general way), with
    every kind of end."""
    p = {"seed": 1, "n": 200, "busy": 40, "dst": False, "answer": False, "c_skew": 0.4,
         "missing": 0.1, "odd": 0.1, "to_d": 0.3, "retry": 0.3, "same_pair": 0.3,
         "loop": False, "d_records": False, "tol": None, "b_len": (0, 0, 3, 15)}
    calls = _write_case(tmp_path, p)
    case = load_case(tmp_path)
    skew = estimate_skew(case)
    got = trace_many(case, calls, skew=skew)
    lazy = [r for r in got if isinstance(r, LazyTrace)]
    assert len(lazy) > 0.4 * len(calls)
    assert {"origin", "no_records", "unmapped_ingress", "not_found"} <= {
        str(r.outcome) for r in lazy}
    assert _json(got) == _json(trace_many(case, calls, skew=skew, columnar=False))


# -- the --json's times ------------------------------------------------------------------

@settings(max_examples=400, deadline=None, derandomize=True)
@given(us=st.one_of(st.integers(-62_135_596_800 * 10**6, 253_402_300_799 * 10**6 + 999_999),
                    st.integers(1_700_000_000 * 10**6, 1_800_000_000 * 10**6),
                    st.sampled_from([NAT, None, 0, -1, 999, 1000, 86_399_999_999,
                                     86_400_000_000, -86_400_000_001])))
def test_the_json_times_equal_iso_utc(us):
    assert iso_utc(us) == _iso_by_datetime(us)


def _iso_by_datetime(us):
    """``iso_utc`` as it was: a datetime built and formatted for every time."""
    if us == NAT or us is None:
        return None
    import datetime as dt
    secs, micro = divmod(int(us), 10**6)
    base = (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%S")
    frac = f"{micro:06d}"[:3].rstrip("0") if micro else ""
    return base + ("." + frac if frac else "") + "Z"


# -- the .jsonl's text -------------------------------------------------------------------

def test_the_json_text_equals_json_dumps_on_odd_values(generated):
    """Values a trace does not usually hold: NaN and infinite floats, enums, non-ASCII,
    quotes and control characters, integers beyond 64 bits, a hop's checks with values."""
    case = load_case(generated)
    skew = estimate_skew(case)
    results = [trace_traceback(case, tb.traceback_id, skew=skew) for tb in case.tracebacks[:40]]
    odd = [float("nan"), float("inf"), -float("inf"), 1e300, -0.0, 5e-324, 2**70, -1,
           "Zürich \"Ω\" \\ \x01\u2028 😀", "", None, True, False]
    text = TraceJsonText()
    for k, r in enumerate(results):
        v = odd[k % len(odd)]
        r.tolerance_s = v  # type: ignore[assignment]
        r.calling = odd[(k + 4) % 9] if isinstance(odd[(k + 4) % 9], str) else r.calling
        for h in r.hops:
            h.duration, h.skew_calls, h.upstream = v, v, odd[8]  # type: ignore[assignment]
            h.role = type(h.role)(h.role) if isinstance(h.role, str) else h.role
            for c in h.candidates:
                c.duration = v  # type: ignore[assignment]
        r.traceback_id = None if k % 3 == 0 else r.traceback_id
        r.loop_to = odd[8] if k % 5 == 0 else None
        assert text(r) == json.dumps(trace_json(r))
