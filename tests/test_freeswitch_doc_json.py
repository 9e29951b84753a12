"""The line-at-a-time JSON driver (``freeswitch_doc_json.line_docs``) gives what the exact
document reader (``_json_docs`` over the whole text) gives: the same documents taken, the
same ones yielded with the same window, the same errors at the same lines; past the first
bad documents kept, a damaged line is counted without its error text, never a row.

Oracles: ``_json_docs`` on the decoded text (the reader before the driver) and the whole
reader's text path ``_rows``. Files are generated with what a line must not be taken
through: escapes, unicode, duplicate keys, NaN, nesting (deep too), pretty-printed
documents whose inner lines start with ``{``, several documents on a line, cut and
altered lines, NUL and other control bytes, CRs, blank and separator lines, arrays.
"""
from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_freeswitch_fast import _compare, _json_file
from workbench.ingest.formats import ReadOptions
from workbench.ingest.formats.switches import freeswitch_doc_json as fj
from workbench.ingest.formats.switches import freeswitch_docs as fd
from workbench.ingest.formats.switches.freeswitch_legs import OddValue

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def _take(doc: Any) -> bool:
    """A stand-in for ``_json_leg``: takes some documents, refuses others."""
    return isinstance(doc.get("variables", {}), dict) and "skip" not in doc


def _events(docs, taken: list[int], bad: list, max_bad: int, exact: bool) -> list:
    """What a consumer sees, in order: taken lines (as they are appended) and documents;
    an error's text only for the first ``max_bad`` bad documents (as ``_gather`` keeps)."""
    out: list = []
    seen = 0
    for line, doc, err, raw, window in docs:
        out.extend(("taken", ln) for ln in taken[seen:])
        seen = len(taken)
        if doc is None:
            keep = len(bad) < max_bad
            if keep:
                bad.append(line)
            out.append(("bad", line, err, raw) if keep else ("bad", line))
        else:
            out.append(("doc", line, json.dumps(doc, sort_keys=True), window))
    out.extend(("taken", ln) for ln in taken[seen:])
    return out


def _both(text: str, max_bad: int) -> tuple[list, list] | None:
    data = text.encode("utf-8")
    t1: list[int] = []
    want = _events(fj._json_docs(data.decode("utf-8"), True, _take, t1), t1, [], max_bad, True)
    scanned = fj.scan_lines(data)
    assert scanned is not None
    t2: list[int] = []
    bad: list = []
    try:
        got = _events(fj.line_docs(data, scanned, _take, t2, bad, max_bad), t2, bad, max_bad,
                      False)
    except fj.Overshoot:  # the caller reads the text instead
        return None
    return got, want


_LINE = st.sampled_from([
    '{"variables": {"a": "1"}}', '{"variables":{"a":"x\\"y","a":"z"}}', '{"skip": 1}',
    '{"variables": {"b": "é\\u00e9\\ud83d\\ude00"}, "callflow": [{"times": {}}]}',
    '{"variables": {"c": NaN}}', '{"variables": {"n": 123456789012345678901234567890}}',
    '{"variables": "x"}', '{"a": 1} {"b": 2}', '{"a": 1}, {"b": 2}', '{"variables":',
    '{"variables": {"a": "cut', '{"variables": {"a": "cu}t', '{"variables": {"a": "c\\',
    '{"a": "1"} "x', '{"a": "1"}} "x', '{"v": "a\x00b"}', '{"v": "a\tb"}', '{"v": 1}\r',
    '{"v": "\\ud800"}', '{}', '{',
    '{"x": [1, {"y": "}"}]}', '{"a": "]"', '  {"a": 1}', '[', ']', ',', '', 'junk',
    '"str"', '{"a": {"b": [{"c": "d"}]}}', '{"a":1}\n}', '{"a": tru}', '{"a": "\x7f"}',
    "{" * 30 + "}" * 30, "[" * 1200, "{\"a\":" * 1100 + "1" + "}" * 1100,
])


@st.composite
def _soup(draw) -> str:
    """Lines known to trip a reader, pretty-printed documents among them."""
    parts = draw(st.lists(st.one_of(
        _LINE, st.builds(lambda d, i: json.dumps(d, indent=i), st.fixed_dictionaries(
            {"variables": st.dictionaries(st.sampled_from(["a", "b"]), st.text(max_size=3),
                                          max_size=2)},
            optional={"callflow": st.lists(st.fixed_dictionaries({}), max_size=2)}),
            st.sampled_from([0, 1, None]))),
        min_size=1, max_size=12))
    text = "\n".join(parts)
    if draw(st.booleans()):
        text += "\n"
    return text.replace("\n", "\r\n") if draw(st.integers(0, 5)) == 0 else text


