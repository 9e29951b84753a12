"""The byte scan of FreeSWITCH XML CDR files (``freeswitch_doc_xml``) reads only documents
expat reads, and reads them as ElementTree does; what it calls broken expat refuses, with
or without the stray-'<'/'&' repair.

Oracles: ElementTree itself on each document (as the exact reader cuts it), the exact
reader's whole-file path (``_rows``), and the one-document-at-a-time reference of
``test_freeswitch_fast``. Documents are generated with what the scan must not take for
plain markup: entities, CDATA, comments, PIs, DTDs, stray '<' and '>', duplicated or
namespace attributes, prefixed and non-ASCII names, CRs, control characters, U+FFFE,
nested and repeated elements, several callflows, damage (cut, swapped, inserted bytes).
"""
from __future__ import annotations

import os
import re
import xml.etree.ElementTree as StdET

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_freeswitch_fast import _compare, _xml_file
from workbench.ingest.formats.switches import freeswitch_doc_xml as fx
from workbench.ingest.formats.switches import freeswitch_docs as fd

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))

_NAMES = ["variables", "callflow", "caller_profile", "times", "start_uepoch", "created_time",
          "caller_id_number", "destination_number", "sip_gateway", "direction", "billsec",
          "chan_name", "x", "_y.z-1", "a:b", "é"]
_PLAIN_NAMES = _NAMES[:-2]
_CLEAN = st.one_of(st.text(alphabet="ab1%4 \n\t", max_size=6),
                   st.sampled_from(["", "1718035231204512", "%2B1202", "outbound", "é",
                                    "sofia/gateway/gw/1"]))
_TEXT = st.one_of(  # mostly plain: a document with one odd part is the case to catch
    *[_CLEAN] * 12,
    st.sampled_from(["&amp;", "&#60;", "&#x41;", "&bogus;", "&", "<", ">", "]]>", "a\rb", "\r\n",
                     "\x01", "\ufffe", "é", "<![CDATA[x<y]]>", "<!-- c -->", "<?pi x?>",
                     "<sip:1@h>", '"1" <1>']))
_ATTRS = st.one_of(st.sampled_from(["", ' a="1"', " a='1'", ' a = "1" b="2"']),
                   st.sampled_from([' a="1" a="2"', ' xmlns="u"', ' x:y="1"', ' a="1"b="2"',
                                    ' a="&amp;"', ' a="x>y"', ' a="1" /']))


@st.composite
def _element(draw, depth: int) -> str:
    name = draw(st.sampled_from(_NAMES if draw(st.integers(0, 9)) == 0 else _PLAIN_NAMES))
    attrs = draw(_ATTRS) if draw(st.integers(0, 4)) == 0 else ""
    if draw(st.integers(0, 6)) == 0:
        return f"<{name}{attrs}/>"
    parts = [draw(_TEXT)]
    if depth < 4:
        for _ in range(draw(st.integers(0, 3))):
            parts.append(draw(_element(depth + 1)))
            parts.append(draw(st.sampled_from(["", "\n  ", " "])))
    close = name if draw(st.integers(0, 5)) else draw(st.sampled_from(_NAMES))
    return f"<{name}{attrs}>{''.join(parts)}</{close}>"


@st.composite
def _leg(draw) -> str:
    """A document shaped like a leg (variables, callflows) with odd parts mixed in."""
    var = "".join(draw(st.lists(st.builds(lambda n, v: f"<{n}>{v}</{n}>", st.sampled_from(
        _NAMES[4:]), _TEXT), max_size=5)))
    prof = "".join(draw(st.lists(st.builds(lambda n, v: f"<{n}>{v}</{n}>", st.sampled_from(
        ["caller_id_number", "ani", "chan_name", "destination_number"]), _TEXT), max_size=3)))
    times = "".join(draw(st.lists(st.builds(lambda n, v: f"<{n}>{v}</{n}>", st.sampled_from(
        ["created_time", "answered_time", "hangup_time"]), _TEXT), max_size=3)))
    flow = f"<callflow><caller_profile>{prof}</caller_profile><times>{times}</times></callflow>"
    body = [f"<variables>{var}</variables>"] + [flow] * draw(st.sampled_from([0, 1, 1, 1, 2]))
    body += draw(st.lists(_element(2), max_size=2))
    order = draw(st.permutations(body))
    root_attrs = draw(st.sampled_from(["", ' core-uuid="u-1"', ' core-uuid="u" switchname="s"',
                                       " a='1'"]))
    return f"<cdr{root_attrs}>\n  " + "\n  ".join(order) + "\n</cdr>"


