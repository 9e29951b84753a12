"""Importing this makes openpyxl parse with defusedxml (XML-bomb protection)."""
from __future__ import annotations

try:  # openpyxl picks defusedxml up when it is installed; we make sure it is importable
    import defusedxml  # noqa: F401
    import defusedxml.ElementTree  # noqa: F401
    HAVE_DEFUSEDXML = True
except ImportError:  # pragma: no cover - it is a declared dependency
    HAVE_DEFUSEDXML = False
