"""`workbench ingest` and DuckDB over the Parquet lake: no CDR parsed on open, same answers."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

pytest.importorskip("duckdb", reason="duckdb is not installed: the DuckDB lake is not tested")

from tests import casebuilder  # noqa: E402
from tests.clirun import run_cli  # noqa: E402
from tests.store_keys import every_kind_of_key, every_pair_offset
from tests.test_store_seam import (  # noqa: E402,F401  (collected here: run on the lake)
    test_a_trace_costs_one_batched_store_call_per_hop,
    test_candidates_returns_every_key_in_one_table,
    test_pair_offsets_see_a_known_shift,
    test_rows_raw_lines_and_ingress_counts,
    test_trace_results_do_not_depend_on_the_number_of_store_calls,
)
from workbench.case import model  # noqa: E402
from workbench.case.model import Case, load_case  # noqa: E402
from workbench.columns.times import US  # noqa: E402
from workbench.common.errors import InputError  # noqa: E402
from workbench.common.hashing import sha256_file  # noqa: E402
from workbench.ingest.config import load_config  # noqa: E402
from workbench.present.trace_json import trace_json  # noqa: E402
from workbench.store.duckdb_store import DuckDbStore  # noqa: E402
from workbench.store.lake import MANIFEST, Lake, days_between, ingest  # noqa: E402
from workbench.store.normalize import F_REJECTED  # noqa: E402
from workbench.store.protocol import ROW_FIELDS  # noqa: E402
from workbench.trace.batch import BatchCall, trace_many  # noqa: E402
from workbench.trace.engine import trace, trace_traceback  # noqa: E402
from workbench.trace.skew import estimate_skew  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "auto_warranty_case"
LAKE_STORE = '\n[store]\nbackend = "duckdb"\npath = "lake/"\n'


def _lake_case(root: Path) -> Path:
    """A copy of ``root`` whose case.toml reads the lake ``root/lake`` with DuckDB."""
    out = root.parent / f"{root.name}-on-lake"
    if out.exists():
        return out
    shutil.copytree(root, out, ignore=shutil.ignore_patterns("audit.jsonl", "lake"))
    toml = out / "case.toml"
    toml.write_text(toml.read_text() + LAKE_STORE.replace('"lake/"', f'"../{root.name}/lake/"'))
    return out


@pytest.fixture(scope="module")
def sample_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample") / "case"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("audit.jsonl"))
    r = run_cli("ingest", root, "--to", root / "lake")
    assert r.returncode == 0, r.stderr
    return root


@pytest.fixture(scope="module")
def built_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("chain") / "built"
    root.mkdir()
    casebuilder.build(root)
    ingest(load_config(root), root / "lake")
    return root


@pytest.fixture(scope="module")
def case(sample_root) -> Case:
    """The sample case read from its lake: the seam's contract tests run against it."""
    c = load_case(_lake_case(sample_root))
    assert isinstance(c.store, DuckDbStore)
    return c


@pytest.fixture(scope="module")
def skew(case):
    return estimate_skew(case)


def _dump(result) -> str:
    return json.dumps(trace_json(result), sort_keys=False)


def test_ingest_writes_hive_partitions_sorted_for_pruning_and_a_manifest(sample_root):
    lake_dir = sample_root / "lake"
    manifest = json.loads((lake_dir / MANIFEST).read_text())
    arrow = load_case(sample_root)
    assert [s["path"] for s in manifest["sources"]] == [s.config.path for s in arrow.sources]
    for entry, src in zip(manifest["sources"], arrow.sources, strict=True):
        assert entry["provider"] == src.provider
        assert entry["sha256"] == sha256_file(src.path)
        assert entry["format"] == src.summary.format and entry["timezone"] == src.config.timezone
        assert entry["summary"] == json.loads(json.dumps(src.summary.to_dict()))
        flags = src.table.column("flags").to_numpy()
        assert entry["rows"] == len(src) == sum(entry["days"].values())
        assert entry["rejected"] == int(((flags & F_REJECTED) != 0).sum())
        assert entry["usable"] == entry["rows"] - entry["rejected"]
        ids = []
        for day, n in entry["days"].items():
            part = lake_dir / f"source={entry['slug']}" / f"day={day}" / "part-0.parquet"
            t = pq.read_table(part)
            assert t.num_rows == n and set(t.column_names) == {*ROW_FIELDS, "row"}
            key = list(zip(t.column("called_key").to_pylist(), t.column("start").to_pylist(),
                           t.column("row").to_pylist()))
            assert key == sorted(key), part  # row-group statistics prune by called number
            if day != "none":
                days = {str(np.datetime64(s, "us").astype("datetime64[D]"))
                        for s in t.column("start").to_pylist()}
                assert days == {day}
            ids += t.column("row").to_pylist()
        assert sorted(ids) == list(range(len(src)))


