"""Pairing the calls seen on both sides of a hand-off (what the clock-skew estimate rests on).

The pairing sorts rows by a 64-bit mix of the two number keys; these tests hold it to the
plain definition (a pair counted once on each side, by exact keys), on random rows with
repeats, missing numbers and missing times, and with a mix that makes every row collide.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from workbench.columns.times import NAT, US
from workbench.store import pair_offsets as po
from workbench.store.pair_offsets import PairRows, matched_offsets


def by_definition(a: PairRows, b: PairRows, max_offset_s: float) -> list[float]:
    """The offsets as the docstring defines them, row by row in Python."""
    def once(side: PairRows) -> dict[tuple[int, int], int]:
        rows = [(int(c), int(d), int(w)) for c, d, s, w in zip(*side)
                if c >= 0 and d >= 0 and s != NAT]
        seen = Counter((c, d) for c, d, _ in rows)
        return {(c, d): w for c, d, w in rows if seen[(c, d)] == 1}
    ta, tb = once(a), once(b)
    out = [(ta[k] - tb[k]) / US for k in ta.keys() & tb.keys() if NAT not in (ta[k], tb[k])]
    return sorted(x for x in out if abs(x) <= max_offset_s)


def random_side(rng: np.random.Generator, n: int, numbers: int) -> PairRows:
    calling = 12_025_550_000 + rng.integers(0, numbers, n)
    called = 13_125_550_000 + rng.integers(0, numbers, n)
    calling[rng.random(n) < 0.05] = -1
    called[rng.random(n) < 0.05] = -1
    start = rng.integers(0, 86_400, n) * US
    start[rng.random(n) < 0.05] = NAT
    when = np.where(rng.random(n) < 0.1, NAT, start + rng.integers(0, 30, n) * US)
    return PairRows(calling, called, start, when)


@pytest.mark.parametrize("seed", range(6))
def test_pairs_held_once_on_each_side_by_exact_keys(seed):
    rng = np.random.default_rng(seed)
    a, b = random_side(rng, 3000, 40), random_side(rng, 5000, 40)
    for limit in (3600.0, 26 * 3600.0):
        got = sorted(matched_offsets(a, b, limit).tolist())
        assert got == by_definition(a, b, limit)
        assert got, "the case has pairs to find"


def test_pairs_whose_mix_collides_are_still_told_apart(monkeypatch):
    rng = np.random.default_rng(7)
    a, b = random_side(rng, 2000, 30), random_side(rng, 2000, 30)
    expected = by_definition(a, b, 1e9)
    monkeypatch.setattr(po, "_MIX", np.uint64(0))  # every calling number mixes to nothing
    assert sorted(matched_offsets(a, b, 1e9).tolist()) == expected


def test_a_side_without_usable_rows_pairs_nothing():
    rng = np.random.default_rng(3)
    a = random_side(rng, 100, 5)
    empty = PairRows(*(np.zeros(0, np.int64) for _ in range(4)))
    assert len(matched_offsets(a, empty, 1e9)) == 0
    assert len(matched_offsets(empty, a, 1e9)) == 0
    no_start = a._replace(start=np.full(len(a.start), NAT))
    assert len(matched_offsets(no_start, a, 1e9)) == 0
