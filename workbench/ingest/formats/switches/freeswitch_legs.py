"""Many FreeSWITCH legs read at once: each document's raw values gathered column-wise, then
``call_record``'s choices made in Arrow kernels over all legs together.

Taking the fields out one document at a time in Python was most of the reading time (~65 %).
Here a document costs a few ``dict.get`` calls; decoding, the first-set-of rules, epochs and
the gateway/host patterns run once per column. Values of unusual types (numbers, objects)
fall back to the per-leg functions value by value, so the result equals ``call_record``'s
(``tests/test_freeswitch_fast.py`` compares them on fixtures, real files and generated
documents).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeAlias
from urllib.parse import unquote

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.columns.arrow_numpy import text_array
from workbench.common.compiled import worth_compiling

from .common import coalesce
from .freeswitch_record import (
    FIELDS,
    PROFILE_KEYS,
    TEXT_RULES,
    TIME_KEYS,
    VAR_KEYS,
    decode,
    us,
)

VAR_LIST = tuple(sorted(VAR_KEYS))
PROFILE_LIST = tuple(sorted(PROFILE_KEYS))
TIME_LIST = tuple(keys[1] for keys in TIME_KEYS.values())
FIELD_LIST = VAR_LIST + PROFILE_LIST + TIME_LIST  # the raw values of a leg, in this order
_PCT = "%[0-9A-Fa-f]{2}"
_GATEWAY = r"^sofia/gateway/(?P<g>[^/]+)/"
_SOFIA_HOST = r"^sofia/[^/]+/[^@]*@(?P<g>[^:;/>]+)"
_DIGITS = r"^[0-9]{1,16}$"  # read exactly by an int64 cast when the µs value is below 2**53


def scan_names(width: int = 0) -> tuple[list[bytes], np.ndarray, np.ndarray, np.ndarray]:
    """The names the document scans look up (XML elements, JSON keys): the four structures a
    leg's fields sit in, then every field, each once, as (bytes, a zero-padded byte matrix at
    least ``width`` wide, their lengths, what each is). What each is: its struct code
    (variables, callflow, caller_profile, times; -1) and its slot among VAR_LIST,
    PROFILE_LIST and TIME_LIST (-1 where not one of them)."""
    structs = ("variables", "callflow", "caller_profile", "times")
    names = list(dict.fromkeys(structs + VAR_LIST + PROFILE_LIST + TIME_LIST))
    raw = [n.encode() for n in names]
    keys = np.zeros((len(raw), max(width, *map(len, raw))), np.uint8)
    for i, b in enumerate(raw):
        keys[i, :len(b)] = np.frombuffer(b, np.uint8)
    info = np.full((len(names), 4), -1, np.int64)
    for i, name in enumerate(names):
        for col, group in enumerate((structs, VAR_LIST, PROFILE_LIST, TIME_LIST)):
            if name in group:
                info[i, col] = group.index(name)
    return raw, keys, np.array(list(map(len, raw)), np.int64), info


class OddValue(Exception):
    """A value whose text depends on how the JSON number was decoded (see ``LegColumns``)."""


class LegColumns:
    """Raw values of many legs, one flat list per part (variables, caller profile, times).

    ``decode_profile``: JSON caller-profile values are URL-decoded and objects in them
    dropped; XML's are read as written. ``strict`` (documents decoded by orjson): raise
    ``OddValue`` on a float, object or array among the values read, since orjson reads an
    integer past 64 bits as a float; the caller then reads the file again with the standard
    decoder, which keeps it whole (CDR values are text: this does not happen in practice).

    Every ``CHUNK`` legs the values are made text arrays (``_flush``), while the objects are
    still in the cache: converting them all at the end cost ~200 ns a value in cache misses,
    more than decoding the documents. A part holding a value that is not text is kept as the
    values themselves, and its field read value by value at the end as before."""

    CHUNK = 2048

    def __init__(self, decode_profile: bool, strict: bool = False) -> None:
        self.var: list[Any] = []
        self.prof: list[Any] = []
        self.times: list[Any] = []
        self.decode_profile = decode_profile
        self.strict = strict
        self.may_nan = False  # set once a leg read by the standard JSON decoder is added
        self._parts: list[list[pa.Array | list[Any]]] = [[] for _ in FIELD_LIST]
        self._flushed = 0  # legs in ``_parts``
        self._limit = self.CHUNK * len(VAR_LIST)

    def __len__(self) -> int:
        return self._flushed + len(self.var) // len(VAR_LIST)

    def add(self, variables: dict[str, Any], profile: dict[str, Any],
            times: dict[str, Any]) -> None:
        """One leg: its variables, chosen caller profile and times (dicts of raw values)."""
        self.var.extend(map(variables.get, VAR_LIST))
        self.prof.extend(map(profile.get, PROFILE_LIST))
        self.times.extend(map(times.get, TIME_LIST))
        if len(self.var) >= self._limit:
            self._flush()

    def _flush(self) -> None:
        """The legs gathered since the last flush, field by field, as text arrays (a field
        holding another value: its values, ``_check``ed)."""
        f = 0
        for raw, width in ((self.var, len(VAR_LIST)), (self.prof, len(PROFILE_LIST)),
                           (self.times, len(TIME_LIST))):
            for i in range(width):
                values = raw[i::width]
                arr = _strings(values, self.may_nan)
                if arr is None:
                    self._check(values)
                self._parts[f].append(values if arr is None else arr)
                f += 1
        self._flushed += len(self.var) // len(VAR_LIST)
        self.var, self.prof, self.times = [], [], []

    def _field(self, f: int) -> tuple[pa.Array | None, list[Any]]:
        """(text array, None) of field ``f`` when every part is text, else (None, values)."""
        parts = self._parts[f]
        if all(isinstance(p, pa.Array) for p in parts):
            arrs = [p for p in parts if isinstance(p, pa.Array)]
            return (arrs[0] if len(arrs) == 1 else pa.concat_arrays(arrs)), []
        values: list[Any] = []
        for p in parts:
            values.extend(p.to_pylist() if isinstance(p, pa.Array) else p)
        return None, values

    def finish(self) -> dict[str, pa.Array]:
        """FIELDS → arrays (times as int64 µs, others text; nulls where ``call_record`` has
        None)."""
        if self.var or not self._flushed:
            self._flush()
        nv, np_ = len(VAR_LIST), len(PROFILE_LIST)
        var = {k: self._text(self._field(i), "var") for i, k in enumerate(VAR_LIST)}
        how = "profile" if self.decode_profile else "raw"
        prof = {k: self._text(self._field(nv + i), how) for i, k in enumerate(PROFILE_LIST)}
        times = {k: self._micros_raw(self._field(nv + np_ + i)) for i, k in enumerate(TIME_LIST)}
        return legs_columns(var, prof, times)

    def _text(self, field: tuple[pa.Array | None, list[Any]], how: str) -> pa.Array:
        arr, values = field
        if arr is None:
            return pa.array([_slow_text(v, how) for v in values], pa.string())
        return arr if how == "raw" or arr.null_count == len(arr) else unquote_array(arr)

    def _micros_raw(self, field: tuple[pa.Array | None, list[Any]]) -> pa.Array:
        arr, values = field
        if arr is None:
            return pa.array([us(v, 1) for v in values], pa.int64())
        return micros(arr, 1)

    def _check(self, values: list[Any]) -> None:
        if self.strict and any(isinstance(v, (float, dict, list)) for v in values):
            raise OddValue()


def _strings(values: list[Any], may_nan: bool) -> pa.Array | None:
    """``values`` as a text array, or None when one is neither text nor None.

    ``from_pandas`` makes a None cost ~20 ns instead of ~1.5 µs (pyarrow 26), but also takes
    a float NaN for null: where one may be there (the standard JSON decoder reads ``NaN``;
    orjson refuses it), the null count tells."""
    try:
        arr = pa.array(values, pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return None
    return None if may_nan and arr.null_count != values.count(None) else arr


def _slow_text(v: Any, how: str) -> Any:
    if how == "profile" and isinstance(v, dict):
        return None  # an object in the caller profile is not one of its fields
    return v if how == "raw" else decode(v, False)


def unquote_array(arr: pa.Array) -> pa.Array:
    """``urllib.parse.unquote`` of the values holding a %XX escape (the others unchanged).

    The whole column goes through ``_unquote_ascii`` (a value without a valid escape comes
    out as it went in): picking the escaped values out first and putting them back cost
    three more passes over the bytes (a URL-encoded Identity header is most of them)."""
    if not pc.any(pc.match_substring(arr, "%")).as_py():
        return arr
    if not pa.types.is_string(arr.type):
        mask = pc.fill_null(pc.match_substring_regex(arr, _PCT), False)
        return pc.replace_with_mask(arr, mask, _unquote_ascii(
            pc.filter(arr, mask).cast(pa.string())).cast(arr.type))
    return _unquote_ascii(arr)


_HEX = np.full(256, -1, np.int16)  # byte → its hex digit value, -1 for any other byte
for _digits, _first_value in ((b"0123456789", 0), (b"abcdef", 10), (b"ABCDEF", 10)):
    _HEX[np.frombuffer(_digits, np.uint8)] = np.arange(_first_value, _first_value + len(_digits))


def _unquote_ascii(sub: pa.Array) -> pa.Array:
    """``unquote`` of each value (a string array; nulls stay null) on the UTF-8 bytes at
    once: an escape that decodes to ASCII is its byte; a value with an escape past ASCII
    (which ``unquote`` decodes as UTF-8 run by run) goes through ``unquote`` itself."""
    offs = np.frombuffer(sub.buffers()[1], np.int32, len(sub) + 1 + sub.offset)
    if sub.offset or offs[0]:  # (a slice: its values copied to the start of new buffers)
        sub = pa.concat_arrays([sub])
    offs = np.frombuffer(sub.buffers()[1], np.int32, len(sub) + 1)
    data = np.frombuffer(sub.buffers()[2], np.uint8, offs[-1])
    pct = np.flatnonzero(data == 0x25)
    row = np.searchsorted(offs, pct, side="right") - 1
    inside = pct + 2 < offs[row + 1]
    pct, row = pct[inside], row[inside]
    hi, lo = _HEX[data[pct + 1]], _HEX[data[pct + 2]]
    ok = (hi >= 0) & (lo >= 0)
    pct, row, val = pct[ok], row[ok], (hi[ok] * 16 + lo[ok]).astype(np.uint8)
    out = data.copy()
    out[pct] = val
    keep = np.ones(len(data), bool)
    keep[pct + 1] = False
    keep[pct + 2] = False
    gone = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=len(sub)) * 2)])
    res = pa.StringArray.from_buffers(len(sub), pa.py_buffer((offs - gone).astype(np.int32)),
                                      pa.py_buffer(out[keep]), sub.buffers()[0], sub.null_count)
    wide = np.unique(row[val >= 0x80])
    if sub.null_count:
        wide = wide[sub.is_valid().to_numpy(zero_copy_only=False)[wide]]
    if len(wide) == 0:
        return res
    fixed = pa.array([unquote(v) for v in sub.take(pa.array(wide)).to_pylist()], pa.string())
    return _put(res, wide, fixed)


def micros(arr: pa.Array, scale: int) -> pa.Array:
    """``us(v, scale)`` of every text value: plain digit runs whose µs value stays below
    2**53 (where float() is exact) read at once, any other text through ``us`` itself."""
    if _compiled(arr):
        from . import freeswitch_legs_kernels as kern

        offs, data, valid = _buffers(arr)
        val, ok, other_mask = kern.micros_digits(offs, data, valid, scale, 2**53 // scale)
        out = pa.Array.from_buffers(pa.int64(), len(arr), [_bitmap(ok), pa.py_buffer(val)])
        other = np.flatnonzero(other_mask)
    else:
        out, other = _micros_arrow(arr, scale)
    if len(other) == 0:
        return out
    vals = pa.array([us(v, scale) for v in arr.take(other).to_pylist()], pa.int64())
    return _put(out, other, vals)


def _micros_arrow(arr: pa.Array, scale: int) -> tuple[pa.Array, np.ndarray]:
    """``micros`` of the plain values in Arrow kernels (small columns: no numba), and the
    rows left to ``us``."""
    plain = pc.fill_null(pc.match_substring_regex(arr, _DIGITS), False)
    n = pc.cast(pc.if_else(plain, arr, pa.scalar(None, pa.string())), pa.int64())
    exact = pc.fill_null(pc.less_equal(n, 2**53 // scale), False)
    val = pc.multiply(n, scale)
    out = pc.if_else(pc.and_(exact, pc.greater(val, 0)), val, pa.scalar(None, pa.int64()))
    other = np.flatnonzero(~exact.to_numpy(zero_copy_only=False) & arr.is_valid().to_numpy(
        zero_copy_only=False))
    return out, other


#: columns from this many values on take the compiled loops (``worth_compiling``): below,
#: loading numba would cost more than the Arrow kernels do
COMPILED_ROWS = 1 << 16


def _compiled(arr: pa.Array) -> bool:
    return _has_offsets(arr) and worth_compiling(len(arr), COMPILED_ROWS)


def _has_offsets(arr: pa.Array) -> bool:
    """Whether ``arr`` is a string array with its int32 offsets buffer."""
    return pa.types.is_string(arr.type) and arr.buffers()[1] is not None


def _buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(int32 offsets, bytes, valid) of a string array (an offset slice included)."""
    n = len(arr)
    offs = np.frombuffer(arr.buffers()[1], np.int32, n + 1, arr.offset * 4)
    data_buf = arr.buffers()[2]
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None and data_buf.size \
        else np.zeros(1, np.uint8)
    if arr.null_count:
        valid = arr.is_valid().to_numpy(zero_copy_only=False)
    else:
        valid = np.ones(n, np.bool_)
    return offs, data, valid


