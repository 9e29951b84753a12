"""The byte kernel of the FreeSWITCH XML scan (``freeswitch_xml_kernels``) decides as the
numpy scan it replaced (``tests/freeswitch_doc_xml_numpy.py``, kept as the oracle):
same documents, lines, documents read, broken documents and columns, on generated files
with hostile markup and bytes (entities, CDATA, comments, nested same-name tags,
attributes, truncated documents, NUL, non-ASCII, CR-only line ends, many attributes) and
with batches small enough that the numpy scan's batch ends fall between documents.
"""
from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import freeswitch_doc_xml_numpy as oracle
from tests.parsed_compare import assert_same_parsed
from tests.test_freeswitch_doc_xml import _TEXT, _element, _file, _leg, _plain_file
from tests.test_freeswitch_fast import _xml_file
from workbench.ingest.formats.switches import freeswitch_doc_xml as fx
from workbench.ingest.formats.switches.freeswitch_legs import VAR_LIST, unquote_array

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _same_scan(data: bytes) -> None:
    got, want = fx.scan(data), oracle.scan(data)
    if want is None or got is None:
        assert got is None and want is None
        return
    assert got.starts.tolist() == want.starts.tolist()
    assert got.lines.tolist() == want.lines.tolist()
    assert got.fast.tolist() == want.fast.tolist()
    assert got.broken.tolist() == want.broken.tolist()
    assert got.columns.keys() == want.columns.keys()
    for name in want.columns:
        assert got.columns[name].equals(want.columns[name]), name


_HOSTILE = st.sampled_from([
    "\x00", "\r", "\r\r", "&", "&amp;", "&#x0;", "&#xD800;", "&#65;", "&#1234567890;",
    "&#x10FFFF;", "&#x110000;", "&lt", "<", ">", "]]>", "]]", "<!-- c -->", "<![CDATA[a]]>",
    "<?pi x?>", "<!DOCTYPE x>", "<?xml?>", "<?xml version='1.0'?>", "<?xmlx?>", "</x>", "<x>",
    "<x/>", "<x a='1' b=\"2\"/>", "<x a='\"'/>", "<x a=\"1\"a=\"2\"/>", "<x xmlnsa='1'/>",
    "<x a = '1' />", "<x\ta\n=\r'1'\n/>", "</x >", "</ x>", "< x>", "<x / >", "<é>", "é",
    "\ufffe", "\uffff", "\uefbf", "\u0085", "\u2028", "<cdr", "<cdr>", "<cdr/>", "<cdr <x>",
    "<cdrx>", "<cdr\x0b>", "<cdr\x1c>", "<cdr\t", "</cdr>", "<variables>", "</variables>",
    "<callflow>", "</callflow>", "<times/>", "<caller_profile/>", "<ani/>", "<ani>1</ani>",
    "%41", "%e9", "%C3%A9", "%zz", "%", "x" * 300])


@st.composite
def _mutated(draw: Any) -> str:
    """A generated file with hostile pieces put in, bytes cut off, or its line ends made CR."""
    text: str = draw(st.one_of(_file(), _plain_file(), _xml_file(),
                          _leg().map(lambda d: d + "\n" + d)))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.one_of(_HOSTILE, _TEXT)) + text[at:]
    how = draw(st.integers(0, 7))
    if how == 0:
        text = text[:draw(st.integers(0, len(text)))]
    elif how == 1:
        text = text.replace("\r\n", "\r").replace("\n", "\r")
    return text


@SETTINGS
@given(_mutated())
def test_kernel_scan_is_the_numpy_scan(text: str) -> None:
    _same_scan(text.encode())


@SETTINGS
@given(_mutated(), st.sampled_from([1, 40, 150, 400, 2000]))
def test_kernel_scan_is_the_numpy_scan_with_small_batches(monkeypatch_batch: Any, text: str,
                                                          batch: int) -> None:
    """The numpy scan read the text after a document's last tag up to the next tag, past
    the next document's start when that is no tag, except at the end of its batch."""
    monkeypatch_batch(batch)
    _same_scan(text.encode())


@pytest.fixture
def monkeypatch_batch(monkeypatch: pytest.MonkeyPatch) -> Any:
    def set_batch(size: int) -> None:
        monkeypatch.setattr(oracle, "BATCH", size)
        monkeypatch.setattr(fx, "BATCH", size)
    return set_batch


