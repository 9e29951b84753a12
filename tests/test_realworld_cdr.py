"""The CDR files real Asterisk, FreePBX, FreeSWITCH and Cisco UCM systems wrote (../shared).

Each file: detected as its format, every record counted (counted here independently of the
reader), and where it holds calls to public numbers, those found at the right UTC second.
The files are never copied into the repository: without ../shared these tests skip.
"""
from __future__ import annotations

import csv
import io
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tests.clirun import run_cli
from workbench.case.model import load_case
from workbench.common.errors import InputError
from workbench.ingest import formats
from workbench.ingest.formats import ReadOptions
from workbench.ingest.formats.delimited import read_delimited
from workbench.ingest.formats.switches.freeswitch_docs import repair_xml
from workbench.present.report_text import info_text

FILES = Path(__file__).resolve().parents[2] / "shared" / "realworld_cdr" / "files"
FX = Path(__file__).parent / "fixtures" / "formats"
needs_files = pytest.mark.skipif(not FILES.is_dir(), reason=f"real CDR exports not found at "
                                 f"{FILES} (they live beside the repository, never in it)")

# file: (format, header lines before the records, zone the README gives, default country)
TABLE = {
    "asterisk_cdr_custom19_kelysaina_Master.csv": ("asterisk_custom", 0, "Etc/GMT-3", "US"),
    "asterisk_cdr_csv21_mineevburyat_Master.csv": ("asterisk", 0, "UTC", "RU"),
    "asterisk_cdr_csv18_simularent_Master.csv": ("asterisk", 0, "UTC", "US"),
    "asterisk_cdr_table_export_header_srinimonster_cdr_first200.csv":
        ("generic", 1, "America/New_York", "US"),
    "cucm_excel_resaved_csvutil_cdr_StandAloneCluster_04_201601141231_120716.csv":
        ("cucm", 2, "UTC", "US"),
    "freepbx_cdr_table_headerless_excel_g9telecom_cdr_first200.csv":
        ("freepbx_cdr", 0, "Europe/Lisbon", "PT"),
    "freepbx_cdrreport_header_g9telecom_cdr__1504525205.csv": ("generic", 1, "Europe/Lisbon", "PT"),
    "freepbx_excel_cr_dmy_g9telecom_cdr_new.csv": ("generic", 1, "Europe/Lisbon", "PT"),
    "freeswitch_csv_default_spicyramen_Master.csv": ("freeswitch", 0, "UTC", "US"),
    "freeswitch_csv_default_nimatel_Master.csv": ("freeswitch", 0, "UTC", "US"),
    "freeswitch_csv_default_amitsrepo_Master.csv": ("freeswitch", 0, "UTC", "US"),
    "freeswitch_csv_excel_resaved_kxingyun_Master.csv": ("freeswitch", 0, "UTC", "US"),
    "freeswitch_json_cdr_cgrates_fsevent_test_teo.json": ("freeswitch_json", 0, "UTC", "US"),
    "freeswitch_xml_cdr_summitrabz_dump2.xml": ("freeswitch_xml", 0, "UTC", "US"),
}


def count_records(path: Path, header_lines: int) -> int:
    """Records in a file, counted without the project's readers."""
    text = path.read_bytes().decode("latin-1")
    if path.suffix == ".xml":
        return len(re.findall(r"<cdr[\s>]", text))
    if path.suffix == ".json":
        return len(re.findall(r'^\{', text, flags=re.M)) or 1
    rows = [r for r in csv.reader(io.StringIO("\n".join(text.splitlines()))) if any(r)]
    return len(rows) - header_lines


def one_source_case(tmp_path: Path, name: str, zone: str, country: str) -> Path:
    """A case folder holding this one file (copied to tmp_path, never written to ../shared)."""
    root = tmp_path / "case"
    root.mkdir()
    shutil.copy(FILES / name, root / name)
    (root / "case.toml").write_text(
        f'[case]\nname = "real"\ndefault_country = "{country}"\n'
        '[[providers]]\nname = "P"\n'
        f'[[sources]]\nprovider = "P"\npath = "{name}"\nformat = "auto"\ntimezone = "{zone}"\n')
    return root


