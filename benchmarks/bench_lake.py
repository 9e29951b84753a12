"""The Parquet lake at scale: DuckDB and Spark over it, and the embedded store beside DuckDB.

    python benchmarks/bench_lake.py                      # small: 1 M lake rows, 1 M case
    python benchmarks/bench_lake.py --rows 100000000     # the 100 M run (5 sources x 20 M)
    python benchmarks/bench_lake.py --rows 10000000 --case-rows 10000000 --skip-spark

Part 1 generates ``--rows`` CDR rows across the five providers of ``workbench generate``
(background, through-route and scenario calls, numpy-built) and writes their normalized
columns straight to a lake, without CSV files in between; then times, on DuckDB and on Spark
(``--spark-master``, default local[2]): the skew estimate (a join over whole sources), one
traceback traced, and a batch of ``--calls`` calls taken from the terminating provider's rows.

Part 2 generates a case of ``--case-rows`` rows as real CDR files (`workbench generate`),
times `workbench ingest` on it (parse, normalize, write the lake), and compares the embedded
ArrowStore with DuckDB (in memory, copied from the loaded sources) and DuckDB over the lake:
one trace and the same-sized batch. Prints Markdown tables.
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.case.model import Case, ProviderDirectory, load_case  # noqa: E402
from workbench.columns.times import NAT, iso_utc  # noqa: E402
from workbench.generate import generate_case  # noqa: E402
from workbench.generate.build import Job, _in_file_order  # noqa: E402
from workbench.generate.plan import special_rows  # noqa: E402
from workbench.generate.rows import Rows, background  # noqa: E402
from workbench.generate.sources import SOURCES, Source  # noqa: E402
from workbench.ingest.config import CaseConfig, load_config  # noqa: E402
from workbench.ingest.tracebacks import load_tracebacks  # noqa: E402
from workbench.store.lake import Lake, LakeWriter, ingest, settings_fingerprint  # noqa: E402
from workbench.store.normalize import SourceSummary  # noqa: E402
from workbench.store.protocol import CdrStore  # noqa: E402
from workbench.store.source import CdrSource  # noqa: E402
from workbench.trace.batch import BatchCall, outcome_counts, trace_many  # noqa: E402
from workbench.trace.engine import trace_traceback  # noqa: E402
from workbench.trace.skew import estimate_skew  # noqa: E402

US = 1_000_000
_ATTEST = pa.array([None, "A", "B", "C"], pa.string())


# -- generated rows straight to a lake --------------------------------------------------------

def generated(rows_per_source: int, seed: int, scratch: Path) -> Iterator[tuple[Source, Rows,
                                                                            list[str],
                                                                            list[str], Job]]:
    """Each source's rows as ``workbench generate`` builds them (before formatting)."""
    job = Job.start(scratch, rows_per_source, seed, 0)
    for i, src in enumerate(SOURCES):
        rng = np.random.default_rng([seed, i])
        ingress_ids, egress_ids = [t.id for t in src.trunks], list(src.egress)
        shared = job.through.pop(src.key)  # freed as we go: the 100 M run needs the room
        own = background(src, max(rows_per_source - len(shared), 0), rng, job.book)
        table = Rows.concat(Rows.concat(own, shared),
                            special_rows(src, job.plan.rows[src.key], ingress_ids, egress_ids))
        del own, shared
        yield src, _in_file_order(table, src, job.gaps.get(src.key)), ingress_ids, egress_ids, job