def _bitmap(ok: np.ndarray) -> pa.Buffer | None:
    """A validity bitmap of ``ok`` (None: all valid)."""
    return None if ok.all() else pa.py_buffer(np.packbits(ok, bitorder="little"))


def _put(arr: pa.Array, idx: np.ndarray, vals: pa.Array) -> pa.Array:
    mask = np.zeros(len(arr), bool)
    mask[idx] = True
    return pc.replace_with_mask(arr, pa.array(mask), vals)


def _set(arr: pa.Array) -> pa.Array:
    """Null where ``_first`` would skip the value (null or empty text)."""
    if arr.null_count == len(arr):
        return arr
    if _has_offsets(arr):  # the empty values from the offsets, without a pass over the text
        offs = np.frombuffer(arr.buffers()[1], np.int32, len(arr) + 1, arr.offset * 4)
        blank = offs[1:] == offs[:-1]
        if arr.null_count:
            blank &= arr.is_valid().to_numpy(zero_copy_only=False)
        if not blank.any():
            return arr
        return pc.if_else(pa.array(blank), pa.scalar(None, arr.type), arr)
    empty = pc.equal(arr, "")
    if not pc.any(empty).as_py():
        return arr
    return pc.if_else(empty, pa.scalar(None, arr.type), arr)


