"""The case's hash-chained audit trail: appends, and edits or removals detected."""
from __future__ import annotations

import json
import threading

import pytest

from tests.test_evidence_cases import harbor_case
from workbench.case.audit import (
    append_event,
    audit_path,
    log_import,
    log_mapping_change,
    read_audit,
    verify_audit,
)
from workbench.cli.main import main


@pytest.fixture
def logged(tmp_path):
    root = tmp_path / "case"
    root.mkdir()
    log_import(root, "cdrs/a.csv", "ab" * 32, provider="Alpha", actor="ann")
    log_mapping_change(root, "cdrs/a.csv", {"start": "t"}, {"start": "Start"}, actor="ann")
    append_event(root, "trace", {"call": {"calling": "+1", "called": "+2"}}, actor="bob")
    append_event(root, "export", {"packet": "p.zip"})
    return root


def lines(root):
    return audit_path(root).read_text(encoding="utf-8").splitlines(keepends=True)


def test_chain_links_each_entry_to_the_previous(logged):
    entries = read_audit(logged)
    assert [e["action"] for e in entries] == ["import", "mapping change", "trace", "export"]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4]
    assert entries[0]["prev"] == "0" * 64
    for a, b in zip(entries, entries[1:]):
        assert b["prev"] == a["hash"]
    assert entries[0]["details"]["sha256"] == "ab" * 32
    assert entries[2]["actor"] == "bob" and entries[3]["actor"]  # the OS user by default
    assert entries[0]["time"].endswith("Z")
    assert verify_audit(logged) == (True, [])


def test_edited_entry_is_detected(logged):
    ls = lines(logged)
    e = json.loads(ls[1])
    e["details"]["after"] = {"start": "Other"}
    ls[1] = json.dumps(e) + "\n"
    audit_path(logged).write_text("".join(ls))
    ok, problems = verify_audit(logged)
    assert not ok and any("line 2" in p and "edited" in p for p in problems)


def test_removed_entry_is_detected(logged):
    ls = lines(logged)
    audit_path(logged).write_text("".join(ls[:1] + ls[2:]))
    ok, problems = verify_audit(logged)
    assert not ok and any("line 2" in p and "chain is broken" in p for p in problems)


def test_reordered_and_forged_entries_are_detected(logged):
    ls = lines(logged)
    audit_path(logged).write_text("".join([ls[0], ls[2], ls[1], ls[3]]))
    assert not verify_audit(logged)[0]
    # an edit that recomputes the entry's own hash still breaks the next link
    ls = lines(logged)
    from workbench.case.audit import entry_hash
    ls = [ls[0], ls[2], ls[1], ls[3]]
    ls.sort(key=lambda s: json.loads(s)["seq"])
    e = json.loads(ls[2])
    e["actor"] = "mallory"
    e["hash"] = entry_hash(e)
    ls[2] = json.dumps(e) + "\n"
    audit_path(logged).write_text("".join(ls))
    ok, problems = verify_audit(logged)
    assert not ok and any("line 4" in p for p in problems)


def test_torn_last_line_is_reported_and_appending_continues(logged):
    with open(audit_path(logged), "ab") as fh:
        fh.write(b'{"seq": 5, "act')
    ok, problems = verify_audit(logged)
    assert not ok and "incomplete" in problems[0]
    entry = append_event(logged, "note", {"text": "after a crash"})
    assert entry["seq"] == 5 and entry["prev"] == read_audit(logged)[3]["hash"]


def test_concurrent_appends_keep_one_chain(tmp_path):
    def work(k):
        for i in range(20):
            append_event(tmp_path, "note", {"k": k, "i": i})

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(read_audit(tmp_path)) == 80
    assert verify_audit(tmp_path) == (True, [])


def test_cli_audit_lists_and_verifies(tmp_path, capsys):
    root = harbor_case(tmp_path / "case")
    assert main(["audit", str(root), "--verify"]) == 0  # nothing logged yet is intact
    assert main(["trace", str(root), "--traceback", "HB-0042"]) == 0
    assert main(["export", str(root), "--traceback", "HB-0042", "--out",
                 str(tmp_path / "p.zip")]) == 0
    capsys.readouterr()
    assert main(["audit", str(root)]) == 0
    out = capsys.readouterr().out
    assert "trace:" in out and "export:" in out and "packet_sha256" in out
    assert main(["audit", str(root / "case.toml"), "--verify"]) == 0
    assert "audit chain intact: 5 entries" in capsys.readouterr().out  # trace, 3 imports, export
    ls = lines(root)
    audit_path(root).write_text("".join(ls[1:]))  # the first entry removed
    assert main(["audit", str(root), "--verify"]) == 1
    assert "line 1" in capsys.readouterr().out
    assert main(["audit", str(tmp_path / "nowhere")]) == 2


def test_sources_are_put_on_record_once_with_their_sha256(tmp_path):
    from workbench.case.audit import log_sources
    from workbench.case.model import load_case
    case = load_case(harbor_case(tmp_path / "case"))
    first = log_sources(case)
    assert {e["details"]["path"] for e in first} == {s.config.path for s in case.sources}
    assert {e["details"]["sha256"] for e in first} == {s.sha256 for s in case.sources}
    assert all(e["action"] == "import" for e in first)
    assert log_sources(case) == []  # already on record
    assert verify_audit(case.root) == (True, [])


def test_one_policy_sources_first_then_the_action_once_across_threads(tmp_path):
    from workbench.case.audit import log_action
    from workbench.case.model import load_case
    case = load_case(harbor_case(tmp_path / "case"))
    start = threading.Barrier(4)

    def work(k):
        start.wait()
        log_action(case, "trace", {"k": k})

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = read_audit(case.root)
    n = len(case.sources)
    assert [e["action"] for e in entries] == ["import"] * n + ["trace"] * 4  # on record once
    assert {e["details"]["note"] for e in entries[:n]} == {"first seen"}
    assert sorted(e["details"]["k"] for e in entries[n:]) == [0, 1, 2, 3]
    assert verify_audit(case.root) == (True, [])


def test_evidence_actions_are_refused_when_the_log_cannot_be_written(tmp_path):
    from workbench.case.audit import AuditError, log_action, prepare_action
    from workbench.case.model import load_case
    case = load_case(harbor_case(tmp_path / "case"))
    audit_path(case.root).mkdir()  # nothing can append here, whoever runs the test
    with pytest.raises(AuditError, match="cannot write the audit log"):
        prepare_action(case, "export")
    with pytest.raises(AuditError, match="cannot write the audit log"):
        log_action(case, "trace", {})  # never a bare OSError: the caller decides to warn