def normalized(src: Source, rows: Rows, job: Job, ingress_ids: list[str],
               egress_ids: list[str]) -> tuple[pa.Table, SourceSummary]:
    """The columns the import would have produced from the file (what the lake stores)."""
    n = len(rows)
    c = rows.cols
    keys = np.array([int(d) for d in job.book.digits], np.int64)
    e164 = pa.array(["+" + d for d in job.book.digits], pa.string())
    inv = c["inv"] + src.skew_s * US
    start = rows.recorded(src)
    answered = c["answered"]
    answer = np.where(answered, inv + c["ring"], NAT)
    end = np.where(answered, answer + c["dur"] * 1000, inv + c["ring"])

    def coded(idx: np.ndarray, names: list[str]) -> pa.Array:
        if not names:
            return pa.nulls(n, pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32)),
                                              pa.array(names, pa.string()))

    def nulls() -> pa.Array:
        return pa.nulls(n, pa.string())

    table = pa.table({
        "line": np.arange(2, n + 2, dtype=np.int64), "start": start, "answer": answer,
        "end": end, "duration": c["dur"] / 1000.0, "flags": np.zeros(n, np.uint32),
        "calling": pa.DictionaryArray.from_arrays(pa.array(c["calling"]), e164),
        "called": pa.DictionaryArray.from_arrays(pa.array(c["called"]), e164),
        "calling_key": keys[c["calling"]], "called_key": keys[c["called"]],
        "disposition": coded(answered.astype(np.int32),
                             ["NO ANSWER", "ANSWERED"]),
        "ingress": coded(c["ingress"], ingress_ids), "egress": coded(c["egress"], egress_ids),
        "attest": _ATTEST.take(pa.array(c["attest"].astype(np.int32)))
        if src.signs else nulls(),
        "origid": nulls(), "verstat": nulls(), "call_id": nulls(),
        "identity_present": np.zeros(n, bool), "pp_orig": nulls(), "pp_dest": nulls(),
        "pp_iat": np.full(n, NAT, np.int64), "pp_x5u": nulls()})
    summary = SourceSummary(rows=n, format="generated", encoding="utf-8",
                            time_basis="answer" if src.answer_basis else "invite",
                            first_utc=iso_utc(int(start.min()), 0),
                            last_utc=iso_utc(int(start.max()), 0),
                            fields=sorted(table.column_names))
    return table, summary


def build_lake(rows: int, seed: int, work: Path) -> tuple[Path, Path, dict[str, float]]:
    """A small generated case (its case.toml and traceback records) and a lake of ``rows``
    generated rows for its five sources. Returns (case folder, lake folder, timings)."""
    case_dir = work / "case"
    generate_case(case_dir, rows=0, seed=seed)  # the scenario's case.toml and records
    cfg = load_config(case_dir)
    by_provider = {s.provider: s for s in cfg.sources}
    lake_dir = work / "lake"
    writer = LakeWriter(lake_dir, cfg.name)
    gen_s = write_s = 0.0
    t = time.perf_counter()
    for src, table, ing, eg, job in generated(rows // len(SOURCES), seed, work / "scratch"):
        norm, summary = normalized(src, table, job, ing, eg)
        del table
        gen_s += time.perf_counter() - t
        t = time.perf_counter()
        scfg = by_provider[src.provider]
        writer.add_table(norm, summary, provider=src.provider, path=scfg.path,
                         sha256=f"generated:{seed}:{rows}",
                         settings=settings_fingerprint(scfg, cfg.default_country),
                         timezone=scfg.timezone)
        write_s += time.perf_counter() - t
        print(f"  {src.provider}: {norm.num_rows:,} rows written", file=sys.stderr, flush=True)
        del norm
        gc.collect()
        t = time.perf_counter()
    writer.commit()
    return case_dir, lake_dir, {"generate_s": gen_s, "write_s": write_s}


def lake_case(case_dir: Path, lake_dir: Path, backend: str, master: str) -> Case:
    """The generated case over the lake. Built here, not by load_case: the lake's rows were
    generated, not read from the case's files, so there is no SHA-256 to check."""
    cfg: CaseConfig = load_config(case_dir)
    lake = Lake.open(lake_dir)
    held = lake.by_path()
    sources = [CdrSource(s, s.resolved(cfg.root), held[s.path].sha256, None,
                         SourceSummary.from_dict(held[s.path].summary)) for s in cfg.sources]
    directory = ProviderDirectory(cfg.providers)
    for s in cfg.sources:
        directory.add(s.provider)
    case = Case(config=cfg, sources=sources, directory=directory)
    for t in cfg.tracebacks:
        case.tracebacks.extend(load_tracebacks(cfg.root / t.path,
                                               default_country=cfg.default_country,
                                               timezone=t.timezone))
    case.store = open_lake_store(lake, sources, backend, master)
    return case


def open_lake_store(lake: Lake, sources: list[CdrSource], backend: str,
                    master: str) -> CdrStore:
    if backend == "spark":
        from workbench.store.spark_store import SparkStore
        return SparkStore(lake, sources, master=master)
    from workbench.store.duckdb_store import DuckDbStore
    return DuckDbStore.over_lake(lake, sources)


def sample_calls(case: Case, n: int, seed: int) -> list[BatchCall]:
    """``n`` calls of the terminating provider's rows (numbers and UTC time as written)."""
    sid = case.sources[0].id
    summary = case.store.summary(sid)
    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(summary.rows, size=min(n, summary.rows), replace=False))
    t = case.store.rows(sid, ids, ["calling", "called", "start"])
    return [BatchCall(calling=a or "", called=b or "", at=iso_utc(int(s), 0), row=i + 1)
            for i, (a, b, s) in enumerate(zip(*(t.column(k).to_pylist()
                                                for k in ("calling", "called", "start"))))
            if s is not None and s != NAT]


