"""Write a fictional traceback training case: five providers' CDRs, traceback records, answer key.

Everything is invented. NANP numbers are always NPA-555-01xx; foreign numbers are UK
drama-range numbers (+44 20 7946 0xxx, +44 7700 900xxx). Background rows are built with
numpy and formatted with pyarrow, so millions of rows per source take seconds; part of it
crosses several providers so the files share calls as real neighbours' CDRs do. The traced
calls, their decoys and the answer key (``truth.json``) come from the ``SCENARIO`` table.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from .progress import ProgressFn, StopFn, check, never_stop, no_progress

S = 1_000_000  # microseconds per second
WINDOW_START = "2026-03-06T00:00:00Z"
WINDOW_DAYS = 5
CHICAGO_DST_UTC = "2026-03-08T08:00:00Z"  # 02:00 CST -> 03:00 CDT
NEW_YORK_DST_UTC = "2026-03-08T07:00:00Z"
XLSX_MAX_ROWS = 50_000  # above this Seaport is written as CSV (openpyxl: ~10 s per 100k rows)
SEAPORT_SKEW_S = 97
TRACEBACK_HEADER = ["traceback_id", "campaign", "call_time", "calling", "called", "hop",
                    "provider", "upstream", "status", "notified_at", "responded_at", "notes"]
CASE_NAME = "Vehicle warranty robocalls, March 2026 (fictional training case)"


def _us(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()) * S


def _iso(us: int) -> str:
    return dt.datetime.fromtimestamp(us // S, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- numbers

_NPAS = """201 202 203 205 206 207 208 209 210 212 213 214 215 216 217 218 219 224 225 228 229
231 234 239 240 248 251 252 253 254 256 260 262 267 269 270 276 281 301 302 303 304 305 307
308 309 310 312 313 314 315 316 317 318 319 320 321 323 325 330 331 334 336 337 339 347 351
352 360 361 385 386 401 402 404 405 406 407 408 409 410 412 413 414 415 417 419 423 424 425
430 432 434 435 440 442 443 469 470 475 478 479 480 484 501 502 503 504 505 507 508 509 510
512 513 515 516 517 518 520 530 540 541 551 559 561 562 563 567 570 571 573 574 575 580 585
586 601 602 603 605 606 607 608 609 610 612 614 615 616 617 618 619 620 623 626 628 630 631
636 641 646 650 651 657 660 661 662 667 669 678 682 701 702 703 704 706 707 708 712 713 714
715 716 717 718 719 720 724 725 727 731 732 734 737 740 747 754 757 760 762 763 765 769 770
772 773 774 775 779 781 785 786 801 802 803 804 805 806 808 810 812 813 814 815 816 817 818
828 830 831 832 843 845 847 848 850 856 857 858 859 860 862 863 864 865 870 872 878 901 903
904 906 907 908 909 910 912 913 914 915 916 917 918 919 920 925 928 929 931 936 937 938 940
941 947 949 951 952 954 956 970 971 972 973 978 979 980 985 989""".split()
_CHICAGO_NPAS = {"312", "773", "872", "630", "331", "847", "224", "708", "815", "779"}
_SIP_HOSTS = ("10.0.0.1", "10.0.0.7", "172.16.4.20")
FORMS = ("e164", "nanp11", "paren", "dotted", "sip", "ten", "dashed")


def _format_number(d: str, form: str, i: int) -> str:
    """One E.164 number (digits, no '+') in one of the written forms carriers use."""
    if d.startswith("1") and len(d) == 11:
        npa, nxx, line = d[1:4], d[4:7], d[7:]
        return {"e164": f"+{d}", "nanp11": d, "paren": f"({npa}) {nxx}-{line}",
                "dotted": f"{npa}.{nxx}.{line}", "ten": d[1:],
                "sip": f"sip:+{d}@{_SIP_HOSTS[i % 3]};user=phone",
                "dashed": f"+1-{npa}-{nxx}-{line}"}[form]
    rest = d[2:]  # UK: London 20 7946 xxxx or mobile 7700 900xxx
    groups = [rest[:2], rest[2:6], rest[6:]] if rest.startswith("20") else [rest[:4], rest[4:]]
    return {"e164": f"+{d}", "nanp11": f"011{d}", "paren": "011 44 " + " ".join(groups),
            "dotted": "+44 " + " ".join(groups), "ten": f"+{d}",
            "sip": f"sip:+{d}@203.0.113.7;user=phone",
            "dashed": "+44-" + "-".join(groups)}[form]


class NumberBook:
    """Every number the case uses, by index, with its written forms built once."""

    def __init__(self) -> None:
        us = [f"1{npa}55501{k:02d}" for npa in _NPAS for k in range(100)]
        uk = [f"44207946{k:04d}" for k in range(1000)] + [f"447700900{k:03d}" for k in range(1000)]
        self.digits = us + uk
        self.index = {d: i for i, d in enumerate(self.digits)}
        self.n_us = len(us)
        self.chicago = np.array([i for i, d in enumerate(us) if d[1:4] in _CHICAGO_NPAS])
        self._forms: dict[str, pa.Array] = {}
        self.reserved: set[int] = set()

    def idx(self, e164: str) -> int:
        return self.index[e164.lstrip("+")]

    def pool(self, which: str) -> np.ndarray:
        base = {"us": np.arange(self.n_us), "chicago": self.chicago,
                "foreign": np.arange(self.n_us, len(self.digits))}[which]
        return np.setdiff1d(base, np.fromiter(self.reserved, np.int64, len(self.reserved)))

    def form(self, form: str) -> pa.Array:
        if form not in self._forms:
            self._forms[form] = pa.array([_format_number(d, form, i)
                                          for i, d in enumerate(self.digits)], pa.string())
        return self._forms[form]

    def text(self, i: int, form: str) -> str:
        return _format_number(self.digits[i], form, i)


# --------------------------------------------------------------------------- providers and sources

@dataclass(frozen=True)
class Provider:
    name: str
    aliases: tuple[str, ...]
    rmd: str
    foreign: bool = False


PROVIDERS = (
    Provider("Terminus Wireless", ("Terminus", "TWX"), "RMD0004410"),
    Provider("Midway Transit", ("MWT", "Midway Transit Inc."), "RMD0002275"),
    Provider("Lakeshore Carrier Services", ("LCS", "Lakeshore"), "RMD0003318"),
    Provider("Seaport Gateway LLC", ("SGW",), "RMD0001234"),
    Provider("Origin Voice Co", ("OVC", "Origin Voice Company"), "RMD0005562"),
    Provider("Gullwing Telecom Ltd", ("Gullwing",), "RMD0009071", foreign=True),
    Provider("Marisol Telecom SA", ("Marisol",), "RMD0009188", foreign=True),
    Provider("Harborline Networks", ("Harborline",), "RMD0006604"),
    Provider("Bluefin Networks", ("Bluefin",), "RMD0007713"),
    Provider("Prairie Exchange", ("PRX",), "RMD0008120"),
    Provider("Cobalt Voice", ("Cobalt Voice LLC",), "RMD0008846"),
)
FOREIGN = {p.name for p in PROVIDERS if p.foreign}


@dataclass(frozen=True)
class Trunk:
    """An ingress id as a source writes it; name "" means it is in neither table."""

    id: str
    name: str = ""
    customer: bool = False
    weight: float = 1.0


@dataclass(frozen=True)
class Source:
    key: str
    provider: str
    path: str
    timezone: str
    trunks: tuple[Trunk, ...]
    egress: tuple[str, ...]
    calling_form: str
    called_form: str
    called_pool: str = "us"
    skew_s: int = 0
    answer_basis: bool = False  # the switch writes ANSWER time where others write INVITE
    date_order: str = ""
    columns: tuple[tuple[str, object], ...] = ()
    signs: bool = False  # carries attest / origid columns
    answered_only: bool = False
    comment: str = ""

    def trunk(self, ingress: str) -> Trunk:
        return next(t for t in self.trunks if t.id == ingress)


SOURCES = (
    Source("terminus", "Terminus Wireless", "cdrs/terminus.csv", "UTC",
           (Trunk("MWT-01", "Midway Transit", weight=.42),
            Trunk("TG-BLUEFIN", "Bluefin Networks", weight=.25),
            Trunk("PRX-7", "Prairie Exchange", weight=.20),
            Trunk("TG-7734", weight=.08), Trunk("TG-0081", weight=.05)),
           (), "e164", "e164", called_pool="chicago", signs=True,
           comment="comma separated, ISO 8601 UTC times; headers are common names"),
    Source("midway", "Midway Transit", "cdrs/midway.txt", "America/Chicago",
           (Trunk("0417", "Lakeshore Carrier Services", weight=.35),
            Trunk("0420", "Seaport Gateway LLC", weight=.20),
            Trunk("0388", "Harborline Networks", weight=.25),
            Trunk("CUST-88", "Redwood Dental Group", customer=True, weight=.10),
            Trunk("0502", weight=.10)),
           ("TRM-05", "BLF-2", "PRX-9", "HBL-3"), "nanp11", "nanp11", date_order="MDY",
           columns=(("start", "StartTime"), ("calling", "ANI"), ("called", "DNIS"),
                    ("ingress", "IngressTrunk"), ("duration", "CallDuration")),
           comment="semicolon separated; local wall time MM/DD/YYYY"),
    Source("lakeshore", "Lakeshore Carrier Services", "cdrs/lakeshore.psv", "UTC",
           (Trunk("SGW-A", "Seaport Gateway LLC", weight=.35),
            Trunk("MID-RET", "Midway Transit", weight=.10),
            Trunk("PRX-22", "Prairie Exchange", weight=.25),
            Trunk("CUST-0031", "Northgate Call Center Inc", customer=True, weight=.15),
            Trunk("TG-0999", weight=.15)),
           ("MWT-7", "BLF-EAST", "PRX-OUT", "HBL-1"), "paren", "dotted", answer_basis=True,
           answered_only=True,
           columns=(("start", ("Date", "Time")), ("calling", "Orig Number"),
                    ("called", "Term Number"), ("ingress", "In TG"), ("egress", "Out TG"),
                    ("duration", "Secs"), ("disposition", "Rel Cause"),
                    ("call_id", "Session ID")),
           comment="pipe separated; date and time in separate columns"),
    Source("seaport", "Seaport Gateway LLC", "cdrs/seaport.xlsx", "America/New_York",
           (Trunk("000307", "Origin Voice Co", weight=.30),
            Trunk("000412", "Gullwing Telecom Ltd", weight=.25),
            Trunk("000519", "Cobalt Voice", weight=.20),
            Trunk("000633", "Marisol Telecom SA", weight=.15),
            Trunk("000777", weight=.10)),
           ("LKS-EAST", "MWT-02", "BLF-GW", "PRX-GW"), "sip", "ten", skew_s=SEAPORT_SKEW_S,
           signs=True,
           columns=(("start", "Call Start"), ("end", "Call End"), ("calling", "Calling Party"),
                    ("called", "Called Party"), ("ingress", "Ingress Trunk"),
                    ("egress", "Egress Trunk"), ("duration", "Duration (s)"),
                    ("disposition", "Status"), ("attest", "Attestation"),
                    ("origid", "Orig ID"), ("call_id", "SIP Call-ID")),
           comment="XLSX export with real date cells in local time"),
    Source("origin", "Origin Voice Co", "cdrs/origin.parquet", "UTC",
           (Trunk("ACCT-1001", "Acme Vehicle Services LLC", customer=True, weight=.30),
            Trunk("ACCT-1002", "Brightside Home Solar LLC", customer=True, weight=.25),
            Trunk("ACCT-1003", "Pinnacle Debt Relief Group", customer=True, weight=.20),
            Trunk("ACCT-1017", "Lumen Dental Reminders", customer=True, weight=.15),
            Trunk("ACCT-2093", weight=.10)),
           ("SGW-IN-3", "CBV-1", "PRX-ORIG"), "ten", "dashed", signs=True,
           comment="Parquet; start_time is a zone-aware UTC timestamp"),
)
SOURCE = {s.key: s for s in SOURCES}
BY_PROVIDER = {s.provider: s for s in SOURCES}
EGRESS_TO = {("midway", "Terminus Wireless"): "TRM-05", ("lakeshore", "Midway Transit"): "MWT-7",
             ("seaport", "Lakeshore Carrier Services"): "LKS-EAST",
             ("seaport", "Midway Transit"): "MWT-02", ("origin", "Seaport Gateway LLC"): "SGW-IN-3"}
ATTESTS = ("", "A", "B", "C")

# --------------------------------------------------------------------------- the scenario

DOMESTIC = "Vehicle warranty renewal (domestic)"
FOREIGN_CAMPAIGN = "Vehicle warranty renewal (entering from abroad)"
_FULL = (("terminus", "MWT-01"), ("midway", "0417"), ("lakeshore", "SGW-A"),
         ("seaport", "000307"), ("origin", "ACCT-1001"))


@dataclass(frozen=True)
class TracedCall:
    """One traceback: the call, the path its CDRs really show, and what providers answered."""

    tb_id: str
    campaign: str
    t0: str  # invite at the terminating provider, UTC (to the second)
    calling: str
    called: str
    path: tuple[tuple[str, str], ...]  # (source key, ingress id as written), terminating first
    outcome: str
    attest: str = ""
    beyond: tuple[tuple[str, str], ...] = ()  # records past a missing hop (unreachable)
    gap: tuple[str, str] | None = None  # a CDR outage at the missing provider
    stated: tuple[tuple[str, str, str, str], ...] = ()  # provider, status, upstream, notes
    call_time_offset: str = ""  # "" -> Z; else e.g. "-05:00"
    teaching: str = ""


_T, _M, _L, _SP, _O = ("Terminus Wireless", "Midway Transit", "Lakeshore Carrier Services",
                       "Seaport Gateway LLC", "Origin Voice Co")
_UP = "upstream_identified"
_HEAD = ((_T, _UP, _M, ""), (_M, _UP, _L, ""))
_FULL_STATED = _HEAD + ((_L, _UP, _SP, ""), (_SP, _UP, _O, ""))

SCENARIO = (
    TracedCall("TB-26-0101", DOMESTIC, "2026-03-08T07:41:12Z", "+13125550143", "+16305550118",
               _FULL, "origin", "A",
               stated=_FULL_STATED + ((_O, "originator", "Acme Vehicle Services LLC",
                                       "customer warned; A attestation on a number the "
                                       "customer does not hold"),),
               teaching="full chain; Midway's local time is 01:41 CST, before the DST change"),
    TracedCall("TB-26-0102", DOMESTIC, "2026-03-08T08:17:40Z", "+17735550162", "+18475550109",
               _FULL, "origin", "A",
               stated=_FULL_STATED + ((_O, "originator", "Acme Vehicle Services LLC",
                                       "customer claims consent"),),
               teaching="full chain; Midway's local time is 03:17 CDT, after the DST change"),
    TracedCall("TB-26-0103", DOMESTIC, "2026-03-09T15:22:05Z", "+12145550177", "+16305550131",
               _FULL, "origin", "B", stated=_HEAD + ((_L, _UP, _SP, ""),),
               call_time_offset="-05:00",
               teaching="records stop at hop 3 (still open); the CDRs finish the chain"),
    TracedCall("TB-26-0104", DOMESTIC, "2026-03-07T18:05:47Z", "+14045550125", "+17085550190",
               _FULL, "origin", "A",
               stated=_HEAD + ((_L, _UP, "Harborline Networks",
                                "response names Harborline Networks"),
                               ("Harborline Networks", "not_found", "",
                                "no record of the call")),
               teaching="Lakeshore's answer contradicts its own CDRs (ingress SGW-A = Seaport)"),
    TracedCall("TB-26-0105", DOMESTIC, "2026-03-09T19:44:30Z", "+16025550151", "+13125550186",
               _FULL[:2], "not_found", "A", beyond=_FULL[3:],
               gap=("2026-03-09T19:38:00Z", "2026-03-09T19:51:00Z"),
               stated=_HEAD + ((_L, "not_found", "", "no CDRs 19:38-19:51 UTC on Mar 9 "
                                "(switch logging outage)"),),
               teaching="Lakeshore holds CDRs but not this call; Seaport and Origin still do"),
    TracedCall("TB-26-0106", DOMESTIC, "2026-03-10T14:09:18Z", "+17135550138", "+12245550104",
               _FULL[:2] + (("lakeshore", "TG-0999"),), "unmapped_ingress", "B",
               stated=_HEAD + ((_L, "no_response", "", "no answer within 24 hours"),),
               teaching="Lakeshore's ingress TG-0999 is in neither of its tables"),
    TracedCall("TB-26-0107", DOMESTIC, "2026-03-06T21:30:02Z", "+13055550119", "+18155550147",
               _FULL[:2] + (("lakeshore", "MID-RET"),), "loop", "",
               stated=_HEAD + ((_L, _UP, _M, "names Midway Transit, which named Lakeshore"),),
               teaching="Midway and Lakeshore each name the other"),
    TracedCall("TB-26-0201", FOREIGN_CAMPAIGN, "2026-03-08T07:58:31Z", "+442079460018",
               "+13125550172", _FULL[:3] + (("seaport", "000412"),), "no_records", "C",
               stated=_HEAD + ((_L, _UP, _SP, ""),
                               (_SP, "foreign_point_of_entry", "Gullwing Telecom Ltd", ""),
                               ("Gullwing Telecom Ltd", "refused", "",
                                "cites UK data-protection law; asks for a request through "
                                "its national regulator")),
               teaching="enters at the gateway from a foreign provider with no CDRs in the case"),
    TracedCall("TB-26-0202", FOREIGN_CAMPAIGN, "2026-03-08T08:03:05Z", "+12025550164",
               "+17735550195", (("terminus", "MWT-01"), ("midway", "0420"), ("seaport", "000412")),
               "no_records", "C",
               stated=((_T, _UP, _M, ""), (_M, _UP, _SP, ""),
                       (_SP, "foreign_point_of_entry", "Gullwing Telecom Ltd",
                        "gateway signed C for a spoofed U.S. caller ID"),
                       ("Gullwing Telecom Ltd", "no_response", "", "")),
               teaching="Midway hands straight to the gateway; 4.5 min but 1 h 4 min local "
                        "after TB-26-0201 at Midway"),
)


def trace_expected(tb: TracedCall) -> dict:
    """Walk the CDR path the way the engine should: ingress -> table -> next provider."""
    hops: list[str] = []
    result: dict = {"outcome": None, "origin_provider": None, "customer": None,
                    "loop_to": None, "unmapped_ingress": None}
    path = list(tb.path)
    for k, (key, ingress) in enumerate(path):
        src = SOURCE[key]
        hops.append(src.provider)
        trunk = src.trunk(ingress)
        if not trunk.name:
            result.update(outcome="unmapped_ingress", unmapped_ingress=ingress)
            break
        if trunk.customer:
            result.update(outcome="origin", origin_provider=src.provider, customer=trunk.name)
            break
        if trunk.name in hops:
            result.update(outcome="loop", loop_to=trunk.name)
            break
        nxt = BY_PROVIDER.get(trunk.name)
        if nxt is None:
            hops.append(trunk.name)
            result["outcome"] = "no_records"
            break
        if k + 1 >= len(path):
            hops.append(trunk.name)
            result["outcome"] = "not_found"
            break
        assert path[k + 1][0] == nxt.key, (tb.tb_id, path[k + 1], nxt.key)
    result["hops"] = hops
    assert result["outcome"] == tb.outcome, (tb.tb_id, result)
    return result


# --------------------------------------------------------------------------- rows

FIELDS = ("inv", "ring", "dur", "answered", "calling", "called", "ingress", "egress",
          "attest", "origid", "callid", "tag")


@dataclass
class Rows:
    """Columns of one source before formatting: true invite instant (UTC µs), ring and talk
    time (µs / ms), number and trunk indexes, attestation code, random id bytes, tag."""

    cols: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.cols["inv"])

    def take(self, idx: np.ndarray) -> "Rows":
        return Rows({k: v[idx] for k, v in self.cols.items()})

    @staticmethod
    def concat(a: "Rows", b: "Rows") -> "Rows":
        return Rows({k: np.concatenate([a.cols[k], b.cols[k]]) for k in FIELDS})

    def recorded(self, src: Source) -> np.ndarray:
        """The instant the source writes as its start (skewed clock, answer basis)."""
        rec = self.cols["inv"] + src.skew_s * S
        return rec + self.cols["ring"] if src.answer_basis else rec


_HOURLY = np.array([.5, .35, .2, .12, .08, .06, .06, .08, .12, .2, .35, .55,
                    .8, 1, 1, 1, 1, 1, 1, 1, .95, .9, .8, .65])


def _calls(n: int, rng: np.random.Generator, answered_share: float = 0.7) -> dict[str, np.ndarray]:
    """Invite instants with a daily rhythm (U.S. daytime busiest), ring and talk times."""
    day = rng.integers(0, WINDOW_DAYS, n)
    hour = rng.choice(24, n, p=_HOURLY / _HOURLY.sum())
    inv = _us(WINDOW_START) + (day * 86400 + hour * 3600) * S + rng.integers(0, 3600 * S, n)
    answered = rng.random(n) < answered_share
    dur = np.clip(rng.lognormal(np.log(38_000), 1.0, n), 1000, 3_600_000).astype(np.int64)
    return {"inv": inv.astype(np.int64), "ring": rng.integers(3 * S, 12 * S, n),
            "dur": np.where(answered, dur, 0), "answered": answered}


def _callings(n: int, foreign_share: np.ndarray | float, rng: np.random.Generator,
              book: NumberBook) -> np.ndarray:
    us_pool, fo_pool = book.pool("us"), book.pool("foreign")
    return np.where(rng.random(n) < foreign_share, rng.choice(fo_pool, n),
                    rng.choice(us_pool, n)).astype(np.int32)


def _random_attest(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.choice(4, n, p=[.2, .35, .25, .2]).astype(np.int8)


def _background(src: Source, n: int, rng: np.random.Generator, book: NumberBook) -> Rows:
    """Calls only this provider's file holds (the rest of its traffic went elsewhere)."""
    calls = _calls(n, rng, 1.0 if src.answered_only else 0.7)
    weights = np.array([t.weight for t in src.trunks])
    ingress = rng.choice(len(src.trunks), n, p=weights / weights.sum()).astype(np.int16)
    foreign_trunk = np.array([t.name in FOREIGN for t in src.trunks])[ingress]
    attest = _random_attest(n, rng) if src.signs else np.zeros(n, np.int8)
    if src.key == "seaport":
        attest = np.where(foreign_trunk & (attest > 0), 3, attest).astype(np.int8)
    return Rows({
        **calls,
        "calling": _callings(n, np.where(foreign_trunk, 0.4, 0.02), rng, book),
        "called": rng.choice(book.pool(src.called_pool), n).astype(np.int32),
        "ingress": ingress,
        "egress": rng.integers(0, max(len(src.egress), 1), n).astype(np.int16),
        "attest": attest,
        "origid": rng.integers(0, 256, (n, 16), dtype=np.uint8),
        "callid": rng.integers(0, 256, (n, 8), dtype=np.uint8),
        "tag": np.full(n, -1, np.int32),
    })


