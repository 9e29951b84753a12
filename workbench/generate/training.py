"""Training options: a rotating-ANI customer among honest ones, for dossiers and analysis.

With ``--tracebacks`` the case teaches what a provider sees on its own CDRs: Acme Vehicle
Services LLC (Origin Voice Co's account ACCT-1001) places short, rarely answered calls from
thousands of calling numbers, many spoofed to the called number's NPA-NXX; every other
customer account calls from a handful of numbers it holds, with ordinary calls.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.common.errors import InputError

from .clock import WINDOW_DAYS, WINDOW_START, S, to_us
from .numberbook import NumberBook
from .rows import _HOURLY, Rows
from .sources import SOURCE, Source

MAX_TRACEBACKS = 20_000  # the 555-01xx range (28,700 U.S. numbers) bounds the rotating pool
ROTATING = ("origin", "ACCT-1001")  # (source key, customer account) of the rotating-ANI caller
ROTATING_CAP = 20_000  # its calls at most: keeps >= 80 % of them on distinct calling numbers
#: How many numbers each honest customer account calls from (its own DIDs). ACCT-2093 is
#: missing from Origin's customer table but is an ordinary account too: one rotator only.
HONEST_NUMBERS = {("origin", "ACCT-1002"): 8, ("origin", "ACCT-1003"): 5,
                  ("origin", "ACCT-1017"): 3, ("origin", "ACCT-2093"): 6,
                  ("midway", "CUST-88"): 4, ("lakeshore", "CUST-0031"): 12}


@dataclass(frozen=True)
class Training:
    """What ``--tracebacks T --campaigns K`` asks for; T = 0 writes the classic case."""

    tracebacks: int = 0
    campaigns: int = 5

    @classmethod
    def of(cls, tracebacks: int, campaigns: int | None) -> Training | None:
        """Checked options, or None for the classic case (no training traffic)."""
        if tracebacks < 0:
            raise InputError("tracebacks must be 0 or more", field="tracebacks")
        if not tracebacks:
            if campaigns is not None:
                raise InputError("campaigns needs tracebacks (--tracebacks T)",
                                 field="campaigns")
            return None
        if not 5 <= tracebacks <= MAX_TRACEBACKS:
            raise InputError(f"tracebacks must be 0 or 5 to {MAX_TRACEBACKS} (five chain types; "
                             "the fictional 555-01xx numbers bound the rest)", field="tracebacks")
        k = 5 if campaigns is None else campaigns
        if not 1 <= k <= tracebacks:
            raise InputError("campaigns must be between 1 and the number of tracebacks",
                             field="campaigns")
        return cls(tracebacks, k)


def honest_numbers(book: NumberBook, rng: np.random.Generator) -> dict[tuple[str, str], np.ndarray]:
    """Each honest account's own calling numbers, reserved so no other traffic uses them."""
    pool = rng.permutation(book.pool("us"))
    out, at = {}, 0
    for account, k in HONEST_NUMBERS.items():
        out[account] = np.sort(pool[at:at + k]).astype(np.int32)
        at += k
    book.reserved.update(int(i) for i in pool[:at])
    return out


@dataclass
class Customers:
    """Rewrites ordinary traffic so customer accounts behave as their profile says: honest
    accounts call from their own few numbers (signed A), the rotating account carries only
    the campaign traffic built in ``rotating_calls`` (its ordinary share goes to the others)."""

    numbers: dict[tuple[str, str], np.ndarray]
    rng: np.random.Generator

    def shape_through(self, keys: list[str], ingress: list[np.ndarray],
                      calls: dict[str, np.ndarray], shared: dict[str, np.ndarray]) -> None:
        """A through-route batch: only its most upstream hop can be a customer account."""
        src = SOURCE[keys[-1]]
        ids = [t.id for t in src.trunks]
        code = np.full(len(ingress[-1]), -1, np.int16)
        for k, t in enumerate(ids):
            code[ingress[-1] == t] = k
        if self._shape(src, code, shared["calling"], shared["attest"]):
            ingress[-1][:] = np.array(ids)[code]

    def shape_rows(self, src: Source, rows: Rows) -> None:
        """Background rows of one source (ingress as indexes into its trunk list)."""
        self._shape(src, rows.cols["ingress"], rows.cols["calling"], rows.cols["attest"])

    def _shape(self, src: Source, code: np.ndarray, calling: np.ndarray,
               attest: np.ndarray) -> bool:
        """Rewrite rows in place (``code``: trunk index per row); True if any trunk moved."""
        ids = [t.id for t in src.trunks]
        moved = False
        if src.key == ROTATING[0]:
            honest = [k for k, t in enumerate(src.trunks) if (src.key, t.id) in self.numbers]
            rows = np.flatnonzero(code == ids.index(ROTATING[1]))
            w = np.array([src.trunks[k].weight for k in honest])
            code[rows] = np.array(honest)[self.rng.choice(len(honest), len(rows), p=w / w.sum())]
            moved = bool(len(rows))
        for (key, account), own in self.numbers.items():
            if key != src.key:
                continue
            rows = np.flatnonzero(code == ids.index(account))
            # a business places most calls from its main number: weights 1, 1/2, 1/3, ...
            w = 1 / np.arange(1, len(own) + 1)
            calling[rows] = own[self.rng.choice(len(own), len(rows), p=w / w.sum())]
            if src.signs:  # the originating provider knows the number is its customer's
                attest[rows] = np.where(self.rng.random(len(rows)) < .92, 1, 2)
        return moved


