"""Provider dossiers: how each provider behaves across every traceback and trace of a case.

A traceback names one chain; an investigator needs the pattern behind many: who keeps
appearing, who answers late or never, whose answers its own CDRs contradict, who accepts
traffic from providers missing from the Robocall Mitigation Database. Records are flattened
once into columns and counted with pandas, so 10,000 tracebacks take well under a second.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.case.audit import read_audit
from workbench.case.deadlines import BUSINESS_END, BUSINESS_START, DAY_US
from workbench.case.model import Case
from workbench.case.settings import provider_zone, traceback_zones
from workbench.columns.times import NAT, US, iso_utc, parse_times
from workbench.ingest.rmd import Rmd
from workbench.trace.results import Role, TraceResult

from .rmd_match import RmdMatch, case_provider_names, match_providers

ROLES = ("terminating", "transit", "gateway", "originator")
#: Statuses that are an answer (the upstream, the customer, the entry point, or "no record").
ANSWERS = frozenset({"upstream_identified", "originator", "foreign_point_of_entry", "not_found"})
#: The `upstream` column of these hops names no provider to hear from next.
ENDS = frozenset({"originator", "foreign_point_of_entry"})
HOUR_US = 3600 * US
_US_NAMES = frozenset({"US", "USA", "UNITED STATES", "UNITED STATES OF AMERICA"})
# The concern score. How a provider answers traceback requests comes first: a silent provider
# stalls every chain through it, a refusal too, a late one slows them. These are shares of its
# requests (a provider asked 300 times is judged like one asked 3 times, a little less surely),
# so a slow or silent responder always outranks a prompt one, whatever else is said of either.
W_NO_RESPONSE, W_REFUSED, W_LATE = 10.0, 7.0, 5.0
# Everything else adds at most OTHER_CAP (below W_LATE): RMD listing, upstreams it took traffic
# from, answers its own CDRs contradict (a share of its traced hops), tracebacks it originated.
W_REMOVED, W_NOT_LISTED, W_BAD_UPSTREAM, BAD_UPSTREAM_CAP = 3.0, 2.5, 1.0, 2.0
W_CONTRADICTED, W_ORIGINATED, OTHER_CAP = 3.0, 1.0, 4.5


@dataclass
class Responses:
    """How a provider answered the traceback requests sent to it."""

    requests: int = 0
    answered: int = 0  # every reply: an answer naming someone, "no record", or a refusal
    refused: int = 0  # of those, refusals to cooperate
    late: int = 0  # answers and refusals past the 24-hour deadline
    no_response: int = 0
    pending: int = 0  # notified, deadline not passed yet
    median_hours: float | None = None  # over answers and refusals with both times known


@dataclass
class Named:
    """An upstream or customer a provider named, how often, and its RMD status."""

    name: str
    count: int
    rmd_status: str | None = None
    foreign: bool = False


@dataclass
class Dossier:
    name: str
    tracebacks: int  # distinct tracebacks and traced calls it appears in
    traces: int  # of those, the ones traced through CDRs (session or audit log)
    roles: dict[str, int]
    responses: Responses
    contradicted: int  # trace hops where its CDRs name another upstream than its answer did
    named_upstreams: list[Named] = field(default_factory=list)  # from its answers
    named_customers: list[Named] = field(default_factory=list)
    cdr_upstreams: list[Named] = field(default_factory=list)  # from its CDRs, in traces
    cdr_customers: list[Named] = field(default_factory=list)
    rmd: str | None = None
    rmd_status: str | None = None  # None: no RMD snapshot loaded
    rmd_match: RmdMatch | None = None
    foreign: bool = False
    concerns: list[str] = field(default_factory=list)
    score: float = 0.0
    rank: int = 0


def provider_dossiers(case: Case, *, results: Sequence[TraceResult] = (),
                      audit_entries: Sequence[Mapping[str, Any]] | None = None,
                      rmd: Rmd | None = None, now_us: int | None = None) -> list[Dossier]:
    """A dossier per provider, the most concerning first.

    Reads the case's traceback records, the trace runs in `results` (a session's traces) and
    the `trace` entries of the audit log (`audit_entries`, read from the case when None);
    `now_us` decides which unanswered requests are overdue (default: now). Pure: it writes
    nothing and traces nothing.
    """
    now = _now_us() if now_us is None else now_us
    entries = read_audit(case.root) if audit_entries is None else audit_entries
    canon = _canonical(case)
    chains = _trace_chains(results, entries)
    names = list(dict.fromkeys(case_provider_names(case) + _trace_names(chains, canon)))
    matches = match_providers(case, rmd, names=names) if rmd is not None else {}
    foreign = {n: _is_foreign(case, n, matches.get(n)) for n in names}
    rec = _clock(case, _records(case, canon, foreign), now)
    # whoever a gateway names as the point of entry is a foreign provider, listed or not
    entry = rec.loc[rec["status"] == "foreign_point_of_entry", "upstream"].dropna()
    foreign.update({str(u): True for u in entry.unique()})
    silent = _silent(rec, now)
    trace = _traces(chains, canon, foreign)
    out = _dossiers(case, rec, silent, trace, matches, foreign)
    for d in out:
        d.concerns, d.score = _judge(d, matches, rmd)
    out.sort(key=lambda d: (-d.score, -d.responses.no_response, -d.tracebacks, d.name))
    for i, d in enumerate(out, start=1):
        d.rank = i
    return out


# -- flattening ------------------------------------------------------------------------------

def _canonical(case: Case) -> Any:
    memo: dict[str, str] = {}

    def canon(name: str) -> str:
        if name not in memo:
            memo[name] = case.directory.canonical(name)
        return memo[name]
    return canon


def _records(case: Case, canon: Any, foreign: Mapping[str, bool]) -> pd.DataFrame:
    """One row per hop record: chain, hop, provider, upstream, status, times as written."""
    zones = traceback_zones(case)
    zone_of: dict[str, str] = {}  # a traceback file's path as loaded -> its zone
    cols: dict[str, Any] = {k: [] for k in ("chain", "hop", "provider", "upstream", "status",
                                            "notified", "responded", "zone")}
    for tb in case.tracebacks:
        zone = zone_of.get(tb.source)
        if zone is None:
            key = str(Path(tb.source).resolve()) if tb.source else ""
            zone = zone_of[tb.source] = zones.get(key, "UTC")
        for h in tb.hops:
            cols["chain"].append("tb:" + tb.traceback_id)
            cols["hop"].append(h.hop)
            cols["provider"].append(canon(h.provider))
            cols["upstream"].append(canon(h.upstream) if h.upstream else None)
            cols["status"].append(h.status or "")
            cols["notified"].append(h.notified_at)
            cols["responded"].append(h.responded_at)
            cols["zone"].append(zone)
    zone_col = np.array(cols.pop("zone"), dtype=object)
    for col in ("notified", "responded"):
        cols[col + "_us"] = _parse(cols.pop(col), zone_col)
    df = pd.DataFrame(cols)
    df["hop"] = df["hop"].astype(np.int64)
    ends = df["status"].isin(ENDS)
    gateway_marked = {n for n in df["provider"].unique() if _marked_gateway(case, n)}
    up_foreign = df["upstream"].isin([n for n, f in foreign.items() if f]).to_numpy()
    df["term"] = df["hop"] == df.groupby("chain")["hop"].transform("min")
    df["orig"] = df["status"] == "originator"
    df["gw"] = ((df["status"] == "foreign_point_of_entry") | (up_foreign & ~ends)
                | df["provider"].isin(gateway_marked))
    df["names_upstream"] = df["upstream"].notna() & ~df["orig"]
    return df


def _parse(values: list[str | None], zones: np.ndarray) -> np.ndarray:
    """Times as written -> UTC µs, each in its traceback file's zone (one parse per zone)."""
    out = np.full(len(values), NAT, dtype=np.int64)
    if not values:
        return out
    written = np.array(values, dtype=object)
    for zone in dict.fromkeys(zones.tolist()):
        rows = np.flatnonzero(zones == zone)
        out[rows] = parse_times(pa.array(written[rows], type=pa.string()), str(zone)).us
    return out


