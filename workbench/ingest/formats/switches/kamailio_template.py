"""Kamailio acc syslog: the ACC lines of a layout whose values hold ``;``, split by columns.

A layout (one field count) whose first ACC line has a ``;`` inside a value (or an Identity
header with its parameters) is not ``name=value`` columns, so every ACC line of it used to be
split segment by segment (``_odd_rows``: 15-20 µs a line). In a real log such lines repeat
one shape ("reason=Busy Here; try later" on every busy call): the first line fixes which
columns start a value and which are glued to the value before, and every line of the same
shape is cut column by column in whole-column kernels. A line that differs in any way (a name,
a ``<``, non-ASCII text, a second ``ACC: ``) is left to ``_odd_rows``, so every value is the
one ``parse_pairs`` gives.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .common import text

PAIR = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NAME_EQ = r"^[A-Za-z_][A-Za-z0-9_]*="
IDENTITY_PARAMS = ("info", "alg", "ppt")

Role = tuple[str, str]  # ("start", name) | ("param", name) | ("junk", "")


@dataclass
class Templated:
    """The lines of one layout read by its first line's shape."""

    cols: dict[str, pa.Array]  # name → value, plus "@kind"
    taken: np.ndarray  # bool per row of the group: read here (the rest go line by line)
    ranks: dict[str, int]  # name → segment of its first value (the order names are met in)
    quirky: int  # lines with a ';' inside a value (a glued segment that is no parameter)


def roles(key0: str, segs: list[str]) -> list[Role]:
    """What ``parse_pairs`` makes of each segment after the first (no ``<`` on the line):
    a new value, an Identity parameter glued to ``identity``, or junk glued to the value
    before it."""
    last = key0
    out: list[Role] = []
    for seg in segs:
        m = PAIR.match(seg)
        glue = last == "identity" and m is not None and m.group(1) in IDENTITY_PARAMS
        if m is not None and not glue:
            last = m.group(1)
            out.append(("start", last))
        elif m is not None:
            out.append(("param", m.group(1)))
        else:
            out.append(("junk", ""))
    return out


def has_bytes(col: pa.Array | pa.ChunkedArray, high: bool = True) -> tuple[bool, bool]:
    """(some value holds a ``<``, some value holds a non-ASCII byte): numpy over the values'
    bytes, ~7x faster than Arrow's per-value substring search, which is only needed (row by
    row) when the column has either. ``high=False``: the ``<`` alone (the second is False)."""
    lt = found = False
    for ch in (col.chunks if isinstance(col, pa.ChunkedArray) else [col]):
        if not len(ch) or not (pa.types.is_string(ch.type) or pa.types.is_binary(ch.type)):
            if len(ch):
                return True, high  # another type: take the careful way
            continue
        _, obuf, dbuf = ch.buffers()
        offs = np.frombuffer(obuf, np.int32)[ch.offset:ch.offset + len(ch) + 1]
        if dbuf is None or offs[-1] == offs[0]:
            continue
        raw = np.frombuffer(dbuf, np.uint8)[offs[0]:offs[-1]]
        lt = lt or bool((raw == 60).any())
        found = found or (high and bool((raw >= 128).any()))
        if lt and (found or not high):
            break
    return lt, found


def _and(mask: pa.Array, more: pa.Array) -> pa.Array:
    return pc.and_(mask, more)


def templated(cols: list[pa.Array], is_acc: pa.Array, kind: pa.Array, k0: pa.Array,
              v0: pa.Array, probe: int) -> Templated | None:
    """The group's ACC lines of its ``probe`` line's shape, as ``parse_pairs`` splits them;
    None when the probe line itself cannot serve as the shape.

    ``cols``: the layout's columns; ``is_acc``, ``kind``, ``k0``, ``v0``: ``_first_field``
    of its first column (the kind and first name after its last ``ACC: ``)."""
    key0 = k0[probe].as_py()
    if key0 is None or not NAME.fullmatch(key0):
        return None
    shape = roles(key0, [text(c)[probe].as_py() or "" for c in cols[1:]])
    # the same split as the segment-wise reader only where it finds the same 'ACC: <kind>: '
    # (the one on the line, of lower-case letters) and splits no URI (no '<' anywhere)
    ok = _and(is_acc, pc.equal(k0, key0))
    ok = _and(ok, pc.equal(pc.count_substring(cols[0], "ACC: "), 1))
    ok = _and(ok, pc.match_substring_regex(kind, r"^[a-z][a-z ]*$"))
    for col in cols:
        lt, high = has_bytes(col)
        if high:
            ok = _and(ok, pc.string_is_ascii(col))
        if lt:
            ok = _and(ok, pc.invert(pc.match_substring(col, "<")))
    for col, (role, name) in zip(cols[1:], shape):
        if role == "junk":
            ok = _and(ok, pc.invert(pc.match_substring_regex(col, NAME_EQ)))
        else:
            ok = _and(ok, pc.starts_with(col, name + "="))
    taken = pc.fill_null(ok, False).to_numpy(zero_copy_only=False)
    if not taken[probe]:
        return None
    mask = pa.array(taken)
    pieces = [pc.filter(text(v0), mask)] + [pc.filter(text(c), mask) for c in cols[1:]]
    starts = [(0, key0)] + [(i, name) for i, (role, name) in enumerate(shape, 1)
                            if role == "start"]
    ends = [i for i, _ in starts[1:]] + [len(cols)]
    out: dict[str, pa.Array] = {}
    ranks: dict[str, int] = {}
    for (i, name), end in zip(starts, ends):
        ranks.setdefault(name, i)
        value = pieces[0] if i == 0 else pc.utf8_slice_codeunits(pieces[i], len(name) + 1)
        if end > i + 1:  # the glued segments, ';' between them as on the line
            value = pc.binary_join_element_wise(value, *pieces[i + 1:end], ";")
        out.pop(name, None)  # a name given twice keeps its last value (and its first rank)
        out[name] = value
    out = {name: out[name] for name in sorted(out, key=ranks.__getitem__)}
    out["@kind"] = pc.filter(text(kind), mask)
    junk = any(role == "junk" for role, _ in shape)
    return Templated(out, taken, ranks, int(taken.sum()) if junk else 0)
