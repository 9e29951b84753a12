"""The calls table over a lake pages through the store: same rows, same order, no columns.

The embedded store's in-memory query is the reference: a query pushed to DuckDB (and to
Spark) over the sample's lake, read page by page with keyset continuation, must return
exactly its (source, row) sequence for every sort key, both directions, and the filters
(number in any written form or a run of digits, UTC range, provider, file, disposition,
ingress). The GUI test opens a lake case and scrolls the Calls table: pages arrive as the
view asks, and no source is ever read as whole columns.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("duckdb", reason="duckdb is not installed: the DuckDB lake is not tested")

from tests.clirun import run_cli  # noqa: E402
from workbench.case.model import load_case  # noqa: E402
from workbench.columns.times import parse_one  # noqa: E402
from workbench.present.calls_query import (  # noqa: E402
    COLUMNS,
    CORRECTED,
    CallFilter,
    CallRows,
    CallsPager,
    PagedFrame,
    SourceFrame,
    build_frames,
    dispositions,
    query,
    record_fields,
)
from workbench.store.duckdb_store import DuckDbStore  # noqa: E402
from workbench.store.protocol import CallsQuery, pages_calls  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "auto_warranty_case"
KEYS = [k for k, _ in COLUMNS] + [None]
SKEW_US = {1: 97_000_000, 3: -2_500_000}  # two sources with a known clock offset

FILTERS = {
    "none": CallFilter(),
    "number written with punctuation": CallFilter(number="(312) 555-0143"),
    "digits, calling side": CallFilter(number="555014", which="calling"),
    "digits, called side": CallFilter(number="0188", which="called"),
    "utc range": CallFilter(start_us=parse_one("2026-03-07T00:00:00Z"),
                            end_us=parse_one("2026-03-08T12:00:00Z")),
    "from only": CallFilter(start_us=parse_one("2026-03-09T00:00:00Z")),
    "provider": CallFilter(providers=["Midway Transit"]),
    "two files": CallFilter(sources=[0, 3]),
    "disposition": CallFilter(disposition="ANSWERED"),
    "no ingress": CallFilter(ingress=""),
    "one ingress": CallFilter(providers=["Terminus Wireless"], ingress="MWT-01"),
}


def _copy(tmp: Path, name: str, store: str) -> Path:
    root = tmp / name
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("audit.jsonl"))
    if store:
        r = run_cli("ingest", root, "--to", root / "lake")
        assert r.returncode == 0, r.stderr
        (root / "case.toml").write_text((root / "case.toml").read_text() + store)
    return root


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("paging")
    return {"arrow": _copy(tmp, "arrow", ""),
            "lake": _copy(tmp, "lake", '\n[store]\nbackend = "duckdb"\npath = "lake/"\n')}


@pytest.fixture(scope="module")
def frames(roots) -> dict[str, list]:
    out = {}
    for name, root in roots.items():
        out[name] = build_frames(load_case(root))
        for f in out[name]:
            f.skew_us = SKEW_US.get(f.index)
    return out


def _drain(pager: CallsPager, limit: int) -> CallsPager:
    """Every page of a pager, ``limit`` rows at a time."""
    while pager.more:
        assert pager.add(pager.next_page(limit=limit)) > 0
    return pager


def _same(a: CallRows, b: CallsPager) -> None:
    assert len(b) == len(a) and b.loaded == len(a)
    bad = np.flatnonzero((a.source != b.source) | (a.row != b.row))
    assert len(bad) == 0, f"first difference at display row {bad[0]} of {len(a)}"
    assert b.total == a.total and b.notes == a.notes


def test_a_lake_case_gets_paged_frames_and_never_whole_columns(frames):
    assert all(isinstance(f, SourceFrame) for f in frames["arrow"])
    assert all(isinstance(f, PagedFrame) for f in frames["lake"])
    assert [f.n for f in frames["lake"]] == [f.n for f in frames["arrow"]]
    assert dispositions(frames["lake"]) == dispositions(frames["arrow"])
    assert pages_calls(frames["lake"][0].store)
    assert not pages_calls(frames["arrow"][0].store)


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("key", KEYS, ids=str)
def test_every_sort_key_pages_in_the_in_memory_order(frames, key, descending):
    """All 25,272 rows, 2,000 a page (keyset continuation crosses ties and sources)."""
    flt = CallFilter(sort=key, descending=descending)
    _same(query(frames["arrow"], flt), _drain(query(frames["lake"], flt), 2000))


@pytest.mark.parametrize("sort", ["start", "calling", "upstream", CORRECTED, "provider"])
@pytest.mark.parametrize("name", list(FILTERS))
def test_filters_page_to_the_in_memory_rows(frames, name, sort):
    flt = CallFilter(**{**FILTERS[name].__dict__, "sort": sort, "descending": sort == "calling"})
    want = query(frames["arrow"], flt)
    assert 0 < len(want) or name == "no ingress"  # the sample records an ingress always
    _same(want, _drain(query(frames["lake"], flt), max(97, len(want) // 6)))


def test_cells_and_record_of_a_fetched_row_read_as_in_memory(frames):
    flt = CallFilter(number="(312) 555-0143")
    a, b = query(frames["arrow"], flt), query(frames["lake"], flt)
    for i in range(min(len(a), 20)):
        fa, fb = frames["arrow"][a.source[i]], frames["lake"][b.source[i]]
        for key, _ in COLUMNS:
            assert fb.display(key, int(b.row[i])) == fa.display(key, int(a.row[i])), key
        assert record_fields(fb, int(b.row[i])) == record_fields(fa, int(a.row[i]))


def test_a_row_not_on_a_fetched_page_is_read_by_id(frames):
    fa, fb = frames["arrow"][2], frames["lake"][2]
    for row in (0, 1234, fa.n - 1):
        assert [fb.display(k, row) for k, _ in COLUMNS] == [fa.display(k, row)
                                                             for k, _ in COLUMNS]


def test_a_page_is_one_store_query_and_the_count_one_more(roots, monkeypatch):
    case = load_case(roots["lake"])
    store = case.store
    assert isinstance(store, DuckDbStore)
    sent: list[str] = []
    real = store._query
    monkeypatch.setattr(store, "_query", lambda sql, **kw: (sent.append(sql), real(sql, **kw))[1])
    q = CallsQuery(sources=tuple(store.source_ids()), sort="start")
    first = store.calls_page(q, 50, count=True)
    assert len(sent) == 2 and first.matched == sum(f.rows for f in store._lake.sources)
    nxt = store.calls_page(q, 50, first.rows.slice(49).to_pylist()[0])
    assert len(sent) == 3 and nxt.matched == -1 and nxt.rows.num_rows == 50
    # a time range reads only the day partitions it touches
    sent.clear()
    day = CallsQuery(sources=tuple(store.source_ids()),
                     start_us=parse_one("2026-03-07T00:00:00Z"),
                     end_us=parse_one("2026-03-07T23:59:59Z"))
    store.calls_page(day, 10)
    assert "day=2026-03-07" in sent[0] and "day=2026-03-08" not in sent[0]


def test_a_bad_sort_key_is_refused(roots):
    store = load_case(roots["lake"]).store
    with pytest.raises(ValueError, match="cannot sort by 'price'"):
        store.calls_page(CallsQuery(sources=tuple(store.source_ids()), sort="price"), 10)


# -- Spark: a few real comparisons (the session starts in seconds) --------------------------

@pytest.mark.slow
@pytest.mark.xdist_group("spark")
def test_spark_pages_in_the_in_memory_order(frames, roots, tmp_path_factory):
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        pytest.skip("no Java found (java on PATH or JAVA_HOME): the Spark store is not tested")
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    from workbench.store import spark_store
    root = tmp_path_factory.mktemp("paging-spark") / "spark"
    shutil.copytree(roots["lake"], root, ignore=shutil.ignore_patterns("audit.jsonl"))
    toml = root / "case.toml"
    toml.write_text(toml.read_text().replace('backend = "duckdb"', 'backend = "spark"')
                    + '[store.spark]\n"spark.sql.shuffle.partitions" = "2"\n')
    case = load_case(root)
    assert isinstance(case.store, spark_store.SparkStore)
    spark = build_frames(case)
    for f in spark:
        f.skew_us = SKEW_US.get(f.index)
    for flt in (CallFilter(providers=["Midway Transit"], sort="calling", descending=True,
                           start_us=parse_one("2026-03-08T00:00:00Z")),
                CallFilter(number="(312) 555-0143", sort="upstream"),
                CallFilter(number="0188", sort=CORRECTED, descending=True)):
        _same(query(frames["arrow"], flt), _drain(query(spark, flt), 400))
    assert dispositions(spark) == dispositions(frames["arrow"])


# -- the GUI: a lake case's Calls table scrolls page by page ---------------------------------

def test_the_calls_table_of_a_lake_case_fetches_pages_as_it_scrolls(qtbot, roots,
                                                                     monkeypatch):
    from ui.docks.calls_dock import CallsDock
    from ui.session import CaseSession
    whole: list[str] = []
    pages: list[int] = []
    real_columns, real_page = DuckDbStore.columns, DuckDbStore.calls_page
    monkeypatch.setattr(DuckDbStore, "columns", lambda self, source, fields: (
        whole.append(str(source)), real_columns(self, source, fields))[1])
    monkeypatch.setattr(DuckDbStore, "calls_page", lambda self, q, limit, after=None, **kw: (
        pages.append(limit), real_page(self, q, limit, after, **kw))[1])
    session = CaseSession()
    dock = CallsDock(session)
    qtbot.addWidget(dock)
    dock.resize(1200, 600)
    dock.show()
    try:
        with qtbot.waitSignal(dock.sig_rows_changed, timeout=60_000):
            session.open(roots["lake"])
        model = dock.model
        assert model.paged and len(model.rows) == 25_272
        assert model.rowCount() == CallsPager.PAGE  # one page, not every row
        assert dock.count.text().startswith("25,272 of 25,272 records")
        shown = model.rowCount()
        for _ in range(3):  # scroll to the end of what is there: the view asks for more
            dock.view.scrollToBottom()
            qtbot.waitUntil(lambda n=shown: model.rowCount() > n, timeout=30_000)
            shown = model.rowCount()
        assert shown == 4 * CallsPager.PAGE
        assert model.data(model.index(shown - 1, 2))  # a cell of the last page reads
        starts = [int(model.frames[s].start[r]) for s, r in
                  zip(model.rows.source, model.rows.row, strict=True)]
        assert starts == sorted(starts)  # the default sort, across pages
        qtbot.waitUntil(lambda: dock.disposition.count() > 1, timeout=30_000)
        assert whole == [] and len(pages) >= 4
        # a filter is a new query: its first page and count
        dock.number.setText("(312) 555-0143")
        with qtbot.waitSignal(dock.sig_rows_changed, timeout=30_000):
            dock.apply_now()
        n = len(model.rows)
        assert 0 < n == model.rowCount() < CallsPager.PAGE
        assert {model.data(model.index(r, 3)) for r in range(n)} | {
            model.data(model.index(r, 4)) for r in range(n)} >= {"+13125550143"}
        dock.view.selectRow(0)
        assert "Normalized:" in dock.record.toPlainText()
        assert whole == []
    finally:
        assert session.runner.shutdown(10_000)
        qtbot.waitUntil(lambda: not session.runner.running, timeout=5000)


def test_a_hop_of_a_lake_case_is_found_in_the_calls_table(qtbot, window, roots):
    """Only the first page is fetched: showing a hop's record narrows the table to it."""
    from tests.qt_fixtures import open_case, wait_idle
    open_case(qtbot, window, roots["lake"])
    calls, session = window.calls_dock, window.session
    assert calls.model.paged
    session.trace_traceback("TB-26-0101")
    wait_idle(qtbot, window)
    hop = session.shown_hops()[1]
    session.select_hop(1, force=True)
    qtbot.waitUntil(lambda: bool(calls.view.selectionModel().selectedRows()), timeout=30_000)
    frame, row = calls.selected_call()
    assert (frame.sid, row) == (hop.source, hop.row)
    assert calls.model.data(calls.model.index(calls.display_row(frame.index, row), 1)) == \
        str(hop.line)
