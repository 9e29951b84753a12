"""Outsider cases for issue 12 (provider dossiers, suspicious customers, campaigns, the RMD).

Written from outside the project: plain numpy and csv, no `workbench` import, no knowledge of
how the analytics are built. Each builder writes a case folder the way a real investigation
would hold it and returns the truth (what was written), so tests compare the CLI's JSON with
facts, not with the code under test.

Case 1 (`build_provider_case`): one originating provider's own CDR export (a Windows CSV with
local MDY times, ANI/DNIS in six written forms, an account column) holding honest customers,
one rotating-ANI customer, an upstream wholesale trunk and an account nobody mapped; a
Do-Not-Originate list and the traceback notices that reached the provider.

Case 2 (`build_campaign_case`): an investigator's traceback records (42 tracebacks, 3 campaigns,
9 providers) with a slow responder, a silent provider and prompt ones, plus an RMD download in
the FCC's real CSV format (header copied from ../shared/realworld_rmd) where the silent
upstream is not listed.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

UTC = dt.timezone.utc
TB_HEADER = ["traceback_id", "campaign", "call_time", "calling", "called", "hop", "provider",
             "upstream", "status", "notified_at", "responded_at", "notes"]
RMD_SAMPLE = Path("/work/shared/realworld_rmd/files/fcc-rmd_snapshot_2026-10-05_first171.csv")

# Real, valid NANP area codes; exchanges are drawn 200-999 without N11 and 555 so every
# number is valid by the numbering plan (checked once with phonenumbers: 20,000 of 20,000).
NPAS = np.array([212, 312, 415, 617, 713, 214, 305, 404, 602, 206, 303, 503, 612, 314, 816,
                 504, 615, 702, 801, 919, 267, 216, 412, 513, 614, 317, 414, 651, 720, 469])


def _exchanges(rng: np.random.Generator, n: int) -> np.ndarray:
    nxx = rng.integers(200, 1000, n)
    bad = (nxx % 100 == 11) | (nxx == 555) | np.isin(nxx, [950, 958, 959, 976])
    nxx[bad] = 732
    return nxx


def rand_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """n valid NANP numbers as 11-digit integers 1NPANXXXXXX."""
    npa = NPAS[rng.integers(0, len(NPAS), n)]
    return 10_000_000_000 + npa * 10_000_000 + _exchanges(rng, n) * 10_000 + \
        rng.integers(0, 10_000, n)


def e164(n: int) -> str:
    return f"+{int(n)}"


def written(n: int, form: int) -> str:
    """One of the ways a carrier export writes the same number."""
    d = str(int(n))[1:]
    return [f"+1{d}", f"1{d}", d, f"({d[:3]}) {d[3:6]}-{d[6:]}", f"{d[:3]}-{d[3:6]}-{d[6:]}",
            f"{d[:3]}.{d[3:6]}.{d[6:]}"][form]


def _iso(t: dt.datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------------------------------
# case 1: a provider's own CDRs


@dataclass
class IngressTruth:
    ingress: str
    name: str | None
    kind: str  # customer | upstream | unmapped
    honest: bool
    calls: int = 0
    distinct_calling: int = 0
    answered: int = 0
    short_all: int = 0  # calls under 6 s, unanswered (0 s) included
    short_answered: int = 0  # answered calls under 6 s
    neighbor_calls: int = 0  # calls whose calling NPA-NXX equals the called NPA-NXX
    neighbor_numbers: int = 0  # distinct calling numbers used with a same-NPA-NXX called number
    dno_calls: int = 0
    traceback_calls: int = 0

    @property
    def answer_rate(self) -> float:
        return self.answered / self.calls

    @property
    def neighbor_share_calls(self) -> float:
        return self.neighbor_calls / self.calls

    @property
    def neighbor_share_numbers(self) -> float:
        return self.neighbor_numbers / self.distinct_calling


@dataclass
class ProviderCaseTruth:
    root: Path
    provider: str
    alias: str
    ingresses: dict[str, IngressTruth]
    rotating: str
    pbx: str
    call_center: str
    dno_numbers: list[str]  # E.164 of the DNO entries the rotating customer used
    tracebacks: list[str]

    @property
    def honest_customers(self) -> list[str]:
        return [k for k, v in self.ingresses.items() if v.kind == "customer" and v.honest]


PROVIDER = "Brightline Voice"
DAY = dt.date(2026, 4, 14)  # a Tuesday, far from a DST change
ZONE = ZoneInfo("America/New_York")


@dataclass
class _Calls:
    """Calls of one ingress as columns."""

    ingress: str
    t: np.ndarray  # UTC seconds since epoch (float)
    calling: np.ndarray  # int 1NPANXXXXXX
    called: np.ndarray
    dur: np.ndarray  # int seconds, 0 when not answered
    answered: np.ndarray  # bool


def _local_window(rng: np.random.Generator, n: int, h0: float, h1: float) -> np.ndarray:
    start = dt.datetime(DAY.year, DAY.month, DAY.day, tzinfo=ZONE).timestamp()
    return np.sort(start + rng.uniform(h0 * 3600, h1 * 3600, n))


def _honest(rng, ingress: str, n: int, n_numbers: int, dmin: float, dmax: float,
            answer: float, h0: float, h1: float) -> _Calls:
    pool = rand_numbers(rng, n_numbers)
    calling = pool[rng.integers(0, n_numbers, n)]
    calling[:n_numbers] = pool  # every number of the pool is used at least once
    answered = rng.random(n) < answer
    dur = np.where(answered, rng.integers(int(dmin), int(dmax) + 1, n), 0)
    return _Calls(ingress, _local_window(rng, n, h0, h1), calling, rand_numbers(rng, n), dur,
                  answered)


def _rotating(rng, ingress: str, n: int, dno: np.ndarray) -> _Calls:
    called = rand_numbers(rng, n)
    neighbor = rng.random(n) < 0.6
    calling = np.where(neighbor, called // 10_000 * 10_000 + rng.integers(0, 10_000, n),
                       rand_numbers(rng, n))
    calling = np.where(calling == called, calling + 1, calling)
    # a few retries reuse a number; two numbers from the DNO list are each used three times
    calling[1200:1230] = calling[100:130]
    calling[1300:1303] = dno[0]
    calling[1400:1403] = dno[1]
    answered = rng.random(n) < 0.1
    short = rng.random(n) < 0.7
    dur = np.where(answered, np.where(short, rng.integers(1, 6, n), rng.integers(6, 41, n)), 0)
    return _Calls(ingress, _local_window(rng, n, 10.5, 12.5), calling, called, dur, answered)


def build_provider_case(root: Path, seed: int = 12) -> ProviderCaseTruth:
    """Write case 1 under `root` (a new folder) and return what was written."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    dno_used = rand_numbers(rng, 2)
    groups = [
        ("ACCT-10451", "Lakeside Contact Center LLC", "customer", True,
         _honest(rng, "ACCT-10451", 720, 40, 120, 480, 0.6, 9, 17)),
        ("ACCT-10488", "Northgate Family Clinic", "customer", True,
         _honest(rng, "ACCT-10488", 90, 5, 60, 240, 0.75, 8.5, 16.5)),
        ("ACCT-10502", "Harborview Logistics (PBX)", "customer", True,
         _honest(rng, "ACCT-10502", 4200, 6, 20, 600, 0.7, 8, 18)),
        ("ACCT-10577", "Rapid Reach Marketing LLC", "customer", False,
         _rotating(rng, "ACCT-10577", 1500, dno_used)),
        ("TG-KEYSTONE-01", "Keystone Wholesale Networks", "upstream", True,
         _honest(rng, "TG-KEYSTONE-01", 500, 495, 30, 360, 0.55, 7, 20)),
        ("ACCT-10999", None, "unmapped", True,
         _honest(rng, "ACCT-10999", 12, 3, 30, 200, 0.5, 13, 15)),
    ]
    truth: dict[str, IngressTruth] = {}
    for ingress, name, kind, honest, c in groups:
        same = c.calling // 10_000 == c.called // 10_000
        truth[ingress] = IngressTruth(
            ingress, name, kind, honest, calls=len(c.t),
            distinct_calling=len(np.unique(c.calling)), answered=int(c.answered.sum()),
            short_all=int((c.dur < 6).sum()),
            short_answered=int((c.answered & (c.dur < 6)).sum()),
            neighbor_calls=int(same.sum()), neighbor_numbers=len(np.unique(c.calling[same])),
            dno_calls=int(np.isin(c.calling, dno_used).sum()))
    rot = groups[3][4]
    picks = [60, 333, 702, 1111, 1450]  # answered or not, the calls the notices are about
    tb_ids = _write_provider_tracebacks(root, rot, picks)
    truth["ACCT-10577"].traceback_calls = len(picks)
    _write_cdrs(root, rng, [g[4] for g in groups])
    _write_dno(root, rng, dno_used)
    _write_provider_toml(root, groups)
    return ProviderCaseTruth(root, PROVIDER, "BLV", truth, rotating="ACCT-10577",
                             pbx="ACCT-10502", call_center="ACCT-10451",
                             dno_numbers=[e164(n) for n in dno_used], tracebacks=tb_ids)


