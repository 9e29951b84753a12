"""Provider dossiers as the `providers --json` contract and as a ranked plain-text table.

The JSON keys of the issue are fixed (`name`, `tracebacks`, `roles`, `responses`,
`contradicted`, `rmd`, `rmd_status`, `concerns`); the others are additions.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workbench.analytics.dossier import ROLES, Dossier, Named
from workbench.analytics.rmd_match import RmdMatch
from workbench.ingest.rmd import Rmd

ROLE_LETTERS = {"terminating": "T", "transit": "X", "gateway": "G", "originator": "O"}


def dossiers_json(dossiers: Sequence[Dossier], rmd: Rmd | None = None) -> dict[str, Any]:
    """{"providers": [...], "rmd": {...}}: most concerning provider first."""
    out: dict[str, Any] = {"providers": [dossier_json(d) for d in dossiers]}
    out["rmd"] = rmd_json(rmd)
    return out


def dossier_json(d: Dossier) -> dict[str, Any]:
    r = d.responses
    return {
        "name": d.name, "rank": d.rank, "score": d.score, "tracebacks": d.tracebacks,
        "traces": d.traces, "roles": {k: d.roles[k] for k in ROLES},
        "responses": {"requests": r.requests, "answered": r.answered, "refused": r.refused,
                      "late": r.late, "no_response": r.no_response, "pending": r.pending,
                      "median_hours": None if r.median_hours is None
                      else round(r.median_hours, 2)},
        "contradicted": d.contradicted, "rmd": d.rmd, "rmd_status": d.rmd_status,
        "rmd_match": match_json(d.rmd_match), "foreign": d.foreign,
        "concerns": list(d.concerns),
        "named_upstreams": [_named(n) for n in d.named_upstreams],
        "named_customers": [{"name": n.name, "count": n.count} for n in d.named_customers],
        "cdr_upstreams": [_named(n) for n in d.cdr_upstreams],
        "cdr_customers": [{"name": n.name, "count": n.count} for n in d.cdr_customers],
    }


def match_json(m: RmdMatch | None) -> dict[str, Any] | None:
    """How a provider was matched to its RMD filing, and what the filing says, as written."""
    if m is None:
        return None
    f = m.filer
    return {"basis": m.basis, "number": m.number, "status": m.status,
            "business_name": f.business_name if f else None, "matched_name": m.matched_name,
            "frn": f.frn if f else None, "implementation": m.implementation,
            "roles": m.roles, "foreign_voice_provider": f.get("foreign_voice_provider") if f
            else None, "country": f.country if f else None,
            "last_updated": f.last_updated if f else None, "last_listed": m.last_listed,
            "alternatives": list(m.alternatives), "note": m.note}


def rmd_json(rmd: Rmd | None) -> dict[str, Any] | None:
    if rmd is None:
        return None
    return {"snapshots": [{"file": str(s.path), "date": s.date, "date_basis": s.date_basis,
                           "filers": len(s.filers)} for s in rmd.snapshots]}


def dossiers_table(dossiers: Sequence[Dossier], rmd: Rmd | None = None) -> str:
    """A ranked table, one row per provider, its concerns beneath it."""
    headers = ["#", "provider", "tbs", "roles T/X/G/O", "answered", "late", "no answer",
               "median h", "contradicted", "RMD", "RMD status", "STIR/SHAKEN claim"]
    rows = []
    for d in dossiers:
        r = d.responses
        roles = "/".join(str(d.roles[k]) for k in ROLES)
        claim = _short_claim(d.rmd_match.implementation) if d.rmd_match else ""
        rows.append([str(d.rank), d.name, str(d.tracebacks), roles,
                     f"{r.answered}/{r.requests}" if r.requests else "-", str(r.late),
                     str(r.no_response), "-" if r.median_hours is None
                     else f"{r.median_hours:.1f}", str(d.contradicted), d.rmd or "-",
                     (d.rmd_status or "-") if rmd is not None else "-",
                     claim])
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    lines = [_head(dossiers, rmd), "", _line(headers, widths),
             "  ".join("-" * w for w in widths)]
    for d, row in zip(dossiers, rows):
        lines.append(_line(row, widths))
        for c in d.concerns:
            lines.append(f"{'':{widths[0]}}    - {c}")
        lines += _rmd_lines(d, widths[0])
    lines += ["", "roles: T terminating, X transit, G gateway, O originator (tracebacks in "
              "each role); late: against the 24-hour response clock"]
    return "\n".join(lines)


def _head(dossiers: Sequence[Dossier], rmd: Rmd | None) -> str:
    flagged = sum(1 for d in dossiers if d.concerns)
    head = f"{len(dossiers)} providers, {flagged} with concerns (most concerning first)"
    if rmd is None:
        return head + "\nRMD: none loaded (give --rmd FILE or [case] rmd = \"...\")"
    snaps = "; ".join(s.label for s in rmd.snapshots)
    return head + f"\nRMD snapshots (oldest first): {snaps}"


def _rmd_lines(d: Dossier, indent: int) -> list[str]:
    m = d.rmd_match
    if m is None or m.basis is None:
        return [f"{'':{indent}}    · {m.note}"] if m is not None and m.note else []
    what = f"RMD {m.number} by {m.basis}"
    if m.matched_name and m.filer and m.matched_name != m.filer.business_name:
        what += f" ('{m.matched_name}', filed as '{m.filer.business_name}')"
    elif m.filer and m.basis != "business name":
        what += f" (filed as '{m.filer.business_name}')"
    roles = m.roles or {}
    chosen = [k for k, v in roles.items() if v.strip().lower() in ("yes", "true")]
    if roles:
        what += "; provider types: " + (", ".join(chosen) if chosen else "none chosen")
    out = [f"{'':{indent}}    · {what}"]
    if m.note:
        out.append(f"{'':{indent}}    · {m.note}")
    return out


def _short_claim(implementation: str | None) -> str:
    """"Complete/Partial/No STIR/SHAKEN Implementation…" -> complete/partial/none; other
    values as written."""
    if not implementation:
        return ""
    low = implementation.strip().lower()
    for word, short in (("complete", "complete"), ("partial", "partial"), ("no", "none")):
        if low.startswith(word + " stir/shaken"):
            return short
    return implementation.strip()


def _named(n: Named) -> dict[str, Any]:
    return {"name": n.name, "count": n.count, "rmd_status": n.rmd_status, "foreign": n.foreign}


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
