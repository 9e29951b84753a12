"""The batch PASSporT claims (``passport_batch``, ``passport_kernels``) against the
per-header oracle (``tests/passport_oracle.py``): same columns, values, nulls, types and
order, the same indices, the same exceptions, on realistic and hostile headers."""
from __future__ import annotations

import base64
import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import passport_oracle as oracle
from workbench.columns import sip
from workbench.columns.sip import CLAIM_COLUMNS

NAMES = tuple(CLAIM_COLUMNS)
URL = "https://cert.example.net/sti/sp-0142.pem"
SIG = "RFVNTVktU0lHTkFUVVJFLWRvY3VtZW50YXRpb24tb25seS1ub3QtYS1yZWFsLUVTMjU2LXZhbHVlLTAwMDAwMA"


def pick(top: int) -> st.SearchStrategy[int]:
    """A case number in 0..top, drawn about evenly (``integers`` favours its bounds)."""
    return st.sampled_from(range(top + 1))


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def realistic(k: int, x5u: object = URL) -> str:
    head = {"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": x5u}
    claims = {"attest": "B", "dest": {"tn": [f"1312555{k % 10000:04d}"]}, "iat": 1718035231 + k,
              "orig": {"tn": f"1202555{k % 7919:04d}"},
              "origid": f"6e0b7f52-93d4-4c1a-b8e7-{k:012x}"}
    return (f"{b64(json.dumps(head).encode())}.{b64(json.dumps(claims).encode())}.{SIG}"
            f";info=<{URL}>;alg=ES256;ppt=shaken")


@pytest.fixture(autouse=True, params=["rows", "distinct"])
def _always_batch(monkeypatch, request):
    """Every size takes the batch reader (it is chosen from 8192 distinct headers), once
    reading every row as it comes, once the distinct headers."""
    monkeypatch.setattr(sip, "_BATCH_FROM", 0)
    monkeypatch.setattr(sip, "_ROWS_FROM", 0.0 if request.param == "rows" else 2.0)


def same(arr, names=NAMES) -> None:
    """New and old give the same claims per row (and, reading distinct headers, the same
    entries and indices), or raise the same exception."""
    try:
        want, want_rows = oracle.identity_claims_distinct(arr, names)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            sip.identity_claims_distinct(arr, names)
        return
    got, rows = sip.identity_claims_distinct(arr, names)
    assert list(got) == list(want)
    for name in want:
        assert got[name].type == want[name].type, name
        got[name].validate(full=True)
        assert (pc.take(got[name], rows).to_pylist()
                == pc.take(want[name], want_rows).to_pylist()), name
    if not (rows.equals(want_rows) and all(got[k].equals(want[k]) for k in want)):
        assert sip._ROWS_FROM <= 1  # read a row at a time: every row its own entry
        values = _combined(arr).to_pylist()
        assert rows.to_pylist() == [k if v is not None else None for k, v in enumerate(values)]
        assert all(len(col) == len(values) for col in got.values())
    spread, old = sip.identity_claims(arr, names), oracle.identity_claims(arr, names)
    assert {k: v.to_pylist() for k, v in spread.items()} == {
        k: v.to_pylist() for k, v in old.items()}


def _combined(arr) -> pa.Array:
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


# ---------------------------------------------------------------- generated headers

VALUES = st.sampled_from([
    '"A"', '"B"', '"C"', '"X"', '""', "1", "1.5", "true", "false", "null", '"\\u0041"',
    '"caf\u00e9"', '"\\ud800"', '"\\u0000"', "[]", "{}", '["A"]', "NaN", "Infinity", "-0",
    '"6e0b7f52-93d4-4c1a-b8e7-000000000000"', '"a\\"b"', '"\\/"', "1e400", "0.0"])
TNS = st.sampled_from([
    '"12025550143"', '["13125550000"]', '["1", "2", "3"]', "[]", "null", "5", '[1, "2"]',
    '["a",]', '["\\u0031"]', '[""]', '["", ""]', '"x"', '[null]', '[["1"]]', '["caf\u00e9"]',
    '["1",\n"2"]', '[ "1" , "2" ]'])
