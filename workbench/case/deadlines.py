"""The 24-hour traceback response clock (47 CFR §64.1200(n)(1), in force since 2024-01-08).

The strict deadline is receipt + 24 h. For providers the FCC lets defer (small and
rural carriers; who qualifies is unconfirmed) a request received outside business
hours is deemed received at 08:00 the next business day. Business hours here are
Monday–Friday 08:00–17:00 in the provider's zone, without public holidays: an
assumption the packet states wherever the deferred deadline is shown.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from workbench.columns.times import NAT, US, iso_utc, parse_one

DAY_US = 24 * 3600 * US
BUSINESS_START, BUSINESS_END = 8, 17
BUSINESS_RULE = ("business hours assumed Monday–Friday 08:00–17:00 in the provider's zone, "
                 "no holidays (the FCC's exact definition is unconfirmed)")


@dataclass
class ResponseClock:
    received_us: int
    answered_us: int = NAT
    deadline_us: int = NAT  # the deadline applied
    strict_deadline_us: int = NAT
    deferred_deadline_us: int = NAT  # NAT when the deferral does not apply
    applied: str = "strict"  # "strict" | "deferred"
    zone: str = "UTC"

    @property
    def met(self) -> bool | None:
        if self.answered_us == NAT or self.deadline_us == NAT:
            return None
        return self.answered_us <= self.deadline_us

    @property
    def elapsed_s(self) -> float | None:
        if self.answered_us == NAT or self.received_us == NAT:
            return None
        return (self.answered_us - self.received_us) / US

    def verdict(self, now_us: int | None = None) -> str:
        """'answered in 3 h 0 min, within the 24-hour deadline' and the like."""
        if self.received_us == NAT:
            return "receipt time not recorded: the 24-hour clock cannot be checked"
        which = "deferred (business hours)" if self.applied == "deferred" else "strict 24-hour"
        if self.answered_us == NAT:
            if now_us is not None and self.deadline_us != NAT:
                left = (self.deadline_us - now_us) / US
                if left < 0:
                    return f"no answer recorded; the {which} deadline passed {span(-left)} ago"
                return f"no answer recorded; {span(left)} left before the {which} deadline"
            return f"no answer recorded; {which} deadline {iso_utc(self.deadline_us, 0)}"
        late = self.answered_us - self.deadline_us
        took = span(self.elapsed_s or 0.0)
        if late <= 0:
            return f"answered in {took}, within the {which} deadline"
        return f"answered in {took}: LATE by {span(late / US)} against the {which} deadline"

    def to_dict(self) -> dict[str, object]:
        return {"received_utc": iso_utc(self.received_us, 0),
                "answered_utc": iso_utc(self.answered_us, 0),
                "deadline_utc": iso_utc(self.deadline_us, 0),
                "strict_deadline_utc": iso_utc(self.strict_deadline_us, 0),
                "deferred_deadline_utc": iso_utc(self.deferred_deadline_us, 0),
                "deadline_applied": self.applied, "met": self.met,
                "elapsed_s": self.elapsed_s}


def response_clock(received_us: int, answered_us: int = NAT, *, deferral: bool = False,
                   zone: str = "UTC") -> ResponseClock:
    """Both deadlines of one request; the deferred one is applied only when `deferral`."""
    clock = ResponseClock(received_us, answered_us, zone=zone)
    if received_us == NAT:
        return clock
    clock.strict_deadline_us = received_us + DAY_US
    deemed = deemed_receipt(received_us, zone)
    if deemed != received_us:
        clock.deferred_deadline_us = deemed + DAY_US
    if deferral and clock.deferred_deadline_us != NAT:
        clock.deadline_us, clock.applied = clock.deferred_deadline_us, "deferred"
    else:
        clock.deadline_us = clock.strict_deadline_us
    return clock


def deemed_receipt(received_us: int, zone: str = "UTC") -> int:
    """Receipt outside business hours counts as 08:00 the next business day (provider's zone)."""
    tz = _zone(zone)
    t = _dt.datetime.fromtimestamp(received_us / US, tz)
    if t.weekday() < 5 and BUSINESS_START <= t.hour < BUSINESS_END:
        return received_us
    day = t.date()
    if t.weekday() < 5 and t.hour < BUSINESS_START:
        nxt = day
    else:
        nxt = day + _dt.timedelta(days=1)
    while nxt.weekday() >= 5:
        nxt += _dt.timedelta(days=1)
    local = _dt.datetime(nxt.year, nxt.month, nxt.day, BUSINESS_START, tzinfo=tz)
    return int(local.timestamp()) * US


def parse_time(text: str | int | None, zone: str = "UTC") -> int:
    """A time as written in a traceback record or given by a user -> UTC µs (NAT if none)."""
    if text is None or text == "":
        return NAT
    if isinstance(text, int):
        return text
    if isinstance(text, _dt.datetime):
        t = text if text.tzinfo else text.replace(tzinfo=_zone(zone))
        return int(round(t.timestamp() * US))
    return parse_one(str(text), zone or "UTC")


def span(seconds: float) -> str:
    """1 d 2 h 5 min / 3 h 0 min / 42 s."""
    s = int(round(abs(seconds)))
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    m, sec = divmod(rem, 60)
    if d:
        return f"{d} d {h} h {m} min"
    if h:
        return f"{h} h {m} min"
    if m:
        return f"{m} min {sec} s"
    return f"{sec} s"


def _zone(zone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(zone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")
