"""`analyze` speed: suspicious-traffic analysis over a big case, every source of it at once.

    workbench generate /tmp/gen --rows 2000000          # 5 sources x 2 M rows
    python benchmarks/bench_analyze.py /tmp/gen --repeat 5 [--dno 100000]

The case is opened once (the normalized tables memory-mapped from the cache; the first run
imports and caches them). Each analysis reads every row of the sources it names; the "all
sources" figure runs one analysis whose provider owns every source, by pointing a copy of
the case's directory at one name, so the 10 M rows are analysed in one call. ``--dno N``
also writes a DNO list of N numbers (plus N/100 NPA-NXX prefixes) and times its reading and
the analysis with it. Wall and CPU seconds are both given: the machine may be shared.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from workbench.analytics.traffic import analyze_provider, calls_per_minute, duration_histogram
from workbench.case.model import Case, ProviderDirectory, load_case
from workbench.ingest.config import ProviderInfo
from workbench.ingest.dno import load_dno


def one_provider_case(case: Case) -> Case:
    """The same sources, every one of them filed under one provider name."""
    names = case.providers_with_records()
    directory = ProviderDirectory([ProviderInfo(name="All providers", aliases=names)])
    return dataclasses.replace(case, directory=directory)


def timed(fn, repeat: int) -> tuple[float, list[float], object]:
    """Median wall seconds, every run's wall seconds, the last result; CPU seconds printed
    by the caller from ``timed.cpu``."""
    times, cpu, out = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    timed.cpu = statistics.median(cpu)
    return statistics.median(times), times, out


def write_dno(path: Path, n: int) -> None:
    """n random NANP numbers in mixed written forms and n/100 NPA-NXX prefixes."""
    rng = np.random.default_rng(5)
    nums = (10_000_000_000 + rng.integers(200, 1000, n) * 10_000_000 +
            rng.integers(200, 1000, n) * 10_000 + rng.integers(0, 10_000, n))
    forms = [f"+{x}" if i % 3 == 0 else f"({str(x)[1:4]}) {str(x)[4:7]}-{str(x)[7:]}"
             if i % 3 == 1 else str(x)[1:] for i, x in enumerate(nums.tolist())]
    prefixes = [f"{a}-{b}" for a, b in zip(rng.integers(200, 1000, n // 100),
                                           rng.integers(200, 1000, n // 100))]
    path.write_text("# synthetic DNO list\n" + "\n".join(forms + prefixes) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dno", type=int, default=0, help="also time a DNO list of N numbers")
    args = ap.parse_args()
    t0 = time.perf_counter()
    case = load_case(Path(args.case))
    print(f"open case: {time.perf_counter() - t0:.2f} s, "
          f"{sum(s.summary.rows for s in case.sources):,} rows in {len(case.sources)} sources")
    analyze_provider(case, case.providers_with_records()[0])  # warm: imports, exchange table
    for provider in case.providers_with_records():
        med, _, a = timed(lambda p=provider: analyze_provider(case, p), args.repeat)
        print(f"  {provider:32} {a.rows:>12,} rows  {med:6.2f} s  "
              f"{len(a.ingresses)} ingresses, top {a.ingresses[0].ingress} "
              f"score {a.ingresses[0].score}")
    whole = one_provider_case(case)
    med, times, a = timed(lambda: analyze_provider(whole, "All providers"), args.repeat)
    print(f"all sources as one provider: {a.rows:,} rows, median {med:.2f} s wall, "
          f"{timed.cpu:.2f} s CPU (runs {', '.join(f'{t:.2f}' for t in times)}), "
          f"{a.rows / med / 1e6:.1f} M rows/s")
    if args.dno:
        path = Path(tempfile.mkdtemp()) / "dno.txt"
        write_dno(path, args.dno)
        med, _, dno = timed(lambda: load_dno(path), args.repeat)
        print(f"read a DNO list of {len(dno):,} entries: {med:.2f} s")
        med, times, a = timed(lambda: analyze_provider(whole, "All providers", dno=dno),
                              args.repeat)
        print(f"  with it, all sources: median {med:.2f} s wall, {timed.cpu:.2f} s CPU, "
              f"{sum(s.dno_hits for s in a.ingresses):,} DNO hits")
    top = a.ingresses[0]
    med, _, _ = timed(lambda: (calls_per_minute(a, a.provider, top.ingress),
                               duration_histogram(a, a.provider, top.ingress, 60)), args.repeat)
    print(f"charts of the top ingress from the analysis: {med * 1000:.1f} ms")


if __name__ == "__main__":
    main()
