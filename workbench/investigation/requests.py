"""What the investigator asked to trace, checked once for every front end (CLI, GUI, tests)."""
from __future__ import annotations

from dataclasses import dataclass

from workbench.common.errors import InputError


@dataclass(frozen=True)
class TraceRequest:
    """A call to trace: a traceback record's, or one given by its numbers and time.

    Valid by construction (the one argument rule of `trace` and `export`), and kept so a
    trace can be re-run after edits.
    """

    traceback_id: str | None = None
    calling: str = ""
    called: str = ""
    at: str | int = ""  # ISO 8601 text, or UTC microseconds (a row of the calls table)
    from_provider: str | None = None
    tolerance_s: float | None = None

    def __post_init__(self) -> None:
        if self.traceback_id:
            if self.calling or self.called or not _missing(self.at):
                raise InputError("give either --traceback or --calling/--called/--at, not both",
                                 field="traceback")
            return
        missing = [n for n in ("called", "at") if _missing(getattr(self, n))]
        if missing:
            raise InputError(f"give --{' and --'.join(missing)} (or --traceback ID)",
                             field=missing[0])

    def describe(self) -> str:
        """A few words for progress and status lines."""
        if self.traceback_id:
            return f"traceback {self.traceback_id}"
        return f"{self.calling or '?'} → {self.called}"


def _missing(value: str | int | None) -> bool:
    return value is None or value == ""