@SETTINGS
@given(st.one_of(_soup(), _json_file()), st.sampled_from([0, 1, 200]))
def test_line_docs_is_the_exact_reader(text, max_bad):
    pair = _both(text, max_bad)
    if pair is not None:
        assert pair[0] == pair[1]


def _rows_both(text: str):
    data = text.encode("utf-8")
    try:
        want = fd._rows(text, "json", [], True)
    except OddValue:
        with pytest.raises((OddValue, fj.Overshoot)):
            fd._json_lines(data)
        return
    try:
        got = fd._json_lines(data)
    except fj.Overshoot:
        return
    assert got is not None
    (c1, l1, b1, n1), (c2, l2, b2, n2) = got, want
    assert list(l1) == list(l2) and n1 == n2 and b1 == b2
    assert c1.keys() == c2.keys()
    for k in c1:
        assert c1[k].equals(c2[k]), k


@SETTINGS
@given(st.one_of(_soup(), _json_file()))
def test_the_reader_reads_as_the_text_path(text):
    _rows_both(text)


def test_many_damaged_lines_count_without_their_text(tmp_path):
    good = '{"variables": {"sip_call_id": "c%d", "billsec": "1"}}'
    cut = '{"core-uuid":"a9d1c3e5","variables":{"direction":"inbound","sip_from_user":"+1202'
    text = "".join(f"{good % k}\n{cut}\n" for k in range(450))
    _rows_both(text)
    got = fd._json_lines(text.encode())
    assert got is not None and len(got[1]) == 450 and got[3] == 450 and len(got[2]) == 200
    p = tmp_path / "calls.json"
    p.write_text(text)
    _compare(p, "json")


def test_a_pretty_document_whose_inner_line_starts_with_a_brace_is_read_whole(tmp_path):
    # line 2 is a whole object alone (less its ","), but the document of line 1 runs over it
    text = '{"variables": {"a": [\n{"sip_call_id": "x"},\n{"b": "y"}]}}\n{"variables": {}}\n'
    _rows_both(text)
    with pytest.raises(fj.Overshoot):
        fd._json_lines(text.encode())
    p = tmp_path / "calls.json"
    p.write_text(text)
    _compare(p, "json")


def test_bytes_that_are_not_utf8_are_read_as_text():
    assert fj.scan_lines(b'{"variables": {"a": "\xff"}}\n') is None


def _read_rows(text: str, fast: bool):
    try:
        return fd._rows(text, "json", [], fast)
    except OddValue:
        return "odd"


@SETTINGS
@given(st.one_of(_soup(), _json_file()), st.sampled_from([1, 2, 3]), st.booleans())
def test_legs_made_arrays_a_few_at_a_time_are_the_legs_made_arrays_at_once(text, chunk, fast):
    """``LegColumns`` flushing every ``chunk`` legs gives what one conversion at the end
    gives (an odd value in one part only included)."""
    from workbench.ingest.formats.switches.freeswitch_legs import LegColumns
    old = LegColumns.CHUNK
    try:
        LegColumns.CHUNK = 10**9
        want = _read_rows(text, fast)
        LegColumns.CHUNK = chunk
        got = _read_rows(text, fast)
    finally:
        LegColumns.CHUNK = old
    if want == "odd" or got == "odd":
        assert want == got
        return
    assert list(got[1]) == list(want[1]) and got[2:] == want[2:]
    assert got[0].keys() == want[0].keys()
    for k in got[0]:
        assert got[0][k].equals(want[0][k]), k


