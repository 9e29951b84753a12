"""Cases for the evidence tests that are not our own fixtures: other providers, other forms.

`harbor_case` writes a three-provider chain (Ostara Dial -> Keystone Interconnect ->
Bayside Mobile) with SHAKEN fields, local Pacific times, epoch seconds, the called
number in a different written form in every file, and attacker-style strings in
CDR fields (trunk ids, dispositions, traceback notes) that a spreadsheet would run
as formulas.
"""
from __future__ import annotations

import csv
import random
import shutil
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests import casebuilder

CALLED = "+14155550163"
CALLING = "+12025550178"
CALL_AT = datetime(2026, 5, 14, 16, 12, 3, tzinfo=timezone.utc)
ORIGID = "6e0b7f52-93d4-4c1a-b8e7-2f5a0c91d3e4"
HOSTILE_INGRESS = "=TRUNK+1"           # Bayside's trunk from Keystone
HOSTILE_ACCOUNT = "-ACCT|9"            # Ostara's customer account
HOSTILE_DISPOSITIONS = ["=HYPERLINK(\"http://x.example/\",\"ok\")", "@SUM(1+1)",
                        "+cmd|' /C calc'!A0", "-2+3"]
CUSTOMER = "Nimbus Outreach Group"
PACIFIC = ZoneInfo("America/Los_Angeles")


def _called_forms(n: str) -> list[str]:
    d = n[2:]
    return [f"1-{d[:3]}-{d[3:6]}-{d[6:]}", f"tel:+1{d}", f"({d[:3]}) {d[3:6]}-{d[6:]}"]


def harbor_case(root: Path, n_background: int = 80, seed: int = 11) -> Path:
    rng = random.Random(seed)
    (root / "records").mkdir(parents=True, exist_ok=True)
    calls = []
    for i in range(n_background):
        calling = f"+1{rng.randint(201, 989)}555{rng.randint(100, 199):04d}"
        called = f"+1{rng.randint(201, 989)}555{rng.randint(200, 299):04d}"
        at = CALL_AT + timedelta(seconds=rng.uniform(-5400, 5400))
        calls.append((calling, called, at, rng.randint(5, 200), f"{i:08x}-0000-4000-8000-"
                                                               f"{rng.getrandbits(48):012x}"))
    calls.append((CALLING, CALLED, CALL_AT, 47, ORIGID))
    calls.sort(key=lambda c: c[2])
    bay, key, ost = [], [], []
    for k, (calling, called, at, dur, origid) in enumerate(calls):
        target = calling == CALLING and called == CALLED
        forms = _called_forms(called)
        disp = HOSTILE_DISPOSITIONS[k % 4] if target or k % 9 == 0 else "ANSWERED"
        t_ost, t_key, t_bay = at - timedelta(seconds=0.6), at - timedelta(seconds=0.3), at
        ost.append([t_ost.isoformat(timespec="milliseconds"), calling, forms[2],
                    HOSTILE_ACCOUNT if target else f"ACCT-{k % 5}", dur, "A", origid])
        # Keystone's clock runs 45 s fast and writes epoch seconds
        key.append([f"{(t_key + timedelta(seconds=45)).timestamp():.3f}", calling[1:], forms[1],
                    "OST-IN" if target or k % 2 else "OST-IN", dur, "B" if not target else "A",
                    origid])
        bay.append([t_bay.astimezone(PACIFIC).strftime("%Y-%m-%d %H:%M:%S"), calling,
                    forms[0], HOSTILE_INGRESS, dur, disp, "TN-Validation-Passed-A"])
    _csv(root / "records/bayside.csv",
         ["StartTime", "CallingNumber", "CalledNumber", "IngressTrunk", "Duration",
          "Disposition", "verstat"], bay)
    _csv(root / "records/keystone_cdr.tsv",
         ["setup_time", "ani", "dnis", "trunk_in", "billsec", "attest", "origid"], key,
         delimiter="\t")
    _csv(root / "records/ostara-export.csv",
         ["start_utc", "from", "to", "account", "duration", "attestation", "origid"], ost)
    (root / "case.toml").write_text(textwrap.dedent(f"""\
        [case]
        name = "Harbor robocalls"
        default_country = "US"
        investigator = "R. Okafor"

        [[providers]]
        name = "Keystone Interconnect"
        aliases = ["KSI", "Keystone"]
        frn = "0031234567"
        rmd = "RMD0012345"

        [[providers]]
        name = "Bayside Mobile"
        business_hours_deferral = true
        timezone = "America/Los_Angeles"

        [[sources]]
        provider = "Bayside Mobile"
        path = "records/bayside.csv"
        timezone = "America/Los_Angeles"
        [sources.upstreams]
        "{HOSTILE_INGRESS}" = "Keystone"

        [[sources]]
        provider = "Keystone Interconnect"
        path = "records/keystone_cdr.tsv"
        [sources.upstreams]
        "OST-IN" = "Ostara Dial"

        [[sources]]
        provider = "Ostara Dial"
        path = "records/ostara-export.csv"
        [sources.customers]
        "{HOSTILE_ACCOUNT}" = "{CUSTOMER}"
        "ACCT-0" = "Quiet Leads Co"

        [[tracebacks]]
        path = "traceback_requests.csv"
        """))
    rows = [["traceback_id", "campaign", "call_time", "calling", "called", "hop", "provider",
             "upstream", "status", "notified_at", "responded_at", "notes"]]
    when = CALL_AT.strftime("%Y-%m-%dT%H:%M:%SZ")
    for hop, prov, up, status, sent, answered, note in (
            (1, "Bayside Mobile", "KSI", "upstream_identified", "2026-05-15T02:30:00Z",
             "2026-05-15T17:10:00Z", "=1+1 looked up by night shift"),
            (2, "Keystone Interconnect", "Ostara Dial", "upstream_identified",
             "2026-05-15T18:00:00Z", "2026-05-17T09:00:00Z", ""),
            (3, "Ostara Dial", CUSTOMER, "originator", "2026-05-17T10:00:00Z", "", "")):
        rows.append(["HB-0042", "Bank impersonation", when, "202-555-0178", "415.555.0163", hop,
                     prov, up, status, sent, answered, note])
    _csv(root / "traceback_requests.csv", rows[0], rows[1:])
    return root


def _csv(path: Path, header: list[str], rows: list[list], delimiter: str = ",") -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)


def builder_case(root: Path, seed: int = 3) -> Path:
    """The trace tests' own case (casebuilder), with a seed of our choosing."""
    casebuilder.build(root, n_background=150, seed=seed)
    return root


def sample_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled sample case (never written in place), or skip."""
    src = Path(__file__).resolve().parents[1] / "sample_data" / "auto_warranty_case"
    if not (src / "case.toml").exists():
        pytest.skip("the bundled sample case is not there yet")
    dst = tmp_path / "sample"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("audit.jsonl"))
    return dst


def test_harbor_case_traces_to_its_origin(tmp_path):
    from workbench.case.model import load_case
    from workbench.trace.engine import trace_traceback
    from workbench.trace.results import Origin
    case = load_case(harbor_case(tmp_path / "harbor"))
    result = trace_traceback(case, "HB-0042")
    assert result.outcome == "origin"
    assert [h.provider for h in result.hops] == ["Bayside Mobile", "Keystone Interconnect",
                                                  "Ostara Dial"]
    assert result.origin == Origin("Ostara Dial", CUSTOMER)
