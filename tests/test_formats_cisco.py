"""Cisco CUCM CDR (two header lines, epoch UTC) and CUBE gateway accounting (zone tokens, legs)."""
from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from tests.format_fixtures import UTC, col, read
from workbench.ingest.formats import get
from workbench.ingest.formats.switches.cisco import ipv4_le

CUCM = "cdr_StandAloneCluster_01_202406101601_12"


def test_cucm_rows_after_the_two_header_lines():
    t = read("cucm", CUCM)
    assert list(t.lines) == [3, 4]
    assert col(t, "start")[0] == datetime(2024, 6, 10, 16, 0, 31, tzinfo=UTC)
    assert col(t, "end")[0] == datetime(2024, 6, 10, 16, 1, 14, tzinfo=UTC)
    assert col(t, "calling") == ["2025550143", "2025550143"]
    assert col(t, "called") == ["3125550178", "3125550191"]
    assert col(t, "ingress")[0] == "SIPTRUNK-LARKSPUR"
    assert col(t, "egress")[0] == "SIPTRUNK-OXBOW"
    assert col(t, "duration")[0] == "36"
    assert col(t, "disposition") == ["16", "17"]
    assert col(t, "call_id")[0] == "1-204711"
    assert t.headers[0] == "cdrRecordType"


def test_cucm_connect_zero_means_unanswered():
    t = read("cucm", CUCM)
    assert col(t, "answer")[1] is None


def test_cucm_ip_fallback_for_an_empty_device_name():
    t = read("cucm", CUCM)
    assert col(t, "ingress")[1] == "198.51.100.20"  # origIpAddr 342111174, little-endian


def test_cucm_short_row_is_bad():
    t = read("cucm", CUCM)
    assert [b.line for b in t.bad_lines] == [5]


def test_ipv4_little_endian():
    assert ipv4_le(pa.array(["342111174", "0", "-1062731518", None])).to_pylist() == [
        "198.51.100.20", None, "2.1.168.192", None]


def test_cube_legs_merge_and_zone_tokens():
    t = read("cube", "cube_gw_accounting.csv")
    assert list(t.lines) == [1, 3]  # the incoming leg of each call
    assert col(t, "start")[0] == datetime(2024, 6, 10, 16, 0, 31, 204000, tzinfo=UTC)
    assert col(t, "start")[1] == datetime(2024, 6, 10, 16, 2, 5, tzinfo=UTC)  # 12:02:05 EDT
    assert col(t, "ingress") == ["LARKSPUR-IN", "LARKSPUR-IN"]
    assert col(t, "egress") == ["OXBOW-OUT", "OXBOW-OUT"]  # from the outgoing leg
    assert col(t, "calling")[0] == "2025550143"
    assert col(t, "called")[0] == "13125550178"
    assert col(t, "duration")[0] == "36"
    assert col(t, "answer")[1] is None
    assert any("not NTP-synchronised" in n for n in t.notes)
    assert any("merged" in n for n in t.notes)


def test_cube_short_line_is_bad():
    t = read("cube", "cube_gw_accounting.csv")
    assert [(b.line, b.reason) for b in t.bad_lines] == [
        (4, "40 fields; CUBE accounting lines have at least 130")]


def test_cube_is_marked_unconfirmed():
    assert get("cube").confirmed is False and get("cucm").confirmed is True
