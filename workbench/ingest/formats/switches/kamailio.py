"""Kamailio / OpenSIPS ``acc``: syslog accounting lines and ``acc``/``acc_cdrs`` table exports.

Syslog lines are ``;``-separated ``name=value`` pairs without escaping. Lines of
one kind share their key order, so pyarrow splits them as ``;``-delimited columns
and each column's constant ``name=`` prefix is cut off in one vectorized step.
Lines that do not follow their group's key order (a ``;`` inside a value, an
Identity header with its parameters, a URI with ``;`` parameters) are parsed one
by one. INVITE records become rows; BYE records give the end of the call.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.common.compiled import worth_compiling
from workbench.common.errors import InputError

from .. import register
from ..base import BadLine, Detection, FormatProfile, ParsedTable, ReadOptions, Sample
from ..delimited import (
    MAX_BAD_KEPT,
    MAX_COLUMNS,
    is_ascii,
    line_starts,
    read_delimited,
    select_lines,
    sniff_delimiter,
)
from .common import (
    NULL_TEXT,
    blank_to_null,
    bytes_of,
    coalesce,
    concat_sorted,
    count_of,
    count_true,
    finish,
    fmt_share,
    head_lines,
    lines_text,
    most_common,
    substrings,
    text,
    text_lines,
)
from .kamailio_bye import bye_times, lookup_bye
from .kamailio_bye import first_bye as first_bye  # noqa: F401 (tests patch it here)
from .kamailio_first import first_field
from .kamailio_scan import (
    Layouts,
    Merged,
    Scan,
    field_columns,
    group_order,
    scan_log,
    shape_of,
)
from .kamailio_template import IDENTITY_PARAMS, PAIR, Templated, has_bytes, templated
from .positional import Positional, clean_utf8, read_positional, with_text
from .times import epoch_to_utc, seconds_between

TEMPLATED = templated  # the scanned path cuts such layouts itself (``shape_of``) unless replaced

KINDS = ("transaction answered", "call missed", "call ended", "request acknowledged",
         "request accounted", "call started")
ACC_LINE = re.compile(r"ACC: ([a-z][a-z ]*?): ([A-Za-z_]\w*=.*)$")
ACC_FLAG, FITS_FLAG = 1, 2  # kamailio_kernels.ACC, FITS (that module imports numba)
STAMPED = re.compile(r"(^|;)(timestamp|created)=\d{9,11}(;|$)")
# acc table columns → the names syslog lines use
DB_ALIASES = {"callid": "call_id", "sip_code": "code", "sip_reason": "reason"}


def parse_pairs(body: str) -> tuple[dict[str, str], bool]:
    """``name=value;…`` pairs, quirks included: ``;`` inside values, ``<…;…>`` URIs and the
    Identity header's own parameters."""
    parts: dict[str, list[str]] = {}
    last = None
    odd = False
    unclosed = 0  # '<' minus '>' in the value so far: kept as a running count, because
    # recounting a value glued from many segments made one long line quadratic
    for seg in body.split(";"):
        m = PAIR.match(seg)
        glue = last is not None and (
            unclosed > 0
            or (last == "identity" and m is not None and m.group(1) in IDENTITY_PARAMS))
        if m and not glue:
            last = m.group(1)
            parts[last] = [m.group(2)]
            unclosed = m.group(2).count("<") - m.group(2).count(">")
        elif last is not None:
            odd = odd or not glue
            parts[last].append(seg)
            unclosed += seg.count("<") - seg.count(">")
    return {k: ";".join(v) for k, v in parts.items()}, odd


# ---------------------------------------------------------------- syslog lines

def _syslog_pairs(data: bytes, file: str) -> tuple[
        Positional, list[tuple[dict[str, Column], np.ndarray]], list[tuple[Templated, np.ndarray]],
        list[int], int]:
    """Per-key columns of every regular ACC line, the ACC lines of a layout with ``;`` inside
    its values read by that layout's shape, the ACC lines to parse one by one, and the number
    of other syslog lines."""
    pos = read_positional(data, delimiter=";", expected=_mode_count(data), accept=lambda n: True,
                          quote_char=False, double_quote=False, file=file)
    parts: list[tuple[dict[str, Column], np.ndarray]] = []
    shaped: list[tuple[Templated, np.ndarray]] = []
    odd_lines: list[int] = []
    other = 0
    for g in pos.groups:
        is_acc, kind, k0, v0 = first_field(g.col(0))
        acc_np = is_acc.to_numpy(zero_copy_only=False)
        other += int((~acc_np).sum())
        if not acc_np.any():
            continue
        probe = int(np.argmax(acc_np))  # the group's first ACC line names its keys
        key0 = k0[probe].as_py()
        vals: dict[str, Column] = {"@kind": kind, key0: v0}
        regular = pc.and_(is_acc, pc.equal(k0, key0))
        for i in range(1, g.count):
            col = g.col(i)
            m = PAIR.match(col[probe].as_py() or "")
            key = m.group(1) if m else None
            if key is None or key in vals:
                regular = pa.array(np.zeros(len(g.lines), bool))
                break
            regular = pc.and_(regular, pc.starts_with(col, key + "="))
            if has_bytes(col, high=False)[0]:  # a '<': a URI split at its ';' params?
                split_uri = pc.greater(pc.count_substring(col, "<"), pc.count_substring(col, ">"))
                regular = pc.and_(regular, pc.invert(split_uri))
            vals[key] = partial(pc.utf8_slice_codeunits, col, len(key) + 1)  # on use
        else:
            reg_np = pc.fill_null(regular, False).to_numpy(zero_copy_only=False)
            if reg_np.all():
                parts.append((vals, g.lines))
            elif reg_np.any():
                mask = pa.array(reg_np)
                parts.append(({k: partial(_filtered, v, mask) for k, v in vals.items()},
                              g.lines[reg_np]))
            odd_lines += g.lines[acc_np & ~reg_np].tolist()
            continue
        # not name=value columns: the lines of the first ACC line's shape read by columns
        shape = templated([g.col(i) for i in range(g.count)], is_acc, kind, k0, v0, probe)
        if shape is not None:
            shaped.append((shape, g.lines[shape.taken]))
            acc_np = acc_np & ~shape.taken
        odd_lines += g.lines[acc_np].tolist()
    return pos, parts, shaped, sorted(odd_lines), other


