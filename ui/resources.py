"""Finding the app's icons and the bundled sample case, installed or from a checkout."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources as ir
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

_CHECKOUT = Path(__file__).resolve().parents[1]
SAMPLE_CASE = "auto_warranty_case"


def _package_dir(package: str, fallback: Path) -> Path:
    try:
        p = Path(str(ir.files(package)))
        if p.is_dir() and any(p.iterdir()):
            return p
    except (ModuleNotFoundError, TypeError, FileNotFoundError, NotADirectoryError):
        pass
    return fallback


@lru_cache(maxsize=1)
def resource_dir() -> Path:
    """The installed ``ui.resources`` data, else the checkout's ``resources/``."""
    return _package_dir("ui.resources", _CHECKOUT / "resources")


def sample_case_dir() -> Path | None:
    """The bundled sample case folder, if it is installed or in the checkout."""
    for base in (_package_dir("workbench.sample_data", _CHECKOUT / "sample_data"),
                 _CHECKOUT / "sample_data"):
        p = base / SAMPLE_CASE
        if (p / "case.toml").exists():
            return p
    return None


def _ink() -> QColor:
    app = QApplication.instance()
    pal = app.palette() if app is not None else QPalette()
    return pal.color(QPalette.ColorRole.WindowText)


_cache: dict[tuple[str, str], QIcon] = {}


def icon(name: str) -> QIcon:
    """A toolbar icon drawn from ``resources/icons/<name>.svg`` in the palette's text colour."""
    ink = _ink().name()
    key = (name, ink)
    if key in _cache:
        return _cache[key]
    path = resource_dir() / "icons" / f"{name}.svg"
    if not path.exists():
        return QIcon()
    svg = path.read_text(encoding="utf-8").replace("currentColor", ink)
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    ic = QIcon()
    for size in (16, 20, 24, 32, 48, 64):
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(p, QRectF(0, 0, size, size))
        p.end()
        ic.addPixmap(pm)
    _cache[key] = ic
    return ic


def clear_icon_cache() -> None:
    """Forget tinted icons (after the palette changes between light and dark)."""
    _cache.clear()
