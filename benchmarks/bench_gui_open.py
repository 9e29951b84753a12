"""Opening a big cached case in the workbench window: memory and the longest GUI freeze.

    workbench generate /tmp/big --rows 2000000        # 5 sources x 2 M rows = 10 M
    workbench info /tmp/big                           # first open: builds the cache
    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui_open.py /tmp/big [--repeat 3]

Each run starts a fresh process (so RSS and page faults are not shared between runs),
opens the case in a real ``MainWindow`` offscreen and waits until the calls table shows
its first query and every worker is idle. A QTimer ticks every 10 ms on the GUI thread;
the longest gap between ticks, less the 10 ms period, is the longest freeze a user would
feel. Reported per run: seconds until the case shows, until the calls table is filled,
the longest freeze and what was running then, how many freezes passed 100 ms, peak RSS
(``ru_maxrss``) and RSS at the end. ``--idle S`` ticks S seconds with nothing opened: the
freezes the machine itself causes (on a shared 2-core machine they reach 100 ms too).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def one_run(case: Path, timeout_s: float, idle_s: float = 0.0) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from gui_stalls import StallClock  # beside this script
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow
    from ui.screenshot import wait_until

    app = QApplication.instance() or QApplication([])
    w = MainWindow(restore=False)
    w.session.audit = False
    w.resize(1600, 1000)
    w.show()
    app.processEvents()
    stalls = StallClock(lambda: ", ".join(f"{t.kind}:{t.message}"
                                          for t in w.session.runner.running) or "idle",
                        label_at_start=True)  # what was running when the freeze began
    marks: dict[str, float] = {}
    w.session.sig_case_changed.connect(
        lambda c: c is not None and marks.setdefault("case_shown_s", time.perf_counter() - t0))
    w.calls_dock.sig_rows_changed.connect(
        lambda n: marks.setdefault("calls_shown_s", time.perf_counter() - t0))
    rss0 = rss_mb()
    stalls.start()
    t0 = time.perf_counter()
    if idle_s:  # the noise floor: the same ticks with nothing to do (a shared machine)
        wait_until(app, lambda: time.perf_counter() - t0 > idle_s, idle_s + 5)
        ok = True
    else:
        w.session.open(case)
        ok = wait_until(app, lambda: "calls_shown_s" in marks and not w.session.runner.running,
                        timeout_s)
    total = time.perf_counter() - t0
    stalls.stop()
    worst = stalls.worst()
    out = {"ok": ok, "rows": sum(len(s) for s in w.session.case.sources) if w.session.case
           else 0, "total_s": round(total, 3),
           **{k: round(v, 3) for k, v in marks.items()},
           "longest_freeze_ms": round(worst[0], 1), "during": worst[1],
           "freezes_over_100ms": len(stalls.over(100)),
           "freezes": [(round(g), d) for g, d in stalls.over(100)][:12],
           "rss_before_mb": round(rss0), "rss_end_mb": round(rss_mb()),
           "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    w.session.runner.shutdown()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("case", type=Path)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--idle", type=float, default=0.0, metavar="S",
                   help="open nothing: tick S seconds (the machine's own freezes)")
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child run
    args = p.parse_args()
    if args.one:
        print(json.dumps(one_run(args.case, args.timeout, args.idle)))
        return 0
    runs = []
    for _ in range(args.repeat):
        done = subprocess.run([sys.executable, __file__, str(args.case), "--one",
                               "--timeout", str(args.timeout), "--idle", str(args.idle)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(runs[-1]))
    for key in ("case_shown_s", "calls_shown_s", "longest_freeze_ms", "peak_rss_mb",
                "rss_end_mb"):
        vals = [r[key] for r in runs if key in r]
        if vals:
            print(f"{key}: median {statistics.median(vals)} (runs: {vals})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