def _mode_count(data: bytes) -> int:
    return most_common([ln.count(";") + 1 for ln in head_lines(data)[:200] if "ACC: " in ln], 1)


def _odd_rows(data: bytes, lines: list[int], starts: np.ndarray | None = None,
              shaped: list[tuple[Templated, np.ndarray]] | None = None
              ) -> tuple[dict[str, pa.Array], np.ndarray, int]:
    """Lines that broke their group's key order (a ``;`` inside a value, the Identity
    header's parameters): re-split in Arrow kernels; only lines with a ``<…>`` (whose ``;``
    may sit inside a URI) or an unusual first key go through ``parse_pairs`` one by one.
    ``shaped``: such lines read already by their layout's shape (``templated``): merged in
    as if split here (names in the order met, line by line)."""
    shaped = shaped or []
    nums = np.asarray(lines, np.int64)
    quirky = sum(t.quirky for t, _ in shaped)
    # (columns, lines, name → (line, segment) of its first value) of the Arrow-split lines
    arrow = [(t.cols, got, {k: (int(got[0]), r) for k, r in t.ranks.items()})
             for t, got in shaped]
    parts = []
    if len(nums):
        raw, _ = text_lines(select_lines(data, nums, starts))  # ACC lines: non-blank
        if len(raw) != len(nums):  # a line of only spaces or control bytes: keep them aligned
            every = np.sort(np.concatenate([nums] + [got for _, got in shaped]))
            return _odd_rows_python(data, every.tolist(), starts)
        m = pc.extract_regex(raw, ACC_RE2)
        # RE2 and Python differ on non-ASCII names (\w): such lines go the Python way too
        ok = pc.and_(pc.and_(pc.is_valid(m), pc.invert(pc.match_substring(raw, "<"))),
                     pc.string_is_ascii(raw))
        ok_np = pc.fill_null(ok, False).to_numpy(zero_copy_only=False)
        if ok_np.any():
            mask = pa.array(ok_np)
            got = pc.filter(m, mask)
            at = nums[ok_np]
            cols, odd, first = _split_ranked(pc.struct_field(got, "body"))
            cols["@kind"] = pc.struct_field(got, "kind")
            arrow.append((cols, at, {k: (int(at[r]), seg) for k, (r, seg) in first.items()}))
            quirky += odd
        if not ok_np.all():
            cols, got_lines, odd = _odd_rows_python(data, nums[~ok_np].tolist(), starts)
            if len(got_lines):
                parts.append((cols, got_lines))
            quirky += odd
    if arrow:
        cols, got_lines = concat_sorted([(c, ln) for c, ln, _ in arrow])
        rank: dict[str, tuple[int, int]] = {}
        for _, _, first in arrow:
            for k, r in first.items():
                rank[k] = min(rank.get(k, r), r)
        names = sorted(rank, key=rank.__getitem__)
        parts.insert(0, ({**{k: cols[k] for k in names}, "@kind": cols["@kind"]}, got_lines))
    if not parts:
        return {"@kind": pa.array([], pa.string())}, np.zeros(0, np.int64), 0
    cols, got_lines = concat_sorted(parts)
    return cols, got_lines, quirky


ACC_RE2 = r"ACC: (?P<kind>[a-z][a-z ]*?): (?P<body>[A-Za-z_][A-Za-z0-9_]*=.*)$"


def _split_pairs(body: pa.Array) -> tuple[dict[str, pa.Array], int]:
    """``parse_pairs`` for values without ``<``, whole column at once: a ``;``-segment that
    is not ``name=…`` (or is an Identity parameter after ``identity=``) joins the value
    before it; a repeated name keeps its last value. Returns (columns, lines glued oddly)."""
    cols, odd, _ = _split_ranked(body)
    return cols, odd


