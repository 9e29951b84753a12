"""SIP/tel URI numbers, verstat in every placement, and PASSporT decoding with its deviations."""
from __future__ import annotations

import base64
import json

import pyarrow as pa
import pytest

from workbench.columns.sip import decode_identity, extract_verstat, identity_claims, uri_number

# The synthetic token of stir_shaken.md §4 (dummy signature).
REFERENCE = "".join((
    "eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly9jZXJ0",
    "LmV4YW1wbGUubmV0L3N0aS9zcC0wMTQyLnBlbSJ9.eyJhdHRlc3QiOiJCIiwiZGVzdCI6eyJ0biI6WyIxMzEyNTU1",
    "MDE3OCJdfSwiaWF0IjoxNzE4MDM1MjMxLCJvcmlnIjp7InRuIjoiMTIwMjU1NTAxNDMifSwib3JpZ2lkIjoiNmUw",
    "YjdmNTItOTNkNC00YzFhLWI4ZTctMmY1YTBjOTFkM2U0In0.RFVNTVktU0lHTkFUVVJFLWRvY3VtZW50YXRpb24t",
    "b25seS1ub3QtYS1yZWFsLUVTMjU2LXZhbHVlLTAwMDAwMA",
    ";info=<https://cert.example.net/sti/sp-0142.pem>;alg=ES256;ppt=shaken"))
HEADER = {"alg": "ES256", "ppt": "shaken", "typ": "passport",
          "x5u": "https://cert.example.net/sti/sp-0142.pem"}
CLAIMS = {"attest": "B", "dest": {"tn": ["13125550178"]}, "iat": 1718035231,
          "orig": {"tn": "12025550143"}, "origid": "6e0b7f52-93d4-4c1a-b8e7-2f5a0c91d3e4"}


def b64(obj, pad: bool = False) -> str:
    s = base64.urlsafe_b64encode(json.dumps(obj).encode()).decode()
    return s if pad else s.rstrip("=")


def token(header=HEADER, claims=CLAIMS, params=";ppt=shaken", pad=False) -> str:
    return f"{b64(header, pad)}.{b64(claims, pad)}.c2ln{params}"


# ---------------------------------------------------------------- verstat

@pytest.mark.parametrize("value, expected", [
    ("<sip:+12025550143;verstat=TN-Validation-Passed@ims.example.net;user=phone>", "passed"),
    ("<sip:+12025550143@sbc.example.net;verstat=TN-Validation-Passed>", "passed"),
    ("<sip:+12025550143@192.0.2.10:5060>;verstat=TN-Validation-Passed", "passed"),
    ('"ACCT" <sip:+12025550143@192.0.2.10>;verstat=TN-Validation-Failed;tag=1', "failed"),
    ("<tel:+12025550143;verstat=No-TN-Validation>", "none"),
    ("TN-Validation-Passed-A", "passed"),
    ("TN-Validation-Failed-C", "failed"),
    ("No-TN-Validation", "none"),
    ("Passed", "passed"),
    ("<sip:+12025550143@sbc.example.net>", None),
    ("", None),
    (None, None),
])
def test_verstat_placements(value, expected):
    assert extract_verstat(pa.array([value], pa.string())).to_pylist() == [expected]


def test_verstat_on_a_chunked_column():
    col = pa.chunked_array([["TN-Validation-Passed"], ["x;verstat=No-TN-Validation", None]])
    assert extract_verstat(col).to_pylist() == ["passed", "none", None]


@pytest.mark.parametrize("value, number", [
    ('"ACCT SERVICES" <sip:+12025550143@198.51.100.20;user=phone>;tag=8c1f', "+12025550143"),
    ("<sip:+12025550143;verstat=TN-Validation-Passed@ims.example.net;user=phone>", "+12025550143"),
    ("<tel:+1-202-555-0143>", "+1-202-555-0143"),
    ("'2025550143'<sip:198.51.100.20:5060;user=phone>;tag=1", "2025550143"),
    ("13125550178", "13125550178"),
])
def test_uri_number(value, number):
    assert uri_number(pa.array([value])).to_pylist() == [number]


