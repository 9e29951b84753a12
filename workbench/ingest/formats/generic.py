"""The `generic` profile: delimited files with a header row, XLSX sheets and Parquet."""
from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.common.errors import InputError

from . import register
from .base import REQUIRED_FIELDS, Detection, FormatProfile, ParsedTable, ReadOptions, Sample
from .delimited import _dedupe, read_delimited, sniff_delimiter
from .headers import auto_map, duration_scale, norm_header
from .sample import read_utf8, utf8_view

XLSX_EXT = {".xlsx", ".xlsm"}
PARQUET_EXT = {".parquet", ".pq"}


@dataclass
class _Raw:
    """A header-bearing file read into columns, before any mapping."""

    names: list[str]  # header names (deduplicated)
    parsed: dict[str, pa.Array]  # the columns converted (all, or only the mapped ones)
    lines: np.ndarray
    header_line: int | None
    sheet: str | None = None
    encoding: str = "utf-8"
    bad_lines: list = field(default_factory=list)
    bad_count: int = 0
    notes: list[str] = field(default_factory=list)  # what the reader said about the file


def read_generic(path: Path, opts: ReadOptions, mapping: bool = True) -> ParsedTable:
    """Read a header-bearing file; with ``mapping=False`` columns keep their header names."""
    resolved: dict[str, str | list[str]] = {}

    def want(headers: list[str], header_line: int) -> list[str]:
        resolved.update(resolve_mapping(headers, opts.columns, str(path), header_line))
        return sorted(_used(resolved))

    raw = _read_raw(path, opts, want if mapping else None)
    common = dict(lines=raw.lines, bad_lines=raw.bad_lines, bad_line_count=raw.bad_count,
                  headers=list(raw.names), encoding=raw.encoding, sheet=raw.sheet,
                  header_line=raw.header_line)
    if not mapping:
        return ParsedTable(columns={n: _text_or_time(raw.parsed[n]) for n in raw.names},
                           notes=list(raw.notes), **common)
    if not resolved:  # XLSX and Parquet are read whole, then mapped
        resolved.update(resolve_mapping(raw.names, opts.columns, str(path), raw.header_line))
    columns = {}
    notes = ["columns: " + ", ".join(f"{k} ← {v if isinstance(v, str) else ' + '.join(v)}"
                                     for k, v in resolved.items())] + raw.notes
    for canon, src in resolved.items():
        if isinstance(src, list):
            columns[canon] = pc.binary_join_element_wise(*[_as_text(raw.parsed[s]) for s in src],
                                                         " ")
            continue
        columns[canon] = _text_or_time(raw.parsed[src])
        if canon == "duration":
            columns[canon], note = _duration_seconds(columns[canon], src)
            if note:
                notes.append(note)
    return ParsedTable(columns=columns, notes=notes, **common)


def _read_raw(path: Path, opts: ReadOptions, want) -> _Raw:
    ext = path.suffix.lower()
    if ext in XLSX_EXT:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")  # openpyxl's warnings are about this file
            names, cols, lines, header_line, sheet = _read_xlsx(path, opts.sheet)
        return _Raw(names, dict(zip(names, cols)), lines, header_line, sheet, "xlsx",
                    notes=_workbook_notes([str(w.message) for w in said]))
    if ext in PARQUET_EXT:
        table = _read_parquet(path)
        lines = np.arange(2, table.num_rows + 2, dtype=np.int64)  # as if a header were line 1
        return _Raw(table.column_names, {n: table[n].combine_chunks() for n in table.column_names},
                    lines, None, encoding="parquet")  # no text header to show
    try:
        with utf8_view(path, opts.encoding) as (data, enc):
            delim = opts.delimiter or sniff_delimiter(_first_line(data))
            d = read_delimited(data, delimiter=delim, header=True, file=str(path), want=want)
    except UnicodeError:
        data, enc = read_utf8(path, "cp1252")
        d = read_delimited(data, delimiter=delim, header=True, file=str(path), want=want)
    names = _dedupe(d.header) if d.header else d.table.column_names
    return _Raw(names, {n: d.table[n] for n in d.table.column_names}, d.lines, d.header_line,
                None, enc, d.bad_lines, d.bad_count)


def _text_or_time(col: pa.Array) -> pa.Array:
    return col if pa.types.is_timestamp(col.type) else _as_text(col)


