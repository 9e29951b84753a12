"""The provider analysis, its traffic charts and the provider dossiers, driven offscreen.

Runs on cases the generator builds with training tracebacks (a rotating-ANI customer among
honest ones, a slow and a silent provider; its truth.json says who is who) and on the
independent five-provider case of tests/casebuilder.py; never on the bundled sample alone.
"""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.qt_fixtures import open_case, wait_idle
from workbench.investigation import TraceRequest

pytestmark = pytest.mark.gui

PROVIDER = "Origin Voice Co"


@pytest.fixture(scope="session")
def _training_master(tmp_path_factory) -> tuple[Path, dict]:
    from workbench.generate import generate_case
    root = tmp_path_factory.mktemp("training-master") / "case"
    generate_case(root, rows=1500, seed=11, tracebacks=120, campaigns=3)
    return root, json.loads((root / "truth.json").read_text())["training"]


@pytest.fixture
def training_case(_training_master, tmp_path) -> tuple[Path, dict]:
    """A generated case with training tracebacks (a fresh copy) and its training truth."""
    master, truth = _training_master
    root = tmp_path / "training"
    shutil.copytree(master, root)
    return root, truth


def _analyze(qtbot, window, provider: str = PROVIDER):
    dock = window.analysis_dock
    dock.choose(provider)
    assert dock.provider.currentData() == provider
    with qtbot.waitSignal(window.session.sig_analysis_changed, timeout=60_000):
        dock.run_button.click()
    wait_idle(qtbot, window)
    return dock


def _column(model, title: str) -> int:
    return next(c for c in range(model.columnCount())
                if model.headerData(c, Qt.Orientation.Horizontal) == title)


def _cells(model, title: str) -> list[str]:
    col = _column(model, title)
    return [model.data(model.index(r, col)) for r in range(model.rowCount())]


def test_analysis_ranks_the_rotating_customer_first(qtbot, window, training_case):
    root, truth = training_case
    rotating = truth["rotating_ani_customer"]
    open_case(qtbot, window, root)
    dock = _analyze(qtbot, window)
    m = dock.model
    ingresses = _cells(m, "Ingress")
    scores = [float(x) for x in _cells(m, "Score")]
    assert len(ingresses) == len(window.session.analysis.ingresses) >= 4
    assert scores == sorted(scores, reverse=True)
    assert ingresses[0] == rotating["ingress"] and _cells(m, "Name")[0] == rotating["name"]
    assert "rotates calling numbers" in _cells(m, "Reasons")[0]
    honest = {h["ingress"] for h in truth["honest_customers"] if h["provider"] == PROVIDER}
    assert honest and honest <= set(ingresses[1:])
    assert all(scores[ingresses.index(h)] < scores[0] for h in honest)
    tip = m.data(m.index(0, _column(m, "Reasons")), Qt.ItemDataRole.ToolTipRole)
    assert all(f"• {r}" in tip for r in window.session.analysis.ingresses[0].reasons)
    # the charts: one line per top ingress, named in the heading; durations of the top one
    charts = window.charts_dock.charts
    assert len(charts.lines) == 3
    assert f"#1&nbsp;{rotating['ingress']}" in charts.rate_head.text()
    assert rotating["ingress"] in charts.hist_head.text()
    assert f"{rotating['calls']:,} calls" in charts.hist_head.text()
    assert 0.9 * rotating["calls"] <= charts.hist_total <= rotating["calls"]  # bars drawn


def test_selecting_an_ingress_shows_only_its_calls(qtbot, window, training_case):
    root, truth = training_case
    open_case(qtbot, window, root)
    dock = _analyze(qtbot, window)
    calls = window.calls_dock
    want = next(h for h in truth["honest_customers"] if h["provider"] == PROVIDER)
    row = _cells(dock.model, "Ingress").index(want["ingress"])
    stats = dock.model.record(row)
    with qtbot.waitSignal(calls.sig_rows_changed, timeout=10_000):
        dock.view.selectRow(row)
    n = calls.model.rowCount()
    assert n == stats.calls == want["calls"]
    assert {calls.model.data(calls.model.index(r, 7)) for r in range(n)} == {want["ingress"]}
    assert {calls.model.data(calls.model.index(r, 0)) for r in range(n)} == {PROVIDER}
    assert f"ingress {want['ingress']} only" in calls.count.text()
    assert not calls.isHidden() and calls.provider.currentData() == PROVIDER
    assert want["ingress"] in window.charts_dock.charts.hist_head.text()
    assert 0.9 * want["calls"] <= window.charts_dock.charts.hist_total <= want["calls"]
    with qtbot.waitSignal(calls.sig_rows_changed, timeout=10_000):
        calls.clear_filters()
    assert calls.model.rowCount() > n and calls.ingress is None


