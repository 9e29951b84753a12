"""Times to UTC: written forms, zones across DST, month/day order rules."""
from __future__ import annotations

import pyarrow as pa
import pytest

from workbench.times import (AMBIGUOUS, LOW_PRECISION, NONEXISTENT, UNPARSED, iso_utc,
                             parse_times)

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