def _duration_seconds(col: pa.Array, header: str) -> tuple[pa.Array, str | None]:
    """Durations in seconds: units from the header name (ms, µs, ns), and CGRateS-style
    nanosecond `usage` recognized by magnitude (no call lasts 30 years)."""
    scale = duration_scale(header)
    if scale == 1.0:
        return col, None
    try:  # the common case, plain numbers throughout: one cast, no regex
        vals = pc.cast(col, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        vals = pc.cast(pc.if_else(pc.match_substring_regex(pc.utf8_trim_whitespace(col),
                                                           r"^\d+(?:\.\d+)?$"),
                                  col, pa.scalar(None, pa.string())), pa.float64())
    if scale is None:
        med = pc.approximate_median(vals).as_py()
        scale = 1e-9 if med is not None and med > 1e6 else 1.0
    if scale == 1.0:
        return col, None
    secs = pc.cast(pc.multiply(vals, scale), pa.string())
    unit = {1e-3: "ms", 1e-6: "µs", 1e-9: "ns"}.get(scale, f"x{scale}")
    return pc.coalesce(secs, col), f"duration '{header}' read in {unit}"


def resolve_mapping(headers: list[str], given: dict, file: str,
                    header_line: int | None) -> dict[str, str | list[str]]:
    """Canonical -> header(s): the case's `[sources.columns]` first, then known names."""
    by_norm = {norm_header(h): h for h in headers}
    mapping: dict[str, str | list[str]] = {}
    for canon, want in (given or {}).items():
        wants = want if isinstance(want, list) else [want]
        found = []
        for w in wants:
            h = w if w in headers else by_norm.get(norm_header(w))
            if h is None:
                raise InputError(f"column '{w}' mapped to '{canon}' is not in the header "
                                 f"(found: {', '.join(headers)})", file=file,
                                 line=header_line, field=canon)
            found.append(h)
        mapping[canon] = found if isinstance(want, list) else found[0]
    auto = auto_map([h for h in headers if h not in _used(mapping)])
    for canon, src in auto.items():
        mapping.setdefault(canon, src)
    for req in REQUIRED_FIELDS:
        if req not in mapping:
            raise InputError(f"no column for required field '{req}' (headers: "
                             f"{', '.join(headers)}); map it in [sources.columns]",
                             file=file, line=header_line, field=req)
    return mapping


def _used(mapping: dict) -> set[str]:
    out: set[str] = set()
    for v in mapping.values():
        out.update(v if isinstance(v, list) else [v])
    return out


def _as_text(col: pa.Array) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        if col.num_chunks == 1:
            col = col.chunk(0)
        elif pa.types.is_string(col.type):
            return col  # consumers join chunks only where they need one buffer
        else:
            col = col.combine_chunks()
    if pa.types.is_string(col.type):
        return col
    if pa.types.is_large_string(col.type) or pa.types.is_dictionary(col.type):
        return pc.cast(col, pa.string())
    if pa.types.is_floating(col.type):
        # phone numbers stored as floats: 13125550178.0 -> "13125550178"
        arr = col.to_numpy(zero_copy_only=False)
        integral = np.isfinite(arr) & (np.floor(arr) == arr)
        ints = pc.cast(pa.array(np.where(integral, arr, 0).astype(np.int64)), pa.string())
        return pc.if_else(pa.array(integral), ints, pc.cast(col, pa.string()))
    return pc.cast(col, pa.string())


def _first_line(data: bytes) -> str:
    for raw in data[:65536].splitlines():
        if raw.strip():
            return raw.decode("utf-8", errors="replace")
    return ""


def _read_parquet(path: Path) -> pa.Table:
    import pyarrow.parquet as pq
    table = pq.read_table(path)
    cols = {}
    for name in table.column_names:
        col = table[name].combine_chunks()
        if pa.types.is_timestamp(col.type):
            if col.type.tz:  # a zone-aware instant: already UTC
                col = pc.cast(col, pa.timestamp("us", "UTC"), safe=False)
            else:  # naive: local wall time, resolved with the source's zone later
                col = pc.strftime(col, "%Y-%m-%d %H:%M:%S")
        cols[name] = col
    return pa.table(cols)


def _read_xlsx(path: Path, sheet: str | None):
    """Cells as text; date cells as ISO wall time; line numbers are sheet rows.

    openpyxl parses a sheet lazily, while its rows are iterated: a damaged member (bad
    deflate data, broken XML, a missing shared string) fails there, not in `load_workbook`,
    so the whole read is guarded and any failure is one error naming the file."""
    import openpyxl

    from workbench.common import safe_xml  # noqa: F401  (defusedxml protection for openpyxl)

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(f"cannot open workbook: {_why(exc)}", file=str(path)) from None
    row_no = 0
    try:
        if sheet:
            if sheet not in wb.sheetnames:
                raise InputError(f"no sheet '{sheet}' (sheets: {', '.join(wb.sheetnames)})",
                                 file=str(path), field="sheet")
            ws = wb[sheet]
        else:
            if not wb.worksheets:
                raise InputError("the workbook has no worksheet", file=str(path))
            ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header, header_row = None, 0
        for i, row in enumerate(rows, start=1):
            row_no = i
            if row and any(v is not None and str(v).strip() for v in row):
                header, header_row = [str(v).strip() if v is not None else "" for v in row], i
                break
        if header is None:
            raise InputError("sheet is empty", file=str(path))
        names = _dedupe(header)
        n = len(names)
        data: list[list[str | None]] = [[] for _ in range(n)]
        lines: list[int] = []
        for i, row in enumerate(rows, start=header_row + 1):
            row_no = i
            if not row or all(v is None for v in row):
                continue
            lines.append(i)
            for j in range(n):
                data[j].append(_cell_text(row[j] if j < len(row) else None))
        cols = [pa.array(c, pa.string()) for c in data]
        return names, cols, np.asarray(lines, dtype=np.int64), header_row, ws.title
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - zlib, XML, zipfile, Key/Index errors from openpyxl
        raise InputError(f"damaged workbook: {_why(exc)}", file=str(path),
                         line=row_no + 1 if row_no else None) from None
    finally:
        try:
            wb.close()
        except Exception:  # noqa: BLE001 - closing a damaged archive must not hide the error
            pass


MAX_WORKBOOK_NOTES = 5


def _workbook_notes(said: list[str]) -> list[str]:
    """What openpyxl warned while reading the workbook, as the source's notes instead of
    lines on stderr: a date cell out of range is read as ``#VALUE!`` (its row's time is then
    reported unusable), an unsupported extension is dropped. Repeats are counted."""
    counts: dict[str, int] = {}
    for text in said:
        text = " ".join(text.split())
        counts[text] = counts.get(text, 0) + 1
    notes = [f"workbook: {t}" + (f" ({n} times)" if n > 1 else "")
             for t, n in list(counts.items())[:MAX_WORKBOOK_NOTES]]
    if len(counts) > MAX_WORKBOOK_NOTES:
        notes.append(f"workbook: {len(counts) - MAX_WORKBOOK_NOTES} other warning(s) not shown")
    return notes


def _why(exc: BaseException) -> str:
    """An exception in a few words: openpyxl's messages are often empty (a bare KeyError)."""
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _cell_text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.time):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return str(v)


