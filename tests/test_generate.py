"""The generated training case: a well-formed case.toml, and an answer key that is true to the CDRs."""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from workbench import generate as gen
from workbench.common.errors import Cancelled

CANONICAL = {"start", "calling", "called", "answer", "end", "duration", "disposition", "ingress",
             "egress", "call_id", "attest", "origid", "identity"}
SOURCE_KEYS = {"provider", "path", "format", "timezone", "date_order", "columns", "upstreams",
               "customers"}
STATUSES = {"upstream_identified", "originator", "foreign_point_of_entry", "not_found",
            "no_response", "refused"}
OUTCOMES = {"origin", "no_records", "not_found", "unmapped_ingress", "loop"}
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "auto_warranty_case"


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory) -> Path:
    return gen.generate_case(tmp_path_factory.mktemp("case"), rows=200, seed=11)


@pytest.fixture(scope="module")
def case(case_dir):
    return tomllib.loads((case_dir / "case.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def truth(case_dir):
    return json.loads((case_dir / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tables(case_dir, case):
    """Every source as a list of (physical line, cells)."""
    return {s["path"]: _rows(case_dir / s["path"]) for s in case["sources"]}


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    if path.suffix == ".xlsx":
        import openpyxl
        wb = openpyxl.load_workbook(path, read_only=True)
        rows = [(i, ["" if v is None else str(v) for v in row])
                for i, row in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1)]
        wb.close()
        return rows[1:]
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq
        table = pq.read_table(path).to_pylist()
        return [(i + 2, ["" if v is None else str(v) for v in row.values()])
                for i, row in enumerate(table)]
    delim = {".csv": ",", ".txt": ";", ".psv": "|"}[path.suffix]
    text = path.read_text(encoding="utf-8").split("\n")
    return [(i, line.split(delim)) for i, line in enumerate(text, start=1) if i > 1 and line]


def _e164(cell: str) -> str:
    """Digits of a number as any of the files writes it (test-only, deliberately simple)."""
    m = re.match(r"sip:\+?(\d+)@", cell)
    digits = m.group(1) if m else re.sub(r"\D", "", cell)
    if digits.startswith("011"):
        digits = digits[3:]
    return "1" + digits if len(digits) == 10 else digits


def _utc(text: str, source: dict) -> float:
    """A start cell as written -> UTC seconds, using only what case.toml says."""
    if text.endswith("Z"):
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    fmt = "%m/%d/%Y %H:%M:%S" if source.get("date_order") == "MDY" else "%Y-%m-%d %H:%M:%S"
    wall = dt.datetime.strptime(text, fmt)
    return wall.replace(tzinfo=ZoneInfo(source["timezone"])).timestamp()


def test_case_toml_has_exactly_the_fixed_keys(case, case_dir):
    assert set(case) == {"case", "providers", "sources", "tracebacks"}
    assert set(case["case"]) == {"name", "default_country"} and case["case"]["default_country"] == "US"
    names = {p["name"] for p in case["providers"]}
    for p in case["providers"]:
        assert set(p) == {"name", "aliases", "rmd"} and isinstance(p["aliases"], list)
    for s in case["sources"]:
        assert {"provider", "path", "format", "timezone"} <= set(s) <= SOURCE_KEYS
        assert s["provider"] in names and s["format"] == "generic"
        assert (case_dir / s["path"]).is_file()
        for canon, header in s.get("columns", {}).items():
            assert canon in CANONICAL
            assert isinstance(header, str) or (isinstance(header, list) and len(header) == 2)
        assert set(s.get("upstreams", {}).values()) <= names
        assert not set(s.get("upstreams", {})) & set(s.get("customers", {}))
    assert [t["path"] for t in case["tracebacks"]] == ["tracebacks.csv"]


def test_toml_strings_are_escaped():
    text = 'a "quoted" \\ back\tslash\x7f\x01'
    assert tomllib.loads(f"k = {gen._toml_str(text)}")["k"] == text


def test_traceback_records_file(case_dir, truth):
    with open(case_dir / "tracebacks.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == gen.TRACEBACK_HEADER
        rows = list(reader)
    assert {r["status"] for r in rows} <= STATUSES
    assert {r["traceback_id"] for r in rows} == set(truth["tracebacks"])
    for r in rows:
        call = dt.datetime.fromisoformat(r["call_time"].replace("Z", "+00:00"))
        assert call.utcoffset() is not None
        first = truth["tracebacks"][r["traceback_id"]]["records"][0]
        assert first["hop"] == 1 and first["start_text"] == gen._iso(int(call.timestamp()) * gen.S)


def test_outcomes_cover_every_ending(truth):
    tbs = truth["tracebacks"].values()
    assert {t["outcome"] for t in tbs} == OUTCOMES
    assert any(t["contradictions"] for t in tbs)
    origin = [t for t in tbs if t["outcome"] == "origin"]
    assert all(t["customer"] == "Acme Vehicle Services LLC" for t in origin)
    assert all(t["hops"][-1] == "Gullwing Telecom Ltd" for t in tbs if t["outcome"] == "no_records")


def test_each_recorded_line_holds_the_call(truth, case, tables):
    sources = {s["path"]: s for s in case["sources"]}
    for tb_id, t in truth["tracebacks"].items():
        calling, called = t["call"]["calling"].lstrip("+"), t["call"]["called"].lstrip("+")
        for rec in t["records"] + t["beyond_missing_hop"]:
            if rec["line"] is None:
                continue
            cells = dict(tables[rec["source"]])[rec["line"]]
            numbers = [_e164(c) for c in cells]
            assert called in numbers and calling in numbers, (tb_id, rec)
            assert rec["ingress_text"] in cells, (tb_id, rec)
            src = sources[rec["source"]]
            mapped = src.get("upstreams", {}).get(rec["ingress_text"])
            customer = src.get("customers", {}).get(rec["ingress_text"])
            if "upstream" in rec:  # reachable hops name what the tables say
                assert (rec["upstream"], rec["customer"]) == (mapped, customer), (tb_id, rec)
            if t["origid"] and rec["source"].split("/")[-1].split(".")[0] in ("terminus", "seaport",
                                                                            "origin"):
                assert t["origid"] in cells, (tb_id, rec)


def test_only_the_call_and_its_retry_share_its_numbers(truth, tables):
    for tb_id, t in truth["tracebacks"].items():
        pair = (t["call"]["calling"].lstrip("+"), t["call"]["called"].lstrip("+"))
        expected: dict[str, set[int]] = {}
        for rec in t["records"] + t["beyond_missing_hop"] + t["retry_decoy"]:
            if rec["source"]:
                expected.setdefault(rec["source"], set())
                if rec["line"]:
                    expected[rec["source"]].add(rec["line"])
        for path, rows in tables.items():
            found = {line for line, cells in rows
                     if len(cells) > 3 and pair[0] in (n := {_e164(c) for c in cells})
                     and pair[1] in n}
            assert found == expected.get(path, set()), (tb_id, path)


def test_hop_times_agree_after_skew_dst_and_answer_basis(truth, case):
    sources = {s["path"]: s for s in case["sources"]}
    for tb_id, t in truth["tracebacks"].items():
        invite = dt.datetime.fromisoformat(t["call"]["invite_utc"].replace("Z", "+00:00")).timestamp()
        for rec in t["records"] + t["beyond_missing_hop"]:
            if not rec["line"]:
                continue
            facts = truth["sources"][rec["source"]]
            at = _utc(rec["start_text"], sources[rec["source"]]) - facts["clock_skew_seconds"]
            late = facts["answer_delay_seconds"] or [0, 0]
            hops_up = rec["hop"] - 1
            lo, hi = invite - 0.8 * hops_up - 1, invite - 0.05 * hops_up
            assert lo - late[1] <= at - late[0] and at - late[1] <= hi, (tb_id, rec)
    dst = truth["dst"]["cdrs/midway.txt"]
    assert "TB-26-0101" in dst["traced_before"] and "TB-26-0102" in dst["traced_after"]
    assert truth["sources"]["cdrs/seaport.xlsx"]["clock_skew_seconds"] == 97


def test_neighbouring_files_share_calls_that_show_the_skew(tables, case):
    """Seaport's clock runs 97 s fast: calls seen at both Origin and Seaport show it."""
    def unique(rows, calling, called):
        seen: dict[tuple[str, str], list[str]] = {}
        for _, cells in rows:
            seen.setdefault((_e164(cells[calling]), _e164(cells[called])), []).append(cells[0])
        return {k: v[0] for k, v in seen.items() if len(v) == 1}

    seaport_src = next(s for s in case["sources"] if s["path"] == "cdrs/seaport.xlsx")
    seaport = unique(tables["cdrs/seaport.xlsx"], 2, 3)
    origin = unique(tables["cdrs/origin.parquet"], 1, 2)
    offsets = sorted(_utc(seaport[k], seaport_src) - dt.datetime.fromisoformat(origin[k]).timestamp()
                     for k in seaport.keys() & origin.keys())
    assert len(offsets) > 20
    assert abs(offsets[len(offsets) // 2] - gen.SEAPORT_SKEW_S) < 1.5


def test_bad_rows_are_where_the_key_says(case_dir, truth):
    assert len(truth["bad_rows"]) == 3
    for bad in truth["bad_rows"]:
        lines = (case_dir / bad["source"]).read_bytes().split(b"\n")
        assert lines[bad["line"] - 1].decode() == bad["text"]
    assert not (case_dir / "cdrs/midway.txt").read_bytes().endswith(b"\n")


def test_same_seed_same_bytes(tmp_path):
    a = gen.generate_case(tmp_path / "a", rows=150, seed=3)
    b = gen.generate_case(tmp_path / "b", rows=150, seed=3)
    c = gen.generate_case(tmp_path / "c", rows=150, seed=4)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len(files) == 9
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert (a / "cdrs/terminus.csv").read_bytes() != (c / "cdrs/terminus.csv").read_bytes()


def test_big_cases_write_seaport_as_csv(tmp_path, monkeypatch):
    monkeypatch.setattr(gen, "XLSX_MAX_ROWS", 50)
    out = gen.generate_case(tmp_path, rows=60)
    case = tomllib.loads((out / "case.toml").read_text(encoding="utf-8"))
    seaport = next(s for s in case["sources"] if s["provider"] == "Seaport Gateway LLC")
    assert seaport["path"] == "cdrs/seaport.csv" and not (out / "cdrs/seaport.xlsx").exists()
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert "cdrs/seaport.csv" in truth["sources"]
    gen.generate_case(tmp_path, rows=10)
    assert (out / "cdrs/seaport.xlsx").exists() and not (out / "cdrs/seaport.csv").exists()


def test_progress_and_cancel(tmp_path):
    seen = []
    gen.generate_case(tmp_path / "p", rows=20, progress=lambda f, m: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0
    with pytest.raises(Cancelled):
        gen.generate_case(tmp_path / "q", rows=20, should_stop=lambda: True)


def test_generic_reader_sees_the_same_rows(case_dir, case, truth):
    formats = pytest.importorskip("workbench.ingest.formats")
    from workbench.ingest.formats.base import ReadOptions

    reader = formats.get("generic")
    for s in case["sources"]:
        parsed = reader.read(case_dir / s["path"],
                             ReadOptions(columns=s.get("columns", {}), timezone=s["timezone"]))
        at = {int(line): i for i, line in enumerate(parsed.lines)}
        for t in truth["tracebacks"].values():
            for rec in t["records"] + t["beyond_missing_hop"]:
                if rec["source"] == s["path"] and rec["line"]:
                    i = at[rec["line"]]
                    for canon in ("calling", "called", "ingress"):
                        assert parsed.columns[canon][i].as_py() == rec[f"{canon}_text"]
        if s["path"] == "cdrs/midway.txt":
            assert truth["bad_rows"][-1]["line"] in {b.line for b in parsed.bad_lines}


@pytest.mark.skipif(not (SAMPLE / "truth.json").exists(), reason="bundled sample not generated")
def test_bundled_sample_matches_the_generator(tmp_path):
    """sample_data/ must be regenerated whenever the generator changes."""
    key = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))
    fresh = gen.generate_case(tmp_path, rows=key["background_rows_per_source"], seed=key["seed"])
    for name in ("case.toml", "tracebacks.csv", "truth.json", "README.md", "cdrs/terminus.csv",
                 "cdrs/midway.txt", "cdrs/lakeshore.psv"):
        assert (fresh / name).read_bytes() == (SAMPLE / name).read_bytes(), name
    for name in ("cdrs/seaport.xlsx", "cdrs/origin.parquet"):
        assert _rows(fresh / name) == _rows(SAMPLE / name), name