def _split_ranked(body: pa.Array
                  ) -> tuple[dict[str, pa.Array], int, dict[str, tuple[int, int]]]:
    """``_split_pairs``, and where each name is first met: (row, segment on that row)."""
    n = len(body)
    lists = pc.split_pattern(body, ";")
    segs = text(pc.list_flatten(lists))
    line = pc.list_parent_indices(lists).to_numpy()
    key = pc.struct_field(pc.extract_regex(segs, r"^(?P<k>[A-Za-z_][A-Za-z0-9_]*)="), "k")
    is_pair = pc.is_valid(key).to_numpy(zero_copy_only=False)
    is_param = pc.fill_null(pc.is_in(key, value_set=pa.array(IDENTITY_PARAMS)), False) \
        .to_numpy(zero_copy_only=False)
    seg_no = np.arange(len(segs))
    # the nearest name=… before each segment on its line that is not an Identity parameter
    plain = is_pair & ~is_param
    last_plain = np.maximum.accumulate(np.where(plain, seg_no, -1))
    prev_plain = np.concatenate(([-1], last_plain[:-1]))
    same_line = (prev_plain >= 0) & (line[np.maximum(prev_plain, 0)] == line)
    is_identity = pc.fill_null(pc.equal(key, "identity"), False).to_numpy(zero_copy_only=False)
    after_identity = same_line & is_identity[np.maximum(prev_plain, 0)]
    glued_param = is_param & after_identity
    start = is_pair & ~glued_param
    group = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    kept = (group >= 0) & (line[first[np.maximum(group, 0)]] == line) if len(first) else \
        np.zeros(len(segs), bool)
    odd_line = np.zeros(n, bool)
    odd_line[line[kept & ~start & ~glued_param]] = True
    # each value: the first segment after its ``name=``, then the glued segments, ``;``-joined
    eq = pc.fill_null(pc.find_substring(segs, "="), 0).to_numpy()
    piece = _after_eq(segs, start, eq)
    kept_idx = np.flatnonzero(kept)
    vals = pc.take(piece, pa.array(kept_idx))
    offs = np.searchsorted(kept_idx, first).astype(np.int32)
    joined = pc.binary_join(pa.ListArray.from_arrays(
        pa.array(np.append(offs, len(kept_idx)).astype(np.int32)), vals), ";")
    g_line = line[first]
    g_key = pc.take(key, pa.array(first))
    cols: dict[str, pa.Array] = {}
    names = pc.unique(g_key).to_pylist()
    row_start = lists.offsets.to_numpy()
    where_first: dict[str, tuple[int, int]] = {}
    for name in names:
        sel = np.flatnonzero(pc.equal(g_key, name).to_numpy(zero_copy_only=False))
        row = int(g_line[sel[0]])
        where_first[name] = (row, int(first[sel[0]] - (row_start[row] - row_start[0])))
        at = g_line[sel]  # non-decreasing: a name repeated on a line keeps its last value
        sel = sel[np.append(at[1:] != at[:-1], True)]
        where = np.full(n, -1, np.int64)
        where[g_line[sel]] = sel
        cols[name] = pc.take(joined, pa.array(where, mask=where < 0))
    return cols, int(odd_line.sum()), where_first


def _after_eq(segs: pa.Array, start: np.ndarray, eq: np.ndarray) -> pa.Array:
    """A value's own text: after the first ``=`` for a ``name=…`` segment, whole otherwise."""
    arr, offs, data, big = bytes_of(segs)
    cut = np.where(start, offs[:-1] + eq + 1, offs[:-1])
    return substrings(arr, data, cut, offs[1:], big)


def _odd_rows_python(data: bytes, lines: list[int], starts: np.ndarray | None = None
                     ) -> tuple[dict[str, pa.Array], np.ndarray, int]:
    """Lines parsed one by one with ``parse_pairs`` (the ``<…>`` rule needs a running count)."""
    recs, kinds, got, quirky = [], [], [], 0
    for n, raw in zip(lines, lines_text(data, lines, starts)):
        m = ACC_LINE.search(raw)
        if not m:
            continue
        pairs, odd = parse_pairs(m.group(2))
        quirky += odd
        recs.append(pairs)
        kinds.append(m.group(1))
        got.append(n)
    keys = dict.fromkeys(k for r in recs for k in r)  # first-seen order: messages list them
    cols = {k: pa.array([r.get(k) for r in recs], pa.string()) for k in keys}
    cols["@kind"] = pa.array(kinds, pa.string())
    return cols, np.asarray(got, np.int64), quirky


def read_kamailio(path: Path, opts: ReadOptions) -> ParsedTable:
    # mapped, not read (0.4 s of a 600 MB log's copy): the reader only slices, searches and
    # parses the file's bytes
    return with_text(path, opts.encoding, lambda data, enc: _read_syslog(path, opts, data, enc),
                     mapped=True)


#: Logs from this size on are read by the compiled scan; a smaller one (a detection sample,
#: a few thousand lines) the committed way, which gives the same table, unless numba is loaded
#: already: loading it costs ~0.5 s of CPU, what the committed reader spends on ~100 k lines.
COMPILED_BYTES = 4 << 20


def _worth_compiled(data: bytes) -> bool:
    return worth_compiling(len(data), COMPILED_BYTES)


def _read_syslog(path: Path, opts: ReadOptions, data: bytes, enc: str) -> ParsedTable:
    scan = scan_log(data) if _worth_compiled(data) else None
    if scan is None:
        return _read_syslog_committed(path, opts, data, enc)
    return _read_scanned(scan, path, opts, data, enc)


