"""A batch's plain chains decided a hop level at a time with numpy, not call by call.

Most calls of a batch follow one shape: the traceback record's first provider holds the
call (for a plain call, numbers and time only: exactly one holder of the call that no
other holder names upstream, on its own clock, every provider of the case with one plain
source; ``Columnar._terminating``), every provider on the way has one source and exactly
one record of the pair in the window (no row in a repeated local hour, a length that fits
the downstream record), and the chain ends at a customer, an unmapped ingress, a loop, a
provider without CDRs, or a reliable clock with no record in the window. For those, what
decides the chain (window counts, the lone row, its length, its ingress and what it names)
is computed here over all open calls of a level at once, through the store protocol (one
``CdrStore.candidates`` a level, shared with the calls on the general path), so any
backend serves it. A plain call's first level asks every source for its pair, and each
later hop of its chain asks one of those sources for the same pair: the same rows, so its
whole chain is decided from that first answer, with no further query. A call whose level
shows anything else (rivals in the window, a repeated hour, fallbacks allowed, several
sources, an answer-time ring estimate) leaves: its own step generator
(``engine.trace_steps``) is run through the store answers it already had and goes on with
the general path, in the next level queries.

The result objects of a decided chain are built when first read (``LazyTrace``, in
place), by the functions a single trace uses: the lone row scored by ``_Search.candidate``
and ``fast_match._confidence`` as quick_match scores it, the hop by ``engine._hop_from``,
the ends and the last steps by the engine's own (``end_*``, ``ends_at``, ``finish``).

Equality with the general path is tested in tests/test_batch_columnar.py (whole batches,
and Hypothesis over generated chains with decoys) and tests/test_batch_columnar_tracks.py
(records, plain calls and errors in one batch; a plain chain from one query).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa

from workbench.case.model import Case
from workbench.columns.arrow_numpy import coded_texts, to_numpy
from workbench.columns.times import NAT, US
from workbench.common.errors import InputError
from workbench.ingest.tracebacks import Traceback
from workbench.store.normalize import F_TIME_AMBIGUOUS
from workbench.store.protocol import CallKey, SourceId
from workbench.store.source import CdrSource
from workbench.trace.engine import (
    Call,
    CaseView,
    Need,
    Steps,
    _Clock,
    _hop_from,
    _Lookup,
    end_in_loop,
    end_not_found,
    end_without_records,
    ends_at,
    finish,
    trace_steps,
)
from workbench.trace.fast_match import LevelRows, _confidence, quick_match
from workbench.trace.match import (
    DURATION_SLACK_S,
    Match,
    PairRows,
    _Search,
    settle_pass,
    tolerance_for,
)
from workbench.trace.results import Note, NoteKind, Outcome, Skew, TraceResult

#: how a chain decided here ends (the hop kinds ``materialize`` builds)
ORIGIN_OR_UNMAPPED, NOT_FOUND, NO_RECORDS, LOOP = range(4)


class Answer:
    """One hop level's store answer (the keys of every open call, columnar ones first):
    numpy columns for the decisions; the ``LevelRows`` that scoring and find_call read,
    converted when first needed."""

    __slots__ = ("got", "cuts", "_cut_list", "_rows", "_asked", "_cols", "_ingress")

    def __init__(self, got: pa.Table, n_keys: int):
        self.got = got  # CdrStore.candidates' table for the level's keys
        self._cols: dict[str, np.ndarray] = {}
        self._ingress: tuple[np.ndarray, list[str | None]] | None = None
        q = self.numbers("q")  # ordered by q: each key's rows are one slice
        self.cuts: np.ndarray = np.searchsorted(q, np.arange(n_keys + 1), "left")
        self._cut_list: list[int] | None = None
        self._rows: LevelRows | None = None
        self._asked = 0  # lookups handed to the general path

    def numbers(self, name: str) -> np.ndarray:
        """A numeric column of the answer as numpy, converted once (every level step and
        the terminating step read the same few)."""
        got = self._cols.get(name)
        if got is None:
            got = self._cols[name] = to_numpy(self.got.column(name))
        return got

    def ingresses(self) -> tuple[np.ndarray, list[str | None]]:
        """Every row's ingress as a code into a list of the distinct values (None last, for
        a row without one), worked out once (a plain list's levels all read the first
        answer)."""
        if self._ingress is None:
            self._ingress = coded_texts(self.got.column("ingress").combine_chunks())
        return self._ingress

    def rows(self) -> LevelRows:
        if self._rows is None:
            self._rows = LevelRows(PairRows.from_table(self.got))
        return self._rows

    def cut_list(self) -> list[int]:
        if self._cut_list is None:
            self._cut_list = self.cuts.tolist()
        return self._cut_list

    def lookup(self, need: Need, first: int, fast: bool = True) -> _Lookup:
        """The general path's view of this answer for a need whose keys start at ``first``
        (``fast``: plain shapes settled by quick_match). The level's rows are converted
        whole once many calls ask (or its results are built); a few calls that left the
        columnar path get their own rows only."""
        self._asked += 1
        if self._rows is None and self._asked <= _OWN_ROWS_UP_TO:
            n = len(need.source_ids)
            a, b = int(self.cuts[first]), int(self.cuts[first + n])
            own = LevelRows(PairRows.from_table(self.got.slice(a, b - a)))
            return _Lookup(need, own, (self.cuts[first:first + n + 1] - a).tolist(), 0, fast)
        return _Lookup(need, self.rows(), self.cut_list(), first, fast)


#: lookups of a level served from their own rows before the whole level is converted
_OWN_ROWS_UP_TO = 64


class _Asked(NamedTuple):
    """One level's lookup of a columnar call: the answer, its key there and the source."""

    answer: Answer
    key: int
    src: CdrSource


