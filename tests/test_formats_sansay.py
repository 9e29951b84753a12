"""Sansay VSX V1.10: ';' fields, NA times, minutes west of GMT, trunk ids with leading zeros."""
from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from tests.format_fixtures import UTC, col
from tests.format_fixtures import read as read_fixture
from workbench.ingest.formats.switches.times import ctime_naive


def read(**opts):
    return read_fixture("sansay", "sansay_vsx.cdr", **opts)


def test_reference_row():
    t = read()
    assert col(t, "start")[0] == datetime(2024, 6, 10, 16, 0, 31, tzinfo=UTC)  # 12:00:31 + 240 min
    assert col(t, "end")[0] == datetime(2024, 6, 10, 16, 1, 14, tzinfo=UTC)
    assert col(t, "calling")[0] == "12025550143"
    assert col(t, "called")[0] == "13125550178"
    assert col(t, "ingress")[0] == "000412"
    assert col(t, "egress")[0] == "000733"
    assert col(t, "call_id")[0] == "4f2b9c1e77aa4d0e@198.51.100.20"
    assert col(t, "call_id_2")[0] == "9a7e0d4c-1f3b-4b8e-a2c5-66d1e0f4b7a3"
    assert col(t, "duration")[0] == "36"


def test_na_time_and_intermediate_attempt():
    t = read()
    assert col(t, "answer")[1] is None
    assert col(t, "egress")[1:3] == ["000733", "000812"]
    assert any("intermediate route attempts" in n for n in t.notes)


def test_winter_row_uses_its_own_offset():
    t = read()
    assert col(t, "start")[3] == datetime(2024, 1, 10, 17, 0, tzinfo=UTC)  # 300 minutes west


def test_pai_with_semicolons_in_the_last_field():
    t = read()
    assert col(t, "verstat") == [None, None, None, "TN-Validation-Passed"]


def test_bad_line():
    t = read()
    assert list(t.lines) == [1, 2, 3, 5]
    assert [(b.line, b.text) for b in t.bad_lines] == [(4, "004100234;V1.10;R;WithMedia;414-17180")]


def test_ctime_forms():
    got = ctime_naive(pa.array(["Mon Jun 10 12:00:31 2024", "Mon Jun  3 12:00:31 2024",
                                "Mon Jun 3 12:00:31 2024", "NA", None, "Mon Jux 10 12:00:31 2024"]))
    assert got.to_pylist() == [datetime(2024, 6, 10, 12, 0, 31), datetime(2024, 6, 3, 12, 0, 31),
                               datetime(2024, 6, 3, 12, 0, 31), None, None, None]
