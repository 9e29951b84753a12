"""ORACLE of ``tests/test_freeswitch_xml_kernels.py``: the numpy scan of FreeSWITCH XML files
as committed before the byte kernel (``freeswitch_xml_kernels``) replaced it, unchanged but
for its imports. Keep it as it is: the kernel must decide as it does.

FreeSWITCH ``<cdr>`` documents read from the raw bytes of the whole file at once.

Parsing each document with ElementTree (~50 µs a leg with the Python around it) was nearly
all of the XML reader's time. Here the markup of every document is scanned together with
numpy: the ``<`` … ``>`` tags, their depth, the matching of every end tag with its start
tag, and the few elements the reader takes (``variables``, one ``callflow`` with its
``caller_profile`` and ``times``). A document is read this way only when the scan proves
it is well-formed in a plain subset of XML that expat reads the same way: ASCII names
without prefixes, quoted attributes (unique, no ``xmlns``), no ``]]>``, comment, CDATA, PI
or DTD inside it, no '&' but the five predefined entities and character references to
allowed characters (and none in a value taken), no character XML forbids, nothing but
white space (and the next document's ``<?xml …?>``, as ``_without_next_decl`` cuts it)
after its root. Every other document (damaged, other entities, several callflows, …) is
left to the per-document parse, which also gives its error and its repair note. No entity
is ever expanded here, and a document holding ``<!`` (a DTD) is not read by this scan.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.ingest.formats.switches.freeswitch_legs import (
    PROFILE_LIST,
    TIME_LIST,
    VAR_LIST,
    legs_columns,
    micros,
    unquote_array,
)

_NAME = r"[A-Za-z_][A-Za-z0-9._\-]*"
_WS = "[ \t\r\n]"
_START = re.compile(rf"<({_NAME})((?:{_WS}+{_NAME}{_WS}*={_WS}*\"\")*){_WS}*(/?)>")
_END = re.compile(rf"</({_NAME}){_WS}*>")
_ATTR_NAME = re.compile(rf"{_WS}+({_NAME}){_WS}*=")
_DECL = re.compile(r"<\?xml[^>]*\?>")
_QUOTED = "\"[^\"<]*\"|'[^'<]*'"  # attribute values as written: replaced by "" to classify
_BLANK = re.compile(r"^[ \t\r\n]*$")
START, END, EMPTY, DECL, BAD = 0, 1, 2, 3, 4
_DELTA = np.array([1, -1, 0, 0, 0], np.int32)
MAX_LEVEL = 1000  # deeper than any CDR: left to the exact reader


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
    whole = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), 1, [None, pa.py_buffer(np.array([0, len(data)], np.int64)),
                               pa.py_buffer(data)])
    try:  # the text reader replaces bad bytes: only a valid file is read from its bytes
        whole.cast(pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    arr = np.frombuffer(data, np.uint8)
    marks, is_lt, low, starts = _positions(arr)
    if starts is None:
        return None
    k = len(starts)
    low_byte = arr[low]
    lines = 1 + np.searchsorted(low[low_byte == 10], starts)
    odd = np.zeros(k, bool)
    broken = np.zeros(k, bool)
    if k == 0:
        return XmlScan(starts, lines, odd, broken, {})
    _flag(odd, starts, low[(low_byte != 9) & (low_byte != 10) & (low_byte != 13)])
    crs = low[low_byte == 13]
    del low, low_byte
    refs = _odd_bytes(arr, data, marks, is_lt, starts, odd)
    # a CR or a reference in an element's text: expat's value is not the bytes as written
    special = np.union1d(crs, refs)
    # documents a batch at a time: every temporary stays small (see ``_positions``)
    view = memoryview(data)
    names: dict[str, int] = {}
    parts: list[list[pa.Array]] = []
    bad = np.zeros(k, bool)
    k0 = 0
    while k0 < k:
        k1 = int(np.searchsorted(starts, starts[k0] + BATCH, side="right"))
        k1 = min(max(k1, k0 + 1), k)
        lo, hi = int(starts[k0]), int(starts[k1]) if k1 < k else len(data)
        m0, m1 = np.searchsorted(marks, lo), np.searchsorted(marks, hi)
        s0, s1 = np.searchsorted(special, lo), np.searchsorted(special, hi)
        got, bad[k0:k1] = _read(view[lo:hi], marks[m0:m1] - lo, is_lt[m0:m1],
                                starts[k0:k1] - lo, odd[k0:k1], broken[k0:k1], names,
                                special[s0:s1] - lo)
        parts.append(got)
        k0 = k1
    raw = [pa.concat_arrays([p[i] for p in parts]) for i in range(len(parts[0]))]
    return XmlScan(starts, lines, ~bad, broken & ~odd, _columns(raw))


BLOCK = 1 << 20
BATCH = 8 << 20  # bytes of documents scanned together
_FIELDS = len(VAR_LIST) + len(PROFILE_LIST) + len(TIME_LIST)


def _positions(arr: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """(offsets of every '<' and '>', which of them is a '<', offsets of every byte below
    32 (line ends, tabs, controls), ``_cdr_starts``).

    Block by block into buffers used again: whole-file temporaries cost more in page
    faults and cache misses (hundreds of MB touched once) than the comparisons."""
    word = np.empty(BLOCK, np.uint8)
    hit = np.empty(BLOCK, bool)
    marks: list[np.ndarray] = []
    is_lt: list[np.ndarray] = []
    low: list[np.ndarray] = []
    cdr: list[np.ndarray] = []
    size = len(arr)
    for at in range(0, size, BLOCK):
        part = arr[at:at + BLOCK]
        w, h = word[:len(part)], hit[:len(part)]
        np.bitwise_or(part, 2, out=w)
        np.equal(w, 62, out=h)
        m = np.flatnonzero(h)
        lt_here = part[m] == 60
        marks.append(m + at)
        is_lt.append(lt_here)
        np.less(part, 32, out=h)
        low.append(np.flatnonzero(h) + at)
        c = m[lt_here] + at
        c = c[c + 4 < size]  # (a "<cdr" ending the file: see below)
        c = c[arr[c + 1] == 99]
        cdr.append(c[(arr[c + 2] == 100) & (arr[c + 3] == 114)])
    if not marks:
        z = np.zeros(0, np.int64)
        return z, np.zeros(0, bool), z, z
    starts = _cdr_starts(arr, np.concatenate(cdr))
    return np.concatenate(marks), np.concatenate(is_lt), np.concatenate(low), starts


_CDR_NEXT = np.full(256, -1, np.int8)  # byte after "<cdr": 1 starts a document, 0 a longer
# name; -1 what a str pattern's \s may match but a bytes pattern's does not (\x1c-\x1f,
# non-ASCII spaces): the exact reader reads that file
_CDR_NEXT[np.frombuffer(b" \t\n\r\x0b\x0c>", np.uint8)] = 1
_CDR_NEXT[np.frombuffer(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-:/",
                        np.uint8)] = 0


def _cdr_starts(arr: np.ndarray, cdr: np.ndarray) -> np.ndarray | None:
    """Offsets of the text pattern ``_CDR_TAG``'s matches (a '<' followed by ``cdr`` and an
    ASCII white space or '>') among the offsets ``cdr`` of "<cdr"; None when one is followed
    by a byte on which the text and byte patterns may differ (``_CDR_NEXT``), or ends the
    file (also left to the exact reader)."""
    if len(arr) >= 4 and bytes(arr[-4:]) == b"<cdr":
        return None
    how = _CDR_NEXT[arr[cdr + 4]]
    if (how < 0).any():
        return None
    found: np.ndarray = cdr[how == 1].astype(np.int64)
    return found


def _odd_bytes(arr: np.ndarray, data: bytes, marks: np.ndarray, is_lt: np.ndarray,
               starts: np.ndarray, odd: np.ndarray) -> np.ndarray:
    """Mark the documents holding a '&' that starts no predefined entity or character
    reference expat reads (``_references``), ``]]>``, or U+FFFE / U+FFFF (characters XML
    forbids): memchr first, a CDR file normally has none. Returns the offsets of the
    references (the value of an element holding one is left to the exact reader)."""
    refs = np.zeros(0, np.int64)
    if data.find(b"&") >= 0:
        amp = np.flatnonzero(arr == 38)
        ok = _references(arr, data, amp)
        _flag(odd, starts, amp[~ok])
        refs = amp[ok]
    if data.find(b"]") >= 0 and data.find(b"]]>") >= 0:  # (memchr, then a slower find)
        gt = marks[~is_lt]
        gt = gt[gt >= 2]
        _flag(odd, starts, gt[(arr[gt - 1] == 93) & (arr[gt - 2] == 93)])
    if data.find(b"\xef") >= 0 and data.find(b"\xef\xbf") >= 0:  # (memchr, then a slow find)
        for m in re.finditer(rb"\xef\xbf[\xbe\xbf]", data):
            _flag(odd, starts, np.array([m.start()], np.int64))
    return refs


_NAMED = (b"&amp;", b"&lt;", b"&gt;", b"&quot;", b"&apos;")
_CHAR_REF = re.compile(rb"&#(?:([0-9]{1,8})|x([0-9A-Fa-f]{1,6}));")


def _references(arr: np.ndarray, data: bytes, amp: np.ndarray) -> np.ndarray:
    """Which '&' at the offsets ``amp`` start a reference expat reads without a DTD: one of
    the five predefined entities, or a character reference to a character XML allows."""
    ok = np.zeros(len(amp), bool)
    for ref in _NAMED:
        fits = amp + len(ref) <= len(arr)
        hit = fits.copy()
        for i, byte in enumerate(ref[1:], 1):
            hit[fits] &= arr[amp[fits] + i] == byte
        ok |= hit
    for i in np.flatnonzero(~ok & (np.minimum(amp + 1, len(arr) - 1) < len(arr))).tolist():
        m = _CHAR_REF.match(data, int(amp[i]))
        if m:
            code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
            ok[i] = code in (9, 10, 13) or 0x20 <= code <= 0xD7FF or \
                0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF
    return ok


def _flag(bad: np.ndarray, starts: np.ndarray, pos: np.ndarray) -> None:
    """Mark the documents holding the byte offsets ``pos`` (text before the first: none)."""
    doc = np.searchsorted(starts, pos, side="right") - 1
    bad[doc[doc >= 0]] = True


def _read(data: memoryview, marks: np.ndarray, is_lt: np.ndarray, starts: np.ndarray,
          odd: np.ndarray, broken: np.ndarray, names: dict[str, int], special: np.ndarray
          ) -> tuple[list[pa.Array], np.ndarray]:
    """(text of each field the reader takes, of the documents read here; which documents
    were not read) for the documents starting at ``starts`` (offsets into ``data``, which
    ends where the last document does). ``odd``: documents whose markup is not of the plain
    kind (marked here and before); ``broken``: see ``XmlScan``; ``names``: tag name → id;
    ``special``: offsets of the CRs and references."""
    nxt_gt = np.append(~is_lt[1:], False)
    pair = is_lt & nxt_gt  # a '<' whose next mark is a '>': a tag
    lone = ~pair & is_lt | ~is_lt & ~np.append(False, pair[:-1])  # '<' in a tag, '>' in text
    _flag(odd, starts, marks[lone])
    at = np.flatnonzero(pair)
    lt, gt = marks[at], marks[at + 1]
    del marks, is_lt, nxt_gt, pair, lone, at
    n = len(lt)
    k = len(starts)
    first = np.searchsorted(lt, starts)  # each document's first tag
    ok_first = first < n
    ok_first[ok_first] = lt[first[ok_first]] == starts[ok_first]
    odd |= ~ok_first
    if n == 0:
        odd[:] = True
        return [pa.nulls(0, pa.string())] * _FIELDS, odd.copy()
    # tags and the text after each, alternately, in one string array over the file's bytes
    offs = np.empty(2 * n, np.int64)
    offs[0::2], offs[1::2] = lt, gt + 1
    big = len(data) >= 2**31 - 1
    otype = np.int64 if big else np.int32
    alt = (pa.LargeStringArray if big else pa.StringArray).from_buffers(
        2 * n - 1, pa.py_buffer(offs.astype(otype)), pa.py_buffer(data))
    del offs
    tag_codes, kind_of, name_of = _classify(
        alt.take(pa.array(np.arange(0, 2 * n - 1, 2, dtype=np.int64))), names)
    kind = kind_of[tag_codes]
    name = name_of[tag_codes]
    del tag_codes
    # documents by tag: tags before the first <cdr (a declaration) belong to none
    mark = np.zeros(n + 1, np.int32)
    np.add.at(mark, np.minimum(first, n), 1)
    doc = np.cumsum(mark[:n]) - 1
    del mark
    _flag_docs(odd, doc, kind == BAD)
    delta = _DELTA[kind]
    depth_after = np.cumsum(delta)
    base = depth_after[np.minimum(first, n - 1)] - delta[np.minimum(first, n - 1)]
    inside = doc >= 0
    dd = np.where(inside, doc, 0)
    depth_after = depth_after - base[dd]
    # the root ends at the first tag after which the depth is back at 0
    zero = np.flatnonzero((depth_after == 0) & inside)
    zi = np.searchsorted(zero, first)
    nxt_first = np.append(first[1:], n)
    has_end = zi < len(zero)
    root_end = np.full(k, -1, np.int64)
    root_end[has_end] = zero[zi[has_end]]
    has_end &= (root_end < nxt_first) & (root_end >= first)
    broken |= ~has_end  # (of a document whose markup is plain: an unclosed element)
    root_end[~has_end] = -1
    odd |= kind[np.minimum(first, n - 1)] != START  # <cdr/> or a tag the root is not
    skip = np.zeros(k, bool)  # neither odd nor broken, yet not read here
    _check_tails(alt, bytes(data[int(gt[-1]) + 1:]), kind, first, nxt_first, root_end, skip, n)
    in_root = inside & (np.arange(n) <= root_end[dd]) & has_end[dd]
    # an element's level: the depth inside it (an end tag: the depth before it)
    level = np.where(delta == 1, depth_after, depth_after + 1)
    _flag_docs(odd, doc, in_root & (kind == DECL))  # a declaration inside a root
    too_deep = in_root & (level > MAX_LEVEL)
    _flag_docs(odd, doc, too_deep)
    level = np.clip(level, 0, MAX_LEVEL).astype(np.int16)
    match_end = _match(kind, name, level, in_root, doc, broken)
    del depth_after, delta
    bad = odd | broken | skip
    text_len = np.append(lt[1:] - gt[:-1] - 1, 0)  # bytes of text after each tag
    text_odd = np.zeros(n, bool)  # a CR or a reference in the text after the tag
    after = np.searchsorted(lt, special, side="right") - 1
    text_odd[after[(after >= 0) & (special > gt[np.maximum(after, 0)])]] = True
    return _extract(alt, kind, name, names, level, doc, in_root, match_end, bad, k, text_len,
                    text_odd), bad


def _flag_docs(bad: np.ndarray, doc: np.ndarray, where: np.ndarray) -> None:
    d = doc[where]
    bad[d[d >= 0]] = True


def _classify(tags: pa.Array, names: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(code of each tag, kind and name id of each code) from the distinct tags; new names
    are added to ``names``.

    Attribute values are blanked first (``_QUOTED``): the distinct forms left are few (the
    root tags of a file differ by their UUIDs), each checked by the patterns above."""
    enc = pc.dictionary_encode(tags)
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    uniq = enc.dictionary
    skel = pc.dictionary_encode(pc.replace_substring_regex(uniq, _QUOTED, '""'))
    forms = skel.dictionary.to_pylist()
    kinds = np.empty(len(forms), np.int8)
    ids = np.empty(len(forms), np.int32)
    for i, form in enumerate(forms):
        kinds[i], ids[i] = _form(form, names)
    which = skel.indices.to_numpy(zero_copy_only=False)
    return codes, kinds[which], ids[which]


