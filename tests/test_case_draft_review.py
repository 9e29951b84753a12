"""The draft review (no Qt): zones, ingress proposals, records' first providers, raw previews."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests import casebuilder
from workbench.case import draft
from workbench.case.draft_checks import (
    Kind,
    best_zone,
    ingress_like,
    match_provider,
    proposals,
    zone_shift,
)
from workbench.case.writer import DraftCase
from workbench.common.errors import InputError
from workbench.ingest.config import SourceConfig
from workbench.ingest.formats.base import ReadOptions
from workbench.ingest.formats.headers import auto_map
from workbench.investigation.draft_review import review_draft

FILES = {"term.csv": "Term Wireless", "midway.txt": "Midway Transit", "lakes.psv": "Lakes Carrier",
         "gateway.tsv": "Gateway Co", "origin.parquet": "Origin Voice"}
UPSTREAMS = {"term.csv": {"MID-01": "Midway Transit"}, "midway.txt": {"000307": "Lakes Carrier"},
             "lakes.psv": {"GW-7": "Gateway Co"}, "gateway.tsv": {"OV-TRUNK": "Origin Voice"}}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("draft") / "chain"
    return root, casebuilder.build(root)


def _draft(zones=None, upstreams=None, names=None, files=None) -> DraftCase:
    zones, upstreams, names = zones or {}, upstreams or {}, names or FILES
    srcs = [SourceConfig(provider=names[f], path=f"cdrs/{f}", format="generic",
                         timezone=zones.get(f, "UTC"), upstreams=dict(upstreams.get(f, {})),
                         columns={"called": "Term Number"} if f == "midway.txt" else {},
                         customers={"ACCT-77": "Robo Dialer LLC"} if f == "origin.parquet"
                         and upstreams else {})
            for f in (files or FILES)]
    return DraftCase(name="d", sources=srcs, tracebacks=["tracebacks.csv"])


def test_headers_the_issue_met_are_recognized():
    m = auto_map(["StartLocal", "src_user", "dst_user", "in_peer", "out_peer", "Secs"])
    assert m == {"start": "StartLocal", "calling": "src_user", "called": "dst_user",
                 "ingress": "in_peer", "egress": "out_peer", "duration": "Secs"}
    m = auto_map(["Date", "Time", "Orig Number", "Term Number", "In TG", "Out TG"])
    assert (m["start"], m["called"], m["ingress"], m["egress"]) == (
        ["Date", "Time"], "Term Number", "In TG", "Out TG")
    assert auto_map(["epoch", "ani", "dnis"])["start"] == "epoch"


def test_small_pieces():
    assert zone_shift(-21608) == -21600 and zone_shift(-14408) == -14400
    assert zone_shift(97) is None and zone_shift(-19800 + 60) == -19800
    assert ingress_like(["in_peer", "out_peer", "In TG", "Out TG", "CustomerIP", "ANI",
                         "Session ID"], ["ANI"]) == ["in_peer", "In TG", "CustomerIP"]
    assert match_provider("Midway", ["Midway Transit", "Lakes Carrier"]) == "Midway Transit"
    assert match_provider("Origin", ["Origin Voice", "Originate Co"]) is None
    p = proposals([("T1", "A", False), ("T1", "A", False), ("T1", "B", False)])
    assert (p[0].ingress, p[0].name, p[0].calls, p[0].against) == ("T1", "A", 2, 1)


def test_best_zone_judges_calls_across_the_dst_change():
    # Chicago wall times read as UTC: −6 h before 2026-03-08 08:00Z, −5 h after
    true = pd.date_range("2026-03-08T05:00Z", "2026-03-08T11:00Z", periods=200).as_unit("us")
    read = true.tz_convert("America/Chicago").tz_localize(None).tz_localize("UTC")
    start = np.asarray(read.asi8)  # µs, as the store keeps them
    err = np.asarray(read.asi8 - true.asi8) / 1e6
    assert set(np.round(err)) == {-21600.0, -18000.0}
    zone, share = best_zone(start, err, "UTC", -18000, "US")
    assert zone == "America/Chicago" and share == 1.0


def test_defaults_give_zone_and_mapping_warnings_with_fixes(built):
    root, truth = built
    review = review_draft(_draft(), root)
    by_kind = {}
    for f in review.findings:
        by_kind.setdefault(f.kind, []).append(f)
    zone = [f for f in by_kind[Kind.ZONE] if f.file == 1]
    assert zone and zone[0].action.zone == "America/Chicago"  # midway.txt
    assert {f.file for f in by_kind[Kind.NO_MAPPINGS]} == {0, 1, 2, 3, 4}
    term = next(f for f in by_kind[Kind.NO_MAPPINGS] if f.file == 0)
    assert term.action.upstreams == {"MID-01": "Midway Transit"}
    origin = next(f for f in by_kind[Kind.NO_MAPPINGS] if f.file == 4)
    assert origin.action.customers == {"ACCT-77": "ACCT-77"}  # records name no customer
    ids = {c["id"] for c in truth["calls"]}
    assert ids <= {t for f in review.findings for t in f.tracebacks}


def test_fixed_draft_is_quiet_but_for_the_records_own_contradiction(built):
    root, _ = built
    review = review_draft(_draft(zones={"midway.txt": "America/Chicago"}, upstreams=UPSTREAMS),
                          root)
    kinds = {f.kind for f in review.findings}
    assert Kind.ZONE not in kinds and Kind.NO_MAPPINGS not in kinds
    chain = [f for f in review.findings if f.kind == Kind.CHAIN]
    assert [f.tracebacks for f in chain] == [["TB-2"]]  # its record names Bogus Telecom
    assert "Bogus Telecom" in chain[0].text


def test_a_record_whose_first_provider_has_no_file(built):
    root, _ = built
    names = dict(FILES, **{"term.csv": "Term"})  # the file-name guess, not the records' name
    review = review_draft(_draft(names=names), root)
    f = next(f for f in review.findings if f.kind == Kind.NO_SOURCE)
    assert "Term Wireless" in f.text and f.tracebacks == ["TB-1", "TB-2", "TB-3"]
    assert f.action.kind == "rename_provider" and f.action.provider == "Term Wireless"


def test_a_record_whose_first_provider_misses_the_call_is_said(built, tmp_path):
    root, _ = built
    case = tmp_path / "case"
    shutil.copytree(root, case)
    term = pd.read_csv(case / "cdrs/term.csv")  # the terminating file's clock a day off
    t = pd.to_datetime(term.start_time, utc=True) - pd.Timedelta(hours=27)
    term["start_time"] = t.dt.strftime("%Y-%m-%d %H:%M:%S")
    term.to_csv(case / "cdrs/term.csv", index=False)
    # Term names no upstream: its clock cannot be corrected, the call is not seen there
    ups = {k: v for k, v in UPSTREAMS.items() if k != "term.csv"}
    review = review_draft(_draft(zones={"midway.txt": "America/Chicago"}, upstreams=ups), case)
    starts = [f for f in review.findings if f.kind == Kind.WRONG_START]
    assert starts, [f.text for f in review.findings]
    assert "Term Wireless, where the record starts, does not show the call" in starts[0].text
    assert "Midway" in starts[0].text
    assert set(starts[0].tracebacks) == {"TB-1", "TB-2", "TB-3"}


def test_raw_rows_are_previewed_when_a_required_column_is_missing(tmp_path):
    f = tmp_path / "odd.csv"
    f.write_text("When,Who,Whom\n2026-03-08 06:30:00,13125550143,17735550188\n")
    with pytest.raises(InputError):
        draft.preview(f, "generic", ReadOptions())
    pv = draft.raw_preview(f, "no called column")
    assert pv.columns == ["line", "When", "Who", "Whom"] and pv.rows[0][2] == "13125550143"
    assert pv.error == "no called column"


def test_errors_name_the_users_file_not_the_head_copy(tmp_path, monkeypatch):
    monkeypatch.setattr(draft, "HEAD_MIN_BYTES", 10)  # previewed from a head copy
    f = tmp_path / "big.csv"
    f.write_text("When,Who,Whom\n" + "x,y,z\n" * 50)
    with pytest.raises(InputError) as exc:
        draft.preview(f, "generic", ReadOptions())
    assert str(f) in str(exc.value) and "wb-head-" not in str(exc.value)