_ACCOUNTS = ("ACCT-1001", "ACCT-1002", "ACCT-1003", "ACCT-1017", "ACCT-2093")
_SEAPORT_OTHERS = ("000412", "000519", "000633", "000777")
#: Routes of ordinary traffic through several of the case's providers (weight, hops from the
#: downstream end, ingress ids to draw from). They make the files share calls, as real
#: neighbours' CDRs do, so per-source clock offsets can be estimated from the data.
ROUTES = (
    (.16, (("terminus", ("MWT-01",)), ("midway", ("0417",)), ("lakeshore", ("SGW-A",)),
           ("seaport", ("000307",)), ("origin", _ACCOUNTS))),
    (.12, (("terminus", ("MWT-01",)), ("midway", ("0417",)), ("lakeshore", ("SGW-A",)),
           ("seaport", _SEAPORT_OTHERS))),
    (.08, (("terminus", ("MWT-01",)), ("midway", ("0420",)), ("seaport", ("000307",)),
           ("origin", _ACCOUNTS))),
    (.08, (("terminus", ("MWT-01",)), ("midway", ("0420",)), ("seaport", _SEAPORT_OTHERS))),
    (.14, (("terminus", ("MWT-01",)), ("midway", ("0417",)),
           ("lakeshore", ("PRX-22", "CUST-0031", "TG-0999")))),
    (.14, (("terminus", ("MWT-01",)), ("midway", ("0388", "CUST-88", "0502")))),
    (.14, (("midway", ("0417",)), ("lakeshore", ("SGW-A",)), ("seaport", ("000307",)),
           ("origin", _ACCOUNTS))),
    (.14, (("lakeshore", ("SGW-A",)), ("seaport", ("000307",)), ("origin", _ACCOUNTS))),
)
THROUGH_SHARE = 0.45  # through-route calls per source row requested


