"""The FreeSWITCH XML scan kernel stops when its output arrays are full and goes on where it
stopped once ``scan_docs`` has grown them (``freeswitch_xml_kernels._scan``, status 2): what
it keeps across the stop (the open document's fields, the loop's position, line count, the
'<' still open, the last '>', the text's oddness) must give the same documents, lines, flags
and spans as one pass. Started with room for 1 to 5 documents, it stops at many document
starts (and at the file's end), each document before having a different field set: odd,
broken, skipped, two callflows, too deep, a declaration inside, a field cut by the next
``<cdr``, a '<' left open, a CR in a pending field's text.
"""
from __future__ import annotations

import os
from functools import partial
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_freeswitch_doc_xml import _leg
from tests.test_freeswitch_xml_kernels import _mutated
from workbench.ingest.formats.switches import freeswitch_doc_xml as fx
from workbench.ingest.formats.switches import freeswitch_xml_kernels as kern
from workbench.ingest.formats.switches.freeswitch_legs import PROFILE_LIST, TIME_LIST, VAR_LIST

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))

_VARS = "<variables><sip_gateway>gw</sip_gateway><ani>1</ani></variables>"
_FLOW = ("<callflow><caller_profile><caller_id_number>1</caller_id_number></caller_profile>"
         "<times><created_time>17</created_time></times></callflow>")
# documents, each leaving one of the per-document fields set when the next one starts
_DOC_LIST = [
    f'<cdr core-uuid="u">{_VARS}{_FLOW}</cdr>',  # read
    f"<cdr>{_VARS}\x01</cdr>",  # odd (a control byte)
    f"<cdr>{_VARS}</cdx>",  # broken (mismatch)
    f"<cdr>{_VARS}{_FLOW}",  # broken (no end)
    f"<cdr>{_VARS}</cdr> tail",  # skipped (text after the root)
    f'<cdr>{_VARS}</cdr><?xml version="1.0"?><?xml version="1.0"?>',  # skipped (two decls)
    f"<cdr>{_VARS}{_FLOW}{_FLOW}</cdr>",  # two callflows
    "<cdr>" + "<x>" * 1001 + "</x>" * 1001 + f"{_VARS}</cdr>",  # too deep
    f"<cdr>{_VARS}<?xml version='1.0'?></cdr>",  # a declaration inside
    "<cdr><variables><sip_gateway>cut",  # a field pending at the next document
    "<cdr><variables><sip_gateway>a\rb",  # ... its text odd
    "<cdr><variables><sip_gateway>a&amp;",  # ... its text odd (an entity)
    "<cdr><variables><ani>1<",  # a '<' open at the next document
    "<cdr><callflow><caller_profile><ani>5",  # a leaf pending
    "<cdr><callflow><times><created_time>9",  # a time pending
    "<cdr <x>",  # its '<cdr' not a tag
    "<cdr>",  # only the root's start
    f"<cdr>{_VARS}</cdr>]]>",  # odd after the root
    f"<cdr>\n{_VARS}\n</cdr>\n\n",  # lines
]
_DOCS = st.sampled_from(_DOC_LIST)
_GAPS = st.sampled_from(["", "\n", "\r\n", " ", "x", "<", ">", "&", "\r", "\u00e9", "<!-- c -->",
                         '<?xml version="1.0"?>\n'])


def _kernel(data: bytes, cap: int = 0) -> list[Any]:
    """``scan_docs``' answer for ``data`` as plain values (``cap``: its first room)."""
    arr = np.frombuffer(data, np.uint8)
    table, keys, key_len, info = fx._name_table()
    out = kern.scan_docs(arr, fx._CDR_NEXT, table, keys, key_len, info, len(VAR_LIST),
                         len(PROFILE_LIST), len(TIME_LIST), cap=cap)
    return [(o.dtype.str, o.shape, o.tolist()) if isinstance(o, np.ndarray) else o
            for o in out]


