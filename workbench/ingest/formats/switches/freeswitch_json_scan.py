"""FreeSWITCH JSON documents read from the raw bytes of the whole file at once.

Decoding every document with orjson and handing its dicts to ``LegColumns`` cost ~15 µs a
leg, most of the reader's time. Here one byte kernel (``freeswitch_json_kernels.scan``)
walks the file once, cuts it into the windows the exact reader decodes one by one (from a
line starting with ``{`` to the next) and proves which hold a *plain* document: one orjson
reads and ``_json_leg`` takes with the usual shape, every taken field text or null. Those
are read here, block by block: the byte spans of their fields gathered into Arrow text
arrays (variables and caller profile URL-decoded as ``unquote_array`` does, a value with a
JSON escape decoded by orjson first), times parsed to µs, then ``legs_columns`` as
``LegColumns.finish`` does. Every other window is left to the exact reader
(``freeswitch_doc_json.scanned_docs``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.columns.arrow_numpy import text_array

from .freeswitch_legs import (
    PROFILE_LIST,
    TIME_LIST,
    VAR_LIST,
    legs_columns,
    micros,
    scan_names,
    unquote_array,
)

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency
    orjson = None  # type: ignore[assignment]


@dataclass
class JsonScan:
    """The windows of a file (as ``freeswitch_doc_json.JsonLines`` has them, as arrays) and
    the columns of the plain ones."""
    starts: np.ndarray  # offset of each window's '{'
    lines: np.ndarray  # its line (1-based)
    flags: np.ndarray  # PLAIN (read here), CLOSED (ends with '}'), BROKEN (``_broken``)
    ends: np.ndarray  # end of orjson's window (windows not read here)
    eols: np.ndarray  # its first line's end (windows not read here)
    columns: dict[str, pa.Array]  # FIELDS → values of the plain windows, in file order


#: first sizes of the output arrays (grown when full): windows and rows (a CDR document is
#: a few kB), bytes of each field's region (one field, an Identity header, can be a fifth of
#: the file)
FIRST_WINDOWS, FIRST_REGION = 1024, 1 << 12
_NV, _NP, _NT = len(VAR_LIST), len(PROFILE_LIST), len(TIME_LIST)
_NU = _NV + _NP  # text fields (URL-decoded), then the times
_TABLE: tuple[np.ndarray, ...] | None = None


def _name_table() -> tuple[np.ndarray, ...]:
    """(lut, chain, names, lengths, info) of the names the kernel looks up: ``lut[len,
    first byte]`` the first name of that length and first byte, ``chain`` the next one; per
    name its struct code (variables, callflow, caller_profile, times; -1) and its slot among
    VAR_LIST, PROFILE_LIST and TIME_LIST (-1 where not one of them)."""
    global _TABLE
    if _TABLE is None:
        from .freeswitch_json_kernels import MAX_KEY
        raw, keys, lengths, info = scan_names(MAX_KEY)
        assert all(0 < len(b) < MAX_KEY for b in raw)
        lut = np.full((MAX_KEY, 256), -1, np.int64)
        chain = np.full(len(raw), -1, np.int64)
        for i in reversed(range(len(raw))):
            b = raw[i]
            chain[i] = lut[len(b), b[0]]
            lut[len(b), b[0]] = i
        _TABLE = lut, chain, keys, lengths, info
    return _TABLE


class _TooLarge(Exception):
    """A field's text past 2 GiB in all: the file is read the exact way."""


def scan(data: bytes) -> JsonScan | None:
    """The windows of ``data`` and the columns of its plain documents; None when it is not
    UTF-8 (the exact reader reads its text, bad bytes replaced) or a field's texts pass 2 GiB
    in all (read the exact way)."""
    try:
        return _scan(data)
    except _TooLarge:
        return None


