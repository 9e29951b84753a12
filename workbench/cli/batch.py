"""`workbench trace CASE --batch FILE --out RESULTS`: a list of calls traced at once."""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from workbench.common.atomic import atomic_write_bytes
from workbench.common.errors import InputError
from workbench.trace.results import TraceResult

HOP_COLUMNS = ("call", "line", "traceback_id", "calling", "called", "at", "outcome", "hop",
               "provider", "role", "found", "upstream", "customer", "ingress", "start_utc",
               "offset_s", "confidence", "source", "source_line", "error")
FORMATS = (".jsonl", ".csv", ".xlsx")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--batch", metavar="FILE",
                   help="trace every call of a CSV/XLSX list (calling, called, at) or of a "
                        "traceback-records file, one store query per hop level")
    p.add_argument("--out", metavar="RESULTS",
                   help="with --batch: .jsonl (one trace JSON per call) or .csv/.xlsx (one "
                        "row per hop)")


def run(args: argparse.Namespace) -> int:
    from workbench.cli.evidence import print_warnings
    from workbench.ingest.call_list import read_call_list
    from workbench.investigation import Investigation
    from workbench.trace.batch import BatchCall, outcome_counts
    clash = [f"--{n}" for n in ("traceback", "calling", "called", "at", "from")
             if getattr(args, n.replace("from", "from_provider"), None)]
    if clash:
        raise InputError(f"give either --batch or {', '.join(clash)}, not both", field="batch")
    if not args.out:
        raise InputError("give --out RESULTS (.jsonl, .csv or .xlsx) with --batch", field="out")
    out = Path(args.out)
    if out.suffix.lower() not in FORMATS:
        raise InputError(f"--out must end in {', '.join(FORMATS)}", file=str(out), field="out")
    inv = Investigation.open(args.case)
    cfg = inv.case.config
    listed = read_call_list(Path(args.batch), default_country=cfg.default_country,
                            timezone=cfg.tracebacks[0].timezone if cfg.tracebacks else "UTC")
    calls = [BatchCall(c.calling, c.called, c.at, c.traceback, c.line) for c in listed]
    results = inv.trace_batch(calls, source=str(args.batch))
    print_warnings(inv)
    atomic_write_bytes(out, _render(out.suffix.lower(), calls, results))
    counts = outcome_counts(results)
    print(f"{len(calls):,} call(s) traced → {out}: "
          + ", ".join(f"{n:,} {k}" for k, n in counts.items()))
    for i, r in enumerate(results):
        if isinstance(r, InputError) and i < 20:
            print(f"  {r}", file=sys.stderr)
    return 0


def _render(kind: str, calls: list[Any], results: list[TraceResult | InputError]) -> bytes:
    if kind == ".jsonl":
        return jsonl(calls, results)
    rows = list(_hop_rows(calls, results))
    if kind == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(HOP_COLUMNS)
        w.writerows([_csv_safe(v) for v in row] for row in rows)
        return buf.getvalue().encode("utf-8")
    return _xlsx(rows)


def jsonl(calls: list[Any], results: list[TraceResult | InputError]) -> bytes:
    """One `trace --json` a line (``TraceJsonText``: json.dumps(trace_json(r)) byte for
    byte), built with the cycle collector paused as while tracing (the lines are text,
    reading the results builds them: ``trace.columnar.LazyTrace``). Each line is encoded
    as it is written and the bytes joined once: joining the text first, adding the last
    line's end and encoding it copied ≈ 60 MB three times for 10,000 calls."""
    from workbench.present.trace_json import TraceJsonText
    from workbench.trace.batch import collector_paused
    text = TraceJsonText()
    lines: list[bytes] = []
    with collector_paused():
        for c, r in zip(calls, results):
            if isinstance(r, InputError):
                lines.append(json.dumps({"error": str(r), "line": c.row}).encode("utf-8"))
            else:
                lines.append(text(r).encode("utf-8"))
    if not lines:
        return b"\n"
    lines.append(b"")  # the last line's end, without copying the whole text again
    return b"\n".join(lines)


def _hop_rows(calls: list[Any], results: list[TraceResult | InputError]) -> Any:
    from workbench.columns.times import iso_utc
    for n, (c, r) in enumerate(zip(calls, results), start=1):
        if isinstance(r, InputError):
            yield [n, c.row, c.traceback.traceback_id if c.traceback else None, c.calling,
                   c.called, str(c.at), "error", None, None, None, None, None, None, None,
                   None, None, None, None, None, str(r)]
            continue
        for k, h in enumerate(r.hops or [None], start=1):
            base = [n, c.row, r.traceback_id, r.calling, r.called, iso_utc(r.at_us),
                    str(r.outcome)]
            if h is None:
                yield base + [None] * 12 + [None]
                continue
            yield base + [k, h.provider, str(h.role), h.found, h.upstream, h.customer, h.ingress,
                          iso_utc(h.start_us), None if h.offset_s is None else round(h.offset_s, 3),
                          None if h.confidence is None else round(h.confidence, 3),
                          h.source_path, h.line, None]


def _csv_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _number(value):
        return "'" + value
    return value


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    from workbench.evidence.workbook import safe_text
    wb = Workbook()
    ws = wb.active
    ws.title = "Hops"
    ws.append(list(HOP_COLUMNS))
    for row in rows:
        ws.append([safe_text(v) if isinstance(v, str) else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
