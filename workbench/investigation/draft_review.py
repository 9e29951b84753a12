"""Review a drafted case before it is written: what would silently go wrong if every default
were accepted, with the one-click fix where there is one.

The New-case wizard runs ``review_draft`` in a worker on its last pages. It loads the
draft as a case (the sources' normalized cache makes a second look cheap), then:

- pairs every two sources on calls they share (no ingress mapping needed) and solves one
  clock offset per source with the skew code; an offset near whole or half hours on a file
  without zoned times means its zone is wrong, and the zone that explains the calls one by
  one (DST included) is proposed; epoch fields that contradict the declared zone too;
- finds each traceback record's call in each of its providers' files and counts which
  ingress carried it, per upstream the record names: ingress -> upstream proposals;
- traces the records as the draft stands and says, per record, where a chain would start
  anywhere but the record's first provider, stop short, or disagree with the record.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.case.draft import effective_mapping
from workbench.case.draft_checks import (
    Action,
    Finding,
    Kind,
    Proposal,
    best_zone,
    hours_text,
    ingress_like,
    match_provider,
    offset_at,
    proposals,
    zone_shift,
    zones_with_offset,
)
from workbench.case.model import Case, case_from_config
from workbench.case.writer import DraftCase
from workbench.columns.arrow_numpy import to_numpy
from workbench.columns.numbers import normalize_one
from workbench.columns.times import NAT, parse_one
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.ingest.config import CASE_FILE, parse_config
from workbench.ingest.formats.switches.zonecheck import offset_text
from workbench.ingest.tracebacks import Traceback
from workbench.investigation.investigation import Investigation
from workbench.investigation.requests import TraceRequest
from workbench.store.pair_offsets import PairRows, matched_rows
from workbench.store.protocol import CallKey
from workbench.trace.results import NoteKind, Outcome, TraceResult
from workbench.trace.skew import MAX_OFFSET_S, _solve, densest

US = 1_000_000
MIN_SHARED = 3  # calls two files must share before their clocks are compared
FIND_WINDOW_S = 180.0  # a record's call in a file, after that file's clock offset
MAX_TRACES = 80  # records traced per review (the first ones, in file order)
SHOWN_IDS = 4


@dataclass
class DraftReview:
    """Findings (most serious first) and ingress proposals per draft file."""

    findings: list[Finding] = field(default_factory=list)
    proposals: dict[int, list[Proposal]] = field(default_factory=dict)
    offsets: dict[int, float] = field(default_factory=dict)  # file -> clock vs reference (s)
    traced: int = 0
    records: int = 0

    def for_file(self, index: int) -> list[Finding]:
        return [f for f in self.findings if f.file == index]


def review_draft(draft: DraftCase, folder: Path, *, progress: ProgressFn = no_progress,
                 should_stop: StopFn = never_stop, max_traces: int = MAX_TRACES) -> DraftReview:
    """Everything a user who accepts the defaults must be told about ``draft``."""
    case = load_draft(draft, folder, progress=progress, should_stop=should_stop)
    review = DraftReview(records=len(case.tracebacks))
    progress(0.6, "comparing the files' clocks")
    offsets, pairs = clock_offsets(case, should_stop)
    review.offsets = offsets
    review.findings += zone_findings(case, offsets, pairs)
    review.findings += epoch_findings(case, {f.file for f in review.findings})
    check(should_stop)
    progress(0.7, "finding the traced calls in each file")
    review.proposals = ingress_proposals(case, offsets)
    review.findings += ingress_findings(case, review.proposals)
    review.findings += first_provider_findings(case)
    check(should_stop)
    progress(0.8, "tracing the records as the case stands")
    chain, review.traced = chain_findings(case, max_traces, should_stop)
    review.findings += chain
    order = [Kind.NO_SOURCE, Kind.WRONG_START, Kind.ZONE, Kind.INGRESS_COLUMN,
             Kind.NO_MAPPINGS, Kind.CLOCK, Kind.CHAIN]
    review.findings.sort(key=lambda f: order.index(f.kind) if f.kind in order else len(order))
    progress(1.0, f"{len(review.findings)} warning(s)")
    return review


def load_draft(draft: DraftCase, folder: Path, *, progress: ProgressFn = no_progress,
               should_stop: StopFn = never_stop) -> Case:
    """The draft as a loaded case, without writing its case.toml."""
    cfg = parse_config(draft.to_dict(), Path(folder) / CASE_FILE)
    return case_from_config(cfg, progress=lambda f, m: progress(0.5 * f, m),
                            should_stop=should_stop)


# -- clocks and zones ------------------------------------------------------------------------

#: Calls two sources share: (starts of A as read, A-minus-B offsets in seconds).
Pairs = dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]


def clock_offsets(case: Case, should_stop: StopFn = never_stop
                  ) -> tuple[dict[int, float], Pairs]:
    """Each source's offset against the reference clock (source index -> seconds), from
    every pair of sources' shared calls, solved by the skew code; only sources paired with
    at least one other appear."""
    sides = [_side(case, i) for i in range(len(case.sources))]
    edges: list[tuple[int, int, float, int]] = []
    pairs: Pairs = {}
    for a in range(len(sides)):
        for b in range(a + 1, len(sides)):
            check(should_stop)
            ia, ib = matched_rows(sides[a], sides[b])  # the calls both files hold
            start_a = sides[a].start[ia]
            off = (start_a - sides[b].start[ib]) / US
            keep = np.abs(off) <= MAX_OFFSET_S
            if keep.sum() < MIN_SHARED:
                continue
            offset, calls = densest(off[keep])
            if calls >= MIN_SHARED:
                edges.append((a, b, offset, calls))
                pairs[(a, b)] = (start_a[keep], off[keep])
    solved = _solve(case, edges)
    paired = {i for a, b, _, _ in edges for i in (a, b)}
    return ({i: solved[s.id].offset_s for i, s in enumerate(case.sources) if i in paired},
            pairs)


def _side(case: Case, i: int) -> PairRows:
    """Source i's numbers and start times, as the shared-call join takes them."""
    t = case.store.columns(case.sources[i].id, ["calling_key", "called_key", "start"])
    calling, called, start = (to_numpy(t.column(c)) for c in ("calling_key", "called_key",
                                                                "start"))
    return PairRows(calling, called, start, start)