def _read_scanned(scan: Scan, path: Path, opts: ReadOptions, data: bytes, enc: str
                  ) -> ParsedTable:
    """``_read_syslog_committed`` from one byte scan: the fitting lines of every regular
    layout are cut straight out of the file's bytes, in file order (made on use, and the
    names only copied out on the kept rows alone: ``Merged``); the other ACC lines go the
    committed ways."""
    got = _scanned_layouts(scan, data)
    if got is None:
        return _read_syslog_committed(path, opts, data, enc)
    layouts, names, shaped, odd, other = got
    notes = []
    odd_cols: dict[str, pa.Array] = {}
    odd_lines = np.zeros(0, np.int64)
    if odd or shaped:
        cols, got_lines, quirky = _odd_rows(data, odd, scan.starts, shaped)
        if len(got_lines):
            odd_cols, odd_lines = cols, got_lines
        if quirky:
            notes.append(f"{count_of(quirky, 'line')} with a ';' inside a value (acc does not "
                         "escape): the value was kept whole")
    if not len(layouts.rows) and not len(odd_lines):
        raise InputError("no ACC: accounting lines found", file=str(path))
    names += [k for k in odd_cols if k not in names]
    lines = np.concatenate([layouts.rows + 1, odd_lines]).astype(np.int64)
    merged = Merged(layouts, odd_cols, len(odd_lines), names)
    every = Lazy({k: partial(merged.column, k) for k in names})
    kinds = text(every["@kind"])
    kv = Lazy({k: partial(every.__getitem__, k) for k in every if k != "@kind"})
    if other:
        notes.append(f"{count_of(other, 'line')} of other syslog messages (not ACC: accounting "
                     "lines) skipped")
    return _build(kv, lines, kinds, opts, str(path), notes, [], 0, enc, epoch=True, data=data,
                  starts=scan.starts, on_rows=merged.on_rows)


def _scanned_layouts(scan: Scan, data: bytes) -> tuple[
        Layouts, list[str], list[tuple[Templated, np.ndarray]], list[int], int] | None:
    """``_syslog_pairs`` from the scan: the regular layouts' fitting lines (``Layouts``) and
    their names in the order ``joined_lazy`` met them, the lines of irregular layouts read by
    their shape, the other ACC lines and the count of other syslog lines. None: a probe the
    committed code would read otherwise (its first name ``@kind``)."""
    counts, groups = group_order(scan.nf, _mode_count(data))
    fields: dict[str, np.ndarray] = {}
    names: dict[str, None] = {}
    fit_mask = np.zeros(len(scan.nf), bool)
    shaped: list[tuple[Templated, np.ndarray]] = []
    odd: list[np.ndarray] = []
    other = 0
    for count, rows in zip(counts, groups):
        acc = (scan.flags[rows] & ACC_FLAG) != 0
        other += int((~acc).sum())
        if not acc.any():
            continue
        at = int(np.argmax(acc))  # the group's first ACC line names its keys
        keys = _probe_keys(scan, int(rows[at]), count)
        if keys is None:
            return None
        if keys:
            fit = (scan.flags[rows] & FITS_FLAG) != 0
            if fit.any():
                fit_mask[rows[fit]] = True
                for f, key in enumerate(keys):
                    fields.setdefault(key, np.full(MAX_COLUMNS + 2, -1, np.int64))[count] = f
                names.update(dict.fromkeys(["@kind"] + keys))
            odd.append(rows[acc & ~fit] + 1)
            continue
        if templated is TEMPLATED:
            shape = shape_of(scan, rows, count, at)
        else:  # ``templated`` replaced (tests reading every odd line one by one): honoured
            shape = templated(*field_columns(scan, rows, count), at)
        if shape is not None:
            shaped.append((shape, rows[shape.taken] + 1))
            acc = acc & ~shape.taken
        odd.append(rows[acc] + 1)
    odd_lines = np.sort(np.concatenate(odd)).tolist() if odd else []
    layouts = Layouts(scan, np.flatnonzero(fit_mask), fields)
    return layouts, list(names), shaped, odd_lines, other


def _probe_keys(scan: Scan, probe: int, count: int) -> list[str] | None:
    """The names of a layout's probe line, first name first, as ``_syslog_pairs`` read them;
    [] when they are not ``name=value`` columns of distinct names (an irregular layout);
    None when the committed code must read the file (a first name ``@kind``, or the scan's
    name lengths not the regex's: never expected)."""
    buf = scan.buf
    key0 = bytes(buf[scan.kq[probe] + 2:scan.kk[probe]]).decode()
    if key0 == "@kind":
        return None
    keys = [key0]
    semis = scan.semis[scan.soff[probe]:scan.soff[probe + 1]]
    bounds = np.concatenate((semis + 1, [scan.ends[probe] + 1]))
    for f in range(1, count):
        seg = bytes(buf[bounds[f - 1]:bounds[f] - 1]).decode()
        m = PAIR.match(seg)
        key = m.group(1) if m else None
        if key is None or key in keys:
            return []
        if scan.klens[scan.koff[count] + f - 1] != len(key):
            return None
        keys.append(key)
    return keys


def _read_syslog_committed(path: Path, opts: ReadOptions, data: bytes, enc: str
                           ) -> ParsedTable:
    """The reader by pyarrow's parse of each field count (files the scan does not vouch for,
    and the oracle of the scanned path's tests)."""
    pos, parts, shaped, odd, other = _syslog_pairs(data, str(path))
    data = pos.data  # CR-only line ends read as LF (the same lines): odd lines are found by them
    notes = []
    if odd or shaped:
        cols, lines, quirky = _odd_rows(data, odd, pos.starts, shaped)
        if len(lines):
            parts.append((cols, lines))
        if quirky:
            notes.append(f"{count_of(quirky, 'line')} with a ';' inside a value (acc does not "
                         "escape): the value was kept whole")
    if not parts:
        raise InputError("no ACC: accounting lines found", file=str(path))
    every, lines = joined_lazy(parts)  # layout after layout: _build puts rows in order
    kinds = text(every["@kind"])
    kv = Lazy({k: partial(every.__getitem__, k) for k in every if k != "@kind"})
    if other:
        notes.append(f"{count_of(other, 'line')} of other syslog messages (not ACC: accounting "
                     "lines) skipped")
    return _build(kv, lines, kinds, opts, str(path), notes, pos.bad_lines, pos.bad_count, enc,
                  epoch=True, data=data, starts=pos.starts)


