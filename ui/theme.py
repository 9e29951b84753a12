"""Light and dark: follow the system palette, or force one; plot colours follow the palette."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from workbench.present.palette import ROLE_COLOURS

_SYSTEM_PALETTE: QPalette | None = None


def apply(name: str) -> None:
    """Apply "system", "light" or "dark" to the running application."""
    global _SYSTEM_PALETTE
    app = QApplication.instance()
    if _SYSTEM_PALETTE is None:
        _SYSTEM_PALETTE = QPalette(app.palette())
    hints = app.styleHints()
    scheme = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}.get(
        name, Qt.ColorScheme.Unknown)
    if hasattr(hints, "setColorScheme"):
        hints.setColorScheme(scheme)
    if name == "dark":
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    elif name == "light":
        app.setStyle("Fusion")
        app.setPalette(light_palette())
    else:
        app.setPalette(_SYSTEM_PALETTE)


def light_palette() -> QPalette:
    from PySide6.QtWidgets import QStyleFactory
    return QStyleFactory.create("Fusion").standardPalette()


def dark_palette() -> QPalette:
    p = QPalette()
    c = QColor
    roles = QPalette.ColorRole
    for role, colour in ((roles.Window, c(37, 38, 41)), (roles.WindowText, c(225, 225, 225)),
                         (roles.Base, c(28, 29, 31)), (roles.AlternateBase, c(44, 45, 48)),
                         (roles.ToolTipBase, c(50, 50, 54)), (roles.ToolTipText, c(235, 235, 235)),
                         (roles.Text, c(225, 225, 225)), (roles.Button, c(48, 49, 52)),
                         (roles.ButtonText, c(225, 225, 225)), (roles.BrightText, c(255, 90, 90)),
                         (roles.Link, c(110, 170, 255)), (roles.Highlight, c(60, 110, 180)),
                         (roles.HighlightedText, c(255, 255, 255)),
                         (roles.PlaceholderText, c(140, 140, 140)), (roles.Mid, c(70, 70, 74)),
                         (roles.Dark, c(20, 20, 22)), (roles.Light, c(70, 72, 76))):
        p.setColor(role, colour)
    for role in (roles.Text, roles.WindowText, roles.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, c(120, 120, 120))
    return p


def plot_colours() -> dict[str, QColor]:
    """Background, ink and faint ink for plots, from the current palette."""
    pal = QApplication.instance().palette()
    base = pal.color(QPalette.ColorRole.Base)
    ink = pal.color(QPalette.ColorRole.Text)
    faint = QColor(ink)
    faint.setAlpha(110)
    grid = QColor(ink)
    grid.setAlpha(40)
    highlight = pal.color(QPalette.ColorRole.Highlight)
    return {"background": base, "ink": ink, "faint": faint, "grid": grid, "highlight": highlight}


def role_colour(kind: str) -> QColor:
    return QColor(ROLE_COLOURS.get(kind, ROLE_COLOURS["unknown"]))


def style_plot(widget: pg.PlotWidget) -> None:
    """Paint a plot in the palette's colours (call again on palette change)."""
    item = getattr(widget, "plotItem", None)
    if item is None:  # Qt asks before pyqtgraph has built the plot
        return
    col = plot_colours()
    widget.setBackground(col["background"])
    for name in ("left", "bottom", "top", "right"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(col["faint"]))
        axis.setTextPen(pg.mkPen(col["ink"]))
