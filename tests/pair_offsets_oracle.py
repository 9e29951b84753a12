"""``pair_offsets.matched_offsets`` as it was before the compiled loops (numpy passes only),
kept as the oracle of the tests that hold the compiled way to it."""
from __future__ import annotations

import numpy as np

from workbench.columns.times import NAT, US
from workbench.store.pair_offsets import PairRows, matched_rows


def numpy_offsets(a: PairRows, b: PairRows, max_offset_s: float,
                  keep: np.ndarray | None = None) -> np.ndarray:
    """The numpy way of ``matched_offsets`` (its body before the compiled loops)."""
    ia, ib = matched_rows(a, b, keep)
    ta, tb = a.when[ia], b.when[ib]
    both = (ta != NAT) & (tb != NAT)
    off = np.asarray((ta[both] - tb[both]) / US, dtype=np.float64)
    kept: np.ndarray = off[np.abs(off) <= max_offset_s]
    return kept