@SETTINGS
@given(st.lists(st.one_of(_leg(), _element(1).map(lambda e: f"<cdr>{e}</cdr>")), min_size=1,
                max_size=4),
       st.lists(st.lists(st.sampled_from(["\n", "", " ", "<cdr <", "<cdr\n<x>", "x", "\r",
                                          "\n<?xml version='1.0'?>", "<?xml?>", "<x/>", "&amp;"]),
                         max_size=3).map("".join), min_size=4, max_size=4),
       st.sampled_from([1, 60, 200, 500, 1 << 20]))
def test_what_follows_a_document(monkeypatch_batch: Any, docs: list[str], gaps: list[str],
                                 batch: int) -> None:
    monkeypatch_batch(batch)
    _same_scan("".join(d + g for d, g in zip(docs, gaps)).encode())


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "xmlns", "xmlnsx", "c.d", "_e-1", "A"]),
                          st.sampled_from(["''", '""', "'x'", '"y\'"', "'\"'"])),
                min_size=0, max_size=90),
       st.sampled_from(["cdr", "variables", "sip_gateway"]))
def test_attributes_many_and_repeated(attrs: list[tuple[str, str]], where: str) -> None:
    """Past the kernel's 64 attributes of scratch, and past 16 (hashed, sorted)."""
    names = [f"{n}{i}" if i % 3 else n for i, (n, _) in enumerate(attrs)]
    text = " ".join(f"{n}={v}" for n, (_, v) in zip(names, attrs))
    head = f"<cdr {text}>" if where == "cdr" else "<cdr>"
    body = f"<{where} {text}>gw</{where}>" if where != "cdr" else ""
    doc = f"{head}<variables>{body}<sip_gateway>g</sip_gateway></variables></cdr>\n"
    _same_scan((doc * 2).encode())


@SETTINGS
@given(st.integers(990, 1010), st.booleans(), st.sampled_from(["", "</cdr>"]))
def test_deep_nesting(depth: int, close: bool, tail: str) -> None:
    inner = "<x>" * depth + ("</x>" * depth if close else "")
    doc = f"<cdr><variables><ani>1</ani></variables>{inner}{tail}</cdr>\n"
    _same_scan((doc + doc.replace("ani", "sip_gateway")).encode())


@SETTINGS
@given(st.binary(max_size=200), st.binary(max_size=50))
def test_random_bytes_around_documents(noise: bytes, tail: bytes) -> None:
    doc = b"<cdr><variables><ani>%41</ani></variables></cdr>\n"
    _same_scan(noise + doc + tail + doc + noise)


def test_empty_and_no_document() -> None:
    for data in (b"", b"<", b"<cdr", b"<cdr ", b"<cd", b"x<cdr>", b"<cdr>\xff</cdr>"):
        _same_scan(data)


@pytest.mark.parametrize("path", [
    "tests/fixtures/formats/freeswitch_cdr.xml",
    "../shared/realworld_cdr/files/freeswitch_xml_cdr_summitrabz_dump2.xml"])
def test_fixture_and_real_file(path: str) -> None:
    full = os.path.join(ROOT, path)
    if not os.path.exists(full):
        pytest.skip(f"{path} is not here")
    with open(full, "rb") as f:
        data = f.read()
    _same_scan(data)
    _same_scan(data.replace(b"\n", b"\r\n"))


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.text(alphabet="%0aAfFgé9\n+ ", max_size=12)),
                min_size=1, max_size=20), st.integers(0, 40), st.integers(1, 8))
def test_variables_are_url_decoded_as_unquote_array(values: list[str | None], field: int,
                                                    block: int) -> None:
    """``gather`` (and ``_texts``, the rows gathered ``block`` at a time) decode the %XX
    escapes of the variables as ``unquote_array`` does, and leave the other fields as
    written."""
    data = "".join(v or "" for v in values).encode()
    ends = np.cumsum([len((v or "").encode()) for v in values])
    nf = fx._FIELDS
    vs = np.full((len(values), nf), -1, np.int64)
    ve = np.full((len(values), nf), -1, np.int64)
    for j, v in enumerate(values):
        if v is not None:
            vs[j, field], ve[j, field] = ends[j] - len(v.encode()), ends[j]
    arr = np.frombuffer(data, np.uint8)
    from workbench.ingest.formats.switches import freeswitch_xml_gather as gat

    blocks = gat.Gathered(arr, len(VAR_LIST), nf)
    for a in range(0, len(values), block):
        blocks.add(vs[a:a + block], ve[a:a + block])
    got = fx._texts(data, blocks)
    raw = pa.array(values, pa.string())
    want = unquote_array(raw) if field < len(VAR_LIST) and raw.null_count < len(raw) \
        else raw
    assert got[field].equals(want)
    for f in range(nf):
        if f != field:
            assert got[f].null_count == len(values)