def _group(arr: pa.Array, pattern: str) -> pa.Array:
    """Group ``g`` of ``pattern`` (``_GATEWAY`` or ``_SOFIA_HOST``) in every value, null
    where it does not match."""
    if _compiled(arr) and pattern in (_GATEWAY, _SOFIA_HOST):
        from . import freeswitch_legs_kernels as kern

        offs, data, valid = _buffers(arr)
        gs, ge = kern.gateway_spans(offs, data, valid, pattern == _SOFIA_HOST)
        g_offs, buf = kern.take_spans(data, gs, ge)
        return text_array(g_offs, buf, gs >= 0)
    return _group_arrow(arr, pattern)


def _group_arrow(arr: pa.Array, pattern: str) -> pa.Array:
    return pc.struct_field(pc.extract_regex(arr, pattern), [0])


#: a source of ``_coalesce``: a column, a default, or a function making the column
Source: TypeAlias = "pa.Array | pa.Scalar | Callable[[], pa.Array]"


def _coalesce(*cols: Source) -> pa.Array:
    """``coalesce`` of the columns (and a last text default) without those that add nothing:
    a column all null, and any after one with no null. Most legs of a file set the same
    fields: of the sources of a text field usually one is set and the others all null.

    A source given as a function is made only when reached: a column after one with no null
    (the seconds epoch after a callflow time every leg has, a gateway pattern after a name
    every leg sets) is never computed. Nothing in making one raises, so skipping it changes
    no result."""
    kept: list[pa.Array | pa.Scalar] = []
    made: list[pa.Array] = []  # every array made, for the length and type of an all-null end
    for src in cols:
        col = src() if callable(src) else src
        if isinstance(col, pa.Array):
            made.append(col)
            if col.null_count == len(col):
                continue
            kept.append(col)
            if col.null_count == 0:
                break
        else:
            kept.append(col)
            if col.is_valid:
                break
    if not kept or not isinstance(kept[0], pa.Array):  # an all-null column: length, type
        kept.insert(0, made[0] if made else _first_array(cols))
    out = coalesce(*kept)
    assert out is not None
    return out


