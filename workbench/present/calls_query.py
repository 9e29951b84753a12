"""Filtering and sorting a case's normalized CDRs for display, vectorized over numpy.

The GUI's calls table never copies rows: it shows the rows of ``CallRows``
(source index, row index) in the order a query returns them. A query filters by
a number in any written form (or a run of digits), a UTC time range, providers
or sources and a disposition, and sorts through an argsort index.

Columns come from the case's store (``CdrStore.columns``, one call per source) and
a record's other fields from ``CdrStore.rows``; a frame names its source by
``SourceId`` and never touches the source's table.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.columns.numbers import normalize_one
from workbench.columns.times import NAT, display_utc, iso_utc
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.store.normalize import flag_words
from workbench.store.protocol import (
    CALLS_PAGE_FIELDS,
    CallsPage,
    CallsQuery,
    CdrStore,
    SourceId,
    pages_calls,
)
from workbench.trace.results import Skew

#: (key, title) of the columns the calls table shows, in order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("provider", "Provider"), ("line", "Line"), ("start", "Start (UTC)"),
    ("calling", "Calling"), ("called", "Called"), ("duration", "Dur. s"),
    ("disposition", "Disposition"), ("ingress", "Ingress"), ("upstream", "Upstream / customer"),
    ("egress", "Egress"), ("attest", "Attest"), ("verstat", "Verstat"), ("flags", "Flags"),
    ("start_corrected", "Start, corrected (UTC)"),
)
#: Key of the skew-corrected start: last in ``COLUMNS`` so earlier column numbers stay put
#: (the calls table shows it beside "Start (UTC)").
CORRECTED = "start_corrected"
DICT_COLUMNS = ("calling", "called", "disposition", "ingress", "egress", "attest", "verstat")
NUMERIC_COLUMNS = ("line", "start", "duration", "flags", "calling_key", "called_key")
#: What a frame reads from the store, in one ``CdrStore.columns`` call per source.
FRAME_FIELDS: tuple[str, ...] = NUMERIC_COLUMNS + DICT_COLUMNS
#: What ``record_fields`` adds from the store for one row.
RECORD_FIELDS: tuple[str, ...] = ("answer", "end", "origid", "call_id", "identity_present")
SMALL_DICT = 200_000  # dictionaries up to this size are kept as Python lists


@dataclass
class CallFilter:
    """What the investigator asked to see; empty fields do not filter."""

    number: str = ""
    which: str = "either"  # "either" | "calling" | "called"
    start_us: int | None = None
    end_us: int | None = None
    providers: list[str] | None = None  # canonical names
    sources: list[int] | None = None  # source indexes (``SourceFrame.index``)
    disposition: str | None = None
    ingress: str | None = None  # one trunk or customer account; "" = rows with no ingress
    sort: str | None = "start"  # a COLUMNS key
    descending: bool = False


@dataclass
class CallRows:
    """The rows of a query result, in display order."""

    source: np.ndarray  # int32 source index per displayed row
    row: np.ndarray  # int64 row of that source's table
    total: int = 0  # rows considered before filtering
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.row)


class _DictColumn:
    """A dictionary-encoded column as int codes (-1 = null) over one dictionary.

    Takes what a store returns: dictionary-encoded strings (the embedded store, zero-copy)
    or plain strings (a SQL backend), which are dictionary-encoded here, once. A column of
    one chunk (the embedded store's memory-mapped cache) is read in place: its indices and
    validity bits are numpy views of the mapped buffers, so a 10 M-row case costs no copy
    (28 bytes a row for the seven columns before); codes for many rows are made only for
    the rows a query asks for, in the worker that asks."""

    def __init__(self, col: pa.ChunkedArray | pa.Array):
        if not pa.types.is_dictionary(col.type):
            col = pc.dictionary_encode(col)
        if isinstance(col, pa.ChunkedArray):
            chunks = col.unify_dictionaries().chunks if col.num_chunks > 1 else col.chunks
        else:
            chunks = [col]
        self._valid: np.ndarray | None = None  # validity bits (LSB first), None: no nulls
        self._offset = 0
        if not chunks:
            self.dictionary = pa.array([], pa.string())
            self._view = np.zeros(0, np.int32)
        elif len(chunks) == 1:
            self.dictionary = chunks[0].dictionary
            self._view, self._valid, self._offset = _index_view(chunks[0].indices)
        else:  # several chunks (not the embedded cache): one concatenated copy
            self.dictionary = chunks[0].dictionary
            self._view = np.concatenate([
                c.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
                for c in chunks])
        self.n = len(self._view)
        self._list = self.dictionary.to_pylist() if len(self.dictionary) <= SMALL_DICT else None

    def code(self, row: int) -> int:
        """The code of one row (-1: null)."""
        if self._valid is not None:
            bit = self._offset + row
            if not (int(self._valid[bit >> 3]) >> (bit & 7)) & 1:
                return -1
        return int(self._view[row])

    def codes_at(self, rows: np.ndarray) -> np.ndarray:
        """Codes of ``rows`` (-1 for nulls), a new array of their length."""
        codes = self._view[rows]
        if self._valid is not None:
            bits = rows + self._offset
            ok = (self._valid[bits >> 3] >> (bits & 7).astype(np.uint8)) & 1
            codes = np.where(ok.astype(bool), codes, -1)
        return codes

    @property
    def codes(self) -> np.ndarray:
        """Codes of every row: the mapped indices themselves when the column has no nulls,
        else a new array (a query's temporary, never kept)."""
        if self._valid is None:
            return self._view
        return self.codes_at(np.arange(self.n, dtype=np.int64))

    def value(self, row: int) -> str | None:
        code = self.code(row)
        if code < 0:
            return None
        if self._list is not None:
            return self._list[code]
        return self.dictionary[code].as_py()

    def values(self) -> list:
        """The dictionary as Python values."""
        return self._list if self._list is not None else self.dictionary.to_pylist()

    @cached_property
    def ranks(self) -> np.ndarray:
        """Sort rank of every dictionary entry, code -1 (null) last; computed once per column."""
        order = pc.array_sort_indices(self.dictionary, null_placement="at_end").to_numpy()
        rank = np.empty(len(order) + 1, dtype=np.int64)
        rank[order] = np.arange(len(order))
        rank[-1] = len(order)  # code -1 indexes here: nulls sort last
        return rank

    def lut(self, mask: np.ndarray) -> np.ndarray:
        """Row mask from a mask over the dictionary (nulls never match)."""
        return np.append(mask, False)[self.codes]


def _index_view(indices: pa.Array) -> tuple[np.ndarray, np.ndarray | None, int]:
    """(indices as a numpy view of the Arrow buffer, validity bits or None, bit offset)."""
    width = np.dtype(indices.type.to_pandas_dtype())
    bufs = indices.buffers()
    off, n = indices.offset, len(indices)
    view = np.frombuffer(bufs[1], dtype=width, count=off + n)[off:] if n else \
        np.zeros(0, width)
    valid = None
    if indices.null_count and bufs[0] is not None:
        valid = np.frombuffer(bufs[0], dtype=np.uint8)
    return view, valid, off


class SourceFrame:
    """Display-ready columns of one source (built once, then shared by every query).

    ``sid`` is the source's identity (what lookups in the store use); ``index`` is its
    position in the case, kept for ``CallRows.source`` and the source filter."""

    def __init__(self, index: int, sid: SourceId, provider: str, columns: pa.Table,
                 upstream_of, store: CdrStore | None = None):
        self.index, self.sid, self.provider, self.store = index, sid, provider, store
        self.skew_us: int | None = None  # the source's clock offset once estimated (µs)
        self.shared_ranks: dict = {}  # cross-source sort ranks (``_shared_ranks``)
        self.n = columns.num_rows
        self.line = _numeric(columns.column("line"))
        self.start = _numeric(columns.column("start"))
        self.duration = _numeric(columns.column("duration"))
        self.flags = _numeric(columns.column("flags"))
        self.calling_key = _numeric(columns.column("calling_key"))
        self.called_key = _numeric(columns.column("called_key"))
        self.dicts = {name: _DictColumn(columns.column(name)) for name in DICT_COLUMNS}
        self.upstream_names: list[str | None] = [upstream_of(v)
                                                 for v in self.dicts["ingress"].values()]

    def upstream(self, row: int) -> str | None:
        code = self.dicts["ingress"].code(row)
        return None if code < 0 else self.upstream_names[code]

    def display(self, key: str, row: int) -> str:
        """The text of one cell (formatted only when asked for)."""
        if key == "provider":
            return self.provider
        if key == "upstream":
            return self.upstream(row) or ""
        if key in _NUMERIC_CELLS:
            col = "start" if key == CORRECTED else key
            return _format(key, getattr(self, col)[row], self.skew_us)
        return self.dicts[key].value(row) or ""

    def sort_key(self, key: str, rows: np.ndarray) -> np.ndarray:
        if key == "start":  # unreadable times (NAT) sort last, not first
            v = self.start[rows]
            return np.where(v == NAT, np.iinfo(np.int64).max, v)
        if key == CORRECTED:  # unknown skew sorts last, like a missing time
            v = self.start[rows]
            if self.skew_us is None:
                return np.full(len(rows), np.iinfo(np.int64).max, np.int64)
            return np.where(v == NAT, np.iinfo(np.int64).max, v - self.skew_us)
        if key in ("line", "flags"):
            return getattr(self, key)[rows].astype(np.int64)
        if key == "duration":
            d = self.duration[rows]
            return np.where(np.isnan(d), np.inf, d)
        if key == "provider":
            return np.zeros(len(rows), np.int64)
        if key == "upstream":
            return self._upstream_ranks[self.dicts["ingress"].codes_at(rows)]
        col = self.dicts[key]
        return col.ranks[col.codes_at(rows)]

    @cached_property
    def _upstream_ranks(self) -> np.ndarray:
        """Sort rank of the upstream each ingress code names (case-blind, unnamed last)."""
        names = self.upstream_names
        order = sorted(range(len(names)),
                       key=lambda i: (names[i] is None, (names[i] or "").casefold()))
        rank = np.empty(len(names) + 1, np.int64)
        rank[np.asarray(order, dtype=np.int64)] = np.arange(len(names))
        rank[-1] = len(names)  # code -1 (no ingress) sorts last
        return rank


_NUMERIC_CELLS = ("line", "start", CORRECTED, "duration", "flags")


def _format(key: str, value, skew_us: int | None) -> str:
    """The text of a numeric cell (``key`` in ``_NUMERIC_CELLS``) from its stored value."""
    if key == "line":
        return str(int(value))
    if key == "start":
        return display_utc(int(value)) or "—"
    if key == CORRECTED:
        us = int(value)
        if us == NAT or skew_us is None:
            return "—" if us == NAT else ""
        return display_utc(us - skew_us) or "—"
    if key == "duration":
        d = float("nan") if value is None else float(value)
        return "" if np.isnan(d) else f"{d:g}"
    return ", ".join(flag_words(int(value)))  # flags


def _numeric(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A numeric column as numpy (zero-copy where the store's buffers allow it)."""
    if isinstance(col, pa.ChunkedArray):
        return col.to_numpy()
    return col.to_numpy(zero_copy_only=False)


class _Cells:
    """``frame.start[row]``-style reading of one field of a paged frame's rows."""

    def __init__(self, frame: PagedFrame, name: str):
        self.frame, self.name = frame, name

    def __getitem__(self, row) -> object:
        return self.frame.value(self.name, int(row))


class PagedFrame:
    """A source on a store that pages (``pages_calls``): no column is held. The fields of
    the rows the calls table has fetched are kept (the pages themselves, up to
    ``CACHE_ROWS`` rows); a row not seen is read by id. Same reading interface as
    ``SourceFrame`` (``display``, ``line[row]``, ``start[row]``, ``flags[row]``…)."""

    CACHE_ROWS = 200_000

    def __init__(self, index: int, sid: SourceId, provider: str, upstream_of,
                 store: CdrStore, n: int):
        self.index, self.sid, self.provider, self.store, self.n = index, sid, provider, store, n
        self.skew_us: int | None = None
        self.shared_ranks: dict = {}
        self._upstream_of = upstream_of
        self._upstreams: dict[str, str | None] = {}
        self._seen: dict[int, tuple[pa.Table, int]] = {}  # row -> (page, position in it)
        for name in ("line", "start", "duration", "flags", "calling_key", "called_key"):
            setattr(self, name, _Cells(self, name))

    def remember(self, page: pa.Table, positions: np.ndarray) -> None:
        """Keep the fields of these page rows (oldest forgotten beyond ``CACHE_ROWS``)."""
        rows = page.column("row").to_numpy()
        for i in positions.tolist():
            self._seen[int(rows[i])] = (page, i)
        extra = len(self._seen) - self.CACHE_ROWS
        if extra > 0:
            for row in list(self._seen)[:extra]:
                del self._seen[row]

    def value(self, field: str, row: int) -> object:
        """One field of one row: from a fetched page, else read from the store."""
        hit = self._seen.get(row)
        if hit is None:
            page = self.store.rows(self.sid, np.array([row], dtype=np.int64),
                                   CALLS_PAGE_FIELDS)
            hit = (page, 0)
            self._seen[row] = hit
        table, i = hit
        return table.column(field)[i].as_py()

    def upstream(self, row: int) -> str | None:
        ingress = self.value("ingress", row)
        if ingress is None:
            return None
        if ingress not in self._upstreams:
            self._upstreams[ingress] = self._upstream_of(ingress)
        return self._upstreams[ingress]

    def display(self, key: str, row: int) -> str:
        if key == "provider":
            return self.provider
        if key == "upstream":
            return self.upstream(row) or ""
        if key in _NUMERIC_CELLS:
            return _format(key, self.value("start" if key == CORRECTED else key, row),
                           self.skew_us)
        return str(self.value(key, row) or "")

    @cached_property
    def ingress_values(self) -> list[str]:
        """The source's distinct ingress ids (one grouping query)."""
        return [ing for ing, _ in self.store.ingress_counts([self.sid])[self.sid]]

    @property
    def upstream_names(self) -> list[str | None]:
        return [self._upstream_of(v) for v in self.ingress_values]

    def disposition_values(self) -> list[str]:
        return self.store.distinct(self.sid, "disposition")  # type: ignore[attr-defined]


class CallsPager:
    """A calls query on a store that pages: the rows fetched so far (``source``, ``row``,
    like ``CallRows``), how many match (``len``), and the next page on demand.

    ``next_page`` only reads (a worker may run it); ``add`` takes a page in (the GUI
    thread, or the worker that built the pager before handing it over). Pages continue
    after the last row fetched (keyset), so scrolling far costs no OFFSET scan."""

    PAGE = 1000

    def __init__(self, frames: list[PagedFrame], flt: CallFilter, *,
                 default_country: str = "US"):
        want_key, digits, self.notes = _number_target(flt.number, default_country)
        self.frames = frames
        self.chosen = [f for f in frames if _source_selected(f, flt)]
        self.total = sum(f.n for f in self.chosen)
        self.store = frames[0].store
        names = sorted({x.provider for x in frames})
        rank = {name: i for i, name in enumerate(names)}
        sort = {"provider": "source", CORRECTED: "start_corrected"}.get(flt.sort or "",
                                                                         flt.sort)
        self.query = CallsQuery(
            sources=tuple(f.sid for f in self.chosen), number_key=want_key, digits=digits,
            which=flt.which, start_us=flt.start_us, end_us=flt.end_us,
            disposition=flt.disposition or None, ingress=flt.ingress, sort=sort,
            descending=flt.descending,
            source_rank=tuple(rank[f.provider] for f in self.chosen),
            skew_us=tuple(f.skew_us for f in self.chosen),
            ingress_rank=(_upstream_rank_maps(self.chosen) if sort == "upstream" else ()))
        self._index = np.array([f.index for f in self.chosen], dtype=np.int32)
        self.source = np.zeros(0, np.int32)
        self.row = np.zeros(0, np.int64)
        self.matched = -1
        self._after: dict | None = None

    def __len__(self) -> int:
        """Rows matching the query (fetched or not)."""
        return max(self.matched, len(self.row))

    @property
    def loaded(self) -> int:
        return len(self.row)

    @property
    def more(self) -> bool:
        return self.loaded < self.matched

    def next_page(self, *, first: bool = False, limit: int | None = None) -> CallsPage:
        """The page after the rows fetched so far (with the count when ``first``)."""
        if not self.chosen:
            return CallsPage(pa.Table.from_pydict({"src": pa.array([], pa.int32()),
                                                   "row": pa.array([], pa.int64())}), 0)
        return self.store.calls_page(  # type: ignore[attr-defined]
            self.query, limit or self.PAGE, self._after, count=first)

    def add(self, page: CallsPage) -> int:
        """Append a page's rows; returns how many it added."""
        t = page.rows
        if page.matched >= 0:
            self.matched = page.matched
        n = t.num_rows
        if n == 0:
            self.matched = self.loaded  # nothing after the last row: the count is exact
            return 0
        pos = t.column("src").to_numpy()
        rows = t.column("row").to_numpy().astype(np.int64)
        for p in np.unique(pos).tolist():
            self.chosen[p].remember(t, np.flatnonzero(pos == p))
        self.source = np.concatenate([self.source, self._index[pos]])
        self.row = np.concatenate([self.row, rows])
        self._after = t.slice(n - 1).to_pylist()[0]
        self.matched = max(self.matched, self.loaded)
        return n


def _upstream_rank_maps(chosen: list[PagedFrame]) -> tuple[dict[str, int], ...]:
    """Per source, {ingress: rank of its upstream name} on one case-blind scale (an
    ingress with no upstream is left out: it sorts last)."""
    named = [list(zip(f.ingress_values, f.upstream_names, strict=True)) for f in chosen]
    folded = sorted({n.casefold() for pairs in named for _, n in pairs if n is not None})
    at = {v: i for i, v in enumerate(folded)}
    return tuple({ing: at[n.casefold()] for ing, n in pairs if n is not None}
                 for pairs in named)


def build_frames(case) -> list:
    """One frame per source of ``case``: a ``SourceFrame`` over whole columns on the
    embedded store (cheap: views over the cached tables; one ``columns`` call per source),
    a ``PagedFrame`` holding nothing on a store that pages (a lake of any size)."""
    frames: list = []
    paged = pages_calls(case.store)
    for i, src in enumerate(case.sources):
        def upstream_of(ingress, src=src):
            up, cust = case.upstream_of(src, ingress)
            return up or (f"customer {cust}" if cust else None)
        sid = src.id
        if paged:
            frames.append(PagedFrame(i, sid, case.directory.canonical(src.provider),
                                     upstream_of, case.store, case.store.summary(sid).rows))
            continue
        frames.append(SourceFrame(i, sid, case.directory.canonical(src.provider),
                                  case.store.columns(sid, FRAME_FIELDS), upstream_of,
                                  case.store))
    return frames


def apply_skew(frames: list[SourceFrame], skew: Mapping[SourceId, Skew] | None) -> int:
    """Give each frame its source's estimated clock offset (``Skew.offset_s``), so the
    corrected start reads ``start - offset``; a source whose skew could not be estimated
    (basis "insufficient") or is missing from ``skew`` gets none. Returns how many got one."""
    n = 0
    for f in frames:
        s = skew.get(f.sid) if skew else None
        if s is None or s.basis == "insufficient" or not np.isfinite(s.offset_s):
            f.skew_us = None
        else:
            f.skew_us = int(round(s.offset_s * 1_000_000))
            n += 1
    return n


def dispositions(frames: list) -> list[str]:
    """Every disposition value seen in the case, sorted (a paged source asks its store)."""
    return sorted({v for f in frames for v in (
        f.disposition_values() if isinstance(f, PagedFrame) else f.dicts["disposition"].values())
        if v})


def query(frames: list, flt: CallFilter, *, default_country: str = "US",
          progress: ProgressFn = no_progress, should_stop: StopFn = never_stop
          ) -> CallRows | CallsPager:
    """Rows matching ``flt`` across the selected sources, sorted as asked: every row on
    the embedded store; on a store that pages, a ``CallsPager`` holding its first page."""
    if frames and all(isinstance(f, PagedFrame) for f in frames):
        pager = CallsPager(frames, flt, default_country=default_country)
        progress(0.1, "querying the store")
        pager.add(pager.next_page(first=True))
        progress(1.0, f"{len(pager):,} rows")
        return pager
    want_key, digits, notes = _number_target(flt.number, default_country)
    src_parts, row_parts, key_parts = [], [], []
    total = 0
    chosen = [f for f in frames if _source_selected(f, flt)]
    provider_rank = {name: i for i, name in enumerate(sorted({x.provider for x in frames}))}
    shared = _shared_ranks(chosen, flt.sort) if flt.sort in _RANKED else None
    for k, f in enumerate(chosen):
        check(should_stop)
        progress(k / max(len(chosen), 1), f"filtering {f.provider}")
        total += f.n
        mask = _mask(f, flt, want_key, digits)
        rows = np.flatnonzero(mask) if mask is not None else np.arange(f.n, dtype=np.int64)
        src_parts.append(np.full(len(rows), f.index, dtype=np.int32))
        row_parts.append(rows.astype(np.int64, copy=False))
        if flt.sort:
            if shared is not None:
                col = f.dicts["ingress" if flt.sort == "upstream" else flt.sort]
                key = shared[k][col.codes_at(rows)]
            else:
                key = f.sort_key(flt.sort, rows)
            if flt.sort == "provider":
                key = key + provider_rank[f.provider]
            key_parts.append(key)
    if not row_parts:
        return CallRows(np.zeros(0, np.int32), np.zeros(0, np.int64), total, notes)
    # parts are dropped as soon as they are joined: on 10 M rows each one is 40-80 MB
    src = np.concatenate(src_parts)
    rows = np.concatenate(row_parts)
    del src_parts, row_parts
    if flt.sort and len(rows) > 1:
        check(should_stop)
        progress(0.9, "sorting")
        key = np.concatenate(key_parts)
        del key_parts
        if flt.descending:
            key = -key.astype(np.float64) if key.dtype.kind == "f" else np.negative(key,
                                                                                   out=key)
        order = np.argsort(key, kind="stable")
        del key
        src, rows = src[order], rows[order]
        del order
    progress(1.0, f"{len(rows):,} rows")
    return CallRows(src, rows, total, notes)


#: Sort keys whose order across sources needs ranks shared by every chosen source.
_RANKED = (*DICT_COLUMNS, "upstream")


def _shared_ranks(chosen: list[SourceFrame], key: str) -> list[np.ndarray] | None:
    """Per chosen frame, the rank of each dictionary code of ``key``'s column (plus one for
    null, last) on one scale for all of them: equal values share a rank, so ties fall to
    source order, then row (what a SQL store's ORDER BY gives). One source alone keeps its
    own dictionary's ranks, except for upstream names, whose equal names must tie too.
    Cached on the first frame (per key and choice of sources)."""
    if key != "upstream" and len(chosen) < 2:
        return None
    if not chosen:
        return []
    cache = chosen[0].shared_ranks
    ident = (key, tuple(f.index for f in chosen))
    if ident in cache:
        return cache[ident]
    if key == "upstream":
        folded = sorted({n.casefold() for f in chosen for n in f.upstream_names
                         if n is not None})
        at = {v: i for i, v in enumerate(folded)}
        out = [np.array([at[n.casefold()] if n is not None else len(folded)
                         for n in f.upstream_names] + [len(folded)], dtype=np.int64)
               for f in chosen]
    else:
        dicts = [f.dicts[key].dictionary.cast(pa.string()) for f in chosen]
        joined = pa.concat_arrays(dicts) if dicts else pa.array([], pa.string())
        ranks = (pc.rank(joined, sort_keys="ascending", tiebreaker="dense").to_numpy().astype(np.int64) - 1
                 if len(joined) else np.zeros(0, np.int64))
        top = int(ranks.max()) + 1 if len(ranks) else 0
        out, at = [], 0
        for d in dicts:
            out.append(np.append(ranks[at:at + len(d)], top))  # null code -1: last
            at += len(d)
    cache[ident] = out
    return out


def _source_selected(f: SourceFrame, flt: CallFilter) -> bool:
    if flt.sources is not None and f.index not in flt.sources:
        return False
    return flt.providers is None or f.provider in flt.providers


def _number_target(text: str, country: str) -> tuple[int, str, list[str]]:
    """(E.164 key or -1, digits to search for as a substring, notes)."""
    text = (text or "").strip()
    if not text:
        return -1, "", []
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 10:
        _, key, _ = normalize_one(text, country)
        if key >= 0:
            return key, "", [f"number {text} read as +{key}"]
    return -1, digits or text, [f"numbers containing '{digits or text}'"]


def _mask(f: SourceFrame, flt: CallFilter, want_key: int, digits: str) -> np.ndarray | None:
    mask = None

    def both(m):
        nonlocal mask
        mask = m if mask is None else (mask & m)

    if want_key >= 0:
        m = np.zeros(f.n, bool)
        if flt.which in ("either", "calling"):
            m |= f.calling_key == want_key
        if flt.which in ("either", "called"):
            m |= f.called_key == want_key
        both(m)
    elif digits:
        m = np.zeros(f.n, bool)
        for name in ("calling", "called"):
            if flt.which in ("either", name):
                col = f.dicts[name]
                hit = pc.match_substring(col.dictionary, digits).fill_null(False)
                m |= col.lut(hit.to_numpy(zero_copy_only=False))
        both(m)
    if flt.start_us is not None:
        both((f.start >= flt.start_us) & (f.start != NAT))
    if flt.end_us is not None:
        both((f.start <= flt.end_us) & (f.start != NAT))
    if flt.disposition:
        col = f.dicts["disposition"]
        hit = pc.equal(col.dictionary, flt.disposition).fill_null(False)
        both(col.lut(hit.to_numpy(zero_copy_only=False)))
    if flt.ingress is not None:
        col = f.dicts["ingress"]
        hit = pc.equal(col.dictionary, flt.ingress).fill_null(False)
        m = col.lut(hit.to_numpy(zero_copy_only=False))
        both(m | (col.codes < 0) if flt.ingress == "" else m)  # nulls: "no ingress"
    return mask


def record_fields(f: SourceFrame, row: int,
                  store: CdrStore | None = None) -> list[tuple[str, str]]:
    """(label, normalized value) of one row, for a details pane (the frame's store unless
    ``store`` is given)."""
    out = [(title, f.display(key, row)) for key, title in COLUMNS]
    store = store if store is not None else f.store
    if store is None:
        raise ValueError(f"no store to read row {row} of {f.sid} from")
    r = store.rows(f.sid, np.array([row], dtype=np.int64), RECORD_FIELDS).to_pylist()[0]
    for key in ("answer", "end"):
        if r.get(key) not in (None, NAT):
            out.append((key.capitalize() + " (UTC)", iso_utc(int(r[key]))))
    for key in ("origid", "call_id"):
        if r.get(key):
            out.append((key, str(r[key])))
    out.append(("Identity header", "present" if r.get("identity_present") else "absent"))
    return out


__all__ = ["COLUMNS", "CORRECTED", "FRAME_FIELDS", "apply_skew", "RECORD_FIELDS", "CallFilter",
           "CallRows", "CallsPager", "PagedFrame", "SourceFrame", "build_frames",
           "dispositions", "query", "record_fields"]
