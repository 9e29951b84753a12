"""Issue 11 (linked views, part a): the trainer question dialog, the empty timeline, and a
FreeSWITCH JSON/XML record indented in Hop details with the fields read marked."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl

from tests.qt_fixtures import open_case, wait_idle
from workbench.investigation import TraceRequest
from workbench.present.training import StepQuestion, explain, question

pytestmark = pytest.mark.gui
FX = Path(__file__).parent / "fixtures" / "formats"


def _question() -> StepQuestion:
    return StepQuestion(0, "Term Wireless's record of this call (line 12) came in on ingress "
                           "'MID-01'. Who handed it over?",
                        ["Midway Transit", "O'Brien Telecom", "Its own customer (origin found)"],
                        "Midway Transit", "Term Wireless's table of upstream trunks maps "
                                          "ingress 'MID-01' to Midway Transit")


def test_question_dialog_shows_quotes_and_reveals_only_after_an_answer(qtbot):
    from ui.dialogs.step_dialog import StepQuestionDialog
    dlg = StepQuestionDialog(_question())
    qtbot.addWidget(dlg)
    dlg.show()
    assert "'MID-01'" in dlg.prompt.text() and "&#x27;" not in dlg.prompt.text()
    assert dlg.prompt.wordWrap()
    names = [b.text() for b in dlg.group.buttons()]
    assert "O'Brien Telecom" in names
    # the whole prompt fits: its wrapped height is within the label's
    assert dlg.prompt.height() >= dlg.prompt.heightForWidth(dlg.prompt.width())
    assert not dlg.reveal.isEnabled() and not dlg.reveal.isDefault()
    assert not any(b.isDefault() or b.autoDefault() for b in dlg.buttons.buttons())
    qtbot.keyClick(dlg, Qt.Key.Key_Return)
    assert dlg.isVisible() and dlg.result() == 0  # Enter does not reveal
    dlg.choose("O'Brien Telecom")
    assert dlg.reveal.isEnabled()
    assert dlg.check_answer() is False
    fb = dlg.feedback.text()
    assert "&amp;#x27;" not in fb and "[sources." not in fb
    qtbot.keyClick(dlg, Qt.Key.Key_Return)
    assert dlg.isVisible()  # still not: the trainee clicks "Reveal the hop"
    dlg.reveal.click()
    assert dlg.result() == 1


def test_feedback_names_the_table_in_plain_words(chain_case):
    from workbench.investigation import Investigation
    root, truth = chain_case
    inv = Investigation.open(root)
    r = inv.trace(TraceRequest(traceback_id="TB-1"))
    words = [explain(r, i) for i in range(len(r.hops))]
    assert all("[sources." not in w for w in words)
    mapped = next(w for h, w in zip(r.hops, words) if h.upstream)
    assert "table of upstream trunks maps ingress" in mapped
    assert question(inv.case, r, 0, seed=1).explanation == words[0]


def test_empty_timeline_has_no_clock_and_says_why(qtbot, window):
    dock = window.timeline_dock
    p = dock.plot.getPlotItem()
    bottom = p.getAxis("bottom")
    assert not bottom.isVisible() and not bottom.style["showValues"]
    assert bottom.labelText == ""
    assert bottom.tickStrings([0.2, 0.4], 1.0, 0.2)  # (the axis itself still formats times)
    texts = [i for i in p.items if hasattr(i, "textItem")]
    assert any("No trace yet" in t.textItem.toPlainText() for t in texts)


def test_timeline_axis_comes_back_after_a_trace(qtbot, window, chain_case):
    root, _ = chain_case
    open_case(qtbot, window, root)
    with qtbot.waitSignal(window.session.sig_trace_changed, timeout=30_000):
        window.session.trace_traceback("TB-1")
    wait_idle(qtbot, window)
    bottom = window.timeline_dock.plot.getPlotItem().getAxis("bottom")
    assert bottom.isVisible() and bottom.style["showValues"]
    assert "Start time (UTC)" in bottom.labelText


FS_TOML = """\
[case]
name = "FreeSWITCH JSON"
default_country = "US"

[[sources]]
provider = "Edge Voice"
path = "cdrs/edge.json"
format = "{fmt}"
[sources.upstreams]
"198.51.100.20" = "Wholesale Carrier"
"larkspur" = "Wholesale Carrier"
"""


@pytest.fixture(params=["json", "xml"])
def fs_case(request, tmp_path) -> tuple[Path, str]:
    kind = request.param
    root = tmp_path / "fs"
    (root / "cdrs").mkdir(parents=True)
    shutil.copy(FX / f"freeswitch_cdr.{kind}", root / "cdrs" / "edge.json")
    (root / "case.toml").write_text(FS_TOML.format(fmt=f"freeswitch_{kind}"))
    return root, kind


def test_freeswitch_record_is_indented_with_read_fields_marked(qtbot, window, fs_case):
    root, kind = fs_case
    open_case(qtbot, window, root)
    with qtbot.waitSignal(window.session.sig_trace_changed, timeout=30_000):
        window.session.trace(TraceRequest(called="13125550178", at="2024-06-10T16:00:31Z"))
    wait_idle(qtbot, window)
    window.session.select_hop(0, force=True)
    wait_idle(qtbot, window)
    view = window.hop_dock.view
    text = view.toPlainText()
    if kind == "json":
        assert '\n    "sip_network_ip": "198.51.100.20",' in text  # indented, one key a line
        assert "← ingress" in text
        assert "← start" in text  # callflow times created_time
    else:
        assert "\n    <sip_gateway>larkspur</sip_gateway>  ← ingress" in text
        assert "<end_uepoch>1718035274620000</end_uepoch>  ← end" in text  # whole document
    assert "Show original" in text
    doc = view.toHtml()
    assert "#fff3b0" in doc  # the marked fields are highlighted
    view.anchorClicked.emit(QUrl("#original"))
    shown = view.toPlainText()
    assert "← ingress" not in shown and "Show indented" in shown
    if kind == "json":
        assert '{"core-uuid": "a9d1c3e5-0000-4000-8000-000000000001", "switchname"' in shown


def test_csv_lines_stay_as_written():
    from ui.docks.hop_dock import structured_html
    assert structured_html('"","2025550143","7735550188","from-ov"') is None
    assert structured_html("{not json") is None
