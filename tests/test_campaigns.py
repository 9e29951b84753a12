"""Campaigns (issue 12): grouping, outcomes, origins, choke points, first/last call, the CLI
contract and the network by campaign, on a case built here (no Qt)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests import casebuilder
from tests.clirun import run_cli
from workbench.analytics.campaigns import campaigns
from workbench.case.model import load_case
from workbench.common.errors import InputError
from workbench.investigation import Investigation, TraceRequest
from workbench.trace.network import build_network

HEADER = ("traceback_id,campaign,call_time,calling,called,hop,provider,upstream,status,"
          "notified_at,responded_at,notes")
T, M, L, G, O = casebuilder.CHAIN  # Term, Midway, Lakes, Gateway, Origin
FULL = [(T, M, "upstream_identified"), (M, L, "upstream_identified"),
        (L, "GWC", "upstream_identified"), (G, O, "upstream_identified")]
WARRANTY, LOANS = "Auto warranty", "Student loans"
BLANK = "origin: Origin Voice / Robo Dialer LLC"  # the records with no campaign


def _records(truth: dict) -> list[tuple[str, str, str, str, str, list[tuple[str, str, str]]]]:
    """(id, campaign, call time, calling, called, hops) for the case's traceback file."""
    c0, c1, c2 = truth["calls"]
    return [
        # Auto warranty: five records, spelled three ways
        ("A1", WARRANTY, c0["at"], c0["calling"], c0["called"],
         FULL + [(O, "Robo Dialer LLC", "originator")]),
        ("A2", WARRANTY, "2026-03-02T10:00:00Z", "+13125550101", "+16305550101",
         FULL + [(O, "Robo Dialer LLC", "originator")]),
        ("A3", WARRANTY, c1["at"], c1["calling"], c1["called"],  # stalls; its CDRs go on
         [(T, M, "upstream_identified"), (M, L, "upstream_identified"), (L, "", "no_response")]),
        ("A4", "auto  WARRANTY", "2026-03-20T12:00:00Z", "+13125550104", "+16305550104",
         [(T, M, "upstream_identified"), (M, L, "upstream_identified"),
          (L, "GWC", "upstream_identified"), (G, "", "not_found")]),
        ("A5", " Auto warranty ", "2026-03-01T09:15:00-05:00", "+13125550105", "+16305550105",
         [(T, M, "upstream_identified"), (M, "Harbor Link", "upstream_identified"),
          ("Harbor Link", "", "refused")]),
        # Student loans: two records
        ("S1", LOANS, c2["at"], c2["calling"], c2["called"],
         FULL + [(O, "Loan Leads Inc", "originator")]),
        ("S2", LOANS, "2026-03-09T00:00:00Z", "+13125550106", "+16305550106",
         [(T, M, "upstream_identified"), (M, G, "upstream_identified"),
          (G, "Overseas Voice", "foreign_point_of_entry")]),
        # no campaign, one origin (its customer written two ways)
        ("E1", "", "2026-03-03T00:00:00Z", "+13125550107", "+16305550107",
         FULL + [(O, "Robo Dialer LLC", "originator")]),
        ("E2", "", "2026-03-04T00:00:00Z", "+13125550108", "+16305550108",
         [(T, G, "upstream_identified"), (G, O, "upstream_identified"),
          (O, "robo dialer  llc", "originator")]),
    ]


def write_tracebacks(root: Path, records) -> None:
    lines = [HEADER]
    for tid, camp, at, calling, called, hops in records:
        for n, (provider, upstream, status) in enumerate(hops, start=1):
            lines.append(f"{tid},{camp},{at},{calling},{called},{n},{provider},{upstream},"
                         f"{status},2026-03-21T15:00:00Z,2026-03-21T18:00:00Z,")
    (root / "tracebacks.csv").write_text("\n".join(lines) + "\n")


def build_campaign_case(root: Path) -> dict:
    """The five-provider chain case of tests/casebuilder.py with nine traceback records in
    three campaigns (one without a campaign name); returns casebuilder's truth."""
    truth = casebuilder.build(root)
    write_tracebacks(root, _records(truth))
    return truth


