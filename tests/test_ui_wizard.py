"""The New-case wizard writes a case.toml that traces like the hand-written original."""
from __future__ import annotations

import pytest

from tests.qt_fixtures import wait_idle
from ui.wizard.wizard import NewCaseWizard
from workbench.case.model import load_case
from workbench.ingest.config import load_config
from workbench.trace.engine import trace_traceback

pytestmark = pytest.mark.gui

PROVIDERS = {"term.csv": "Term Wireless", "midway.txt": "Midway Transit",
             "lakes.psv": "Lakes Carrier", "gateway.tsv": "Gateway Co",
             "origin.parquet": "Origin Voice"}


def _chain(case, tid):
    r = trace_traceback(case, tid)
    return r.outcome, [(h.provider, h.line, h.upstream, h.customer) for h in r.hops]


def test_wizard_writes_a_case_that_traces_like_the_original(qtbot, window, chain_case, tmp_path):
    root, truth = chain_case
    runner = window.session.runner
    wiz = NewCaseWizard(runner, window)
    qtbot.addWidget(wiz)
    wiz.show()
    out = tmp_path / "rebuilt"
    page = wiz.case_page
    page.folder.setText(str(out))
    page.name.setText("Rebuilt by the wizard")
    page.tracebacks.setText(str(root / "tracebacks.csv"))
    wiz.next()
    files = sorted((root / "cdrs").iterdir())
    wiz.files_page.add_files(files)  # detected in a worker
    qtbot.waitUntil(lambda: len(wiz.state.files) == len(files), timeout=20_000)
    for i, f in enumerate(wiz.state.files):
        wiz.files_page.set_provider(i, PROVIDERS[f.path.name])
    assert wiz.files_page.isComplete()
    wiz.next()
    sp = wiz.source_page
    names = [f.path.name for f in wiz.state.files]
    sp.select_file(names.index("midway.txt"))
    assert wiz.state.files[names.index("midway.txt")].mapping["called"] == "Term Number"
    sp.set_zone("America/Chicago")
    with qtbot.waitSignal(runner.sig_ended, timeout=10_000):
        sp.refresh_preview()
    wait_idle(qtbot, window)
    assert sp.preview.rowCount() > 0 and "start UTC" in sp.preview.headers
    sp.select_file(names.index("lakes.psv"))
    sp.set_basis("answer")
    wiz.next()  # every file is checked in a worker; the page moves on when all read
    qtbot.waitUntil(lambda: wiz.currentPage() is wiz.ingress_page, timeout=20_000)
    qtbot.waitUntil(lambda: wiz.ingress_page.isComplete(), timeout=20_000)
    ip = wiz.ingress_page
    for name, ingress, kind, who in (("term.csv", "MID-01", "upstream", "Midway Transit"),
                                     ("midway.txt", "000307", "upstream", "Lakes Carrier"),
                                     ("lakes.psv", "GW-7", "upstream", "Gateway Co"),
                                     ("gateway.tsv", "OV-TRUNK", "upstream", "Origin Voice"),
                                     ("origin.parquet", "ACCT-77", "customer", "Robo Dialer LLC")):
        ip.set_entry(names.index(name), ingress, kind, who)
    counts = dict(wiz.state.files[names.index("term.csv")].ingress)
    assert counts["MID-01"] > 400
    wiz.next()
    qtbot.waitUntil(lambda: wiz.finish_page.isComplete(), timeout=30_000)
    assert "America/Chicago" in wiz.finish_page.text.toPlainText()
    wiz.finish_page.open_after.setChecked(False)
    wiz.accept()
    assert wiz.finish_page.error.text() == ""
    assert wiz.written == out / "case.toml"
    cfg = load_config(out)
    assert {s.provider for s in cfg.sources} == set(PROVIDERS.values())
    original, rebuilt = load_case(root), load_case(out)
    for call in truth["calls"]:
        assert _chain(rebuilt, call["id"]) == _chain(original, call["id"])
        assert _chain(rebuilt, call["id"])[0] == "origin"


def test_wizard_stops_on_an_unmapped_required_field(qtbot, window, chain_case, tmp_path):
    root, _ = chain_case
    wiz = NewCaseWizard(window.session.runner, window)
    qtbot.addWidget(wiz)
    wiz.show()
    wiz.case_page.folder.setText(str(tmp_path / "x"))
    wiz.case_page.name.setText("x")
    wiz.next()
    odd = tmp_path / "odd.csv"  # no header names a called number
    odd.write_text("Call Start,Orig Number,Party B,Ingress Trunk\n"
                   "2026-03-08 06:30:00,13125550143,17735550188,MID-01\n")
    wiz.files_page.add_files([odd])
    qtbot.waitUntil(lambda: wiz.files_page.isComplete(), timeout=20_000)
    wiz.next()
    wait_idle(qtbot, window)
    sp = wiz.source_page
    # the preview shows the rows as written although they cannot be read yet
    assert sp.preview.rowCount() == 1 and "Party B" in sp.preview.headers
    assert "called" in sp.status.text()
    wiz.next()  # the called number has no column: the page says so and stays
    wait_idle(qtbot, window)
    assert wiz.currentPage() is wiz.source_page
    assert "called" in sp.status.text()
