"""Outside acceptance test of issue 12: `analyze`, `providers` and `campaigns` on cases built
by someone who has not read their code (tests/outsider_analytics_cases.py).

Every assertion message starts with the contract it checks, e.g. "[analyze: ranking]", so a
failing run says which promise of the issue is broken. The CLI runs once per case in module
fixtures (in process, tests/clirun.py); the tests read those runs.

Only the RMD checks need ../shared (the FCC header is copied from the real download there);
they skip, saying so, when it is absent.
"""
from __future__ import annotations

import json

import pytest

from tests import outsider_analytics_cases as oc
from tests.clirun import CliRun, run_cli

ANALYZE_KEYS = {"ingress", "name", "kind", "calls", "distinct_calling", "short_share",
                "neighbor_share", "answer_rate", "score", "reasons"}
PROVIDER_KEYS = {"name", "tracebacks", "roles", "responses", "contradicted", "rmd",
                 "rmd_status", "concerns"}
ROLE_KEYS = {"terminating", "transit", "gateway", "originator"}
RESPONSE_KEYS = {"answered", "late", "no_response", "median_hours"}
CAMPAIGN_KEYS = {"campaign", "tracebacks", "outcomes", "origins", "choke_points"}
NO_RMD = pytest.mark.skipif(not oc.RMD_SAMPLE.exists(), reason=(
    f"needs {oc.RMD_SAMPLE} (the real FCC RMD header the test RMD file is written with)"))


def _ok(run: CliRun, contract: str) -> dict:
    assert run.returncode == 0, (
        f"[{contract}] `workbench {' '.join(run.args[:1])} ...` exited {run.returncode}: "
        f"{(run.stderr or run.stdout)[-600:]}")
    try:
        return run.json
    except json.JSONDecodeError:
        pytest.fail(f"[{contract}] stdout is not one JSON document: {run.stdout[:300]!r}")


def _one_line_error(run: CliRun, contract: str, *needles: str) -> str:
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert run.returncode == 2, f"[{contract}] exit {run.returncode}, want 2: {run.stderr[-600:]}"
    assert len(lines) == 1 and lines[0].startswith("error:"), \
        f"[{contract}] want one 'error: ...' line, got: {run.stderr[-600:]}"
    for n in needles:
        assert n.lower() in lines[0].lower(), f"[{contract}] {n!r} not named in: {lines[0]}"
    return lines[0]


def _text(*parts) -> str:
    return " ".join(json.dumps(p) if not isinstance(p, str) else p for p in parts).lower()


# ----------------------------------------------------------------------------------------------
# case 1: `workbench analyze CASE --provider NAME`


