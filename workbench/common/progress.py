"""Progress and cancel hooks injected into long core functions (no Qt here)."""
from __future__ import annotations

from typing import Callable

from .errors import Cancelled

ProgressFn = Callable[[float, str], None]
StopFn = Callable[[], bool]


def no_progress(fraction: float, message: str) -> None:  # noqa: ARG001 - signature fixed
    """Default progress sink: ignore."""


def never_stop() -> bool:
    """Default cancel probe: never cancel."""
    return False


def check(should_stop: StopFn) -> None:
    """Raise Cancelled when the caller asked to stop; call between chunks of work."""
    if should_stop():
        raise Cancelled()
