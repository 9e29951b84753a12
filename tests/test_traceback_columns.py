"""Traceback records are read as columns (one pass per column, not a dict per row); what a
row-by-row reading gave must hold: a later column of the same name wins, values are
stripped, a JSON record's `extra` holds only the keys it has, errors name the first bad
line."""
from __future__ import annotations

import json

import pytest

from workbench.common.errors import InputError
from workbench.ingest.call_list import read_call_list
from workbench.ingest.tracebacks import load_tracebacks

HEADER = "traceback_id,campaign,call_time,calling,called,hop,provider,upstream,status"
ROWS = ["TB-1,C,2026-03-07T20:02:11Z,3125550143,6305550118,1,Alpha,Beta,upstream_identified",
        "TB-1,C,2026-03-07T20:02:11Z,3125550143,6305550118,2,Beta,,originator",
        "TB-2,C,2026-03-07T21:00:00Z,3125550144,6305550119,1,Alpha,,no_response"]


def test_headers_any_case_values_stripped_and_the_later_same_name_wins(tmp_path):
    p = tmp_path / "t.csv"
    head = ",".join(f" {h.upper()} " for h in HEADER.split(",")) + ",Provider,Ticket"
    p.write_text(head + "\n" + "\n".join(
        ",".join(f"  {v} " for v in r.split(",")) + f",Gamma,T{i}" for i, r in enumerate(ROWS)))
    tbs = load_tracebacks(p)
    assert [tb.traceback_id for tb in tbs] == ["TB-1", "TB-2"]
    assert [h.provider for h in tbs[0].hops] == ["Gamma", "Gamma"]
    assert tbs[0].hops[0].extra == {"ticket": "T0"} and tbs[0].hops[1].line == 3
    assert tbs[0].called == "+16305550118" and tbs[0].hops[1].status == "originator"


def test_a_json_record_keeps_only_its_own_extra_keys(tmp_path):
    recs = [dict(zip(HEADER.split(","), r.split(","))) for r in ROWS]
    recs[0]["Ticket"] = {"n": 1}
    recs[1].pop("upstream")
    recs[2]["hop"] = 1
    p = tmp_path / "t.json"
    p.write_text(json.dumps(recs))
    tbs = load_tracebacks(p)
    assert tbs[0].hops[0].extra == {"ticket": {"n": 1}}
    assert tbs[0].hops[1].extra == {} and tbs[0].hops[1].upstream is None
    assert tbs[1].hops[0].hop == 1


@pytest.mark.parametrize("cell,value,line,field", [
    (5, "x", 3, "hop"), (8, "lost", 3, "status"), (6, "", 3, "provider")])
def test_the_first_bad_row_is_named(tmp_path, cell, value, line, field):
    rows = [r.split(",") for r in ROWS]
    rows[1][cell] = value
    rows[2][5] = "y"  # a later bad row is not the one reported
    p = tmp_path / "t.csv"
    p.write_text(HEADER + "\n" + "\n".join(",".join(r) for r in rows))
    with pytest.raises(InputError) as err:
        load_tracebacks(p)
    assert err.value.line == line and err.value.field == field


def test_a_list_of_calls_reads_its_columns_by_alias(tmp_path):
    p = tmp_path / "calls.csv"
    p.write_text("ANI, DNIS ,Timestamp\n 3125550143 ,6305550118,2026-03-07T20:02:11Z\n"
                 ",6305550119,2026-03-07T21:00:00Z\n")
    calls = read_call_list(p)
    assert [(c.line, c.calling, c.called, c.at) for c in calls] == [
        (2, "3125550143", "6305550118", "2026-03-07T20:02:11Z"),
        (3, "", "6305550119", "2026-03-07T21:00:00Z")]
