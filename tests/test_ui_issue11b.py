"""Issue 11, linked views: hop <-> calls row, keyboard stepping on the chain, the corrected
start column, the traceback record's disagreement in words, network clicks and Hop details."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.casebuilder import SKEW_GATEWAY
from tests.qt_fixtures import open_case, wait_idle
from workbench.columns.times import NAT, display_utc
from workbench.present.calls_query import COLUMNS, CORRECTED

pytestmark = pytest.mark.gui

CORRECTED_COL = [k for k, _ in COLUMNS].index(CORRECTED)


def _trace(qtbot, window, traceback_id: str):
    with qtbot.waitSignal(window.session.sig_trace_changed, timeout=30_000):
        window.session.trace_traceback(traceback_id)
    wait_idle(qtbot, window)
    return window.session.result


def _selected_record(calls) -> tuple[object, int] | None:
    return calls.selected_call()


def test_hop_selects_its_calls_row_and_back(qtbot, window, chain_case):
    open_case(qtbot, window, chain_case[0])
    r = _trace(qtbot, window, "TB-1")
    s, calls = window.session, window.calls_dock
    calls.number.setText("+19999999999")  # a filter that hides every hop's record
    with qtbot.waitSignal(calls.sig_rows_changed, timeout=10_000):
        calls.apply_now()
    assert calls.model.rowCount() == 0
    hop = r.hops[1]  # hop 2
    with qtbot.waitSignal(calls.sig_rows_changed, timeout=10_000):
        s.select_hop(1)
    frame, row = _selected_record(calls)
    assert frame.sid == hop.source and row == hop.row
    assert int(frame.line[row]) == hop.line  # the row the user sees is the hop's line
    shown = calls.view.selectionModel().selectedRows()[0].row()
    assert calls.model.data(calls.model.index(shown, 1)) == str(hop.line)
    assert calls.model.data(calls.model.index(shown, 0)) == hop.provider
    assert calls.number.text() == ""  # the hiding filter was cleared ...
    assert calls.provider.currentData() == frame.provider  # ... for the hop's provider
    # hop 1 is another provider's: its record replaces hop 2's, never both
    with qtbot.waitSignal(calls.sig_rows_changed, timeout=10_000):
        s.select_hop(0)
        assert _selected_record(calls) is None  # hop 2's row is no longer selected
    frame0, row0 = _selected_record(calls)
    assert (frame0.sid, row0) == (r.hops[0].source, r.hops[0].row)
    # the reverse: selecting hop 2's row in Calls selects hop 2
    calls.provider.setCurrentIndex(0)
    with qtbot.waitSignal(calls.sig_rows_changed, timeout=10_000):
        calls.apply_now()
    at = calls.display_row(frame.index, row)
    calls.view.selectRow(at)
    assert s.hop == 1
    assert window.graph_dock.chain.selected == 1


def test_keys_step_between_hops(qtbot, window, chain_case):
    open_case(qtbot, window, chain_case[0])
    r = _trace(qtbot, window, "TB-1")
    s, chain = window.session, window.graph_dock.chain
    s.select_hop(1)
    xs = {n.hop: n.x for n in chain.layout_.nodes if n.hop is not None}
    chain.setFocus()
    qtbot.keyClick(chain, Qt.Key.Key_Left)  # the node drawn left: one hop upstream
    assert s.hop == 2 and xs[2] < xs[1]
    qtbot.keyClick(chain, Qt.Key.Key_Right)
    assert s.hop == 1
    qtbot.keyClick(chain.canvas, Qt.Key.Key_Tab)  # with the canvas focused (after a click)
    assert s.hop == 2  # hop 3
    qtbot.keyClick(chain.canvas, Qt.Key.Key_Backtab)
    assert s.hop == 1
    for _ in range(len(r.hops) + 2):  # at the origin the keys stop, never wrap
        qtbot.keyClick(chain, Qt.Key.Key_Left)
    assert s.hop == len(r.hops) - 1
    assert "Hop " + str(len(r.hops)) in window.hop_dock.view.toPlainText()


def test_corrected_start_is_start_minus_skew(qtbot, window, chain_case):
    open_case(qtbot, window, chain_case[0])
    calls = window.calls_dock
    gw = next(f for f in calls.model.frames if f.provider == "Gateway Co")
    qtbot.waitUntil(lambda: gw.skew_us is not None, timeout=30_000)
    assert abs(gw.skew_us / 1e6 - SKEW_GATEWAY) < 2.0  # the builder's +120 s clock
    calls.provider.setCurrentIndex(calls.provider.findData("Gateway Co"))
    with qtbot.waitSignal(calls.sig_rows_changed, timeout=10_000):
        calls.apply_now()
    n = calls.model.rowCount()
    assert n > 10
    for r in range(0, n, max(n // 7, 1)):
        src, row = calls.model.locate(r)
        start = int(calls.model.frames[src].start[row])
        if start == NAT:
            continue
        want = display_utc(start - gw.skew_us)
        assert calls.model.data(calls.model.index(r, CORRECTED_COL)) == want
        assert want != calls.model.data(calls.model.index(r, 2))  # moved by ~2 minutes
    assert calls.view.horizontalHeader().visualIndex(CORRECTED_COL) == 3  # beside Start
    # sorting by it, across providers whose clocks differ
    calls.provider.setCurrentIndex(0)
    with qtbot.waitSignal(calls.sig_rows_changed, timeout=10_000):
        calls.view.sortByColumn(CORRECTED_COL, Qt.SortOrder.AscendingOrder)
    keys = []
    for r in range(calls.model.rowCount()):
        src, row = calls.model.locate(r)
        f = calls.model.frames[src]
        if int(f.start[row]) != NAT and f.skew_us is not None:
            keys.append(int(f.start[row]) - f.skew_us)
    assert len(keys) > 100 and keys == sorted(keys)
    assert not np.all(np.diff([int(calls.model.frames[calls.model.locate(r)[0]].start[
        calls.model.locate(r)[1]]) for r in range(200)]) >= 0)  # not the raw start order


def test_disagreement_is_said_in_words(qtbot, window, chain_case):
    open_case(qtbot, window, chain_case[0])
    r = _trace(qtbot, window, "TB-2")
    header = window.graph_dock.chain.header.text()
    bad = next(i for i, h in enumerate(r.hops) if h.traceback_agrees is False)
    want = f"isagrees at hop {bad + 1}"
    assert want in header and "Bogus Telecom" in header
    assert r.hops[bad].upstream and r.hops[bad].upstream in header  # what the CDRs show
    assert want in window.statusBar().currentMessage()
    assert "Bogus Telecom" in window.statusBar().currentMessage()
    _trace(qtbot, window, "TB-1")  # a record that agrees: no such words
    assert "disagrees" not in window.graph_dock.chain.header.text()


def test_network_click_never_leaves_stale_hop_details(qtbot, window, chain_case):
    open_case(qtbot, window, chain_case[0])
    r = _trace(qtbot, window, "TB-1")
    net = window.graph_dock.network
    qtbot.waitUntil(lambda: net.net is not None and "Lakes Carrier" in list(net.net.names),
                    timeout=30_000)
    hop_text = window.hop_dock.view.toPlainText
    assert r.hops[0].provider in hop_text()

    class _Point:
        def __init__(self, i):
            self.i = i

        def data(self):
            return self.i

    names = list(net.net.names)
    calls = window.calls_dock
    with qtbot.waitSignal(calls.sig_rows_changed, timeout=10_000):  # Calls filters to it
        net._on_click(None, [_Point(names.index("Lakes Carrier"))])
    at = [h.provider for h in r.hops].index("Lakes Carrier")
    assert window.session.hop == at
    assert f"Hop {at + 1}: Lakes Carrier" in hop_text()
    assert calls.provider.currentData() == "Lakes Carrier"
    frame, row = calls.selected_call()
    assert (frame.sid, row) == (r.hops[at].source, r.hops[at].row)
    off_chain = next((n for n in names if n not in {h.provider for h in r.hops}), None)
    if off_chain is not None:
        net._on_click(None, [_Point(names.index(off_chain))])
        assert window.session.hop == -1
        assert "Lakes Carrier" not in hop_text()
