"""A time limit for code under test that may block forever (a FIFO read, a runaway parse)."""
from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


@contextlib.contextmanager
def no_hang(seconds: int = 20) -> Iterator[None]:
    """Fail (instead of blocking the suite) when the block has not ended after ``seconds``:
    a hang is never an allowed outcome. Main thread only (SIGALRM)."""
    fired = []

    def _alarm(*_: object) -> None:
        fired.append(True)
        raise TimeoutError(f"hung: no result after {seconds} s")
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    if fired:  # raised where nothing could pass it on (a GC callback swallows it): still a hang
        raise TimeoutError(f"hung: ran past {seconds} s (the alarm struck where it was lost)")
