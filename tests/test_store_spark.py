"""The Spark store answers from the lake exactly as the embedded store and DuckDB do.

Spark starts in seconds, not milliseconds: one session serves the whole module (the store
keeps one per process), and the cases are traced in few, real comparisons.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

JAVA = shutil.which("java") or (
    os.environ.get("JAVA_HOME") and shutil.which("java", path=os.path.join(
        os.environ["JAVA_HOME"], "bin")))
if not JAVA:
    pytest.skip("no Java found (java on PATH or JAVA_HOME): the Spark store is not tested",
                allow_module_level=True)

from tests import casebuilder  # noqa: E402
from tests.store_keys import every_kind_of_key, every_pair_offset
from tests.test_store_lake import _lake_case  # noqa: E402
from workbench.case.model import Case, load_case  # noqa: E402
from workbench.ingest.config import load_config  # noqa: E402
from workbench.present.trace_json import trace_json  # noqa: E402
from workbench.store import spark_store  # noqa: E402
from workbench.store.duckdb_store import DuckDbStore  # noqa: E402
from workbench.store.lake import ingest  # noqa: E402
from workbench.store.protocol import ROW_FIELDS  # noqa: E402
from workbench.store.spark_store import SparkStore  # noqa: E402
from workbench.trace.batch import BatchCall, trace_many  # noqa: E402
from workbench.trace.engine import trace, trace_traceback  # noqa: E402
from workbench.trace.skew import estimate_skew  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "auto_warranty_case"
# xdist: the module's tests share one Spark session, so they run in one worker
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]


def _spark_case(root: Path) -> Path:
    """A copy of ``root`` whose case.toml reads the lake ``root/lake`` with Spark."""
    out = root.parent / f"{root.name}-on-spark"
    if not out.exists():
        shutil.copytree(root, out, ignore=shutil.ignore_patterns("audit.jsonl", "lake"))
        toml = out / "case.toml"
        toml.write_text(toml.read_text() + '\n[store]\nbackend = "spark"\n'
                        f'path = "../{root.name}/lake/"\nspark_master = "local[2]"\n'
                        '[store.spark]\n"spark.sql.shuffle.partitions" = "2"\n')
    return out


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    """The sample and the casebuilder case, each ingested into its own lake."""
    sample = tmp_path_factory.mktemp("spark") / "sample"
    shutil.copytree(SAMPLE, sample, ignore=shutil.ignore_patterns("audit.jsonl"))
    built = sample.parent / "built"
    built.mkdir()
    casebuilder.build(built)
    for root in (sample, built):
        ingest(load_config(root), root / "lake")
    yield {"sample": sample, "built": built}
    spark_store.stop_session()


@pytest.fixture(scope="module")
def cases(roots) -> dict[str, dict[str, Case]]:
    """Each case on the three backends: arrow (files), duckdb (lake), spark (lake)."""
    out = {}
    for name, root in roots.items():
        spark = load_case(_spark_case(root))
        assert isinstance(spark.store, SparkStore)
        duck = load_case(_lake_case(root))
        assert isinstance(duck.store, DuckDbStore)
        out[name] = {"arrow": load_case(root), "duckdb": duck, "spark": spark}
    return out


def _dump(result) -> str:
    return json.dumps(trace_json(result), sort_keys=False)


def test_one_spark_session_serves_every_store_of_the_process(cases):
    a, b = cases["sample"]["spark"].store, cases["built"]["spark"].store
    assert a.spark is b.spark is spark_store.session()
    assert a.spark.conf.get("spark.sql.shuffle.partitions") == "2"  # [store.spark] applied


@pytest.mark.parametrize("which", ["sample", "built"])
def test_every_traceback_traces_to_the_same_json_on_all_backends(which, cases):
    on = cases[which]
    skew = {name: estimate_skew(c) for name, c in on.items()}
    assert skew["arrow"] == skew["duckdb"] == skew["spark"] and skew["arrow"]
    for tb in on["arrow"].tracebacks:
        dumps = {name: _dump(trace_traceback(c, tb.traceback_id, skew=skew[name]))
                 for name, c in on.items()}
        assert json.loads(dumps["arrow"])["hops"], tb.traceback_id
        assert dumps["arrow"] == dumps["duckdb"] == dumps["spark"], tb.traceback_id


@pytest.mark.parametrize("which", ["sample", "built"])
def test_a_batch_equals_single_traces_on_every_backend(which, cases, roots):
    """Single traces agree across backends (above); here each backend's batch equals them,
    and the casebuilder's own calls (not traceback records) are traced singly on Spark too."""
    on = cases[which]
    calls = [BatchCall(traceback=tb) for tb in on["arrow"].tracebacks]
    if which == "built":
        truth = json.loads((roots["built"] / "truth.json").read_text())
        calls += [BatchCall(calling=c["calling"], called=c["called"], at=c["at"])
                  for c in truth["calls"]]
    skew = {name: estimate_skew(c) for name, c in on.items()}

    def single(name: str, x: BatchCall) -> str:
        c = on[name]
        if x.traceback is not None:
            return _dump(trace_traceback(c, x.traceback.traceback_id, skew=skew[name]))
        return _dump(trace(c, calling=x.calling, called=x.called, at=x.at, skew=skew[name]))

    singles = [single("arrow", x) for x in calls]
    for x, expected in zip(calls, singles, strict=True):
        if x.traceback is None:  # the traceback records were traced singly on Spark above
            assert single("spark", x) == expected
            assert [h["provider"] for h in json.loads(expected)["hops"]] == casebuilder.CHAIN
    # repeated past the literal path's limit: the keys travel as a joined DataFrame
    many = calls * max(1, -(-70 // len(calls)))
    for name, c in on.items():
        batch = [_dump(r) for r in trace_many(c, many, skew=skew[name])]
        assert batch == singles * (len(many) // len(calls)), name


def test_every_store_method_equals_the_embedded_store(cases):
    a_store, s_store = cases["built"]["arrow"].store, cases["built"]["spark"].store
    sids = a_store.source_ids()
    assert s_store.source_ids() == sids
    keys = every_kind_of_key(a_store, every=7, open_ended=False)
    assert s_store.candidates(keys).equals(a_store.candidates(keys), check_metadata=True)
    assert s_store.candidates(keys[:5]).equals(a_store.candidates(keys[:5]))
    assert s_store.candidates([]).schema == a_store.candidates([]).schema
    sid = sids[1]
    fields = list(ROW_FIELDS)
    ids = np.array([7, 3, 3, a_store.summary(sid).rows - 1, 0])
    assert s_store.rows(sid, ids, fields).equals(a_store.rows(sid, ids, fields))
    with pytest.raises(IndexError, match="out of range"):
        s_store.rows(sid, np.array([0, 10**9]), ["line"])
    plain = a_store.rows(sid, np.arange(a_store.summary(sid).rows), fields)
    assert s_store.columns(sid, fields).equals(plain)
    assert s_store.ingress_counts(sids) == a_store.ingress_counts(sids)
    assert s_store.summary(sid) == a_store.summary(sid)
    assert s_store.raw_lines(sid, [1, 2]) == a_store.raw_lines(sid, [1, 2])
    assert every_pair_offset(s_store) == every_pair_offset(a_store)
