"""Adversarial exactness of the batch PASSporT claims (``passport_batch``, ``passport_kernels``,
``sip.identity_claims_distinct``'s per-row mode) against the per-header oracle
(``tests/passport_oracle.py``): per row the same values, nulls and types, or the same
exception type. The inputs aim at the kernel's word-at-a-time code: bytes just past a value
or past the decoded text (left there by an earlier, longer row), literals that match
compactly then continue, SWAR lanes, header segments compared a word at a time, scratch
and output regrowth, many header segments, and the per-row/distinct switch."""
from __future__ import annotations

import base64
import json
import random
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import passport_oracle as oracle
from workbench.columns import sip
from workbench.columns.sip import CLAIM_COLUMNS

NAMES = tuple(CLAIM_COLUMNS)
URL = "https://cert.example.net/sti/sp-0142.pem"
SIG = "RFVNTVktU0lHTkFUVVJFLWRvY3VtZW50YXRpb24tb25seS1ub3QtYS1yZWFsLUVTMjU2LXZhbHVlLTAwMDAwMA"
PARAMS = f";info=<{URL}>;alg=ES256;ppt=shaken"
CANONICAL = ('{"attest":"B","dest":{"tn":["13125550000","13125550001"]},"iat":1718035231,'
             '"orig":{"tn":"12025550143"},"origid":"6e0b7f52-93d4-4c1a-b8e7-000000000000"}')


