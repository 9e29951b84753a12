"""The traced calls of the case: campaigns, the CDR path each call really took, and what
each provider answered when the traceback reached it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .sources import BY_PROVIDER, SOURCE

CASE_NAME = "Vehicle warranty robocalls, March 2026 (fictional training case)"

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


def call_time(tb: TracedCall) -> str:
    """The call time as the traceback request states it (some requests give a local offset)."""
    if not tb.call_time_offset:
        return tb.t0
    sign = -1 if tb.call_time_offset.startswith("-") else 1
    hh, mm = tb.call_time_offset[1:].split(":")
    tz = dt.timezone(sign * dt.timedelta(hours=int(hh), minutes=int(mm)))
    return dt.datetime.fromisoformat(tb.t0.replace("Z", "+00:00")).astimezone(tz).isoformat()