IATS = st.sampled_from([
    "1718035231", "0", "-1", "-0", str(sip.MAX_IAT_S), str(sip.MAX_IAT_S + 1), "1" * 18,
    "9" * 18, "1" * 19, str(2**62), str(2**63), str(2**64), "1.0", "1718035231.9", "1e9",
    '"1718035231"', '" 17 "', '"x"', "true", "false", "null", "01", "-", "[1]", "1E2",
    "-1718035231", "NaN", "-Infinity"])


@st.composite
def party(draw, many: bool) -> str:
    kind = draw(pick(8))
    if kind == 0:
        return "null"
    if kind == 1:
        return draw(VALUES)
    if kind >= 7:
        return draw(PLAIN["dest" if many else "orig"])
    if kind == 2:  # JSON inside a JSON string (libstirshaken test data)
        return json.dumps('{"tn": %s}' % draw(TNS))
    members = [f'"tn": {draw(TNS)}'] if draw(st.booleans()) else []
    if draw(st.booleans()):
        members.append(f'"x": {draw(VALUES)}')
    if kind == 3:  # tn twice (json.loads keeps the last value)
        members.append(draw(st.sampled_from(['"tn": null', '"tn": "7"', '"tn": ["7"]'])))
    if kind == 4:
        members.insert(0, '"t\\u006e": "9"')
    draw(st.randoms()).shuffle(members)
    return "{" + ", ".join(members) + "}"


PLAIN = {"attest": st.sampled_from(['"A"', '"B"', '"C"', "null"]),
         "origid": st.uuids().map(lambda u: f'"{u}"'),
         "iat": st.integers(-10**18 + 1, 10**18 - 1).map(str),
         "orig": st.text("0123456789+", max_size=15).map(lambda t: '{"tn": "%s"}' % t),
         "dest": st.lists(st.text("0123456789", max_size=12), max_size=4).map(
             lambda ts: '{"tn": %s}' % json.dumps(ts)),
         "rcd": st.just('{"nam": "Jos\u00e9", "deep": [[{"a": [1, 2.5e3, -0.1, true]}]]}'),
         "div": st.just('{"tn": ["1"], "x": null}')}


@st.composite
def claims_json(draw) -> bytes:
    """Claims text: realistic members, some of them (or all, or the text) made hostile."""
    hostile = draw(pick(2))  # 0: all plain, 1: one hostile member, 2: hostile text too
    keys = ["attest", "origid", "iat", "orig", "dest", "rcd", "div"]
    target = draw(st.sampled_from(keys[:5] * 2 + keys[5:] + ["twice", "twice", "escaped"])
                  ) if hostile else ""
    members = []
    for key in keys:
        if draw(pick(4)) == 4:
            continue
        if key != target and not (hostile == 2 and draw(pick(3)) == 3):
            value = draw(PLAIN[key])
        elif key == "iat":
            value = draw(IATS)
        elif key in ("orig", "dest"):
            value = draw(party(key == "dest"))
        else:
            value = draw(VALUES)
        members.append(f'"{key}": {value}')
    rnd = draw(st.randoms())
    rnd.shuffle(members)
    if target == "twice":  # a key twice (json.loads keeps the last value)
        key = draw(st.sampled_from(keys[:5]))
        value = draw(st.sampled_from(["null", "1"]) | PLAIN[key])
        members.insert(draw(pick(len(members))), f'"{key}": {draw(PLAIN[key])}')
        members.append(f'"{key}": {value}')
    if target == "escaped":
        members.append('"att\\u0065st": "C"')
    sep = draw(st.sampled_from([", ", ",", " ,\n ", ",\t", ",\r\n"]))
    text = "{" + sep.join(members) + "}"
    mutation = draw(pick(14)) if hostile == 2 else 0
    if mutation == 1:
        text = " \n" + text + "\r\n "
    elif mutation == 2:
        text = "[" + text + "]"
    elif mutation == 3:
        text = text + "x"
    elif mutation == 4:
        text = text[:-1]
    elif mutation == 5:
        text = draw(st.sampled_from(['"abc"', "5", "null", "[]", "{}", "", "{,}", '{"a"}',
                                     '{"a":1,}', "[" * 40 + "]" * 40,
                                     '{"x": ' + "[" * 40 + "]" * 40 + "}"]))
    raw = text.encode("utf-8", "surrogatepass")
    if mutation == 6:
        raw = b"\xef\xbb\xbf" + raw  # UTF-8 BOM (json.loads reads it)
    elif mutation == 7:
        raw = text.encode("utf-16-le")
    elif mutation == 8:
        raw = text.encode("utf-16")
    elif mutation == 9:
        raw = raw.replace(b'"B"', b'"\xed\xa0\x80"').replace(b'"A"', b'"\xff"')
    elif mutation == 10:
        raw = raw.replace(b'"C"', b'"\xc3"').replace(b'"X"', b'"\xe0\x80\x80"')
    elif mutation == 11:
        raw = raw.replace(b'"', b"'", 1)
    elif mutation == 12:
        raw = raw.replace(b" ", b"\x00", 1)
    return raw