def _write_cdrs(root: Path, rng, groups: list[_Calls]) -> None:
    """Brightline's switch export: local wall time MM/DD/YYYY, CRLF, a few extra columns."""
    t = np.concatenate([g.t for g in groups])
    order = np.argsort(t, kind="stable")
    cols = {k: np.concatenate([getattr(g, k) for g in groups])[order]
            for k in ("calling", "called", "dur", "answered")}
    ingress = np.concatenate([[g.ingress] * len(g.t) for g in groups])[order]
    t = t[order]
    n = len(t)
    f_ani, f_dnis = rng.integers(0, 6, n), rng.integers(0, 3, n)
    egress = np.array(["PINECREST-OUT-2", "ORCHARD-TG-88", "COPPERLINE-TG-3"])[
        rng.integers(0, 3, n)]
    fail = np.array(["NO ANSWER", "BUSY", "FAILED"])[rng.integers(0, 3, n)]
    attest = {"ACCT-10577": "B", "TG-KEYSTONE-01": "C", "ACCT-10999": "B"}
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["Call Date", "ANI", "DNIS", "Duration (sec)", "Disposition", "Account",
                "Egress Trunk", "Call ID", "Attestation", "Billing Zone", "Cost"])
    for i in range(n):
        local = dt.datetime.fromtimestamp(float(t[i]), ZONE)
        ans = bool(cols["answered"][i])
        w.writerow([local.strftime("%m/%d/%Y %H:%M:%S"),
                    written(cols["calling"][i], int(f_ani[i])),
                    written(cols["called"][i], int(f_dnis[i])),
                    int(cols["dur"][i]), "ANSWERED" if ans else fail[i], ingress[i], egress[i],
                    f"{0x5a000000 + i:08x}@10.20.0.4", attest.get(ingress[i], "A"),
                    "INTERSTATE", f"{0.0041 * int(cols['dur'][i]) / 60:.4f}"])
    (root / "exports").mkdir()
    (root / "exports" / "brightline_cdr_2026-04-14.csv").write_bytes(out.getvalue().encode())


