"""A clock skew of whole (or half) hours is almost always a wrong zone: say which would fit.

The New-case wizard says it before a case is written; a case edited by hand, or received from
someone else, goes wrong the same way, so ``workbench info`` and the Case dock say it too.
The zone is found as the wizard finds it (``draft_review.zone_findings``): each shared call's
offset checked against candidate zones, DST included — a one-number skew cannot tell
America/Chicago in March from America/New_York.
"""
from __future__ import annotations

from collections.abc import Mapping

from workbench.case.draft_checks import zone_shift
from workbench.case.model import Case
from workbench.common.progress import StopFn, never_stop
from workbench.investigation.draft_review import clock_offsets, zone_findings
from workbench.store.protocol import SourceId
from workbench.trace.results import Skew


def zone_warnings(case: Case, skew: Mapping[SourceId, Skew],
                  should_stop: StopFn = never_stop) -> dict[SourceId, str]:
    """Per source whose estimated clock skew sits on a whole or half hour: one sentence
    naming the zone that fits its shared calls. Cheap when no skew does (nothing is read)."""
    if not any(s.basis == "estimated" and zone_shift(s.offset_s) is not None
               for s in skew.values()):
        return {}
    offsets, pairs = clock_offsets(case, should_stop)
    out: dict[SourceId, str] = {}
    for f in zone_findings(case, offsets, pairs):
        if f.file is not None and 0 <= f.file < len(case.sources):
            out[case.sources[f.file].id] = f.text
    return out
