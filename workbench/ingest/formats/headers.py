"""Recognizing canonical fields from the header names carriers actually use."""
from __future__ import annotations

import re

from .base import CANONICAL_FIELDS

# Normalized header (lower case, letters and digits only) -> canonical field.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "start": ("start", "starttime", "callstart", "startdate", "startdatetime", "calldate",
              "calldatetime", "calltime", "setuptime", "invitetime", "datetime", "timestamp",
              "time", "date", "startingdate", "startstamp", "seizetime", "callstarttime",
              "startedat", "begin", "calltimeutc", "startutc", "starttimeutc", "callstartutc",
              # local wall-time and epoch-second spellings (Kamailio/OpenSIPS exports, PBXs)
              "startlocal", "localstart", "starttimelocal", "localstarttime", "epoch",
              "startepoch", "epochstart", "unixtime", "starttimeepoch"),
    "calling": ("calling", "callingnumber", "callingparty", "callingpartynumber", "ani",
                "cli", "caller", "callerid", "calleridnumber", "callernumber", "src",
                "sourcenumber", "from", "fromani", "fromnumber", "origination",
                "orignumber", "originatingnumber", "anumber", "cgpn", "srcnumber",
                "callingstationid", "clinumber", "callere164", "srcuser", "fromuser",
                "origuser"),
    "called": ("called", "callednumber", "calledparty", "calledpartynumber", "dnis", "dst",
               "destination", "destinationnumber", "to", "todid", "tonumber", "dialed",
               "dialednumber", "dialeddigits", "bnumber", "cdpn", "dstnumber", "callee",
               "calleenumber", "calledstationid", "did", "calleee164",
               "originalcalledpartynumber", "dstuser", "touser", "termnumber", "terminatingnumber",
               "termnum", "ruriuser"),
    "answer": ("answer", "answertime", "answerstamp", "connecttime", "answered",
               "answereddate", "answeredat", "connect"),
    "end": ("end", "endtime", "endstamp", "releasetime", "stoptime", "disconnecttime",
            "hanguptime", "enddate", "endedat", "stop", "release"),
    "duration": ("duration", "durationsec", "durationsecs", "durationseconds", "billsec",
                 "callduration", "billduration", "sessiontime", "holdtime", "seconds",
                 "talktime", "usage", "billableseconds", "durations", "secs", "sec",
                 "durationms", "durationmsec", "billmsec", "mduration", "usagens", "callsecs"),
    "disposition": ("disposition", "status", "callstatus", "result", "hangupcause",
                    "releasecause", "endreason", "terminationcause", "sipstatus",
                    "calldisposition", "causecode"),
    "ingress": ("ingress", "ingresstrunk", "trunkin", "intrunk", "inboundtrunk",
                "sourcetrunk", "origtrunk", "origtrunkid", "incomingtrunk", "ingressid",
                "carrierin", "fromtrunk", "trunkingress", "inroute", "ingressroute",
                "ingresspeer", "sourcecarrier", "upstream", "inboundcarrier", "trunkgroupin",
                "ingresscarrier", "ingressgwid", "callergateway", "customer", "account",
                "accountcode", "customerid", "accountid", "peerin", "srcip", "sourceip",
                # peer and trunk-group spellings: `in_peer` (SBCs), `In TG` (TDM switches)
                "inpeer", "intg", "ingresstg", "tgin", "inboundtg", "incomingtg",
                "ingresstrunkgroup", "ingressip", "inboundip", "inip", "srcpeer"),
    "egress": ("egress", "egresstrunk", "trunkout", "outtrunk", "outboundtrunk",
               "desttrunk", "termtrunk", "termtrunkid", "outgoingtrunk", "egressid",
               "carrierout", "totrunk", "trunkegress", "outroute", "egressroute",
               "egresspeer", "destcarrier", "downstream", "outboundcarrier", "trunkgroupout",
               "egresscarrier", "egressgwid", "calleegateway", "peerout", "dstip",
               "destinationip", "outpeer", "outtg", "egresstg", "tgout", "outboundtg",
               "outgoingtg", "egresstrunkgroup", "egressip", "outboundip", "outip", "dstpeer"),
    "call_id": ("callid", "sipcallid", "callidentifier", "sessionid", "uniqueid",
                "networkcallid", "origcallid", "originid", "callreference", "callref"),
    "attest": ("attest", "attestation", "attestationlevel", "shakenattest",
               "pattestationindicator", "stirattest"),
    "origid": ("origid", "originationid", "porigid", "porigination", "shakenorigid",
               "poriginationid"),
    "identity": ("identity", "identityheader", "siphidentity", "sipidentity", "stiridentity"),
    "verstat": ("verstat", "sipverstat", "verificationstatus"),
}

