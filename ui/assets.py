"""Finding the app's icons and the bundled sample case, installed or from a checkout.

(Named ``assets`` so that it never shadows the ``ui.resources`` data package.)
"""
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


def _data_dir(package: str, name: str) -> Path | None:
    """``<package>/<name>`` where an installed wheel puts package data (None if absent)."""
    try:
        p = Path(str(ir.files(package) / name))
    except (ModuleNotFoundError, TypeError, ValueError, OSError):  # OSError: editable installs
        return None
    return p if p.is_dir() else None


@lru_cache(maxsize=1)
def resource_dir() -> Path:
    """The installed ``ui.resources`` data, else the checkout's ``resources/``."""
    return _data_dir("ui", "resources") or _CHECKOUT / "resources"


def sample_case_dir() -> Path | None:
    """The bundled sample case folder, if it is installed or in the checkout."""
    for base in (_data_dir("workbench", "sample_data"), _CHECKOUT / "sample_data"):
        if base is not None and (base / SAMPLE_CASE / "case.toml").exists():
            return base / SAMPLE_CASE
    return None


def working_sample() -> Path | None:
    """A private, writable copy of the sample case (traces and edits write into the case
    folder: the installed original stays as shipped)."""
    import shutil

    from PySide6.QtCore import QStandardPaths
    src = sample_case_dir()
    if src is None:
        return None
    base = Path(QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation) or Path.home() / ".traceback-workbench")
    dst = base / "sample" / SAMPLE_CASE
    if not (dst / "case.toml").exists():
        shutil.copytree(src, dst, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("audit.jsonl", "*.bak"))
    return dst


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