Column: TypeAlias = "pa.Array | Callable[[], pa.Array]"  # a column, or how to make it
OnRows: TypeAlias = Callable[[str, Callable[[pa.Array], pa.Array], bool], pa.Array]


def _made(col: Column) -> pa.Array:
    return col() if callable(col) else col


def _filtered(col: Column, mask: pa.Array) -> pa.Array:
    return pc.filter(_made(col), mask)


def joined_lazy(parts: list[tuple[dict[str, Column], np.ndarray]]
                ) -> tuple[Mapping[str, pa.Array], np.ndarray]:
    """The layouts' columns one after the other (rows layout by layout, not in file order),
    each column cut and joined only when used: most keys of an acc line (tags, domains) are
    never read. Names in the order ``concat_sorted`` gives them."""
    if len(parts) == 1:
        cols, lines = parts[0]
        return Lazy({k: partial(_made, v) for k, v in cols.items()}), lines
    lines = np.concatenate([p[1] for p in parts])
    names = list(dict.fromkeys(k for p in parts for k in p[0]))  # first-seen order
    return Lazy({k: partial(_joined, parts, k) for k in names}), lines


def _joined(parts: list[tuple[dict[str, Column], np.ndarray]], name: str) -> pa.Array:
    """One column of ``concat_sorted`` before its rows are sorted (same types and nulls)."""
    made = [(_made(p[0][name]) if name in p[0] else None, len(p[1])) for p in parts]
    typ = next(c.type for c, _ in made if c is not None)
    chunks = [text(c) if pa.types.is_string(typ) else c for c in
              (c if c is not None else pa.nulls(n, typ) for c, n in made)]
    chunks = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in chunks]
    return pa.concat_arrays([c.cast(typ) for c in chunks])


# ---------------------------------------------------------------- records → calls

def _identity(kv: Mapping[str, pa.Array]) -> pa.Array | None:
    """The Identity header with the parameters the column split cut off (``info``, ``alg``,
    ``ppt``, in that order) joined back: one join over the column (``;name=value`` where a
    parameter is present, nothing elsewhere; a null identity stays null), not a copy of
    the long header per parameter."""
    ident = kv.get("identity")
    if ident is None:
        return None
    params = [p for p in IDENTITY_PARAMS if p in kv]  # split off by the vectorized path
    if not any(kv[p].null_count < len(kv[p]) for p in params):
        return ident
    pieces = [pc.fill_null(pc.binary_join_element_wise(";" + p, kv[p], "="), "")
              for p in params]
    return pc.binary_join_element_wise(text(ident), *pieces, "")


def _times(col: pa.Array | None, epoch: bool) -> pa.Array | None:
    if col is None:
        return None
    return epoch_to_utc(col) if epoch else col


def _wall(col: pa.Array) -> pa.Array:
    """DATETIME text as naive µs (only for differences: both ends share the zone)."""
    return pc.strptime(col, format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True)


