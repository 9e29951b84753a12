"""FreeSWITCH JSON documents: the exact document reader, and its line-at-a-time driver.

``_json_docs`` is the exact reader: orjson on the text up to the next line starting with
``{``, the standard decoder (errors, line numbers) for whatever orjson refuses. Walking the
text with it cost ~10 µs a document in Python (finds, slices, line counts) on top of orjson,
and a damaged document ~12 µs more for its error message.

``line_docs`` gives the same documents from the raw bytes: one numpy pass finds the lines
starting with ``{`` (where the exact reader's documents and windows start and end) and each
window is handed to orjson as a slice of the bytes. Only what it refuses goes through the
exact reader, run on the stretch of text between two such known outcomes. Past the first
``MAX_BAD_KEPT`` bad documents (whose error text is kept) a line that cannot decode by its
bytes alone (``_broken``) is counted without being decoded: the exact reader would resume at
the next line starting with ``{`` whatever its error.

``scanned_docs`` runs ``line_docs`` on what the byte scan of a large file
(``freeswitch_json_scan``) left: the windows it did not prove plain, run by run.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .positional import clean_utf8

try:  # ~3x faster than the standard decoder on CDR documents; the reader works without it
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency
    orjson = None  # type: ignore[assignment]

Doc = tuple[int, Any, str, str, "str | None"]
_SEPARATORS = re.compile(r"[\s,\[\]]*")
_BLANKS = re.compile(r"[ \t\n\r]*")  # the white space orjson allows after a value
_TRAIL = " \t\n\r,[]"  # separators orjson's window may end with (all in _SEPARATORS)


class Overshoot(Exception):
    """A stretch of text read by the exact reader ended where its last document may run on
    (the full text would have widened the decoding window past it): read the file whole."""


class _Find:
    """``text.find(pattern, at)`` for ``at`` that only grow between calls (documents in file
    order), each answer reused while it lies ahead: a line of many documents (files joined
    without a line end between them) searched to its end once, not once per document."""

    def __init__(self, text: str, pattern: str) -> None:
        self.text, self.pattern = text, pattern
        self.start, self.found = 0, self.text.find(pattern)

    def __call__(self, at: int) -> int:
        if not self.start <= at <= (len(self.text) if self.found < 0 else self.found):
            self.start, self.found = at, self.text.find(self.pattern, at)
        return self.found


def _text_after(text: str, at: int, end: int) -> bool:
    """Whether ``text[at:end]`` holds more than white space (without copying it)."""
    blanks = _BLANKS.match(text, at)
    return blanks is not None and blanks.end() < end


#: a window longer than this (a line of many documents) is first decoded from shorter ones,
#: from ``FIRST_WINDOW`` on (see ``_first_doc``)
LONG_WINDOW, FIRST_WINDOW = 1 << 16, 1 << 12


def _first_doc(dec: json.JSONDecoder, text: str, i: int, stop: int) -> tuple[object, int] | None:
    """``dec.raw_decode(text[i:stop])`` when it decodes from a shorter window, each 4 times
    the one before, else None (the caller decodes the whole window): no copy of a long
    window (the rest of a line of many documents) per document. Exact: a document whose
    closing brace lies inside the shorter window is read from the same characters, and a
    failure there says nothing (the whole window decides)."""
    size = FIRST_WINDOW
    while i + size < stop:
        try:
            doc, end = dec.raw_decode(text[i:i + size])
        except (ValueError, RecursionError):
            size *= 4
            continue
        return doc, i + end
    return None


def _decode_doc(dec: json.JSONDecoder, text: str, i: int, final: bool = True,
                find: _Find | None = None, shorter: bool = True) -> tuple[object, int]:
    """One JSON document starting at ``text[i]`` and the offset after it.

    ``JSONDecodeError`` counts lines from the start of the string it was given, so decoding
    in the whole text makes every damaged document cost the text before it (quadratic).
    Decode inside a window that ends at the next line starting with ``{`` (where the next
    document of a JSON-lines or pretty-printed file begins: JSON text holds no raw newline
    inside a string), widened by doubling while the document runs past it. ``final``: the
    text ends where the file does (else a window cut at its end raises ``Overshoot``).

    A document running on over more than ``MAX_JOINED`` lines that start with ``{`` is taken
    as cut, with the error of its own window: a line cut after ``"key":`` takes the next
    document as its value, that one the next, and so on (a file of such lines cost ~1000
    documents' decoding for each, nesting up to Python's limit: 16,000 of them over a
    minute), while a document written with its inner objects at the start of a line
    (``indent=0``) has a few such lines (FreeSWITCH indents them, or writes one line).
    ``find``: the searches for a line starting with ``{``, reused from one document to the
    next (``_Find``); ``shorter``: a long window is first decoded from shorter ones (False:
    the caller found they do not hold the document)."""
    n = len(text)
    width = 0
    first: json.JSONDecodeError | None = None
    limit = n  # (once cut: the window holding MAX_JOINED such lines, the widest tried)
    tried = i
    find = find or _Find(text, "\n{")
    while True:
        nxt = find(i + 1 + width)
        stop = n if nxt < 0 else nxt + 1
        if shorter and width == 0 and stop - i > LONG_WINDOW:
            got = _first_doc(dec, text, i, stop)
            if got is not None:
                return got
        if first is not None and stop > limit:
            if tried >= limit:  # the widest window failed: the document runs on past it
                raise first
            stop = limit
        tried = stop
        try:
            doc, end = dec.raw_decode(text[i:stop])
            return doc, i + end
        except json.JSONDecodeError as exc:
            # ran out of window
            cut = (stop < n or not final) and exc.pos >= len(text[i:stop].rstrip())
            # a raw control character (a line cut inside a string) fails wherever it is
            if not cut or (exc.pos < stop - i and exc.msg.startswith("Invalid control")):
                raise
            if stop >= n:
                raise Overshoot() from None
            if first is None:
                first, limit = exc, _joined_limit(text, i, n)
            width = max(2 * width, stop - i)


#: lines starting with ``{`` a document may run on over before it is taken as cut
MAX_JOINED = 32


def _joined_limit(text: str, i: int, n: int) -> int:
    """The end of the widest window from ``i``: just before its (MAX_JOINED + 1)-th line
    starting with ``{`` (``n`` when there are not so many)."""
    at = i
    for _ in range(MAX_JOINED + 1):
        at = text.find("\n{", at + 1)
        if at < 0:
            return n
    return at + 1


def _json_docs(text: str, fast: bool = True, take: Callable[[Any], bool] | None = None,
               taken: list[int] | None = None, line0: int = 1, final: bool = True
               ) -> Iterator[Doc]:
    """(line, document or None, error, first line text, window) per JSON document.

    ``window``: the text orjson decoded the document from (None when the standard decoder
    did). orjson takes the text up to the next line starting with ``{`` as one document;
    anything it refuses (damage, NaN, several documents on a line, …) is decoded by the
    standard decoder exactly as before, errors and line numbers included. ``take``: a
    document orjson decoded for which ``take(doc)`` is true is not yielded; its line goes
    to ``taken`` (saves a round trip through the generator per document). ``line0``: the
    line ``text`` starts on; ``final``: see ``_decode_doc`` (``text`` then ends with the
    line end before a line starting with ``{``)."""
    dec = json.JSONDecoder()
    loads = orjson.loads if (fast and orjson is not None) else None
    i, n = 0, len(text)
    line, counted = line0, 0
    find_eol, find_doc = _Find(text, "\n"), _Find(text, "\n{")
    while i < n:
        if text[i] != "{":  # (where the last window ended: no separator to skip)
            i = _SEPARATORS.match(text, i).end()  # type: ignore[union-attr]  # (matches empty)
            if i >= n:
                break
        line += text.count("\n", counted, i)  # from the previous document: linear in the file
        counted = i
        long_window = False  # (shorter windows tried already: see below)
        if loads is not None:
            eol = find_eol(i)  # one memchr; the window ends at the next "\n{"
            if eol < 0:
                stop = n
            elif text[eol + 1:eol + 2] == "{":
                stop = eol + 1
            else:
                nxt = find_doc(eol)
                stop = n if nxt < 0 else nxt + 1
            end = stop
            while end > i and text[end - 1] in _TRAIL:
                end -= 1
            # A window not ending in "}" holds no whole object (a cut line): no orjson try.
            # orjson reads objects nested up to 1024 deep where the standard decoder gives up
            # near 1000: a document nested that deep (not a CDR) is read instead of refused.
            # A long window (a line of many documents) whose first document ends before
            # more text: orjson would refuse it (it reads one value), so the standard
            # decoder's document is taken as it would be after that refusal, without a copy
            # of the rest of the line per document.
            long_window = end - i > LONG_WINDOW
            early = _first_doc(dec, text, i, end) if long_window else None
            if (early is None or not _text_after(text, early[1], end)) and text[end - 1] == "}":
                window = text[i:end]
                try:
                    doc = loads(window)
                except ValueError:
                    doc = None
                if type(doc) is dict:
                    if take is not None and taken is not None and take(doc):
                        taken.append(line)
                    else:
                        yield line, doc, "", "", window
                    if stop == eol + 1:  # one line: its newline is the only one
                        line += 1
                        counted = stop
                    i = stop
                    continue
            if early is not None:  # (what ``_decode_doc`` gives, decoded already)
                yield line, early[0], "", "", None
                i = early[1]
                continue
        try:
            doc, end = _decode_doc(dec, text, i, final, find_doc, not long_window)
        except json.JSONDecodeError as exc:
            nxt = find_doc(i + 1)
            eol = find_eol(i)
            where = f" (line {line + exc.lineno - 1}, column {exc.colno})"
            yield line, None, f"JSON: {exc.msg}{where}", text[i:eol if eol >= 0 else n], None
            i = n if nxt < 0 else nxt + 1
            continue
        except RecursionError:  # nesting deeper than Python's stack: not a CDR document
            nxt = find_doc(i + 1)
            eol = find_eol(i)
            yield line, None, "JSON nested too deeply to be a CDR document", \
                text[i:eol if eol >= 0 else n], None
            i = n if nxt < 0 else nxt + 1
            continue
        yield line, doc, "", "", None
        i = end


# ---------------------------------------------------------------- the lines of the bytes

@dataclass
class JsonLines:
    """The lines starting with ``{`` (where the exact reader's documents start once it
    reaches them), as lists: offset of the ``{``, its line end (offset of the ``\\n`` or the
    file's end), the end of orjson's window (the next such line's start less trailing
    separators) and the line number (1-based)."""
    starts: list[int]
    eols: list[int]
    ends: list[int]
    lines: list[int]
    closed: list[bool]  # the window ends with "}" (else it holds no whole object)


BLOCK = 1 << 20
_TRAIL_BYTE = np.zeros(256, bool)
_TRAIL_BYTE[np.frombuffer(_TRAIL.encode(), np.uint8)] = True


def _newlines(arr: np.ndarray) -> np.ndarray:
    """Offsets of every ``\\n``, block by block (a whole-file mask costs more in page faults
    than the comparison)."""
    hit = np.empty(BLOCK, bool)
    out = [np.zeros(0, np.int64)]
    for at in range(0, len(arr), BLOCK):
        part = arr[at:at + BLOCK]
        h = hit[:len(part)]
        np.equal(part, 10, out=h)
        out.append(np.flatnonzero(h) + at)
    return np.concatenate(out)


def scan_lines(data: bytes) -> JsonLines | None:
    """``JsonLines`` of ``data``; None when it is not UTF-8 (the text reader replaces bad
    bytes, so offsets in the bytes and the text would differ: read the text throughout)."""
    if not clean_utf8(data):
        return None
    n = len(data)
    arr = np.frombuffer(data, np.uint8)
    nl = _newlines(arr)
    line_start = np.concatenate([np.zeros(1, np.int64), nl + 1])
    line_end = np.append(nl, n)
    inside = line_start < n
    line_start, line_end = line_start[inside], line_end[inside]
    is_doc = arr[line_start] == 123
    starts = line_start[is_doc]
    eols = line_end[is_doc]
    lines = np.flatnonzero(is_doc) + 1
    ends = np.append(starts[1:], n)[:len(starts)]
    # the window less trailing separators (never past its "{", which is not one)
    for _ in range(8):
        trail = _TRAIL_BYTE[arr[ends - 1]] if len(ends) else np.zeros(0, bool)
        if not trail.any():
            break
        ends[trail] -= 1
    else:
        for k in np.flatnonzero(_TRAIL_BYTE[arr[ends - 1]]).tolist():
            ends[k] = len(data[:ends[k]].rstrip(_TRAIL.encode()))
    closed = arr[ends - 1] == 125 if len(ends) else np.zeros(0, bool)
    return JsonLines(starts.tolist(), eols.tolist(), ends.tolist(), lines.tolist(),
                     closed.tolist())


def _broken(data: bytes, start: int, eol: int) -> bool:
    """The document starting at ``start`` cannot decode, by its first line alone: no '\\'
    (every '"' opens or closes a string), an odd number of '"' (the line ends inside a
    string: a raw line end or the file's end follows), no '}' or ']' (its object cannot
    end before). Both decoders then refuse it, whatever the lines after it hold."""
    line = data[start:eol]  # (a copy: ``data`` may be a mapping, which has no ``count``)
    return (line.count(b'"') % 2 == 1 and line.find(b"\\") < 0 and line.find(b"}") < 0
            and line.find(b"]") < 0)


def line_docs(data: bytes, scanned: JsonLines, take: Callable[[Any], bool], taken: list[int],
              bad: list[Any], max_bad: int, first: int = 0, stop: int | None = None
              ) -> Iterator[Doc]:
    """``_json_docs(data.decode(), True, take, taken)``, the documents orjson reads in one
    window taken straight from the bytes. ``bad``: the bad documents kept so far (by the
    caller); once ``max_bad`` are, a ``_broken`` document is yielded with no error text.
    ``first``/``stop``: the stretch of the file ``scanned`` covers (``stop``: where the
    window after its last one starts, a document orjson reads)."""
    assert orjson is not None
    loads = orjson.loads
    view = memoryview(data)
    n = len(data)
    end = n if stop is None else stop
    starts = scanned.starts
    # a stretch left to the exact reader
    seg = first if (not starts or starts[0] > first) else -1
    seg_line = 1

    def stretch(a: int, b: int, line0: int) -> Iterator[Doc]:
        return _json_docs(data[a:b].decode("utf-8"), True, take, taken, line0, b >= n)

    for s, e, eol, line, closed in zip(starts, scanned.ends, scanned.eols, scanned.lines,
                                       scanned.closed):
        if closed:
            try:
                doc = loads(view[s:e])
            except ValueError:
                doc = None
            if doc is not None:  # (a dict: the window starts with "{")
                if seg >= 0:  # (before ``take``: the legs are added in file order)
                    yield from stretch(seg, s, seg_line)
                    seg = -1
                if take(doc):
                    taken.append(line)
                else:  # not of the usual shape: the exact reader's, with its window
                    seg, seg_line = s, line
                continue
        if len(bad) >= max_bad and _broken(data, s, eol):
            if seg >= 0:
                yield from stretch(seg, s, seg_line)
                seg = -1
            yield line, None, "", "", None
            continue
        if seg < 0:
            seg, seg_line = s, line
    if seg >= 0:
        yield from stretch(seg, end, seg_line)


def scanned_docs(data: bytes, scanned: Any, take: Callable[[Any], bool], taken: list[int],
                 bad: list[Any], max_bad: int, marks: list[tuple[int, int]],
                 unkept: list[int]) -> Iterator[Doc]:
    """``line_docs`` of the windows the byte scan (``freeswitch_json_scan.JsonScan``) did not
    read, run by run: a plain window ends the stretch before it as a document orjson reads
    did. ``marks``: (window, rows in ``taken``) after each run, to put the scan's rows back
    in file order. Once ``max_bad`` bad documents are kept, a ``_broken`` window also ends a
    stretch and is only counted (in ``unkept``), as ``line_docs`` would count it."""
    from .freeswitch_json_kernels import BROKEN, CLOSED, PLAIN

    n = len(data)
    flags = scanned.flags
    k_all = len(flags)

    def run(lo: int, hi: int) -> Iterator[Doc]:
        sub = JsonLines(scanned.starts[lo:hi].tolist(), scanned.eols[lo:hi].tolist(),
                        scanned.ends[lo:hi].tolist(), scanned.lines[lo:hi].tolist(),
                        ((flags[lo:hi] & CLOSED) > 0).tolist())
        first = 0 if lo == 0 else int(scanned.starts[lo])
        yield from line_docs(data, sub, take, taken, bad, max_bad, first,
                             int(scanned.starts[hi]) if hi < k_all else n)
        marks.append((hi, len(taken)))

    hard = (flags & PLAIN) == 0
    if not k_all:  # no window: the whole file is a stretch
        yield from run(0, 0)
        return
    for lo, hi in _runs(hard):
        if len(bad) >= max_bad:  # from here a broken window is counted, never decoded
            rest = np.zeros(k_all, bool)
            rest[lo:] = hard[lo:]
            broken = rest & ((flags & BROKEN) > 0)
            unkept[0] += int(np.count_nonzero(broken))
            for lo2, hi2 in _runs(rest & ~broken):
                yield from run(lo2, hi2)
            return
        yield from run(lo, hi)


def _runs(mask: np.ndarray) -> Iterator[tuple[int, int]]:
    """(first, past last) of each run of True in ``mask``, made as they are asked for: once
    enough bad documents are kept, the caller stops asking (a benchmark file with a damaged
    document in three has 125 k runs at 250 k documents; their list cost 0.03 s)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.view(np.int8), [0]])))
    for k in range(0, len(edges), 2):
        yield int(edges[k]), int(edges[k + 1])
