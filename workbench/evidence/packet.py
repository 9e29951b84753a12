"""Exporting the evidence packet of one traced call (the CLI and the workbench call this)."""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import bagit

from workbench.case.audit import append_event, prepare_action
from workbench.case.model import Case
from workbench.columns.times import US, iso_utc
from workbench.common.errors import InputError
from workbench.common.files import regular_file
from workbench.common.hashing import sha256_file
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.present.trace_json import call_json
from workbench.trace.results import TraceResult

from .. import __version__
from .bag import ALGORITHMS, packet_folder, write_packet_zip
from .chain_image import layout, render_png, render_svg
from .excerpts import excerpt_name, excerpt_text, sums_text
from .graphml import graphml_bytes
from .model import NOTICE, PacketView, build_view
from .redact import PROFILES, prove_redacted
from .report_pdf import report_bytes
from .workbook import workbook_bytes

#: What a reader of any packet's README.txt is told about the bag it holds.
BAG_EXPLAINED = (
    "This is a BagIt bag (RFC 8493). Every file under data/ is listed with its SHA-256 in "
    "manifest-sha256.txt and its SHA-512 in manifest-sha512.txt; the tag files are listed in "
    "tagmanifest-sha256.txt and tagmanifest-sha512.txt; bag-info.txt says who made it, when, "
    "with which tool and parameters.")


def export_packet(case: Case, result: TraceResult, out_path: str | Path, *,
                  investigator: str | None = None, redact: str = "none",
                  include_sources: bool = False, progress: ProgressFn | None = None,
                  should_stop: StopFn | None = None) -> Path:
    """Write the zipped BagIt evidence packet of `result` to `out_path`; returns its path."""
    progress = progress or no_progress
    should_stop = should_stop or never_stop
    out = Path(out_path)
    check_output(out, redact, "packet.zip")
    if include_sources and redact != "none":
        raise InputError("--include-sources cannot be combined with redaction: the original "
                         "files hold every called number (the excerpts carry their SHA-256)",
                         field="include-sources")
    prepare_action(case, "export", actor=investigator)  # logged, or refused now: not after
    params = {"traceback": result.traceback_id, "calling": result.calling,
              "called": result.called, "at": iso_utc(result.at_us),
              "tolerance_s": result.tolerance_s, "redact": redact,
              "include_sources": include_sources, "investigator": investigator}
    created = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    created_us = int(created.timestamp()) * US
    view = build_view(case, result, investigator=investigator, redact=redact, params=params,
                      progress=lambda f, m: progress(0.4 * f, m), should_stop=should_stop,
                      created_us=created_us)
    progress(0.4, "rendering the report, workbook and drawings")
    payload = _payload(view, include_sources, should_stop)
    progress(0.6, "writing the bag")
    path = seal_and_write(view, payload, _bag_info(view, created), out, created,
                          progress=lambda f, m: progress(0.6 + 0.38 * f, m),
                          should_stop=should_stop)
    digest = sha256_file(path)
    append_event(case.root, "export", {
        "packet": str(path), "packet_sha256": digest, "traceback": result.traceback_id,
        "call": call_json(result), "outcome": str(result.outcome), "redact": redact,
        "include_sources": include_sources, "investigator": investigator,
        "members": len(payload), "created": iso_utc(created_us, 0)},
        actor=investigator or None)
    progress(1.0, f"packet written: {path.name}")
    return path


def _payload(view: PacketView, include_sources: bool, should_stop: StopFn) -> dict[str, bytes | Path]:
    payload: dict[str, bytes | Path] = {}
    used_copies: set[str] = set()
    for i, src in enumerate(view.sources, start=1):
        if src.in_chain:
            src.excerpt = excerpt_name(i, src)
            if include_sources:
                src.copy = _copy_name(src.path, used_copies)
                # copied whole into the packet: never a FIFO or device (the copy would not end)
                payload[src.copy] = regular_file(src.file, what="source file")
    lay = layout(view)
    payload["report.pdf"] = report_bytes(view)
    check(should_stop)
    payload["workbook.xlsx"] = workbook_bytes(view)
    payload["trace.json"] = (json.dumps(view.trace, indent=2, ensure_ascii=False) + "\n").encode()
    payload["chain.graphml"] = graphml_bytes(view)
    payload["chain.png"] = render_png(lay)
    payload["chain.svg"] = render_svg(lay).encode("utf-8")
    check(should_stop)
    for src in view.sources:
        if src.excerpt:
            payload[src.excerpt] = excerpt_text(view, src).encode("utf-8")
    payload["excerpts/originals.sha256"] = sums_text(view).encode("utf-8")
    payload["redaction.json"] = (json.dumps(view.redactor.describe(), indent=2) + "\n").encode()
    audit = audit_member(view)
    if audit is not None:
        payload["audit.jsonl"] = audit
    payload["README.txt"] = _readme(view, sorted(payload)).encode("utf-8")
    return dict(sorted(payload.items()))


def _copy_name(path: str, used: set[str]) -> str:
    parts = [p for p in re.split(r"[\\/]+", path) if p not in ("", ".")]
    if not parts or ".." in parts or re.match(r"^[A-Za-z]:", path) or path.startswith(("/", "\\")):
        parts = ["external", parts[-1] if parts else "source"]
    name = "sources/" + "/".join(re.sub(r"[^A-Za-z0-9._ -]+", "_", p) for p in parts)
    base, n = name, 2
    while name in used:
        name = f"{base}.{n}"
        n += 1
    used.add(name)
    return name


