"""The New-case wizard on a real-sized case: the longest GUI freeze while it works.

    workbench generate /tmp/wz40 --rows 40000        # 5 files, ~21 MB (one XLSX)
    QT_QPA_PLATFORM=offscreen python benchmarks/bench_wizard.py /tmp/wz40 [--repeat 3]

Each run starts a fresh process with an empty cache folder and drives the wizard as a user
who accepts every default would: add every CDR file (format detection, headers), open the
source page (preview), press Next (every file checked), wait for the ingress page (ingress
counts and the records' review) and the finish page (the draft's review), then click the
time-zone fixes once (a second review). A QTimer ticks every 10 ms on the GUI thread; the
longest gap between ticks less the 10 ms period is the longest freeze a user would feel.
Reported per run: the longest freeze and the phase it fell in, the longest per phase, how
many passed 100 ms, the total time and the load average before and after. ``--idle S``
ticks S seconds with nothing to do: the freezes the machine itself causes.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_run(case: Path, timeout_s: float, idle_s: float = 0.0) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from gui_stalls import StallClock  # beside this script
    from PySide6.QtWidgets import QApplication

    from ui.screenshot import wait_until
    from ui.wizard.wizard import NewCaseWizard
    from ui.worker import TaskRunner

    app = QApplication.instance() or QApplication([])
    runner = TaskRunner()
    wiz = NewCaseWizard(runner)
    wiz.resize(1100, 760)
    wiz.show()
    app.processEvents()
    state = {"phase": "start"}
    stalls = StallClock(lambda: state["phase"])

    def until(phase: str, cond) -> bool:
        state["phase"] = phase
        return wait_until(app, cond, timeout_s)

    load_before = os.getloadavg()
    stalls.start()
    t0 = time.perf_counter()
    ok = True
    if idle_s:
        ok = until("idle", lambda: time.perf_counter() - t0 > idle_s)
    else:
        out = Path(tempfile.mkdtemp(prefix="wb-wizard-bench-")) / "case"
        wiz.case_page.folder.setText(str(out))
        wiz.case_page.name.setText("Benchmark")
        if (case / "tracebacks.csv").exists():
            wiz.case_page.tracebacks.setText(str(case / "tracebacks.csv"))
        wiz.next()
        files = sorted(p for p in (case / "cdrs").iterdir() if p.is_file())
        wiz.files_page.add_files(files)
        ok &= until("add files", lambda: wiz.files_page.isComplete())
        wiz.next()
        ok &= until("preview", lambda: not runner.running)
        wiz.next()
        ok &= until("next check", lambda: wiz.currentPage() is wiz.ingress_page)
        ok &= until("ingress counts + review",
                    lambda: wiz.ingress_page.isComplete() and not wiz.ingress_page.reviewing)
        wiz.next()
        ok &= until("finish review", lambda: wiz.finish_page.isComplete())
        if wiz.finish_page.apply("set_zone"):
            ok &= until("review after a fix", lambda: wiz.finish_page.isComplete())
    total = time.perf_counter() - t0
    stalls.stop()
    worst = stalls.worst()
    per_phase: dict[str, float] = {}
    for g, phase in stalls.gaps:
        per_phase[phase] = round(max(per_phase.get(phase, 0.0), g), 1)
    result = {"ok": bool(ok), "files": len(wiz.state.files), "total_s": round(total, 2),
              "longest_freeze_ms": round(worst[0], 1), "during": worst[1],
              "per_phase_ms": per_phase,
              "freezes_over_100ms": len(stalls.over(100)),
              "findings": len(wiz.state.review.findings) if wiz.state.review else None,
              "load_before": [round(x, 2) for x in load_before],
              "load_after": [round(x, 2) for x in os.getloadavg()]}
    runner.shutdown()
    wiz.close()
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("case", type=Path, help="a folder with cdrs/ (and tracebacks.csv)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--idle", type=float, default=0.0, metavar="S",
                   help="drive nothing: tick S seconds (the machine's own freezes)")
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child run
    args = p.parse_args()
    if args.one:
        print(json.dumps(one_run(args.case, args.timeout, args.idle)))
        return 0
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="wb-bench-cache-") as cache:
            env = dict(os.environ, WORKBENCH_CACHE_DIR=cache)  # every run reads cold
            done = subprocess.run([sys.executable, __file__, str(args.case), "--one",
                                   "--timeout", str(args.timeout), "--idle", str(args.idle)],
                                  capture_output=True, text=True, env=env)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(runs[-1]))
    for key in ("longest_freeze_ms", "freezes_over_100ms", "total_s"):
        vals = [r[key] for r in runs]
        print(f"{key}: median {statistics.median(vals)} (runs: {vals})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