def _first_array(cols: tuple[Source, ...]) -> pa.Array:
    """The first source that is an array (made if a function)."""
    return next(c for c in (s() if callable(s) else s for s in cols) if isinstance(c, pa.Array))


def legs_columns(var: dict[str, pa.Array], prof: dict[str, pa.Array],
                 times: dict[str, pa.Array]) -> dict[str, pa.Array]:
    """``call_record`` over whole columns: decoded variables and profile fields as text,
    callflow times already in µs."""
    v = {k: _set(a) for k, a in var.items()}
    p = {k: _set(a) for k, a in prof.items()}
    out: dict[str, pa.Array] = {}
    for canon, (uvar, ctime, svar) in TIME_KEYS.items():
        out[canon] = _coalesce(partial(micros, v[uvar], 1), times[ctime],
                               partial(micros, v[svar], 10**6))
    for canon, rule in TEXT_RULES.items():
        out[canon] = _coalesce(*((p if src == "p" else v)[k] for src, k in rule))
    text = pa.string()
    direction = _coalesce(v["direction"], v["call_direction"], pa.scalar("inbound"))
    outbound = pc.fill_null(pc.equal(direction, "outbound"), False)
    sources = (v["sip_gateway_name"], v["sip_network_ip"], v["channel_name"], p["chan_name"],
               v["bridge_channel"], v["last_bridge_channel"])
    entry = (v["sip_gateway"], v["sip_network_ip"], v["sip_received_ip"])
    if _fused(sources + entry):
        out["egress"], out["ingress"] = _ways_fused(outbound, sources, entry)
    else:
        out["egress"] = _egress(outbound, v, p)
        ingress_in = _coalesce(*entry)
        out["ingress"] = pc.if_else(outbound, pa.scalar(None, text), ingress_in)
    return {k: out[k] for k in FIELDS}


