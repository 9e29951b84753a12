"""The workbench window driven offscreen: open, trace, chain view, calls filter, edits, export."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMessageBox

from tests.qt_fixtures import open_case, wait_idle
from workbench.investigation import TraceRequest
from workbench.present.palette import ROLE_COLOURS

pytestmark = pytest.mark.gui


def _trace_action(qtbot, window, action_id: str) -> None:
    with qtbot.waitSignal(window.session.sig_trace_changed, timeout=30_000):
        window.actions[action_id].trigger()
    wait_idle(qtbot, window)


def test_open_sample_trace_traceback_and_read_the_chain(qtbot, window, sample_copy):
    open_case(qtbot, window, sample_copy)
    case = window.session.case
    assert window.case_dock.sources.rowCount() == len(case.sources) == 5
    assert "Vehicle warranty" in window.windowTitle()
    assert window.case_dock.sources.rows[0][2] != "estimating…"  # skew estimated and shown
    assert window.actions["file.provider_packet"].isEnabled()  # needs a case, not a trace
    assert not window.actions["file.evidence"].isEnabled()
    window.case_dock.tb_view.selectRow(0)
    _trace_action(qtbot, window, "trace.traceback")
    r = window.session.result
    assert r.traceback_id == "TB-26-0101" and r.outcome == "origin"
    chain = window.graph_dock.chain
    labels = [t.toPlainText() for t in chain.node_labels]
    for hop in r.hops:
        assert any(hop.provider.split()[0] in lab for lab in labels)
    brushes = chain.nodes_item.data["brush"]
    kinds = [n.kind for n in chain.layout_.nodes]
    expect = {"Terminus Wireless": "terminating", "Origin Voice Co": "originating"}
    for n, brush in zip(chain.layout_.nodes, brushes):
        if n.label in expect:
            assert n.kind == expect[n.label]
            assert brush.color().name() == QColor(ROLE_COLOURS[n.kind]).name()
    assert "transit" in kinds
    assert "Origin found" in chain.header.text()
    assert "Terminus Wireless" in window.hop_dock.view.toPlainText()  # hop 1 selected


def test_trace_this_call_from_the_calls_table(qtbot, window, chain_case):
    root, truth = chain_case
    open_case(qtbot, window, root)
    calls = window.calls_dock
    call = truth["calls"][0]
    calls.number.setText("(773) 555-0188")  # the called number, written another way
    calls.which.setCurrentIndex(2)
    with qtbot.waitSignal(calls.sig_rows_changed, timeout=10_000):
        calls.apply_now()
    rows = calls.model.rowCount()
    assert 0 < rows < 100
    assert all(calls.model.data(calls.model.index(r, 4)) == call["called"] for r in range(rows))
    calls.provider.setCurrentIndex(calls.provider.findData("Term Wireless"))
    with qtbot.waitSignal(calls.sig_rows_changed, timeout=10_000):
        calls.apply_now()
    assert calls.model.rowCount() < rows
    target = next(r for r in range(calls.model.rowCount())
                  if calls.model.data(calls.model.index(r, 3)) == call["calling"])
    calls.view.selectRow(target)
    _trace_action(qtbot, window, "trace.call")
    r = window.session.result
    assert r.outcome == "origin" and r.hops[0].provider == "Term Wireless"
    assert r.origin.customer == "Robo Dialer LLC"
    qtbot.waitUntil(lambda: "As written" in calls.record.toPlainText(), timeout=10_000)


def test_calls_table_sorts_by_header_click(qtbot, window, chain_case):
    open_case(qtbot, window, chain_case[0])
    calls = window.calls_dock
    wait_idle(qtbot, window)
    with qtbot.waitSignal(calls.sig_rows_changed, timeout=10_000):
        calls.view.sortByColumn(5, Qt.SortOrder.DescendingOrder)  # duration
    durs = [float(calls.model.data(calls.model.index(r, 5)) or "nan") for r in range(20)]
    assert durs == sorted(durs, reverse=True)


def test_step_mode_reveals_one_hop_at_a_time(qtbot, window, chain_case, monkeypatch):
    open_case(qtbot, window, chain_case[0])
    window.actions["trace.step"].setChecked(True)
    with qtbot.waitSignal(window.session.sig_trace_changed, timeout=30_000):
        window.session.trace_traceback("TB-1")
    wait_idle(qtbot, window)
    chain = window.graph_dock.chain
    assert [n.label for n in chain.layout_.nodes if not n.faint] == ["Term Wireless"]
    assert "Step mode" in chain.header.text()
    assert window.actions["trace.next"].isEnabled()
    from ui import settings
    settings.set_ask_upstream_in_step_mode(True)
    from ui.dialogs.step_dialog import StepQuestionDialog
    answers = []

    def answer_right(dlg):
        dlg.choose(dlg.q.answer)
        answers.append(dlg.check_answer())
        return 1
    monkeypatch.setattr(StepQuestionDialog, "exec", answer_right)
    window.actions["trace.next"].trigger()
    assert answers == [True]
    assert len([n for n in chain.layout_.nodes if not n.faint]) == 2
    window.actions["trace.all"].trigger()
    # five hops, and once the origin is revealed the customer whose arrow carries its record
    assert len([n for n in chain.layout_.nodes if not n.faint]) == 6
    assert "Origin found" in chain.header.text()


def test_mapping_edit_is_saved_atomically_and_close_asks(qtbot, window, chain_case, monkeypatch):
    root, _ = chain_case
    open_case(qtbot, window, root)
    s = window.session
    s.edit_source(s.case.sources[2].id,
                  upstreams={"GW-7": "Gateway Co", "NEW-TRUNK": "Other Carrier"},
                  customers={}, notes="checked with Lakes NOC")
    assert window.actions["file.save"].isEnabled() and window.windowTitle().startswith("*")
    asked = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: asked.append(box.text()) or
                        QMessageBox.StandardButton.Cancel)
    window.close()
    assert asked and window.isVisible()  # cancelled: still open, edits kept
    with qtbot.waitSignal(s.sig_case_changed, timeout=30_000):
        window.actions["file.save"].trigger()
    wait_idle(qtbot, window)
    assert not s.dirty
    assert s.case.sources[2].config.upstreams["NEW-TRUNK"] == "Other Carrier"
    assert (root / "case.toml.bak").exists()
    from workbench.case.audit import read_audit
    assert any(e["action"] == "mapping change" for e in read_audit(root))


def test_open_errors_are_plain_words(qtbot, window, tmp_path, shown_errors):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "case.toml").write_text('[case]\nname = "x"\n[[sources]]\nprovider = "A"\n'
                                   'path = "nope.csv"\n')
    with qtbot.waitSignal(window.session.sig_failed, timeout=10_000):
        window.file.open(bad)
    wait_idle(qtbot, window)
    title, text = shown_errors[-1]
    assert "nope.csv" in text and "Line: 5" in text and "Traceback" not in text


def test_export_png_and_svg_of_the_chain(qtbot, window, chain_case, tmp_path):
    open_case(qtbot, window, chain_case[0])
    with qtbot.waitSignal(window.session.sig_trace_changed, timeout=30_000):
        window.session.trace(TraceRequest(traceback_id="TB-3"))
    wait_idle(qtbot, window)
    png = window.file.export_png(tmp_path / "chain.png")
    svg = window.file.export_svg(tmp_path / "chain.svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = svg.read_text()
    assert "<svg" in text and "Origin Voice" in text


def test_drop_accepts_case_folders_only(window, chain_case, tmp_path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(chain_case[0]))])
    assert window.case_from_drop(mime) == chain_case[0]
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path))])
    assert window.case_from_drop(mime) is None


def test_every_toolbar_action_has_a_tooltip_and_main_actions_have_shortcuts(window):
    for a in window.toolbar.actions():
        if not a.isSeparator():
            assert a.toolTip().strip(), a.objectName()
    for key in ("file.open", "file.new", "file.save", "trace.call", "trace.traceback",
                "trace.form", "trace.next", "file.export_png"):
        assert not window.actions[key].shortcut().isEmpty(), key


def test_recent_cases_newest_first_without_duplicates(tmp_path):
    from ui import settings
    dirs = []
    for i in range(12):
        d = tmp_path / f"c{i}"
        d.mkdir()
        dirs.append(d)
        settings.add_recent_case(d)
    settings.add_recent_case(dirs[5])
    rec = settings.recent_cases()
    assert rec[0] == str(dirs[5]) and len(rec) == 10 and len(set(rec)) == 10
    dirs[11].rmdir()
    assert str(dirs[11]) not in settings.recent_cases()


def _six_hop_result():
    from workbench.trace.engine import Hop, TraceResult
    names = ["Terminus Wireless of Greater Chicagoland", "Midway Transit Interconnect Inc.",
             "Lakeshore Carrier Services", "Seaport Gateway LLC (International)",
             "Harborline Networks Wholesale", "Origin Voice Company of Delaware"]
    hops = []
    for i, n in enumerate(names):
        last = i == len(names) - 1
        hops.append(Hop(n, True, role="terminating" if i == 0 else
                        ("originating" if last else "transit"),
                        upstream=None if last else names[i + 1],
                        customer="Acme Vehicle Services LLC" if last else None,
                        ingress=f"TRUNK-{i}", start_us=1_772_955_672_000_000 + i * 1000,
                        corrected_us=1_772_955_672_000_000 - i * 250_000, offset_s=-0.25 * i,
                        confidence=0.93, alternatives=2, traceback_agrees=False if i == 2 else None,
                        traceback_upstream="Someone Else Entirely Telecom" if i == 2 else None))
    return TraceResult("+13125550143", "+16305550118", 1_772_955_672_000_000, "origin", hops,
                       {"provider": names[-1], "customer": "Acme Vehicle Services LLC"}, {}, 60.0)


@pytest.mark.parametrize("size", [(1366, 768), (1600, 1000)])
def test_six_hop_chain_labels_do_not_overlap(qtbot, window, size):
    from workbench.present.chain_layout import layout_chain
    window.resize(*size)
    window.fit_layout_to(size[1])
    chain = window.graph_dock.chain
    chain.show_chain(layout_chain(_six_hop_result()), "six hops")
    qtbot.wait(150)  # let the view settle and the labels take their pixel offsets
    items = chain.node_labels + [t for t, _ in chain.edge_labels]
    rects = [t.mapRectToScene(t.boundingRect()) for t in items]
    view = chain.canvas.vb.sceneBoundingRect()
    for i, a in enumerate(rects):
        assert view.contains(a.center()), items[i].toPlainText()
        for j in range(i + 1, len(rects)):
            assert not a.intersects(rects[j]), (items[i].toPlainText(), items[j].toPlainText())


def test_trace_form_and_evidence_export(qtbot, window, chain_case, tmp_path, monkeypatch,
                                        shown_errors):
    from ui.commands.file import evidence_module
    from ui.dialogs.evidence_dialog import EvidenceDialog
    from ui.dialogs.trace_form import TraceFormDialog
    root, truth = chain_case
    open_case(qtbot, window, root)
    call = truth["calls"][1]

    def fill(dlg):
        dlg.called.setText("612.555.0101")
        dlg.calling.setText(call["calling"])
        dlg.at.setText("not a time")
        assert "not a time" in dlg.problem()
        dlg.at.setText(call["at"])
        assert dlg.problem() is None
        return 1
    monkeypatch.setattr(TraceFormDialog, "exec", fill)
    _trace_action(qtbot, window, "trace.form")
    r = window.session.result
    assert r.outcome == "origin" and r.called == "+16125550101"
    if evidence_module() is None:
        assert not window.actions["file.evidence"].isEnabled()
        return
    out = tmp_path / "packet.zip"
    monkeypatch.setattr(EvidenceDialog, "exec", lambda dlg: dlg.out.setText(str(out)) or 1)
    assert window.actions["file.evidence"].isEnabled()
    window.actions["file.evidence"].trigger()
    wait_idle(qtbot, window, 60_000)
    assert out.exists() and out.stat().st_size > 1000
    from ui.dialogs.evidence_dialog import ReplyDialog
    reply = tmp_path / "reply.docx"
    monkeypatch.setattr(ReplyDialog, "exec", lambda dlg: 1)
    monkeypatch.setattr(ReplyDialog, "choices", lambda dlg: ("TB-2", "Midway Transit", reply))
    window.actions["file.reply"].trigger()
    wait_idle(qtbot, window, 60_000)
    assert reply.exists() and not shown_errors


def test_window_layout_is_restored(qtbot, window):
    from ui.main_window import MainWindow
    window.hop_dock.hide()
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    assert again.hop_dock.isHidden() and not again.calls_dock.isHidden()
    again.session.runner.shutdown()


def test_switching_to_dark_repaints_the_views(qtbot, window, chain_case):
    from PySide6.QtGui import QPalette
    open_case(qtbot, window, chain_case[0])
    with qtbot.waitSignal(window.session.sig_trace_changed, timeout=30_000):
        window.session.trace_traceback("TB-1")
    wait_idle(qtbot, window)
    try:
        window.view.set_theme("dark")
        qtbot.wait(50)
        bg = window.graph_dock.chain.canvas.backgroundBrush().color()
        assert bg.lightness() < 80
        ink = window.palette().color(QPalette.ColorRole.Text).name()
        assert ink in window.graph_dock.chain.node_labels[0].textItem.toHtml()
    finally:
        window.view.set_theme("system")
