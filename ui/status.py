"""Status-bar progress: what is running, how far it is, and a Cancel button."""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from .assets import icon

QUIET_KINDS = {"raw-line", "hop-raw"}  # too quick to be worth a flash in the status bar
SHOW_AFTER_MS = 250


class TaskProgressWidget(QWidget):
    def __init__(self, runner, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.label = QLabel()
        self.bar = QProgressBar(minimum=0, maximum=1000, textVisible=False)
        self.bar.setFixedWidth(180)
        self.cancel = QPushButton(icon("cancel"), "Cancel")
        self.cancel.setToolTip("Stop the running task (Esc)")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel)
        self.cancel.clicked.connect(self.cancel_current)
        self._timer = QTimer(self, singleShot=True, interval=SHOW_AFTER_MS)
        self._timer.timeout.connect(self._update)
        runner.sig_started.connect(self._on_started)
        runner.sig_ended.connect(self._on_ended)
        self.hide()

    def _on_ended(self, task) -> None:
        self._update()

    def _on_progress(self, fraction: float, message: str) -> None:
        self._update(quiet=True)

    def _visible_tasks(self):
        return [t for t in self.runner.running if t.kind not in QUIET_KINDS and not t.cancelled]

    def _on_started(self, task) -> None:
        task.sig_progress.connect(self._on_progress)
        self._timer.start()

    def _update(self, quiet: bool = False) -> None:
        tasks = self._visible_tasks()
        if not tasks:
            self.hide()
            return
        if quiet and not self.isVisible():
            return  # not shown yet: wait for the timer
        t = tasks[-1]
        more = f" (+{len(tasks) - 1} more)" if len(tasks) > 1 else ""
        self.label.setText(f"{t.message or t.title}{more}")
        self.bar.setValue(int(max(0.0, min(1.0, t.fraction)) * 1000))
        self.cancel.setEnabled(t.cancellable)
        self.show()

    def cancel_current(self) -> None:
        tasks = self._visible_tasks()
        if tasks:
            tasks[-1].cancel()
            self.label.setText(f"Cancelling {tasks[-1].title}…")
