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
backend serves it. A call whose level shows anything else (rivals in the window, a
repeated hour, fallbacks allowed, several sources, an answer-time ring estimate) leaves:
its own step generator (``engine.trace_steps``) is run through the store answers it
already had and goes on with the general path, in the same level queries.

The result objects of a decided chain are built when first read (``LazyTrace``), by the
functions a single trace uses: the lone row scored by ``_Search.candidate`` and
``fast_match._confidence`` as quick_match scores it, the hop by ``engine._hop_from``, the
ends and the last steps by the engine's own (``end_*``, ``ends_at``, ``finish``).

Equality with the general path is tested in tests/test_batch_columnar.py (whole batches,
and Hypothesis over generated chains with decoys).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa

from workbench.case.model import Case
from workbench.columns.arrow_numpy import from_numpy, to_numpy
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

    __slots__ = ("got", "cuts", "_cut_list", "_rows", "_asked")

    def __init__(self, got: pa.Table, n_keys: int):
        self.got = got  # CdrStore.candidates' table for the level's keys
        q = to_numpy(got.column("q"))  # ordered by q: each key's rows are one slice
        self.cuts: np.ndarray = np.searchsorted(q, np.arange(n_keys + 1), "left")
        self._cut_list: list[int] | None = None
        self._rows: LevelRows | None = None
        self._asked = 0  # lookups handed to the general path

    def rows(self) -> LevelRows:
        if self._rows is None:
            from workbench.trace.match import PairRows
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
            from workbench.trace.match import PairRows
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


class _Level(NamedTuple):
    """What one level decided, per open call (in open order)."""

    answer: Answer
    key_of: list[int]  # per call of the batch: its place among the open (-1: not asked)
    key: list[int]  # per open call: its key in ``answer``
    src: list[int]  # per open call: the source code
    provider: list[int]  # per open call: the provider code
    row: list[int]  # per open call: the lone row in the window (in ``answer``), -1: none


#: the provider codes a visited-set bit mask holds (further providers go the general way)
_MAX_PROVIDERS = 62


