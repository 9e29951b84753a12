"""Compiled loops of ``freeswitch_legs``: the µs digit fields and the gateway patterns.

``micros`` took a regex match, a cast, three comparisons and two ``if_else`` per column
(~35 ms a column of 250 k legs, nine columns a file); ``_group`` an RE2 extraction per
pattern. Here one loop over a string array's buffers does each, deciding exactly as the
Arrow expressions they replace (kept as the fallback of small inputs in ``freeswitch_legs``
and compared with these in ``tests/test_freeswitch_legs_kernels.py``). Imported lazily
(numba): only for columns large enough or once numba is loaded.
"""
from __future__ import annotations

import numba as nb
import numpy as np

MAX_DIGITS = 16  # ``_DIGITS`` of freeswitch_legs: ^[0-9]{1,16}$
# the patterns' literal starts
_SOFIA = np.frombuffer(b"sofia/", np.uint8).copy()
_GATEWAY = np.frombuffer(b"sofia/gateway/", np.uint8).copy()


@nb.njit(cache=True, nogil=True)
def micros_digits(offs: np.ndarray, data: np.ndarray, valid: np.ndarray, scale: int,
                  limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(µs, set, other) of every value: a plain run of 1 to 16 digits ``n`` with ``n <=
    limit`` is ``n * scale`` (set where that is > 0); any other valid value is marked in
    ``other`` (for ``us`` itself)."""
    rows = valid.size
    out = np.zeros(rows, np.int64)
    ok = np.zeros(rows, np.bool_)
    other = np.zeros(rows, np.bool_)
    for j in range(rows):
        if not valid[j]:
            continue
        a = offs[j]
        b = offs[j + 1]
        ln = b - a
        if ln < 1 or ln > MAX_DIGITS:
            other[j] = True
            continue
        n = 0
        plain = True
        for x in range(a, b):
            c = data[x]
            if c < 48 or c > 57:
                plain = False
                break
            n = n * 10 + (c - 48)
        if not plain or n > limit:
            other[j] = True
        elif n > 0:
            out[j] = n * scale
            ok[j] = True
    return out, ok, other


@nb.njit(cache=True, nogil=True)
def _after(data: np.ndarray, a: int, b: int, lit: np.ndarray) -> int:
    """Where ``data[a:b]`` goes on after the prefix ``lit``; -1 when it does not start so."""
    k = lit.size
    if b - a < k:
        return -1
    for x in range(k):
        if data[a + x] != lit[x]:
            return -1
    return a + k


@nb.njit(cache=True, nogil=True)
def _slash(data: np.ndarray, p: int, b: int) -> int:
    """The first '/' of ``data[p:b]`` (``b``: none)."""
    while p < b and data[p] != 47:
        p += 1
    return p


@nb.njit(cache=True, nogil=True)
def gateway_group(data: np.ndarray, a: int, b: int) -> tuple[int, int]:
    """Group of ``^sofia/gateway/([^/]+)/`` in data[a:b] (the bytes up to the first '/'
    after the prefix, if any and at least one), or (-1, -1)."""
    p = _after(data, a, b, _GATEWAY)
    if p < 0:
        return -1, -1
    q = _slash(data, p, b)
    return (p, q) if p < q < b else (-1, -1)


@nb.njit(cache=True, nogil=True)
def host_group(data: np.ndarray, a: int, b: int) -> tuple[int, int]:
    """Group of ``^sofia/[^/]+/[^@]*@([^:;/>]+)`` in data[a:b], or (-1, -1): after
    ``sofia/``, one or more bytes then '/', the first '@' after it, then the longest run
    (one byte or more) without ':', ';', '/', '>'."""
    p = _after(data, a, b, _SOFIA)
    if p < 0:
        return -1, -1
    q = _slash(data, p, b)
    if q >= b or q == p:
        return -1, -1
    q += 1
    while q < b and data[q] != 64:  # '@'
        q += 1
    if q >= b:
        return -1, -1
    q += 1
    s = q
    while q < b:
        c = data[q]
        if c == 58 or c == 59 or c == 47 or c == 62:
            break
        q += 1
    if q > s:
        return s, q
    return -1, -1


@nb.njit(cache=True, nogil=True)
def gateway_spans(offs: np.ndarray, data: np.ndarray, valid: np.ndarray, host: bool
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) in ``data`` of the group of ``_GATEWAY`` (``host`` False, see
    ``gateway_group``) or ``_SOFIA_HOST`` (True, ``host_group``) in every value; start -1
    where the pattern does not match. Every delimiter is ASCII: bytes decide as UTF-8
    characters do."""
    rows = valid.size
    gs = np.full(rows, -1, np.int64)
    ge = np.full(rows, -1, np.int64)
    for j in range(rows):
        if valid[j]:
            if host:
                gs[j], ge[j] = host_group(data, offs[j], offs[j + 1])
            else:
                gs[j], ge[j] = gateway_group(data, offs[j], offs[j + 1])
    return gs, ge


@nb.njit(cache=True, nogil=True)
def span_offsets(sel: np.ndarray, gs: np.ndarray, ge: np.ndarray) -> np.ndarray:
    """int64 offsets of a string array of the spans ``gs``..``ge`` of the rows where
    ``sel`` >= 0 (an empty value elsewhere)."""
    rows = sel.size
    offs = np.zeros(rows + 1, np.int64)
    tot = 0
    for j in range(rows):
        if sel[j] >= 0:
            tot += ge[j] - gs[j]
        offs[j + 1] = tot
    return offs


@nb.njit(cache=True, nogil=True)
def take_spans(data: np.ndarray, gs: np.ndarray, ge: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of a string array of the spans (an empty value where start < 0)."""
    offs = span_offsets(gs, gs, ge)
    buf = np.empty(offs[-1], np.uint8)
    p = 0
    for j in range(gs.size):
        if gs[j] >= 0:
            for x in range(gs[j], ge[j]):
                buf[p] = data[x]
                p += 1
    return offs, buf