@st.composite
def header_segment(draw) -> str:
    kind = draw(pick(9))
    if kind == 9:
        return draw(st.sampled_from(["", "e30", "eyJ4NXUiOjV9=", "!!", "bm90LWpzb24", "a"]))
    x5u = draw(st.sampled_from([URL, URL, "", None, 5, [URL], "https://other/x.pem",
                                "\ud800", "caf\u00e9", 1.5, True]))
    head = {"alg": draw(st.sampled_from(["ES256", "RS256"])), "ppt": "shaken"}
    if kind != 8:
        head["x5u"] = x5u
    return b64(json.dumps(head, ensure_ascii=kind % 2 == 0).encode("utf-8", "surrogatepass"))


@st.composite
def encoded(draw, raw: bytes) -> str:
    text = base64.urlsafe_b64encode(raw).decode()
    mutation = draw(pick(15))
    if mutation != 1:
        text = text.rstrip("=")
    if mutation == 2:
        text = base64.b64encode(raw).decode().rstrip("=")  # standard alphabet
    elif mutation == 3:
        text += "A"  # a length Python refuses (4k+1) or more bits
    elif mutation == 4 and text:
        pos = draw(st.integers(0, len(text) - 1))
        text = text[:pos] + draw(st.sampled_from([" ", "!", "=", "~", "\u00e9"])) + text[pos:]
    elif mutation == 5 and text:  # extra low bits in the last character
        last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        text = text[:-1] + draw(st.sampled_from(last))
    return text


PARAMS = st.sampled_from([
    f";info=<{URL}>;alg=ES256;ppt=shaken", "", f";info=<{URL}>;alg=ES256;ppt=shaken", "", ";info=<https://other/x.pem>;alg=ES256",
    ";info=;ppt=shaken", ";ppt=shaken", f';info="<{URL}>"', f";info=<{URL}> ", ";alg=RS256",
    f" ;info=<{URL}>", f";info=<{URL},x>", ";INFO=<a>", ";info=<\u00e9>\u00a0", ";", ";;=",
    f";info=<{URL}>\u2028", f';info=<{URL}>"'])


@st.composite
def identity(draw) -> str:
    if draw(pick(12)) == 12:
        return draw(st.text(max_size=30))
    segs = [draw(header_segment()), draw(encoded(draw(claims_json()))),
            draw(st.sampled_from([SIG, SIG, SIG, "", "abc=", "+/"]))]
    shape = draw(pick(12))
    if shape == 1:
        segs.pop()
    elif shape == 2:
        segs.append(SIG)
    elif shape == 3:
        segs = segs[:1]
    text = ".".join(segs) + draw(PARAMS)
    wrap = draw(pick(20))
    if wrap == 1:
        text = "Identity: " + text
    elif wrap == 2:
        text = f'"{text}"'
    elif wrap == 3:
        text = f"<{text}>"
    elif wrap == 4:
        text = f"  {text}\t"
    elif wrap == 5:
        text = text + ", " + realistic(7).replace("shaken", "div")
    elif wrap == 6:
        text = realistic(3).replace("shaken", "div") + "," + text
    elif wrap == 7:
        text = "identity:" + text
    return text