def _egress(outbound: pa.Array, v: dict[str, pa.Array], p: dict[str, pa.Array]) -> pa.Array:
    """The egress of every leg from whole columns (small inputs: no numba)."""
    chan = _coalesce(v["channel_name"], p["chan_name"], pa.scalar(""))
    bridged = _coalesce(v["bridge_channel"], v["last_bridge_channel"], pa.scalar(""))
    egress_out = _coalesce(v["sip_gateway_name"], partial(_group, chan, _GATEWAY),
                           v["sip_network_ip"], partial(_group, chan, _SOFIA_HOST))
    egress_in = _coalesce(partial(_group, bridged, _GATEWAY), v["sip_gateway_name"],
                          partial(_group, bridged, _SOFIA_HOST))
    return pc.if_else(outbound, egress_out, egress_in)


def _fused(sources: tuple[pa.Array, ...]) -> bool:
    """Whether ``_ways_fused`` takes these columns: text with int32 offsets, enough legs
    for the compiled loop (as ``_group`` decides)."""
    return all(_has_offsets(a) for a in sources) and worth_compiling(len(sources[0]),
                                                                      COMPILED_ROWS)


def _ways_fused(outbound: pa.Array, sources: tuple[pa.Array, ...],
                entry: tuple[pa.Array, ...]) -> tuple[pa.Array, pa.Array]:
    """(egress, ingress) as ``_egress`` and the ingress coalesce make them, each in one
    compiled pass (``freeswitch_egress_kernels``). ``sources``: sip_gateway_name,
    sip_network_ip, channel_name, chan_name, bridge_channel and last_bridge_channel;
    ``entry``: sip_gateway, sip_network_ip, sip_received_ip; blanks already null."""
    from . import freeswitch_egress_kernels as kern

    out_mask = outbound.to_numpy(zero_copy_only=False)
    bufs = [_buffers(a) for a in sources]
    src, gs, ge = kern.egress_spans(out_mask, *(x for b in bufs for x in b))
    offs, buf = kern.take_sourced(src, gs, ge, *(b[1] for b in bufs))
    egress = text_array(offs, buf, src >= 0)
    ins = [_buffers(a) for a in entry]
    src, gs, ge = kern.ingress_spans(out_mask, *(x for b in ins for x in (b[0], b[2])))
    offs, buf = kern.take_sourced(src, gs, ge, *(b[1] for b in ins), *(b[1] for b in ins))
    return egress, text_array(offs, buf, src >= 0)


def records_columns(recs: list[dict[str, Any]]) -> dict[str, pa.Array]:
    """FIELDS → arrays from ``call_record`` results (the legs read one at a time)."""
    out = {}
    for name in FIELDS:
        vals = [r.get(name) for r in recs]
        if name in TIME_KEYS:
            out[name] = pa.array(vals, pa.int64())
        else:
            out[name] = pa.array([None if x is None else str(x) for x in vals], pa.string())
    return out
