"""Which RMD filing is each provider of a case, how we know, and is it still listed.

A downstream provider may not accept traffic from a provider that is not in the Robocall
Mitigation Database, or was removed from it; the investigator needs that status for every
provider a chain names. Matching goes from the surest evidence to the weakest: the RMD number
in case.toml, the FRN, the business name, then other and previous DBA names (case,
punctuation and company suffixes ignored; the provider's aliases tried too).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workbench.case.model import Case
from workbench.ingest.rmd import Rmd, RmdFiler, rmd_number
from workbench.ingest.tracebacks import Traceback

BASES = ("rmd number", "frn", "business name", "dba name")
#: A hop whose `upstream` column names a customer, not a provider.
CUSTOMER_STATUSES = frozenset({"originator"})


@dataclass(frozen=True)
class RmdMatch:
    """A provider's RMD filing (or its absence) and the evidence the match rests on."""

    provider: str
    status: str  # "listed" | "removed" | "not listed"
    basis: str | None  # one of BASES; None when nothing matched
    number: str | None  # the filing's RMD number (case.toml's when nothing matched)
    filer: RmdFiler | None = None
    matched_name: str | None = None  # the RMD's name as written, for name matches
    alternatives: tuple[str, ...] = ()  # other filings that matched as well
    last_listed: str | None = None  # label of the latest snapshot that lists it
    note: str | None = None

    @property
    def implementation(self) -> str | None:
        """The STIR/SHAKEN implementation claim, as written."""
        return self.filer.implementation if self.filer else None

    @property
    def roles(self) -> dict[str, str] | None:
        """Voice / gateway / intermediate provider choices, as written."""
        return self.filer.roles if self.filer else None

    @property
    def foreign(self) -> bool | None:
        return self.filer.foreign if self.filer else None


def match_providers(case: Case, rmd: Rmd, *,
                    names: Iterable[str] | None = None) -> dict[str, RmdMatch]:
    """An RmdMatch for each provider (canonical name): by default every provider the case
    knows, names in its traceback records and upstream tables included."""
    wanted = case_provider_names(case) if names is None else names
    out: dict[str, RmdMatch] = {}
    for name in wanted:
        canon = case.directory.canonical(name)
        if canon not in out:
            out[canon] = match_one(case, rmd, canon)
    return out


def match_one(case: Case, rmd: Rmd, provider: str) -> RmdMatch:
    info = case.directory.info(provider)
    given = rmd_number(info.rmd) if info and info.rmd else None
    note = None
    if given:
        filer = rmd.filer(given)
        if filer is not None:
            return _match(rmd, provider, filer, "rmd number")
        note = f"case.toml gives {given}, which no RMD snapshot lists"
    if info and info.frn:
        hits = rmd.by_frn(str(info.frn))
        if hits:
            return _pick(rmd, provider, [(f, "frn", f.frn) for f in hits], note)
    names = [provider] + (list(info.aliases) if info else [])
    hits_by_name = [hit for n in names for hit in rmd.by_name(n)]
    if hits_by_name:
        return _pick(rmd, provider, hits_by_name, note)
    return RmdMatch(provider, "not listed", "rmd number" if given else None, given, note=note)


def case_provider_names(case: Case) -> list[str]:
    """Every provider the case names: directory, CDR sources, their upstream tables and the
    providers and upstreams of traceback records (canonical, first seen first)."""
    seen: dict[str, None] = {}
    canon = case.directory.canonical
    for name in case.directory.providers:
        seen.setdefault(canon(name))
    for s in case.config.sources:
        seen.setdefault(canon(s.provider))
        for up in s.upstreams.values():
            seen.setdefault(canon(up))
    for name in record_provider_names(case.tracebacks):
        seen.setdefault(canon(name))
    return list(seen)


def record_provider_names(tracebacks: Iterable[Traceback]) -> list[str]:
    """Providers of traceback records and the upstreams they name (customers left out)."""
    seen: dict[str, None] = {}
    for tb in tracebacks:
        for h in tb.hops:
            seen.setdefault(h.provider)
            if h.upstream and h.status not in CUSTOMER_STATUSES:
                seen.setdefault(h.upstream)
    return list(seen)


def _pick(rmd: Rmd, provider: str, hits: list[tuple[RmdFiler, str, str]],
          note: str | None) -> RmdMatch:
    """The best of several hits: surest basis, then still listed, then most recently listed."""
    def rank(hit: tuple[RmdFiler, str, str]) -> tuple[int, int, str]:
        f, basis, _ = hit
        seen = rmd.seen_in(f.number)
        return (BASES.index(basis), -(seen if seen is not None else -1), f.number)
    hits = sorted(hits, key=rank)
    best, basis, written = hits[0]
    others = tuple(dict.fromkeys(f.number for f, b, _ in hits
                                 if b == basis and f.number != best.number))
    if others:
        extra = f"{len(others) + 1} filings match by {basis}; set rmd = \"…\" in case.toml"
        note = f"{note}; {extra}" if note else extra
    return _match(rmd, provider, best, basis, written, others, note)


def _match(rmd: Rmd, provider: str, filer: RmdFiler, basis: str, written: str | None = None,
           others: tuple[str, ...] = (), note: str | None = None) -> RmdMatch:
    snap = rmd.last_listed(filer.number)
    return RmdMatch(provider, rmd.status(filer.number), basis, filer.number, filer,
                    matched_name=written if basis in ("business name", "dba name") else None,
                    alternatives=others, last_listed=snap.label if snap else None, note=note)