@st.composite
def plain_identity(draw) -> str:
    """The shape of real traffic (the batch reader's), with hostile claims."""
    return (f"{draw(header_segment())}.{draw(encoded(draw(claims_json())))}.{SIG}"
            f"{draw(PARAMS)}")


@st.composite
def column(draw):
    items = draw(st.lists(st.one_of(identity(), plain_identity(), plain_identity(),
                                    plain_identity(), st.builds(realistic, st.integers(0, 99)),
                                    st.none()), max_size=12))
    kind = draw(pick(3))
    if kind == 1:
        return pa.array(items, pa.large_string())
    if kind == 2:
        cut = draw(st.integers(0, len(items)))
        return pa.chunked_array([pa.array(items[:cut], pa.string()),
                                 pa.array(items[cut:], pa.string())])
    if kind == 3 and len(items) > 1:
        return pa.array(items, pa.string()).slice(1)
    return pa.array(items, pa.string())


NAME_SETS = st.sampled_from([NAMES, ("attest", "origid", "orig", "x5u", "dests", "iat_us"),
                             ("iat",), ("dest", "x5u"), ()])


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(column(), NAME_SETS)
def test_same_as_decode_identity(arr, names):
    same(arr, names)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(plain_identity(), min_size=1, max_size=4))
def test_same_on_the_plain_shape(items):
    """The shape the batch reader takes (hostile claims inside): most rows read by it."""
    same(pa.array(items, pa.string()))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.text(alphabet="eyJAaz09_-.;=<>\", :{}[]\"n\\", max_size=40),
                          st.text(max_size=20)), max_size=8))
def test_same_on_arbitrary_text(items):
    same(pa.array(items, pa.string()))


# ---------------------------------------------------------------- worked cases

def test_realistic_rows_all_take_the_batch_reader():
    from workbench.columns import passport_kernels as kernels
    values = pa.array([realistic(k) for k in range(500)])
    offsets = np.frombuffer(values.buffers()[1], np.int32).astype(np.int64)
    ok = kernels.passport_claims(offsets, np.frombuffer(values.buffers()[2], np.uint8))[0]
    assert ok.all()
    same(values)


@pytest.mark.parametrize("x5u", [None, "", 5, [URL], "\ud800", "https://other/x.pem"])
def test_header_x5u_kinds(x5u):
    same(pa.array([realistic(k, x5u) for k in range(4)] + [realistic(9)]))


@pytest.mark.parametrize("iat", ["1e400", "NaN", "Infinity", "1" * 5000, str(2**63), "1.5"])
def test_iat_that_python_reads_otherwise_or_refuses(iat):
    payload = b64(('{"attest": "A", "iat": %s}' % iat).encode())
    same(pa.array([f"e30.{payload}.{SIG}", realistic(1)]))


def test_a_deep_payload_and_a_long_one():
    deep = b64(('{"x": ' + "[" * 3000 + "]" * 3000 + "}").encode())
    long = b64(json.dumps({"attest": "A", "pad": "x" * 20000}).encode())
    same(pa.array([f"e30.{long}.{SIG}", realistic(2)]))
    same(pa.array([f"e30.{deep}.{SIG}", realistic(2)]))


@pytest.mark.parametrize("text", [
    '{"attest": "A", "attest": null}', '{"attest": null, "attest": "A"}',
    '{"iat": 5, "iat": null}', '{"orig": {"tn": "1"}, "orig": null}',
    '{"dest": {"tn": ["1"], "tn": null}}', '{"orig": {"tn": "1", "tn": null}}',
    '{"origid": "x", "origid": "y"}', '{"att\\u0065st": "A"}', '{"orig": {"t\\u006e": "1"}}'])
