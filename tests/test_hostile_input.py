"""Hostile input: broken, mistyped or devious files end in one `error:` line, never a traceback
or a hang (issue 10).

Two halves: the crashes a fuzzer found, each reproduced through the real CLI; and Hypothesis
property tests (case.toml, traceback files, XLSX sources, the audit log) whose only allowed
outcomes are a result or an InputError. `make test` runs them with a small budget;
`make fuzz` (HOSTILE_PROFILE=fuzz) runs the same properties with 10,000 examples each.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.clirun import run_cli
from tests.conftest import SAMPLE
from tests.format_fixtures import small_workbook
from tests.guards import no_hang
from workbench.case.audit import AuditError, check_audit, read_audit, summary_of
from workbench.common.errors import InputError
from workbench.common.files import regular_file
from workbench.ingest.config import _KEYS, CaseConfig, load_config
from workbench.ingest.formats.base import ReadOptions
from workbench.ingest.formats.generic import read_generic
from workbench.ingest.tracebacks import load_tracebacks

settings.register_profile("hostile", max_examples=50, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("hostile-fuzz", max_examples=10_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE = settings.get_profile("hostile-fuzz" if os.environ.get("HOSTILE_PROFILE") == "fuzz"
                               else "hostile")


def case_copy(tmp_path: Path) -> Path:
    case = tmp_path / "case"
    shutil.copytree(SAMPLE, case)
    return case


def edit(case: Path, old: str, new: str) -> None:
    toml = case / "case.toml"
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new, 1))


def one_line_error(args: list, tmp_path: Path, *expect: str) -> str:
    """Run the CLI; it must exit 2 with one `error:` line holding every `expect` text."""
    with no_hang():
        r = run_cli(*args, cache=tmp_path / "cache")
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert lines and lines[-1].startswith("error: "), r.stderr
    for text in expect:
        assert text in lines[-1], lines[-1]
    return lines[-1]


# -- the fuzzer's crashes, through the real CLI ------------------------------------------------

@pytest.mark.parametrize("name,what", [("case.toml", "case file"),
                                       ("cdrs/terminus.csv", "source file"),
                                       ("tracebacks.csv", "traceback file")])
def test_a_fifo_named_by_the_case_is_refused_not_read_forever(tmp_path, name, what):
    case = case_copy(tmp_path)
    (case / name).unlink()
    os.mkfifo(case / name)
    line = one_line_error(["info", case], tmp_path, "named pipe (FIFO)", what)
    assert ("case.toml" in line) and (Path(name).name in line)


@pytest.mark.parametrize("name,key", [("dno.txt", "dno"), ("rmd/rmd_2026-03-01.csv", "rmd")])
def test_an_rmd_or_dno_file_that_is_a_fifo_is_refused_with_its_line(tmp_path, name, key):
    case = case_copy(tmp_path)
    (case / name).unlink()
    os.mkfifo(case / name)
    with no_hang(), pytest.raises(InputError) as info:
        load_config(case)
    err = info.value
    assert err.field == key and "not a regular file" in err.message
    assert (case / "case.toml").read_text().splitlines()[err.line - 1].startswith(key)


def test_a_fifo_in_place_of_the_audit_log_is_one_error_line(tmp_path):
    case = case_copy(tmp_path)
    os.mkfifo(case / "audit.jsonl")
    one_line_error(["audit", case], tmp_path, "audit.jsonl", "not a regular file")
    with no_hang():
        with pytest.raises(AuditError):
            read_audit(case)


@pytest.mark.parametrize("name", ["cdrs/terminus.csv", "tracebacks.csv"])
def test_a_folder_or_device_in_place_of_a_file_names_it(tmp_path, name):
    case = case_copy(tmp_path)
    (case / name).unlink()
    (case / name).mkdir()
    one_line_error(["info", case], tmp_path, "is a folder", Path(name).name)
    (case / name).rmdir()
    os.symlink("/dev/zero", case / name)
    one_line_error(["info", case], tmp_path, "character device", Path(name).name)


@pytest.mark.parametrize("old,new,field,says", [
    ('default_country = "US"', 'default_country = "US"\ntolerance_s = "60"', "tolerance_s",
     "must be a number"),
    ('default_country = "US"', 'default_country = "US"\ntolerance_s = inf', "tolerance_s",
     "not inf"),
    ('default_country = "US"', 'default_country = "US"\ntolerance_s = nan', "tolerance_s",
     "not nan"),
    ('timezone = "UTC"\n[sources.upstreams]', 'timezone = "UTC"\nskew_s = -inf\n'
     '[sources.upstreams]', "skew_s", "not -inf"),
    ('timezone = "UTC"\n[sources.upstreams]', 'timezone = "UTC"\nencoding = "klingon"\n'
     '[sources.upstreams]', "encoding", "unknown encoding 'klingon'"),
    ('timezone = "UTC"\n[sources.upstreams]', 'timezone = "UTC"\ndelimiter = 5\n'
     '[sources.upstreams]', "delimiter", "must be text"),
    ('[sources.upstreams]\n"MWT-01"', '[sources.upstreams.x]\n"MWT-01"', "upstreams",
     "must name a provider"),
    ('[sources.columns]\nstart = "StartTime"', '[sources.columns]\nstart = 5', "start",
     "header name"),
    ('aliases = ["Terminus", "TWX"]', 'aliases = 7', "aliases", "list of texts"),
    ('default_country = "US"', 'default_country = ["US"]', "default_country", "must be text"),
    ('[case]\n', 'tracebacks = [1, 2]\n[case]\n', "tracebacks", "[[tracebacks]] tables"),
])
def test_case_toml_values_of_the_wrong_type_name_file_line_and_key(tmp_path, old, new, field,
                                                                   says):
    case = case_copy(tmp_path)
    if new.startswith("tracebacks ="):  # a list where the array of tables belongs
        edit(case, '[[tracebacks]]\npath = "tracebacks.csv"', "")
    edit(case, old, new)
    line = one_line_error(["info", case], tmp_path, "case.toml, line ", f"field '{field}'",
                          says)
    number = int(line.split("line ")[1].split(",")[0])
    assert field in (case / "case.toml").read_text().splitlines()[number - 1] or field in (
        "upstreams",)  # a table's error may point at its entry


def test_a_deeply_nested_json_traceback_file_is_one_error_line(tmp_path):
    case = case_copy(tmp_path)
    (case / "tb.json").write_text("[" * 100_000 + "]" * 100_000)
    edit(case, 'path = "tracebacks.csv"', 'path = "tb.json"')
    one_line_error(["info", case], tmp_path, "tb.json", "nested too deeply")


@pytest.mark.parametrize("content,says", [
    ('{"tracebacks": 5}', "list of traceback records"),
    ('[{"traceback_id": "A", "hop": 1e400, "provider": "x"}]', "field 'hop'"),
    ('[{"traceback_id": "A", "hop": "nan", "provider": "x"}]', "field 'hop'"),
    ('\ufeff[1, 2]', "record 1 is not an object"),
    ('\xff[]', "not UTF-8"),
])
def test_a_hostile_json_traceback_file_is_one_input_error(tmp_path, content, says):
    path = tmp_path / "tb.json"
    path.write_bytes(content.encode("utf-8") if not content.startswith("\xff")
                     else b"\xff[]")
    with pytest.raises(InputError) as info:
        load_tracebacks(path)
    assert str(path) in str(info.value) and says in str(info.value)


def test_detect_refuses_a_fifo_and_reports_a_damaged_workbook(tmp_path):
    os.mkfifo(tmp_path / "cdr.csv")
    one_line_error(["detect", tmp_path / "cdr.csv"], tmp_path, "cdr.csv", "named pipe")
    (tmp_path / "cdr.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(400))
    one_line_error(["detect", tmp_path / "cdr.xlsx"], tmp_path, "cdr.xlsx", "workbook")


def test_export_under_a_file_is_one_error_line(tmp_path):
    case = case_copy(tmp_path)
    (tmp_path / "afile").write_text("x")
    one_line_error(["export", case, "--traceback", "TB-26-0101", "--out",
                    tmp_path / "afile" / "p.zip"], tmp_path, "afile", "File exists")


def test_audit_summary_of_odd_details_is_a_line_not_a_crash():
    assert summary_of({"details": 5}) == "5"
    assert "x" in summary_of({"details": ["x"]})


def test_regular_file_accepts_a_file_through_a_symlink(tmp_path):
    (tmp_path / "a.csv").write_text("x")
    os.symlink(tmp_path / "a.csv", tmp_path / "b.csv")
    assert regular_file(tmp_path / "b.csv") == tmp_path / "b.csv"
    with pytest.raises(InputError, match="not found"):
        regular_file(tmp_path / "missing.csv", what="source file")


# -- property tests ---------------------------------------------------------------------------

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_SCALARS = (_TEXT | st.integers(-10**20, 10**20) | st.floats() | st.booleans()
            | st.sampled_from(["cdr.csv", "missing.csv", "sub", "pipe", "UTC", "America/Chicago",
                               "utf-8", "klingon", ",", "MDY", "invite", "US", "generic"])
            | st.datetimes())
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(_TEXT, inner, max_size=3), max_leaves=6)


def _table_of(kind: str) -> st.SearchStrategy[dict]:
    keys = sorted(_KEYS[kind]) + ["bogus"]
    return st.dictionaries(st.sampled_from(keys), _VALUES, max_size=6)


_DOCS = st.fixed_dictionaries({}, optional={
    "case": _table_of("case") | _VALUES,
    "providers": st.lists(_table_of("providers"), max_size=2) | _VALUES,
    "sources": st.lists(_table_of("sources"), max_size=2) | _VALUES,
    "tracebacks": st.lists(_table_of("tracebacks"), max_size=2) | _VALUES,
})


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
                if math.isinf(v) else repr(v))
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007F")
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_value(str(k))} = {_toml_value(x)}"
                               for k, x in v.items()) + "}"
    return v.isoformat()  # datetime


def to_toml(doc: dict) -> str:
    """A TOML document with real [table] and [[array]] headers where the value allows."""
    out = []
    for top, value in doc.items():
        if isinstance(value, dict):
            out.append(f"[{top}]")
            out += [f"{_toml_value(k)} = {_toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            for entry in value:
                out.append(f"[[{top}]]")
                out += [f"{_toml_value(k)} = {_toml_value(v)}" for k, v in entry.items()]
        else:
            out.insert(0, f"{top} = {_toml_value(value)}")
    return "\n".join(out) + "\n"


@contextlib.contextmanager
def case_folder() -> Iterator[Path]:
    """A case folder with a CDR file, a subfolder and a FIFO that a random case.toml can name."""
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "cdr.csv").write_text("start,calling,called\n2026-03-01 10:00:00,1312,1630\n")
        (root / "sub").mkdir()
        os.mkfifo(root / "pipe")
        yield root


@PROFILE
@given(_DOCS)
def test_any_case_toml_loads_or_is_one_input_error(doc):
    text = to_toml(doc)
    tomllib.loads(text)  # the generator writes valid TOML: the checks, not the parser, decide
    with case_folder() as root, no_hang(10):
        (root / "case.toml").write_text(text, encoding="utf-8")
        try:
            cfg = load_config(root)
        except InputError as exc:
            assert str(exc).startswith(str(root / "case.toml"))
            return
    assert isinstance(cfg, CaseConfig)
    assert math.isfinite(cfg.tolerance_s) and cfg.tolerance_s > 0
    for s in cfg.sources:
        assert s.path == "cdr.csv"  # the only regular file there
        assert all(isinstance(v, str) for v in {**s.upstreams, **s.customers}.values())
        assert s.skew_s is None or math.isfinite(s.skew_s)
    for p in cfg.providers:
        assert isinstance(p.name, str) and all(isinstance(a, str) for a in p.aliases)


def _mutate(data: bytes, draw: st.DrawFn) -> bytes:
    """Byte flips, a truncation, inserted junk: what damage to a file looks like."""
    b = bytearray(data)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "nul"]))
        if not b:
            break
        i = draw(st.integers(0, len(b) - 1))
        if op == "flip":
            b[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del b[i:]
        elif op == "insert":
            b[i:i] = draw(st.binary(max_size=40) | st.sampled_from(
                [b"[" * 5000, b'"' * 3, b"\r", b"1e400", b"99999-01-01", b"\xff\xfe"]))
        else:
            b[i] = 0
    return bytes(b)


_TB_CSV = (SAMPLE / "tracebacks.csv").read_bytes()[:1200]
_TB_JSON = json.dumps([{"traceback_id": "TB-1", "campaign": "c", "call_time":
                        "2026-03-08T07:41:12Z", "calling": "+13125550143",
                        "called": "+16305550118", "hop": h, "provider": p,
                        "upstream": u, "status": "upstream_identified"}
                       for h, p, u in [(1, "A", "B"), (2, "B", "C")]]).encode()


@st.composite
def damaged_tracebacks(draw: st.DrawFn) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from([".csv", ".json"]))
    base = _TB_CSV if suffix == ".csv" else _TB_JSON
    data = draw(st.binary(max_size=300)) if draw(st.integers(0, 9)) == 0 else _mutate(base, draw)
    return suffix, data


@PROFILE
@given(damaged_tracebacks())
def test_a_damaged_traceback_file_loads_or_is_one_input_error(case):
    suffix, data = case
    with tempfile.TemporaryDirectory() as d, no_hang(10):
        path = Path(d) / f"tracebacks{suffix}"
        path.write_bytes(data)
        try:
            records = load_tracebacks(path)
        except InputError as exc:
            assert str(path) in str(exc)
            return
    for tb in records:
        assert tb.hops == sorted(tb.hops, key=lambda h: h.hop)


_XLSX = small_workbook(30)


@st.composite
def damaged_workbooks(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=2000))
    return _mutate(_XLSX, draw)


@PROFILE
@given(damaged_workbooks())
def test_a_damaged_xlsx_source_reads_or_is_one_input_error(data):
    with tempfile.TemporaryDirectory() as d, no_hang(20):
        path = Path(d) / "cdr.xlsx"
        path.write_bytes(data)
        try:
            parsed = read_generic(path, ReadOptions())
        except InputError as exc:
            assert str(path) in str(exc)
            return
    assert len(parsed) <= 30


def test_random_bytes_are_never_a_workbook(tmp_path):
    path = tmp_path / "cdr.xlsx"
    for seed in range(20):
        path.write_bytes(bytes((seed * 37 + i * 11) % 256 for i in range(500)))
        with pytest.raises(InputError, match="cdr.xlsx"):
            read_generic(path, ReadOptions())


_AUDIT_LINE = (b'{"seq":1,"time":"2026-03-01T00:00:00.000Z","actor":"a","action":"trace",'
               b'"details":{"call":{"calling":"+1","called":"+2","at":"x"},"outcome":"origin"},'
               b'"tool":"t","prev":"' + b"0" * 64 + b'","hash":"' + b"1" * 64 + b'"}\n')


@st.composite
def damaged_audit_logs(draw: st.DrawFn) -> bytes:
    return _mutate(_AUDIT_LINE * 3, draw)


@PROFILE
@given(damaged_audit_logs())
def test_a_damaged_audit_log_reads_with_problems_never_a_crash(data):
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "audit.jsonl").write_bytes(data)
        entries, problems = check_audit(Path(d))
        for e in entries:
            assert isinstance(summary_of(e), str)
        assert len(entries) + len(problems) >= 1 or not data.strip()


def test_a_100000_character_value_is_laid_out_in_the_pdf_not_hung_on(tmp_path):
    """reportlab fails (LayoutError, after minutes for 100,000 characters) on a table row
    taller than a page: long values are cut, saying how much was left out."""
    from reportlab.lib.units import inch
    from reportlab.platypus import SimpleDocTemplate

    from workbench.evidence.report_pdf import MONO, WIDTH, _kv, p, table
    huge, spaced = "7" * 100_000, "word " * 20_000
    story = [_kv([("call id", huge), ("note", spaced)]),
             table([["Line", "Text"], [1, huge], [2, p(huge, MONO)]],
                   [0.55 * inch, WIDTH - 0.55 * inch]), p(huge, MONO)]
    with no_hang(30):
        SimpleDocTemplate(str(tmp_path / "r.pdf")).build(story)
    assert "more characters not shown" in p(huge).text


def test_a_part_folder_left_by_a_killed_export_is_removed_by_the_next(tmp_path):
    """kill -9 during an export leaves its hidden `.part` folder; the next export into the
    same folder removes it (the writer's process is gone), never a live writer's."""
    import datetime as dt
    import subprocess
    import sys

    from workbench.evidence.bag import PART_SUFFIX, part_prefix, write_packet_zip
    out = tmp_path / "packets" / "TB-1.zip"
    out.parent.mkdir()
    code = ("import os, sys, tempfile; from pathlib import Path; "
            "from workbench.evidence.bag import part_prefix, PART_SUFFIX; "
            "out = Path(sys.argv[1]); "
            "d = tempfile.mkdtemp(dir=out.parent, prefix=part_prefix(out), suffix=PART_SUFFIX); "
            "Path(d, 'half.bin').write_bytes(b'x' * 1000); os.kill(os.getpid(), 9)")
    r = subprocess.run([sys.executable, "-c", code, str(out)], cwd=Path(__file__).parent.parent)
    assert r.returncode == -9
    left = [p for p in out.parent.iterdir() if p.name.endswith(PART_SUFFIX)]
    assert len(left) == 1 and "workbench-export" in left[0].name  # recognizable by name
    ours = out.parent / f"{part_prefix(out)}live{PART_SUFFIX}"  # this process: maybe writing
    ours.mkdir()
    other = out.parent / ".notes.part"  # not an export's: never touched
    other.mkdir()
    write_packet_zip({"a.txt": b"a"}, out, {"Source-Organization": "t"},
                     created=dt.datetime(2026, 1, 1))
    assert out.is_file()
    assert sorted(p.name for p in out.parent.iterdir()) == sorted(
        [out.name, ours.name, other.name])


def test_a_fifo_given_to_verify_or_to_a_reader_is_refused_not_read_forever(tmp_path):
    from workbench.evidence.verify import verify_packet
    from workbench.ingest.formats.sample import read_sample, read_utf8, utf8_view
    fifo = tmp_path / "packet.zip"
    os.mkfifo(fifo)
    with no_hang(10):
        for call in (lambda: verify_packet(fifo), lambda: read_sample(fifo),
                     lambda: read_utf8(fifo), lambda: utf8_view(fifo).__enter__()):
            with pytest.raises(InputError, match="named pipe") as info:
                call()
            assert str(fifo) in str(info.value)
