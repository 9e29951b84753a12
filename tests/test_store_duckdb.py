"""The DuckDB store keeps the store contract, and the engine answers byte for byte the same on it."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("duckdb", reason="duckdb is not installed: the DuckDB store is not tested")

from tests import casebuilder  # noqa: E402
from tests.store_keys import every_kind_of_key, every_pair_offset
from tests.test_store_seam import (  # noqa: E402,F401  (collected here: run on both stores)
    test_a_trace_costs_one_batched_store_call_per_hop,
    test_a_trace_given_the_skew_does_not_estimate_it_again,
    test_candidates_returns_every_key_in_one_table,
    test_pair_offsets_see_a_known_shift,
    test_rows_raw_lines_and_ingress_counts,
    test_trace_results_do_not_depend_on_the_number_of_store_calls,
)
from workbench.case.model import Case, load_case  # noqa: E402
from workbench.present.trace_json import trace_json  # noqa: E402
from workbench.store.arrow_store import ArrowStore  # noqa: E402
from workbench.store.duckdb_store import DuckDbStore  # noqa: E402
from workbench.store.protocol import ROW_FIELDS, CallKey, CdrStore  # noqa: E402
from workbench.trace.engine import trace, trace_traceback  # noqa: E402
from workbench.trace.skew import estimate_skew  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "auto_warranty_case"


@pytest.fixture(scope="module")
def sample_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample") / "case"
    shutil.copytree(SAMPLE, root)
    return root


@pytest.fixture(scope="module")
def built_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("chain")
    casebuilder.build(root)
    return root


@pytest.fixture(scope="module", params=["arrow", "duckdb"])
def case(request, sample_root) -> Case:
    """The sample case on each backend: the seam's contract tests run against both."""
    c = load_case(sample_root)
    if request.param == "duckdb":
        c.store = DuckDbStore(c.sources)
    return c


@pytest.fixture(scope="module")
def skew(case):
    return estimate_skew(case)


def _both(root: Path) -> tuple[Case, Case]:
    arrow, duck = load_case(root), load_case(root)
    duck.store = DuckDbStore(duck.sources)
    assert isinstance(arrow.store, ArrowStore) and isinstance(duck.store, CdrStore)
    return arrow, duck


def _dump(result) -> str:
    return json.dumps(trace_json(result), sort_keys=False)


@pytest.mark.parametrize("which", ["sample", "built"])
def test_every_traceback_traces_to_the_same_json(which, sample_root, built_root):
    arrow, duck = _both(sample_root if which == "sample" else built_root)
    sa, sd = estimate_skew(arrow), estimate_skew(duck)
    assert sa == sd and sa  # the skew join gives the same offsets on both stores
    assert arrow.tracebacks
    for tb in arrow.tracebacks:
        a = trace_traceback(arrow, tb.traceback_id, skew=sa)
        d = trace_traceback(duck, tb.traceback_id, skew=sd)
        assert a.hops, tb.traceback_id  # a real chain, not two empty answers
        assert _dump(a) == _dump(d), tb.traceback_id
        # the same call traced without its traceback record
        a = trace(arrow, calling=tb.calling, called=tb.called, at=tb.call_time_us, skew=sa)
        d = trace(duck, calling=tb.calling, called=tb.called, at=tb.call_time_us, skew=sd)
        assert _dump(a) == _dump(d), tb.traceback_id


def test_casebuilder_calls_reach_the_origin_on_duckdb(built_root):
    truth = json.loads((built_root / "truth.json").read_text())
    _, duck = _both(built_root)
    for call in truth["calls"]:
        r = trace(duck, calling=call["calling"], called=call["called"], at=call["at"])
        assert str(r.outcome) == "origin"
        assert [h.provider for h in r.hops] == casebuilder.CHAIN


@pytest.mark.parametrize("which", ["sample", "built"])
def test_candidates_rows_and_columns_equal_the_embedded_store(which, sample_root, built_root):
    """Same tables, types and order; the built case writes calls out of start order."""
    arrow, duck = _both(sample_root if which == "sample" else built_root)
    a_store, d_store = arrow.store, duck.store
    sids = a_store.source_ids()
    assert d_store.source_ids() == sids
    keys = every_kind_of_key(a_store)
    a, d = a_store.candidates(keys), d_store.candidates(keys)
    assert a.num_rows > len(keys) // 2
    assert d.equals(a, check_metadata=True), "candidates differ"
    assert d_store.candidates([]).schema == a_store.candidates([]).schema
    for sid in sids:
        fields = list(ROW_FIELDS)
        ids = np.array([7, 3, 3, len(a_store.columns(sid, ["line"])) - 1, 0])
        assert d_store.rows(sid, ids, fields).equals(a_store.rows(sid, ids, fields))
        plain = a_store.rows(sid, np.arange(a_store.summary(sid).rows), fields)
        assert d_store.columns(sid, fields).equals(plain)
        assert d_store.ingress_counts([sid]) == a_store.ingress_counts([sid])
        assert d_store.summary(sid) == a_store.summary(sid)
    assert every_pair_offset(d_store) == every_pair_offset(a_store)


