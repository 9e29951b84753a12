"""Which zone a switch's wall clock was in, told by an epoch written beside it.

An Asterisk ``uniqueid`` is ``<epoch>.<seq>`` (the channel's creation time in UTC), CUCM and
FreeSWITCH write epoch fields: against the local start time they reveal the clock's offset,
which checks the source's declared ``timezone``.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .common import count_true, fmt_share
from .times import local_to_utc

SAMPLE = 20_000
AGREE_S = 120  # a channel is created a moment before the CDR's start: allow two minutes


def offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def epoch_zone_check(wall: pa.Array, epoch: pa.Array, timezone: str,
                     what: str = "uniqueid epochs") -> list[str]:
    """Notes comparing naive wall times (``timestamp[s]``) with epoch seconds (int64), one
    row each; a ``WARNING:`` note when ``timezone`` disagrees with the epochs."""
    n_all = len(wall)
    if not n_all:
        return []
    pick = pa.array(np.unique(np.linspace(0, n_all - 1, SAMPLE).astype(np.int64)))
    wall, epoch = pc.take(wall, pick), pc.take(epoch, pick)
    ok = pc.and_(pc.is_valid(wall), pc.is_valid(epoch))
    n = count_true(ok)
    if not n:
        return []
    wall_s = pc.cast(pc.cast(pc.filter(wall, ok), pa.timestamp("s")), pa.int64()).to_numpy()
    ep = pc.cast(pc.filter(epoch, ok), pa.int64()).to_numpy()
    offset = int(np.median(np.round((wall_s - ep) / 900.0)) * 15)
    said = offset_text(offset)
    notes = [f"{what} put start at {said} (median over {n} rows checked)"]
    try:
        utc = local_to_utc(pc.filter(wall, ok), timezone)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return notes
    gap = np.abs(pc.cast(pc.cast(utc, pa.timestamp("s", "UTC")), pa.int64()).to_numpy() - ep)
    agree = float(np.mean(gap <= AGREE_S))
    if agree < 0.9:
        notes.append(f"WARNING: {what} say {said}; timezone is {timezone} (start disagrees "
                     f"with them on {fmt_share(1 - agree)} of rows): check this source's "
                     "timezone")
    else:
        notes.append(f"timezone '{timezone}' agrees with the {what} ({fmt_share(agree)})")
    return notes
