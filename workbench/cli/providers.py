"""`workbench providers CASE [--rmd FILE ...] [--json]`: provider dossiers, ranked.

Reads the case's traceback records, its audit log and the RMD downloads; it traces nothing
and reads no CDRs, so it stays fast on cases with millions of rows.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the model pulls in pyarrow and the store: imported when the command runs
    pass


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the `providers` sub-command."""
    p = sub.add_parser("providers", help="rank the case's providers: responses, roles, RMD",
                       description="Per provider, across every traceback record and every "
                       "trace in the audit log: roles, answers (late against the 24-hour "
                       "clock, never), answers its own CDRs contradict, the upstreams and "
                       "customers it named, its RMD status. Most concerning first.")
    p.add_argument("case", help="the case folder (or its case.toml)")
    p.add_argument("--rmd", action="append", default=[], metavar="FILE",
                   help="an RMD CSV download, added to those in [case] rmd (repeat for "
                   "several snapshots)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workbench.analytics.dossier import provider_dossiers
    from workbench.case.model import load_records
    from workbench.ingest.rmd import load_rmd
    from workbench.present.dossier_report import dossiers_json, dossiers_table
    case = load_records(args.case)  # records, audit and RMD: no CDRs are read
    paths = [case.root / p for p in case.config.rmd] + [Path(p) for p in args.rmd]
    rmd = load_rmd(paths) if paths else None
    dossiers = provider_dossiers(case, rmd=rmd)
    if args.json:
        json.dump(dossiers_json(dossiers, rmd), sys.stdout)
        sys.stdout.write("\n")
    else:
        print(dossiers_table(dossiers, rmd))
    return 0
