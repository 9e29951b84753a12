"""Tracing across five providers with skew, DST, answer-time logging, decoys and retries."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests import casebuilder
from workbench.case.model import load_case
from workbench.present.trace_json import hop_json, trace_json
from workbench.trace.engine import trace, trace_traceback
from workbench.trace.results import Origin
from workbench.trace.skew import estimate_skew


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("chain")
    truth = casebuilder.build(root)
    return root, truth


def test_every_call_traces_to_the_origin(built):
    root, truth = built
    case = load_case(root)
    for call in truth["calls"]:
        r = trace(case, calling=call["calling"], called=call["called"], at=call["at"])
        assert r.outcome == "origin", (call, [hop_json(h) for h in r.hops])
        assert [h.provider for h in r.hops] == casebuilder.CHAIN
        assert r.origin == Origin("Origin Voice", "Robo Dialer LLC")
        assert r.hops[0].offset_s == pytest.approx(0.0, abs=0.01)
        assert all(h.confidence > 0.5 for h in r.hops)


def test_each_found_hop_carries_its_matched_record(built):
    """A hop is built positionally from its match (the batch builds tens of thousands):
    every field must still hold what its name says."""
    root, truth = built
    case = load_case(root)
    skew = estimate_skew(case)
    call = truth["calls"][0]
    r = trace(case, calling=call["calling"], called=call["called"], at=call["at"], skew=skew)
    ids = {s.id for s in case.sources}
    for hop in (h for h in r.hops if h.found):
        c = hop.candidates[0]
        assert (hop.ingress, hop.egress, hop.start_us, hop.corrected_us, hop.line, hop.row,
                hop.duration, hop.attest, hop.origid, hop.verstat, hop.calling_key,
                hop.called_key, hop.pp_orig, hop.pp_dest, hop.pp_iat_us, hop.pp_x5u) == (
            c.ingress, c.egress, c.start_us, c.corrected_us, c.line, c.row, c.duration,
            c.attest, c.origid, c.verstat, c.calling_key, c.called_key, c.pp_orig, c.pp_dest,
            c.pp_iat_us, c.pp_x5u)
        assert hop.source in ids and hop.source.provider == hop.provider
        assert hop.skew_s == skew[hop.source].offset_s
        assert hop.skew_calls == skew[hop.source].calls
        assert hop.upstream or hop.customer
        assert isinstance(hop.confidence, float) and isinstance(hop.alternatives, int)
        assert isinstance(hop.role, str) and isinstance(hop.offset_s, float)
        assert hop.traceback_agrees is None and isinstance(hop.notes, list)


def test_skew_of_the_gateway_is_estimated(built):
    root, _ = built
    case = load_case(root)
    skew = {s.provider: s for s in estimate_skew(case).values()}
    assert skew["Gateway Co"].offset_s == pytest.approx(casebuilder.SKEW_GATEWAY, abs=2)
    assert skew["Gateway Co"].calls >= 50
    assert abs(skew["Term Wireless"].offset_s) < 2
    assert abs(skew["Midway Transit"].offset_s) < 2


def test_traceback_contradiction_is_reported(built):
    root, _ = built
    case = load_case(root)
    r = trace_traceback(case, "TB-2")
    mid = r.hops[1]
    assert mid.provider == "Midway Transit"
    assert mid.traceback_agrees is False
    j = trace_json(r)["hops"][1]
    assert j["traceback_says"] == "Bogus Telecom" and j["cdr_says"] == "Lakes Carrier"
    assert trace_json(r)["hops"][0]["traceback_agrees"] is True


def test_not_found_when_provider_lacks_the_call(tmp_path):
    truth = casebuilder.build(tmp_path, n_background=200, drop_at="Lakes Carrier")
    case = load_case(tmp_path)
    call = truth["calls"][0]
    r = trace(case, calling=call["calling"], called=call["called"], at=call["at"])
    assert r.outcome == "not_found"
    assert [h.provider for h in r.hops] == casebuilder.CHAIN[:3]
    assert r.hops[-1].found is False


def test_no_records_and_unmapped(built, tmp_path):
    root, truth = built
    case = load_case(root)
    # drop the gateway's and origin's files from the case: the chain stops at the named upstream
    case.sources = [s for s in case.sources if s.provider not in ("Gateway Co", "Origin Voice")]
    call = truth["calls"][0]
    r = trace(case, calling=call["calling"], called=call["called"], at=call["at"])
    assert r.outcome == "no_records"
    assert r.hops[-1].provider == "Gateway Co" and r.hops[-1].found is False
    # remove the mapping of the lakes ingress: unmapped ingress reported raw
    lakes = case.sources_of("Lakes Carrier")[0]
    lakes.config.upstreams = {}
    r = trace(case, calling=call["calling"], called=call["called"], at=call["at"])
    assert r.outcome == "unmapped_ingress" and r.unmapped_ingress == "GW-7"


def test_cli_json_contract(built):
    root, truth = built
    call = truth["calls"][1]
    res = subprocess.run([sys.executable, "-m", "workbench", "trace", str(root / "case.toml"),
                          "--calling", call["calling"][2:], "--called", call["called"],
                          "--at", call["at"], "--json"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    j = json.loads(res.stdout)
    assert j["outcome"] == "origin"
    assert j["call"]["calling"] == call["calling"]
    for key in ("provider", "found", "upstream", "customer", "ingress", "start", "offset_s",
                "confidence", "alternatives", "source", "line"):
        assert key in j["hops"][0]
    assert j["hops"][1]["ingress"] == "000307"
    assert j["skew"]["Gateway Co"]["offset_s"] == pytest.approx(120, abs=2)
    assert j["origin"]["customer"] == "Robo Dialer LLC"


def test_cli_bad_input_exit_2(tmp_path):
    (tmp_path / "case.toml").write_text('[case]\nname = "x"\n[[sources]]\nprovider = "A"\n'
                                        'path = "a.csv"\nfromat = "generic"\n')
    (tmp_path / "a.csv").write_text("start,called\n2026-01-01T00:00:00Z,13125550100\n")
    res = subprocess.run([sys.executable, "-m", "workbench", "info", str(tmp_path)],
                         capture_output=True, text=True)
    assert res.returncode == 2
    err = res.stderr.strip()
    assert err.count("\n") == 0
    assert "case.toml" in err and "line 6" in err and "fromat" in err and "format" in err


def test_a_record_starts_where_the_record_starts_and_says_who_found_the_call(sample_copy):
    """The record's first provider lost the call: the trace stops there, never silently one
    provider further upstream, and names the providers whose files show the call."""
    from workbench.trace.results import NoteKind, Outcome

    term = sample_copy / "cdrs" / "terminus.csv"
    lines = term.read_text().splitlines(keepends=True)
    kept = [x for x in lines if not ("+13125550143" in x and "+16305550118" in x)]
    assert len(kept) < len(lines)  # TB-26-0101's calls (and its retries) taken out
    term.write_text("".join(kept))
    case = load_case(sample_copy, use_cache=False)
    r = trace_traceback(case, "TB-26-0101", skew=estimate_skew(case))
    assert r.hops[0].provider == "Terminus Wireless" and not r.hops[0].found
    assert r.outcome == Outcome.NOT_FOUND
    note = next(n for n in r.notes if n.kind == NoteKind.RECORD_FIRST_NOT_FOUND)
    assert note.get("provider") == "Terminus Wireless"
    assert "Midway Transit" in str(note.get("found_at"))
    words = trace_json(r)["notes"]
    assert any("starts at Terminus Wireless" in w for w in words)
