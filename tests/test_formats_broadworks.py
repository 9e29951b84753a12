"""BroadWorks CSV: header/footer records, backslash-escaped commas, direction-dependent peers."""
from __future__ import annotations

from tests.format_fixtures import col
from tests.format_fixtures import read as read_fixture


def read(**opts):
    return read_fixture("broadworks", "broadworks_cdr.csv", **opts)


def test_normal_records_only():
    t = read()
    assert list(t.lines) == [2, 4, 6]  # 1 header, 3 a Start record, 5 broken, 7 footer
    assert any("header/footer" in n for n in t.notes)
    assert any("other than Normal" in n for n in t.notes)


def test_terminating_record():
    t = read()
    assert col(t, "calling")[0] == "+12025550143"
    assert col(t, "called")[0] == "+13125550178"
    assert col(t, "start")[0] == "20240610160031.204"
    assert col(t, "ingress")[0] == "198.51.100.20:5060"  # route: the network side
    assert col(t, "call_id")[0] == "BW1600312041006-4f2b9c1e@192.0.2.30"
    assert col(t, "duration")[0] == "36"
    assert col(t, "disposition")[0] == "016"


def test_escaped_comma():
    t = read()
    assert col(t, "calling_name")[0] == "Example Caller Services, Inc"


def test_originating_record_egress_is_the_route():
    t = read()
    assert col(t, "ingress")[1] == "FENNIMORE_GRP_7"
    assert col(t, "egress")[1] == "203.0.113.45:5060"


def test_unanswered_and_bad_line():
    t = read()
    assert col(t, "answer")[2] is None and col(t, "duration")[2] == "0"
    assert [b.line for b in t.bad_lines] == [5]
    assert "50 fields" in t.bad_lines[0].reason


def test_time_zone_question_is_stated():
    t = read()
    assert any("unconfirmed" in n and "1-040000" in n for n in t.notes)
