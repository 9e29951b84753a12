"""report.pdf: expected pages and text, each hop's evidence line exactly as in its file."""
from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest
from pypdf import PdfReader

from tests.test_evidence_cases import builder_case, harbor_case
from workbench.case.model import load_case
from workbench.evidence import export_packet
from workbench.evidence.report_pdf import narrative
from workbench.trace.engine import trace_traceback


def report(case, result, path):
    out = export_packet(case, result, path, investigator="R. Okafor")
    with zipfile.ZipFile(out) as zf:
        name = next(n for n in zf.namelist() if n.endswith("data/report.pdf"))
        return PdfReader(io.BytesIO(zf.read(name)))


def page_texts(reader) -> list[str]:
    return [p.extract_text() for p in reader.pages]


@pytest.fixture(scope="module")
def harbor(tmp_path_factory):
    case = load_case(harbor_case(tmp_path_factory.mktemp("harbor") / "case"))
    result = trace_traceback(case, "HB-0042")
    reader = report(case, result, tmp_path_factory.mktemp("out") / "r.zip")
    return case, result, reader


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def test_pages_are_numbered_and_complete(harbor):
    _, _, reader = harbor
    texts = page_texts(reader)
    n = len(texts)
    assert n == 4  # call + chain + custody; hops, responses, evidence; SHAKEN … sources; audit
    for i, t in enumerate(texts, start=1):
        assert f"page {i} of {n}" in t
    assert "Traceback evidence packet" in texts[0] and "The chain" in texts[0]
    assert texts[1].lstrip().startswith("Hops")  # the hop table starts a page


def test_report_sections_and_facts(harbor):
    case, result, reader = harbor
    text = "\n".join(page_texts(reader))
    for heading in ("The call", "The chain", "Who made this packet, and when", "Hops",
                    "Traceback responses and the 24-hour clock",
                    "Disagreements between traceback records and CDRs",
                    "Evidence lines, exactly as in each source file", "STIR/SHAKEN fields",
                    "Clock skew applied", "Source files", "Audit trail of the case",
                    "Method and legend"):
        assert heading in text, heading
    for fact in ("HB-0042", "+12025550178", "+14155550163", "2026-05-14T16:12:03Z",
                 "Nimbus Outreach Group", "R. Okafor", "Bayside Mobile", "Keystone Interconnect",
                 "Ostara Dial", "Originator", "Terminating", "6e0b7f52-93d4-4c1a-b8e7-2f5a0c91d3e4",
                 "not official ITG labels", "(deferred)", "LATE by"):
        assert fact in text, fact
    flat = squash(text)
    for s in case.sources:  # every source's SHA-256, re-computed
        assert hashlib.sha256(s.path.read_bytes()).hexdigest() in flat
    for hop in result.hops:  # each hop's evidence line exactly as in its source file
        src = case.source(hop.source)
        line = src.path.read_text(encoding="utf-8").splitlines()[hop.line - 1]
        assert squash(line) in flat, line


def test_disagreement_is_reported(tmp_path):
    case = load_case(builder_case(tmp_path / "case", seed=4))
    reader = report(case, trace_traceback(case, "TB-2"), tmp_path / "d.zip")
    text = " ".join(page_texts(reader))
    assert "Bogus Telecom" in text and "Lakes Carrier" in text
    assert "disagree in 1 place" in text


def test_narrative_says_where_it_stopped(harbor):
    from workbench.evidence.model import build_view
    case, result, _ = harbor
    s = narrative(build_view(case, result))
    assert "placed by Nimbus Outreach Group, a customer of Ostara Dial" in s
    assert "agrees with the CDRs at every hop" in s


def test_markup_in_cdr_fields_is_printed_not_obeyed(tmp_path):
    """A trunk id like '<b>x</b>' or '&' must not break or restyle the report."""
    root = harbor_case(tmp_path / "case")
    toml = (root / "case.toml").read_text().replace('"OST-IN" = "Ostara Dial"',
                                                    '"OST-IN" = "Ostara <b>Dial</b> & Co"')
    (root / "case.toml").write_text(toml)
    case = load_case(root)
    reader = report(case, trace_traceback(case, "HB-0042"), tmp_path / "m.zip")
    assert "Ostara <b>Dial</b> & Co" in " ".join(page_texts(reader))
