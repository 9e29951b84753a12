"""reply.docx: a provider's draft answer to a traceback request, against the 24-hour clock."""
from __future__ import annotations

import docx
import pytest

from tests.test_evidence_cases import CUSTOMER, harbor_case
from workbench.case.deadlines import deemed_receipt, response_clock
from workbench.case.model import load_case
from workbench.cli.main import main
from workbench.columns.times import US, parse_one
from workbench.common.errors import InputError
from workbench.investigation import Investigation


def text_of(path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for r in t.rows:
            parts.append(" | ".join(c.text for c in r.cells))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return load_case(harbor_case(tmp_path_factory.mktemp("harbor") / "case"))


def write_reply(case, traceback_id, provider, out, **kw):
    """A reply as every front end drafts one: through the investigation."""
    return Investigation(case).reply(traceback_id, provider, out, **kw)


def test_intermediate_names_its_upstream_and_ingress(case, tmp_path):
    out = write_reply(case, "HB-0042", "KSI", tmp_path / "ksi.docx",
                      received_at="2026-05-15T18:00:00Z")
    t = text_of(out)
    assert "Response to traceback request HB-0042" in t
    assert "Responding provider | Keystone Interconnect" in t
    assert "FRN | 0031234567" in t
    assert "We received this call from Ostara Dial, on ingress 'OST-IN'" in t
    assert "records/keystone_cdr.tsv, line" in t
    line = (case.root / "records/keystone_cdr.tsv").read_text().splitlines()
    assert any(ln in t for ln in line[1:])  # the record exactly as in the file
    assert "Request received (UTC) | 2026-05-15T18:00:00Z" in t
    assert "Deadline, strict: receipt + 24 h (UTC) | 2026-05-16T18:00:00Z" in t
    assert "Answer already recorded in the traceback record | 2026-05-17T09:00:00Z: answered " \
           "in 1 d 15 h 0 min: LATE" in t
    assert "5. Actions taken" in t and "Traffic suspended on" in t


def test_originator_names_its_customer(case, tmp_path):
    t = text_of(write_reply(case, "HB-0042", "Ostara Dial", tmp_path / "o.docx"))
    assert f"placed by our own customer {CUSTOMER}" in t
    assert "We are the originating provider" in t
    assert "notification time in the traceback record" in t


def test_terminating_provider_gets_the_business_hours_deadline(case, tmp_path):
    t = text_of(write_reply(case, "HB-0042", "Bayside Mobile", tmp_path / "b.docx"))
    # notified Thu 19:30 Pacific: deemed received Fri 08:00 Pacific (15:00 UTC)
    assert "Deadline, business-hours deferral (UTC) | 2026-05-16T15:00:00Z" in t
    assert "Deadline applied | deferred (business hours)" in t
    assert "answered in 14 h 40 min, within the deferred (business hours) deadline" in t


def test_no_record_found_states_the_search_window(tmp_path):
    root = harbor_case(tmp_path / "case")
    path = root / "records/keystone_cdr.tsv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(ln for ln in lines if "6e0b7f52" not in ln))  # the call is gone
    case = load_case(root)
    t = text_of(write_reply(case, "HB-0042", "Keystone Interconnect", tmp_path / "n.docx"))
    assert "We found no record of this call" in t
    assert "records/keystone_cdr.tsv" in t and "±60 s" in t
    assert "Not applicable: no record found" in t


def test_unknown_provider_or_traceback_is_bad_input(case, tmp_path, capsys):
    with pytest.raises(InputError, match="no CDRs from provider"):
        write_reply(case, "HB-0042", "Nobody Telecom", tmp_path / "x.docx")
    assert main(["reply", str(case.root), "--traceback", "HB-9", "--provider", "KSI",
                 "--out", str(tmp_path / "y.docx")]) == 2
    assert main(["reply", str(case.root), "--traceback", "HB-0042", "--provider", "KSI",
                 "--received-at", "yesterday", "--out", str(tmp_path / "z.docx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(e.startswith("error: ") for e in err)
    assert main(["reply", str(case.root), "--traceback", "HB-0042", "--provider", "Keystone",
                 "--out", str(tmp_path / "ok.docx")]) == 0
    assert (tmp_path / "ok.docx").exists()
    assert not any((tmp_path / n).exists() for n in ("x.docx", "y.docx", "z.docx"))


def test_reply_is_logged(case, tmp_path):
    from workbench.case.audit import read_audit
    write_reply(case, "HB-0042", "KSI", tmp_path / "l.docx")
    last = read_audit(case.root)[-1]
    assert last["action"] == "reply" and last["details"]["provider"] == "Keystone Interconnect"


def test_clock_rules():
    t = lambda s: parse_one(s)  # noqa: E731
    # inside business hours: no deferral
    assert deemed_receipt(t("2026-05-13T17:00:00Z"), "America/New_York") == t("2026-05-13T17:00:00Z")
    # Saturday -> Monday 08:00 local
    assert deemed_receipt(t("2026-05-16T12:00:00Z"), "America/Chicago") == t("2026-05-18T13:00:00Z")
    # before 08:00 on a weekday -> 08:00 the same day
    assert deemed_receipt(t("2026-05-13T10:00:00Z"), "America/New_York") == t("2026-05-13T12:00:00Z")
    c = response_clock(t("2026-05-13T10:00:00Z"), t("2026-05-14T11:00:00Z"), zone="America/New_York")
    assert c.applied == "strict" and c.met is False and c.elapsed_s == 25 * 3600
    c = response_clock(t("2026-05-13T10:00:00Z"), t("2026-05-14T11:00:00Z"), deferral=True,
                       zone="America/New_York")
    assert c.applied == "deferred" and c.met is True
    assert c.deadline_us == t("2026-05-14T12:00:00Z") and c.deadline_us % US == 0