def sniff_generic(sample: Sample) -> Detection | None:
    ext = sample.path.suffix.lower()
    if ext in XLSX_EXT or ext in PARQUET_EXT:
        return Detection("generic", 0.9, [f"{ext} file: tabular with a header row"])
    first = next((ln for ln in sample.lines if ln.strip()), "")
    if not first:
        return None
    delim = sniff_delimiter(first)
    headers = [h.strip().strip('"') for h in first.split(delim)]
    if any(h and h.replace(".", "").replace("-", "").replace("+", "").isdigit() for h in headers):
        return Detection("generic", 0.05, ["first line holds numbers: not a header row"])
    found = auto_map(headers)
    evidence = [f"header row with delimiter {delim!r}: {len(headers)} columns"]
    score = 0.3
    for canon in ("start", "called", "calling"):
        if canon in found:
            score += 0.2
            evidence.append(f"'{found[canon]}' read as {canon}")
    return Detection("generic", min(score, 0.9), evidence)


register(FormatProfile(
    name="generic", title="Delimited file with a header row, XLSX or Parquet",
    read=read_generic, sniff=sniff_generic,
    description="Comma, semicolon, pipe or tab separated with a header row; XLSX (first "
                "sheet unless named); Parquet. Columns by [sources.columns] or known names."))
