"""Core operations wrapped for the worker bridge: ``fn(..., progress, should_stop)``.

Each is a thin call into ``workbench``; nothing here touches a widget.
"""
from __future__ import annotations

from dataclasses import dataclass

from workbench.case.model import Case, load_case
from workbench.common.progress import check
from workbench.present.calls_query import SourceFrame, build_frames
from workbench.trace.engine import TraceResult, trace, trace_traceback


@dataclass
class LoadedCase:
    case: Case
    frames: list[SourceFrame]


def load(path, *, progress, should_stop) -> LoadedCase:
    case = load_case(path, progress=lambda f, m: progress(0.9 * f, m), should_stop=should_stop)
    check(should_stop)
    progress(0.92, "preparing the calls table")
    frames = build_frames(case)
    progress(1.0, f"{case.name}: {sum(len(s) for s in case.sources):,} records")
    return LoadedCase(case, frames)


def estimate_skew(case: Case, *, progress, should_stop) -> dict:
    return case.skew(progress, should_stop)


@dataclass
class TraceRequest:
    """What the investigator asked to trace (kept so a trace can be re-run after edits)."""

    traceback_id: str | None = None
    calling: str = ""
    called: str = ""
    at: str | int = ""
    from_provider: str | None = None
    tolerance_s: float | None = None

    def describe(self) -> str:
        if self.traceback_id:
            return f"traceback {self.traceback_id}"
        return f"{self.calling or '?'} → {self.called}"


def run_trace(case: Case, req: TraceRequest, *, audit: bool = True, progress,
              should_stop) -> TraceResult:
    result = _trace(case, req, progress=progress, should_stop=should_stop)
    if audit:  # the same audit entry the command line writes for a trace
        try:
            from workbench.case.audit import append_event
            append_event(case.root, "trace", {"call": result.to_json()["call"],
                                              "outcome": result.outcome,
                                              "traceback": req.traceback_id, "via": "gui"})
        except (ImportError, OSError):
            pass  # a read-only case folder (e.g. the installed sample) still traces
    return result


def _trace(case: Case, req: TraceRequest, *, progress, should_stop) -> TraceResult:
    progress(0.05, f"tracing {req.describe()}")
    case.skew(lambda f, m: progress(0.05 + 0.6 * f, m), should_stop)  # cached after the first
    check(should_stop)
    progress(0.7, f"following {req.describe()} hop by hop")
    if req.traceback_id:
        return trace_traceback(case, req.traceback_id, tolerance_s=req.tolerance_s,
                               from_provider=req.from_provider)
    return trace(case, calling=req.calling, called=req.called, at=req.at,
                 tolerance_s=req.tolerance_s, from_provider=req.from_provider)
