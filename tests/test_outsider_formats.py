"""Outside tester: a hand-built four-format case (Asterisk in New York local time across the
2024 DST change -> Sansay VSX with minutes-west and a 25 s fast clock -> Kamailio acc syslog (answer
time only) -> CUCM with customer device names), written from cdr_formats.md without the project's
generators; traced named and with format = "auto", detected, exported, verified, tampered.
Every number is a fictional 555-01xx number."""
import io
import json
import os
import random
import socket
import struct
import zipfile
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.clirun import run_cli

NY = ZoneInfo("America/New_York"); CHI = ZoneInfo("America/Chicago")
UTC = timezone.utc

def ts(s):  # '2024-03-10T07:30:10Z'
    return datetime.fromisoformat(s.replace("Z", "+00:00"))

CALLING, CALLED = "2025550143", "3125550178"
T0 = ts("2024-03-10T07:30:10Z")   # INVITE at terminating provider
SANSAY_SKEW = 25  # sansay clock runs 25 s fast

def build(out, auto=False, formula=True):
    os.makedirs(f"{out}/cdrs", exist_ok=True)
    rnd = random.Random(11)
    # Shared background: each call crosses Osprey->Kestrel->Sandpiper->Terminus
    calls = []  # (calling, called, t_term_start, setup, talk, answered)
    for i in range(60):
        a = "20255501%02d" % rnd.randrange(0, 100)
        b = "31255501%02d" % rnd.randrange(0, 100)
        if (a, b) == (CALLING, CALLED):
            continue
        t = ts("2024-03-10T05:40:00Z") + timedelta(seconds=rnd.randrange(0, 4 * 3600))
        calls.append(dict(a=a, b=b, t=t, setup=rnd.randrange(3, 9), talk=rnd.randrange(10, 200), ans=rnd.random() > 0.15))
    traced = dict(a=CALLING, b=CALLED, t=T0, setup=6, talk=37, ans=True, traced=True)
    calls.append(traced)
    # retry 3 min earlier, unanswered (all providers)
    calls.append(dict(a=CALLING, b=CALLED, t=T0 - timedelta(minutes=3), setup=20, talk=0, ans=False))
    # same calling, other called, 40 s later
    calls.append(dict(a=CALLING, b="3125550191", t=T0 + timedelta(seconds=40), setup=5, talk=22, ans=True))
    # same pair an hour earlier (pre-DST wall clock 01:30 EST)
    calls.append(dict(a=CALLING, b=CALLED, t=T0 - timedelta(hours=1), setup=5, talk=80, ans=True))
    calls.sort(key=lambda c: c["t"])

    # ---------- Terminus: Asterisk Master.csv, local NY, 16/17 fields ----------
    lines = []
    seq = 0x120
    for c in calls:
        st = c["t"]; an = st + timedelta(seconds=c["setup"]); en = an + timedelta(seconds=c["talk"])
        loc = lambda d: d.astimezone(NY).strftime("%Y-%m-%d %H:%M:%S")
        name = '=HYPERLINK(""http://evil.example/x"",""click"")' if (c.get("traced") and formula) else "ACCT SERVICES"
        clid = f'"""{name}"" <{c["a"]}>"'
        lastdata = "+cmd|' /C calc'!A0" if (c.get("traced") and formula) else f"PJSIP/1{c['b']}@oxbow-out,,T"
        answer = f'"{loc(an)}"' if c["ans"] else ""
        end = en if c["ans"] else st + timedelta(seconds=c["setup"])
        dur = int((end - st).total_seconds()); bill = c["talk"] if c["ans"] else 0
        disp = "ANSWERED" if c["ans"] else "NO ANSWER"
        lines.append(f'"","{c["a"]}","{c["b"]}","from-sandpiper",{clid},"PJSIP/sandpiper-in-{seq:08x}","PJSIP/handset-{seq+1:08x}","Dial","{lastdata}","{loc(st)}",{answer},"{loc(end)}",{dur},{bill},"{disp}","DOCUMENTATION"')
        seq += 2
    # bad lines: unterminated quote, wrong field count
    lines.insert(5, '"","2025550111","31255501"x,"broken')
    lines.insert(9, 'garbage line with no commas')
    open(f"{out}/cdrs/Master.csv", "w").write("\n".join(lines) + "\n")

    # ---------- Sandpiper: Sansay VSX, Chicago local + minutes west, 25 s fast ----------
    lines = []
    for n, c in enumerate(calls):
        st = c["t"] - timedelta(milliseconds=600) + timedelta(seconds=SANSAY_SKEW)
        an = st + timedelta(seconds=c["setup"]); en = an + timedelta(seconds=c["talk"]) if c["ans"] else st + timedelta(seconds=c["setup"])
        def sl(d):
            return d.astimezone(CHI).strftime("%a %b %d %H:%M:%S %Y")
        mw = int(-st.astimezone(CHI).utcoffset().total_seconds() // 60)
        f = [""] * 59
        f[0] = "%09d" % (4100000 + n); f[1] = "V1.10"; f[2] = "R"; f[3] = "WithMedia"; f[4] = f"{n}-{int(st.timestamp())}@192.0.2.10"
        f[5] = "0001"; f[6] = sl(st); f[7] = sl(an) if c["ans"] else "NA"; f[8] = sl(en); f[9] = str(mw)
        f[10] = "EndedByRemoteUser" if c["ans"] else "NoAnswer"; f[11] = "16" if c["ans"] else "480"; f[12] = "T"
        f[13] = "000944"; f[14] = "SIP"; f[15] = "1" + c["a"]; f[16] = "198.51.100.20"; f[17] = "1" + c["b"]; f[18] = "192.0.2.10"
        f[19] = f"cid{n:04d}@198.51.100.20"
        for k in range(20, 32): f[k] = "0"
        f[24] = "PCMU"
        f[32] = "000733"; f[33] = "SIP"; f[34] = "1" + c["a"]; f[35] = "192.0.2.10"; f[36] = "1" + c["b"]; f[37] = "203.0.113.45"
        f[38] = f"term{n:04d}"
        for k in range(39, 51): f[k] = "0"
        f[43] = "PCMU"
        f[51] = "F"; f[52] = "1" + c["b"]; f[53] = str(c["talk"] if c["ans"] else 0); f[54] = "2"; f[55] = str(c["setup"]); f[56] = str((c["talk"] if c["ans"] else 0) * 1000)
        f[57] = "1A2B3C4D 5E6F7081 92A3B4C5 D6E7F809"; f[58] = "1" + c["a"]
        lines.append(";".join(f) + ";")
        if c.get("traced"):  # intermediate attempt on another route that failed first
            g = list(f); g[0] = "%09d" % (4200000 + n); g[51] = "I"; g[32] = "000812"; g[7] = "NA"; g[53] = "0"; g[10] = "Congestion"
            lines.insert(len(lines) - 1, ";".join(g) + ";")
    lines.insert(3, "004199999;V1.10;R;short;line")
    open(f"{out}/cdrs/sandpiper_vsx.cdr", "w").write("\n".join(lines) + "\n")

    # ---------- Kestrel: Kamailio acc syslog (answer time only) ----------
    lines = []
    for n, c in enumerate(calls):
        st = c["t"] - timedelta(seconds=1)
        an = st + timedelta(seconds=c["setup"])
        cid = f"k{n:05d}@198.51.100.77"
        if c["ans"]:
            hdr = an.strftime("%b %d %H:%M:%S")
            lines.append(f"{hdr} sip-edge-1 kamailio[2211]: NOTICE: acc: ACC: transaction answered: timestamp={int(an.timestamp())};method=INVITE;from_tag=ft{n};to_tag=tt{n};call_id={cid};code=200;reason=OK;src_user=+1{c['a']};src_domain=198.51.100.77;src_ip=198.51.100.77;dst_ouser=1{c['b']};dst_user=1{c['b']};dst_domain=203.0.113.45")
            en = an + timedelta(seconds=c["talk"])
            lines.append(f"{en.strftime('%b %d %H:%M:%S')} sip-edge-1 kamailio[2211]: NOTICE: acc: ACC: transaction answered: timestamp={int(en.timestamp())};method=BYE;from_tag=ft{n};to_tag=tt{n};call_id={cid};code=200;reason=OK;src_user=+1{c['a']};src_domain=198.51.100.77;src_ip=198.51.100.77;dst_ouser=1{c['b']};dst_user=1{c['b']};dst_domain=203.0.113.45")
        else:
            mt = st + timedelta(seconds=c["setup"])
            lines.append(f"{mt.strftime('%b %d %H:%M:%S')} sip-edge-1 kamailio[2211]: NOTICE: acc: ACC: call missed: timestamp={int(mt.timestamp())};method=INVITE;from_tag=ft{n};to_tag=;call_id={cid};code=486;reason=Busy;Here;src_user=+1{c['a']};src_domain=198.51.100.77;src_ip=198.51.100.77;dst_ouser=1{c['b']};dst_user=1{c['b']};dst_domain=203.0.113.45")
    lines.sort(key=lambda l: int(l.split("timestamp=")[1].split(";")[0]))
    lines.insert(4, "Mar 10 06:00:00 sip-edge-1 kamailio[2211]: NOTICE: acc: ACC: transaction answered: timestamp=notanumber;method=INVITE")
    lines.insert(7, "Mar 10 06:00:01 sip-edge-1 systemd[1]: Started Session 42 of user root.")
    open(f"{out}/cdrs/kestrel_acc.log", "w").write("\n".join(lines) + "\n")

    # ---------- Osprey: CUCM with 2 header lines; origDeviceName = customer trunk ----------
    names = ["cdrRecordType","globalCallID_callManagerId","globalCallID_callId","origLegCallIdentifier","dateTimeOrigination","origNodeId","origSpan","origIpAddr","callingPartyNumber","callingPartyUnicodeLoginUserID","origCause_location","origCause_value","origPrecedenceLevel","origMediaTransportAddress_IP","origMediaTransportAddress_Port","origMediaCap_payloadCapability","origMediaCap_maxFramesPerPacket","origMediaCap_g723BitRate","origVideoCap_Codec","origVideoCap_Bandwidth","origVideoCap_Resolution","origVideoTransportAddress_IP","origVideoTransportAddress_Port","origRSVPAudioStat","origRSVPVideoStat","destLegIdentifier","destNodeId","destSpan","destIpAddr","originalCalledPartyNumber","finalCalledPartyNumber","finalCalledPartyUnicodeLoginUserID","destCause_location","destCause_value","destPrecedenceLevel","destMediaTransportAddress_IP","destMediaTransportAddress_Port","destMediaCap_payloadCapability","destMediaCap_maxFramesPerPacket","destMediaCap_g723BitRate","destVideoCap_Codec","destVideoCap_Bandwidth","destVideoCap_Resolution","destVideoTransportAddress_IP","destVideoTransportAddress_Port","destRSVPAudioStat","destRSVPVideoStat","dateTimeConnect","dateTimeDisconnect","lastRedirectDn","pkid","originalCalledPartyNumberPartition","callingPartyNumberPartition","finalCalledPartyNumberPartition","lastRedirectDnPartition","duration","origDeviceName","destDeviceName"]
    assert len(names) == 58
    strcols = {"callingPartyNumber","callingPartyUnicodeLoginUserID","origRSVPAudioStat","origRSVPVideoStat","originalCalledPartyNumber","finalCalledPartyNumber","finalCalledPartyUnicodeLoginUserID","destRSVPAudioStat","destRSVPVideoStat","lastRedirectDn","pkid","originalCalledPartyNumberPartition","callingPartyNumberPartition","finalCalledPartyNumberPartition","lastRedirectDnPartition","origDeviceName","destDeviceName"}
    types = ["VARCHAR(50)" if n in strcols else "INTEGER" for n in names]
    def ipint(ip):
        return struct.unpack("<i", socket.inet_aton(ip))[0]
    rows = ['"' + '","'.join(names) + '"', '"' + '","'.join(types) + '"']
    for n, c in enumerate(calls):
        st = c["t"] - timedelta(seconds=2)
        con = st + timedelta(seconds=c["setup"]) if c["ans"] else None
        dis = (con + timedelta(seconds=c["talk"])) if c["ans"] else st + timedelta(seconds=c["setup"])
        dev = "SIPTRUNK-ACMELEADS" if c["a"] == CALLING else ("SIPTRUNK-DENTAL" if n % 2 else "SIPTRUNK-ACMELEADS")
        v = {k: "0" for k in names}
        for k in strcols: v[k] = '""'
        v.update(cdrRecordType="1", globalCallID_callManagerId="1", globalCallID_callId=str(204700 + n), origLegCallIdentifier=str(1000 + n),
                 dateTimeOrigination=str(int(st.timestamp())), origIpAddr=str(ipint("198.51.100.20")), destIpAddr=str(ipint("198.51.100.77")),
                 callingPartyNumber=f'"{c["a"]}"', originalCalledPartyNumber=f'"{c["b"]}"', finalCalledPartyNumber=f'"{c["b"]}"',
                 destCause_value="16" if c["ans"] else "19", dateTimeConnect=str(int(con.timestamp())) if con else "0",
                 dateTimeDisconnect=str(int(dis.timestamp())), duration=str(c["talk"] if c["ans"] else 0),
                 pkid=f'"5f0c{n:04d}-aaaa-bbbb-cccc-000000000000"', origDeviceName=f'"{dev}"', destDeviceName='"SIPTRUNK-KESTREL"')
        rows.append(",".join(v[k] for k in names))
    rows.insert(6, "1,1,999,garbage")
    open(f"{out}/cdrs/cdr_osprey_01_202403100800_1", "w").write("\n".join(rows) + "\n")

    fmt = lambda f: '"auto"' if auto else f'"{f}"'
    toml = f'''[case]
name = "Outsider DST four-format case"
default_country = "US"

[[providers]]
name = "Terminus Mobile"
[[providers]]
name = "Sandpiper Transit"
aliases = ["SPT"]
[[providers]]
name = "Kestrel Networks"
[[providers]]
name = "Osprey Voice"

[[sources]]
provider = "Terminus Mobile"
path = "cdrs/Master.csv"
format = {fmt("asterisk")}
timezone = "America/New_York"
[sources.upstreams]
"sandpiper-in" = "Sandpiper Transit"

[[sources]]
provider = "Sandpiper Transit"
path = "cdrs/sandpiper_vsx.cdr"
format = {fmt("sansay")}
timezone = "America/Chicago"
[sources.upstreams]
"000944" = "Kestrel Networks"

[[sources]]
provider = "Kestrel Networks"
path = "cdrs/kestrel_acc.log"
format = {fmt("kamailio")}
[sources.upstreams]
"198.51.100.77" = "Osprey Voice"

[[sources]]
provider = "Osprey Voice"
path = "cdrs/cdr_osprey_01_202403100800_1"
format = {fmt("cucm")}
[sources.customers]
"SIPTRUNK-ACMELEADS" = "Acme Solar Leads LLC"
"SIPTRUNK-DENTAL" = "Bright Dental"

[[tracebacks]]
path = "tracebacks.csv"
'''
    open(f"{out}/case.toml", "w").write(toml)
    tb = ["traceback_id,campaign,call_time,calling,called,hop,provider,upstream,status,notified_at,responded_at,notes"]
    hops = [("Terminus Mobile", "Sandpiper Transit", "upstream_identified"), ("Sandpiper Transit", "Kestrel Networks", "upstream_identified"),
            ("Kestrel Networks", "Osprey Voice", "upstream_identified"), ("Osprey Voice", "Acme Solar Leads LLC", "originator")]
    for i, (p, u, s) in enumerate(hops, 1):
        tb.append(f"TB-OUT-1,Solar leads,2024-03-10T03:30:10-04:00,+1{CALLING},+1{CALLED},{i},{p},{u},{s},2024-03-11T10:00:00Z,2024-03-11T12:00:00Z,")
    # traceback for the pre-DST call (01:30:10 EST)
    tb.append(f"TB-OUT-2,Solar leads,2024-03-10T01:30:10-05:00,+1{CALLING},+1{CALLED},1,Terminus Mobile,Sandpiper Transit,upstream_identified,,,")
    open(f"{out}/tracebacks.csv", "w").write("\n".join(tb) + "\n")



def wb(*args, cwd=None):
    """`workbench ARGS...`, run in process (tests/clirun.py)."""
    return run_cli(*args, cwd=cwd)


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    root = tmp_path_factory.mktemp("outsider_formats")
    os.environ.setdefault("WORKBENCH_CACHE_DIR", str(root / "cache"))
    build(str(root / "named"))
    build(str(root / "auto"), auto=True)
    return root


EXPECTED = [("Terminus Mobile", 41, "sandpiper-in", "Sandpiper Transit", None),
            ("Sandpiper Transit", 41, "000944", "Kestrel Networks", None),
            ("Kestrel Networks", 75, "198.51.100.77", "Osprey Voice", None),
            ("Osprey Voice", 42, "SIPTRUNK-ACMELEADS", None, "Acme Solar Leads LLC")]


def _trace(case, tb="TB-OUT-1"):
    r = wb("trace", case, "--traceback", tb, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("variant", ["named", "auto"])
def test_four_format_dst_chain(cases, variant):
    d = _trace(cases / variant)
    assert d["outcome"] == "origin"
    got = [(h["provider"], h["line"], h["ingress"], h["upstream"], h["customer"]) for h in d["hops"]]
    assert got == EXPECTED
    assert all(h["traceback_agrees"] for h in d["hops"])
    sansay = d["hops"][1]
    assert sansay["start"] == "2024-03-10T07:30:34Z" and sansay["skew_s"] == pytest.approx(26, abs=1.5)


def test_auto_traces_exactly_as_named(cases):
    a, n = _trace(cases / "auto"), _trace(cases / "named")
    assert a["hops"] == n["hops"] and a["skew"] == n["skew"]


def test_pre_dst_call_found_on_est_line(cases):
    d = _trace(cases / "named", "TB-OUT-2")
    assert d["hops"][0]["line"] == 26 and d["hops"][0]["start"] == "2024-03-10T06:30:10Z"


@pytest.mark.parametrize("fname,profile", [("Master.csv", "asterisk"), ("sandpiper_vsx.cdr", "sansay"),
                                           ("kestrel_acc.log", "kamailio"),
                                           ("cdr_osprey_01_202403100800_1", "cucm")])
def test_detect_picks_profile(cases, fname, profile):
    r = wb("detect", cases / "named" / "cdrs" / fname)
    assert r.returncode == 0, r.stderr
    assert f"chosen: {profile}" in r.stdout
    assert r.stdout.lstrip().startswith(profile)


def test_bad_lines_reported_not_fatal(cases):
    r = wb("info", cases / "named", "--json")
    assert r.returncode == 0, r.stderr
    srcs = {s["provider"]: s for s in json.loads(r.stdout)["sources"]}
    bad = {p: sorted(b["line"] for b in s["bad_lines"]) for p, s in srcs.items()}
    assert bad["Terminus Mobile"] == [6, 10]
    assert bad["Sandpiper Transit"] == [4]
    assert bad["Kestrel Networks"] == [5]
    assert bad["Osprey Voice"] == [7]
    assert srcs["Terminus Mobile"]["rows"] == 64 and srcs["Sandpiper Transit"]["rows"] == 65


@pytest.fixture(scope="module")
def packets(cases):
    out = {}
    for name, extra in (("plain", []), ("red", ["--redact", "consumer"])):
        p = cases / f"{name}.zip"
        r = wb("export", cases / "named", "--traceback", "TB-OUT-1", "--out", p, *extra)
        assert r.returncode == 0, r.stderr
        out[name] = p
    return out


def _rewrite(src, dst, change=None, add=None):
    z = zipfile.ZipFile(src)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as o:
        for info in z.infolist():
            data = z.read(info.filename)
            if info.filename == change:
                i = len(data) // 2
                data = data[:i] + bytes([data[i] ^ 1]) + data[i + 1:]
            o.writestr(info.filename, data)
        if add:
            o.writestr(*add)


def test_packets_verify_and_flips_are_named(packets, tmp_path):
    for p in packets.values():
        r = wb("verify", p)
        assert r.returncode == 0 and "valid" in r.stdout
    names = zipfile.ZipFile(packets["red"]).namelist()
    for suffix in ("data/workbook.xlsx", "data/excerpts/02-sandpiper-transit-sandpiper_vsx.cdr.txt",
                   "bag-info.txt", "tagmanifest-sha256.txt"):
        member = next(n for n in names if n.endswith(suffix))
        t = tmp_path / "t.zip"
        _rewrite(packets["red"], t, change=member)
        r = wb("verify", t)
        assert r.returncode == 1 and suffix in r.stdout + r.stderr, (suffix, r.stdout)


@pytest.mark.parametrize("evil", ["../evil", "red/data/../../evil", "/tmp/abs_evil"])
def test_zip_slip_refused(packets, tmp_path, evil):
    t = tmp_path / "slip.zip"
    _rewrite(packets["red"], t, add=(evil, b"pwned"))
    r = wb("verify", t, cwd=tmp_path)
    assert r.returncode == 1 and "refused" in r.stdout + r.stderr
    assert not (tmp_path.parent / "evil").exists()


def test_formula_strings_are_text_cells(cases, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    case = tmp_path / "inj"
    build(str(case))
    p = case / "cdrs" / "kestrel_acc.log"
    lines = p.read_text().split("\n")
    for i, l in enumerate(lines):
        if "call_id=k00038@" in l and "method=INVITE" in l:
            lines[i] = l.replace("call_id=k00038@198.51.100.77", 'call_id==HYPERLINK("http://evil.example","x")') \
                        .replace("dst_domain=203.0.113.45", "dst_domain=+cmd|' /C calc'!A0")
    p.write_text("\n".join(lines))
    p = case / "cdrs" / "sandpiper_vsx.cdr"
    lines = p.read_text().split("\n")
    for i, l in enumerate(lines):
        if l.startswith("004100038;"):
            f = l.split(";"); f[32] = "@SUM(1+1)"; lines[i] = ";".join(f)
    p.write_text("\n".join(lines))
    out = tmp_path / "inj.zip"
    r = wb("export", case, "--traceback", "TB-OUT-1", "--out", out)
    assert r.returncode == 0, r.stderr
    z = zipfile.ZipFile(out)
    book = openpyxl.load_workbook(io.BytesIO(z.read(next(n for n in z.namelist() if n.endswith("workbook.xlsx")))))
    seen = set()
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str) and c.value[:1] in "=+@":
                    assert c.data_type == "s"
                    seen.add(c.value[:4])
    assert {"=HYP", "+cmd", "@SUM"} <= seen


def _all_text(zpath):
    """Every member's bytes, with the workbook's XML parts unpacked (latin-1 text)."""
    z = zipfile.ZipFile(zpath)
    for n in z.namelist():
        data = z.read(n)
        yield n, data.decode("latin-1")
        if n.endswith(".xlsx"):
            inner = zipfile.ZipFile(io.BytesIO(data))
            for m in inner.namelist():
                yield f"{n}!{m}", inner.read(m).decode("latin-1")



def test_consumer_packet_has_no_called_number(packets):
    import re
    hits = []
    for n, text in _all_text(packets["red"]):
        for m in re.finditer(r"3125550[01]\d\d", text):
            hits.append((n, m.group(0)))
    assert hits == []



def test_headerless_excerpt_has_no_header_line(packets):
    z = zipfile.ZipFile(packets["plain"])
    n = next(n for n in z.namelist() if n.endswith("02-sandpiper-transit-sandpiper_vsx.cdr.txt"))
    body = [l for l in z.read(n).decode().splitlines() if not l.startswith("#")]
    assert [l.split("\t")[:2] for l in body] == [["40", "alternative"], ["41", "MATCHED"]]
