"""Hypothesis fuzzing of every registered CDR format reader, through the import path the CLI
uses (issue 10): `detect` and the reader as `workbench detect` runs them, and `load_source`
(read + normalize) as `workbench info` runs it for each source.

Each registered profile is fed its own fixtures, damaged: byte flips, truncation, NUL bytes,
huge fields and lines, other encodings, dates and epochs out of range, CR-only line ends,
repeated damaged lines, damaged XML / JSON (entities, deep nesting), XLSX members and Parquet
bytes. The only allowed outcomes are rows (with their warnings and bad lines) or one
InputError line naming the file; never another exception, never a hang (a per-example alarm).

`make test` runs a few examples per profile (derandomized); `make fuzz` (HOSTILE_PROFILE=fuzz)
runs 10,000 per profile (FUZZ_EXAMPLES overrides the count).
"""
from __future__ import annotations

import io
import json
import os
import re
import tempfile
import time
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.format_fixtures import FIXTURES, FX, small_workbook
from tests.guards import no_hang
from workbench.common.errors import InputError
from workbench.ingest import formats
from workbench.ingest.config import SourceConfig
from workbench.ingest.formats import BUG_TYPES, ReadOptions
from workbench.store.source import load_source

FUZZ = os.environ.get("HOSTILE_PROFILE") == "fuzz"
settings.register_profile("readers", max_examples=6, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("readers-fuzz",
                          max_examples=int(os.environ.get("FUZZ_EXAMPLES", "10000")),
                          deadline=None, suppress_health_check=list(HealthCheck))
PROFILE = settings.get_profile("readers-fuzz" if FUZZ else "readers")
DEADLINE_S = 60 if FUZZ else 30  # one example (a few MB at most) takes a second or two
MAX_BYTES = 4_000_000  # the test's own inputs stay small: the readers' limits are not at stake


# ---------------------------------------------------------------- seeds

GENERIC_CSV = (
    b"Call Start,Calling Party,Called Party,Ingress Trunk,Duration,Call ID\n"
    b"2026-03-01 10:00:00,+13125550143,16305550118,TG-1,36,a1@192.0.2.1\n"
    b"03/01/2026 10:01:07,(312) 555-0144,6305550119,TG-2,0,a2@192.0.2.1\n"
    b"2026-03-01T10:02:09-06:00,13125550145,+16305550120,TG-1,12,a3@192.0.2.1\n")


def _parquet() -> bytes:
    t = pa.table({"start": [f"2026-03-01 10:{i:02d}:00" for i in range(12)],
                  "calling": [f"1312555{i:04d}" for i in range(12)],
                  "called": ["16305550118"] * 12, "ingress": [f"TG{i}" for i in range(12)]})
    buf = io.BytesIO()
    pq.write_table(t, buf)
    return buf.getvalue()


def _seeds() -> dict[str, list[tuple[str, bytes]]]:
    """(file name, bytes) per registered profile: its fixtures; generic gets CSV/XLSX/Parquet."""
    out: dict[str, list[tuple[str, bytes]]] = {}
    for name, fmt in FIXTURES.items():
        out.setdefault(fmt, []).append((name, (FX / name).read_bytes()))
    out["generic"] = [("calls.csv", GENERIC_CSV), ("calls.xlsx", small_workbook(12)),
                      ("calls.parquet", _parquet())]
    return out


SEEDS = _seeds()
FORMATS = sorted(p.name for p in formats.profiles())


def test_every_registered_format_has_a_seed_to_fuzz():
    assert sorted(SEEDS) == FORMATS


# ---------------------------------------------------------------- damage

_YEAR = re.compile(rb"(?<!\d)20\d\d(?!\d)")
_EPOCH = re.compile(rb"(?<!\d)1[67]\d{8}(\d{6})?(?!\d)")
_BAD_YEARS = [b"99999", b"0000", b"0001", b"9999", b"1e400", b"-1", b"2262", b"1677",
              b"18446744073709551616"]
_BAD_EPOCHS = [b"9" * 25, b"-1", b"0", b"99999999999", b"1e308", b"nan", b"253402300800"]
_JUNK = [b"[" * 20000, b"{\"a\":" * 5000, b"<a>" * 5000, b"\"" * 7, b"\r", b"\x00" * 9,
         b"\xff\xfe", b"\xef\xbb\xbf", b"%", b"%ZZ", b";", b",,,,", b"\\", b"\t",
         b'<!DOCTYPE cdr [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>&b;',
         b"]]>", b"<![CDATA[", b"&#0;", b"&amp", b"\\N", b"NULL", b"1e400", b"-0", b"NaN"]


def _text_damage(draw: st.DrawFn, data: bytes) -> bytes:
    """One change that keeps the file text-like: the damage spreadsheets, switches and
    transfers do."""
    op = draw(st.sampled_from(["flip", "cut", "insert", "nul", "huge", "year", "epoch",
                               "cr", "encoding", "repeat", "drop_quote", "long_line"]))
    b = bytearray(data)
    if not b:
        return bytes(draw(st.binary(max_size=200)))
    i = draw(st.integers(0, len(b) - 1))
    if op == "flip":
        b[i] ^= 1 << draw(st.integers(0, 7))
    elif op == "cut":
        del b[i:]
    elif op == "insert":
        b[i:i] = draw(st.binary(max_size=40) | st.sampled_from(_JUNK))
    elif op == "nul":
        b[i] = 0
    elif op == "huge":  # one field of 10,000–300,000 characters
        b[i:i] = draw(st.sampled_from([b"A", b"9", b"\xc3\xa9", b" "])) * draw(
            st.integers(10_000, 120_000))
    elif op == "year":
        years = list(_YEAR.finditer(data))
        if years:
            m = draw(st.sampled_from(years))
            b[m.start():m.end()] = draw(st.sampled_from(_BAD_YEARS))
    elif op == "epoch":
        epochs = list(_EPOCH.finditer(data))
        if epochs:
            m = draw(st.sampled_from(epochs))
            b[m.start():m.end()] = draw(st.sampled_from(_BAD_EPOCHS))
    elif op == "cr":  # "CSV (Macintosh)": CR-only line ends; or a mix
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r") if draw(st.booleans()) \
            else data.replace(b"\n", b"\r\n", draw(st.integers(1, 5)))
    elif op == "encoding":
        enc = draw(st.sampled_from(["utf-16", "utf-16-be", "utf-32", "cp1252", "latin-1",
                                    "cp037", "utf-7"]))
        return data.decode("utf-8", "replace").encode(enc, "replace")
    elif op == "repeat":  # one (possibly damaged) line many times: pyarrow's blocks meet it
        lines = data.splitlines(keepends=True)
        k = draw(st.integers(0, len(lines) - 1))
        line = bytes(lines[k])
        if draw(st.booleans()):
            line = line[:draw(st.integers(0, len(line)))] + b"\n"
        times = draw(st.integers(2, 20_000))  # ~1-3 MB: past pyarrow's 1 MiB blocks
        times = min(times, max(2, MAX_BYTES // max(len(line), 1)))
        return b"".join(lines[:k]) + line * times + b"".join(lines[k:])
    elif op == "drop_quote":
        quotes = [j for j, c in enumerate(b) if c == 34]
        if quotes:
            del b[draw(st.sampled_from(quotes))]
    else:  # a line of nothing but separators
        b[i:i] = draw(st.sampled_from([b",", b";", b"|", b"\t"])) * draw(
            st.integers(100, 100_000)) + b"\n"
    return bytes(b)


def _zip_damage(draw: st.DrawFn, data: bytes) -> bytes:
    """A damaged member inside an intact zip (an XLSX): what openpyxl meets lazily."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    name = draw(st.sampled_from(sorted(members)))
    members[name] = _text_damage(draw, members[name])
    if draw(st.integers(0, 9)) == 0:
        del members[name]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, content in members.items():
            zf.writestr(n, content)
    return buf.getvalue()


@st.composite
def damaged(draw: st.DrawFn, fmt: str) -> tuple[str, bytes]:
    name, data = draw(st.sampled_from(SEEDS[fmt]))
    if draw(st.integers(0, 19)) == 0:
        return name, draw(st.binary(max_size=2000))
    if name.endswith(".xlsx") and draw(st.booleans()):
        return name, _zip_damage(draw, data)
    for _ in range(draw(st.integers(1, 3))):
        data = _text_damage(draw, data)[:MAX_BYTES]  # a huge field repeated: 18 GB once
    return name, data


# ---------------------------------------------------------------- the property

def allowed(exc: InputError, path: Path) -> None:
    """One line naming the file, and not a bug in disguise (a TypeError the guard caught)."""
    text = str(exc)
    assert "\n" not in text, text
    assert path.name in text, text
    cause = exc.__cause__
    while cause is not None:
        assert not isinstance(cause, BUG_TYPES), f"{type(cause).__name__}: {cause}"
        cause = cause.__cause__


def import_like_the_cli(path: Path, fmt: str) -> bool:
    """`workbench detect FILE` and `workbench info` on a case naming the file as ``fmt``;
    True when some import gave rows."""
    try:  # detect: rank the profiles, choose, read with the chosen one
        formats.detect(path)
        chosen = formats.choose(path)
        formats.get(chosen.format).read(path, ReadOptions())
    except InputError as exc:
        allowed(exc, path)
    for named in (fmt, "auto"):
        cfg = SourceConfig(provider="P", path=path.name, format=named,
                           timezone="America/New_York")
        try:
            src = load_source(cfg, path.parent, "US", use_cache=False)
        except InputError as exc:
            allowed(exc, path)
            continue
        s = src.summary
        assert s.rows == len(src) >= 1
        assert s.bad_line_count >= len(s.bad_lines)
        json.dumps(s.to_dict(), default=str)  # what `info --json` prints
        return True  # "auto" adds detection only
    return False


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_damaged_file_of_each_format_reads_or_is_one_input_error(fmt):
    tally = {"inputs": 0, "read": 0}
    slowest: list[tuple[float, str, int]] = [(0.0, "", 0)]  # seconds, file name, bytes

    @PROFILE
    @given(damaged(fmt))
    def prop(case: tuple[str, bytes]) -> None:
        name, data = case
        tally["inputs"] += 1
        began = time.perf_counter()
        with tempfile.TemporaryDirectory() as d, no_hang(DEADLINE_S):
            path = Path(d) / name
            path.write_bytes(data)
            tally["read"] += import_like_the_cli(path, fmt)
        slowest[0] = max(slowest[0], (time.perf_counter() - began, name, len(data)))

    with tempfile.TemporaryDirectory() as d:  # the first read compiles the reader's kernels
        for name, data in SEEDS[fmt]:         # (once per install, no hang): before the guard
            (Path(d) / name).write_bytes(data)
            import_like_the_cli(Path(d) / name, fmt)
    started = time.perf_counter()
    prop()
    if os.environ.get("FUZZ_REPORT"):  # `make fuzz` and the background run: what was tried
        with open(os.environ["FUZZ_REPORT"], "a", encoding="utf-8") as fh:
            fh.write(f"{fmt}: {tally['inputs']} inputs, {tally['read']} read with rows, "
                     f"{tally['inputs'] - tally['read']} one-line errors, 0 other exceptions, "
                     f"0 hangs, {time.perf_counter() - started:.0f} s; slowest input "
                     f"{slowest[0][0]:.1f} s ({slowest[0][1]}, {slowest[0][2]:,} bytes)\n")


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_seed_reads_undamaged(fmt, tmp_path):
    """The fuzzer's starting points are files the reader reads: damage is what varies."""
    for name, data in SEEDS[fmt]:
        path = tmp_path / name
        path.write_bytes(data)
        cfg = SourceConfig(provider="P", path=name, format=fmt, timezone="America/New_York")
        assert len(load_source(cfg, tmp_path, "US", use_cache=False)) >= 1


# ---------------------------------------------------------------- what the fuzzer found

def test_a_kamailio_log_cut_after_code_reads(tmp_path):
    """Found by the fuzzer: a last line cut right after `code=` has no reason= key, and the
    disposition was built from a column that did not exist (AttributeError)."""
    path = tmp_path / "acc.log"
    path.write_bytes((FX / "kamailio_acc.log").read_bytes().split(b"\n")[0] + b"\n" +
                     b"Jun 10 16:00:38 sip-edge-1 kamailio[2211]: NOTICE: acc: ACC: transaction"
                     b" answered: timestamp=1718035238;method=INVITE;call_id=4f2b@x;code=")
    t = formats.get("kamailio").read(path, ReadOptions())
    assert len(t) == 1 and t.columns["disposition"].to_pylist() == [None]


def test_a_start_in_year_0000_is_one_input_error_not_an_overflow(tmp_path):
    """Found by the fuzzer: a FreePBX row dated 0000-06-10 overflowed Python's datetime while
    the summary was written (normalize; see the report: better a rejected row)."""
    lines = (FX / "freepbx_cdr_table.csv").read_bytes().splitlines(keepends=True)
    path = tmp_path / "cdr.csv"
    path.write_bytes(lines[0].replace(b"2024-06-10", b"0000-06-10", 1) + b"".join(lines[1:]))
    cfg = SourceConfig(provider="P", path=path.name, format="freepbx_cdr", timezone="UTC")
    with no_hang(30):
        try:
            src = load_source(cfg, tmp_path, "US", use_cache=False)
        except InputError as exc:
            allowed(exc, path)
        else:
            assert src.summary.first_utc is None or src.summary.first_utc >= "0001"


def test_a_line_of_100000_separators_is_refused_not_read_as_100000_columns(tmp_path):
    """Arrow keeps buffers per column: a header (or a layout) of 100,000 fields took
    gigabytes. More columns than any CDR layout has is one error line, or bad lines."""
    path = tmp_path / "calls.csv"
    path.write_bytes(b"a," * 50_000 + b"\n" + GENERIC_CSV)
    with pytest.raises(InputError, match="50,001 columns") as info:
        formats.get("generic").read(path, ReadOptions())
    allowed(info.value, path)
    log = tmp_path / "acc.log"
    text = (FX / "kamailio_acc.log").read_bytes()
    log.write_bytes(text + b"Jun 10 16:00:38 h kamailio[1]: ACC: call missed: " + b";" * 100_000
                    + b"\n")
    t = formats.get("kamailio").read(log, ReadOptions())
    assert len(t) == len(formats.get("kamailio").read(FX / "kamailio_acc.log", ReadOptions()))


def test_an_acc_table_cut_inside_its_header_is_one_input_error(tmp_path):
    """Found by the fuzzer: no time column at all reached vectorized code as a None."""
    path = tmp_path / "acc.csv"
    path.write_bytes(b"id,method,from_tag,to_tag,callid")
    with pytest.raises(InputError, match="no time field") as info:
        formats.get("kamailio_db").read(path, ReadOptions())
    allowed(info.value, path)
