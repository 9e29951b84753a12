"""From a profile's raw columns to the normalized, sorted CDR table of a source.

The normalized table is what matching reads: E.164 numbers as int64 keys,
UTC microseconds as int64, trunk ids dictionary-encoded, one flags word per
row, and the 1-based line that ties each row to its original text. It is
indexed by (called key, start) so a call is found with two binary searches.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from workbench.columns import keysort
from workbench.columns import numbers as num
from workbench.columns import times as tm
from workbench.ingest.formats.base import ParsedTable
from workbench.store.cache_absent import constant

NAT = tm.NAT

# Row flags (uint32): numbers in the low byte pair, times above.
F_CALLING_UNPARSED = 1 << 0
F_CALLED_UNPARSED = 1 << 1
F_CALLING_INVALID = 1 << 2
F_CALLED_INVALID = 1 << 3
F_FICTIONAL = 1 << 4
F_SCIENTIFIC = 1 << 5
F_TIME_UNPARSED = 1 << 8
F_TIME_NONEXISTENT = 1 << 9
F_TIME_AMBIGUOUS = 1 << 10
F_LOW_PRECISION = 1 << 11
F_REJECTED = 1 << 15  # no usable start or called number: kept, never matched

FLAG_WORDS = {
    F_CALLING_UNPARSED: "calling number not normalized",
    F_CALLED_UNPARSED: "called number not normalized",
    F_CALLING_INVALID: "calling number invalid", F_CALLED_INVALID: "called number invalid",
    F_FICTIONAL: "fictional 555-01xx number", F_SCIENTIFIC: "number in scientific notation",
    F_TIME_UNPARSED: "unreadable start time", F_TIME_NONEXISTENT: "start in a DST gap",
    F_TIME_AMBIGUOUS: "start in a DST overlap", F_LOW_PRECISION: "time without seconds",
    F_REJECTED: "rejected (no start or called number)",
}

STRING_FIELDS = ("disposition", "ingress", "egress", "attest", "origid", "verstat")
UNIQUE_FIELDS = ("origid",)  # one value a call: a dictionary would be as long as the column


@dataclass
class SourceSummary:
    """What `workbench info` and the GUI say about one normalized source."""

    rows: int = 0
    first_utc: str | None = None
    last_utc: str | None = None
    format: str = ""
    encoding: str = ""
    time_basis: str = "invite"
    low_precision: bool = False
    date_rule: str = ""
    time_forms: dict[str, int] = field(default_factory=dict)
    zoned_rows: int = 0  # start times that carried their own zone (offset, Z, epoch)
    numbers_flagged: int = 0
    numbers_unparsed: int = 0
    numbers_invalid: int = 0
    times_dst_flagged: int = 0
    rejected: int = 0
    rejected_reasons: dict[str, int] = field(default_factory=dict)
    rejected_lines: list[int] = field(default_factory=list)
    bad_lines: list[dict[str, Any]] = field(default_factory=list)
    bad_line_count: int = 0
    notes: list[str] = field(default_factory=list)
    headers: list[str] | None = None
    fields: list[str] = field(default_factory=list)
    sheet: str | None = None
    header_line: int | None = None  # the file's own header row (generic files), else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SourceSummary":
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def normalize(parsed: ParsedTable, *, timezone: str = "UTC", date_order: str | None = None,
              default_country: str = "US", fmt: str = "",
              time_basis: str | None = None) -> tuple[pa.Table, SourceSummary]:
    """Normalize a parsed file; returns the sorted table and its summary."""
    n = len(parsed)
    cols = parsed.columns
    flags = np.zeros(n, dtype=np.uint32)
    # the reader's own array when it is int64 already (its rows are not changed after this)
    out: dict[str, pa.Array | np.ndarray] = {"line": parsed.lines.astype(np.int64, copy=False)}
    summary = SourceSummary(rows=n, format=fmt, encoding=parsed.encoding,
                            time_basis=time_basis or parsed.time_basis,
                            low_precision=parsed.low_precision, notes=list(parsed.notes),
                            headers=parsed.headers, fields=sorted(cols), sheet=parsed.sheet,
                            header_line=parsed.header_line,
                            bad_line_count=max(parsed.bad_line_count, len(parsed.bad_lines)),
                            bad_lines=[asdict(b) for b in parsed.bad_lines[:200]])

    numbers_done, times_done, texts_done, index = _column_jobs(
        cols, n, timezone, date_order, default_country)

    for name, bits in (("calling", (F_CALLING_UNPARSED, F_CALLING_INVALID)),
                       ("called", (F_CALLED_UNPARSED, F_CALLED_INVALID))):
        if name not in numbers_done:
            out[name] = _dict_strings(None, n)
            out[f"{name}_key"] = constant(n, -1)
            continue
        res = numbers_done[name]
        out[name] = res.text
        out[f"{name}_key"] = res.key
        flags |= _flag_table({num.UNPARSED: bits[0], num.INVALID: bits[1],
                              num.FICTIONAL: F_FICTIONAL, num.SCIENTIFIC: F_SCIENTIFIC})[res.flags]
    summary.numbers_unparsed = int(((flags & (F_CALLING_UNPARSED | F_CALLED_UNPARSED)) != 0).sum())
    summary.numbers_invalid = int(((flags & (F_CALLING_INVALID | F_CALLED_INVALID)) != 0).sum())
    summary.numbers_flagged = int(((flags & (F_CALLING_UNPARSED | F_CALLED_UNPARSED |
                                             F_CALLING_INVALID | F_CALLED_INVALID |
                                             F_SCIENTIFIC)) != 0).sum())

    for name in ("start", "answer", "end"):
        if name not in times_done:
            out[name] = constant(n, NAT)
            continue
        t = times_done[name]
        out[name] = t.us
        if name == "start":
            summary.zoned_rows = int(t.forms.get("zoned", 0))
            summary.date_rule = t.rule
            summary.time_forms = t.forms
            flags |= _flag_table({tm.UNPARSED: F_TIME_UNPARSED, tm.NONEXISTENT: F_TIME_NONEXISTENT,
                                  tm.AMBIGUOUS: F_TIME_AMBIGUOUS,
                                  tm.LOW_PRECISION: F_LOW_PRECISION})[t.flags]
    low = int(((flags & F_LOW_PRECISION) != 0).sum())
    if n and low > n // 2 and not summary.low_precision:
        summary.low_precision = True
        summary.notes.append(f"{low} of {n} start times have no seconds (spreadsheet-mangled?): "
                             "matched with a wider tolerance")
    summary.times_dst_flagged = int(((flags & (F_TIME_NONEXISTENT | F_TIME_AMBIGUOUS)) != 0).sum())

    out["duration"] = _duration(cols.get("duration"), out["start"], out["answer"],
                                out["end"] if "end" in times_done else None, n)
    for name in STRING_FIELDS:
        out[name] = texts_done[name] if name in texts_done else _text_column(name)(None, n)
    out["call_id"] = _strings(cols.get("call_id"), n)
    _fill_from_identity(cols.get("identity"), out, n)
    out["identity_present"] = (pc.is_valid(cols["identity"]).to_numpy(zero_copy_only=False)
                               if "identity" in cols else np.zeros(n, bool))

    start = out["start"]
    rejected = (start == NAT) | (out["called_key"] < 0)
    flags[rejected] |= F_REJECTED
    summary.rejected = int(rejected.sum())
    if summary.rejected:
        reasons: dict[str, int] = {}
        no_start = start == NAT
        reasons_raw = {
            "start missing or unreadable": int(no_start.sum()),
            "called number missing or not a number": int((out["called_key"] < 0).sum()),
        }
        reasons = {k: v for k, v in reasons_raw.items() if v}
        summary.rejected_reasons = reasons
        summary.rejected_lines = [int(x) for x in parsed.lines[rejected][:200]]
    ok_start = start[start != NAT]
    if len(ok_start):
        summary.first_utc = tm.iso_utc(int(ok_start.min()), 0)
        summary.last_utc = tm.iso_utc(int(ok_start.max()), 0)
    out["flags"] = flags

    # Rows stay in file order; a sorted index (called number, start) beside them serves
    # lookups with two binary searches, without reordering every column.
    out["idx_row"], out["idx_called"], out["idx_start"] = index
    # One chunk per column: the cache then memory-maps each as one zero-copy numpy array.
    table = pa.table({k: pa.array(v) if isinstance(v, np.ndarray) else v
                      for k, v in out.items()}).combine_chunks()
    return table, summary


Jobs = tuple[dict[str, num.Numbers], dict[str, tm.Times], dict[str, pa.Array],
             tuple[np.ndarray, np.ndarray, np.ndarray]]


def _column_jobs(cols: dict[str, pa.Array], n: int, timezone: str, date_order: str | None,
                 default_country: str) -> Jobs:
    """The numbers, times and text columns normalized, and the (called, start) index.

    The number columns are read in this thread while one worker thread (Arrow and numpy
    release the GIL) parses the times and text columns, then builds the index once the
    called numbers are in. With every job in a pool of two worker threads an import faulted
    in much more fresh memory (first open of 10 M rows: 190-210 k page faults in normalizing
    against 90-140 k, 0.9-1.3 s of system CPU against 0.4-0.8 s; user CPU the same), and was
    no faster on a busy machine."""
    with ThreadPoolExecutor(max_workers=1) as lane:
        time_jobs = {name: lane.submit(tm.parse_times, cols[name], timezone, date_order,
                                       default_country)
                     for name in ("start", "answer", "end") if cols.get(name) is not None}
        text_jobs = {name: lane.submit(_text_column(name), _verstat(cols[name])
                                       if name == "verstat" else cols[name], n)
                     for name in STRING_FIELDS if cols.get(name) is not None}
        numbers_done: dict[str, num.Numbers] = {}
        for name in ("called", "calling"):
            if cols.get(name) is not None:
                numbers_done[name] = num.normalize_numbers(cols[name], default_country,
                                                           sort=name == "called")
            if name == "called":
                index_job = lane.submit(_index, numbers_done.get("called"),
                                        time_jobs.get("start"), n)
        times_done = {k: f.result() for k, f in time_jobs.items()}
        texts_done = {k: f.result() for k, f in text_jobs.items()}
        return numbers_done, times_done, texts_done, index_job.result()


def _index(called: num.Numbers | None, start_job: Future[tm.Times] | None,
           n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row order, called key, start) of the (called, start) index, once the starts are
    parsed."""
    start = start_job.result().us if start_job is not None else constant(n, NAT)
    if called is None:
        return _sorted_index(constant(n, -1), start, None)
    return _sorted_index(called.key, start, called.order, called.sorted_key)