def test_keys_twice_or_escaped(text):
    same(pa.array([f"e30.{b64(text.encode())}.{SIG}", realistic(1)]))


@pytest.mark.parametrize("raw", [
    b'\xef\xbb\xbf{"attest": "A"}', '{"attest": "A"}'.encode("utf-16-le"),
    '{"attest": "A"}'.encode("utf-16"), '{"attest": "A"}'.encode("utf-32"),
    b'{"attest": "\xed\xa0\x80"}', b'{"x": "\xed\xa0\x80", "attest": "A"}',
    b'{"attest": "\xff"}', b'{"attest": "\xc0\xaf"}', b'{"attest": "\xe0\x80\xaf"}',
    b'{"attest": "\xf4\x90\x80\x80"}', b'{"attest": "\xf0\x9f\x98\x80"}',
    b'{"attest": "caf\xc3\xa9", "x": "\xe2\x82\xac"}', b'{"attest": "\xc3"}',
    b'{"attest": "a\tb"}', b'{"attest": "\x7f"}', b'{"attest":"A"}\x00',
    b'{\x00"attest": "A"}', b' {"attest": "A"} ', b'{"attest": "A"}\n\n',
    b'{"x": NaN, "attest": "A"}', b'{"x": -Infinity, "attest": "A"}',
    b'{"x": 1' + b"0" * 5000 + b', "attest": "A"}', b'{"x": 1.' + b"0" * 5000 + b"}",
    b'{"x": "\\ud800", "attest": "A"}', b'{"x": "\\x41"}', b'{"attest": "A",}',
    b"{'attest': 'A'}", b'{"attest": "A"} {}', b'{"x": [1, 2,], "attest": "A"}',
    b'{"x": 01}', b'{"x": .5}', b'{"x": 1.}', b'{"x": 1e}', b'{"x": +1}', b'{"x": tru}'])
def test_payload_bytes(raw):
    same(pa.array([f"e30.{b64(raw)}.{SIG}", realistic(1)]))


@pytest.mark.parametrize("payload", ["eyJhdHRlc3QiOiJBIn0A", "eyJhdHRlc3QiOiJBIn1", "QR",
                                     "eyJhdHRlc3QiOiJBIn0=", "eyJhdHRlc3QiOiJBIn0", ""])
def test_payload_base64(payload):
    same(pa.array([f"e30.{payload}.{SIG}", f"e30.{payload}", realistic(1)]))


def test_payload_of_a_length_python_refuses():
    for pad in range(8):
        text = b64(b'{"attest": "A"}' + b" " * pad)
        if len(text) % 4 == 0:
            same(pa.array([f"e30.{text}A.{SIG}", realistic(1)]))  # 4k+1 characters
            return
    raise AssertionError("no 4k payload")


def test_unknown_name_raises_as_before():
    same(pa.array([realistic(1)]), ("attest", "nope"))


def test_empty_and_all_null():
    same(pa.array([], pa.string()))
    same(pa.array([None, None], pa.string()))
    same(pa.array(["", " "], pa.string()))


def test_small_columns_decode_without_numba(monkeypatch):
    monkeypatch.setattr(sip, "_BATCH_FROM", 1 << 30)
    monkeypatch.setattr(sip, "worth_compiling", lambda size, threshold: size >= threshold)
    same(pa.array([realistic(k) for k in range(5)]))


# ------------------------------------------- the canonical layout and the header segments

CANONICAL = ('{"attest":"B","dest":{"tn":["13125550000","13125550001"]},"iat":1718035231,'
             '"orig":{"tn":"12025550143"},"origid":"6e0b7f52-93d4-4c1a-b8e7-000000000000"}')
