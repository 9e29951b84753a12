"""``normalize`` reads the number columns in the calling thread and the other columns in one
worker (``_column_jobs``): its results are those of the two-thread pool it replaced (kept
here as the oracle), the whole table is that of the jobs run one after the other, and a
failing column is raised without leaving the worker waiting."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.columns import numbers as num
from workbench.ingest.formats.base import ParsedTable
from workbench.store import normalize as nz

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


class _InOrder:
    """An executor that runs each job when it is submitted (the oracle: no threads)."""

    def __init__(self, max_workers: int = 1) -> None:
        pass

    def __enter__(self) -> "_InOrder":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def submit(self, fn, *args, **kwargs) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed over as the pool would
            fut.set_exception(exc)
        return fut


_NUM = st.one_of(st.none(), st.just(""), st.sampled_from(
    ["+13125550178", "13125550178", "3125550179", "(202) 555-0144", "011442071234567",
     "sip:+12025550143@gw", "1555", "abc", "+12025550143"]))
_TIME = st.one_of(st.none(), st.just(""), st.sampled_from(
    ["2024-06-10 12:00:31", "2024-06-10T12:00:31Z", "2024-03-10 02:30:00",
     "2024-11-03 01:30:00", "06/10/2024 12:00", "1718035231", "junk"]))
_TEXT = st.one_of(st.none(), st.sampled_from(["", " A ", "B", "ANSWERED", "x"]))


@st.composite
def _parsed(draw) -> ParsedTable:
    n = draw(st.integers(1, 40))
    cols: dict[str, pa.Array] = {}
    for name, values in (("called", _NUM), ("calling", _NUM), ("start", _TIME),
                         ("answer", _TIME), ("end", _TIME), ("disposition", _TEXT),
                         ("ingress", _TEXT), ("origid", _TEXT), ("duration", _TEXT)):
        if name in ("called", "start") or draw(st.booleans()):
            cols[name] = pa.array(draw(st.lists(values, min_size=n, max_size=n)), pa.string())
    return ParsedTable(columns=cols, lines=np.arange(2, n + 2, dtype=np.int64))


def _old_column_jobs(cols, n, timezone, date_order, default_country):
    """The column jobs as committed before: every job in a pool of two threads."""
    def old_index(called_job, start_job, n):
        called = called_job.result() if called_job is not None else None
        start = start_job.result().us if start_job is not None else nz.constant(n, nz.NAT)
        if called is None:
            return nz._sorted_index(nz.constant(n, -1), start, None)
        return nz._sorted_index(called.key, start, called.order, called.sorted_key)

    with ThreadPoolExecutor(max_workers=2) as pool:
        num_jobs = {name: pool.submit(num.normalize_numbers, cols[name], default_country,
                                      sort=name == "called")
                    for name in ("called", "calling") if cols.get(name) is not None}
        time_jobs = {name: pool.submit(nz.tm.parse_times, cols[name], timezone, date_order,
                                       default_country)
                     for name in ("start", "answer", "end") if cols.get(name) is not None}
        index_job = pool.submit(old_index, num_jobs.get("called"), time_jobs.get("start"), n)
        text_jobs = {name: pool.submit(nz._text_column(name), nz._verstat(cols[name])
                                       if name == "verstat" else cols[name], n)
                     for name in nz.STRING_FIELDS if cols.get(name) is not None}
        numbers_done = {k: f.result() for k, f in num_jobs.items()}
        times_done = {k: f.result() for k, f in time_jobs.items()}
        texts_done = {k: f.result() for k, f in text_jobs.items()}
        return numbers_done, times_done, texts_done, index_job.result()


@SETTINGS
@given(parsed=_parsed(), zone=st.sampled_from(["UTC", "America/New_York"]))
def test_column_jobs_as_the_two_thread_pool(parsed, zone):
    n = len(parsed)
    got = nz._column_jobs(parsed.columns, n, zone, None, "US")
    want = _old_column_jobs(parsed.columns, n, zone, None, "US")
    assert sorted(got[0]) == sorted(want[0])
    for name, res in got[0].items():
        old = want[0][name]
        assert res.text.to_pylist() == old.text.to_pylist()
        for field in ("key", "flags", "entry_key", "order", "sorted_key"):
            a, b = getattr(res, field), getattr(old, field)
            assert (a is None and b is None) or np.array_equal(a, b), (name, field)
    assert sorted(got[1]) == sorted(want[1])
    for name, t in got[1].items():
        old_t = want[1][name]
        assert np.array_equal(t.us, old_t.us) and np.array_equal(t.flags, old_t.flags)
        assert (t.rule, t.forms) == (old_t.rule, old_t.forms)
    assert {k: v.to_pylist() for k, v in got[2].items()} == \
        {k: v.to_pylist() for k, v in want[2].items()}
    for a, b in zip(got[3], want[3]):
        assert np.array_equal(a, b)


@SETTINGS
@given(parsed=_parsed(), zone=st.sampled_from(["UTC", "America/New_York"]))
def test_lanes_give_the_tables_of_jobs_run_in_order(monkeypatch, parsed, zone):
    table, summary = nz.normalize(parsed, timezone=zone)
    with monkeypatch.context() as m:
        m.setattr(nz, "ThreadPoolExecutor", _InOrder)
        want, want_summary = nz.normalize(parsed, timezone=zone)
    assert table.column_names == want.column_names
    for name in table.column_names:
        assert _values(table, name) == _values(want, name), name
    assert summary == want_summary


def _values(table: pa.Table, name: str) -> list:
    return ["nan" if isinstance(v, float) and v != v else v
            for v in table.column(name).to_pylist()]


def test_a_failing_number_column_is_raised_and_the_worker_finishes(monkeypatch):
    def fail(*args, **kwargs):
        raise ValueError("boom")
    monkeypatch.setattr(num, "normalize_numbers", fail)
    parsed = ParsedTable(columns={"called": pa.array(["13125550178"]),
                                  "start": pa.array(["2024-06-10 12:00:31"])},
                         lines=np.array([2], dtype=np.int64))
    with pytest.raises(ValueError, match="boom"):
        nz.normalize(parsed)
