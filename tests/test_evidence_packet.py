"""Evidence packets: export, verification, tampering, zip-slip, atomic writing, the CLI."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import networkx as nx
import pytest

from tests.test_evidence_cases import CALLED, CUSTOMER, builder_case, harbor_case, sample_copy
from workbench import __version__
from workbench.case.model import load_case
from workbench.cli.main import main
from workbench.common.errors import Cancelled, InputError
from workbench.evidence import export_packet, verify_packet
from workbench.trace.engine import trace, trace_traceback


@pytest.fixture(scope="module")
def harbor(tmp_path_factory):
    root = harbor_case(tmp_path_factory.mktemp("harbor") / "case")
    case = load_case(root)
    return case, trace_traceback(case, "HB-0042")


@pytest.fixture(scope="module")
def harbor_packet(harbor, tmp_path_factory):
    case, result = harbor
    out = tmp_path_factory.mktemp("out") / "harbor packet.zip"
    return export_packet(case, result, out, investigator="R. Okafor")


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def rewrite(src: Path, dst: Path, *, change: dict[str, bytes] | None = None,
            drop: set[str] = frozenset(), add: dict[str, bytes] | None = None) -> Path:
    """A copy of the zip with some members' bytes replaced, removed or added (re-zipped)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = (change or {}).get(info.filename, zin.read(info))
            zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def flip(data: bytes) -> bytes:
    i = len(data) // 2
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]


def test_packet_holds_everything_and_verifies(harbor_packet):
    names = set(members(harbor_packet))
    top = "harbor_packet/"
    for n in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt",
              "data/report.pdf", "data/workbook.xlsx", "data/trace.json", "data/chain.graphml",
              "data/chain.png", "data/chain.svg", "data/excerpts/originals.sha256"):
        assert top + n in names, n
    assert len([n for n in names if "/data/excerpts/" in n and n.endswith(".txt")]) == 3
    res = verify_packet(harbor_packet)
    assert res.ok, res.problems
    assert res.info["Case-Name"] == "Harbor robocalls"
    assert res.info["Investigator"] == "R. Okafor"
    assert res.info["Tool-Version"] == f"traceback-workbench {__version__}"
    assert res.info["Created-UTC"].endswith("Z")
    params = json.loads(res.info["Export-Parameters"])
    assert params["traceback"] == "HB-0042" and params["redact"] == "none"


def test_every_single_flipped_byte_is_caught_and_named(harbor_packet, tmp_path):
    original = members(harbor_packet)
    for name, data in original.items():
        bad = rewrite(harbor_packet, tmp_path / "bad.zip", change={name: flip(data)})
        res = verify_packet(bad, deep=False)
        rel = name.split("/", 1)[1]
        assert not res.ok, name
        assert any(p.startswith(f"changed: {rel}") for p in res.problems), (name, res.problems)


def test_removed_and_added_members_are_named(harbor_packet, tmp_path):
    top = "harbor_packet/"
    for rel in ("data/trace.json", "data/excerpts/originals.sha256", "manifest-sha512.txt",
                "tagmanifest-sha512.txt", "bag-info.txt"):
        res = verify_packet(rewrite(harbor_packet, tmp_path / "d.zip", drop={top + rel}))
        assert not res.ok and f"missing: {rel}" in res.problems, (rel, res.problems)
    for rel in ("data/extra.csv", "data/excerpts/more.txt", "notes.txt"):
        res = verify_packet(rewrite(harbor_packet, tmp_path / "a.zip", add={top + rel: b"x"}))
        assert not res.ok
        assert any(p.startswith(f"extra: {rel}") for p in res.problems), (rel, res.problems)
    res = verify_packet(rewrite(harbor_packet, tmp_path / "o.zip", add={"elsewhere/x.txt": b"x"}))
    assert any(p.startswith("extra: elsewhere/x.txt") for p in res.problems)


@pytest.mark.parametrize("evil", ["../../escaped.txt", "harbor_packet/data/../../../up.txt",
                                  "/tmp/absolute-evidence.txt", "C:/windows/x.txt",
                                  "..\\..\\win.txt"])
def test_zip_slip_member_is_refused_not_extracted(harbor_packet, tmp_path, evil):
    bad = rewrite(harbor_packet, tmp_path / "slip.zip", add={evil: b"pwned"})
    before = set(tmp_path.parent.rglob("*escaped*")) | set(Path("/tmp").glob("absolute-evidence*"))
    res = verify_packet(bad)
    assert not res.ok
    assert res.problems[0].startswith(f"refused: member '{evil}'")
    after = set(tmp_path.parent.rglob("*escaped*")) | set(Path("/tmp").glob("absolute-evidence*"))
    assert after == before
    assert main(["verify", str(bad)]) == 1


