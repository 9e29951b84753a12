"""The batch's quick path (trace.fast_match) answers exactly as find_call does.

Three levels of proof: random record sets around a call compared match by match; whole
batches over a generated case and a hand-made one full of decoys (retries, the same pair
minutes apart, an answer-time switch, a skewed clock, rows in a repeated DST hour) traced
with the quick path and with every lookup forced through find_call; and the store's pair
index against its called-number scan.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

import workbench.store.arrow_store as arrow_store
import workbench.trace.engine as engine
from workbench.case.model import load_case
from workbench.columns.times import US
from workbench.generate import generate_case
from workbench.present.trace_json import trace_json
from workbench.store.normalize import F_LOW_PRECISION, F_TIME_AMBIGUOUS, SourceSummary
from workbench.store.protocol import CallKey
from workbench.trace.batch import BatchCall, normalize_calls, trace_many
from workbench.trace.engine import trace
from workbench.trace.fast_match import LevelRows, quick_match
from workbench.trace.match import PairRows, find_call
from workbench.trace.skew import estimate_skew

T0 = 1_772_900_000 * US
UTC = timezone.utc


# -- match by match ------------------------------------------------------------------------

def _level(rng: np.random.Generator) -> tuple[PairRows, int, int]:
    """A level of store rows: other lookups' rows around one pair's rows [a, b), each
    lookup's rows in start order, as ``CdrStore.candidates`` returns them."""
    offsets_s = [0, 0.4, -3, 12, 30, -45, 59.9, 60.2, -75, 104, 180, -240, 600, -899,
                 3600, -3600, 3590, 7200, 86400]
    parts, bounds = [], (0, 0)
    for p in range(3):
        k = int(rng.integers(0, 5))
        start = np.sort(T0 + (rng.choice(offsets_s, k) * US).astype(np.int64)
                        + rng.integers(-2, 3, k) * US)
        flags = np.where(rng.random(k) < 0.1, F_TIME_AMBIGUOUS, 0) | np.where(
            rng.random(k) < 0.1, F_LOW_PRECISION, 0)
        dur = np.where(rng.random(k) < 0.2, np.nan, rng.choice([0.0, 28, 41, 45, 60, 300], k))
        text = [rng.choice(np.array(["o1", "o2", ""], dtype=object), k).tolist()]
        origid = [x or None for x in text[0]]
        if p == 1:
            bounds = (sum(len(x["start"]) for x in parts), 0)
        parts.append({"start": start, "flags": flags.astype(np.uint32), "duration": dur,
                      "origid": origid})
        if p == 1:
            bounds = (bounds[0], bounds[0] + k)
    n = sum(len(x["start"]) for x in parts)
    cat = {f: np.concatenate([x[f] for x in parts]) for f in ("start", "flags", "duration")}
    origid = [v for x in parts for v in x["origid"]]
    rows = PairRows(row=np.arange(n, dtype=np.int64) * 7, line=np.arange(n, dtype=np.int64) + 2,
                    start=cat["start"], duration=cat["duration"], flags=cat["flags"],
                    origid=origid, ingress=[f"T{i % 3}" for i in range(n)],
                    egress=[None] * n, attest=["A"] * n, verstat=[None] * n,
                    answer=cat["start"] + 5 * US, calling_key=np.full(n, 13125550143),
                    called_key=np.full(n, 17735550188), pp_orig=[None] * n,
                    pp_dest=[None] * n, pp_iat=np.full(n, T0), pp_x5u=[None] * n)
    return rows, bounds[0], bounds[1]


def test_quick_match_equals_find_call_on_random_records():
    rng = np.random.default_rng(13)
    settled = declined = 0
    for _ in range(3000):
        rows, a, b = _level(rng)
        level = LevelRows(rows)
        summary = SourceSummary(rows=1000, time_basis=str(rng.choice(["invite", "answer"])),
                                low_precision=bool(rng.random() < 0.15))
        args = dict(calling_key=int(rng.choice([-1, 13125550143])),
                    at_us=T0 + int(rng.integers(-3, 4)) * US,
                    skew_s=float(rng.choice([0.0, 97.0, -0.5, 3600.0])),
                    tol_s=float(rng.choice([60.0, 30.0])),
                    ref_duration=rng.choice(np.array([None, 41.0, 300.0], dtype=object)),
                    ref_origid=rng.choice(np.array([None, "o1"], dtype=object)),
                    allow_fallbacks=bool(rng.random() < 0.5))
        quick = quick_match(level, a, b, summary, **args)
        if quick is None:
            declined += 1
            continue
        settled += 1
        assert quick == find_call(level.slice(a, b), summary, **args), (a, b, args)
    # both paths are exercised: the quick one settles plain shapes, the rest is declined
    assert settled > 1000 and declined > 500


