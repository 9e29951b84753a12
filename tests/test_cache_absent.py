"""Columns that hold nothing are left out of a cache entry and come back the same on reopen."""
from __future__ import annotations

import shutil

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from tests.conftest import SAMPLE
from workbench.case.model import load_case
from workbench.columns.times import NAT
from workbench.store import cache, cache_absent


def a_table(n: int = 1000) -> pa.Table:
    rng = np.random.default_rng(1)
    empty_dict = pa.DictionaryArray.from_arrays(pa.nulls(n, pa.int32()), pa.array([], pa.string()))
    return pa.table({
        "start": pa.array(rng.integers(0, 10**12, n)),
        "answer": pa.array(np.full(n, NAT)),  # no answer times in the file
        "called_key": pa.array(np.full(n, -1)),  # a constant other than NAT
        "flags": pa.array(np.zeros(n, np.uint32)),
        "attest": empty_dict,
        "origid": pa.nulls(n, pa.string()),
        "ingress": pa.array(["T-1", None, "T-2", "T-1"] * (n // 4)).dictionary_encode(),
    })


def test_a_reopened_entry_has_every_column_back_with_its_type_and_values(tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path))
    table = a_table()
    cache.store("ab" * 32, {"p": 1}, table, {"summary": {}})
    written = ipc.open_file(str(cache.entry("ab" * 32, {"p": 1}).with_suffix(".arrow")))
    assert written.schema.names == ["start", "ingress"]  # only what holds values is written
    back, _ = cache.load("ab" * 32, {"p": 1})
    assert back.schema == table.schema
    assert back.equals(table)
    answer = back.column("answer").chunk(0)
    view = np.frombuffer(answer.buffers()[1], dtype=np.int64)
    assert not view.flags.writeable, "a shared constant column cannot be written through"


def test_a_description_that_does_not_fit_the_table_is_refused():
    table = a_table(8)
    written, described = cache_absent.split(table)
    assert cache_absent.restore(written, described).equals(table)
    with pytest.raises(ValueError):
        cache_absent.restore(written.slice(0, 4), described)
    with pytest.raises(ValueError):
        cache_absent.restore(written.drop_columns(["ingress"]), described)


def test_a_table_with_values_everywhere_is_written_whole():
    table = a_table(8).select(["start", "ingress"])
    written, described = cache_absent.split(table)
    assert written is table and described == {}


def test_the_sample_case_reopens_from_a_smaller_cache_with_the_same_columns(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "case"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("audit.jsonl"))
    first = load_case(root, use_cache=False)  # the normalized tables, never written
    load_case(root)
    again = load_case(root)
    assert all(s.from_cache for s in again.sources)
    for a, b in zip(first.sources, again.sources):
        assert a.table.schema == b.table.schema and a.table.equals(b.table), a.config.path
    arrows = sorted((tmp_path / "cache" / "tables").glob("*.arrow"))
    assert any(len(ipc.open_file(str(p)).schema) < len(first.sources[0].table.schema)
               for p in arrows), "the sample's files lack some fields: not written"
