"""The bundled sample case traces to the chains its answer key records."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from workbench.case.model import load_case
from workbench.trace.engine import trace_traceback


@pytest.fixture(scope="module")
def sample(request):
    from pathlib import Path
    root = Path(__file__).resolve().parents[1] / "sample_data" / "auto_warranty_case"
    return root, json.loads((root / "truth.json").read_text()), load_case(root)


def _ids(sample):
    return list(sample[1]["tracebacks"])


def test_every_traceback_matches_the_answer_key(sample):
    root, truth, case = sample
    assert len(truth["tracebacks"]) >= 8
    for tid, want in truth["tracebacks"].items():
        r = trace_traceback(case, tid)
        got = [h.provider for h in r.hops]
        assert r.outcome == want["outcome"], (tid, got, [h.notes for h in r.hops])
        assert got == want["hops"], tid
        if want["outcome"] == "origin":
            assert r.origin == {"provider": want["origin_provider"], "customer": want["customer"]}
        for rec in want["records"]:
            hop = r.hops[rec["hop"] - 1]
            assert (hop.source, hop.line) == (rec["source"], rec["line"]), (tid, rec["hop"])
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
    skew = {s.provider: s for s in case.skew().values()}
    assert skew["Seaport Gateway LLC"].offset_s == pytest.approx(97, abs=3)
    assert skew["Seaport Gateway LLC"].calls >= 20


def test_the_same_call_given_by_hand_through_the_cli(sample):
    root, truth, case = sample
    tid, want = next((k, v) for k, v in truth["tracebacks"].items() if v["outcome"] == "origin")
    call = want["call"]
    national = call["called"][2:5] + "-" + call["called"][5:8] + "-" + call["called"][8:]
    res = subprocess.run([sys.executable, "-m", "workbench", "trace", str(root), "--calling",
                          call["calling"], "--called", national, "--at", call["call_time"],
                          "--json"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    j = json.loads(res.stdout)
    assert j["outcome"] == "origin" and [h["provider"] for h in j["hops"]] == want["hops"]
    assert j["origin"]["customer"] == want["customer"]


def test_info_lists_rejected_rows_and_bad_lines(sample):
    root, truth, case = sample
    res = subprocess.run([sys.executable, "-m", "workbench", "info", str(root), "--json"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    by_path = {s["path"]: s for s in info["sources"]}
    midway = by_path["cdrs/midway.txt"]
    bad = {b["line"] for b in truth["bad_rows"] if b["source"] == "cdrs/midway.txt"}
    listed = set(midway["rejected_lines"]) | {b["line"] for b in midway["bad_lines"]}
    assert bad and bad <= listed
    assert midway["date_rule"].startswith("MDY")