@st.composite
def _file(draw) -> str:
    docs = draw(st.lists(st.one_of(_leg(), _element(1).map(lambda e: f"<cdr>{e}</cdr>")),
                         min_size=1, max_size=5))
    out = [draw(st.sampled_from(["", '<?xml version="1.0"?>\n', "junk\n"]))]
    for d in docs:
        if draw(st.integers(0, 5)) == 0:  # damage: cut, or a byte put in
            at = draw(st.integers(1, len(d) - 1))
            d = d[:at] if draw(st.booleans()) else d[:at] + draw(_TEXT) + d[at:]
        out.append(d)
        out.append(draw(st.one_of(
            st.sampled_from(["\n", '\n<?xml version="1.0"?>\n', ""]),
            st.sampled_from([" x ", "<!-- c -->\n", '\n<?xml version="1.0"?>\n\x0c',
                             "\r\n<?xml version='1.0' encoding='UTF-8'?>\r\n"]))))
    text = "".join(out)
    return text.replace("\n", "\r\n") if draw(st.integers(0, 6)) == 0 else text


_MUTATIONS = ["</x>", "<x>", "<x/>", "&amp;", "&#65;", "&", "<", ">", "]]>", "<!-- c -->",
              "<![CDATA[y]]>", "<?pi?>", '<?xml version="1.0"?>', "\r", "\x01", "\ufffe",
              "<a:b/>", "<é/>", '<x a="1" a="2"/>', '<x xmlns="u"/>', "</cdr>", "<cdr>"]


@st.composite
def _plain_file(draw) -> str:
    """Plain legs (every value clean), then one mutation put in somewhere, or a closing tag
    renamed: the documents sit right on the boundary of what the scan may read."""
    legs = []
    for _ in range(draw(st.integers(1, 4))):
        var = "".join(f"<{n}>{v}</{n}>" for n, v in draw(st.lists(st.tuples(
            st.sampled_from(_PLAIN_NAMES[4:]), _CLEAN), max_size=4)))
        legs.append(f'<cdr core-uuid="u">\n<variables>{var}</variables>\n<callflow><caller_profile>'
                    f"<caller_id_number>1</caller_id_number></caller_profile><times>"
                    f"<created_time>1718035231204512</created_time></times></callflow>\n</cdr>")
    text = '<?xml version="1.0"?>\n' + '\n<?xml version="1.0"?>\n'.join(legs) + "\n"
    how = draw(st.integers(0, 2))
    if how == 0:  # a closing tag renamed
        ends = [i for i in range(len(text)) if text.startswith("</", i)]
        at = draw(st.sampled_from(ends))
        stop = text.index(">", at)
        text = text[:at] + "</" + draw(st.sampled_from(["x", "times", "variables"])) + text[stop:]
    elif how == 1:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(_MUTATIONS)) + text[at:]
    return text


def _chunks(text: str) -> list[str]:
    starts = [m.start() for m in fd._CDR_TAG.finditer(text)] + [len(text)]
    return [fd._without_next_decl(text[a:b]) for a, b in zip(starts, starts[1:])]


def _check_documents(text: str) -> None:
    data = text.encode()
    sc = fx.scan(data)
    chunks = _chunks(text)
    if sc is None:  # the whole file is left to the exact reader: only for an odd <cdr
        assert re.search(rb"<cdr(?![\s>\w.\-:/])", data), text
        return
    assert [len(text[:len(data[:s].decode())]) for s in sc.starts.tolist()] == \
        [m.start() for m in fd._CDR_TAG.finditer(text)]
    assert len(chunks) == len(sc.starts)
    for k, chunk in enumerate(chunks):
        try:
            StdET.fromstring(chunk)
            ok = True
        except StdET.ParseError:
            ok = False
        if sc.fast[k]:
            assert ok, chunk
        if sc.broken[k]:
            assert not ok and not fd.needs_repair(chunk), chunk


