"""A case whose providers write real switch formats traces exactly like its header-bearing twin.

The independent chain of ``casebuilder`` (Origin → Gateway → Lakes → Midway → Term) is
written again, call for call, as BroadWorks (Origin), Asterisk with a clock 120 s fast
(Gateway), Kamailio acc logging answer times (Lakes), Sansay in Chicago local time across
the 2026-03-08 DST change (Midway) and CUCM (Term); then traced with the formats named and
again with every ``format = "auto"``.
"""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from tests import casebuilder
from workbench.case.model import load_case
from workbench.present.trace_json import hop_json
from workbench.trace.engine import trace
from workbench.trace.results import Origin

CHICAGO = ZoneInfo("America/Chicago")
FORMATS = {"Term Wireless": ("cucm", "cdr_term_01_202603080630_1"),
           "Midway Transit": ("sansay", "midway.cdr"),
           "Lakes Carrier": ("kamailio", "lakes_acc.log"),
           "Gateway Co": ("asterisk", "gateway_Master.csv"),
           "Origin Voice": ("broadworks", "origin_bw.csv")}
LAKES_IP = "203.0.113.7"  # Lakes sees Gateway Co as a source address


def _rows(source) -> list[dict]:
    t = source.table.sort_by("line").to_pydict()
    return [dict(zip(t, vals)) for vals in zip(*t.values())]


def _utc(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1e6, timezone.utc)


def _national(e164: str) -> str:
    return e164[2:]  # +1NXXNXXXXXX → NXXNXXXXXX


def _cucm(rows) -> str:
    names = ["cdrRecordType", "globalCallID_callManagerId", "globalCallID_callId",
             "dateTimeOrigination", "callingPartyNumber", "originalCalledPartyNumber",
             "dateTimeConnect", "dateTimeDisconnect", "duration", "origDeviceName",
             "destDeviceName", "destCause_value"]
    out = [",".join(f'"{n}"' for n in names),
           ",".join('"VARCHAR(50)"' if "Number" in n or "Device" in n else '"INTEGER"'
                    for n in names)]
    for i, r in enumerate(rows):
        s = r["start"] // 1_000_000
        d = int(r["duration"])
        out.append(f'1,1,{100000 + i},{s},"{_national(r["calling"])}","{_national(r["called"])}",'
                   f'{s + 5},{s + 5 + d},{d},"{r["ingress"]}","PHONES",16')
    return "\n".join(out) + "\n"