def _clock(case: Case, df: pd.DataFrame, now: int) -> pd.DataFrame:
    """The 24-hour clock per record, as the evidence packet's deadline table applies it:
    receipt + 24 h, or 08:00 the next business day + 24 h for providers with the
    business-hours deferral (in the provider's zone)."""
    notified, responded = df["notified_us"].to_numpy(), df["responded_us"].to_numpy()
    known = notified != NAT
    deadline = np.where(known, notified + DAY_US, NAT)
    settings = _settings(case)
    for name in df["provider"].unique():
        s = settings.get(name, {})
        if not s.get("business_hours_deferral"):
            continue
        rows = np.flatnonzero((df["provider"] == name).to_numpy() & known)
        if len(rows):
            deadline[rows] = deemed_receipts(notified[rows], provider_zone(case, name, s)) + DAY_US
    status = df["status"]
    answered_at = responded != NAT
    refused = (status == "refused").to_numpy()
    open_ = status.isin(("", "pending")).to_numpy() & ~answered_at
    overdue = open_ & known & (deadline < now) & df["upstream"].isna().to_numpy()
    no_resp = (status == "no_response").to_numpy() | overdue
    answered = ~refused & ~no_resp & (status.isin(ANSWERS).to_numpy() | answered_at
                                      | ((status == "") & df["upstream"].notna()).to_numpy())
    pending = ~answered & ~refused & ~no_resp & ((status == "pending").to_numpy()
                                                 | (open_ & known))
    timed = (answered | refused) & answered_at & known
    df["deadline_us"] = deadline
    df["answered"], df["refused"], df["no_response"], df["pending"] = (answered, refused,
                                                                      no_resp, pending)
    df["late"] = timed & (responded > deadline)
    df["hours"] = np.where(timed, (responded - notified) / HOUR_US, np.nan)
    return df


