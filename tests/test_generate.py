"""The generated training case: a well-formed case.toml, an answer key that is true to the CDRs,
the RMD snapshots and DNO list beside them, and the training traffic of --tracebacks."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pytest

from tests.clirun import run_cli
from workbench import generate as gen
from workbench.common.errors import Cancelled, InputError

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
    assert set(case["case"]) == {"name", "default_country", "rmd", "dno"}
    assert case["case"]["default_country"] == "US"
    assert case["case"]["rmd"] == ["rmd/rmd_2026-02-01.csv", "rmd/rmd_2026-03-01.csv"]
    assert all((case_dir / f).is_file() for f in case["case"]["rmd"] + [case["case"]["dno"]])
    names = {p["name"] for p in case["providers"]}
    for p in case["providers"]:
        assert {"name", "aliases"} <= set(p) <= {"name", "aliases", "rmd"}
        assert isinstance(p["aliases"], list)
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
    assert len(files) == 12  # 5 CDR files, case.toml, tracebacks, truth, README, 2 RMD, DNO
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert (a / "cdrs/terminus.csv").read_bytes() != (c / "cdrs/terminus.csv").read_bytes()


def test_same_seed_same_bytes_with_training_options(tmp_path):
    kw = {"rows": 150, "tracebacks": 60, "campaigns": 3}
    a = gen.generate_case(tmp_path / "a", seed=3, **kw)
    b = gen.generate_case(tmp_path / "b", seed=3, **kw)
    c = gen.generate_case(tmp_path / "c", seed=4, **kw)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len(files) == 12
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    for name in ("tracebacks.csv", "cdrs/terminus.csv"):
        assert (a / name).read_bytes() != (c / name).read_bytes()


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
                 "cdrs/midway.txt", "cdrs/lakeshore.psv", "rmd/rmd_2026-02-01.csv",
                 "rmd/rmd_2026-03-01.csv", "dno.txt"):
        assert (fresh / name).read_bytes() == (SAMPLE / name).read_bytes(), name
    for name in ("cdrs/seaport.xlsx", "cdrs/origin.parquet"):
        assert _rows(fresh / name) == _rows(SAMPLE / name), name


# --- The RMD snapshots and the DNO list every generated case carries ---------------------------

#: The header line of the FCC's RMD download (2026 export, 23 columns), as the real file has it.
RMD_HEADER = ('"number","frn","business_name","business_address","foreign_voice_provider",'
              '"country","other_frns","other_dba_names","previous_dba_names",'
              '"robocall_mitigation_contact_name","contact_title","contact_department",'
              '"contact_business_address","contact_country","contact_telephone_number",'
              '"contact_phone_extension","implementation","voice_service_provider_choice",'
              '"gateway_provider_choice","intermediate_provider_choice","last_updated",'
              '"last_recertified","filing_url"')
IMPLEMENTATION = {"Complete STIR/SHAKEN Implementation",
                  "Partial STIR/SHAKEN Implementation - Performing Robocall Mitigation",
                  "No STIR/SHAKEN Implementation - Performing Robocall Mitigation", "N/A"}
#: Column of the calling number in each source file (physical cells as `_rows` splits them).
CALLING_COLUMN = {"cdrs/terminus.csv": 4, "cdrs/midway.txt": 7, "cdrs/lakeshore.psv": 2,
                  "cdrs/seaport.xlsx": 2, "cdrs/seaport.csv": 2, "cdrs/origin.parquet": 1}


def _rmd_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _name_key(name: str) -> str:
    """A company name with case, punctuation and LLC/Inc/Corp/Ltd ignored (test-only)."""
    words = re.sub(r"[^\w\s]", "", name.lower()).split()
    while words and words[-1] in {"llc", "inc", "corp", "ltd"}:
        words.pop()
    return " ".join(words)


def _names(row: dict[str, str]) -> set[str]:
    dbas = re.split(r"[;,\r\n]+", row["other_dba_names"])
    return {_name_key(n) for n in [row["business_name"], *dbas] if n.strip()}


@pytest.mark.parametrize("which", ["generated", "bundled"])
@pytest.mark.parametrize("snapshot", ["rmd/rmd_2026-02-01.csv", "rmd/rmd_2026-03-01.csv"])
def test_rmd_snapshots_read_like_the_fcc_download(case_dir, which, snapshot):
    root = case_dir if which == "generated" else SAMPLE
    if which == "bundled" and not (SAMPLE / snapshot).exists():
        pytest.skip("bundled sample not generated")
    raw = (root / snapshot).read_bytes()
    assert raw.split(b"\n", 1)[0].decode() == RMD_HEADER
    assert not raw.startswith(b"\xef\xbb\xbf") and raw.endswith(b'"\n')
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert len(rows) > 15 and all(len(r) == 23 for r in rows)
    again = io.StringIO(newline="")  # every field quoted, LF record ends: nothing else
    csv.writer(again, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    assert again.getvalue().encode("utf-8") == raw
    recs = _rmd_rows(root / snapshot)
    numbers = [r["number"] for r in recs]
    assert numbers == sorted(numbers) and all(re.fullmatch(r"RMD\d{7}", n) for n in numbers)
    assert all(re.fullmatch(r"0\d{9}", r["frn"]) for r in recs)  # zero-padded text
    assert any(r["business_address"].count("\n") >= 2 for r in recs)
    assert any("\r\n" in r["other_dba_names"] for r in recs)
    nones = {r[k] for r in recs for k in ("other_frns", "other_dba_names", "previous_dba_names")
             if r[k].lower() in {"none", "no", "non", "n/a"}}
    assert len(nones) >= 5, nones
    assert {r["implementation"] for r in recs} <= IMPLEMENTATION
    for k in ("foreign_voice_provider", "voice_service_provider_choice",
              "gateway_provider_choice", "intermediate_provider_choice"):
        assert {r[k] for r in recs} <= {"Yes", "No"}
    for r in recs:
        assert not r["last_recertified"] or r["last_recertified"] <= r["last_updated"]


def test_rmd_snapshots_list_remove_and_miss_the_right_providers(case_dir, case):
    feb = {r["number"]: r for r in _rmd_rows(case_dir / case["case"]["rmd"][0])}
    mar = {r["number"]: r for r in _rmd_rows(case_dir / case["case"]["rmd"][1])}
    removed = set(feb) - set(mar)
    by_rmd = {p["name"]: p["rmd"] for p in case["providers"] if "rmd" in p}
    assert by_rmd["Harborline Networks"] in removed
    assert {n for n, r in by_rmd.items() if r in removed} == {"Harborline Networks"}
    assert all(r in mar for n, r in by_rmd.items() if n != "Harborline Networks")
    name_only = [p["name"] for p in case["providers"] if "rmd" not in p]
    assert set(name_only) == {"Midway Transit", "Lakeshore Carrier Services", "Bluefin Networks",
                              "Marisol Telecom SA"}
    for name in name_only:
        hits = [r for r in mar.values() if _name_key(name) in _names(r)]
        if name == "Marisol Telecom SA":  # the upstream that never filed
            assert not hits
            assert not any("marisol" in str(r).lower() for r in [*feb.values(), *mar.values()])
        else:  # exactly one filer, not the near-miss "Lakeshore Carrier Solutions, Inc."
            assert len(hits) == 1, (name, hits)
            assert _name_key(hits[0]["business_name"]) != _name_key(name) or \
                hits[0]["business_name"] != name  # found despite punctuation or a suffix


def _dno_hits(root: Path) -> dict[str, list[tuple[str, int]]]:
    """Each listed number -> the (file, line) of every row that shows it as calling number."""
    case = tomllib.loads((root / "case.toml").read_text(encoding="utf-8"))
    listed = [_e164(line) for line in (root / case["case"]["dno"]).read_text().splitlines()]
    hits: dict[str, list[tuple[str, int]]] = {n: [] for n in listed}
    for s in case["sources"]:
        col = CALLING_COLUMN[s["path"]]
        for line, cells in _rows(root / s["path"]):
            if len(cells) > col and _e164(cells[col]) in hits:
                hits[_e164(cells[col])].append((s["path"], line))
    return hits


@pytest.mark.parametrize("which", ["generated", "bundled", "training"])
def test_dno_list_hits_exactly_one_decoy_call(case_dir, training_dir, which):
    root = {"generated": case_dir, "bundled": SAMPLE, "training": training_dir}[which]
    if not (root / "dno.txt").exists():
        pytest.skip("bundled sample not generated")
    lines = (root / "dno.txt").read_text().splitlines()
    assert len(lines) == 5 and len({re.sub(r"\d", "9", x) for x in lines}) == 5  # 5 ways
    hits = _dno_hits(root)
    hit = [(n, rows) for n, rows in hits.items() if rows]
    assert len(hit) == 1 and len(hit[0][1]) == 1, hits
    (path, line), = hit[0][1]
    assert path == "cdrs/origin.parquet"
    truth = json.loads((root / "truth.json").read_text(encoding="utf-8"))
    traced = {(r["source"], r["line"]) for t in truth["tracebacks"].values()
              for r in t["records"] + t["beyond_missing_hop"] + t["retry_decoy"]}
    assert (path, line) not in traced  # a decoy next to a traced call, never the call itself
    assert f"`+{hit[0][0]}`" in (root / "README.md").read_text()


# --- Training cases: --tracebacks T --campaigns K ----------------------------------------------

T_SEED, T_TRACEBACKS = 5, 1000
T_CAMPAIGNS = ["Vehicle warranty renewal (domestic)",
               "Vehicle warranty renewal (entering from abroad)", "Utility disconnection notice",
               "Student loan forgiveness"]


@pytest.fixture(scope="module")
def training_dir(tmp_path_factory) -> Path:
    return gen.generate_case(tmp_path_factory.mktemp("training"), rows=3000, seed=T_SEED,
                             tracebacks=T_TRACEBACKS, campaigns=len(T_CAMPAIGNS))


@pytest.fixture(scope="module")
def training_records(training_dir) -> list[dict[str, str]]:
    with open(training_dir / "tracebacks.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == gen.TRACEBACK_HEADER
        return list(reader)


def _generated(records):
    """The training tracebacks' records (the story's nine keep their TB-26-01xx ids)."""
    return [r for r in records if re.fullmatch(r"TB-26-\d{5}", r["traceback_id"])]


def _hours(r: dict[str, str], start: str = "notified_at", end: str = "responded_at") -> float:
    a, b = (dt.datetime.fromisoformat(r[k].replace("Z", "+00:00")) for k in (start, end))
    return (b - a).total_seconds() / 3600


def _accounts(root: Path) -> dict[str, dict[str, float]]:
    """Per Origin Voice Co account, measured on the written Parquet file with pyarrow."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    t = pq.read_table(root / "cdrs/origin.parquet")

    def digits11(col):
        d = pc.replace_substring_regex(col, r"\D", "")
        return pc.if_else(pc.equal(pc.utf8_length(d), 10), pc.binary_join_element_wise("1", d, ""),
                          d)

    npanxx = [pc.utf8_slice_codeunits(digits11(t[c]), 1, 7) for c in ("src", "dst")]
    t = t.append_column("neighbour", pc.equal(*npanxx))
    out = {}
    for account in pc.unique(t["account"]).to_pylist():
        sub = t.filter(pc.equal(t["account"], account))
        n = sub.num_rows
        answered = pc.equal(sub["hangup_cause"], "NORMAL_CLEARING")
        short = pc.and_(answered, pc.less(sub["billsec"], 6))
        out[account] = {
            "calls": n, "distinct": pc.count_distinct(sub["src"]).as_py(),
            "answer_rate": pc.sum(answered).as_py() / n,
            "short_of_all": (n - pc.sum(answered).as_py() + pc.sum(short).as_py()) / n,
            "short_of_answered": pc.sum(short).as_py() / max(pc.sum(answered).as_py(), 1),
            "neighbour": pc.sum(sub["neighbour"]).as_py() / n,
            "b_or_c": pc.sum(pc.is_in(sub["attest"], pa.array(["B", "C"]))).as_py() / n}
    return out