def _write_dno(root: Path, rng, used: np.ndarray) -> None:
    """An extract of a Do-Not-Originate list: one number a line, as the list owner wrote them."""
    others = rand_numbers(rng, 4)
    lines = [written(used[0], 4), written(others[0], 2), f"+1 {written(used[1], 3)}",
             written(others[1], 1), written(others[2], 0), written(others[3], 5)]
    (root / "dno").mkdir()
    (root / "dno" / "dno_extract.txt").write_text("\n".join(lines) + "\n")


def _write_provider_tracebacks(root: Path, rot: _Calls, picks: list[int]) -> list[str]:
    """Notices that reached Brightline: each names its customer ACCT-10577 as the caller."""
    rows, ids = [], []
    for k, i in enumerate(picks):
        tid = f"ITG-26-{4100 + k}"
        ids.append(tid)
        call = dt.datetime.fromtimestamp(float(rot.t[i]) + 2.0, UTC)
        n1 = call + dt.timedelta(days=1, hours=2)
        hops = [("1", "Elmhurst Wireless", "Pinecrest Transit", "upstream_identified", 1.1),
                ("2", "Pinecrest Transit", "Brightline Voice", "upstream_identified", 0.8),
                ("3", "Brightline Voice", "Rapid Reach Marketing LLC", "originator", 1.5)]
        t = n1
        for hop, prov, up, status, took in hops:
            answered = t + dt.timedelta(hours=took)
            rows.append([tid, "Bank impersonation", _iso(call), written(rot.calling[i], 3),
                         written(rot.called[i], 1), hop, prov, up, status, _iso(t),
                         _iso(answered), "customer suspended" if status == "originator" else ""])
            t = answered + dt.timedelta(minutes=40)
    (root / "tracebacks").mkdir()
    with open(root / "tracebacks" / "itg_notices_2026-04.csv", "w", newline="") as fh:
        cw = csv.writer(fh)
        cw.writerow(TB_HEADER)
        cw.writerows(rows)
    return ids


