"""`workbench analyze CASE --provider NAME [--dno FILE] [--json]`: suspicious traffic per
ingress on one provider's own CDRs (workbench.analytics.traffic)."""
from __future__ import annotations

import argparse
import json
import sys


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the `analyze` sub-command."""
    a = sub.add_parser("analyze", help="rank a provider's customers and upstreams by signs "
                       "of illegal traffic in its own CDRs")
    a.add_argument("case", help="case folder or its case.toml")
    a.add_argument("--provider", required=True, help="the provider whose CDRs to analyse "
                   "(name or alias)")
    a.add_argument("--dno", help="a Do-Not-Originate list (one number, NPA-NXX prefix or "
                   "range a line, or a CSV with a number column); default: [case] dno")
    a.add_argument("--json", action="store_true", help="one JSON object on stdout")
    a.set_defaults(func=_cmd_analyze)


def _cmd_analyze(args: argparse.Namespace) -> int:
    from workbench.analytics.traffic import analyze_provider
    from workbench.ingest.dno import load_dno
    from workbench.investigation import Investigation
    from workbench.present.traffic_report import traffic_json, traffic_table
    inv = Investigation.open(args.case)
    case = inv.case
    dno = load_dno(args.dno, case.config.default_country) if args.dno else None
    if not case.sources_of(args.provider):  # before the skew estimate: fail fast
        analyze_provider(case, args.provider)
    # clock offsets put each source's rows on the traceback records' clock (cached on disk)
    skew = inv.skew() if case.tracebacks else None
    result = analyze_provider(case, args.provider, dno=dno, skew=skew)
    if args.json:
        json.dump(traffic_json(result), sys.stdout)
        sys.stdout.write("\n")
    else:
        print(traffic_table(result))
    return 0
