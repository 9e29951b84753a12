"""One comparison of two readers' outputs, for the tests that keep a reader's replaced code as
the oracle of its fast paths: every column (type and values), lines, notes, bad lines and
time basis; or, where either side failed, the same error text."""
from __future__ import annotations

from typing import Any

import pyarrow as pa


def assert_same_parsed(new: Any, old: Any) -> None:
    """``new`` and ``old``: a ParsedTable each, or the error text each gave."""
    if isinstance(old, str) or isinstance(new, str):
        assert new == old
        return
    assert new.lines.tolist() == old.lines.tolist()
    assert list(new.columns) == list(old.columns)
    for name in old.columns:
        assert new.columns[name].type == old.columns[name].type, name
        assert _values(new.columns[name]) == _values(old.columns[name]), name
    assert new.notes == old.notes
    assert new.bad_lines == old.bad_lines
    assert new.bad_line_count == old.bad_line_count
    assert new.time_basis == old.time_basis


def _values(col: Any) -> list[Any]:
    """A column's values; times as their integer counts (a datetime cannot hold a year past
    9999, which a hostile file may give)."""
    if pa.types.is_timestamp(col.type) or pa.types.is_duration(col.type):
        col = col.cast(pa.int64())
    return list(col.to_pylist())