@pytest.fixture(scope="module")
def A(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("outsider_analyze")
    truth = oc.build_provider_case(base / "brightline")
    case, name = truth.root, truth.provider
    runs = {
        "json": run_cli("analyze", case, "--provider", name, "--json"),
        "alias": run_cli("analyze", case, "--provider", truth.alias, "--json"),
        "text": run_cli("analyze", case, "--provider", name),
        "unknown": run_cli("analyze", case, "--provider", "Nobody Telecom", "--json"),
        "no_dno": run_cli("analyze", case, "--provider", name, "--dno",
                          case / "dno" / "missing.txt", "--json"),
        "info": run_cli("info", case, "--json"),
    }
    return {"truth": truth, **runs}


def _rows(A) -> list[dict]:
    return _ok(A["json"], "analyze: runs")["ingresses"]


def _row(A, ingress: str) -> dict:
    rows = {r["ingress"]: r for r in _rows(A)}
    assert ingress in rows, f"[analyze: ingresses] {ingress} missing; got {sorted(rows)}"
    return rows[ingress]


def test_case1_export_reads_cleanly(A):
    """Precondition, not issue 12: the ingest reads every row of the export (if this fails,
    the analyze failures below are not the analytics' fault)."""
    d = _ok(A["info"], "case 1: info")
    src = d["sources"][0]
    calls = sum(it.calls for it in A["truth"].ingresses.values())
    assert (src["rows"], src["rejected"]) == (calls, 0), f"[case 1: ingest] {src}"
    assert d["tracebacks"] == len(A["truth"].tracebacks)


def test_analyze_json_keys(A):
    d = _ok(A["json"], "analyze: JSON keys")
    assert set(d) >= {"provider", "ingresses"}, f"[analyze: JSON keys] top level: {sorted(d)}"
    assert d["provider"] == A["truth"].provider, f"[analyze: JSON keys] provider {d['provider']}"
    assert d["ingresses"], "[analyze: JSON keys] no ingresses"
    for r in d["ingresses"]:
        assert set(r) >= ANALYZE_KEYS, \
            f"[analyze: JSON keys] {r.get('ingress')} lacks {sorted(ANALYZE_KEYS - set(r))}"
        assert isinstance(r["reasons"], list) and all(isinstance(s, str) for s in r["reasons"])


def test_analyze_every_ingress_with_its_kind_and_name(A):
    t = A["truth"]
    rows = {r["ingress"]: r for r in _rows(A)}
    assert set(rows) == set(t.ingresses), \
        f"[analyze: ingresses] want {sorted(t.ingresses)}, got {sorted(rows)}"
    for ing, it in t.ingresses.items():
        assert rows[ing]["kind"] == it.kind, f"[analyze: kind] {ing}: {rows[ing]['kind']}"
        if it.name:
            assert rows[ing]["name"] == it.name, f"[analyze: name] {ing}: {rows[ing]['name']}"


def test_analyze_counts_are_what_was_written(A):
    """calls and distinct calling numbers per ingress, exactly; answer rate to the percent."""
    for ing, it in A["truth"].ingresses.items():
        r = _row(A, ing)
        assert (r["calls"], r["distinct_calling"]) == (it.calls, it.distinct_calling), \
            f"[analyze: counts] {ing}: got calls/distinct {r['calls']}/{r['distinct_calling']}" \
            f", wrote {it.calls}/{it.distinct_calling}"
        assert abs(r["answer_rate"] - it.answer_rate) < 0.01, \
            f"[analyze: answer_rate] {ing}: {r['answer_rate']} vs {it.answer_rate:.4f}"


def test_analyze_rotating_customer_ranks_first(A):
    t = A["truth"]
    rows = _rows(A)
    order = [r["ingress"] for r in rows]
    assert order[0] == t.rotating, \
        f"[analyze: ranking] first is {order[0]}, want {t.rotating}; order {order}, scores " \
        f"{[r['score'] for r in rows]}"
    assert order[0] != t.pbx, "[analyze: ranking] the high-volume PBX ranks first"
    top = rows[0]["score"]
    for ing in t.honest_customers:
        r = _row(A, ing)
        assert order.index(ing) > 0 and r["score"] < top, \
            f"[analyze: ranking] honest {ing} score {r['score']} not below {top}"


def test_analyze_sorted_most_suspicious_first(A):
    scores = [r["score"] for r in _rows(A)]
    assert scores == sorted(scores, reverse=True), f"[analyze: ranking] scores {scores}"


def test_analyze_rotating_reasons_name_rotation_and_short_calls(A):
    reasons = _row(A, A["truth"].rotating)["reasons"]
    text = _text(*reasons)
    assert "distinct" in text or "rotat" in text, \
        f"[analyze: reasons] no distinct-calling/rotation reason: {reasons}"
    assert "6 s" in text or "short" in text or "6s" in text, \
        f"[analyze: reasons] no short-call reason: {reasons}"


def test_analyze_honest_customers_not_called_rotating(A):
    for ing in A["truth"].honest_customers:
        reasons = _row(A, ing)["reasons"]
        assert "rotat" not in _text(*reasons), \
            f"[analyze: reasons] honest {ing} said to rotate: {reasons}"


def test_analyze_shares(A):
    """Rotating: 60 % of calls use the called number's NPA-NXX, nearly all under 6 s;
    honest customers call numbers elsewhere and talk for minutes."""
    t = A["truth"]
    rot, it = _row(A, t.rotating), t.ingresses[t.rotating]
    want = (it.neighbor_share_calls, it.neighbor_share_numbers)
    assert min(abs(rot["neighbor_share"] - w) for w in want) < 0.02, \
        f"[analyze: neighbor_share] {rot['neighbor_share']}, wrote {want}"
    short = (it.short_all / it.calls, it.short_answered / it.answered)
    assert min(abs(rot["short_share"] - w) for w in short) < 0.02, \
        f"[analyze: short_share] {rot['short_share']}, wrote {short} (all calls, answered)"
    for ing in t.honest_customers:
        r = _row(A, ing)
        assert r["neighbor_share"] < 0.05, f"[analyze: neighbor_share] {ing}: {r}"
        assert r["short_share"] < rot["short_share"], f"[analyze: short_share] {ing}: {r}"


def test_analyze_rotating_dno_hits_reported(A):
    """Two numbers on the case's DNO list were used on 6 of the rotating customer's calls."""
    blob = _text(_row(A, A["truth"].rotating))
    assert "dno" in blob or "do-not-originate" in blob or "do not originate" in blob, \
        f"[analyze: DNO hits] not mentioned for the rotating customer: {blob[:600]}"


def test_analyze_rotating_traceback_calls_reported(A):
    """Five of its calls are in the case's traceback records."""
    blob = _text(_row(A, A["truth"].rotating))
    assert "traceback" in blob, f"[analyze: traceback calls] not mentioned: {blob[:600]}"


def test_analyze_alias_names_the_same_provider(A):
    d = _ok(A["alias"], "analyze: --provider alias")
    assert d["provider"] == A["truth"].provider
    assert [r["ingress"] for r in d["ingresses"]] == [r["ingress"] for r in _rows(A)]


def test_analyze_text_output(A):
    run = A["text"]
    assert run.returncode == 0, f"[analyze: text] exit {run.returncode}: {run.stderr[-600:]}"
    assert "Rapid Reach Marketing LLC" in run.stdout or "ACCT-10577" in run.stdout, \
        f"[analyze: text] rotating customer absent: {run.stdout[:600]}"


def test_analyze_unknown_provider_one_line_error(A):
    _one_line_error(A["unknown"], "analyze: bad --provider", "Nobody Telecom")


def test_analyze_missing_dno_file_one_line_error(A):
    _one_line_error(A["no_dno"], "analyze: bad --dno", "missing.txt")


# ----------------------------------------------------------------------------------------------
# case 2: `workbench providers CASE` and `workbench campaigns CASE`


@pytest.fixture(scope="module")
def P(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("outsider_providers")
    truth = oc.build_campaign_case(base / "spring")
    out: dict = {"truth": truth,
                 "json": run_cli("providers", truth.root, "--json"),
                 "text": run_cli("providers", truth.root),
                 "campaigns": run_cli("campaigns", truth.root, "--json"),
                 "campaigns_text": run_cli("campaigns", truth.root)}
    blank = oc.build_campaign_case(base / "blank", rmd="none", blank=True)
    out["blank"], out["blank_truth"] = run_cli("campaigns", blank.root, "--json"), blank
    if truth.has_rmd:
        two = oc.build_campaign_case(base / "two", rmd="two")
        flag = oc.build_campaign_case(base / "flag", rmd="flag")
        out["two"] = run_cli("providers", two.root, "--json")
        out["flag"] = run_cli("providers", flag.root, "--rmd",
                              flag.root / "rmd" / "rmd_2026-06-01.csv", "--json")
        out["bad_rmd"] = run_cli("providers", flag.root, "--rmd",
                                 flag.root / "rmd" / "nowhere.csv", "--json")
    return out


def _prov_rows(P, key: str = "json") -> list[dict]:
    return _ok(P[key], "providers: runs")["providers"]


def _prov(P, name: str, key: str = "json") -> dict:
    rows = {r["name"]: r for r in _prov_rows(P, key)}
    assert name in rows, f"[providers: names] {name} missing; got {sorted(rows)}"
    return rows[name]


def test_providers_json_keys(P):
    d = _ok(P["json"], "providers: JSON keys")
    assert "providers" in d and d["providers"], f"[providers: JSON keys] {sorted(d)}"
    for r in d["providers"]:
        assert set(r) >= PROVIDER_KEYS, \
            f"[providers: JSON keys] {r.get('name')} lacks {sorted(PROVIDER_KEYS - set(r))}"
        assert set(r["roles"]) >= ROLE_KEYS, f"[providers: JSON keys] roles {r['roles']}"
        assert set(r["responses"]) >= RESPONSE_KEYS, \
            f"[providers: JSON keys] responses {r['responses']}"
        assert isinstance(r["concerns"], list)


def test_providers_every_provider_once_aliases_merged(P):
    """Three of Meridian Carrier's rows say "Meridian Carrier Corp", an alias in case.toml."""
    names = [r["name"] for r in _prov_rows(P)]
    want = set(P["truth"].providers)
    assert want <= set(names), f"[providers: names] missing {sorted(want - set(names))}"
    assert len(names) == len(set(names)), f"[providers: names] duplicates: {names}"
    assert oc.SLOW_ALIAS not in names, f"[providers: aliases] alias listed apart: {names}"


def test_providers_slow_and_silent_rank_above_prompt(P):
    t = P["truth"]
    order = [r["name"] for r in _prov_rows(P)]
    worst = max(order.index(t.slow), order.index(t.silent))
    for p in t.prompt:
        assert order.index(p) > worst, \
            f"[providers: ranking] prompt {p} (#{order.index(p)}) not below the slow " \
            f"(#{order.index(t.slow)}) and silent (#{order.index(t.silent)}): {order}"


@pytest.mark.parametrize("who", ["slow", "silent", "prompt"])
def test_providers_counts(P, who):
    t = P["truth"]
    names = {"slow": [t.slow], "silent": [t.silent], "prompt": t.prompt}[who]
    for name in names:
        pt, r = t.providers[name], _prov(P, name)
        got = (r["tracebacks"], r["responses"]["answered"], r["responses"]["late"],
               r["responses"]["no_response"])
        want = (len(pt.tracebacks), pt.answered, pt.late, pt.no_response)
        assert got == want, f"[providers: counts] {name} (tracebacks, answered, late, " \
                            f"no_response) = {got}, wrote {want}"
        assert r["contradicted"] in (0, None), \
            f"[providers: contradicted] {name}: {r['contradicted']}, but no trace was run"


def test_providers_median_hours(P):
    t = P["truth"]
    for name, pt in t.providers.items():
        got = _prov(P, name)["responses"]["median_hours"]
        if pt.median_hours is None:
            assert got is None, f"[providers: median_hours] {name} never answered: {got}"
        else:
            assert got is not None and abs(got - pt.median_hours) < 0.05, \
                f"[providers: median_hours] {name}: {got}, wrote {pt.median_hours:.3f}"


def test_providers_roles(P):
    t = P["truth"]
    for name in ("Northwind Mobile", "Bayview Wireless", "Summit Transit", t.slow,
                 "Portside Gateway", "Ridgeway Voice", "Harrow Telecom"):
        got = {k: _prov(P, name)["roles"][k] for k in ROLE_KEYS}
        assert got == t.providers[name].roles, \
            f"[providers: roles] {name}: {got}, wrote {t.providers[name].roles}"


def test_providers_concerns_say_why(P):
    t = P["truth"]
    slow = _text(*_prov(P, t.slow)["concerns"])
    assert "late" in slow or "24" in slow, f"[providers: concerns] slow responder: {slow}"
    silent = _text(*_prov(P, t.silent)["concerns"])
    assert any(w in silent for w in ("never", "no response", "not answer", "no answer",
                                     "unanswered", "non-responsive", "did not respond")), \
        f"[providers: concerns] silent provider: {silent}"


def test_providers_text_output(P):
    run = P["text"]
    assert run.returncode == 0, f"[providers: text] exit {run.returncode}: {run.stderr[-600:]}"
    for name in P["truth"].providers:
        assert name in run.stdout, f"[providers: text] {name} absent"


@NO_RMD
def test_providers_rmd_not_listed_upstream(P):
    t = P["truth"]
    r = _prov(P, t.not_listed)
    assert "not" in str(r["rmd_status"]).lower(), \
        f"[providers: RMD] {t.not_listed} is in no filing: rmd_status {r['rmd_status']!r}"
    assert t.decoy_number not in json.dumps(r["rmd"]), \
        f"[providers: RMD] matched to the look-alike {t.decoy}: {r['rmd']}"
    assert t.decoy not in [x["name"] for x in _prov_rows(P)], \
        "[providers: RMD] a filer that is in no traceback listed as a provider"


@NO_RMD
def test_providers_rmd_listed_ones_matched(P):
    """By number (Ridgeway, from case.toml), by d/b/a (Summit), by name with Inc./LLC/Ltd./
    Corp., punctuation and capitals ignored (the rest)."""
    t = P["truth"]
    for name, number in t.rmd_numbers.items():
        r = _prov(P, name)
        assert number in json.dumps(r["rmd"]), \
            f"[providers: RMD match] {name} should match {number}: rmd {r['rmd']!r}"
        assert "not listed" not in str(r["rmd_status"]).lower(), \
            f"[providers: RMD match] {name}: {r['rmd_status']!r}"


@NO_RMD
def test_providers_rmd_removed_between_snapshots(P):
    """The slow responder is in the April snapshot and gone from the June one: removed."""
    r = _prov(P, P["truth"].slow, "two")
    assert "remov" in str(r["rmd_status"]).lower(), \
        f"[providers: RMD removal] rmd_status {r['rmd_status']!r}"


@NO_RMD
def test_providers_rmd_from_flag(P):
    r = _prov(P, P["truth"].silent, "flag")
    assert "not" in str(r["rmd_status"]).lower(), \
        f"[providers: --rmd] rmd_status {r['rmd_status']!r}"
    assert "RMD0019044" in json.dumps(_prov(P, "Summit Transit", "flag")["rmd"])


@NO_RMD
def test_providers_missing_rmd_file_one_line_error(P):
    _one_line_error(P["bad_rmd"], "providers: bad --rmd", "nowhere.csv")


def _campaigns(P) -> dict[str, dict]:
    d = _ok(P["campaigns"], "campaigns: runs")
    return {c["campaign"]: c for c in d["campaigns"]}


def test_campaigns_json_keys(P):
    d = _ok(P["campaigns"], "campaigns: JSON keys")
    assert "campaigns" in d, f"[campaigns: JSON keys] {sorted(d)}"
    for c in d["campaigns"]:
        assert set(c) >= CAMPAIGN_KEYS, \
            f"[campaigns: JSON keys] {c.get('campaign')} lacks {sorted(CAMPAIGN_KEYS - set(c))}"
        for o in c["origins"]:
            assert set(o) >= {"provider", "customer", "tracebacks"}, f"[campaigns: keys] {o}"
        for k in c["choke_points"]:
            assert set(k) >= {"provider", "tracebacks"}, f"[campaigns: keys] {k}"


def test_campaigns_three_with_their_counts(P):
    t = P["truth"]
    got = {name: c["tracebacks"] for name, c in _campaigns(P).items()}
    want = {name: ct.tracebacks for name, ct in t.campaigns.items()}
    assert got == want, f"[campaigns: counts] got {got}, wrote {want}"


def test_campaigns_origins(P):
    t = P["truth"]
    camps = _campaigns(P)
    customers = {c for ct in t.campaigns.values() for (_, c) in ct.origins}
    for name, ct in t.campaigns.items():
        origins = camps[name]["origins"]
        got = {(o["provider"], o["customer"]): o["tracebacks"] for o in origins
               if o.get("customer") in customers}
        assert got == ct.origins, f"[campaigns: origins] {name}: {origins}, wrote {ct.origins}"


def test_campaigns_choke_point(P):
    """All 14 Medicare chains pass through Bayview Wireless and Cobble Hill Exchange."""
    chokes = _campaigns(P)["Medicare benefits"]["choke_points"]
    assert chokes and chokes[0]["tracebacks"] == 14 and chokes[0]["provider"] in (
        "Bayview Wireless", "Cobble Hill Exchange"), f"[campaigns: choke points] {chokes}"


def test_campaigns_without_label_grouped_by_origin(P):
    """Nine tracebacks have an empty campaign field and share one origin: one group of 9,
    named (not blank), whose origin is Harrow Telecom / Bluebird Benefits Group."""
    d = _ok(P["blank"], "campaigns: empty campaign field")
    counts = sorted(c["tracebacks"] for c in d["campaigns"])
    assert counts == [5, 9, 12, 16], f"[campaigns: grouping by origin] groups {counts}"
    group = next(c for c in d["campaigns"] if c["tracebacks"] == 9)
    assert str(group["campaign"] or "").strip(), f"[campaigns: grouping by origin] {group}"
    assert [(o["provider"], o["customer"], o["tracebacks"]) for o in group["origins"]] == [
        ("Harrow Telecom", "Bluebird Benefits Group", 9)], f"[campaigns: origins] {group}"


def test_campaigns_text_output(P):
    run = P["campaigns_text"]
    assert run.returncode == 0, f"[campaigns: text] exit {run.returncode}: {run.stderr[-600:]}"
    for name in P["truth"].campaigns:
        assert name in run.stdout, f"[campaigns: text] {name} absent"
