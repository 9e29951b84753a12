"""What the New-case wizard needs to know about a file before it becomes a source.

Detection (ranked formats with evidence), the header row and the mapping the
reader would use, a preview of the first rows as parsed and normalized, and the
distinct ingress ids with their counts (to fill the upstream/customer tables).
Large text files are previewed from a copy of their head so the wizard stays quick.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from workbench.case.draft_checks import match_provider
from workbench.columns.times import iso_utc
from workbench.common.errors import InputError
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.ingest import formats
from workbench.ingest.formats.base import Detection, ParsedTable, ReadOptions
from workbench.store.normalize import flag_words, normalize

HEAD_LINES = 2000
CLOSE_CALL = 0.05  # detection scores this close are settled by reading the rows
HEAD_MIN_BYTES = 4 << 20  # text files above this are previewed from their head
BINARY_EXT = {".xlsx", ".xlsm", ".parquet", ".pq", ".json", ".xml"}


@dataclass
class FileInspection:
    path: Path
    detections: list[Detection]  # best first
    format: str  # the format that would be chosen ("generic" if none fits well)
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str | list[str]] = field(default_factory=dict)
    error: str | None = None
    provider_guess: str = ""
    note: str | None = None  # why the format was chosen, when detection was a close call


@dataclass
class Preview:
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    rows_read: int = 0
    rejected: int = 0
    date_rule: str = ""
    error: str | None = None  # set when only the raw rows could be shown, and why


def provider_guess(path: Path, known: list[str] | None = None) -> str:
    """A provider name from a file name: 'midway_cdrs.txt' -> 'Midway', or the one name of
    ``known`` (the traceback records' providers) it stands for: 'Midway Transit'."""
    stem = re.sub(r"(?i)[_\-. ]*(cdrs?|export|calls|records|\d{4,})[_\-. ]*", " ", path.stem)
    words = [w for w in re.split(r"[_\-. ]+", stem) if w]
    guess = " ".join(w.capitalize() if w.islower() else w for w in words) or path.stem
    return match_provider(guess, known or []) or guess


def record_providers(path: str | Path) -> list[str]:
    """Every provider a traceback-records file names (hops and upstreams), most named first:
    the names the wizard offers for files, so a file's provider matches its records'."""
    from collections import Counter

    from workbench.ingest.tracebacks import load_tracebacks
    names: Counter[str] = Counter()
    for tb in load_tracebacks(Path(path)):
        for h in tb.hops:
            names[h.provider] += 1
            if h.upstream and h.status != "originator":
                names[h.upstream] += 1
    return [n for n, _ in names.most_common()]


def inspect_file(path: str | Path, known: list[str] | None = None) -> FileInspection:
    """Rank the formats for ``path`` and, for header-bearing files, read the header;
    ``known`` provider names (from traceback records) make the provider guess."""
    path = Path(path)
    det = formats.detect(path)
    fmt = det[0].format if det and det[0].score >= 0.5 else "generic"
    ins = FileInspection(path, det, fmt, provider_guess=provider_guess(path, known))
    close = [d.format for d in det[:3] if d.score >= 0.5 and det[0].score - d.score <= CLOSE_CALL]
    if len(close) > 1:  # near-tie: keep the format whose reading leaves the fewest unusable rows
        unusable = {f: unusable_share(path, f) for f in close}
        best = min(close, key=lambda f: (unusable[f], close.index(f)))
        if best != fmt:
            ins.note = (f"{fmt} and {best} both fit the header; {best} reads the rows "
                        f"(as {fmt}, {unusable[fmt]:.0%} of them would be unusable)")
            ins.format = fmt = best
    if fmt == "generic":
        try:
            ins.headers = header_row(path)
        except InputError as exc:
            ins.error = exc.one_line()
            return ins
        try:
            ins.mapping = effective_mapping(ins.headers, {}, path)
        except InputError as exc:  # a required field has no known name: the user maps it
            from workbench.ingest.formats.headers import auto_map
            ins.mapping = auto_map(ins.headers)
            ins.error = exc.message
    return ins


def unusable_share(path: Path, fmt: str) -> float:
    """Share of the head's rows that would have no start time or called number as ``fmt``."""
    try:
        parsed = read_head(path, fmt, ReadOptions())
        _, summary = normalize(parsed, fmt=fmt)
    except Exception:  # noqa: BLE001 - a reader failing means the format does not fit
        return 1.0
    return summary.rejected / summary.rows if summary.rows else 1.0


def header_row(path: Path, sheet: str | None = None) -> list[str]:
    from workbench.ingest.formats.generic import read_generic
    with _head(path) as head:
        return list(read_generic(head, ReadOptions(sheet=sheet), mapping=False).headers or [])


def effective_mapping(headers: list[str], columns: dict[str, str | list[str]],
                      path: Path) -> dict[str, str | list[str]]:
    """The mapping the generic reader will use: the given columns, then known names."""
    from workbench.ingest.formats.generic import resolve_mapping
    return resolve_mapping(headers, columns, str(path), None)


def read_head(path: Path, fmt: str, opts: ReadOptions) -> ParsedTable:
    with _head(path) as head:
        return formats.get(fmt).read(head, opts)


def preview(path: str | Path, fmt: str, opts: ReadOptions, *, date_order: str | None = None,
            default_country: str = "US", time_basis: str | None = None,
            rows: int = 25) -> Preview:
    """The first ``rows`` records as the source would read them: raw beside normalized."""
    path = Path(path)
    if fmt == "auto":
        fmt = formats.choose(path).format
    parsed = read_head(path, fmt, opts)
    table, summary = normalize(parsed, timezone=opts.timezone, date_order=date_order,
                               default_country=default_country, fmt=fmt, time_basis=time_basis)
    order = pc.sort_indices(table, [("line", "ascending")])[:rows]
    t = table.take(order).to_pydict()
    raw_names = [c for c in ("start", "calling", "called", "duration", "ingress", "egress",
                             "disposition") if c in parsed.columns]
    first = {int(ln): i for i, ln in enumerate(parsed.lines)}
    cols = (["line"] + [f"{c} (as written)" for c in raw_names] +
            ["start UTC", "calling E.164", "called E.164", "flags"])
    out: list[list[str]] = []
    for k in range(len(t["line"])):
        line = int(t["line"][k])
        i = first.get(line)
        raw = [_text(parsed.columns[c], i) for c in raw_names]
        start: int = t["start"][k]  # a non-null int64 column: NAT where unreadable
        out.append([str(line)] + raw + [
            iso_utc(start) or "unreadable",  # None exactly when start is NAT
            t["calling"][k] or "", t["called"][k] or "",
            ", ".join(w for w in flag_words(int(t["flags"][k])) if "fictional" not in w)])
    notes = list(summary.notes)
    if summary.rejected:
        notes.append(f"{summary.rejected} of {summary.rows} rows in the preview are unusable: "
                     + ", ".join(f"{k} ({v})" for k, v in summary.rejected_reasons.items()))
    return Preview(cols, out, notes, summary.rows, summary.rejected, summary.date_rule)


def raw_preview(path: str | Path, error: str, rows: int = 25) -> Preview:
    """The first rows exactly as written, for when they cannot be read as a source yet
    (a required column unmapped): the user sees what the file holds while fixing it."""
    path = Path(path)
    try:
        from workbench.ingest.formats.generic import read_generic
        with _head(path) as head:
            parsed = read_generic(head, ReadOptions(), mapping=False)
        names = list(parsed.headers or parsed.columns)
        n = min(rows, len(parsed.lines))
        out = [[str(int(parsed.lines[i]))] + [_text(parsed.columns[c], i) for c in names]
               for i in range(n)]
        return Preview(["line"] + names, out, [error], error=error)
    except Exception:  # noqa: BLE001 - not a table at all: show its lines as text
        pass
    lines: list[list[str]] = []
    with open(path, "rb") as fh:
        for i, raw in enumerate(fh, start=1):
            if i > rows:
                break
            lines.append([str(i), raw.decode("utf-8", "replace").rstrip("\r\n")[:300]])
    return Preview(["line", "as written"], lines, [error], error=error)


def _text(col: pa.Array, i: int | None) -> str:
    if i is None:
        return ""
    v = col[i].as_py()
    return "" if v is None else str(v)


def ingress_counts(path: str | Path, fmt: str, opts: ReadOptions, *,
                   progress: ProgressFn = no_progress,
                   should_stop: StopFn = never_stop) -> list[tuple[str, int]]:
    """Distinct ingress ids of the whole file with their row counts, most frequent first."""
    path = Path(path)
    if fmt == "auto":
        fmt = formats.choose(path).format
    progress(0.1, f"reading {path.name}")
    parsed = formats.get(fmt).read(path, opts)
    check(should_stop)
    col = parsed.columns.get("ingress")
    if col is None:
        return []
    out = count_values(col)
    progress(1.0, f"{len(out)} ingress ids")
    return out


def count_values(col: pa.Array | pa.ChunkedArray) -> list[tuple[str, int]]:
    """Distinct non-empty values of a column with their row counts, most frequent first."""
    if isinstance(col, pa.ChunkedArray) and not col.num_chunks:
        return []
    counts = pc.value_counts(col)
    pairs = zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist())
    return sorted(((str(v), int(n)) for v, n in pairs if v not in (None, "")),
                  key=lambda x: (-x[1], x[0]))


