"""Ribbon / Sonus .ACT: file header, STOP and ATTEMPT layouts, PVSD sub-fields, node zone."""
from __future__ import annotations

from datetime import datetime

from tests.format_fixtures import FX, UTC, col
from tests.format_fixtures import read as read_fixture
from workbench.ingest.formats import ReadOptions, get


def read(**opts):
    return read_fixture("ribbon", "ribbon_sbc.ACT", **opts)


def test_stop_record():
    t = read()
    assert list(t.lines) == [2, 4, 6]
    assert col(t, "start")[0] == datetime(2024, 6, 10, 16, 0, 31, 200000, tzinfo=UTC)  # EDT
    assert col(t, "end")[0] == datetime(2024, 6, 10, 16, 1, 14, 600000, tzinfo=UTC)
    assert col(t, "calling")[0] == "2025550143"
    assert col(t, "called")[0] == "13125550178"
    assert col(t, "ingress")[0] == "TG_LARKSPUR_IN"
    assert col(t, "egress")[0] == "TG_OXBOW_OUT"
    assert col(t, "call_id")[0] == "4f2b9c1e77aa4d0e@198.51.100.20"
    assert col(t, "call_id_2")[0] == "9a7e0d4c-1f3b-4b8e-a2c5-66d1e0f4b7a3"
    assert col(t, "duration")[0] == 36.4


def test_attempt_record_has_its_own_layout():
    t = read()
    assert col(t, "called")[1] == "13125550191"
    assert col(t, "disposition")[1] == "17"
    assert col(t, "ingress")[1] == "TG_LARKSPUR_IN"
    assert col(t, "call_id")[1] == "7d31e0b2c4f94a17@198.51.100.20"


def test_percent_encoded_comma_in_a_sub_field():
    t = read()
    assert col(t, "call_id")[2] == "1c2d3e4f,x@198.51.100.20"


def test_header_closing_line_and_bad_line():
    t = read()
    assert any("file header line skipped" in n for n in t.notes)
    assert [b.line for b in t.bad_lines] == [5]
    assert any("START" in n for n in t.notes)


def test_unknown_node_zone_falls_back_to_wall_time(tmp_path):
    text = (FX / "ribbon_sbc.ACT").read_text().replace(",EDT,", ",XYZ,")
    p = tmp_path / "x.ACT"
    p.write_text(text)
    t = get("ribbon").read(p, ReadOptions())
    assert col(t, "start")[0] == "2024-06-10 12:00:31.200000"
    assert any("XYZ" in n for n in t.notes)
