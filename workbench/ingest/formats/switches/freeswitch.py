"""FreeSWITCH mod_cdr_csv: the built-in default (13 fields), ``example`` (15) and ``sql`` templates.

Templates expand ``${var}`` without escaping, so a ``"`` in a caller name breaks
the line; such lines are split again on the template's own ``","`` separators.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import register
from ..base import BadLine, Detection, FormatProfile, ParsedTable, ReadOptions, Sample
from ..delimited import MAX_BAD_KEPT, is_ascii, select_lines
from .common import (
    ISO_LOCAL,
    Q850_NAMES,
    UUID,
    Part,
    blank_to_null,
    count_of,
    fields,
    finish,
    fmt_share,
    head_lines,
    in_file_order,
    most_common,
    records,
    share,
    text,
    text_lines,
)
from .freeswitch_csv_repair import resplit
from .freeswitch_lines import read_lines
from .freeswitch_scan import read_rows
from .positional import Positional, clean_utf8, read_positional, with_text

DEFAULT = ["caller_id_name", "caller_id_number", "destination_number", "context", "start_stamp",
           "answer_stamp", "end_stamp", "duration", "billsec", "hangup_cause", "uuid",
           "bleg_uuid", "accountcode"]
EXAMPLE = DEFAULT + ["read_codec", "write_codec"]
SQL_PREFIX = re.compile(rb"^\s*INSERT INTO\s+[\w.`\"]+\s+VALUES\s*\(", re.I)
MANGLED_TIME = re.compile(r"^\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}(:\d{2})?$")
CAUSE = re.compile(r"^[A-Z][A-Z_]+$")


def _unwrap_sql(data: bytes) -> tuple[bytes, bool]:
    """``INSERT INTO cdr VALUES (…);`` lines → the bare value lists (line count unchanged)."""
    head = data[:4096].lstrip()
    m = SQL_PREFIX.match(head)
    if not m:
        return data, False
    data = bytes(data)  # a mapped file: edited as a copy
    prefix = m.group(0).strip()
    data = data.replace(prefix, b"").replace(b");\r\n", b"\r\n").replace(b");\n", b"\n")
    tail = data.rstrip()
    if tail.endswith(b");"):
        data = tail[:-2] + b"\n"
    return data, True


def _strip_quotes(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    # the default template has a stray space before its last field: ` "acct"`
    col = text(col)
    if not pc.any(pc.match_substring(col, '"')).as_py():  # nothing to strip: no regex pass
        return col
    return pc.replace_substring_regex(col, r'^\s*"(.*)"\s*$', r"\1")


def _repair(pos: Positional, count: int, fields: Sequence[int] | None = None
            ) -> tuple[dict[str, pa.Array], np.ndarray, list[BadLine], int]:
    """Every refused line re-split on the template's quoted separators (values were not
    escaped), in Arrow kernels: (columns ``f{i}`` for ``fields`` or all, lines repaired,
    first bad lines left, how many)."""
    nums = pos.bad_numbers
    texts = getattr(pos, "bad_texts", None)  # the line reader's copy, with line ends
    got = resplit(texts, count, fields) if texts is not None else None
    if got is not None:
        cols, fit_np = got
        lines = texts
    else:
        cols, fit_np, lines = _resplit_all(pos, count, fields)
    why = {b.line: b.reason for b in pos.bad_lines}
    left = np.flatnonzero(~fit_np)
    still = [BadLine(int(nums[i]), why.get(int(nums[i]), "refused by the parser"),
                     text_[:-1] if got is not None else text_)
             for i, text_ in zip(left[:MAX_BAD_KEPT], pc.take(lines, left[:MAX_BAD_KEPT])
                                 .to_pylist())]
    return cols, nums[fit_np], still, len(left)


def _resplit_all(pos: Positional, count: int, fields: Sequence[int] | None
                 ) -> tuple[dict[str, pa.Array], np.ndarray, pa.Array]:
    """``_repair``'s re-split in general (sql wrapping, blanks around quotes, ``",\\s"``):
    (columns, which lines are rows, the lines' text without line ends)."""
    nums = pos.bad_numbers
    body = select_lines(pos.data, nums, pos.starts)
    lines, _ = text_lines(body)  # non-blank: one per number
    t = lines  # the sql template's wrapping, where a line still has it (regexes only then)
    # (the searches run over the lines' bytes at once where that says the same: a line holds
    # the text iff the bytes do, the text having no line end; ASCII case folding only)
    if (b"insert" in body.lower()) if body.isascii() else \
            pc.any(pc.match_substring(t, "insert", ignore_case=True)).as_py():
        t = pc.replace_substring_regex(
            t, r"(?i)^\s*INSERT INTO\s+[\w.`\"]+\s+VALUES\s*\(", "")
    if (b");" in body) if t is lines else pc.any(pc.match_substring(t, ");")).as_py():
        t = pc.replace_substring_regex(t, r"\);\s*$", "")
    t = pc.utf8_trim_whitespace(t)
    quoted = pc.and_(pc.and_(pc.starts_with(t, '"'), pc.ends_with(t, '"')),
                     pc.greater_equal(pc.utf8_length(t), 2))
    inner = pc.utf8_slice_codeunits(t, 1, -1)
    # (\s is [\t\n\f\r ] in RE2; each inner text is part of a line, so of ``body``)
    if any(b'",' + w + b'"' in body for w in (b" ", b"\t", b"\n", b"\f", b"\r")) and \
            pc.any(pc.match_substring_regex(inner, r'",\s"')).as_py():
        parts = pc.split_pattern_regex(inner, r'",\s?"')
    else:  # the same split without the regex engine (~5x faster)
        parts = pc.split_pattern(inner, '","')
    fit = pc.fill_null(pc.and_(quoted, pc.equal(pc.list_value_length(parts), count)), False)
    fixed = pc.filter(parts, fit)
    wanted = range(count) if fields is None else sorted(i for i in set(fields) if i < count)
    cols = {f"f{i}": pc.list_element(fixed, i) for i in wanted}
    return cols, fit.to_numpy(zero_copy_only=False), lines


def read_freeswitch(path: Path, opts: ReadOptions) -> ParsedTable:
    # mapped, not read: the line reader only slices, searches and parses the file's bytes
    return with_text(path, opts.encoding, lambda data, enc: _read(path, opts, data, enc),
                     mapped=True)


def _read(path: Path, opts: ReadOptions, data: bytes, enc: str, fast: bool = True,
          kernel: bool = True) -> ParsedTable:
    """``fast``: the line reader where it applies (else the careful reader alone);
    ``kernel``: the compiled pass before it (``freeswitch_scan``), where that applies."""
    data, sql = _unwrap_sql(data)
    expected = _first_count(data)
    reason = "FreeSWITCH templates have 13 or 15"
    # only the fields the canonical columns come from, unless the case maps fields of its own
    keep = None if opts.columns else NEEDED
    template = "example (15 fields)" if expected == 15 else "built-in default (13 fields)"
    notes = [f"template: {template}{' as sql INSERT INTO lines' if sql else ''}"]
    scanned = read_rows(data, expected, str(path), reason, keep) \
        if fast and kernel and keep is not None else None
    if scanned is not None:
        named = {EXAMPLE[i]: col for i, col in scanned.columns.items()}
        lines = scanned.lines
        bad, bad_count = scanned.bad, scanned.bad_count
        if scanned.repaired:
            notes.append(_repaired_note(scanned.repaired, scanned.first_repaired))
        named["accountcode"] = _strip_quotes(named["accountcode"])
        columns = {canon: _blank_as_null(named[f]) for canon, f in CANONICAL.items()}
    else:
        columns, lines, bad, bad_count = _read_groups(path, data, expected, reason, keep,
                                                      notes, fast)
    has_acct = columns["ingress"].null_count < len(columns["ingress"])
    notes += ["calling ← caller_id_number, called ← destination_number, duration ← billsec; "
              "call_id ← uuid (FreeSWITCH channel uuid), call_id_2 ← bleg_uuid",
              "ingress ← accountcode" if has_acct else
              "no ingress/egress in this template (use a template with ${sip_network_ip} / "
              "${sip_gateway_name}, or the XML/JSON CDR)",
              "*_stamp times are server local time: read in the source's timezone"]
    return finish(columns, lines, named=None, opts=opts, file=str(path), notes=notes,
                  bad=bad[:MAX_BAD_KEPT], bad_count=bad_count, headers=EXAMPLE[:expected],
                  encoding=enc)


def _read_groups(path: Path, data: bytes, expected: int, reason: str, keep: list[int] | None,
                 notes: list[str], fast: bool
                 ) -> tuple[dict[str, pa.Array], np.ndarray, list[BadLine], int]:
    """The line reader or the careful reader, the bad lines' repair and the merge of the
    groups into file order: (columns, lines, bad lines left, how many)."""
    pos: Positional | None = read_lines(data, expected, str(path), reason, keep) if fast \
        else None
    if pos is None:
        pos = read_positional(data, delimiter=",", expected=expected,
                              accept=lambda n: n in (13, 15), file=str(path), reason=reason,
                              columns=_converted(data, keep))
    groups = [(g.count, {c: g.table.column(c) for c in g.table.column_names}, g.lines)
              for g in pos.groups]
    bad, bad_count = pos.bad_lines, pos.bad_count
    if bad:  # every damaged line repaired, not only the few whose text bad_lines keeps
        rows, fixed, bad, left = _repair(pos, expected, keep)
        if len(fixed):
            groups.append((expected, rows, fixed))
            bad_count = left
            notes.append(_repaired_note(len(fixed), fixed[:10].tolist()))
    parts: list[Part] = [({n: cols[f"f{i}"] for i, n in enumerate(EXAMPLE[:count])
                           if keep is None or i in keep}, lines) for count, cols, lines in groups]
    if parts:  # quotes and blanks worked on once, on the columns in file order
        named, lines = in_file_order(parts)
        named["accountcode"] = _strip_quotes(named["accountcode"])
        columns = {**_canonical(named),
                   **({"@" + k: v for k, v in named.items()} if keep is None else {})}
    else:
        columns = _canonical({n: pa.array([], pa.string()) for n in EXAMPLE})
        lines = np.zeros(0, np.int64)
    return columns, lines, bad, bad_count


def _repaired_note(count: int, first: list[int]) -> str:
    return (f"{count_of(count, 'line')} with an unescaped quote or comma in a value split "
            f"again on the template's quoted separators (lines {', '.join(map(str, first))})")


CANONICAL = {"calling": "caller_id_number", "calling_name": "caller_id_name",
             "called": "destination_number", "start": "start_stamp", "answer": "answer_stamp",
             "end": "end_stamp", "duration": "billsec", "disposition": "hangup_cause",
             "call_id": "uuid", "call_id_2": "bleg_uuid", "ingress": "accountcode"}


#: The fields (by index) the canonical columns are read from: the only ones converted unless
#: the case maps a field of its own (``finish`` uses the others for that alone).
NEEDED = sorted(EXAMPLE.index(f) for f in CANONICAL.values())


def _blank_as_null(col: pa.Array) -> pa.Array:
    """``blank_to_null(col)`` (empty values as nulls) for a text column without nulls, its
    validity read off its offsets (``blank_to_null`` gathers every value's edge bytes)."""
    if col.type != pa.string() or col.null_count or col.offset:
        return blank_to_null(col)
    n = len(col)
    offs = np.frombuffer(col.buffers()[1], np.int32, n + 1)
    valid = offs[1:] != offs[:-1]
    nulls = n - int(np.count_nonzero(valid))
    if not nulls:
        return col
    return pa.Array.from_buffers(pa.string(), n, [pa.py_buffer(np.packbits(
        valid, bitorder="little")), *col.buffers()[1:]], null_count=nulls)


def _converted(data: bytes, keep: list[int] | None) -> Callable[[int], list[int]] | None:
    """``read_positional``'s ``columns``: ``keep`` where the file is UTF-8 throughout (pyarrow
    checks the encoding of converted columns alone, and a fault in a field left out must
    still send the file to the Windows-1252 retry), else every field."""
    if keep is None or not (is_ascii(data) or clean_utf8(data)):
        return None
    return lambda count: keep


def _canonical(named: dict[str, pa.Array]) -> dict[str, pa.Array]:
    return fields(named, CANONICAL)


def _unwrap_line(line: str) -> str:
    """One ``INSERT INTO … VALUES (…);`` line → its bare value list (others unchanged)."""
    return re.sub(r"\);\s*$", "", SQL_PREFIX.sub(b"", line.encode()).decode())


def _resplit(line: str) -> list[str]:
    """A line split on the template's quoted separators (as the reader repairs it)."""
    t = line.strip()
    return re.split(r'",\s?"', t[1:-1]) if t.startswith('"') and t.endswith('"') else [t]


def _first_count(data: bytes) -> int:
    lines = [ln for ln in head_lines(data)[:50] if ln.strip()]
    return most_common([len(r) for r in csv.reader(lines) if len(r) in (13, 15)], 13)


def _share(rows: list[list[str]], pred: Callable[[list[str]], object]) -> float:
    """``share`` over split lines (a predicate's truth, as ``share`` takes it)."""
    return share(rows, lambda r: bool(pred(cast(list[str], r))))


def sniff_freeswitch(sample: Sample) -> Detection | None:
    lines = [_unwrap_line(ln) for ln in sample.lines]
    sql = any(SQL_PREFIX.match(ln.encode()) for ln in sample.lines[:5])
    probe = Sample(sample.path, sample.raw, sample.text, lines, sample.encoding)
    rows = [r if len(r) in (13, 15) else _resplit(ln) for r, ln in
            zip(records(probe, ","), [ln for ln in lines if ln.strip()])]
    fit = [[v.strip().strip('"') for v in r] for r in rows if len(r) in (13, 15)]
    if not rows or not fit:
        return None
    count_ok = len(fit) / len(rows)
    uuid = _share(fit, lambda r: UUID.match(r[10]))
    cause = _share(fit, lambda r: r[9] in Q850_NAMES or CAUSE.match(r[9]))
    dates = _share(fit, lambda r: all(ISO_LOCAL.match(v) or MANGLED_TIME.match(v) or v == ""
                                      for v in r[4:7]) and r[4])
    score = (0.6 + 0.4 * count_ok) * (0.3 + 0.3 * uuid + 0.2 * cause + 0.15 * dates + 0.05 * sql)
    ev = [f"{fmt_share(count_ok)} of lines have 13 or 15 fields",
          f"uuid (field 11) is a UUID on {fmt_share(uuid)}",
          f"hangup_cause (field 10) is a Q.850 name on {fmt_share(cause)}",
          f"*_stamp (5–7) are date-times or empty on {fmt_share(dates)}"]
    if sql:
        ev.append("lines are `INSERT INTO … VALUES (…);` (sql template)")
    return Detection("freeswitch", round(score, 3), ev)


register(FormatProfile(
    name="freeswitch", title="FreeSWITCH mod_cdr_csv (default / example / sql templates)",
    read=read_freeswitch, sniff=sniff_freeswitch,
    description="Header-less, 13 or 15 fields or INSERT INTO lines; unescaped values repaired "
                "where the quoted separators allow; local *_stamp times."))
