"""Shared helpers of the switch-format tests: the fixture folder and reading a fixture."""
from __future__ import annotations

from datetime import timezone
from pathlib import Path

from workbench.formats import ReadOptions, get

FX = Path(__file__).parent / "fixtures" / "formats"
UTC = timezone.utc


def read(fmt: str, name: str, **opts):
    """A fixture read with a format profile."""
    return get(fmt).read(FX / name, ReadOptions(**opts))


def col(table, name: str) -> list:
    return table.columns[name].to_pylist()
