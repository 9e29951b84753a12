"""STIR/SHAKEN path checks on a traced chain: each check on hand-made hops, then a whole case
whose CDRs carry Identity headers (one hop re-signs; the origin signs A for a number that is
not the one its CDR shows), traced through the command line."""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests import casebuilder
from tests.clirun import run_cli
from workbench.case.model import load_case
from workbench.columns.sip import identity_claims
from workbench.columns.times import NAT, US
from workbench.present.trace_json import trace_json
from workbench.present.trace_words import UNVERIFIED, check_text
from workbench.trace.engine import trace_traceback
from workbench.trace.results import (
    Hop,
    Origin,
    Outcome,
    Role,
    ShakenCheck,
    ShakenCheckKind,
    ShakenReason,
    TraceResult,
)
from workbench.trace.shaken_checks import IAT_TOLERANCE_S, shaken_checks

T0 = 1_772_955_000 * US  # 2026-03-08T07:30:00Z
CALLING, CALLED = 13125550143, 17735550188
O1, O2 = "6e0b7f52-93d4-4c1a-b8e7-2f5a0c91d3e4", "0b8e7a21-5c44-4f0e-9d2a-7b1f3c6e8a90"
U1, U2 = "https://cert.origin-voice.example/sti/ov.pem", "https://cert.gateway-co.example/gw.pem"
CHECKS = ["origid_constant", "attestation_origin", "passport_numbers", "iat_window",
          "same_signer"]


# ---------------------------------------------------------------- hand-made hops

def hop(provider: str, **kw: object) -> Hop:
    base: dict = dict(found=True, role=Role.TRANSIT, upstream="next", start_us=T0,
                      corrected_us=T0, calling_key=CALLING, called_key=CALLED)
    base.update(kw)
    return Hop(provider, **base)


def origin(provider: str = "Origin", **kw: object) -> Hop:
    return hop(provider, role=Role.ORIGINATING, upstream=None, customer="Robo Dialer", **kw)


def chain(*hops: Hop) -> TraceResult:
    outcome = Outcome.ORIGIN if hops and hops[-1].customer else Outcome.NOT_FOUND
    org = Origin(hops[-1].provider, hops[-1].customer or "") if outcome == "origin" else None
    return TraceResult(f"+{CALLING}", f"+{CALLED}", T0, outcome, list(hops), org, {}, 60.0)


def check(result: TraceResult, i: int, kind: ShakenCheckKind) -> ShakenCheck:
    return next(c for c in shaken_checks(result)[i] if c.check == kind)


def oks(result: TraceResult, kind: ShakenCheckKind) -> list[bool | None]:
    return [check(result, i, kind).ok for i in range(len(result.hops))]


def test_every_hop_gets_the_five_checks_in_order():
    r = chain(hop("Term"), hop("Lost", found=False), origin())
    assert [[c.check.value for c in cs] for cs in shaken_checks(r)] == [CHECKS] * 3
    assert all(c.ok is None and c.reason == ShakenReason.NO_RECORD
               for c in shaken_checks(r)[1])


def test_origid_constant_pass_fail_unknown():
    k = ShakenCheckKind.ORIGID_CONSTANT
    same = chain(hop("Term", origid=O1), hop("Mid"), origin(origid=O1))
    assert oks(same, k) == [True, None, True]  # Mid carries none: skipped, not failed
    assert check(same, 1, k).reason == ShakenReason.ABSENT
    # re-signed between Mid and Gate: the hop where the other origid starts is the one flagged
    resigned = chain(hop("Term", origid=O2), hop("Mid", origid=O2), hop("Gate", origid=O1),
                     origin(origid=O1))
    assert oks(resigned, k) == [True, True, False, True]
    c = check(resigned, 2, k)
    assert (c.get("here"), c.get("other"), c.get("other_hop")) == (O1, O2, 2)
    assert "re-signed" in check_text(c) and "hop 2 (Mid)" in check_text(c)
    alone = chain(hop("Term", origid=O1), origin())
    assert oks(alone, k) == [None, None]
    assert check(alone, 0, k).reason == ShakenReason.NOTHING_TO_COMPARE


def test_same_signer_pass_fail_unknown():
    k = ShakenCheckKind.SAME_SIGNER
    r = chain(hop("Term", pp_x5u=U2), hop("Mid"), hop("Gate", pp_x5u=U1), origin(pp_x5u=U1))
    assert oks(r, k) == [False, None, False, True]
    assert check(r, 0, k).get("other_provider") == "Gate"
    assert "another provider signed" in check_text(check(r, 2, k))
    assert oks(chain(hop("Term", pp_x5u=U1), origin(pp_x5u=U1)), k) == [True, True]
    assert oks(chain(hop("Term"), origin(pp_x5u=U1)), k) == [None, None]


