"""Registry of CDR format profiles; ``detect`` ranks them for a file."""
from __future__ import annotations

from dataclasses import replace
from functools import wraps
from pathlib import Path

from workbench.common.errors import InputError, WorkbenchError
from workbench.common.files import regular_file

from .base import (
    CANONICAL_FIELDS,
    BadLine,
    Detection,
    FormatProfile,
    ParsedTable,
    Reader,
    ReadOptions,
    Sample,
)
from .sample import read_sample

_REGISTRY: dict[str, FormatProfile] = {}


def register(profile: FormatProfile) -> FormatProfile:
    """Add a profile; later registrations of the same name replace earlier ones. Its reader
    is guarded: whatever a damaged file makes it raise reaches every caller (import, `detect`,
    the wizard's preview) as one InputError naming the file."""
    guarded = replace(profile, read=_guarded(profile.read, profile.name))
    _REGISTRY[profile.name] = guarded
    return guarded


#: Not a fault of the file: exceptions that mean a bug; the fuzz tests fail on them.
BUG_TYPES: tuple[type[BaseException], ...] = (TypeError, AttributeError, NameError,
                                              AssertionError, UnboundLocalError)


def _guarded(read: Reader, name: str) -> Reader:
    if getattr(read, "_guarded", False):
        return read

    @wraps(read)
    def guarded_read(path: Path, opts: ReadOptions) -> ParsedTable:
        try:
            return read(path, opts)
        except WorkbenchError:  # InputError names the file; Cancelled is no failure
            raise
        except MemoryError:
            raise InputError(f"too large to read as {name} in memory (one huge line?)",
                             file=str(path), field="format") from None
        except Exception as exc:  # noqa: BLE001 - a damaged file: one line, never a traceback
            why = " ".join(str(exc).split())[:300] or type(exc).__name__
            raise InputError(f"cannot read as {name}: {why}", file=str(path),
                             field="format") from exc

    guarded_read._guarded = True  # type: ignore[attr-defined]
    return guarded_read


def profiles() -> list[FormatProfile]:
    _load_builtin()
    return list(_REGISTRY.values())


def get(name: str) -> FormatProfile:
    if name not in _REGISTRY:  # "generic" is registered already on a warm trace: no switches
        _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise InputError(f"unknown format '{name}' (known: auto, {known})", field="format") from None


def detect(path: Path) -> list[Detection]:
    """Score every profile on the head of ``path``; best first."""
    _load_builtin()
    if Path(path).is_dir():
        raise InputError("this is a folder: give one CDR file (join per-call documents into one "
                         "file first)", file=str(path), field="path")
    regular_file(path, field="path")  # a FIFO or device would never end
    sample = read_sample(path)
    found: list[Detection] = []
    for profile in _REGISTRY.values():
        try:
            d = profile.sniff(sample)
        except Exception as exc:  # a sniffer must never break detection
            d = Detection(profile.name, 0.0, [f"sniffer error: {exc}"])
        if d is not None and d.score > 0:
            found.append(d)
    found.sort(key=lambda d: -d.score)
    return found


def choose(path: Path) -> Detection:
    """The single best profile for ``path``, or a clear error naming the candidates."""
    ranked = detect(path)
    if not ranked or ranked[0].score < 0.5:
        names = ", ".join(f"{d.format} ({d.score:.2f})" for d in ranked[:4]) or "none"
        raise InputError(
            f"no CDR format fits (candidates: {names}); set `format` for this source "
            "or map its columns as \"generic\"", file=str(path), field="format")
    if len(ranked) > 1 and ranked[1].score >= ranked[0].score - 0.02:
        raise InputError(
            f"format is ambiguous between {ranked[0].format} and {ranked[1].format} "
            f"(both score {ranked[0].score:.2f}); set `format` for this source",
            file=str(path), field="format")
    return ranked[0]


_loaded = False


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from . import generic, switches  # noqa: F401  (each registers its profiles)


__all__ = ["CANONICAL_FIELDS", "BadLine", "Detection", "FormatProfile", "ParsedTable",
           "ReadOptions", "Sample", "register", "profiles", "get", "detect", "choose"]
