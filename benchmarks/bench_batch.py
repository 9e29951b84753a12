"""Batch tracing speed: 10,000 calls over a generated 5 x 2 M-row case, side by side.

Runs with public tools only:
    python benchmarks/bench_batch.py make-data /tmp/batch10m --rows 2000000 --tracebacks 10000
    python benchmarks/bench_batch.py run /tmp/batch10m --repeat 5
    python benchmarks/bench_batch.py profile /tmp/batch10m      # cProfile of one arrow batch
    python benchmarks/bench_batch.py sql /tmp/batch10m          # the DuckDB join alone

The case is `workbench generate`'s: five providers' exports in their own shapes (local wall
times in two zones, numbers written +1…, 1…, (NPA) NXX-…, SIP URIs, an answer-time switch, a
skewed clock), decoys beside the traced calls, and traceback records across campaigns; the
calls are those records. `run` prints, as medians of --repeat runs (wall and process CPU):
- the batch in process on the embedded Arrow store (the first run apart: it builds the
  stores' pair indexes once): ``trace_many`` alone (the chains decided; the plain ones'
  result objects are built when first read, ``trace.columnar.LazyTrace``), then with every
  result built, then with every result's `trace --json` written as the CLI does; and the
  same calls given as numbers and times only;
- the same batch on DuckDbStore (its in-memory build timed apart);
- DuckDB's plain SQL: the 10,000 targets joined to the terminating source, ±60 s, the
  nearest record per target (QUALIFY), i.e. one hop with no matching logic: the yardstick;
- the CPU ratios of the three batch figures to the join (issue #13 asks <= 5x);
- one call traced on its own (median over 200 calls) and the batch's mean per call.
It checks that both stores give byte-identical `trace --json` for every call.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa


def make_data(out: Path, rows: int, tracebacks: int) -> None:
    from workbench.generate import generate_case
    t = time.perf_counter()
    generate_case(out, rows=rows, tracebacks=tracebacks, campaigns=8)
    print(f"wrote {out}: 5 sources x {rows:,} background rows, {tracebacks:,} traceback "
          f"records ({time.perf_counter() - t:.0f} s)")


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall s, process CPU s, result): the machine may be shared; CPU shows our own work."""
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def med(xs: list[tuple[float, float]]) -> str:
    return (f"wall {statistics.median(x[0] for x in xs):.3f} s, "
            f"cpu {statistics.median(x[1] for x in xs):.3f} s")


def sql_join(case: Any, calls: list[Any], repeat: int) -> list[tuple[float, float]]:
    """The targets joined to the terminating source (±60 s, nearest per target) in DuckDB."""
    src = case.sources[0]
    con = duckdb.connect()
    cols = src.table.select(["row", "start", "calling_key", "called_key"]) \
        if "row" in src.table.column_names else \
        src.table.select(["start", "calling_key", "called_key"]).append_column(
            "row", pa.array(range(len(src)), pa.int64()))
    con.register("src_view", cols)
    con.execute("CREATE TABLE term AS SELECT * FROM src_view ORDER BY called_key, start")
    targets = pa.table({"q": list(range(len(calls))),
                        "called_key": [c.called_key for c in calls],
                        "calling_key": [c.calling_key for c in calls],
                        "at_us": [c.at_us for c in calls]})
    con.register("targets", targets)
    sql = ("SELECT k.q, t.row FROM targets k JOIN term t ON t.called_key = k.called_key "
           "AND t.calling_key = k.calling_key "
           "AND t.start BETWEEN k.at_us - 60000000 AND k.at_us + 60000000 "
           "QUALIFY row_number() OVER (PARTITION BY k.q ORDER BY abs(t.start - k.at_us)) = 1")
    out = []
    for _ in range(repeat):
        w, c, got = timed(lambda: con.sql(sql).to_arrow_table())
        out.append((w, c))
    print(f"  (the join found {got.num_rows:,} of {len(calls):,} targets)")
    return out


