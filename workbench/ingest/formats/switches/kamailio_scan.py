"""Kamailio acc syslog: the layouts of a log from one byte scan (``kamailio_kernels.scan``).

The committed reader let pyarrow split the file by field count, then searched each layout's
first column for ``ACC: `` and checked each column's ``name=`` prefix in Arrow kernels: many
passes over 600 MB. Here one pass tells, per line, its field count, its ``;`` positions and
whether it follows its layout's probe (the first ACC line of its field count); the values of
every fitting line are then copied out of the file's bytes when asked for, already in file
order, the names ``_build`` reads together in one walk over their lines (a walk per name
touched each line's cache lines once per name). Lines that fit no probe go the committed ways
(``templated``, ``_odd_rows``) as before, fed the same columns pyarrow gave them.

A file the scan cannot vouch for (not UTF-8, a BOM, a line of only blanks, a line wider than
``MAX_COLUMNS``, no ACC line) is left to the committed reader whole: ``scan_log`` says None.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ..delimited import MAX_COLUMNS
from .kamailio_template import NAME, Templated, roles
from .positional import MAX_REFUSED, clean_utf8


@dataclass
class Scan:
    """``kamailio_kernels.scan`` of a file: per physical line (0-based index = line - 1)."""

    buf: np.ndarray
    starts: np.ndarray  # content start (= ``line_starts(data)``)
    ends: np.ndarray  # content end (no CR/LF)
    nf: np.ndarray  # field count, 0 for a blank line
    soff: np.ndarray  # the line's ';' positions: semis[soff[i]:soff[i + 1]]
    semis: np.ndarray
    kp: np.ndarray  # kind start (after the last 'ACC: ' of the first field), -1: no ACC line
    kq: np.ndarray  # the ': ' ending the kind
    kk: np.ndarray  # the '=' ending the first name
    flags: np.ndarray  # ACC | FITS
    koff: np.ndarray  # per field count: where its probe's name lengths start in klens
    klens: np.ndarray  # the probe's name lengths of fields 1…, -1: no name=


def scan_log(data: Any) -> Scan | None:
    """The scan of ``data`` (LF line ends, as ``cr_to_lf`` leaves them), or None where the
    committed reader must read it (see the module docstring)."""
    from . import kamailio_kernels as kern  # numba: imported only when a log is read

    buf = np.frombuffer(data, np.uint8)
    if not len(buf) or bytes(buf[:3]) == b"\xef\xbb\xbf":  # pyarrow skips a BOM
        return None
    whole = len(buf) // 8 * 8
    tail = bytes(buf[whole:]).ljust(8, b"x")  # padding that is no mark
    got = kern.scan(buf, buf[:whole].view(np.uint64), np.frombuffer(tail, np.uint64)[0],
                    MAX_COLUMNS)
    (starts, ends, nf, soff, semis, kp, kq, kk, flags, koff, klens, status) = got
    if status & (kern.BLANKISH | kern.WIDE):
        return None
    if status & kern.HIGH and not clean_utf8(data):
        return None  # the committed reader fails over to Windows-1252
    if not (flags & kern.ACC).any():
        return None  # its error message, or its empty table, as before
    return Scan(buf, starts, ends, nf, soff, semis, kp, kq, kk, flags, koff, klens)


def group_order(nf: np.ndarray, expected: int) -> tuple[list[int], list[np.ndarray]]:
    """The field counts in the order ``read_positional`` made its groups, and each group's
    line indexes (ascending): the expected count first when the first parse kept on (at most
    ``MAX_REFUSED`` lines of other counts), else every count ascending."""
    per = np.bincount(nf)
    order = np.argsort(nf.astype(np.int16), kind="stable")  # counts <= MAX_COLUMNS: a radix sort
    bounds = np.concatenate(([0], np.cumsum(per)))
    per[0] = 0  # blank lines belong to no group
    counts = np.flatnonzero(per)
    refused = int(per.sum()) - (int(per[expected]) if expected < len(per) else 0)
    rows = {int(c): order[bounds[c]:bounds[c + 1]] for c in counts}
    ranked = [int(c) for c in counts]
    if refused <= MAX_REFUSED and expected in rows:
        ranked = [expected] + [c for c in ranked if c != expected]
    return ranked, [rows[c] for c in ranked]


def _parts_of(col: pa.Array | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bytes, int64 offsets, validity) of a string array (empty for None)."""
    if col is None or not len(col):
        return np.zeros(0, np.uint8), np.zeros(1, np.int64), np.zeros(0, np.bool_)
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = col.cast(pa.string())
    wide = np.int64 if pa.types.is_large_string(col.type) else np.int32
    _, obuf, dbuf = col.buffers()
    offs = np.frombuffer(obuf, wide)[col.offset:col.offset + len(col) + 1].astype(np.int64)
    data = np.frombuffer(dbuf, np.uint8) if dbuf is not None else np.zeros(0, np.uint8)
    valid = col.is_valid().to_numpy(zero_copy_only=False) if col.null_count else \
        np.ones(len(col), np.bool_)
    return data, offs, valid