def sort_order(called_key: np.ndarray, start: np.ndarray,
               by_called: np.ndarray | None = None) -> np.ndarray:
    """Row order by (called, start), ties in file order. ``by_called`` is the rows' stable
    order by called number when already known.

    Switches write a CDR when the call ends, so starts are rarely in file order overall, yet
    two calls to one number seldom overlap: ordering by called number alone is nearly
    right, and only the numbers holding an out-of-order pair are sorted again by start."""
    return _sorted_index(called_key, start, None if by_called is None else by_called.copy())[0]


def _sorted_index(called_key: np.ndarray, start: np.ndarray, by_called: np.ndarray | None,
                  sorted_key: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``sort_order`` with the keys and starts in that order (gathered once, not twice).
    ``sorted_key``: the keys in ``by_called``'s order, when the caller has them.
    ``by_called`` is the caller's no more: it may be reordered in place and returned."""
    if len(start) < 2:
        return np.arange(len(start), dtype=np.int64), called_key.copy(), start.copy()
    if by_called is None:
        by_called, sorted_key = keysort.sort_with_order(called_key)
    # no copy of 16 MB a 2 M-row source where the order is a writable int64 array already
    order = by_called if by_called.dtype == np.int64 and by_called.flags.writeable else \
        by_called.astype(np.int64)
    key = called_key[order] if sorted_key is None else sorted_key
    when = start[order]
    same = key[1:] == key[:-1]
    backwards = same & (when[1:] < when[:-1])
    if not backwards.any():
        return order, key, when
    group = np.concatenate(([0], np.cumsum(~same)))  # one id per called number, ascending
    out_of_order = np.zeros(int(group[-1]) + 1, dtype=bool)
    out_of_order[group[1:][backwards]] = True
    redo = np.flatnonzero(out_of_order[group])
    order[redo] = order[redo][_by_group_then_time(group[redo], when[redo])]
    when[redo] = start[order[redo]]  # the called key is the same within each group
    return order, key, when


def _by_group_then_time(group: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Stable order by (group, when) of rows whose group ids ascend: one sort of both packed
    in 64 bits when they fit (a few months of µs beside a million groups do), else the
    two-key ``lexsort``. Ties keep their order either way."""
    lo = int(when.min())
    time_bits = (int(when.max()) - lo).bit_length()
    if (int(group[-1]) - int(group[0])).bit_length() + time_bits > 64:
        return np.lexsort((when, group))
    packed = (group - group[0]).astype(np.uint64) << np.uint64(time_bits)
    packed |= when.astype(np.uint64) - np.uint64(lo % (1 << 64))  # wraps: the exact offset
    return np.argsort(packed, kind="stable")


def _flag_table(bits: dict[int, int]) -> np.ndarray:
    """Lookup table from a column's own flag byte to the row flags word: one gather per
    column instead of a masked update per flag."""
    codes = np.arange(256)
    table = np.zeros(256, dtype=np.uint32)
    for src, dst in bits.items():
        table[(codes & src) != 0] |= dst
    return table


def _duration(raw: pa.Array | None, start: np.ndarray, answer: np.ndarray,
              end: np.ndarray | None, n: int) -> np.ndarray:
    """Seconds of the call: the file's own field (s or h:mm:ss), else end - answer/start."""
    dur: np.ndarray = np.full(n, np.nan)
    try:  # the common case: plain numbers throughout
        if raw is not None:
            dur = pc.cast(raw, pa.float64()).to_numpy(zero_copy_only=False)
            raw = None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    if raw is not None:
        s = pc.utf8_trim_whitespace(pc.cast(raw, pa.string()))
        plain = pc.match_substring_regex(s, r"^\d+(?:\.\d+)?$")
        vals = pc.cast(pc.if_else(plain, s, pa.scalar(None, pa.string())), pa.float64())
        dur = pc.fill_null(vals, np.nan).to_numpy(zero_copy_only=False).astype(float)
        hms = pc.extract_regex(s, r"^(?P<h>\d+):(?P<m>\d{2}):(?P<s>\d{2})$")
        ok = pc.is_valid(hms).to_numpy(zero_copy_only=False)
        if ok.any():
            def part(k: str) -> npt.NDArray[np.int64]:
                col = pc.fill_null(pc.struct_field(hms, k), "0")
                ints = pc.cast(pc.if_else(pc.equal(col, ""), "0", col), pa.int64())
                values: npt.NDArray[np.int64] = ints.to_numpy()
                return values
            dur = np.where(ok, part("h") * 3600 + part("m") * 60 + part("s"), dur)
    if end is None:  # nothing to compute a missing duration from
        return dur
    fill = np.isnan(dur) & (end != NAT)
    if not fill.any():
        return dur
    dur = np.array(dur)  # the cast may be a read-only view of Arrow memory
    base = np.where(answer != NAT, answer, start)
    fill &= base != NAT
    dur[fill] = (end[fill] - base[fill]) / 1e6
    return dur


def _dict_strings(raw: pa.Array | pa.ChunkedArray | None, n: int) -> pa.DictionaryArray:
    """Trimmed text, blanks as null, dictionary-encoded. Encoding first means trimming runs
    over the distinct values only (trunk ids and dispositions repeat a lot)."""
    if raw is None:  # all null, with an empty dictionary (a null category breaks pandas)
        return pa.DictionaryArray.from_arrays(pa.nulls(n, pa.int32()), pa.array([], pa.string()))
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks()
    if not pa.types.is_string(raw.type):
        raw = pc.cast(raw, pa.string())
    return _trimmed_dict(pc.dictionary_encode(raw))


def _trimmed_dict(enc: pa.DictionaryArray) -> pa.DictionaryArray:
    """``_dict_strings`` of the column ``enc`` encodes (as ``dictionary_encode`` made it)."""
    d = pc.utf8_trim_whitespace(enc.dictionary)
    d = pc.if_else(pc.equal(d, ""), pa.scalar(None, pa.string()), d)
    if d.null_count:  # blank values: null indices, so "no value" is one thing everywhere
        blank = pc.is_null(d).to_numpy(zero_copy_only=False)
        idx = enc.indices.to_numpy(zero_copy_only=False)
        valid = ~np.append(blank, False)[np.where(idx < 0, len(blank), idx)] if \
            enc.indices.null_count == 0 else None
        if valid is not None:
            return pa.DictionaryArray.from_arrays(
                pa.array(idx.astype(np.int32), mask=~valid), d)
    return pa.DictionaryArray.from_arrays(enc.indices, d)


def _plain_strings(raw: pa.Array | pa.ChunkedArray | None, n: int) -> pa.Array:
    """Trimmed text, blanks as null, not dictionary-encoded (for values unique per row)."""
    if raw is None:
        return pa.nulls(n, pa.string())
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks()
    t = pc.utf8_trim_whitespace(pc.cast(raw, pa.string()))
    return pc.if_else(pc.equal(t, ""), pa.scalar(None, pa.string()), t)


def _text_column(name: str) -> Callable[[pa.Array | None, int], pa.Array]:
    return _plain_strings if name in UNIQUE_FIELDS else _dict_strings


def _strings(raw: pa.Array | None, n: int) -> pa.Array:
    if raw is None:
        return pa.nulls(n, pa.string())
    return pc.cast(raw, pa.string())


def _verstat(raw: pa.Array) -> pa.Array:
    from workbench.columns.sip import extract_verstat
    return extract_verstat(raw)


#: What the checks on a traced chain need from the Identity header's PASSporT, one column
#: each, filled only where the file has a header: the signed calling number, the signed
#: called number(s) (comma-joined), the signing time (UTC µs, NAT when missing) and the
#: signer's certificate URL. attest and origid go into the columns of those names.
PASSPORT_FIELDS = ("pp_orig", "pp_dest", "pp_iat", "pp_x5u")


def _fill_from_identity(identity: pa.Array | pa.ChunkedArray | None,
                        out: dict[str, pa.Array | np.ndarray], n: int) -> None:
    """attest / origid from a decoded Identity header where the file has no column of its own,
    and the PASSporT columns (all null without a header)."""
    if identity is None:
        out["pp_orig"], out["pp_x5u"] = _dict_strings(None, n), _dict_strings(None, n)
        out["pp_dest"] = _plain_strings(None, n)
        out["pp_iat"] = constant(n, NAT)
        return
    from workbench.columns.sip import identity_claims_distinct
    claims, rows = identity_claims_distinct(identity, _IDENTITY_CLAIMS)
    for name in ("attest", "origid"):
        have, encode = out[name], _text_column(name)
        if pc.all(pc.is_null(have)).as_py():
            out[name] = _spread_text(name, claims[name], rows, n)
        else:  # a column of its own wins; the decoded token fills the rows it leaves empty
            out[name] = encode(pc.coalesce(pc.cast(have, pa.string()),
                                           pc.cast(_at_rows(claims[name], rows), pa.string())), n)
    # signers and calling numbers repeat (dictionary); called numbers are nearly one a call
    out["pp_orig"] = _spread_dict(claims["orig"], rows)
    out["pp_x5u"] = _spread_dict(claims["x5u"], rows)
    out["pp_dest"] = _spread_plain(claims["dests"], rows)
    out["pp_iat"] = _spread_times(claims["iat_us"], rows)


def _spread_text(name: str, per_value: pa.Array, rows: pa.Array, n: int) -> pa.Array:
    """``_text_column(name)(pc.take(per_value, rows), n)``, the text work done per value."""
    if _text_column(name) is _plain_strings:
        return _spread_plain(per_value, rows)
    return _spread_dict(per_value, rows)


def _at_rows(per_value: pa.Array, rows: pa.Array) -> pa.Array:
    """``per_value`` taken at ``rows``. As many values as rows: each row is its own value
    (every header distinct, or read a row at a time), already in row order, null where the
    row is: the take would copy them unchanged."""
    return per_value if len(per_value) == len(rows) else pc.take(per_value, rows)


def _spread_plain(per_value: pa.Array, rows: pa.Array) -> pa.Array:
    """``_plain_strings`` of ``per_value`` taken at ``rows``: trimmed per value, then spread
    (the same values as trimming every row)."""
    return _at_rows(_plain_strings(per_value, len(per_value)), rows)


def _spread_dict(per_value: pa.Array, rows: pa.Array) -> pa.DictionaryArray:
    """``_dict_strings`` of ``per_value`` taken at ``rows``, encoded per value, not per row.

    The same array: ``per_value`` holds one entry per distinct header in the order the rows
    first show them (``dictionary_encode`` order), so encoding it gives the values in the
    order the rows first show them, as encoding the spread column would; a row's index is
    its header's."""
    enc = pc.dictionary_encode(per_value)
    return _trimmed_dict(pa.DictionaryArray.from_arrays(_at_rows(enc.indices, rows),
                                                        enc.dictionary))


#: The claims ``_fill_from_identity`` reads (``identity_claims`` makes more).
_IDENTITY_CLAIMS = ("attest", "origid", "orig", "x5u", "dests", "iat_us")


def _spread_times(per_value: pa.Array, rows: pa.Array) -> np.ndarray:
    """int64 µs per row from the value each row points at (NAT for a null one or a null
    index), in numpy: an Arrow take then a fill_null over every row cost two passes more."""
    table: np.ndarray = pc.fill_null(per_value, NAT).to_numpy(zero_copy_only=False).astype(
        np.int64)
    if len(per_value) == len(rows):  # each row its own value (``_at_rows``)
        return table
    table = np.append(table, np.int64(NAT))  # the slot of a row without a header
    idx = rows.to_numpy(zero_copy_only=False) if rows.null_count == 0 else \
        pc.fill_null(rows, len(per_value)).to_numpy(zero_copy_only=False)
    spread: np.ndarray = table[idx]
    return spread


def flag_words(flags: int) -> list[str]:
    return [w for bit, w in FLAG_WORDS.items() if flags & bit]