@pytest.fixture(scope="module")
def campaign_case(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("campaigns") / "case"
    return root, build_campaign_case(root)


@pytest.fixture
def fresh_case(campaign_case, tmp_path) -> Path:
    """A copy: tracing writes the audit trail."""
    import shutil
    shutil.copytree(campaign_case[0], tmp_path / "case")
    return tmp_path / "case"


def _by_name(camps):
    return {c.name: c for c in camps}


def test_records_group_by_campaign_and_blank_ones_by_origin(campaign_case):
    case = load_case(campaign_case[0])
    camps = campaigns(case, audit_entries=[])
    assert [c.name for c in camps] == [WARRANTY, LOANS, BLANK]  # largest first, then by name
    by = _by_name(camps)
    assert by[WARRANTY].traceback_ids == ["A1", "A2", "A3", "A4", "A5"]
    assert by[LOANS].traceback_ids == ["S1", "S2"] and by[BLANK].traceback_ids == ["E1", "E2"]


def test_outcomes_origins_and_times_from_the_records(campaign_case):
    by = _by_name(campaigns(load_case(campaign_case[0]), audit_entries=[]))
    w = by[WARRANTY]
    assert w.basis == "records" and w.traced == 0
    assert w.outcomes == {"origin": 2, "no_response": 1, "not_found": 1, "refused": 1}
    assert [(o.provider, o.customer, o.tracebacks) for o in w.origins] == [
        (O, "Robo Dialer LLC", 2)]
    assert w.without_origin == 3
    assert by[LOANS].outcomes == {"foreign_point_of_entry": 1, "origin": 1}
    assert [(o.provider, o.customer) for o in by[LOANS].origins] == [(O, "Loan Leads Inc")]
    assert [(o.customer, o.tracebacks) for o in by[BLANK].origins] == [("Robo Dialer LLC", 2)]
    # A5 was written at 09:15 in -05:00: the earliest call, in UTC
    from workbench.columns.times import iso_utc
    assert iso_utc(w.first_call_us, 0) == "2026-03-01T14:15:00Z"
    assert iso_utc(w.last_call_us, 0) == "2026-03-20T12:00:00Z"
    assert iso_utc(by[BLANK].first_call_us, 0) == "2026-03-03T00:00:00Z"
    assert iso_utc(by[BLANK].last_call_us, 0) == "2026-03-04T00:00:00Z"


def test_choke_points_leave_out_the_terminating_provider(campaign_case):
    by = _by_name(campaigns(load_case(campaign_case[0]), audit_entries=[]))
    # five chains: a choke point carries at least three; Origin Voice (2) and Harbor Link (1)
    # are not, and Term Wireless delivers every call but is where they were sampled
    assert [(p.provider, p.tracebacks) for p in by[WARRANTY].choke_points] == [
        (M, 5), (L, 4), (G, 3)]  # Gateway Co also under its alias GWC
    assert [(p.provider, p.tracebacks) for p in by[LOANS].choke_points] == [(G, 2), (M, 2)]
    assert [p.provider for p in by[BLANK].choke_points] == [G, O]


def test_a_trace_overrides_its_record_and_the_audit_trail_is_read(fresh_case):
    inv = Investigation.open(fresh_case)
    result = inv.trace(TraceRequest(traceback_id="A3"))
    assert result.outcome == "origin"  # the record stalled at Lakes; the CDRs go on
    w = _by_name(campaigns(inv.case, results=inv.results, audit_entries=[]))[WARRANTY]
    assert w.basis == "traces and records" and w.traced == 1
    assert w.outcomes == {"origin": 3, "not_found": 1, "refused": 1}
    assert [(o.provider, o.customer, o.tracebacks) for o in w.origins] == [
        (O, "Robo Dialer LLC", 3)]
    assert (O, 3) in [(p.provider, p.tracebacks) for p in w.choke_points]
    # a later run without the session's results finds the trace in the audit trail
    again = _by_name(campaigns(load_case(fresh_case)))[WARRANTY]
    assert again.outcomes == w.outcomes and again.traced == 1
    assert _by_name(campaigns(load_case(fresh_case), audit_entries=[]))[WARRANTY].traced == 0


def test_a_blank_record_that_never_reached_an_origin(fresh_case, campaign_case):
    records = _records(campaign_case[1]) + [
        ("X1", "", "2026-03-05T00:00:00Z", "+13125550109", "+16305550109",
         [(T, M, "upstream_identified"), (M, "", "no_response")])]
    write_tracebacks(fresh_case, records)
    by = _by_name(campaigns(load_case(fresh_case), audit_entries=[]))
    assert by["origin: unknown"].traceback_ids == ["X1"]
    assert by["origin: unknown"].outcomes == {"no_response": 1}
    assert by["origin: unknown"].choke_points == []  # one chain shows no convergence


def test_cli_json_contract_and_text(campaign_case):
    root = campaign_case[0]
    run = run_cli("campaigns", root, "--json", "--records-only")
    assert run.returncode == 0, run.stderr
    data = run.json
    assert [c["campaign"] for c in data["campaigns"]] == [WARRANTY, LOANS, BLANK]
    w = data["campaigns"][0]
    assert {"campaign", "tracebacks", "outcomes", "origins", "choke_points"} <= w.keys()
    assert w["tracebacks"] == 5 and w["traceback_ids"] == ["A1", "A2", "A3", "A4", "A5"]
    assert w["outcomes"] == {"origin": 2, "no_response": 1, "not_found": 1, "refused": 1}
    assert w["origins"] == [{"provider": O, "customer": "Robo Dialer LLC", "tracebacks": 2}]
    assert [{k: p[k] for k in ("provider", "tracebacks")} for p in w["choke_points"]] == [
        {"provider": M, "tracebacks": 5}, {"provider": L, "tracebacks": 4},
        {"provider": G, "tracebacks": 3}]
    assert (w["first_call"], w["last_call"]) == ("2026-03-01T14:15:00Z", "2026-03-20T12:00:00Z")
    assert w["basis"] == "records"
    text = run_cli("campaigns", root, "--records-only")
    assert text.returncode == 0
    assert "Auto warranty" in text.stdout and "Midway Transit (5 of 5)" in text.stdout
    assert "Origin Voice / Robo Dialer LLC (2)" in text.stdout


def test_cli_names_a_bad_case_in_one_line(tmp_path):
    run = run_cli("campaigns", tmp_path / "nowhere")
    assert run.returncode == 2
    assert run.stderr.startswith("error:") and len(run.stderr.strip().splitlines()) == 1


def test_network_of_one_campaign(campaign_case):
    case = load_case(campaign_case[0])
    every = build_network(case)
    assert every.campaigns == [WARRANTY, LOANS, BLANK] and every.campaign is None
    assert list(every.campaign_sizes) == [5, 2, 2]
    assert set(case.providers_with_records()) <= set(every.names)
    loans = build_network(case, campaign=LOANS)
    assert set(loans.names) == {T, M, L, G, O, "Overseas Voice"}
    assert "Harbor Link" in every.names and "Harbor Link" not in loans.names
    assert loans.appearances[loans.index(M)] == 2
    assert {loans.names[i] for i in np.flatnonzero(loans.choke)} == {G, M}
    j = loans.campaigns.index(LOANS)
    k = next(k for k, (u, v) in enumerate(loans.edges)
             if (loans.names[u], loans.names[v]) == ("Overseas Voice", G))
    assert loans.edge_campaign[k] == j
    assert loans.edge_calls[loans.edges[:, 0] == loans.index(L)].sum() > 0  # CDR widths kept
    warranty = build_network(case, campaign=WARRANTY)
    assert {warranty.names[i] for i in np.flatnonzero(warranty.choke)} == {M, L, G}
    assert "choke point: 5 of 5 chains" == warranty.choke_words(warranty.index(M))
    with pytest.raises(InputError, match="no campaign 'Robocalls'"):
        build_network(case, campaign="Robocalls")


def test_network_campaign_membership_when_all_are_shown(campaign_case):
    net = build_network(load_case(campaign_case[0]))
    col = {name: j for j, name in enumerate(net.campaigns)}
    i = net.index("Overseas Voice")
    assert net.node_campaigns[i].tolist() == [0, 1, 0] and net.node_campaign[i] == col[LOANS]
    assert net.node_campaigns[net.index(M)].tolist() == [5, 2, 1]
    assert net.node_campaign[net.index(M)] == col[WARRANTY]
    # Midway is a choke point of two campaigns, the terminating provider of none
    assert net.choke_chains[net.index(M)].tolist() == [5, 2, 0]
    assert not net.choke[net.index(T)]
    assert "choke point of 2 campaigns" == net.choke_words(net.index(M))


def test_tooltip_names_the_campaigns_and_choke_points(campaign_case):
    net = build_network(load_case(campaign_case[0]))
    text = net.describe(net.index(M))
    assert f"campaign {WARRANTY}: 5 chain(s) — choke point (5 of 5 pass it)" in text
    assert f"campaign {BLANK}: 1 chain(s)" in text and "choke point (1" not in text
    assert text.index(WARRANTY) < text.index(LOANS) < text.index(BLANK)  # most chains first
