"""Telephone numbers to E.164, vectorized over whole columns.

NANP numbers in their common written forms (``+1…``, ``1…``, 10-digit national, `sip:`/`tel:`
URIs, punctuation) are read per row straight off the Arrow buffer with numpy. Every other
form seen in CDRs (``011…``, display names, URI parameters, other countries, scientific
notation) is settled with pyarrow string kernels over the distinct values, and only what
those rules cannot settle goes through ``phonenumbers``, once per distinct value (it costs
~13 µs a call).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.columns import keysort
from workbench.columns.arrow_numpy import (
    from_numpy,
    scalar,
    string_chunk_buffers,
    strings,
    to_numpy,
)
from workbench.common.compiled import worth_compiling

from .textbytes import TextBytes

# Per-row flags (bit values shared with workbench.flags)
MISSING = 1
UNPARSED = 2
INVALID = 4
FICTIONAL = 8
SCIENTIFIC = 16

NANP_REGIONS = {"US", "CA", "PR", "GU", "VI", "AS", "MP", "AG", "AI", "BB", "BM", "BS", "DM",
                "DO", "GD", "JM", "KN", "KY", "LC", "MS", "SX", "TC", "TT", "VC", "VG"}


@dataclass
class Numbers:
    """Normalized numbers of one column, aligned with its rows."""

    text: pa.DictionaryArray  # E.164 where normalized, else the raw value
    key: np.ndarray  # int64: E.164 digits as an integer; -1 when not normalized
    flags: np.ndarray  # uint8 per row
    entry_key: np.ndarray  # int64 key of each entry of text.dictionary
    order: np.ndarray | None = None  # stable argsort of key, when asked for (sort=True)
    sorted_key: np.ndarray | None = None  # key in that order, when the sort gave it


def normalize_numbers(col: pa.Array | pa.ChunkedArray, default_country: str = "US", *,
                      sort: bool = False) -> Numbers:
    """Normalize a column of raw number strings; nothing is dropped. With ``sort`` the
    result carries the rows' stable order by key (the called-number index needs it)."""
    if not pa.types.is_string(col.type):
        col = pc.cast(col, pa.string())
    nanp = (default_country or "US").upper() in NANP_REGIONS
    if isinstance(col, pa.ChunkedArray) and not (nanp and use_kernels(len(col))):
        # (the compiled readers take the chunks where they are; every other path one array)
        col = col.combine_chunks() if col.num_chunks else strings([])
    if nanp:
        res = _normalize_rows_fast(col, default_country, sort)
    else:
        res = _normalize_by_distinct(col, default_country)
    if sort and res.order is None:
        res.order = keysort.stable_argsort(res.key)
    return res


def _normalize_rows_fast(col: pa.Array | pa.ChunkedArray, default_country: str,
                         sort: bool) -> Numbers:
    """NANP numbers (plain digits, SIP/tel URIs, punctuated) read per row off the Arrow
    buffer, no hashing of strings; only rows none of the readers settles go through the
    per-distinct-value path. A long column is read by compiled loops (``numbers_kernels``),
    a short one by the numpy passes (importing numba would cost more than it saves)."""
    compiled = use_kernels(len(col))
    head = col.slice(0, HEAD_ROWS)
    readers = _readers_for(head.combine_chunks() if isinstance(head, pa.ChunkedArray) else head)
    key = _kernel_keys(col, readers) if compiled else None
    if isinstance(col, pa.ChunkedArray):  # (given in chunks only to the kernel)
        col = col.combine_chunks() if key is None else col
    if key is None:  # short, or a column the kernel hands back (numbers_kernels.BAIL)
        key = _reader_keys(col, readers)
    rest = np.flatnonzero(key < 0)
    fast = key >= 0
    if not fast.any():
        return _normalize_by_distinct(_joined(col), default_country)
    order = None
    sorted_key = None
    if sort and not len(rest):  # sorting gives the distinct keys too: no hashing
        order, sorted_key = _sort_with_order(key, compiled)
        idx, entry_key = _factorize_sorted(key, order, sorted_key, compiled)
    elif compiled:  # as Arrow's dictionary_encode gives them: distinct keys by first row
        from workbench.columns import numbers_kernels as nk
        idx = np.empty(len(key), dtype=np.int32)
        entry_key = nk.first_seen(key, idx)  # a row left (key -1) counts as key 0
    else:
        enc = pc.dictionary_encode(from_numpy(np.where(fast, key, 0)))
        entry_key = to_numpy(enc.dictionary)  # never pyarrow's to_numpy: it imports pandas
        idx = to_numpy(enc.indices).astype(np.int32)
    texts = _e164_texts(entry_key, compiled)
    flags = _entry_flags(entry_key, compiled)[idx]
    if len(rest):
        slow = _normalize_by_distinct(_joined(pc.take(col, from_numpy(rest))), default_country)
        key[rest] = slow.key
        flags[rest] = slow.flags
        idx[rest] = to_numpy(slow.text.indices) + len(texts)
        texts = pa.concat_arrays([texts, slow.text.dictionary])
        entry_key = np.concatenate([entry_key, slow.entry_key])
    return Numbers(pa.DictionaryArray.from_arrays(from_numpy(idx, pa.int32()), texts), key, flags,
                   entry_key, order, sorted_key)


