"""Redaction profiles: no called number survives in any written form, and the packet verifies."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.test_evidence_cases import CALLED, CUSTOMER, builder_case, harbor_case
from workbench.case.model import load_case
from workbench.cli.main import main
from workbench.evidence import export_packet, verify_packet
from workbench.evidence.redact import Redactor, mask_number
from workbench.trace.engine import trace_traceback


def written_forms(e164: str) -> list[str]:
    d = e164[2:]
    a, b, c = d[:3], d[3:6], d[6:]
    return [e164, "1" + d, d, f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"{a} {b} {c}",
            f"+1 {a} {b} {c}", f"1-{a}-{b}-{c}", f"+1 ({a}) {b}-{c}", f"tel:+1{d}",
            f"1 ({a}) {b}-{c}", f"{b}-{c}"]


def loose(e164: str) -> re.Pattern:
    """The ten digits with anything but digits (up to 4 characters) between them."""
    d = e164[2:]
    return re.compile(r"[^\d\n]{0,4}".join(d).encode())


def every_byte_blob(packet: Path) -> dict[str, bytes]:
    """Each member's bytes, plus the members of members that are zips (xlsx) and PDF text."""
    out: dict[str, bytes] = {}
    with zipfile.ZipFile(packet) as zf:
        for name in zf.namelist():
            data = zf.read(name)
            out[name] = data
            if data[:4] == b"PK\x03\x04":
                with zipfile.ZipFile(io.BytesIO(data)) as inner:
                    for n in inner.namelist():
                        out[f"{name}!{n}"] = inner.read(n)
            if name.endswith(".pdf"):
                text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
                out[f"{name}!text"] = text.encode("utf-8")
    return out


def assert_no_called_number(packet: Path, numbers: list[str]) -> None:
    blobs = every_byte_blob(packet)
    for e164 in numbers:
        pat = loose(e164)
        for name, data in blobs.items():
            for form in written_forms(e164)[:-1]:
                assert form.encode() not in data, (form, name)
            assert not pat.search(data), (e164, name, pat.search(data).group(0))
            # the 7-digit local form alone, not as the tail of another number
            local = e164[5:8] + "-" + e164[8:]
            assert not re.search(rb"(?<![\dX][ ).-])(?<![\dX])" + local.encode(), data), \
                (local, name)


@pytest.fixture(scope="module")
def harbor(tmp_path_factory):
    root = harbor_case(tmp_path_factory.mktemp("harbor") / "case")
    case = load_case(root)
    return case, trace_traceback(case, "HB-0042")


@pytest.mark.parametrize("profile", ["consumer", "training"])
def test_redacted_packet_holds_no_called_number_and_verifies(harbor, tmp_path, profile):
    case, result = harbor
    out = export_packet(case, result, tmp_path / f"{profile}.zip", redact=profile)
    assert verify_packet(out).ok
    assert_no_called_number(out, [CALLED])
    blobs = every_byte_blob(out)
    # masked, not removed: the last four digits are still there for the reader
    assert any(b"XXX-XXX-0163" in d or b"XXXXXXX0163" in d for d in blobs.values())
    text = blobs[f"{profile}/data/report.pdf!text"].decode()
    assert "0163" in text and f"REDACTED ({profile})" in text
    if profile == "training":
        assert not any(CUSTOMER.encode() in d for d in blobs.values())
        assert any(b"Customer A" in d for d in blobs.values())
    else:
        assert any(CUSTOMER.encode() in d for d in blobs.values())


def test_every_traceback_called_number_is_masked_even_in_the_audit_trail(tmp_path):
    root = builder_case(tmp_path / "case", seed=8)
    for tb in ("TB-1", "TB-3"):  # earlier traces put other called numbers in the log
        assert main(["trace", str(root), "--traceback", tb]) == 0
    case = load_case(root)
    out = export_packet(case, trace_traceback(case, "TB-2"), tmp_path / "c.zip",
                        redact="consumer")
    assert verify_packet(out).ok
    assert_no_called_number(out, [tb.called for tb in case.tracebacks])


def test_unredacted_packet_does_hold_the_number(harbor, tmp_path):
    case, result = harbor
    out = export_packet(case, result, tmp_path / "plain.zip")
    blobs = every_byte_blob(out)
    assert any(loose(CALLED).search(d) for d in blobs.values())  # the check can see numbers


def test_redactor_masks_every_written_form():
    red = Redactor("consumer", called=["+14155550163"])
    for form in written_forms("+14155550163") + ["sip:+14155550163@10.0.0.1;user=phone",
                                                  "1.4155550163E10", "0014155550163",
                                                  "%2B14155550163", "99914155550163"]:
        masked = red.text(f"x {form} y")
        assert not loose("+14155550163").search(masked.encode()), (form, masked)
        assert "0163" in masked and "X" in masked, (form, masked)
    assert red.text("+14085550163 and 2026-05-14 16:12:03") == "+14085550163 and 2026-05-14 16:12:03"
    assert mask_number("+16125550101") == "+XXXXXXX0101"


def test_redactor_handles_non_nanp_numbers():
    red = Redactor("consumer", called=["+442079460018"], default_country="GB")
    for form in ("+44 20 7946 0018", "020 7946 0018", "00442079460018", "442079460018"):
        masked = red.text(form)
        assert "7946" not in masked and masked.endswith("0018"), (form, masked)


def test_include_sources_with_redaction_is_refused(harbor, tmp_path):
    case, result = harbor
    from workbench.common.errors import InputError
    with pytest.raises(InputError, match="include-sources"):
        export_packet(case, result, tmp_path / "x.zip", redact="consumer", include_sources=True)
    assert not (tmp_path / "x.zip").exists()


def test_a_leak_stops_the_export(harbor, tmp_path, monkeypatch):
    """If a renderer ever bypassed the redacted view, the final check refuses the packet."""
    from workbench.common.errors import WorkbenchError
    from workbench.evidence import packet
    case, result = harbor
    monkeypatch.setattr(packet, "graphml_bytes", lambda view: CALLED.encode())
    with pytest.raises(WorkbenchError, match="redaction check failed: data/chain.graphml"):
        export_packet(case, result, tmp_path / "leak.zip", redact="consumer")
    assert not (tmp_path / "leak.zip").exists()


def test_member_names_hide_the_number_too(harbor, tmp_path):
    case, result = harbor
    out = export_packet(case, result, tmp_path / "14155550163 complaint.zip", redact="consumer")
    with zipfile.ZipFile(out) as zf:
        assert all(n.startswith("XXXXXXX0163_complaint/") for n in zf.namelist())
    assert verify_packet(out).ok