def _sansay(rows) -> str:
    out = []
    for i, r in enumerate(rows):
        local = _utc(r["start"]).astimezone(CHICAGO)
        west = int(-local.utcoffset().total_seconds() // 60)
        fmt = lambda t: t.strftime("%a %b %d %H:%M:%S %Y")  # noqa: E731
        f = [""] * 60
        f[0:6] = [f"{i:09d}", "V1.10", "R", "WithMedia", f"{i}@192.0.2.10", "0001"]
        f[6:10] = [fmt(local), "NA", fmt(local), str(west)]
        f[10:14] = ["EndedByRemoteUser", "16", "T", r["ingress"]]
        f[15], f[17], f[19] = r["calling"][1:], r["called"][1:], f"m{i}@198.51.100.20"
        f[32], f[51], f[53] = "000733", "F", str(int(r["duration"]))
        out.append(";".join(f))
    return "\n".join(out) + "\n"


def _kamailio(rows) -> str:
    out = ["Mar  8 06:29:59 lakes-sbc kamailio[99]: INFO: acc started"]
    for i, r in enumerate(rows):
        s = r["start"] // 1_000_000
        out.append(f"Mar  8 00:00:00 lakes-sbc kamailio[99]: NOTICE: acc: ACC: transaction "
                   f"answered: timestamp={s};method=INVITE;from_tag=f{i};to_tag=t{i};"
                   f"call_id=k{i}@{LAKES_IP};code=200;reason=OK;src_user={r['calling']};"
                   f"src_domain={LAKES_IP};src_ip={LAKES_IP};dst_ouser={r['called'][1:]};"
                   f"dst_user={r['called'][1:]};dst_domain=198.51.100.30")
        out.append(f"Mar  8 00:00:00 lakes-sbc kamailio[99]: NOTICE: acc: ACC: transaction "
                   f"answered: timestamp={s + int(r['duration'])};method=BYE;from_tag=f{i};"
                   f"to_tag=t{i};call_id=k{i}@{LAKES_IP};code=200;reason=OK;src_user=x;"
                   f"src_domain=x;src_ip={LAKES_IP};dst_ouser=x;dst_user=x;dst_domain=x")
    return "\n".join(out) + "\n"


def _asterisk(rows) -> str:
    out = []
    for i, r in enumerate(rows):
        t = _utc(r["start"]).strftime("%Y-%m-%d %H:%M:%S")
        d = int(r["duration"])
        cg, cd = _national(r["calling"]), _national(r["called"])
        out.append(f'"","{cg}","{cd}","from-ov","""CALLER"" <{cg}>","PJSIP/{r["ingress"].lower()}-'
                   f'{i:08x}","PJSIP/lakes-{i + 1:08x}","Dial","PJSIP/1{cd}@lakes,,T","{t}","{t}",'
                   f'"{t}",{d},{d},"ANSWERED","DOCUMENTATION"')
    return "\n".join(out) + "\n"


def _broadworks(rows) -> str:
    out = ["00000001a1b2c320260308060000.0001+000000,V22.0,bw-origin,Header"]
    for i, r in enumerate(rows):
        f = [""] * 150
        st = _utc(r["start"])
        bw = lambda t: t.strftime("%Y%m%d%H%M%S.") + f"{t.microsecond // 1000:03d}"  # noqa: E731
        stamp = bw(st)
        released = bw(_utc(r["start"] + int(r["duration"]) * 1_000_000))
        f[0:6] = [f"{i:07d}a1b2c3{stamp}1+000000", "Origin_SP", "Normal", r["calling"],
                  r["ingress"], "Originating"]
        f[6], f[8], f[9], f[10], f[11] = r["calling"], r["called"], stamp, "1+000000", "Yes"
        f[12], f[13], f[14] = stamp, released, "016"
        f[23], f[24] = "198.51.100.9:5060", f"BW{i}@192.0.2.30"
        out.append(",".join(f))
    return "\n".join(out) + "\n"


WRITERS = {"cucm": _cucm, "sansay": _sansay, "kamailio": _kamailio, "asterisk": _asterisk,
           "broadworks": _broadworks}
TOML = """\
[case]
name = "Switch formats"
default_country = "US"

[[providers]]
name = "Gateway Co"
aliases = ["GWC"]

[[sources]]
provider = "Term Wireless"
path = "cdrs/{Term Wireless}"
format = "{fmt_term}"
[sources.upstreams]
"MID-01" = "Midway Transit"

[[sources]]
provider = "Midway Transit"
path = "cdrs/{Midway Transit}"
format = "{fmt_mid}"
[sources.upstreams]
"000307" = "Lakes Carrier"

[[sources]]
provider = "Lakes Carrier"
path = "cdrs/{Lakes Carrier}"
format = "{fmt_lakes}"
[sources.upstreams]
"{lakes_ip}" = "GWC"

[[sources]]
provider = "Gateway Co"
path = "cdrs/{Gateway Co}"
format = "{fmt_gw}"
[sources.upstreams]
"ov-trunk" = "Origin Voice"

[[sources]]
provider = "Origin Voice"
path = "cdrs/{Origin Voice}"
format = "{fmt_origin}"
[sources.customers]
"ACCT-77" = "Robo Dialer LLC"

[[tracebacks]]
path = "tracebacks.csv"
"""


def _write_switch_case(generic, root: Path, auto: bool) -> None:
    (root / "cdrs").mkdir(parents=True)
    for src in generic.sources:
        fmt, name = FORMATS[src.provider]
        (root / "cdrs" / name).write_text(WRITERS[fmt](_rows(src)))
    shutil.copy(generic.root / "tracebacks.csv", root / "tracebacks.csv")
    text = TOML
    for provider, (fmt, name) in FORMATS.items():
        text = text.replace("{" + provider + "}", name)
    keys = {"fmt_term": "Term Wireless", "fmt_mid": "Midway Transit", "fmt_lakes": "Lakes Carrier",
            "fmt_gw": "Gateway Co", "fmt_origin": "Origin Voice"}
    for key, provider in keys.items():
        text = text.replace("{" + key + "}", "auto" if auto else FORMATS[provider][0])
    (root / "case.toml").write_text(text.replace("{lakes_ip}", LAKES_IP))


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    gen = tmp_path_factory.mktemp("generic")
    truth = casebuilder.build(gen, n_background=300)
    generic = load_case(gen, use_cache=False)
    named = tmp_path_factory.mktemp("named")
    auto = tmp_path_factory.mktemp("auto")
    _write_switch_case(generic, named, auto=False)
    _write_switch_case(generic, auto, auto=True)
    return truth, generic, load_case(named, use_cache=False), load_case(auto, use_cache=False)


def test_formats_as_configured_and_detected(cases):
    _, _, named, auto = cases
    want = {p: f for p, (f, _) in FORMATS.items()}
    assert {s.provider: s.format for s in named.sources} == want
    assert {s.provider: s.format for s in auto.sources} == want
    for s in named.sources:
        assert s.summary.rejected == 0 and s.summary.bad_line_count == 0, s.provider


def test_every_row_keeps_numbers_and_times(cases):
    _, generic, named, _ = cases
    for g, s in zip(generic.sources, named.sources):
        a, b = _rows(g), _rows(s)
        assert len(a) == len(b), s.provider
        assert [r["calling"] for r in a] == [r["calling"] for r in b]
        assert [r["called"] for r in a] == [r["called"] for r in b]
        gap = np.abs(np.array([r["start"] for r in a]) - np.array([r["start"] for r in b]))
        assert gap.max() < 1_000_000, s.provider  # only sub-second precision is lost


def test_answer_time_basis_comes_from_the_format(cases):
    _, _, named, _ = cases
    basis = {s.provider: s.summary.time_basis for s in named.sources}
    assert basis["Lakes Carrier"] == "answer" and basis["Term Wireless"] == "invite"


def test_traces_match_the_header_bearing_case(cases):
    truth, generic, named, auto = cases
    for call in truth["calls"]:
        ref = trace(generic, calling=call["calling"], called=call["called"], at=call["at"])
        assert ref.outcome == "origin"
        for case in (named, auto):
            r = trace(case, calling=call["calling"], called=call["called"], at=call["at"])
            assert r.outcome == ref.outcome, [hop_json(h) for h in r.hops]
            assert [h.provider for h in r.hops] == [h.provider for h in ref.hops]
            assert r.origin == ref.origin == Origin("Origin Voice", "Robo Dialer LLC")


def test_raw_lines_read_back(cases):
    _, _, named, _ = cases
    for s in named.sources:
        line = int(s.table.column("line")[0].as_py())
        raw = s.raw_lines([line])[line]
        assert s.text("called", [0])[0][2:] in raw, s.provider