def _build(kv: Mapping[str, pa.Array], lines: np.ndarray, kinds: pa.Array | None,
           opts: ReadOptions, file: str, notes: list[str], bad: list[BadLine], bad_count: int,
           enc: str, *, epoch: bool, data: bytes, headers: list[str] | None = None,
           starts: np.ndarray | None = None,
           on_rows: OnRows | None = None) -> ParsedTable:
    """Calls out of acc records (``kv``: a field's values by name, blank = null).
    ``on_rows(key, pick, alone)``: the field ``kv[key]`` made from the source on the kept
    rows alone (``pick`` keeps them): fields only copied to the output are converted on those
    rows (``alone``: no other field is wanted on those rows)."""
    n = len(lines)
    cache: dict[str, pa.Array] = {}

    def get(key: str) -> pa.Array | None:  # blank → null on first use: most keys go unused
        if key not in kv:
            return None
        if key not in cache:
            cache[key] = blank_as_null(kv[key])
        return cache[key]

    def sub(key: str, keep: Callable[[pa.Array], pa.Array], alone: bool = False
            ) -> pa.Array | None:
        """``keep(kv[key])`` blank → null: a field not yet converted on every row is
        converted on the rows ``keep`` keeps alone (``on_rows``)."""
        if key not in kv:
            return None
        if key in cache or on_rows is None:
            return keep(get(key))
        return blank_as_null(on_rows(key, keep, alone))

    method = pc.utf8_upper(get("method")) if "method" in kv else pa.nulls(n, pa.string())
    is_invite = pc.fill_null(pc.or_kleene(pc.equal(method, "INVITE"), pc.is_null(method)), True)
    is_bye = pc.fill_null(pc.equal(method, "BYE"), False)
    stamp = _times(coalesce(get("timestamp"), get("time")), epoch)
    created = _times(get("created"), epoch)
    started = _times(coalesce(get("call_start_time"), get("start_time")), epoch)
    ended = _times(get("end_time"), epoch)
    if kinds is not None:
        answered: pa.Array | None = pc.fill_null(pc.or_(
            pc.equal(kinds, "transaction answered"), pc.equal(kinds, "call ended")), False)
    else:
        answered = None  # from the code, on the kept rows
    start = coalesce(created, stamp, started)
    if start is None:  # e.g. a header line alone, cut before its time columns
        raise InputError("no time field (timestamp, time, created or start_time) in any "
                         "record", file=file)
    until = None
    if epoch and started is not None and "duration" in kv:  # OpenSIPS: answer + duration
        duration = get("duration")  # every row, as the cast's errors were before
        secs = pc.cast(pc.if_else(pc.match_substring_regex(duration, r"^[0-9]+$"), duration,
                                  pa.scalar(None, pa.string())), pa.int64())
        until = pc.add(pc.cast(started, pa.int64()), pc.multiply(secs, 1_000_000))
        until = until.cast(started.type)
    # a record without a usable time (or, in syslog, without a method) cannot be placed
    valid = pc.is_valid(start)
    if kinds is not None:
        valid = pc.and_(valid, pc.is_valid(method))
    invalid = pc.invert(valid).to_numpy(zero_copy_only=False)
    bye_of = None
    # BYE records close the INVITE with the same Call-ID (first BYE wins): the earliest BYE
    # per Call-ID from every BYE row, looked up for the kept rows alone
    if "call_id" in kv and stamp is not None and count_true(is_bye):
        bye_of = bye_times(sub("call_id", partial(_keep, is_bye), True),
                           pc.filter(stamp, is_bye))
    if invalid.any():
        nums = [int(ln) for ln in np.sort(lines[invalid])[:MAX_BAD_KEPT]]
        bad = sorted(list(bad) + [BadLine(ln, "no usable time or method", t)
                                  for ln, t in zip(nums, _line_texts(data, nums, starts))],
                     key=lambda b: b.line)[:MAX_BAD_KEPT]
        bad_count += int(invalid.sum())
        is_invite = pc.and_(is_invite, valid)
    inv = is_invite.to_numpy(zero_copy_only=False)
    pick_rows, kept = _rows(inv, is_invite, lines)
    picked: dict[int, tuple[pa.Array, pa.Array]] = {}

    def pick(col: pa.Array) -> pa.Array:  # start is often the very column of stamp
        if id(col) not in picked:
            picked[id(col)] = (col, pick_rows(col))  # the column held: its id stays its own
        return picked[id(col)][1]

    def out(key: str) -> pa.Array | None:  # a field only copied out: made on the kept rows
        return sub(key, pick)

    # answer, end and duration of the kept rows alone: each step works row by row
    call_id = out("call_id")
    code = out("code")
    stamp_k, started_k = _picked(pick, stamp), _picked(pick, started)
    if answered is None:
        answered = (pc.fill_null(pc.starts_with(code, "2"), True) if code is not None
                    else pa.array(np.ones(len(kept), bool)))
    else:
        answered = pick(answered)
    answer = coalesce(started_k, pc.if_else(answered, stamp_k, pa.scalar(None, stamp_k.type))
                      if stamp_k is not None else None)
    duration = out("duration")
    end = _picked(pick, ended)
    if bye_of is not None and call_id is not None:
        end = coalesce(end, lookup_bye(bye_of, call_id))
    end = coalesce(end, _picked(pick, until))
    if end is not None and answer is not None:
        a, e = (answer, end) if epoch else (_wall(answer), _wall(end))
        duration = coalesce(duration, pc.cast(seconds_between(a, e), pa.string()))
    cols = {"start": pick(start), "answer": answer, "end": end, "duration": duration,
            "call_id": call_id}

    reason = out("reason")  # absent from a line cut after its code= (a truncated log)
    cols.update({
        "calling": first_of(out, "src_user", "from_user"),
        "called": first_of(out, "dst_user", "dst_ouser", "to_user"),
        "ingress": out("src_ip"), "egress": out("dst_domain"),
        "disposition": (pc.binary_join_element_wise(
            code, pc.fill_null(reason, "") if reason is not None else "", " ")
            if code is not None else reason),
        "identity": _identity({k: out(k) for k in ("identity",) + IDENTITY_PARAMS if k in kv}),
        "verstat": out("verstat"), "attest": out("attest"), "origid": out("origid"),
    })
    cols = {k: (v if v is None or pa.types.is_timestamp(v.type) else pc.cast(v, pa.string()))
            for k, v in cols.items()}
    named = {k: pick(text(v)) for k, v in kv.items()} if opts.columns else None
    skipped = n - int(inv.sum()) - int(invalid.sum())
    from_created = (len(created) - created.null_count) if created is not None else 0
    rows = int(inv.sum())
    all_created = created is not None and count_true(
        pc.filter(pc.is_valid(created), is_invite)) == rows
    basis = "invite" if all_created else "answer"
    notes = list(notes)
    notes.append(f"{rows} INVITE records read; {skipped} other records (BYE, ACK, …) used only "
                 "to close calls" if skipped else f"{rows} INVITE records read")
    if basis == "answer" and stamp is None:
        notes.append("start is the dialog's start_time (the answer), not the INVITE: matching "
                     "widens for this source")
    elif basis == "answer":
        notes.append("start is the time acc logged the final reply (the answer time for "
                     "answered calls), not the INVITE: matching widens for this source")
    if from_created:
        notes.append(f"{from_created} OpenSIPS records carry created= (INVITE time): used as start")
    notes.append("calling ← src_user, called ← dst_user (dst_ouser), ingress ← src_ip, "
                 "egress ← dst_domain, disposition ← code + reason")
    if not epoch:
        notes.append("times are the database's wall-clock DATETIME: read in the source's timezone")
    return finish(cols, kept, named=named, opts=opts, file=file, notes=notes, bad=bad,
                  bad_count=bad_count, time_basis=basis, encoding=enc, headers=headers)