def _scan(data: bytes) -> JsonScan | None:
    from workbench.common.words import key_words

    from . import freeswitch_json_kernels as kern  # (numba: imported only to read a file)

    arr = np.frombuffer(data, np.uint8)
    lut, chain, keys, key_len, info = _name_table()
    nf = _NU + _NT
    cap = max(FIRST_WINDOWS, arr.size // 1024)
    starts, lines = np.empty(cap, np.int64), np.empty(cap, np.int64)
    flags = np.zeros(cap, np.uint8)
    ends, eols = np.zeros(cap, np.int64), np.zeros(cap, np.int64)
    out = _Rows(nf, cap, max(FIRST_REGION, arr.size // 256))
    st = np.zeros(6, np.int64)
    cur_s, cur_e = np.full(nf, -1, np.int64), np.full(nf, -1, np.int64)
    cur_x = np.zeros(nf, np.bool_)
    setl, listed = np.zeros(nf, np.int64), np.zeros(nf, np.bool_)
    ctx = np.zeros((2, kern.MAX_DEPTH + 1), np.int64)
    kwords = key_words(keys)
    while True:
        status = kern.scan(arr, lut, chain, keys, key_len, info, _NV, _NP, st, cur_s, cur_e,
                           cur_x, ctx, starts, lines, flags, ends, eols, out.buf, out.base,
                           out.cap, out.used, out.offs, out.valid, out.odd, out.times,
                           out.tvalid, kwords, setl, listed)
        if status == kern.NOT_UTF8:
            return None
        if status == kern.MORE_WINDOWS:
            cap *= 2
            starts, lines, flags = _grown(starts, cap), _grown(lines, cap), _grown(flags, cap)
            ends, eols = _grown(ends, cap), _grown(eols, cap)
        elif status == kern.MORE_ROWS:
            out.more_rows(int(st[kern.R]))
        elif status == kern.MORE_BYTES:
            out.more_bytes(max(1, int(st[kern.I])), arr.size, int(st[kern.FULL]),
                           int(st[kern.NEED]))
        else:
            break
    k = int(st[kern.K])
    return JsonScan(starts[:k], lines[:k], flags[:k], ends[:k], eols[:k],
                    _columns(out.arrays(int(st[kern.R]))))


class _Rows:
    """The kernel's output for the plain documents: each field's text in its own region of
    one buffer (with offsets, validity and marks), and the times as µs."""

    def __init__(self, nf: int, rows: int, region: int) -> None:
        self.cap = np.full(nf, region, np.int64)
        self.base = np.concatenate([[0], np.cumsum(self.cap)[:-1]]).astype(np.int64)
        self.buf = np.empty(int(self.cap.sum()), np.uint8)
        self.used = np.zeros(nf, np.int64)
        self.offs = np.zeros((nf, rows + 1), np.int32)
        self.valid = np.zeros((nf, rows), np.bool_)
        self.odd = np.zeros((nf, rows), np.uint8)
        self.times = np.zeros((_NT, rows), np.int64)
        self.tvalid = np.zeros((_NT, rows), np.bool_)

    def more_rows(self, r: int) -> None:
        size = 2 * self.valid.shape[1]
        self.offs = _grown2(self.offs, size + 1, r + 1)
        self.valid, self.odd = _grown2(self.valid, size, r), _grown2(self.odd, size, r)
        self.times, self.tvalid = _grown2(self.times, size, r), _grown2(self.tvalid, size, r)

    def more_bytes(self, at: int, n: int, full: int, need: int) -> None:
        """Regions for what each field is projected to need by the file's end (from the bytes
        read so far, ``at``), field ``full`` at least ``need`` bytes and twice its region."""
        cap = np.maximum(self.cap, (self.used * (n / at) * 1.25).astype(np.int64) + FIRST_REGION)
        cap[full] = max(int(cap[full]), 2 * int(self.cap[full]), need)
        if cap[full] >= 2**31:  # (an offset of a string array is an int32)
            raise _TooLarge()
        cap = np.minimum(cap, 2**31 - 1)
        base = np.concatenate([[0], np.cumsum(cap)[:-1]]).astype(np.int64)
        buf = np.empty(int(cap.sum()), np.uint8)
        for f in range(len(cap)):
            u = int(self.used[f])
            buf[base[f]:base[f] + u] = self.buf[self.base[f]:self.base[f] + u]
        self.buf, self.base, self.cap = buf, base, cap

    def arrays(self, r: int) -> list[pa.Array]:
        """The fields of the ``r`` rows: text (URL-decoded) then times (µs)."""
        cols: list[pa.Array] = []
        for f in range(_NU + _NT):
            text = text_array(self.offs[f, :r + 1], self.buf[self.base[f]:self.base[f] +
                                                          self.used[f]], self.valid[f, :r])
            at = np.flatnonzero(self.odd[f, :r])
            if f < _NU:
                if len(at):  # orjson's text, then ``unquote_array`` as the reader has it
                    text = _put(text, at, unquote_array(self._texts(text, f, at)))
                cols.append(text)
                continue
            col = _ints(self.times[f - _NU, :r], self.tvalid[f - _NU, :r])
            if len(at):  # other text than a plain µs count: ``micros`` decides
                col = _put(col, at, micros(self._texts(text, f, at), 1))
            cols.append(col)
        return cols

    def _texts(self, text: pa.Array, f: int, at: np.ndarray) -> pa.Array:
        raw = text.take(pa.array(at)).cast(pa.binary()).to_pylist()
        how = self.odd[f, at].tolist()
        return pa.array([_text(b, h) for b, h in zip(raw, how)], pa.string())


def _grown(a: np.ndarray, size: int) -> np.ndarray:
    b = np.zeros(size, a.dtype)
    b[:len(a)] = a
    return b


def _grown2(a: np.ndarray, size: int, used: int) -> np.ndarray:
    b = np.zeros((a.shape[0], size), a.dtype)
    b[:, :used] = a[:, :used]
    return b


def _text(raw: bytes, how: int) -> str:
    """The text of a JSON string whose content is ``raw`` (``how`` & 2: it holds escapes)."""
    if how & 2:
        assert orjson is not None
        value: str = orjson.loads(b'"' + raw + b'"')
        return value
    return raw.decode("utf-8")


def _put(col: pa.Array, at: np.ndarray, vals: pa.Array) -> pa.Array:
    mask = np.zeros(len(col), bool)
    mask[at] = True
    return pc.replace_with_mask(col, pa.array(mask), vals.cast(col.type))


def _ints(vals: np.ndarray, valid: np.ndarray) -> pa.Array:
    rows = len(valid)
    nulls = rows - int(np.count_nonzero(valid))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    return pa.Array.from_buffers(pa.int64(), rows, [bitmap, pa.py_buffer(vals)], nulls)


def _columns(cols: list[pa.Array]) -> dict[str, pa.Array]:
    """FIELDS from the fields gathered, as ``LegColumns.finish`` makes them."""
    var = dict(zip(VAR_LIST, cols))
    prof = dict(zip(PROFILE_LIST, cols[_NV:_NU]))
    times = dict(zip(TIME_LIST, cols[_NU:]))
    return legs_columns(var, prof, times)
