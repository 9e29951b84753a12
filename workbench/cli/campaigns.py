"""`workbench campaigns CASE [--json]`: traceback records grouped by campaign."""
from __future__ import annotations

import argparse
import json
import sys


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the `campaigns` sub-command."""
    c = sub.add_parser("campaigns", help="group traceback records by campaign: outcomes, "
                       "origins, choke points, first and last call")
    c.add_argument("case", help="case folder or its case.toml")
    c.add_argument("--json", action="store_true", help="one JSON object on stdout")
    c.add_argument("--records-only", action="store_true",
                   help="outcomes and origins from the traceback records alone, ignoring the "
                   "traces in the case's audit trail")
    c.set_defaults(func=_cmd_campaigns)


def _cmd_campaigns(args: argparse.Namespace) -> int:
    from workbench.analytics.campaigns import campaigns
    from workbench.case.model import load_records
    from workbench.present.campaign_report import campaigns_json, campaigns_text
    case = load_records(args.case)  # records and the audit trail's traces: no CDRs needed
    camps = campaigns(case, audit_entries=[] if args.records_only else None)
    if args.json:
        json.dump(campaigns_json(camps, case.name), sys.stdout)
        sys.stdout.write("\n")
    else:
        print(campaigns_text(camps, case.name))
    return 0
