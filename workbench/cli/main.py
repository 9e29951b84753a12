"""`workbench` command line: the same operations the GUI runs, for scripts and checks."""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from workbench import __version__
from workbench.cli import analyze, campaigns, ingest, providers
from workbench.cli import batch as cli_batch
from workbench.cli import evidence as cli_evidence
from workbench.common.errors import InputError, WorkbenchError
from workbench.common.files import regular_file


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`workbench info --json | head`)
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a path the user gave: exists already, not writable, disk full
        print(f"error: {_os_error(exc)}", file=sys.stderr)
        return 2


def _os_error(exc: OSError) -> str:
    """An OSError in one line, naming the file (`--out` onto an existing folder, a full disk)."""
    where = ", ".join(str(f) for f in (exc.filename, exc.filename2) if f)
    what = exc.strerror or str(exc) or type(exc).__name__
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        what += " (a file is where a folder is needed: choose another path)"
    return f"{where}: {what}" if where else what


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="workbench", description="Traceback Workbench: trace "
                                "robocalls hop by hop through providers' CDRs.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command")

    t = sub.add_parser("trace", help="trace one call to its origin")
    cli_evidence.add_call_arguments(t)
    t.add_argument("--json", action="store_true", help="one JSON object on stdout")
    cli_batch.add_arguments(t)
    t.set_defaults(func=_cmd_trace)

    i = sub.add_parser("info", help="summarize each source of a case")
    i.add_argument("case")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=_cmd_info)

    g = sub.add_parser("generate", help="write a realistic fictional case of any size")
    g.add_argument("out")
    g.add_argument("--rows", type=int, default=20000, help="background rows per source")
    g.add_argument("--seed", type=int, default=7)
    g.add_argument("--tracebacks", type=int, default=0, metavar="T",
                   help="add T training tracebacks (a rotating-ANI customer, a slow and a "
                        "silent provider)")
    g.add_argument("--campaigns", type=int, default=None, metavar="K",
                   help="spread the training tracebacks over K campaigns (default 5)")
    g.set_defaults(func=_cmd_generate)

    f = sub.add_parser("formats", help="list the CDR format profiles")
    f.set_defaults(func=_cmd_formats)

    d = sub.add_parser("detect", help="rank the format profiles for a file and show the evidence")
    d.add_argument("file")
    d.add_argument("--rows", type=int, default=5, help="rows to show as read")
    d.set_defaults(func=_cmd_detect)

    cli_evidence.add_commands(sub)
    for command in (providers, analyze, campaigns, ingest):
        command.add_command(sub)
    return p


def _cmd_trace(args) -> int:
    if args.batch:
        return cli_batch.run(args)
    from workbench.investigation import Investigation
    from workbench.present.report_text import trace_table
    from workbench.present.trace_json import trace_json
    request = cli_evidence.request_from_args(args)
    inv = Investigation.open(args.case)
    result = inv.trace(request)
    cli_evidence.print_warnings(inv)
    if args.json:
        json.dump(trace_json(result), sys.stdout, indent=None)
        sys.stdout.write("\n")
    else:
        print(trace_table(result))
    return 0


def _cmd_info(args) -> int:
    from workbench.investigation import Investigation
    from workbench.investigation.zone_warnings import zone_warnings
    from workbench.present.report_text import info_text
    inv = Investigation.open(args.case)
    case, skew = inv.case, inv.skew()
    zones = zone_warnings(case, skew)
    if args.json:
        out = {"case": case.name, "sources": []}
        for s in case.sources:
            d = {"provider": s.provider, "path": s.config.path, "sha256": s.sha256,
                 **s.summary.to_dict()}
            d["skew"] = skew[s.id].to_dict() if s.id in skew else None
            if s.id in zones:
                d["zone_warning"] = zones[s.id]
            out["sources"].append(d)
        out["tracebacks"] = len(case.tracebacks)
        json.dump(out, sys.stdout, default=str)
        sys.stdout.write("\n")
    else:
        print(info_text(case, skew, zones))
    return 0


def _cmd_generate(args) -> int:
    from workbench.generate import generate_case
    out = generate_case(Path(args.out), rows=args.rows, seed=args.seed,
                        tracebacks=args.tracebacks, campaigns=args.campaigns)
    print(f"case written to {out}")
    return 0


def _cmd_formats(args) -> int:
    from workbench.ingest import formats
    for p in sorted(formats.profiles(), key=lambda p: p.name):
        mark = "" if p.confirmed else "  (layout unconfirmed: implemented as documented)"
        print(f"{p.name:16} {p.title}{mark}")
    return 0


def _cmd_detect(args) -> int:
    import pyarrow as pa
    path = Path(args.file)
    if path.is_dir():
        raise InputError("this is a folder: give one CDR file (join per-call documents into one "
                         "file first)", file=str(path))
    regular_file(path)  # a FIFO or device would never end
    try:
        return _detect(path, args.rows)
    except WorkbenchError:
        raise
    except (*_READ_ERRORS, pa.ArrowException) as exc:  # the guard `info` has around a reader
        raise InputError(f"cannot read: {type(exc).__name__}: {exc}", file=str(path)) from None


#: What a reader may raise on a damaged file; `load_source` turns the same into InputError.
_READ_ERRORS = (ValueError, KeyError, IndexError, LookupError, OverflowError, RecursionError,
                UnicodeError, csv.Error, ArithmeticError, EOFError)


def _detect(path: Path, rows: int) -> int:
    from workbench.ingest import formats
    from workbench.ingest.formats.base import ReadOptions
    ranked = formats.detect(path)
    if not ranked:
        print("no profile recognizes this file")
    for d in ranked:
        print(f"{d.format:16} score {d.score:.2f}")
        for e in d.evidence:
            print(f"    - {e}")
    chosen = formats.choose(path)
    print(f"\nchosen: {chosen.format}")
    parsed = formats.get(chosen.format).read(path, ReadOptions())
    names = [n for n in parsed.columns]
    print(f"first {min(rows, len(parsed))} rows as read:")
    for i in range(min(rows, len(parsed))):
        vals = {n: parsed.columns[n][i].as_py() for n in names}
        print(f"  line {int(parsed.lines[i])}: " +
              ", ".join(f"{k}={v}" for k, v in vals.items() if v not in (None, "")))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