def _bag_info(view: PacketView, created: _dt.datetime) -> dict[str, str]:
    call = view.call
    return bag_info(view, created, f"Robocall traceback evidence packet: case "
                    f"'{view.case_name}', "
                    f"{'traceback ' + view.traceback_id if view.traceback_id else 'ad-hoc trace'}"
                    f", call {call.get('calling')} -> {call.get('called')} at "
                    f"{call.get('at_utc')} (UTC), outcome {view.outcome}", packet_id(view),
                    {"Traceback-ID": view.traceback_id or ""})


# -- shared by every kind of packet (the call packet here, the provider packet) ---------------

def check_output(out: Path, redact: str, example: str) -> None:
    """A known redaction profile and an output that is not a folder, before any work."""
    if redact not in PROFILES:
        raise InputError(f"unknown redaction profile '{redact}' (known: {', '.join(PROFILES)})",
                         field="redact")
    if out.is_dir():
        raise InputError(f"the output is a folder; give a file name such as {example}",
                         file=str(out), field="out")


def bag_info(view: Any, created: _dt.datetime, description: str, identifier: str,
             specific: dict[str, str]) -> dict[str, str]:
    """bag-info.txt: who made the packet, when, with which tool, parameters and redaction,
    and the audit trail's head; ``specific`` names what the packet is about."""
    return {
        "Contact-Name": view.investigator or "",
        "External-Description": view.redactor.text(description),
        "External-Identifier": identifier,
        "Bagging-Date": created.strftime("%Y-%m-%d"),
        "Bag-Software-Agent": f"Traceback Workbench {__version__} (bagit.py {bagit.VERSION})",
        "Case-Name": view.case_name,
        "Case-Folder": view.case_folder,
        **specific,
        "Investigator": view.investigator or "(not given)",
        "Exported-By": view.exported_by,
        "Tool-Version": f"traceback-workbench {__version__}",
        "Created-UTC": view.created_utc,
        "Export-Parameters": json.dumps(view.params, ensure_ascii=False, sort_keys=True,
                                        default=str),
        "Redaction-Profile": f"{view.profile}: {view.profile_words}",
        "Audit-Log-Head": f"{view.audit_head[0]} entries; last entry SHA-256 "
                          f"{view.audit_head[1]}; chain {'intact' if view.audit_ok else 'BROKEN'}",
        "Manifest-Algorithms": " ".join(ALGORITHMS),
    }


def audit_member(view: Any) -> bytes | None:
    """The case's audit trail as a member (unredacted packets only: it names numbers)."""
    if view.profile != "none" or not view.audit:
        return None
    return "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n"
                   for e in view.audit).encode("utf-8")


def seal_and_write(view: Any, payload: dict[str, bytes | Path], info: dict[str, str],
                   out: Path, created: _dt.datetime, *, progress: ProgressFn,
                   should_stop: StopFn) -> Path:
    """Refuse a packet that leaks what its redaction hides, then write the zipped bag."""
    if view.redactor.active:
        prove_redacted(view.redactor, view.profile, payload, info)
    folder = packet_folder(Path(view.redactor.text(out.name)))  # member names hide it too
    return write_packet_zip(payload, out, info, created=created, folder=folder,
                            progress=progress, should_stop=should_stop)


def packet_id(view: PacketView) -> str:
    blob = f"{view.case_folder}|{view.traceback_id}|{view.created_utc}|{view.call}"
    return "twb-" + hashlib.sha256(blob.encode()).hexdigest()[:20]


def _readme(view: PacketView, members: list[str]) -> str:
    folder = "the packet folder"
    lines = [
        "TRACEBACK EVIDENCE PACKET",
        "",
        f"Case: {view.case_name}",
        f"Traceback: {view.traceback_id or '(ad-hoc trace)'}",
        f"Call: {view.call.get('calling')} -> {view.call.get('called')} at "
        f"{view.call.get('at_utc')} (UTC)",
        f"Outcome: {view.outcome_words}",
        f"Created: {view.created_utc} (UTC) by {view.investigator or view.exported_by} with "
        f"{view.tool}",
        f"Redaction: {view.profile} — {view.profile_words}",
        "",
        BAG_EXPLAINED,
        f"Check it with `workbench verify PACKET.zip`, or unzip it and run any BagIt validator "
        f"(e.g. `bagit.py --validate {folder}`).",
        "",
        "Contents of data/:",
        "  report.pdf     the readable report: call, chain, hops, evidence lines, 24-hour clock,",
        "                 disagreements, SHAKEN, clock skew, sources with SHA-256, audit trail",
        "  workbook.xlsx  sheets Summary, Chain, Evidence, Providers, Sources, Audit (times UTC)",
        "  trace.json     the trace as `workbench trace --json` prints it",
        "  chain.graphml  the chain as a graph (Gephi, Cytoscape, yEd)",
        "  chain.png/svg  the chain drawing",
        "  excerpts/      each source's quoted lines, verbatim, with line numbers, and",
        "                 originals.sha256 (`sha256sum -c` beside the providers' own copies)",
        "  redaction.json what was redacted, by which rule",
    ]
    if any(m.startswith("sources/") for m in members):
        lines.append("  sources/       the whole original CDR files the chain's evidence comes from")
    if "audit.jsonl" in members:
        lines.append("  audit.jsonl    the case's hash-chained audit log at export time")
    lines += ["", NOTICE, ""]
    return "\n".join(lines)

