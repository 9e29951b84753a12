"""Outsider cases: built by hand from carrier-style exports, run through the CLI contract.

Self-contained: every case is simulated here (calls crossing five providers, each provider
writing its own export style: thinQ CSV, VoIP Innovations semicolon, Vitelity, XLSX,
CGRateS / plain UTC CSV), then the `workbench` command line is run on it (in process, through
tests/clirun.py: same arguments, stdout, stderr and exit status) and its JSON checked.

Every test here is expected to pass. The scenarios under "failures found, now fixed" were
strict xfails until the fixes of commit 1ab415c; each docstring says what used to go wrong.
There are no known failures (no xfail) in this file.

All CLI runs happen once, in one module fixture (`R`), and the tests read their results.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.clirun import run_cli

UTC = dt.timezone.utc

# ----------------------------------------------------------------------------------------------
# simulation


@dataclass
class Rec:
    invite: dt.datetime
    answer: dt.datetime | None
    end: dt.datetime
    calling: str
    called: str
    ingress: str
    egress: str
    call_id: str
    tag: str = ""


@dataclass
class Prov:
    name: str
    style: str
    path: str
    zone_actual: str = "UTC"
    zone_declared: str | None = None
    clock_s: float = 0.0
    answer_basis: bool = False
    dur_with_ring: bool = False
    columns: dict = field(default_factory=dict)
    upstreams: dict = field(default_factory=dict)
    customers: dict = field(default_factory=dict)
    in_trunk_from: dict = field(default_factory=dict)
    records: list = field(default_factory=list)
    include: bool = True


def _utc(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(UTC)


def _rand_number(rng: random.Random) -> str:
    while True:
        npa, nxx = rng.randint(201, 989), rng.randint(201, 999)
        if npa % 100 == 11 or (npa // 10) % 10 == 9 or nxx % 100 == 11 or nxx == 555:
            continue
        return f"+1{npa}{nxx}{rng.randint(0, 9999):04d}"


def _fmt_number(e164: str, form: str) -> str:
    d = e164[2:]
    return {
        "e164": e164, "nat11": "1" + d, "nat10": d,
        "paren": f"({d[:3]}) {d[3:6]}-{d[6:]}", "dots": f"{d[:3]}.{d[3:6]}.{d[6:]}",
        "dash1": f"1-{d[:3]}-{d[3:6]}-{d[6:]}",
        "sip": f"sip:{e164}@198.51.100.7;user=phone",
        "sipname": f'"ACME AUTO" <sip:{e164};verstat=TN-Validation-Passed@198.51.100.7;user=phone>',
        "tel": f"tel:+1-{d[:3]}-{d[3:6]}-{d[6:]};verstat=No-TN-Validation",
        "sipnat": f"<sip:1{d}@10.0.0.9>",
    }[form]


class World:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.provs: dict[str, Prov] = {}
        self.n = 0

    def add(self, p: Prov) -> None:
        self.provs[p.name] = p

    def call(self, path, t0, calling, called, *, ring, talk, entry, tag=""):
        """A call entering path[0] through `entry` and crossing path in order."""
        self.n += 1
        answer = t0 + dt.timedelta(seconds=ring) if talk > 0 else None
        end = answer + dt.timedelta(seconds=talk) if answer else t0 + dt.timedelta(seconds=ring)
        for k, name in enumerate(path):
            p = self.provs[name]
            ing = entry if k == 0 else p.in_trunk_from[path[k - 1]]
            eg = self.provs[path[k + 1]].in_trunk_from.get(name, "X") if k + 1 < len(path) \
                else "EGR-LOCAL"
            inv = t0 + dt.timedelta(seconds=0.25 * k + self.rng.uniform(0, 0.1))
            p.records.append(Rec(inv, answer, end, calling, called, ing, eg,
                                 f"{self.n:08x}{k}@{name[:3].lower()}", tag))


def _wall(p: Prov, t: dt.datetime) -> dt.datetime:
    t = t + dt.timedelta(seconds=p.clock_s)
    return t.astimezone(ZoneInfo(p.zone_actual)).replace(tzinfo=None)


def _start(p: Prov, r: Rec) -> dt.datetime:
    return (r.answer or r.invite) if p.answer_basis else r.invite


def _dur(p: Prov, r: Rec) -> int:
    if r.answer is None:
        return 0
    base = r.invite if p.dur_with_ring else r.answer
    return int(round((r.end - base).total_seconds()))


def _rfc3339(t: dt.datetime) -> str:
    t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}"[:3] + "Z"


def _vi_time(w: dt.datetime) -> str:
    h = w.hour % 12 or 12
    return f"{w.month}/{w.day}/{w.year} {h}:{w.minute:02d}:{w.second:02d} " \
           f"{'AM' if w.hour < 12 else 'PM'}"


def _write_csv(out: Path, hdr, rows, delim) -> dict[str, int]:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim, lineterminator="\r\n")
    w.writerow(hdr)
    lines = {}
    for i, (row, tag) in enumerate(rows, start=2):
        w.writerow(row)
        if tag:
            lines[tag] = i
    out.write_bytes(buf.getvalue().encode("utf-8"))
    return lines


def _write_provider(case: Path, p: Prov, rng: random.Random, fc, fd) -> dict[str, int]:
    """Write one provider's export; returns {tag: physical line (or sheet row)}."""
    out = case / p.path
    out.parent.mkdir(parents=True, exist_ok=True)
    recs = sorted(p.records, key=lambda r: _start(p, r))
    nums = [(_fmt_number(r.calling, rng.choice(fc)), _fmt_number(r.called, rng.choice(fd)))
            for r in recs]
    rows = []
    if p.style == "thinq":  # thinQ customer CDR download
        hdr = ["date", "time", "carrier_id", "from_ani", "from_lrn", "from_lata", "from_ocn",
               "from_state", "from_rc", "to_did", "thing_tier", "callid", "account_id",
               "tf_profile", "dest_type", "dest", "rate", "billsec", "total_charge"]
        for r, (a, b) in zip(recs, nums):
            w = _wall(p, _start(p, r))
            rows.append(([w.strftime("%Y-%m-%d"), w.strftime("%H:%M:%S"), "2401", a, a, "358",
                          "6214", "IL", "CHICAGO", b, "1", r.call_id, r.ingress, "std", "US48",
                          "USA", "0.0042", str(_dur(p, r)), "0.0031"], r.tag))
        return _write_csv(out, hdr, rows, ",")
    if p.style == "vi":  # VoIP Innovations, semicolon separated
        hdr = ["CallType", "StartTime", "StopTime", "CallDuration", "BillDuration",
               "CallMinimum", "CallIncrement", "BasePrice", "CallPrice", "TransactionId",
               "CustomerIP", "ANI", "ANIState", "DNIS", "LRN", "DNISState", "DNISLATA",
               "DNISOCN", "OrigTier", "TermRateDeck"]
        for i, (r, (a, b)) in enumerate(zip(recs, nums)):
            d = _dur(p, r)
            rows.append((["LD", _vi_time(_wall(p, _start(p, r))), _vi_time(_wall(p, r.end)),
                          str(d), str(-(-d // 6) * 6), "6", "6", "0.0050", "0.0061",
                          str(880000000 + i), r.ingress, a, "IL", b, b, "IL", "358", "6214",
                          "INTERSTATE", "DECK-A"], r.tag))
        return _write_csv(out, hdr, rows, ";")
    if p.style == "vitelity":  # Vitelity, plus the carrier's trunk column
        hdr = ["date", "src", "dst", "duration", "clid", "disposition", "price", "peer_in"]
        for r, (a, b) in zip(recs, nums):
            d = _dur(p, r)
            rows.append(([_wall(p, _start(p, r)).strftime("%Y-%m-%d %H:%M:%S"), a, b, str(d),
                          f'"Caller" <{r.calling[2:]}>', "ANSWERED" if d else "NO ANSWER",
                          "0.0090", r.ingress], r.tag))
        return _write_csv(out, hdr, rows, ",")
    if p.style == "cgrates":  # CGRateS cdrs: RFC 3339 UTC, usage in nanoseconds
        hdr = ["cgrid", "run_id", "origin_host", "source", "origin_id", "tor", "request_type",
               "tenant", "category", "account", "subject", "destination", "setup_time", "pdd",
               "answer_time", "usage", "supplier", "disconnect_cause", "cost"]
        for i, (r, (a, b)) in enumerate(zip(recs, nums)):
            sh = dt.timedelta(seconds=p.clock_s)
            rows.append(([f"{i:040x}", "*default", "10.9.0.1", "*sessions", r.call_id,
                          "*voice", "*postpaid", "cedar.example", "call", r.ingress, a, b,
                          _rfc3339(_start(p, r) + sh), "0s",
                          _rfc3339(r.answer + sh) if r.answer else "0001-01-01T00:00:00Z",
                          str(_dur(p, r) * 1_000_000_000), "SUPPL1", "NORMAL_CLEARING",
                          "0.01"], r.tag))
        return _write_csv(out, hdr, rows, ",")
    if p.style == "plain":  # a plain UTC export with common header names
        hdr = ["start_time", "calling_number", "called_number", "trunk_in", "trunk_out",
               "duration"]
        for r, (a, b) in zip(recs, nums):
            rows.append(([_rfc3339(_start(p, r) + dt.timedelta(seconds=p.clock_s)), a, b,
                          r.ingress, r.egress, str(_dur(p, r))], r.tag))
        return _write_csv(out, hdr, rows, ",")
    if p.style == "xlsx":  # date cells in local time, trunk ids as text cells
        import openpyxl
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "CDR Export"
        ws.append(["Start Time", "Calling Number", "Called Number", "Duration",
                   "Ingress Trunk Group", "Egress Trunk Group", "Disposition", "Attestation"])
        lines = {}
        for r, (a, b) in zip(recs, nums):
            d = _dur(p, r)
            ws.append([_wall(p, _start(p, r)).replace(microsecond=0), a, b, d, r.ingress,
                       r.egress, "ANSWERED" if d else "NO ANSWER", "A"])
            c = ws.cell(row=ws.max_row, column=5)
            c.number_format = "@"
            c.value = str(r.ingress)
            if r.tag:
                lines[r.tag] = ws.max_row
        wb.save(out)
        return lines
    raise ValueError(p.style)


CALLING, CALLED = "+13125550143", "+17735550188"
ORDER = ["Cedar Voice", "Harbor Gateway", "Prism Carrier", "Granite Transit", "Lakeview Mobile"]
OTHER_IN = {"Cedar Voice": "ACC-0077", "Harbor Gateway": "000412", "Prism Carrier": "BAYOU-1",
            "Granite Transit": "198.51.100.99", "Lakeview Mobile": "BLX-02"}
FORMS = {
    "Lakeview Mobile": (["nat11", "nat10"], ["nat11", "nat10"]),
    "Granite Transit": (["paren", "nat10", "dots"], ["dots", "nat10"]),
    "Prism Carrier": (["sip", "sipname", "nat11"], ["nat11", "tel"]),
    "Harbor Gateway": (["sipname", "e164", "tel"], ["e164", "sipnat"]),
    "Cedar Voice": (["nat11", "e164", "dash1"], ["nat11", "e164"]),
}
TB_HEADER = ["traceback_id", "campaign", "call_time", "calling", "called", "hop", "provider",
             "upstream", "status", "notified_at", "responded_at", "notes"]


def build_case(case: Path, *, seed=3, granite_clock=150.0, prism_declared="America/Chicago",
               harbor_answer=True, prism_dur_ring=False, background=500, shared=True,
               spray=True, bare=False, cedar_style="plain", t_target="2026-03-08T07:58:40Z",
               lake_zone="America/Chicago", lake_clock=0.0, target_talk=41.0,
               target_ring=13.0, drop=(), remove_target=(), upstreams=None) -> dict:
    """Chain Cedar Voice (origin, customer ACC-0042) -> Harbor Gateway (XLSX, Denver local,
    logs answer time) -> Prism Carrier (Vitelity; writes New York wall time but case.toml says
    Chicago: 1 h off) -> Granite Transit (VoIP Innovations, New York local, clock +150 s) ->
    Lakeview Mobile (thinQ, Chicago local, terminating). The target call is at `t_target` on
    Lakeview's clock. Returns {provider: line of the target call}."""
    if case.exists():
        shutil.rmtree(case)
    case.mkdir(parents=True)
    w = World(seed)
    w.add(Prov("Cedar Voice", cedar_style, "exports/cedar_cdrs.csv",
               columns={"start": "setup_time", "calling": "subject", "called": "destination",
                        "ingress": "account"} if cedar_style == "cgrates" else {},
               customers={"ACC-0042": "Acme Warranty Services LLC",
                          "ACC-0077": "Sunny Solar Leads Inc"}))
    w.add(Prov("Harbor Gateway", "xlsx", "exports/harbor_gateway.xlsx",
               zone_actual="America/Denver", answer_basis=harbor_answer,
               upstreams={"000307": "Cedar Voice", "000412": "Orchid Telecom"},
               in_trunk_from={"Cedar Voice": "000307"}))
    w.add(Prov("Prism Carrier", "vitelity", "exports/prism_vitelity.csv",
               zone_actual="America/New_York", zone_declared=prism_declared,
               dur_with_ring=prism_dur_ring,
               upstreams={"HGW-TRUNK-7": "Harbor Gateway", "BAYOU-1": "Bayou Telecom"},
               in_trunk_from={"Harbor Gateway": "HGW-TRUNK-7"}))
    w.add(Prov("Granite Transit", "vi", "exports/granite_vi.txt",
               zone_actual="America/New_York", clock_s=granite_clock,
               columns={"ingress": "CustomerIP"},
               upstreams={"198.51.100.23": "Prism Carrier", "198.51.100.99": "Quartz Networks"},
               in_trunk_from={"Prism Carrier": "198.51.100.23"}))
    w.add(Prov("Lakeview Mobile", "thinq", "exports/lakeview_thinq.csv", zone_actual=lake_zone,
               clock_s=lake_clock,
               upstreams={"GRN-4410": "Granite Transit", "BLX-02": "Bluefin Exchange"},
               in_trunk_from={"Granite Transit": "GRN-4410"}))
    rng = w.rng
    T = _utc(t_target) - dt.timedelta(seconds=lake_clock)
    for _ in range(background):
        t0 = T + dt.timedelta(seconds=rng.uniform(-3 * 3600, 3 * 3600))
        i = rng.randint(0, 4)
        j = rng.randint(i, 4) if shared else i
        entry = OTHER_IN[ORDER[i]] if i > 0 or rng.random() < 0.5 else "ACC-0042"
        talk = rng.uniform(5, 300) if rng.random() < 0.8 else 0
        w.call(ORDER[i:j + 1], t0, _rand_number(rng), _rand_number(rng),
               ring=rng.uniform(3, 15), talk=talk, entry=entry)
    t0 = T - dt.timedelta(seconds=1.0)
    w.call(ORDER, t0, CALLING, CALLED, ring=target_ring, talk=target_talk, entry="ACC-0042",
           tag="target")
    if not bare:
        if not shared:  # one call crossing each hand-off
            for k in range(4):
                w.call(ORDER[k:k + 2], T + dt.timedelta(seconds=rng.uniform(-9000, 9000)),
                       _rand_number(rng), _rand_number(rng), ring=5, talk=60,
                       entry=OTHER_IN[ORDER[k]] if k else "ACC-0077")
        # other ANIs to the same called number within a minute
        w.call(ORDER, t0 - dt.timedelta(seconds=25), "+13125550144", CALLED, ring=6, talk=40,
               entry="ACC-0042")
        w.call(ORDER[2:], t0 + dt.timedelta(seconds=12), "+16305550111", CALLED, ring=6,
               talk=40, entry="BAYOU-1")
        w.call(ORDER[3:], t0 + dt.timedelta(seconds=44), "+14155550100", CALLED, ring=6,
               talk=41, entry="198.51.100.99")
        # the same ANI to many numbers in one second
        for k in range(15 if spray else 0):
            w.call(ORDER, t0 + dt.timedelta(seconds=0.05 * k), CALLING, _rand_number(rng),
                   ring=5, talk=rng.uniform(5, 60), entry="ACC-0042")
        # a retry 30 s later, short
        w.call(ORDER, t0 + dt.timedelta(seconds=30), CALLING, CALLED, ring=4, talk=3,
               entry="ACC-0042", tag="retry")
    for n in remove_target:
        w.provs[n].records = [r for r in w.provs[n].records if r.tag != "target"]
    for n, table in (upstreams or {}).items():
        w.provs[n].upstreams = table
    wrng = random.Random(seed + 1)
    lines = {}
    for p in w.provs.values():
        if p.name in drop:
            p.include = False
            continue
        lines[p.name] = _write_provider(case, p, wrng, *FORMS[p.name]).get("target")
    tb = [["TB-OUT-0001", "Auto warranty", t_target, "(312) 555-0143", "773-555-0188", *row]
          for row in (
              ["1", "Lakeview Mobile", "Granite Transit", "upstream_identified",
               "2026-03-09T14:00:00Z", "2026-03-09T16:10:00Z", ""],
              ["2", "Granite Transit", "Prism", "upstream_identified",
               "2026-03-09T16:20:00Z", "2026-03-10T09:00:00Z", "alias used"],
              ["3", "Prism Carrier", "Bayou Telecom", "upstream_identified",
               "2026-03-10T09:30:00Z", "2026-03-11T08:00:00Z", "contradicts its CDRs"],
              ["4", "Harbor Gateway", "", "no_response", "2026-03-11T08:30:00Z", "", ""])]
    with open(case / "tracebacks.csv", "w", newline="", encoding="utf-8") as fh:
        cw = csv.writer(fh)
        cw.writerow(TB_HEADER)
        cw.writerows(tb)
    _write_toml(case, w)
    return lines


def _q(s: str) -> str:
    return json.dumps(s)


def _write_toml(case: Path, w: World) -> None:
    out = ["[case]", "# built by tests/test_outsider_cases.py", 'name = "Outsider: auto warranty"', 'default_country = "US"', "",
           "[[providers]]", 'name = "Prism Carrier"', 'aliases = ["Prism", "PRSM"]', "",
           "[[providers]]", 'name = "Granite Transit"', 'aliases = ["GRT"]', ""]
    for p in w.provs.values():
        if not p.include:
            continue
        out += ["[[sources]]", f"provider = {_q(p.name)}", f"path = {_q(p.path)}",
                'format = "generic"', f"timezone = {_q(p.zone_declared or p.zone_actual)}"]
        for table, d in (("columns", p.columns), ("upstreams", p.upstreams),
                         ("customers", p.customers)):
            if d:
                out.append(f"[sources.{table}]")
                out += [f"{_q(k)} = {_q(v)}" for k, v in d.items()]
        out.append("")
    out += ["[[tracebacks]]", 'path = "tracebacks.csv"', ""]
    (case / "case.toml").write_text("\n".join(out), encoding="utf-8")


def _small_case(case: Path, mode: str = "ok") -> None:
    """Two providers, 60 calls; variants hold one kind of bad input each."""
    if case.exists():
        shutil.rmtree(case)
    case.mkdir(parents=True)
    toml = ('[case]\nname = "small"\ndefault_country = "US"\n\n'
            '[[sources]]\nprovider = "Term Co"\npath = "term.csv"\nformat = "generic"\n'
            'timezone = "America/Chicago"\n[sources.upstreams]\n"ORIG-1" = "Orig Co"\n\n'
            '[[sources]]\nprovider = "Orig Co"\npath = "orig.csv"\nformat = "generic"\n'
            'timezone = "UTC"\n[sources.customers]\n"C-1" = "Bad Actor LLC"\n')
    term = ["Call Date,Caller,Dialed,Trunk In,Secs"]
    orig = ["start_time,ani,dnis,account,duration"]
    base = dt.datetime(2026, 3, 7, 12, 0, 0)
    for i in range(60):
        t = base + dt.timedelta(minutes=i)
        a, b = f"1312555{1000 + i:04d}", f"1773555{2000 + i:04d}"
        term.append(f"{(t - dt.timedelta(hours=6)).strftime('%m/%d/%Y %H:%M:%S')},{a},{b},"
                    "ORIG-1,30")
        orig.append(f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')},+{a},+{b},C-1,30")
    enc, bom = "utf-8", b""
    if mode == "missing_called":
        term = [",".join(x.split(",")[:2] + x.split(",")[3:]) for x in term]
    elif mode == "typo_key":
        toml = toml.replace('timezone = "America/Chicago"',
                            'timezone = "America/Chicago"\ndate_ordr = "MDY"')
    elif mode == "typo_table":
        toml = toml.replace("[sources.upstreams]", "[sources.upstream]", 1)
    elif mode == "bad_zone":
        toml = toml.replace("America/Chicago", "America/Chicgo")
    elif mode == "bad_mapping":
        toml = toml.replace('[sources.upstreams]\n"ORIG-1"',
                            '[sources.columns]\ncalled = "Dialled Number"\n'
                            '[sources.upstreams]\n"ORIG-1"', 1)
    elif mode == "bad_dates":
        for k, bad in ((5, "32/13/2026 99:00:00"), (17, "yesterday"), (33, "02/30/2026 10:00:00")):
            p = term[k].split(",")
            p[0] = bad
            term[k] = ",".join(p)
        term[40] += ",extra,fields"
    elif mode == "bom":
        bom = b"\xef\xbb\xbf"
    elif mode == "utf16":
        term, enc = [x.replace(",", "\t") for x in term], "utf-16"
    elif mode == "latin1":
        term[0] += ",Nom Appelant"
        term[1:] = [x + ",Société Générale Télécom" for x in term[1:]]
        p = term[7].split(",")
        p[3] = "MONTRÉAL-01"
        term[7] = ",".join(p)
        toml = toml.replace('"ORIG-1" = "Orig Co"',
                            '"ORIG-1" = "Orig Co"\n"MONTRÉAL-01" = "Québec Transit"')
        enc = "latin-1"
    if mode == "empty":
        (case / "term.csv").write_bytes(b"")
    elif mode == "header_only":
        (case / "term.csv").write_bytes((term[0] + "\r\n").encode())
    else:
        (case / "term.csv").write_bytes(bom + ("\r\n".join(term) + "\r\n").encode(enc))
    (case / "orig.csv").write_bytes(("\r\n".join(orig) + "\r\n").encode())
    (case / "case.toml").write_text(toml, encoding="utf-8")


# ----------------------------------------------------------------------------------------------
# running the CLI


@dataclass
class Run:
    args: list
    rc: int
    out: str
    err: str

    @property
    def json(self) -> dict:
        return json.loads(self.out)

    def hop(self, provider: str) -> dict:
        return next(h for h in self.json["hops"] if h["provider"] == provider)

    def chain(self) -> list[str]:
        return [h["provider"] for h in self.json["hops"]]


def _cli(args: list, cache: Path) -> Run:
    r = run_cli(*args, cache=cache)
    return Run(list(args), r.returncode, r.stdout, r.stderr)


AT = "2026-03-08T07:58:40Z"
CALL = ["--calling", "(312) 555-0143", "--called", "773.555.0188", "--at", AT, "--json"]
CHAIN = ["Lakeview Mobile", "Granite Transit", "Prism Carrier", "Harbor Gateway", "Cedar Voice"]


def _stale_sequence(case: Path, cache: Path) -> dict:
    """Trace with the ingress of Lakeview mapped to the wrong column, fix case.toml, trace
    again on the warm cache; also trace the fixed case on a cold cache."""
    toml = case / "case.toml"
    good = toml.read_text()
    bad = good.replace('path = "exports/lakeview_thinq.csv"\nformat = "generic"\n'
                       'timezone = "America/Chicago"\n',
                       'path = "exports/lakeview_thinq.csv"\nformat = "generic"\n'
                       'timezone = "America/Chicago"\n[sources.columns]\ningress = "carrier_id"\n')
    assert bad != good
    toml.write_text(bad)
    before = _cli(["trace", case, *CALL], cache)
    toml.write_text(good)
    warm = _cli(["trace", case, *CALL], cache)
    cold = _cli(["trace", case, *CALL], cache.parent / "cold-cache")
    return {"before": before, "warm": warm, "cold": cold}


@pytest.fixture(scope="module")
def R(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("outsider")
    cache = base / "cache"
    cases: dict[str, Path] = {}
    truth: dict[str, dict] = {}

    def mk(name, **kw):
        cases[name] = base / name
        truth[name] = build_case(cases[name], **kw)

    mk("main")
    mk("cgrates", cedar_style="cgrates")
    mk("ring", prism_dur_ring=True, target_talk=20, target_ring=15)
    mk("little_shared", shared=False)
    mk("bare_zone_clock", shared=False, spray=False, bare=True)
    mk("nov_second", t_target="2026-11-01T07:20:40Z")
    mk("term_clock", lake_clock=150, granite_clock=0, t_target="2026-03-08T08:01:10Z")
    mk("no_records", drop=("Cedar Voice",))
    mk("not_found", remove_target=("Cedar Voice",))
    mk("unmapped", upstreams={"Harbor Gateway": {"000412": "Orchid Telecom"}})
    mk("unmapped_term", upstreams={"Lakeview Mobile": {"BLX-02": "Bluefin Exchange"}})
    mk("loop", upstreams={"Harbor Gateway": {"000307": "Granite Transit"}})
    mk("no_ingress")
    t = (cases["no_ingress"] / "case.toml").read_text()
    assert '[sources.columns]\n"ingress" = "CustomerIP"\n' in t
    (cases["no_ingress"] / "case.toml").write_text(
        t.replace('[sources.columns]\n"ingress" = "CustomerIP"\n', ""))
    mk("stale")
    mk("tb_files")
    _traceback_files(cases["tb_files"])
    for mode in ("missing_called", "typo_key", "typo_table", "bad_zone", "bad_mapping",
                 "empty", "bad_dates", "bom", "utf16", "latin1"):
        cases[mode] = base / mode
        _small_case(cases[mode], mode)

    jobs = {
        "main": (["trace", cases["main"], *CALL], cache),
        "main_tb": (["trace", cases["main"], "--traceback", "TB-OUT-0001", "--json"], cache),
        "main_sip": (["trace", cases["main"] / "case.toml", "--calling",
                      '"ACME" <sip:+13125550143;verstat=TN-Validation-Passed@192.0.2.1>',
                      "--called", "tel:+1-773-555-0188", "--at",
                      "2026-03-08T01:58:40-06:00", "--json"], cache),
        "main_naive_at": (["trace", cases["main"], "--calling", "3125550143", "--called",
                           "7735550188", "--at", "2026-03-08T01:58:40", "--json"], cache),
        "main_bad_at": (["trace", cases["main"], "--calling", "3125550143", "--called",
                         "7735550188", "--at", "yesterday", "--json"], cache),
        "cgrates": (["trace", cases["cgrates"], *CALL], cache),
        "ring": (["trace", cases["ring"], *CALL], cache),
        "little_shared": (["trace", cases["little_shared"], *CALL], cache),
        "bare_zone_clock": (["trace", cases["bare_zone_clock"], *CALL], cache),
        "nov_second": (["trace", cases["nov_second"], "--calling", "3125550143", "--called",
                        "17735550188", "--at", "2026-11-01T01:20:40-06:00", "--json"], cache),
        "term_clock": (["trace", cases["term_clock"], "--calling", "13125550143", "--called",
                        "+17735550188", "--at", "2026-03-08T08:01:10Z", "--json"], cache),
        "no_records": (["trace", cases["no_records"], *CALL], cache),
        "not_found": (["trace", cases["not_found"], *CALL], cache),
        "unmapped": (["trace", cases["unmapped"], *CALL], cache),
        "unmapped_term": (["trace", cases["unmapped_term"], "--calling", "3125550143",
                           "--called", "7735550188", "--at", "2026-03-08T07:58:43Z", "--json"],
                          cache),
        "loop": (["trace", cases["loop"], *CALL], cache),
        "no_ingress": (["trace", cases["no_ingress"], *CALL], base / "private-cache"),
        "tb_xlsx": (["trace", cases["tb_files"], "--traceback", "TB-X-77", "--json"], cache),
        "tb_json": (["trace", cases["tb_files"], "--traceback", "TB-J-1", "--json"], cache),
        "latin1": (["trace", cases["latin1"], "--calling", "13125551006", "--called",
                    "17735552006", "--at", "2026-03-07T12:06:00Z", "--json"], cache),
    }
    for mode in ("missing_called", "typo_key", "typo_table", "bad_zone", "bad_mapping",
                 "empty", "bad_dates", "bom", "utf16", "latin1"):
        jobs[f"info_{mode}"] = (["info", cases[mode], "--json"], cache)
    out = {k: _cli(a, c) for k, (a, c) in jobs.items()}
    out["stale"] = _stale_sequence(cases["stale"], base / "stale-cache")
    out["_truth"] = truth
    out["_cases"] = cases
    return out


def _traceback_files(case: Path) -> None:
    """The same traceback as XLSX (date cells, mixed-case headers, an extra column) and JSON."""
    import openpyxl
    rows = [(1, "Lakeview Mobile", "GRT", "upstream_identified"),
            (2, "Granite Transit", "Prism Carrier", "upstream_identified"),
            (3, "PRSM", "Harbor Gateway", "upstream_identified"),
            (4, "Harbor Gateway", "Orchid Telecom", "upstream_identified"),
            (5, "Cedar Voice", "", "originator")]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Traceback_ID", "Campaign", "Call_Time", "Calling", "Called", "Hop", "Provider",
               "Upstream", "Status", "Notified_At", "Responded_At", "Notes", "Analyst"])
    for h, p, u, s in rows:
        ws.append(["TB-X-77", "Warranty", dt.datetime(2026, 3, 8, 7, 58, 40), "3125550143",
                   "+1 773 555 0188", h, p, u, s, dt.datetime(2026, 3, 9, 10, 0), None, None,
                   "jd"])
    wb.save(case / "tb.xlsx")
    js = {"tracebacks": [{"traceback_id": "TB-J-1", "call_time": "2026-03-08T01:58:40-06:00",
                          "calling": "tel:+13125550143", "called": "7735550188", "hop": h,
                          "provider": p, "upstream": u or None, "status": s}
                         for h, p, u, s in rows]}
    (case / "tb.json").write_text(json.dumps(js))
    with open(case / "case.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[tracebacks]]\npath = "tb.xlsx"\n\n[[tracebacks]]\npath = "tb.json"\n')


def _ok(run: Run) -> dict:
    assert run.rc == 0, f"exit {run.rc}: {run.err[-800:]}"
    return run.json


def _one_line_error(run: Run, *needles: str) -> str:
    assert run.rc == 2, f"exit {run.rc}: {run.err[-800:]}"
    lines = [ln for ln in run.err.splitlines() if ln.strip()]
    assert len(lines) == 1, run.err
    assert "Traceback" not in run.err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


# ----------------------------------------------------------------------------------------------
# scenarios that pass (regressions)


def test_main_chain_origin_through_five_export_styles(R):
    """DST change, a clock +150 s, a file declared 1 h off, an answer-time switch, decoys."""
    d = _ok(R["main"])
    assert d["call"] == {"calling": CALLING, "called": CALLED, "at": AT}
    assert d["outcome"] == "origin"
    assert d["origin"] == {"provider": "Cedar Voice", "customer": "Acme Warranty Services LLC"}
    assert R["main"].chain() == CHAIN
    truth = R["_truth"]["main"]
    for h in d["hops"]:
        assert h["found"] is True
        assert h["line"] == truth[h["provider"]], h
        for key in ("upstream", "customer", "ingress", "start", "offset_s", "confidence",
                    "alternatives", "source"):
            assert key in h
        assert 0 <= h["confidence"] <= 1
        assert abs(h["offset_s"]) < 20
    assert d["hops"][0]["start"] == AT
    assert R["main"].hop("Harbor Gateway")["ingress"] == "000307"  # XLSX text cell
    assert R["main"].hop("Harbor Gateway")["upstream"] == "Cedar Voice"
    assert R["main"].hop("Cedar Voice")["customer"] == "Acme Warranty Services LLC"
    for p in CHAIN:
        assert p in d["skew"] and "offset_s" in d["skew"][p] and d["skew"][p]["calls"] > 50
    sk = {p: d["skew"][p]["offset_s"] for p in CHAIN}
    # relative offsets are right: Granite 150 s ahead of Lakeview, Prism a whole hour
    assert abs((sk["Granite Transit"] - sk["Lakeview Mobile"]) - 150) < 5
    assert abs((sk["Prism Carrier"] - sk["Lakeview Mobile"]) - 3600) < 5


def test_same_call_from_uri_forms_and_local_offset(R):
    d = _ok(R["main_sip"])
    assert d["call"] == {"calling": CALLING, "called": CALLED, "at": AT}
    assert d["outcome"] == "origin" and R["main_sip"].chain() == CHAIN


def test_traceback_contradicting_its_cdrs(R):
    d = _ok(R["main_tb"])
    assert d["outcome"] == "origin" and R["main_tb"].chain() == CHAIN
    r = R["main_tb"]
    assert r.hop("Lakeview Mobile")["traceback_agrees"] is True
    assert r.hop("Granite Transit")["traceback_agrees"] is True  # alias "Prism"
    prism = r.hop("Prism Carrier")
    assert prism["traceback_agrees"] is False
    assert "Bayou" in json.dumps(prism) and "Harbor Gateway" in json.dumps(prism)
    assert r.hop("Harbor Gateway")["traceback_agrees"] is None  # no upstream stated


def test_traceback_records_from_xlsx_and_json(R):
    for key in ("tb_xlsx", "tb_json"):
        d = _ok(R[key])
        assert d["outcome"] == "origin" and R[key].chain() == CHAIN
        agrees = [h["traceback_agrees"] for h in d["hops"]]
        assert agrees == [True, True, True, False, True], (key, agrees)


def test_terminating_provider_clock_off_at_on_its_clock(R):
    d = _ok(R["term_clock"])
    assert d["outcome"] == "origin" and R["term_clock"].chain() == CHAIN
    assert [h["line"] for h in d["hops"]] == [R["_truth"]["term_clock"][p] for p in CHAIN]


def test_little_shared_traffic(R):
    d = _ok(R["little_shared"])
    assert d["outcome"] == "origin" and R["little_shared"].chain() == CHAIN
    assert [h["line"] for h in d["hops"]] == [R["_truth"]["little_shared"][p] for p in CHAIN]


def test_fall_back_overlap_hour_chain(R):
    """Target at the second 01:20 of 2026-11-01 in Chicago (CST): still the right records."""
    d = _ok(R["nov_second"])
    assert d["outcome"] == "origin" and R["nov_second"].chain() == CHAIN
    assert [h["line"] for h in d["hops"]] == [R["_truth"]["nov_second"][p] for p in CHAIN]


def test_outcome_no_records(R):
    d = _ok(R["no_records"])
    assert d["outcome"] == "no_records" and d["origin"] is None
    assert R["no_records"].chain() == CHAIN
    assert d["hops"][-1]["found"] is False and all(h["found"] for h in d["hops"][:-1])


def test_outcome_not_found(R):
    d = _ok(R["not_found"])
    assert d["outcome"] == "not_found" and d["origin"] is None
    assert R["not_found"].chain() == CHAIN
    assert d["hops"][-1]["found"] is False


def test_outcome_unmapped_ingress_keeps_leading_zeros(R):
    d = _ok(R["unmapped"])
    assert d["outcome"] == "unmapped_ingress" and d["origin"] is None
    assert R["unmapped"].chain() == CHAIN[:4]
    assert d["hops"][-1]["ingress"] == "000307"
    assert "000307" in json.dumps(d)


def test_outcome_loop(R):
    d = _ok(R["loop"])
    assert d["outcome"] == "loop" and d["origin"] is None
    assert R["loop"].chain()[:4] == CHAIN[:4]
    assert d.get("loop_to") == "Granite Transit"


def test_bad_time_exit_2(R):
    _one_line_error(R["main_bad_at"], "at")


@pytest.mark.parametrize("mode,needles", [
    ("missing_called", ["term.csv", "line 1", "called"]),
    ("typo_key", ["case.toml", "line 10", "date_ordr", "date_order"]),
    ("bad_zone", ["case.toml", "line 9", "timezone", "America/Chicgo"]),
    ("bad_mapping", ["term.csv", "line 1", "called", "Dialled Number"]),
    ("empty", ["term.csv", "empty"]),
])
def test_bad_input_one_line_error(R, mode, needles):
    _one_line_error(R[f"info_{mode}"], *needles)


def test_unreadable_dates_counted_and_listed(R):
    d = _ok(R["info_bad_dates"])
    term = d["sources"][0]
    assert term["rows"] >= 59 and term["rejected"] == 3
    assert term["rejected_lines"] == [6, 18, 34]
    assert term["bad_line_count"] == 1 and term["bad_lines"][0]["line"] == 41


@pytest.mark.parametrize("mode", ["bom", "utf16", "latin1"])
def test_encodings_read(R, mode):
    d = _ok(R[f"info_{mode}"])
    term = d["sources"][0]
    assert term["rows"] == 60 and term["rejected"] == 0
    assert term["skew"]["calls"] >= 59


def test_latin1_trunk_id_maps(R):
    d = _ok(R["latin1"])
    assert d["outcome"] == "no_records"
    assert d["hops"][0]["ingress"] == "MONTRÉAL-01"
    assert d["hops"][0]["upstream"] == "Québec Transit"


# ----------------------------------------------------------------------------------------------
# failures found, now fixed (were strict xfails until commit 1ab415c; kept as regressions)


def test_cgrates_usage_nanoseconds(R):
    """CGRateS `usage` is in nanoseconds; read as seconds, the origin's record was rejected."""
    d = _ok(R["cgrates"])
    assert d["outcome"] == "origin" and R["cgrates"].chain() == CHAIN


def test_duration_including_ring_time(R):
    """A duration counted from INVITE (ring + talk) once failed the hard duration filter."""
    d = _ok(R["ring"])
    assert d["outcome"] == "origin" and R["ring"].chain() == CHAIN


def test_source_without_ingress_column_does_not_crash(R):
    """A source without an ingress column once crashed skew estimation (exit 1, traceback)."""
    run = R["no_ingress"]
    assert run.rc == 0 and "Traceback" not in run.err, run.err[-400:]
    assert run.json["outcome"] == "unmapped_ingress"
    assert run.chain() == CHAIN[:2]  # found at Granite Transit, which has no ingress to map
    assert run.hop("Granite Transit")["found"] is True
    assert run.hop("Granite Transit")["ingress"] is None


def test_skew_recomputed_after_mapping_fix(R):
    """The skew cache key once ignored [sources.columns]: a fixed mapping kept the old skew."""
    s = R["stale"]
    warm, cold = _ok(s["warm"]), _ok(s["cold"])
    assert warm["skew"] == cold["skew"]


def test_unmapped_ingress_at_terminating_hop(R):
    """With the terminating trunk unmapped and --at 3 s off, Lakeview was once skipped."""
    d = _ok(R["unmapped_term"])
    assert d["hops"][0]["provider"] == "Lakeview Mobile"
    assert d["outcome"] == "unmapped_ingress" and d["unmapped_ingress"] == "GRN-4410"


def test_no_shared_traffic_wrong_zone_next_to_skewed_clock(R):
    """Granite's uncorrected fallback time once became the reference and Prism was missed."""
    d = _ok(R["bare_zone_clock"])
    assert d["outcome"] == "origin" and R["bare_zone_clock"].chain() == CHAIN


def test_at_without_offset_rejected(R):
    """--at without an offset was once taken as UTC silently."""
    _one_line_error(R["main_naive_at"], "at")


def test_typo_in_subtable_names_line(R):
    """A typo in a sub-table name ([sources.upstream]) was once reported without its line."""
    _one_line_error(R["info_typo_table"], "case.toml", "line 10", "upstream")


def test_correct_clocks_reported_near_zero(R):
    """Skew was once centred on the median source, reporting exact clocks 5-7 s off."""
    d = _ok(R["main"])
    assert abs(d["skew"]["Lakeview Mobile"]["offset_s"]) < 2
    assert abs(d["skew"]["Cedar Voice"]["offset_s"]) < 2
    assert abs(d["skew"]["Granite Transit"]["offset_s"] - 150) < 2


def test_overlap_hour_not_blamed_on_zone(R):
    """A start in the DST fall-back overlap was once blamed on the file's time zone."""
    h = R["nov_second"].hop("Lakeview Mobile")
    assert not any("time zone is probably wrong" in n for n in h["notes"]), h["notes"]
    assert h["confidence"] >= 0.7