def _sort_with_order(key: np.ndarray, compiled: bool) -> tuple[np.ndarray, np.ndarray]:
    """``keysort.sort_with_order`` of non-negative keys: its packed sort (key above row
    number, one plain sort) with the packing and unpacking done by compiled loops when the
    kernels are in use (the numpy way made nine whole-column passes and five temporaries:
    40 -> 30 ms of CPU for a 2 M-row called column); the numpy passes otherwise, or when the
    span and row numbers need more than 64 bits."""
    n = len(key)
    if not compiled or n < 2:
        return keysort.sort_with_order(key)
    lo, hi = int(key.min()), int(key.max())
    bits = (n - 1).bit_length()
    if lo < 0 or hi == lo or (hi - lo).bit_length() + bits > 64:
        return keysort.sort_with_order(key)
    from workbench.columns import numbers_kernels as nk
    packed = np.empty(n, dtype=np.uint64)
    nk.pack_rows(key, np.int64(lo), np.int64(bits), packed)
    packed.sort()
    order = np.empty(n, dtype=np.int64)
    ordered = np.empty(n, dtype=np.int64)
    nk.unpack_rows(packed, np.int64(lo), np.int64(bits), order, ordered)
    return order, ordered


def _factorize_sorted(key: np.ndarray, order: np.ndarray, sorted_key: np.ndarray,
                      compiled: bool) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct keys) of ``keysort.factorize_sorted``: by one compiled pass when the
    kernels are in use (a 2 M-row called column: 34 -> 15 ms of CPU), else by the numpy
    passes (the same arrays)."""
    if not compiled:
        _, idx, entry_key = keysort.factorize_sorted(key, order, sorted_key)
        return idx, entry_key
    from workbench.columns import numbers_kernels as nk
    idx = np.empty(len(key), dtype=np.int32)
    return idx, nk.factorize_sorted(order, sorted_key, idx)


def _entry_flags(entry_key: np.ndarray, compiled: bool) -> np.ndarray:
    """``_validity`` of every distinct key: its NANP rules by one compiled pass when the
    kernels are in use (the distinct keys of a 2 M-row column: 11 -> 2.4 ms of CPU), the
    other keys one by one as there."""
    if not compiled:
        return _validity(entry_key, np.ones(len(entry_key), bool))
    from workbench.columns import numbers_kernels as nk
    flags = np.empty(len(entry_key), dtype=np.uint8)
    if nk.nanp_validity(entry_key, _BAD_NPA, _BAD_NXX, flags):
        other = (entry_key < 12_000_000_000) | (entry_key >= 20_000_000_000)
        for i in np.flatnonzero(other):
            if not _valid_international(int(entry_key[i])):
                flags[i] |= INVALID
    return flags


#: Columns of at least this many rows are read by the compiled loops: importing numba and
#: loading the kernels costs ~0.25 s of CPU once a process, which the numpy passes spend
#: on some 1-2 M numbers. Shorter columns (a batch's targets, small sources, tests) keep the
#: numpy passes unless numba is loaded already. Both give the same results.
KERNEL_ROWS = 1 << 18


def use_kernels(n: int) -> bool:
    """Whether a column of ``n`` rows is read by the compiled loops."""
    return worth_compiling(n, KERNEL_ROWS)


def _joined(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _kernel_keys(col: pa.Array | pa.ChunkedArray,
                 readers: list[Callable[[pa.Array], np.ndarray]]) -> np.ndarray | None:
    """``_reader_keys`` by one compiled pass over the column's buffers, chunk by chunk (no
    joined copy of them); None when the kernel cannot read the column exactly."""
    from workbench.columns import numbers_kernels as nk

    bits = np.int64(sum(_READER_BITS[r] for r in readers))
    key = np.empty(len(col), dtype=np.int64)
    learned = nk.layout_state()
    at = 0
    for chunk in col.chunks if isinstance(col, pa.ChunkedArray) else [col]:
        n = len(chunk)
        if not n:
            continue
        # (the kernel reads eight-byte words: a tiny buffer gets spare bytes)
        offsets, data, valid = string_chunk_buffers(chunk, pad=16)
        if nk.nanp_keys(offsets, data, _unaligned(data, "<u8"), valid, bits,
                        np.int64(HEAD_ROWS), key[at:at + n], *learned):
            return None
        at += n
    return key


def _reader_keys(col: pa.Array, readers: list[Callable[[pa.Array], np.ndarray]]) -> np.ndarray:
    """Keys of the rows the readers settle, each reader given the rows the ones before it
    left (-1 for the rest): the numpy passes ``_kernel_keys`` replaces."""
    key = readers[0](col)
    rest = np.flatnonzero(key < 0)
    for reader in readers[1:]:
        if not len(rest):
            break
        again = reader(pc.take(col, from_numpy(rest)))
        key[rest] = again
        rest = rest[again < 0]
    return key


def _e164_texts(entry_key: np.ndarray, compiled: bool) -> pa.Array:
    """"+" and the digits of each key as a string array: written by a compiled loop for
    non-negative keys (every key here), else Arrow's cast and join."""
    k = len(entry_key)
    if compiled and k and int(entry_key.min()) >= 0 and 21 * k < 2**31:
        from workbench.columns import numbers_kernels as nk
        offsets = np.empty(k + 1, dtype=np.int32)
        data = nk.e164_text(entry_key, offsets)
        return pa.Array.from_buffers(pa.string(), k, [None, pa.py_buffer(offsets),
                                                      pa.py_buffer(data)])
    return pc.binary_join_element_wise(scalar("+", pa.string()),
                                       pc.cast(from_numpy(entry_key), pa.string()),
                                       scalar("", pa.string()))


