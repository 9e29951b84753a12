"""Profiles for the CDR files real switches write; importing this registers them all."""
from __future__ import annotations

from . import (  # noqa: F401
               acme,
               asterisk,
               broadworks,
               cisco,
               freepbx,
               freeswitch,
               freeswitch_docs,
               kamailio,
               ribbon,
               sansay,
)

__all__ = ["acme", "asterisk", "broadworks", "cisco", "freepbx", "freeswitch", "freeswitch_docs", "kamailio",
           "ribbon", "sansay"]