def preview_problem(pv: Preview, fmt: str) -> str | None:
    """Why a source previewed as ``pv`` should not be written as ``fmt`` (None if it reads):
    more than half of its first rows lack a usable start time or called number."""
    if pv.rows_read and pv.rejected > pv.rows_read // 2:
        return (f"{pv.rejected} of the first {pv.rows_read} rows have no usable start time or "
                f"called number as {fmt}: choose another format or fix the mapping")
    return None


@contextmanager
def _head(path: Path) -> Iterator[Path]:
    """``path`` itself, or a temporary copy of its first lines for a large text file."""
    path = Path(path)
    if path.suffix.lower() in BINARY_EXT or path.stat().st_size < HEAD_MIN_BYTES:
        yield path
        return
    tmp = Path(tempfile.mkdtemp(prefix="wb-head-"))
    try:
        out = tmp / path.name
        with open(path, "rb") as src, open(out, "wb") as dst:
            for i, line in enumerate(src):
                if i >= HEAD_LINES:
                    break
                dst.write(line)
        try:
            yield out
        except InputError as exc:  # errors name the user's file, never the head's copy
            raise InputError(exc.message.replace(str(out), str(path)),
                             file=str(path) if exc.file else None, line=exc.line,
                             field=exc.field) from None
        except Exception as exc:
            if str(out) not in str(exc):
                raise
            raise InputError(str(exc).replace(str(out), str(path)), file=str(path)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
