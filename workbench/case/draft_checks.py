"""What a drafted case gets wrong when every default is accepted, in plain data.

The New-case wizard (and anything else that drafts a case) asks
``investigation.draft_review`` for findings; this module holds the pieces that need no
loaded case: which zone explains a whole-hour clock offset, which unmapped header looks
like an ingress column, which provider a file name means, and ingress -> upstream
proposals counted from traced calls. Every finding says what is wrong in words and,
where one click can fix it, carries the action.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

US = 1_000_000
HALF_HOUR_S = 1800
ZONE_SLACK_S = 300  # a clock skew of a few minutes rides on top of a wrong zone
MIN_ZONE_SHARE = 0.8  # the zone must explain this share of the paired calls

#: Zones to offer first, by the case's default country (then any zone with the offset).
COUNTRY_ZONES: dict[str, tuple[str, ...]] = {
    "US": ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
           "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
           "America/Puerto_Rico"),
    "CA": ("America/Toronto", "America/Winnipeg", "America/Edmonton", "America/Vancouver",
           "America/Halifax", "America/St_Johns", "America/Regina"),
    "PR": ("America/Puerto_Rico",),
    "GB": ("Europe/London",), "DE": ("Europe/Berlin",), "FR": ("Europe/Paris",),
    "IN": ("Asia/Kolkata",), "MX": ("America/Mexico_City", "America/Tijuana"),
    "PH": ("Asia/Manila",), "AU": ("Australia/Sydney", "Australia/Perth"),
}

#: Words of a header that make it look like where a call came in, and words that make it
#: the other end (a header may hold both: `out_peer` is egress).
_INGRESS_WORDS = frozenset({"ingress", "inbound", "incoming", "trunk", "trunkgroup", "peer",
                            "route", "carrier", "gateway", "gw", "tg", "ip", "account",
                            "customer", "acct", "upstream"})
_EGRESS_WORDS = frozenset({"egress", "outbound", "outgoing", "out", "term", "dst", "dest",
                           "destination", "downstream", "to"})


class Kind:
    """Finding kinds (plain strings so a UI can key on them)."""

    ZONE = "zone"  # the file's times are read in the wrong zone
    CLOCK = "clock"  # a zoned clock differs by whole hours: nothing to set, but say so
    NO_MAPPINGS = "no_mappings"  # ingress read, but no upstream/customer named
    INGRESS_COLUMN = "ingress_column"  # an ingress-like column is not mapped
    NO_SOURCE = "no_source"  # a record's first provider has no file
    WRONG_START = "wrong_start"  # the trace of a record does not start at its first provider
    CHAIN = "chain"  # the trace of a record stops short or disagrees with it


@dataclass
class Action:
    """One click that fixes a finding: what to change, on which file (index in the draft)."""

    label: str  # button text: "Set zone to America/Chicago"
    kind: str  # "set_zone" | "map_ingress" | "set_field" | "rename_provider"
    file: int | None = None
    zone: str | None = None
    upstreams: dict[str, str] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)
    column: str | None = None
    provider: str | None = None


@dataclass
class Finding:
    kind: str
    text: str  # one or two sentences an investigator can act on
    file: int | None = None  # the draft file it concerns
    tracebacks: list[str] = field(default_factory=list)  # record ids it concerns
    action: Action | None = None


@dataclass
class Proposal:
    """An ingress id and who the traceback records say handed its traced calls over."""

    ingress: str
    name: str  # upstream provider, or customer when ``customer``
    calls: int  # traced calls that support it
    customer: bool = False
    against: int = 0  # traced calls on this ingress that records give to someone else


def zone_shift(offset_s: float) -> int | None:
    """The whole or half hour a clock offset sits on (seconds), if it is one and not 0."""
    k = round(offset_s / HALF_HOUR_S)
    if k == 0 or abs(offset_s - k * HALF_HOUR_S) > ZONE_SLACK_S:
        return None
    return int(k * HALF_HOUR_S)


def hours_text(seconds: float) -> str:
    """A signed offset in hours and minutes: '−6 h', '+5 h 30 min'."""
    sign = "−" if seconds < 0 else "+"
    minutes = int(round(abs(seconds) / 60))
    h, m = divmod(minutes, 60)
    return f"{sign}{h} h" + (f" {m} min" if m else "")


@lru_cache(maxsize=8)
def candidate_zones(country: str) -> tuple[str, ...]:
    """The country's zones first, then UTC-free IANA names (no 'Etc/', no legacy aliases)."""
    first = COUNTRY_ZONES.get(country.upper(), ())
    rest = sorted(z for z in available_timezones()
                  if "/" in z and not z.startswith(("Etc/", "SystemV/", "US/", "posix/",
                                                    "right/"))
                  and z not in first)
    return first + tuple(rest)