DATE_ONLY = ("date", "calldate", "startdate", "day")
TIME_ONLY = ("time", "calltime", "starttime", "calltimeutc", "starttimeutc", "timeutc",
             "callstarttime")

_LOOKUP = {syn: canon for canon, syns in SYNONYMS.items() for syn in syns}


def norm_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def auto_map(headers: list[str]) -> dict[str, str | list[str]]:
    """Canonical field -> header (or [date header, time header]) guessed from names.

    Exact synonyms win over prefix matches; each header is used at most once.
    """
    mapping: dict[str, str | list[str]] = {}
    used: set[str] = set()
    normed = {h: norm_header(h) for h in headers}
    for h, n in normed.items():
        canon = _LOOKUP.get(n)
        if canon and canon not in mapping and h not in used:
            mapping[canon] = h
            used.add(h)
    # Split date and time columns: "call_date" + "call_time_utc"
    dates = [h for h, n in normed.items() if n in DATE_ONLY or n.endswith("date")]
    times = [h for h, n in normed.items() if n in TIME_ONLY or (n.endswith("time") or
                                                              n.endswith("timeutc"))]
    if dates and times:
        d, t = dates[0], times[0]
        current = mapping.get("start")
        if current in (d, t) or current is None:
            mapping["start"] = [d, t]
            used.update((d, t))
    # Looser: header contains a telling word
    for canon, words in (("calling", ("ani", "calling", "caller")),
                         ("called", ("dnis", "called", "dest")),
                         ("ingress", ("ingress", "trunkin", "inbound")),
                         ("egress", ("egress", "trunkout", "outbound"))):
        if canon in mapping:
            continue
        for h, n in normed.items():
            if h not in used and any(n.startswith(w) or n.endswith(w) for w in words):
                mapping[canon] = h
                used.add(h)
                break
    return mapping


_UNIT_WORDS = {"ns": 1e-9, "nanos": 1e-9, "nanoseconds": 1e-9, "ms": 1e-3, "msec": 1e-3,
               "msecs": 1e-3, "millis": 1e-3, "milliseconds": 1e-3, "us": 1e-6, "usec": 1e-6,
               "µs": 1e-6, "micros": 1e-6, "microseconds": 1e-6, "s": 1.0, "sec": 1.0,
               "secs": 1.0, "seconds": 1.0}
_UNIT_NAMES = {"durationms": 1e-3, "mduration": 1e-3, "billmsec": 1e-3, "durationmsec": 1e-3,
               "uduration": 1e-6, "billusec": 1e-6, "usagens": 1e-9}


def duration_scale(header: str) -> float | None:
    """Seconds per unit of a duration column from its name: a unit word such as
    "Duration (ms)" or a known name (FreeSWITCH `mduration`). None: decide by magnitude
    (CGRateS `usage` is in nanoseconds)."""
    words = [w for w in re.split(r"[^a-zµ]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", header).lower())
             if w]
    if words and words[-1] in _UNIT_WORDS and len(words) > 1:
        return _UNIT_WORDS[words[-1]]
    n = norm_header(header)
    if n in _UNIT_NAMES:
        return _UNIT_NAMES[n]
    return None if n == "usage" else 1.0


__all__ = ["CANONICAL_FIELDS", "SYNONYMS", "auto_map", "norm_header"]