def columns(scan: Scan, rows: np.ndarray, codes: np.ndarray, cuts: np.ndarray,
            other: list[pa.Array | None] | None = None, sel: np.ndarray | None = None,
            spans: np.ndarray | None = None) -> list[pa.Array]:
    """String columns ``j`` of ``kamailio_kernels.columns`` (``codes[j]`` per field count,
    ``spans[j]`` the fields glued after, none when None), over lines ``rows`` then the rows
    of ``other[j]`` (all with as many rows), at rows ``sel`` (all when None): one walk over
    the lines for all of them."""
    from . import kamailio_kernels as kern

    nj = len(codes)
    parts = [_parts_of(o) for o in (other or [None] * nj)]
    n_other = max((len(v) for _, _, v in parts), default=0)
    odata = np.concatenate([d[o[0]:o[-1]] for d, o, _ in parts]) if n_other else \
        np.zeros(0, np.uint8)
    ooffs = np.zeros((n_other + 1, nj), np.int64)
    ovalid = np.zeros((n_other, nj), np.bool_)
    at = 0
    for j, (_, o, v) in enumerate(parts):
        if len(v):
            ooffs[:, j] = o - o[0] + at
            ovalid[:, j] = v
            at += int(o[-1] - o[0])
    if sel is None:
        sel = np.arange(len(rows) + n_other, dtype=np.int64)
    s = scan
    # a column's bytes lie within its lines or the other table's: a bound for its offsets
    wide = len(s.buf) + len(odata) >= 2**31 - 1
    offs = np.empty((nj, len(sel) + 1), np.int64 if wide else np.int32)
    valid, out, first = kern.columns(
        s.buf, rows, s.starts, s.ends, s.nf, s.soff, s.semis, s.kp, s.kq, s.kk, codes,
        cuts, np.zeros(nj, np.int64) if spans is None else spans, odata, ooffs, ovalid,
        np.array(sel, np.int64), offs)  # writable: one signature
    got = []
    for j in range(nj):
        size = int(offs[j, -1])
        big = size >= 2**31 - 1
        ok = valid[j]
        nulls = len(sel) - int(np.count_nonzero(ok))
        mask = pa.py_buffer(np.packbits(ok, bitorder="little")) if nulls else None
        data = pa.py_buffer(out[first[j]:first[j + 1]])
        where = offs[j] if big or not wide else offs[j].astype(np.int32)
        got.append(pa.Array.from_buffers(
            pa.large_string() if big else pa.string(), len(sel),
            [mask, pa.py_buffer(where), data], null_count=nulls))
    return got


def field_columns(scan: Scan, rows: np.ndarray, count: int
                  ) -> tuple[list[pa.Array], pa.Array, pa.Array, pa.Array, pa.Array]:
    """Lines ``rows`` (all of ``count`` fields) as pyarrow split them (every field whole) and
    ``first_field`` of their first: (columns, is ACC line, kind, first name, first value)."""
    from . import kamailio_kernels as kern

    want = [kern.WHOLE - f for f in range(count)] + [kern.KIND, kern.NAME0, 0]
    codes = np.full((len(want), count + 1), kern.NULL, np.int64)
    codes[:, count] = want
    got = columns(scan, rows, codes, np.zeros(len(want), np.int64))
    acc = (scan.flags[rows] & kern.ACC).astype(bool)
    return got[:count], pa.array(acc), got[count], got[count + 1], got[count + 2]


def shape_of(scan: Scan, rows: np.ndarray, count: int, probe: int) -> Templated | None:
    """``templated`` of ``field_columns(scan, rows, count)`` (lines ``rows``, all of
    ``count`` fields; ``probe`` the row of the first ACC line), each line's fit told by
    ``kamailio_kernels.shape_taken`` and each value cut out of the file's bytes (a value
    with the segments glued to it is one span of its line: they are ``;``-joined)."""
    from . import kamailio_kernels as kern

    s = scan
    ln = int(rows[probe])
    key0 = bytes(s.buf[s.kq[ln] + 2:s.kk[ln]]).decode("utf-8", "replace")
    if not NAME.fullmatch(key0):
        return None
    semis = s.semis[s.soff[ln]:s.soff[ln + 1]]
    bounds = np.concatenate((semis + 1, [s.ends[ln] + 1]))
    segs = [bytes(s.buf[bounds[f - 1]:bounds[f] - 1]).decode("utf-8", "replace")
            for f in range(1, count)]
    shape = roles(key0, segs)
    names = [name.encode() for _, name in shape]
    noff = np.concatenate(([0], np.cumsum([len(n) for n in names]))).astype(np.int64)
    taken = kern.shape_taken(
        s.buf, rows, s.starts, s.ends, s.nf, s.soff, s.semis, s.kp, s.kq, s.kk, s.flags,
        np.frombuffer(key0.encode(), np.uint8).copy(),
        np.frombuffer(b"".join(names) or b"x", np.uint8).copy(), noff,
        np.array([role == "junk" for role, _ in shape], np.int64))
    if not taken[probe]:
        return None
    starts = [(0, key0)] + [(i, name) for i, (role, name) in enumerate(shape, 1)
                            if role == "start"]
    ends = [i for i, _ in starts[1:]] + [count]
    got: dict[str, tuple[int, int, int]] = {}  # name → (field, fields glued after, cut)
    ranks: dict[str, int] = {}
    for (i, name), end in zip(starts, ends):
        ranks.setdefault(name, i)
        got.pop(name, None)  # a name given twice keeps its last value (and its first rank)
        got[name] = (i, end - i - 1, len(name.encode()) + 1 if i else 0)
    order = sorted(got, key=ranks.__getitem__)
    codes = np.full((len(order) + 1, count + 1), kern.NULL, np.int64)
    codes[:len(order), count] = [got[k][0] for k in order]
    codes[len(order), count] = kern.KIND
    spans = np.array([got[k][1] for k in order] + [0], np.int64)
    cuts = np.array([got[k][2] for k in order] + [0], np.int64)
    cols = columns(s, rows[taken], codes, cuts, spans=spans)
    out = dict(zip(order, cols[:-1]))
    out["@kind"] = cols[-1]
    junk = any(role == "junk" for role, _ in shape)
    return Templated(out, taken, ranks, int(taken.sum()) if junk else 0)