def test_attestation_a_at_the_origin_needs_its_customer():
    k = ShakenCheckKind.ATTESTATION_ORIGIN
    r = chain(hop("Term"), origin(attest="A"))
    assert oks(r, k) == [None, True]
    assert check(r, 1, k).reason == ShakenReason.ORIGIN_KNOWN
    # the case calls it the originator, but the ingress names no customer
    unknown = chain(hop("Term"), hop("Orig", role="originating", upstream=None, attest="A"))
    assert oks(unknown, k) == [None, False]
    assert check(unknown, 1, k).reason == ShakenReason.ORIGIN_UNKNOWN


def test_attestation_a_downstream_is_judged_by_who_signed_the_token():
    k = ShakenCheckKind.ATTESTATION_ORIGIN
    passed_on = chain(hop("Term", attest="A", origid=O1), hop("Mid", attest=" a ", origid=O1),
                      origin(attest="A", origid=O1))
    assert oks(passed_on, k) == [True, True, True]
    assert check(passed_on, 0, k).reason == ShakenReason.SIGNED_AT_ORIGIN
    # Gate re-signed with A: its token differs from the one the origin signed
    resigned = chain(hop("Term", attest="A", origid=O2), hop("Gate", attest="A", origid=O2),
                     origin(attest="A", origid=O1))
    assert oks(resigned, k) == [False, False, True]
    c = check(resigned, 0, k)
    assert (c.reason, c.get("signer_provider"), c.get("other_provider")) == (
        ShakenReason.RESIGNED, "Gate", "Origin")
    # compared by signer when no origid is recorded
    by_x5u = chain(hop("Term", attest="A", pp_x5u=U2), origin(attest="A", pp_x5u=U1))
    assert oks(by_x5u, k) == [False, True]
    # the chain stops before the origin and shows no other token: who signed is unknown
    open_end = chain(hop("Term", attest="A", origid=O1), hop("Mid"))
    assert oks(open_end, k) == [None, None]
    assert check(open_end, 0, k).reason == ShakenReason.SIGNER_UNKNOWN
    # B and C claim no full knowledge of the caller: nothing to flag
    assert oks(chain(hop("Term", attest="C", origid=O2), origin(attest="B", origid=O1)),
               k) == [True, True]


def test_passport_numbers_against_the_records_numbers():
    k = ShakenCheckKind.PASSPORT_NUMBERS
    good = chain(hop("Term", pp_orig="13125550143", pp_dest="17735550188"),
                 hop("Mid", pp_orig="+1 312 555 0143", pp_dest="7735550188"),  # NANP, no 1
                 origin(pp_orig="13125550143", pp_dest="12025550100,17735550188"))
    assert oks(good, k) == [True, True, True]
    spoofed = chain(hop("Term", pp_orig="13125550999", pp_dest="17735550188"),
                    origin(pp_orig="13125550143", pp_dest="16125550101"))
    assert oks(spoofed, k) == [False, False]
    c = check(spoofed, 0, k)
    assert (c.get("orig_ok"), c.get("dest_ok")) == (False, True)
    words = check_text(c)
    assert "PASSporT orig 13125550999 differs from the record's calling number +13125550143" \
        in words and "dest 17735550188 equals" in words
    unknown = chain(hop("Term"), origin(pp_orig="13125550143", calling_key=-1, called_key=-1))
    assert oks(unknown, k) == [None, None]
    assert [check(unknown, i, k).reason for i in (0, 1)] == [ShakenReason.ABSENT,
                                                             ShakenReason.NO_CDR_NUMBERS]
    # no calling number in the record: dest alone decides
    assert oks(chain(hop("Term", calling_key=-1, pp_orig="13125550999",
                         pp_dest="17735550188")), k) == [True]


