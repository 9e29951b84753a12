"""The byte scan of FreeSWITCH JSON files (``freeswitch_json_scan`` and its kernels) reads what
the exact reader reads: the whole ParsedTable (columns, lines, bad lines and their reasons,
notes) of the reader with the scan forced equals the reader with the scan off (orjson on
each window, ``_json_leg``/``LegColumns``, the standard decoder for what orjson refuses),
on the fixtures, the real files and generated files full of what a plain document must not
be taken through: duplicate keys, ``variables`` and ``callflow`` of every type, several
callflows, values that are not text, nested objects in the caller profile, JSON and URL
escapes (wide ones, surrogates, lone surrogates), control characters, NaN, long numbers,
deep nesting, bytes that are not UTF-8, cut and flipped bytes, CRLF, blank and separator
lines, arrays of documents, pretty-printed documents; and with output arrays so small that
every growth path of the kernel runs.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from random import Random
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.format_fixtures import FX
from tests.parsed_compare import assert_same_parsed
from tests.test_freeswitch_doc_json import _soup
from tests.test_freeswitch_fast import _json_file
from workbench.ingest.formats import ReadOptions, get, sample
from workbench.ingest.formats.switches import freeswitch_docs as fd
from workbench.ingest.formats.switches import freeswitch_json_scan as js
from workbench.ingest.formats.switches.freeswitch_record import PROFILE_KEYS, VAR_KEYS

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))
REAL = Path(__file__).resolve().parents[2] / "shared" / "realworld_cdr" / "files"


def _read(path: Path, scan: bool, monkeypatch: Any) -> Any:
    """The reader's table (or its error text) with the byte scan forced on or off."""
    with monkeypatch.context() as m:
        m.setattr(fd, "COMPILED_JSON_BYTES", 0 if scan else 1 << 62)
        m.setattr(fd, "worth_compiling", lambda size, threshold: size >= threshold)
        m.setattr(sample, "LIVE_SECONDS", -1)  # the scan reads a mapping of the file
        try:
            return get("freeswitch_json").read(path, ReadOptions())
        except Exception as exc:  # the same error both ways
            return f"{type(exc).__name__}: {exc}"


def _same(path: Path, monkeypatch: Any) -> None:
    assert_same_parsed(_µs(_read(path, True, monkeypatch)), _µs(_read(path, False, monkeypatch)))


def _µs(table: Any) -> Any:
    """Times as µs counts (a generated epoch may lie past year 9999, where ``to_pylist``
    of a timestamp fails)."""
    if isinstance(table, str):
        return table
    cols = {k: (v.cast(pa.int64()) if pa.types.is_timestamp(v.type) else v)
            for k, v in table.columns.items()}
    return dataclasses.replace(table, columns=cols)


def _same_bytes(data: bytes, tmp: Path, monkeypatch: Any, tiny: bool = False) -> None:
    p = tmp / "calls.json"
    p.write_bytes(data)
    if tiny:  # every output array grown from one place (windows, rows, field regions)
        with monkeypatch.context() as m:
            m.setattr(js, "FIRST_WINDOWS", 1)
            m.setattr(js, "FIRST_REGION", 1)
            _same(p, m)
    else:
        _same(p, monkeypatch)


# ---------------------------------------------------------------- generated documents

_VARS = sorted(VAR_KEYS)
_PROF = sorted(PROFILE_KEYS)
_TIMES = ["created_time", "answered_time", "hangup_time"]
_TEXT = st.one_of(
    st.text(alphabet='ab19+@.:;/%<> é"\\\n\t\x00\x7f\u2028😀', max_size=10),
    st.sampled_from(["", "%2B12025550143", "a%40b", "%", "%zz", "%C3%A9", "%e9", "%00",
                     "sofia/gateway/oxbow/1312", "sofia/external/1@203.0.113.5:5060",
                     "outbound", "inbound", "1718035231", "1718035231204512", "0", "-5",
                     "9007199254740993", "12345678901234567", "1e3", " 42", "٣", "\ud800",
                     "a\udc00", "\ud83d\ude00"]),
    st.from_regex(r"[0-9]{1,18}", fullmatch=True))
