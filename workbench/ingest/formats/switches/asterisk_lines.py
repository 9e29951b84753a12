"""Reading a cdr_csv / cdr_custom file whose lines mix field counts, one pass per 4 MiB block.

Asterisk's Master.csv mixes the 16- and 21-field layouts (options turned on over the
years), so ``read_positional`` groups every line by its field count. This module gives it
the same lines, counts and groups with less work: line starts and field counts come from
one block-wise pass over bit-packed masks (quote parity by shifts within 64-bit words, no
byte-wise running XOR, no file-sized temporary). Which path a file takes, every group,
every bad line and its reason are those of ``read_positional``.
"""
from __future__ import annotations

import mmap
from collections.abc import Callable
from typing import Any

import numpy as np

from ..delimited import (
    cr_to_lf,
    nonblank_lines,
)
from . import positional
from .positional import (
    Positional,
    _many_refused,
    read_positional,
)

#: Bytes per block (cut at the next line end): temporaries stay small and are reused.
BLOCK = 1 << 22
_ONE = np.uint64(1)


def _words(mask: np.ndarray) -> np.ndarray:
    """A boolean mask packed 64 to a word (bit j of word w is element 64w + j), with one
    zero word more so a position just past the end can be looked up."""
    packed = np.packbits(mask, bitorder="little")
    out = np.zeros(len(packed) // 8 + 2, np.uint64)
    out.view(np.uint8)[:len(packed)] = packed
    return out


def _prefix_xor(words: np.ndarray) -> np.ndarray:
    """Bit i set when an odd number of bits 0…i of the whole bit string are set."""
    x = words.copy()
    for shift in (1, 2, 4, 8, 16, 32):
        x ^= x << np.uint64(shift)
    carry = np.bitwise_xor.accumulate(x >> np.uint64(63))  # parity through each word
    x[1:] ^= np.uint64(0) - carry[:-1]  # a word after an odd count flips all its bits
    return x


def _bits_before(words: np.ndarray, cum: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """How many bits set before each position (``cum``: set bits before each word)."""
    w = pos >> 6
    low = (_ONE << (pos & 63).astype(np.uint64)) - _ONE
    return cum[w] + np.bitwise_count(words[w] & low).astype(np.int64)


def _bit_at(words: np.ndarray, pos: np.ndarray) -> np.ndarray:
    return ((words[pos >> 6] >> (pos & 63).astype(np.uint64)) & _ONE).astype(bool)


def _block_counts(seg: np.ndarray, sep: int, quote: int) -> tuple[np.ndarray, np.ndarray]:
    """(line starts, field counts) of a block that starts at a line start.

    A separator counts where the quotes before it on its line are balanced: with P the
    running quote parity of the block, where P equals P just before the line's start."""
    ends = np.flatnonzero(seg == 10)
    starts = np.empty(len(ends) + 1, np.int64)
    starts[0] = 0
    starts[1:] = ends + 1
    if starts[-1] >= len(seg):
        starts = starts[:-1]
    stops = np.append(starts[1:], len(seg))
    seps = _words(seg == sep)
    cum_all = np.zeros(len(seps) + 1, np.int64)
    np.cumsum(np.bitwise_count(seps), out=cum_all[1:])
    everything = _bits_before(seps, cum_all, stops) - _bits_before(seps, cum_all, starts)
    quotes = seg == quote
    if not quotes.any():
        return starts, everything + 1
    parity = _prefix_xor(_words(quotes))
    inside = seps & parity  # separators after an odd number of quotes (from the block start)
    cum_in = np.zeros(len(inside) + 1, np.int64)
    np.cumsum(np.bitwise_count(inside), out=cum_in[1:])
    odd = _bits_before(inside, cum_in, stops) - _bits_before(inside, cum_in, starts)
    base = np.zeros(len(starts), bool)  # parity before each line
    base[1:] = _bit_at(parity, starts[1:] - 1)
    return starts, np.where(base, odd, everything - odd) + 1


def line_counts(data: bytes | mmap.mmap, delimiter: str = ",", quote: str = '"',
                block: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(line_starts(data), field_counts(data, delimiter, quote))`` in one pass (no escape
    character: Asterisk writes none)."""
    buf = np.frombuffer(data, np.uint8)
    size = BLOCK if block is None else block
    starts, counts = [], []
    lo, n = 0, len(buf)
    while lo < n:
        hi = min(lo + size, n)
        if hi < n:
            nl = data.find(b"\n", hi - 1)
            hi = n if nl < 0 else nl + 1
        s, c = _block_counts(buf[lo:hi], ord(delimiter), ord(quote))
        starts.append(s + lo)
        counts.append(c)
        lo = hi
    if not starts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(starts), np.concatenate(counts)


def read_lines(data: Any, *, expected: int, accept: Callable[[int], bool],
               reason: str, file: str,
               columns: Callable[[int], list[int]] | None = None) -> Positional:
    """``read_positional(data, delimiter=",", expected=…, accept=…, …)`` for comma files with
    double quotes: a file that mixes layouts (the same trial decides) is grouped from
    ``line_counts``; any other file goes to ``read_positional`` itself."""
    data = cr_to_lf(data)

    def want(count: int) -> Callable[[list[str], Any], list[str] | None] | None:
        if columns is None:
            return None
        keep = sorted({i for i in columns(count) if 0 <= i < count})
        return lambda _names, _line: [f"f{i}" for i in keep] or None

    kw: dict[str, Any] = dict(delimiter=",", quote_char='"', escape_char=False,
                              double_quote=True, file=file)
    if not _many_refused(data, None, None, expected, 0, want(expected), kw):
        return read_positional(data, delimiter=",", expected=expected, accept=accept,
                               reason=reason, file=file, columns=columns)
    starts, every = line_counts(data)
    refused = nonblank_lines(data, starts)
    counts = every[refused - 1]
    return positional._group_refused(data, starts, refused, counts, [], expected=expected,
                                     accept=accept, reason=reason, want=want, kw=kw)
