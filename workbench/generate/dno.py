"""dno.txt: a small fictional Do-Not-Originate list, one number per line as subscribers
wrote them. One entry is the calling number of a single near-miss decoy call in Origin
Voice Co's CDRs, so an analysis with the list finds exactly one hit; the others never
appear as a calling number (in a classic case, as few times as the random traffic allows).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .numberbook import NumberBook
from .plan import Plan

PATH = "dno.txt"
_FORMS = ("e164", "dashed10", "paren", "nanp11", "ten")


@dataclass(frozen=True)
class DnoList:
    """The listed numbers (book indexes, file order); ``hit`` is the decoy's number."""

    numbers: tuple[int, ...]
    hit: int

    def text(self, book: NumberBook) -> str:
        lines = []
        for i, n in enumerate(self.numbers):
            form = _FORMS[i % len(_FORMS)]
            d = book.digits[n]
            lines.append(f"{d[1:4]}-{d[4:7]}-{d[7:]}" if form == "dashed10" else
                         book.text(n, form))
        return "\n".join(lines) + "\n"


def origin_decoys(plan: Plan) -> list[tuple[int, str]]:
    """(calling number, traceback it stands next to) of each decoy with its own caller at
    Origin Voice Co, in plan order."""
    out, tb, traced_calling = [], "", -1
    for row in plan.rows["origin"]:
        if row["tag"] >= 0:
            tb, traced_calling = plan.tags[row["tag"]][0], row["calling"]
        elif row["calling"] != traced_calling:
            out.append((int(row["calling"]), tb))
    return out


def reserve(book: NumberBook, plan: Plan, rng: np.random.Generator) -> DnoList:
    """Training cases: pick the list before any traffic and keep every other call off it."""
    hit = origin_decoys(plan)[0][0]
    others = rng.choice(np.setdiff1d(book.pool("us"), [hit]), 4, replace=False)
    book.reserved.update([hit, *(int(i) for i in others)])
    return DnoList(_order(hit, others), hit)


def pick(book: NumberBook, plan: Plan, calling_counts: np.ndarray,
         rng: np.random.Generator) -> DnoList:
    """Classic cases (traffic already written): the decoy whose number is rarest elsewhere,
    and four numbers no call (or as few as possible) shows."""
    decoys = origin_decoys(plan)
    hit = min(decoys, key=lambda d: int(calling_counts[d[0]]))[0]
    pool = np.setdiff1d(book.pool("us"), [hit])
    fewest = pool[calling_counts[pool] == calling_counts[pool].min()]
    others = rng.choice(fewest, min(4, len(fewest)), replace=False)
    return DnoList(_order(hit, others), hit)


def _order(hit: int, others: np.ndarray) -> tuple[int, ...]:
    rest = [int(i) for i in others]
    return (*rest[:2], hit, *rest[2:])