def _normalize_by_distinct(col: pa.Array, default_country: str) -> Numbers:
    enc = pc.dictionary_encode(col)
    uniq = enc.dictionary
    text, key, flags = normalize_distinct(uniq, default_country)
    idx = to_numpy(enc.indices) if enc.indices.null_count == 0 else \
        to_numpy(enc.indices.fill_null(scalar(-1, enc.indices.type)))
    n_uniq = len(uniq)
    # a null row gets index n_uniq: a "missing" slot appended to the distinct values
    idx = np.where(idx < 0, n_uniq, idx).astype(np.int32)
    text = pa.concat_arrays([text, strings([None])])
    key = np.append(key, -1)
    flags = np.append(flags, np.uint8(MISSING))
    return Numbers(pa.DictionaryArray.from_arrays(from_numpy(idx, pa.int32()), text),
                   key[idx], flags[idx], key)


def normalize_one(value: str, default_country: str = "US") -> tuple[str, int, int]:
    """One number (e.g. from the command line): (E.164 or raw, key, flags)."""
    text, key, flags = normalize_distinct(strings([value]), default_country)
    return text[0].as_py(), int(key[0]), int(flags[0])


def normalize_distinct(uniq: pa.Array, default_country: str = "US"
                       ) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """E.164 text, int64 key and flags for an array of distinct raw strings: Arrow string
    kernels for the written forms, phonenumbers for what they leave."""
    return _normalize_slow(uniq, (default_country or "US").upper())


HEAD_ROWS = 2048


def _readers_for(head: pa.Array) -> list[Callable[[pa.Array], np.ndarray]]:
    """The NANP readers worth running over a column: plain digits; SIP/tel URIs; punctuated
    forms such as "(312) 555-0143". Each is tried on the column's head, in that order, and
    one that settles none of the head's rows left to it is skipped (rows it would have read
    still reach the general path, only slower)."""
    chosen: list[Callable[[pa.Array], np.ndarray]] = []
    left = head
    for reader in (_fast_nanp, _uri_nanp, _layout_nanp, _unmarked_nanp):
        if not len(left):
            break
        got = reader(left)
        if (got >= 0).any():
            chosen.append(reader)
            left = pc.filter(left, from_numpy(got < 0))
    if not chosen:
        chosen.append(_fast_nanp)
    return chosen