def test_trace_json_is_the_cli_json(harbor, harbor_packet, capsys):
    case, _ = harbor
    capsys.readouterr()
    assert main(["trace", str(case.root), "--traceback", "HB-0042", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    packed = json.loads(members(harbor_packet)["harbor_packet/data/trace.json"])
    assert packed == cli


def test_excerpts_quote_lines_verbatim_with_the_originals_sha256(harbor, harbor_packet):
    case, result = harbor
    m = members(harbor_packet)
    for hop in result.hops:
        src = case.source(hop.source)
        name = next(n for n in m if "/excerpts/" in n and Path(src.config.path).name in n)
        text = m[name].decode("utf-8")
        sha = hashlib.sha256(src.path.read_bytes()).hexdigest()
        assert f"SHA-256 of the whole original file: {sha}" in text
        original_line = src.path.read_text(encoding="utf-8").splitlines()[hop.line - 1]
        assert f"{hop.line}\tMATCHED\t{original_line}\n" in text
    sums = m["harbor_packet/data/excerpts/originals.sha256"].decode()
    for s in case.sources:
        assert f"{hashlib.sha256(s.path.read_bytes()).hexdigest()}  {s.config.path}" in sums


def test_graphml_opens_as_the_chain(harbor_packet):
    g = nx.read_graphml(io.BytesIO(members(harbor_packet)["harbor_packet/data/chain.graphml"]))
    assert g.has_edge("Keystone Interconnect", "Bayside Mobile")
    assert g.has_edge("Ostara Dial", "Keystone Interconnect")
    assert g.nodes["Ostara Dial"]["role"] == "originating"
    assert g.nodes["Bayside Mobile"]["colour"] == "#2ca02c"
    assert g.edges["Keystone Interconnect", "Bayside Mobile"]["ingress"] == "=TRUNK+1"
    assert f"customer: {CUSTOMER}" in g


def test_chain_images_are_drawn(harbor_packet):
    from PIL import Image
    m = members(harbor_packet)
    img = Image.open(io.BytesIO(m["harbor_packet/data/chain.png"]))
    assert img.width > 1000 and img.height > 200
    svg = m["harbor_packet/data/chain.svg"].decode()
    import defusedxml.ElementTree as ET
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for want in ("Bayside Mobile", "Keystone Interconnect", "Ostara Dial", "Originator",
                 "Terminating", "hop 2 · -0.4 s", "conf 0.99", "via =TRUNK+1"):
        assert want in texts, want
    fills = {r.get("fill") for r in root.iter("{http://www.w3.org/2000/svg}rect")}
    assert {"#2ca02c", "#1f77b4", "#d62728"} <= fills


def test_include_sources_adds_the_whole_originals(harbor, tmp_path):
    case, result = harbor
    out = export_packet(case, result, tmp_path / "full.zip", include_sources=True)
    m = members(out)
    for s in case.sources:
        assert m[f"full/data/sources/{s.config.path}"] == s.path.read_bytes()
    assert verify_packet(out).ok


def test_export_is_logged_in_the_audit_trail_with_the_packet_hash(harbor, tmp_path):
    from workbench.case.audit import read_audit, verify_audit
    case, result = harbor
    out = export_packet(case, result, tmp_path / "logged.zip", investigator="A. Tester")
    last = read_audit(case.root)[-1]
    assert last["action"] == "export" and last["actor"] == "A. Tester"
    assert last["details"]["packet_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert last["details"]["call"]["called"] == CALLED
    assert verify_audit(case.root) == (True, [])


def test_cancelled_export_leaves_no_half_packet(harbor, tmp_path):
    case, result = harbor
    out = tmp_path / "p.zip"
    calls = {"n": 0}

    def stop_late() -> bool:
        calls["n"] += 1
        return calls["n"] > 12  # after hashing has started, before the zip is renamed

    with pytest.raises(Cancelled):
        export_packet(case, result, out, should_stop=stop_late)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    good = export_packet(case, result, out)
    before = good.read_bytes()
    calls["n"] = 0
    with pytest.raises(Cancelled):  # a cancelled re-export keeps the earlier packet whole
        export_packet(case, result, out, should_stop=stop_late)
    assert out.read_bytes() == before and verify_packet(out).ok
    assert [p.name for p in tmp_path.iterdir()] == ["p.zip"]


def test_progress_is_reported_in_order(harbor, tmp_path):
    case, result = harbor
    seen: list[float] = []
    export_packet(case, result, tmp_path / "p.zip", progress=lambda f, m: seen.append(f))
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_cli_export_verify_and_bad_input(harbor, tmp_path, capsys):
    case, _ = harbor
    out = tmp_path / "cli.zip"
    assert main(["export", str(case.root), "--traceback", "HB-0042", "--out", str(out),
                 "--investigator", "CLI user"]) == 0
    assert "packet written" in capsys.readouterr().out
    assert main(["verify", str(out)]) == 0
    assert capsys.readouterr().out.startswith("valid:")
    bad = rewrite(out, tmp_path / "bad.zip",
                  change={"cli/data/report.pdf": flip(members(out)["cli/data/report.pdf"])})
    assert main(["verify", str(bad)]) == 1
    text = capsys.readouterr().out
    assert "INVALID" in text and "changed: data/report.pdf" in text
    assert main(["export", str(case.root), "--traceback", "NOPE", "--out",
                 str(tmp_path / "x.zip")]) == 2
    assert main(["export", str(case.root), "--traceback", "HB-0042", "--redact", "consumer",
                 "--include-sources", "--out", str(tmp_path / "y.zip")]) == 2
    assert main(["export", str(case.root), "--out", str(tmp_path / "z.zip")]) == 2
    assert main(["verify", str(tmp_path / "missing.zip")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("error: ") for line in err)
    assert not any((tmp_path / n).exists() for n in ("x.zip", "y.zip", "z.zip"))


def test_export_by_numbers_and_time(harbor, tmp_path):
    case, _ = harbor
    result = trace(case, calling="(202) 555-0178", called="1 415 555 0163",
                   at="2026-05-14T09:12:03-07:00")
    out = export_packet(case, result, tmp_path / "adhoc.zip")
    res = verify_packet(out)
    assert res.ok and res.info.get("Traceback-ID") is None
    assert "ad-hoc trace" in res.info["External-Description"]


def test_not_found_chain_exports_and_verifies(tmp_path):
    case = load_case(builder_case(tmp_path / "case", seed=5))
    result = trace(case, calling="+13125550143", called="+17735550188",
                   at="2026-03-08T06:00:00Z")  # no call then: stops at the first hop
    assert result.outcome == "not_found"
    out = export_packet(case, result, tmp_path / "nf.zip")
    assert verify_packet(out).ok


def test_builder_case_with_another_seed_exports_and_verifies(tmp_path):
    case = load_case(builder_case(tmp_path / "case", seed=21))
    out = export_packet(case, trace_traceback(case, "TB-2"), tmp_path / "tb2.zip")
    assert verify_packet(out).ok
    report = members(out)["tb2/data/report.pdf"]
    assert b"Bogus Telecom" in report  # the traceback record's disagreement is reported


def test_sample_case_exports_and_verifies(tmp_path):
    case = load_case(sample_copy(tmp_path))
    if not case.tracebacks:
        pytest.skip("the sample case has no traceback records")
    result = trace_traceback(case, case.tracebacks[0].traceback_id)
    assert verify_packet(export_packet(case, result, tmp_path / "s.zip")).ok


def test_source_changed_after_loading_is_refused(tmp_path):
    case = load_case(harbor_case(tmp_path / "case"))
    result = trace_traceback(case, "HB-0042")
    src = case.sources[0].path
    src.write_bytes(src.read_bytes() + b"\n")
    with pytest.raises(InputError, match="changed since the case was loaded"):
        export_packet(case, result, tmp_path / "p.zip")
    assert not (tmp_path / "p.zip").exists()


def test_tag_manifest_bytes_are_all_guarded(harbor_packet, tmp_path):
    """No manifest covers a tag manifest, so check that every byte of one still counts,
    including a flipped letter case (the same digest to a lenient reader)."""
    name = "harbor_packet/tagmanifest-sha256.txt"
    original = members(harbor_packet)
    data = original[name]

    def packet_with(tag_manifest: bytes) -> Path:
        # The same members in the same order, stored rather than deflated: ~650 packets are
        # written here, and deflating each one again took most of this test's time.
        out = tmp_path / "t.zip"
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
            for n, b in original.items():
                zout.writestr(n, tag_manifest if n == name else b)
        return out

    assert verify_packet(packet_with(data), deep=False).ok  # re-zipping alone changes nothing
    for i in range(len(data)):
        for bit in (0x20, 0x01):
            changed = data[:i] + bytes([data[i] ^ bit]) + data[i + 1:]
            res = verify_packet(packet_with(changed), deep=False)
            assert any(p.startswith("changed: tagmanifest-sha256.txt") for p in res.problems), \
                (i, bit, res.problems)
