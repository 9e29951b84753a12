"""Provider packets (one provider across the case) and the originator's suspension statement.

The packet is checked against the case's own files, read here without the workbench:
the traceback CSV says which tracebacks name the provider, its CDR file holds the lines
that must be quoted verbatim, and every called number of the case must be gone from every
member of a consumer-redacted packet.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import docx
import pyarrow.parquet as pq
import pytest

from tests.clirun import run_cli
from tests.test_evidence_cases import CUSTOMER, harbor_case, sample_copy
from tests.test_evidence_packet import flip, members, rewrite
from tests.test_rmd import _filer, write_rmd
from workbench.case.audit import read_audit
from workbench.evidence import verify_packet
from workbench.investigation import Investigation

PROVIDER = "Lakeshore Carrier Services"
ALIASES = {"lakeshore carrier services", "lcs", "lakeshore"}  # as case.toml lists them
ACCOUNT, ACCOUNT_CUSTOMER = "ACCT-1001", "Acme Vehicle Services LLC"
DNO_NUMBER = "(808) 555-0188"  # calls Lakeshore on trunk SGW-A (line 3 of its file)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return sample_copy(tmp_path_factory.mktemp("provider"))


@pytest.fixture(scope="module")
def packet(sample, tmp_path_factory) -> Path:
    """The provider packet as the CLI writes it, with an RMD snapshot (fictional) in which
    Lakeshore files under another name and its upstream Seaport Gateway is missing, and a
    Do-Not-Originate list holding one calling number of its traffic."""
    tmp = tmp_path_factory.mktemp("out")
    rmd = write_rmd(tmp / "rmd_2026-03-01.csv",
                    _filer("RMD0003318", "Lakeshore Holdings Inc", dba="Lakeshore Carrier Services",
                           impl="Partial STIR/SHAKEN Implementation"),
                    _filer("RMD0005562", "Origin Voice Company LLC"))
    (tmp / "dno.txt").write_text(f"{DNO_NUMBER}\n", encoding="utf-8")
    out = tmp / "lakeshore packet.zip"
    run = run_cli("export", sample, "--provider", "LCS", "--out", out,
                  "--investigator", "R. Okafor", "--rmd", rmd, "--dno", tmp / "dno.txt")
    assert run.returncode == 0, run.stderr
    assert "provider packet written" in run.stdout
    return out


@pytest.fixture(scope="module")
def consumer_packet(sample, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out") / "lakeshore-consumer.zip"
    Investigation.open(sample).export_provider(PROVIDER, out, redact="consumer")
    return out


def record_rows(case_root: Path) -> list[dict[str, str]]:
    with open(case_root / "tracebacks.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def expected_tracebacks(case_root: Path) -> set[str]:
    """Tracebacks whose record has a row of the provider or names it upstream."""
    return {r["traceback_id"] for r in record_rows(case_root)
            if r["provider"].lower() in ALIASES
            or (r["upstream"].lower() in ALIASES and r["status"] != "originator")}


def data(path: Path) -> dict[str, bytes]:
    """The packet's members under data/, keyed by their path below data/."""
    return {n.split("/data/", 1)[1]: b for n, b in members(path).items() if "/data/" in n}


def texts(path: Path) -> dict[str, str]:
    """Every member's text, and every file inside a zipped member (xlsx) as its own entry."""
    out = {}
    for name, blob in members(path).items():
        out[name] = blob.decode("latin-1")
        if blob[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(blob)) as z:
                out.update({f"{name}!{n}": z.read(n).decode("latin-1") for n in z.namelist()})
    return out


