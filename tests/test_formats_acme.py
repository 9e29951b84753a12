"""Oracle / Acme Packet SBC Stop records: header values as numbers, zone-token times, realms."""
from __future__ import annotations

from datetime import datetime

from tests.format_fixtures import UTC, col
from tests.format_fixtures import read as read_fixture
from workbench.ingest.formats.switches.acme import split_lenient


def read(**opts):
    return read_fixture("acme", "acme_sbc.csv", **opts)


def test_stop_records_only():
    t = read()
    assert list(t.lines) == [2, 3, 5]  # line 1 is a Start record, 4 is broken
    assert any("Start/Interim records skipped" in n for n in t.notes)
    assert [b.line for b in t.bad_lines] == [4]


def test_reference_stop_record():
    t = read()
    assert col(t, "start")[0] == datetime(2024, 6, 10, 16, 0, 31, 204000, tzinfo=UTC)  # 09:00 PDT
    assert col(t, "calling")[0] == "+12025550143"
    assert col(t, "called")[0] == "13125550178"
    assert col(t, "ingress")[0] == "LARKSPUR-PEER"
    assert col(t, "egress")[0] == "OXBOW-CORE"
    assert col(t, "call_id")[0] == "4f2b9c1e77aa4d0e@198.51.100.20"
    assert col(t, "duration")[0] == "36"


def test_number_only_in_the_display_name():
    t = read()
    assert col(t, "calling")[1] == "2025550143"
    assert col(t, "answer")[1] is None


def test_bare_quotes_inside_a_quoted_value():
    t = read()
    assert col(t, "calling")[2] == "+12025550144"
    assert col(t, "verstat") == [None, None, "TN-Validation-Passed"]


def test_split_lenient():
    assert split_lenient('2,"a "b" c","x",,3') == ["2", 'a "b" c', "x", "", "3"]


def test_a_line_of_many_unclosed_quoted_values_splits_in_linear_time():
    """Each quoted value searched forward for its closing quote: 50,000 values that never
    close made one line take minutes."""
    import time

    from workbench.ingest.formats.switches.acme import split_lenient
    t = time.perf_counter()
    parts = split_lenient('"x,' * 50_000)
    assert time.perf_counter() - t < 5  # quadratic: ~4 minutes
    assert len(parts) == 50_001 and parts[0] == '"x'
    assert split_lenient('1,"a "b" c",,"d"') == ["1", 'a "b" c', "", "d"]
