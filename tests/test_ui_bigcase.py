"""Issue 11, big cases and short screens: the calls table reads the memory-mapped cache in
place (no per-row copies), a case being opened shows its progress where the case will be,
and at 1366x768 the traceback records show all six fields and Calls 15 rows or more."""
from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tests.qt_fixtures import open_case, wait_idle
from workbench.present.calls_query import _DictColumn


def _reference(col: pa.Array) -> list:
    return col.cast(col.type.value_type).to_pylist()


def test_dictionary_columns_are_read_in_place_with_nulls_and_offsets():
    values = ["A", None, "C", "B", None, "A", "", "C", None, "B"] * 7
    full = pa.array(values).dictionary_encode()
    for arr in (full, full.slice(3, 41), full.slice(13)):  # offsets not on a byte boundary
        col = _DictColumn(pa.chunked_array([arr]))
        want = _reference(arr)
        assert [col.value(i) for i in range(len(arr))] == want
        assert np.shares_memory(col._view, np.frombuffer(arr.buffers()[1], np.int32))
        rows = np.arange(len(arr))[::-1]
        codes = col.codes_at(rows)
        assert [None if c < 0 else col.values()[c] for c in codes] == [want[r] for r in rows]
        assert (col.codes < 0).tolist() == [v is None for v in want]
        hit = pc.equal(col.dictionary, "C").fill_null(False).to_numpy(zero_copy_only=False)
        assert col.lut(hit).tolist() == [v == "C" for v in want]
        ranks = col.ranks[col.codes_at(np.arange(len(arr)))]
        order = [want[i] for i in np.argsort(ranks, kind="stable")]
        assert order == sorted([v for v in want if v is not None]) + [None] * want.count(None)
    plain = _DictColumn(pa.chunked_array([pa.array(["x", None, "y"])]))  # a SQL store
    assert [plain.value(i) for i in range(3)] == ["x", None, "y"]
    several = _DictColumn(pa.chunked_array([full.slice(0, 5), full.slice(5, 5)]))
    assert [several.value(i) for i in range(10)] == _reference(full.slice(0, 10))


def test_calls_frames_of_a_cached_case_copy_no_rows(sample_copy):
    """Every column of the calls table is a view of the store's (memory-mapped) buffers."""
    from workbench.case.model import load_case
    from workbench.present.calls_query import DICT_COLUMNS, FRAME_FIELDS, build_frames
    load_case(sample_copy / "case.toml")  # builds the cache
    case = load_case(sample_copy / "case.toml")  # reads it, memory-mapped
    frames = build_frames(case)
    for f in frames:
        table = case.store.columns(f.sid, FRAME_FIELDS)
        for name in ("line", "start", "calling_key", "called_key"):
            buf = table.column(name).chunk(0).buffers()[1]
            assert np.shares_memory(getattr(f, name), np.frombuffer(buf, np.uint8)), name
        for name in DICT_COLUMNS:
            chunk = table.column(name).chunk(0)
            assert np.shares_memory(f.dicts[name]._view,
                                    np.frombuffer(chunk.indices.buffers()[1], np.uint8)), name
            assert f.dicts[name].value(0) == _reference(chunk.slice(0, 1))[0]


@pytest.mark.gui
def test_opening_shows_progress_where_the_case_will_be(qtbot, window, sample_copy,
                                                       monkeypatch):
    from ui import session as session_module
    go = threading.Event()
    real = session_module._open

    def slow(path, audit, *, progress, should_stop):
        progress(0.3, "reading cdrs/terminus.csv")
        go.wait(10)
        return real(path, audit, progress=progress, should_stop=should_stop)
    monkeypatch.setattr(session_module, "_open", slow)
    dock = window.case_dock
    window.file.open(sample_copy)
    qtbot.waitUntil(lambda: "reading cdrs/terminus.csv" in dock.title.text(), timeout=5000)
    assert "Opening" in dock.title.text() and "No case open" not in dock.title.text()
    assert dock.loading_bar.isVisible() and dock.loading_bar.value() == 300
    assert dock.loading_cancel.isVisible()
    assert "Opening" in window.calls_dock.count.text()
    with qtbot.waitSignal(window.session.sig_case_changed, timeout=30_000):
        go.set()
    wait_idle(qtbot, window)
    assert not dock.loading_bar.isVisible() and window.session.case.name in dock.title.text()


@pytest.mark.gui
def test_cancel_in_place_goes_back_to_no_case(qtbot, window, sample_copy, monkeypatch):
    from ui import session as session_module
    go = threading.Event()
    real = session_module._open

    def held(path, audit, *, progress, should_stop):
        go.wait(10)
        return real(path, audit, progress=progress, should_stop=should_stop)
    monkeypatch.setattr(session_module, "_open", held)
    window.file.open(sample_copy)
    dock = window.case_dock
    qtbot.waitUntil(lambda: dock.loading_cancel.isVisible(), timeout=5000)
    dock.loading_cancel.click()
    go.set()
    wait_idle(qtbot, window)
    assert window.session.case is None
    assert dock.title.text().startswith("No case open") and not dock.loading_bar.isVisible()
    assert window.calls_dock.count.text() == "No case open"


@pytest.mark.gui
def test_layout_at_1366x768(qtbot, window, sample_copy):
    window.resize(1366, 768)
    window.fit_layout_to(768, 1366)
    open_case(qtbot, window, sample_copy)
    with qtbot.waitSignal(window.session.sig_trace_changed, timeout=30_000):
        window.session.trace_traceback("TB-26-0101")
    wait_idle(qtbot, window)
    window.calls_dock.raise_()
    qtbot.wait(200)
    case = window.case_dock
    tb, model = case.tb_view, case.tracebacks
    # every traceback field in sight: the compact layout, two lines a row, nothing scrolled
    assert case.tb_compact
    cols = model.columnCount()
    widths = [tb.columnWidth(i) for i in range(cols)]
    assert sum(widths) <= tb.viewport().width() + 1, widths
    assert all(widths[i] >= tb.sizeHintForColumn(i) for i in range(cols - 1)), widths
    assert widths[-1] >= 48
    row = model.rows[0]
    assert row[0].startswith("TB-26-0101\n") and "hops" in row[0]
    assert row[1].count("\n") == 1 and row[2].count("\n") == 1  # date/time, calling/called
    assert tb.rowHeight(0) >= 2 * tb.fontMetrics().lineSpacing()
    # the full six columns come back when the dock is wide enough
    window.resize(2600, 768)
    qtbot.waitUntil(lambda: window.width() == 2600, timeout=3000)
    window.resizeDocks([case], [900], Qt_horizontal())
    qtbot.waitUntil(lambda: not case.tb_compact, timeout=3000)
    assert model.columnCount() == 6 and model.rows[0][0] == "TB-26-0101"
    window.resize(1366, 768)
    window.fit_layout_to(768, 1366)
    qtbot.waitUntil(lambda: case.tb_compact, timeout=3000)
    # Calls: 15 rows or more in sight, beside the selected record
    view = window.calls_dock.view
    assert view.viewport().height() // view.rowHeight(0) >= 15
    assert window.calls_dock.compact


def Qt_horizontal():  # noqa: N802 - reads like the Qt constant it returns
    from PySide6.QtCore import Qt
    return Qt.Orientation.Horizontal