def test_the_rotating_ani_customer_rotates_and_honest_ones_do_not(training_dir):
    acc = _accounts(training_dir)
    acme = acc["ACCT-1001"]
    assert acme["calls"] >= 2000 and acme["distinct"] >= 2000  # thousands of numbers
    assert acme["distinct"] >= 0.8 * acme["calls"]
    assert acme["neighbour"] >= 0.3 and acme["b_or_c"] >= 0.95
    assert acme["answer_rate"] <= 0.4 and acme["short_of_all"] >= 0.6
    for account in ("ACCT-1002", "ACCT-1003", "ACCT-1017", "ACCT-2093"):
        honest = acc[account]
        assert honest["calls"] >= 300, account
        assert honest["distinct"] <= 15 and honest["distinct"] <= 0.05 * honest["calls"], account
        assert 0.6 <= honest["answer_rate"] <= 0.8 and honest["short_of_answered"] <= 0.1
        assert honest["neighbour"] <= 0.05 and honest["answer_rate"] > acme["answer_rate"] + 0.2
    key = json.loads((training_dir / "truth.json").read_text(encoding="utf-8"))["training"]
    rot = key["rotating_ani_customer"]
    assert (rot["provider"], rot["ingress"], rot["name"]) == ("Origin Voice Co", "ACCT-1001",
                                                              "Acme Vehicle Services LLC")
    assert (rot["calls"], rot["distinct_calling"]) == (acme["calls"], acme["distinct"])
    assert {h["ingress"] for h in key["honest_customers"]} >= {"ACCT-1002", "ACCT-1003",
                                                               "ACCT-1017"}