def utc_us(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=timezone.utc).timestamp()) * 10**6


def loaded_rows(case) -> dict[str, np.ndarray]:
    src = case.sources[0]
    t = case.store.columns(src.id, ["line", "start", "called", "calling", "called_key"])
    return {n: np.asarray(t.column(n).to_pylist(), dtype=object) for n in t.column_names}


def start_of(case, line: int) -> int:
    rows = loaded_rows(case)
    hit = np.flatnonzero(rows["line"] == line)
    assert len(hit) == 1, f"line {line} not loaded"
    return int(rows["start"][hit[0]])


@needs_files
@pytest.mark.parametrize("name", sorted(TABLE))
def test_detected_as_its_format_and_every_record_read(name: str) -> None:
    fmt, header_lines, zone, _ = TABLE[name]
    path = FILES / name
    ranked = formats.detect(path)
    assert formats.choose(path).format == fmt, ranked[:3]
    parsed = formats.get(fmt).read(path, ReadOptions(timezone=zone))
    assert len(parsed) + parsed.bad_line_count == count_records(path, header_lines)
    assert parsed.bad_line_count == 0


@needs_files
@pytest.mark.parametrize("name", sorted(TABLE))
def test_detect_command_never_crashes(name: str) -> None:
    r = run_cli("detect", str(FILES / name))
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert f"chosen: {TABLE[name][0]}" in r.stdout


@needs_files
def test_pbx_export_of_mostly_internal_calls_loads_its_public_calls_with_a_warning(
        tmp_path: Path) -> None:
    name = "asterisk_cdr_csv18_simularent_Master.csv"
    case = load_case(one_source_case(tmp_path, name, "UTC", "US"), use_cache=False)
    sm = case.sources[0].summary
    assert (sm.rows, sm.rows - sm.rejected) == (269, 129)  # 140 extension/IVR calls
    assert sm.rejected_reasons == {"called number missing or not a number": 140}
    assert sm.rejected_lines[:3] == [11, 12, 13]  # viewable: the lines, with their reason
    text = info_text(case, {})
    assert "warning: only 129 of 269 rows are usable; 140 unusable" in text
    # line 1: 1500 → 12489398620 via Google Voice at 16:38:55 UTC (uniqueid 1473179935.0)
    assert start_of(case, 1) == 1473179935 * 10**6
    # loaded calls start at their uniqueid epoch (the clock was UTC: usegmtime=yes); a channel
    # is created a moment before a transferred call's CDR starts, never after, never hours off
    raw = list(csv.reader(open(FILES / name, encoding="utf-8", newline="")))
    rows = loaded_rows(case)
    ok = rows["called_key"] >= 0
    gaps = np.array([start - int(raw[line - 1][16].split(".")[0]) * 10**6
                     for line, start in zip(rows["line"][ok], rows["start"][ok])])
    assert len(gaps) == 129 and gaps.min() >= 0 and gaps.max() < 60 * 10**6
    assert np.mean(gaps <= 10**6) > 0.9


@needs_files
def test_file_without_one_usable_row_is_refused_naming_file_line_and_field(
        tmp_path: Path) -> None:
    name = "freepbx_cdrreport_header_g9telecom_cdr__1504525205.csv"  # extension calls only
    with pytest.raises(InputError) as err:
        load_case(one_source_case(tmp_path, name, "Europe/Lisbon", "PT"), use_cache=False)
    msg = str(err.value)
    assert name in msg and "line 2" in msg and "'called'" in msg
    assert "none of 100 rows is usable" in msg