def _whole_reader_equal(text: str) -> None:
    data = text.encode()
    sc = fx.scan(data)
    if sc is None:
        return
    f1: list[str] = []
    f2: list[str] = []
    got = fd._xml_rows(data, sc, f1)
    want = fd._rows(text, "xml", f2, True)
    assert list(got[1]) == list(want[1])
    assert [(b.line, b.reason, b.text) for b in got[2]] == \
        [(b.line, b.reason, b.text) for b in want[2]]
    assert got[3] == want[3] and f1 == f2
    assert got[0].keys() == want[0].keys()
    for name in want[0]:  # (equals: a µs epoch past year 9999 has no Python datetime)
        assert got[0][name].equals(want[0][name]), name


@SETTINGS
@given(_file())
def test_scan_reads_only_what_expat_reads_and_broken_is_refused(text):
    _check_documents(text)
    _whole_reader_equal(text)


@SETTINGS
@given(_plain_file())
def test_scan_on_plain_documents_with_one_odd_part(text):
    _check_documents(text)
    _whole_reader_equal(text)


@SETTINGS
@given(_xml_file())
def test_scan_on_the_leg_files_of_the_fast_path_tests(text):
    _check_documents(text)
    _whole_reader_equal(text)


@SETTINGS
@given(_file())
def test_generated_files_read_as_one_document_at_a_time(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("x") / "calls.xml"
    p.write_bytes(text.encode())
    _compare(p, "xml")


@SETTINGS
@given(st.lists(st.sampled_from(["<", ">", "&", "&amp;", "&#1;", "a", " ", "<a>", "</a>",
                                 "<a b='1'>", '<a b="<">', "<!--", "<?", "<a/>", "<1>", "é",
                                 "<a:b>", "\n"]), max_size=10).map("".join))
def test_needs_repair_is_whether_repair_changes_the_text(chunk):
    assert fd.needs_repair(chunk) == (fd.repair_xml(chunk) != chunk)


def test_plain_documents_are_read_by_the_scan():
    one = ('<?xml version="1.0"?>\n<cdr core-uuid="u">\n<variables><direction>outbound'
           '</direction><sip_gateway_name>gw</sip_gateway_name></variables>\n<callflow '
           'dialplan="XML"><caller_profile><caller_id_number>1</caller_id_number>'
           '<destination_number>2</destination_number></caller_profile><times>'
           '<created_time>1718035231204512</created_time></times></callflow>\n</cdr>\n')
    sc = fx.scan((one * 3).encode())
    assert sc is not None and sc.fast.all() and len(sc.columns["called"]) == 3
    _whole_reader_equal(one * 3)


@pytest.mark.parametrize("odd", ["&amp;", "<!-- c -->", "<![CDATA[1]]>", "<?pi?>", "\x01",
                                 "\ufffe", ">", "<x a='1' a='2'/>", "<a:b/>"])
def test_odd_markup_is_left_to_the_exact_reader(odd):
    doc = f"<cdr><variables><billsec>1{odd}</billsec></variables></cdr>\n"
    sc = fx.scan(doc.encode())
    assert sc is not None and not sc.fast.any()
    _whole_reader_equal(doc)


def test_an_entity_bomb_is_refused_as_before(tmp_path):
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE cdr [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
            '<cdr><variables><billsec>&b;</billsec></variables></cdr>\n')
    p = tmp_path / "bomb.xml"
    p.write_text(bomb)
    sc = fx.scan(bomb.encode())
    assert sc is not None and not sc.fast.any()
    _compare(p, "xml")


@pytest.mark.parametrize("doc", [
    "<cdr><variables><billsec>1</billsecx></variables></cdr>\n",
    "<cdr><variables><billsec>1</variables></cdr>\n",
    "<cdr><variables><billsec>1</billsec></variables>\n",
    "<cdr><variables><a><b></a></b></variables></cdr>\n"])
def test_tags_that_do_not_nest_are_broken(doc):
    sc = fx.scan(doc.encode())
    assert sc is not None and sc.broken.all() and not sc.fast.any()
    _check_documents(doc)
    _whole_reader_equal(doc)


def test_many_bad_documents_among_good_and_repaired_ones():
    """Past the first MAX_BAD_KEPT bad documents the broken ones are counted, not parsed."""
    good = "<cdr><variables><billsec>{i}</billsec></variables></cdr>\n"
    broken = "<cdr><variables><billsec>{i}</variables></cdr>\n"
    stray = "<cdr><variables><billsec>{i} <sip:1@h></billsec></variables></cdr>\n"
    amp = "<cdr><variables><billsec>{i}&</billsec></bad></cdr>\n"
    kinds = [good, broken, broken, stray, amp, good]
    text = "".join(kinds[i % len(kinds)].format(i=i) for i in range(1500))
    _whole_reader_equal(text)
    sc = fx.scan(text.encode())
    assert sc is not None and sc.broken.sum() == 500 and sc.fast.sum() == 500


def test_no_document_and_bytes_that_are_not_utf8(tmp_path):
    p = tmp_path / "none.xml"
    p.write_text("<?xml version=\"1.0\"?>\n<other/>\n")
    sc = fx.scan(p.read_bytes())
    assert sc is not None and len(sc.starts) == 0
    _compare(p, "xml")
    latin = "<cdr><variables><caller_id_name>Jos\xe9</caller_id_name></variables></cdr>\n"
    # the text reader replaces such bytes: the whole file is read the exact way
    assert fx.scan(latin.encode("utf-8") + latin.encode("latin-1")) is None


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.text(alphabet="%0aAfFgé9\n+", max_size=10)), max_size=12),
       st.integers(0, 4), st.integers(0, 4))
