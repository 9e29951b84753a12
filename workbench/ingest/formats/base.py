"""The contract between a CDR format profile and the normalizer.

A profile turns one file into a ``ParsedTable``: for each canonical field, one
Arrow column of *raw text as the file wrote it* (or, for times the format
already pins to UTC such as epochs or explicit offsets, a
``timestamp[us, tz=UTC]`` column), plus the 1-based physical line of every
row. Normalization (numbers to E.164, times to UTC, flags) is shared by all
profiles and lives in ``workbench.normalize``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa

#: Canonical CDR fields (the ``[sources.columns]`` keys of ``case.toml``).
CANONICAL_FIELDS: tuple[str, ...] = (
    "start", "calling", "called", "answer", "end", "duration", "disposition",
    "ingress", "egress", "call_id", "attest", "origid", "identity",
)
REQUIRED_FIELDS: tuple[str, ...] = ("start", "called")
TIME_FIELDS: tuple[str, ...] = ("start", "answer", "end")
#: Extra fields a profile may add (SIP/SHAKEN details); kept when present.
EXTRA_FIELDS: tuple[str, ...] = ("verstat", "calling_name", "call_id_2")


@dataclass
class BadLine:
    """A line that could not be read; reported with its text, never silently dropped."""

    line: int
    reason: str
    text: str = ""


@dataclass
class ReadOptions:
    """What the case says about a source that a reader may need."""

    columns: dict[str, str] = field(default_factory=dict)  # canonical -> header
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    timezone: str = "UTC"


@dataclass
class ParsedTable:
    """Raw per-row values of one file, keyed by canonical field.

    ``columns`` values are ``pa.string()`` arrays (raw text; null = empty) or,
    for time fields already resolved by the format, ``pa.timestamp('us',
    tz='UTC')`` arrays. ``lines`` holds the 1-based physical line (or sheet row)
    of each row so the original text can be read back later.
    """

    columns: dict[str, pa.Array]
    lines: np.ndarray
    bad_lines: list[BadLine] = field(default_factory=list)
    bad_line_count: int = 0  # may exceed len(bad_lines): only the first N keep their text
    notes: list[str] = field(default_factory=list)
    headers: list[str] | None = None
    time_basis: str = "invite"  # "invite" or "answer": what `start` measures
    low_precision: bool = False  # times known to be coarser than 1 s
    encoding: str = "utf-8"
    sheet: str | None = None  # XLSX sheet read (line numbers are sheet rows)
    header_line: int | None = None  # the file's own header row, if it has one

    def __len__(self) -> int:
        return len(self.lines)


@dataclass
class Detection:
    """A profile's claim on a file: score in [0, 1] and the evidence for it."""

    format: str
    score: float
    evidence: list[str] = field(default_factory=list)


@dataclass
class Sample:
    """The head of a file, decoded, given to every profile's sniffer."""

    path: Path
    raw: bytes
    text: str
    lines: list[str]
    encoding: str


Reader = Callable[[Path, ReadOptions], ParsedTable]
Sniffer = Callable[[Sample], "Detection | None"]


@dataclass(frozen=True)
class FormatProfile:
    """One CDR format: how to recognize it and how to read it."""

    name: str
    title: str
    read: Reader
    sniff: Sniffer
    confirmed: bool = True  # False: layout documented but unconfirmed by the vendor
    description: str = ""
