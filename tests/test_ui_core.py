"""Core helpers behind the workbench window (no Qt): calls query, network, chain layout,
case writer, wizard drafts and trainer questions."""
from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from tests import casebuilder
from workbench.case.draft import ingress_counts, inspect_file, preview
from workbench.case.model import load_case
from workbench.case.writer import CaseEdits, DraftCase, DraftSource, dumps, save_edits, write_case
from workbench.common.errors import InputError
from workbench.ingest.config import load_config
from workbench.ingest.formats.base import ReadOptions
from workbench.present.calls_query import CallFilter, build_frames, query
from workbench.present.chain_layout import edge_label, layout_chain
from workbench.present.palette import ROLE_COLOURS
from workbench.present.training import ORIGIN, question
from workbench.store.protocol import SourceId
from workbench.trace.engine import trace_traceback
from workbench.trace.network import build_network


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("core") / "chain"
    truth = casebuilder.build(root)
    return root, truth, load_case(root)


def test_number_filter_reads_any_written_form(built):
    _, truth, case = built
    frames = build_frames(case)
    plain = query(frames, CallFilter(number=truth["calls"][0]["called"], which="called"))
    for form in ("(773) 555-0188", "1-773-555-0188", "sip:+17735550188@host;user=phone"):
        rows = query(frames, CallFilter(number=form, which="called"))
        assert len(rows) == len(plain) > 0
    called = {frames[s].display("called", r) for s, r in zip(rows.source, rows.row)}
    assert called == {"+17735550188"}
    part = query(frames, CallFilter(number="0188"))
    assert len(part) >= len(plain)


def test_filters_combine_and_sort_through_an_index(built):
    _, truth, case = built
    frames = build_frames(case)
    at = np.datetime64(truth["calls"][0]["at"].rstrip("Z"), "us").astype(np.int64)
    rows = query(frames, CallFilter(start_us=int(at) - 5_000_000, end_us=int(at) + 5_000_000,
                                    providers=["Midway Transit"], sort="start",
                                    descending=True))
    starts = [int(frames[s].start[r]) for s, r in zip(rows.source, rows.row)]
    assert starts == sorted(starts, reverse=True)
    assert all(abs(x - at) <= 5_000_000 for x in starts)
    assert {frames[s].provider for s in rows.source} == {"Midway Transit"}


def test_network_counts_chains_and_calls(built):
    _, _, case = built
    results = [trace_traceback(case, t.traceback_id) for t in case.tracebacks]
    net = build_network(case, results)
    i_mid, i_lakes = net.index("Midway Transit"), net.index("Lakes Carrier")
    k = next(k for k, (u, v) in enumerate(net.edges) if (u, v) == (i_lakes, i_mid))
    assert net.edge_chains[k] == 3 and net.edge_calls[k] > 400
    assert net.repeat_upstream[i_lakes]
    assert net.pos.shape == (len(net.names), 2)
    assert net.pos[net.index("Origin Voice"), 0] < net.pos[net.index("Term Wireless"), 0]


def test_chain_layout_runs_origin_left_to_terminating_right(built):
    _, _, case = built
    r = trace_traceback(case, "TB-1")
    lay = layout_chain(r, case)
    main = [n for n in lay.nodes if not n.faint]
    assert [n.label for n in sorted(main, key=lambda n: n.x)] == \
        ["Robo Dialer LLC"] + list(reversed(casebuilder.CHAIN))  # the customer placed it
    hops = [n for n in main if n.hop is not None]
    assert hops[0].kind == "terminating" and hops[-1].kind == "originating"
    assert all(n.kind in ROLE_COLOURS for n in lay.nodes)
    edges = [e for e in lay.edges if not e.faint]
    assert len(edges) == 5
    # one convention, as in the packet: the arrow into a provider carries its own record
    for e in edges:
        assert e.label == edge_label(r.hops[lay.nodes[e.dst].hop])
    assert layout_chain(r, case, revealed=2).nodes[-1].label == "Midway Transit"


def test_case_writer_round_trips_and_saves_edits_atomically(built, tmp_path):
    root, _, _ = built
    case_dir = tmp_path / "copy"
    import shutil
    shutil.copytree(root, case_dir)
    cfg = load_config(case_dir)
    text = dumps(cfg.raw)
    assert tomllib.loads(text) == cfg.raw
    first = cfg.sources[0]
    edits = CaseEdits(sources={SourceId(first.provider, first.path): {"upstreams": {"MID-01": "Midway Transit", "X 9": "Other Co"},
                                   "notes": "checked 'twice'\nsecond line"}},
                      case_notes='He said "ok"')
    save_edits(cfg, edits)
    again = load_config(case_dir)
    assert again.sources[0].upstreams == {"MID-01": "Midway Transit", "X 9": "Other Co"}
    assert again.sources[0].notes == "checked 'twice'\nsecond line"
    assert again.raw["case"]["notes"] == 'He said "ok"'
    assert (case_dir / "case.toml.bak").exists()
    assert not list(case_dir.glob("*.tmp"))


def test_case_writer_refuses_what_the_cli_would_reject(tmp_path):
    draft = DraftCase(name="x", sources=[DraftSource(provider="A", path="missing.csv")])
    with pytest.raises(InputError) as err:
        write_case(tmp_path, draft)
    assert "missing.csv" in err.value.one_line()
    assert not (tmp_path / "case.toml").exists()


def test_draft_inspects_previews_and_counts_ingress(built):
    root, _, _ = built
    ins = inspect_file(root / "cdrs/midway.txt")
    assert ins.format == "generic" and "Term Number" in ins.headers
    assert ins.mapping["called"] == "Term Number" and not ins.error  # a known spelling now
    cols = dict(ins.mapping)
    pv = preview(root / "cdrs/midway.txt", "generic",
                 ReadOptions(columns=cols, timezone="America/Chicago"))
    assert pv.rows and pv.rows[0][-3].startswith("+1")
    counts = dict(ingress_counts(root / "cdrs/term.csv", "generic", ReadOptions()))
    assert counts["MID-01"] > 400


def test_trainer_question_holds_the_answer(built):
    _, _, case = built
    r = trace_traceback(case, "TB-1")
    q = question(case, r, 0, seed=1)
    assert q.answer == "Midway Transit" and q.answer in q.choices and len(q.choices) >= 3
    assert question(case, r, len(r.hops) - 1, seed=1).answer == ORIGIN
    assert "MID-01" in q.explanation


def test_repo_files_exist():
    assert (Path(__file__).parents[1] / "resources" / "icons" / "trace-call.svg").exists()