def test_training_tracebacks_span_campaigns_in_the_same_columns(training_dir, training_records):
    story = gen.tracebacks_csv(np.random.default_rng([T_SEED, 2000]))
    assert (training_dir / "tracebacks.csv").read_text(encoding="utf-8").startswith(story)
    gen_recs = _generated(training_records)
    by_tb: dict[str, list[dict]] = {}
    for r in gen_recs:
        by_tb.setdefault(r["traceback_id"], []).append(r)
    assert len(by_tb) == T_TRACEBACKS
    for rows in by_tb.values():
        assert [int(r["hop"]) for r in rows] == list(range(1, len(rows) + 1))
        assert len({(r["campaign"], r["call_time"], r["calling"], r["called"]) for r in rows}) == 1
        assert rows[0]["provider"] == "Terminus Wireless"
    campaigns = [rows[0]["campaign"] for rows in by_tb.values()]
    assert set(campaigns) - {""} == set(T_CAMPAIGNS)
    assert 0 < campaigns.count("") <= 0.06 * T_TRACEBACKS  # a few left empty
    acme = [r for r in gen_recs if r["status"] == "originator"
            and r["upstream"] == "Acme Vehicle Services LLC"]
    assert len(acme) >= 0.35 * T_TRACEBACKS and {r["provider"] for r in acme} == {"Origin Voice Co"}