def _form(tag: str, names: dict[str, int]) -> tuple[int, int]:
    """Kind and name id of a tag with its attribute values blanked (BAD: not read here)."""
    m = _END.fullmatch(tag)
    if m:
        return END, names.setdefault(m.group(1), len(names))
    m = _START.fullmatch(tag)
    if m:
        attrs = _ATTR_NAME.findall(m.group(2))
        if len(set(attrs)) < len(attrs) or any(a.startswith("xmlns") for a in attrs):
            return BAD, -1
        return (EMPTY if m.group(3) else START), names.setdefault(m.group(1), len(names))
    if _DECL.fullmatch(tag):
        return DECL, -1
    return BAD, -1


def _check_tails(alt: pa.Array, after: bytes, kind: np.ndarray, first: np.ndarray,
                 nxt_first: np.ndarray, root_end: np.ndarray, bad: np.ndarray, n: int) -> None:
    """After its root a document may hold white space and one ``<?xml …?>`` (the next
    document's declaration, which the exact reader cuts off): anything else is left to it.
    ``after``: the bytes after the file's last tag."""
    ok = root_end >= 0
    extra = np.where(ok, nxt_first - root_end - 1, 0)
    bad |= ok & (extra > 1)
    one = ok & (extra == 1)
    decl_tag = np.where(one, root_end + 1, 0)
    bad |= one & (kind[decl_tag] != DECL)
    # the text after the root's end tag and after the declaration: white space
    texts = np.concatenate([root_end[ok], decl_tag[one]])
    owner = np.concatenate([np.flatnonzero(ok), np.flatnonzero(one)])
    last = texts == n - 1  # the file's last tag: its text runs to the end of the file
    inner = ~last
    if inner.any():
        t = alt.take(pa.array(2 * texts[inner] + 1))
        blank = pc.match_substring_regex(t, _BLANK.pattern).to_numpy(zero_copy_only=False)
        bad[owner[inner][~blank]] = True
    if last.any():
        if not _BLANK.match(after.decode("utf-8")):
            bad[owner[last]] = True


