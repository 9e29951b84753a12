"""Freezes of the GUI thread as a user would feel them, for the GUI benchmarks.

A QTimer ticks every ``TICK_MS`` on the GUI thread; each gap between two ticks, less the
period, is how long the thread could not run its event loop. Every gap is kept with a label
of what was going on (a phase of the benchmark, or the workers running)."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QElapsedTimer, QTimer

TICK_MS = 10


class StallClock:
    """``gaps``: (ms beyond the tick period, label). ``label`` is read at every tick; a gap
    gets the label read at the tick that ends it, or, with ``label_at_start``, the one read
    at the tick before it (what was running when the freeze began)."""

    def __init__(self, label: Callable[[], str] = lambda: "", *,
                 label_at_start: bool = False) -> None:
        self.gaps: list[tuple[float, str]] = []
        self._label, self._at_start = label, label_at_start
        self._last: float | None = None
        self._last_label = ""
        self._clock = QElapsedTimer()
        self._timer = QTimer(interval=TICK_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._clock.start()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def worst(self) -> tuple[float, str]:
        return max(self.gaps, default=(0.0, ""))

    def over(self, ms: float) -> list[tuple[float, str]]:
        return [(g, why) for g, why in self.gaps if g > ms]

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed() / 1e6
        label = self._label()
        if self._last is not None:
            self.gaps.append((now - self._last - TICK_MS,
                              self._last_label if self._at_start else label))
        self._last, self._last_label = now, label