def _q(s: str) -> str:
    return json.dumps(s)


def _write_provider_toml(root: Path, groups) -> None:
    customers = [(i, n) for i, n, k, _, _ in groups if k == "customer"]
    upstreams = [(i, n) for i, n, k, _, _ in groups if k == "upstream"]
    text = [
        "# Brightline Voice: our own switch export for 2026-04-14 (outsider test case)",
        "[case]", 'name = "Brightline Voice: traffic review 2026-04-14"',
        'default_country = "US"', 'dno = "dno/dno_extract.txt"', "",
        "[[providers]]", f"name = {_q(PROVIDER)}", 'aliases = ["BLV", "Brightline Voice LLC"]',
        'role = "originating"', "",
        "[[sources]]", f"provider = {_q(PROVIDER)}",
        'path = "exports/brightline_cdr_2026-04-14.csv"', 'format = "generic"',
        'timezone = "America/New_York"', 'date_order = "MDY"',
        "[sources.columns]", 'start = "Call Date"', 'calling = "ANI"', 'called = "DNIS"',
        'duration = "Duration (sec)"', 'disposition = "Disposition"', 'ingress = "Account"',
        'egress = "Egress Trunk"', 'call_id = "Call ID"', 'attest = "Attestation"',
        "[sources.customers]", *[f"{_q(i)} = {_q(n)}" for i, n in customers],
        "[sources.upstreams]", *[f"{_q(i)} = {_q(n)}" for i, n in upstreams], "",
        "[[tracebacks]]", 'path = "tracebacks/itg_notices_2026-04.csv"', "",
    ]
    (root / "case.toml").write_text("\n".join(text), encoding="utf-8")


# ----------------------------------------------------------------------------------------------
# case 2: an investigator's campaign view


@dataclass
class ProviderTruth:
    name: str
    tracebacks: set[str] = field(default_factory=set)
    roles: dict[str, int] = field(default_factory=lambda: {
        "terminating": 0, "transit": 0, "gateway": 0, "originator": 0})
    answered: int = 0
    late: int = 0
    no_response: int = 0
    hours: list[float] = field(default_factory=list)

    @property
    def median_hours(self) -> float | None:
        return float(np.median(self.hours)) if self.hours else None


@dataclass
class CampaignTruth:
    name: str
    tracebacks: int = 0
    origins: dict[tuple[str, str], int] = field(default_factory=dict)
    through: dict[str, int] = field(default_factory=dict)


@dataclass
class CampaignCaseTruth:
    root: Path
    providers: dict[str, ProviderTruth]
    campaigns: dict[str, CampaignTruth]
    slow: str
    silent: str
    prompt: list[str]
    not_listed: str
    rmd_numbers: dict[str, str]  # provider -> RMD number of its filing
    decoy: str  # an RMD filer whose name resembles the not-listed provider
    decoy_number: str
    has_rmd: bool


SLOW, SILENT = "Meridian Carrier", "Quarry Point Telecom"
BLANK = "(no campaign label)"
SLOW_ALIAS = "Meridian Carrier Corp"
# campaign -> [(count, [(provider, status, upstream or customer)])], terminating first
ROUTES = {
    "Auto warranty renewal": [(16, [
        ("Northwind Mobile", "upstream_identified", "Summit Transit"),
        ("Summit Transit", "upstream_identified", SLOW),
        (SLOW, "upstream_identified", "Ridgeway Voice"),
        ("Ridgeway Voice", "originator", "Apex Auto Protect LLC")])],
    "Medicare benefits": [
        (9, [("Bayview Wireless", "upstream_identified", "Cobble Hill Exchange"),
             ("Cobble Hill Exchange", "upstream_identified", SLOW),
             (SLOW, "upstream_identified", "Harrow Telecom"),
             ("Harrow Telecom", "originator", "Bluebird Benefits Group")]),
        (5, [("Bayview Wireless", "upstream_identified", "Cobble Hill Exchange"),
             ("Cobble Hill Exchange", "upstream_identified", SILENT),
             (SILENT, "no_response", "")])],
    "Utility disconnect threat": [
        (4, [("Northwind Mobile", "upstream_identified", "Summit Transit"),
             ("Summit Transit", "upstream_identified", "Portside Gateway"),
             ("Portside Gateway", "foreign_point_of_entry", "Cinderpath VoIP")]),
        (4, [("Bayview Wireless", "upstream_identified", "Summit Transit"),
             ("Summit Transit", "upstream_identified", "Portside Gateway"),
             ("Portside Gateway", "foreign_point_of_entry", "Cinderpath VoIP")]),
        (4, [("Northwind Mobile", "upstream_identified", "Summit Transit"),
             ("Summit Transit", "upstream_identified", SILENT),
             (SILENT, "no_response", "")])],
}


