"""A user who accepts every default of the New-case wizard gets the right chains or a warning.

The case is ours: `workbench generate` (two files in local zones, Chicago and New York,
crossing the DST change; a skewed clock; an answer-time switch), with Midway's headers
renamed to the spellings the issue met (`StartLocal`, `src_user`/`dst_user`,
`in_peer`/`out_peer`). The wizard is driven without changing a zone, a mapping or a name;
every chain traced from the case it writes is compared with the generator's answer key.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.qt_fixtures import wait_idle
from ui.wizard.wizard import NewCaseWizard
from workbench.case.draft_checks import Kind
from workbench.ingest.config import load_config
from workbench.investigation import Investigation
from workbench.investigation.requests import TraceRequest

pytestmark = pytest.mark.gui

RENAMED = {"StartTime": "StartLocal", "ANI": "src_user", "DNIS": "dst_user",
           "IngressTrunk": "in_peer", "EgressTrunk": "out_peer"}
SHOTS = Path(os.environ.get("WIZARD_SHOTS", "/tmp"))


@pytest.fixture(scope="module")
def our_case(tmp_path_factory) -> tuple[Path, dict]:
    from workbench.generate import generate_case
    root = tmp_path_factory.mktemp("ours") / "gen"
    generate_case(root, rows=3000, seed=11)
    midway = root / "cdrs" / "midway.txt"
    head, rest = midway.read_bytes().split(b"\n", 1)
    names = [RENAMED.get(h, h) for h in head.decode().split(";")]
    midway.write_bytes(";".join(names).encode() + b"\n" + rest)
    (root / "case.toml").unlink()  # the wizard writes its own, elsewhere
    return root, json.loads((root / "truth.json").read_text())


def _chains(case_dir: Path) -> dict[str, tuple[str, list[str]]]:
    inv = Investigation.open(case_dir, audit=False)
    out = {}
    for tb in inv.case.tracebacks:
        r = inv.trace(TraceRequest(traceback_id=tb.traceback_id))
        out[tb.traceback_id] = (str(r.outcome), [h.provider for h in r.hops])
    return out


def _wrong(chains, truth) -> list[str]:
    return sorted(t for t, (outcome, hops) in chains.items()
                  if (outcome, hops) != (truth["tracebacks"][t]["outcome"],
                                         truth["tracebacks"][t]["hops"]))


def _grab(wiz, qtbot, name: str) -> Path:
    qtbot.wait(200)
    out = SHOTS / f"wizard_{name}.png"
    assert wiz.grab().save(str(out), "PNG")
    return out


def _run_to_finish(qtbot, window, wiz, root: Path, out: Path) -> None:
    page = wiz.case_page
    page.folder.setText(str(out))
    page.name.setText("Accepted every default")
    page.tracebacks.setText(str(root / "tracebacks.csv"))
    wiz.next()
    files = sorted((root / "cdrs").iterdir())
    wiz.files_page.add_files(files)  # detected in a worker, named after the records
    qtbot.waitUntil(lambda: wiz.files_page.isComplete(), timeout=30_000)
    assert len(wiz.state.files) == len(files)
    wiz.next()
    wait_idle(qtbot, window)
    _grab(wiz, qtbot, "2_source")
    wiz.next()  # checked in a worker; moves on by itself
    qtbot.waitUntil(lambda: wiz.currentPage() is wiz.ingress_page, timeout=30_000)
    qtbot.waitUntil(lambda: wiz.ingress_page.isComplete() and not wiz.ingress_page.reviewing,
                    timeout=60_000)
    _grab(wiz, qtbot, "3_ingress")
    wiz.next()
    qtbot.waitUntil(lambda: wiz.finish_page.isComplete(), timeout=60_000)


def test_accepting_every_default_warns_on_every_wrong_chain(qtbot, window, our_case, tmp_path):
    root, truth = our_case
    wiz = NewCaseWizard(window.session.runner, window)
    qtbot.addWidget(wiz)
    wiz.resize(1100, 760)
    wiz.show()
    out = tmp_path / "defaults"
    _run_to_finish(qtbot, window, wiz, root, out)
    by_name = {f.path.name: f for f in wiz.state.files}
    # file names became the records' provider names; the issue's headers were recognized
    assert by_name["midway.txt"].provider == "Midway Transit"
    assert by_name["seaport.xlsx"].provider == "Seaport Gateway LLC"
    m = by_name["midway.txt"].mapping
    assert (m["start"], m["calling"], m["called"], m["ingress"]) == (
        "StartLocal", "src_user", "dst_user", "in_peer")
    assert by_name["lakeshore.psv"].mapping["ingress"] == "In TG"
    # the ingress page proposed what the records say
    names = [f.path.name for f in wiz.state.files]
    assert wiz.ingress_page.proposals, wiz.ingress_page.suggest.text()
    terminus = wiz.ingress_page.proposals[names.index("terminus.csv")]
    assert ("MWT-01", "Midway Transit") in {(p.ingress, p.name) for p in terminus}

    review = wiz.state.review
    assert review is not None and review.traced == review.records
    zones = {(names[f.file], f.action.zone) for f in review.findings
             if f.kind == Kind.ZONE and f.action}
    assert zones == {("midway.txt", "America/Chicago"), ("seaport.xlsx", "America/New_York")}
    unmapped = {names[f.file] for f in review.findings if f.kind == Kind.NO_MAPPINGS}
    assert unmapped == set(names)  # every file reads ingress ids, none is named
    _grab(wiz, qtbot, "4_finish_defaults")

    wiz.finish_page.open_after.setChecked(False)
    wiz.accept()
    assert wiz.finish_page.error.text() == ""
    assert "New-case wizard" in (load_config(out).raw["case"]["notes"])  # said again there
    chains = _chains(out)
    wrong = _wrong(chains, truth)
    assert wrong, "with zones at UTC and no mappings some chain must be wrong"
    warned = {t for f in review.findings for t in f.tracebacks}
    assert set(wrong) <= warned, f"wrong chains without a warning: {set(wrong) - warned}"


def test_the_one_click_fixes_give_the_right_chains(qtbot, window, our_case, tmp_path):
    root, truth = our_case
    wiz = NewCaseWizard(window.session.runner, window)
    qtbot.addWidget(wiz)
    wiz.resize(1100, 760)
    wiz.show()
    out = tmp_path / "fixed"
    _run_to_finish(qtbot, window, wiz, root, out)
    fp = wiz.finish_page
    for kind in ("set_zone", "map_ingress"):  # zones first: the calls are found again after
        while fp.apply(kind):
            qtbot.waitUntil(lambda: fp.isComplete(), timeout=60_000)
    _grab(wiz, qtbot, "5_finish_fixed")
    review = wiz.state.review
    assert not [f for f in review.findings if f.kind in (Kind.ZONE, Kind.NO_MAPPINGS)]
    by_name = {f.path.name: f for f in wiz.state.files}
    assert by_name["midway.txt"].timezone == "America/Chicago"
    fp.open_after.setChecked(False)
    wiz.accept()
    chains = _chains(out)
    for t in ("TB-26-0101", "TB-26-0102", "TB-26-0103"):
        assert chains[t] == ("origin", truth["tracebacks"][t]["hops"])
    warned = {t for f in review.findings for t in f.tracebacks}
    assert set(_wrong(chains, truth)) <= warned