def blank_as_null(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``blank_to_null(col)`` (empty values as nulls), for a plain text column its validity
    read off its offsets (``blank_to_null`` gathers every value's edge bytes first)."""
    arr = text(col)
    if arr.type != pa.string() or arr.offset or not len(arr):
        return blank_to_null(arr)
    n = len(arr)
    offs = np.frombuffer(arr.buffers()[1], np.int32, n + 1)
    valid = offs[1:] != offs[:-1]
    if arr.null_count:
        valid &= arr.is_valid().to_numpy(zero_copy_only=False)
    nulls = n - int(np.count_nonzero(valid))
    if nulls == arr.null_count:
        return arr
    return pa.Array.from_buffers(pa.string(), n, [pa.py_buffer(np.packbits(
        valid, bitorder="little")), *arr.buffers()[1:]], null_count=nulls)


def _line_texts(data: bytes, nums: list[int], starts: np.ndarray | None) -> list[str]:
    """``lines_text``; without the file's line starts, found only up to the last line wanted
    (the first bad records sit near the top: no pass over the whole file for them)."""
    if starts is not None or not nums:
        return lines_text(data, nums, starts)
    buf = np.frombuffer(data, np.uint8)
    end, pos, seen, last = len(data), 0, 0, max(nums)
    while pos < len(buf):
        ends = np.flatnonzero(buf[pos:pos + (1 << 20)] == 10)
        if seen + len(ends) >= last:
            end = pos + int(ends[last - seen - 1]) + 1
            break
        seen += len(ends)
        pos += 1 << 20
    head = data[:end]
    return lines_text(head, nums, line_starts(head))


def _rows(inv: np.ndarray, is_invite: pa.Array, lines: np.ndarray
          ) -> tuple[Callable[[pa.Array], pa.Array], np.ndarray]:
    """How to keep the INVITE rows, in file order, and their lines. Records of several
    layouts come layout after layout (putting every column in file order first copied each
    one whole): one gather puts the kept rows in order."""
    if len(lines) < 2 or (lines[1:] > lines[:-1]).all():
        return partial(_keep, is_invite), lines[inv]
    sel = np.flatnonzero(inv)
    sel = sel[np.argsort(lines[sel], kind="stable")]
    return partial(_gather, pa.array(sel)), lines[sel]


def first_of(out: Callable[[str], pa.Array | None], *keys: str) -> pa.Array | None:
    """``coalesce(out(key) for key in keys)``, each field made only while a row is still
    null: a table export's ``dst_ouser`` is rarely needed."""
    got = None
    for key in keys:
        if got is not None and not got.null_count:
            break
        got = coalesce(got, out(key))
    return got


def _picked(pick: Callable[[pa.Array], pa.Array], col: pa.Array | None) -> pa.Array | None:
    return pick(col) if col is not None else None


def _keep(mask: pa.Array, col: pa.Array) -> pa.Array:
    return pc.filter(col, mask)


def _gather(rows: pa.Array, col: pa.Array) -> pa.Array:
    return pc.take(col, rows)


# ---------------------------------------------------------------- database exports

def read_kamailio_db(path: Path, opts: ReadOptions) -> ParsedTable:
    # mapped, not read: the table reader only slices, searches and parses the file's bytes
    return with_text(path, opts.encoding, lambda data, enc: _read_db(path, opts, data, enc),
                     mapped=True)


def _read_db(path: Path, opts: ReadOptions, data: bytes, enc: str) -> ParsedTable:
    first = next((ln for ln in head_lines(data) if ln.strip()), "")
    delim = opts.delimiter or sniff_delimiter(first)
    header: list[str] = []  # every column's name, converted or not
    want = None if opts.columns else partial(_db_wanted, data, header)
    d = read_delimited(data, delimiter=delim, header=True, file=str(path), want=want)
    names = header or d.table.column_names
    source = _db_sources(names)
    kv = Lazy({k: partial(_db_column, d.table, name) for k, name in source.items()})
    if "call_id" not in kv and "start_time" not in kv:
        raise InputError("not an acc/acc_cdrs export: no callid or start_time column "
                         f"(found: {', '.join(names)})", file=str(path))
    epoch = all(_is_epoch(kv[k]) for k in ("time", "created", "start_time", "timestamp") if k in kv)
    notes = [f"{'acc_cdrs' if 'start_time' in kv else 'acc'} table export, delimiter {delim!r}"]
    return _build(kv, d.lines, None, opts, str(path), notes, d.bad_lines, d.bad_count, enc,
                  epoch=epoch, data=data, headers=d.header,
                  on_rows=partial(_db_on_rows, d.table, source))


def _db_on_rows(table: pa.Table, source: dict[str, str], key: str,
                pick: Callable[[pa.Array], pa.Array], alone: bool = False) -> pa.Array:
    """``_build``'s ``on_rows`` for a table export: its column picked, then cleaned."""
    return _db_values(pick(table[source[key]]))


#: The acc fields ``_build`` reads (by their syslog names): a table export's other columns
#: (ids, tags, domains: a third of its bytes) are split by pyarrow but never converted.
DB_USED = frozenset((
    "method", "timestamp", "time", "created", "call_start_time", "start_time", "end_time",
    "call_id", "code", "duration", "reason", "src_user", "from_user", "dst_user", "dst_ouser",
    "to_user", "src_ip", "dst_domain", "identity", *IDENTITY_PARAMS, "verstat", "attest",
    "origid"))


def _db_sources(names: list[str]) -> dict[str, str]:
    """acc field (syslog name) → the column it is read from (the last of the same name)."""
    source = {}
    for name in names:
        key = name.strip().strip("`").lower()
        source[DB_ALIASES.get(key, key)] = name
    return source


def _db_wanted(data: bytes, header: list[str], names: list[str], _line: int | None
               ) -> list[str] | None:
    """``read_delimited``'s ``want``: the columns of ``DB_USED`` fields alone, where the file
    is UTF-8 throughout (pyarrow checks the encoding of converted columns only, and a fault
    in a column left out must still send the file to the Windows-1252 retry). Keeps every
    name in ``header``."""
    header[:] = names
    if not (is_ascii(data) or clean_utf8(data)):
        return None
    used = {col for key, col in _db_sources(names).items() if key in DB_USED}
    return [n for n in names if n in used] or None


def _db_column(table: pa.Table, name: str) -> pa.Array:
    return _db_values(table[name])


def _db_values(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    return blank_to_null(col, NULL_TEXT, strip=True)


class Lazy(Mapping[str, pa.Array]):
    """Columns made on first use: a table export's unused columns are never converted."""

    def __init__(self, makers: dict[str, Callable[[], pa.Array]]):
        self.makers = makers
        self.done: dict[str, pa.Array] = {}

    def __contains__(self, key: object) -> bool:
        return key in self.makers

    def __iter__(self) -> Iterator[str]:
        return iter(self.makers)

    def __len__(self) -> int:
        return len(self.makers)

    def __getitem__(self, key: str) -> pa.Array:
        if key not in self.done:
            self.done[key] = self.makers[key]()
        return self.done[key]


EPOCH_TEXT = r"^[0-9]{9,16}(\.[0-9]+)?$"


def _is_epoch(col: pa.Array) -> bool:
    present = len(col) - col.null_count
    head = col[:64]  # DATETIME text fails at once: no regex over the whole column
    if count_true(pc.match_substring_regex(head, EPOCH_TEXT)) < len(head) - head.null_count:
        return False
    epochs = count_true(pc.match_substring_regex(col, EPOCH_TEXT))
    return bool(present) and epochs == present


# ---------------------------------------------------------------- detection

def sniff_kamailio(sample: Sample) -> Detection | None:
    lines = [ln for ln in sample.lines if ln.strip()]
    acc = [m for m in map(ACC_LINE.search, lines) if m is not None and m.group(1) in KINDS]
    if not acc:
        return None
    stamped = sum(1 for m in acc if STAMPED.search(m.group(2)))
    callid = sum(1 for m in acc if re.search(r"(^|;)call_id=", m.group(2)))
    frac = len(acc) / len(lines)
    score = 0.55 + 0.15 * min(1.0, frac * 2) + 0.15 * stamped / len(acc) + 0.1 * callid / len(acc)
    kinds = sorted({m.group(1) for m in acc})
    return Detection("kamailio", round(min(score, 0.97), 3), [
        f"{len(acc)} of {len(lines)} lines are 'ACC: …' accounting lines ({', '.join(kinds)})",
        f"epoch timestamp=/created= on {fmt_share(stamped / len(acc))}",
        f"call_id= on {fmt_share(callid / len(acc))}"])


def sniff_kamailio_db(sample: Sample) -> Detection | None:
    first = next((ln for ln in sample.lines if ln.strip()), "")
    delim = sniff_delimiter(first)
    cols = {c.strip().strip('"').strip("`").lower() for c in first.split(delim)}
    acc = {"method", "from_tag", "to_tag", "callid", "sip_code", "sip_reason", "time"}
    extras = {"src_user", "src_domain", "src_ip", "dst_ouser", "dst_user", "dst_domain",
              "callid", "from_tag", "to_tag", "sip_code", "sip_reason", "method"}
    hit = acc & cols
    if len(hit) >= 5 and {"from_tag", "to_tag"} & hit:
        return Detection("kamailio_db", round(0.7 + 0.04 * len(hit), 3),
                         [f"header has the acc table columns {', '.join(sorted(hit))}"])
    # acc_cdrs: id, start_time, end_time, duration + the db_extra columns of acc
    if {"id", "start_time", "end_time", "duration"} <= cols and len(cols & extras) >= 2:
        return Detection("kamailio_db", 0.92, [
            "header has the acc_cdrs columns id, start_time, end_time, duration and acc "
            f"extras {', '.join(sorted(cols & extras))}"])
    return None


register(FormatProfile(
    name="kamailio", title="Kamailio / OpenSIPS acc syslog lines", read=read_kamailio,
    sniff=sniff_kamailio,
    description="'ACC: transaction answered: timestamp=…;method=…' (and OpenSIPS 'call "
                "ended'); epoch times (UTC); start is the answer time; ingress = src_ip, "
                "egress = dst_domain."))
register(FormatProfile(
    name="kamailio_db", title="Kamailio / OpenSIPS acc or acc_cdrs table export",
    read=read_kamailio_db, sniff=sniff_kamailio_db,
    description="Header-bearing export of the acc / missed_calls / acc_cdrs tables; NULL "
                "literals."))
