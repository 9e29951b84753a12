"""Exporting the evidence packet of one provider across the case (CLI and workbench call this).

The same rules as the call packet: a zipped BagIt bag with SHA-256 and SHA-512 manifests,
written atomically, provenance in bag-info.txt, redaction proven by re-reading every
member, the export on record in the audit trail before and after.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.case.audit import append_event, prepare_action
from workbench.case.model import Case
from workbench.columns.times import US, iso_utc
from workbench.common.hashing import sha256_file
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.trace.results import TraceResult

from .model import NOTICE
from .packet import BAG_EXPLAINED, audit_member, bag_info, check_output, seal_and_write
from .provider_model import ProviderPacketView, SkewMap, TracebackTracer, build_provider_view
from .provider_report import provider_report_bytes
from .provider_workbook import provider_workbook_bytes

if TYPE_CHECKING:
    from workbench.ingest.dno import DnoList
    from workbench.ingest.rmd import Rmd


def export_provider_packet(case: Case, provider: str, out_path: str | Path, *,
                           tracer: TracebackTracer, investigator: str | None = None,
                           redact: str = "none", rmd: Rmd | None = None,
                           dno: DnoList | None = None, skew: SkewMap | None = None,
                           params: dict[str, Any] | None = None,
                           results: Sequence[TraceResult] = (),
                           progress: ProgressFn | None = None,
                           should_stop: StopFn | None = None) -> Path:
    """Write the zipped BagIt packet of `provider` to `out_path`; returns its path.

    ``tracer`` traces one traceback record through the investigation; ``rmd`` and ``dno``
    are a loaded RMD and Do-Not-Originate list (None: the RMD is not checked, the case's own
    DNO list is used); ``skew`` is the investigation's clock estimate; ``results`` are this
    session's traces (a traceback the provider appears on there is included)."""
    progress = progress or no_progress
    should_stop = should_stop or never_stop
    out = Path(out_path)
    check_output(out, redact, "provider.zip")
    prepare_action(case, "export", actor=investigator)  # logged, or refused now: not after
    created = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    params = {"provider": provider, "redact": redact, "investigator": investigator,
              **(params or {})}
    view = build_provider_view(case, provider, tracer=tracer, investigator=investigator,
                               redact=redact, params=params, rmd=rmd, dno=dno, skew=skew,
                               results=results,
                               progress=lambda f, m: progress(0.7 * f, m),
                               should_stop=should_stop,
                               created_us=int(created.timestamp()) * US)
    progress(0.7, "rendering the report and workbook")
    payload = _payload(view, should_stop)
    progress(0.8, "writing the bag")
    path = seal_and_write(view, payload, _bag_info(view, created), out, created,
                          progress=lambda f, m: progress(0.8 + 0.18 * f, m),
                          should_stop=should_stop)
    append_event(case.root, "export", {
        "kind": "provider packet", "packet": str(path), "packet_sha256": sha256_file(path),
        "provider": view.provider,
        "tracebacks": [{"traceback": e.traceback_id, "outcome": e.outcome}
                       for e in view.tracebacks],
        "redact": redact, "investigator": investigator, "members": len(payload),
        "created": iso_utc(int(created.timestamp()) * US, 0)}, actor=investigator or None)
    progress(1.0, f"packet written: {path.name}")
    return path


