"""One investigation: open a case, trace, export and reply through one object, with one audit policy."""
from __future__ import annotations

from .investigation import AuditWarning, Exported, Investigation
from .requests import TraceRequest

__all__ = ["Investigation", "TraceRequest", "AuditWarning", "Exported"]
