"""The claim columns of many Identity headers at once (``identity_claims_distinct``): of
each distinct header, or of every row as it comes when nearly all are distinct.

In real traffic every call's PASSporT is unique (its own iat and origid), so decoding each
distinct header in Python (``decode_identity``, ~28 us) cost seconds a file. Here one
compiled pass (``passport_kernels.passport_claims``) reads the plain headers' payloads and
numbers their header segments (one signer repeats its segment on every call); each distinct
segment is decoded once by ``sip._header_segment``. Every header the kernel refuses, and
every header whose header segment gives an x5u that is neither a string nor absent, goes
through ``decode_identity`` as before, once per distinct header. The columns are the same,
value for value; a null row stays null whatever bytes its slot holds.

Imported only when there are enough distinct headers: it loads numba.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.columns import passport_kernels as kernels
from workbench.columns.arrow_numpy import string_chunk_buffers, text_array
from workbench.columns.sip import CLAIM_COLUMNS, MAX_IAT_S, _header_segment, _params

#: largest data buffer the kernel reads (its output offsets are int32)
MAX_BYTES = 1 << 30
_STRINGS = {"attest": kernels.ATTEST, "origid": kernels.ORIGID, "orig": kernels.ORIG,
            "dest": kernels.DEST, "dests": kernels.DESTS}


def readable(values: pa.Array) -> bool:
    """Whether the kernel can read ``values`` (a string array small enough)."""
    return (isinstance(values, pa.StringArray) and len(values) > 0
            and values.buffers()[2] is not None and values.buffers()[2].size <= MAX_BYTES)


def _int_array(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    return pa.array(values, pa.int64(), mask=~valid)


def _head_x5u(heads: list[str]) -> tuple[list[str | None], np.ndarray]:
    """Per distinct header segment: its x5u, and how its rows get theirs (0: this x5u,
    1: the info parameter as ``_decode_one`` takes it, 2: ``decode_identity``)."""
    x5us: list[str | None] = []
    kinds = np.zeros(len(heads), np.int8)
    for k, head in enumerate(heads):
        try:
            header = _header_segment(head)[0]
        except Exception:  # noqa: BLE001 - decode_identity raises it in row order
            header, kinds[k] = None, 2
        x5u = header.get("x5u") if isinstance(header, dict) else None
        if x5u is None and kinds[k] == 0:
            kinds[k] = 1
        elif not isinstance(x5u, str) or not _encodable(x5u):
            kinds[k] = 2
        x5us.append(x5u if kinds[k] == 0 else None)
    return x5us, kinds


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _info_x5u(value: str) -> str | None:
    """x5u of a plain header whose header segment has none: its info parameter, read as
    ``decode_identity`` reads it."""
    rest = value.strip().strip('"').partition(";")[2]
    info = _params(rest).get("info")
    return info if info else None


#: the per-header path: the claim columns of some header texts (``sip._decoded_claims``)
Exact = Callable[[list[str], list[str]], dict[str, pa.Array]]


def batch_claims(values: pa.StringArray, names: Iterable[str], exact: Exact
                 ) -> dict[str, pa.Array]:
    """``identity_claims``' columns for ``values``, an entry a value (null ones stay null);
    ``exact(texts, names)`` gives the columns of the headers the kernel leaves, each
    distinct one decoded once, in the order the values first show them (so its exceptions
    come as before)."""
    n = len(values)
    offsets, data, _ = string_chunk_buffers(values)
    ok, head_of, heads, iat, iat_ok, offs, valid, *texts = kernels.passport_claims(
        offsets.astype(np.int64), data)
    null = values.is_null().to_numpy(zero_copy_only=False) if values.null_count else None
    ok = ok.view(np.bool_)
    if null is not None:  # a null row may keep bytes in its slot: no claims all the same
        ok &= ~null
    fast = np.flatnonzero(ok)
    head_of, head_texts = _numbered_heads(values, fast, head_of[fast], heads, data)
    x5us, kinds = _head_x5u(head_texts)
    row_kind = np.full(n, 2, np.int8)
    row_kind[fast] = kinds[head_of]
    if null is not None:
        row_kind[null] = 3  # no header, no claims
    slow = row_kind == 2  # the rows decode_identity reads
    slow_mask = pa.array(slow) if slow.any() else None
    need = list(names)
    exact_cols = {} if slow_mask is None else _exact_columns(values, slow_mask, need, exact)
    cols = {}
    for name in need:
        typ = CLAIM_COLUMNS[name]
        if name in _STRINGS:
            c = _STRINGS[name]
            col = text_array(offs[c], texts[c], valid[c].view(np.bool_) & ok)
        elif name == "iat":
            col = _int_array(iat, iat_ok.view(np.bool_) & ok)
        elif name == "iat_us":
            inside = iat_ok.view(np.bool_) & ok & (iat >= 0) & (iat <= MAX_IAT_S)
            col = _int_array(np.where(inside, iat, 0) * 1_000_000, inside)
        else:
            col = _x5u(values, fast, head_of, x5us, row_kind)
        if slow_mask is not None:
            col = pc.replace_with_mask(col, slow_mask, exact_cols[name])
        cols[name] = col.cast(typ) if col.type != typ else col
    return cols


def _numbered_heads(values: pa.StringArray, fast: np.ndarray, numbers: np.ndarray,
                    heads: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Per row read by the kernel, the number of its header segment among the distinct
    ones, and their texts: the kernel's numbering, then (past its table) Arrow's."""
    texts = [bytes(data[s:s + n]).decode("ascii") for s, n in heads]  # base64url: ASCII
    over = np.flatnonzero(numbers < 0)
    if over.size:
        rest = pc.list_element(pc.split_pattern(values.take(fast[over]), ".", max_splits=1), 0)
        enc = pc.dictionary_encode(rest)
        numbers = numbers.copy()
        numbers[over] = enc.indices.to_numpy() + len(texts)
        texts += enc.dictionary.to_pylist()
    return numbers, texts


def _exact_columns(values: pa.StringArray, slow: pa.Array, names: list[str], exact: Exact
                   ) -> dict[str, pa.Array]:
    """The columns of the ``slow`` rows, each distinct header decoded once by ``exact``."""
    enc = pc.dictionary_encode(values.filter(slow))
    cols = exact(enc.dictionary.to_pylist(), names)
    return {name: col.take(enc.indices) for name, col in cols.items()}


def _x5u(values: pa.StringArray, fast: np.ndarray, head_of: np.ndarray,
         x5us: list[str | None], row_kind: np.ndarray) -> pa.Array:
    """x5u per row: the header segment's, else the info parameter (null on the rows
    ``decode_identity`` reads)."""
    per_head = pa.array(x5us, pa.string())
    col = pa.nulls(len(values), pa.string())
    col = pc.replace_with_mask(col, _mask(len(values), fast), per_head.take(head_of))
    info_rows = np.flatnonzero(row_kind == 1)
    if info_rows.size:
        infos = pa.array([_info_x5u(v) for v in values.take(info_rows).to_pylist()],
                         pa.string())
        col = pc.replace_with_mask(col, _mask(len(values), info_rows), infos)
    return col


def _mask(n: int, rows: np.ndarray) -> pa.Array:
    mask = np.zeros(n, np.bool_)
    mask[rows] = True
    return pa.array(mask)