# -- timing ---------------------------------------------------------------------------------

def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def clear_skew_cache() -> None:
    """Each backend estimates the skew itself (the estimate is cached by file hashes)."""
    for f in Path(os.environ["WORKBENCH_CACHE_DIR"]).rglob("skew-*"):
        f.unlink()


def measure(case: Case, calls: list[BatchCall], repeat: int = 3) -> dict[str, Any]:
    clear_skew_cache()
    skew_s, skew = timed(lambda: estimate_skew(case))
    tb = case.tracebacks[0].traceback_id
    first_s, result = timed(lambda: trace_traceback(case, tb, skew=skew))
    warm = [timed(lambda: trace_traceback(case, tb, skew=skew))[0] for _ in range(repeat)]
    batch_s, results = timed(lambda: trace_many(case, calls, skew=skew))
    # the chains are decided in trace_many; reading a result builds it (LazyTrace): the
    # batch with every result built, as every caller reads them
    built_s, outcomes = timed(lambda: outcome_counts(trace_many(case, calls, skew=skew)))
    return {"skew_s": skew_s, "trace_first_s": first_s, "trace_s": statistics.median(warm),
            "hops": len(result.hops), "outcome": str(result.outcome), "batch_s": batch_s,
            "built_s": built_s, "batch_calls": len(calls), "outcomes": outcomes}