def deemed_receipts(received_us: np.ndarray, zone: str) -> np.ndarray:
    """`case.deadlines.deemed_receipt` over a column: receipt outside business hours
    (Mon–Fri 08:00–17:00 in `zone`) counts as 08:00 the next business day."""
    t = pd.DatetimeIndex(pd.to_datetime(received_us, unit="us", utc=True)).tz_convert(zone)
    wd, hour = t.day_of_week.to_numpy(), t.hour.to_numpy()
    inside = (wd < 5) & (hour >= BUSINESS_START) & (hour < BUSINESS_END)
    step = np.where((wd < 5) & (hour < BUSINESS_START), 0, 1)
    nxt = (wd + step) % 7
    step = step + np.where(nxt == 5, 2, np.where(nxt == 6, 1, 0))
    day = t.tz_localize(None).normalize() + pd.to_timedelta(step, unit="D")
    local = (day + pd.Timedelta(hours=BUSINESS_START)).tz_localize(
        zone, ambiguous="NaT", nonexistent="shift_forward")
    deemed = local.as_unit("us").asi8
    return np.where(inside, received_us, deemed).astype(np.int64)


def _silent(rec: pd.DataFrame, now: int) -> pd.DataFrame:
    """Providers named as upstream with no hop record of their own in that traceback: a
    request that was never answered (pending while the namer's answer is under 24 h old)."""
    named = rec[rec["names_upstream"] & ~rec["status"].isin(ENDS)]
    if named.empty:  # no records (or none naming an upstream): an empty column is no text
        return pd.DataFrame({"chain": pd.Series([], dtype=object),
                             "provider": pd.Series([], dtype=object),
                             "no_response": pd.Series([], dtype=bool),
                             "pending": pd.Series([], dtype=bool)})
    have = rec["chain"] + "\x1f" + rec["provider"]
    keep = ~(named["chain"] + "\x1f" + named["upstream"]).isin(have)
    s = named[keep].drop_duplicates(["chain", "upstream"])
    since = np.where(s["responded_us"] != NAT, s["responded_us"], s["notified_us"])
    waiting = (since != NAT) & (since + DAY_US >= now)
    return pd.DataFrame({"chain": s["chain"].to_numpy(), "provider": s["upstream"].to_numpy(),
                         "no_response": ~waiting, "pending": waiting})