def zones_with_offset(offset_s: int, at_us: int, country: str) -> list[str]:
    """Zones whose UTC offset at ``at_us`` is ``offset_s`` (the country's first)."""
    when = datetime.fromtimestamp(at_us / US, tz=timezone.utc)
    out = []
    for z in candidate_zones(country):
        off = when.astimezone(ZoneInfo(z)).utcoffset()
        if off is not None and int(off.total_seconds()) == offset_s:
            out.append(z)
    return out


def best_zone(start_us: np.ndarray, error_s: np.ndarray, declared: str, shift_s: int,
              country: str) -> tuple[str | None, float]:
    """The zone that explains a source's per-call clock errors best, with its share.

    ``start_us`` are the source's starts as read (UTC µs, wall times taken in ``declared``),
    ``error_s`` each call's offset against the reference clock. A candidate zone Z explains
    a call when reading its wall time in Z moves it by that error (within the slack), so a
    file across a DST change is judged call by call, not by one median offset.
    """
    if not len(start_us):
        return None, 0.0
    at = int(np.median(start_us))
    declared_off = offset_at(declared, at)
    want = (declared_off if declared_off is not None else 0) + shift_s  # the file's offset
    names = zones_with_offset(want, at, country)
    # a DST zone may have the wanted offset on the other side of a change: try both sides
    for hour in (-3600, 3600):
        names += [z for z in zones_with_offset(want + hour, at, country)
                  if z in COUNTRY_ZONES.get(country.upper(), ()) and z not in names]
    wall = _wall(start_us, declared)
    best: tuple[str | None, float] = (None, 0.0)
    for z in names[:40]:
        try:
            moved = pc.assume_timezone(wall, timezone=z, ambiguous="earliest",
                                       nonexistent="earliest")
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        true_us = pc.cast(pc.cast(moved, pa.timestamp("us", "UTC")), pa.int64()).to_numpy()
        predicted = (start_us - true_us) / US
        share = float(np.mean(np.abs(error_s - predicted) <= ZONE_SLACK_S))
        if share > best[1] + 1e-9:
            best = (z, share)
    return best if best[1] >= MIN_ZONE_SHARE else (None, best[1])


def offset_at(zone: str, at_us: int) -> int | None:
    try:
        when = datetime.fromtimestamp(at_us / US, tz=timezone.utc).astimezone(ZoneInfo(zone))
    except (KeyError, ValueError):
        return None
    off = when.utcoffset()
    return int(off.total_seconds()) if off is not None else None


def _wall(start_us: np.ndarray, declared: str) -> pa.Array:
    """The naive wall times the file wrote, recovered from UTC starts read in ``declared``."""
    utc = pa.array(start_us, pa.timestamp("us", "UTC"))
    if declared.upper() == "UTC":
        return pc.cast(pa.array(start_us, pa.timestamp("us")), pa.timestamp("us"))
    local = pc.local_timestamp(pc.cast(utc, pa.timestamp("us", declared)))
    return local


def ingress_like(headers: list[str], mapped: list[str]) -> list[str]:
    """Headers that look like where calls came in (trunk, peer, route, IP, account) and
    are not mapped to any field: an unmapped one leaves every trace stopped at this file."""
    out = []
    for h in headers:
        words = set(header_words(h))
        if h not in mapped and words & _INGRESS_WORDS and not words & _EGRESS_WORDS:
            out.append(h)
    return out


def header_words(header: str) -> list[str]:
    """'CustomerIP' -> ['customer', 'ip']; 'in_peer' -> ['in', 'peer']; 'In TG' -> ['in', 'tg']."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", header)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def match_provider(guess: str, known: list[str]) -> str | None:
    """The one known provider name a file-name guess means: every word of the guess starts a
    word of the name ('Midway' -> 'Midway Transit'); None when none or several fit."""
    words = [w for w in re.split(r"[^a-z0-9]+", guess.lower()) if w]
    if not words:
        return None
    fits = []
    for name in known:
        name_words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
        if all(any(nw.startswith(w) for nw in name_words) for w in words):
            fits.append(name)
    exact = [n for n in fits if n.lower() == guess.lower()]
    return exact[0] if exact else (fits[0] if len(set(fits)) == 1 else None)


def proposals(observed: list[tuple[str, str, bool]]) -> list[Proposal]:
    """Ingress -> upstream (or customer) proposals from (ingress, name, is_customer) seen on
    traced calls: each ingress gets the name most records give it, with the calls for and
    against, most supported first."""
    by_ingress: dict[str, Counter[tuple[str, bool]]] = {}
    for ingress, name, customer in observed:
        by_ingress.setdefault(ingress, Counter())[(name, customer)] += 1
    out = []
    for ingress, votes in by_ingress.items():
        (name, customer), n = votes.most_common(1)[0]
        out.append(Proposal(ingress, name, n, customer, sum(votes.values()) - n))
    return sorted(out, key=lambda p: (-p.calls, p.ingress))


def notes_text(findings: list[Finding]) -> str:
    """The findings as case notes, so the opened case says them again."""
    lines = ["Warnings when this case was written by the New-case wizard:"]
    lines += [f"- {f.text}" for f in findings]
    return "\n".join(lines)
