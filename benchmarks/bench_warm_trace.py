"""Whole-process warm `workbench trace`: wall and CPU time of fresh interpreters, and what they import.

Runs with public tools only:
    python benchmarks/bench_core.py make-data /tmp/bench --rows 2000000 --sources 5
    python benchmarks/bench_warm_trace.py /tmp/bench --runs 9
    python benchmarks/bench_warm_trace.py CASE --runs 9 -- --traceback TB-26-0101 --json

The first run builds the cache (and the bytecode) if needed and is not counted; each counted
run is `python -m workbench trace CASE ARGS` in its own interpreter with bytecode writing
allowed (PYTHONDONTWRITEBYTECODE removed from the environment). CPU is user + system time of
the child (its rusage). A last run under `-X importtime` reports the total import time and
which heavy modules were imported. On a shared machine the wall time follows the load (it is
printed): the CPU time is the steadier figure.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

DEFAULT_CALL = ["--calling", "+13125550143", "--called", "+17735550188",
                "--at", "2026-03-07T20:02:11Z"]
HEAVY = ("pandas", "networkx", "openpyxl", "reportlab", "duckdb", "pyspark", "PIL", "polars",
         "phonenumbers", "pyarrow.parquet", "pyarrow.dataset")


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall s, user+sys CPU s) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                   check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def imports(cmd: list[str], env: dict[str, str]) -> tuple[float, int, list[str]]:
    """Total import time (s, the top-level cumulative figures), the number of modules
    imported and the heavy ones among them."""
    err = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], capture_output=True,
                         text=True, env=env, check=True).stderr
    total, names = 0, set[str]()
    for line in err.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        names.add(name.strip())
        if not name.startswith("  "):  # one space: a top-level import
            total += int(cumulative)
    return total / 1e6, len(names), [m for m in HEAVY if m in names]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ours, trace_args = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) \
        if "--" in argv else (argv, DEFAULT_CALL)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                epilog="after --: the trace arguments (default: the "
                                "bench_core target call)")
    p.add_argument("case")
    p.add_argument("--runs", type=int, default=9)
    a = p.parse_args(ours)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cmd = [sys.executable, "-m", "workbench", "trace", a.case, *trace_args]
    run_once(cmd, env)  # cache and bytecode
    walls, cpus = zip(*(run_once(cmd, env) for _ in range(a.runs)))
    total, count, heavy = imports(cmd, env)
    print(f"warm trace, whole process, {a.runs} runs: wall median {statistics.median(walls):.3f} s "
          f"({min(walls):.3f}–{max(walls):.3f}); CPU median {statistics.median(cpus):.3f} s "
          f"({min(cpus):.3f}–{max(cpus):.3f}); load average {os.getloadavg()[0]:.1f}")
    print(f"imports {total:.3f} s, {count} modules (one run under -X importtime); heavy "
          f"modules imported: {', '.join(heavy) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
