"""``legs_columns`` making a coalesce source only when it is reached, and
``_fill_from_identity`` spreading only the claims it reads (the per-header ones trimmed before
the spread) give what the code they replace gave (``tests/xmlrest_oracle.py``), on generated
hostile columns."""
from __future__ import annotations

import base64
import json
from typing import Any
from unittest.mock import patch

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.xmlrest_oracle import old_fill_from_identity, old_identity_claims, old_legs_columns
from workbench.columns.sip import CLAIM_COLUMNS, identity_claims
from workbench.ingest.formats.switches import freeswitch_legs as legs_mod
from workbench.ingest.formats.switches.freeswitch_legs import (
    PROFILE_LIST,
    TIME_LIST,
    VAR_LIST,
    legs_columns,
)
from workbench.store.normalize import _fill_from_identity, _text_column

Legs = tuple[dict[str, pa.Array], dict[str, pa.Array], dict[str, pa.Array]]
TEXTS = ["", " ", "0", "7", "1718035231", "1718035231204512", "9007199254740993",
         "99999999999999999", "-5", "1e3", " 12", "abc", "%41", "outbound", "inbound",
         "sofia/gateway/gw1/123", "sofia/gateway//x", "sofia/external/+1202@198.51.100.2:5060",
         "sofia/internal/a@host;x", "sofia/x", "198.51.100.20", "gwA", "é", "outbound",
         "sofia/gateway/", "sofia/gateway/g/", "sofia//a@b", "sofia/a/@", "sofia/a/x@h>",
         "sofia/a/x@é:1", "sofia/gateway/é/1", "outbound", "sofia/ext/u@@h/"]
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def text_column(draw: st.DrawFn, n: int) -> pa.Array:
    mode = draw(st.sampled_from(["null", "full", "mixed", "mixed"]))
    if mode == "null":
        return pa.nulls(n, pa.string())
    vals: list[str | None] = draw(st.lists(st.sampled_from(TEXTS), min_size=n, max_size=n))
    if mode == "mixed":
        holes = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        vals = [None if h else v for v, h in zip(vals, holes)]
    if draw(st.booleans()):  # a slice: offsets and validity past the buffers' start
        return pa.array(["sofia/gateway/pre/", None, *vals, "tail"], pa.string())[2:2 + n]
    return pa.array(vals, pa.string())


@st.composite
def time_column(draw: st.DrawFn, n: int) -> pa.Array:
    mode = draw(st.sampled_from(["null", "full", "mixed"]))
    vals: list[int | None] = draw(st.lists(st.integers(1, 2**62), min_size=n, max_size=n))
    if mode == "null":
        return pa.nulls(n, pa.int64())
    if mode == "mixed":
        holes = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        vals = [None if h else v for v, h in zip(vals, holes)]
    return pa.array(vals, pa.int64())


@st.composite
def legs(draw: st.DrawFn) -> Legs:
    n = draw(st.integers(0, 12))
    var = {k: draw(text_column(n)) for k in VAR_LIST}
    prof = {k: draw(text_column(n)) for k in PROFILE_LIST}
    times = {k: draw(time_column(n)) for k in TIME_LIST}
    return var, prof, times


def _same_columns(new: dict[str, Any], old: dict[str, Any]) -> None:
    assert list(new) == list(old)
    for k in old:
        a, b = new[k], old[k]
        if isinstance(b, np.ndarray):
            assert isinstance(a, np.ndarray) and a.dtype == b.dtype, k
            assert a.tolist() == b.tolist(), k
        else:
            assert a.type == b.type, k
            assert a.to_pylist() == b.to_pylist(), k
            assert a.equals(b), k


@SETTINGS
@given(legs())
def test_lazy_legs_columns_as_the_eager_ones(cols: Legs) -> None:
    var, prof, times = cols
    _same_columns(legs_columns(var, prof, times), old_legs_columns(var, prof, times))


@SETTINGS
@given(legs())
def test_compiled_egress_as_the_column_code(cols: Legs) -> None:
    """Every column compiled (as from 65,536 legs): the fused egress pass against the old
    code's coalesces and gateway kernels; the other columns as well."""
    var, prof, times = cols
    with patch.object(legs_mod, "COMPILED_ROWS", 0):
        _same_columns(legs_columns(var, prof, times), old_legs_columns(var, prof, times))


def _b64(obj: object) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_HDR = _b64({"alg": "ES256", "ppt": "shaken", "typ": "passport",
             "x5u": "https://cert.example.net/sp.pem"})
HEADERS = [
    f"{_HDR}.{_b64({'attest': 'A', 'origid': 'u-1', 'iat': 1718035231, 'orig': {'tn': '12025550143'}, 'dest': {'tn': ['13125550178', '1']}})}.sig",  # noqa: E501
    f"{_HDR}.{_b64({'attest': 'B', 'iat': '1718035231', 'orig': {'tn': ' 1202 '}, 'dest': {'tn': ' 1 '}})}.sig;info=<https://x>",  # noqa: E501
    f"{_HDR}.{_b64({'attest': 'C', 'iat': 2**63, 'origid': '  ', 'dest': {'tn': ['']}})}.",
    f"{_HDR}.{_b64({'iat': -3, 'orig': 'x', 'dest': {'tn': [' ', ' 5 ']}})}.s",
    f"{_b64(b'not json')}.{_b64(b'[]')}.s", "junk", "", " ", "a.b", "a,b",
    f"{_HDR}.{_b64({'attest': 'A', 'iat': 253_402_300_800})}.s,{_HDR}.x.y",
]


@st.composite
def identity_case(draw: st.DrawFn) -> tuple[pa.Array | pa.ChunkedArray | None, dict[str, Any], int]:
    n = draw(st.integers(0, 10))
    if draw(st.integers(0, 9)) == 0:
        identity = None
    else:
        vals = draw(st.lists(st.sampled_from([None, *HEADERS]), min_size=n, max_size=n))
        identity = pa.array(vals, pa.string())
        if draw(st.booleans()) and n:
            cut = draw(st.integers(0, n))
            identity = pa.chunked_array([identity[:cut], identity[cut:]], pa.string())
    out: dict[str, Any] = {}
    for name in ("attest", "origid"):
        own = draw(st.lists(st.sampled_from([None, None, "", " A ", "B", "x-1"]),
                            min_size=n, max_size=n))
        out[name] = _text_column(name)(pa.array(own, pa.string()), n)
    return identity, out, n


@SETTINGS
@given(identity_case())
def test_fill_from_identity_as_before(case: tuple[Any, dict[str, Any], int]) -> None:
    identity, out, n = case
    new, old = dict(out), dict(out)
    _fill_from_identity(identity, new, n)
    old_fill_from_identity(identity, old, n)
    _same_columns(new, old)


@SETTINGS
@given(st.lists(st.sampled_from([None, *HEADERS]), max_size=10),
       st.lists(st.sampled_from(list(CLAIM_COLUMNS)), unique=True))
def test_identity_claims_of_some_names(vals: list[str | None], names: list[str]) -> None:
    arr = pa.array(vals, pa.string())
    old = old_identity_claims(arr)
    _same_columns(identity_claims(arr), old)
    _same_columns(identity_claims(arr, names), {k: old[k] for k in names})