def test_unquote_of_a_sliced_column_with_nulls_is_unquote_of_each_value(values, a, b):
    """The whole column goes through the byte-level unquote (slices, nulls, no escapes)."""
    from urllib.parse import unquote

    from workbench.ingest.formats.switches.freeswitch_legs import unquote_array
    arr = pa.array(values, pa.string()).slice(a, max(0, len(values) - a - b))
    want = [None if v is None else unquote(v) for v in arr.to_pylist()]
    got = unquote_array(arr)
    assert got.to_pylist() == want
    assert got.null_count == arr.null_count


@SETTINGS
@given(st.lists(st.sampled_from(["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#65;", "&#x41;",
                                 "&#0;", "&#xD800;", "&#x110000;", "&#99999999;", "&bogus;",
                                 "&", "&amp", "&#;", "&#x;", "a", " ", "é"]), max_size=5)
       .map("".join), st.sampled_from(["attr", "other", "value"]))
def test_references_are_read_only_where_expat_reads_them(refs, where):
    """A predefined entity or a character reference to an allowed character outside the
    values taken leaves the document to the scan; any other '&', or one in a value, not."""
    attr = f' note="{refs}"' if where == "attr" else ""
    other = f"<other>{refs}</other>" if where == "other" else ""
    value = refs if where == "value" else ""
    doc = (f'<cdr{attr}>{other}<variables><billsec>1{value}</billsec></variables>'
           f'<callflow><times><created_time>1718035231204512</created_time></times>'
           f'</callflow></cdr>\n')
    _check_documents(doc * 2)
    _whole_reader_equal(doc * 2)
    sc = fx.scan((doc * 2).encode())
    valid = "&" not in re.sub(r"&(?:amp|lt|gt|quot|apos|#65|#x41);", "", refs)
    if "&" in refs and where == "value":
        assert not sc.fast.any()
    elif "&" in refs:
        assert sc.fast.all() == valid and sc.fast.any() == valid, refs


def test_a_dtd_between_documents_is_left_to_defusedxml():
    good = "<cdr><variables><billsec>1</billsec></variables></cdr>\n"
    dtd = ('<!DOCTYPE cdr [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>\n')
    text = good + dtd + "<cdr><variables><billsec>&b;</billsec></variables></cdr>\n" + good
    sc = fx.scan(text.encode())
    assert sc is not None and list(sc.fast) == [False, False, True]
    _check_documents(text)
    _whole_reader_equal(text)
    rows = fd._rows(text, "xml", [], True)  # (the DTD is junk after the first root)
    assert rows[3] == 2 and "undefined entity" in rows[2][1].reason
