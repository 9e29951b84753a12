"""File → Trace a list of calls…: a worker with progress and Cancel, the outcomes and one row
per call (a bad line reported in its row), saving as the CLI does, a row's chain on show."""
from __future__ import annotations

import json
import threading

import pytest

from tests.qt_fixtures import open_case, wait_idle
from workbench.investigation import TraceRequest

pytestmark = pytest.mark.gui


def _calls_list(sample, path) -> list[dict]:
    """Four calls of the sample's answer key in other written forms, and one bad line."""
    truth = json.loads((sample / "truth.json").read_text())
    tbs = truth.get("tracebacks", truth)
    picked = [(tid, tbs[tid]) for tid in ("TB-26-0101", "TB-26-0104", "TB-26-0105",
                                          "TB-26-0106")]
    lines = ["ANI,DNIS,time"]
    for _, t in picked:
        c = t["call"]
        lines.append(f"{c['calling']},{c['called']},{c['call_time']}")
    lines.append("+13125550143,not a number,2026-03-08T07:41:12Z")
    path.write_text("\n".join(lines) + "\n")
    return [t for _, t in picked]


def test_trace_a_list_shows_outcomes_rows_and_saves(qtbot, window, sample_copy, tmp_path,
                                                     monkeypatch):
    from ui.commands import file as file_commands
    from ui.dialogs import written_dialog
    monkeypatch.setattr(written_dialog, "open_url", lambda url: True)
    lst = tmp_path / "calls.csv"
    truth = _calls_list(sample_copy, lst)
    open_case(qtbot, window, sample_copy)
    assert window.actions["file.trace_list"].isEnabled()
    dlg = window.batch.trace_list(lst)
    qtbot.waitUntil(lambda: dlg.model.traced is not None, timeout=60_000)
    wait_idle(qtbot, window)
    m = dlg.model
    assert m.rowCount() == 5
    for row, t in enumerate(truth):
        assert m.result(row).outcome == t["outcome"], row
        assert m.cell(row, 5) == str(len(t["hops"]))
    assert m.cell(0, 3) == "origin found" and m.cell(0, 6) == ""
    assert m.cell(0, 4).startswith(truth[0]["origin_provider"])
    assert "Lakeshore Carrier Services" not in m.cell(1, 6)  # a plain call: no record to compare
    assert m.cell(3, 3) == "unmapped ingress" and "TG-0999" in m.cell(3, 6)
    # the bad line: its own row, its line of the file and the reason
    assert m.cell(4, 3) == "could not be traced" and m.cell(4, 1) == "6"
    assert "not a number" in m.cell(4, 6)
    summary = dlg.summary.text()
    assert "5 call(s)" in summary and "1 could not be traced" in summary
    assert "2 origin found" in summary
    assert dlg.bar.value() == 1000 and not dlg.cancel.isEnabled()
    # saved with the CLI's writer, in each of its formats
    for ext in (".jsonl", ".csv", ".xlsx"):
        out = window.batch.save_results(dlg, tmp_path / f"res{ext}")
        assert out is not None and out.stat().st_size > 100
    rows = [json.loads(x) for x in (tmp_path / "res.jsonl").read_text().splitlines()]
    assert [r.get("outcome") for r in rows[:4]] == [t["outcome"] for t in truth]
    assert rows[4]["line"] == 6 and "not a number" in rows[4]["error"]
    assert window.file.written_dialog.path == tmp_path / "res.xlsx"
    assert file_commands  # (the dialog is the File commands' one)
    # double-click: that chain in the main window
    with qtbot.waitSignal(window.session.sig_trace_changed, timeout=5000):
        dlg.sig_show.emit(3)
    r = window.session.result
    assert r is m.result(3) and r.outcome == "unmapped_ingress"
    assert window.session.request == TraceRequest(calling=r.calling, called=r.called,
                                                  at=r.at_us)
    assert "TG-0999" in window.graph_dock.chain.header.text() or \
        "not mapped" in window.graph_dock.chain.header.text()
    dlg.close()


def test_a_traceback_records_file_is_a_list_too(qtbot, window, sample_copy):
    open_case(qtbot, window, sample_copy)
    dlg = window.batch.trace_list(sample_copy / "tracebacks.csv")
    qtbot.waitUntil(lambda: dlg.model.traced is not None, timeout=60_000)
    wait_idle(qtbot, window)
    ids = [t.traceback_id for t in window.session.case.tracebacks]
    assert dlg.model.rowCount() == len(ids)
    assert dlg.model.cell(0, 2) == f"traceback {ids[0]}"
    # a record that disagrees with the CDRs says so first
    row = ids.index("TB-26-0104")
    assert "Lakeshore Carrier Services" in dlg.model.cell(row, 6)
    assert "says Harborline Networks" in dlg.model.cell(row, 6)
    with qtbot.waitSignal(window.session.sig_trace_changed, timeout=5000):
        dlg.sig_show.emit(row)
    assert window.session.request == TraceRequest(traceback_id="TB-26-0104")
    dlg.close()


def test_cancel_stops_the_list_and_says_so(qtbot, window, sample_copy, tmp_path, monkeypatch):
    from ui.commands import batch
    lst = tmp_path / "calls.csv"
    _calls_list(sample_copy, lst)
    open_case(qtbot, window, sample_copy)
    go = threading.Event()
    real = batch.read_call_list

    def held(*a, **kw):  # the worker waits until Cancel was pressed
        go.wait(10)
        return real(*a, **kw)
    monkeypatch.setattr(batch, "read_call_list", held)
    dlg = window.batch.trace_list(lst)
    assert dlg.cancel.isEnabled()
    dlg.cancel.click()
    go.set()
    wait_idle(qtbot, window)
    assert dlg.model.traced is None and "Cancelled" in dlg.status.text()
    assert not dlg.save.isEnabled()
    dlg.close()


def test_a_list_that_cannot_be_read_is_told_in_the_dialog(qtbot, window, sample_copy,
                                                          tmp_path):
    bad = tmp_path / "nothing.csv"
    bad.write_text("who,when\nx,y\n")
    open_case(qtbot, window, sample_copy)
    dlg = window.batch.trace_list(bad)
    wait_idle(qtbot, window)
    assert "Not traced" in dlg.status.text() and "no column for called" in dlg.status.text()
    dlg.close()