#: bytes that end, break or change the reading of a canonical text where they land
NOISE = [b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x00", b"\x1f", b"\x7f", b"\x80", b"\xff", b"\xc3",
         b"\xc3\xa9", b"\xed\xa0\x80", b"\xef\xbb\xbf", b'"', b"\\", b"\\u0041", b",", b":", b"{",
         b"}", b"[", b"]", b"0", b"-", b".", b"e", b"E", b"+", b"x", b"null"]


def canonical_header(claims: bytes, head: str | None = None) -> str:
    head = head or b64(b'{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"%s"}'
                       % URL.encode())
    return f"{head}.{b64(claims)}.{SIG};info=<{URL}>;alg=ES256;ppt=shaken"


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(CANONICAL)), st.sampled_from(NOISE),
                          st.sampled_from(["insert", "replace", "delete"])),
                min_size=0, max_size=3))
def test_canonical_layout_with_a_byte_inserted_replaced_or_deleted(edits):
    """The compact layout signers write, read flat by the kernel: any byte put in, changed
    or taken out anywhere must give what ``json.loads`` reads, or be left to it."""
    raw = CANONICAL.encode()
    for at, noise, how in edits:
        at = min(at, len(raw))
        if how == "insert":
            raw = raw[:at] + noise + raw[at:]
        elif how == "replace":
            raw = raw[:at] + noise + raw[at + 1:]
        else:
            raw = raw[:at] + raw[at + 1:]
    same(pa.array([canonical_header(raw), canonical_header(CANONICAL.encode()), None]))


@pytest.mark.parametrize("iat", ["0", "-0", "00", "01", "-", "-1", "1" * 18, "1" * 19,
                                 "-" + "9" * 18, "1.0", "1e3", "1E3", "1.", " 7 ", "\n7\t",
                                 "null", '"7"', "true", str(sip.MAX_IAT_S + 1)])
def test_canonical_iat(iat):
    same(pa.array([canonical_header(CANONICAL.replace("1718035231", iat).encode())]))


@pytest.mark.parametrize("count", [0, 1, 2, 63, 64, 65])
def test_canonical_dest_counts(count):
    tns = ",".join(f'"1312555{k:04d}"' for k in range(count))
    text = CANONICAL.replace('["13125550000","13125550001"]', f"[{tns}]")
    same(pa.array([canonical_header(text.encode())]))


@pytest.mark.parametrize("blank", [" ", "\t", "\r\n", "  \n "])
def test_canonical_with_blanks_at_every_structural_place(blank):
    out, quoted = [], False
    for c in CANONICAL:
        if c == '"':
            quoted = not quoted
            if quoted:
                out.append(blank)
            out.append(c)
        elif not quoted and c in "{}[],:":
            out += [blank, c, blank]
        else:
            out.append(c)
    text = blank + "".join(out) + blank
    assert json.loads(text) == json.loads(CANONICAL)
    same(pa.array([canonical_header(text.encode()), canonical_header(CANONICAL.encode())]))


def test_canonical_keys_in_other_order_or_extra_or_missing():
    claims = json.loads(CANONICAL)
    texts = [json.dumps(dict(reversed(list(claims.items()))), separators=(",", ":")),
             CANONICAL[:-1] + ',"ppt":"shaken"}', CANONICAL.replace('"attest":"B",', ""),
             CANONICAL.replace('"attest":"B"', '"attest":"B","attest":"A"'),
             CANONICAL.replace('"orig":{"tn":"12025550143"}', '"orig":{"tn":["12025550143"]}'),
             CANONICAL.replace('{"tn":["13125550000","13125550001"]}', '{"tn":"1"}')]
    same(pa.array([canonical_header(t.encode()) for t in texts]))


def test_many_distinct_header_segments_past_the_kernels_table():
    """More signers than the kernel numbers (its table holds ``MAX_HEADS``): the rest are
    numbered by Arrow, each row keeps its signer's x5u."""
    from workbench.columns import passport_kernels as kernels
    heads = [b64(b'{"alg":"ES256","ppt":"shaken","x5u":"https://c%d.example/x.pem"}' % k)
             for k in range(kernels.MAX_HEADS + 9)]
    heads[:4] = [b64(b'{"x5u":"https://c.example/%d.pem","alg":"ES256"}' % k) for k in range(4)]
    heads[4:8] = [b64(b'{"alg":"ES256","x5u":"https://c.example/x.pem%d"}' % k) for k in range(4)]
    rows = [canonical_header(CANONICAL.encode(), heads[(7 * k) % len(heads)])
            for k in range(3 * len(heads))]
    same(pa.array(rows))