def test_sorting_by_a_column_keeps_each_rows_rank_and_the_selection(qtbot, window,
                                                                    training_case):
    open_case(qtbot, window, training_case[0])
    dock = _analyze(qtbot, window)
    m, view = dock.model, dock.view
    view.selectRow(0)
    chosen = dock.selected()
    col = _column(m, "Calls")
    view.sortByColumn(col, Qt.SortOrder.DescendingOrder)
    calls = [int(x.replace(",", "")) for x in _cells(m, "Calls")]
    assert calls == sorted(calls, reverse=True) and calls != [s.calls for s in m.records]
    ranks = {r.ingress: i + 1 for i, r in enumerate(window.session.analysis.ingresses)}
    assert [int(x) for x in _cells(m, "#")] == [ranks[i] for i in _cells(m, "Ingress")]
    assert dock.selected() is chosen  # the selection follows its row
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert _cells(m, "#") == [str(i) for i in range(1, m.rowCount() + 1)]


def test_providers_rank_the_silent_and_the_slow_above_the_prompt(qtbot, window, training_case):
    root, truth = training_case
    with qtbot.waitSignal(window.session.sig_dossiers_changed,
                          check_params_cb=lambda d: d is not None, timeout=60_000):
        window.file.open(root)
    wait_idle(qtbot, window)
    dock = window.providers_dock
    names = _cells(dock.model, "Provider")
    assert names == [d.name for d in window.session.dossiers.providers]
    assert _cells(dock.model, "#") == [str(i) for i in range(1, len(names) + 1)]
    silent, slow = truth["silent_provider"], truth["slow_responder"]
    assert names[0] == silent["provider"]
    # providers that answer in time and carry no other concern rank below the slow one
    # (originating or refusing is a concern of its own, whatever the answer time)
    quiet = [d.name for d in window.session.dossiers.providers
             if d.name in truth["prompt_providers"] and not d.concerns]
    assert quiet and all(names.index(p) > names.index(slow["provider"]) for p in quiet)
    never = _cells(dock.model, "Never")[names.index(silent["provider"])]
    late = _cells(dock.model, "Late")[names.index(slow["provider"])]
    assert (int(never), int(late)) == (silent["no_response"], slow["late"])
    assert "2026-03-01" in dock.summary.text()  # the case's RMD snapshots are read
    dock.view.selectRow(names.index(silent["provider"]))
    text = dock.details.toPlainText()
    assert silent["provider"] in text and f"never answered {silent['no_response']}" in text
    assert window.session.provider == silent["provider"]


def test_a_broken_rmd_download_is_named_in_the_providers_dock(qtbot, window, training_case,
                                                              shown_errors):
    root, _ = training_case
    (root / "rmd" / "rmd_2026-03-01.csv").write_bytes(b"\x00\x01 not a csv\n")
    open_case(qtbot, window, root)
    dock = window.providers_dock
    qtbot.waitUntil(lambda: "could not be built" in dock.summary.text(), timeout=30_000)
    assert "rmd_2026-03-01.csv" in dock.summary.text()
    assert dock.model.rowCount() == 0 and not shown_errors  # told here, not in a box


def test_dossiers_count_a_new_trace(qtbot, window, chain_case):
    root, truth = chain_case
    open_case(qtbot, window, root)
    qtbot.waitUntil(lambda: window.session.dossiers is not None, timeout=10_000)
    by_name = {d.name: d for d in window.session.dossiers.providers}
    assert by_name["Term Wireless"].traces == 0
    call = truth["calls"][0]
    with qtbot.waitSignal(window.session.sig_dossiers_changed,
                          check_params_cb=lambda d: d is not None, timeout=30_000):
        window.session.trace(TraceRequest(calling=call["calling"], called=call["called"],
                                          at=call["at"]))
    wait_idle(qtbot, window)
    dock = window.providers_dock
    dock.view.selectRow(_cells(dock.model, "Provider").index("Term Wireless"))
    assert "(1 traced through CDRs)" in dock.details.toPlainText()