# -- whole batches ---------------------------------------------------------------------------

def _count_quick(monkeypatch) -> dict[str, int]:
    seen = {"settled": 0, "declined": 0}
    real = engine.quick_match

    def counted(*a, **k):
        m = real(*a, **k)
        seen["settled" if m is not None else "declined"] += 1
        return m
    monkeypatch.setattr(engine, "quick_match", counted)
    return seen


def _json(results) -> list[str]:
    return [str(r) if isinstance(r, Exception) else json.dumps(trace_json(r)) for r in results]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fast") / "gen"
    generate_case(root, rows=2000, tracebacks=300)
    return root


def test_batch_over_a_generated_case_equals_the_forced_slow_path(generated, monkeypatch):
    case = load_case(generated)
    skew = estimate_skew(case)
    calls = [BatchCall(traceback=tb) for tb in case.tracebacks]
    # and calls read off the terminating source, near and beside their own times
    term = case.sources[0]
    cols = case.store.columns(term.id, ["calling", "called", "start"]).to_pylist()
    rng = np.random.default_rng(5)
    for k in rng.choice(len(cols), 300, replace=False):
        r = cols[int(k)]
        if r["start"] is None or r["called"] is None:
            continue
        shift = int(rng.choice([0, 0, 2, -20, 45, 75, -200, 3600]))
        calls.append(BatchCall(calling=r["calling"] or "", called=r["called"],
                               at=int(r["start"]) + shift * US))
    seen = _count_quick(monkeypatch)
    # the general path's quick matches (the columnar path decides most chains without them)
    fast = _json(trace_many(case, calls, skew=skew, columnar=False))
    slow = _json(trace_many(case, calls, skew=skew, fast=False))
    assert fast == slow
    assert seen["settled"] > 5 * seen["declined"] > 0
    assert _json(trace_many(case, calls, skew=skew)) == slow