@needs_files
def test_cr_only_line_ends_read_as_lines(tmp_path: Path) -> None:
    name = "freepbx_excel_cr_dmy_g9telecom_cdr_new.csv"
    assert b"\n" not in (FILES / name).read_bytes()
    r = run_cli("info", str(one_source_case(tmp_path, name, "Europe/Lisbon", "PT")))
    assert r.returncode == 0, r.stderr
    assert "25 rows" in r.stdout and "day first" in r.stdout
    assert "no seconds" in r.stdout  # DD/MM/YY HH:MM: low precision said
    case = load_case(tmp_path / "case", use_cache=False)
    # line 4: 16504222900 → 4373 at 24/08/17 09:49 Lisbon (WEST, UTC+1) = 08:49:00 UTC
    assert start_of(case, 4) == utc_us("2017-08-24T08:49:00")
    assert len(loaded_rows(case)["line"]) == 25


def test_cr_only_text_keeps_its_line_numbers() -> None:
    d = read_delimited(b"a,b\r1,2\r\r3,4\r", delimiter=",")
    assert d.table.column("a").to_pylist() == ["1", "3"]
    assert list(d.lines) == [2, 4]


@needs_files
def test_headerless_freepbx_table_dump_day_first_from_uniqueid(tmp_path: Path) -> None:
    name = "freepbx_cdr_table_headerless_excel_g9telecom_cdr_first200.csv"
    d = formats.choose(FILES / name)
    assert any("uniqueid (field 15) is <epoch>.<seq> on 100%" in e for e in d.evidence)
    case = load_case(one_source_case(tmp_path, name, "Europe/Lisbon", "PT"), use_cache=False)
    # line 10: "1/9/2017 17:12:05" (1 Sep, day first) Lisbon → 16:12:05 UTC = uniqueid 1504282325
    assert start_of(case, 10) == 1504282325 * 10**6
    assert loaded_rows(case)["called"][loaded_rows(case)["line"] == 10][0] == "+351924109099"
    assert not any(n.startswith("WARNING: uniqueid") for n in case.sources[0].summary.notes)


@needs_files
def test_zone_that_disagrees_with_uniqueid_epochs_is_said(tmp_path: Path) -> None:
    name = "freepbx_cdr_table_headerless_excel_g9telecom_cdr_first200.csv"
    case = load_case(one_source_case(tmp_path, name, "UTC", "PT"), use_cache=False)
    assert "warning: uniqueid epochs say UTC+01:00; timezone is UTC" in info_text(case, {})
    p = formats.get("asterisk_custom").read(FILES / "asterisk_cdr_custom19_kelysaina_Master.csv",
                                            ReadOptions(timezone="UTC"))
    assert any("uniqueid epochs say UTC+03:00; timezone is UTC" in n for n in p.notes)
    p = formats.get("asterisk_custom").read(FILES / "asterisk_cdr_custom19_kelysaina_Master.csv",
                                            ReadOptions(timezone="Etc/GMT-3"))
    assert not any(n.startswith("WARNING") for n in p.notes)


@needs_files
def test_prefixed_uniqueid_still_checks_the_zone() -> None:
    p = formats.get("asterisk").read(FILES / "asterisk_cdr_csv21_mineevburyat_Master.csv",
                                     ReadOptions(timezone="Europe/Moscow"))
    assert any("uniqueid epochs say UTC+00:00; timezone is Europe/Moscow" in n for n in p.notes)


@needs_files
def test_srinimonster_table_export_in_new_york(tmp_path: Path) -> None:
    name = "asterisk_cdr_table_export_header_srinimonster_cdr_first200.csv"
    case = load_case(one_source_case(tmp_path, name, "America/New_York", "US"), use_cache=False)
    # line 2: 1115 → 2484363600 at 2018-11-29 20:19:34 EST; uniqueid 1543540774.0
    assert start_of(case, 2) == 1543540774 * 10**6


