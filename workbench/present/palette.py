"""Colours and labels of hop roles and outcomes, shared by the GUI, images and reports.

Chosen to stay distinguishable for common colour-vision deficiencies and to read on
light and dark backgrounds; every colour is always paired with a text label.
"""
from __future__ import annotations

ROLE_COLOURS: dict[str, str] = {
    "originating": "#d62728",       # red: where the call was placed
    "terminating+originating": "#d62728",
    "gateway": "#ff7f0e",           # orange: point of entry
    "transit": "#1f77b4",           # blue: passed it on
    "terminating": "#2ca02c",       # green: delivered it to the victim
    "not_found": "#7f7f7f",         # grey: records held, call absent
    "no_records": "#9467bd",        # purple: named, no CDRs in the case
    "unmapped": "#8c564b",          # brown: ingress in neither table
    "foreign": "#e377c2",
    "unknown": "#bcbd22",
}

ROLE_LABELS: dict[str, str] = {
    "originating": "Originator", "terminating+originating": "Terminating + originator",
    "gateway": "Gateway", "transit": "Transit", "terminating": "Terminating",
    "not_found": "Call not found", "no_records": "No records in case",
    "unmapped": "Unmapped ingress", "foreign": "Foreign", "unknown": "Unknown",
}


def hop_kind(hop, outcome: str, is_last: bool) -> str:
    """The colour key of a hop: its role, or how the chain stopped at it."""
    if not hop.found:
        return "no_records" if outcome == "no_records" and is_last else "not_found"
    if is_last and outcome == "unmapped_ingress":
        return "unmapped"
    return hop.role if hop.role in ROLE_COLOURS else "transit"