def test_importing_the_reader_does_not_import_numba() -> None:
    code = ("import sys; import workbench.ingest.formats.switches.freeswitch_docs, "
            "workbench.ingest.formats.switches.freeswitch_doc_xml; "
            "print('numba' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


@settings(max_examples=max(EXAMPLES // 3, 20), deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(_mutated())
def test_small_files_read_the_exact_way_give_the_same_table(tmp_path_factory: Any,
                                                            text: str) -> None:
    """A file under ``COMPILED_XML_BYTES`` skips the compiled scan (unless numba is loaded):
    the exact reader must give it the same table the scan would."""
    from workbench.common.errors import InputError
    from workbench.ingest.formats.base import ReadOptions
    from workbench.ingest.formats.switches import freeswitch_docs as fd

    p = tmp_path_factory.mktemp("xml") / "cdr.xml"
    p.write_bytes(text.encode())

    def read(compiled: bool) -> Any:
        real = fd._worth_compiled
        fd._worth_compiled = lambda data: compiled  # type: ignore[assignment]
        try:
            return fd.read_xml(p, ReadOptions())
        except InputError as e:
            return str(e)
        finally:
            fd._worth_compiled = real  # type: ignore[assignment]

    assert_same_parsed(read(False), read(True))


@settings(max_examples=max(20, EXAMPLES // 5), deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(_mutated())
def test_int64_spans_of_huge_files_read_alike(text: str) -> None:
    """Files of 2 GB and more keep spans and offsets as int64: the same columns."""
    from workbench.ingest.formats.switches import freeswitch_xml_kernels as kern

    data = text.encode()
    small = fx.scan(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kern, "INT32_BYTES", 0)
        huge = fx.scan(data)
    if small is None or huge is None:
        assert small is None and huge is None
        return
    assert small.fast.tolist() == huge.fast.tolist()
    for name in small.columns:
        assert small.columns[name].equals(huge.columns[name]), name


_RAW = st.sampled_from([b"\x80", b"\xff", b"\xc3", b"\xe2\x82", b"\xc0\xaf", b"\xed\xa0\x80",
                        b"\xef\xbf\xbe", b"\xef\xbf\xbf", b"\xef", b"\xf4\x90\x80\x80",
                        b"\xc3\xa9", b"\xf0\x9f\x98\x80", b"\xfe\xfe", b"a=\"\xe9\"",
                        b"<?xml version='\xff'?>", b"<x a='\x80'/>"])


@SETTINGS
@given(_mutated(), st.lists(st.tuples(st.floats(0, 1), _RAW), max_size=3))
def test_bytes_past_ascii_anywhere(text: str, raws: list[tuple[float, bytes]]) -> None:
    """The kernel notes a byte past ASCII wherever it stands (text, attribute values,
    declarations, before the first document) so that a file of valid UTF-8 only skips
    the UTF-8 check when it is ASCII: valid or not, the scan decides as the numpy scan,
    which checks every file first."""
    data = text.encode()
    for at, raw in raws:
        k = int(at * len(data))
        data = data[:k] + raw + data[k:]
    _same_scan(data)


@pytest.mark.parametrize("old, new", [
    (b"<variables>", b"<variables a='\x80'>"), (b"<variables>", b"<variables a=\"\xc3\xa9\">"),
    (b'</cdr>\n<?xml version="1.0"?>', b'</cdr>\n<?xml version="1.0\xff"?>'),
    (b'switchname="fs-edge-1"', b'switchname="fs-\xed\xa0\x80"'),
    (b"<variables>", b"<variables>\xc3"), (b"<variables>", b"<variables>\xef\xbf\xbe")])
def test_bytes_past_ascii_in_markup(old: bytes, new: bytes) -> None:
    """A byte past ASCII in an attribute value or a declaration is noted too: a file with
    bad UTF-8 there goes to the exact reader."""
    with open(os.path.join(ROOT, "tests", "fixtures", "formats", "freeswitch_cdr.xml"),
              "rb") as f:
        data = f.read()
    assert old in data
    _same_scan(data.replace(old, new, 1))