class Plan(NamedTuple):
    """A columnar call's inputs (its chain is in ``Columnar``'s level columns)."""

    slot: int  # the call's position in the batch
    call: Call
    traceback: Traceback | None  # None: a plain call (numbers and time only)


class _Open(NamedTuple):
    """The open calls of a track at a level, one entry per call (columns)."""

    ci: np.ndarray  # the call's slot in the batch
    src: np.ndarray  # the source code asked at this level
    ref: np.ndarray  # the time searched for, reference clock (µs)
    dur: np.ndarray  # the downstream record's length (NaN: none)
    pc: np.ndarray  # the provider code asked
    mask: np.ndarray  # the providers visited, as bits
    kq: np.ndarray  # the call's key in the level's answer


class _Level(NamedTuple):
    """What one level decided, per open call (in open order)."""

    answer: Answer
    key_of: list[int]  # per call of the batch: its place among the open (-1: not asked)
    key: list[int]  # per open call: its key in ``answer``
    src: list[int]  # per open call: the source code
    provider: list[int]  # per open call: the provider code
    row: list[int]  # per open call: the lone row in the window (in ``answer``), -1: none


class _Built(NamedTuple):
    """What building a result reads, as Python values (``Columnar._for_results``)."""

    end: list[int]  # per call of the batch: how its chain ended (-1: not decided here)
    end_provider: list[int]
    per_src: list[tuple[CdrSource, int, float, bool, _Clock]]  # per source code
    rows: list[PairRows | None]  # per record level: its answer's rows as lists, once read
    plain_rows: list[PairRows | None]  # the same per plain level


#: the provider codes a visited-set bit mask holds (further providers go the general way)
_MAX_PROVIDERS = 62