def test_iat_window_against_the_originating_start():
    k = ShakenCheckKind.IAT_WINDOW
    tol = int(IAT_TOLERANCE_S * US)
    r = chain(hop("Term", pp_iat_us=T0 + tol, corrected_us=T0 + 300 * US),
              hop("Mid", pp_iat_us=T0 + tol + US), hop("Gate"), origin(pp_iat_us=T0 - 2 * US))
    assert oks(r, k) == [True, False, None, True]  # Term's own start is 300 s off: not used
    c = check(r, 1, k)
    assert (c.get("ref_provider"), c.get("gap_s")) == ("Origin", 61.0)
    assert "outside the stated tolerance of ±60 s" in check_text(c)
    assert "within the stated tolerance of ±60 s" in check_text(check(r, 0, k))
    # no originating record: the hop's own (skew-corrected) start is the reference
    own = chain(hop("Term", pp_iat_us=T0 + 5 * US), hop("Mid", pp_iat_us=T0 - 90 * US))
    assert oks(own, k) == [True, False]
    assert check(own, 1, k).get("ref_basis") == "own"
    assert "this hop's own start" in check_text(check(own, 1, k))
    none = chain(hop("Term", pp_iat_us=T0, corrected_us=NAT, start_us=NAT))
    assert oks(none, k) == [None]
    assert check(none, 0, k).reason == ShakenReason.NO_REFERENCE_TIME


def test_details_never_claim_a_verified_signature():
    r = chain(hop("Term", attest="A", origid=O2, pp_x5u=U2, pp_orig="13125550143",
                  pp_dest="17735550188", pp_iat_us=T0),
              hop("Mid"), origin(attest="A", origid=O1, pp_x5u=U1, pp_orig="1",
                                 pp_dest="17735550188", pp_iat_us=T0 - 900 * US))
    for checks in shaken_checks(r):
        for c in checks:
            words = check_text(c)
            assert words and "{" not in words
            assert (UNVERIFIED in words) == (c.ok is not None), words
            assert not re.search(r"(?<!not )verified(?!:)", words.replace(UNVERIFIED, "")), words


# ---------------------------------------------------------------- a case with Identity headers

def b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def identity(x5u: str, **claims: object) -> str:
    """An Identity header as RFC 8224 writes it (dummy signature: nothing here verifies)."""
    head = {"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": x5u}
    return f"{b64(head)}.{b64(claims)}.RFVNTVktU0lH;info=<{x5u}>;alg=ES256;ppt=shaken"


def _last10(value: object) -> str:
    """The national number of a written number, also inside a SIP URI ('sip:+1…@host')."""
    m = re.search(r"\d[\d().\- ]{6,}\d", str(value))
    return re.sub(r"\D", "", m.group(0))[-10:] if m else ""


def _stamp(df: pd.DataFrame, calling: str, called: str, tokens: dict) -> list:
    """Identity per row: a call's token on the first record of its numbers (the traced call;
    the retry 30 s later carries none)."""
    out: list = [None] * len(df)
    for i, pair in enumerate(zip(df[calling].map(_last10), df[called].map(_last10))):
        if pair in tokens:
            out[i] = tokens.pop(pair)
    return out


def _pair(call: dict) -> tuple[str, str]:
    return _last10(call["calling"]), _last10(call["called"])


def identity_case(root: Path) -> dict:
    """casebuilder's five-provider chain with Identity headers in four of the five files.

    TB-1: the origin signs A with orig 13125550999 though its CDR shows +13125550143
    (token T1, origid O1, signer U1); Gateway Co passes T1 on but Lakes and Term receive T2,
    signed A by another certificate (origid O2, signer U2, the CDR's numbers among two dest
    numbers). TB-2: one
    token B along the whole chain, iat an hour before the call (replayed). TB-3: none.
    Midway Transit's file has no Identity column at all.
    """
    truth = casebuilder.build(root)
    tb1, tb2, _ = truth["calls"]
    org = pd.read_parquet(root / "cdrs/origin.parquet")
    keys = list(zip(org["from"].map(_last10), org["to"].map(_last10)))

    def iat(call: dict) -> int:  # the origin's start of the traced call, whole seconds
        return int(org["start"][keys.index(_pair(call))].timestamp())

    dest1, dest2 = [_last10(tb1["called"])], [_last10(tb2["called"])]
    t1 = identity(U1, attest="A", dest={"tn": ["1" + dest1[0]]}, iat=iat(tb1),
                  orig={"tn": "13125550999"}, origid=O1)
    t2 = identity(U2, attest="A", dest={"tn": ["12025550100", "1" + dest1[0]]}, iat=iat(tb1) + 1,
                  orig={"tn": "13125550143"}, origid=O2)
    t3 = identity(U1, attest="B", dest={"tn": "1" + dest2[0]}, iat=str(iat(tb2) - 3600),
                  orig={"tn": "13125550143"}, origid=O1[:-4] + "beef")
    upstream = {_pair(tb1): t1, _pair(tb2): t3}
    downstream = {_pair(tb1): t2, _pair(tb2): t3}
    for path, sep, a, b, tokens in (("cdrs/term.csv", ",", "ANI", "DNIS", downstream),
                                    ("cdrs/lakes.psv", "|", "src", "dst", downstream),
                                    ("cdrs/gateway.tsv", "\t", "calling", "called", upstream)):
        df = pd.read_csv(root / path, sep=sep, dtype=str, keep_default_na=False)
        df["Identity"] = _stamp(df, a, b, dict(tokens))
        df.to_csv(root / path, sep=sep, index=False)
    org["identity"] = _stamp(org, "from", "to", dict(upstream))
    org.to_parquet(root / "cdrs/origin.parquet", index=False)
    return truth


