"""Line ends, encodings and empty input: every switch profile reads the same calls."""
from __future__ import annotations

from pathlib import Path

import pytest

from workbench.errors import InputError
from workbench.formats import ReadOptions, detect, get

FX = Path(__file__).parent / "fixtures" / "formats"
FIXTURES = {
    "asterisk_master.csv": "asterisk", "asterisk_custom.csv": "asterisk_custom",
    "freeswitch_example.csv": "freeswitch", "freeswitch_sql.csv": "freeswitch",
    "freeswitch_cdr.json": "freeswitch_json", "freeswitch_cdr.xml": "freeswitch_xml",
    "kamailio_acc.log": "kamailio", "kamailio_db_acc.csv": "kamailio_db",
    "cdr_StandAloneCluster_01_202406101601_12": "cucm", "cube_gw_accounting.csv": "cube",
    "sansay_vsx.cdr": "sansay", "broadworks_cdr.csv": "broadworks", "ribbon_sbc.ACT": "ribbon",
    "acme_sbc.csv": "acme",
}


def snapshot(table) -> dict:
    return {k: v.to_pylist() for k, v in table.columns.items()} | {"lines": list(table.lines)}


@pytest.mark.parametrize("name, fmt", sorted(FIXTURES.items()))
def test_crlf_reads_like_lf(tmp_path, name, fmt):
    lf = get(fmt).read(FX / name, ReadOptions(timezone="America/New_York"))
    p = tmp_path / name
    p.write_bytes((FX / name).read_bytes().replace(b"\n", b"\r\n"))
    crlf = get(fmt).read(p, ReadOptions(timezone="America/New_York"))
    assert snapshot(crlf) == snapshot(lf)
    assert [b.line for b in crlf.bad_lines] == [b.line for b in lf.bad_lines]
    assert detect(p)[0].format == fmt


def test_windows_1252_caller_name(tmp_path):
    text = (FX / "asterisk_master.csv").read_text().replace("ACCT SERVICES", "CAFÉ SERVICES")
    p = tmp_path / "Master.csv"
    p.write_bytes(text.encode("cp1252"))
    t = get("asterisk").read(p, ReadOptions())
    assert t.columns["calling_name"].to_pylist()[1] == "CAFÉ SERVICES"
    assert t.encoding == "cp1252"


def test_utf8_bom(tmp_path):
    p = tmp_path / "sansay.cdr"
    p.write_bytes(b"\xef\xbb\xbf" + (FX / "sansay_vsx.cdr").read_bytes())
    t = get("sansay").read(p, ReadOptions())
    assert t.columns["ingress"].to_pylist()[0] == "000412"
    assert detect(p)[0].format == "sansay"


@pytest.mark.parametrize("fmt", sorted(set(FIXTURES.values())))
def test_empty_file_is_a_clear_error(tmp_path, fmt):
    p = tmp_path / "empty.cdr"
    p.write_text("\n\n")
    with pytest.raises(InputError):
        get(fmt).read(p, ReadOptions())
