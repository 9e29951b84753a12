"""One writer per source export (CSV, semicolon text, PSV, XLSX, Parquet), each in the
layout and quirks of that provider's switch."""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .formatting import (
    callids,
    dispositions,
    fixed_strings,
    hex_bytes,
    local_seconds,
    null_where,
    pick,
    round_s,
    times,
    uuids,
    write_delimited,
)
from .numberbook import NumberBook
from .rows import Rows
from .sources import ATTESTS, Source

XLSX_MAX_ROWS = 50_000  # above this Seaport is written as CSV (openpyxl: ~10 s per 100k rows)


@dataclass
class Written:
    """What a writer put on disk: path, the physical line of each sorted row, texts for truth."""

    path: str
    lines: np.ndarray
    texts: dict[str, pa.Array]
    bad_rows: list[dict] = field(default_factory=list)
    note: str = ""


#: Per source key: the sorted position of each tagged row, and what its writer wrote.
Where = dict[str, tuple[dict[int, int], Written]]


@dataclass
class Ctx:
    """What a writer needs: the source, its sorted rows, and the run's shared state."""

    src: Source
    rows: Rows  # sorted by recorded start
    out: Path
    book: NumberBook
    rng: np.random.Generator
    ingress_ids: list[str]
    egress_ids: list[str]
    seaport_csv: bool = False
    xlsx_max_rows: int = XLSX_MAX_ROWS  # only for the note; the caller decides seaport_csv

    def numbers(self, which: str, form: str) -> pa.Array:
        """The ``which`` ("calling"/"called") column written in ``form``."""
        return pc.take(self.book.form(form), pa.array(self.rows.cols[which]))

    def ingress(self) -> pa.Array:
        return pick(self.ingress_ids, self.rows.cols["ingress"], empty_null=False)

    def egress(self) -> pa.Array:
        return pick(self.egress_ids, self.rows.cols["egress"])

    def plain_lines(self) -> np.ndarray:
        return np.arange(len(self.rows), dtype=np.int64) + 2  # header is line 1

    def end_us(self) -> np.ndarray:
        c = self.rows.cols
        return c["inv"] + c["ring"] + c["dur"] * 1000


def _write_terminus(x: Ctx) -> Written:
    """CSV with ISO UTC times, E.164 numbers and STIR/SHAKEN columns."""
    c, n = x.rows.cols, len(x.rows)
    iso = "%Y-%m-%dT%H:%M:%SZ"
    unanswered = pa.array(~c["answered"])
    unsigned = pa.array(c["attest"] == 0)
    failed = (c["tag"] < 0) & (c["attest"] > 0) & (x.rng.random(n) < .03)
    start = times(c["inv"], "UTC", iso)
    calling, called = x.numbers("calling", "e164"), x.numbers("called", "e164")
    cols = [pc.binary_join_element_wise("TW", pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)),
                                                                    pa.string()), 9, "0"), ""),
            start, null_where(times(c["inv"] + c["ring"], "UTC", iso), unanswered),
            times(x.end_us(), "UTC", iso), calling, called,
            pa.array(round_s(c["dur"], "round")),
            dispositions(x.rows, ("ANSWERED", "NO ANSWER", "BUSY", "FAILED"), x.rng),
            x.ingress(), callids(c["callid"], "@10.20.0.5"),
            pick(ATTESTS, c["attest"]), null_where(uuids(c["origid"]), unsigned),
            pick(("TN-Validation-Passed", "TN-Validation-Failed", "No-TN-Validation"),
                 np.where(c["attest"] == 0, 2, failed.astype(int)))]
    header = ["record_id", "start_time", "answer_time", "end_time", "ANI", "DNIS", "duration",
              "disposition", "trunk_in", "call_id", "attest", "origid", "verstat"]
    path = x.out / x.src.path
    path.write_bytes(write_delimited(header, cols, ","))
    return Written(x.src.path, x.plain_lines(),
                   {"start": start, "calling": calling, "called": called, "ingress": x.ingress()})


_IPS = {"0417": "198.51.100.17", "0420": "198.51.100.20", "0388": "192.0.2.88",
        "CUST-88": "203.0.113.88", "0502": "192.0.2.52"}


