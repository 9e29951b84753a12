"""Generic import: delimiters, encodings, spreadsheets, bad rows, errors that name file/line/field."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from workbench.case.model import load_case
from workbench.columns.times import iso_utc
from workbench.common.errors import InputError
from workbench.store.normalize import F_REJECTED

HEADER = "Call Start,ANI,DNIS,Ingress Trunk,Duration\n"


def make_case(root: Path, filename: str, extra: str = "", columns: bool = True) -> Path:
    cols = textwrap.dedent("""\
        [sources.columns]
        start = "Call Start"
        calling = "ANI"
        called = "DNIS"
        ingress = "Ingress Trunk"
        """) if columns else ""
    (root / "case.toml").write_text(
        f'[case]\nname = "t"\ndefault_country = "US"\n\n[[sources]]\nprovider = "P"\n'
        f'path = "{filename}"\nformat = "generic"\n{extra}{cols}')
    return root


def source(root):
    return load_case(root).sources[0]


@pytest.mark.parametrize("sep", [",", ";", "|", "\t"])
def test_delimiters(tmp_path, sep):
    body = HEADER.replace(",", sep) + sep.join(
        ["2026-03-07T20:02:11Z", "(312) 555-0143", "7735550188", "000307", "35"]) + "\n"
    (tmp_path / "a.txt").write_text(body)
    s = source(make_case(tmp_path, "a.txt"))
    row = s.row(0)
    assert row["calling"] == "+13125550143" and row["called"] == "+17735550188"
    assert row["ingress"] == "000307" and row["line"] == 2
    assert iso_utc(row["start"]) == "2026-03-07T20:02:11Z"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "latin-1"])
def test_encodings(tmp_path, encoding):
    body = HEADER + "2026-03-07T20:02:11Z,3125550143,7735550188,Señal-Trunk,35\n"
    (tmp_path / "a.csv").write_bytes(body.encode(encoding))
    s = source(make_case(tmp_path, "a.csv"))
    assert s.row(0)["ingress"] == "Señal-Trunk"
    assert s.raw_lines([2])[2].endswith("Señal-Trunk,35")


def test_line_numbers_survive_blank_and_bad_lines(tmp_path):
    body = (HEADER + "2026-03-07T20:02:11Z,3125550143,7735550188,T1,35\n\n"
            "2026-03-07T20:03:11Z,3125550144\n"  # too few fields: reported, reading goes on
            "2026-03-07T20:04:11Z,3125550145,7735550188,T2,12\n")
    (tmp_path / "a.csv").write_text(body)
    s = source(make_case(tmp_path, "a.csv"))
    lines = sorted(s.col("line").tolist())
    assert lines == [2, 5]
    assert s.summary.bad_line_count == 1
    assert s.summary.bad_lines[0]["line"] == 4
    assert "3125550144" in s.summary.bad_lines[0]["text"]


def test_rows_with_unreadable_dates_are_kept_flagged_and_listed(tmp_path):
    rows = [f"2026-03-07T20:0{i}:11Z,312555014{i},7735550188,T1,35" for i in range(8)]
    rows[3] = "not a date,3125550143,7735550188,T1,35"
    (tmp_path / "a.csv").write_text(HEADER + "\n".join(rows) + "\n")
    s = source(make_case(tmp_path, "a.csv"))
    assert s.summary.rows == 8 and s.summary.rejected == 1
    assert s.summary.rejected_lines == [5]
    assert "start missing or unreadable" in s.summary.rejected_reasons
    assert ((s.col("flags") & F_REJECTED) != 0).sum() == 1


def test_mostly_bad_dates_fail_with_file_line_field(tmp_path):
    (tmp_path / "a.csv").write_text(HEADER + "yesterday,3125550143,7735550188,T1,35\n")
    with pytest.raises(InputError) as e:
        source(make_case(tmp_path, "a.csv"))
    msg = e.value.one_line()
    assert "a.csv" in msg and "line 2" in msg and "'start'" in msg


def test_missing_required_column_names_header_line(tmp_path):
    (tmp_path / "a.csv").write_text("start_time,ANI,Trunk\n2026-03-07T20:02:11Z,3125550143,T\n")
    with pytest.raises(InputError) as e:
        source(make_case(tmp_path, "a.csv", columns=False))
    assert "line 1" in str(e.value) and "'called'" in str(e.value)


def test_mapping_to_absent_header(tmp_path):
    (tmp_path / "a.csv").write_text("Start,ANI,DNIS\n2026-03-07T20:02:11Z,3125550143,7735550188\n")
    with pytest.raises(InputError) as e:
        source(make_case(tmp_path, "a.csv"))
    assert "'Call Start'" in str(e.value) and "line 1" in str(e.value)


def test_empty_file(tmp_path):
    (tmp_path / "a.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        source(make_case(tmp_path, "a.csv"))


def test_common_headers_without_mapping_and_split_date_time(tmp_path):
    (tmp_path / "a.psv").write_text("call_date|call_time_utc|from_ani|to_did|trunk_in|trunk_out\n"
                                    "2024-06-10|16:00:31|+12025550143|+13125550178|LARKSPUR-IN|OXBOW\n")
    s = source(make_case(tmp_path, "a.psv", columns=False))
    row = s.row(0)
    assert iso_utc(row["start"]) == "2024-06-10T16:00:31Z"
    assert row["calling"] == "+12025550143" and row["egress"] == "OXBOW"


def test_xlsx_date_cells_and_text_trunks(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Call Start", "ANI", "DNIS", "Ingress Trunk"])
    import datetime as dt
    ws.append([dt.datetime(2026, 3, 8, 1, 59, 30), 3125550143, "773-555-0188", "000307"])
    wb.save(tmp_path / "a.xlsx")
    s = source(make_case(tmp_path, "a.xlsx", extra='timezone = "America/Chicago"\n'))
    row = s.row(0)
    assert iso_utc(row["start"]) == "2026-03-08T07:59:30Z"
    assert row["calling"] == "+13125550143" and row["ingress"] == "000307" and row["line"] == 2
    assert "000307" in s.raw_lines([2])[2]


def test_parquet(tmp_path):
    pd.DataFrame({"Call Start": pd.to_datetime(["2026-03-07T20:02:11Z"], utc=True),
                  "ANI": ["3125550143"], "DNIS": ["7735550188"], "Ingress Trunk": ["000307"]}
                 ).to_parquet(tmp_path / "a.parquet")
    s = source(make_case(tmp_path, "a.parquet"))
    assert iso_utc(s.row(0)["start"]) == "2026-03-07T20:02:11Z"


def test_source_file_is_never_modified_and_reopen_uses_cache(tmp_path, monkeypatch):
    # An empty cache of its own: the session cache may already hold this file's table.
    cache = tmp_path / "cache"
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(cache))
    case = tmp_path / "case"
    case.mkdir()
    (case / "a.csv").write_text(HEADER + "2026-03-07T20:02:11Z,3125550143,7735550188,T1,35\n")
    before = (case / "a.csv").read_bytes()
    make_case(case, "a.csv")
    first = load_case(case).sources[0]
    assert not first.from_cache  # read and normalized, then stored
    assert len(list((cache / "tables").glob("*.arrow"))) == 1
    second = load_case(case).sources[0]
    assert second.from_cache
    assert second.sha256 == first.sha256 and second.table.equals(first.table)
    assert (case / "a.csv").read_bytes() == before
    assert sorted(p.name for p in case.iterdir()) == ["a.csv", "case.toml"]


def test_case_toml_errors(tmp_path):
    (tmp_path / "a.csv").write_text(HEADER + "2026-03-07T20:02:11Z,3125550143,7735550188,T1,35\n")
    (tmp_path / "case.toml").write_text('[case]\nname = "t"\n[[sources]]\nprovider = "P"\n'
                                        'path = "a.csv"\ntimezone = "America/Chicgo"\n')
    with pytest.raises(InputError) as e:
        load_case(tmp_path)
    assert "line 6" in str(e.value) and "timezone" in str(e.value)
    (tmp_path / "case.toml").write_text('[case]\nname = "t\n')
    with pytest.raises(InputError) as e:
        load_case(tmp_path)
    assert "case.toml" in str(e.value) and "line" in str(e.value)
    (tmp_path / "case.toml").write_text('[case]\nname = "t"\n[[sources]]\nprovider = "P"\n'
                                        'path = "missing.csv"\n')
    with pytest.raises(InputError, match="missing.csv"):
        load_case(tmp_path)


@pytest.mark.parametrize("header,value,seconds", [
    ("Duration (s)", "48", 48.0), ("Duration (ms)", "36210", 36.21),
    ("usage", "41000000000", 41.0), ("usage", "41", 41.0), ("billsec", "01:02:03", 3723.0)])
def test_duration_units(tmp_path, header, value, seconds):
    (tmp_path / "a.csv").write_text(f"start_time,ANI,DNIS,{header}\n"
                                    f"2026-03-07T20:02:11Z,3125550143,7735550188,{value}\n")
    s = source(make_case(tmp_path, "a.csv", columns=False))
    assert s.row(0)["duration"] == pytest.approx(seconds)


def test_cached_columns_reopen_as_single_chunks(tmp_path):
    """Reopening must memory-map, not copy: every cached column is one chunk."""
    rows = "\n".join(f"2026-03-07T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z,"
                     f"31255501{i % 100:02d},77355501{i % 97:02d},T{i % 3},{i % 60},"
                     f"call-{i:012d}@sbc.example.net" for i in range(60000))  # > 1 parse block
    (tmp_path / "a.csv").write_text(HEADER.strip() + ",call_id\n" + rows + "\n")
    make_case(tmp_path, "a.csv")
    load_case(tmp_path)
    again = load_case(tmp_path).sources[0]
    assert again.from_cache
    assert all(again.table.column(n).num_chunks == 1 for n in again.table.column_names)


def settled(path: Path) -> Path:
    """Date the file two hours back: files written within two minutes are read, not mapped."""
    old = path.stat().st_mtime - 7200
    os.utime(path, (old, old))
    return path


@pytest.mark.parametrize("mapped", [False, True])
def test_utf8_view_maps_settled_files_only(tmp_path, mapped):
    import mmap

    from workbench.ingest.formats.sample import utf8_view
    f = tmp_path / "a.csv"
    f.write_bytes(b"x,y\n1,2\n")
    if mapped:
        settled(f)
    with utf8_view(f) as (data, enc):
        assert isinstance(data, mmap.mmap) == mapped and enc == "utf-8"
        assert data[:4] == b"x,y\n"


@pytest.mark.parametrize("mapped", [False, True])
@pytest.mark.parametrize("eol,trailing", [("\r\n", False), ("\r\n", True), ("\n", False)])
def test_line_numbers_with_crlf_quoted_newlines_and_no_final_newline(tmp_path, eol, trailing,
                                                                      mapped):
    rows = [HEADER.strip(), "2026-03-07T20:02:11Z,3125550143,7735550188,T1,35",
            '2026-03-07T20:03:11Z,3125550144,7735550188,"T2' + eol + 'second line",12',
            "", "2026-03-07T20:04:11Z,3125550145,7735550188,T3,9"]
    (tmp_path / "a.csv").write_bytes((eol.join(rows) + (eol if trailing else "")).encode())
    if mapped:
        settled(tmp_path / "a.csv")
    s = source(make_case(tmp_path, "a.csv"))
    assert s.col("line").tolist() == [2, 3, 6]
    assert s.text("ingress", [0, 2]) == ["T1", "T3"]
    assert s.raw_lines([6])[6].rstrip("\r") == rows[4]


@pytest.mark.parametrize("mapped", [False, True])
def test_cut_last_line_and_repeated_bad_lines_get_their_own_line_numbers(tmp_path, mapped):
    """A cut last line (its text the start of a good line) and the same bad line twice, in a
    file large enough to be parsed in parallel blocks: each bad line reported at its line."""
    good = [f"2026-03-07T20:{i // 60 % 60:02d}:{i % 60:02d}Z,3125550143,77355{i % 100000:05d},T1,35"
            for i in range(40_000)]
    bad = "2026-03-07T20:00:00Z,3125550143"
    lines = [HEADER.strip()] + good[:100] + [bad] + good[100:30_000] + [bad] + good[30_000:]
    lines.append(good[5][:30])  # the file was cut while this line was being written
    (tmp_path / "a.csv").write_text("\n".join(lines))
    if mapped:
        settled(tmp_path / "a.csv")
    s = source(make_case(tmp_path, "a.csv"))
    assert len(s) == 40_000
    assert s.summary.bad_line_count == 3
    assert [b["line"] for b in s.summary.bad_lines] == [102, 30_003, 40_004]
    got = s.col("line")
    assert got[0] == 2 and got[100] == 103 and got[-1] == 40_003
    assert s.raw_lines([int(got[-1])])[int(got[-1])] == good[-1]


def test_a_short_cut_line_found_in_many_lines_is_numbered_by_a_serial_parse(tmp_path):
    """A cut last line of one character occurs inside almost every line: rather than
    checking them one by one, the file is parsed again serially."""
    good = [f"2026-03-07T20:{i // 60 % 60:02d}:{i % 60:02d}Z,3125550143,7735550188,T2,35"
            for i in range(30_000)]
    (tmp_path / "a.csv").write_text("\n".join([HEADER.strip()] + good + ["2"]))
    s = source(make_case(tmp_path, "a.csv"))
    assert len(s) == 30_000 and [b["line"] for b in s.summary.bad_lines] == [30_002]
