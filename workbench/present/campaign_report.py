"""`workbench campaigns` output: the JSON contract and the plain-text report."""
from __future__ import annotations

from typing import Any

from workbench.analytics.campaigns import Campaign
from workbench.columns.times import display_utc, iso_utc
from workbench.trace.network import CHOKE_MIN, CHOKE_SHARE

CHOKE_RULE = (f"a provider upstream of the terminating provider in at least "
              f"{CHOKE_SHARE:.0%} of the campaign's tracebacks, and in at least {CHOKE_MIN}")

#: Outcomes in words: trace outcomes (workbench.trace.results.Outcome) and record outcomes.
OUTCOME_WORDS = {
    "origin": "origin found", "foreign_point_of_entry": "foreign point of entry",
    "not_found": "call not found", "no_response": "no response", "refused": "refused",
    "pending": "pending", "open": "upstream named, not asked yet", "loop": "loop",
    "no_records": "upstream without CDRs in the case", "unmapped_ingress": "unmapped ingress",
    "unknown": "unknown",
}


def campaigns_json(camps: list[Campaign], case_name: str | None = None) -> dict[str, Any]:
    """``{"campaigns": [{"campaign", "tracebacks", "outcomes", "origins", "choke_points",
    ...}]}``: the keys the issue fixes, plus ids, first and last call, and the basis."""
    out: dict[str, Any] = {"campaigns": [_one(c) for c in camps], "choke_point_rule": CHOKE_RULE}
    if case_name is not None:
        out["case"] = case_name
    return out


def _one(c: Campaign) -> dict[str, Any]:
    return {
        "campaign": c.name, "tracebacks": c.tracebacks, "traceback_ids": c.traceback_ids,
        "outcomes": dict(c.outcomes), "basis": c.basis, "traced": c.traced,
        "origins": [{"provider": o.provider, "customer": o.customer, "tracebacks": o.tracebacks}
                    for o in c.origins],
        "without_origin": c.without_origin,
        "choke_points": [{"provider": p.provider, "tracebacks": p.tracebacks,
                          "share": round(p.share, 3)} for p in c.choke_points],
        "first_call": iso_utc(c.first_call_us, 0), "last_call": iso_utc(c.last_call_us, 0),
        "terminating": c.terminating,
    }


def campaigns_text(camps: list[Campaign], case_name: str | None = None) -> str:
    """The report a person reads: one block per campaign, the largest first."""
    n = sum(c.tracebacks for c in camps)
    head = f"{len(camps)} campaign(s), {n} traceback record(s)"
    lines = [f"Campaigns in {case_name}: {head}" if case_name else f"Campaigns: {head}"]
    for c in camps:
        lines += ["", *_block(c)]
    if any(c.choke_points for c in camps):
        lines += ["", f"Choke point: {CHOKE_RULE}."]
    return "\n".join(lines)


def _block(c: Campaign) -> list[str]:
    ids = (", ".join(c.traceback_ids) if c.tracebacks <= 8 else
           ", ".join(c.traceback_ids[:6]) + f", … ({c.tracebacks - 6} more)")
    first, last = display_utc(c.first_call_us, 0, " UTC"), display_utc(c.last_call_us, 0, " UTC")
    when = f"{first} to {last}" if first and first != last else (first or "no call times")
    basis = {"records": "from the traceback records", "traces": "from traces run in the case",
             "traces and records": f"{c.traced} from traces, "
                                   f"{c.tracebacks - c.traced} from the records"}[c.basis]
    outcomes = ", ".join(f"{k} {OUTCOME_WORDS.get(o, o)}" for o, k in c.outcomes.items())
    origins = "; ".join(f"{o.provider} / {o.customer or '(customer not named)'} ({o.tracebacks})"
                        for o in c.origins) or "none named"
    if c.without_origin and c.origins:
        origins += f"; {c.without_origin} without an origin"
    chokes = ", ".join(f"{p.provider} ({p.tracebacks} of {c.tracebacks})"
                       for p in c.choke_points) or "none"
    return [c.name,
            f"  tracebacks:   {c.tracebacks} ({ids})",
            f"  calls:        {when}",
            f"  outcomes:     {outcomes} ({basis})",
            f"  origins:      {origins}",
            f"  choke points: {chokes}"]
