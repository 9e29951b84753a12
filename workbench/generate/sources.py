"""The providers of the case and the five whose CDR exports it holds.

Each ``Source`` describes one export as its switch writes it: time zone, clock skew, number
forms, column headers, and the ingress trunks mapped in case.toml (or deliberately not).
"""
from __future__ import annotations

from dataclasses import dataclass

SEAPORT_SKEW_S = 97


@dataclass(frozen=True)
class Provider:
    """A provider a traceback may reach; only some of them have CDRs in the case."""

    name: str
    aliases: tuple[str, ...]
    rmd: str  # the RMD number case.toml records; "" = to be matched by name (see rmd.py)
    foreign: bool = False


PROVIDERS = (
    Provider("Terminus Wireless", ("Terminus", "TWX"), "RMD9004410"),
    Provider("Midway Transit", ("MWT", "Midway Transit Inc."), ""),
    Provider("Lakeshore Carrier Services", ("LCS", "Lakeshore"), ""),
    Provider("Seaport Gateway LLC", ("SGW",), "RMD9001234"),
    Provider("Origin Voice Co", ("OVC", "Origin Voice Company"), "RMD9005562"),
    Provider("Gullwing Telecom Ltd", ("Gullwing",), "RMD9009071", foreign=True),
    Provider("Marisol Telecom SA", ("Marisol",), "", foreign=True),
    Provider("Harborline Networks", ("Harborline",), "RMD9006604"),
    Provider("Bluefin Networks", ("Bluefin",), ""),
    Provider("Prairie Exchange", ("PRX",), "RMD9008120"),
    Provider("Cobalt Voice", ("Cobalt Voice LLC",), "RMD9008846"),
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
    """One provider's CDR export: where it is, how its switch writes times and numbers."""

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
        """The trunk this source writes as ``ingress``."""
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