class Columnar:
    """The columnar part of one batch (see the module's docstring).

    Two tracks of open calls: the traceback records' (one store query a level, shared with
    the general path) and the plain calls'. A plain call's first level asks every source
    of the case for the call's pair, and every later hop asks one of those sources for the
    same pair again: the same rows, so a plain chain is decided to its end from that first
    answer (no further store query)."""

    def __init__(self, case: Case, view: CaseView, skew: Mapping[SourceId, Skew],
                 tolerance_s: float | None, n_calls: int):
        self.case, self.view, self.skew = case, view, skew
        self.tol = float(tolerance_s if tolerance_s is not None else case.config.tolerance_s)
        self.tolerance_s = tolerance_s
        self.clocks = view.clocks(skew)
        self.n = n_calls
        # the batch's calls (set by ``admit_all``): per slot, and the numbers as columns
        self.calls: Sequence[Call | InputError] = ()
        self.tracebacks: Sequence[Traceback | None] = ()
        self._called = np.zeros(0, np.int64)
        self._calling = np.zeros(0, np.int64)
        # sources and providers as small codes (columns hold codes)
        self.sources: list[CdrSource] = []
        self._ids: list[SourceId] = []
        self._code: dict[CdrSource, int] = {}
        self._skew_us: list[int] = []
        self._half: list[int] = []
        self._tol: list[float] = []  # the matching window (s), as find_call widens it
        self._answer: list[bool] = []  # answer-time records
        self._reliable: list[bool] = []
        self.providers: list[str] = []
        self._pcode: dict[str, int] = {}
        self._psrc: list[int] = []  # per provider: its lone source's code, -1 general, -2 none
        # the traceback records' track: the calls waiting for the next level, the open ones
        self._next: _Open = _none()
        self.open: _Open = _none()
        self.levels: list[_Level] = []
        # the plain calls' track: their first level asks every source of the case, as the
        # terminating step does (``_terminating`` decides who holds the call)
        self._plain = np.zeros(0, np.int64)  # their slots, waiting for the first level
        self._plain_at = np.zeros(0, np.int64)
        self._plain_j = np.full(n_calls, -1, np.int64)  # per slot: its place among them
        self._plain_base = 0  # their first key at the first level
        self._answer0: Answer | None = None
        self._all: tuple[np.ndarray, np.ndarray] | None = None  # per case source: src, pc
        self._pos = np.zeros(0, np.int64)  # per source code: its place among the case's
        self._all_ok: bool | None = None
        self.plain_levels: list[_Level] = []
        # how each call's chain ended (per call of the batch)
        self.end = np.full(n_calls, -1, np.int8)
        self.end_provider = np.full(n_calls, -1, np.int64)
        self._built: _Built | None = None  # what building results reads (``_for_results``)

    def waiting(self) -> int:
        """How many calls wait for the next level's lookups."""
        return len(self._next.ci) + len(self._plain)

    def plan(self, slot: int) -> Plan:
        call = self.calls[slot]
        assert isinstance(call, Call)
        return Plan(slot, call, self.tracebacks[slot])

    # -- which calls, which sources ------------------------------------------------------
    def _source(self, sources: Sequence[CdrSource]) -> int:
        """The code of a provider's lone source, -1 where the general path must weigh it
        (several sources, or a ring time estimated apart from the clock)."""
        if len(sources) != 1:
            return -1
        src = sources[0]
        code = self._code.get(src)
        if code is None:
            clock = self.clocks.get(src)
            ok = clock is not None and clock.answer_lag_s is None
            code = self._code[src] = len(self.sources) if ok else -1
            if ok:
                assert clock is not None
                self.sources.append(src)
                self._ids.append(src.id)
                self._skew_us.append(int(round(clock.offset_s * US)))
                self._tol.append(tolerance_for(src.summary, self.tol))
                self._half.append(int(self._tol[-1] * US))
                self._answer.append(src.summary.time_basis == "answer")
                self._reliable.append(clock.reliable)
        return code

    def _provider(self, name: str) -> int:
        code = self._pcode.get(name)
        if code is None:
            code = self._pcode[name] = len(self.providers)
            self.providers.append(name)
            sources = self.view.sources_of(name)
            self._psrc.append(-2 if not sources else
                              self._source(sources) if code < _MAX_PROVIDERS else -1)
        return code

    def _plain_ready(self) -> bool:
        """Whether plain calls can be decided here: every provider with records has one
        source with a plain clock (no ring-time estimate), each source some provider's."""
        if self._all_ok is None:
            src_pc: dict[CdrSource, tuple[int, int]] = {}
            ok = True
            for name in self.view.providers_with_records():
                pc = self._provider(name)
                code = self._psrc[pc]
                if code < 0 or pc >= _MAX_PROVIDERS:
                    ok = False
                    break
                src_pc[self.sources[code]] = (code, pc)
            sources = self.case.sources
            ok = ok and len(src_pc) == len(sources) and all(s in src_pc for s in sources)
            if ok:
                self._all = (np.array([src_pc[s][0] for s in sources], np.int64),
                             np.array([src_pc[s][1] for s in sources], np.int64))
            self._all_ok = ok
        return self._all_ok

    def _first_provider(self, name: str) -> int:
        """The code of a traceback record's first provider where its chain can start here
        (it has records, on one source with a plain clock), else -1."""
        first = self.view.canonical(name) or ""
        if first not in self.view.providers_with_records():
            return -1
        pc = self._provider(first)
        return pc if self._psrc[pc] >= 0 else -1

    def admit_all(self, calls: Sequence[Call | InputError],
                  tracebacks: Sequence[Traceback | None], called_key: np.ndarray,
                  calling_key: np.ndarray, at_us: Sequence[int]) -> list[int]:
        """Take every call whose trace starts at its traceback record's first provider, on
        one source, and every plain call where each provider has one plain source; the
        others' slots are returned (the general way from the start; errors left out).
        ``called_key``, ``calling_key`` and ``at_us`` are the calls' columns (per slot)."""
        self.calls, self.tracebacks = calls, tracebacks
        self._called = np.asarray(called_key, np.int64)
        self._calling = np.asarray(calling_key, np.int64)
        rest: list[int] = []
        plain: list[int] = []
        ci: list[int] = []
        pcs: list[int] = []
        first_of: dict[str, int] = {}  # a record's first provider as written: its code
        for i, (call, tb) in enumerate(zip(calls, tracebacks)):
            if not isinstance(call, Call):
                continue
            if tb is None:
                if call.alt_us == NAT and self._plain_ready():
                    plain.append(i)
                else:
                    rest.append(i)
                continue
            if not tb.hops or call.alt_us != NAT:
                rest.append(i)
                continue
            name = tb.hops[0].provider
            pc = first_of.get(name)
            if pc is None:
                pc = first_of[name] = self._first_provider(name)
            if pc < 0:
                rest.append(i)
            else:
                ci.append(i)
                pcs.append(pc)
        cia = np.array(ci, np.int64)
        pca = np.array(pcs, np.int64)
        src = np.asarray(self._psrc, np.int64)[pca]
        # the first hop searches the record's time on the reference clock: the source's own
        # clock reads it back as ``at`` itself, as the terminating step's glance does
        ref = np.array([at_us[i] for i in ci], np.int64) - np.asarray(
            self._skew_us, np.int64)[src]
        self._next = _Open(cia, src, ref, np.full(len(ci), np.nan), pca, np.left_shift(1, pca),
                           np.zeros(len(ci), np.int64))
        self._plain = np.array(plain, np.int64)
        self._plain_at = np.array([at_us[i] for i in plain], np.int64)
        self._plain_j[self._plain] = np.arange(len(plain))
        return rest

    # -- a level ---------------------------------------------------------------------------
    def keys(self) -> list[CallKey]:
        """This level's lookups: one per open record call, then (at the first level) every
        source for each plain call; the general path's keys follow."""
        self.open = self._next._replace(kq=np.arange(len(self._next.ci), dtype=np.int64))
        self._next = _none()
        ids, ci = self._ids, self.open.ci
        keys = _call_keys(list(map(ids.__getitem__, self.open.src.tolist())),
                          self._called[ci].tolist(), self._calling[ci].tolist())
        if len(self._plain):  # every source of the case, in the case's order (as a Need)
            assert self._all is not None
            self._plain_base = len(keys)
            every = [ids[c] for c in self._all[0].tolist()]
            p, n_s = self._plain, len(every)
            keys += _call_keys(every * len(p), np.repeat(self._called[p], n_s).tolist(),
                               np.repeat(self._calling[p], n_s).tolist())
        return keys

    def decide(self, answer: Answer | None) -> list[Plan]:
        """The level's calls decided from ``answer`` (their keys first in it): the calls
        that leave for the general path are returned; the others ended or stay open."""
        gone: list[np.ndarray] = []
        if len(self._plain):
            assert answer is not None
            self._answer0 = answer
            gone.append(self._decide_plain(answer))
        if len(self.open.ci):
            assert answer is not None
            self._next, left = self._step(answer, 0, len(self.open.ci), self.open,
                                          len(self.levels), self.levels)
            gone.insert(0, left)
        self.open = _none()
        if not gone:
            return []
        return [self.plan(i) for i in np.concatenate(gone).tolist()]

    def _decide_plain(self, answer: Answer) -> np.ndarray:
        """The plain calls' chains, every level from the first answer (the same pair asked
        of the same source is the same rows); returns the slots that leave."""
        assert self._all is not None
        n_s = len(self._all[0])
        lo = self._plain_base
        hi = lo + len(self._plain) * n_s
        gone, now = self._terminating(answer)
        self._plain = np.zeros(0, np.int64)
        out = [gone]
        pos = self._pos
        depth = 0
        while len(now.ci):
            nxt, left = self._step(answer, lo, hi, now, depth, self.plain_levels)
            out.append(left)
            at = pos[nxt.src] if len(pos) else np.zeros(0, np.int64)
            if (at < 0).any():  # a source outside the first answer (never seen): general
                out.append(nxt.ci[at < 0])
                keep = at >= 0
                nxt, at = _Open(*(c[keep] for c in nxt)), at[keep]
            now = nxt._replace(kq=lo + self._plain_j[nxt.ci] * n_s + at)
            depth += 1
        return np.concatenate(out)

    def _step(self, answer: Answer, lo: int, hi: int, now: _Open, depth: int,
              levels: list[_Level]) -> tuple[_Open, np.ndarray]:
        """One level of a track decided from ``answer`` (its keys are [lo, hi) there):
        the calls still open after it (their keys not yet set), and the slots that leave."""
        ci, src, _, _, pc, mask, kq = now
        key_of = np.full(self.n, -1, np.int64)
        key_of[ci] = np.arange(len(ci))
        kind, row = self._shapes(answer, lo, hi, now, depth)
        levels.append(_Level(answer, key_of.tolist(), kq.tolist(), src.tolist(), pc.tolist(),
                             np.where(kind == _FOUND, row, -1).tolist()))
        f = np.flatnonzero(kind == _FOUND)
        up, goes_on = self._named(answer, row[f], src[f])
        nxt = f[goes_on]
        up = up[goes_on]
        ends = f[~goes_on]
        self.end[ci[ends]] = ORIGIN_OR_UNMAPPED
        far = up >= _MAX_PROVIDERS  # beyond the visited mask: the general way
        left_far = ci[nxt[far]]
        nxt, up = nxt[~far], up[~far]
        loop = (mask[nxt] & np.left_shift(1, up)) != 0
        self.end[ci[nxt[loop]]] = LOOP
        self.end_provider[ci[nxt[loop]]] = up[loop]
        nxt, up = nxt[~loop], up[~loop]
        psrc = np.asarray(self._psrc, np.int64)[up]
        none = psrc == -2
        self.end[ci[nxt[none]]] = NO_RECORDS
        self.end_provider[ci[nxt[none]]] = up[none]
        go = psrc >= 0
        k = nxt[go]
        rk = row[k]
        corrected = answer.numbers("start")[rk] - np.asarray(self._skew_us, np.int64)[src[k]]
        opened = _Open(ci[k], psrc[go], corrected, answer.numbers("duration")[rk], up[go],
                       mask[k] | np.left_shift(1, up[go]), np.zeros(len(k), np.int64))
        self.end[ci[kind == _NOT_FOUND]] = NOT_FOUND
        return opened, np.concatenate([ci[kind == _OTHER], ci[nxt[psrc == -1]], left_far])

    def _terminating(self, answer: Answer) -> tuple[np.ndarray, _Open]:
        """The terminating step of the plain calls, from their records in every source:
        where each provider has the call on its own clock or the reference clock (a lone
        row in the window, as ``glance`` tells it), and which holder no other holder names
        upstream. A call whose holders are plain, with exactly one such head holding it on
        its own clock, opens at that provider (its first hop's search is that same
        window); the slots of the other plain calls are returned, for the general path."""
        assert self._all is not None
        all_src, all_pc = self._all
        plain = self._plain
        n_p, n_s = len(plain), len(all_src)
        base = self._plain_base
        cuts = answer.cuts[base:base + n_p * n_s + 1]
        r0 = int(cuts[0])
        a, b = cuts[:-1] - r0, cuts[1:] - r0
        sl = slice(r0, int(cuts[-1]))
        q = answer.numbers("q")[sl] - base
        start = answer.numbers("start")[sl]
        flags = answer.numbers("flags")[sl].astype(np.int64)
        at = self._plain_at
        skew_us = np.asarray(self._skew_us, np.int64)
        at_k = np.repeat(at, n_s)
        skew_k = np.tile(skew_us[all_src], n_p)
        half_k = np.tile(np.asarray(self._half, np.int64)[all_src], n_p)

        def window(center: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Per key: rows in ±half of ``center`` and the first of them."""
            inside = (start >= (center - half_k)[q]) & (start <= (center + half_k)[q])
            ins = np.concatenate(([0], np.cumsum(inside)))
            return ins[b] - ins[a], np.searchsorted(ins, ins[a] + 1, "left") - 1

        n_own, row_own = window(at_k)
        n_ref, row_ref = window(at_k + skew_k)
        amb = np.concatenate(([0], np.cumsum((flags & F_TIME_AMBIGUOUS) != 0)))
        has = a < b
        unsure = has & ((amb[b] != amb[a]) | (n_own > 1) | ((n_own == 0) & (n_ref > 1)))
        own = has & ~unsure & (n_own == 1)
        found = own | (has & ~unsure & (n_own == 0) & (n_ref == 1))
        fk = np.flatnonzero(found)
        rows = np.where(own, row_own, row_ref)[fk] + r0
        up, named_ok = self._named(answer, rows, np.tile(all_src, n_p)[fk])
        far = named_ok & (up >= _MAX_PROVIDERS)
        bit_pc = np.left_shift(np.int64(1), np.tile(all_pc, n_p))
        held = np.where(found, bit_pc, 0).reshape(n_p, n_s)
        named_bits = np.zeros(n_p * n_s, np.int64)
        ok_named = named_ok & ~far
        named_bits[fk[ok_named]] = np.left_shift(np.int64(1), up[ok_named])
        held_mask = np.bitwise_or.reduce(held, axis=1)
        named_mask = np.bitwise_or.reduce(named_bits.reshape(n_p, n_s), axis=1)
        heads = held_mask & ~named_mask
        bad = unsure.reshape(n_p, n_s).any(axis=1)
        bad[fk[far] // n_s] = True
        head_key = (held & heads[:, None]) != 0  # the head's source, per call
        take = ~bad & (heads != 0) & ((heads & (heads - 1)) == 0) & (
            (head_key & own.reshape(n_p, n_s)).any(axis=1))
        j = np.flatnonzero(take)
        s = np.argmax(head_key[j], axis=1)
        code = all_src[s]
        pcs = all_pc[s]
        # per source code: its place in the case's order (the plain calls' later keys)
        self._pos = np.full(len(self.sources), -1, np.int64)
        self._pos[all_src] = np.arange(n_s)
        opened = _Open(plain[j], code, at[j] - skew_us[code], np.full(len(j), np.nan), pcs,
                       np.left_shift(np.int64(1), pcs), base + j * n_s + s)
        return plain[~take], opened

    def _named(self, answer: Answer, rows: np.ndarray, src: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """For each found row: the upstream provider its ingress names (a code) and whether
        the chain goes on there (False: a customer, or an ingress naming nobody)."""
        if not len(rows):
            return np.zeros(0, np.int64), np.zeros(0, bool)
        codes, values = answer.ingresses()
        idx = codes[rows]
        pair = src * len(values) + idx
        uniq, inv = np.unique(pair, return_inverse=True)
        up = np.zeros(len(uniq), np.int64)
        on = np.zeros(len(uniq), bool)
        for j, u in enumerate(uniq.tolist()):
            name, customer = self.view.upstream_of(self.sources[u // len(values)],
                                                   values[u % len(values)])
            if customer is None and name:  # as the engine: an empty name names nobody
                up[j], on[j] = self._provider(name), True
        return up[inv], on[inv]

    def _shapes(self, answer: Answer, lo: int, hi: int, now: _Open, depth: int
                ) -> tuple[np.ndarray, np.ndarray]:
        """Per open call: found (one row in the window, plain), not found (no record of the
        pair, or none in the window of a reliable clock) or other; and the found row (in
        ``answer``). The track's keys are [lo, hi) of the answer."""
        src, ref_us, prev_dur, kq = now.src, now.ref, now.dur, now.kq
        n = len(src)
        cuts = answer.cuts
        r0, r1 = int(cuts[lo]), int(cuts[hi])  # the rows of the track's keys
        a, b = cuts[kq] - r0, cuts[kq + 1] - r0
        q = answer.numbers("q")[r0:r1] - lo
        start = answer.numbers("start")[r0:r1]
        flags = answer.numbers("flags")[r0:r1].astype(np.int64)
        # per key (a key no open call holds here: an empty window)
        center = np.zeros(hi - lo, np.int64)
        half = np.full(hi - lo, -1, np.int64)
        center[kq - lo] = ref_us + np.asarray(self._skew_us, np.int64)[src]
        half[kq - lo] = np.asarray(self._half, np.int64)[src]
        inside = (start >= (center - half)[q]) & (start <= (center + half)[q])
        ins = np.concatenate(([0], np.cumsum(inside)))
        count = ins[b] - ins[a]
        amb = np.concatenate(([0], np.cumsum((flags & F_TIME_AMBIGUOUS) != 0)))
        plain = amb[b] == amb[a]
        # the first row in the window of each key (meaningful where count >= 1)
        row = np.searchsorted(ins, ins[a] + 1, "left") - 1
        lone = plain & (count == 1)
        if r1 > r0:
            dur = answer.numbers("duration")[r0:r1][np.where(lone, row, 0)]
        else:
            dur = np.full(n, np.nan)
        with np.errstate(invalid="ignore"):
            low, high = np.minimum(dur, prev_dur), np.maximum(dur, prev_dur)
            fits = np.isnan(dur) | np.isnan(prev_dur) | (high - low <= DURATION_SLACK_S) | (
                high <= 1.5 * low)
        kind = np.full(n, _OTHER, np.int8)
        if depth:  # the first level's misses go the general way (other providers asked)
            reliable = np.asarray(self._reliable, bool)[src]
            kind[(a == b) | (plain & (count == 0) & reliable)] = _NOT_FOUND
        kind[lone & fits] = _FOUND
        return kind, row + r0

    # -- results ---------------------------------------------------------------------------
    def _levels(self, plain: bool) -> list[_Level]:
        return self.plain_levels if plain else self.levels

    def _asked(self, index: int, plain: bool) -> list[tuple[_Asked, str]]:
        """The lookups a call made, level by level, with the provider asked."""
        out = []
        for lv in self._levels(plain):
            k = lv.key_of[index]
            if k < 0:
                break
            out.append((_Asked(lv.answer, lv.key[k], self.sources[lv.src[k]]),
                        self.providers[lv.provider[k]]))
        return out

    def materialize(self, plan: Plan, into: TraceResult | None = None) -> TraceResult:
        """The call's TraceResult from its decided chain, built by a single trace's own
        functions: each found hop's record scored by ``_Search.candidate`` as quick_match
        scores a lone row in the window (no rival, no repeated hour, a length that fits:
        decided above), its hop made by ``_hop_from``, the ends by the engine's. ``into``:
        the object to build it in (a ``LazyTrace`` fills itself), else a new one."""
        view, call, tb, i = self.view, plan.call, plan.traceback, plan.slot
        result = into if into is not None else TraceResult.__new__(TraceResult)
        TraceResult.__init__(result, call.calling, call.called, call.at_us, Outcome.NOT_FOUND,
                             [], None, dict(self.skew), self.tol,
                             tb.traceback_id if tb else None)
        hops = result.hops
        built = self._built if self._built is not None else self._for_results()
        end, end_provider = built.end[i], built.end_provider[i]
        per_src, providers, calling_key = built.per_src, self.providers, call.calling_key
        levels, rows_of = (self.plain_levels, built.plain_rows) if tb is None else (
            self.levels, built.rows)
        ref_us = at_ref = NAT
        prev_duration: float | None = None
        prev_origid: str | None = None
        depth, n_levels = 0, len(levels)
        k = levels[0].key_of[i] if n_levels else -1
        while k >= 0:  # each level the call was asked at (its key there: k)
            lv = levels[depth]
            src, skew_us, tol, answer_basis, clock = per_src[lv.src[k]]
            provider, r = providers[lv.provider[k]], lv.row[k]
            if not depth:  # the reference time of the call: on the first provider's clock
                ref_us = at_ref = call.at_us - skew_us
            if r < 0:  # no record in the window: the chain ends here
                match = self._match(_Asked(lv.answer, lv.key[k], src), call, ref_us,
                                    prev_duration, prev_origid)
                if match is None or match.best is not None or end != NOT_FOUND:
                    raise Mismatch(i)
                end_not_found(view, result, provider, src, match,
                              call.calling if calling_key >= 0 else None, call.called)
                break
            rows = rows_of[depth]
            if rows is None:
                rows = rows_of[depth] = lv.answer.rows().plain
            # positional, in _Search's field order (ring_us 0: no answer-time estimate here)
            best = _Search(rows, calling_key, ref_us, skew_us, prev_duration, prev_origid, 0,
                           answer_basis).candidate(r, tol)
            notes = [Note(NoteKind.ANSWER_BASIS)] if answer_basis else []
            match = Match(best, [], _confidence(best, prev_origid, notes), tol, notes)
            hop = _hop_from(view, provider, src, match, clock, len(hops))
            hops.append(hop)
            at_ref += settle_pass(hops)
            depth += 1
            k = levels[depth].key_of[i] if depth < n_levels else -1
            if ends_at(result, provider, hop):
                if k >= 0 or end != ORIGIN_OR_UNMAPPED:
                    raise Mismatch(i)
                break
            following = (providers[levels[depth].provider[k]] if k >= 0 else
                         providers[end_provider] if end_provider >= 0 else None)
            if hop.upstream != following:
                raise Mismatch(i)
            ref_us, prev_duration = best.corrected_us, best.duration
            prev_origid = best.origid or prev_origid
        if end == LOOP:
            end_in_loop(result, providers[end_provider])
        elif end == NO_RECORDS:
            end_without_records(view, result, providers[end_provider])
        return finish(view, result, at_ref, tb)

    def _for_results(self) -> _Built:
        """What building results reads, as Python values once the decisions are done
        (a list hands out an int without numpy's per-item boxing)."""
        per_src = [(s, self._skew_us[c], self._tol[c], self._answer[c], self.clocks[s])
                   for c, s in enumerate(self.sources)]
        self._built = _Built(self.end.tolist(), self.end_provider.tolist(), per_src,
                             [None] * len(self.levels), [None] * len(self.plain_levels))
        return self._built

    def _match(self, asked: _Asked, call: Call, ref_us: int, ref_duration: float | None,
               ref_origid: str | None) -> Match | None:
        src, cuts = asked.src, asked.answer.cut_list()
        clock = self.clocks[src]
        return quick_match(asked.answer.rows(), cuts[asked.key], cuts[asked.key + 1],
                           src.summary, calling_key=call.calling_key, at_us=ref_us,
                           skew_s=clock.offset_s, tol_s=self.tol, ref_duration=ref_duration,
                           ref_origid=ref_origid, allow_fallbacks=not clock.reliable)

    def steps(self, plan: Plan) -> tuple[Steps, Need] | TraceResult | InputError:
        """A call leaving for the general path: its step generator run through the answers
        it already had; what it needs next (or its result, if those answers end it)."""
        steps = trace_steps(self.case, plan.call, tolerance_s=self.tolerance_s,
                            traceback=plan.traceback, skew=self.skew, view=self.view)
        try:
            need = next(steps)
            asked_at = self._asked(plan.slot, plan.traceback is None)
            if plan.traceback is None:  # the terminating step's lookup of every source
                assert self._answer0 is not None and self._all is not None
                if need.sources != tuple(self.case.sources):
                    return steps, need  # not the same lookup (never seen): asked again
                first = self._plain_base + int(self._plain_j[plan.slot]) * len(self._all[0])
                need = steps.send(self._answer0.lookup(need, first))
                asked_at = asked_at[1:]  # its first hop was served by the same answer
            for asked, _ in asked_at:
                if need.sources != (asked.src,):
                    break  # not the same lookup (never seen): asked of the store again
                need = steps.send(asked.answer.lookup(need, asked.key))
        except StopIteration as end:
            return end.value  # type: ignore[no-any-return]
        except InputError as exc:
            return exc
        return steps, need

    def ended(self) -> list[int]:
        """The slots of the calls whose chain was decided here."""
        return np.flatnonzero(self.end >= 0).tolist()


def _call_keys(sources: list[SourceId], called: list[int], calling: list[int]
               ) -> list[CallKey]:
    """CallKeys from columns, made in C (``tuple.__new__`` with every field, as the named
    tuple's own ``__new__`` does, at a third of its cost)."""
    return list(map(tuple.__new__, repeat(CallKey),
                    zip(sources, called, calling, repeat(None), repeat(None))))


def _none() -> _Open:
    i64 = np.zeros(0, np.int64)
    return _Open(i64, i64, i64, np.zeros(0), i64, i64, i64)


class LazyTrace(TraceResult):
    """A batch's TraceResult built when first read: deciding 10,000 chains takes a fraction
    of building their objects, and a caller may never read most of them (or reads them one
    by one, as the CLI writes them). Any attribute read builds it, once: ``make(slot,
    self)`` fills its fields in place (no copy from a second object), the same fields the
    TraceResult of a single trace has. (One shared ``make`` and the call's slot, not a
    closure per call: a batch makes ten thousand.)"""

    __slots__ = ("_make", "_slot")

    def __init__(self, make: Callable[[int, TraceResult], object], slot: int):
        # no super(): the fields come later
        self._make: Callable[[int, TraceResult], object] | None = make
        self._slot = slot

    def __getattr__(self, name: str) -> Any:
        # called only for a field not yet set (slots raise AttributeError until then)
        make = object.__getattribute__(self, "_make")
        if make is None:
            raise AttributeError(name)
        make(self._slot, self)
        self._make = None
        return getattr(self, name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TraceResult):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _FIELDS)

    __hash__ = None  # type: ignore[assignment]  # as TraceResult's (a mutable dataclass)


_FIELDS: tuple[str, ...] = TraceResult.__slots__


class Mismatch(Exception):
    """A decided chain that quick_match does not confirm (a bug): the caller traces the
    call the general way instead."""


_FOUND, _NOT_FOUND, _OTHER = 0, 1, 2

__all__ = ["Answer", "Columnar", "LazyTrace", "Mismatch", "Plan"]
