"""Issue 11, linked views: a stalled hop is fixed in place ("Map this ingress…"), exports end
in a dialog that opens the file or its folder, and the evidence dialog warns when the trace
disagrees with the traceback record."""
from __future__ import annotations

import tomllib

import pytest
from PySide6.QtCore import QUrl

from tests.qt_fixtures import open_case, wait_idle

pytestmark = pytest.mark.gui


def _trace(qtbot, window, traceback_id: str):
    with qtbot.waitSignal(window.session.sig_trace_changed, timeout=30_000):
        window.session.trace_traceback(traceback_id)
    wait_idle(qtbot, window)
    return window.session.result


def _stalled(qtbot, window, sample_copy):
    open_case(qtbot, window, sample_copy)
    r = _trace(qtbot, window, "TB-26-0106")
    assert r.outcome == "unmapped_ingress"
    last = len(r.hops) - 1
    window.session.select_hop(last)
    return r, last


def test_a_stalled_hop_offers_to_map_its_ingress_preset(qtbot, window, sample_copy,
                                                        monkeypatch):
    from ui.dialogs.mapping_dialog import MappingDialog
    r, last = _stalled(qtbot, window, sample_copy)
    hop = r.hops[last]
    text = window.hop_dock.view.toPlainText()
    assert "The trace stops here" in text and "Map this ingress" in text and hop.ingress in text
    assert "#map-ingress" in window.hop_dock.view.toHtml()
    # a hop that is not stalled offers nothing
    window.session.select_hop(0)
    assert "Map this ingress" not in window.hop_dock.view.toPlainText()
    window.session.select_hop(last)
    seen = {}

    def stage_only(dlg):
        seen["title"] = dlg.windowTitle()
        row = next(x for x in dlg.model.rows if x.ingress == hop.ingress)
        seen["preset"] = (row.kind, dlg.view.currentIndex().row() == dlg.model.rows.index(row))
        seen["retrace_default"] = dlg.retrace_button.isDefault()
        dlg.model.set_entry(hop.ingress, "upstream", "Bayou Gateway Inc")
        return 1
    monkeypatch.setattr(MappingDialog, "exec", stage_only)
    window.hop_dock.view.anchorClicked.emit(QUrl("#map-ingress"))
    assert hop.provider in seen["title"] and seen["preset"] == ("upstream", True)
    assert seen["retrace_default"]
    assert window.session.dirty
    staged = window.session.pending(hop.source, "upstreams", {})
    assert staged[hop.ingress] == "Bayou Gateway Inc"
    # the window says plainly what Ctrl+S does with it, in the hop and the status bar
    text = window.hop_dock.view.toPlainText()
    assert "Mapping staged" in text and "Ctrl+S" in text
    assert "Ctrl+S" in window.statusBar().currentMessage()
    window.session.discard_edits()  # (closing would ask about them)


def test_save_and_trace_again_continues_the_chain(qtbot, window, sample_copy, monkeypatch):
    from ui.dialogs.mapping_dialog import MappingDialog
    r, last = _stalled(qtbot, window, sample_copy)
    hop = r.hops[last]
    # hand the unmapped trunk to a provider whose CDRs the case holds: the chain goes on
    onward = "Seaport Gateway LLC"

    def save_and_retrace(dlg):
        dlg.model.set_entry(hop.ingress, "upstream", onward)
        dlg.retrace_button.click()
        return dlg.result()
    monkeypatch.setattr(MappingDialog, "exec", save_and_retrace)
    with qtbot.waitSignal(window.session.sig_trace_changed, timeout=60_000,
                          check_params_cb=lambda res: res is not None):
        window.hop_dock.map_ingress()
    wait_idle(qtbot, window)
    again = window.session.result
    assert not window.session.dirty
    written = tomllib.loads((sample_copy / "case.toml").read_text())
    assert any(src.get("upstreams", {}).get(hop.ingress) == onward
               for src in written["sources"])
    assert again.traceback_id == "TB-26-0106"
    assert again.hops[last].upstream == onward
    assert len(again.hops) > len(r.hops) or again.outcome != "unmapped_ingress"


def test_export_ends_in_a_dialog_that_opens_the_file_or_folder(qtbot, window, sample_copy,
                                                               tmp_path, monkeypatch):
    from ui.commands.file import evidence_module
    from ui.dialogs import written_dialog
    from ui.dialogs.evidence_dialog import EvidenceDialog
    if evidence_module() is None:
        pytest.skip("evidence export not installed in this build")
    asked: list[QUrl] = []
    monkeypatch.setattr(written_dialog, "open_url", lambda url: asked.append(url) or True)
    open_case(qtbot, window, sample_copy)
    _trace(qtbot, window, "TB-26-0101")
    out = tmp_path / "packets" / "tb-0101.zip"
    out.parent.mkdir()
    monkeypatch.setattr(EvidenceDialog, "exec", lambda dlg: dlg.out.setText(str(out)) or 1)
    window.actions["file.evidence"].trigger()
    qtbot.waitUntil(lambda: window.file.written_dialog is not None, timeout=60_000)
    dlg = window.file.written_dialog
    assert dlg.isVisible() and out.exists()
    assert str(out) in dlg.label.text()
    dlg.open_folder.click()
    assert asked[-1] == QUrl.fromLocalFile(str(out.parent))
    window.file.written("Evidence packet", out).open_file.click()
    assert asked[-1] == QUrl.fromLocalFile(str(out))
    assert len(asked) == 2


def test_evidence_dialog_warns_when_the_record_disagrees(qtbot, window, sample_copy):
    from ui.commands.file import evidence_module
    from ui.dialogs.evidence_dialog import EvidenceDialog
    if evidence_module() is None:
        pytest.skip("evidence export not installed in this build")
    open_case(qtbot, window, sample_copy)
    _trace(qtbot, window, "TB-26-0104")  # Lakeshore's answer names another upstream
    dlg = EvidenceDialog(window.session, window)
    qtbot.addWidget(dlg)
    dlg.show()
    warn = dlg.warning
    assert warn is not None and warn.isVisible()
    assert "disagrees" in warn.text() and "Lakeshore Carrier Services" in warn.text()
    # shown above the Export button
    from PySide6.QtWidgets import QDialogButtonBox
    box = dlg.findChild(QDialogButtonBox)
    assert warn.geometry().bottom() <= box.geometry().top()
    _trace(qtbot, window, "TB-26-0101")  # agrees: no warning
    calm = EvidenceDialog(window.session, window)
    qtbot.addWidget(calm)
    assert calm.warning is None
