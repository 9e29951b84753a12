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
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np
import pyarrow as pa

from workbench.store.normalize import PASSPORT_FIELDS, SourceSummary


class SourceId(NamedTuple):
    """A source's identity in a case: its provider and its path as written in case.toml.

    Stable across reloads and edits that do not rename the file or its provider; never a
    list position or an object id. A named tuple, so hashing and comparing one (a batch
    does it hundreds of thousands of times) runs in C.
    """

    provider: str
    path: str

    def __str__(self) -> str:
        return f"{self.provider} ({self.path})"


class CallKey(NamedTuple):
    """One lookup: rows of ``source`` to ``called_key`` (and ``calling_key`` unless -1)
    whose start, on the source's own clock, lies in [lo_us, hi_us] (None: unbounded).
    A named tuple: a batch makes tens of thousands, a frozen dataclass costs twice as much."""

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
                     max_offset_s: float, times: tuple[str, str] = ("start", "start")
                     ) -> np.ndarray:
        """Offsets (seconds, A minus B) of the calls A received on ``ingresses`` whose
        (calling, called) pair occurs exactly once among those calls and exactly once in B
        (rows with both numbers and a start): the join behind clock-skew estimation.
        ``times`` names the time compared on each side, "start" or "answer" (pairs where
        either has none are left out). Offsets beyond ``max_offset_s`` dropped."""
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


#: Fields a calls-table page carries for each row (besides ``src`` and ``row``): what the
#: table shows and what a page's cells are formatted from.
CALLS_PAGE_FIELDS: tuple[str, ...] = (
    "line", "start", "duration", "flags", "calling_key", "called_key", "calling", "called",
    "disposition", "ingress", "egress", "attest", "verstat",
)
#: Sort keys a store understands in a ``CallsQuery`` (besides the stored fields above):
#: ``source`` (the sources' ranks), ``start_corrected`` (start minus each source's skew) and
#: ``upstream`` (the ranks the caller gave each ingress).
CALLS_SORTS: tuple[str, ...] = ("line", "start", "duration", "flags", "calling", "called",
                                "disposition", "ingress", "egress", "attest", "verstat",
                                "source", "start_corrected", "upstream")


@dataclass(frozen=True)
class CallsQuery:
    """The calls table's filter and sort, pushed down to a store (``CdrStore.calls_page``).

    Rows of ``sources`` (in this order) pass when every given filter holds: ``number_key``
    (an E.164 key, on the side(s) ``which`` names) or else ``digits`` (a substring of the
    number as normalized), a start in [start_us, end_us] (rows without a start never pass a
    time bound), ``disposition`` equal, ``ingress`` equal ("" = no ingress recorded).
    The order is ``sort`` (ascending or not), ties by source position then row: missing
    values (no start, no duration, null text, no skew, no upstream) sort last ascending and
    first descending, text sorts by its UTF-8 bytes.
    """

    sources: tuple[SourceId, ...]
    number_key: int = -1
    digits: str = ""
    which: str = "either"  # "either" | "calling" | "called"
    start_us: int | None = None
    end_us: int | None = None
    disposition: str | None = None
    ingress: str | None = None
    sort: str | None = "start"  # one of CALLS_SORTS, None: (source, row) order
    descending: bool = False
    source_rank: tuple[int, ...] = ()  # for sort "source": one rank per source
    skew_us: tuple[int | None, ...] = ()  # for "start_corrected": per source, None: unknown
    #: for "upstream": per source, {ingress as written: rank}; an ingress left out (or
    #: none) has no upstream
    ingress_rank: tuple[Mapping[str, int], ...] = ()


@dataclass(frozen=True)
class CallsPage:
    """One page of a ``CallsQuery``: ``rows`` holds ``src`` (int32, position in the query's
    sources), ``row`` (int64, the row's id in its source) and ``CALLS_PAGE_FIELDS``;
    ``matched`` is every row passing the filters (-1 when not counted)."""

    rows: pa.Table
    matched: int = -1


#: Keyset position of a page: the previous page's last row, as ``CallsPage.rows`` holds it
#: (``src``, ``row`` and the fields its sort key is made of).
PageAfter = Mapping[str, object]


class PagedCalls(Protocol):
    """What a store that is not embedded adds for the calls table (``CdrStore``'s optional
    part, found with ``pages_calls``): one query per page instead of whole columns."""

    def calls_page(self, query: CallsQuery, limit: int, after: PageAfter | None = None,
                   *, count: bool = False) -> CallsPage:
        """Up to ``limit`` rows of ``query`` in its order, after ``after`` (keyset), and
        with ``count`` the number of matching rows too."""
        ...

    def distinct(self, source: SourceId, field: str) -> list[str]:
        """The distinct non-null values of a text field of a source, sorted."""
        ...


def pages_calls(store: object) -> bool:
    """True when the calls table should page through the store instead of reading whole
    columns: a store that says it is not embedded (``embedded = False``) and implements
    ``PagedCalls``."""
    return (getattr(store, "embedded", True) is False
            and callable(getattr(store, "calls_page", None)))
