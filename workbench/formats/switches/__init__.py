"""Profiles for the CDR files real switches write; importing this registers them all."""
from __future__ import annotations

from . import asterisk, freeswitch, freeswitch_docs  # noqa: F401

__all__ = ["asterisk", "freeswitch", "freeswitch_docs"]
