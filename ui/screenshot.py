"""``--screenshot``: open a case (and trace its first traceback), render the window to PNG."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer


def wait_until(app, done, timeout_s: float) -> bool:
    """Run the event loop until ``done()`` or the timeout; True if done."""
    end = time.monotonic() + timeout_s
    loop = QEventLoop()
    while not done():
        if time.monotonic() > end:
            return False
        QTimer.singleShot(30, loop.quit)
        loop.exec()
    return True


def settle(app, ms: int = 300) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def take(app, case: Path | None, out: Path, *, trace_first: bool = False,
         size: str = "1600x1000", timeout_s: float = 180.0, view: str = "chain",
         traceback: str | None = None) -> int:
    from .errors import one_line
    from .main_window import MainWindow

    w, h = (int(x) for x in size.lower().split("x"))
    window = MainWindow(restore=False)
    window.session.audit = False  # a rendering run is not part of the investigation
    window.resize(w, h)
    window.show()
    window.fit_layout_to(h)
    failures: list[str] = []
    window.session.sig_failed.disconnect()
    window.session.sig_failed.connect(lambda title, exc: failures.append(f"{title}: "
                                                                         f"{one_line(exc)}"))
    state = {"opened": case is None, "traced": not trace_first}

    def after_open(session) -> None:
        state["opened"] = True
        if trace_first and session.case.tracebacks:
            session.sig_trace_changed.connect(lambda *_: state.update(traced=True))
            session.trace_traceback(traceback or session.case.tracebacks[0].traceback_id)
        else:
            if trace_first:
                failures.append("the case has no traceback records to trace")
            state["traced"] = True

    if case is not None:
        window.session.open(case, then=after_open)

    def done() -> bool:
        runner_idle = not window.session.runner.running
        return bool(failures) or (state["opened"] and state["traced"] and runner_idle)

    ok = wait_until(app, done, timeout_s)
    if view == "network":
        window.view.show_network()
    settle(app)
    out.parent.mkdir(parents=True, exist_ok=True)
    saved = window.grab().save(str(out), "PNG")
    window.session.runner.shutdown()
    for f in failures:
        print(f"workbench-gui: {f}", file=sys.stderr)
    if not ok:
        print(f"workbench-gui: gave up after {timeout_s:.0f} s", file=sys.stderr)
    if not saved:
        print(f"workbench-gui: could not write {out}", file=sys.stderr)
    window.hide()
    window.deleteLater()
    return 0 if (ok and saved and not failures) else 2
