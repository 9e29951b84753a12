"""A column that counts up by one (a file's line numbers) is not written to a cache entry:
it comes back, same type and values, as a view of one shared count.

Held to the plain definition on columns that count, that almost count (one value off, a
gap, a step of two, a start past the column's length, negative starts) and that are
split into chunks; every table comes back equal after ``split``/``restore`` and after a
real cache write and reopen."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.store import cache, cache_absent


def _counts_by_definition(values: list[int]) -> bool:
    n = len(values)
    return n > 1 and 0 <= values[0] <= n and values == list(range(values[0], values[0] + n))


@st.composite
def _column(draw: st.DrawFn) -> list[int]:
    n = draw(st.integers(1, 60))
    first = draw(st.one_of(st.integers(-3, 3), st.integers(n - 2, n + 2), st.just(2)))
    values = list(range(first, first + n))
    damage = draw(st.sampled_from(["none", "one", "gap", "step", "last"]))
    at = draw(st.integers(0, n - 1))
    if damage == "one":
        values[at] += draw(st.sampled_from([-1, 1, 1 << 40]))
    elif damage == "gap":
        values[at:] = [v + 1 for v in values[at:]]
    elif damage == "step":
        values = list(range(first, first + 2 * n, 2))
    elif damage == "last":
        values[-1] -= 1
    return values


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=_column(), chunks=st.integers(1, 3))
def test_a_counting_column_is_described_and_comes_back(tmp_path, monkeypatch, values, chunks):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path))
    parts = np.array_split(np.array(values, dtype=np.int64), chunks)
    col = pa.chunked_array([pa.array(p) for p in parts if len(p)] or [pa.array(parts[0])])
    table = pa.table({"line": col, "x": pa.array([str(v) for v in values])})
    written, described = cache_absent.split(table)
    counts = _counts_by_definition(values)
    assert ("line" not in written.column_names) == (counts or len(set(values)) == 1)
    if counts:
        assert described["absent"]["line"] == {"count_from": values[0]}
    back = cache_absent.restore(written, described)
    assert back.schema == table.schema and back.equals(table)
    key = {"n": len(values), "v": repr(values)}
    cache.store("ef" * 32, key, table, {"summary": {}})
    names = ipc.open_file(str(cache.entry("ef" * 32, key).with_suffix(".arrow"))).schema.names
    assert ("line" in names) == (not counts and len(set(values)) > 1)
    again, _ = cache.load("ef" * 32, key)
    assert again.schema == table.schema and again.equals(table)
    line = again.column("line").chunk(0)
    if counts:
        assert not np.frombuffer(line.buffers()[1], dtype=np.int64).flags.writeable


def test_sources_of_similar_sizes_share_one_count():
    a = cache_absent.counting(2_000_002)
    assert cache_absent.counting(1_500_000) is a and len(a) >= 2_000_002
    assert not a.flags.writeable and a[12345] == 12345


@pytest.mark.parametrize("bad", [{"count_from": -1}, {"count_from": 9}, {"count_from": "2"},
                                 {"count_from": True}, {"count_from": 1.5}])
def test_a_counting_description_that_cannot_hold_is_refused(bad):
    table = pa.table({"line": pa.array(np.arange(2, 10, dtype=np.int64)), "x": pa.array([1] * 8)})
    written, described = cache_absent.split(table)
    assert described["absent"]["line"] == {"count_from": 2}
    described["absent"]["line"] = bad
    with pytest.raises(ValueError):
        cache_absent.restore(written, described)


def test_a_counting_description_of_a_column_of_another_type_is_refused():
    table = pa.table({"line": pa.array(np.arange(2, 10, dtype=np.int64)),
                      "y": pa.array(np.arange(8, dtype=np.int32) * 3), "x": pa.array([1] * 8)})
    written, described = cache_absent.split(table)
    described["absent"]["y"] = {"count_from": 0}
    with pytest.raises(ValueError):
        cache_absent.restore(written.drop_columns(["y"]), described)