def test_analysis_can_be_cancelled(qtbot, window, chain_case, monkeypatch):
    from ui import session as session_module
    from workbench.common.progress import check
    started = threading.Event()

    def slow(case, provider, *, progress, should_stop, **kw):
        started.set()
        progress(0.3, "counting")
        while not should_stop():
            threading.Event().wait(0.01)
        check(should_stop)
    monkeypatch.setattr(session_module, "analyze_provider", slow)
    open_case(qtbot, window, chain_case[0])
    dock = window.analysis_dock
    dock.choose("Origin Voice")
    dock.run_button.click()
    qtbot.waitUntil(lambda: started.is_set() and dock.cancel_button.isEnabled(), timeout=10_000)
    assert not dock.progress.isHidden()
    dock.cancel_button.click()
    qtbot.waitUntil(lambda: "cancelled" in dock.summary.text(), timeout=10_000)
    assert window.session.analysis is None and dock.progress.isHidden()


def test_an_unreadable_dno_list_is_named_in_the_error(qtbot, window, chain_case, shown_errors):
    root, _ = chain_case
    open_case(qtbot, window, root)
    dock = window.analysis_dock
    dock.choose("Origin Voice")
    dock.dno.setText("missing-dno.txt")
    dock.run_button.click()
    qtbot.waitUntil(lambda: bool(shown_errors), timeout=10_000)
    title, text = shown_errors[0]
    assert title == "Analysis" and "missing-dno.txt" in text
    assert window.session.analysis is None and dock.model.rowCount() == 0


def test_view_menu_opens_the_analysis_for_the_selected_provider(qtbot, window, chain_case):
    open_case(qtbot, window, chain_case[0])
    for dock, peer in ((window.analysis_dock, window.graph_dock),
                       (window.charts_dock, window.timeline_dock),
                       (window.providers_dock, window.calls_dock)):
        assert dock in window.tabifiedDockWidgets(peer)
    window.session.select_provider("Lakes Carrier")
    window.actions["view.analyze"].trigger()
    dock = window.analysis_dock
    assert dock.provider.currentData() == "Lakes Carrier"
    assert set(dock.provider.itemData(i) for i in range(dock.provider.count())) == \
        set(window.session.case.providers_with_records())
    qtbot.waitUntil(lambda: dock.visibleRegion().boundingRect().height() > 100, timeout=5000)
    assert window.graph_dock.visibleRegion().isEmpty()  # the analysis is the tab in front
    window.actions["view.providers"].trigger()
    qtbot.waitUntil(lambda: not window.providers_dock.visibleRegion().isEmpty(), timeout=5000)


@pytest.mark.parametrize("size", [(1600, 1000), (1366, 768)])
def test_both_views_fit_on_screen(qtbot, window, training_case, tmp_path, size):
    """Both docks in sight at once, with their rows, on a laptop screen too."""
    w, h = size
    window.resize(w, h)
    window.fit_layout_to(h)
    open_case(qtbot, window, training_case[0])
    _analyze(qtbot, window)
    window.providers_dock.present()
    qtbot.waitUntil(lambda: window.providers_dock.model.rowCount() > 5, timeout=30_000)
    for dock in (window.analysis_dock, window.providers_dock):
        box = dock.visibleRegion().boundingRect()
        assert box.width() > 600 and box.height() > 200, (dock.objectName(), box)
        view = dock.view
        assert view.rowAt(0) == 0 and view.rowAt(3 * view.rowHeight(0)) == 3  # 4 rows show
    if h < 900:  # on a short screen the charts share the calls table's tabs
        assert window.charts_dock in window.tabifiedDockWidgets(window.calls_dock)
    image = window.grab()
    assert (image.width(), image.height()) == (w, h)
    assert image.save(str(tmp_path / f"analysis-{w}x{h}.png"), "PNG")
