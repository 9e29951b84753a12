"""Traceback records of a training case: thousands of chains across campaigns, with the
notification and response times that make one provider slow and another silent.

Times are built as numpy columns per chain kind (one column per hop); only the final CSV
rows are Python lists, written by the same csv module as the story's records.
"""
from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from typing import Any

import numpy as np

from .chains import CHAINS, SILENT, SLOW, Traced
from .clock import S, to_us
from .formatting import times
from .numberbook import NumberBook
from .scenario import DOMESTIC, FOREIGN_CAMPAIGN
from .training import Training

THEMES = ("Utility disconnection notice", "Student loan forgiveness", "Medicare benefits card",
          "Package delivery problem", "Social Security suspension",
          "Credit card interest reduction", "Home solar rebate", "Tax debt relief",
          "Bank fraud alert", "Health insurance enrollment")
EMPTY_CAMPAIGN_SHARE = .03
_NOTES = {
    "originator": ("customer warned", "customer account suspended", "customer claims consent",
                   "customer terminated", ""),
    "refused": ("cites UK data-protection law; asks for a request through its national "
                "regulator",),
    "not_found": ("no record of the call",),
    "no_response": ("", "reminder sent after 24 hours; no answer"),
}
_ISO = "%Y-%m-%dT%H:%M:%SZ"


def campaign_names(k: int) -> list[str]:
    """K campaign names; the first two continue the story's two vehicle-warranty waves."""
    if k == 1:
        return ["Vehicle warranty renewal"]
    base = [DOMESTIC, FOREIGN_CAMPAIGN, *THEMES]
    return [base[i % len(base)] + (f" (wave {i // len(base) + 1})" if i >= len(base) else "")
            for i in range(k)]


#: With fewer campaigns than chain kinds, the campaign each kind joins (modulo K): both
#: foreign entries join the "entering from abroad" wave.
_SHARED = (0, 1, 2, 3, 1)


def _campaigns(chain: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """A campaign index per traceback (-1: left empty). A campaign has one kind of chain
    when there are enough campaigns; with fewer, kinds share campaigns."""
    g = len(CHAINS)
    out = np.empty(len(chain), np.int64)
    for kind in range(g):
        rows = np.flatnonzero(chain == kind)
        own = np.arange(kind, k, g) if k >= g else np.array([_SHARED[kind] % k])
        out[rows] = own[rng.integers(0, len(own), len(rows))]
    out[rng.random(len(chain)) < EMPTY_CAMPAIGN_SHARE] = -1
    return out


def _took(provider: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Seconds from notification to answer (-1: never answered)."""
    if provider == SILENT:
        return np.full(n, -1, np.int64)
    if provider == SLOW:
        return rng.integers(25 * 3600, 60 * 3600 + 1, n)
    return np.clip(rng.lognormal(np.log(5400), .9, n), 300, 6 * 3600).astype(np.int64)


def training_rows(traced: Traced, training: Training, book: NumberBook,
                  rng: np.random.Generator) -> list[list[str]]:
    """Rows of tracebacks.csv for the training tracebacks, by call time, hop by hop."""
    order = np.argsort(traced.invite, kind="stable")
    chain, invite = traced.chain[order], traced.invite[order]
    calling = book.form("e164").take(traced.calling[order]).to_pylist()
    called = book.form("e164").take(traced.called[order]).to_pylist()
    names = campaign_names(training.campaigns)
    campaign = [names[c] if c >= 0 else "" for c in _campaigns(chain, training.campaigns, rng)]
    ids = [f"TB-26-{i + 1:05d}" for i in range(len(order))]
    call_time = times(invite, "UTC", _ISO).to_pylist()
    by_tb: list[list[list[str]]] = [[] for _ in range(len(order))]
    for kind, c in enumerate(CHAINS):
        tbs = np.flatnonzero(chain == kind)
        n = len(tbs)
        sent = invite[tbs] // S + 86400 + rng.integers(3600, 30 * 3600, n)
        for hop, (provider, status, upstream) in enumerate(c.stated, start=1):
            took = _took(provider, n, rng)
            answered = took >= 0
            notes = _NOTES.get(status, ("",))
            note = np.array(notes)[rng.integers(0, len(notes), n)]
            sent_text = times(sent * S, "UTC", _ISO).to_pylist()
            got_text = times((sent + took) * S, "UTC", _ISO).to_pylist()
            for j, tb in enumerate(tbs):
                by_tb[tb].append([ids[tb], campaign[tb], call_time[tb], calling[tb], called[tb],
                                  str(hop), provider, upstream, status, sent_text[j],
                                  got_text[j] if answered[j] else "", str(note[j])])
            sent = np.where(answered, sent + took + rng.integers(600, 4 * 3600, n), sent)
    return [row for rows in by_tb for row in rows]


def read_records(csv_text: str) -> list[dict[str, str]]:
    """tracebacks.csv as written, one dict per record."""
    return list(csv.DictReader(io.StringIO(csv_text)))


def response_facts(records: list[dict[str, str]]) -> dict[str, dict[str, Any]]:
    """Per provider over every record: answered, late against the strict 24-hour clock,
    never answered, median hours to answer. The case sets no business-hours deferral."""
    out: dict[str, dict[str, Any]] = {}
    hours: dict[str, list[float]] = defaultdict(list)
    for r in records:
        f = out.setdefault(r["provider"], {"records": 0, "answered": 0, "refused": 0, "late": 0,
                                           "no_response": 0, "median_hours": None})
        f["records"] += 1
        if not r["responded_at"]:
            f["no_response"] += r["status"] == "no_response"
            continue
        took = (to_us(r["responded_at"]) - to_us(r["notified_at"])) / S / 3600
        f["answered"] += 1  # every reply, refusals included (as the dossier counts them)
        f["refused"] += r["status"] == "refused"
        f["late"] += took > 24
        hours[r["provider"]].append(took)
    for p, h in hours.items():
        out[p]["median_hours"] = round(float(np.median(h)), 2)
    # a provider named upstream in a record that holds no answer of its own never answered
    # that request (the record stops there): counted as the dossiers count it
    by_tb: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in records:
        by_tb[r["traceback_id"]].append(r)
    for rows in by_tb.values():
        present = {r["provider"] for r in rows}
        for r in rows:
            up = r["upstream"]
            if r["status"] == "upstream_identified" and up and up not in present:
                f = out.setdefault(up, {"records": 0, "answered": 0, "refused": 0, "late": 0,
                                        "no_response": 0, "median_hours": None})
                f["no_response"] += 1
    return dict(sorted(out.items()))


def campaign_facts(records: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Per campaign over every record: tracebacks, identified origins, providers passed."""
    tbs: dict[str, set[str]] = defaultdict(set)
    origins: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    through: dict[str, Counter[str]] = defaultdict(Counter)
    seen: set[tuple[str, str]] = set()
    for r in records:
        name, tb = r["campaign"], r["traceback_id"]
        tbs[name].add(tb)
        if (tb, r["provider"]) not in seen:
            seen.add((tb, r["provider"]))
            through[name][r["provider"]] += 1
        if r["status"] == "originator":
            origins[name][(r["provider"], r["upstream"])] += 1
    return [{"campaign": name, "tracebacks": len(ids),
             "origins": [{"provider": p, "customer": c, "tracebacks": n}
                         for (p, c), n in origins[name].most_common()],
             "providers": dict(through[name].most_common())}
            for name, ids in sorted(tbs.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
