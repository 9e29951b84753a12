"""Times to UTC: written forms, zones across DST, month/day order rules."""
from __future__ import annotations

import pyarrow as pa
import pytest

from workbench.columns.times import (
    AMBIGUOUS,
    LOW_PRECISION,
    NONEXISTENT,
    UNPARSED,
    iso_utc,
    parse_times,
)

CASES = [
    ("2026-03-07T20:02:11.400Z", "UTC", "2026-03-07T20:02:11.4Z"),
    ("2026-03-07 14:02:11-06:00", "UTC", "2026-03-07T20:02:11Z"),
    ("2026-03-07T20:02:11+0000", "UTC", "2026-03-07T20:02:11Z"),
    ("1718035231", "UTC", "2024-06-10T16:00:31Z"),
    ("1718035231298", "UTC", "2024-06-10T16:00:31.298Z"),
    ("1718035231298000", "UTC", "2024-06-10T16:00:31.298Z"),
    ("1718035231.298", "UTC", "2024-06-10T16:00:31.298Z"),
    ("2024-06-10 12:00:31", "America/New_York", "2024-06-10T16:00:31Z"),
    ("Mon Jun 10 12:00:31 2024", "America/New_York", "2024-06-10T16:00:31Z"),
    ("20240610160031.204", "UTC", "2024-06-10T16:00:31.204Z"),
    ("6/10/2024 4:00:31 PM", "UTC", "2024-06-10T16:00:31Z"),
    ("45453.6670138889", "UTC", "2024-06-10T16:00:30Z"),  # spreadsheet serial
    # local wall times on both sides of the 2026-03-08 spring-forward in Chicago
    ("03/08/2026 01:59:59", "America/Chicago", "2026-03-08T07:59:59Z"),
    ("03/08/2026 03:00:00", "America/Chicago", "2026-03-08T08:00:00Z"),
]


@pytest.mark.parametrize("raw,zone,utc", CASES)
def test_forms(raw, zone, utc):
    t = parse_times(pa.array([raw]), zone)
    assert iso_utc(int(t.us[0])) == utc


def test_dst_gap_and_overlap_are_flagged():
    t = parse_times(pa.array(["2026-03-08 02:30:00", "2026-11-01 01:30:00",
                              "2026-11-01 03:30:00"]), "America/Chicago")
    assert t.flags[0] & NONEXISTENT and iso_utc(int(t.us[0])) == "2026-03-08T08:30:00Z"
    assert t.flags[1] & AMBIGUOUS
    assert t.flags[2] == 0 and iso_utc(int(t.us[2])) == "2026-11-01T09:30:00Z"


def test_month_day_order_from_the_data_and_the_convention():
    t = parse_times(pa.array(["03/04/2026 10:00:00", "13/04/2026 10:00:00"]), "UTC")
    assert iso_utc(int(t.us[0])) == "2026-04-03T10:00:00Z" and "above 12" in t.rule
    t = parse_times(pa.array(["03/04/2026 10:00:00", "04/13/2026 10:00:00"]), "UTC")
    assert iso_utc(int(t.us[0])) == "2026-03-04T10:00:00Z" and "second part" in t.rule
    t = parse_times(pa.array(["03/04/2026 10:00:00"]), "UTC", default_country="US")
    assert iso_utc(int(t.us[0])) == "2026-03-04T10:00:00Z" and "convention" in t.rule
    t = parse_times(pa.array(["03/04/2026 10:00:00"]), "UTC", default_country="GB")
    assert iso_utc(int(t.us[0])) == "2026-04-03T10:00:00Z"
    t = parse_times(pa.array(["03/04/2026 10:00:00", "13/04/2026 10:00:00"]), "UTC",
                    date_order="MDY")
    assert iso_utc(int(t.us[0])) == "2026-03-04T10:00:00Z" and t.flags[1] & UNPARSED
    assert "case.toml" in t.rule


def test_lost_seconds_are_low_precision_and_garbage_is_flagged():
    t = parse_times(pa.array(["2024/6/10 11:00", "yesterday", None, "NA"]), "UTC")
    assert t.flags[0] & LOW_PRECISION and iso_utc(int(t.us[0])) == "2024-06-10T11:00:00Z"
    assert t.flags[1] & UNPARSED
    assert t.flags[2] == 0 and t.flags[3] == 0


