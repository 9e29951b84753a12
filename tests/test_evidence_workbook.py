"""workbook.xlsx: the six sheets, frozen headers, sized columns, UTC labels, no formulas."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest

from tests.test_evidence_cases import (
    HOSTILE_ACCOUNT,
    HOSTILE_DISPOSITIONS,
    HOSTILE_INGRESS,
    harbor_case,
)
from workbench.case.model import load_case
from workbench.evidence import export_packet
from workbench.evidence.workbook import put, safe_text
from workbench.trace.engine import trace_traceback

SHEETS = ["Summary", "Chain", "Evidence", "Providers", "Sources", "Audit"]


@pytest.fixture(scope="module")
def workbook_bytes(tmp_path_factory):
    root = harbor_case(tmp_path_factory.mktemp("harbor") / "case")
    case = load_case(root)
    result = trace_traceback(case, "HB-0042")
    out = export_packet(case, result, tmp_path_factory.mktemp("out") / "wb.zip")
    with zipfile.ZipFile(out) as zf:
        return zf.read("wb/data/workbook.xlsx")


@pytest.fixture(scope="module")
def wb(workbook_bytes):
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes))


def rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_sheets_headers_frozen_and_sized(wb):
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert all(c.font.bold for c in ws[1] if c.value), ws.title
        widths = [ws.column_dimensions[c.column_letter].width for c in ws[1]]
        assert all(w and w >= 8 for w in widths), (ws.title, widths)
    chain = wb["Chain"]
    assert chain.column_dimensions["B"].width >= len("Keystone Interconnect")


def test_time_columns_are_utc_and_say_so(wb):
    for ws in wb.worksheets:
        head = [c.value for c in ws[1]]
        for col, name in enumerate(head):
            values = [r[col] for r in rows(ws)[1:]]
            if ws.title == "Summary":  # key/value rows: the key names the zone
                assert all("UTC" in r[0] for r in rows(ws)[1:] if isinstance(r[1], dt.datetime))
            elif any(isinstance(v, dt.datetime) for v in values):
                assert "UTC" in name, (ws.title, name)
    chain = rows(wb["Chain"])
    head = chain[0]
    start = chain[1][head.index("Start as logged (UTC)")]
    assert start == dt.datetime(2026, 5, 14, 16, 12, 3)  # Bayside logged 09:12:03 Pacific


def test_chain_evidence_sources_content(wb):
    chain = rows(wb["Chain"])
    head = chain[0]
    assert [r[head.index("Provider")] for r in chain[1:]] == [
        "Bayside Mobile", "Keystone Interconnect", "Ostara Dial"]
    assert chain[3][head.index("Customer")] == "Nimbus Outreach Group"
    ev = rows(wb["Evidence"])
    raw = [r[ev[0].index("Raw line (verbatim)")] for r in ev[1:]]
    assert any("1-415-555-0163,=TRUNK+1" in (x or "") for x in raw)
    src = rows(wb["Sources"])
    assert all(re.fullmatch(r"[0-9a-f]{64}", r[src[0].index("SHA-256 at export")])
               for r in src[1:])
    summary = dict((r[0], r[1]) for r in rows(wb["Summary"])[1:])
    assert summary["Traceback"] == "HB-0042"
    assert summary["Called number (E.164)"] == "+14155550163"


def test_no_formula_survives(workbook_bytes, wb):
    with zipfile.ZipFile(io.BytesIO(workbook_bytes)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    texts.append(c.value)
    for hostile in (HOSTILE_INGRESS, HOSTILE_ACCOUNT, "=1+1 looked up by night shift",
                    HOSTILE_DISPOSITIONS[3]):
        assert hostile in texts, hostile  # kept verbatim, as text
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value[:1] in "=+-@":
                    assert c.data_type == "s" and c.quotePrefix, (ws.title, c.coordinate)


def test_put_writes_risky_text_as_text():
    wb = openpyxl.Workbook()
    ws = wb.active
    hostile = ["=cmd|' /C calc'!A0", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1",
               "＝HYPERLINK(1)", "bell\x07char"]
    for i, s in enumerate(hostile, start=1):
        put(ws, i, 1, s)
    buf = io.BytesIO()
    wb.save(buf)
    back = openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active
    got = [back.cell(i, 1).value for i in range(1, len(hostile) + 1)]
    assert got[:7] == hostile[:7]
    assert got[7] == "bell\\x07char" == safe_text("bell\x07char")
    assert all(back.cell(i, 1).data_type == "s" for i in range(1, len(hostile) + 1))


def test_audit_sheet_comes_from_the_case_log(tmp_path):
    from workbench.cli.main import main
    root = harbor_case(tmp_path / "case")
    assert main(["trace", str(root), "--traceback", "HB-0042"]) == 0
    case = load_case(root)
    out = export_packet(case, trace_traceback(case, "HB-0042"), tmp_path / "a.zip")
    with zipfile.ZipFile(out) as zf:
        wb = openpyxl.load_workbook(io.BytesIO(zf.read("a/data/workbook.xlsx")))
    audit = rows(wb["Audit"])
    assert audit[0][:4] == ["Entry", "Time (UTC)", "Who", "Action"]
    actions = [row[3] for row in audit[1:]]
    assert "import" in actions  # the CLI records each source's SHA-256 when first seen
    trace_row = audit[1 + actions.index("trace")]
    assert re.fullmatch(r"[0-9a-f]{64}", trace_row[7])


def test_xlsx_inputs_are_read_with_xml_bomb_protection(tmp_path):
    """A spreadsheet CDR with an entity-expansion bomb is refused, never expanded."""
    import defusedxml

    from workbench.ingest.rawlines import read_raw_rows
    path = tmp_path / "bomb.xlsx"
    book = openpyxl.Workbook()
    book.active["A1"], book.active["A2"] = "start", "x"
    book.save(path)
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    sheet = files["xl/worksheets/sheet1.xml"].decode()
    lol = "".join("&lol;" for _ in range(10))
    files["xl/worksheets/sheet1.xml"] = (
        f'<!DOCTYPE worksheet [<!ENTITY lol "lol"><!ENTITY lol2 "{lol}">]>'
        + sheet.replace("<t>x</t>", "<t>&lol2;</t>")).encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    with pytest.raises(Exception) as info:
        read_raw_rows(path, [1, 2])
    chain, exc = [], info.value
    while exc is not None:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    assert any(isinstance(e, defusedxml.DefusedXmlException) for e in chain), chain