_ODD = st.one_of(st.none(), st.booleans(), st.integers(-2**65, 2**65),
                 st.floats(allow_nan=False, allow_infinity=False),
                 st.just({"a": "%41"}), st.just([]), st.just({}), st.just(["x"]))
_RAW = "raw:"  # a value written as it stands (numbers and literals orjson may refuse)
_RAWS = st.sampled_from([_RAW + t for t in (
    "NaN", "Infinity", "-Infinity", "1e400", "1e-400", "123456789012345678901234567890",
    "-0", "0.5e+12", "01", "1.", "-", "tru", "nul", '"\\ud800"', '"\\udc00x"',
    '"\\ud83d\\ude00"', '"\\u00e9\\"\\\\\\/\\b\\f\\n\\r\\t"', '"\\x"', '"\\u12"',
    '"a\tb"', '"a\x00b"', '"\\u0041BC"', '"%41\\u0025\\u0034\\u0031"')])


def _value(odd: bool) -> Any:
    return st.one_of(*[_TEXT] * 8, _ODD, _RAWS) if odd else _TEXT


class Obj(list):  # type: ignore[type-arg]
    """An object as (key, value) pairs: a key may be given twice."""


@st.composite
def _section(draw: Any, names: list[str], odd: bool) -> Obj:
    keys = draw(st.lists(st.sampled_from(names + ["uuid", "other"]), max_size=8))
    return Obj((k, draw(_value(odd))) for k in keys)


@st.composite
def _doc(draw: Any) -> Obj:
    odd = draw(st.integers(0, 2)) == 0
    flow = Obj()
    for key, names in (("caller_profile", _PROF), ("times", _TIMES)):
        if key == "times" and draw(st.booleans()):
            flow.append((key, Obj([("created_time", "1718035231204512")])))
            continue
        how = draw(st.sampled_from(["obj"] * 6 + ["none", "null", "false", "text", "twice",
                                                  "nested"]))
        if how in ("obj", "twice", "nested"):
            part = draw(_section(names, odd))
            if how == "nested":
                part.append(("chan_name", Obj([("x", "y")])))
            flow.append((key, part))
            if how == "twice":
                flow.append((key, draw(_section(names, odd))))
        elif how != "none":
            flow.append((key, {"null": None, "false": False, "text": "x"}[how]))
    flows = draw(st.sampled_from(["one", "list", "list", "list", "list", "none", "null",
                                  "false", "empty", "two", "two", "two", "[1]", "[null]",
                                  "{}"]))
    other = Obj([("times", Obj([("created_time", draw(st.sampled_from(
                     ["1", "1", "1", "1718035231204512", "x"])))])),
                 ("caller_profile", Obj([("destination_number", "2nd")]))])
    callflow: Any = {"one": flow, "list": [flow], "null": None, "false": False, "empty": [],
                     "two": [flow, other] if draw(st.integers(0, 3)) else [other, flow],
                     "[1]": [1],
                     "[null]": [None], "{}": Obj()}.get(flows)
    variables: Any = draw(st.one_of(_section(_VARS, odd), _section(_VARS, odd),
                                    st.sampled_from([None, False, "", 0, [], "x", Obj()])))
    doc = Obj([("core-uuid", "u"), ("channel_data", Obj([("state", "CS_REPORTING")]))])
    order = draw(st.permutations(["variables", "callflow", "app_log"]))
    for key in order:
        if key == "variables" and draw(st.integers(0, 9)):
            doc.append(("variables", variables))
        elif key == "callflow" and flows != "none":
            doc.append(("callflow", callflow))
        elif key == "app_log":
            doc.append(("app_log", Obj([("applications", [Obj([("app_name", "bridge"),
                                                              ("app_data", "{a=b}x")])])])))
    if draw(st.integers(0, 9)) == 0:  # a structural key twice
        doc.append(draw(st.sampled_from([("variables", Obj([("sip_call_id", "2nd")])),
                                         ("callflow", []), ("variables", None)])))
    return doc


