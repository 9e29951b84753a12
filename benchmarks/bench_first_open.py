"""First open of a case, side by side with pyarrow: what a user waits for before anything else.

Runs with public tools only:
    python benchmarks/bench_first_open.py make /tmp/b10m --rows 2000000 --sources 5
    python benchmarks/bench_first_open.py make /tmp/b10p --rows 2000000 --sources 5 --forms punctuated
    python benchmarks/bench_first_open.py run /tmp/b10m --repeat 3
    python benchmarks/bench_first_open.py phases /tmp/b10m

``make`` writes the case of ``bench_core.py make-data``: 11-column CSVs, ISO UTC times, the
numbers of each column in mixed written forms (``digits``: +1NXXNXXXXXX, 1NXXNXXXXXX or
NXXNXXXXXX; ``punctuated``: also "(NXX) NXX-XXXX"), one traced call across the five sources.

``run`` alternates two whole processes (interpreter start and imports included) and reports
each one's wall time and peak resident memory (``os.wait4``; Linux/macOS):
  pyarrow   ``pyarrow.csv.read_csv`` of every source file, one after the other;
  workbench ``workbench info CASE`` with an empty cache folder (``WORKBENCH_CACHE_DIR``):
            hash, parse, normalize, cache write with checksums, clock-skew estimate;
then the ratio of each pair (wall time, and CPU time, which a machine shared with other work
disturbs less), the medians, and the cache's size against the raw files'.

``phases`` opens the case once, cold, in this process and says where the time went (wall
seconds per phase, and the peak resident memory while each ran, sampled every 20 ms).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import make_data  # noqa: E402 - the benchmarks share one generator

PYARROW_READ = ("import sys, pyarrow.csv as pv\n"
                "for p in sys.argv[1:]:\n"
                "    pv.read_csv(p)\n")


def sources(case: Path) -> list[Path]:
    return sorted(case.glob("src*.csv"))


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak resident MB) of one child process (fails loudly).
    Its user/system split and minor page faults go to ``LAST_SPLIT``."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{cmd[:3]}... exited {proc.returncode}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    LAST_SPLIT[:] = [usage.ru_utime, usage.ru_stime, usage.ru_minflt]
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * scale / 1e6


#: user CPU seconds, system CPU seconds and minor page faults of the last ``timed`` child:
#: on a virtual machine page faults can cost a third of the CPU time
LAST_SPLIT: list[float] = [0.0, 0.0, 0.0]


def split_text() -> str:
    user, system, faults = LAST_SPLIT
    return f"{user:.2f} user + {system:.2f} sys, {faults / 1e3:.0f} k faults"


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run(case: Path, repeat: int) -> None:
    files = sources(case)
    raw = sum(p.stat().st_size for p in files)
    print(f"{case}: {len(files)} files, {raw / 1e9:.2f} GB; load {os.getloadavg()[0]:.1f}",
          flush=True)
    pairs = []
    for i in range(repeat):
        a_wall, a_cpu, a_rss = timed([sys.executable, "-c", PYARROW_READ, *map(str, files)])
        a_split = split_text()
        cache = Path(tempfile.mkdtemp(prefix="wb-first-open-"))
        try:
            env = {**os.environ, "WORKBENCH_CACHE_DIR": str(cache)}
            w_wall, w_cpu, w_rss = timed([sys.executable, "-m", "workbench", "info", str(case)],
                                         env)
            w_split = split_text()
            cached = folder_bytes(cache / "tables")
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        pairs.append((a_wall, w_wall, a_cpu, w_cpu))
        print(f"pair {i + 1}: pyarrow {a_wall:.2f} s wall, {a_cpu:.2f} s CPU ({a_split}), "
              f"{a_rss:.0f} MB peak; workbench info {w_wall:.2f} s wall, {w_cpu:.2f} s CPU "
              f"({w_split}), {w_rss:.0f} MB "
              f"peak; ratio {w_wall / a_wall:.2f}x wall, {w_cpu / a_cpu:.2f}x CPU; cache "
              f"{cached / 1e9:.2f} GB = {cached / raw:.2f} of the raw files; load "
              f"{os.getloadavg()[0]:.1f}", flush=True)
    med = [statistics.median(p[k] for p in pairs) for k in range(4)]
    print(f"median of {repeat} pairs: pyarrow {med[0]:.2f} s wall ({med[2]:.2f} s CPU), "
          f"workbench {med[1]:.2f} s wall ({med[3]:.2f} s CPU); ratio "
          f"{statistics.median(p[1] / p[0] for p in pairs):.2f}x wall, "
          f"{statistics.median(p[3] / p[2] for p in pairs):.2f}x CPU")


class _Phases:
    """Wall time and peak resident memory of the named phases of one cold open."""

    def __init__(self) -> None:
        self.now = "other"
        self.wall: dict[str, float] = {}
        self.peak: dict[str, float] = {}
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            rss = _rss_mb()
            self.peak[self.now] = max(self.peak.get(self.now, 0.0), rss)
            time.sleep(0.02)

    def timed(self, inner, phase: str):
        def timed_call(*args, **kwargs):
            before, self.now = self.now, phase
            t = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.wall[phase] = self.wall.get(phase, 0.0) + time.perf_counter() - t
                self.now = before
        return timed_call

    def wrap(self, owner: object, name: str, phase: str) -> None:
        setattr(owner, name, self.timed(getattr(owner, name), phase))


def _rss_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) / 1024 for l in fh if l.startswith("VmRSS"))
    except OSError:  # not Linux: the peak so far
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phases(case: Path) -> None:
    """One cold `workbench info` in this process, timed by phase (wrapping the functions
    each phase runs; hashing runs in a thread beside parsing, so its time overlaps)."""
    os.environ["WORKBENCH_CACHE_DIR"] = tempfile.mkdtemp(prefix="wb-first-open-")
    t0 = time.perf_counter()
    import workbench.investigation.investigation as inv
    import workbench.store.source as src
    from workbench.cli.main import main
    from workbench.ingest import formats
    ph = _Phases()
    hashing = {"s": 0.0}
    file_sha256 = src.file_sha256

    def hashed(path):
        t = time.perf_counter()
        try:
            return file_sha256(path)
        finally:
            hashing["s"] += time.perf_counter() - t
    src.file_sha256 = hashed
    get = formats.get

    def profile(fmt):
        found = get(fmt)
        return dataclasses.replace(found, read=ph.timed(found.read, "parse"))
    src.formats.get = profile
    ph.wrap(src, "normalize", "normalize")
    ph.wrap(src.cache, "store", "cache write")
    ph.wrap(inv, "estimate_skew", "skew estimate")
    imports = time.perf_counter() - t0
    out, sys.stdout = sys.stdout, open(os.devnull, "w")
    try:
        main(["info", str(case)])
    except SystemExit:
        pass
    finally:
        sys.stdout.close()
        sys.stdout = out
        shutil.rmtree(os.environ["WORKBENCH_CACHE_DIR"], ignore_errors=True)
    total = time.perf_counter() - t0
    print(json.dumps({"total_s": round(total, 2), "imports_s": round(imports, 2),
                      "phases_s": {k: round(v, 2) for k, v in ph.wall.items()},
                      "hashing_s (a thread beside parsing)": round(hashing["s"], 2),
                      "peak_rss_mb_by_phase": {k: round(v) for k, v in ph.peak.items()},
                      "load": round(os.getloadavg()[0], 1)}, indent=1))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("cmd", choices=["make", "run", "phases"])
    p.add_argument("case", type=Path)
    p.add_argument("--rows", type=int, default=2_000_000)
    p.add_argument("--sources", type=int, default=5)
    p.add_argument("--forms", choices=["digits", "punctuated"], default="digits")
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args(argv)
    if a.cmd == "make":
        make_data(a.case, a.rows, a.sources, a.forms)
    elif a.cmd == "run":
        run(a.case, a.repeat)
    else:
        phases(a.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