# ---------------------------------------------------------------- Identity

def test_reference_token():
    d = decode_identity("Identity: " + REFERENCE)
    assert d["header"] == HEADER and d["claims"] == CLAIMS
    assert (d["attest"], d["origid"], d["orig"], d["dest"], d["iat"]) == (
        "B", "6e0b7f52-93d4-4c1a-b8e7-2f5a0c91d3e4", "12025550143", ["13125550178"], 1718035231)
    assert d["x5u"] == "https://cert.example.net/sti/sp-0142.pem" and d["ppt"] == "shaken"
    assert d["problems"] == []
    assert d["signature_verified"] is False
    assert "not verified" in d["verification"]


def test_numbers_and_dest_as_json_strings():
    claims = {**CLAIMS, "dest": json.dumps({"tn": "13125550178"}),
              "orig": json.dumps({"tn": "12025550143"})}
    d = decode_identity(token(claims=claims))
    assert d["dest"] == ["13125550178"] and d["orig"] == "12025550143"
    assert any("dest encoded as a JSON string" in p for p in d["problems"])
    assert any("single string" in p for p in d["problems"])


def test_iat_as_string_and_origid_not_uuid():
    d = decode_identity(token(claims={**CLAIMS, "iat": "1718035231", "origid": "ref"}))
    assert d["iat"] == 1718035231 and d["origid"] == "ref"
    assert any("iat is a string" in p for p in d["problems"])
    assert any("not a UUID" in p for p in d["problems"])


def test_padding_and_standard_alphabet():
    tok = token(pad=True).replace("-", "+").replace("_", "/")
    d = decode_identity(tok)
    assert d["attest"] == "B"
    assert any("padding" in p for p in d["problems"])


def test_several_identity_headers_use_the_shaken_one():
    div = token(header={**HEADER, "ppt": "div"}, claims={"div": {"tn": "13125550100"}},
                params=";ppt=div")
    d = decode_identity(f"{div}, {REFERENCE}")
    assert d["attest"] == "B" and d["ppt"] == "shaken"
    assert len(d["tokens"]) == 2
    assert any("2 Identity headers" in p for p in d["problems"])


def test_x5u_from_info_when_missing():
    header = {k: v for k, v in HEADER.items() if k != "x5u"}
    d = decode_identity(token(header=header, params=";info=<https://cert.example.net/a.pem>"))
    assert d["x5u"] == "https://cert.example.net/a.pem"


@pytest.mark.parametrize("bad", ["", "garbage", "a.b.c", "eyJhbGciOi.!!!.x;ppt=shaken"])
def test_malformed_tokens_never_raise(bad):
    d = decode_identity(bad)
    assert d["attest"] is None and d["problems"] and d["signature_verified"] is False


def test_identity_claims_per_distinct_value():
    other = token(claims={**CLAIMS, "attest": "A", "iat": "1718035300",
                          "dest": {"tn": "13125550191"}})
    cols = identity_claims(pa.array([REFERENCE, None, other, REFERENCE, "junk"]))
    assert cols["attest"].to_pylist() == ["B", None, "A", "B", None]
    assert cols["iat"].type == pa.int64()
    assert cols["iat"].to_pylist() == [1718035231, None, 1718035300, 1718035231, None]
    assert cols["dest"].to_pylist() == ["13125550178", None, "13125550191", "13125550178", None]
    assert cols["orig"].to_pylist()[0] == "12025550143"
    assert cols["x5u"].to_pylist()[0] == "https://cert.example.net/sti/sp-0142.pem"
    assert cols["origid"].to_pylist()[2] == "6e0b7f52-93d4-4c1a-b8e7-2f5a0c91d3e4"