def _payload(view: ProviderPacketView, should_stop: StopFn) -> dict[str, bytes | Path]:
    payload: dict[str, bytes | Path] = {}
    payload["report.pdf"] = provider_report_bytes(view)
    check(should_stop)
    payload["workbook.xlsx"] = provider_workbook_bytes(view)
    payload["dossier.json"] = _json(view.dossier)
    payload["analysis.json"] = _json(view.analysis)
    for name, text in (("dossier.txt", view.dossier_text), ("analysis.txt", view.analysis_text)):
        if text:
            payload[name] = (text.rstrip("\n") + "\n").encode("utf-8")
    for e in view.tracebacks:
        base = f"tracebacks/{e.folder}/"
        payload[base + "record.json"] = _json({
            "traceback_id": e.traceback_id, "campaign": e.campaign, "call": e.call,
            "rows": e.record, "provider_row": e.own,
            "response_clock": (dict(e.clock.to_dict(), verdict=e.clock.verdict())
                               if e.clock else None)})
        if e.trace is not None:
            payload[base + "trace.json"] = _json(e.trace)
        if e.cdr_lines:
            payload[base + "cdr.txt"] = _cdr_text(view, e).encode("utf-8")
    payload["tracebacks/index.json"] = _json([{
        "traceback_id": e.traceback_id, "folder": f"tracebacks/{e.folder}/",
        "campaign": e.campaign, "appears_in": e.appears_as, "outcome": e.outcome,
        "not_traced": e.untraced, "hop": e.hop.get("n") if e.hop else None,
        "role": e.hop.get("role") if e.hop else None,
        "record_status": (e.own or {}).get("status")} for e in view.tracebacks])
    payload["sources.sha256"] = "".join(f"{s.sha256_export}  {s.path}\n"
                                        for s in view.sources).encode("utf-8")
    payload["redaction.json"] = _json(view.redactor.describe())
    audit = audit_member(view)
    if audit is not None:
        payload["audit.jsonl"] = audit
    payload["README.txt"] = _readme(view, sorted(payload)).encode("utf-8")
    return dict(sorted(payload.items()))


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def _cdr_text(view: ProviderPacketView, e: Any) -> str:
    src = e.cdr_source
    head = [f"# {view.provider}'s record of the call of traceback {e.traceback_id}, verbatim",
            f"# Source: {src.path if src else e.hop.get('source')}"]
    if src is not None:
        head.append(f"# SHA-256 of the whole original file: {src.sha256_export}")
    head.append("# Each line: the 1-based line number in the original, a tab, the line exactly "
                "as in the file (re-encoded as UTF-8).")
    if view.profile != "none":
        head.append(f"# REDACTED ({view.profile}): {view.profile_words}")
    body = [f"{n}\t{text if text is not None else '(line not readable)'}"
            for n, text in e.cdr_lines]
    return "\n".join(head + body) + "\n"


def _bag_info(view: ProviderPacketView, created: _dt.datetime) -> dict[str, str]:
    return bag_info(view, created, f"Robocall traceback provider packet: case "
                    f"'{view.case_name}', provider {view.provider}: dossier, traffic analysis "
                    f"and {len(view.tracebacks)} traceback(s)", packet_id(view),
                    {"Provider": view.provider, "Tracebacks": str(len(view.tracebacks))})


def packet_id(view: ProviderPacketView) -> str:
    blob = f"{view.case_folder}|provider|{view.provider}|{view.created_utc}"
    return "twb-" + hashlib.sha256(blob.encode()).hexdigest()[:20]


def _readme(view: ProviderPacketView, members: list[str]) -> str:
    lines = [
        "PROVIDER EVIDENCE PACKET",
        "",
        f"Case: {view.case_name}",
        f"Provider: {view.provider}",
        f"Tracebacks it appears in: {len(view.tracebacks)}",
        f"Created: {view.created_utc} (UTC) by {view.investigator or view.exported_by} with "
        f"{view.tool}",
        f"Redaction: {view.profile} — {view.profile_words}",
        "",
        BAG_EXPLAINED,
        "Check it with `workbench verify PACKET.zip`, or unzip it and run any BagIt validator.",
        "",
        "Contents of data/:",
        "  report.pdf      the readable report: the provider, its dossier and concerns, the",
        "                  analysis of its traffic per ingress, its tracebacks, its CDR files",
        "  workbook.xlsx   sheets Summary, Dossier, Ingresses, Tracebacks, Records, Sources, Audit",
        "  dossier.json    the provider's dossier as `workbench providers --json` lists it",
        "  dossier.txt     its row of the `workbench providers` table, with its concerns",
        "  analysis.json   its traffic per ingress as `workbench analyze --json` prints it",
        "  analysis.txt    the same as the `workbench analyze` table, with each row's reasons",
        "  tracebacks/     per traceback: record.json (the record's rows, the provider's answer",
        "                  against the 24-hour clock), trace.json (the trace as `workbench trace",
        "                  --json` prints it, where the case can trace it), cdr.txt (the",
        "                  provider's own record of the call, verbatim); index.json lists them",
        "  sources.sha256  the provider's CDR files (`sha256sum -c` beside the originals)",
        "  redaction.json  what was redacted, by which rule",
    ]
    if "audit.jsonl" in members:
        lines.append("  audit.jsonl     the case's hash-chained audit log at export time")
    lines += ["", NOTICE, ""]
    return "\n".join(lines)
