"""Checks before opening a file a case names: only regular files are read.

A FIFO or a character device (`/dev/zero`, a symlink to one) never ends, so reading it
hangs the tool; a folder raises IsADirectoryError deep inside a reader. Every reader calls
`regular_file` first, so the user gets one line naming the file instead.
"""
from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

from workbench.common.errors import InputError

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def regular_file(path: str | os.PathLike[str], *, what: str = "file",
                 field: str | None = None) -> Path:
    """`path` as a Path when it is a regular file (symlinks followed); else InputError."""
    p = Path(path)
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=str(p), field=field) from None
    except (OSError, ValueError) as exc:  # permission, loop of symlinks, NUL in the name
        raise InputError(f"cannot read the {what}: {_reason(exc)}", file=str(p),
                         field=field) from None
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        raise InputError(f"the {what} is {kind}, not a regular file", file=str(p), field=field)
    return p


def is_regular_or_missing(path: str | os.PathLike[str]) -> bool:
    """True when `path` does not exist or is a regular file: safe to create or append to."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False


def read_bytes(path: str | os.PathLike[str], *, what: str = "file",
               field: str | None = None) -> bytes:
    """The whole content of a regular file; an OS error becomes InputError naming it."""
    p = regular_file(path, what=what, field=field)
    try:
        return p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {_reason(exc)}", file=str(p),
                         field=field) from None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def sweep(folder: Path, stale: Callable[[os.DirEntry[str], float], bool],
          remove: Callable[[str], None]) -> int:
    """Remove the entries of ``folder`` that ``stale(entry, now)`` names; returns how many.

    What a killed writer leaves behind (a cache ``.tmp``, an export's part folder) is swept
    this way: an entry that vanishes meanwhile, or cannot be removed, is skipped, never an
    error."""
    removed, now = 0, time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for e in entries:
        try:
            if stale(e, now):
                remove(e.path)
                removed += 1
        except (OSError, ValueError):
            continue  # gone already, or not ours to remove
    return removed