def run(root: Path, repeat: int, profile: bool = False) -> None:
    from workbench.case.model import load_case
    from workbench.cli.batch import jsonl
    from workbench.present.trace_json import trace_json
    from workbench.store.duckdb_store import DuckDbStore
    from workbench.trace.batch import BatchCall, normalize_calls, outcome_counts, trace_many
    from workbench.trace.engine import trace
    from workbench.trace.skew import estimate_skew

    w, _, case = timed(lambda: load_case(root))
    rows = sum(len(s) for s in case.sources)
    print(f"{root}: {len(case.sources)} sources, {rows:,} rows, opened in {w:.1f} s; "
          f"{len(case.tracebacks):,} traceback records")
    skew = estimate_skew(case)
    calls = [BatchCall(traceback=tb) for tb in case.tracebacks][:10_000]
    arrow = case.store
    if profile:
        trace_many(case, calls, skew=skew)
        pr = cProfile.Profile()
        pr.enable()
        trace_many(case, calls, skew=skew)
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(25)
        return
    first = timed(lambda: trace_many(case, calls, skew=skew))
    print(f"arrow batch of {len(calls):,} calls, first run (pair indexes built): "
          f"wall {first[0]:.3f} s, cpu {first[1]:.3f} s")
    runs = [timed(lambda: trace_many(case, calls, skew=skew)) for _ in range(repeat)]
    results = runs[-1][2]
    print(f"arrow batch, {repeat} more runs: {med([(r[0], r[1]) for r in runs])}")
    # the chains are decided in trace_many; their result objects are built when first read
    # (trace.columnar.LazyTrace): the same batch with every result built, then with every
    # result's --json written as the CLI does
    def built() -> list[Any]:
        got = trace_many(case, calls, skew=skew)
        outcome_counts(got)
        return got

    def as_json() -> bytes:  # the CLI's .jsonl (json.dumps(trace_json(r)) byte for byte)
        return jsonl(calls, built())

    bruns = [timed(built) for _ in range(repeat)]
    print(f"arrow batch with every result built: {med([(r[0], r[1]) for r in bruns])}")
    jruns = [timed(as_json) for _ in range(repeat)]
    print(f"arrow batch with every result's --json: {med([(r[0], r[1]) for r in jruns])}")
    from collections import Counter
    print("  outcomes:", dict(Counter(str(getattr(r, "outcome", "error")) for r in results)))
    # the same calls as a list of numbers and times (no record naming the first provider:
    # every provider is asked whether it holds each call)
    plain = [BatchCall(calling=tb.calling or "", called=tb.called or "", at=tb.call_time_us)
             for tb in case.tracebacks[:len(calls)]]
    pruns = [timed(lambda: trace_many(case, plain, skew=skew)) for _ in range(repeat)]
    print(f"arrow batch of the same calls as (calling, called, at), no records: "
          f"{med([(r[0], r[1]) for r in pruns])}")
    pjruns = [timed(lambda: jsonl(plain, trace_many(case, plain, skew=skew)))
              for _ in range(repeat)]
    print(f"  the same with every result's --json: {med([(r[0], r[1]) for r in pjruns])}")
    slow = [timed(lambda: trace_many(case, calls, skew=skew, fast=False))
            for _ in range(max(1, repeat // 2))]
    print(f"arrow batch, every lookup through find_call: {med([(r[0], r[1]) for r in slow])}")

    w, _, duck = timed(lambda: DuckDbStore(case.sources))
    print(f"DuckDbStore build (in memory): {w:.1f} s")
    case.store = duck
    try:
        druns = [timed(lambda: trace_many(case, calls, skew=skew)) for _ in range(repeat)]
        dplain = trace_many(case, plain, skew=skew)
    finally:
        case.store = arrow
    print(f"duckdb batch: {med([(r[0], r[1]) for r in druns])}")
    same = all(json.dumps(trace_json(a)) == json.dumps(trace_json(b))
               for a, b in zip(results, druns[-1][2]))
    print(f"  identical trace --json on both stores for all {len(calls):,} calls: {same}")
    same = jsonl(plain, pruns[-1][2]) == jsonl(plain, dplain)
    print(f"  and for the same calls as a plain list: {same}")

    targets = [c for c in normalize_calls(case, calls) if not isinstance(c, Exception)]
    joins = sql_join(case, targets, repeat)
    print(f"duckdb plain SQL join, {len(targets):,} targets x terminating source ±60 s: "
          f"{med(joins)}")
    join_cpu = statistics.median(x[1] for x in joins)
    for what, xs in (("batch", runs), ("batch, results built", bruns),
                     ("batch, --json written", jruns), ("plain list", pruns),
                     ("plain list, --json written", pjruns)):
        cpu = statistics.median(x[1] for x in xs)
        print(f"  CPU ratio, arrow {what} / SQL join: {cpu / join_cpu:.1f}x")

    singles = []
    for tb in case.tracebacks[:200]:
        w, c, _ = timed(lambda: trace(case, calling=tb.calling or "", called=tb.called,
                                      at=tb.call_time_us, skew=skew, traceback=tb))
        singles.append((w, c))
    batch_wall = statistics.median(r[0] for r in runs)
    print(f"single call in process (median of {len(singles)}): wall "
          f"{statistics.median(s[0] for s in singles) * 1e3:.2f} ms, cpu "
          f"{statistics.median(s[1] for s in singles) * 1e3:.2f} ms; batch per call (wall) "
          f"{batch_wall / len(calls) * 1e3:.3f} ms")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["make-data", "run", "profile", "sql"])
    p.add_argument("path")
    p.add_argument("--rows", type=int, default=2_000_000)
    p.add_argument("--tracebacks", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args(argv)
    if a.cmd == "make-data":
        make_data(Path(a.path), a.rows, a.tracebacks)
    elif a.cmd == "sql":
        from workbench.case.model import load_case
        from workbench.trace.batch import BatchCall, normalize_calls
        case = load_case(Path(a.path))
        calls = normalize_calls(case, [BatchCall(traceback=tb) for tb in case.tracebacks])
        targets = [c for c in calls if not isinstance(c, Exception)][:10_000]
        print(f"duckdb plain SQL join, {len(targets):,} targets x terminating source ±60 s: "
              f"{med(sql_join(case, targets, a.repeat))}")
    else:
        run(Path(a.path), a.repeat, profile=a.cmd == "profile")
    return 0


if __name__ == "__main__":
    sys.exit(main())
