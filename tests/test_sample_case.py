"""The bundled sample case traces to the chains its answer key records.

Every test works on one copy of the case in a temporary folder: a trace writes the case's
audit trail (audit.jsonl) into the case folder, and the checkout's sample_data/ stays as
shipped (tests/conftest.py fails the run if a test writes there).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.clirun import run_cli
from workbench.case.model import load_case
from workbench.trace.engine import trace_traceback
from workbench.trace.results import Origin
from workbench.trace.skew import estimate_skew

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "auto_warranty_case"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """(copy of the sample case, its answer key, the loaded case): one copy for the module."""
    root = tmp_path_factory.mktemp("sample") / SAMPLE.name
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("audit.jsonl"))
    return root, json.loads((root / "truth.json").read_text()), load_case(root)


def test_every_traceback_matches_the_answer_key(sample):
    root, truth, case = sample
    assert len(truth["tracebacks"]) >= 8
    for tid, want in truth["tracebacks"].items():
        r = trace_traceback(case, tid)
        got = [h.provider for h in r.hops]
        assert r.outcome == want["outcome"], (tid, got, [h.notes for h in r.hops])
        assert got == want["hops"], tid
        if want["outcome"] == "origin":
            assert r.origin == Origin(want["origin_provider"], want["customer"])
        for rec in want["records"]:
            hop = r.hops[rec["hop"] - 1]
            assert (hop.source_path, hop.line) == (rec["source"], rec["line"]), (tid, rec["hop"])
        if want.get("unmapped_ingress"):
            assert r.unmapped_ingress == want["unmapped_ingress"]


def test_contradicting_traceback_answer_is_flagged(sample):
    root, truth, case = sample
    contra = [(tid, t) for tid, t in truth["tracebacks"].items() if t.get("contradictions")]
    assert contra
    for tid, t in contra:
        r = trace_traceback(case, tid)
        flagged = [h.provider for h in r.hops if h.traceback_agrees is False]
        assert flagged, tid


def test_skew_of_the_fast_clock_is_found(sample):
    root, truth, case = sample
    skew = {s.provider: s for s in estimate_skew(case).values()}
    assert skew["Seaport Gateway LLC"].offset_s == pytest.approx(97, abs=3)
    assert skew["Seaport Gateway LLC"].calls >= 20


def test_the_same_call_given_by_hand_through_the_cli(sample):
    root, truth, case = sample
    tid, want = next((k, v) for k, v in truth["tracebacks"].items() if v["outcome"] == "origin")
    call = want["call"]
    national = call["called"][2:5] + "-" + call["called"][5:8] + "-" + call["called"][8:]
    res = run_cli("trace", root, "--calling", call["calling"], "--called", national,
                  "--at", call["call_time"], "--json")
    assert res.returncode == 0, res.stderr
    j = res.json
    assert j["outcome"] == "origin" and [h["provider"] for h in j["hops"]] == want["hops"]
    assert j["origin"]["customer"] == want["customer"]


def test_info_lists_rejected_rows_and_bad_lines(sample):
    root, truth, case = sample
    res = run_cli("info", root, "--json")
    assert res.returncode == 0, res.stderr
    info = res.json
    by_path = {s["path"]: s for s in info["sources"]}
    midway = by_path["cdrs/midway.txt"]
    bad = {b["line"] for b in truth["bad_rows"] if b["source"] == "cdrs/midway.txt"}
    listed = set(midway["rejected_lines"]) | {b["line"] for b in midway["bad_lines"]}
    assert bad and bad <= listed
    assert midway["date_rule"].startswith("MDY")