def _fast_nanp(col: pa.Array) -> np.ndarray:
    """int64 E.164 key for values that are exactly +1NXXNXXXXXX, 1NXXNXXXXXX or
    NXXNXXXXXX (digits only); -1 for everything else."""
    b = TextBytes(col, pad=False)  # reads inside each value only: no padded copy
    return _nanp_keys(b.data, b.start, b.end)


#: Rows per block of ``_nanp_keys``: its temporaries (a few 128 KiB arrays) stay in the CPU
#: cache, where whole-column ones (16 MB each for 2 M rows) stream through memory on every
#: pass and make the kernel clear fresh pages: 2-2.5x less CPU.
_BLOCK = 1 << 14


def _nanp_keys(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """NANP keys of the byte ranges [starts, ends): the last ten bytes must be digits (NPA
    2-9) with nothing, "1" or "+1" before them; -1 elsewhere. Two gathers a row (eight
    bytes, then two), no row loop. A ``data`` shorter than ten bytes is padded first."""
    n = len(starts)
    if len(data) < 10:  # a buffer cut to its bytes (a tiny mapped file): the words need ten
        data = np.concatenate([data, np.zeros(10 - len(data), np.uint8)])
    words = _unaligned(data, "<u8")
    pairs = _unaligned(data, "<u2")
    if n <= _BLOCK:
        return _nanp_block(data, words, pairs, starts, ends)
    out = np.empty(n, dtype=np.int64)
    for i in range(0, n, _BLOCK):
        out[i:i + _BLOCK] = _nanp_block(data, words, pairs, starts[i:i + _BLOCK],
                                        ends[i:i + _BLOCK])
    return out


def _unaligned(data: np.ndarray, dtype: str) -> np.ndarray:
    """Every ``dtype``-wide little-endian word of ``data``, one starting at each byte (a
    strided view, no copy): element i holds bytes i .. i + width - 1."""
    width = np.dtype(dtype).itemsize
    return np.ndarray(shape=(max(len(data) - width + 1, 0),), dtype=dtype, buffer=data,
                      strides=(1,))


# SWAR (several digits in one integer): masks and steps over eight ASCII bytes at once
_HIGH = np.uint64(0xF0F0F0F0F0F0F0F0)
_ZEROS8 = np.uint64(0x3030303030303030)
_SIX8 = np.uint64(0x0606060606060606)
_LOW = np.uint64(0x0F0F0F0F0F0F0F0F)
_PAIRS = np.uint64(0x00FF00FF00FF00FF)
_QUADS = np.uint64(0x0000FFFF0000FFFF)
_HALF = np.uint64(0x00000000FFFFFFFF)


def _all_digits(word: np.ndarray, high: np.generic, zeros: np.generic,
                six: np.generic) -> np.ndarray:
    """Whether every byte of each word is an ASCII digit: its high nibble is 3, and adding
    6 keeps it 3 (0x3A-0x3F would carry into 4). No byte carries into the next: each is
    0x30-0x3F wherever the first test holds."""
    ok: np.ndarray = (word & high) == zeros
    ok &= ((word + six) & high) == zeros
    return ok


def _nanp_block(data: np.ndarray, words: np.ndarray, pairs: np.ndarray, starts: np.ndarray,
                ends: np.ndarray) -> np.ndarray:
    """``_nanp_keys`` of one block of rows: the first eight of the ten digits as one 64-bit
    word, turned into their value in three multiply-add steps (pairs, fours, eights), and
    the last two as one 16-bit word."""
    lengths = ends - starts
    good = (lengths >= 10) & (lengths <= 12)
    base = np.where(good, ends - 10, 0)
    word = words[base]
    good &= _all_digits(word, _HIGH, _ZEROS8, _SIX8)
    word &= _LOW  # byte i: digit i, first digit in the lowest byte
    word = (word * np.uint64(10) + (word >> np.uint64(8))) & _PAIRS
    word = (word * np.uint64(100) + (word >> np.uint64(16))) & _QUADS
    word = (word * np.uint64(10000) + (word >> np.uint64(32))) & _HALF
    last = pairs[base + 8]
    good &= _all_digits(last, np.uint16(0xF0F0), np.uint16(0x3030), np.uint16(0x0606))
    value = word.astype(np.int64)
    value *= 100
    value += (last & np.uint16(0x0F)).astype(np.int64) * 10
    value += (last >> np.uint16(8)).astype(np.int64) - 48
    # what comes before the ten digits: nothing, "1" or "+1"
    before = np.take(data, base - 1, mode="clip")
    good &= (lengths < 11) | (before == ord("1"))
    before = np.take(data, base - 2, mode="clip")
    good &= (lengths != 12) | (before == ord("+"))
    good &= value >= 2_000_000_000  # NPA starts 2-9
    value += 10_000_000_000
    value[~good] = -1
    return value


_URI_END = np.zeros(256, dtype=bool)
_URI_END[[ord("@"), ord(";"), ord(">"), ord(",")]] = True


def _uri_nanp(col: pa.Array) -> np.ndarray:
    """NANP keys of `sip:`/`sips:` URIs whose user part (up to the "@") and `tel:` URIs
    whose number (up to a parameter) are plain NANP digits; -1 elsewhere."""
    b = TextBytes(col)
    data, starts, ends = b.data, b.start, b.end
    low = [data[starts + i] | 0x20 for i in range(5)]  # ASCII letters to lower case
    colon = [data[starts + i] == ord(":") for i in range(5)]
    sip = (low[0] == ord("s")) & (low[1] == ord("i")) & (low[2] == ord("p"))
    tel = (low[0] == ord("t")) & (low[1] == ord("e")) & (low[2] == ord("l")) & colon[3]
    user = np.where(sip & colon[3], starts + 4, np.where(sip & (low[3] == ord("s")) & colon[4],
                                                         starts + 5, np.where(tel, starts + 4, -1)))
    rows = np.flatnonzero(user >= 0)
    key = np.full(len(starts), -1, dtype=np.int64)
    if not len(rows):
        return key
    # A NANP user part is 10, 11 or 12 bytes long: the first stop byte must be at one of
    # those places (an earlier one would put a non-digit inside the range, which fails).
    user, limit = user[rows], ends[rows]
    end = np.full(len(rows), -1, dtype=np.int64)
    at_sign = np.zeros(len(rows), dtype=bool)
    for width in (12, 11, 10):  # the shortest that fits wins
        pos = user + width
        byte = data[np.minimum(pos, len(data) - 1)]
        here = (pos == limit) | ((pos < limit) & _URI_END[byte])
        end = np.where(here, pos, end)
        at_sign = np.where(here, (pos < limit) & (byte == ord("@")), at_sign)
    # SIP: the user part, then "@". tel: no "@" anywhere, else a SIP URI later in the value
    # would win (as it does in the general rules)
    anywhere = pc.fill_null(pc.find_substring(pc.take(col, from_numpy(rows)), "@"), -1)
    no_at = anywhere.to_numpy(zero_copy_only=False) < 0
    usable = (end >= 0) & np.where(tel[rows], no_at, at_sign)
    got = _nanp_keys(data, user, np.where(usable, end, user))
    key[rows] = np.where(usable, got, -1)
    return key


_MARK = np.zeros(256, dtype=bool)
_MARK[[ord(c) for c in " -().\t"]] = True


def _layout_nanp(col: pa.Array) -> np.ndarray:
    """NANP keys of punctuated numbers written to one layout per length, such as
    "(312) 555-0143" or "312.555.0143": the first value of each length gives the layout
    (where its digits and marks sit) and every value of that length is read at those
    places, one gather per byte. Values off the layout are left to the next reader."""
    b = TextBytes(col)
    data, starts, ends = b.data, b.start, b.end
    lengths = ends - starts
    key = np.full(len(starts), -1, dtype=np.int64)
    for width in np.unique(lengths[:HEAD_ROWS]):
        rows = np.flatnonzero(lengths == width)
        layout = data[starts[rows[0]]:starts[rows[0]] + width].tobytes()
        digits = [i for i, ch in enumerate(layout) if 48 <= ch <= 57]
        marks = [i for i, ch in enumerate(layout) if not 48 <= ch <= 57]
        plus = layout[:1] == b"+"
        if len(digits) not in (10, 11) or (plus and len(digits) != 11) or \
                not all(_MARK[layout[i]] or (i == 0 and plus) for i in marks) or \
                (plus and digits[0] != 1):
            continue
        base = starts[rows]
        good = np.ones(len(rows), dtype=bool)
        for i in marks:
            good &= data[base + i] == layout[i]
        value = np.zeros(len(rows), dtype=np.int64)
        for i in digits[-10:]:
            d = data[base + i] - np.uint8(48)  # uint8: bytes below '0' wrap round to >= 10
            good &= d < 10
            value = value * 10 + d
        if len(digits) == 11:
            good &= data[base + digits[0]] == ord("1")
        good &= value >= 2_000_000_000  # NPA starts 2-9
        key[rows[good]] = value[good] + 10_000_000_000
    return key


def _unmarked_nanp(col: pa.Array) -> np.ndarray:
    """NANP keys once spaces, dashes, dots and brackets are dropped from each value: the
    whole buffer compacted in one numpy pass."""
    b = TextBytes(col)
    data, starts, ends = b.data, b.start, b.end
    if not len(starts):
        return np.zeros(0, dtype=np.int64)
    first, stop = int(starts[0]), int(ends[-1])
    body = data[first:stop]
    marked = _MARK[body]
    lengths = ends - starts
    marks = np.zeros(len(starts), dtype=np.int64)
    some = np.flatnonzero(lengths > 0)
    if len(some) and len(body):
        marks[some] = np.add.reduceat(marked, starts[some] - first, dtype=np.int64)
    new_ends = np.cumsum(lengths - marks)
    bare = np.concatenate([body[~marked], np.zeros(10, np.uint8)])
    return _nanp_keys(bare, new_ends - (lengths - marks), new_ends)


#: the kernel's bit for each reader (numbers_kernels.FAST, URI, LAYOUT, UNMARKED)
_READER_BITS: dict[Callable[[pa.Array], np.ndarray], int] = {
    _fast_nanp: 1, _uri_nanp: 2, _layout_nanp: 4, _unmarked_nanp: 8}

# marks people write inside numbers; what is left must be the number's digits
_MARKS = r"[\s\-.()/\[\]]"


def _normalize_slow(uniq: pa.Array, region: str) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    n = len(uniq)
    s = pc.utf8_trim_whitespace(uniq)
    s = _user_part(s)
    cleaned = pc.replace_substring_regex(s, _MARKS, "")
    cleaned = pc.replace_substring_regex(cleaned, r"^\+{2,}", "+")
    digits = pa.nulls(n, pa.string())
    flags = np.zeros(n, dtype=np.uint8)

    def settle(pattern: str, prefix: str = "") -> None:
        nonlocal digits
        got = _grp(cleaned, pattern, "d")
        if prefix:
            got = pc.binary_join_element_wise(_text(prefix), got, _text(""))
        digits = pc.coalesce(digits, got)

    settle(r"^\+(?P<d>1[2-9]\d{9})$")
    settle(r"^\+(?P<d>[2-9]\d{6,14})$")
    if region in NANP_REGIONS:
        settle(r"^(?P<d>1[2-9]\d{9})$")
        settle(r"^(?P<d>[2-9]\d{9})$", "1")
        settle(r"^011(?P<d>[2-9]\d{6,14})$")
    # scientific notation from spreadsheets: 1.3125550178E+10
    sci = pc.match_substring_regex(s, r"^\d(?:\.\d+)?[eE]\+?\d{1,2}$")
    sci_np = to_numpy(pc.fill_null(sci, scalar(False, pa.bool_())))
    if sci_np.any():
        vals = pc.cast(pc.if_else(sci, s, _text(None)), pa.float64())
        ints = pc.cast(pc.cast(pc.round(vals), pa.int64()), pa.string())
        flags[sci_np] |= SCIENTIFIC
        if region in NANP_REGIONS:
            ints = pc.coalesce(_grp(ints, r"^(?P<d>1[2-9]\d{9})$", "d"),
                               pc.binary_join_element_wise(
                                   _text("1"),
                                   _grp(ints, r"^(?P<d>[2-9]\d{9})$", "d"), _text("")))
        digits = pc.coalesce(digits, ints)
    length = pc.utf8_length(pc.utf8_trim_whitespace(uniq))
    empty = pc.fill_null(pc.equal(length, scalar(0, length.type)), scalar(True, pa.bool_()))
    empty_np = to_numpy(empty)
    # what the vectorized rules could not settle: phonenumbers, once per distinct value
    left = np.flatnonzero(to_numpy(pc.is_null(digits)) & ~empty_np)
    if len(left):
        found = [_with_phonenumbers(cleaned[i].as_py(), uniq[i].as_py(), region) for i in left]
        patch = strings(found)
        order = np.full(n, -1, dtype=np.int64)
        order[left] = np.arange(len(left))
        extra = pc.take(patch, from_numpy(np.where(order >= 0, order, 0)))
        extra = pc.if_else(from_numpy(order >= 0), extra, _text(None))
        digits = pc.coalesce(digits, extra)
    ok = to_numpy(pc.is_valid(digits))
    key = to_numpy(pc.cast(pc.fill_null(digits, _text("-1")), pa.int64()))
    flags[empty_np] |= MISSING
    flags[~ok & ~empty_np] |= UNPARSED
    flags |= _validity(key, ok)
    text = pc.if_else(from_numpy(ok), pc.binary_join_element_wise(
        _text("+"), pc.fill_null(digits, _text("")), _text("")), uniq)
    return text, key, flags


def _text(value: str | None) -> pa.Scalar:
    """A string scalar for a kernel argument, made without pyarrow's pandas shim (a
    normalized number of the command line is on the warm path: ``columns.arrow_numpy``)."""
    return scalar(value, pa.string())


def _grp(arr: pa.Array, pattern: str, name: str) -> pa.Array:
    """Named group of a regex per row; null where it does not match."""
    return pc.struct_field(pc.extract_regex(arr, pattern), name)


def _user_part(s: pa.Array) -> pa.Array:
    """The number inside SIP/tel URIs; a display name when the URI has no user part."""
    sip_user = _grp(s, r"(?i)sips?:(?P<u>[^@;>]+)(?:;[^@>]*)?@", "u")
    tel = _grp(s, r"(?i)tel:(?P<u>[^;>,]+)", "u")
    display = _grp(s, r"^\s*[\"']?(?P<u>\+?[\d\s().\-]{7,})[\"']?\s*<", "u")
    has_uri = pc.match_substring_regex(s, r"(?i)(sips?|tel):")
    uri_val = pc.coalesce(sip_user, tel, display)
    return pc.if_else(pc.fill_null(has_uri, scalar(False, pa.bool_())),
                      pc.coalesce(uri_val, s), s)


def _with_phonenumbers(cleaned: str | None, raw: str, region: str) -> str | None:
    import phonenumbers  # ~20 ms to import: only numbers the vectorized rules leave need it
    text = cleaned or raw
    if not text or not any(ch.isdigit() for ch in text):
        return None
    for candidate in (text, raw):
        try:
            num = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(num):
            return f"{num.country_code}{num.national_number}"
    return None


def _validity(key: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """INVALID / FICTIONAL flags: NANP rules vectorized, phonenumbers for the rest."""
    flags = np.zeros(len(key), dtype=np.uint8)
    nanp = ok & (key >= 12_000_000_000) & (key < 20_000_000_000)
    # NPA, NXX and line of the NANP keys by two divisions (int64 division is the cost here),
    # then the NPA and NXX rules as lookups
    local = np.where(nanp, key - 10_000_000_000, 0)
    npa = local // 10_000_000
    rest = local - npa * 10_000_000
    nxx = rest // 10_000
    line = rest - nxx * 10_000
    bad = nanp & (_BAD_NPA[npa] | _BAD_NXX[nxx])
    flags[bad] |= INVALID
    flags[nanp & (nxx == 555) & (line >= 100) & (line <= 199)] |= FICTIONAL
    for i in np.flatnonzero(ok & ~nanp):
        if not _valid_international(int(key[i])):
            flags[i] |= INVALID
    return flags


_CODES = np.arange(1000)
#: NPAs no number can have: below 200, N11 service codes, and the reserved N9X.
_BAD_NPA = (_CODES < 200) | (_CODES % 100 == 11) | ((_CODES // 10) % 10 == 9)
#: Central office codes no number can have: below 200 and N11.
_BAD_NXX = (_CODES < 200) | (_CODES % 100 == 11)


@lru_cache(maxsize=1 << 17)
def _valid_international(key: int) -> bool:
    """phonenumbers' numbering-plan check of one E.164 number given as its digits,
    remembered: the same foreign callers show up at every hop of a case."""
    import phonenumbers
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(f"+{key}", None))
    except phonenumbers.NumberParseException:
        return False


