"""The Calls table over a lake: time to the first page and memory of the window.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_calls_paging.py CASE

CASE reads its rows from a lake (``[store] backend = "duckdb"`` or ``"spark"``, ``path =
"lake/"``; `workbench ingest CASE --to CASE/lake` writes one). Opens the main window on it,
times the open to the first page of the Calls table, then a few queries as an investigator
types them (a sort by calling number, a number, a UTC range, the next page), and prints the
window process's resident memory after each (current and peak).
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MB."""
    current = 0.0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("case", type=Path)
    p.add_argument("--timeout", type=float, default=600.0)
    args = p.parse_args()
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow
    app = QApplication.instance() or QApplication([])
    w = MainWindow(restore=False)
    w.resize(1600, 1000)
    w.show()
    dock = w.calls_dock
    print(f"before open: RSS {rss_mb()[0]:.0f} MB", flush=True)

    def wait_rows(what: str, start: float) -> None:
        done: list[int] = []
        dock.sig_rows_changed.connect(done.append)
        while not done:
            app.processEvents()
            if time.perf_counter() - start > args.timeout:
                raise SystemExit(f"{what}: no rows after {args.timeout:.0f} s")
            time.sleep(0.002)
        dock.sig_rows_changed.disconnect(done.append)
        now, peak = rss_mb()
        rows = dock.model.rows
        print(f"{what}: {time.perf_counter() - start:.2f} s to the first page "
              f"({dock.model.rowCount():,} rows shown of {len(rows):,}); "
              f"RSS {now:.0f} MB, peak {peak:.0f} MB", flush=True)

    t = time.perf_counter()
    w.file.open(args.case)
    wait_rows("open", t)
    print(f"  store: {type(w.session.case.store).__name__}, "
          f"{sum(f.n for f in w.session.frames):,} rows in {len(w.session.frames)} sources")
    col = [k for k, _ in __import__("workbench.present.calls_query",
                                    fromlist=["COLUMNS"]).COLUMNS].index("calling")
    for what, act in (
            ("sort by calling", lambda: dock.view.sortByColumn(col, Qt.SortOrder.AscendingOrder)),
            ("number (312) 555-0143", lambda: (dock.number.setText("(312) 555-0143"),
                                                dock.apply_now())),
            ("clear, UTC range of one hour", lambda: (
                dock.number.clear(), dock.t_from.setText("2026-03-08 07:00"),
                dock.t_to.setText("2026-03-08 08:00"), dock.apply_now()))):
        t = time.perf_counter()
        act()
        wait_rows(what, t)
    model = dock.model
    n, t = model.rowCount(), time.perf_counter()
    dock.view.scrollToBottom()
    while model.rowCount() == n and model.canFetchMore() or model.fetching:
        app.processEvents()
        time.sleep(0.002)
    print(f"next page: {time.perf_counter() - t:.2f} s ({model.rowCount():,} rows shown)")
    w.session.runner.shutdown(30_000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