def test_provider_packet_verifies_and_holds_dossier_analysis_and_tracebacks(sample, packet):
    res = verify_packet(packet)
    assert res.ok, res.problems
    assert res.info["Provider"] == PROVIDER
    assert res.info["Investigator"] == "R. Okafor"
    assert json.loads(res.info["Export-Parameters"])["provider"] == "LCS"
    d = data(packet)
    for name in ("report.pdf", "workbook.xlsx", "dossier.json", "analysis.json",
                 "tracebacks/index.json", "sources.sha256", "redaction.json", "README.txt"):
        assert name in d, name
    dossier = json.loads(d["dossier.json"])
    assert dossier["name"] == PROVIDER
    assert {"tracebacks", "roles", "responses", "contradicted", "rmd_status",
            "concerns"} <= set(dossier)
    wanted = expected_tracebacks(sample)
    assert dossier["tracebacks"] >= len(wanted)
    # TB-26-0106: Lakeshore's row says no_response; the dossier counts it
    assert dossier["responses"]["no_response"] >= 1
    assert dossier["rmd_status"] == "listed"
    assert dossier["rmd_match"]["business_name"] == "Lakeshore Holdings Inc"
    assert any("Seaport Gateway LLC" in c and "not in the RMD" in c for c in dossier["concerns"])
    analysis = json.loads(d["analysis.json"])
    assert analysis["provider"] == PROVIDER
    by_ingress = {r["ingress"]: r for r in analysis["ingresses"]}
    psv = (sample / "cdrs/lakeshore.psv").read_text().splitlines()
    rows = [ln.split("|") for ln in psv[1:] if ln.count("|") == 8]
    for trunk, name in (("CUST-0031", "Northgate Call Center Inc"), ("SGW-A",
                                                                     "Seaport Gateway LLC")):
        assert by_ingress[trunk]["name"] == name
        assert by_ingress[trunk]["calls"] == sum(1 for r in rows if r[4] == trunk)
    assert by_ingress["SGW-A"]["dno_hits"] == sum(1 for r in rows if r[4] == "SGW-A"
                                                  and r[2] == DNO_NUMBER)
    assert by_ingress["SGW-A"]["dno_hits"] >= 1 and by_ingress["CUST-0031"]["dno_hits"] == 0
    folders = {n.split("/")[1] for n in d if n.startswith("tracebacks/TB-")}
    assert folders == wanted
    for tid in wanted:
        record = json.loads(d[f"tracebacks/{tid}/record.json"])
        csv_rows = [r for r in record_rows(sample) if r["traceback_id"] == tid]
        assert [(r["hop"], r["provider"], r["status"]) for r in record["rows"]] == \
               [(int(r["hop"]), r["provider"], r["status"]) for r in csv_rows]
        trace = json.loads(d[f"tracebacks/{tid}/trace.json"])
        assert trace["traceback_id"] == tid
    # where its CDRs hold the call, the packet quotes that line exactly as in the file
    quoted = 0
    for tid in wanted:
        trace = json.loads(d[f"tracebacks/{tid}/trace.json"])
        mine = [h for h in trace["hops"] if h["provider"] == PROVIDER and h["found"]]
        if mine:
            cdr = d[f"tracebacks/{tid}/cdr.txt"].decode()
            assert f"{mine[0]['line']}\t{psv[mine[0]['line'] - 1]}" in cdr
            quoted += 1
    assert quoted >= 3
    sums = d["sources.sha256"].decode()
    assert hashlib.sha256((sample / "cdrs/lakeshore.psv").read_bytes()).hexdigest() in sums


def test_workbook_and_report_show_the_same_tracebacks(sample, packet):
    import openpyxl
    d = data(packet)
    wb = openpyxl.load_workbook(io.BytesIO(d["workbook.xlsx"]))
    assert {"Summary", "Dossier", "Ingresses", "Tracebacks", "Records"} <= set(wb.sheetnames)
    ids = {row[0] for row in wb["Tracebacks"].iter_rows(min_row=2, values_only=True)}
    assert ids == expected_tracebacks(sample)
    ingress = [row[1] for row in wb["Ingresses"].iter_rows(min_row=2, values_only=True)]
    assert "CUST-0031" in ingress
    pdf = d["report.pdf"]
    for words in (b"Provider evidence packet", b"TB-26-0106", b"Partial STIR/SHAKEN",
                  b"Northgate Call Center Inc", b"not in the RMD"):
        assert words in pdf, words


def test_every_flipped_byte_fails_verify_naming_the_file(packet, tmp_path):
    for name, blob in members(packet).items():
        if name.endswith("/"):
            continue
        bad = rewrite(packet, tmp_path / "bad.zip", change={name: flip(blob)})
        res = verify_packet(bad, deep=False)
        rel = name.split("/", 1)[1]
        assert not res.ok, name
        assert any(p.startswith(f"changed: {rel}") for p in res.problems), (name, res.problems)
    assert run_cli("verify", packet).returncode == 0


def _number_pattern(e164: str) -> re.Pattern[str]:
    """The 10 national digits of a +1 number with any punctuation between them."""
    return re.compile(r"[\s().\-/\\]{0,3}".join(e164[-10:]))


def test_consumer_redaction_leaves_no_called_number_in_any_member(sample, consumer_packet):
    assert verify_packet(consumer_packet).ok
    called = {r["called"] for r in record_rows(sample)}
    calling = {r["calling"] for r in record_rows(sample)}
    assert called and not (called & calling)
    everything = texts(consumer_packet)
    for name, text in everything.items():
        for number in called:
            assert not _number_pattern(number).search(text), (number, name)
    d = data(consumer_packet)
    record = d["tracebacks/TB-26-0101/record.json"].decode()
    assert "XXXXXX0118" in record  # masked to the last four digits, not dropped
    assert "+13125550143" in record  # calling numbers stay
    assert json.loads(d["redaction.json"])["profile"] == "consumer"


def test_training_redaction_replaces_customer_names(sample, tmp_path):
    out = Investigation.open(sample).export_provider(PROVIDER, tmp_path / "t.zip",
                                                     redact="training").path
    everything = "\n".join(texts(out).values())
    assert "Northgate Call Center" not in everything
    assert "Customer A" in everything
    assert verify_packet(out).ok


