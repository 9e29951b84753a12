"""The time limit of the fuzz and FIFO tests (``guards.no_hang``) fails a block that ran past it
even when its alarm struck where the exception was lost: inside a garbage-collector callback
(Hypothesis installs one), which Python reports as "unraisable" and goes on."""
from __future__ import annotations

import gc
import time

import pytest

from tests.guards import no_hang


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_alarm_lost_in_a_gc_callback_still_fails_the_block() -> None:
    def slow_callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            time.sleep(1.3)

    gc.callbacks.append(slow_callback)
    try:
        with pytest.raises(TimeoutError, match="ran past 1 s"), no_hang(1):
            gc.collect()
    finally:
        gc.callbacks.remove(slow_callback)


def test_a_block_within_its_time_passes() -> None:
    with no_hang(5):
        time.sleep(0.01)
