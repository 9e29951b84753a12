"""One FreeSWITCH leg's canonical values from its variables, caller profile and times.

The per-leg rules, written once for one leg at a time: the reference the column-wise reader
(``freeswitch_legs``) must equal, and the reader of any document that reader does not take.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

PCT = re.compile(r"%[0-9A-Fa-f]{2}")
GATEWAY = re.compile(r"^sofia/gateway/([^/]+)/")
SOFIA_HOST = re.compile(r"^sofia/[^/]+/[^@]*@([^:;/>]+)")
TIME_KEYS = {  # canonical: (µs variable, µs callflow time, seconds variable)
    "start": ("start_uepoch", "created_time", "start_epoch"),
    "answer": ("answer_uepoch", "answered_time", "answer_epoch"),
    "end": ("end_uepoch", "hangup_time", "end_epoch"),
}
FIELDS = ("start", "answer", "end", "calling", "calling_name", "called", "duration",
          "disposition", "ingress", "egress", "call_id", "identity", "verstat", "attest", "origid")
MAX_US = 2**63  # an epoch at or past this is no time (int64 µs): read as absent


def _first(*vals: Any) -> Any:
    for v in vals:
        if v not in (None, ""):
            return v
    return None


def us(v: Any, scale: int) -> int | None:
    """``v`` (µs, or s with scale 10**6) as a positive µs count, else None."""
    try:
        n = int(float(v) * scale)
    except (TypeError, ValueError, OverflowError):
        return None
    return n if 0 < n < MAX_US else None


# The only variables and caller-profile fields ``call_record`` reads: a real CDR carries
# hundreds of variables, and decoding each one was most of the time per document.
VAR_KEYS = frozenset(
    [k for keys in TIME_KEYS.values() for k in (keys[0], keys[2])]
    + ["caller_id_number", "sip_from_user", "ani", "caller_id_name", "sip_from_display",
       "destination_number", "sip_req_user", "sip_to_user", "billsec", "hangup_cause",
       "sip_call_id", "sip_identity", "sip_h_identity", "sip_h_Identity",
       "sip_verstat_detailed", "sip_verstat", "sip_h_P-Attestation-Indicator",
       "sip_h_P-Origination-ID", "direction", "call_direction", "channel_name",
       "bridge_channel", "last_bridge_channel", "sip_gateway_name", "sip_network_ip",
       "sip_gateway", "sip_received_ip"])
PROFILE_KEYS = frozenset(["caller_id_number", "ani", "caller_id_name", "destination_number",
                          "chan_name"])
# (first of these that is set) per text field: ("v", name) a variable, ("p", name) profile
TEXT_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "calling": (("p", "caller_id_number"), ("v", "caller_id_number"), ("v", "sip_from_user"),
                ("p", "ani"), ("v", "ani")),
    "calling_name": (("p", "caller_id_name"), ("v", "caller_id_name"),
                     ("v", "sip_from_display")),
    "called": (("p", "destination_number"), ("v", "destination_number"),
               ("v", "sip_req_user"), ("v", "sip_to_user")),
    "duration": (("v", "billsec"),),
    "disposition": (("v", "hangup_cause"),),
    "call_id": (("v", "sip_call_id"),),
    "identity": (("v", "sip_identity"), ("v", "sip_h_identity"), ("v", "sip_h_Identity")),
    "verstat": (("v", "sip_verstat_detailed"), ("v", "sip_verstat")),
    "attest": (("v", "sip_h_P-Attestation-Indicator"),),
    "origid": (("v", "sip_h_P-Origination-ID"),),
}


def call_record(variables: dict[str, Any], profile: dict[str, Any], times: dict[str, Any]
                ) -> dict[str, Any]:
    """Canonical raw values of one leg from its variables, caller profile and times."""
    var = variables
    out: dict[str, Any] = {}
    for canon, (uvar, ctime, svar) in TIME_KEYS.items():
        out[canon] = _first(us(var.get(uvar), 1), us(times.get(ctime), 1),
                            us(var.get(svar), 10**6))
    for canon, rule in TEXT_RULES.items():
        out[canon] = _first(*((profile if src == "p" else var).get(k) for src, k in rule))
    direction = _first(var.get("direction"), var.get("call_direction"), "inbound")
    chan = _first(var.get("channel_name"), profile.get("chan_name"), "")
    bridged = _first(var.get("bridge_channel"), var.get("last_bridge_channel"), "")
    if direction == "outbound":  # a b-leg: it left over a gateway or to an address
        out["egress"] = _first(var.get("sip_gateway_name"), _match(GATEWAY, chan),
                               var.get("sip_network_ip"), _match(SOFIA_HOST, chan))
        out["ingress"] = None
    else:
        out["ingress"] = _first(var.get("sip_gateway"), var.get("sip_network_ip"),
                                var.get("sip_received_ip"))
        out["egress"] = _first(_match(GATEWAY, bridged), var.get("sip_gateway_name"),
                               _match(SOFIA_HOST, bridged))
    return out


def _match(rx: re.Pattern[str], s: str) -> str | None:
    m = rx.match(s or "")
    return m.group(1) if m else None


def decode(v: Any, always: bool) -> Any:
    """A variable's value as text, URL-decoded (JSON: only where it holds a %XX escape)."""
    if not isinstance(v, str):
        return v if v is None or isinstance(v, str) else str(v)
    return unquote(v) if (always or PCT.search(v)) else v


def callflow(flows: Any) -> tuple[Any, Any]:
    """The caller profile and times of the earliest callflow (FreeSWITCH lists newest first)."""
    if isinstance(flows, dict):
        flows = [flows]
    best: tuple[Any, Any] = ({}, {})
    best_t = None
    for f in flows or []:
        times = f.get("times") or {}
        t = us(times.get("created_time"), 1) or 0
        if best_t is None or (t and t < best_t):
            best, best_t = (f.get("caller_profile") or {}, times), t
    return best
