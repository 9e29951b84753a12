"""Auto-detection: each fixture ranks its own profile first; near-misses are not claimed."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.format_fixtures import FIXTURES, FX
from workbench.common.errors import InputError
from workbench.ingest.formats import choose, detect, profiles

SWITCHES = {p.name for p in profiles()} - {"generic"}


@pytest.mark.parametrize("name, fmt", sorted(FIXTURES.items()))
def test_fixture_ranks_its_profile_first(name, fmt):
    ranked = detect(FX / name)
    assert ranked[0].format == fmt, [(d.format, d.score) for d in ranked]
    assert ranked[0].score >= 0.8
    assert ranked[0].evidence
    assert choose(FX / name).format == fmt  # no tie with the runner-up


def test_every_format_has_a_fixture():
    assert SWITCHES <= set(FIXTURES.values())


def _claims(path: Path) -> dict[str, float]:
    return {d.format: d.score for d in detect(path) if d.score >= 0.5}


def test_fifteen_field_asterisk_like_line_is_not_asterisk(tmp_path):
    row = next(iter((FX / "asterisk_master.csv").read_text().splitlines()))
    p = tmp_path / "fifteen.csv"
    p.write_text(row.rsplit(",", 1)[0] + "\n")  # drop amaflags: 15 fields
    assert not (_claims(p).keys() & SWITCHES)
    with pytest.raises(InputError, match="set `format`"):
        choose(p)


def test_header_bearing_export_stays_generic(tmp_path):
    p = tmp_path / "carrier.csv"
    p.write_text("call_date,call_time_utc,from_ani,to_did,trunk_in,trunk_out,call_id,duration_sec,"
                 "disposition,attest,origid\n2024-06-10,16:00:31,+12025550143,+13125550178,"
                 "LARKSPUR-IN,OXBOW-OUT,4f2b9c1e77aa4d0e@198.51.100.20,36,ANSWERED,B,"
                 "6e0b7f52-93d4-4c1a-b8e7-2f5a0c91d3e4\n")
    assert choose(p).format == "generic"
    assert not (_claims(p).keys() & SWITCHES)


def test_carrier_export_with_start_end_duration_stays_generic(tmp_path):
    p = tmp_path / "terminus.csv"
    p.write_text("record_id,start_time,answer_time,end_time,ANI,DNIS,duration,disposition,"
                 "trunk_in,call_id\nTW1,2026-03-06T00:02:03Z,2026-03-06T00:02:09Z,"
                 "2026-03-06T00:02:44Z,+17255550186,+17795550190,35,ANSWERED,MWT-01,a5@10.20.0.5\n")
    assert choose(p).format == "generic"
    assert not (_claims(p).keys() & SWITCHES)


def test_acc_cdrs_export(tmp_path):
    p = tmp_path / "acc_cdrs.csv"
    p.write_text("id,start_time,end_time,duration,callid,src_user,dst_user,src_ip,dst_domain\n"
                 "7,2024-06-10 16:00:38,2024-06-10 16:01:14,36.000,4f2b@198.51.100.20,"
                 "+12025550143,13125550178,198.51.100.20,203.0.113.45\n")
    assert choose(p).format == "kamailio_db"


def test_freepbx_dump_with_a_header_stays_generic(tmp_path):
    p = tmp_path / "cdr.csv"
    p.write_text("calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,"
                 "billsec,disposition,amaflags,accountcode,uniqueid,userfield,did\n"
                 '2024-06-10 12:00:31,"ACCT" <2025550143>,2025550143,3125550178,from-larkspur,'
                 "PJSIP/larkspur-in-0000012a,PJSIP/oxbow-out-0000012b,Dial,x,43,36,ANSWERED,3,,"
                 "1718035231.298,,3125550178\n")
    assert choose(p).format == "generic"


def test_semicolon_file_that_is_not_sansay(tmp_path):
    p = tmp_path / "vi.csv"
    p.write_text("004100231;V1.10;R;WithMedia;x;0001;Mon Jun 10 12:00:31 2024;NA\n")
    assert "sansay" not in _claims(p)


def test_json_that_is_not_a_freeswitch_cdr(tmp_path):
    p = tmp_path / "calls.json"
    p.write_text('{"calls": [{"from": "+12025550143", "to": "+13125550178"}]}\n')
    assert "freeswitch_json" not in _claims(p)


def test_syslog_without_acc_lines(tmp_path):
    p = tmp_path / "messages"
    p.write_text("Jun 10 16:00:38 sip-edge-1 kamailio[2211]: INFO: <script>: method=INVITE;x=1\n")
    assert "kamailio" not in _claims(p)


def test_unconfirmed_layouts_say_so():
    unconfirmed = {p.name for p in profiles() if not p.confirmed}
    assert {"cube", "ribbon", "acme"} <= unconfirmed
    assert "asterisk" not in unconfirmed and "sansay" not in unconfirmed
