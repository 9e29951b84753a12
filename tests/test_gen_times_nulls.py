"""Blank time cells are made null by a validity bitmap over the column's own bytes
(``times._nulls_where``) instead of ``if_else`` copying the text: the same array, and the
same parsed times, as before."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.columns import times as tm

_CELL = st.one_of(st.none(), st.sampled_from(
    ["", " ", "NA", "null", "0", "-", "0000-00-00 00:00:00", "2024-06-10 12:00:31",
     " 2024-06-10 12:00:38 ", "2024-03-10 02:30:00", "2024-11-03 01:30:00",
     "2024-06-10T12:00:31Z", "06/10/2024 12:00", "1718035231", "garbage"]))


def _old(s: pa.Array, mask: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), s)


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(_CELL, min_size=1, max_size=30), data=st.data())
def test_nulls_where_is_if_else(cells, data):
    s = pa.array(cells, pa.string())
    lo = data.draw(st.integers(0, len(cells) - 1))
    for arr in (s, s.slice(lo)):
        mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(arr),
                                           max_size=len(arr))), dtype=bool)
        got = tm._nulls_where(arr, mask)
        assert got.equals(_old(arr, mask))
        assert got.null_count == _old(arr, mask).null_count


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(_CELL, min_size=1, max_size=30),
       zone=st.sampled_from(["UTC", "America/New_York"]))
def test_times_parse_as_with_if_else(monkeypatch, cells, zone):
    col = pa.array(cells, pa.string())
    new = tm.parse_times(col, zone)
    with monkeypatch.context() as m:
        m.setattr(tm, "_nulls_where", _old)
        old = tm.parse_times(col, zone)
    assert new.us.tolist() == old.us.tolist()
    assert new.flags.tolist() == old.flags.tolist()
    assert (new.rule, new.forms) == (old.rule, old.forms)
