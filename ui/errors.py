"""Errors in plain words: what went wrong, in which file, line and field. Never a traceback."""
from __future__ import annotations

import logging
import traceback

from PySide6.QtWidgets import QMessageBox, QWidget

from workbench.common.errors import Cancelled, InputError, WorkbenchError

log = logging.getLogger("workbench.gui")


def describe(exc: BaseException) -> tuple[str, str]:
    """(headline, details) for an exception, in words an investigator can act on."""
    if isinstance(exc, InputError):
        where = []
        if exc.file:
            where.append(f"File: {exc.file}")
        if exc.line is not None:
            where.append(f"Line: {exc.line}")
        if exc.field:
            where.append(f"Field: {exc.field}")
        return exc.message[:1].upper() + exc.message[1:], "\n".join(where)
    if isinstance(exc, Cancelled):
        return "Stopped at your request.", ""
    if isinstance(exc, WorkbenchError):
        return str(exc), ""
    if isinstance(exc, MemoryError):
        return "Not enough memory for this operation.", "Close other cases or use a smaller file."
    if isinstance(exc, OSError):
        name = getattr(exc, "filename", None)
        return (f"The file could not be read or written: {exc.strerror or exc}.",
                f"File: {name}" if name else "")
    log.error("unexpected error\n%s", "".join(traceback.format_exception(exc)))
    return (f"Something unexpected went wrong ({type(exc).__name__}: {exc}).",
            "The details were written to the log. Please report this with the case files.")


def one_line(exc: BaseException) -> str:
    """The error as one status-bar line."""
    if isinstance(exc, InputError):
        return exc.one_line()
    head, detail = describe(exc)
    return f"{head} {detail}".strip().replace("\n", "; ")


def show_error(parent: QWidget | None, title: str, exc: BaseException | str) -> None:
    """A warning box with the problem first, then where it is."""
    if isinstance(exc, str):
        head, detail = exc, ""
    else:
        head, detail = describe(exc)
    box = QMessageBox(QMessageBox.Icon.Warning, title, head, QMessageBox.StandardButton.Ok, parent)
    if detail:
        box.setInformativeText(detail)
    box.exec()