def test_slow_and_silent_providers_answer_as_the_key_says(training_dir, training_records):
    gen_recs = _generated(training_records)
    slow = [r for r in gen_recs if r["provider"] == gen.SLOW]
    silent = [r for r in gen_recs if r["provider"] == gen.SILENT]
    others = [r for r in gen_recs if r["provider"] not in (gen.SLOW, gen.SILENT)]
    assert len(slow) >= 100 and len(silent) >= 100
    assert all(r["responded_at"] and 25 <= _hours(r) <= 60 for r in slow)
    assert all(r["notified_at"] and not r["responded_at"] and r["status"] == "no_response"
               for r in silent)
    assert all(r["responded_at"] and 5 / 60 <= _hours(r) <= 6 for r in others)
    assert all(_hours(r, "call_time", "notified_at") > 0 for r in gen_recs)
    key = json.loads((training_dir / "truth.json").read_text(encoding="utf-8"))["training"]
    assert key["slow_responder"]["provider"] == "Bluefin Networks"
    assert key["silent_provider"]["provider"] == "Prairie Exchange"
    every = {p: [r for r in training_records if r["provider"] == p]
             for p in {r["provider"] for r in training_records}}
    tbs: dict[str, set[str]] = {}
    for r in training_records:
        tbs.setdefault(r["traceback_id"], set()).add(r["provider"])
    for p, rows in every.items():
        facts = key["responses"][p]
        assert facts["records"] == len(rows)
        # unanswered rows, plus records that name it upstream and stop there
        named_only = sum(r["status"] == "upstream_identified" and r["upstream"] == p
                         and p not in tbs[r["traceback_id"]] for r in training_records)
        assert facts["no_response"] == sum(not r["responded_at"] for r in rows) + named_only
        assert facts["late"] == sum(bool(r["responded_at"]) and _hours(r) > 24 for r in rows)
    assert key["responses"][gen.SLOW]["late"] == len(slow)
    assert gen.SLOW not in key["prompt_providers"]
    assert "Terminus Wireless" in key["prompt_providers"]