def _same_resumed(data: bytes, caps: tuple[int, ...] = (1, 2, 3, 5)) -> None:
    whole = _kernel(data)  # (room for 1024 documents: no stop in these files)
    for cap in caps:
        assert _kernel(data, cap) == whole, cap


@SETTINGS
@given(st.lists(st.tuples(st.one_of(_DOCS, _leg()), _GAPS), min_size=1, max_size=12),
       st.integers(1, 5))
def test_stopping_at_documents_changes_nothing(docs: list[tuple[str, str]], cap: int) -> None:
    _same_resumed("".join(d + g for d, g in docs).encode(), (cap, 1))


@SETTINGS
@given(_mutated())
def test_stopping_in_hostile_files_changes_nothing(text: str) -> None:
    _same_resumed(text.encode())


def test_every_document_a_stop() -> None:
    """Room for one document: a stop at 1, 2, 4, ... documents; each field set before one."""
    docs = _DOC_LIST
    for shift in range(4):
        order = docs[shift:] + docs[:shift]
        for gap in ("", "\n", "\r"):
            _same_resumed((gap.join(order * 2)).encode())


# ---------------------------------------------------------------- fields gathered by blocks

def _scanned(data: bytes, block: int, monkeypatch: Any) -> Any:
    """``freeswitch_doc_xml.scan``'s answer with the spans handed over every ``block`` rows,
    as plain values: every field's text as gathered (not the leg columns made of them).
    Small blocks start with room for one row and one byte a field (regrown often)."""
    from workbench.ingest.formats.switches import freeswitch_xml_gather as gat

    with monkeypatch.context() as m:
        m.setattr(fx, "BLOCK", block)
        if block < 64:
            m.setattr(gat, "Gathered", partial(gat.Gathered, rows=1, region=1))
        m.setattr(fx, "_columns", lambda cols: {str(f): col for f, col in enumerate(cols)})
        got = fx.scan(data)
    if got is None:
        return None
    return ([a.tolist() for a in (got.starts, got.lines, got.fast, got.broken)],
            {k: (str(v.type), v.to_pylist()) for k, v in got.columns.items()})


def _same_by_blocks(data: bytes, monkeypatch: Any, blocks: tuple[int, ...] = (1, 2, 3)) -> None:
    whole = _scanned(data, 1 << 20, monkeypatch)
    for block in blocks:
        assert _scanned(data, block, monkeypatch) == whole, block


@SETTINGS
@given(st.lists(st.tuples(st.one_of(_DOCS, _leg()), _GAPS), min_size=1, max_size=12),
       st.integers(1, 4))
def test_gathering_by_blocks_changes_nothing(monkeypatch: Any, docs: list[tuple[str, str]],
                                             block: int) -> None:
    """The fields gathered every ``block`` documents read, the spans' arrays reused: the same
    documents, flags and columns as gathered at once (escapes past ASCII, a document whose
    first '<' is no tag, fields set in some blocks only)."""
    _same_by_blocks("".join(d + g for d, g in docs).encode(), monkeypatch, (block, 1))


@SETTINGS
@given(_mutated())
def test_gathering_hostile_files_by_blocks_changes_nothing(monkeypatch: Any, text: str) -> None:
    _same_by_blocks(text.encode(), monkeypatch)


def test_gathering_by_blocks_grows_the_regions(monkeypatch: Any) -> None:
    """Blocks whose values grow along the file (each field's region projected from the
    blocks before is too small, and regrown), escapes past ASCII in late blocks."""
    docs = []
    for k in range(40):
        value = "%C3%A9" * (k % 5) + "x" * (k * k)
        fields = "".join(f"<{name}>{value}{name}</{name}>" for name in VAR_LIST[k % 3::3])
        docs.append(f'<cdr><variables>{fields}<sip_call_id>c{k}</sip_call_id></variables>'
                    f'<callflow><caller_profile><ani>{value}</ani>'
                    f'<caller_id_number>{k}</caller_id_number></caller_profile>'
                    f'<times><created_time>{k}</created_time></times></callflow></cdr>\n')
    _same_by_blocks("".join(docs).encode(), monkeypatch, (1, 2, 7))
