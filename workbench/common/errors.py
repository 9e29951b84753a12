"""Errors that reach the user as one line naming file, line and field."""
from __future__ import annotations

from dataclasses import dataclass


class WorkbenchError(Exception):
    """Base of every error the CLI and GUI show in plain words (exit code 2)."""


@dataclass
class InputError(WorkbenchError):
    """Bad input: a file the user gave us cannot be used as it is."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def __str__(self) -> str:
        return self.one_line()


class Cancelled(WorkbenchError):
    """Raised inside long work when the caller asked it to stop."""

    def __init__(self) -> None:
        super().__init__("cancelled")
