"""Evidence packets (zipped BagIt bags), their verification, and reply drafts for providers.

`export_packet` writes what an investigation produces so that it stands up later;
`verify_packet` checks one; `write_reply` drafts a provider's answer to a
traceback request against the 24-hour clock. No Qt here: the workbench calls these.
"""
from __future__ import annotations

from .packet import export_packet
from .redact import PROFILES as REDACTION_PROFILES
from .reply_docx import write_reply
from .verify import VerifyResult, verify_packet

__all__ = ["export_packet", "write_reply", "verify_packet", "VerifyResult",
           "REDACTION_PROFILES"]