def _dump(v: Any, indent: int | None, ascii_only: bool, level: int = 0) -> str:
    """JSON text of ``v`` (``Obj``: an object whose keys may repeat; ``raw:``: as written)."""
    nl = "" if indent is None else "\n" + " " * (indent * (level + 1))
    end = "" if indent is None else "\n" + " " * (indent * level)
    if isinstance(v, Obj):
        if not v:
            return "{}"
        items = [json.dumps(k) + ": " + _dump(x, indent, ascii_only, level + 1) for k, x in v]
        return "{" + nl + ("," + nl).join(items) + end + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        items = [_dump(x, indent, ascii_only, level + 1) for x in v]
        return "[" + nl + ("," + nl).join(items) + end + "]"
    if isinstance(v, str) and v.startswith(_RAW):
        return v[len(_RAW):]
    return json.dumps(v, ensure_ascii=ascii_only)


_HOSTILE = st.sampled_from([
    "\x00", "\\", '"', "{", "}", "]", "[", ",", "\n{", "\n", "\r", "\r\n", "NaN", "1e400",
    "\\ud800", "é", "\u2028", ":", " ", '"variables": {}, ', '"callflow": [{}, {}], ',
    '"sip_call_id": 5, ', '"sip_call_id": "dup", ', "\n  ", "{}\n", "\n[\n", "junk"])
_BAD_BYTES = st.sampled_from([b"\xff", b"\xed\xa0\x80", b"\xc3", b"\xe2\x82", b"\xf4\x90\x80\x80",
                              b"\xc0\xaf", b"\xef\xbf\xbf", b"\xf0\x9f\x98\x80"])


@st.composite
def _cdr_file(draw: Any) -> bytes:
    docs = draw(st.lists(_doc(), min_size=1, max_size=6))
    indent = draw(st.sampled_from([None, None, None, 0, 1, 2]))
    ascii_only = draw(st.booleans())
    texts = [_dump(d, indent, ascii_only) for d in docs]
    glue = draw(st.sampled_from(["\n", "\n\n", ",\n", "\r\n", "\n \n", "\n,\n", "\n]\n[\n"]))
    text = glue.join(texts)
    if draw(st.booleans()):
        text = "[" + text + "]"
    text += draw(st.sampled_from(["\n", "", "\n\n", "\r\n", "]\n", " x\n"]))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 3]))):  # damage
        at = draw(st.integers(0, len(text)))
        how = draw(st.integers(0, 3))
        if how == 0:
            text = text[:at] + draw(_HOSTILE) + text[at:]
        elif how == 1:
            text = text[:at] + text[at + 1:]
        elif how == 2:
            text = text[:at]
        else:
            text = text[:at] + draw(st.characters(codec="utf-8")) + text[at + 1:]
    data: bytes = text.encode("utf-8", errors="surrogatepass")
    if draw(st.integers(0, 9)) == 0:  # bytes that are not UTF-8 (or are, near the edges)
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(_BAD_BYTES) + data[at:]
    return data


@SETTINGS
@given(_cdr_file(), st.booleans())
def test_generated_cdr_files_read_as_the_exact_reader_reads_them(
        tmp_path_factory: Any, monkeypatch: Any, data: bytes, tiny: bool) -> None:
    _same_bytes(data, tmp_path_factory.mktemp("j"), monkeypatch, tiny)


@SETTINGS
@given(st.one_of(_soup(), _json_file()), st.booleans())
def test_the_other_generators_files_read_as_the_exact_reader_reads_them(
        tmp_path_factory: Any, monkeypatch: Any, text: str, tiny: bool) -> None:
    _same_bytes(text.encode("utf-8", errors="surrogatepass"), tmp_path_factory.mktemp("j"),
                monkeypatch, tiny)


