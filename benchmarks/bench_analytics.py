"""Analytics over many traceback records: provider dossiers and campaigns.

Runs with public tools only:
    python benchmarks/bench_analytics.py make /tmp/tb10k --tracebacks 10000 --rows 20000
    python benchmarks/bench_analytics.py run /tmp/tb10k --repeat 5

`make` writes a generated training case (`workbench generate` with traceback records across
campaigns, a rotating-ANI customer, a slow and a silent responder). `run` reads the records
once (timed apart: it is the same for every command) and then times `provider_dossiers` and
`campaigns` in process, printing the medians; the goal is ≤ 2 s each for 10,000 records.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path


def make(out: Path, tracebacks: int, rows: int, campaigns: int) -> None:
    from workbench.generate import generate_case
    t0 = time.perf_counter()
    generate_case(out, rows=rows, seed=7, tracebacks=tracebacks, campaigns=campaigns)
    print(f"case with {tracebacks} tracebacks written to {out} in "
          f"{time.perf_counter() - t0:.1f} s")


def _median(fn, repeat: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), value


def run(case_dir: Path, repeat: int) -> dict:
    from workbench.analytics.campaigns import campaigns
    from workbench.analytics.dossier import provider_dossiers
    from workbench.case.audit import read_audit
    from workbench.case.model import load_records
    from workbench.ingest.rmd import load_rmd

    t0 = time.perf_counter()
    case = load_records(case_dir)  # case.toml and traceback records; no CDRs are read
    read_s = time.perf_counter() - t0
    rmd = load_rmd([case.root / p for p in case.config.rmd]) if case.config.rmd else None
    audit = read_audit(case.root)
    dossier_s, dossiers = _median(
        lambda: provider_dossiers(case, audit_entries=audit, rmd=rmd), repeat)
    campaign_s, camps = _median(lambda: campaigns(case, audit_entries=audit), repeat)
    hops = sum(len(tb.hops) for tb in case.tracebacks)
    return {"tracebacks": len(case.tracebacks), "hop_records": hops,
            "read_records_s": round(read_s, 3), "provider_dossiers_s": round(dossier_s, 3),
            "campaigns_s": round(campaign_s, 3), "providers": len(dossiers),  # type: ignore[arg-type]
            "campaigns": len(camps), "first": dossiers[0].name if dossiers else None}  # type: ignore[index]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("out", type=Path)
    m.add_argument("--tracebacks", type=int, default=10000)
    m.add_argument("--campaigns", type=int, default=8)
    m.add_argument("--rows", type=int, default=20000)
    r = sub.add_parser("run")
    r.add_argument("case", type=Path)
    r.add_argument("--repeat", type=int, default=5)
    a = p.parse_args(argv)
    if a.cmd == "make":
        make(a.out, a.tracebacks, a.rows, a.campaigns)
    else:
        print(json.dumps(run(a.case, a.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
