"""The network view at campaign size (1,000 providers, 5,000 hand-offs, generated): batched
items, names that never overlap and grow in number with zoom, search, filters, expand /
collapse, the details panel, and no GUI freeze while the dock builds it."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QElapsedTimer, QTimer

from ui.graph.network_view import NetworkView
from ui.worker import TaskRunner
from workbench.generate.provider_network import generate_network
from workbench.present.network_details import provider_details, search
from workbench.present.network_filter import (
    NetworkFilter,
    hidden_neighbours,
    subnetwork,
    visible,
    within,
)
from workbench.present.network_labels import place_labels

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def big():
    return generate_network(1000, 5000, seed=11).network()


def test_generated_network_has_campaign_size(big):
    assert len(big.names) == 1000 and len(set(big.names)) == 1000
    assert len(big.edges) >= 5000 and len({tuple(e) for e in big.edges.tolist()}) == len(big.edges)
    assert big.appearances.min() >= 1  # every provider in at least one chain
    assert big.choke.any() and len(big.campaigns) == 12
    assert ((big.pos >= 0) & (big.pos <= 1)).all()


def test_labels_never_overlap_and_respect_priority():
    rng = np.random.default_rng(3)
    xy = rng.random((500, 2)) * [800, 600]
    size = np.column_stack([rng.integers(40, 160, 500), np.full(500, 16)]).astype(float)
    radius = np.full(500, 5.0)
    prio = rng.random(500)
    prio[7] = 1e9  # the selection: always shown
    shown = place_labels(xy, radius, size, prio, (800, 600))
    assert 7 in shown and 12 <= len(shown) <= 30
    left = xy[shown, 0] - size[shown, 0] / 2
    top = xy[shown, 1] + radius[shown] + 2
    for a in range(len(shown)):
        for b in range(a + 1, len(shown)):
            assert (left[a] + size[shown[a], 0] <= left[b] or left[b] + size[shown[b], 0] <= left[a]
                    or top[a] + 16 <= top[b] or top[b] + 16 <= top[a])


def test_view_draws_with_few_items_and_shows_more_names_when_zoomed(qtbot, big):
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    view.show_network(big, set())
    qtbot.waitUntil(lambda: bool(view.edge_layer._groups), timeout=5_000)
    items = view.canvas.getPlotItem().items
    assert len(items) <= 10  # nodes, rings, marks, arrows, edges, names: not one per node
    overview = view.label_names()
    assert 10 <= len(overview) <= 80  # the most important names only
    top = set(np.argsort(-big.appearances)[:5].tolist())
    assert top & {big.index(n) for n in overview}
    view.canvas.vb.scaleBy((0.15, 0.15))
    qtbot.wait(150)
    zoomed = view.label_names()
    (x0, x1), (y0, y1) = view.canvas.vb.viewRange()
    inside = ((big.pos[:, 0] >= x0) & (big.pos[:, 0] <= x1) & (big.pos[:, 1] >= y0)
              & (big.pos[:, 1] <= y1)).sum()
    assert len(zoomed) / inside > len(overview) / len(big.names)  # a larger share named


def test_search_selects_and_centres(qtbot, big):
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    view.show_network(big, set())
    name = big.names[123]
    picked = []
    view.sig_provider_clicked.connect(picked.append)
    view.find.setText(name.lower())
    assert view.found and view.found[0] == 123
    view.find_next()
    assert picked == [name]
    view.set_selected(name)
    qtbot.wait(120)
    assert name in view.label_names()
    (x0, x1), _ = view.canvas.vb.viewRange()
    assert x0 < big.pos[123, 0] < x1 and x1 - x0 < 0.5
    assert name in view.panel.text.toPlainText() and "Upstreams" in view.panel.text.toPlainText()
    assert search(big.names, "zzzz-none") == []


def test_filters_neighbourhood_expand_collapse(big):
    i = int(np.argmax(big.appearances))
    name = big.names[i]
    one = visible(big, NetworkFilter(focus=name, hops=1))
    near = set(big.edges[big.edges[:, 0] == i, 1].tolist()) | \
        set(big.edges[big.edges[:, 1] == i, 0].tolist())
    assert set(np.flatnonzero(one).tolist()) == near | {i}
    two = visible(big, NetworkFilter(focus=name, hops=2))
    assert two.sum() > one.sum() and (two >= one).all() and (within(big, i, 2) == two).all()
    sub = subnetwork(big, one)
    assert sorted(sub.names) == sorted(big.names[j] for j in np.flatnonzero(one))
    assert len(sub.edges) and sub.pos.shape == (len(sub.names), 2)
    # minimum appearances, then expand a provider the filter hid: its neighbours come back
    flt = NetworkFilter(min_appearances=20)
    few = visible(big, flt)
    assert few.sum() < 300 and (big.appearances[few] >= 20).all()
    hidden = hidden_neighbours(big, few)
    j = int(np.flatnonzero(few & (hidden > 0))[0])
    more = visible(big, flt.with_step("expand", big.names[j]))
    assert more.sum() == few.sum() + hidden[j] - len(
        set(np.flatnonzero(few).tolist()) & set())  # every hidden neighbour of j shown
    back = visible(big, flt.with_step("expand", big.names[j]).with_step("collapse", big.names[j]))
    assert back.sum() < more.sum()


def test_details_list_neighbours_campaigns_and_choke(big):
    i = int(np.flatnonzero(big.choke)[0])
    d = provider_details(big, big.names[i])
    assert d.appearances == big.appearances[i]
    assert len(d.upstreams) == (big.edges[:, 1] == i).sum()
    assert len(d.downstreams) == (big.edges[:, 0] == i).sum()
    assert any(k for _, _, k, _ in d.campaigns)  # a choke point of at least one campaign
    assert [c[1] for c in d.campaigns] == sorted((c[1] for c in d.campaigns), reverse=True)


def test_build_in_worker_never_freezes_the_window(qtbot):
    """The network is built off the GUI thread, and the window's event loop keeps running
    while it is. (How long the window may stall is a speed goal: benchmarks/bench_network.py
    measures it; here only a gross freeze fails, so a busy CI machine does not.)"""
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    qtbot.waitExposed(view)
    qtbot.wait(100)  # the empty view's first paint is not the build's
    runner = TaskRunner()
    clock, worst, ticks = QElapsedTimer(), [0], [0]
    timer = QTimer(interval=10)

    def tick() -> None:
        worst[0] = max(worst[0], clock.restart())
        ticks[0] += 1

    timer.timeout.connect(tick)
    done, on_gui_thread, ticks_at_done = [], [], []

    def build(*, progress, should_stop):
        on_gui_thread.append(threading.current_thread() is threading.main_thread())
        return generate_network(1000, 5000, seed=11).network()

    def shown(net) -> None:
        ticks_at_done.append(ticks[0])
        view.show_network(net, set())
        done.append(1)

    clock.start()
    timer.start()
    runner.run("network", build, on_done=shown)
    qtbot.waitUntil(lambda: bool(done), timeout=60_000)
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        qtbot.wait(10)
    timer.stop()
    runner.shutdown()
    assert on_gui_thread == [False]
    assert ticks_at_done[0] >= 3  # the window ran its event loop while the worker built
    assert worst[0] < 2000, f"GUI froze {worst[0]} ms"


def test_the_network_dock_filters_expands_and_shows_details_in_the_window(qtbot, window,
                                                                           sample_copy):
    """Through the main window on the sample: the filters rebuild the network in a worker,
    a provider's details follow the selection, and expand/collapse bring its hidden
    neighbours back and take them away again."""
    from tests.qt_fixtures import open_case, wait_idle

    open_case(qtbot, window, sample_copy)
    dock = window.graph_dock
    dock.tabs.setCurrentWidget(dock.network)
    wait_idle(qtbot, window)
    view = dock.network
    qtbot.waitUntil(lambda: view.net is not None, timeout=30_000)
    everyone = len(view.net.names)
    busiest = view.net.names[int(np.argmax(view.net.appearances))]
    top = int(view.net.appearances.max())
    view.min_app.setValue(top)  # only the busiest stay
    qtbot.waitUntil(lambda: view.net is not None and len(view.net.names) < everyone,
                    timeout=30_000)
    wait_idle(qtbot, window)
    assert busiest in view.net.names
    assert all(a >= top for a in view.net.appearances)
    assert f"{len(view.net.names)}" in view.count.text()
    i = view.net.index(busiest)
    assert view.hidden[i] > 0  # its neighbours are filtered away ("+k")
    view.set_selected(busiest)
    assert busiest in view.panel.text.toPlainText()
    shown = len(view.net.names)
    full = view.full
    k = full.index(busiest)
    near = {full.names[j] for j in np.concatenate([full.edges[full.edges[:, 0] == k, 1],
                                                   full.edges[full.edges[:, 1] == k, 0]])}
    view.expand(busiest)
    qtbot.waitUntil(lambda: len(view.net.names) > shown, timeout=30_000)
    wait_idle(qtbot, window)
    assert near <= set(view.net.names)  # every neighbour is back
    assert view.hidden[view.net.index(busiest)] == 0
    expanded = len(view.net.names)
    view.collapse(busiest)
    qtbot.waitUntil(lambda: len(view.net.names) < expanded, timeout=30_000)
    wait_idle(qtbot, window)
    assert busiest in view.net.names and len(view.net.names) <= shown
    view.reset.click()
    qtbot.waitUntil(lambda: len(view.net.names) == everyone, timeout=30_000)
