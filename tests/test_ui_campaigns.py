"""The network view by campaign, driven offscreen: pick one campaign, colour by campaign,
ring the choke points."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QColor

from tests.qt_fixtures import open_case, wait_idle
from tests.test_campaigns import BLANK, LOANS, WARRANTY, build_campaign_case

pytestmark = pytest.mark.gui


@pytest.fixture
def campaign_window(qtbot, window, tmp_path):
    build_campaign_case(tmp_path / "case")
    open_case(qtbot, window, tmp_path / "case")
    window.view.show_network()
    return window


def _choose(qtbot, window, campaign: str | None) -> None:
    view = window.graph_dock.network
    box = view.campaign_box
    box.setCurrentIndex(box.findData(campaign or ""))
    qtbot.waitUntil(lambda: view.net is not None and view.net.campaign == campaign,
                    timeout=30_000)
    wait_idle(qtbot, window)


def test_choosing_a_campaign_shows_only_its_providers(qtbot, campaign_window):
    view = campaign_window.graph_dock.network
    box = view.campaign_box
    assert [box.itemData(i) for i in range(box.count())] == ["", WARRANTY, LOANS, BLANK]
    assert box.currentText() == "All campaigns" and view.net.campaign is None
    assert "Harbor Link" in view.net.names  # every campaign's providers
    _choose(qtbot, campaign_window, LOANS)
    shown = set(view.label_names())  # a small network: every name fits
    assert shown == {"Term Wireless", "Midway Transit", "Lakes Carrier", "Gateway Co",
                     "Origin Voice", "Overseas Voice"}
    assert "Harbor Link" not in view.net.names
    assert "Student loans: 6 providers" in view.legend.text()
    assert box.currentData() == LOANS  # the rebuilt network keeps the choice
    _choose(qtbot, campaign_window, None)
    assert "Harbor Link" in view.net.names


def test_colour_by_campaign_and_choke_points(qtbot, campaign_window):
    view = campaign_window.graph_dock.network
    _choose(qtbot, campaign_window, WARRANTY)
    assert view.choke_shown == [] and "choke point" not in view.legend.text()
    view.show_choke.setChecked(True)
    assert sorted(view.choke_shown) == ["Gateway Co", "Lakes Carrier", "Midway Transit"]
    badges = {view.net.names[i]: text for text, i in view.badges}
    assert badges == {"Midway Transit": "choke 5/5", "Lakes Carrier": "choke 4/5",
                      "Gateway Co": "choke 3/5"}
    assert "Midway Transit" in view.label_names()  # the name stays one short line
    assert set(badges.values()) <= set(view.label_layer.badge_texts())
    assert view.label_is_bold(view.net.index("Midway Transit"))
    assert not view.label_is_bold(view.net.index("Term Wireless"))
    assert "choke point" in view.legend.text()
    view.colour_by.setChecked(True)
    brushes = view.nodes_item.data["brush"]
    fill = brushes[view.net.index("Harbor Link")].color()
    assert fill.rgb() == QColor("#0072B2").rgb()  # the first campaign's colour
    assert WARRANTY in view.legend.text() and LOANS not in view.legend.text()
    _choose(qtbot, campaign_window, None)
    assert all(name in view.legend.text() for name in (WARRANTY, LOANS, BLANK))
    overseas = view.nodes_item.data["brush"][view.net.index("Overseas Voice")]
    assert overseas.color().rgb() == QColor("#E69F00").rgb()  # Student loans
