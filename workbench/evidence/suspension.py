"""What an originating provider did about its customer, as its reply draft states it.

A provider that finds its own customer behind an illegal call is expected to suspend that
source the same day; the reply says which customer, when (UTC, and as given), on what
evidence, and what that customer's traffic looks like in the provider's own CDRs (calls,
distinct calling numbers, share of calls under 6 s) when the traffic analysis can say.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.case.deadlines import parse_time
from workbench.case.model import Case
from workbench.columns.times import NAT, iso_utc
from workbench.common.errors import InputError
from workbench.common.progress import ProgressFn, StopFn, never_stop, no_progress


@dataclass(frozen=True)
class Suspension:
    """A suspension as the team gives it: the customer (name or account), when, the evidence."""

    customer: str
    at: str
    evidence: str | None = None


@dataclass(frozen=True)
class CustomerTraffic:
    """One customer's traffic in the provider's CDRs (from the provider's traffic analysis)."""

    accounts: list[str]
    calls: int
    distinct_calling: int  # summed over its accounts when it has several
    short_share: float | None  # of its answered calls; None: none answered


@dataclass(frozen=True)
class SuspensionStatement:
    """A checked suspension: the UTC time, and the customer's traffic when known."""

    customer: str
    at_written: str
    at_us: int
    zone: str
    evidence: str | None
    traffic: CustomerTraffic | None
    traffic_note: str | None  # why no figures are shown, when none are

    @property
    def at_utc(self) -> str:
        return iso_utc(self.at_us, 0) or ""

    def sentences(self) -> list[str]:
        """The statement, in the reply's words."""
        when = self.at_utc + " (UTC)"
        if self.at_written.strip() != self.at_utc:
            zone = "" if _zoned(self.at_written) else f", read in {self.zone}"
            when += f"; as given: {self.at_written}{zone}"
        out = [f"We suspended the traffic of our customer {self.customer} on {when}.",
               "Evidence: " + (self.evidence or "[describe the evidence]")]
        t = self.traffic
        if t is not None:
            short = ("no answered call with a known duration" if t.short_share is None else
                     f"{100 * t.short_share:.1f}% of the answered calls lasted under 6 seconds")
            accounts = ", ".join(f"'{a}'" for a in t.accounts)
            per = " (counted per account)" if len(t.accounts) > 1 else ""
            out.append(f"This customer's traffic in our CDRs in this case (account"
                       f"{'s' if len(t.accounts) > 1 else ''} {accounts}): "
                       f"{_n(t.calls, 'call')} from "
                       f"{_n(t.distinct_calling, 'distinct calling number')}{per}; {short}.")
        elif self.traffic_note:
            out.append(self.traffic_note)
        return out


def check_suspension(suspension: Suspension, *, zone: str = "UTC") -> tuple[int, str]:
    """(UTC µs of the suspension, the customer as given, stripped); InputError when unusable.

    A time without an offset is read in the provider's zone `zone`."""
    customer = (suspension.customer or "").strip()
    if not customer:
        raise InputError("give the suspended customer's name or account", field="suspended")
    if not (suspension.at or "").strip():
        raise InputError("give the time of the suspension with --suspended-at "
                         "(ISO 8601, e.g. 2026-05-17T14:05:00Z)", field="suspended-at")
    at_us = parse_time(suspension.at.strip(), zone)
    if at_us == NAT:
        raise InputError(f"time '{suspension.at}' is not ISO 8601 (e.g. 2026-05-17T14:05:00Z)",
                         field="suspended-at")
    return at_us, customer


def statement(case: Case, provider: str, suspension: Suspension, *, zone: str = "UTC",
              progress: ProgressFn = no_progress,
              should_stop: StopFn = never_stop) -> SuspensionStatement:
    """The checked suspension with the customer's traffic from `analyze_provider`."""
    at_us, customer = check_suspension(suspension, zone=zone)
    traffic, note = customer_traffic(case, provider, customer, progress=progress,
                                     should_stop=should_stop)
    return SuspensionStatement(customer, suspension.at.strip(), at_us, zone,
                               (suspension.evidence or "").strip() or None, traffic, note)


def customer_traffic(case: Case, provider: str, customer: str, *,
                     progress: ProgressFn = no_progress,
                     should_stop: StopFn = never_stop) -> tuple[CustomerTraffic | None, str | None]:
    """The customer's rows of the provider's traffic analysis (by name or account id), summed
    over its accounts; else None and a sentence saying so."""
    from workbench.analytics.traffic import analyze_provider  # pandas: only when asked
    from workbench.present.traffic_report import traffic_json
    analysis = analyze_provider(case, provider, progress=progress, should_stop=should_stop)
    rows = [r for r in traffic_json(analysis).get("ingresses", []) if _is(r, customer)]
    if not rows:
        return None, (f"No calls from an account of {customer} appear in our CDRs in this "
                      "case, so no traffic figures are given.")
    return _summed(rows), None


def _is(row: dict[str, Any], customer: str) -> bool:
    want = _fold(customer)
    return want in (_fold(str(row.get("name") or "")), _fold(str(row.get("ingress") or "")))


def _summed(rows: list[dict[str, Any]]) -> CustomerTraffic:
    calls = sum(int(r.get("calls") or 0) for r in rows)
    # each account's share of short calls is of its answered calls: weigh it by them
    short = [(float(r["short_share"]), int(r.get("answered") or 0)) for r in rows
             if r.get("short_share") is not None]
    weight = sum(n for _, n in short)
    share = sum(x * n for x, n in short) / weight if weight else None
    return CustomerTraffic([str(r.get("ingress")) for r in rows], calls,
                           sum(int(r.get("distinct_calling") or 0) for r in rows), share)


def _n(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _fold(s: str) -> str:
    return " ".join(s.lower().split())


def _zoned(text: str) -> bool:
    t = text.strip()
    return t.endswith(("Z", "z")) or (len(t) > 6 and t[-6] in "+-" and t[-3] == ":")