def _through_traffic(rows: int, rng: np.random.Generator, book: NumberBook) -> dict[str, Rows]:
    """Calls that cross several providers: same numbers at every hop, each hop a little
    earlier than the one downstream, ingress/egress ids consistent with the case tables."""
    parts: dict[str, list[Rows]] = {s.key: [] for s in SOURCES}
    for weight, hops in ROUTES:
        n = int(rows * THROUGH_SHARE * weight)
        calls = _calls(n, rng)
        picks = [rng.integers(0, len(ids), n) for _, ids in hops]
        ingress = [np.array(ids)[p] for (_, ids), p in zip(hops, picks)]
        keys = [k for k, _ in hops]
        foreign = np.zeros(n, bool)
        if "seaport" in keys:
            ids = ingress[keys.index("seaport")]
            foreign = np.isin(ids, ("000412", "000633"))
        attest = _random_attest(n, rng)
        if "origin" in keys:
            attest = rng.choice(np.array([1, 2], np.int8), n, p=[.6, .4])
        attest = np.where(foreign, 3, attest).astype(np.int8)
        shared = {"calling": _callings(n, np.where(foreign, 0.4, 0.02), rng, book),
                  "called": rng.choice(book.pool("chicago" if keys[0] == "terminus" else "us"),
                                       n).astype(np.int32),
                  "attest": attest, "origid": rng.integers(0, 256, (n, 16), dtype=np.uint8)}
        inv, downstream = calls["inv"].copy(), None
        for j, (key, _) in enumerate(hops):
            src = SOURCE[key]
            if j:
                inv = inv - rng.integers(50_000, 800_000, n)
            trunk_ids = [t.id for t in src.trunks]
            if downstream is None:
                others = [k for k, e in enumerate(src.egress) if e not in EGRESS_TO.values()]
                egress = rng.choice(np.array(others or [0]), n)
            else:
                egress = np.full(n, src.egress.index(EGRESS_TO[(key, downstream)]))
            keep = calls["answered"] if src.answered_only else np.ones(n, bool)
            part = Rows({**calls, **shared, "inv": inv,
                         "ingress": np.array([trunk_ids.index(i) for i in ingress[j]],
                                             np.int16).reshape(n),
                         "egress": egress.astype(np.int16),
                         "callid": rng.integers(0, 256, (n, 8), dtype=np.uint8),
                         "tag": np.full(n, -1, np.int32)})
            parts[key].append(part.take(np.flatnonzero(keep)))
            downstream = src.provider
    out = {}
    for key, chunks in parts.items():
        merged = chunks[0]
        for c in chunks[1:]:
            merged = Rows.concat(merged, c)
        out[key] = merged
    return out