def test_mixed_offsets_across_dst_stay_instants():
    """The pandas parse_dates trap: a column mixing -06:00 and -05:00 must still parse."""
    t = parse_times(pa.array(["2026-03-08T01:59:00-06:00", "2026-03-08T03:01:00-05:00"]))
    assert (t.us[1] - t.us[0]) == 120 * 1_000_000


@pytest.mark.parametrize("zone", ["America/Chicago", "Europe/London", "Australia/Lord_Howe",
                                  "America/St_Johns", "Asia/Kolkata", "Pacific/Chatham"])
def test_zone_placement_by_hour_matches_placing_every_row(zone):
    """The per-hour shortcut gives what looking every row up in the zone gives, flags too,
    across a year's changes (Lord Howe moves 30 minutes, Chatham sits at +12:45)."""
    import numpy as np

    from workbench.columns.times import HOUR, US, _place_each, _place_in_zone

    rng = np.random.default_rng(7)
    start = int(np.datetime64("2026-01-01T00:00:00", "us").astype(np.int64))
    year = rng.integers(0, 365 * 24 * HOUR, 40_000)
    # every minute and a random second of each, for the whole of every changeover day
    days = [np.datetime64(d, "us").astype(np.int64) - start for d in
            ("2026-03-08", "2026-03-29", "2026-04-05", "2026-09-27", "2026-10-04",
             "2026-10-25", "2026-11-01", "2026-04-04", "2026-09-26")]
    minutes = np.concatenate([d + np.arange(0, 24 * HOUR, 60 * US) for d in days])
    minutes = minutes + rng.integers(0, 60 * US, len(minutes))
    wall = start + np.concatenate([year, minutes]).astype(np.int64)
    got, got_flags = _place_in_zone(wall, zone)
    want, want_flags = _place_each(wall, zone)
    assert np.array_equal(got, want)
    assert np.array_equal(got_flags, want_flags)


def test_zone_placement_of_a_long_span_and_of_nothing():
    import numpy as np

    from workbench.columns.times import _place_each, _place_in_zone

    wall = np.array([0, 2_000_000_000 * 1_000_000, 1_700_000_000 * 1_000_000], dtype=np.int64)
    assert np.array_equal(_place_in_zone(wall, "America/Chicago")[0],
                          _place_each(wall, "America/Chicago")[0])
    assert len(_place_in_zone(np.zeros(0, np.int64), "America/Chicago")[0]) == 0


def test_unicode_spaces_around_times_are_trimmed_and_a_lone_one_is_blank():
    """NBSP and ideographic spaces from spreadsheets and web pages pad times like ASCII
    spaces do, even where no value in the column has an ASCII space."""
    t = parse_times(pa.array(["\u00a02024-03-07 10:00:00", "2024-03-07 10:05:00\u3000", "\u00a0"]),
                    "America/New_York")
    assert t.us.tolist()[:2] == [1709823600000000, 1709823900000000]
    assert t.flags.tolist() == [0, 0, 0]


def test_years_outside_1_to_9999_are_unreadable_not_overflows():
    """A damaged year (0000, 10000) is an unreadable cell: a value outside what datetime can
    show would overflow later, in `info`, the report or a trace, and refuse the whole file."""
    from workbench.columns.times import NAT, UNPARSED, iso_utc, parse_times
    t = parse_times(pa.array(["0000-01-05 10:00:00", "2026-03-08 07:41:12",
                              "10000-01-01T00:00:00Z", "0000-03-01T00:00:00Z"]),
                    "America/Chicago")
    assert t.us[1] != NAT and iso_utc(int(t.us[1])) == "2026-03-08T12:41:12Z"
    for i in (0, 2, 3):
        assert t.us[i] == NAT and t.flags[i] & UNPARSED


def test_a_file_with_a_year_0000_row_loads_its_other_rows(tmp_path):
    from tests.clirun import run_cli
    (tmp_path / "cdrs.csv").write_text(
        "start,calling,called,duration\n"
        "2026-03-08 07:41:12,3125550143,6305550118,48\n"
        "0000-00-00 00:00:00,3125550144,6305550118,12\n"
        "2026-03-08 07:45:00,3125550145,6305550118,30\n")
    (tmp_path / "case.toml").write_text(
        '[case]\nname = "y0"\n\n[[sources]]\nprovider = "P"\npath = "cdrs.csv"\n'
        'timezone = "America/Chicago"\n')
    r = run_cli("info", tmp_path, "--json")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    import json
    src = json.loads(r.stdout)["sources"][0]
    assert src["rows"] in (2, 3)  # the 0000 row counted apart, never the whole file refused
