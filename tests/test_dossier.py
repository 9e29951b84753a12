"""Provider dossiers: counts, the 24-hour clock, ranking, contradictions from traces, RMD
concerns, the `providers` command, and the time 10,000 tracebacks take."""
from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from tests.clirun import run_cli
from workbench.analytics.dossier import Dossier, deemed_receipts, provider_dossiers
from workbench.case.audit import append_event
from workbench.case.deadlines import deemed_receipt, parse_time, response_clock
from workbench.case.model import Case, load_case
from workbench.ingest.config import CaseConfig
from workbench.ingest.rmd import load_rmd
from workbench.ingest.tracebacks import Traceback, TracebackHop
from workbench.trace.results import Hop, Outcome, TraceResult

NOW = parse_time("2026-04-01T00:00:00Z")
HEADER = ("number,frn,business_name,other_dba_names,previous_dba_names,implementation,"
          "voice_service_provider_choice,gateway_provider_choice,intermediate_provider_choice,"
          "last_updated\n")

# traceback_id, hop, provider, upstream, status, notified_at, responded_at (all UTC)
RECORDS = [
    ("TB-1", 1, "Prompt Wireless", "Slowpoke Transit", "upstream_identified",
     "2026-03-03T10:00:00Z", "2026-03-03T12:00:00Z"),
    ("TB-1", 2, "Slowpoke Transit", "Quiet Networks", "upstream_identified",
     "2026-03-03T13:00:00Z", "2026-03-04T19:00:00Z"),  # 30 h: late
    ("TB-1", 3, "Quiet Networks", "", "no_response", "2026-03-04T20:00:00Z", ""),
    ("TB-2", 1, "PWX", "Slowpoke Transit", "upstream_identified",  # PWX: Prompt's alias
     "2026-03-05T10:00:00Z", "2026-03-05T11:00:00Z"),
    ("TB-2", 2, "Slowpoke Transit", "Quiet Networks", "upstream_identified",
     "2026-03-05T12:00:00Z", "2026-03-06T19:00:00Z"),  # 31 h: late; Quiet never wrote back
    ("TB-3", 1, "Prompt Wireless", "Slowpoke Transit", "upstream_identified",
     "2026-03-07T10:00:00Z", "2026-03-07T13:00:00Z"),
    ("TB-3", 2, "Slowpoke Transit", "Origin Telecom", "upstream_identified",
     "2026-03-07T14:00:00Z", "2026-03-07T19:00:00Z"),
    ("TB-3", 3, "Origin Telecom", "Bad Dialer LLC", "originator",
     "2026-03-07T20:00:00Z", "2026-03-08T02:00:00Z"),
    ("TB-4", 1, "Prompt Wireless", "Quiet Networks", "upstream_identified",
     "2026-03-09T10:00:00Z", "2026-03-09T11:00:00Z"),
    ("TB-4", 2, "Quiet Networks", "", "", "2026-03-09T12:00:00Z", ""),  # notified, silent
    ("TB-5", 1, "Prompt Wireless", "Rural Telco", "upstream_identified",
     "2026-03-13T20:00:00Z", "2026-03-13T21:00:00Z"),
    # Friday 18:00 Chicago -> Monday 10:00: 64 h, on time with the business-hours deferral
    ("TB-5", 2, "Rural Telco", "", "not_found", "2026-03-13T23:00:00Z", "2026-03-16T15:00:00Z"),
    ("TB-6", 1, "Prompt Wireless", "Rural Telco", "upstream_identified",
     "2026-03-17T13:00:00Z", "2026-03-17T14:00:00Z"),
    # Tuesday 10:00 Chicago (business hours) -> Wednesday 12:00: 26 h, late either way
    ("TB-6", 2, "Rural Telco", "", "not_found", "2026-03-17T15:00:00Z", "2026-03-18T17:00:00Z"),
]


