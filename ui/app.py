"""Entry point: ``workbench-gui [CASE] [--screenshot PATH [--trace-first]]``, ``python -m ui``."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="workbench-gui", description="Traceback Workbench: trace "
                                "robocalls hop by hop through providers' CDRs.")
    p.add_argument("case", nargs="?", help="case folder or its case.toml to open")
    p.add_argument("--sample", action="store_true", help="open the bundled sample case")
    p.add_argument("--screenshot", metavar="PATH",
                   help="render the main window offscreen to this PNG and exit")
    p.add_argument("--trace-first", action="store_true",
                   help="with --screenshot: trace the case's first traceback record first")
    p.add_argument("--traceback", metavar="ID",
                   help="with --screenshot: trace this traceback record instead of the first")
    p.add_argument("--size", default="1600x1000", metavar="WxH",
                   help="window size for --screenshot (default 1600x1000)")
    p.add_argument("--view", choices=("chain", "network"), default="chain",
                   help="with --screenshot: which graph view to show")
    p.add_argument("--theme", choices=("system", "light", "dark"),
                   help="colours for this run (default: as set in View ▸ Theme)")
    p.add_argument("--timeout", type=float, default=180.0,
                   help="with --screenshot: give up after this many seconds")
    return p


def main(argv: list[str] | None = None) -> int:
    if sys.stdout is None:  # started from a desktop launcher (pythonw): nowhere to print
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    args, qt_args = _parser().parse_known_args(sys.argv[1:] if argv is None else argv)
    if args.screenshot:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        print(f"workbench-gui: Qt (PySide6) is not installed: {exc}", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication([sys.argv[0]] + qt_args)
    app.setApplicationName("Traceback Workbench")
    app.setOrganizationName("TracebackWorkbench")
    try:
        return _run(app, args)
    except Exception as exc:  # start-up failed: say so in words, never a bare traceback
        from .errors import describe
        head, detail = describe(exc)
        print(f"workbench-gui: {head} {detail}".strip(), file=sys.stderr)
        if not args.screenshot and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
            from PySide6.QtWidgets import QMessageBox
            QMessageBox.critical(None, "Traceback Workbench could not start", f"{head}\n{detail}")
        return 2


def _setup_logging() -> Path | None:
    """Unexpected errors go to a log file (the user sees them in words, never a traceback)."""
    import logging

    from PySide6.QtCore import QStandardPaths
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    if not base:
        return None
    path = Path(base) / "workbench-gui.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        logging.basicConfig(filename=str(path), level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    except OSError:
        return None
    return path


def _install_excepthook(window) -> None:
    """A bug in a slot is shown in words and logged, and the window keeps working."""
    from .errors import show_error

    def hook(kind, exc, tb):
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        import logging
        import traceback
        logging.getLogger("workbench.gui").error(
            "uncaught\n%s", "".join(traceback.format_exception(kind, exc, tb)))
        show_error(window, "Something went wrong", exc)
    sys.excepthook = hook


def _run(app, args) -> int:
    from . import settings, theme
    from .assets import working_sample
    from .main_window import MainWindow

    settings.migrate()
    theme.apply(args.theme or settings.theme())
    case = Path(args.case) if args.case else (working_sample() if args.sample else None)
    if args.screenshot:
        from .screenshot import take
        return take(app, case, Path(args.screenshot),
                    trace_first=args.trace_first or bool(args.traceback), traceback=args.traceback,
                    size=args.size, timeout_s=args.timeout, view=args.view)
    _setup_logging()
    window = MainWindow()
    _install_excepthook(window)
    window.show()
    if case is not None:
        window.file.open(case)
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