@pytest.fixture(scope="module")
def signed_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shaken") / "case"
    identity_case(root)
    return root


def traced(root: Path, tb: str) -> dict:
    r = run_cli("trace", root, "--traceback", tb, "--json", cache=root.parent / "cache")
    assert r.returncode == 0, r.stderr
    return r.json


def table(result: dict) -> dict[str, list]:
    """Per check id, the ok values hop by hop."""
    assert [[c["check"] for c in h["shaken_checks"]] for h in result["hops"]] == \
        [CHECKS] * len(result["hops"])
    return {k: [h["shaken_checks"][n]["ok"] for h in result["hops"]]
            for n, k in enumerate(CHECKS)}


def test_resigned_chain_and_spoofed_origin(signed_case: Path):
    j = traced(signed_case, "TB-1")
    assert j["outcome"] == "origin"
    assert [h["provider"] for h in j["hops"]] == casebuilder.CHAIN
    #                          Term    Midway  Lakes   Gateway Origin
    assert table(j) == {
        "origid_constant":    [True,  None,   True,   False,  True],
        "attestation_origin": [False, None,   False,  True,   True],
        "passport_numbers":   [True,  None,   True,   False,  False],
        "iat_window":         [True,  None,   True,   True,   True],
        "same_signer":        [True,  None,   True,   False,  True],
    }
    term, gateway, org = j["hops"][0], j["hops"][3], j["hops"][4]
    words = {c["check"]: c["detail"] for c in term["shaken_checks"]}
    assert "first seen at hop 3 (Lakes Carrier)" in words["attestation_origin"]
    assert "hop 4 (Gateway Co)" in words["attestation_origin"]
    assert {c["check"]: c["detail"] for c in gateway["shaken_checks"]}["origid_constant"] \
        .startswith(f"origid {O1} differs from {O2} at hop 3 (Lakes Carrier)")
    numbers = {c["check"]: c["detail"] for c in org["shaken_checks"]}["passport_numbers"]
    assert "PASSporT orig 13125550999 differs from the record's calling number +13125550143" \
        in numbers
    assert all(UNVERIFIED in c["detail"] for h in j["hops"] for c in h["shaken_checks"]
               if c["ok"] is not None)
    # the SHAKEN fields themselves come from the decoded tokens (no attest/origid columns)
    assert [h["shaken"]["origid"] for h in j["hops"]] == [O2, None, O2, O1, O1]


def test_replayed_token_and_unsigned_call(signed_case: Path):
    j = traced(signed_case, "TB-2")
    assert table(j) == {
        "origid_constant":    [True, None, True, True, True],
        "attestation_origin": [True, None, True, True, True],  # B: nothing to flag
        "passport_numbers":   [True, None, True, True, True],
        "iat_window":         [False, None, False, False, False],
        "same_signer":        [True, None, True, True, True],
    }
    iat = {c["check"]: c["detail"] for c in j["hops"][0]["shaken_checks"]}["iat_window"]
    assert "from the originating CDR's start (hop 5, Origin Voice" in iat
    assert "outside the stated tolerance of ±60 s" in iat
    unsigned = traced(signed_case, "TB-3")
    assert all(v is None for vs in table(unsigned).values() for v in vs)


def test_passport_columns_in_the_store_and_on_the_hops(signed_case: Path):
    case = load_case(signed_case)
    sid = {s.provider: s.id for s in case.sources}
    t = case.store.columns(sid["Term Wireless"], ["pp_orig", "pp_dest", "pp_iat", "pp_x5u"])
    assert t.column("pp_iat").type == pa.int64()
    signed = [i for i, v in enumerate(t.column("pp_x5u").to_pylist()) if v]
    assert len(signed) == 2  # TB-1 and TB-2, not their retries
    iat = t.column("pp_iat").to_numpy()
    assert (np.delete(iat, signed) == NAT).all() and (iat[signed] > 0).all()
    assert {t.column("pp_orig")[i].as_py() for i in signed} == {"13125550143"}
    mid = case.store.columns(sid["Midway Transit"], ["pp_orig", "pp_dest", "pp_iat", "pp_x5u"])
    assert all(mid.column(c).null_count == mid.num_rows for c in ("pp_orig", "pp_dest",
                                                                  "pp_x5u"))
    assert (mid.column("pp_iat").to_numpy() == NAT).all()
    r = trace_traceback(case, "TB-1")
    term, org = r.hops[0], r.hops[-1]
    assert (term.pp_x5u, term.pp_orig, term.calling_key) == (U2, "13125550143", CALLING)
    assert term.pp_dest == "12025550100,17735550188"  # every signed called number
    assert (org.pp_x5u, org.pp_orig, org.pp_dest) == (U1, "13125550999", "17735550188")
    assert abs(org.pp_iat_us - org.corrected_us) < 2 * US
    assert [c.ok for c in org.shaken_checks] == [True, True, False, True, True]