def size_of(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    out = [f"### {title}", "", "| " + " | ".join(header) + " |",
           "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def row_of(name: str, m: dict[str, Any]) -> list[str]:
    per = m["batch_s"] / max(m["batch_calls"], 1) * 1000
    return [name, f"{m['skew_s']:.2f}", f"{m['trace_first_s']:.3f}", f"{m['trace_s']:.3f}",
            f"{m['hops']} ({m['outcome']})", f"{m['batch_s']:.2f}", f"{m['built_s']:.2f}",
            f"{per:.2f}",
            ", ".join(f"{k} {v}" for k, v in m["outcomes"].items())]


HEADER = ["store", "skew estimate s", "first trace s", "warm trace s (median of 3)",
          "hops", "batch s (decided)", "batch s (results built)", "ms / call (decided)",
          "batch outcomes"]


# -- the two parts -------------------------------------------------------------------------

def part_lake(args: argparse.Namespace, work: Path) -> str:
    print(f"generating {args.rows:,} rows into a lake…", file=sys.stderr, flush=True)
    (work / "p1").mkdir()
    total_s, (case_dir, lake_dir, t) = timed(lambda: build_lake(args.rows, args.seed,
                                                                work / "p1"))
    lake = Lake.open(lake_dir)
    rows = sum(s.rows for s in lake.sources)
    files = sum(len(s.days) for s in lake.sources)
    out = [f"Lake: {rows:,} rows in {len(lake.sources)} sources "
           f"({', '.join(f'{s.rows:,}' for s in lake.sources)}), {files} day partitions, "
           f"{size_of(lake_dir) / 1e9:.2f} GB on disk (zstd Parquet); generated in "
           f"{t['generate_s']:.1f} s, written in {t['write_s']:.1f} s "
           f"({rows / max(t['write_s'], 1e-9) / 1e6:.2f} M rows/s), {total_s:.1f} s in all.\n"]
    measured = []
    backends = ["duckdb"] + ([] if args.skip_spark else ["spark"])
    calls: list[BatchCall] | None = None
    for backend in backends:
        print(f"tracing on {backend}…", file=sys.stderr, flush=True)
        open_s, case = timed(lambda: lake_case(case_dir, lake_dir, backend, args.spark_master))
        if backend == "spark":
            start_s, _ = timed(lambda: case.store.spark)  # type: ignore[attr-defined]
            out.append(f"Spark session start ({args.spark_master}): {start_s:.1f} s.\n")
        calls = calls or sample_calls(case, args.calls, args.seed)
        m = measure(case, calls)
        measured.append(row_of(f"{backend} (lake)" if backend == "duckdb"
                               else f"spark {args.spark_master} (lake)", m))
        print("  " + " | ".join(measured[-1]), file=sys.stderr, flush=True)
    return "\n".join(out) + "\n" + table(f"Lake of {rows:,} rows: DuckDB vs Spark",
                                         HEADER, measured)


def part_case(args: argparse.Namespace, work: Path) -> str:
    per = args.case_rows // len(SOURCES)
    print(f"generating a case of {args.case_rows:,} rows as CDR files…", file=sys.stderr,
          flush=True)
    gen_s, root = timed(lambda: generate_case(work / "p2", rows=per, seed=args.seed))
    files = sum(f.stat().st_size for f in (root / "cdrs").iterdir())
    cfg = load_config(root)
    ingest_s, lake = timed(lambda: ingest(cfg, root / "lake", use_cache=False))
    rows = sum(s.rows for s in lake.sources)
    out = [f"Case: {rows:,} rows in {len(lake.sources)} CDR files ({files / 1e9:.2f} GB), "
           f"generated in {gen_s:.1f} s. `workbench ingest` (parse, normalize, write): "
           f"{ingest_s:.1f} s ({rows / ingest_s / 1e6:.2f} M rows/s); lake "
           f"{size_of(root / 'lake') / 1e9:.2f} GB.\n"]
    load_s, arrow = timed(lambda: load_case(root))
    reopen_s, arrow = timed(lambda: load_case(root))
    out.append(f"Embedded store: first open (parse, normalize, cache) {load_s:.1f} s, "
               f"reopen (memory-mapped cache) {reopen_s:.1f} s.\n")
    calls = sample_calls(arrow, args.calls, args.seed)
    measured = [row_of("arrow (embedded)", measure(arrow, calls))]
    from workbench.store.duckdb_store import DuckDbStore
    copy_s, duck_store = timed(lambda: DuckDbStore(arrow.sources))
    out.append(f"DuckDB in memory, copied from the loaded sources: {copy_s:.1f} s.\n")
    duck = load_case(root)
    duck.store = duck_store
    measured.append(row_of("duckdb (in memory)", measure(duck, calls)))
    on_lake = load_case(root)
    on_lake.store = DuckDbStore.over_lake(lake, on_lake.sources)
    measured.append(row_of("duckdb (lake)", measure(on_lake, calls)))
    return "\n".join(out) + "\n" + table(f"Case of {rows:,} rows: embedded vs DuckDB",
                                         HEADER, measured)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="lake rows (5 sources)")
    p.add_argument("--case-rows", type=int, default=1_000_000,
                   help="rows of the CDR-file case for embedded vs DuckDB (0: skip)")
    p.add_argument("--calls", type=int, default=10_000, help="calls in the batch")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--spark-master", default="local[2]")
    p.add_argument("--skip-spark", action="store_true")
    p.add_argument("--skip-lake", action="store_true")
    p.add_argument("--work", type=Path, default=None, help="scratch folder (default: temp)")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-lake-", dir=args.work))
    os.environ.setdefault("WORKBENCH_CACHE_DIR", str(work / "cache"))
    print(f"## bench_lake: {os.cpu_count()} CPUs, {args.calls:,}-call batches\n", flush=True)
    try:
        if not args.skip_lake:
            print(part_lake(args, work), flush=True)
        if args.case_rows:
            print(part_case(args, work), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