# ---------------------------------------------------------------- the scan's own decisions

_PLAIN_LEG = ('{"core-uuid": "u", "variables": {"sip_call_id": "c%d", "sip_from_user": '
              '"%%2B1202%d", "start_uepoch": "1718035231204512", "billsec": "36"}, '
              '"callflow": [{"caller_profile": {"destination_number": "1312", "chan_name": '
              '"sofia/gateway/oxbow/1"}, "times": {"created_time": "1718035231204512", '
              '"answered_time": "0", "hangup_time": "1718035274620000"}}]}')


def _plain(text: str) -> list[bool]:
    from workbench.ingest.formats.switches.freeswitch_json_kernels import PLAIN
    found = js.scan(text.encode())
    assert found is not None
    plain: list[bool] = ((found.flags & PLAIN) > 0).tolist()
    return plain


def test_plain_documents_are_read_by_the_scan_and_others_are_not() -> None:
    leg = _PLAIN_LEG % (1, 1)
    not_plain = [
        leg.replace('"callflow": [', '"callflow": [{}, '),  # several callflows
        leg.replace('"36"', "36"),  # a number where text is taken
        leg.replace('"36"', '"36", "billsec": 7'),  # … given last
        leg.replace('"core-uuid": "u"', '"variables": null'),  # variables twice
        leg.replace('"1312"', '{"a": "b"}'),  # an object in the profile
        leg.replace('"c1"', '"c\\u0031\\ud800"'),  # a lone surrogate
        leg.replace('"c1"', '"c\\udc00"'),
        leg.replace('"c1"', '"c\\ud800\\u0041"'),
        leg.replace('"core-uuid": "u"', '"n": 123456789012345678901'),  # a long integer
        leg.replace('"core-uuid": "u"', '"n": NaN'),
        leg.replace('"c1"', '"c\x01"'),  # a control character
        leg + " x",  # garbage after it
        leg.replace('"billsec"', '"bill\\u0073ec"'),  # an escaped key where keys are matched
        leg.replace('"variables": {', '"variables": "x", "v": {'),  # variables not an object
    ]
    plain = [
        leg.replace('"c1"', '"c\\"1\\u00e9\\ud83d\\ude00"'),  # escapes in a taken value
        leg.replace('"36"', '"35", "billsec": "36"'),  # a field twice: the last
        leg.replace('"core-uuid": "u"', '"n": [1.5e10, -0, true, {"x": [null]}]'),
        leg.replace('"callflow": [', '"callflow": ').replace("}}]}", "}}}"),  # one object
        leg.replace('"36"', "null"),
        '{"variables": false, "callflow": []}',
        leg + ",",
    ]
    text = "\n".join(not_plain + plain) + "\n"
    assert _plain(text) == [False] * len(not_plain) + [True] * len(plain)


def test_a_document_cut_by_a_line_starting_with_a_brace_is_not_plain() -> None:
    text = '{"variables": {"a": [\n{"sip_call_id": "x"},\n{"b": "y"}]}}\n{"variables": {}}\n'
    assert _plain(text) == [False, True, False, True]


def test_not_utf8_is_left_to_the_text_reader() -> None:
    assert js.scan(b'{"variables": {"a": "\xff"}}\n') is None
    assert js.scan(b'{"variables": {}}\n\xed\xa0\x80\n') is None
    assert js.scan(b'{"variables": {"a": "\xc3\xa9"}}\n') is not None


