"""The Robocall Mitigation Database download: reading real exports, old headers, removals,
bad files, name normalization and matching a case's providers to filings."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from workbench.analytics.rmd_match import match_providers
from workbench.case.model import load_case
from workbench.common.errors import InputError
from workbench.ingest.rmd import is_none, load_rmd, name_key, name_list, read_snapshot

# The real downloads live beside the checkout (/work/shared when the repo is /work/main);
# they are not ours to copy into the repository.
SHARED = Path(__file__).resolve().parents[2] / "shared" / "realworld_rmd" / "files"
FCC_2026 = SHARED / "fcc-rmd_snapshot_2026-10-05_first171.csv"
JODI_2025 = SHARED / "jodi_rmd-final_derived_2025-01.csv"
real = pytest.mark.skipif(not (FCC_2026.exists() and JODI_2025.exists()),
                          reason=f"the real RMD downloads are not at {SHARED}")

HEADER_2026 = ('"number","frn","business_name","business_address","foreign_voice_provider",'
               '"country","other_frns","other_dba_names","previous_dba_names",'
               '"implementation","voice_service_provider_choice","gateway_provider_choice",'
               '"intermediate_provider_choice","last_updated","last_recertified"')


def _filer(number: str, name: str, *, frn: str = "0012345678", dba: str = "None",
           prev: str = "None", impl: str = "Complete STIR/SHAKEN Implementation",
           foreign: str = "No", country: str = "United States of America",
           roles: tuple[str, str, str] = ("Yes", "No", "No"), updated: str = "2026-03-01") -> str:
    vals = [number, frn, name, "1 Main St\nSuite 2\nAnytown TX 75001", foreign, country, "None",
            dba, prev, impl, *roles, updated, updated]
    return ",".join('"' + v.replace('"', '""') + '"' for v in vals)


def write_rmd(path: Path, *rows: str) -> Path:
    path.write_text(HEADER_2026 + "\n" + "\n".join(rows) + "\n", encoding="utf-8",
                    newline="")
    return path


# -- the real downloads -------------------------------------------------------------------------

@real
def test_real_2026_export_read_whole():
    snap = read_snapshot(FCC_2026)
    assert len(snap.filers) == 171
    assert "last_recertified" in snap.columns and (snap.date, snap.date_basis) == (
        "2026-10-05", "file name")
    f = snap.filers["RMD0001410"]
    assert f.business_name == "Piratel llc"
    assert f.frn == "0021441233"  # zero-padded text, kept as written
    assert f.get("business_address") == "10572 Calle Lee\nSte 123\nLos Alamitos CA 90720"
    assert f.implementation == "Complete STIR/SHAKEN Implementation"
    assert f.roles == {"voice": "Yes", "gateway": "Yes", "intermediate": "Yes"}
    assert f.last_updated == "2026-02-17" and f.line == 2
    # the first record spans five lines, so the second starts on line 7
    assert snap.filers["RMD0001411"].line == 7
    assert snap.filers["RMD0001411"].other_dba_names == ["Sytek"]
    assert snap.filers["RMD0001411"].implementation.startswith("Partial STIR/SHAKEN")
    # a U+FFFD inside a multi-line address, as the FCC publishes it
    assert snap.filers["RMD0001423"].get("contact_business_address") == \
        "526 South Main Street,\ufffdSuite 802,\nAkron OH 44311"
    vonage = snap.filers["RMD0001444"]
    assert vonage.line == 108
    assert vonage.get("previous_dba_names") == \
        "Vonage Business Solutions, Inc., \r\nVonage Business Networks Inc.\r\nNexmo Inc."
    assert {"Vonage Business Networks Inc.", "Nexmo Inc."} <= set(vonage.previous_dba_names)
    assert snap.filers["RMD0001653"].business_name == "Palmerton Telephone Company"
    assert snap.filers["RMD0001410"].other_dba_names == []  # "None"


@real
def test_real_2025_derivative_keeps_what_it_holds():
    """The jodi copy lost its FRNs' leading zeros and has no last_recertified: we keep the
    FRN as the 8 digits it is, and date the snapshot by its newest last_updated."""
    snap = read_snapshot(JODI_2025)
    assert len(snap.filers) == 7346
    f = snap.filers["RMD0004008"]
    assert f.frn == "16085920" and isinstance(f.frn, str)
    assert f.business_name == "'@Link Services, LLC" and f.implementation == "Yes"
    assert f.get("last_recertified") == "" and "last_recertified" not in snap.columns
    assert (snap.date, snap.date_basis) == ("2025-01-21", "newest last_updated")


@real
def test_real_snapshots_ordered_by_date_and_removals():
    rmd = load_rmd([FCC_2026, JODI_2025])  # given newest first: put in date order
    assert [s.path for s in rmd.snapshots] == [JODI_2025, FCC_2026]
    assert rmd.status("RMD0001410") == "listed"
    assert rmd.status("RMD0004008") == "removed"  # in January 2025, not in the 2026 excerpt
    assert rmd.status("RMD9999999") == "not listed"
    assert rmd.filer("RMD0001410").frn == "0021441233"  # the latest filing wins
    assert load_rmd([FCC_2026, JODI_2025], order="given").status("RMD0004008") == "listed"
    hits = rmd.by_name("VONAGE BUSINESS NETWORKS, INC")
    assert [(f.number, basis) for f, basis, _ in hits] == [("RMD0001444", "dba name")]
    # the 2025 copy wrote the FRN without zeros; the lookup ignores them
    assert [f.number for f in rmd.by_frn("21441233")] == ["RMD0001410"]


# -- headers, removals, bad files --------------------------------------------------------------

def test_old_headers_read_through_aliases(tmp_path):
    """2023 export: no voice column, `intermediate_provider` true/false, `ipr_imported`."""
    old = tmp_path / "rmd_2023-10-23.csv"
    old.write_text(
        '"number","frn","business_name","business_address","foreign_voice_provider","country",'
        '"other_frns","other_dba_names","previous_dba_names","implementation",'
        '"gateway_provider_choice","intermediate_provider","ipr_imported","last_updated",'
        '"filing_url"\n'
        '"RMD0002001","0001234567","Lakes Carrier, Inc.","1 A St\nB City","No",'
        '"United States of America","None","Lakes Voice","None","N/A","No","true","true",'
        '"2023-09-30","https://example.invalid/1"\n', encoding="utf-8")
    f = read_snapshot(old).filers["RMD0002001"]
    assert f.roles == {"voice": "", "gateway": "No", "intermediate": "true"}
    assert f.other_dba_names == ["Lakes Voice"] and f.implementation == "N/A"
    display = tmp_path / "export.csv"
    display.write_text("RMD Number,FRN,Business Name,Other DBA Name(s),Previous DBA Name(s),"
                       "Implementation,Date Last Updated\n"
                       "rmd0002002,0007654321,Bluefin Networks LLC,Bluefin; Blue Fin Voice,none,"
                       "Partial STIR/SHAKEN Implementation - Performing Robocall Mitigation,"
                       "2024-05-01\n", encoding="utf-8")
    snap = read_snapshot(display)
    f = snap.filers["RMD0002002"]  # the number upper-cased, the FRN as written
    assert (f.frn, f.other_dba_names) == ("0007654321", ["Bluefin", "Blue Fin Voice"])
    assert (snap.date, snap.date_basis) == ("2024-05-01", "newest last_updated")


def test_a_filer_missing_from_a_later_snapshot_was_removed(tmp_path):
    april = write_rmd(tmp_path / "rmd_2026-04-06.csv", _filer("RMD0003001", "Alpha Voice LLC"),
                      _filer("RMD0003002", "Beta Transit Inc."))
    june = write_rmd(tmp_path / "rmd_2026-06-01.csv", _filer("RMD0003001", "Alpha Voice LLC"),
                     _filer("RMD0003003", "Gamma Gateway"))
    rmd = load_rmd([june, april])
    assert [s.date for s in rmd.snapshots] == ["2026-04-06", "2026-06-01"]
    assert [rmd.status(n) for n in ("RMD0003001", "RMD0003002", "RMD0003003", "RMD0003004")] \
        == ["listed", "removed", "listed", "not listed"]
    assert [f.number for f in rmd.removed()] == ["RMD0003002"]
    assert rmd.last_listed("RMD0003002").path == april


def test_undated_snapshots_keep_the_given_order(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("number,business_name\nRMD0000001,One\n", encoding="utf-8")
    b = tmp_path / "b.csv"
    b.write_text("number,business_name\nRMD0000002,Two\n", encoding="utf-8")
    assert load_rmd([b, a]).status("RMD0000001") == "listed"
    with pytest.raises(InputError, match="cannot order"):
        load_rmd([b, a], order="date")


@pytest.mark.parametrize("text, line, field, words", [
    ("name,frn\nX,1\n", 1, "number", "no number or business_name column"),
    (HEADER_2026 + '\n' + '"RMD0001","1"\n', 2, None, "2 values where the header has 15"),
    (HEADER_2026 + '\n' + _filer("RMD0000001", "A") + "\n" + _filer("12345", "B") + "\n",
     5, "number", "RMD followed by digits, not '12345'"),
    (HEADER_2026 + '\n' + _filer("RMD0000001", "A") + "\n" + _filer("RMD0000001", "B") + "\n",
     5, "number", "RMD0000001 is listed twice (first on line 2)"),
    (HEADER_2026 + '\n"RMD0000001","0012","An open quote\n', 2, None, "not readable as CSV"),
    ("", 1, None, "empty file"),
])
def test_bad_files_say_file_and_line(tmp_path, text, line, field, words):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(InputError) as err:
        read_snapshot(path)
    e = err.value
    assert (e.file, e.line, e.field) == (str(path), line, field)
    assert words in e.message
    assert "\n" not in str(e)


def test_missing_and_non_files_are_refused(tmp_path):
    with pytest.raises(InputError, match="RMD file not found"):
        load_rmd([tmp_path / "nowhere.csv"])
    with pytest.raises(InputError, match="not a regular file"):
        load_rmd([tmp_path])
    (tmp_path / "u16.csv").write_text("number,business_name\n", encoding="utf-16")
    with pytest.raises(InputError, match="binary data"):
        load_rmd([tmp_path / "u16.csv"])


# -- names ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [
    ("Seaport Gateway, L.L.C.", "SEAPORT GATEWAY"),
    ("Origin Voice Co.", "origin voice company"),
    ("Acme Telecom Corp", "ACME TELECOM CORPORATION"),
    ("Bluefin Networks Ltd", "Bluefin Networks Limited"),
    ("Cobble Hill Exchange, Ltd.", "Cobble Hill Exchange"),
    ("AT&T Corp.", "AT and T"),
    ("The Lakes Carrier, Inc.", "lakes carrier"),
    ("Télécom Québec Inc", "Telecom Quebec"),
])
def test_names_equal_once_case_punctuation_and_suffixes_are_ignored(a, b):
    assert name_key(a) == name_key(b) != ""


@pytest.mark.parametrize("a, b", [("Midway Co Transit", "Midway Transit"),
                                  ("Northwind Mobile", "Northwind Mobility"),
                                  ("Quarry Point Telecom", "Quarry Ridge Telephone Cooperative")])
def test_different_names_stay_different(a, b):
    assert name_key(a) != name_key(b)


def test_none_written_many_ways_and_name_lists():
    for v in ("None", "none", "NONE", "No", "non", "None.", "(None)", "'None'", "N/A", "na",
              "-", "", "NOne"):
        assert is_none(v), v
    assert not is_none("Nonesuch Telecom")
    assert name_list("N/A") == []
    assert name_list("Pinnacle Communications; Pinnacle Telecom; Dobson Fiber") == [
        "Pinnacle Communications", "Pinnacle Telecom", "Dobson Fiber"]
    names = name_list("UBTA-UBET Communications, Inc;  Uintah Basin Electronic "
                      "Telecommunications, LLC dba UBET Wireless")
    assert {"UBTA-UBET Communications", "UBET Wireless",
            "Uintah Basin Electronic Telecommunications, LLC"} <= set(names)
    assert "Inc" not in names and "LLC" not in names


# -- matching a case's providers ---------------------------------------------------------------

def _case(tmp_path: Path) -> Path:
    root = tmp_path / "case"
    root.mkdir()
    (root / "case.toml").write_text(textwrap.dedent("""\
        [case]
        name = "matching"

        [[providers]]
        name = "Terminus Wireless"
        rmd = "rmd0004410"

        [[providers]]
        name = "Seaport Gateway"
        aliases = ["SGW"]

        [[providers]]
        name = "Old Number Telecom"
        rmd = "RMD0009999"

        [[providers]]
        name = "Framework Voice"
        frn = "0055500011"

        [[tracebacks]]
        path = "tb.csv"
        """), encoding="utf-8")
    (root / "tb.csv").write_text(
        "traceback_id,hop,provider,upstream,status\n"
        "T1,1,Terminus Wireless,SGW,upstream_identified\n"
        "T1,2,SGW,Harbor Blue,upstream_identified\n"
        "T1,3,Harbor Blue,Fieldstone Dialers,originator\n"
        "T2,1,Terminus Wireless,Gone Away Telecom,upstream_identified\n"
        "T2,2,Gone Away Telecom,,no_response\n"
        "T3,1,Terminus Wireless,Twin Name Telecom,upstream_identified\n"
        "T4,1,Terminus Wireless,Nobody Networks,upstream_identified\n", encoding="utf-8")
    return root


def test_providers_matched_by_number_frn_name_and_dba(tmp_path):
    root = _case(tmp_path)
    old = write_rmd(tmp_path / "rmd_2026-04-06.csv",
                    _filer("RMD0001500", "Gone Away Telecom, LLC"))
    new = write_rmd(
        tmp_path / "rmd_2026-06-01.csv",
        _filer("RMD0004410", "TERMINUS WIRELESS, INC."),
        _filer("RMD0001234", "Seaport Gateway Holdings LLC", dba="Seaport Gateway",
               roles=("No", "Yes", "Yes")),
        _filer("RMD0002222", "HARBOR-BLUE, LTD.", dba="none",
               impl="No STIR/SHAKEN Implementation - Performing Robocall Mitigation"),
        _filer("RMD0002223", "Harbor Blue Networks"),  # a look-alike, not the same name
        _filer("RMD0003333", "FV Holdings", frn="55500011"),
        _filer("RMD0007001", "Twin Name Telecom Inc"),
        _filer("RMD0007002", "Twin Name Telecom LLC"),
        _filer("RMD0008000", "Fieldstone Dialers"))  # a customer, never matched
    case = load_case(root)
    m = match_providers(case, load_rmd([new, old]))
    assert (m["Terminus Wireless"].basis, m["Terminus Wireless"].number,
            m["Terminus Wireless"].status) == ("rmd number", "RMD0004410", "listed")
    sgw = m["Seaport Gateway"]  # the alias in the records, a DBA in the RMD
    assert (sgw.basis, sgw.number, sgw.matched_name) == ("dba name", "RMD0001234",
                                                         "Seaport Gateway")
    assert sgw.roles == {"voice": "No", "gateway": "Yes", "intermediate": "Yes"}
    hb = m["Harbor Blue"]
    assert (hb.basis, hb.number, hb.alternatives) == ("business name", "RMD0002222", ())
    assert hb.implementation == "No STIR/SHAKEN Implementation - Performing Robocall Mitigation"
    assert m["Framework Voice"].basis == "frn" and m["Framework Voice"].number == "RMD0003333"
    gone = m["Gone Away Telecom"]
    assert (gone.basis, gone.status, gone.number) == ("business name", "removed", "RMD0001500")
    assert gone.last_listed == "rmd_2026-04-06.csv, 2026-04-06"
    old_number = m["Old Number Telecom"]
    assert (old_number.basis, old_number.status, old_number.number) == (
        "rmd number", "not listed", "RMD0009999")
    assert "RMD0009999" in old_number.note
    twin = m["Twin Name Telecom"]
    assert twin.number == "RMD0007001" and twin.alternatives == ("RMD0007002",)
    assert "2 filings match" in twin.note
    assert "Fieldstone Dialers" not in m
    nobody = m["Nobody Networks"]
    assert (nobody.basis, nobody.status, nobody.number, nobody.filer) == (
        None, "not listed", None, None)