def test_identity_claims_keep_every_dest_and_iat_in_microseconds():
    tok = identity(U1, attest="A", dest={"tn": ["12025550100", "17735550188"]}, iat=1718035231,
                   orig={"tn": "13125550143"}, origid=O1)
    cols = identity_claims(pa.array([tok, None, identity(U2, iat=10**15)]))
    assert cols["dests"].to_pylist() == ["12025550100,17735550188", None, None]
    assert cols["iat_us"].to_pylist() == [1718035231 * US, None, None]  # year 30 million: none


def test_trace_json_key_sits_after_the_shaken_fields():
    r = chain(hop("Term", attest="A", origid=O1), origin(attest="A", origid=O1))
    for h, checks in zip(r.hops, shaken_checks(r)):
        h.shaken_checks = checks
    keys = list(trace_json(r)["hops"][0])
    assert keys[keys.index("shaken") + 1] == "shaken_checks"
    assert trace_json(r)["hops"][1]["shaken_checks"][1] == {
        "check": "attestation_origin", "ok": True,
        "detail": "attestation A at the originating provider, which names its customer "
                  f"(Robo Dialer) — {UNVERIFIED}"}


# ---------------------------------------------------------------- Hop details (Qt)

@pytest.mark.gui
def test_hop_details_show_the_checks_and_step_mode_hides_them(qtbot, window, signed_case,
                                                              tmp_path):
    import shutil

    from tests.qt_fixtures import open_case, wait_idle
    root = tmp_path / "case"
    shutil.copytree(signed_case, root)
    open_case(qtbot, window, root)
    s = window.session
    with qtbot.waitSignal(s.sig_trace_changed, timeout=30_000):
        s.trace_traceback("TB-1")
    wait_idle(qtbot, window)
    s.select_hop(3)  # Gateway Co: carries the origin's token, Lakes the re-signed one
    text = window.hop_dock.view.toPlainText()
    assert "https://cert.origin-voice.example/sti/ov.pem" in text  # signer (x5u) shown
    assert "13125550999" in text  # the signed calling number
    lines = text.split("SHAKEN path checks", 1)[1].splitlines()
    assert UNVERIFIED in lines[1]  # said once, above the table
    marks = [i for i, ln in enumerate(lines) if ln.strip() in ("✓", "✗", "—")]
    assert [lines[i].strip() for i in marks] == ["✗", "✓", "✗", "✓", "✗"]
    assert lines[marks[0] + 1] == "origid constant" and "re-signed" in lines[marks[0] + 2]
    assert lines[marks[2] + 1] == "PASSporT numbers = CDR"
    s.set_step_mode(True)
    with qtbot.waitSignal(s.sig_trace_changed, timeout=30_000):
        s.trace_traceback("TB-1")
    wait_idle(qtbot, window)
    text = window.hop_dock.view.toPlainText()
    assert "hidden in step mode until the whole chain is revealed" in text
    assert "Gateway Co" not in text  # named by the checks, not yet revealed


def test_the_text_report_lists_the_checks_that_failed(signed_case: Path):
    r = run_cli("trace", signed_case, "--traceback", "TB-1", cache=signed_case.parent / "cache")
    assert r.returncode == 0, r.stderr
    head, _, failed = r.stdout.partition("STIR/SHAKEN path checks that failed")
    assert failed, r.stdout
    assert "not verified" in failed.splitlines()[0]
    lines = [ln for ln in failed.splitlines()[1:] if ln.startswith("  hop ")]
    # the six False of the table above: hops 1 and 3 attestation, hop 4 origid, numbers and
    # signer, hop 5 numbers
    assert len(lines) == 6 and all("✗" in ln for ln in lines)
    assert {ln.split(":")[0].strip() for ln in lines} == {"hop 1", "hop 3", "hop 4", "hop 5"}
