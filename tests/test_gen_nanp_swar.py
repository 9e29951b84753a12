"""``numbers._nanp_keys`` reads the ten digits of a NANP number as one 64-bit and one 16-bit
word (SWAR): it must give the keys the byte-at-a-time reader it replaced gave, for any bytes."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.columns import numbers as num

_ASCII_ZEROS = 48 * 1_111_111_111


def _old_nanp_block(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The reader as it was (one gather per digit): the oracle."""
    n = len(starts)
    lengths = ends - starts
    good = (lengths >= 10) & (lengths <= 12)
    base = np.where(good, ends - 10, 0)
    value = np.zeros(n, dtype=np.int64)
    at = np.empty(n, dtype=np.int64)
    d = np.empty(n, dtype=np.uint8)
    digit = np.empty(n, dtype=np.uint8)
    ok = np.empty(n, dtype=bool)
    for j in range(10):
        np.add(base, j, out=at)
        np.take(data, at, out=d)
        np.subtract(d, np.uint8(48), out=digit)
        np.less(digit, 10, out=ok)
        good &= ok
        value *= 10
        value += d
    value -= _ASCII_ZEROS
    np.subtract(base, 1, out=at)
    np.take(data, at, out=d, mode="clip")
    np.greater_equal(lengths, 11, out=ok)
    good &= ~ok | (d == ord("1"))
    np.subtract(base, 2, out=at)
    np.take(data, at, out=d, mode="clip")
    np.equal(lengths, 12, out=ok)
    good &= ~ok | (d == ord("+"))
    good &= value >= 2_000_000_000
    value += 10_000_000_000
    value[~good] = -1
    return value


# bytes near the digits' edges ('/' ':' before and after '0'-'9', 0x30-0x3F and 0xF0-0xFF
# for the nibble tests) and the prefixes
_BYTE = st.sampled_from(b"0123456789/:;?+1 (-)\xf9\xfa\xff\x00\x3a\x3f\x40\x29\x2f")
_DIGITS = st.text("0123456789", min_size=10, max_size=10)
_VALUE = st.one_of(
    st.binary(max_size=14),
    st.lists(_BYTE, max_size=14).map(bytes),
    st.tuples(st.sampled_from(["", "1", "+1", "+", "11", "2", "+2"]), _DIGITS)
    .map(lambda t: (t[0] + t[1]).encode()),
    st.tuples(_DIGITS, st.integers(0, 9), _BYTE)
    .map(lambda t: t[0][:t[1]].encode() + bytes([t[2]]) + t[0][t[1] + 1:].encode()),
)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(_VALUE, min_size=1, max_size=40), block=st.integers(1, 16))
def test_swar_keys_are_the_bytewise_keys(monkeypatch, values, block):
    monkeypatch.setattr(num, "_BLOCK", block)
    data = np.frombuffer(b"".join(values) + b"\0" * 10, dtype=np.uint8)
    ends = np.cumsum([len(v) for v in values]).astype(np.int64)
    starts = ends - np.array([len(v) for v in values], dtype=np.int64)
    assert num._nanp_keys(data, starts, ends).tolist() == \
        _old_nanp_block(data, starts, ends).tolist()


@settings(max_examples=100, deadline=None)
@given(values=st.lists(_VALUE, min_size=1, max_size=30))
def test_a_column_read_without_padding(values):
    # the plain-digits reader hands the column's own buffer (no spare bytes after it)
    col = pa.array([v.decode("latin-1") for v in values], pa.string())
    got = num._fast_nanp(col)
    from workbench.columns.textbytes import TextBytes
    b = TextBytes(col, pad=False)
    assert got.tolist() == _old_nanp_block(b.data, b.start, b.end).tolist()