def _count_decoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A counter of the characters handed to the standard decoder from here on."""
    decoded = [0]
    raw_decode = json.JSONDecoder.raw_decode

    def counted(self: json.JSONDecoder, s: str, idx: int = 0) -> tuple[Any, int]:
        decoded[0] += len(s) - idx
        return raw_decode(self, s, idx)

    monkeypatch.setattr(json.JSONDecoder, "raw_decode", counted)
    return decoded


def test_a_chain_of_cut_lines_is_read_in_linear_time_each_cut_line_named(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines cut after ``"key":`` each take the next document as their value: every one is
    reported with the error of its own line (not "nested too deeply" after decoding ~1000
    documents each), and a document with a few inner lines starting with '{' is still read."""
    cut = '{"variables": {"uuid": "u", "sip_gateway":\n'
    whole = '{"variables": {"uuid": "w"}}\n'
    decoded = _count_decoded(monkeypatch)
    for k in (200, 800):
        text = cut * k + whole
        decoded[0] = 0
        docs = list(fj._json_docs(text))
        # each cut line decodes at most ~2 * MAX_JOINED lines (it was the rest of the chain,
        # up to ~1000 lines deep: 400x the text for k = 800)
        assert decoded[0] <= 3 * fj.MAX_JOINED * len(text)
        assert [d[0] for d in docs] == list(range(1, k + 2))
        assert all(d[1] is None and d[2].startswith("JSON: Expecting ") for d in docs[:-1])
        assert docs[0][2] == "JSON: Expecting value (line 2, column 1)"  # its own cut
        assert docs[-1][1] == {"variables": {"uuid": "w"}}
    inner = '{"callflow": [\n' + ",\n".join('{"n": %d}' % j for j in range(fj.MAX_JOINED)) + \
        "\n]}\n"
    docs = list(fj._json_docs(inner + whole))
    assert docs[0][1] == {"callflow": [{"n": j} for j in range(fj.MAX_JOINED)]}
    assert docs[1][1] == {"variables": {"uuid": "w"}}


# ---------------------------------------------------------------- documents on one long line

@SETTINGS
@given(st.text(alphabet="\n{a", max_size=40), st.lists(st.integers(0, 45), max_size=12))
def test_find_reused_is_str_find(text: str, ats: list[int]) -> None:
    """``_Find`` answers as ``str.find`` whatever the order of the offsets asked."""
    for pattern in ("\n", "\n{"):
        find = fj._Find(text, pattern)
        for at in sorted(ats) + ats:
            assert find(at) == text.find(pattern, at), (pattern, at)


def _docs_seen(text: str, fast: bool) -> list:
    taken: list[int] = []
    return _events(fj._json_docs(text, fast, _take, taken), taken, [], 10**9, True)


@SETTINGS
@given(st.one_of(_soup(), _json_file()), st.sampled_from(["\n", "", " ", ","]),
       st.booleans())
def test_long_windows_decoded_from_short_ones_read_the_same(
        monkeypatch: pytest.MonkeyPatch, text: str, glue: str, fast: bool) -> None:
    """Every window taken as long (decoded from windows of 1, 4, 16, ... characters first)
    gives the documents, errors, lines and orjson windows of the whole windows, on files
    whose documents follow each other on one line (joined without a line end), too."""
    text = text.replace("\n", glue) if glue != "\n" else text
    want = _docs_seen(text, fast)
    with monkeypatch.context() as m:
        m.setattr(fj, "LONG_WINDOW", 0)
        m.setattr(fj, "FIRST_WINDOW", 1)
        assert _docs_seen(text, fast) == want


def test_documents_joined_on_one_line_are_read_in_linear_time(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Per-call files joined without a line end (``cat *.json`` of files that end without
    one) put every document on one line: each is decoded from a short window, not from the
    rest of the line, and the rows are those of the same documents one a line."""
    doc = ('{"variables": {"uuid": "u%d", "sip_from_user": "%%2B1202555%04d", '
           '"start_uepoch": "1718035231000000"}, "callflow": {"caller_profile": '
           '{"destination_number": "13125550178"}}}')
    decoded = _count_decoded(monkeypatch)
    for k in (1200, 4800):
        docs = [doc % (j, j) for j in range(k)]
        text = "".join(docs)
        decoded[0] = 0
        for fast in (True, False):
            got = list(fj._json_docs(text, fast))
            assert [d[1] for d in got] == [json.loads(d) for d in docs]
        # twice over (with orjson and without), each from a window of FIRST_WINDOW chars
        # while the rest of the line is long, then from the rest (LONG_WINDOW at most): the
        # rest of the line each was ~k / 2 documents a document
        tail = fj.LONG_WINDOW * fj.LONG_WINDOW // len(docs[0])
        assert decoded[0] <= 2 * (k * fj.FIRST_WINDOW + tail)  # (the rest: ~40x at k = 4800)
    one_line, lines = tmp_path / "joined.json", tmp_path / "lines.json"
    one_line.write_text("".join(docs))
    lines.write_text("\n".join(docs) + "\n")
    a, b = (fd.read_json(p, ReadOptions()) for p in (one_line, lines))
    assert set(a.columns) == set(b.columns)
    for name in a.columns:
        assert a.columns[name].equals(b.columns[name]), name
