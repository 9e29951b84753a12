"""truth.json: per traceback the outcome, the hops and the exact CDR line of each hop,
plus the facts about each source a trainer needs to explain the result."""
from __future__ import annotations

import datetime as dt

from .chains import CHAINS, SILENT, SLOW, Traced
from .clock import (
    CHICAGO_DST_UTC,
    NEW_YORK_DST_UTC,
    WINDOW_DAYS,
    WINDOW_START,
    S,
    to_iso,
    to_iso_us,
    to_us,
)
from .formatting import uuid_text
from .numberbook import format_number
from .plan import Plan
from .scenario import CASE_NAME, SCENARIO, call_time, trace_expected
from .sources import BY_PROVIDER, FOREIGN, SOURCE, SOURCES
from .training import ROTATING, Training
from .training_records import campaign_facts, campaign_names, read_records, response_facts
from .writers import Where

SOURCE_BY_NAME = {s.provider: s.key for s in SOURCES}


def _role(hop: int, provider: str, upstream: str | None, customer: bool) -> str:
    """The part a hop plays in the chain, as the engine should label it."""
    if hop == 1:
        return "terminating"
    if provider in FOREIGN:
        return "foreign"
    if customer:
        return "originating"
    return "gateway" if upstream in FOREIGN else "intermediate"


