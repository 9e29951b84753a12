"""`workbench ingest CASE --to DIR`: the case's CDRs read once into a Parquet lake.

DuckDB (`[store] backend = "duckdb"`, `path = "lake/"`) and Spark (`backend = "spark"`)
then answer traces from the lake without parsing a CDR file again.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the `ingest` sub-command."""
    p = sub.add_parser("ingest", help="write the case's CDRs as a Parquet lake (by source, day)",
                       description="Read every source of the case once and write its "
                       "normalized rows as Parquet, partitioned by source and day, with a "
                       "manifest (original files' SHA-256, settings, import summaries). An "
                       "existing lake at DIR is replaced whole.")
    p.add_argument("case", help="the case folder (or its case.toml)")
    p.add_argument("--to", required=True, metavar="DIR", help="the lake folder")
    p.add_argument("--no-cache", action="store_true", help="parse every file again")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workbench.ingest.config import load_config
    from workbench.store.lake import ingest
    cfg = load_config(args.case)
    dest = Path(args.to)
    if not dest.is_absolute():
        dest = Path.cwd() / dest
    began = time.perf_counter()
    last = [""]

    def progress(fraction: float, message: str) -> None:
        if message != last[0]:
            last[0] = message
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)

    lake = ingest(cfg, dest, use_cache=not args.no_cache, progress=progress)
    rows = sum(s.rows for s in lake.sources)
    size = sum(f.stat().st_size for f in dest.rglob("*") if f.is_file())
    print(f"lake written to {dest}: {len(lake.sources)} source(s), {rows:,} rows, "
          f"{size / 1e6:,.1f} MB, {time.perf_counter() - began:.1f} s")
    return 0