def _match(kind: np.ndarray, name: np.ndarray, level: np.ndarray, in_root: np.ndarray,
           doc: np.ndarray, broken: np.ndarray) -> np.ndarray:
    """Each start tag's end tag (-1 for others); a document whose end tag names another
    element than the start tag it closes is marked.

    Inside a root the depth never reaches 0 before its end tag: at each level the start
    and end tags alternate, each end tag closing the start tag before it on that level."""
    sel = np.flatnonzero(in_root & (kind <= END))
    seq = sel[np.argsort(level[sel], kind="stable")]
    s, e = seq[0::2], seq[1::2]
    wrong = (kind[s] != START) | (kind[e] != END) | (name[s] != name[e])
    broken[doc[e[wrong]]] = True
    match_end = np.full(len(kind), -1, np.int64)
    match_end[s] = e
    return match_end


def _first_per_doc(tok: np.ndarray, doc: np.ndarray, k: int) -> np.ndarray:
    """The first of the (sorted) tags ``tok`` in each document, -1 where none."""
    out = np.full(k, -1, np.int64)
    d, i = np.unique(doc[tok], return_index=True)
    out[d] = tok[i]
    return out


def _extract(alt: pa.Array, kind: np.ndarray, name: np.ndarray, names: dict[str, int],
             level: np.ndarray, doc: np.ndarray, in_root: np.ndarray,
             match_end: np.ndarray, bad: np.ndarray, k: int, text_len: np.ndarray,
             text_odd: np.ndarray) -> list[pa.Array]:
    """``_xml_leg``'s choices for every document: the first ``variables`` child of the
    root and its children (the last of a name wins), the one ``callflow``, its first
    ``caller_profile`` (leaf children) and first ``times``."""
    nid = len(names)

    def ids(keys: tuple[str, ...]) -> np.ndarray:
        table = np.full(nid + 1, -1, np.int32)
        for i, key in enumerate(keys):
            if key in names:
                table[names[key]] = i
        return table

    def one(word: str) -> int:
        return names.get(word, -2)

    elem = in_root & (kind != END) & (kind <= EMPTY)
    name1 = np.where(name >= 0, name, nid)
    struct = np.flatnonzero(elem & np.isin(name, [one("variables"), one("callflow"),
                                                  one("caller_profile"), one("times")]))
    s_lvl, s_name = level[struct], name[struct]
    flows = struct[(s_lvl == 2) & (s_name == one("callflow"))]
    count = np.bincount(doc[flows], minlength=k)
    bad |= count > 1  # several callflows: the earliest is chosen by the exact reader

    def span(tok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        close = np.where(tok >= 0, match_end[np.maximum(tok, 0)], -1)
        close = np.where((tok >= 0) & (kind[np.maximum(tok, 0)] == EMPTY), tok, close)
        return tok, close

    var_lo, var_hi = span(_first_per_doc(
        struct[(s_lvl == 2) & (s_name == one("variables"))], doc, k))
    cf_lo, cf_hi = span(_first_per_doc(flows, doc, k))

    def within(tok: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        d = doc[tok]
        inside: np.ndarray = (lo[d] >= 0) & (tok > lo[d]) & (tok < hi[d])
        return inside

    sub = struct[s_lvl == 3]
    in_cf = sub[within(sub, cf_lo, cf_hi)]
    cp_lo, cp_hi = span(_first_per_doc(in_cf[name[in_cf] == one("caller_profile")], doc, k))
    tm_lo, tm_hi = span(_first_per_doc(in_cf[name[in_cf] == one("times")], doc, k))
    var_ix, prof_ix, time_ix = ids(VAR_LIST), ids(PROFILE_LIST), ids(TIME_LIST)
    want = (var_ix >= 0) | (prof_ix >= 0) | (time_ix >= 0)
    cand = np.flatnonzero(elem & want[name1] & (level >= 3) & (level <= 4))
    c_lvl, c_name = level[cand], name1[cand]
    leaf = (kind[cand] == EMPTY) | (match_end[cand] == cand + 1)

    def last(tok: np.ndarray, slot: np.ndarray, width: int) -> np.ndarray:
        table = np.full(k * width, -1, np.int64)
        np.maximum.at(table, doc[tok] * width + slot, tok)
        return table.reshape(k, width)

    v = (c_lvl == 3) & (var_ix[c_name] >= 0)
    v_tok = cand[v][within(cand[v], var_lo, var_hi)]
    p = (c_lvl == 4) & (prof_ix[c_name] >= 0) & leaf
    p_tok = cand[p][within(cand[p], cp_lo, cp_hi)]
    t = (c_lvl == 4) & (time_ix[c_name] >= 0)
    t_tok = cand[t][within(cand[t], tm_lo, tm_hi)]
    var_t = last(v_tok, var_ix[name1[v_tok]], len(VAR_LIST))
    prof_t = last(p_tok, prof_ix[name1[p_tok]], len(PROFILE_LIST))
    time_t = last(t_tok, time_ix[name1[t_tok]], len(TIME_LIST))

    # el.text of each chosen element, all fields in one take: None where the element is
    # absent, empty (<x/>) or holds no text before its first child
    tok = np.concatenate([var_t, prof_t, time_t], axis=1)[~bad].T.reshape(-1)
    has = tok >= 0
    has[has] = (kind[tok[has]] == START) & (text_len[tok[has]] > 0)
    got = alt.take(pa.array(2 * np.maximum(tok, 0) + 1, mask=~has))
    if pa.types.is_large_string(got.type):
        got = got.cast(pa.string())
    rows = int((~bad).sum())
    # expat reads a CR as a line feed and a reference as its character: the exact value
    # is the parser's
    cr_rows = (has & text_odd[np.maximum(tok, 0)]).reshape(-1, rows).any(axis=0) if rows \
        else np.zeros(0, bool)
    if cr_rows.any():
        keep = pa.array(np.tile(~cr_rows, len(tok) // rows))
        bad[np.flatnonzero(~bad)[cr_rows]] = True
        got, rows = got.filter(keep), int((~cr_rows).sum())
    if not rows:
        return [pa.nulls(0, pa.string())] * _FIELDS
    return [got.slice(i * rows, rows) for i in range(_FIELDS)]


def _columns(cols: list[pa.Array]) -> dict[str, pa.Array]:
    """FIELDS from the texts ``_read`` took, as ``LegColumns.finish`` makes them."""
    nv, np_ = len(VAR_LIST), len(PROFILE_LIST)
    var = {key: _var(cols[i]) for i, key in enumerate(VAR_LIST)}
    prof = {key: cols[nv + i] for i, key in enumerate(PROFILE_LIST)}
    times = {key: micros(cols[nv + np_ + i], 1) for i, key in enumerate(TIME_LIST)}
    return legs_columns(var, prof, times)


def _var(arr: pa.Array) -> pa.Array:
    """A variable as ``LegColumns`` reads it: URL-decoded where it holds a %XX escape."""
    return arr if arr.null_count == len(arr) else unquote_array(arr)