def rotating_calling(called: np.ndarray, neighbour: np.ndarray, book: NumberBook,
                     rng: np.random.Generator) -> np.ndarray:
    """Calling numbers that rotate: neighbour-spoofed calls take a line in the called
    number's NPA-NXX (each of its 100 lines once before any repeats), the others take
    numbers nobody else in the batch uses, so nearly every call shows a new number."""
    n = len(called)
    calling = np.empty(n, np.int32)
    nb = np.flatnonzero(neighbour)
    npa = called[nb] // 100  # NumberBook: U.S. index = NPA position * 100 + line
    order = np.argsort(npa, kind="stable")
    first = np.searchsorted(npa[order], npa[order], side="left")
    rank = np.empty(len(nb), np.int64)
    rank[order] = np.arange(len(nb)) - first
    lines = rng.permutation(100)
    calling[nb] = npa * 100 + lines[(rank + npa) % 100]
    free = np.setdiff1d(book.pool("us"), calling[nb])
    rest = np.flatnonzero(~neighbour)
    calling[rest] = np.resize(rng.permutation(free), len(rest))
    blocked = np.isin(calling, np.fromiter(book.reserved, np.int64, len(book.reserved)))
    calling[blocked] = rng.choice(free, int(blocked.sum()))
    return calling


def campaign_times(n: int, rng: np.random.Generator) -> np.ndarray:
    """Invite instants of campaign calls: daytime-heavy, across the case's window."""
    day = rng.integers(0, WINDOW_DAYS, n)
    hour = rng.choice(24, n, p=_HOURLY / _HOURLY.sum())
    return (to_us(WINDOW_START) + (day * 86400 + hour * 3600) * S
            + rng.integers(0, 3600 * S, n)).astype(np.int64)


def customer_facts(table: Rows, src: Source, book: NumberBook) -> list[dict[str, Any]]:
    """Per customer account of one written source: calls, distinct calling numbers, short
    share, neighbour share, answer rate and attestation mix, as an analyst would measure."""
    c = table.cols
    us = book.n_us
    facts = []
    for k, t in enumerate(src.trunks):
        if not t.customer and (src.key, t.id) not in HONEST_NUMBERS:
            continue
        rows = np.flatnonzero(c["ingress"] == k)
        calling, called = c["calling"][rows], c["called"][rows]
        same = (calling < us) & (called < us) & (calling // 100 == called // 100)
        n = max(len(rows), 1)
        facts.append({
            "provider": src.provider, "ingress": t.id, "name": t.name, "calls": len(rows),
            "distinct_calling": int(len(np.unique(calling))),
            "short_share": round(float((c["dur"][rows] < 6000).sum() / n), 4),
            "short_share_of_answered": round(float(
                (c["answered"][rows] & (c["dur"][rows] < 6000)).sum()
                / max(int(c["answered"][rows].sum()), 1)), 4),
            "neighbor_share": round(float(same.sum() / n), 4),
            "answer_rate": round(float(c["answered"][rows].sum() / n), 4),
            "attest": {a: int((c["attest"][rows] == i).sum())
                       for i, a in enumerate(("none", "A", "B", "C")) if src.signs}})
    return facts