class Columnar:
    """The columnar part of one batch (see the module's docstring)."""

    def __init__(self, case: Case, view: CaseView, skew: Mapping[SourceId, Skew],
                 tolerance_s: float | None, n_calls: int):
        self.case, self.view, self.skew = case, view, skew
        self.tol = float(tolerance_s if tolerance_s is not None else case.config.tolerance_s)
        self.tolerance_s = tolerance_s
        self.clocks = view.clocks(skew)
        self.n = n_calls
        self.plans: dict[int, Plan] = {}
        # sources and providers as small codes (columns hold codes)
        self.sources: list[CdrSource] = []
        self._code: dict[CdrSource, int] = {}
        self._skew_us: list[int] = []
        self._half: list[int] = []
        self._tol: list[float] = []  # the matching window (s), as find_call widens it
        self._answer: list[bool] = []  # answer-time records
        self._reliable: list[bool] = []
        self.providers: list[str] = []
        self._pcode: dict[str, int] = {}
        self._psrc: list[int] = []  # per provider: its lone source's code, -1 general, -2 none
        # the calls waiting for the next level, as columns
        self._ci: list[int] = []
        self._src: list[int] = []
        self._ref: list[int] = []
        self._pc: list[int] = []
        self._next: tuple[np.ndarray, ...] | None = None
        self.open: tuple[np.ndarray, ...] = ()
        self._kq: np.ndarray = np.zeros(0, np.int64)  # per open call: its key this level
        self._n_keys = 0  # the columnar keys of this level (the general path's follow)
        # plain calls (no traceback record): their first level asks every source of the
        # case, as the terminating step does (``_terminating`` decides who holds the call)
        self._plain: list[int] = []
        self._plain_base = 0  # their first key at the first level
        self._plain_first: dict[int, int] = {}  # per plain call: its first key there
        self._answer0: Answer | None = None
        self._all: tuple[np.ndarray, np.ndarray] | None = None  # per case source: src, pc
        self._all_ok: bool | None = None
        self.levels: list[_Level] = []
        # how each call's chain ended (per call of the batch)
        self.end = np.full(n_calls, -1, np.int8)
        self.end_provider = np.full(n_calls, -1, np.int64)

    def waiting(self) -> int:
        """How many calls wait for the next level's lookups."""
        if self._next is None:
            return len(self._ci) + len(self._plain)
        return len(self._next[0])

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

    def admit(self, index: int, call: Call, traceback: Traceback | None) -> bool:
        """Take a call whose trace starts at its traceback record's first provider, on one
        source, or a plain call where every provider has one plain source (the others go
        the general way from the start)."""
        if traceback is None:
            if call.alt_us != NAT or not self._plain_ready():
                return False
            self.plans[index] = Plan(index, call, None)
            self._plain.append(index)
            return True
        if not traceback.hops or call.alt_us != NAT:
            return False
        first = self.view.canonical(traceback.hops[0].provider) or ""
        if first not in self.view.providers_with_records():
            return False
        pc = self._provider(first)
        code = self._psrc[pc]
        if code < 0:
            return False
        self.plans[index] = Plan(index, call, traceback)
        self._ci.append(index)
        self._src.append(code)
        self._pc.append(pc)
        # the first hop searches the record's time on the reference clock: the source's own
        # clock reads it back as ``at`` itself, as the terminating step's glance does
        self._ref.append(call.at_us - self._skew_us[code])
        return True

    # -- a level ---------------------------------------------------------------------------
    def keys(self) -> list[CallKey]:
        """This level's lookups, one per open call (the general path's keys follow)."""
        if self._next is None:  # the first level: the admitted calls
            n = len(self._ci)
            ci = np.array(self._ci, np.int64)
            pc = np.array(self._pc, np.int64)
            self._next = (ci, np.array(self._src, np.int64), np.array(self._ref, np.int64),
                          np.full(n, np.nan), pc, np.left_shift(1, pc))
            self._ci = []
        self.open, self._next = self._next, _none()
        ci, src = self.open[0], self.open[1]
        self._kq = np.arange(len(ci), dtype=np.int64)
        plans, srcs = self.plans, self.sources
        ids = [s.id for s in srcs]
        keys = [CallKey(ids[c], call.called_key, call.calling_key)
                for call, c in zip([plans[i].call for i in ci.tolist()], src.tolist())]
        if self._plain:  # every source of the case, in the case's order (as a Need)
            assert self._all is not None
            self._plain_base = len(keys)
            every = [ids[c] for c in self._all[0].tolist()]
            for i in self._plain:
                call = plans[i].call
                self._plain_first[i] = len(keys)
                keys += [CallKey(sid, call.called_key, call.calling_key) for sid in every]
        self._n_keys = len(keys)
        return keys

    def decide(self, answer: Answer | None) -> list[Plan]:
        """The level's calls decided from ``answer`` (their keys first in it): the calls
        that leave for the general path are returned; the others ended or stay open."""
        left_plain: list[int] = []
        if self._plain:
            assert answer is not None
            self._answer0 = answer
            left_plain = self._terminating(answer)
            self._plain = []
        ci, src, ref, dur, pc, mask = self.open
        n = len(ci)
        if not n:
            return [self.plans[i] for i in left_plain]
        assert answer is not None
        key_of = np.full(self.n, -1, np.int64)
        key_of[ci] = np.arange(n)
        kind, row = self._shapes(answer, len(self.levels))
        self.levels.append(_Level(answer, key_of.tolist(), self._kq.tolist(), src.tolist(),
                                  pc.tolist(), np.where(kind == _FOUND, row, -1).tolist()))
        t = answer.got
        f = np.flatnonzero(kind == _FOUND)
        rows = row[f]
        up, goes_on = self._named(t, rows, src[f])
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
        corrected = to_numpy(t.column("start"))[row[k]] - np.asarray(
            self._skew_us, np.int64)[src[k]]
        self._next = (ci[k], psrc[go], corrected, to_numpy(t.column("duration"))[row[k]],
                      up[go], mask[k] | np.left_shift(1, up[go]))
        self.end[ci[kind == _NOT_FOUND]] = NOT_FOUND
        left = np.concatenate([ci[kind == _OTHER], ci[nxt[psrc == -1]], left_far])
        return [self.plans[i] for i in left.tolist() + left_plain]

    def _terminating(self, answer: Answer) -> list[int]:
        """The terminating step of the plain calls, from their records in every source:
        where each provider has the call on its own clock or the reference clock (a lone
        row in the window, as ``glance`` tells it), and which holder no other holder names
        upstream. A call whose holders are plain, with exactly one such head holding it on
        its own clock, joins the open calls at that provider (its first hop's search is
        that same window); every other plain call is returned, for the general path."""
        assert self._all is not None
        all_src, all_pc = self._all
        plain = self._plain
        n_p, n_s = len(plain), len(all_src)
        t = answer.got
        base = self._plain_base
        cuts = answer.cuts[base:base + n_p * n_s + 1]
        r0 = int(cuts[0])
        a, b = cuts[:-1] - r0, cuts[1:] - r0
        sl = slice(r0, int(cuts[-1]))
        q = to_numpy(t.column("q"))[sl] - base
        start = to_numpy(t.column("start"))[sl]
        flags = to_numpy(t.column("flags"))[sl].astype(np.int64)
        at = np.array([self.plans[i].call.at_us for i in plain], np.int64)
        at_k = np.repeat(at, n_s)
        skew_k = np.tile(np.asarray(self._skew_us, np.int64)[all_src], n_p)
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
        up, named_ok = self._named(t, rows, np.tile(all_src, n_p)[fk])
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
        ci = np.asarray(plain, np.int64)
        add = (ci[j], code, at[j] - np.asarray(self._skew_us, np.int64)[code],
               np.full(len(j), np.nan), pcs, np.left_shift(np.int64(1), pcs))
        self.open = tuple(np.concatenate([o, x]) for o, x in zip(self.open, add))
        self._kq = np.concatenate([self._kq, base + j * n_s + s])
        left: list[int] = ci[~take].tolist()
        return left

    def _named(self, t: pa.Table, rows: np.ndarray, src: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """For each found row: the upstream provider its ingress names (a code) and whether
        the chain goes on there (False: a customer, or an ingress naming nobody)."""
        if not len(rows):
            return np.zeros(0, np.int64), np.zeros(0, bool)
        coded = t.column("ingress").take(from_numpy(rows)).combine_chunks().dictionary_encode()
        values = coded.dictionary.to_pylist() + [None]
        idx = to_numpy(coded.indices.fill_null(len(values) - 1)).astype(np.int64)
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

    def _shapes(self, answer: Answer, level: int) -> tuple[np.ndarray, np.ndarray]:
        """Per open call: found (one row in the window, plain), not found (no record of the
        pair, or none in the window of a reliable clock) or other; and the found row."""
        _, src, ref_us, prev_dur, _, _ = self.open
        n = len(src)
        kq = self._kq
        a, b = answer.cuts[kq], answer.cuts[kq + 1]
        m = int(answer.cuts[self._n_keys])  # the rows of the columnar keys
        t = answer.got
        q = to_numpy(t.column("q"))[:m]
        start = to_numpy(t.column("start"))[:m]
        flags = to_numpy(t.column("flags"))[:m].astype(np.int64)
        # per key (a key no open call holds here: an empty window)
        center = np.zeros(self._n_keys, np.int64)
        half = np.full(self._n_keys, -1, np.int64)
        center[kq] = ref_us + np.asarray(self._skew_us, np.int64)[src]
        half[kq] = np.asarray(self._half, np.int64)[src]
        inside = (start >= (center - half)[q]) & (start <= (center + half)[q])
        ins = np.concatenate(([0], np.cumsum(inside)))
        count = ins[b] - ins[a]
        amb = np.concatenate(([0], np.cumsum((flags & F_TIME_AMBIGUOUS) != 0)))
        plain = amb[b] == amb[a]
        # the first row in the window of each key (meaningful where count >= 1)
        row = np.searchsorted(ins, ins[a] + 1, "left") - 1
        lone = plain & (count == 1)
        if m:
            dur = to_numpy(t.column("duration"))[:m][np.where(lone, row, 0)]
        else:
            dur = np.full(n, np.nan)
        with np.errstate(invalid="ignore"):
            lo, hi = np.minimum(dur, prev_dur), np.maximum(dur, prev_dur)
            fits = np.isnan(dur) | np.isnan(prev_dur) | (hi - lo <= DURATION_SLACK_S) | (
                hi <= 1.5 * lo)
        kind = np.full(n, _OTHER, np.int8)
        if level:  # the first level's misses go the general way (other providers asked)
            reliable = np.asarray(self._reliable, bool)[src]
            kind[(a == b) | (plain & (count == 0) & reliable)] = _NOT_FOUND
        kind[lone & fits] = _FOUND
        return kind, row

    # -- results ---------------------------------------------------------------------------
    def _asked(self, index: int) -> list[tuple[_Asked, str]]:
        """The lookups a call made, level by level, with the provider asked."""
        out = []
        for lv in self.levels:
            k = lv.key_of[index]
            if k < 0:
                break
            out.append((_Asked(lv.answer, lv.key[k], self.sources[lv.src[k]]),
                        self.providers[lv.provider[k]]))
        return out

    def materialize(self, plan: Plan) -> TraceResult:
        """The call's TraceResult from its decided chain, built by a single trace's own
        functions: each found hop's record scored by ``_Search.candidate`` as quick_match
        scores a lone row in the window (no rival, no repeated hour, a length that fits:
        decided above), its hop made by ``_hop_from``, the ends by the engine's."""
        view, call, tb, i = self.view, plan.call, plan.traceback, plan.slot
        result = TraceResult(call.calling, call.called, call.at_us, Outcome.NOT_FOUND, [], None,
                             dict(self.skew), self.tol, tb.traceback_id if tb else None)
        hops = result.hops
        end = int(self.end[i])
        end_provider = int(self.end_provider[i])
        ref_us = at_ref = NAT
        prev_duration: float | None = None
        prev_origid: str | None = None
        levels = self.levels
        for depth, lv in enumerate(levels):
            k = lv.key_of[i]
            if k < 0:
                break
            code = lv.src[k]
            src, provider, r = self.sources[code], self.providers[lv.provider[k]], lv.row[k]
            if not depth:  # the reference time of the call: on the first provider's clock
                ref_us = at_ref = call.at_us - self._skew_us[code]
            if r < 0:  # no record in the window: the chain ends here
                match = self._match(_Asked(lv.answer, lv.key[k], src), call, ref_us,
                                    prev_duration, prev_origid)
                if match is None or match.best is not None or end != NOT_FOUND:
                    raise Mismatch(i)
                end_not_found(view, result, provider, src, match,
                              call.calling if call.calling_key >= 0 else None, call.called)
                break
            answer_basis, tol = self._answer[code], self._tol[code]
            search = _Search(lv.answer.rows().plain, call.calling_key, ref_us,
                             self._skew_us[code], prev_duration, prev_origid,
                             answer_basis=answer_basis)
            best = search.candidate(r, tol)
            notes = [Note(NoteKind.ANSWER_BASIS)] if answer_basis else []
            match = Match(best, [], _confidence(best, prev_origid, notes), tol, notes)
            hop = _hop_from(view, provider, src, match, self.clocks[src], len(hops))
            hops.append(hop)
            at_ref += settle_pass(hops)
            nxt = levels[depth + 1].key_of[i] if depth + 1 < len(levels) else -1
            if ends_at(result, provider, hop):
                if nxt >= 0 or end != ORIGIN_OR_UNMAPPED:
                    raise Mismatch(i)
                break
            following = (self.providers[levels[depth + 1].provider[nxt]] if nxt >= 0 else
                         self.providers[end_provider] if end_provider >= 0 else None)
            if hop.upstream != following:
                raise Mismatch(i)
            ref_us, prev_duration = best.corrected_us, best.duration
            prev_origid = best.origid or prev_origid
        if end == LOOP:
            end_in_loop(result, self.providers[end_provider])
        elif end == NO_RECORDS:
            end_without_records(view, result, self.providers[end_provider])
        return finish(view, result, at_ref, tb)

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
            asked_at = self._asked(plan.slot)
            if plan.traceback is None:  # the terminating step's lookup of every source
                assert self._answer0 is not None
                if need.sources != tuple(self.case.sources):
                    return steps, need  # not the same lookup (never seen): asked again
                need = steps.send(self._answer0.lookup(need, self._plain_first[plan.slot]))
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

    def ended(self) -> list[Plan]:
        """The calls whose chain was decided here."""
        return [self.plans[i] for i in np.flatnonzero(self.end >= 0).tolist()]


def _none() -> tuple[np.ndarray, ...]:
    i64 = np.zeros(0, np.int64)
    return (i64, i64, i64, np.zeros(0), i64, i64)


class LazyTrace(TraceResult):
    """A batch's TraceResult built when first read: deciding 10,000 chains takes a fraction
    of building their objects, and a caller may never read most of them (or reads them one
    by one, as the CLI writes them). Any attribute read builds it (``make``), once; it then
    equals the TraceResult ``make`` returned, field by field."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[], TraceResult]):  # no super(): fields come later
        self._make: Callable[[], TraceResult] | None = make

    def __getattr__(self, name: str) -> Any:
        # called only for a field not yet set (slots raise AttributeError until then)
        make = object.__getattribute__(self, "_make")
        if make is None:
            raise AttributeError(name)
        real = make()
        for f in _FIELDS:
            setattr(self, f, getattr(real, f))
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
