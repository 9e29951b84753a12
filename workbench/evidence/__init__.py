"""Evidence packets (zipped BagIt bags), their verification, and reply drafts for providers.

`export_packet` writes what an investigation produces about one call so that it stands up
later; `export_provider_packet` does the same for one provider across the case (dossier,
traffic analysis, every traceback it appears in); `verify_packet` checks either;
`write_reply` drafts a provider's answer to a traceback request against the 24-hour clock,
with an originator's `Suspension` of its customer when given. No Qt here: the workbench
calls these.
"""
from __future__ import annotations

from .packet import export_packet
from .provider_packet import export_provider_packet
from .redact import PROFILES as REDACTION_PROFILES
from .reply_docx import write_reply
from .suspension import Suspension
from .verify import VerifyResult, verify_packet

__all__ = ["export_packet", "export_provider_packet", "write_reply", "Suspension",
           "verify_packet", "VerifyResult", "REDACTION_PROFILES"]