def test_bad_row_ids_and_unknown_sources_fail_clearly(sample_root):
    _, duck = _both(sample_root)
    sid = duck.store.source_ids()[0]
    with pytest.raises(IndexError, match="out of range"):
        duck.store.rows(sid, np.array([0, 10**9]), ["line"])
    other = type(sid)("Nobody", "none.csv")
    with pytest.raises(KeyError, match="no source"):
        duck.store.candidates([CallKey(other, 1)])


def test_a_database_file_keeps_the_tables_and_reopens(sample_root, tmp_path):
    arrow = load_case(sample_root)
    db = tmp_path / "lake.duckdb"
    first = DuckDbStore(arrow.sources, db)
    tb = arrow.tracebacks[0]
    expected = _dump(trace_traceback(arrow, tb.traceback_id))
    first.close()
    assert db.stat().st_size > 0
    again = DuckDbStore(arrow.sources, db)  # same SHA-256 and rows: reused, not copied
    arrow.store = again
    assert _dump(trace_traceback(arrow, tb.traceback_id)) == expected
    again.close()


def test_a_database_file_never_serves_another_case_s_rows(sample_root, built_root, tmp_path):
    """Same table names, other files: the stored copies are replaced, not reused."""
    db = tmp_path / "lake.duckdb"
    DuckDbStore(load_case(sample_root).sources, db).close()
    arrow = load_case(built_root)
    duck = DuckDbStore(arrow.sources, db)
    for sid in arrow.store.source_ids():
        assert duck.columns(sid, ["line", "start"]).equals(
            arrow.store.columns(sid, ["line", "start"]))
    duck.close()


def test_a_database_file_follows_an_edited_source_setting(tmp_path):
    """Same bytes, another time zone in case.toml: the stored rows are rebuilt, not reused."""
    root = tmp_path / "case"
    shutil.copytree(SAMPLE, root)
    db = tmp_path / "lake.duckdb"
    DuckDbStore(load_case(root).sources, db).close()
    toml = root / "case.toml"
    text = toml.read_text()
    assert 'timezone = "America/Chicago"' in text
    toml.write_text(text.replace('timezone = "America/Chicago"', 'timezone = "UTC"', 1))
    arrow = load_case(root)
    duck = DuckDbStore(arrow.sources, db)
    for sid in arrow.store.source_ids():
        assert duck.columns(sid, ["start"]).equals(arrow.store.columns(sid, ["start"])), sid
    duck.close()


def test_the_store_section_of_case_toml_chooses_the_backend(tmp_path):
    """`[store] backend = "duckdb"` (in memory, or on disk with `path`) traces the sample
    exactly as the default embedded store does; an unknown backend is a one-line error."""
    import shutil

    from tests.clirun import run_cli
    from workbench.case.model import load_case

    arrow_case = tmp_path / "arrow"
    shutil.copytree(SAMPLE, arrow_case, ignore=shutil.ignore_patterns("audit.jsonl"))
    for name, store in (("memory", '[store]\nbackend = "duckdb"\n'),
                        ("disk", '[store]\nbackend = "duckdb"\npath = "cdrs.duckdb"\n')):
        root = tmp_path / name
        shutil.copytree(arrow_case, root)
        toml = root / "case.toml"
        toml.write_text(toml.read_text() + "\n" + store)
        assert type(load_case(root).store).__name__ == "DuckDbStore"
        for tb in ("TB-26-0101", "TB-26-0104", "TB-26-0202"):
            a = run_cli("trace", arrow_case, "--traceback", tb, "--json")
            b = run_cli("trace", root, "--traceback", tb, "--json")
            assert a.returncode == b.returncode == 0, b.stderr
            assert a.stdout == b.stdout, tb
    assert (tmp_path / "disk" / "cdrs.duckdb").exists()
    bad = tmp_path / "bad"
    shutil.copytree(arrow_case, bad)
    (bad / "case.toml").write_text((bad / "case.toml").read_text() +
                                   '\n[store]\nbackend = "oracle"\n')
    r = run_cli("info", bad)
    assert r.returncode == 2 and "unknown store backend 'oracle'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
