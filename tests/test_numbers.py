"""E.164 normalization of every written form met in CDRs."""
from __future__ import annotations

import pyarrow as pa
import pytest

from workbench.columns.numbers import (
    FICTIONAL,
    INVALID,
    MISSING,
    SCIENTIFIC,
    UNPARSED,
    normalize_numbers,
    normalize_one,
)

FORMS = [
    ("+13125550143", "+13125550143"),
    ("13125550143", "+13125550143"),
    ("3125550143", "+13125550143"),
    ("(312) 555-0143", "+13125550143"),
    ("312.555.0143", "+13125550143"),
    ("+1 312-555-0143", "+13125550143"),
    ("1-312-555-0143", "+13125550143"),
    ("sip:+13125550143@10.0.0.1;user=phone", "+13125550143"),
    ('"ACCT SERVICES" <sip:+13125550143@198.51.100.20:5060;user=phone>;tag=8c1f', "+13125550143"),
    ("<sip:+13125550143;verstat=TN-Validation-Passed@ims.example.net;user=phone>", "+13125550143"),
    ("<sip:+13125550143@sbc.example.net;verstat=TN-Validation-Passed>", "+13125550143"),
    ("<tel:+13125550143;verstat=No-TN-Validation>", "+13125550143"),
    ("'3125550143'<sip:198.51.100.20:5060;user=phone>;tag=8c1f", "+13125550143"),
    ("011 44 20 7946 0018", "+442079460018"),
    ("+44 20 7946 0018", "+442079460018"),
    ("1.3125550143E+10", "+13125550143"),
]


@pytest.mark.parametrize("raw,e164", FORMS)
def test_written_forms(raw, e164):
    assert normalize_one(raw, "US")[0] == e164


def test_vectorized_column_keeps_unparsed_raw_and_flags():
    raw = ["+13125550143", "anonymous", "", None, "+1 911 555 1212", "1.3125550143E+10",
           "000307"] + [f"+1312555{i:04d}" for i in range(200)]  # > 64: the numpy fast path
    res = normalize_numbers(pa.array(raw, pa.string()), "US")
    text = res.text.to_pylist()
    assert text[0] == "+13125550143" and res.key[0] == 13125550143
    assert res.flags[0] & FICTIONAL
    assert text[1] == "anonymous" and res.key[1] == -1 and res.flags[1] & UNPARSED
    assert res.flags[2] & MISSING and res.flags[3] & MISSING
    assert res.flags[4] & INVALID  # N11 area code
    assert res.flags[5] & SCIENTIFIC and res.key[5] == 13125550143
    assert text[6] == "000307" and res.flags[6] & UNPARSED
    assert res.key[7] == 13125550000 and not res.flags[7] & FICTIONAL


def test_other_default_country():
    assert normalize_one("020 7946 0018", "GB")[0] == "+442079460018"
    assert normalize_one("00 1 312 555 0143", "GB")[0] == "+13125550143"
