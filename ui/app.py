"""Entry point of the Qt application (the full workbench is assembled in ui.main_window)."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QLabel
    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    label = QLabel("Traceback Workbench")
    label.show()
    return app.exec()
