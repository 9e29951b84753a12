"""Line ends, encodings and empty input: every switch profile reads the same calls."""
from __future__ import annotations

import pytest

from tests.format_fixtures import FIXTURES as ALL_FIXTURES
from tests.format_fixtures import FX
from workbench.common.errors import InputError
from workbench.ingest.formats import ReadOptions, detect, get

# every fixture but two extra FreeSWITCH templates (the example template stands for them)
FIXTURES = {k: v for k, v in ALL_FIXTURES.items()
            if k not in ("freeswitch_default.csv", "freeswitch_mangled.csv")}


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