def _chain_case(root: Path, n: int, seed: int) -> list[BatchCall]:
    """Three providers A <- B <- C over the night of the fall-back (Chicago repeats 01:00-
    02:00 local): A writes UTC, B local wall time, C answer time on a clock 37 s fast.
    Decoys: retries 30 s later with another length, the same pair 3 minutes apart, calls
    without a calling number, calls B never carried, and an ingress nobody mapped."""
    rng = np.random.default_rng(seed)
    t0 = datetime(2026, 10, 31, 22, 0, tzinfo=UTC)
    rows: dict[str, list[list[object]]] = {"a": [], "b": [], "c": []}
    calls: list[BatchCall] = []

    def chicago(t: datetime) -> str:
        off = timedelta(hours=-6 if t >= datetime(2026, 11, 1, 7, tzinfo=UTC) else -5)
        return (t + off).strftime("%Y-%m-%d %H:%M:%S")

    def utc(t: datetime) -> str:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")

    for k in range(n):
        t = t0 + timedelta(seconds=float(rng.uniform(0, 12 * 3600)))
        calling = "" if k % 17 == 0 else f"+1404555{1000 + k:04d}"
        called = f"+1678555{2000 + k % 40:04d}"  # a few busy numbers
        dur = int(rng.integers(5, 300))
        ring = float(rng.uniform(2, 9))
        rows["a"].append([utc(t), calling, called, "B-TRUNK", dur])
        if k % 11 != 3:  # B carried it
            tb = t - timedelta(seconds=0.3)
            rows["b"].append([chicago(tb), calling, called, "UNKNOWN" if k % 23 == 5
                              else "C-TRUNK", dur])
            tc = tb - timedelta(seconds=0.2) + timedelta(seconds=ring + 37)
            rows["c"].append([utc(tc), calling, called, "ACCT-1", dur])
        if k % 5 == 0:  # a retry half a minute later, another length
            retry = t + timedelta(seconds=30)
            rows["a"].append([utc(retry), calling, called, "B-TRUNK", dur + 40])
            rows["b"].append([chicago(retry), calling, called, "C-TRUNK", dur + 40])
        if k % 7 == 0:  # the same pair three minutes later
            later = t + timedelta(minutes=3)
            rows["a"].append([utc(later), calling, called, "B-TRUNK", 12])
            rows["b"].append([chicago(later), calling, called, "C-TRUNK", 12])
            rows["c"].append([utc(later + timedelta(seconds=40)), calling, called, "ACCT-1", 12])
        at = t + timedelta(seconds=float(rng.choice([0, 0, 1, -4, 50, 3600])))
        calls.append(BatchCall(calling=calling, called=called, at=utc(at), row=k + 2))
    header = "start,calling,called,ingress,duration"
    for key, path in (("a", "a.csv"), ("b", "b.csv"), ("c", "c.csv")):
        body = sorted(rows[key], key=lambda r: str(r[0]))
        (root / path).write_text("\n".join([header] + [",".join(map(str, r)) for r in body])
                                 + "\n")
    (root / "case.toml").write_text("\n".join([
        '[case]', 'name = "Decoys"', 'default_country = "US"', '',
        '[[sources]]', 'provider = "A"', 'path = "a.csv"', 'format = "generic"',
        '[sources.upstreams]', '"B-TRUNK" = "B"', '',
        '[[sources]]', 'provider = "B"', 'path = "b.csv"', 'format = "generic"',
        'timezone = "America/Chicago"', '[sources.upstreams]', '"C-TRUNK" = "C"', '',
        '[[sources]]', 'provider = "C"', 'path = "c.csv"', 'format = "generic"',
        'time_basis = "answer"', '[sources.customers]', '"ACCT-1" = "Caller LLC"', '']))
    return calls


def test_batch_with_decoys_and_a_repeated_hour_equals_slow_and_single(tmp_path, monkeypatch):
    calls = _chain_case(tmp_path, 400, seed=3)
    case = load_case(tmp_path)
    b = next(s for s in case.sources if s.provider == "B")
    assert int(((b.col("flags") & F_TIME_AMBIGUOUS) != 0).sum()) > 10  # the repeated hour
    skew = estimate_skew(case)
    seen = _count_quick(monkeypatch)
    fast = trace_many(case, calls, skew=skew)
    assert seen["settled"] > 0 and seen["declined"] > 0
    slow = trace_many(case, calls, skew=skew, fast=False)
    assert _json(fast) == _json(slow)
    outcomes = {str(r.outcome) for r in fast if not isinstance(r, Exception)}
    assert {"origin", "not_found", "unmapped_ingress"} <= outcomes
    for c, got in list(zip(calls, fast))[::9]:  # and single traces agree
        want = trace(case, calling=c.calling, called=c.called, at=str(c.at), skew=skew)
        assert json.dumps(trace_json(got)) == json.dumps(trace_json(want))


# -- the store's pair index --------------------------------------------------------------------

def test_pair_index_returns_what_the_called_number_scan_returns(generated, monkeypatch):
    case = load_case(generated)
    calls = [c for c in normalize_calls(case, [BatchCall(traceback=tb)
                                               for tb in case.tracebacks])
             if not isinstance(c, Exception)]
    keys = [CallKey(s.id, c.called_key, c.calling_key) for c in calls for s in case.sources]
    keys += [CallKey(s.id, c.called_key, -1 if i % 3 else c.calling_key,
                     c.at_us - 600 * US, c.at_us + 60 * US)
             for i, c in enumerate(calls) for s in case.sources]
    keys += [CallKey(case.sources[0].id, 17735550188, 1)]  # a pair nobody called
    monkeypatch.setattr(arrow_store, "PAIR_INDEX_MIN_KEYS", 1)
    indexed = arrow_store.ArrowStore(case.sources).candidates(keys)
    monkeypatch.setattr(arrow_store, "PAIR_INDEX_MIN_KEYS", 10**9)
    scanned = arrow_store.ArrowStore(case.sources).candidates(keys)
    assert indexed.num_rows > len(calls)
    assert indexed.equals(scanned)
