"""`workbench analyze`: the JSON contract and the plain-text table of a traffic analysis.

The JSON keys of the issue are fixed (outside checks read them): ``provider`` and
``ingresses`` with ``ingress``, ``name``, ``kind``, ``calls``, ``distinct_calling``,
``short_share``, ``neighbor_share``, ``answer_rate``, ``score`` and ``reasons``, most
suspicious first. The other keys are additions.
"""
from __future__ import annotations

from typing import Any

from workbench.analytics.traffic import IngressStats, TrafficAnalysis


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def ingress_json(s: IngressStats) -> dict[str, Any]:
    return {"ingress": s.ingress, "name": s.name, "kind": s.kind, "calls": s.calls,
            "distinct_calling": s.distinct_calling, "short_share": _r(s.short_share),
            "neighbor_share": _r(s.neighbor_share), "answer_rate": _r(s.answer_rate),
            "score": s.score, "reasons": list(s.reasons),
            "peak_per_minute": s.peak_per_minute, "answered": s.answered,
            "distinct_called": s.distinct_called,
            "distinct_calling_per_called": _r(s.distinct_calling_per_called),
            "invalid_calling": s.invalid_calling, "unassigned_calling": s.unassigned_calling,
            "dno_hits": s.dno_hits, "attest_mix": dict(s.attest_mix),
            "in_tracebacks": s.in_tracebacks,
            "sources": [{"provider": sid.provider, "path": sid.path} for sid in s.sources]}


def traffic_json(a: TrafficAnalysis) -> dict[str, Any]:
    """The `analyze --json` document."""
    return {"provider": a.provider, "rows": a.rows,
            "sources": [{"provider": sid.provider, "path": sid.path} for sid in a.sources],
            "ingresses": [ingress_json(s) for s in a.ingresses], "notes": list(a.notes)}


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


HEADERS = ["#", "ingress", "kind", "name", "calls", "calling", "short", "answered",
           "neighbour", "invalid", "DNO", "TB", "peak/min", "attest A/B/C/none", "score"]


def traffic_table(a: TrafficAnalysis) -> str:
    """The ranked table, each row's reasons beneath it, then the notes."""
    rows = []
    for n, s in enumerate(a.ingresses, start=1):
        mix = "/".join(f"{s.attest_mix.get(k, 0):,}" for k in ("A", "B", "C", "none"))
        rows.append([str(n), s.ingress if s.ingress is not None else "(none)", s.kind,
                     s.name or "", f"{s.calls:,}", f"{s.distinct_calling:,}",
                     _pct(s.short_share), _pct(s.answer_rate), _pct(s.neighbor_share),
                     f"{s.invalid_calling:,}", f"{s.dno_hits:,}", f"{s.in_tracebacks:,}",
                     f"{s.peak_per_minute:,}", mix, f"{s.score:.1f}"])
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(HEADERS)]
    right = {0, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14}

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    title = (f"Traffic of {a.provider}: {a.rows:,} calls in {len(a.sources)} source(s), "
             f"{len(a.ingresses)} ingress id{'' if len(a.ingresses) == 1 else 's'}, most "
             "suspicious first")
    out = [title, "", line(HEADERS), "  ".join("-" * w for w in widths)]
    for cells, s in zip(rows, a.ingresses):
        out.append(line(cells))
        out += [f"      - {r}" for r in s.reasons]
    out += [""] + [f"note: {n}" for n in a.notes]
    return "\n".join(out)
