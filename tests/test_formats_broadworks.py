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


def test_usertimezone_pins_each_record_when_the_source_is_local_time():
    # declared New York: each record's own offset (1-040000 = daylight time, UTC-04:00) is used
    t = read(timezone="America/New_York")
    assert col(t, "start")[0] == "2024-06-10T16:00:31.204-04:00"
    assert col(t, "answer")[0] == "2024-06-10T16:00:38.011-04:00"
    assert col(t, "answer")[2] is None  # unanswered: still no answer time
    assert any("userTimeZone (-04:00)" in n and "exact UTC offset" in n for n in t.notes)
    assert not any("disagrees" in n for n in t.notes)


def test_usertimezone_disagreeing_with_the_declared_zone_is_said():
    t = read(timezone="America/Chicago")  # Chicago is UTC-05:00 in June, the records say -04:00
    assert col(t, "start")[0].endswith("-04:00")
    assert any("disagrees with America/Chicago on 3 starts (first: line 2" in n for n in t.notes)


def test_usertimezone_values():
    import math

    import pyarrow as pa

    from workbench.ingest.formats.switches.broadworks import zone_offsets
    minutes, suffix = zone_offsets(pa.array(["1-040000", "0-050000", "0+053000", "", None,
                                             "9-040000", "1-250000"]))
    assert minutes[:3].tolist() == [-240.0, -300.0, 330.0]
    assert all(math.isnan(m) for m in minutes[3:])
    assert suffix.to_pylist() == ["-04:00", "-05:00", "+05:30", None, None, None, None]