def test_many_documents_and_damaged_lines(tmp_path: Path, monkeypatch: Any) -> None:
    """The benchmark's shape: good legs and cut lines, past the bad lines kept."""
    cut = '{"core-uuid":"a9d1c3e5","variables":{"direction":"inbound","sip_from_user":"+1202'
    lines = []
    random = Random(7)
    for k in range(700):
        lines.append(_PLAIN_LEG % (k, k))
        if k % 2:
            lines.append(cut)
        if k % 97 == 0:
            lines.append(_PLAIN_LEG.replace('"36"', "36") % (k, k))  # an int: LegColumns
        if k % 131 == 0:
            lines.append(_PLAIN_LEG.replace('"callflow": [', '"callflow": [{}, ') % (k, k))
        if k % 50 == 49:  # odd quotes, but a document may end before: not ``_broken``
            lines.append(random.choice(['{"variables": {"sip_call_id": "z%d"}} "x',
                                        '{"variables": {"sip_call_id": "z%d"}}] "x',
                                        '{"variables": {"sip_call_id": "z\\"%d"}} "x'])
                         % k)
    _same_bytes(("\n".join(lines) + "\n").encode(), tmp_path, monkeypatch)
    _same_bytes(("\n".join(lines) + "\n").encode(), tmp_path, monkeypatch, tiny=True)


def test_a_float_where_text_is_taken_reads_the_file_as_before(tmp_path: Path,
                                                             monkeypatch: Any) -> None:
    text = "\n".join([_PLAIN_LEG % (1, 1), _PLAIN_LEG.replace('"36"', "3.5") % (2, 2),
                      _PLAIN_LEG % (3, 3)]) + "\n"
    _same_bytes(text.encode(), tmp_path, monkeypatch)


# ---------------------------------------------------------------- known files

def test_the_fixture(monkeypatch: Any) -> None:
    _same(FX / "freeswitch_cdr.json", monkeypatch)


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/realworld_cdr/files is not here")
def test_the_real_files(monkeypatch: Any) -> None:
    names = [p for p in sorted(REAL.iterdir()) if p.suffix == ".json" and "freeswitch" in p.name]
    assert names
    for p in names:
        _same(p, monkeypatch)


def test_a_replicated_fixture(tmp_path: Path, monkeypatch: Any) -> None:
    seed = (FX / "freeswitch_cdr.json").read_text()
    text = "".join(seed.replace("0143", f"{k:04d}").replace("larkspur", f"gw{k % 7}")
                   for k in range(300))
    _same_bytes(text.encode(), tmp_path, monkeypatch)


def test_every_name_and_every_one_byte_change_of_it(tmp_path: Path, monkeypatch: Any) -> None:
    """Names are compared with the table 8 bytes at a time, byte by byte near the file's end:
    each name the reader takes, and each with one byte changed (or cut short, or one byte
    longer), read as the exact reader reads them, far from the end and at it."""
    from workbench.ingest.formats.switches.freeswitch_legs import scan_names

    groups = []
    for name in (b.decode() for b in scan_names()[0]):
        group = [name, name[:-1], name + "s"]
        group += [name[:j] + chr(ord(name[j]) ^ 0x20) + name[j + 1:] for j in range(len(name))]
        groups.append(group)
    flow = ('"callflow": [{"caller_profile": {"%s": "+12025550143"}, '
            '"times": {"%s": "1718035231204512"}}]')
    docs = []
    for key in (k for group in groups for k in group):
        docs.append('{"variables": {"%s": "%%2B1202555%04d", "uuid": "u"}, %s}'
                    % (key, len(docs), flow % (key, key)))
        docs.append('{"%s": {"sip_call_id": "x"}, "callflow": {"%s": {"ani": "1"}}}'
                    % (key, key))
    _same_bytes(("\n".join(docs) + "\n").encode(), tmp_path, monkeypatch)
    # the name's closing quote 7 bytes before the file's end (byte by byte) and 8 (words)
    for n, group in enumerate(groups[::7]):
        for k, key in enumerate(group):
            for tail in ('":"v"}}', '":"v"}}\n'):
                sub = tmp_path / f"end{n}_{k}_{len(tail)}"
                sub.mkdir()
                _same_bytes(('{"callflow": null, "variables": {"' + key + tail).encode(), sub,
                            monkeypatch)