def _trace_chains(results: Sequence[TraceResult],
                  entries: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each traced call's hops, the latest trace of a call winning (the session's traces
    after the audit log's)."""
    chains: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        d = e.get("details")
        if e.get("action") != "trace" or not isinstance(d, dict):
            continue
        hops = d.get("hops")
        if isinstance(hops, list):
            call = d.get("call")
            key = _chain_key(d.get("traceback"), call if isinstance(call, dict) else {})
            chains[key] = [h for h in hops if isinstance(h, dict)]
    for r in results:
        call = {"calling": r.calling, "called": r.called, "at": iso_utc(r.at_us)}
        chains[_chain_key(r.traceback_id, call)] = [
            {"provider": h.provider, "found": h.found, "upstream": h.upstream,
             "customer": h.customer, "traceback_agrees": h.traceback_agrees,
             "role": str(h.role)} for h in r.hops]
    return chains


def _chain_key(traceback_id: object, call: Mapping[str, Any]) -> str:
    if traceback_id:
        return f"tb:{traceback_id}"
    return f"call:{call.get('calling')}|{call.get('called')}|{call.get('at')}"


def _trace_names(chains: Mapping[str, list[dict[str, Any]]], canon: Any) -> list[str]:
    out: dict[str, None] = {}
    for hops in chains.values():
        for h in hops:
            for key in ("provider", "upstream"):
                if h.get(key):
                    out.setdefault(canon(str(h[key])))
    return list(out)


def _traces(chains: Mapping[str, list[dict[str, Any]]], canon: Any,
            foreign: Mapping[str, bool]) -> pd.DataFrame:
    rows = []
    for chain, hops in chains.items():
        for i, h in enumerate(hops):
            if not h.get("provider"):
                continue
            up = canon(str(h["upstream"])) if h.get("upstream") else None
            role = str(h.get("role") or "")
            rows.append((chain, canon(str(h["provider"])), up, h.get("customer") or None,
                         h.get("traceback_agrees") is False, i == 0,
                         bool(h.get("customer")) or role in (Role.ORIGINATING,
                                                             Role.TERMINATING_ORIGINATING),
                         role == Role.GATEWAY or (up is not None and foreign.get(up, False))))
    return pd.DataFrame(rows, columns=["chain", "provider", "upstream", "customer",
                                       "contradicted", "term", "orig", "gw"])


# -- counting --------------------------------------------------------------------------------

def _appearances(rec: pd.DataFrame, silent: pd.DataFrame, trace: pd.DataFrame) -> pd.DataFrame:
    """Per provider: distinct chains, chains per role, chains traced."""
    parts = [rec[["chain", "provider", "term", "orig", "gw"]].assign(traced=False),
             silent[["chain", "provider"]].assign(term=False, orig=False, gw=False,
                                                  traced=False),
             trace[["chain", "provider", "term", "orig", "gw"]].assign(traced=True)]
    kept = [p for p in parts if len(p)]
    if not kept:  # no records and no traces: every provider appears nowhere
        return pd.DataFrame(columns=["tracebacks", "traces", *ROLES])
    a = pd.concat(kept, ignore_index=True)
    per = a.groupby(["provider", "chain"], sort=False)[["term", "orig", "gw", "traced"]].max()
    per["transit"] = ~(per["term"] | per["orig"] | per["gw"])
    g = per.groupby(level="provider", sort=False)
    out = g[["term", "transit", "gw", "orig", "traced"]].sum()
    out.columns = ["terminating", "transit", "gateway", "originator", "traces"]
    out["tracebacks"] = g.size()
    return out


def _responses(rec: pd.DataFrame, silent: pd.DataFrame) -> pd.DataFrame:
    cols = ["answered", "refused", "late", "no_response", "pending"]
    both = pd.concat([rec[["provider", *cols, "hours"]],
                      silent.assign(answered=False, refused=False, late=False, hours=np.nan)
                      [["provider", *cols, "hours"]]], ignore_index=True)
    if not len(both):
        return pd.DataFrame(columns=[*cols, "median_hours"])
    g = both.groupby("provider", sort=False)
    out = g[cols].sum()
    out["median_hours"] = g["hours"].median()
    return out


def _pair_counts(df: pd.DataFrame, mask: Any, column: str) -> dict[str, list[tuple[str, int]]]:
    """provider -> [(name in `column`, times)], most frequent first, from one groupby."""
    if not len(df):
        return {}
    sub = df.loc[mask, ["provider", column]].dropna()
    counts = sub.groupby(["provider", column], sort=False).size()
    out: dict[str, list[tuple[str, int]]] = {}
    for (provider, name), n in counts.sort_values(ascending=False, kind="stable").items():
        out.setdefault(str(provider), []).append((str(name), int(n)))
    return out


def _dossiers(case: Case, rec: pd.DataFrame, silent: pd.DataFrame, trace: pd.DataFrame,
              matches: Mapping[str, RmdMatch], foreign: Mapping[str, bool]) -> list[Dossier]:
    seen, resp = _appearances(rec, silent, trace), _responses(rec, silent)
    has_trace = bool(len(trace))
    ups = _pair_counts(rec, rec["names_upstream"], "upstream")
    custs = _pair_counts(rec, rec["orig"], "upstream")
    cdr_ups = _pair_counts(trace, trace["upstream"].notna(), "upstream") if has_trace else {}
    cdr_custs = _pair_counts(trace, trace["customer"].notna(), "customer") if has_trace else {}
    contradicted = trace.groupby("provider")["contradicted"].sum() if has_trace else {}

    def providers(pairs: list[tuple[str, int]]) -> list[Named]:
        return [Named(n, c, matches[n].status if n in matches else None,
                      foreign.get(n, False)) for n, c in pairs]

    out = []
    for name in dict.fromkeys([*seen.index, *case.directory.providers]):
        s = seen.loc[name] if name in seen.index else None
        m = matches.get(name)
        info = case.directory.info(name)
        out.append(Dossier(
            name=name, tracebacks=int(s["tracebacks"]) if s is not None else 0,
            traces=int(s["traces"]) if s is not None else 0,
            roles={k: int(s[k]) if s is not None else 0 for k in ROLES},
            responses=_responses_of(resp, name),
            contradicted=int(contradicted.get(name, 0)),
            named_upstreams=providers(ups.get(name, [])),
            named_customers=[Named(n, c) for n, c in custs.get(name, [])],
            cdr_upstreams=providers(cdr_ups.get(name, [])),
            cdr_customers=[Named(n, c) for n, c in cdr_custs.get(name, [])],
            rmd=(m.number if m and m.number else (info.rmd if info else None)),
            rmd_status=m.status if m else None, rmd_match=m, foreign=foreign.get(name, False)))
    return out


def _responses_of(resp: pd.DataFrame, name: str) -> Responses:
    if name not in resp.index:
        return Responses()
    r = resp.loc[name]
    out = Responses(answered=int(r["answered"]) + int(r["refused"]), refused=int(r["refused"]),
                    late=int(r["late"]),
                    no_response=int(r["no_response"]), pending=int(r["pending"]),
                    median_hours=None if pd.isna(r["median_hours"])
                    else float(r["median_hours"]))
    out.requests = out.answered + out.no_response + out.pending
    return out


def _judge(d: Dossier, matches: Mapping[str, RmdMatch], rmd: Rmd | None) -> tuple[list[str],
                                                                                   float]:
    """Plain reasons, most serious first, and the score they add up to (see the weights)."""
    answering: list[tuple[float, str]] = []
    other: list[tuple[float, str]] = []
    r = d.responses
    asked = max(r.requests, 1)
    sure = r.requests / (r.requests + 2.0)  # one late answer of one request says little
    if r.no_response:
        answering.append((W_NO_RESPONSE * r.no_response / asked * sure,
                          f"never answered {r.no_response} of {_n(r.requests, 'request')}"))
    if r.refused:
        answering.append((W_REFUSED * r.refused / asked * sure,
                          f"refused {r.refused} of {_n(r.requests, 'request')}"))
    if r.late:
        med = f" (median {r.median_hours:.1f} h)" if r.median_hours is not None else ""
        answering.append((W_LATE * r.late / asked * sure,
                          f"answered {r.late} of {r.answered} late against the "
                          f"24-hour clock{med}"))
    if rmd is not None and d.rmd_status == "removed":
        last = d.rmd_match.last_listed if d.rmd_match else None
        other.append((W_REMOVED, "removed from the RMD" + (f" (last listed in {last})"
                                                            if last else "")))
    elif rmd is not None and d.rmd_status == "not listed":
        other.append((W_NOT_LISTED, "not in the RMD"))
    if rmd is not None:
        ups = {u.name: u for u in d.named_upstreams + d.cdr_upstreams}
        bad = 0.0
        for u in ups.values():
            st = matches[u.name].status if u.name in matches else "not listed"
            if st in ("not listed", "removed"):
                where = "not in the RMD" if st == "not listed" else "removed from the RMD"
                text = (f"named a foreign upstream {where}: {u.name}" if u.foreign else
                        f"accepted traffic from {u.name}, {where}")
                weight = min(W_BAD_UPSTREAM, BAD_UPSTREAM_CAP - bad)
                bad += weight
                other.append((weight, text))
    if d.contradicted:
        other.append((W_CONTRADICTED * d.contradicted / max(d.traces, d.contradicted, 1),
                      f"its answer contradicted by its own CDRs {_times(d.contradicted)}"))
    if d.roles["originator"]:
        other.append((W_ORIGINATED * d.roles["originator"] / max(d.tracebacks, 1),
                      f"originated {_n(d.roles['originator'], 'traceback')}"))
    out = sorted(answering + other, key=lambda x: -x[0])
    score = sum(w for w, _ in answering) + min(OTHER_CAP, sum(w for w, _ in other))
    return [text for _, text in out], round(score, 2)


# -- case settings (the same reading as the evidence packet's deadline table) ---------------

def _settings(case: Case) -> dict[str, dict[str, Any]]:
    """Per-provider settings from case.toml that ProviderInfo does not model, by canonical
    name (business_hours_deferral, timezone)."""
    out: dict[str, dict[str, Any]] = {}
    for p in case.config.raw.get("providers", []) or []:
        if isinstance(p, dict) and p.get("name"):
            out.setdefault(case.directory.canonical(str(p["name"])), p)
    return out


def _is_foreign(case: Case, name: str, match: RmdMatch | None) -> bool:
    info = case.directory.info(name)
    if info is not None and (info.foreign or (info.country and
                                              info.country.strip().upper() not in _US_NAMES)):
        return True
    return bool(match and match.foreign)


def _marked_gateway(case: Case, name: str) -> bool:
    info = case.directory.info(name)
    return bool(info and info.role and "gateway" in str(info.role).lower())


def _n(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _now_us() -> int:
    return int(_dt.datetime.now(_dt.timezone.utc).timestamp() * US)


__all__ = ["Dossier", "Named", "Responses", "ROLES", "deemed_receipts", "provider_dossiers"]