def _record(where: Where, tag: int, key: str) -> dict:
    """Where a tagged row landed (file, physical line) and its cells as written."""
    pos_lines, written = where[key]
    w, pos = written, pos_lines[tag]
    texts = {f"{k}_text": w.texts[k][pos].as_py() for k in ("start", "calling", "called",
                                                              "ingress")}
    if isinstance(texts["start_text"], dt.datetime):  # Parquet: a zone-aware timestamp
        texts["start_text"] = texts["start_text"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {"source": w.path, "line": int(w.lines[pos]), **texts}


def truth(plan: Plan, where: Where, rows: int, seed: int,
          bad_rows: list[dict], paths: dict[str, str]) -> dict:
    """The answer key: per traceback the outcome, hop list and the exact CDR line per hop."""
    by_tb: dict[str, dict[tuple[str, int], int]] = {}
    for tag, (tb_id, kind, hop) in plan.tags.items():
        by_tb.setdefault(tb_id, {})[(kind, hop)] = tag
    tbs = {}
    for tb in SCENARIO:
        exp, tags, call = trace_expected(tb), by_tb[tb.tb_id], plan.calls[tb.tb_id]
        records = []
        for hop, provider in enumerate(exp["hops"], start=1):
            src = BY_PROVIDER.get(provider)
            rec: dict = {"hop": hop, "provider": provider, "source": None, "line": None}
            if hop <= len(tb.path):
                key, ingress = tb.path[hop - 1]
                trunk = SOURCE[key].trunk(ingress)
                rec.update(_record(where, tags[("traced", hop)], key))
                rec["upstream"] = None if trunk.customer else (trunk.name or None)
                rec["customer"] = trunk.name if trunk.customer else None
            elif src is not None:
                rec["source"] = paths[src.key]  # holds CDRs, but not this call
            rec["role"] = _role(hop, provider, rec.get("upstream"), bool(rec.get("customer")))
            records.append(rec)
        beyond = [_hop_record(where, tags, "beyond", hop, key)
                  for hop, (key, _) in enumerate(tb.beyond, start=len(tb.path) + 2)]
        retry = [_hop_record(where, tags, "retry", hop, key)
                 for hop, (key, _) in enumerate(tb.path, start=1)
                 if tags.get(("retry", hop)) in where[key][0]]
        stated = [{"hop": i, "provider": p, "stated_upstream": u,
                   "cdr_upstream": records[i - 1].get("upstream")}
                  for i, (p, status, u, _) in enumerate(tb.stated, start=1)
                  if status == "upstream_identified" and i <= len(records)
                  and records[i - 1]["provider"] == p and records[i - 1].get("upstream")
                  and records[i - 1]["upstream"] != u]
        tbs[tb.tb_id] = {
            "campaign": tb.campaign, "outcome": exp["outcome"], "hops": exp["hops"],
            "origin_provider": exp["origin_provider"], "customer": exp["customer"],
            "loop_to": exp["loop_to"], "unmapped_ingress": exp["unmapped_ingress"],
            "call": {"calling": tb.calling, "called": tb.called, "call_time": call_time(tb),
                     "invite_utc": to_iso_us(call["t0"]),
                     "ring_seconds": round(call["ring"] / S, 3),
                     "talk_seconds": round(call["dur"] / 1000, 3)},
            "attest": tb.attest or None,
            "origid": uuid_text(call["origid"]) if tb.attest else None,
            "records": records, "beyond_missing_hop": beyond, "retry_decoy": retry,
            "contradictions": stated, "teaching": tb.teaching,
        }
    return {
        "case": CASE_NAME, "seed": seed, "background_rows_per_source": rows,
        "time_window_utc": [WINDOW_START, to_iso(to_us(WINDOW_START) + WINDOW_DAYS * 86400 * S)],
        "line_numbers": "1-based physical lines; header is line 1; XLSX: sheet row; "
                        "Parquet: row index + 2",
        "sources": _source_facts(paths, where),
        "bad_rows": bad_rows,
        "cdr_gaps": [{"source": paths[BY_PROVIDER[trace_expected(tb)["hops"][-1]].key],
                      "from": tb.gap[0], "to": tb.gap[1], "traceback_id": tb.tb_id}
                     for tb in SCENARIO if tb.gap],
        "dst": _dst_facts(plan, where, paths),
        "tracebacks": tbs,
    }


def _hop_record(where: Where, tags: dict, kind: str, hop: int, key: str) -> dict:
    """A record of a decoy or unreachable hop, named by its provider."""
    return {"hop": hop, "provider": SOURCE[key].provider, **_record(where, tags[(kind, hop)], key)}


def _source_facts(paths: dict[str, str], where: Where) -> dict:
    """Per file: the quirks a trainee must discover (zone, skew, rounding, number forms)."""
    facts = {}
    for src in SOURCES:
        written = where[src.key][1]
        facts[paths[src.key]] = {
            "provider": src.provider, "timezone": src.timezone,
            "rows_excluding_bad": int(len(written.lines)),
            "clock_skew_seconds": src.skew_s,
            "start_basis": "answer" if src.answer_basis else "invite",
            "answer_delay_seconds": [3, 12] if src.answer_basis else None,
            "start_precision": "millisecond" if src.key == "origin" else "second (truncated)",
            "duration_rounding": {"terminus": "round", "midway": "ceil", "lakeshore": "floor",
                                  "seaport": "round", "origin": "round"}[src.key],
            "number_examples": {"calling": format_number("13125550143", src.calling_form, 0),
                                "called": format_number("13125550143", src.called_form, 0),
                                "foreign_calling": format_number("442079460018",
                                                                 src.calling_form, 0)},
            "note": written.note or None,
        }
    return facts


def _dst_facts(plan: Plan, where: Where, paths: dict[str, str]) -> dict:
    """Which traced calls fall before and after the DST change in each local-time file."""
    out = {}
    for key, change in (("midway", CHICAGO_DST_UTC), ("seaport", NEW_YORK_DST_UTC)):
        before, after = [], []
        for tag, (tb_id, kind, _) in plan.tags.items():
            if kind == "traced" and tag in where[key][0]:
                row = next(r for r in plan.rows[key] if r["tag"] == tag)
                recorded = row["inv"] + SOURCE[key].skew_s * S
                (before if recorded < to_us(change) else after).append(tb_id)
        out[paths[key]] = {"zone": SOURCE[key].timezone, "change_utc": change,
                           "local_gap": "02:00-03:00 local does not exist on 2026-03-08",
                           "traced_before": sorted(before), "traced_after": sorted(after)}
    return out


def training_truth(training: Training, traced: Traced, customers: list[dict],
                   own_numbers: dict[tuple[str, str], list[str]], records: str) -> dict:
    """The training answer key: who rotates its calling numbers, who answers late or never,
    and per provider and campaign the counts an analysis of the records should reproduce."""
    rotating_source = SOURCE[ROTATING[0]].provider
    rot = next(f for f in customers if (f["provider"], f["ingress"]) == (rotating_source,
                                                                         ROTATING[1]))
    honest = [dict(f, calling_numbers=own_numbers[(SOURCE_BY_NAME[f["provider"]], f["ingress"])])
              for f in customers if f is not rot]
    rows = read_records(records)
    responses = response_facts(rows)
    return {
        "tracebacks": training.tracebacks,
        "campaigns": campaign_names(training.campaigns),
        "chains": {c.key: {"tracebacks": int((traced.chain == k).sum()),
                           "answers": [list(h) for h in c.stated]}
                   for k, c in enumerate(CHAINS)},
        "rotating_ani_customer": dict(rot, tracebacks=int((traced.chain == 0).sum())),
        "honest_customers": honest,
        "slow_responder": {"provider": SLOW, "answers_after_hours": [25, 60],
                           **responses.get(SLOW, {})},
        "silent_provider": {"provider": SILENT, **responses.get(SILENT, {})},
        # prompt: replies within the 24-hour clock and cooperates (a refusal is a prompt reply,
        # not a prompt answer: it is listed apart)
        "prompt_providers": sorted(p for p, f in responses.items()
                                   if p not in (SLOW, SILENT) and not f["late"]
                                   and not f["refused"]),
        "refusing_providers": sorted(p for p, f in responses.items() if f["refused"]),
        "late_rule": "strict: answered more than 24 h after notified_at (the case sets no "
                     "business-hours deferral)",
        "responses": responses,
        "campaign_facts": campaign_facts(rows),
    }