class Layouts:
    """The fitting lines of every regular layout, in file order, and where each name's value
    sits in each layout (null where a layout lacks the name)."""

    def __init__(self, scan: Scan, rows: np.ndarray, fields: dict[str, np.ndarray]):
        self.scan = scan
        self.rows = rows  # line indexes (0-based), ascending
        self.fields = fields  # name → its field per field count (-1: not in that layout)

    def codes(self, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        from . import kamailio_kernels as kern

        width = max((len(f) for f in self.fields.values()), default=1)
        codes = np.full((len(names), width), kern.NULL, np.int64)
        cuts = np.zeros(len(names), np.int64)
        for j, name in enumerate(names):
            if name == "@kind":
                codes[j] = kern.KIND
            elif name in self.fields:
                codes[j] = self.fields[name]
                cuts[j] = len(name.encode()) + 1
        return codes, cuts


#: The names ``_build`` reads on every row, and those it copies out of the kept rows alone:
#: each set is cut in one walk over the lines when the first of it is asked for.
ALL_ROWS = ("@kind", "method", "timestamp", "time", "created", "call_start_time",
            "start_time", "end_time", "duration")
KEPT_ROWS = ("call_id", "code", "reason", "src_user", "dst_user", "src_ip", "dst_domain",
             "identity", "info", "alg", "ppt", "verstat", "attest", "origid")


class Merged:
    """The columns of the fitting lines (file order) followed by the odd part's rows, cut
    on use: a name of ``ALL_ROWS`` with the others of that set; on some rows, a name asked
    for ``alone`` by itself (the BYE rows' Call-IDs), another one of ``KEPT_ROWS`` with the
    others of that set on the same rows."""

    def __init__(self, layouts: Layouts, odd: dict[str, pa.Array], n_odd: int,
                 names: list[str]):
        self.layouts = layouts
        self.odd = odd
        self.n_odd = n_odd
        self.names = names
        self.done: dict[str, pa.Array] = {}
        self.on: dict[int, tuple[Any, dict[str, pa.Array]]] = {}
        self.rows = pa.array(np.arange(len(layouts.rows) + n_odd, dtype=np.int64))

    def _cut(self, names: list[str], sel: np.ndarray | None) -> dict[str, pa.Array]:
        codes, cuts = self.layouts.codes(names)
        other = [self.odd.get(k, pa.nulls(self.n_odd, pa.string()) if self.n_odd else None)
                 for k in names]
        got = columns(self.layouts.scan, self.layouts.rows, codes, cuts, other, sel)
        return dict(zip(names, got))

    def column(self, name: str) -> pa.Array:
        """Every row of ``name``."""
        if name not in self.done:
            batch = [k for k in ALL_ROWS if k in self.names and k not in self.done] \
                if name in ALL_ROWS else [name]
            self.done.update(self._cut(batch, None))
        return self.done[name]

    def on_rows(self, name: str, keep: Callable[[pa.Array], pa.Array], alone: bool = False
                ) -> pa.Array:
        """``keep(column(name))``, cut on the kept rows alone (``alone``: that name only,
        else with every name of ``KEPT_ROWS`` not cut yet on those rows)."""
        if name in self.done:
            return keep(self.done[name])
        held = self.on.get(id(keep))
        if held is None or held[0] is not keep:
            held = (keep, {})
            self.on[id(keep)] = held
        cut = held[1]
        if name not in cut:
            sel = keep(self.rows).to_numpy()
            batch = [k for k in KEPT_ROWS if k in self.names and k not in cut] \
                if name in KEPT_ROWS and not alone else [name]
            cut.update(self._cut(batch, sel))
        return cut[name]
