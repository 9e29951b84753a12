"""Dictionary text columns that hold one text on every row are not written to a cache entry
and come back the same (type, dictionary, indices) on reopen, as every other column does."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.store import cache, cache_absent

_TEXTS = st.sampled_from(["ANSWERED", "NO ANSWER", "T-1", "", "é"])


def _dict_column(values: list[str | None], index: pa.DataType) -> pa.DictionaryArray:
    enc = pa.array(values, pa.string()).dictionary_encode()
    return pa.DictionaryArray.from_arrays(enc.indices.cast(index), enc.dictionary)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cols=st.lists(st.tuples(st.lists(st.one_of(st.none(), _TEXTS), min_size=1, max_size=6),
                               st.sampled_from([pa.int8(), pa.int16(), pa.int32()])),
                     min_size=1, max_size=4),
       n=st.integers(1, 40))
def test_a_reopened_entry_has_its_one_text_columns_back(tmp_path, monkeypatch, cols, n):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path))
    texts = {f"c{i}": _dict_column((vals * n)[:n], index) for i, (vals, index) in enumerate(cols)}
    table = pa.table(texts | {"x": pa.array([str(i) for i in range(n)])})
    one_text = [name for name, col in zip(table.column_names, table.columns)
                if pa.types.is_dictionary(col.type) and col.null_count == 0
                and len(col.chunk(0).dictionary) == 1]
    written, described = cache_absent.split(table)
    assert sorted(set(table.column_names) - set(written.column_names)) == \
        sorted(n for n, c in zip(table.column_names, table.columns)
               if n in one_text or c.null_count == len(c))
    back = cache_absent.restore(written, described)
    assert back.schema == table.schema and back.equals(table)
    cache.store("cd" * 32, {"p": n}, table, {"summary": {}})
    names = ipc.open_file(str(cache.entry("cd" * 32, {"p": n}).with_suffix(".arrow"))).schema.names
    assert not set(one_text) & set(names)
    again, _ = cache.load("cd" * 32, {"p": n})
    assert again.schema == table.schema and again.equals(table)
    for name in one_text:
        assert again.column(name).chunk(0).indices.to_pylist() == [0] * n


def test_one_text_beside_empty_rows_is_written():
    # a null row is not the one text: such a column keeps its indices on disk
    col = pa.array(["a", None, "a"]).dictionary_encode()
    table = pa.table({"c": col})
    written, described = cache_absent.split(table)
    assert written.column_names == ["c"] and described == {}


def test_reopening_one_text_columns_imports_no_pandas(tmp_path, monkeypatch):
    # the warm trace never imports pandas (~1 s): pa.array() of a Python list would
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path))
    table = pa.table({"egress": pa.array(["DOWN-1"] * 50).dictionary_encode(),
                      "x": pa.array([str(i) for i in range(50)])})
    cache.store("ef" * 32, {"p": 1}, table, {"summary": {}})
    code = ("import sys\nfrom workbench.store import cache\n"
            "t, _ = cache.load('" + "ef" * 32 + "', {'p': 1})\n"
            "assert t.column('egress').to_pylist() == ['DOWN-1'] * 50\n"
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ}, cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
