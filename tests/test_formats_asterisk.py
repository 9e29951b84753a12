"""Asterisk cdr_csv (16–21 fields) and cdr_custom: positions, quirks, bad lines, overrides."""
from __future__ import annotations

import pyarrow as pa
import pytest

from tests.format_fixtures import FX, col, read
from workbench.common.errors import InputError
from workbench.ingest.formats import ReadOptions, get
from workbench.ingest.formats.switches.asterisk import channel_peer


def test_master_csv_mixing_16_and_21_field_lines():
    t = read("asterisk", "asterisk_master.csv", timezone="America/New_York")
    assert list(t.lines) == [1, 2, 3, 6]  # line 4 is blank, line 5 is broken
    assert col(t, "calling")[:2] == ["2025550140", "2025550143"]
    assert col(t, "called")[1] == "3125550178"
    assert col(t, "start")[1] == "2024-06-10 12:00:31"  # wall time: the normalizer places it
    assert col(t, "ingress") == ["larkspur-in"] * 4
    assert col(t, "egress") == ["oxbow-out", "oxbow-out", "oxbow-out", None]
    assert col(t, "duration")[1] == "36"  # billsec: talk time
    assert col(t, "disposition")[2] == "NO ANSWER"
    assert col(t, "call_id")[:2] == [None, "1718035231.298"]  # the 16-field line has no uniqueid
    assert t.time_basis == "invite"
    assert any("21 fields" in n and "16 fields" in n for n in t.notes)


def test_bare_empty_date_is_null():
    t = read("asterisk", "asterisk_master.csv")
    assert col(t, "answer")[2] is None
    assert col(t, "answer")[1] == "2024-06-10 12:00:38"


def test_doubled_quotes_and_number_from_clid():
    t = read("asterisk", "asterisk_master.csv")
    assert col(t, "calling_name")[3] == 'Dr. "Quote" Smith'
    assert col(t, "calling")[3] == "2025550155"  # src is empty: the number inside clid


def test_bad_line_reported_with_number_and_text():
    t = read("asterisk", "asterisk_master.csv")
    assert t.bad_line_count == 1
    bad = t.bad_lines[0]
    assert bad.line == 5
    assert bad.text.startswith('"","2025550143","3125550178","from-larkspur"')
    assert "7 fields" in bad.reason


def test_uniqueid_epoch_checks_the_timezone():
    right = read("asterisk", "asterisk_master.csv", timezone="America/New_York")
    assert any("UTC−04:00" in n for n in right.notes)
    assert any("agrees" in n for n in right.notes)
    wrong = read("asterisk", "asterisk_master.csv", timezone="UTC")
    assert any(n.startswith("WARNING") and "timezone" in n for n in wrong.notes)


def test_columns_override_by_field_name():
    t = read("asterisk", "asterisk_master.csv", columns={"ingress": "dcontext"})
    assert col(t, "ingress") == ["from-larkspur"] * 4
    with pytest.raises(InputError, match="not a field of this format"):
        read("asterisk", "asterisk_master.csv", columns={"ingress": "trunk"})


def test_custom_legacy_order():
    t = read("asterisk_custom", "asterisk_custom.csv")
    assert list(t.lines) == [1, 2, 4]
    assert col(t, "calling") == ["2025550143", "2025550143", "2025550144"]
    assert col(t, "answer")[1] is None  # "" in cdr_custom
    assert col(t, "ingress") == ["larkspur-in"] * 3
    assert col(t, "call_id")[2] == "1718035450.305"
    assert [b.line for b in t.bad_lines] == [3]


@pytest.mark.parametrize("channel, peer", [
    ("PJSIP/larkspur-in-0000012a", "larkspur-in"), ("SIP/oxbow-00000001", "oxbow"),
    ("IAX2/peer-a-1234", "peer-a"), ("Local/123@ctx-0000abcd;1", "123@ctx"), ("", None)])
def test_channel_peer(channel, peer):
    assert channel_peer(pa.array([channel])).to_pylist() == [peer]


def test_many_lines_of_another_count(tmp_path):
    """More odd lines than the bad-line list keeps: every one is still read."""
    lines = (FX / "asterisk_master.csv").read_text().splitlines()
    row16, row21 = lines[0], lines[1]
    p = tmp_path / "Master.csv"
    p.write_text("\n".join([row21] * 10 + [row16] * 450 + [row21] * 5) + "\n")
    t = get("asterisk").read(p, ReadOptions())
    assert len(t) == 465 and t.bad_line_count == 0
    assert col(t, "call_id")[10] is None and col(t, "call_id")[460] == "1718035231.298"


def test_file_without_final_newline_and_cp1252_text(tmp_path):
    """Read memory-mapped: a last line without its newline and the bad-line path still
    work, and a file that is not UTF-8 is read again as Windows-1252."""
    import os
    body = (FX / "asterisk_master.csv").read_bytes().rstrip(b"\r\n")
    (tmp_path / "Master.csv").write_bytes(body)
    os.utime(tmp_path / "Master.csv", (1_700_000_000, 1_700_000_000))  # settled: mapped
    t = get("asterisk").read(tmp_path / "Master.csv", ReadOptions())
    assert list(t.lines) == [1, 2, 3, 6] and t.bad_lines[0].line == 5
    (tmp_path / "latin.csv").write_bytes(body.replace(b"Smith", b"Sm\xefth"))
    t = get("asterisk").read(tmp_path / "latin.csv", ReadOptions())
    assert col(t, "calling_name")[3] == 'Dr. "Quote" Smïth'
