"""``numbers._validity`` finds NPA, NXX and line by two divisions and looks the NPA and NXX
rules up in tables: its flags are those of the arithmetic it replaced (kept as the oracle),
on keys around every boundary of the rules."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.columns import numbers as num


def _old_validity(key: np.ndarray, ok: np.ndarray) -> np.ndarray:
    flags = np.zeros(len(key), dtype=np.uint8)
    nanp = ok & (key >= 12_000_000_000) & (key < 20_000_000_000)
    npa = (key // 10_000_000) % 1000
    nxx = (key // 10_000) % 1000
    line = key % 10_000
    bad = nanp & ((npa < 200) | (npa % 100 == 11) | ((npa // 10) % 10 == 9) |
                  (nxx < 200) | (nxx % 100 == 11))
    flags[bad] |= num.INVALID
    flags[nanp & (nxx == 555) & (line >= 100) & (line <= 199)] |= num.FICTIONAL
    for i in np.flatnonzero(ok & ~nanp):
        if not num._valid_international(int(key[i])):
            flags[i] |= num.INVALID
    return flags


_CODE = st.one_of(st.integers(0, 999), st.sampled_from(
    [0, 99, 100, 199, 200, 201, 211, 290, 299, 311, 555, 811, 900, 911, 989, 999]))
_LINE = st.one_of(st.integers(0, 9999), st.sampled_from([0, 99, 100, 150, 199, 200, 9999]))
_NANP = st.builds(lambda npa, nxx, line: 10_000_000_000 + npa * 10_000_000 + nxx * 10_000 + line,
                  _CODE, _CODE, _LINE)
_KEY = st.one_of(_NANP, st.sampled_from([-1, 0, 11_999_999_999, 12_000_000_000,
                                         19_999_999_999, 20_000_000_000, 442071234567,
                                         4930123456, 33142685300]))


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.tuples(_KEY, st.booleans()), max_size=80))
def test_validity_as_the_arithmetic_it_replaced(keys):
    key = np.array([k for k, _ in keys], dtype=np.int64)
    ok = np.array([o for _, o in keys], dtype=bool)
    assert num._validity(key, ok).tolist() == _old_validity(key, ok).tolist()
