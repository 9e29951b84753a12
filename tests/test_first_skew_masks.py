"""The clock-skew pairing's fast paths agree with the code they replaced.

``ingress_rows`` answers "which rows came in on these trunks" from a dictionary column's
codes; the code before cast the column to plain strings and looked every row up. And
``matched_offsets(..., keep=mask)`` pairs A's masked rows without copying A's columns; the
code before masked the four columns first. Both are held to the old code on random columns
with nulls (in rows and in the dictionary), repeated and unknown trunk names, several
chunks and sliced chunks."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.columns.times import NAT, US
from workbench.store.pair_offsets import PairRows, ingress_rows, matched_offsets, matched_rows


def _old_ingress_mask(ing: pa.ChunkedArray, ingresses: list[str]) -> np.ndarray:
    """``ArrowStore.pair_offsets``' mask before ``ingress_rows``, kept as the oracle."""
    hit = pc.is_in(ing.cast(pa.string()), value_set=pa.array(list(ingresses), pa.string()))
    mask: np.ndarray = hit.fill_null(False).to_numpy(zero_copy_only=False)
    return mask


_NAMES = st.sampled_from(["MWT-01", "000307", "", "sgw 9", "É-trunk", "a\x00b", "x" * 300])
_ROWS = st.lists(st.one_of(st.none(), _NAMES), max_size=40)


def _column(chunks: list[list[str | None]], index_type: pa.DataType, offset: int,
            dict_null: bool) -> pa.ChunkedArray:
    typ = pa.dictionary(index_type, pa.string())
    arrays = []
    for rows in chunks:
        arr = pa.array(rows, pa.string()).dictionary_encode()
        if dict_null and len(arr.dictionary):  # a null inside the dictionary itself
            values = pa.array([*arr.dictionary.to_pylist(), None], pa.string())
            idx = pc.if_else(pc.equal(arr.indices, 0), len(values) - 1, arr.indices)
            arr = pa.DictionaryArray.from_arrays(idx, values)
        arr = arr.cast(typ)
        arrays.append(arr.slice(min(offset, len(arr))))
    return pa.chunked_array(arrays, typ)


@settings(max_examples=200, deadline=None)
@given(chunks=st.lists(_ROWS, min_size=1, max_size=3),
       wanted=st.lists(_NAMES, max_size=4),
       index_type=st.sampled_from([pa.int8(), pa.int16(), pa.int32(), pa.int64()]),
       offset=st.integers(0, 3), dict_null=st.booleans())
def test_ingress_rows_as_the_string_lookup(chunks, wanted, index_type, offset, dict_null):
    col = _column(chunks, index_type, offset, dict_null)
    got = ingress_rows(col, wanted)
    assert got.dtype == np.bool_
    assert got.tolist() == _old_ingress_mask(col, wanted).tolist()


def test_ingress_rows_of_plain_strings_and_no_chunks():
    plain = pa.chunked_array([pa.array(["A", None, "B", "A"])])
    assert ingress_rows(plain, ["A"]).tolist() == [True, False, False, True]
    empty = pa.chunked_array([], pa.dictionary(pa.int32(), pa.string()))
    assert ingress_rows(empty, ["A"]).tolist() == []


def test_ingress_rows_refuses_a_code_outside_its_dictionary():
    bad = pa.DictionaryArray.from_arrays(pa.array([0, 5], pa.int32()),
                                         pa.array(["A"]), safe=False)
    with pytest.raises(ValueError):
        ingress_rows(pa.chunked_array([bad]), ["A"])


_KEYS = st.one_of(st.integers(-1, 4), st.integers(12_000_000_000, 12_000_000_002))
_ROW = st.tuples(_KEYS, _KEYS, st.one_of(st.just(NAT), st.integers(0, 50)),
                 st.one_of(st.just(NAT), st.integers(0, 50)), st.booleans())


def _side(rows: list[tuple[int, int, int, int, bool]]) -> tuple[PairRows, np.ndarray]:
    cols = [np.array([r[k] for r in rows], dtype=np.int64) for k in range(4)]
    for k in (2, 3):
        cols[k] = np.where(cols[k] == NAT, NAT, cols[k] * US)
    return PairRows(*cols), np.array([r[4] for r in rows], dtype=bool)


@settings(max_examples=200, deadline=None)
@given(a=st.lists(_ROW, max_size=40), b=st.lists(_ROW, max_size=40),
       limit=st.sampled_from([1e9, 20.0]))
def test_keep_mask_as_masking_the_columns_first(a, b, limit):
    ra, keep = _side(a)
    rb, _ = _side(b)
    masked = PairRows(*(col[keep] for col in ra))
    want = sorted(matched_offsets(masked, rb, limit).tolist())
    assert sorted(matched_offsets(ra, rb, limit, keep=keep).tolist()) == want
    ia, ib = matched_rows(ra, rb, keep)
    ma, mb = matched_rows(masked, rb)
    assert sorted(zip(ia.tolist(), ib.tolist())) == \
        sorted(zip(np.flatnonzero(keep)[ma].tolist(), mb.tolist()))