@dataclass
class Plan:
    """Special rows (traced calls, retries, decoys) per source and what each tag means."""

    rows: dict[str, list[dict]] = field(default_factory=lambda: {s.key: [] for s in SOURCES})
    tags: dict[int, tuple[str, str, int]] = field(default_factory=dict)  # tag -> (tb, kind, hop)
    calls: dict[str, dict] = field(default_factory=dict)


def _uuid(rng: np.random.Generator) -> bytes:
    return rng.integers(0, 256, 16, dtype=np.uint8).tobytes()


def _plan(book: NumberBook, rng: np.random.Generator) -> Plan:
    plan = Plan()
    for tb in SCENARIO:
        book.reserved.update((book.idx(tb.calling), book.idx(tb.called)))
    for tb in SCENARIO:
        t0 = _us(tb.t0) + int(rng.integers(0, S))
        call = {"calling": book.idx(tb.calling), "called": book.idx(tb.called), "t0": t0,
                "ring": int(rng.integers(3 * S, 12 * S)), "dur": int(rng.integers(25_000, 140_000)),
                "attest": ATTESTS.index(tb.attest), "origid": _uuid(rng)}
        plan.calls[tb.tb_id] = call
        _propagate(plan, tb, call, "traced", book, rng)
        retry = dict(call, t0=t0 + int(rng.integers(28 * S, 32 * S)), dur=int(rng.integers(1000, 4500)),
                     ring=int(rng.integers(3 * S, 12 * S)), origid=_uuid(rng))
        _propagate(plan, tb, retry, "retry", book, rng)
    return plan


def _propagate(plan: Plan, tb: TracedCall, call: dict, kind: str, book: NumberBook,
               rng: np.random.Generator) -> None:
    """Rows of one call at every hop it crossed, each hop a little earlier than the last."""
    hops = list(tb.path)
    if kind == "traced" and tb.beyond:
        hops += [("", "")] + list(tb.beyond)  # ("", "") = the provider that lost the record
    inv, downstream = call["t0"], None
    for k, (key, ingress) in enumerate(hops):
        if k:
            inv -= int(rng.integers(50_000, 800_000))
        if not key:
            downstream = BY_PROVIDER[SOURCE[hops[k - 1][0]].trunk(hops[k - 1][1]).name].provider
            continue
        src = SOURCE[key]
        tag = len(plan.tags)
        plan.tags[tag] = (tb.tb_id, kind if k < len(tb.path) else "beyond", k + 1)
        plan.rows[key].append({
            "inv": inv, "ring": call["ring"], "dur": call["dur"], "answered": True,
            "calling": call["calling"], "called": call["called"], "ingress": ingress,
            "egress": EGRESS_TO.get((key, downstream), ""), "attest": call["attest"],
            "origid": call["origid"], "callid": rng.integers(0, 256, 8, dtype=np.uint8).tobytes(),
            "tag": tag})
        if kind == "traced" and k < len(tb.path):
            _decoys(plan, src, inv, plan.rows[key][-1], book, rng)
        downstream = src.provider


def _decoys(plan: Plan, src: Source, inv: int, real: dict, book: NumberBook,
            rng: np.random.Generator) -> None:
    """Near misses: other ANIs to the same called number within a minute, and the same ANI to
    other numbers in the same second (the 30 s retry is propagated as a call of its own)."""
    def row(**kw) -> dict:
        r = dict(real, ring=int(rng.integers(3 * S, 12 * S)), dur=int(rng.integers(1000, 90_000)),
                 answered=src.answered_only or bool(rng.random() < .6),
                 attest=int(rng.integers(0, 4)), origid=_uuid(rng),
                 callid=rng.integers(0, 256, 8, dtype=np.uint8).tobytes(), tag=-1)
        r.update(kw)
        if not r["answered"]:
            r["dur"] = 0
        return r

    weights = np.array([t.weight for t in src.trunks])
    us_pool, called_pool = book.pool("us"), book.pool(src.called_pool)
    for _ in range(int(rng.integers(2, 4))):
        offset = int(rng.integers(15 * S, 55 * S)) * (1 if rng.random() < .5 else -1)
        t = src.trunks[int(rng.choice(len(src.trunks), p=weights / weights.sum()))]
        plan.rows[src.key].append(row(inv=inv + offset, calling=int(rng.choice(us_pool)),
                                      ingress=t.id, egress=""))
    second = inv - inv % S
    for _ in range(int(rng.integers(3, 6))):
        plan.rows[src.key].append(row(inv=second + int(rng.integers(0, S)),
                                      called=int(rng.choice(called_pool))))


def _special_rows(src: Source, specials: list[dict], ingress_ids: list[str],
                  egress_ids: list[str]) -> Rows:
    def ix(ids: list[str], value: str) -> int:
        if value not in ids:
            ids.append(value)
        return ids.index(value)

    n = len(specials)
    cols = {
        "inv": np.array([r["inv"] for r in specials], np.int64).reshape(n),
        "ring": np.array([r["ring"] for r in specials], np.int64).reshape(n),
        "dur": np.array([r["dur"] for r in specials], np.int64).reshape(n),
        "answered": np.array([r["answered"] for r in specials], bool).reshape(n),
        "calling": np.array([r["calling"] for r in specials], np.int32).reshape(n),
        "called": np.array([r["called"] for r in specials], np.int32).reshape(n),
        "ingress": np.array([ix(ingress_ids, r["ingress"]) for r in specials], np.int16).reshape(n),
        "egress": np.array([ix(egress_ids, r["egress"] or (egress_ids[0] if egress_ids else ""))
                            for r in specials], np.int16).reshape(n),
        "attest": np.array([r["attest"] for r in specials], np.int8).reshape(n),
        "origid": np.frombuffer(b"".join(r["origid"] for r in specials), np.uint8).reshape(n, 16),
        "callid": np.frombuffer(b"".join(r["callid"] for r in specials), np.uint8).reshape(n, 8),
        "tag": np.array([r["tag"] for r in specials], np.int32).reshape(n),
    }
    return Rows(cols)


