"""The store seam: the only way the engine, skew, network and calls table reach CDR rows.

Every operation is batched (many keys in, one Arrow table or array out) so that a
trace costs O(hops) store calls, not O(rows): free in memory, and the difference
between milliseconds and minutes on a database or a cluster. The embedded
implementation is ``ArrowStore`` (memory-mapped normalized tables); a SQL engine
(DuckDB, Spark) implements the same methods without the engine changing.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import pyarrow as pa

from workbench.store.normalize import PASSPORT_FIELDS, SourceSummary


@dataclass(frozen=True, order=True)
class SourceId:
    """A source's identity in a case: its provider and its path as written in case.toml.

    Stable across reloads and edits that do not rename the file or its provider; never a
    list position or an object id.
    """

    provider: str
    path: str

    def __str__(self) -> str:
        return f"{self.provider} ({self.path})"


@dataclass(frozen=True)
class CallKey:
    """One lookup: rows of ``source`` to ``called_key`` (and ``calling_key`` unless -1)
    whose start, on the source's own clock, lies in [lo_us, hi_us] (None: unbounded)."""

    source: SourceId
    called_key: int
    calling_key: int = -1
    lo_us: int | None = None
    hi_us: int | None = None


#: Columns of ``CdrStore.candidates``: the query's position ``q``, the row's identity
#: (``row``, ``line``) and what matching and a hop need of it; ``pp_*`` are the decoded
#: PASSporT's orig, dest (comma-joined), iat (UTC µs) and x5u (``store.normalize``).
CANDIDATE_FIELDS: tuple[str, ...] = (
    "q", "row", "line", "start", "answer", "duration", "flags", "calling_key", "called_key",
    "origid", "ingress", "egress", "attest", "verstat", *PASSPORT_FIELDS,
)

#: Fields a store can return by row id (``CdrStore.rows``) or as whole columns.
ROW_FIELDS: tuple[str, ...] = (
    "line", "start", "answer", "end", "duration", "flags", "calling", "called", "calling_key",
    "called_key", "disposition", "ingress", "egress", "attest", "origid", "verstat", "call_id",
    "identity_present", *PASSPORT_FIELDS,
)


@runtime_checkable
class CdrStore(Protocol):
    """Batched access to the normalized CDR rows of a case's sources."""

    def source_ids(self) -> list[SourceId]:
        """Every source the store holds, in case order."""
        ...

    def summary(self, source: SourceId) -> SourceSummary:
        """What the import found in a source (rows, range, flags, rejects)."""
        ...

    def candidates(self, keys: Sequence[CallKey]) -> pa.Table:
        """Rows for many lookups at once: ``CANDIDATE_FIELDS``, ordered by ``q`` (the lookup's
        position in ``keys``), then by start. Rows without a start are left out."""
        ...

    def pair_offsets(self, a: SourceId, ingresses: Sequence[str], b: SourceId,
                     max_offset_s: float) -> np.ndarray:
        """Start-time offsets (seconds, A minus B) of the calls A received on ``ingresses``
        whose (calling, called) pair occurs exactly once among those calls and exactly once
        in B: the join behind clock-skew estimation. Offsets beyond ``max_offset_s`` dropped."""
        ...

    def ingress_counts(self, sources: Sequence[SourceId]
                       ) -> Mapping[SourceId, list[tuple[str, int]]]:
        """Rows per distinct ingress id (as written) of each source; null ingress left out."""
        ...

    def rows(self, source: SourceId, rows: np.ndarray, fields: Sequence[str]) -> pa.Table:
        """Chosen ``ROW_FIELDS`` of rows by id, in the order asked."""
        ...

    def columns(self, source: SourceId, fields: Sequence[str]) -> pa.Table:
        """Whole columns of a source, for scans such as the calls table (embedded stores
        return zero-copy views; remote stores may page)."""
        ...

    def raw_lines(self, source: SourceId, lines: Sequence[int]) -> dict[int, str]:
        """The original text of these 1-based lines (or sheet rows), read from the file."""
        ...


class CountingStore:
    """A store wrapper that counts calls per operation (tests prove a trace is O(hops))."""

    def __init__(self, inner: CdrStore):
        self.inner = inner
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> object:
        attr = getattr(self.inner, name)
        if not callable(attr) or name.startswith("_"):
            return attr

        def counted(*args: object, **kwargs: object) -> object:
            self.calls[name] = self.calls.get(name, 0) + 1
            return attr(*args, **kwargs)
        return counted

    @property
    def total(self) -> int:
        return sum(self.calls.values())
