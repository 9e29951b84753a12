"""Evidence subcommands: export, verify, audit, reply (the same functions the workbench calls)."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.common.errors import InputError

if TYPE_CHECKING:
    from workbench.investigation import Investigation, TraceRequest

REDACT = ("none", "consumer", "training")  # evidence.redact.PROFILES, without importing reportlab


def add_call_arguments(p) -> None:
    """The case and the call to trace, as `trace` and `export` take them."""
    p.add_argument("case", help="case folder or its case.toml")
    p.add_argument("--calling", help="calling number, any written form")
    p.add_argument("--called", help="called number, any written form")
    p.add_argument("--at", help="call time at the terminating provider, ISO 8601 with offset or Z")
    p.add_argument("--traceback", help="take the call from this traceback record")
    p.add_argument("--tolerance", type=float, default=None,
                   help="seconds (default: the case's tolerance_s, else 60)")
    p.add_argument("--from", dest="from_provider", help="force the first (terminating) provider")


def request_from_args(args) -> TraceRequest:
    """The call named by the arguments of `add_call_arguments` (InputError if they clash)."""
    from workbench.investigation import TraceRequest
    return TraceRequest(traceback_id=args.traceback, calling=args.calling or "",
                        called=args.called or "", at=args.at or "",
                        from_provider=args.from_provider, tolerance_s=args.tolerance)


def print_warnings(inv: Investigation) -> None:
    """What was done but not logged, on stderr: the exit status stays that of the action."""
    for w in inv.take_warnings():
        print(f"warning: {w}", file=sys.stderr)


def add_commands(sub) -> None:
    """Register `export`, `verify`, `audit` and `reply` on the `workbench` parser."""
    e = sub.add_parser("export", help="write the evidence packet (zipped BagIt bag) of one call, "
                                      "or with --provider of one provider across the case")
    add_call_arguments(e)
    e.add_argument("--provider", metavar="NAME",
                   help="a provider packet instead of a call packet: the provider's dossier, "
                        "the analysis of its traffic per ingress and every traceback it appears "
                        "in (each traced); not with --traceback/--calling/--called/--at/--from/"
                        "--tolerance/--include-sources")
    e.add_argument("--rmd", nargs="+", metavar="FILE",
                   help="with --provider: RMD CSV downloads, oldest first (default: the case's "
                        "[case] rmd)")
    e.add_argument("--dno", metavar="FILE",
                   help="with --provider: a Do-Not-Originate list (default: the case's [case] dno)")
    e.add_argument("--out", required=True, help="the packet to write, e.g. packet.zip")
    e.add_argument("--investigator", help="who is making the packet (recorded in it)")
    e.add_argument("--redact", choices=REDACT, default="none",
                   help="none; consumer: called numbers masked to their last four digits; "
                        "training: consumer plus customer names replaced")
    e.add_argument("--include-sources", action="store_true",
                   help="add the whole original CDR files the chain's evidence comes from")
    e.set_defaults(func=_cmd_export)

    v = sub.add_parser("verify", help="check a packet: exit 0 valid, 1 naming what changed")
    v.add_argument("packet", help="the packet .zip")
    v.add_argument("--quick", action="store_true",
                   help="skip the second opinion of the bagit validator")
    v.set_defaults(func=_cmd_verify)

    a = sub.add_parser("audit", help="show the case's audit trail; --verify checks its hash chain")
    a.add_argument("case", help="case folder or its case.toml")
    a.add_argument("--verify", action="store_true", help="exit 1 if an entry was removed or edited")
    a.add_argument("--json", action="store_true", help="the entries as JSON lines")
    a.set_defaults(func=_cmd_audit)

    r = sub.add_parser("reply", help="draft a provider's answer to a traceback request (.docx)")
    r.add_argument("case", help="case folder or its case.toml")
    r.add_argument("--traceback", required=True, help="traceback id")
    r.add_argument("--provider", required=True, help="the responding provider (name or alias)")
    r.add_argument("--out", required=True, help="the .docx to write")
    r.add_argument("--received-at", help="when the request arrived (ISO 8601; default: the "
                                         "notification time in the traceback record)")
    s = r.add_argument_group(
        "suspension (originating provider only)",
        "State in sections 3 and 5 which customer the originating provider suspended, when and "
        "on what evidence, with that customer's traffic in the provider's CDRs (calls, distinct "
        "calling numbers, share under 6 s). Refused (exit 2) when the provider is not the "
        "originator of the traceback's chain. Without these options the draft is unchanged.")
    s.add_argument("--suspended", metavar="CUSTOMER",
                   help="the suspended customer: its name or account (ingress) id")
    s.add_argument("--suspended-at", metavar="ISO",
                   help="when its traffic was suspended, ISO 8601 (e.g. 2026-05-17T14:05:00Z; "
                        "a time without an offset is read in the provider's time zone)")
    s.add_argument("--evidence", metavar="TEXT",
                   help="the evidence the suspension rests on, in a sentence or two")
    r.set_defaults(func=_cmd_reply)


def _cmd_export(args) -> int:
    import zipfile  # only exports read a packet back: off the trace path

    from workbench.investigation import Investigation
    t0 = time.perf_counter()
    if args.provider is not None:
        return _export_provider(args, t0)
    if args.rmd or args.dno:
        raise InputError("--rmd and --dno belong to a provider packet: give --provider NAME",
                         field="rmd" if args.rmd else "dno")
    request = request_from_args(args)
    inv = Investigation.open(args.case)
    done = inv.export(request, Path(args.out), investigator=args.investigator,
                      redact=args.redact, include_sources=args.include_sources)
    with zipfile.ZipFile(done.path) as zf:
        members = len(zf.namelist())
    size = done.path.stat().st_size
    print(f"packet written: {done.path}  ({size / 1024:.0f} KiB, {members} files, outcome "
          f"{done.result.outcome}, {time.perf_counter() - t0:.1f} s)")
    return 0


#: The call arguments a provider packet does not take, by their option names.
CALL_OPTIONS = {"traceback": "--traceback", "calling": "--calling", "called": "--called",
                "at": "--at", "from_provider": "--from", "tolerance": "--tolerance",
                "include_sources": "--include-sources"}


def _export_provider(args, t0: float) -> int:
    import zipfile

    from workbench.investigation import Investigation
    clash = [opt for key, opt in CALL_OPTIONS.items() if getattr(args, key, None)]
    if clash:
        raise InputError(f"--provider writes a provider packet: it cannot be combined with "
                         f"{', '.join(clash)} (those name one call)", field="provider")
    if not args.provider.strip():
        raise InputError("give the provider's name or alias", field="provider")
    inv = Investigation.open(args.case)
    done = inv.export_provider(args.provider, Path(args.out), investigator=args.investigator,
                               redact=args.redact, rmd=args.rmd, dno=args.dno)
    print_warnings(inv)
    with zipfile.ZipFile(done.path) as zf:
        members = len(zf.namelist())
    size = done.path.stat().st_size
    print(f"provider packet written: {done.path}  ({size / 1024:.0f} KiB, {members} files, "
          f"{done.provider}, {len(done.results)} traceback(s) traced, "
          f"{time.perf_counter() - t0:.1f} s)")
    return 0


def _cmd_verify(args) -> int:
    from workbench.evidence import verify_packet
    res = verify_packet(Path(args.packet), deep=not args.quick)
    if res.ok:
        info = res.info
        print(f"valid: {args.packet} — {res.members} files; case '{info.get('Case-Name', '?')}', "
              f"created {info.get('Created-UTC', '?')} (UTC) by {info.get('Investigator', '?')}, "
              f"{info.get('Tool-Version', '?')}")
        return 0
    print(f"INVALID: {args.packet}")
    for p in res.problems:
        print(f"  {p}")
    return 1


def _cmd_audit(args) -> int:
    from workbench.case.audit import audit_path, check_audit, summary_of
    from workbench.ingest.config import case_path
    root = case_path(args.case).parent
    log = audit_path(root)
    entries, problems = check_audit(root)
    if args.json:
        for e in entries:
            sys.stdout.write(json.dumps(e, ensure_ascii=False) + "\n")
    elif not args.verify:
        if not entries:
            print(f"no audit entries yet in {log}")
        for e in entries:
            print(f"{e.get('seq')!s:>4}  {e.get('time')}  {e.get('actor')}  {e.get('action')}: "
                  f"{summary_of(e)}")
    if not args.verify:
        return 0
    if not problems:
        print(f"audit chain intact: {len(entries)} entries in {log}")
        return 0
    print(f"AUDIT CHAIN BROKEN: {log}")
    for p in problems:
        print(f"  {p}")
    return 1


def _cmd_reply(args) -> int:
    from workbench.investigation import Investigation
    inv = Investigation.open(args.case)
    out = inv.reply(args.traceback, args.provider, Path(args.out), received_at=args.received_at,
                    suspended=args.suspended, suspended_at=args.suspended_at,
                    evidence=args.evidence)
    print(f"reply draft written: {out}")
    return 0