# --------------------------------------------------------------------------- formatting helpers

_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)


def _fixed_strings(mat: np.ndarray) -> pa.Array:
    """Rows of a uint8 matrix as one Arrow string each (no Python objects)."""
    n, w = mat.shape
    offsets = (np.arange(n + 1, dtype=np.int64) * w)
    if offsets[-1] < 2**31:
        return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets.astype(np.int32)),
                                                      pa.py_buffer(np.ascontiguousarray(mat))])
    return pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(offsets),
                                                        pa.py_buffer(np.ascontiguousarray(mat))])


def _hex(b: np.ndarray) -> np.ndarray:
    out = np.empty((b.shape[0], b.shape[1] * 2), np.uint8)
    out[:, 0::2], out[:, 1::2] = _HEX[b >> 4], _HEX[b & 15]
    return out


def _uuids(b: np.ndarray) -> pa.Array:
    b = b.copy()
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40  # version 4
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    h = _hex(b)
    out = np.full((len(b), 36), ord("-"), np.uint8)
    for (a, z), (c, d) in zip(((0, 8), (9, 13), (14, 18), (19, 23), (24, 36)),
                              ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))):
        out[:, a:z] = h[:, c:d]
    return _fixed_strings(out)


def _uuid_text(raw: bytes) -> str:
    return _uuids(np.frombuffer(raw, np.uint8).reshape(1, 16))[0].as_py()


def _callids(b: np.ndarray, suffix: str) -> pa.Array:
    h = _hex(b)
    tail = np.frombuffer(suffix.encode(), np.uint8)
    return _fixed_strings(np.hstack([h, np.broadcast_to(tail, (len(b), len(tail)))]))


