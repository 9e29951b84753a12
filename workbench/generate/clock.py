"""The case's time window and the UTC-microsecond instants every other module works in."""
from __future__ import annotations

import datetime as dt

S = 1_000_000  # microseconds per second
WINDOW_START = "2026-03-06T00:00:00Z"
WINDOW_DAYS = 5
CHICAGO_DST_UTC = "2026-03-08T08:00:00Z"  # 02:00 CST -> 03:00 CDT
NEW_YORK_DST_UTC = "2026-03-08T07:00:00Z"


def to_us(iso: str) -> int:
    """An ISO 8601 instant (to the second) as UTC microseconds."""
    return int(dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()) * S


def to_iso(us: int) -> str:
    """UTC microseconds as ISO 8601 with a Z, truncated to the second."""
    return dt.datetime.fromtimestamp(us // S, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_iso_us(us: int) -> str:
    """UTC microseconds as ISO 8601 with a Z, keeping the microseconds (answer key only)."""
    return dt.datetime.fromtimestamp(us / S, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