def zone_findings(case: Case, offsets: dict[int, float], pairs: Pairs) -> list[Finding]:
    """A source whose clock sits whole (or half) hours off the others: a wrong zone."""
    out = []
    country = case.config.default_country
    for i, x in offsets.items():
        shift = zone_shift(x)
        if shift is None:
            continue
        src = case.sources[i]
        name = f"{src.provider} ({Path(src.config.path).name})"
        partners = _partners(sorted({case.sources[b if a == i else a].provider
                                     for (a, b) in pairs if i in (a, b)}))
        starts, errors = _errors(i, x, offsets, pairs)
        if src.summary.zoned_rows >= max(1, src.summary.rows // 2):
            out.append(Finding(Kind.CLOCK, (
                f"{name}: its clock reads {hours_text(x)} against {partners} on "
                f"{len(errors)} shared calls, although its times carry their own zone. "
                "Check how the file was exported; calls there are searched at that offset."),
                file=i))
            continue
        declared = src.config.timezone
        zone, share = best_zone(starts, errors, declared, shift, country)
        text = (f"{name}: its times are read as {declared}, but they run {hours_text(x)} "
                f"against {partners} on {len(errors)} shared calls")
        if zone is None:
            at = int(np.median(starts)) if len(starts) else 0
            fits = offset_text(((offset_at(declared, at) or 0) + shift) // 60)
            out.append(Finding(Kind.ZONE, text + f" — a zone at {fits} would fit; set it on "
                               "the page where the file is read.", file=i))
            continue
        out.append(Finding(Kind.ZONE, text + f". The file is most likely written in {zone} "
                           f"({share:.0%} of those calls fit it, DST included).", file=i,
                           action=Action(f"Set zone to {zone}", "set_zone", file=i,
                                         zone=zone)))
    return out


def _partners(names: list[str]) -> str:
    """'Midway Transit and Origin Voice Co', or '4 other files' when the list gets long."""
    if len(names) <= 2:
        return " and ".join(names)
    return f"{len(names)} other files"


def _errors(i: int, x: float, offsets: dict[int, float], pairs: Pairs
            ) -> tuple[np.ndarray, np.ndarray]:
    """Source i's starts (as read) and each shared call's offset against the reference
    clock, from its pairs with sources whose own clock is steady (not itself a zone off)."""
    starts, errors = [], []
    steady = {j for j, x_j in offsets.items() if zone_shift(x_j) is None}
    known = steady if any(i in p and (set(p) - {i}) & steady for p in pairs) else set(offsets)
    for (a, b), (start_a, off) in pairs.items():
        if i == a and b in known:
            starts.append(start_a)
            errors.append(off + offsets[b])
        elif i == b and a in known:
            starts.append(start_a - (off * US).astype(np.int64))
            errors.append(-off + offsets[a])
    if not starts:
        return np.zeros(0, np.int64), np.zeros(0)
    s, e = np.concatenate(starts), np.concatenate(errors)
    near = np.abs(e - x) <= 2 * 3600  # both sides of a DST change, not coincidences
    return s[near], e[near]


_EPOCH_NOTE = re.compile(r"WARNING: (?P<what>.+?) say UTC(?P<sign>[+−-])(?P<h>\d\d):(?P<m>\d\d)")


def epoch_findings(case: Case, done: set[int | None]) -> list[Finding]:
    """Epoch fields (an Asterisk uniqueid, CUCM's epoch columns) that contradict the zone
    the file is read in (the format readers check them: ``switches.zonecheck``)."""
    out = []
    for i, src in enumerate(case.sources):
        if i in done:
            continue
        for note in src.summary.notes:
            m = _EPOCH_NOTE.search(note)
            if not m:
                continue
            offset = (-1 if m["sign"] in "−-" else 1) * (int(m["h"]) * 3600 + int(m["m"]) * 60)
            at = parse_one(src.summary.first_utc) if src.summary.first_utc else NAT
            zones = zones_with_offset(offset, at, case.config.default_country) if at != NAT \
                else []
            said = f"UTC{m['sign']}{m['h']}:{m['m']}"
            text = (f"{_name(src)}: its {m['what']} say the times are {said}, but they are "
                    f"read as {src.config.timezone}")
            if zones:
                out.append(Finding(Kind.ZONE, f"{text}: the file is most likely written in "
                                   f"{zones[0]}.", file=i,
                                   action=Action(f"Set zone to {zones[0]}", "set_zone", file=i,
                                                 zone=zones[0])))
            else:
                out.append(Finding(Kind.ZONE, f"{text}: set a zone at {said}.", file=i))
            break
    return out


# -- ingress -----------------------------------------------------------------------------------

def ingress_proposals(case: Case, offsets: dict[int, float]) -> dict[int, list[Proposal]]:
    """Per source: ingress ids that carried traceback records' calls, with the upstream (or
    customer) the records name for that hop; ids already mapped are left out. One store
    call for every record and hop."""
    country = case.config.default_country
    keys: list[CallKey] = []
    meta: list[tuple[int, int, str | None, bool]] = []
    index = {s.id: i for i, s in enumerate(case.sources)}
    for tb in case.tracebacks:
        called_key = normalize_one(tb.called, country)[1] if tb.called else -1
        if called_key < 0 or tb.call_time_us == NAT:
            continue
        calling_key = normalize_one(tb.calling, country)[1] if tb.calling else -1
        for k in range(len(tb.hops)):
            handed = _handed_by(case, tb, k)
            if handed is None:
                continue
            for src in case.sources_of(tb.hops[k].provider):
                i = index[src.id]
                centre = tb.call_time_us + int(round(offsets.get(i, 0.0) * US))
                w = int(FIND_WINDOW_S * US)
                keys.append(CallKey(src.id, called_key, calling_key, centre - w, centre + w))
                meta.append((i, centre, *handed))
    if not keys:
        return {}
    t = case.store.candidates(keys)
    if not t.num_rows:
        return {}
    qs, ingresses = to_numpy(t.column("q")), t.column("ingress").to_pylist()
    gap = np.abs(to_numpy(t.column("start")) - np.array([m[1] for m in meta])[qs])
    order = np.lexsort((gap, qs))  # per lookup, the nearest record (the first of equals)
    nearest = order[np.append(True, qs[order][1:] != qs[order][:-1])]
    seen: dict[int, list[tuple[str, str, bool]]] = defaultdict(list)
    for r in nearest.tolist():
        ingress = ingresses[r]
        i, _, name, customer = meta[int(qs[r])]
        if ingress:
            seen[i].append((str(ingress), name or str(ingress), customer))
    out = {}
    for i, obs in seen.items():
        src = case.sources[i]
        todo = [p for p in proposals(obs) if case.upstream_of(src, p.ingress) == (None, None)]
        if todo:
            out[i] = todo
    return out


def _handed_by(case: Case, tb: Traceback, k: int) -> tuple[str | None, bool] | None:
    """(who handed the record's call to hop k, is it a customer); None when unknown. A
    customer's name is rarely in a record: None stands for 'name it by its ingress id'."""
    hop = tb.hops[k]
    if hop.status == "originator":  # the record's "upstream" of an originator is its customer
        customer = hop.upstream or (hop.extra.get("customer") if hop.extra else None)
        return (str(customer) if customer else None), True
    if hop.upstream:
        return case.directory.canonical(hop.upstream), False
    return None


def ingress_findings(case: Case, props: dict[int, list[Proposal]]) -> list[Finding]:
    """Sources whose ingress is not read, or read but never named: traces stop there."""
    out = []
    for i, src in enumerate(case.sources):
        cfg, sm = src.config, src.summary
        if "ingress" not in sm.fields:
            like = ingress_like(sm.headers or [], _mapped_headers(src))
            if like:
                more = f" (also {', '.join(repr(h) for h in like[1:3])})" if like[1:] else ""
                out.append(Finding(Kind.INGRESS_COLUMN, (
                    f"{_name(src)}: no column is read as the ingress, but '{like[0]}'{more} "
                    f"looks like one. Without it every trace stops at {src.provider}."),
                    file=i, action=Action(f"Read '{like[0]}' as the ingress", "set_field",
                                          file=i, column=like[0])))
            continue
        todo = props.get(i, [])
        listed = "; ".join(f"{p.ingress} → {'customer ' if p.customer else ''}{p.name} "
                           f"({p.calls} call{'s' if p.calls != 1 else ''})" for p in todo[:4])
        if len(todo) > 4:
            listed += f"; and {len(todo) - 4} more"
        action = accept_action(i, todo) if todo else None
        if not (cfg.upstreams or cfg.customers):
            text = (f"{_name(src)}: its ingress ids are read but none is named as an upstream "
                    "or a customer, so every trace stops here (unmapped ingress) and its "
                    "clock skew stays unknown.")
            text += (f" The traceback records suggest: {listed}." if todo else
                     " Name them on the ingress page.")
            out.append(Finding(Kind.NO_MAPPINGS, text, file=i, action=action))
        elif todo:
            out.append(Finding(Kind.NO_MAPPINGS, (
                f"{_name(src)}: traced calls came in on ingress ids that are not mapped: "
                f"{listed}."), file=i, action=action))
    return out


def accept_action(i: int, todo: list[Proposal]) -> Action:
    n = len(todo)
    return Action(f"Accept {n} proposed mapping{'s' if n != 1 else ''}", "map_ingress", file=i,
                  upstreams={p.ingress: p.name for p in todo if not p.customer},
                  customers={p.ingress: p.name for p in todo if p.customer})


def _mapped_headers(src) -> list[str]:
    """The headers the generic reader maps for this source (empty for switch formats)."""
    headers = src.summary.headers or []
    if src.format != "generic" or not headers:
        return []
    try:
        mapping = effective_mapping(headers, src.config.columns, Path(src.config.path))
    except Exception:  # noqa: BLE001 - the source loaded, so its mapping resolved once
        return []
    return [h for v in mapping.values() for h in ([v] if isinstance(v, str) else v)]


# -- traceback records ---------------------------------------------------------------------

def first_provider_findings(case: Case) -> list[Finding]:
    """Records whose first provider has no file: a trace cannot start where they start."""
    missing: dict[str, list[str]] = defaultdict(list)
    for tb in case.tracebacks:
        if tb.hops:
            first = case.directory.canonical(tb.hops[0].provider)
            if not case.sources_of(first):
                missing[first].append(tb.traceback_id)
    out = []
    for first, ids in missing.items():
        text = (f"{_ids(ids)} start at {first}, but no file is assigned to {first}: a trace of "
                f"{'this record' if len(ids) == 1 else 'these records'} cannot start where "
                "the record starts.")
        action = None
        fits = [i for i, s in enumerate(case.sources)
                if match_provider(s.provider, [first]) and not _named_in_records(case, s.provider)]
        if len(fits) == 1:
            s = case.sources[fits[0]]
            text += f" Is {Path(s.config.path).name} (named '{s.provider}') {first}'s file?"
            action = Action(f"Name {Path(s.config.path).name}'s provider '{first}'",
                            "rename_provider", file=fits[0], provider=first)
        out.append(Finding(Kind.NO_SOURCE, text, tracebacks=ids,
                           file=fits[0] if len(fits) == 1 else None, action=action))
    return out


def _named_in_records(case: Case, provider: str) -> bool:
    want = case.directory.canonical(provider)
    return any(case.directory.canonical(h.provider) == want
               for tb in case.tracebacks for h in tb.hops)


def chain_findings(case: Case, max_traces: int, should_stop: StopFn = never_stop
                   ) -> tuple[list[Finding], int]:
    """Trace the first ``max_traces`` records as the draft stands; group what is wrong:
    a chain that starts anywhere but the record's first provider, stops short, or
    disagrees with the record."""
    inv = Investigation(case, audit=False)
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    files: dict[tuple[str, ...], int | None] = {}
    traced = 0
    for tb in case.tracebacks[:max_traces]:
        check(should_stop)
        if not tb.called or tb.call_time_us == NAT or not tb.hops:
            continue
        try:
            result = inv.trace(TraceRequest(traceback_id=tb.traceback_id))
        except Exception:  # noqa: BLE001 - a record that cannot be traced is said elsewhere
            continue
        traced += 1
        for key, file in _problems(case, tb, result):
            groups[key].append(tb.traceback_id)
            files[key] = file
    out = [Finding(Kind.WRONG_START if key[0] == "start" else Kind.CHAIN,
                   _chain_text(key, ids), file=files[key], tracebacks=ids)
           for key, ids in groups.items()]
    out.sort(key=lambda f: (f.kind != Kind.WRONG_START, -len(f.tracebacks)))
    return out, traced


def _problems(case: Case, tb: Traceback, r: TraceResult
              ) -> list[tuple[tuple[str, ...], int | None]]:
    canon = case.directory.canonical
    first = canon(tb.hops[0].provider)
    out: list[tuple[tuple[str, ...], int | None]] = []
    missed = next((n for n in r.notes if n.kind == NoteKind.RECORD_FIRST_NOT_FOUND), None)
    if missed is not None:  # the engine starts where the record starts and says who found it
        found_at = str(missed.get("found_at") or "")
        out.append((("start", first, found_at), _file_of(case, r.hops[0].source)
                    if r.hops else None))
        return out
    last = r.hops[-1] if r.hops else None
    named = [canon(h.provider) for h in tb.hops]
    if last is not None and r.outcome == Outcome.UNMAPPED_INGRESS:
        out.append((("unmapped", last.provider, last.ingress or ""), _file_of(case, last.source)))
    elif last is not None and r.outcome == Outcome.NOT_FOUND:
        out.append((("not_found", last.provider), _file_of(case, last.source)))
    elif last is not None and r.outcome == Outcome.NO_RECORDS:
        later = [p for p in named[named.index(last.provider) + 1:]
                 if case.sources_of(p)] if last.provider in named else []
        if last.provider not in named or later:
            out.append((("left", last.provider, ", ".join(later)), None))
    elif r.outcome == Outcome.LOOP:
        out.append((("loop", r.loop_to or ""), None))
    for h in r.hops:  # a hop with neither upstream nor customer is said above (unmapped)
        if h.traceback_agrees is False and (h.upstream or h.customer):
            cdr = h.upstream or (f"customer {h.customer}" if h.customer else "?")
            out.append((("disagree", h.provider, h.traceback_upstream or "?", cdr),
                        _file_of(case, h.source)))
    return out


def _chain_text(key: tuple[str, ...], ids: list[str]) -> str:
    what, *rest = key
    who = _ids(ids)
    if what == "start":
        first, at = rest
        return (f"{who}: {first}, where the record starts, does not show the call near the "
                f"record's time, but {at} do{'es' if ', ' not in at else ''}: the trace stops "
                f"at {first} rather than skip it. Check {first}'s zone and clock.")
    if what == "unmapped":
        provider, ingress = rest
        return (f"{who}: the chain stops at {provider}: the call came in on ingress "
                f"'{ingress}', which names no upstream or customer.")
    if what == "not_found":
        return (f"{who}: the chain stops at {rest[0]}: the call is not in its file within the "
                "matching window (a wrong zone or a clock far off?).")
    if what == "left":
        provider, later = rest
        return (f"{who}: the chain leaves the case at {provider}, which has no file"
                + (f", although the record goes on to {later}." if later else
                   ", and the record does not name it."))
    if what == "loop":
        return f"{who}: the chain loops back to {rest[0]}."
    provider, said, cdr = rest
    return (f"{who}: at {provider} the record says the call came from {said}, the CDRs as "
            f"mapped say {cdr}.")


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:SHOWN_IDS])
    more = f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else ""
    return f"{'Record' if len(ids) == 1 else 'Records'} {shown}{more}"


def _file_of(case: Case, sid) -> int | None:
    return next((i for i, s in enumerate(case.sources) if s.id == sid), None)


def _name(src) -> str:
    return f"{src.provider} ({Path(src.config.path).name})"
