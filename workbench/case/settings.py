"""Per-provider and per-file settings of case.toml that the typed config does not model:
the one reading shared by the evidence packet's deadline table and the provider dossiers."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.case.model import Case
    from workbench.ingest.tracebacks import Traceback


def provider_settings(case: Case, provider: str) -> dict[str, Any]:
    """The ``[[providers]]`` table of ``provider`` (by name or alias), as written."""
    for p in case.config.raw.get("providers", []) or []:
        if not isinstance(p, dict):
            continue
        names = [p.get("name", "")] + list(p.get("aliases", []) or [])
        if any(case.directory.canonical(str(n)) == provider for n in names):
            return p
    return {}


def provider_zone(case: Case, provider: str, settings: dict[str, Any] | None = None) -> str:
    """The provider's business-hours zone: its own `timezone`, else its first CDR file's
    (read from case.toml, so a case opened without its CDRs answers the same)."""
    settings = provider_settings(case, provider) if settings is None else settings
    if settings.get("timezone"):
        return str(settings["timezone"])
    for s in case.config.sources:
        if case.directory.canonical(s.provider) == provider:
            return s.timezone
    return "UTC"


def traceback_zones(case: Case) -> dict[str, str]:
    """Zone of each traceback records file, keyed by its resolved path."""
    return {str((case.root / t.path).resolve()): t.timezone for t in case.config.tracebacks}


def traceback_zone(case: Case, tb: Traceback | None) -> str:
    """The zone a traceback record's times without offset are written in."""
    if tb is None:
        return "UTC"
    return traceback_zones(case).get(str(Path(tb.source).resolve()), "UTC")
