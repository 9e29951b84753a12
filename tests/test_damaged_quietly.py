"""Damaged files give their one-line error or warning and nothing else: no Python noise on
stderr from numpy casts or from pyarrow's row handler (both seen by the fuzz run)."""
from __future__ import annotations

import pyarrow as pa
import pytest

from workbench.ingest.config import SourceConfig
from workbench.ingest.formats.switches.times import epoch_to_utc
from workbench.store.source import load_source


@pytest.mark.filterwarnings("error")
def test_an_epoch_past_int64_microseconds_is_no_time_not_a_wrapped_one():
    got = epoch_to_utc(pa.array(["1718035231", "9" * 25, "1" + "0" * 22, "0", "x"]))
    assert got[0].as_py().year == 2024
    assert got.null_count == 4


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_refused_row_that_is_not_utf8_reads_as_cp1252_without_noise(tmp_path):
    """The byte lies past the head the encoding is sniffed from, in a row pyarrow refuses
    (wrong field count) and cannot hand to the row handler as text."""
    good = [b"2024-06-10 12:00:%02d,312555%04d,6305550118" % (i % 60, i) for i in range(4000)]
    rows = [b"start,calling,called", *good,
            b"2024-06-10 12:01:00,3125550144,6305550119,extra \xa7 field",
            b"2024-06-10 12:02:00,3125550145,6305550120"]
    (tmp_path / "c.csv").write_bytes(b"\n".join(rows) + b"\n")
    cfg = SourceConfig(provider="P", path="c.csv", format="generic", timezone="UTC")
    src = load_source(cfg, tmp_path, "US", use_cache=False)
    assert len(src) == 4001 and src.summary.bad_line_count == 1
    assert src.summary.bad_lines[0]["line"] == 4002


@pytest.mark.filterwarnings("error")
def test_a_workbook_date_out_of_range_is_a_source_note_not_stderr_noise(tmp_path, capfd):
    """openpyxl warns (and reads ``#VALUE!``) for a date cell whose serial is out of range:
    the warning becomes the source's note, said once with its count."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Call Start", "Calling Party", "Called Party"])
    for i in range(3):
        ws.append([f"2026-03-01 10:0{i}:00", f"131255500{i}", "16305550118"])
    for cell in ("A3", "A4"):
        ws[cell] = 99999999
        ws[cell].number_format = "yyyy-mm-dd h:mm:ss"
    wb.save(tmp_path / "w.xlsx")
    cfg = SourceConfig(provider="P", path="w.xlsx", format="generic", timezone="UTC")
    src = load_source(cfg, tmp_path, "US", use_cache=False)
    said = [n for n in src.summary.notes if n.startswith("workbook: ")]
    assert len(said) == 2 and all("outside the limits for dates" in n for n in said)
    assert {"Cell A3" in said[0], "Cell A4" in said[1]} == {True}
    assert len(src) == 3 and src.summary.rejected == 2  # kept, and counted as unusable
    assert capfd.readouterr().err == ""
