"""FreeSWITCH ``<cdr>`` documents read from the raw bytes of the whole file at once.

Parsing each document with ElementTree (~50 µs a leg with the Python around it) was nearly
all of the XML reader's time. Here one byte kernel (``freeswitch_xml_kernels``) walks the
file once: the ``<`` … ``>`` tags, their depth, the matching of every end tag with its
start tag, and the few elements the reader takes (``variables``, one ``callflow`` with its
``caller_profile`` and ``times``), whose text it gives as byte spans. A document is read
this way only when the kernel proves it is well-formed in a plain subset of XML that expat
reads the same way: ASCII names without prefixes, quoted attributes (unique, no
``xmlns``), no ``]]>``, comment, CDATA, PI or DTD inside it, no '&' but the five predefined
entities and character references to allowed characters (and none in a value taken), no CR
in a value taken, no character XML forbids, nothing but white space (and the next
document's ``<?xml …?>``, as ``_without_next_decl`` cuts it) after its root. Every other
document (damaged, other entities, several callflows, …) is left to the per-document parse,
which also gives its error and its repair note. No entity is ever expanded here, and a
document holding ``<!`` (a DTD) is not read by this scan. (The numpy scan the kernel
replaced is kept as the oracle of its tests: ``tests/freeswitch_doc_xml_numpy.py``.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.columns.arrow_numpy import text_array

from .freeswitch_legs import (
    PROFILE_LIST,
    TIME_LIST,
    VAR_LIST,
    legs_columns,
    micros,
    scan_names,
)
from .positional import clean_utf8

if TYPE_CHECKING:
    from .freeswitch_xml_gather import Gathered


@dataclass
class XmlScan:
    """Where each document starts, its line, whether the scan read it, and its columns."""
    starts: np.ndarray  # byte offset of each ``<cdr`` (the exact reader's documents)
    lines: np.ndarray  # line of each document (1-based)
    fast: np.ndarray  # bool per document: read here
    # bool per document: plain markup whose tags do not nest (an end tag names another
    # element, or the root is not closed) and that escaping stray '<'/'&' leaves as it is:
    # expat refuses it, escaped or not (only its error message needs the parse)
    broken: np.ndarray
    columns: dict[str, pa.Array]  # FIELDS → values of the fast documents, in file order


def scan(data: bytes) -> XmlScan | None:
    """The documents of ``data``; None when the file must be read the exact way throughout
    (not UTF-8, or a ``<cdr`` the byte patterns would cut differently from the text's)."""
    from . import freeswitch_xml_gather as gat  # (numba: imported only to read a file)
    from . import freeswitch_xml_kernels as kern

    arr = np.frombuffer(data, np.uint8)
    table, keys, key_len, info = _name_table()
    got = gat.Gathered(arr, len(VAR_LIST), _FIELDS)  # (fields gathered a block at a time)
    status, starts, lines, flags, _, _, non_ascii = kern.scan_docs(
        arr, _CDR_NEXT, table, keys, key_len, info, len(VAR_LIST), len(PROFILE_LIST),
        len(TIME_LIST), block=BLOCK, flush=got.add)
    # (the text reader replaces bad bytes: only a valid file is read from its bytes; the
    # kernel tells a file of ASCII only, most of them, which needs no check)
    if status or (non_ascii and not clean_utf8(data)):
        return None
    fast, broken, paired = (flags & 1) > 0, (flags & 2) > 0, (flags & 4) > 0
    if not len(starts):
        return XmlScan(starts, lines, fast, broken, {})
    raw = _texts(data, got)
    if not paired[1:].all():
        keep = _tails_into_next(starts, fast, paired)
        rows = keep[fast]
        if not rows.all():
            raw = [col.filter(pa.array(rows)) for col in raw]
        fast &= keep
    return XmlScan(starts, lines, fast, broken, _columns(raw))


#: documents whose spans the scan holds before their fields are gathered (the arrays reused)
BLOCK = 16384
BATCH = 8 << 20  # bytes of documents the numpy scan read together (see ``_tails_into_next``)
_FIELDS = len(VAR_LIST) + len(PROFILE_LIST) + len(TIME_LIST)
_CDR_NEXT = np.full(256, -1, np.int8)  # byte after "<cdr": 1 starts a document, 0 a longer
# name; -1 what a str pattern's \s may match but a bytes pattern's does not (\x1c-\x1f,
# non-ASCII spaces): the exact reader reads that file
_CDR_NEXT[np.frombuffer(b" \t\n\r\x0b\x0c>", np.uint8)] = 1
_CDR_NEXT[np.frombuffer(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-:/",
                        np.uint8)] = 0
_TABLE: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None


def _name_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(hash table, names, their lengths, what each is) of the element names the reader
    takes: per name its struct code (variables, callflow, caller_profile, times; -1) and its
    slot among VAR_LIST, PROFILE_LIST and TIME_LIST (-1 where not one of them)."""
    global _TABLE
    if _TABLE is None:
        raw, keys, lengths, info = scan_names()
        size = 1 << 10
        table = np.full(size, -1, np.int64)
        for i, b in enumerate(raw):
            h = _hash(b) & (size - 1)
            while table[h] >= 0:
                h = (h + 1) & (size - 1)
            table[h] = i
        _TABLE = table, keys, lengths, info
    return _TABLE


def _hash(b: bytes) -> int:
    """``freeswitch_xml_kernels.name_hash`` of a name."""
    n = len(b)
    return n * 0x9E37 + b[0] * 0x2F1 + b[-1] * 0x107 + b[n // 2] * 0x3B + b[n * 3 // 4] * 0x1F3


def _tails_into_next(starts: np.ndarray, fast: np.ndarray, paired: np.ndarray) -> np.ndarray:
    """Which documents stay read here. The numpy scan took the text after a document's last
    tag up to the next tag's '<': where the next document's first '<' is no tag, that text
    ran on into the next document (not white space, so the document went to the exact
    reader), except at the end of one of its batches of ``BATCH`` bytes. Kept as it was:
    the exact reader reads such a document the same way."""
    k = len(starts)
    batch_last = np.zeros(k, bool)
    k0 = 0
    while k0 < k:
        k1 = int(np.searchsorted(starts, starts[k0] + BATCH, side="right"))
        k1 = min(max(k1, k0 + 1), k)
        batch_last[k1 - 1] = True
        k0 = k1
    keep = np.ones(k, bool)
    keep[:-1] = ~(fast[:-1] & ~paired[1:] & ~batch_last[:-1])
    return keep


def _texts(data: bytes, got: Gathered) -> list[pa.Array]:
    """The text of every field (a column per field), the variables URL-decoded as
    ``unquote_array`` does: a value an escape past ASCII decodes is decoded by ``unquote``
    itself, from the file's text."""
    raw = [text_array(*got.field(f)) for f in range(_FIELDS)]
    wide: dict[int, list[tuple[int, int, int]]] = {}
    for f, row, a, b in got.wide:
        wide.setdefault(f, []).append((row, a, b))
    for f, spans in wide.items():
        mask = np.zeros(got.rows, bool)
        mask[[row for row, _, _ in spans]] = True
        fixed = [unquote(data[a:b].decode()) for _, a, b in spans]
        raw[f] = pc.replace_with_mask(raw[f], pa.array(mask), pa.array(fixed, pa.string()))
    return raw


def _columns(cols: list[pa.Array]) -> dict[str, pa.Array]:
    """FIELDS from the texts ``_read`` took, as ``LegColumns.finish`` makes them."""
    nv, np_ = len(VAR_LIST), len(PROFILE_LIST)
    var = dict(zip(VAR_LIST, cols))  # (URL-decoded by ``gather``)
    prof = {key: cols[nv + i] for i, key in enumerate(PROFILE_LIST)}
    times = {key: micros(cols[nv + np_ + i], 1) for i, key in enumerate(TIME_LIST)}
    return legs_columns(var, prof, times)