@needs_files
def test_freeswitch_csv_public_call_at_its_utc_second(tmp_path: Path) -> None:
    name = "freeswitch_csv_default_spicyramen_Master.csv"
    case = load_case(one_source_case(tmp_path, name, "UTC", "US"), use_cache=False)
    rows = loaded_rows(case)
    assert start_of(case, 3) == utc_us("2016-02-16T05:02:32")
    assert rows["called"][rows["line"] == 3][0] == "+14082186575"
    assert len(rows["line"]) == 82  # internal calls kept, countable


@needs_files
def test_spreadsheet_minutes_only_dates_flag_low_precision() -> None:
    name = "freeswitch_csv_excel_resaved_kxingyun_Master.csv"
    p = formats.get("freeswitch").read(FILES / name, ReadOptions())
    assert p.low_precision
    assert any("no seconds" in n for n in p.notes)


@needs_files
def test_scientific_notation_flagged_never_turned_into_digits() -> None:
    name = "cucm_excel_resaved_csvutil_cdr_StandAloneCluster_04_201601141231_120716.csv"
    p = formats.get("cucm").read(FILES / name, ReadOptions())
    assert any("finalCalledPartyNumber: 1 value(s) in scientific notation (e.g. 9.12678E+11)"
               in n for n in p.notes)
    from workbench.columns import numbers
    res = numbers.normalize_numbers(pa.array(["9.12678E+11"]), "US")
    assert int(np.asarray(res.key)[0]) == -1  # the lost digits are never invented
    assert res.flags[0] & numbers.SCIENTIFIC


@needs_files
def test_xml_cdr_with_raw_variables_read_and_fault_named() -> None:
    name = "freeswitch_xml_cdr_summitrabz_dump2.xml"
    p = formats.get("freeswitch_xml").read(FILES / name, ReadOptions())
    assert len(p) == 1 and list(p.lines) == [2]
    assert p.columns["start"].cast(pa.int64()).to_pylist()[0] == 1431707219831472
    assert p.columns["called"].to_pylist() == ["9664"]
    assert any("not well-formed (invalid token): line 138" in n for n in p.notes)


def test_xml_repair_escapes_only_stray_markup() -> None:
    doc = '<cdr a="1"><v>"1001" <1001> &x & &amp;</v><w><sip:1@h>;tag=1</w><!-- c --></cdr>'
    assert repair_xml(doc) == ('<cdr a="1"><v>"1001" &lt;1001> &amp;x &amp; &amp;</v>'
                               '<w>&lt;sip:1@h>;tag=1</w><!-- c --></cdr>')


@needs_files
def test_freeswitch_json_leg_at_its_epoch() -> None:
    p = formats.get("freeswitch_json").read(
        FILES / "freeswitch_json_cdr_cgrates_fsevent_test_teo.json", ReadOptions())
    assert p.columns["start"].cast(pa.int64()).to_pylist() == [1521025758006702]


def test_freepbx_table_fixture_iso_dates_26_fields() -> None:
    """Our own fictional dump (no ../shared needed): ISO calldate, 26 fields with sequence."""
    assert formats.choose(FX / "freepbx_cdr_table.csv").format == "freepbx_cdr"
    p = formats.get("freepbx_cdr").read(FX / "freepbx_cdr_table.csv",
                                         ReadOptions(timezone="America/New_York"))
    assert p.columns["start"].to_pylist()[0] == "2024-06-10 08:00:31"
    assert p.columns["calling"].to_pylist() == ["2025550143", "105", "2025550155"]
    assert p.columns["called"].to_pylist()[2] == "3125550199"
    assert p.columns["ingress"].to_pylist()[0] == "larkspur-in"
    assert p.columns["duration"].to_pylist()[0] == "36"  # billsec
    assert p.columns["calling_name"].to_pylist()[0] == "Larkspur Dental"
    assert any("timezone 'America/New_York' agrees" in n for n in p.notes)