def test_a_lake_case_opens_without_parsing_a_cdr_file(sample_root, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("a CDR file was parsed")
    monkeypatch.setattr(model, "load_source", boom)
    c = load_case(_lake_case(sample_root))
    assert isinstance(c.store, DuckDbStore)
    assert all(s.loaded is None for s in c.sources)
    assert [len(s) for s in c.sources] == [s.summary.rows for s in c.sources]
    with pytest.raises(LookupError, match="read from a lake"):
        c.sources[0].table  # noqa: B018


@pytest.mark.parametrize("which", ["sample", "built"])
def test_every_traceback_traces_to_the_same_json_from_the_lake(which, sample_root, built_root):
    root = sample_root if which == "sample" else built_root
    arrow, lake = load_case(root), load_case(_lake_case(root))
    sa, sl = estimate_skew(arrow), estimate_skew(lake)
    assert sa == sl and sa
    assert arrow.tracebacks
    for tb in arrow.tracebacks:
        a = trace_traceback(arrow, tb.traceback_id, skew=sa)
        d = trace_traceback(lake, tb.traceback_id, skew=sl)
        assert a.hops, tb.traceback_id
        assert _dump(a) == _dump(d), tb.traceback_id
        a = trace(arrow, calling=tb.calling, called=tb.called, at=tb.call_time_us, skew=sa)
        d = trace(lake, calling=tb.calling, called=tb.called, at=tb.call_time_us, skew=sl)
        assert _dump(a) == _dump(d), tb.traceback_id


def test_casebuilder_known_answers_and_batches_on_the_lake(built_root):
    truth = json.loads((built_root / "truth.json").read_text())
    lake = load_case(_lake_case(built_root))
    skew = estimate_skew(lake)
    calls = [BatchCall(calling=c["calling"], called=c["called"], at=c["at"])
             for c in truth["calls"]]
    calls += [BatchCall(traceback=tb) for tb in lake.tracebacks]
    batch = trace_many(lake, calls, skew=skew)
    for call, got in zip(calls, batch, strict=True):
        if call.traceback is None:
            assert str(got.outcome) == "origin"
            assert [h.provider for h in got.hops] == casebuilder.CHAIN
            single = trace(lake, calling=call.calling, called=call.called, at=call.at,
                           skew=skew)
        else:
            single = trace_traceback(lake, call.traceback.traceback_id, skew=skew)
        assert _dump(got) == _dump(single)


@pytest.mark.parametrize("which", ["sample", "built"])
def test_every_store_method_equals_the_embedded_store(which, sample_root, built_root):
    root = sample_root if which == "sample" else built_root
    a_store, d_store = load_case(root).store, load_case(_lake_case(root)).store
    sids = a_store.source_ids()
    assert d_store.source_ids() == sids
    keys = every_kind_of_key(a_store)
    a, d = a_store.candidates(keys), d_store.candidates(keys)
    assert a.num_rows > len(keys) // 2
    assert d.equals(a, check_metadata=True), "candidates differ (batch join)"
    few = keys[:40]  # a trace's handful: constant filters, day partitions pruned
    assert d_store.candidates(few).equals(a_store.candidates(few))
    assert d_store.candidates([]).schema == a_store.candidates([]).schema
    for sid in sids:
        fields = list(ROW_FIELDS)
        ids = np.array([7, 3, 3, len(a_store.columns(sid, ["line"])) - 1, 0])
        assert d_store.rows(sid, ids, fields).equals(a_store.rows(sid, ids, fields))
        plain = a_store.rows(sid, np.arange(a_store.summary(sid).rows), fields)
        assert d_store.columns(sid, fields).equals(plain)
        assert d_store.ingress_counts([sid]) == a_store.ingress_counts([sid])
        assert d_store.summary(sid) == a_store.summary(sid)
        assert d_store.raw_lines(sid, [1, 2]) == a_store.raw_lines(sid, [1, 2])
    # the skew joins, start and answer times alike, run in SQL over the lake
    assert every_pair_offset(d_store) == every_pair_offset(a_store)


def test_the_cli_answers_byte_for_byte_from_the_lake(sample_root):
    lake_case = _lake_case(sample_root)
    for args in (("trace", "--traceback", "TB-26-0101", "--json"),
                 ("trace", "--traceback", "TB-26-0202", "--json"), ("info", "--json")):
        a = run_cli(args[0], sample_root, *args[1:])
        b = run_cli(args[0], lake_case, *args[1:])
        assert a.returncode == b.returncode == 0, b.stderr
        if args[0] == "info":
            ja, jb = json.loads(a.stdout), json.loads(b.stdout)
            assert ja["sources"] == jb["sources"]
        else:
            assert a.stdout == b.stdout


def test_a_changed_file_or_setting_is_refused_with_the_command_to_run(sample_root, tmp_path):
    root = tmp_path / "case"
    shutil.copytree(sample_root, root, ignore=shutil.ignore_patterns("lake", "audit.jsonl"))
    ingest(load_config(root), root / "lake")
    toml = root / "case.toml"
    toml.write_text(toml.read_text() + LAKE_STORE)
    assert isinstance(load_case(root).store, DuckDbStore)
    original = toml.read_text()
    toml.write_text(original.replace('timezone = "America/Chicago"', 'timezone = "UTC"', 1))
    with pytest.raises(InputError, match="settings of .* changed.*workbench ingest"):
        load_case(root)
    toml.write_text(original)
    cdr = root / "cdrs" / "terminus.csv"
    cdr.write_bytes(cdr.read_bytes() + b"\n")
    r = run_cli("trace", root, "--traceback", "TB-26-0101")
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "cdrs/terminus.csv changed since it was ingested" in r.stderr
    assert "workbench ingest" in r.stderr
    # re-ingesting replaces the lake whole, and the case opens again
    r = run_cli("ingest", root, "--to", root / "lake")
    assert r.returncode == 0, r.stderr
    assert "[100%]" in r.stderr  # progress is printed
    assert not [p for p in root.iterdir() if p.name.startswith(".lake.")]  # no temp left
    assert load_case(root).store.summary(load_case(root).sources[0].id).rows > 0


def test_ingest_refuses_bad_input_in_one_line(sample_root, tmp_path):
    r = run_cli("ingest", tmp_path / "nowhere", "--to", tmp_path / "lake")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    r = run_cli("ingest", sample_root, "--to", precious)
    assert r.returncode == 2 and "not a lake" in r.stderr
    assert (precious / "notes.txt").read_text() == "keep me"
    root = tmp_path / "nolake"
    shutil.copytree(sample_root, root, ignore=shutil.ignore_patterns("lake", "audit.jsonl"))
    (root / "case.toml").write_text((root / "case.toml").read_text() + LAKE_STORE)
    (root / "lake").mkdir()
    r = run_cli("info", root)
    assert r.returncode == 2 and "no manifest.json" in r.stderr and "workbench ingest" in r.stderr


def test_a_lake_without_one_of_the_case_sources_is_refused(sample_root, tmp_path):
    root = tmp_path / "case"
    shutil.copytree(sample_root, root, ignore=shutil.ignore_patterns("lake", "audit.jsonl"))
    ingest(load_config(root), root / "lake")
    lake = Lake.open(root / "lake")
    assert len(lake.sources) == 5
    manifest = json.loads((root / "lake" / MANIFEST).read_text())
    manifest["sources"] = manifest["sources"][1:]
    (root / "lake" / MANIFEST).write_text(json.dumps(manifest))
    (root / "case.toml").write_text((root / "case.toml").read_text() + LAKE_STORE)
    with pytest.raises(InputError, match="cdrs/terminus.csv not in it.*workbench ingest"):
        load_case(root)


def test_lookups_read_only_the_day_partitions_they_touch(case):
    day = 86_400 * US
    t0 = 20_519 * day  # 2026-03-07T00:00Z
    assert days_between(t0 + 10, t0 + 20) == ["2026-03-07"]
    assert days_between(t0 - 1, t0 + 1) == ["2026-03-06", "2026-03-07"]
    assert days_between(None, t0) is None and days_between(t0, t0 - 1) == []
    store = case.store
    sid = store.source_ids()[0]
    one = store._relation(sid, days_between(t0 + 10, t0 + 20))
    assert one.count(".parquet") == 1 and "day=2026-03-07" in one
    assert "read_parquet" not in store._relation(sid, None)  # unbounded: the whole view


def test_store_spark_settings_are_read_from_case_toml(tmp_path):
    root = tmp_path / "case"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("audit.jsonl"))
    toml = root / "case.toml"
    base = toml.read_text()
    toml.write_text(base + '\n[store]\nbackend = "spark"\npath = "lake/"\n'
                    'spark_master = "local[1]"\n[store.spark]\n'
                    'spark.sql.shuffle.partitions = "2"\n"spark.driver.memory" = "1g"\n')
    cfg = load_config(root)
    assert cfg.store_backend == "spark" and cfg.spark_master == "local[1]"
    assert cfg.spark_settings == {"spark.sql.shuffle.partitions": "2",
                                  "spark.driver.memory": "1g"}
    toml.write_text(base + '\n[store]\nbackend = "spark"\npath = "lake/"\n[store.spark]\n'
                    '"spark.sql.shuffle.partitions" = 2\n')
    with pytest.raises(InputError, match="must be text in quotes"):
        load_config(root)
    toml.write_text(base + '\n[store]\nbackend = "spark"\n')
    with pytest.raises(InputError, match="reads a lake"):
        load_case(root)