def hypo(examples: int) -> settings:
    """Hypothesis settings: no deadline (numba compiles on the first call)."""
    return settings(max_examples=examples, deadline=None, suppress_health_check=[
        HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


#: _ROWS_FROM per mode: every row as it comes, the distinct headers, the shipped switch
MODES = {"rows": 0.0, "distinct": 2.0, "switch": 0.5}


@pytest.fixture(autouse=True, params=list(MODES))
def _mode(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    """Every size takes the batch reader, in each mode of ``identity_claims_distinct``."""
    monkeypatch.setattr(sip, "_BATCH_FROM", 0)
    monkeypatch.setattr(sip, "_ROWS_FROM", MODES[request.param])
    mode: str = request.param
    return mode


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


HEAD = b64(b'{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"%s"}' % URL.encode())


def header(claims: bytes | str, head: str = HEAD, sig: str = SIG, params: str = PARAMS) -> str:
    raw = claims.encode() if isinstance(claims, str) else claims
    return f"{head}.{b64(raw)}.{sig}{params}"


def check(arr: pa.Array | pa.ChunkedArray, names: tuple[str, ...] = NAMES) -> None:
    """Per row the claims of ``sip.identity_claims`` are the oracle's (values, nulls,
    types), or both raise an exception of the same type."""
    try:
        want = oracle.identity_claims(arr, names)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(Exception) as got_exc:
            sip.identity_claims(arr, names)
        assert type(got_exc.value) is type(e), (got_exc.value, e)
        return
    got = sip.identity_claims(arr, names)
    assert list(got) == list(want)
    for name in want:
        assert got[name].type == want[name].type, name
        got[name].validate(full=True)
        assert got[name].to_pylist() == want[name].to_pylist(), name


def shaped(items: Sequence[str | None], kind: int, cut: int = 0) -> pa.Array | pa.ChunkedArray:
    """``items`` as one of the column shapes the readers take."""
    items = list(items)
    if kind == 1:
        return pa.array(items, pa.large_string())
    if kind == 2:
        cut = min(cut, len(items))
        return pa.chunked_array([pa.array(items[:cut], pa.string()),
                                 pa.array(items[cut:], pa.string())])
    if kind == 3:  # an offset into a buffer with other rows on both sides
        pad = [header(CANONICAL), None, header(CANONICAL.replace("B", "A"))]
        return pa.array(pad + items + pad, pa.string()).slice(len(pad), len(items))
    if kind == 4:
        return pa.array([None, *items, None], pa.string())
    return pa.array(items, pa.string())


def with_nulls_holding(rows: list[str], null_rows: set[int]) -> pa.StringArray:
    """A string array whose ``null_rows`` are null yet keep their bytes in the data buffer
    (Arrow leaves a null slot's content undefined; ``validate(full=True)`` accepts it)."""
    data = "".join(rows).encode()
    offs = np.cumsum([0] + [len(r.encode()) for r in rows]).astype(np.int32)
    valid = np.array([k not in null_rows for k in range(len(rows))])
    arr = pa.StringArray.from_buffers(len(rows), pa.py_buffer(offs), pa.py_buffer(data),
                                      pa.py_buffer(np.packbits(valid, bitorder="little")),
                                      len(null_rows))
    arr.validate(full=True)
    return arr


# ------------------------------------------------- the decoded text and the bytes past it

def test_truncations_with_the_full_text_left_in_scratch() -> None:
    """Every prefix of the canonical claims, each right after the full text: the scratch
    keeps the rest of the previous row's bytes just past the decoded end, so a read past
    ``end`` (a literal's word, a string's word) would take the prefix for the whole."""
    raw = CANONICAL.encode()
    rows: list[str | None] = []
    for cut in range(len(raw) + 1):
        rows += [header(raw), header(raw[:cut])]
    check(pa.array(rows))


NOISE = [b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b"\x00", b"\x01", b"\x1f", b"\x7f",
         b"\x80", b"\xa0", b"\xff", b"\xc3", b"\xc3\xa9", b"\xed\xa0\x80", b"\xef\xbb\xbf",
         b'"', b"\\", b"\\u0041", b"\\/", b",", b":", b"{", b"}", b"[", b"]", b"0", b"00",
         b"-", b"-0", b".", b".5", b"e", b"E5", b"+", b"x", b"null", b"true", b'""', b",}",
         b'"x"', b"\xe2\x80\xa8", b"\xc2\x85"]


def test_canonical_followed_by_noise() -> None:
    """The whole canonical text, then anything: only blanks may follow."""
    raw = CANONICAL.encode()
    check(pa.array([header(raw + noise) for noise in NOISE] + [header(raw)]))
    check(pa.array([header(noise + raw) for noise in NOISE] + [header(raw)]))


@pytest.mark.parametrize("literal", ['{"attest":', ',"dest":{"tn":[', ']},"iat":',
                                     ',"orig":{"tn":', '},"origid":', '}'])
def test_each_literal_matched_then_continued_or_cut(literal: str) -> None:
    """A literal of the layout matched byte for byte, then more key text, another byte, a
    blank, or the text cut inside it (at every byte)."""
    raw = CANONICAL.encode()
    lit = literal.encode()
    at = raw.index(lit)
    rows = []
    for noise in NOISE + [b"x", b'x"', b"\x00" * 8]:
        rows.append(header(raw[:at + len(lit)] + noise + raw[at + len(lit):]))
        if len(lit) > 1:
            rows.append(header(raw[:at + len(lit) - 1] + noise + raw[at + len(lit) - 1:]))
    for k in range(len(lit) + 1):
        rows += [header(raw), header(raw[:at + k])]
    for k in range(1, len(lit)):
        spaced = raw[:at + k] + b" " + raw[at + k:]  # a blank inside the literal
        rows.append(header(spaced))
    check(pa.array(rows))


@pytest.mark.parametrize("iat", ["-0", "0", "00", "-00", "01", "-01", "0.0", "-0.0", "0e0",
                                 "1" * 18, "-" + "1" * 18, "1" * 19, "-" + "1" * 19,
                                 "999999999999999999", "-999999999999999999",
                                 "1000000000000000000", "4611686018427387903",
                                 "4611686018427387904", "-4611686018427387904",
                                 str(sip.MAX_IAT_S), str(sip.MAX_IAT_S + 1), "-1", "1-",
                                 "--1", "- 1", "+1", "1 ", " 1", "1\x00", "1\x0b", "0x10",
                                 "1_000", "\u0661"])
def test_iat_edges_in_both_readers(iat: str) -> None:
    """The iat of the canonical layout (read flat) and of a non-canonical one (``_claims``:
    keys reordered), each number's edges."""
    flat = CANONICAL.replace("1718035231", iat)
    moved = '{"iat":%s,"attest":"B"}' % iat
    check(pa.array([header(flat), header(moved), header(CANONICAL)]))


# ------------------------------------------------------------------ SWAR string lanes

SPECIAL = [0x00, 0x01, 0x08, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x2F, 0x5B, 0x5C, 0x5D, 0x7E,
           0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xDF, 0xE0, 0xFE, 0xFF]
FIELDS = {"attest": ('"attest":"B"', '"attest":"%s"'),
          "origid": ('"origid":"6e0b7f52-93d4-4c1a-b8e7-000000000000"', '"origid":"%s"'),
          "orig": ('"orig":{"tn":"12025550143"}', '"orig":{"tn":"%s"}'),
          "dest": ('["13125550000","13125550001"]', '["%s","13125550001"]'),
          "dest2": ('["13125550000","13125550001"]', '["13125550000","%s"]')}


def _with_value(field: str, value: bytes) -> bytes:
    old, new = FIELDS[field]
    return CANONICAL.encode().replace(old.encode(), new.encode().replace(b"%s", value))


@pytest.mark.parametrize("field", list(FIELDS))
def test_one_special_byte_at_every_lane(field: str) -> None:
    """A string of every length 0..17 with one byte of interest at each position: the
    eight-byte scan must stop at its lowest quote, backslash, control or non-ASCII byte
    (0x7F and 0x20 are plain), exactly as the byte loop does."""
    rows = []
    for n in range(18):
        rows.append(header(_with_value(field, b"7" * n)))
        for j in range(n):
            for c in SPECIAL:
                value = bytearray(b"7" * n)
                value[j] = c
                rows.append(header(_with_value(field, bytes(value))))
    check(pa.array(rows))


@pytest.mark.parametrize("field", ["attest", "dest2"])
def test_two_special_bytes_in_one_word(field: str) -> None:
    """Two bytes of interest in one word, the higher one where a borrow from the lower one
    would land (a zero lane then 0x01 after the xor, a byte just under 0x20 then 0x20):
    only the lowest mark counts."""
    pairs = [0x22, 0x23, 0x5C, 0x5D, 0x1F, 0x20, 0x21, 0x00, 0x01, 0x7F, 0x80, 0x41]
    rows = []
    for n in (8, 9, 15, 16):
        for j in range(n - 1):
            for lo in pairs:
                for hi in pairs:
                    value = bytearray(b"5" * n)
                    value[j], value[j + 1] = lo, hi
                    rows.append(header(_with_value(field, bytes(value))))
    check(pa.array(rows))


def test_valid_utf8_and_escapes_in_every_string() -> None:
    """Non-ASCII and escaped strings leave the flat reader for ``_claims`` (or Python)."""
    values = [b"caf\xc3\xa9", b"\xe2\x82\xac" * 5, b"\xf0\x9f\x98\x80", b"\\u0041",
              b"\\\"", b"a\\/b", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
              b"\\ud800", b"\\ud83d\\ude00", b"\xc2\x80" * 9, b"\xef\xbb\xbf"]
    rows = [header(_with_value(f, v)) for f in FIELDS for v in values]
    check(pa.array(rows))
    check(pa.array(rows), ("dest", "dests", "iat"))


# ------------------------------------------------------------- regrowth of every buffer

def test_long_rows_after_short_ones_and_back() -> None:
    """Rows far longer than any before (the scratch regrows, once per new maximum), each
    followed by short ones, and by truncated ones whose missing bytes the long row left."""
    raw = CANONICAL.encode()
    rows: list[str | None] = [header(raw), None]
    for n in (600, 1500, 700, 20000, 3, 90000):
        long = CANONICAL.replace('"B"', '"%s"' % ("B" * n)).encode()
        rows += [header(long), header(raw), header(long[:-2]), header(long[:len(raw)])]
        rows.append(header(CANONICAL.replace('"B"', '"%s\\u0041"' % ("B" * n)).encode()))
        rows.append(header('{"x":"%s","attest":"C"}' % ("y" * n)))  # _claims, long
        rows.append(header(raw, sig="S" * n))  # long signature: the scratch is sized by it
        rows.append(header(raw, params=";info=<%s>" % ("p" * n)))
    check(pa.array(rows))


def _padded(size: int) -> bytes:
    """Canonical claims of ``size`` bytes (the attest padded)."""
    return CANONICAL.replace('"B"', '"%s"' % ("B" * (size - len(CANONICAL) + 1))).encode()


def test_rows_just_fitting_the_scratch() -> None:
    """Rows with an empty signature and no params (the scratch is sized by the payload
    alone), the decoded claims approaching the scratch's size from below byte by byte: its
    first 1024 bytes, then the size it regrows to. Under ``NUMBA_BOUNDSCHECK=1`` a word read
    past the scratch raises."""
    rows = [f"{HEAD}.{b64(_padded(n))}." for n in range(980, 1060)]
    long = f"{HEAD}.{b64(_padded(4000))}."
    grown = 2 * ((len(long) - len(HEAD)) * 3 // 4 + 3 + 16)  # passport_claims' regrowth
    rows += [long] + [f"{HEAD}.{b64(_padded(n))}." for n in range(grown - 60, grown + 8)]
    rows += [f"{HEAD}.{b64(_padded(n)[:-1])}." for n in range(grown - 30, grown)]
    check(pa.array(rows))


def test_every_output_column_grows() -> None:
    """Values longer than the column's first allowance (a sixteenth of the data) and
    dest lists of up to ``MAX_TN`` numbers: each output buffer regrows several times, and
    each word written past a value is overwritten by the next."""
    rng = random.Random(8)
    rows = []
    for k in range(300):
        n = rng.choice([0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 300, 2000])
        tns = [str(rng.randrange(10 ** rng.randint(1, 17))) * rng.randint(1, 3)
               for _ in range(rng.choice([1, 2, 63, 64, 65]))]
        claims = {"attest": "A" * n, "dest": {"tn": tns}, "iat": k,
                  "orig": {"tn": "9" * (n // 2)}, "origid": "o" * (n + 1)}
        text = json.dumps(claims, separators=(",", ":"))
        if k % 5 == 0:  # the same values through ``_claims``
            text = json.dumps(dict(reversed(list(claims.items()))))
        rows.append(header(text))
    check(pa.array(rows))


# ------------------------------------------------------------- header segments

def _head_pool() -> list[str]:
    """Header segments of every length 1..40 and kinds: short (< 8), prefixes of each
    other, one known segment followed by more alphabet, some not JSON, without x5u (the
    info parameter then), x5u not a string, x5u of non-ASCII text."""
    pool = [b64(b'{"alg":"ES256","x5u":"https://c%d.example/x.pem"}' % k) for k in range(80)]
    long = b64(b'{"alg":"ES256","ppt":"shaken","x5u":"https://a.example/long.pem"}')
    pool += [long[:k] for k in range(1, 12)] + [long, long + "A", long + "AB", long + "-_"]
    pool += ["e30", "e30A", "eyJ4NXUiOjV9", "eyJ4NXUiOm51bGx9", b64(b'{"x5u":[1]}'),
             b64('{"x5u":"caf\u00e9"}'.encode()), b64(b'{"x5u":"caf\\u00e9"}'),
             b64(b'{"x5u":""}'), b64(b'{"x5u":"\\ud800"}'), b64(b'{"x5u":"a","x5u":"b"}'),
             b64(b"[]"), b64(b'"x5u"'), "A", "AB", "ABC", "ABCD", "-", "_", "bm90"]
    return pool


POOL = _head_pool()
T = TypeVar("T", str, bytes)
SURROGATE = b64(b'{"x5u":"\\ud800"}')


def test_many_header_segments_interleaved() -> None:
    """More distinct segments than the kernel's table, interleaved with repeats, the last
    one matched and the others, each row keeping its own signer's x5u or info."""
    rng = random.Random(64)
    rows: list[str | None] = []
    for k in range(700):
        head = rng.choice(POOL[:10]) if k % 3 else rng.choice(POOL)
        params = rng.choice([PARAMS, "", ";info=<https://i.example/%d>" % k, ";info="])
        rows.append(header(CANONICAL.replace("1718035231", str(k)), head=head, params=params))
        if k % 97 == 0:
            rows.append(None)
    check(pa.array(rows), ("attest", "iat", "orig", "dests"))
    check(pa.array(rows))  # the lone surrogate x5u: the same exception
    check(pa.array([r for r in rows if r is None or not r.startswith(SURROGATE + ".")]))


@pytest.mark.parametrize("after", [".", "A", "-", "_", "=", ";", ",", " ", "%", "\u00e9", ""])
def test_a_known_segment_then_another_byte(after: str) -> None:
    """Bytes equal to a segment read before, then something other than '.' (or a '.'):
    the compare must take it only when the '.' follows."""
    payload = b64(CANONICAL.encode())
    rows = []
    for head in (POOL[0], POOL[0][:7], POOL[0][:8], POOL[0][:9], "e30"):
        rows += [header(CANONICAL, head=head),
                 f"{head}{after}.{payload}.{SIG}{PARAMS}",
                 f"{head}{after}{payload}.{SIG}{PARAMS}",
                 f"{head}{after}",
                 f"{head}"]
    check(pa.array(rows + rows[::-1]))


def test_rows_ending_inside_a_known_segment() -> None:
    """A row that is a known segment cut short (it ends before the segment would): the
    compare must not read the next row's bytes for a '.'."""
    long = POOL[0]
    payload = b64(CANONICAL.encode())
    rows = [f"{long}.{payload}.{SIG}"]
    for k in range(len(long) + 1):
        rows += [long[:k], f"{long}.{payload}.{SIG}", long[:k] + ".", f".{payload}.{SIG}"]
    check(pa.array(rows))


def test_header_segment_exceptions_come_as_before() -> None:
    """A header segment Python cannot decode without raising (deep nesting, a number past
    4300 digits), in a row the kernel reads: the same exception."""
    deep = b64(b'{"x":' + b"[" * 100000 + b"]" * 100000 + b"}")
    digits = b64(b'{"x5u":"a","n":1' + b"0" * 5000 + b"}")
    for head in (deep, digits):
        check(pa.array([header(CANONICAL), header(CANONICAL, head=head)]))
        check(pa.array([header(CANONICAL, head=head), None]), ("attest",))


# ------------------------------------------------------------- the row's outer shape

PAYLOAD = b64(CANONICAL.encode())
#: plain rows and their near misses: (what comes before the payload, what comes after)
OUTER = [(f"{HEAD}.", after) for after in (
    ".", f".;info=<{URL}>", "", f".{SIG}.{SIG}", f"=.{SIG}", f".{SIG}=", f".{SIG};info=<a,b>",
    f'.{SIG};info="a,b"', f".{SIG};info=<{URL}>,{HEAD}.e30.{SIG};ppt=div", f".{SIG};",
    f".{SIG};;;", f".{SIG};INFO=<x>", f".{SIG};info", f".{SIG} ;info=<x>", f".{SIG}\x1c",
    f".{SIG};info=<x>\x1c\u2028\u00a0", f'.{SIG};info=<x>"', f".{SIG};info=\u00e9",
    f"A.{SIG}", f"AA.{SIG}", f"\x00.{SIG}", f".{SIG}\u00e9", f".{SIG};info=<x>\x00")] + [
    (f"{HEAD}..{SIG}", ""), (f".{PAYLOAD}.{SIG}", ""), (f"{HEAD}=.{PAYLOAD}.{SIG}", ""),
    (f"\ufeff{HEAD}.", f".{SIG}"), (f"{HEAD}.\ufeff", f".{SIG}"),
    (f"Identity:{HEAD}.", f".{SIG}"), (f"{HEAD}.{PAYLOAD[:-1]}.{SIG}", ""),
    (f'"{HEAD}.', f'.{SIG}"'), (f"<{HEAD}.", f".{SIG}>"), (f" {HEAD}.", f".{SIG}")]


@pytest.mark.parametrize("before, after", OUTER, ids=[str(k) for k in range(len(OUTER))])
def test_outer_shapes(before: str, after: str) -> None:
    """The row around the payload: empty signature, params with commas, padding, blanks,
    another header after a comma, a BOM, bytes outside the alphabet."""
    row = before + (PAYLOAD if before.endswith(".") or before.endswith("\ufeff") else "") + after
    check(pa.array([row, header(CANONICAL), row, None]))


def test_payload_lengths_python_refuses_with_whole_claims_before() -> None:
    """Payloads of 4k+1 characters whose first 4k decode to whole canonical claims (the lone
    last character must refuse the row, as ``binascii`` does), and 4k+2, 4k+3 with extra
    low bits in the last character."""
    rows = []
    for pad in range(6):
        text = b64(CANONICAL.encode() + b" " * pad)
        rows.append(header(CANONICAL.encode() + b" " * pad))
        if len(text) % 4 == 0:
            for more in ("A", "_", "AAAAA", "AB", "ABC", "A-_"):
                rows.append(f"{HEAD}.{text}{more}.{SIG}{PARAMS}")
        else:
            for last in "AQgw_-9z":
                rows.append(f"{HEAD}.{text[:-1]}{last}.{SIG}{PARAMS}")
    check(pa.array(rows))


def test_a_later_header_after_a_comma_wins() -> None:
    """Several Identity headers in one value, the first not ``shaken`` (no ppt), a later one
    with claims of its own: ``decode_identity`` takes the later one, so a comma anywhere in
    the params must refuse the row."""
    other = header(CANONICAL.replace('"B"', '"C"'))
    rows = [f"e30.{PAYLOAD}.{SIG}{sep}{other}" for sep in (
        ",", " , ", ";ppt=div,", ";info=<a>,", ';info="a",', ";,", ";info=<a,b>,")]
    rows += [f"e30.{PAYLOAD}.{SIG};info=<a,{other}>", f'e30.{PAYLOAD}.{SIG};info="{other},"']
    check(pa.array(rows + [header(CANONICAL)]))


def test_empty_signature_without_x5u_takes_info() -> None:
    """A header segment without x5u: every row's info parameter (or none), read as
    ``decode_identity`` reads it, signature empty or not."""
    rows = [f"e30.{b64(CANONICAL.encode())}.{sig}{params}"
            for sig in ("", SIG) for params in (
                "", ";info=", ";info=<>", ";info=<a>", ';info="<a>"', ";info= <a> ;ppt=x",
                ";info=<a>;info=<b>", ";Info=<c>", ";info=<\u00e9\u00a0>", ";x;info=d",
                ";info=e=f", '";info=<g>"')]
    check(pa.array(rows))


# ------------------------------------------------------------- column shapes

@pytest.mark.parametrize("kind", range(5))
def test_column_shapes(kind: int) -> None:
    rows: list[str | None] = [header(CANONICAL.replace("1718035231", str(k)), head=POOL[k % 70])
                              for k in range(150)]
    rows[0] = rows[-1] = None
    rows[7] = header(CANONICAL[:-3])
    check(shaped(rows, kind, cut=75))
    check(shaped(rows[1:-1], kind, cut=0))
    check(shaped([None, None], kind, cut=1))
    check(shaped([], kind, cut=0))
    check(shaped([""], kind, cut=1))


def test_chunked_without_chunks_or_with_empty_ones() -> None:
    rows = [header(CANONICAL), None, header(CANONICAL[:-1])]
    check(pa.chunked_array([], pa.string()))
    check(pa.chunked_array([pa.array([], pa.string()), pa.array(rows), pa.array([], pa.string())]))
    check(pa.chunked_array([pa.array(rows[:1]), pa.array(rows[1:], pa.large_string())
                            .cast(pa.string())]))


def test_the_sample_switch_at_its_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Columns longer than the sample, about half of it distinct, nulls where the sample
    falls: the mode taken may differ, the claims must not."""
    monkeypatch.setattr(sip, "_ROWS_FROM", 0.5)
    n = 2 * sip._SAMPLE + 3
    distinct = [header(CANONICAL.replace("1718035231", str(k))) for k in range(n)]
    for share in (0.49, 0.5, 0.51):
        rows: list[str | None] = [distinct[k] if (k * share) % 1 < share else distinct[0]
                                  for k in range(n)]
        picks = np.unique(np.linspace(0, n - 1, sip._SAMPLE).astype(np.int64))
        picked = set(picks.tolist())
        check(pa.array(rows))
        nulled = list(rows)
        for p in picks[::2]:
            nulled[p] = None
        check(pa.array(nulled))
        check(pa.array([None if k in picked else r for k, r in enumerate(rows)]))


def test_null_slots_holding_bytes_with_few_segments() -> None:
    """Null rows whose slots still hold a PASSporT (the per-row mode hands them to the
    kernel): null claims, as before."""
    rows = [header(CANONICAL.replace("1718035231", str(k)), head=POOL[k % 5]) for k in range(20)]
    check(with_nulls_holding(rows, {0, 3, 19}))


def test_null_slots_holding_bytes_past_the_head_table() -> None:
    """The same past the kernel's table of ``MAX_HEADS`` segments: a null row's segment was
    numbered by Arrow (``passport_batch._numbered_heads``) and its null index raised (found
    by review); null rows are no row the kernel reads."""
    rows = [header(CANONICAL, head=b64(b"{}" + b" " * k)) for k in range(65)]
    check(with_nulls_holding(rows, {64}))


# ------------------------------------------------- byte-level mutations (Hypothesis)

@st.composite
def compact_claims(draw: st.DrawFn) -> bytes:
    """Realistic compact claims (canonical key order mostly), values drawn."""
    printable = st.text(st.sampled_from([chr(c) for c in range(0x20, 0x7F) if c not in (34, 92)]),
                        max_size=20)
    claims = {"attest": draw(st.sampled_from(["A", "B", "C", ""]) | printable),
              "dest": {"tn": draw(st.lists(st.text("0123456789+", max_size=17), min_size=1,
                                           max_size=3))},
              "iat": draw(st.sampled_from([0, 1718035231, -1]) | st.integers(-10**18, 10**18)),
              "orig": {"tn": draw(st.text("0123456789", max_size=15))},
              "origid": str(draw(st.uuids()))}
    if draw(st.integers(0, 5)) == 0:
        items = list(claims.items())
        draw(st.randoms()).shuffle(items)
        claims = dict(items)
    return json.dumps(claims, separators=(",", ":")).encode()


BYTE_NOISE = st.sampled_from(NOISE) | st.binary(min_size=1, max_size=2)
TEXT_NOISE = st.sampled_from(list("AZaz09-_.;,=\"<> \t\x1c\u00a0\u00e9\ufeff\u2028+/%") + [""])
EDIT = st.sampled_from(["insert", "replace", "delete", "repeat"])


def _edit(seq: T, at: int, noise: T, how: str) -> T:  # bytes or str alike
    at = at % (len(seq) + 1)
    if how == "insert":
        return seq[:at] + noise + seq[at:]
    if how == "replace":
        return seq[:at] + noise + seq[at + 1:]
    if how == "delete":
        return seq[:at] + seq[at + 1:]
    return seq[:at] + seq[at:at + 8] + seq[at:]  # a run of up to eight bytes twice


@st.composite
def mutated_header(draw: st.DrawFn) -> str:
    """A realistic compact Identity header, edited a byte at a time in its claims text,
    its header segment's JSON, or the header text itself."""
    claims = draw(compact_claims())
    head_json = b'{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"%s"}' % URL.encode()
    params = draw(st.sampled_from([PARAMS, "", ";info=<https://i.example/x>"]))
    level = draw(st.integers(0, 3))
    for _ in range(draw(st.integers(1, 3))):
        at, how = draw(st.integers(0, 1 << 16)), draw(EDIT)
        if level <= 1:
            claims = _edit(claims, at, draw(BYTE_NOISE), how)
        elif level == 2:
            head_json = _edit(head_json, at, draw(BYTE_NOISE), how)
    text = header(claims, head=b64(head_json), params=params)
    if level == 3:
        for _ in range(draw(st.integers(1, 3))):
            text = _edit(text, draw(st.integers(0, 1 << 16)), draw(TEXT_NOISE), draw(EDIT))
    return text


NAME_SETS = st.sampled_from([NAMES, ("attest", "origid", "orig", "dest", "dests"),
                             ("iat", "iat_us"), ("x5u",), ()])


class TestHypothesis:
    """Generated columns, in the per-row and the distinct mode (the switch at its sample
    has its own test)."""

    @pytest.fixture(autouse=True, params=["rows", "distinct"])
    def _mode(self, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
        monkeypatch.setattr(sip, "_BATCH_FROM", 0)
        monkeypatch.setattr(sip, "_ROWS_FROM", MODES[request.param])
        mode: str = request.param
        return mode

    @hypo(250)
    @given(st.lists(mutated_header() | st.sampled_from([header(CANONICAL), None]), min_size=1,
                    max_size=6),
           st.integers(0, 4), st.integers(0, 6), NAME_SETS)
    def test_mutated_compact_headers(self, items: list[str | None], kind: int, cut: int,
                                     names: tuple[str, ...]) -> None:
        """Realistic compact headers with bytes put in, changed, taken out or repeated, next to
        the unedited layout (whose bytes the scratch then holds) and nulls, in any shape."""
        check(shaped(items, kind, cut), names)

    @hypo(120)
    @given(st.lists(st.tuples(st.sampled_from(range(len(POOL))), compact_claims(),
                              st.sampled_from([PARAMS, "", ";info=<https://i.example/y>"])),
                    min_size=1, max_size=90),
           st.integers(0, 4))
    def test_segments_from_a_large_pool(self, rows: list[tuple[int, bytes, str]],
                                        kind: int) -> None:
        """Rows drawn from more distinct header segments than the kernel's table holds (their
        first appearances in any order), each with its own claims."""
        items = [header(claims, head=POOL[k], params=params) for k, claims, params in rows]
        check(shaped(items, kind, cut=len(items) // 2), ("attest", "iat", "orig", "dests"))
        if not any(POOL[k] == SURROGATE for k, _, _ in rows):
            check(shaped(items, kind, cut=len(items) // 3), ("x5u", "origid"))