def test_training_tracebacks_follow_the_cdrs(training_dir, training_records):
    """One traceback of each chain: the engine walks the CDRs along the answered chain."""
    from workbench.case.model import load_case
    from workbench.trace.engine import trace_traceback
    from workbench.trace.results import Origin

    stated: dict[str, list[str]] = {}
    for r in _generated(training_records):
        stated.setdefault(r["traceback_id"], []).append(r["provider"])
    first: dict[tuple[str, ...], str] = {}
    for tb, chain in stated.items():
        first.setdefault(tuple(chain), tb)
    assert len(first) == 5
    case = load_case(training_dir)
    for chain, tb in first.items():
        r = trace_traceback(case, tb)
        got = [h.provider for h in r.hops]
        assert len(got) >= 2 and got == list(chain[:len(got)]), (tb, got, chain)
        if chain[-1] == "Origin Voice Co":
            assert r.origin == Origin("Origin Voice Co", "Acme Vehicle Services LLC")


def test_training_options_are_checked(tmp_path):
    for kw, field in (({"tracebacks": -1}, "tracebacks"), ({"tracebacks": 4}, "tracebacks"),
                      ({"tracebacks": gen.MAX_TRACEBACKS + 1}, "tracebacks"),
                      ({"campaigns": 3}, "campaigns"),
                      ({"tracebacks": 50, "campaigns": 0}, "campaigns"),
                      ({"tracebacks": 50, "campaigns": 51}, "campaigns")):
        with pytest.raises(InputError) as err:
            gen.generate_case(tmp_path / "x", rows=10, **kw)
        assert err.value.field == field
    res = run_cli("generate", tmp_path / "c", "--rows", "10", "--campaigns", "3")
    assert res.returncode == 2 and res.stderr.startswith("error: ")
    assert "'campaigns'" in res.stderr and "campaigns needs tracebacks" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_cli_writes_a_training_case(tmp_path):
    res = run_cli("generate", tmp_path / "c", "--rows", "200", "--tracebacks", "40",
                  "--campaigns", "2", "--seed", "9")
    assert res.returncode == 0, res.stderr
    with open(tmp_path / "c/tracebacks.csv", newline="", encoding="utf-8") as fh:
        recs = list(csv.DictReader(fh))
    assert len({r["traceback_id"] for r in _generated(recs)}) == 40
    assert "40 training tracebacks across 2 campaigns" in (tmp_path / "c/case.toml").read_text()