def test_provider_packet_is_logged_and_exclusive_with_a_call(sample, packet, tmp_path):
    mine = [e for e in read_audit(sample) if e["action"] == "export"
            and e["details"].get("packet") == str(packet.absolute())]
    assert len(mine) == 1
    d = mine[0]["details"]
    assert d["provider"] == PROVIDER and d["investigator"] == "R. Okafor"
    assert {t["traceback"] for t in d["tracebacks"]} == expected_tracebacks(sample)
    assert d["packet_sha256"] == hashlib.sha256(packet.read_bytes()).hexdigest()
    run = run_cli("export", sample, "--provider", PROVIDER, "--traceback", "TB-26-0101",
                  "--out", tmp_path / "x.zip")
    assert run.returncode == 2 and run.stderr.startswith("error: ")
    assert "--traceback" in run.stderr and not (tmp_path / "x.zip").exists()
    run = run_cli("export", sample, "--provider", "Nobody Telecom", "--out", tmp_path / "y.zip")
    assert run.returncode == 2 and "no provider 'Nobody Telecom'" in run.stderr
    run = run_cli("export", sample, "--traceback", "TB-26-0101", "--dno", "x.txt",
                  "--out", tmp_path / "z.zip")
    assert run.returncode == 2 and "--provider" in run.stderr


# -- the reply draft's suspension statement ---------------------------------------------------

def reply_text(path: Path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        parts += [" | ".join(c.text for c in r.cells) for r in t.rows]
    return "\n".join(parts)


def test_reply_states_the_suspension_with_time_evidence_and_traffic(sample, tmp_path):
    out = tmp_path / "ovc.docx"
    run = run_cli("reply", sample, "--traceback", "TB-26-0101", "--provider", "OVC",
                  "--out", out, "--suspended", ACCOUNT_CUSTOMER,
                  "--suspended-at", "2026-03-12T09:30:00-05:00",
                  "--evidence", "rotating calling numbers on account ACCT-1001")
    assert run.returncode == 0, run.stderr
    t = reply_text(out)
    assert (f"We suspended the traffic of our customer {ACCOUNT_CUSTOMER} on "
            "2026-03-12T14:30:00Z (UTC)") in t
    assert "Evidence: rotating calling numbers on account ACCT-1001" in t
    assert f"Traffic suspended on (date, time, zone) | 2026-03-12T14:30:00Z (UTC): " \
           f"{ACCOUNT_CUSTOMER}" in t
    # the figures, counted here from the provider's own Parquet file
    mine = [r for r in pq.read_table(sample / "cdrs/origin.parquet").to_pylist()
            if r["account"] == ACCOUNT]
    numbers = {re.sub(r"\D", "", r["src"])[-10:] for r in mine}
    assert len(mine) > 20
    assert f"(account '{ACCOUNT}'): {len(mine):,} calls from {len(numbers):,} distinct " \
           "calling numbers" in t
    assert re.search(r"\d+\.\d% of the answered calls lasted under 6 seconds", t)
    entry = read_audit(sample)[-1]
    assert entry["action"] == "reply"
    assert entry["details"]["suspended"]["at"] == "2026-03-12T14:30:00Z"


def test_reply_without_suspension_is_unchanged_and_others_are_refused(tmp_path):
    root = harbor_case(tmp_path / "harbor")
    plain = tmp_path / "plain.docx"
    assert run_cli("reply", root, "--traceback", "HB-0042", "--provider", "Ostara Dial",
                   "--out", plain).returncode == 0
    t = reply_text(plain)
    assert "We suspended" not in t and "Traffic suspended on (date, time, zone) | [" in t
    run = run_cli("reply", root, "--traceback", "HB-0042", "--provider", "KSI", "--out",
                  tmp_path / "k.docx", "--suspended", CUSTOMER, "--suspended-at",
                  "2026-05-17T14:05:00Z")
    assert run.returncode == 2
    assert "not the originating provider" in run.stderr and "Ostara Dial" in run.stderr
    assert not (tmp_path / "k.docx").exists()
    for extra in (["--suspended", CUSTOMER, "--suspended-at", "tomorrow"],
                  ["--suspended", CUSTOMER], ["--evidence", "x"]):
        run = run_cli("reply", root, "--traceback", "HB-0042", "--provider", "Ostara Dial",
                      "--out", tmp_path / "bad.docx", *extra)
        assert run.returncode == 2 and run.stderr.count("\n") == 1, (extra, run.stderr)
    assert not (tmp_path / "bad.docx").exists()
    ok = tmp_path / "ok.docx"
    assert run_cli("reply", root, "--traceback", "HB-0042", "--provider", "Ostara Dial",
                   "--out", ok, "--suspended", CUSTOMER, "--suspended-at",
                   "2026-05-17 09:05").returncode == 0  # no offset: the provider's zone (UTC)
    t = reply_text(ok)
    assert f"We suspended the traffic of our customer {CUSTOMER} on 2026-05-17T09:05:00Z" in t
    assert "[describe the evidence]" in t
    assert "1 call from 1 distinct calling number" in t
