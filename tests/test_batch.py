"""Batch tracing: a list of calls traced at once equals the single traces, with one store
query per hop level."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from tests.clirun import run_cli
from tests.test_batch_columnar import traced_counting
from workbench.case.model import load_case
from workbench.present.trace_json import trace_json
from workbench.trace.batch import BatchCall, outcome_counts, trace_many
from workbench.trace.engine import trace, trace_traceback
from workbench.trace.skew import estimate_skew

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "auto_warranty_case"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("batch") / "case"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("audit.jsonl"))
    return root


def test_batch_results_equal_single_traces_with_one_query_per_level(sample):
    case = load_case(sample)
    skew = estimate_skew(case)
    tbs = case.tracebacks
    calls = [BatchCall(traceback=tb) for tb in tbs]
    # the same calls written as numbers and times, in other forms
    calls += [BatchCall(calling=tb.calling_raw or "", called=tb.called_raw or "",
                        at=tb.call_time or "", row=i) for i, tb in enumerate(tbs)
              if tb.call_time and tb.call_time.endswith("Z")]
    results, calls_made = traced_counting(case, calls, skew)
    singles = [trace_traceback(case, tb.traceback_id, skew=skew) for tb in tbs]
    for got, want in zip(results, singles):
        assert json.dumps(trace_json(got)) == json.dumps(trace_json(want))
    for c, got in zip(calls[len(tbs):], results[len(tbs):]):
        want = trace(case, calling=c.calling, called=c.called, at=c.at, skew=skew)
        assert json.dumps(trace_json(got)) == json.dumps(trace_json(want))
    longest = max(len(r.hops) for r in singles)
    assert set(calls_made) == {"candidates"}
    # one per hop level, not one per call: the first hop's records came with the query that
    # found the terminating provider
    assert calls_made["candidates"] <= longest


def test_a_bad_line_is_reported_in_its_place(sample):
    case = load_case(sample)
    calls = [BatchCall(calling="foo", called="bar", at="2026-03-08T07:41:12Z", row=2),
             BatchCall(calling="3125550143", called="773-555-0188", at="2026-03-07 20:02:11",
                       row=3)]
    res = trace_many(case, calls, skew=estimate_skew(case))
    assert "line 2" in str(res[0]) and "not a telephone number" in str(res[0])
    assert "line 3" in str(res[1]) and "no UTC offset" in str(res[1])
    assert outcome_counts(res) == {"error": 2}


def test_cli_batch_writes_jsonl_csv_and_xlsx(sample, tmp_path):
    lst = tmp_path / "calls.csv"
    lst.write_text("ANI,DNIS,time\n(312) 555-0143,+16305550118,2026-03-08T07:41:12Z\n"
                   "foo,bar,2026-03-08T07:41:12Z\n")
    r = run_cli("trace", sample, "--batch", lst, "--out", tmp_path / "r.csv")
    assert r.returncode == 0, r.stderr
    assert "2 call(s) traced" in r.stdout and "1 origin" in r.stdout and "1 error" in r.stdout
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    chain = [row["provider"] for row in rows if row["call"] == "1"]
    want = trace_traceback(load_case(sample), "TB-26-0101")
    assert chain == [h.provider for h in want.hops]
    assert [row["outcome"] for row in rows if row["call"] == "2"] == ["error"]
    r = run_cli("trace", sample, "--batch", sample / "tracebacks.csv", "--out",
                tmp_path / "r.jsonl")
    assert r.returncode == 0, r.stderr
    lines = (tmp_path / "r.jsonl").read_text().splitlines()
    case = load_case(sample)
    assert len(lines) == len(case.tracebacks)
    assert {json.loads(x)["traceback_id"] for x in lines} == {t.traceback_id
                                                              for t in case.tracebacks}
    r = run_cli("trace", sample, "--batch", sample / "tracebacks.csv", "--out",
                tmp_path / "r.xlsx")
    assert r.returncode == 0, r.stderr
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    assert [c.value for c in ws[1]][:3] == ["call", "line", "traceback_id"]
    assert ws.max_row > len(case.tracebacks)  # one row per hop


def test_cli_batch_refuses_mixed_or_missing_arguments(sample, tmp_path):
    lst = tmp_path / "calls.csv"
    lst.write_text("called,at\n+16305550118,2026-03-08T07:41:12Z\n")
    r = run_cli("trace", sample, "--batch", lst, "--traceback", "TB-26-0101", "--out",
                tmp_path / "x.jsonl")
    assert r.returncode == 2 and "not both" in r.stderr
    r = run_cli("trace", sample, "--batch", lst)
    assert r.returncode == 2 and "--out" in r.stderr
    r = run_cli("trace", sample, "--batch", lst, "--out", tmp_path / "x.txt")
    assert r.returncode == 2
    (tmp_path / "bad.csv").write_text("foo,bar\n1,2\n")
    r = run_cli("trace", sample, "--batch", tmp_path / "bad.csv", "--out", tmp_path / "y.csv")
    assert r.returncode == 2 and "no column for called and at" in r.stderr