def _role(k: int, status: str) -> str:
    if k == 0:
        return "terminating"
    return {"originator": "originator", "foreign_point_of_entry": "gateway"}.get(status,
                                                                                 "transit")


def build_campaign_case(root: Path, seed: int = 21, *, rmd: str = "one",
                        blank: bool = False) -> CampaignCaseTruth:
    """Write case 2. `rmd`: "one" ([case] rmd = one snapshot), "two" (an older snapshot that
    still lists the slow responder, then a newer one without it), "flag" (the snapshot is
    written but case.toml names none: give it with --rmd), "none" (no RMD at all).
    `blank`: the 9 Medicare tracebacks that reach Harrow Telecom's customer carry no
    campaign label (their truth is filed under BLANK)."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    provs: dict[str, ProviderTruth] = {}
    camps: dict[str, CampaignTruth] = {}
    rows: list[list[str]] = []
    n = 0
    alias_left = 3  # three of the slow responder's rows are written under its alias
    base = dt.datetime(2026, 5, 4, 13, 0, tzinfo=UTC)
    for label, routes in ROUTES.items():
        for count, hops in routes:
            campaign = label
            if blank and hops[-1][0] == "Harrow Telecom":
                campaign = ""
            ct = camps.setdefault(campaign or BLANK, CampaignTruth(campaign or BLANK))
            for _ in range(count):
                n += 1
                tid = f"TB-2026-{n:04d}"
                call = base + dt.timedelta(hours=float(rng.uniform(0, 21 * 24)))
                call = call.replace(microsecond=0)
                calling, called = rand_numbers(rng, 2)
                t = (call + dt.timedelta(hours=float(rng.uniform(20, 40)))).replace(
                    microsecond=0)
                ct.tracebacks += 1
                for k, (prov, status, up) in enumerate(hops):
                    pt = provs.setdefault(prov, ProviderTruth(prov))
                    pt.tracebacks.add(tid)
                    pt.roles[_role(k, status)] += 1
                    ct.through[prov] = ct.through.get(prov, 0) + 1
                    if status == "originator":
                        ct.origins[(prov, up)] = ct.origins.get((prov, up), 0) + 1
                    written_as = prov
                    if prov == SLOW and alias_left:
                        written_as, alias_left = SLOW_ALIAS, alias_left - 1
                    if status == "no_response":
                        pt.no_response += 1
                        rows.append([tid, campaign, _iso(call), written(calling, 3),
                                     written(called, 2), str(k + 1), written_as, "", status,
                                     _iso(t), "", "second notice sent; no reply"])
                        break
                    took = float(rng.uniform(30, 50)) if prov == SLOW else \
                        float(rng.uniform(0.2, 1.9))
                    answered = t + dt.timedelta(seconds=round(took * 3600))
                    hours = (answered - t).total_seconds() / 3600
                    pt.answered += 1
                    pt.late += hours > 24
                    pt.hours.append(hours)
                    rows.append([tid, campaign, _iso(call), written(calling, 3),
                                 written(called, 2), str(k + 1), written_as, up, status,
                                 _iso(t), _iso(answered), ""])
                    t = answered + dt.timedelta(minutes=int(rng.integers(20, 180)))
    with open(root / "traceback_records.csv", "w", newline="", encoding="utf-8") as fh:
        cw = csv.writer(fh)
        cw.writerow(TB_HEADER)
        cw.writerows(rows)
    has_rmd = rmd != "none" and RMD_SAMPLE.exists()
    numbers = {"Northwind Mobile": "RMD0017702", "Bayview Wireless": "RMD0018231",
               "Summit Transit": "RMD0019044", SLOW: "RMD0020316",
               "Cobble Hill Exchange": "RMD0021187", "Portside Gateway": "RMD0021950",
               "Ridgeway Voice": "RMD0023311", "Harrow Telecom": "RMD0024478"}
    rmd_paths: list[str] = []
    if has_rmd:
        (root / "rmd").mkdir()
        if rmd == "two":
            write_rmd(root / "rmd" / "rmd_2026-04-06.csv", drop=())
            rmd_paths.append("rmd/rmd_2026-04-06.csv")
        write_rmd(root / "rmd" / "rmd_2026-06-01.csv", drop=(SLOW,) if rmd == "two" else ())
        rmd_paths.append("rmd/rmd_2026-06-01.csv")
    _write_campaign_toml(root, rmd_paths if rmd in ("one", "two") else [])
    prompt = sorted(p for p in provs if p not in (SLOW, SILENT))
    return CampaignCaseTruth(root, provs, camps, SLOW, SILENT, prompt, not_listed=SILENT,
                             rmd_numbers=numbers, decoy="Quarry Ridge Telephone Cooperative",
                             decoy_number="RMD0016630", has_rmd=has_rmd)


def _write_campaign_toml(root: Path, rmd_paths: list[str]) -> None:
    text = ["# An investigator's traceback records, May 2026 (outsider test case)",
            "[case]", 'name = "Spring 2026 campaigns"', 'default_country = "US"']
    if rmd_paths:
        text.append("rmd = [" + ", ".join(_q(p) for p in rmd_paths) + "]")
    text += ["", "[[providers]]", 'name = "Ridgeway Voice"', 'rmd = "RMD0023311"', "",
             "[[providers]]", f"name = {_q(SLOW)}", f"aliases = [{_q(SLOW_ALIAS)}, \"MCC\"]",
             "", "[[tracebacks]]", 'path = "traceback_records.csv"', ""]
    (root / "case.toml").write_text("\n".join(text), encoding="utf-8")


def rmd_header() -> list[str]:
    """The 23 column names of the FCC's 2026 download, read from the real file's first record."""
    with open(RMD_SAMPLE, newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


# Fictional filers. Names differ from the traceback records the way real filings do
# (suffixes, punctuation, capitals, a d/b/a); "none" is written six ways.
_FILERS = [
    dict(number="RMD0016630", frn="0031187764", business_name="Quarry Ridge Telephone Cooperative",
         business_address="PO Box 41\nQuarry Ridge IA 50601", other_dba_names="None",
         implementation="Partial STIR/SHAKEN Implementation - Performing Robocall Mitigation",
         voice="Yes", gateway="No", intermediate="No"),
    dict(number="RMD0017702", frn="0027730415", business_name="NORTHWIND MOBILE, INC.",
         business_address="4400 Harbor Blvd\nSuite 300\nOakland CA 94607",
         other_dba_names="none", implementation="Complete STIR/SHAKEN Implementation",
         voice="Yes", gateway="No", intermediate="No"),
    dict(number="RMD0018231", frn="0029914402", business_name="Bayview Wireless LLC",
         business_address="18 Shore Road\nBayview WI 54806", other_dba_names="NONE",
         implementation="Complete STIR/SHAKEN Implementation", voice="Yes", gateway="No",
         intermediate="No"),
    dict(number="RMD0019044", frn="0030258817", business_name="Summit Transit Holdings, LLC",
         business_address="77 Ridge Pkwy\nFloor 2\nDenver CO 80202",
         other_dba_names="Summit Transit\r\nSummit Voice Exchange",
         implementation="Complete STIR/SHAKEN Implementation", voice="No", gateway="No",
         intermediate="Yes"),
    dict(number="RMD0020316", frn="0031702253", business_name="Meridian Carrier Corp.",
         business_address="1200 Commerce St\nDallas TX 75202", other_dba_names="No",
         previous_dba_names="Meridian Long Distance",
         implementation="No STIR/SHAKEN Implementation - Performing Robocall Mitigation",
         voice="No", gateway="No", intermediate="Yes"),
    dict(number="RMD0021187", frn="0032019986", business_name="Cobble Hill Exchange, Ltd.",
         business_address="9 Atlantic Ave\n Brooklyn NY 11201", other_dba_names="non",
         implementation="Partial STIR/SHAKEN Implementation - Performing Robocall Mitigation",
         voice="No", gateway="No", intermediate="Yes"),
    dict(number="RMD0021950", frn="0032466070", business_name="Portside Gateway LLC",
         business_address="1 Pier Plaza\nSuite 12\nMiami FL 33131", other_dba_names="N/A",
         implementation="Complete STIR/SHAKEN Implementation", voice="No", gateway="Yes",
         intermediate="Yes"),
    dict(number="RMD0023311", frn="0033301288", business_name="RV Communications Group Inc",
         business_address="300 Main St\nRidgeway SC 29130", other_dba_names="RV Comms",
         implementation="Complete STIR/SHAKEN Implementation", voice="Yes", gateway="No",
         intermediate="No"),
    dict(number="RMD0024478", frn="0034120557", business_name="Harrow Telecom Ltd",
         business_address="41 Front St\nUnit 4\nHarrow OH 43103", other_dba_names="None",
         implementation="Partial STIR/SHAKEN Implementation - Performing Robocall Mitigation",
         voice="Yes", gateway="No", intermediate="No"),
    dict(number="RMD0026014", frn="0036607213", business_name="Cinderpath VoIP S.A.",
         business_address="Av. Balboa 120\nPiso 9\nPanama City, Panama", foreign="Yes",
         country="Panama", other_dba_names="Cinderpath",
         implementation="No STIR/SHAKEN Implementation - Performing Robocall Mitigation",
         voice="Yes", gateway="No", intermediate="Yes"),
    dict(number="RMD0025002", frn="0035518840", business_name="Tamarack Rural Telephone Co.",
         business_address="210 Depot St\nTamarack MN 55787", other_dba_names="None",
         implementation="Complete STIR/SHAKEN Implementation", voice="Yes", gateway="No",
         intermediate="No"),
]
_PROVIDER_OF = {"RMD0017702": "Northwind Mobile", "RMD0018231": "Bayview Wireless",
                "RMD0019044": "Summit Transit", "RMD0020316": SLOW,
                "RMD0021187": "Cobble Hill Exchange", "RMD0021950": "Portside Gateway",
                "RMD0023311": "Ridgeway Voice", "RMD0024478": "Harrow Telecom"}


def write_rmd(path: Path, drop: tuple[str, ...] = ()) -> None:
    """An RMD download: every field quoted, LF record ends, addresses over several lines."""
    header = rmd_header()
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(header)
    nones = ["None", "none", "NONE", "No", "non", "N/A"]
    for k, f in enumerate(_FILERS):
        if _PROVIDER_OF.get(f["number"]) in drop:
            continue
        row = {h: "" for h in header}
        row.update({
            "number": f["number"], "frn": f["frn"], "business_name": f["business_name"],
            "business_address": f["business_address"],
            "foreign_voice_provider": f.get("foreign", "No"),
            "country": f.get("country", "United States of America"),
            "other_frns": nones[k % 6], "other_dba_names": f["other_dba_names"],
            "previous_dba_names": f.get("previous_dba_names", nones[(k + 2) % 6]),
            "robocall_mitigation_contact_name": "Pat Example",
            "contact_title": "Director, Network Operations ",
            "contact_department": "Network Operations",
            "contact_business_address": f["business_address"],
            "contact_country": f.get("country", "United States of America"),
            "contact_telephone_number": "'+1 202-555-01" + f"{k:02d}",
            "contact_phone_extension": "" if k % 3 else "ext 2",
            "implementation": f["implementation"],
            "voice_service_provider_choice": f["voice"],
            "gateway_provider_choice": f["gateway"],
            "intermediate_provider_choice": f["intermediate"],
            "last_updated": "2026-03-02", "last_recertified": "" if k % 4 == 0 else "2026-03-02",
            "filing_url": "https://fccprod.servicenowservices.com/rmd?id=rmd_form&table="
                          "x_g_fmc_rmd_robocall_mitigation_database&sys_id="
                          f"{k:02d}{'c0ffee' * 5}&view=sp",
        })
        w.writerow([row[h] for h in header])
    path.write_bytes(out.getvalue().encode("utf-8"))