def _local_seconds(us: np.ndarray, tz: str) -> np.ndarray:
    """UTC µs -> wall-clock seconds in ``tz`` (offsets looked up once per hour spanned)."""
    sec = us // S
    if tz == "UTC" or not len(sec):
        return sec
    hours = sec // 3600
    lo = int(hours.min())
    zone = ZoneInfo(tz)
    offsets = np.array([int(dt.datetime.fromtimestamp(h * 3600, zone).utcoffset().total_seconds())
                        for h in range(lo, int(hours.max()) + 1)], np.int64)
    return sec + offsets[hours - lo]


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days since 1970-01-01 -> (year, month, day), vectorized (H. Hinnant's algorithm)."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, doy - (153 * mp + 2) // 5 + 1


def _strftime(sec: np.ndarray, fmt: str) -> pa.Array:
    """Seconds as text with %Y %m %d %H %M %S; 10x faster than Arrow's strftime."""
    days, rem = np.divmod(sec, 86400)
    year, month, day = _civil(days)
    fields = {"Y": (year, 4), "m": (month, 2), "d": (day, 2), "H": (rem // 3600, 2),
              "M": (rem // 60 % 60, 2), "S": (rem % 60, 2)}
    parts = re.findall(r"%[YmdHMS]|[^%]+", fmt)
    width = sum(fields[p[1]][1] if p[0] == "%" else len(p.encode()) for p in parts)
    out, col = np.empty((len(sec), width), np.uint8), 0
    for p in parts:
        if p[0] == "%":
            value, w = fields[p[1]]
            for k in range(w):
                out[:, col + k] = 48 + value // 10 ** (w - 1 - k) % 10
            col += w
        else:
            out[:, col:col + len(p.encode())] = np.frombuffer(p.encode(), np.uint8)
            col += len(p.encode())
    return _fixed_strings(out)


def _times(us: np.ndarray, tz: str, fmt: str) -> pa.Array:
    """Instants (UTC µs, truncated to the second) as wall-clock text in zone ``tz``."""
    return _strftime(_local_seconds(us, tz), fmt)


def _pick(values: list[str] | tuple[str, ...], idx: np.ndarray, empty_null: bool = True) -> pa.Array:
    arr = pc.take(pa.array(list(values), pa.string()), pa.array(idx.astype(np.int32)))
    return _null_where(arr, pc.equal(arr, "")) if empty_null else arr


def _null_where(arr: pa.Array, mask) -> pa.Array:
    return pc.if_else(mask, pa.scalar(None, arr.type), arr)


def _round_s(ms: np.ndarray, how: str) -> np.ndarray:
    return {"round": (ms + 500) // 1000, "ceil": -(-ms // 1000), "floor": ms // 1000}[how]


def _dispositions(r: Rows, names: tuple[str, str, str, str], rng: np.random.Generator) -> pa.Array:
    fail = rng.choice(3, len(r), p=[.7, .2, .1]) + 1
    return _pick(names, np.where(r.cols["answered"], 0, fail), empty_null=False)


def _write_delimited(header: list[str], cols: list[pa.Array], delim: str) -> bytes:
    table = pa.table({f"c{i}": c for i, c in enumerate(cols)})
    buf = io.BytesIO()
    buf.write((delim.join(header) + "\n").encode())
    if table.num_rows:
        pv.write_csv(table, buf, pv.WriteOptions(include_header=False, delimiter=delim,
                                                 quoting_style="none"))
    return buf.getvalue()


# --------------------------------------------------------------------------- one writer per source

@dataclass
class Written:
    """What a writer put on disk: path, the physical line of each sorted row, texts for truth."""

    path: str
    lines: np.ndarray
    texts: dict[str, pa.Array]
    bad_rows: list[dict] = field(default_factory=list)
    note: str = ""


@dataclass
class Ctx:
    src: Source
    rows: Rows  # sorted by recorded start
    out: Path
    book: NumberBook
    rng: np.random.Generator
    ingress_ids: list[str]
    egress_ids: list[str]
    seaport_csv: bool = False

    def numbers(self, which: str, form: str) -> pa.Array:
        return pc.take(self.book.form(form), pa.array(self.rows.cols[which]))

    def ingress(self) -> pa.Array:
        return _pick(self.ingress_ids, self.rows.cols["ingress"], empty_null=False)

    def egress(self) -> pa.Array:
        return _pick(self.egress_ids, self.rows.cols["egress"])

    def plain_lines(self) -> np.ndarray:
        return np.arange(len(self.rows), dtype=np.int64) + 2  # header is line 1

    def end_us(self) -> np.ndarray:
        c = self.rows.cols
        return c["inv"] + c["ring"] + c["dur"] * 1000


def _write_terminus(x: Ctx) -> Written:
    c, n = x.rows.cols, len(x.rows)
    iso = "%Y-%m-%dT%H:%M:%SZ"
    unanswered = pa.array(~c["answered"])
    unsigned = pa.array(c["attest"] == 0)
    failed = (c["tag"] < 0) & (c["attest"] > 0) & (x.rng.random(n) < .03)
    start = _times(c["inv"], "UTC", iso)
    calling, called = x.numbers("calling", "e164"), x.numbers("called", "e164")
    cols = [pc.binary_join_element_wise("TW", pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)),
                                                                    pa.string()), 9, "0"), ""),
            start, _null_where(_times(c["inv"] + c["ring"], "UTC", iso), unanswered),
            _times(x.end_us(), "UTC", iso), calling, called,
            pa.array(_round_s(c["dur"], "round")),
            _dispositions(x.rows, ("ANSWERED", "NO ANSWER", "BUSY", "FAILED"), x.rng),
            x.ingress(), _callids(c["callid"], "@10.20.0.5"),
            _pick(ATTESTS, c["attest"]), _null_where(_uuids(c["origid"]), unsigned),
            _pick(("TN-Validation-Passed", "TN-Validation-Failed", "No-TN-Validation"),
                  np.where(c["attest"] == 0, 2, failed.astype(int)))]
    header = ["record_id", "start_time", "answer_time", "end_time", "ANI", "DNIS", "duration",
              "disposition", "trunk_in", "call_id", "attest", "origid", "verstat"]
    path = x.out / x.src.path
    path.write_bytes(_write_delimited(header, cols, ","))
    return Written(x.src.path, x.plain_lines(),
                   {"start": start, "calling": calling, "called": called, "ingress": x.ingress()})


_IPS = {"0417": "198.51.100.17", "0420": "198.51.100.20", "0388": "192.0.2.88",
        "CUST-88": "203.0.113.88", "0502": "192.0.2.52"}


def _write_midway(x: Ctx) -> Written:
    c, n = x.rows.cols, len(x.rows)
    fmt, tz = "%m/%d/%Y %H:%M:%S", x.src.timezone
    secs = _round_s(c["dur"], "ceil")
    start = _times(c["inv"], tz, fmt)
    calling, called = x.numbers("calling", "nanp11"), x.numbers("called", "nanp11")
    foreign = c["calling"] >= x.book.n_us
    cols = [_pick(("LD", "INTL"), foreign.astype(int)), start, _times(x.end_us(), tz, fmt),
            pa.array(secs), pa.array(np.where(secs > 0, np.maximum(6, -(-secs // 6) * 6), 0)),
            pa.array(4_210_000_000 + np.arange(n) * 3 + x.rng.integers(0, 3, n)),
            _pick([_IPS.get(i, "198.51.100.250") for i in x.ingress_ids], c["ingress"]),
            calling, called, x.ingress(), x.egress(),
            _dispositions(x.rows, ("16", "19", "17", "34"), x.rng)]
    header = ["CallType", "StartTime", "StopTime", "CallDuration", "BillDuration",
              "TransactionId", "CustomerIP", "ANI", "DNIS", "IngressTrunk", "EgressTrunk",
              "ReleaseCause"]
    data = _write_delimited(header, cols, ";")
    data, lines, bad = _splice_bad_lines(data, n, x)
    (x.out / x.src.path).write_bytes(data)
    return Written(x.src.path, lines,
                   {"start": start, "calling": calling, "called": called, "ingress": x.ingress()},
                   bad_rows=bad)


def _splice_bad_lines(data: bytes, n: int, x: Ctx) -> tuple[bytes, np.ndarray, list[dict]]:
    """Three damaged lines, as real exports have them: an Excel '####' date, an impossible
    hour, and a last line cut short by an interrupted download (no final newline)."""
    us = x.book.pool("us")
    a, b = (x.book.text(int(i), "nanp11") for i in x.rng.choice(us, 2))
    cuts = [n // 3, (2 * n) // 3]
    bad_text = [f"LD;##########;##########;41;42;4209999871;192.0.2.88;{a};{b};0388;HBL-3;16",
                f"LD;03/07/2026 26:14:09;03/07/2026 26:15:02;53;54;4209999872;198.51.100.17;"
                f"{b};{a};0417;TRM-05;16",
                "LD;03/10/2026 23:59:41;03/10/2026 23:5"]
    buf = np.frombuffer(data, np.uint8)
    nl = np.flatnonzero(buf == 10)
    starts = nl + 1  # row i (line i + 2) starts at starts[i]
    pieces, prev = [], 0
    for cut, text in zip(cuts, bad_text):
        at = int(starts[cut])
        pieces += [data[prev:at], (text + "\n").encode()]
        prev = at
    pieces += [data[prev:], bad_text[2].encode()]
    pos = np.arange(n)
    lines = pos + 2 + (pos >= cuts[0]) + (pos >= cuts[1])
    bad = [{"source": x.src.path, "line": cuts[0] + 2, "text": bad_text[0],
            "problem": "unparseable start time '##########' (Excel column too narrow)"},
           {"source": x.src.path, "line": cuts[1] + 3, "text": bad_text[1],
            "problem": "unparseable start time (hour 26)"},
           {"source": x.src.path, "line": n + 4, "text": bad_text[2],
            "problem": "last line cut short: 3 of 12 fields, no final newline"}]
    return b"".join(pieces), lines.astype(np.int64), bad


def _write_lakeshore(x: Ctx) -> Written:
    c, n = x.rows.cols, len(x.rows)
    rec = x.rows.recorded(x.src)
    date, time = _times(rec, "UTC", "%Y-%m-%d"), _times(rec, "UTC", "%H:%M:%S")
    calling, called = x.numbers("calling", "paren"), x.numbers("called", "dotted")
    cols = [date, time, calling, called, x.ingress(), x.egress(),
            pa.array(_round_s(c["dur"], "floor")),
            _pick(("16", "31"), (x.rng.random(n) < .05).astype(int)),
            pc.utf8_upper(_fixed_strings(_hex(c["callid"])))]
    header = ["Date", "Time", "Orig Number", "Term Number", "In TG", "Out TG", "Secs",
              "Rel Cause", "Session ID"]
    (x.out / x.src.path).write_bytes(_write_delimited(header, cols, "|"))
    start = pc.binary_join_element_wise(date, time, " ")
    return Written(x.src.path, x.plain_lines(),
                   {"start": start, "calling": calling, "called": called, "ingress": x.ingress()})


def _write_seaport(x: Ctx) -> Written:
    c = x.rows.cols
    rec, tz = x.rows.recorded(x.src), x.src.timezone
    end = rec + c["ring"] + c["dur"] * 1000
    calling, called = x.numbers("calling", "sip"), x.numbers("called", "ten")
    header = [h for _, h in x.src.columns]
    start_text = _times(rec, tz, "%Y-%m-%d %H:%M:%S")
    cols = [start_text, _times(end, tz, "%Y-%m-%d %H:%M:%S"), calling, called, x.ingress(),
            x.egress(), pa.array(_round_s(c["dur"], "round")),
            _dispositions(x.rows, ("Completed", "No Answer", "Busy", "Failed"), x.rng),
            _pick(ATTESTS, c["attest"]), _null_where(_uuids(c["origid"]), pa.array(c["attest"] == 0)),
            _callids(c["callid"], "@192.0.2.45")]
    texts = {"start": start_text, "calling": calling, "called": called, "ingress": x.ingress()}
    if x.seaport_csv:
        rel = str(Path(x.src.path).with_suffix(".csv"))
        (x.out / rel).write_bytes(_write_delimited(header, cols, ","))
        return Written(rel, x.plain_lines(), texts,
                       note=f"comma separated, local wall time (CSV, not XLSX, above "
                            f"{XLSX_MAX_ROWS} rows)")
    for i, us in ((0, rec), (1, end)):  # real date cells: naive local wall time
        cols[i] = pa.array(_local_seconds(us, tz), pa.timestamp("s"))
    _write_xlsx(x.out / x.src.path, "CDR Export", header, cols)
    return Written(x.src.path, x.plain_lines(), texts)


def _write_xlsx(path: Path, sheet: str, header: list[str], cols: list[pa.Array]) -> None:
    """XLSX with text cells for ids (leading zeros kept) and date cells for times; the
    package is rewritten with fixed timestamps so a seed always gives the same bytes."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(header)
    for row in zip(*(col.to_pylist() for col in cols)):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    fixed = "2026-03-11T00:00:00Z"
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", fixed.encode(), data)
            info = zipfile.ZipInfo(name, date_time=(2026, 3, 11, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)


def _write_origin(x: Ctx) -> Written:
    import pyarrow.parquet as pq

    c = x.rows.cols
    calling, called = x.numbers("calling", "ten"), x.numbers("called", "dashed")
    start = pa.array(c["inv"] // 1000, pa.timestamp("ms", tz="UTC"))
    table = pa.table({
        "start_time": start, "src": calling, "dst": called,
        "billsec": pa.array(_round_s(c["dur"], "round").astype(np.int32)),
        "hangup_cause": _dispositions(x.rows, ("NORMAL_CLEARING", "NO_ANSWER", "USER_BUSY",
                                               "NORMAL_TEMPORARY_FAILURE"), x.rng),
        "account": x.ingress(), "trunk_out": x.egress(),
        "sip_call_id": _callids(c["callid"], "@sbc.originvoice.example"),
        "attest": _pick(ATTESTS, c["attest"]),
        "origid": _null_where(_uuids(c["origid"]), pa.array(c["attest"] == 0)),
    })
    pq.write_table(table, x.out / x.src.path, compression="zstd")
    return Written(x.src.path, x.plain_lines(),
                   {"start": start, "calling": calling, "called": called, "ingress": x.ingress()})


WRITERS = {"terminus": _write_terminus, "midway": _write_midway, "lakeshore": _write_lakeshore,
           "seaport": _write_seaport, "origin": _write_origin}


# --------------------------------------------------------------------------- case files

def _toml_str(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(v: object) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return _toml_str(str(v))


def case_toml(paths: dict[str, str], notes: dict[str, str], rows: int, seed: int) -> str:
    """The case file, written by hand (no TOML writer dependency)."""
    out = [f"# Fictional training case written by workbench.generate (seed {seed}, {rows} "
           "background rows per source).",
           "# Every provider, customer and number is invented (NANP lines are NPA-555-01xx).",
           "", "[case]", f"name = {_toml_str(CASE_NAME)}", 'default_country = "US"']
    for p in PROVIDERS:
        out += ["", "[[providers]]", f"name = {_toml_str(p.name)}",
                f"aliases = {_toml_value(list(p.aliases))}", f"rmd = {_toml_str(p.rmd)}"]
    for src in SOURCES:
        out += ["", "[[sources]]", f"# {notes.get(src.key) or src.comment}"]
        out += [f"provider = {_toml_str(src.provider)}", f"path = {_toml_str(paths[src.key])}",
                'format = "generic"', f"timezone = {_toml_str(src.timezone)}"]
        if src.date_order:
            out.append(f"date_order = {_toml_str(src.date_order)}")
        if src.columns:
            out += ["[sources.columns]"] + [f"{k} = {_toml_value(v)}" for k, v in src.columns]
        for title, customer in (("upstreams", False), ("customers", True)):
            mapped = [t for t in src.trunks if t.name and t.customer == customer]
            if mapped:
                out += [f"[sources.{title}]"] + [f"{_toml_str(t.id)} = {_toml_str(t.name)}"
                                                 for t in mapped]
    out += ["", "[[tracebacks]]", 'path = "tracebacks.csv"', ""]
    return "\n".join(out)


def _call_time(tb: TracedCall) -> str:
    if not tb.call_time_offset:
        return tb.t0
    sign = -1 if tb.call_time_offset.startswith("-") else 1
    hh, mm = tb.call_time_offset[1:].split(":")
    tz = dt.timezone(sign * dt.timedelta(hours=int(hh), minutes=int(mm)))
    return dt.datetime.fromisoformat(tb.t0.replace("Z", "+00:00")).astimezone(tz).isoformat()


def tracebacks_csv(rng: np.random.Generator) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(TRACEBACK_HEADER)
    for tb in SCENARIO:
        sent = _us(tb.t0) // S + 2 * 86400 + int(rng.integers(3600, 6 * 3600))
        for hop, (provider, status, upstream, notes) in enumerate(tb.stated, start=1):
            answered = status != "no_response"
            took = int(rng.integers(20 * 60, 20 * 3600))
            w.writerow([tb.tb_id, tb.campaign, _call_time(tb), tb.calling, tb.called, hop,
                        provider, upstream, status, _iso(sent * S),
                        _iso((sent + took) * S) if answered else "", notes])
            sent += took + int(rng.integers(600, 4 * 3600))
    return buf.getvalue()


def _role(hop: int, provider: str, upstream: str | None, customer: bool) -> str:
    if hop == 1:
        return "terminating"
    if provider in FOREIGN:
        return "foreign"
    if customer:
        return "originating"
    return "gateway" if upstream in FOREIGN else "intermediate"


def _record(where: dict, tag: int, key: str) -> dict:
    pos_lines, written = where[key]
    w, pos = written, pos_lines[tag]
    texts = {f"{k}_text": w.texts[k][pos].as_py() for k in ("start", "calling", "called",
                                                              "ingress")}
    if isinstance(texts["start_text"], dt.datetime):  # Parquet: a zone-aware timestamp
        texts["start_text"] = texts["start_text"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {"source": w.path, "line": int(w.lines[pos]), **texts}


def truth(plan: Plan, where: dict, rows: int, seed: int,
          bad_rows: list[dict], paths: dict[str, str]) -> dict:
    """The answer key: per traceback the outcome, hop list and the exact CDR line per hop."""
    by_tb: dict[str, dict[tuple[str, int], int]] = {}
    for tag, (tb_id, kind, hop) in plan.tags.items():
        by_tb.setdefault(tb_id, {})[(kind, hop)] = tag
    tbs = {}
    for tb in SCENARIO:
        exp, tags, call = trace_expected(tb), by_tb[tb.tb_id], plan.calls[tb.tb_id]
        records = []
        for hop, provider in enumerate(exp["hops"], start=1):
            src = BY_PROVIDER.get(provider)
            rec: dict = {"hop": hop, "provider": provider, "source": None, "line": None}
            if hop <= len(tb.path):
                key, ingress = tb.path[hop - 1]
                trunk = SOURCE[key].trunk(ingress)
                rec.update(_record(where, tags[("traced", hop)], key))
                rec["upstream"] = None if trunk.customer else (trunk.name or None)
                rec["customer"] = trunk.name if trunk.customer else None
            elif src is not None:
                rec["source"] = paths[src.key]  # holds CDRs, but not this call
            rec["role"] = _role(hop, provider, rec.get("upstream"), bool(rec.get("customer")))
            records.append(rec)
        beyond = [_hop_record(where, tags, "beyond", hop, key)
                  for hop, (key, _) in enumerate(tb.beyond, start=len(tb.path) + 2)]
        retry = [_hop_record(where, tags, "retry", hop, key)
                 for hop, (key, _) in enumerate(tb.path, start=1)
                 if tags.get(("retry", hop)) in where[key][0]]
        stated = [{"hop": i, "provider": p, "stated_upstream": u,
                   "cdr_upstream": records[i - 1].get("upstream")}
                  for i, (p, status, u, _) in enumerate(tb.stated, start=1)
                  if status == "upstream_identified" and i <= len(records)
                  and records[i - 1]["provider"] == p and records[i - 1].get("upstream")
                  and records[i - 1]["upstream"] != u]
        tbs[tb.tb_id] = {
            "campaign": tb.campaign, "outcome": exp["outcome"], "hops": exp["hops"],
            "origin_provider": exp["origin_provider"], "customer": exp["customer"],
            "loop_to": exp["loop_to"], "unmapped_ingress": exp["unmapped_ingress"],
            "call": {"calling": tb.calling, "called": tb.called, "call_time": _call_time(tb),
                     "invite_utc": _iso_us(call["t0"]),
                     "ring_seconds": round(call["ring"] / S, 3),
                     "talk_seconds": round(call["dur"] / 1000, 3)},
            "attest": tb.attest or None,
            "origid": _uuid_text(call["origid"]) if tb.attest else None,
            "records": records, "beyond_missing_hop": beyond, "retry_decoy": retry,
            "contradictions": stated, "teaching": tb.teaching,
        }
    return {
        "case": CASE_NAME, "seed": seed, "background_rows_per_source": rows,
        "time_window_utc": [WINDOW_START, _iso(_us(WINDOW_START) + WINDOW_DAYS * 86400 * S)],
        "line_numbers": "1-based physical lines; header is line 1; XLSX: sheet row; "
                        "Parquet: row index + 2",
        "sources": _source_facts(paths, where),
        "bad_rows": bad_rows,
        "cdr_gaps": [{"source": paths[BY_PROVIDER[trace_expected(tb)["hops"][-1]].key],
                      "from": tb.gap[0], "to": tb.gap[1], "traceback_id": tb.tb_id}
                     for tb in SCENARIO if tb.gap],
        "dst": _dst_facts(plan, where, paths),
        "tracebacks": tbs,
    }


def _hop_record(where: dict, tags: dict, kind: str, hop: int, key: str) -> dict:
    return {"hop": hop, "provider": SOURCE[key].provider, **_record(where, tags[(kind, hop)], key)}


def _iso_us(us: int) -> str:
    return dt.datetime.fromtimestamp(us / S, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _source_facts(paths: dict[str, str], where: dict) -> dict:
    facts = {}
    for src in SOURCES:
        written = where[src.key][1]
        facts[paths[src.key]] = {
            "provider": src.provider, "timezone": src.timezone,
            "rows_excluding_bad": int(len(written.lines)),
            "clock_skew_seconds": src.skew_s,
            "start_basis": "answer" if src.answer_basis else "invite",
            "answer_delay_seconds": [3, 12] if src.answer_basis else None,
            "start_precision": "millisecond" if src.key == "origin" else "second (truncated)",
            "duration_rounding": {"terminus": "round", "midway": "ceil", "lakeshore": "floor",
                                  "seaport": "round", "origin": "round"}[src.key],
            "number_examples": {"calling": _format_number("13125550143", src.calling_form, 0),
                                "called": _format_number("13125550143", src.called_form, 0),
                                "foreign_calling": _format_number("442079460018",
                                                                  src.calling_form, 0)},
            "note": written.note or None,
        }
    return facts


def _dst_facts(plan: Plan, where: dict, paths: dict[str, str]) -> dict:
    out = {}
    for key, change in (("midway", CHICAGO_DST_UTC), ("seaport", NEW_YORK_DST_UTC)):
        before, after = [], []
        for tag, (tb_id, kind, _) in plan.tags.items():
            if kind == "traced" and tag in where[key][0]:
                row = next(r for r in plan.rows[key] if r["tag"] == tag)
                (before if row["inv"] + SOURCE[key].skew_s * S < _us(change) else after).append(tb_id)
        out[paths[key]] = {"zone": SOURCE[key].timezone, "change_utc": change,
                           "local_gap": "02:00-03:00 local does not exist on 2026-03-08",
                           "traced_before": sorted(before), "traced_after": sorted(after)}
    return out


README = """# Auto-warranty training case (fictional)

Generated by `workbench generate` (`workbench.generate.generate_case`, seed {seed},
{rows} background rows per source). Every provider, customer and number is invented: NANP
numbers are all NPA-555-01xx, foreign numbers are UK drama-range numbers. The storyline is
based on the FCC's auto-warranty robocall enforcement (DA 22-727, FCC 22-99, FCC 23-64) and
the 2020 gateway warning letters; every hop here is synthetic.

## The story

A vehicle-warranty campaign reaches subscribers of **Terminus Wireless** (Chicago). The
domestic calls are placed by **Acme Vehicle Services LLC**, a customer (account ACCT-1001)
of **Origin Voice Co**, and travel Origin Voice Co -> Seaport Gateway LLC -> Lakeshore
Carrier Services -> Midway Transit -> Terminus Wireless. A second wave enters the U.S. at
Seaport Gateway LLC from the UK provider **Gullwing Telecom Ltd**, which has no CDRs in the
case. `tracebacks.csv` holds what each provider answered; `cdrs/` holds each provider's own
records in its own export format.

| traceback | what trainees should find |
|---|---|
{table}

## Things that make this hard (on purpose)

- `cdrs/midway.txt`: semicolon separated, Chicago wall time MM/DD/YYYY. The calls of
  2026-03-08 straddle the DST change (02:00 CST -> 03:00 CDT). It also holds three damaged
  lines (an Excel `##########` date, an hour of 26, a last line cut short) that the importer
  must report, not hide.
- `cdrs/lakeshore.psv`: pipe separated, date and time in two columns, and its switch writes
  the ANSWER time (3-12 s after the INVITE) where everybody else writes the INVITE time.
  Lakeshore also lost its CDRs between 19:38 and 19:51 UTC on 2026-03-09.
- `cdrs/seaport.xlsx`: real date cells in New York time from a clock that runs
  {skew} seconds fast. Trunk ids such as `000307` are text cells.
- `cdrs/origin.parquet`: zone-aware UTC timestamps with milliseconds.
- Numbers are written differently in every file (`+13125550143`, `13125550143`,
  `(312) 555-0143`, `312.555.0143`, `sip:+13125550143@10.0.0.1;user=phone`,
  `011 44 20 7946 0018`).
- About 40% of each file's rows are calls that also cross a neighbouring provider in the
  case, so per-source clock offsets (Seaport's +{skew} s, Lakeshore's answer-time lag) can be
  estimated from the data; the rest went to providers outside the case.
- Around every traced call: other callers to the same number within a minute, the same
  caller to several numbers in the same second, and a short retry of the same call 30 s later.

`truth.json` is the answer key (outcome, hops and the exact CDR line per hop). Keep it away
from trainees.
"""


def readme(rows: int, seed: int) -> str:
    table = "\n".join(f"| {tb.tb_id} | {trace_expected(tb)['outcome']}: {tb.teaching} |"
                      for tb in SCENARIO)
    return README.format(seed=seed, rows=rows, table=table, skew=SEAPORT_SKEW_S)


# --------------------------------------------------------------------------- entry point

def generate_case(out_dir: Path, rows: int = 20000, seed: int = 7, *,
                  progress: ProgressFn | None = None,
                  should_stop: StopFn | None = None) -> Path:
    """Write a fictional traceback case into ``out_dir`` and return that folder.

    ``rows`` is the number of background CDR rows per source (traced calls and their decoys
    come on top). The same ``seed`` always gives the same bytes. Above ``XLSX_MAX_ROWS`` the
    Seaport source is written as ``cdrs/seaport.csv`` instead of XLSX.
    """
    from .errors import InputError

    if rows < 0:
        raise InputError("rows must be 0 or more", field="rows")
    progress = progress or no_progress
    should_stop = should_stop or never_stop
    out = Path(out_dir)
    (out / "cdrs").mkdir(parents=True, exist_ok=True)
    book = NumberBook()
    plan = _plan(book, np.random.default_rng([seed, 1000]))
    through = _through_traffic(rows, np.random.default_rng([seed, 500]), book)
    gaps = {BY_PROVIDER[trace_expected(tb)["hops"][-1]].key: tb.gap for tb in SCENARIO if tb.gap}
    where: dict[str, tuple[dict[int, int], Written]] = {}
    paths, notes, bad_rows = {}, {}, []
    for i, src in enumerate(SOURCES):
        check(should_stop)
        progress(i / (len(SOURCES) + 1), f"writing {src.path}")
        rng = np.random.default_rng([seed, i])
        ingress_ids, egress_ids = [t.id for t in src.trunks], list(src.egress)
        shared = through[src.key]
        table = Rows.concat(Rows.concat(_background(src, max(rows - len(shared), 0), rng, book),
                                        shared),
                            _special_rows(src, plan.rows[src.key], ingress_ids, egress_ids))
        rec = table.recorded(src)
        if src.key in gaps:
            lo, hi = (_us(t) for t in gaps[src.key])
            keep = (rec < lo) | (rec >= hi)
            table, rec = table.take(np.flatnonzero(keep)), rec[keep]
        order = np.argsort(rec, kind="stable")
        table = table.take(order)
        tags = table.cols["tag"]
        pos = {int(t): int(p) for p, t in zip(np.flatnonzero(tags >= 0), tags[tags >= 0])}
        written = WRITERS[src.key](Ctx(src, table, out, book, rng, ingress_ids, egress_ids,
                                       seaport_csv=rows > XLSX_MAX_ROWS))
        where[src.key] = (pos, written)
        paths[src.key] = written.path
        notes[src.key] = written.note
        bad_rows += written.bad_rows
    _remove_stale(out, paths)
    check(should_stop)
    progress(len(SOURCES) / (len(SOURCES) + 1), "writing case.toml, tracebacks and truth")
    (out / "tracebacks.csv").write_text(tracebacks_csv(np.random.default_rng([seed, 2000])),
                                        encoding="utf-8", newline="")
    (out / "case.toml").write_text(case_toml(paths, notes, rows, seed), encoding="utf-8")
    key = truth(plan, where, rows, seed, bad_rows, paths)
    (out / "truth.json").write_text(json.dumps(key, indent=2, ensure_ascii=False) + "\n",
                                    encoding="utf-8")
    (out / "README.md").write_text(readme(rows, seed), encoding="utf-8")
    progress(1.0, "done")
    return out


def _remove_stale(out: Path, paths: dict[str, str]) -> None:
    """A regenerated case may switch Seaport between XLSX and CSV; drop the other one."""
    for ext in (".xlsx", ".csv"):
        other = out / Path(SOURCE["seaport"].path).with_suffix(ext)
        if other.exists() and str(other.relative_to(out)) != paths["seaport"]:
            other.unlink()
