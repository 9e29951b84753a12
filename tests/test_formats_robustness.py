"""Line ends, encodings and empty input: every switch profile reads the same calls."""
from __future__ import annotations

import pytest

from tests.format_fixtures import FIXTURES as ALL_FIXTURES
from tests.format_fixtures import FX
from workbench.common.errors import InputError
from workbench.ingest.formats import ReadOptions, detect, get

# every fixture but two extra FreeSWITCH templates (the example template stands for them)
FIXTURES = {k: v for k, v in ALL_FIXTURES.items()
            if k not in ("freeswitch_default.csv", "freeswitch_mangled.csv")}


def snapshot(table) -> dict:
    return {k: v.to_pylist() for k, v in table.columns.items()} | {"lines": list(table.lines)}


@pytest.mark.parametrize("name, fmt", sorted(FIXTURES.items()))
def test_crlf_reads_like_lf(tmp_path, name, fmt):
    lf = get(fmt).read(FX / name, ReadOptions(timezone="America/New_York"))
    p = tmp_path / name
    p.write_bytes((FX / name).read_bytes().replace(b"\n", b"\r\n"))
    crlf = get(fmt).read(p, ReadOptions(timezone="America/New_York"))
    assert snapshot(crlf) == snapshot(lf)
    assert [b.line for b in crlf.bad_lines] == [b.line for b in lf.bad_lines]
    assert detect(p)[0].format == fmt


def test_windows_1252_caller_name(tmp_path):
    text = (FX / "asterisk_master.csv").read_text().replace("ACCT SERVICES", "CAFÉ SERVICES")
    p = tmp_path / "Master.csv"
    p.write_bytes(text.encode("cp1252"))
    t = get("asterisk").read(p, ReadOptions())
    assert t.columns["calling_name"].to_pylist()[1] == "CAFÉ SERVICES"
    assert t.encoding == "cp1252"


def test_utf8_bom(tmp_path):
    p = tmp_path / "sansay.cdr"
    p.write_bytes(b"\xef\xbb\xbf" + (FX / "sansay_vsx.cdr").read_bytes())
    t = get("sansay").read(p, ReadOptions())
    assert t.columns["ingress"].to_pylist()[0] == "000412"
    assert detect(p)[0].format == "sansay"


@pytest.mark.parametrize("fmt", sorted(set(FIXTURES.values())))
def test_empty_file_is_a_clear_error(tmp_path, fmt):
    p = tmp_path / "empty.cdr"
    p.write_text("\n\n")
    with pytest.raises(InputError):
        get(fmt).read(p, ReadOptions())


@pytest.mark.parametrize("damaged", ['2,"b",5,"c', '1,2,3,4,"e'])  # 4 fields; 5, the last open
def test_many_lines_leaving_a_quote_open_never_stop_the_import(damaged):
    """pyarrow's chunker splits at line feeds while its parser reads a line feed inside quotes
    as a value: enough lines leaving a quote open made it stop with 'CSV parser got out of
    sync with chunker'. Those lines are bad lines, named; the rest is read."""
    from workbench.ingest.formats.delimited import OPEN_QUOTE, read_delimited
    n = 100_000  # ~5 MB: the parser's 1 MiB blocks meet an open quote several times
    data = (b'1,"a b",5060,"c d",x\n' * 2 + damaged.encode() + b"\n") * n
    got = read_delimited(data, delimiter=",", names=list("abcde"), header=False, file="f.csv")
    assert got.table.num_rows == 2 * n and got.bad_count == n
    assert [b.line for b in got.bad_lines[:3]] == [3, 6, 9]
    assert got.bad_lines[0].reason == OPEN_QUOTE and got.bad_lines[0].text == damaged
    assert list(got.lines[:4]) == [1, 2, 4, 5] and got.lines[-1] == 3 * n - 1
    assert got.table.column("e").to_pylist()[:2] == ["x", "x"]


def test_every_unescaped_freeswitch_line_is_repaired_not_only_the_first_hundred(tmp_path):
    lines = (FX / "freeswitch_example.csv").read_text().splitlines(keepends=True)
    p = tmp_path / "Master.csv"
    p.write_text("".join(lines * 400))  # 400 lines with 'Bob "The Closer", LLC'
    t = get("freeswitch").read(p, ReadOptions())
    assert len(t) == 4 * 400
    assert t.bad_line_count == 400  # only the 400 cut lines (line 4 of each copy)
    assert {b.line % 5 for b in t.bad_lines} == {4}
    assert t.columns["calling_name"].to_pylist().count('Bob "The Closer", LLC') == 400


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_refused_line_that_is_not_utf8_makes_the_file_read_as_windows_1252(tmp_path):
    """pyarrow cannot hand a refused line that is not UTF-8 to the handler and stops the
    parse: the whole file was refused instead of read again as Windows-1252."""
    from pathlib import Path
    p = Path(tmp_path) / "calls.csv"
    p.write_bytes(b"a,b,c\n1,2,3\n4,5,\xe96,7\n8,9,10\n")
    t = get("generic").read(p, ReadOptions(columns={"start": "a", "called": "b"}))
    assert len(t) == 2 and t.encoding == "cp1252"
    assert [(b.line, b.text) for b in t.bad_lines] == [(3, "4,5,é6,7")]
    master = (FX / "asterisk_master.csv").read_bytes()
    p.write_bytes(master + b'"","2025550143","Caf\xe9",too,few\n')  # a switch's own reader
    t = get("asterisk").read(p, ReadOptions())
    assert t.encoding == "cp1252" and t.bad_lines[-1].text == '"","2025550143","Café",too,few'


def _count_parsed_rows(monkeypatch) -> dict[str, int]:
    """Every row pyarrow parses, returned or refused (handed to the invalid-row handler)."""
    import pyarrow.csv as pv
    seen = {"rows": 0}
    real = pv.read_csv

    def counting(source, read_options=None, parse_options=None, convert_options=None):
        handler = parse_options.invalid_row_handler

        def counted(row):
            seen["rows"] += 1
            return handler(row)
        parse_options.invalid_row_handler = counted
        table = real(source, read_options=read_options, parse_options=parse_options,
                     convert_options=convert_options)
        seen["rows"] += table.num_rows
        return table

    monkeypatch.setattr(pv, "read_csv", counting)
    return seen


# (not freeswitch_example.csv: a fifth of its lines have quote faults that pyarrow's parallel
# parse refuses without a line number, and a serial parse of that group numbers them)
@pytest.mark.parametrize("name, fmt", [("kamailio_db_acc.csv", "kamailio_db"),
                                       ("asterisk_master.csv", "asterisk")])
def test_a_file_of_many_bad_or_mixed_lines_is_parsed_once(tmp_path, monkeypatch, name, fmt):
    """Refused rows used to be parsed twice (a serial parse to number them, or a second
    parse of every refused line): each line is now parsed once, bar the few rows the
    first parse sees before it stops to count fields instead."""
    text = (FX / name).read_bytes()
    head, body = (text.split(b"\n", 1) if fmt == "kamailio_db" else (b"", text))
    p = tmp_path / name
    p.write_bytes(head + (b"\n" if head else b"") + body * 4000)
    lines = (body * 4000).count(b"\n")
    seen = _count_parsed_rows(monkeypatch)
    t = get(fmt).read(p, ReadOptions(timezone="America/New_York"))
    assert len(t) > 0
    assert seen["rows"] <= 1.15 * lines + 4000, (seen["rows"], lines)
