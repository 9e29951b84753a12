"""The compiled NANP fast path (``columns.numbers_kernels``) against the numpy code it
replaced, kept here as the oracle: the chained readers (``numbers._reader_keys``), Arrow's
``dictionary_encode`` for the calling numbers' dictionary and Arrow's cast for the E.164
texts; and the whole ``_normalize_rows_fast`` against its committed version."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.columns import keysort
from workbench.columns import numbers as num
from workbench.columns import numbers_kernels as nk
from workbench.columns.arrow_numpy import from_numpy, scalar, to_numpy


def _old_rows_fast(col: pa.Array, default_country: str, sort: bool) -> num.Numbers:
    """``numbers._normalize_rows_fast`` as committed before the kernel: every later reader on
    a copy of the rows left, Arrow's hash table for the unsorted dictionary, Arrow's cast
    and join for the texts."""
    key = None
    rest = np.zeros(0, dtype=np.int64)
    for reader in num._readers_for(col.slice(0, num.HEAD_ROWS)):
        if key is None:
            key = reader(col)
            rest = np.flatnonzero(key < 0)
            continue
        if not len(rest):
            break
        again = reader(pc.take(col, from_numpy(rest)))
        key[rest] = again
        rest = rest[again < 0]
    assert key is not None
    fast = key >= 0
    if not fast.any():
        return num._normalize_by_distinct(col, default_country)
    order = sorted_key = None
    if sort and not len(rest):
        order, sorted_key = keysort.sort_with_order(key)
        order, idx, entry_key = keysort.factorize_sorted(key, order, sorted_key)
    else:
        enc = pc.dictionary_encode(from_numpy(np.where(fast, key, 0)))
        entry_key = to_numpy(enc.dictionary)
        idx = to_numpy(enc.indices).astype(np.int32)
    texts = _old_texts(entry_key)
    flags = num._validity(entry_key, np.ones(len(entry_key), bool))[idx]
    if len(rest):
        slow = num._normalize_by_distinct(pc.take(col, from_numpy(rest)), default_country)
        key[rest] = slow.key
        flags[rest] = slow.flags
        idx[rest] = to_numpy(slow.text.indices) + len(texts)
        texts = pa.concat_arrays([texts, slow.text.dictionary])
        entry_key = np.concatenate([entry_key, slow.entry_key])
    return num.Numbers(pa.DictionaryArray.from_arrays(from_numpy(idx, pa.int32()), texts), key,
                       flags, entry_key, order, sorted_key)


def _old_texts(entry_key: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(scalar("+", pa.string()),
                                       pc.cast(from_numpy(entry_key), pa.string()),
                                       scalar("", pa.string()))


_D = st.text("0123456789", min_size=10, max_size=10)
_NPA = st.sampled_from("0123456789")
#: every written form the readers know, near misses of each, and hostile bytes
_NUMBER = st.one_of(
    _D, _D.map(lambda d: "1" + d), _D.map(lambda d: "+1" + d), _D.map(lambda d: "2" + d[1:]),
    _D.map(lambda d: "+1" + "3" + d[1:]), _D.map(lambda d: "0" + d), _D.map(lambda d: "+2" + d),
    _D.map(lambda d: "11" + d), _D.map(lambda d: d[:9]), _D.map(lambda d: d + "1"),
    _D.map(lambda d: f"({d[:3]}) {d[3:6]}-{d[6:]}"), _D.map(lambda d: f"{d[:3]}.{d[3:6]}.{d[6:]}"),
    _D.map(lambda d: f"{d[:3]}-{d[3:6]}-{d[6:]}"), _D.map(lambda d: f"+1 {d[:3]} {d[3:6]} {d[6:]}"),
    _D.map(lambda d: f"+1 ({d[:3]}) {d[3:6]}-{d[6:]}"), _D.map(lambda d: f"1-{d[:3]}-{d[3:6]}-{d[6:]}"),
    _D.map(lambda d: f"({d[:3]})-{d[3:6]}-{d[6:]}"), _D.map(lambda d: f"({d[:3]}){d[3:6]}-{d[6:]}"),
    _D.map(lambda d: f"({d[:3]}) {d[3:6]}-{d[6:9]}x"), _D.map(lambda d: f"({d[:3]}) {d[3:6]}_{d[6:]}"),
    _D.map(lambda d: f" {d} "), _D.map(lambda d: f"\t{d[:3]}\t{d[3:]}"),
    _D.map(lambda d: f"sip:{d}@h"), _D.map(lambda d: f"sip:+1{d}@h;user=phone"),
    _D.map(lambda d: f"SIPS:1{d}@host"), _D.map(lambda d: f"sip:{d};x@h"),
    _D.map(lambda d: f"tel:+1{d}"), _D.map(lambda d: f"tel:{d};phone-context=x"),
    _D.map(lambda d: f"tel:{d}@x"), _D.map(lambda d: f"<sip:{d}@h>"),
    _D.map(lambda d: f"sip:{d}"), _D.map(lambda d: f"sip:{d}>x@h"),
    _D.map(lambda d: f"\"Bob\" <sip:{d}@h>"), _D.map(lambda d: f"{d[:5]}\x00{d[5:]}"),
    _D.map(lambda d: f"{d[:4]}é{d[4:]}"), _D.map(lambda d: f"({d[:3]}) {d[3:6]}-{d[6:]}" + " " * 60),
    _D.map(lambda d: " " * 30 + f"({d[:3]})  {d[3:6]} - {d[6:]}" + " " * 30),
    st.sampled_from(["", " ", "anonymous", "011442071234567", "+442071234567",
                     "1.3125550178E+10", "5551234", "\"", "\r", "\r\n", "sip:", "tel:", "+",
                     "++13125550143", "+1", "１２１２５５５０１４３", "2125550143" * 20,
                     "(312) 555-0143\r", "0000000000", "9999999999", "12125550143x"]),
    st.text(max_size=16),
    st.binary(max_size=16).map(lambda b: b.decode("latin-1")),
    st.none(),
)

@contextmanager
def _head(rows: int) -> Iterator[None]:
    """``numbers.HEAD_ROWS`` set for a block (a short head: readers and layouts chosen on a
    few rows, the rest read by them)."""
    old = num.HEAD_ROWS
    num.HEAD_ROWS = rows
    try:
        yield
    finally:
        num.HEAD_ROWS = old


_READERS = [num._fast_nanp, num._uri_nanp, num._layout_nanp, num._unmarked_nanp]


def _column(values: list[str | None], cut: int, chunks: bool, hide: int = 0) -> pa.Array:
    """The values as a string array, maybe a slice of a longer one (offsets that do not
    start at 0), maybe through a chunked array joined again; ``hide``: every hide-th row
    made null over its bytes (a validity bitmap laid over the column's own offsets, as
    ``times._nulls_where`` makes them)."""
    arr = pa.array(["9995550100", "x"] + values, pa.string()).slice(2) if cut else \
        pa.array(values, pa.string())
    if hide and len(arr):
        keep = pc.is_valid(arr).to_numpy(zero_copy_only=False).copy()
        keep[::hide] = False
        bits = pa.py_buffer(np.packbits(np.concatenate([np.ones(arr.offset, bool), keep]),
                                        bitorder="little"))
        arr = pa.Array.from_buffers(pa.string(), len(arr), [bits, *arr.buffers()[1:]],
                                    offset=arr.offset)
    if chunks and len(arr) > 1:
        arr = pa.chunked_array([arr.slice(0, len(arr) // 2),
                                arr.slice(len(arr) // 2)]).combine_chunks()
    return arr


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(_NUMBER, max_size=80),
       readers=st.lists(st.booleans(), min_size=4, max_size=4),
       head=st.sampled_from([1, 3, 2048]), cut=st.booleans(), chunks=st.booleans(),
       hide=st.sampled_from([0, 0, 2, 3]))
def test_kernel_keys_are_the_readers(values, readers, head, cut, chunks, hide):
    """Any subset of the readers, in their order, on any column: the keys of each row."""
    chosen = [r for r, on in zip(_READERS, readers) if on] or [num._fast_nanp]
    col = _column(values, cut, chunks, hide)
    with _head(head):
        got = num._kernel_keys(col, chosen)
        want = num._reader_keys(col, chosen)
    if got is None:  # handed back: only for a wide layout in the head
        assert num._layout_nanp in chosen and any(v and len(v.encode()) >= 64 for v in values)
        return
    assert got.tolist() == want.tolist()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(_NUMBER, max_size=80), cuts=st.lists(st.integers(0, 80), max_size=4),
       readers=st.lists(st.booleans(), min_size=4, max_size=4),
       head=st.sampled_from([1, 3, 2048]), hide=st.sampled_from([0, 0, 3]))
def test_kernel_keys_chunk_by_chunk(values, cuts, readers, head, hide):
    """A column in chunks (empty ones too) is read chunk by chunk, the layouts learned in
    one chunk read in the next: the keys of the joined column."""
    chosen = [r for r, on in zip(_READERS, readers) if on] or [num._fast_nanp]
    whole = _column(values, False, False, hide)
    bounds = sorted({0, len(whole), *[min(c, len(whole)) for c in cuts]})
    col = pa.chunked_array([whole.slice(a, b - a) for a, b in zip(bounds, bounds[1:])] or
                           [whole], pa.string())
    with _head(head):
        got = num._kernel_keys(col, chosen)
        want = num._reader_keys(whole, chosen)
    if got is not None:
        assert got.tolist() == want.tolist()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(_NUMBER, min_size=1, max_size=80), sort=st.booleans(),
       head=st.sampled_from([2, 5, 2048]), country=st.sampled_from(["US", "CA"]),
       cut=st.booleans(), hide=st.sampled_from([0, 0, 3]))
def test_rows_fast_as_committed(values, sort, head, country, cut, hide):
    col = _column(values, cut, False, hide)
    chunked = pa.chunked_array([col.slice(0, len(col) // 3), col.slice(len(col) // 3)])
    with _head(head):
        assert num.use_kernels(len(col))  # numba is loaded: the compiled path, however short
        want = _old_rows_fast(col, country, sort)
        _same(num._normalize_rows_fast(col, country, sort), want)
        if sort and want.order is None:  # as normalize_numbers completes it
            want.order = keysort.stable_argsort(want.key)
        _same(num.normalize_numbers(chunked, country, sort=sort), want)


def _same(got: num.Numbers, want: num.Numbers) -> None:
    assert got.key.tolist() == want.key.tolist()
    assert got.flags.tolist() == want.flags.tolist()
    assert got.entry_key.tolist() == want.entry_key.tolist()
    assert got.text.equals(want.text)
    assert got.text.dictionary.to_pylist() == want.text.dictionary.to_pylist()
    for a, b in ((got.order, want.order), (got.sorted_key, want.sorted_key)):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.tolist() == b.tolist()


def test_layouts_learned_from_the_rows_left():
    """The layout reader learns each width's layout from the first row of that width the
    readers before it left, within its head: a later row of a new width is not read by
    layout, and a first row off the usual layout spoils its width."""
    rows = ["2125550143", "(312) 555-0143", "312.555.0144", "(312)-555-0145",
            "+1 312 555 0146", "312-555-0147 ", "(312) 555-0148", "312.555.0149"] * 40
    rows += ["1 (312) 555-0150", "(312)555-0151", "312 555 0152"]
    col = pa.array(rows, pa.string())
    for head in (1, 2, 4, 7, 2048):
        with _head(head):
            for chosen in ([num._fast_nanp, num._layout_nanp], [num._layout_nanp],
                           [num._fast_nanp, num._layout_nanp, num._unmarked_nanp]):
                got = num._kernel_keys(col, chosen)
                assert got is not None
                assert got.tolist() == num._reader_keys(col, chosen).tolist()


def test_a_wide_layout_goes_to_the_numpy_readers():
    wide = "(312)" + " " * 60 + "555-0143"
    col = pa.array([wide, "(312)" + " " * 60 + "555-0144", "2125550143"], pa.string())
    assert num._kernel_keys(col, [num._layout_nanp]) is None
    assert num._kernel_keys(col, [num._fast_nanp]) is not None
    res = num.normalize_numbers(col, "US")
    assert res.key.tolist() == [13125550143, 13125550144, 12125550143]
    assert res.key.tolist() == _old_rows_fast(col, "US", False).key.tolist()


def test_nulls_and_tiny_buffers():
    for values in ([None], [None, "2125550143"], ["", ""], ["2125550143"], ["212"], [],
                   ["+12125550143", None, "(312) 555-0143", None]):
        col = pa.array(values, pa.string())
        for chosen in ([num._fast_nanp], _READERS):
            got = num._kernel_keys(col, chosen)
            assert got is not None and got.tolist() == num._reader_keys(col, chosen).tolist()
        if values:
            _same(num._normalize_rows_fast(col, "US", False), _old_rows_fast(col, "US", False))


_KEYS = st.lists(st.one_of(
    st.integers(12_000_000_000, 12_000_000_040),  # repeats
    st.integers(10_000_000_000, 99_999_999_999),
    st.sampled_from([-1, 0, 1, 9, 10, 9_999_999_999, 10**18, 2**63 - 1, 442_071_234_567])),
    max_size=400)


@settings(max_examples=400, deadline=None)
@given(keys=_KEYS)
def test_first_seen_is_dictionary_encode(keys):
    v = np.array(keys, dtype=np.int64)
    codes = np.empty(len(v), dtype=np.int32)
    distinct = nk.first_seen(v, codes)
    enc = pc.dictionary_encode(from_numpy(np.where(v >= 0, v, 0)))
    assert distinct.tolist() == to_numpy(enc.dictionary).tolist()
    assert codes.tolist() == to_numpy(enc.indices).tolist()


def test_first_seen_through_many_doublings():
    rng = np.random.default_rng(5)
    v = 12_000_000_000 + rng.integers(0, 50_000, 200_000) * 15_373
    v[rng.integers(0, len(v), 500)] = -1
    codes = np.empty(len(v), dtype=np.int32)
    distinct = nk.first_seen(v, codes)
    enc = pc.dictionary_encode(from_numpy(np.where(v >= 0, v, 0)))
    assert np.array_equal(distinct, to_numpy(enc.dictionary))
    assert np.array_equal(codes, to_numpy(enc.indices))


@settings(max_examples=300, deadline=None)
@given(keys=st.lists(st.one_of(st.integers(0, 2**63 - 1), st.integers(0, 10**12),
                               st.sampled_from([0, 9, 10, 99, 100, 2**63 - 1])), max_size=200))
def test_e164_texts_are_the_cast(keys):
    v = np.array(keys, dtype=np.int64)
    got, want = num._e164_texts(v, True), _old_texts(v)
    assert got.equals(want) and got.to_pylist() == want.to_pylist()


def test_negative_keys_keep_the_cast():
    v = np.array([12125550143, -5], dtype=np.int64)
    assert num._e164_texts(v, True).to_pylist() == ["+12125550143", "+-5"]


def test_mixed_forms_at_scale_as_committed():
    """A column shaped like the benchmark's: the three digit forms, a punctuated form and
    a few rows for the exact path, long enough for the table to grow many times."""
    rng = np.random.default_rng(7)
    base = rng.integers(2_000_000_000, 9_999_999_999, 30_000)
    forms = rng.integers(0, 5, len(base))
    rows = []
    for b, f in zip(base.tolist(), forms.tolist()):
        d = str(b)
        rows.append([d, "1" + d, "+1" + d, f"({d[:3]}) {d[3:6]}-{d[6:]}", "+44 20 7123 4567"][f])
    col = pa.array(rows, pa.string())
    for sort in (False, True):
        _same(num._normalize_rows_fast(col, "US", sort), _old_rows_fast(col, "US", sort))


@pytest.mark.parametrize("module", ["workbench.columns.numbers", "workbench.store.normalize",
                                    "workbench.ingest.formats.generic"])
def test_numba_is_not_imported_with_the_readers(module):
    code = f"import sys, {module}; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
