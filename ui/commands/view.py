"""View and Help menus: graph tabs, fit, theme, window layout, shortcuts, about."""
from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMessageBox

from workbench import __version__
from workbench.present.palette import ROLE_COLOURS, ROLE_LABELS

from .. import settings, theme
from ..actions import ACTIONS
from ..assets import clear_icon_cache

THEME_TEXT = {"system": "Follow the &system", "light": "&Light", "dark": "&Dark"}


class ViewCommands:
    def __init__(self, window):
        self.w = window

    def show_chain(self) -> None:
        self.w.graph_dock.tabs.setCurrentWidget(self.w.graph_dock.chain)
        self.w.graph_dock.raise_()

    def show_network(self) -> None:
        self.w.graph_dock.tabs.setCurrentWidget(self.w.graph_dock.network)
        self.w.graph_dock.raise_()

    def fit(self) -> None:
        self.w.graph_dock.fit()

    def reset_layout(self) -> None:
        self.w.restore_default_layout()

    def theme_menu(self, menu) -> None:
        group = QActionGroup(menu)
        current = settings.theme()
        for name in settings.THEMES:
            a = QAction(THEME_TEXT[name], menu, checkable=True, checked=name == current)
            a.setStatusTip(f"Colours: {name}")
            a.triggered.connect(lambda checked=False, n=name: self.set_theme(n))
            group.addAction(a)
            menu.addAction(a)

    def set_theme(self, name: str) -> None:
        settings.set_theme(name)
        theme.apply(name)
        clear_icon_cache()
        self.w.retint_icons()

    def shortcuts(self) -> None:
        rows = []
        for spec in ACTIONS:
            if spec.shortcut:
                key = QKeySequence(spec.shortcut).toString(QKeySequence.SequenceFormat.NativeText)
                rows.append(f"<tr><td><b>{key}</b></td><td>{spec.text.replace('&', '')}</td></tr>")
        QMessageBox.information(self.w, "Keyboard shortcuts",
                                "<table cellspacing=4>" + "".join(rows) + "</table>")

    def about(self) -> None:
        kinds = "".join(f"<li><span style='color:{ROLE_COLOURS[k]}'>●</span> {ROLE_LABELS[k]}"
                        "</li>" for k in ("terminating", "transit", "gateway", "originating",
                                          "not_found", "no_records", "unmapped"))
        QMessageBox.about(self.w, "About Traceback Workbench",
                          f"<h3>Traceback Workbench {__version__}</h3>"
                          "<p>Traces illegal robocalls hop by hop through providers' call detail "
                          "records.</p><p>Hop colours (the workbench's own categories, not "
                          f"official ITG labels):</p><ul>{kinds}</ul>")