def test_header_segments_that_are_prefixes_of_each_other():
    """A header segment that starts another one (or its bytes followed by more alphabet) is
    another segment: the word compare must not take one for the other."""
    long = b64(b'{"alg":"ES256","ppt":"shaken","x5u":"https://a.example/long.pem"}')
    short = long[:8]
    rows = [canonical_header(CANONICAL.encode(), long), canonical_header(CANONICAL.encode(), short),
            f"{long}A.{b64(CANONICAL.encode())}.{SIG}", f"{short}.{SIG}",
            f"{long}A{b64(CANONICAL.encode())}.{SIG};info=<{URL}>",
            canonical_header(CANONICAL.encode(), long[:-1]), canonical_header(CANONICAL.encode(), "e30")]
    same(pa.array(rows + rows[::-1]))


@pytest.mark.parametrize("pad", range(8))
def test_header_segments_that_differ_only_at_one_end(pad):
    """Segments of one length (every length mod 8) that differ in their last or first
    bytes only, one after the other: the word compare must see every byte."""
    ends = [b64(b'{"alg":"ES256","x5u":"https://c.example/%s.pem%d"}' % (b"x" * pad, k))
            for k in range(3)]
    starts = [b64(b'{"x5%s":"https://c.example/%s.pem","alg":"ES256"}' % (key, b"x" * pad))
              for key in (b"u", b"v", b"w")]  # x5u, then none (the info parameter's)
    short = [b64(b'{"x5u":"%d%s"}' % (k, b"x" * pad)) for k in range(3)]
    for heads in (ends, starts, short):
        assert len(set(map(len, heads))) == 1
        rows = [canonical_header(CANONICAL.encode(), heads[k % 3]) for k in range(7)]
        same(pa.array(rows))


def test_a_known_header_segment_followed_by_more_alphabet():
    """The bytes of a segment read just before, then no '.': another (longer) segment."""
    head = b64(b'{"alg":"ES256","ppt":"shaken","x5u":"https://a.example/long.pem"}')
    payload = b64(CANONICAL.encode())
    for more in ("A", "AB", "ABC", "ABCD"):
        rows = [canonical_header(CANONICAL.encode(), head),
                f"{head}{more}{payload}.{SIG};info=<{URL}>",
                canonical_header(CANONICAL.encode(), head),
                f"{head}{more}.{payload}.{SIG};info=<{URL}>"]
        same(pa.array(rows))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(column())
def test_normalized_columns_the_same_read_a_row_at_a_time_or_per_distinct_header(arr):
    """What ``normalize`` makes of the claims (attest, origid and the PASSporT columns,
    spread to the rows) is the same whichever way the claims were read, and the same as the
    per-header decoding gives."""
    from workbench.store import normalize
    n = len(arr)

    def columns(mode: float | None) -> dict:
        out: dict = {"attest": pa.nulls(n, pa.string()), "origid": pa.nulls(n, pa.string())}
        saved = sip._ROWS_FROM, sip.identity_claims_distinct
        try:
            if mode is None:  # the old per-header reading
                sip.identity_claims_distinct = oracle.identity_claims_distinct
            else:
                sip._ROWS_FROM = mode
            normalize._fill_from_identity(arr, out, n)
        finally:
            sip._ROWS_FROM, sip.identity_claims_distinct = saved
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v.to_pylist(), str(v.type)
                    if not isinstance(v, np.ndarray) else str(v.dtype)) for k, v in out.items()}

    try:
        want = columns(None)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            columns(0.0)
        return
    assert columns(0.0) == want
    assert columns(2.0) == want