def _write_midway(x: Ctx) -> Written:
    """Semicolon text in Chicago wall time, with three damaged lines spliced in."""
    c, n = x.rows.cols, len(x.rows)
    fmt, tz = "%m/%d/%Y %H:%M:%S", x.src.timezone
    secs = round_s(c["dur"], "ceil")
    start = times(c["inv"], tz, fmt)
    calling, called = x.numbers("calling", "nanp11"), x.numbers("called", "nanp11")
    foreign = c["calling"] >= x.book.n_us
    cols = [pick(("LD", "INTL"), foreign.astype(int)), start, times(x.end_us(), tz, fmt),
            pa.array(secs), pa.array(np.where(secs > 0, np.maximum(6, -(-secs // 6) * 6), 0)),
            pa.array(4_210_000_000 + np.arange(n) * 3 + x.rng.integers(0, 3, n)),
            pick([_IPS.get(i, "198.51.100.250") for i in x.ingress_ids], c["ingress"]),
            calling, called, x.ingress(), x.egress(),
            dispositions(x.rows, ("16", "19", "17", "34"), x.rng)]
    header = ["CallType", "StartTime", "StopTime", "CallDuration", "BillDuration",
              "TransactionId", "CustomerIP", "ANI", "DNIS", "IngressTrunk", "EgressTrunk",
              "ReleaseCause"]
    data = write_delimited(header, cols, ";")
    data, lines, bad = _splice_bad_lines(data, n, x)
    (x.out / x.src.path).write_bytes(data)
    return Written(x.src.path, lines,
                   {"start": start, "calling": calling, "called": called, "ingress": x.ingress()},
                   bad_rows=bad)


def _splice_bad_lines(data: bytes, n: int, x: Ctx) -> tuple[bytes, np.ndarray, list[dict]]:
    """Three damaged lines, as real exports have them: an Excel '####' date, an impossible
    hour, and a last line cut short by an interrupted download (no final newline)."""
    us = x.book.pool("us")
    a, b = (x.book.text(int(i), "nanp11") for i in x.rng.choice(us, 2))
    cuts = [n // 3, (2 * n) // 3]
    bad_text = [f"LD;##########;##########;41;42;4209999871;192.0.2.88;{a};{b};0388;HBL-3;16",
                f"LD;03/07/2026 26:14:09;03/07/2026 26:15:02;53;54;4209999872;198.51.100.17;"
                f"{b};{a};0417;TRM-05;16",
                "LD;03/10/2026 23:59:41;03/10/2026 23:5"]
    buf = np.frombuffer(data, np.uint8)
    nl = np.flatnonzero(buf == 10)
    starts = nl + 1  # row i (line i + 2) starts at starts[i]
    pieces, prev = [], 0
    for cut, text in zip(cuts, bad_text):
        at = int(starts[cut])
        pieces += [data[prev:at], (text + "\n").encode()]
        prev = at
    pieces += [data[prev:], bad_text[2].encode()]
    pos = np.arange(n)
    lines = pos + 2 + (pos >= cuts[0]) + (pos >= cuts[1])
    bad = [{"source": x.src.path, "line": cuts[0] + 2, "text": bad_text[0],
            "problem": "unparseable start time '##########' (Excel column too narrow)"},
           {"source": x.src.path, "line": cuts[1] + 3, "text": bad_text[1],
            "problem": "unparseable start time (hour 26)"},
           {"source": x.src.path, "line": n + 4, "text": bad_text[2],
            "problem": "last line cut short: 3 of 12 fields, no final newline"}]
    return b"".join(pieces), lines.astype(np.int64), bad


def _write_lakeshore(x: Ctx) -> Written:
    """Pipe-separated, date and time split, stamped at ANSWER rather than INVITE."""
    c, n = x.rows.cols, len(x.rows)
    rec = x.rows.recorded(x.src)
    date, time = times(rec, "UTC", "%Y-%m-%d"), times(rec, "UTC", "%H:%M:%S")
    calling, called = x.numbers("calling", "paren"), x.numbers("called", "dotted")
    cols = [date, time, calling, called, x.ingress(), x.egress(),
            pa.array(round_s(c["dur"], "floor")),
            pick(("16", "31"), (x.rng.random(n) < .05).astype(int)),
            pc.utf8_upper(fixed_strings(hex_bytes(c["callid"])))]
    header = ["Date", "Time", "Orig Number", "Term Number", "In TG", "Out TG", "Secs",
              "Rel Cause", "Session ID"]
    (x.out / x.src.path).write_bytes(write_delimited(header, cols, "|"))
    start = pc.binary_join_element_wise(date, time, " ")
    return Written(x.src.path, x.plain_lines(),
                   {"start": start, "calling": calling, "called": called, "ingress": x.ingress()})


def _write_seaport(x: Ctx) -> Written:
    """XLSX date cells in New York time from a fast clock (CSV above the XLSX limit)."""
    c = x.rows.cols
    rec, tz = x.rows.recorded(x.src), x.src.timezone
    end = rec + c["ring"] + c["dur"] * 1000
    calling, called = x.numbers("calling", "sip"), x.numbers("called", "ten")
    header = [h for _, h in x.src.columns]
    start_text = times(rec, tz, "%Y-%m-%d %H:%M:%S")
    cols = [start_text, times(end, tz, "%Y-%m-%d %H:%M:%S"), calling, called, x.ingress(),
            x.egress(), pa.array(round_s(c["dur"], "round")),
            dispositions(x.rows, ("Completed", "No Answer", "Busy", "Failed"), x.rng),
            pick(ATTESTS, c["attest"]), null_where(uuids(c["origid"]), pa.array(c["attest"] == 0)),
            callids(c["callid"], "@192.0.2.45")]
    texts = {"start": start_text, "calling": calling, "called": called, "ingress": x.ingress()}
    if x.seaport_csv:
        rel = str(Path(x.src.path).with_suffix(".csv"))
        (x.out / rel).write_bytes(write_delimited(header, cols, ","))
        return Written(rel, x.plain_lines(), texts,
                       note=f"comma separated, local wall time (CSV, not XLSX, above "
                            f"{x.xlsx_max_rows} rows)")
    for i, us in ((0, rec), (1, end)):  # real date cells: naive local wall time
        cols[i] = pa.array(local_seconds(us, tz), pa.timestamp("s"))
    _write_xlsx(x.out / x.src.path, "CDR Export", header, cols)
    return Written(x.src.path, x.plain_lines(), texts)


def _write_xlsx(path: Path, sheet: str, header: list[str], cols: list[pa.Array]) -> None:
    """XLSX with text cells for ids (leading zeros kept) and date cells for times; the
    package is rewritten with fixed timestamps so a seed always gives the same bytes."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(header)
    for row in zip(*(col.to_pylist() for col in cols)):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    fixed = "2026-03-11T00:00:00Z"
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", fixed.encode(), data)
            info = zipfile.ZipInfo(name, date_time=(2026, 3, 11, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)


def _write_origin(x: Ctx) -> Written:
    """Parquet with zone-aware millisecond UTC timestamps."""
    import pyarrow.parquet as pq

    c = x.rows.cols
    calling, called = x.numbers("calling", "ten"), x.numbers("called", "dashed")
    start = pa.array(c["inv"] // 1000, pa.timestamp("ms", tz="UTC"))
    table = pa.table({
        "start_time": start, "src": calling, "dst": called,
        "billsec": pa.array(round_s(c["dur"], "round").astype(np.int32)),
        "hangup_cause": dispositions(x.rows, ("NORMAL_CLEARING", "NO_ANSWER", "USER_BUSY",
                                              "NORMAL_TEMPORARY_FAILURE"), x.rng),
        "account": x.ingress(), "trunk_out": x.egress(),
        "sip_call_id": callids(c["callid"], "@sbc.originvoice.example"),
        "attest": pick(ATTESTS, c["attest"]),
        "origid": null_where(uuids(c["origid"]), pa.array(c["attest"] == 0)),
    })
    pq.write_table(table, x.out / x.src.path, compression="zstd")
    return Written(x.src.path, x.plain_lines(),
                   {"start": start, "calling": calling, "called": called, "ingress": x.ingress()})


#: One writer per source key; each returns what it wrote so the answer key can cite lines.
WRITERS = {"terminus": _write_terminus, "midway": _write_midway, "lakeshore": _write_lakeshore,
           "seaport": _write_seaport, "origin": _write_origin}