def build_case(root: Path, rmd: list[str] | None = None) -> Path:
    root.mkdir(parents=True)
    rmd_line = f"rmd = {json.dumps(rmd)}\n" if rmd else ""
    (root / "case.toml").write_text(textwrap.dedent("""\
        [case]
        name = "dossier test"
        """) + rmd_line + textwrap.dedent("""
        [[providers]]
        name = "Prompt Wireless"
        aliases = ["PWX"]

        [[providers]]
        name = "Rural Telco"
        business_hours_deferral = true
        timezone = "America/Chicago"

        [[providers]]
        name = "Faraway Telecom"
        foreign = true

        [[tracebacks]]
        path = "tracebacks.csv"
        """), encoding="utf-8")
    lines = ["traceback_id,campaign,call_time,calling,called,hop,provider,upstream,status,"
             "notified_at,responded_at,notes"]
    for tid, hop, prov, up, status, notified, responded in RECORDS:
        lines.append(f"{tid},Test campaign,2026-03-02T15:00:00Z,+13125550143,+16305550118,"
                     f"{hop},{prov},{up},{status},{notified},{responded},")
    (root / "tracebacks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def write_rmd(root: Path) -> tuple[Path, Path]:
    (root / "rmd").mkdir(exist_ok=True)
    april = root / "rmd" / "rmd_2026-04-06.csv"
    april.write_text(HEADER + "RMD0000300,0000000300,Origin Telecom LLC,None,None,"
                     "Complete STIR/SHAKEN Implementation,Yes,No,No,2026-01-05\n"
                     "RMD0000100,0000000100,\"Prompt Wireless, Inc.\",none,NONE,"
                     "Complete STIR/SHAKEN Implementation,Yes,No,No,2026-01-05\n",
                     encoding="utf-8")
    june = root / "rmd" / "rmd_2026-06-01.csv"
    june.write_text(HEADER + "RMD0000100,0000000100,\"Prompt Wireless, Inc.\",none,NONE,"
                    "Complete STIR/SHAKEN Implementation,Yes,No,No,2026-05-05\n"
                    "RMD0000200,0000000200,SP Holdings LLC,\"Slowpoke Transit\",No,"
                    "Partial STIR/SHAKEN Implementation - Performing Robocall Mitigation,"
                    "No,No,Yes,2026-05-05\n"
                    "RMD0000400,0000000400,RURAL TELCO COMPANY,N/A,N/A,"
                    "No STIR/SHAKEN Implementation - Performing Robocall Mitigation,"
                    "Yes,No,No,2026-05-05\n", encoding="utf-8")
    return april, june


@pytest.fixture
def case(tmp_path) -> Case:
    return load_case(build_case(tmp_path / "case"))


def _by_name(dossiers: list[Dossier]) -> dict[str, Dossier]:
    return {d.name: d for d in dossiers}


def test_counts_and_ranking_without_rmd(case):
    ds = provider_dossiers(case, audit_entries=[], now_us=NOW)
    assert [d.name for d in ds][:5] == ["Quiet Networks", "Slowpoke Transit", "Rural Telco",
                                        "Origin Telecom", "Prompt Wireless"]
    d = _by_name(ds)
    quiet, slow, prompt = d["Quiet Networks"], d["Slowpoke Transit"], d["Prompt Wireless"]
    # a no_response record, an upstream named with no record of its own, a silent blank record
    assert (quiet.tracebacks, quiet.responses.requests, quiet.responses.no_response,
            quiet.responses.answered, quiet.responses.median_hours) == (3, 3, 3, 0, None)
    assert quiet.concerns == ["never answered 3 of 3 requests"]
    assert (slow.tracebacks, slow.responses.answered, slow.responses.late,
            slow.responses.median_hours) == (3, 3, 2, 30.0)
    assert slow.roles == {"terminating": 0, "transit": 3, "gateway": 0, "originator": 0}
    assert slow.concerns == ["answered 2 of 3 late against the 24-hour clock (median 30.0 h)"]
    assert [(n.name, n.count) for n in slow.named_upstreams] == [("Quiet Networks", 2),
                                                                 ("Origin Telecom", 1)]
    assert (prompt.tracebacks, prompt.roles["terminating"], prompt.responses.answered,
            prompt.responses.late, prompt.responses.no_response,
            prompt.responses.median_hours) == (6, 6, 6, 0, 0, 1.0)
    assert prompt.concerns == [] and prompt.score == 0
    origin = d["Origin Telecom"]
    assert origin.roles["originator"] == 1 and origin.concerns == ["originated 1 traceback"]
    assert [(n.name, n.count) for n in origin.named_customers] == [("Bad Dialer LLC", 1)]
    assert "Bad Dialer LLC" not in d  # a customer, not a provider
    assert [x.rank for x in ds] == list(range(1, len(ds) + 1))


def test_business_hours_deferral_as_the_response_clock_applies_it(case):
    rural = _by_name(provider_dossiers(case, audit_entries=[], now_us=NOW))["Rural Telco"]
    assert (rural.responses.answered, rural.responses.late, rural.responses.median_hours) == (
        2, 1, 45.0)
    # the same verdicts from the clock the evidence packet uses
    clocks = [response_clock(parse_time(n), parse_time(r), deferral=True,
                             zone="America/Chicago")
              for _, _, p, _, _, n, r in RECORDS if p == "Rural Telco"]
    assert [c.met for c in clocks] == [True, False]
    assert not response_clock(parse_time("2026-03-13T23:00:00Z"),
                              parse_time("2026-03-16T15:00:00Z")).met  # strict: late


def test_deemed_receipts_agree_with_the_scalar_rule():
    rng = np.random.default_rng(5)
    us = (1_760_000_000 + rng.integers(0, 2 * 365 * 86400, 3000)) * 1_000_000
    for zone in ("America/Chicago", "Europe/London", "UTC"):
        assert deemed_receipts(us, zone).tolist() == [deemed_receipt(int(x), zone) for x in us]


def test_open_requests_are_pending_until_their_deadline(case):
    early = parse_time("2026-03-09T20:00:00Z")  # 8 h after Quiet got TB-4's request
    quiet = _by_name(provider_dossiers(case, audit_entries=[], now_us=early))["Quiet Networks"]
    assert (quiet.responses.no_response, quiet.responses.pending) == (2, 1)
    assert quiet.concerns == ["never answered 2 of 3 requests"]


def _trace_entry(tid: str, slow_agrees: bool) -> dict:
    return {"action": "trace", "details": {
        "traceback": tid, "outcome": "no_records",
        "call": {"calling": "+13125550143", "called": "+16305550118", "at": "2026-03-02T15:00Z"},
        "hops": [{"provider": "Prompt Wireless", "found": True, "upstream": "Slowpoke Transit",
                  "customer": None, "traceback_agrees": True},
                 {"provider": "Slowpoke Transit", "found": True, "upstream": "Faraway Telecom",
                  "customer": None, "traceback_agrees": slow_agrees}]}}


def test_contradictions_from_the_audit_log_and_the_session(case):
    entries = [_trace_entry("TB-1", False), _trace_entry("TB-3", False)]
    slow = _by_name(provider_dossiers(case, audit_entries=entries, now_us=NOW))[
        "Slowpoke Transit"]
    assert (slow.contradicted, slow.traces, slow.tracebacks) == (2, 2, 3)
    assert "its answer contradicted by its own CDRs twice" in slow.concerns
    # its CDRs name a foreign upstream: a gateway in those two chains
    assert slow.roles == {"terminating": 0, "transit": 1, "gateway": 2, "originator": 0}
    assert [(n.name, n.count, n.foreign) for n in slow.cdr_upstreams] == [
        ("Faraway Telecom", 2, True)]
    # the session re-traced TB-3 and its CDRs now agree: the later trace wins
    retrace = TraceResult(
        calling="+13125550143", called="+16305550118", at_us=parse_time("2026-03-02T15:00Z"),
        outcome=Outcome.ORIGIN, hops=[
            Hop("Prompt Wireless", True, upstream="Slowpoke Transit", traceback_agrees=True),
            Hop("Slowpoke Transit", True, upstream="Origin Telecom", traceback_agrees=True),
            Hop("Origin Telecom", True, role="originating", customer="Bad Dialer LLC",
                traceback_agrees=True)],
        origin=None, skew={}, tolerance_s=60, traceback_id="TB-3")
    d = _by_name(provider_dossiers(case, results=[retrace], audit_entries=entries, now_us=NOW))
    assert d["Slowpoke Transit"].contradicted == 1
    assert "its answer contradicted by its own CDRs once" in d["Slowpoke Transit"].concerns
    assert d["Origin Telecom"].traces == 1
    # read from the case's own audit log when no entries are given
    for e in entries:
        append_event(case.root, "trace", e["details"])
    assert _by_name(provider_dossiers(case, now_us=NOW))["Slowpoke Transit"].contradicted == 2


def test_rmd_status_and_upstream_flags(case):
    april, june = write_rmd(case.root)
    ds = provider_dossiers(case, audit_entries=[_trace_entry("TB-1", False)],
                           rmd=load_rmd([june, april]), now_us=NOW)
    d = _by_name(ds)
    # How a provider answers comes first (shares of its requests, less sure on few): the silent
    # one (3 of 3: 10 x 3/5 = 6.0, not listed +2.5) stays above Slowpoke, which answers 2 of 3
    # late (5 x 2/3 x 3/5 = 2.0) and whose other concerns (three unlisted upstreams, capped at
    # 2.0; its CDRs contradicting its one traced answer, 3.0) are capped at 4.5 together.
    # Origin Telecom: removed from the RMD 3.0 + originated 1 of 1 tracebacks 1.0.
    assert [(x.name, x.score) for x in ds] == [
        ("Quiet Networks", 8.5), ("Slowpoke Transit", 6.5), ("Origin Telecom", 4.0),
        ("Faraway Telecom", 2.5), ("Rural Telco", 1.25), ("Prompt Wireless", 1.0)]
    assert (d["Quiet Networks"].rmd_status, d["Quiet Networks"].rmd) == ("not listed", None)
    assert "not in the RMD" in d["Quiet Networks"].concerns
    origin = d["Origin Telecom"]
    assert (origin.rmd, origin.rmd_status) == ("RMD0000300", "removed")
    assert "removed from the RMD (last listed in rmd_2026-04-06.csv, 2026-04-06)" in \
        origin.concerns
    slow = d["Slowpoke Transit"]
    assert (slow.rmd, slow.rmd_status, slow.rmd_match.basis) == ("RMD0000200", "listed",
                                                                  "dba name")
    assert slow.rmd_match.implementation.startswith("Partial STIR/SHAKEN")
    assert {"accepted traffic from Quiet Networks, not in the RMD",
            "accepted traffic from Origin Telecom, removed from the RMD",
            "named a foreign upstream not in the RMD: Faraway Telecom"} <= set(slow.concerns)
    prompt = d["Prompt Wireless"]
    assert prompt.rmd_status == "listed"
    assert prompt.concerns == ["accepted traffic from Quiet Networks, not in the RMD"]
    assert d["Rural Telco"].rmd_match.roles == {"voice": "Yes", "gateway": "No",
                                                "intermediate": "No"}


def test_providers_command_json_and_text(tmp_path):
    root = build_case(tmp_path / "case", rmd=["rmd/rmd_2026-04-06.csv"])
    _, june = write_rmd(root)
    run = run_cli("providers", root, "--rmd", june, "--json")
    assert run.returncode == 0, run.stderr
    rows = run.json["providers"]
    for r in rows:
        assert set(r) >= {"name", "tracebacks", "roles", "responses", "contradicted", "rmd",
                          "rmd_status", "concerns"}
        assert set(r["roles"]) == {"terminating", "transit", "gateway", "originator"}
        assert set(r["responses"]) >= {"answered", "late", "no_response", "median_hours"}
    assert rows[0]["name"] == "Quiet Networks"
    by = {r["name"]: r for r in rows}
    assert by["Slowpoke Transit"]["responses"] | {"requests": 0} == {
        "requests": 0, "answered": 3, "refused": 0, "late": 2, "no_response": 0, "pending": 0,
        "median_hours": 30.0}
    assert by["Slowpoke Transit"]["rmd_match"]["basis"] == "dba name"
    assert by["Origin Telecom"]["rmd_status"] == "removed"
    assert by["Quiet Networks"]["rmd_status"] == "not listed"
    assert [s["date"] for s in run.json["rmd"]["snapshots"]] == ["2026-04-06", "2026-06-01"]
    text = run_cli("providers", root, "--rmd", june)
    assert text.returncode == 0, text.stderr
    out = text.stdout
    assert out.index("Quiet Networks") < out.index("Slowpoke Transit") < out.index(
        "Prompt Wireless")
    assert "never answered 3 of 3 requests" in out and "RMD0000200 by dba name" in out
    bad = run_cli("providers", root, "--rmd", root / "rmd" / "nowhere.csv")
    assert bad.returncode == 2 and bad.stderr.strip().startswith("error:")
    assert len(bad.stderr.strip().splitlines()) == 1 and "nowhere.csv" in bad.stderr


def _many_tracebacks(n: int, seed: int = 1) -> list[Traceback]:
    """n tracebacks of 2-6 hops over 40 providers: two slow, one silent."""
    rng = np.random.default_rng(seed)
    depth = rng.integers(2, 7, n)
    provider = rng.integers(0, 40, int(depth.sum()))
    took_h = np.where(np.isin(provider, [3, 7]), rng.uniform(25, 40, provider.size),
                      rng.uniform(0.2, 20, provider.size))
    start = parse_time("2026-03-01T00:00:00Z") // 1_000_000
    out, k = [], 0
    for i in range(n):
        tb = Traceback(f"TB-{i}", f"C{i % 7}", None, start * 1_000_000, None, None, None, None)
        t = start + int(rng.integers(0, 30 * 86400))
        for h in range(int(depth[i])):
            p = int(provider[k])
            last = h == depth[i] - 1
            silent = p == 11
            up = None if silent else (f"Customer {k % 500}" if last else
                                      f"Carrier {int(provider[k + 1]):02d}")
            status = "no_response" if silent else ("originator" if last else
                                                   "upstream_identified")
            answered = t + int(took_h[k] * 3600)
            tb.hops.append(TracebackHop(
                h + 1, f"Carrier {p:02d}", up, status, _iso(t),
                None if silent else _iso(answered)))
            t, k = answered + 600, k + 1
            if silent:
                k += int(depth[i]) - h - 1
                break
        out.append(tb)
    return out


def _iso(seconds: int) -> str:
    return np.datetime_as_string(np.datetime64(seconds, "s")) + "Z"


def test_ten_thousand_tracebacks_without_a_quadratic_pass(tmp_path):
    """A hang guard, not a speed test (that is benchmarks/bench_analytics.py, figures in the
    README): a pass quadratic in the records takes minutes here, a loaded CI core ~3 s."""
    case = Case(config=CaseConfig(root=tmp_path, name="big"),
                tracebacks=_many_tracebacks(10_000))
    provider_dossiers(case, audit_entries=[], now_us=NOW)  # warm up imports and caches
    t0 = time.perf_counter()
    ds = provider_dossiers(case, audit_entries=[], now_us=NOW)
    took = time.perf_counter() - t0
    print(f"provider_dossiers over 10,000 tracebacks "
          f"({sum(len(t.hops) for t in case.tracebacks)} hop records): {took:.2f} s")
    assert took <= 30.0
    assert ds[0].name == "Carrier 11" and ds[0].responses.answered == 0
    assert {ds[1].name, ds[2].name} == {"Carrier 03", "Carrier 07"}
    assert all(d.responses.late == d.responses.answered for d in ds[1:3])


def test_a_generated_training_case_ranks_its_slow_and_silent_providers_first(tmp_path):
    """The generator's answer key says who answers late, never, or promptly: the dossiers must
    rank the slow and the silent provider above every prompt one, with the key's counts."""
    from workbench.case.model import load_records
    from workbench.generate import generate_case
    root = generate_case(tmp_path / "training", rows=2000, seed=11, tracebacks=400,
                         campaigns=4)
    key = json.loads((root / "truth.json").read_text())["training"]
    case = load_records(root)
    ds = provider_dossiers(case, audit_entries=[], rmd=load_rmd(
        [root / p for p in case.config.rmd]))
    rank = {d.name: i for i, d in enumerate(ds)}
    slow, silent = key["slow_responder"]["provider"], key["silent_provider"]["provider"]
    for prompt in key["prompt_providers"]:
        assert rank[slow] < rank[prompt] and rank[silent] < rank[prompt], (prompt, rank)
    by_name = _by_name(ds)
    for name, want in key["responses"].items():
        r = by_name[name].responses
        assert (r.answered, r.refused, r.late, r.no_response) == (
            want["answered"], want["refused"], want["late"], want["no_response"]), name
        if want["median_hours"] is not None:
            assert r.median_hours == pytest.approx(want["median_hours"], abs=0.01), name


def test_a_case_without_traceback_records_gets_dossiers_not_a_traceback(sample_copy):
    """A provider's own CDRs with no traceback records yet (an enforcement team's first look):
    every provider is listed with zero appearances; nothing raises."""
    toml = sample_copy / "case.toml"
    text = toml.read_text()
    assert '[[tracebacks]]\npath = "tracebacks.csv"\n' in text
    toml.write_text(text.replace('[[tracebacks]]\npath = "tracebacks.csv"\n', ""))
    for args in (("providers", "--json"), ("campaigns", "--json")):
        r = run_cli(*args[:1], sample_copy, *args[1:])
        assert r.returncode == 0, r.stderr
        assert "Traceback (most recent call last)" not in r.stderr
    got = json.loads(run_cli("providers", sample_copy, "--json").stdout)
    rows = got if isinstance(got, list) else got.get("providers", got)
    assert rows and all(d["tracebacks"] == 0 for d in rows)
