"""FreeSWITCH per-call CDR documents: mod_xml_cdr (XML) and mod_json_cdr (JSON).

One document per leg. A file may hold one document or several in a row (JSON
lines, concatenated XML); the line of a row is the line its document starts on.
Times come from the µs epoch fields, so they are UTC whatever the server zone.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as StdET
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.common.compiled import worth_compiling
from workbench.common.errors import InputError
from workbench.common.files import regular_file

from .. import register
from ..base import BadLine, Detection, FormatProfile, ParsedTable, ReadOptions, Sample
from ..delimited import MAX_BAD_KEPT
from ..sample import read_utf8, utf8_view
from .common import UTC, count_of, finish
from .freeswitch_doc_json import (  # noqa: F401  (_decode_doc, _json_docs: tests, reference)
    Overshoot,
    _decode_doc,
    _json_docs,
    line_docs,
    scan_lines,
    scanned_docs,
)
from .freeswitch_doc_xml import XmlScan
from .freeswitch_doc_xml import scan as xml_scan
from .freeswitch_legs import LegColumns, OddValue, records_columns
from .freeswitch_record import PROFILE_KEYS, TIME_KEYS, VAR_KEYS, call_record, callflow
from .freeswitch_record import decode as _decode

try:  # ~3x faster than the standard decoder on CDR documents; the reader works without it
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency
    orjson = None  # type: ignore[assignment]

_CDR_TAG = re.compile(r"<cdr[\s>]")
_XML_DECL = re.compile(r"<\?xml[^>]*\?>\s*$")
_EMPTY: dict[str, Any] = {}  # shared, never written


# ---------------------------------------------------------------- JSON

def _json_leg(doc: Any, legs: LegColumns) -> bool:
    """Add the leg to ``legs`` when the document has the usual shape (variables an object,
    objects where objects belong); False leaves it to ``_from_json`` (and its error)."""
    if type(doc) is not dict:
        return False
    variables = doc.get("variables") or _EMPTY
    flows = doc.get("callflow")
    if type(flows) is list and len(flows) == 1:
        flows = flows[0]
        if type(flows) is not dict:
            return False
    if not flows:
        prof = times = _EMPTY
    elif type(flows) is dict:
        times = flows.get("times") or _EMPTY
        prof = flows.get("caller_profile") or _EMPTY
    else:  # several callflows: the earliest, as _from_json chooses it
        try:
            prof, times = callflow(flows)
        except (AttributeError, TypeError, ValueError):
            return False
    if type(variables) is not dict or type(times) is not dict or type(prof) is not dict:
        return False
    legs.add(variables, prof, times)
    return True


def _from_json(doc: Any) -> dict[str, Any]:
    """One document's leg by the per-leg rules: the reference ``_json_leg`` is tested against,
    and the reader (with its error) of a document of another shape."""
    variables = doc.get("variables") or {}
    var = {k: _decode(variables[k], False) for k in VAR_KEYS & variables.keys()}
    profile, times = callflow(doc.get("callflow"))
    profile = {k: _decode(profile[k], False) for k in PROFILE_KEYS & profile.keys()
               if not isinstance(profile[k], dict)}
    return call_record(var, profile, times)


# ---------------------------------------------------------------- XML

# A markup token that is well-formed: a tag with quoted attributes, a comment, a PI, CDATA.
# Any other '<' (``<sip:1001@host>``, ``"1001" <1001>`` in variables a dialplan did not
# URL-encode) and any '&' that starts no entity are text.
_TAG_OR_STRAY = re.compile(
    r"""(<(?:/?[A-Za-z_][\w.\-]*(?:\s+[\w.:\-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*/?>"""
    r"""|[?!]))|<""")
_STRAY_AMP = re.compile(r"&(?!(?:[A-Za-z][\w.\-]*|#[0-9]+|#x[0-9A-Fa-f]+);)")
_XML_POS = re.compile(r"line (\d+), column (\d+)")
_DTD_LIKE = re.compile(r"<!(?!--|\[CDATA\[)")


# A '<' that ``_TAG_OR_STRAY`` escapes: one where its markup alternative does not match.
_STRAY_LT = re.compile(
    r"""<(?!/?[A-Za-z_][\w.\-]*(?:\s+[\w.:\-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*/?>"""
    r"""|[?!])""")


def needs_repair(chunk: str) -> bool:
    """``repair_xml(chunk) != chunk``, without building the repaired text: every '<' is
    tried by ``_TAG_OR_STRAY`` (a markup match holds no other '<')."""
    return bool(_STRAY_AMP.search(chunk) or _STRAY_LT.search(chunk))


def repair_xml(chunk: str) -> str:
    """``chunk`` with stray ``<`` and ``&`` in text escaped (same lines as the original)."""
    chunk = _STRAY_AMP.sub("&amp;", chunk)
    return _TAG_OR_STRAY.sub(lambda m: m.group(1) or "&lt;", chunk)


def _fault(exc: Exception, first_line: int) -> str:
    """The parser's message with its line made a line of the file."""
    msg = str(exc)
    m = _XML_POS.search(msg)
    if m:
        msg = _XML_POS.sub(f"line {first_line + int(m.group(1)) - 1}, column {m.group(2)}", msg)
    return f"XML {msg}"


def _xml_docs(text: str, faults: list[str] | None = None
              ) -> Iterator[tuple[int, Any, str, str]]:
    """(line, root or None, error, first line text) per ``<cdr>`` document. A document that is
    not well-formed is parsed again with its stray ``<``/``&`` escaped; the fault (with its
    line) goes to ``faults`` when that reading succeeds, else to the error."""
    starts = [m.start() for m in _CDR_TAG.finditer(text)]

    def chunks() -> Iterator[tuple[int, str]]:
        line, counted = 1, 0
        for k, pos in enumerate(starts):
            line += text.count("\n", counted, pos)  # from the previous document: linear
            counted = pos
            yield line, text[pos:starts[k + 1] if k + 1 < len(starts) else len(text)]

    return _xml_chunk_docs(chunks(), faults)


def _xml_chunk_docs(chunks: Iterable[tuple[int, str]], faults: list[str] | None = None
                    ) -> Iterator[tuple[int, Any, str, str]]:
    """``_xml_docs`` of the documents given as (line, text from its ``<cdr`` to the next)."""
    for line, whole in chunks:
        yield _xml_chunk(line, whole, faults)


def _xml_parse(doc: str) -> Any:
    from defusedxml import ElementTree as ET
    # Entity bombs and external entities need a DTD: a document without any "<!" markup
    # (other than comments and CDATA) is read by the C parser, ~10x faster than
    # defusedxml's Python-level handlers; any other goes through defusedxml.
    return (ET if "<!" in doc and _DTD_LIKE.search(doc) else StdET).fromstring(doc)


def _xml_chunk(line: int, whole: str, faults: list[str] | None) -> tuple[int, Any, str, str]:
    """(line, root or None, error, first line text) of one document (``whole``: from its
    ``<cdr`` to the next document's)."""
    chunk = _without_next_decl(whole)
    try:
        return line, _xml_parse(chunk), "", ""
    except Exception as exc:  # ParseError, DTD/entity refusals from defusedxml
        fault = _fault(exc, line)
        if "forbidden" in type(exc).__name__.lower():  # a DTD or entity: never repaired
            return line, None, fault, chunk.split("\n", 1)[0]
    if not needs_repair(chunk):  # escaping changes nothing: the same error again
        return line, None, f"{fault}; still not readable after escaping stray '<' and '&' " \
                           f"({fault})", chunk.split("\n", 1)[0]
    try:
        root = _xml_parse(repair_xml(chunk))
    except Exception as exc:
        return line, None, f"{fault}; still not readable after escaping stray '<' and '&' " \
                           f"({_fault(exc, line)})", chunk.split("\n", 1)[0]
    if faults is not None:
        faults.append(f"document at line {line}: {fault}")
    return line, root, "", ""


def _without_next_decl(chunk: str) -> str:
    """The chunk less the next document's ``<?xml …?>`` at its end (``_XML_DECL``): the
    declaration holds no ">" but its last, so the search runs after the last other ">"."""
    end = len(chunk)
    while end and chunk[end - 1].isspace():  # (a line end or two: no copy of the chunk)
        end -= 1
    if not chunk.startswith("?>", end - 2) or end < 2:
        return chunk
    cut = chunk.rfind(">", 0, end - 1) + 1
    return chunk[:cut] + _XML_DECL.sub("", chunk[cut:])


def _from_xml(root: Any) -> dict[str, Any]:
    """One document's leg by the per-leg rules: the reference ``_xml_leg`` is tested against."""
    variables = root.find("variables")
    var = {el.tag: unquote(el.text or "") for el in (variables if variables is not None else [])
           if el.tag in VAR_KEYS}
    flows = []
    for cf in root.findall("callflow"):
        prof = cf.find("caller_profile")
        times = cf.find("times")
        flows.append({
            "caller_profile": {el.tag: (el.text or "") for el in (prof if prof is not None else [])
                               if len(el) == 0},
            "times": {el.tag: (el.text or "") for el in (times if times is not None else [])},
        })
    profile, times = callflow(flows)
    return call_record(var, profile, times)


def _xml_leg(root: Any, legs: LegColumns) -> bool:
    """Add the leg to ``legs`` (tag → text of its variables, chosen profile and times)."""
    variables = root.find("variables")
    var = {el.tag: el.text for el in variables} if variables is not None else _EMPTY
    legs.add(var, *callflow([_xml_flow(cf) for cf in root.findall("callflow")]))
    return True


def _xml_flow(cf: Any) -> dict[str, dict[str, Any]]:
    """One callflow's leaf caller-profile fields and times, as ``_from_xml`` takes them."""
    prof, times = cf.find("caller_profile"), cf.find("times")
    return {"caller_profile": {} if prof is None else {c.tag: c.text for c in prof if len(c) == 0},
            "times": {} if times is None else {c.tag: c.text for c in times}}


# ---------------------------------------------------------------- reading

def _read_docs(path: Path, opts: ReadOptions, kind: str) -> ParsedTable:
    if Path(path).is_dir():  # rows must point at a line of one file for the evidence read-back
        raise InputError(f"a folder of per-call {kind.upper()} documents: join them into one file "
                         f"first (e.g. cat *.{kind} > calls.{kind}); each call keeps the line its "
                         "document starts on", file=str(path))
    faults: list[str] = []
    cols, lines, bad, bad_count, enc = _doc_rows(Path(path), opts, kind, faults)
    if not len(lines) and not bad:
        raise InputError(f"no FreeSWITCH {kind.upper()} CDR document found", file=str(path))
    notes = [f"{len(lines)} {kind.upper()} documents (one per leg); times from the µs epoch "
             "fields (UTC)",
             "ingress ← sip_gateway or sip_network_ip (inbound legs); egress ← gateway of "
             "bridge_channel or sip_gateway_name (outbound legs: sip_gateway_name)",
             "calling ← caller_id_number (sip_from_user, ani); called ← destination_number; "
             "duration ← billsec; identity ← sip_identity / sip_h_identity; verstat ← "
             "sip_verstat(_detailed)"]
    if faults:
        notes.insert(0, f"WARNING: {count_of(len(faults), 'XML document')} not well-formed "
                     "(variables not URL-encoded?), read after escaping stray '<' and '&': "
                     + "; ".join(faults[:3]) + (" …" if len(faults) > 3 else ""))
    return finish(cols, lines, named=None, opts=opts, file=str(path),
                  notes=notes, bad=bad, bad_count=bad_count, encoding=enc)


def _doc_rows(path: Path, opts: ReadOptions, kind: str, faults: list[str]
              ) -> tuple[dict[str, pa.Array], np.ndarray, list[BadLine], int, str]:
    """(columns, line of each row, first bad documents, how many bad, encoding) of the file.

    A large JSON or XML file is scanned from its mapped bytes (no copy: reading 435 MB of
    XML into fresh memory cost ~0.3 s of CPU, most of it page faults) by the compiled loop
    first; any other file, or one the scan does not take, is read as before."""
    fast = True  # orjson first (an odd value: every document by the standard decoder)
    lines_too = True  # the line-at-a-time reader may read it (else the text reader)
    xml_scanned = False  # the XML scan refused the file already (not UTF-8, odd "<cdr")
    if kind == "xml" and _worth_compiled_size(regular_file(path).stat().st_size):
        try:
            with utf8_view(path, opts.encoding) as (view, enc):
                scanned = xml_scan(view)
                if scanned is not None:
                    return (*_xml_rows(view, scanned, faults), enc)
                xml_scanned = True
        except OSError:  # (not readable, not mappable: read_utf8 says why, or reads it)
            pass
    if kind == "json" and orjson is not None and \
            worth_compiling(regular_file(path).stat().st_size, COMPILED_JSON_BYTES):
        try:
            with utf8_view(path, opts.encoding) as (view, enc):
                got = _json_scan_rows(view)
            if got is not None:
                return (*got, enc)
        except OddValue:
            fast = False
        except Overshoot:  # a document may run on past a stretch: the text as before
            lines_too = False
        except OSError:  # (not readable, not mappable: read_utf8 says why, or reads it)
            pass
    data, enc = read_utf8(path, opts.encoding)
    scanned = xml_scan(data) if kind == "xml" and not xml_scanned and _worth_compiled(data) \
        else None
    got = None
    if scanned is not None:  # the documents the byte scan proved plain are read already
        got = _xml_rows(data, scanned, faults)
    elif kind == "json" and orjson is not None and fast and lines_too:
        try:
            got = _json_lines(data)
        except OddValue:
            fast = False
        except Overshoot:  # a document may run on past a stretch: the text as before
            pass
    if got is not None:
        return (*got, enc)
    text = data.decode("utf-8", errors="replace")
    del data
    try:
        return (*_rows(text, kind, faults, fast=fast), enc)
    except OddValue:  # a number orjson may have read differently: the standard decoder
        faults.clear()
        return (*_rows(text, kind, faults, fast=False), enc)


#: XML files from this size on are scanned by the compiled loop; a smaller one (a detection
#: sample, a few thousand documents) is read the exact way, which gives the same rows, unless
#: numba is loaded already: loading it costs ~0.5 s of CPU, what expat spends on ~15 k documents.
COMPILED_XML_BYTES = 4 << 20


def _worth_compiled(data: bytes) -> bool:
    return _worth_compiled_size(len(data))


def _worth_compiled_size(size: int) -> bool:
    return worth_compiling(size, COMPILED_XML_BYTES)


def _rows(text: str, kind: str, faults: list[str], fast: bool
          ) -> tuple[dict[str, pa.Array], np.ndarray, list[BadLine], int]:
    """(columns, line of each row, first bad documents, how many bad) for the whole text.

    Legs of the usual shape are gathered column-wise (``LegColumns``); any other document
    is read by the per-leg functions, and the two kinds of rows are put back in file order."""
    legs = LegColumns(decode_profile=kind == "json", strict=fast and kind == "json")
    lines: list[int] = []
    docs: Iterator[tuple[int, Any, str, str, str | None]]
    if kind == "json":
        docs = _json_docs(text, fast, lambda doc: _json_leg(doc, legs), lines)
        cols, bad, bad_count, _ = _gather(docs, kind, legs, lines, _json_leg, _from_json)
    else:
        docs = ((*d, None) for d in _xml_docs(text, faults))
        cols, bad, bad_count, _ = _gather(docs, kind, legs, lines, _xml_leg, _from_xml)
    return _present(cols), np.asarray(lines, np.int64), bad, bad_count


def _json_lines(data: bytes
                ) -> tuple[dict[str, pa.Array], np.ndarray, list[BadLine], int] | None:
    """``_rows`` of a UTF-8 JSON file read by ``line_docs`` (None: not UTF-8)."""
    scanned = scan_lines(data)
    if scanned is None:
        return None
    legs = LegColumns(decode_profile=True, strict=True)
    lines: list[int] = []
    bad: list[BadLine] = []
    docs = line_docs(data, scanned, lambda doc: _json_leg(doc, legs), lines, bad, MAX_BAD_KEPT)
    cols, bad, bad_count, _ = _gather(docs, "json", legs, lines, _json_leg, _from_json, bad)
    return _present(cols), np.asarray(lines, np.int64), bad, bad_count


def _json_scan_rows(data: Any
                    ) -> tuple[dict[str, pa.Array], np.ndarray, list[BadLine], int] | None:
    """``_json_lines`` of a JSON file (bytes or a mapping of them) its plain documents read
    by the byte scan (None: not UTF-8, or not for the scan: read as before)."""
    from .freeswitch_json_scan import scan as json_scan  # (numba: only for a large file)
    found = json_scan(data)
    return None if found is None else _json_scanned(data, found)


#: JSON files from this size on are scanned by the compiled loop (see COMPILED_XML_BYTES;
#: a smaller one too once numba is loaded). In a fresh process loading numba and the scan
#: costs ~0.5 s of CPU; the scan saves ~12 ms a MB over orjson and the column-wise legs: a
#: 16 MB file read ~0.2 s slower, a 66 MB one ~0.45 s faster (measured on the benchmark).
COMPILED_JSON_BYTES = 32 << 20


def _json_scanned(data: bytes, scanned: Any
                  ) -> tuple[dict[str, pa.Array], np.ndarray, list[BadLine], int]:
    """``_rows`` of a JSON file whose plain documents the byte scan
    (``freeswitch_json_scan.JsonScan``) read: the other windows go through ``line_docs`` as
    before, and all rows are put back in file order."""
    from .freeswitch_json_kernels import PLAIN

    legs = LegColumns(decode_profile=True, strict=True)
    lines: list[int] = []
    bad: list[BadLine] = []
    marks: list[tuple[int, int]] = []
    unkept = [0]
    docs = scanned_docs(data, scanned, lambda doc: _json_leg(doc, legs), lines, bad,
                        MAX_BAD_KEPT, marks, unkept)
    cols, bad, bad_count, _ = _gather(docs, "json", legs, lines, _json_leg, _from_json, bad)
    bad_count += unkept[0]
    plain = np.flatnonzero(scanned.flags & PLAIN)
    if not lines:
        return _present(scanned.columns), scanned.lines[plain], bad, bad_count
    # a plain window's row goes before the rows of the runs after it
    at = np.asarray([m[0] for m in marks], np.int64)
    rows_before = np.asarray([0] + [m[1] for m in marks], np.int64)
    before = rows_before[np.searchsorted(at, plain, side="right")]
    order = np.argsort(np.concatenate([before, np.arange(len(lines))]), kind="stable")
    take = pa.array(order)
    cols = {k: pc.take(pa.concat_arrays([scanned.columns[k], cols[k]]), take) for k in cols}
    all_lines = np.concatenate([scanned.lines[plain], np.asarray(lines, np.int64)])
    return _present(cols), all_lines[order], bad, bad_count


def _xml_rows(data: bytes, scanned: XmlScan, faults: list[str]
              ) -> tuple[dict[str, pa.Array], np.ndarray, list[BadLine], int]:
    """``_rows`` of an XML file whose plain documents the byte scan read: the others are
    parsed one by one as before, and all rows put back in file order."""
    starts, fast = scanned.starts, scanned.fast
    slow_k = np.flatnonzero(~fast)
    size = len(data)
    done: list[int] = []  # the documents yielded, in order
    unkept = [0]  # broken documents past MAX_BAD_KEPT bad ones: counted, never parsed

    def one(k: int) -> tuple[int, Any, str, str, str | None]:
        """(only the few documents read the exact way: no list of every document's span)"""
        done.append(k)
        end = int(starts[k + 1]) if k + 1 < len(starts) else size
        whole = data[int(starts[k]):end].decode("utf-8", errors="replace")
        return (*_xml_chunk(int(scanned.lines[k]), whole, faults), None)

    def docs() -> Iterator[tuple[int, Any, str, str, str | None]]:
        kept = 0  # bad documents so far: only the first MAX_BAD_KEPT keep their reason
        for at, k in enumerate(slow_k.tolist()):
            if kept >= MAX_BAD_KEPT:  # the rest: expat refuses the broken ones anyway
                rest = slow_k[at:]
                unkept[0] = int(scanned.broken[rest].sum())
                yield from map(one, rest[~scanned.broken[rest]].tolist())
                return
            doc = one(k)
            kept += doc[1] is None
            yield doc

    legs = LegColumns(decode_profile=False)
    lines: list[int] = []
    cols, bad, bad_count, row_doc = _gather(docs(), "xml", legs, lines, _xml_leg, _from_xml)
    bad_count += unkept[0]
    fast_k = np.flatnonzero(fast)
    if len(fast_k) and not row_doc:  # no row from the other documents (only broken ones)
        return _present({k: scanned.columns[k] for k in cols}), scanned.lines[fast_k], bad, \
            bad_count
    if len(fast_k):
        of_row = np.concatenate([fast_k, np.asarray(done, np.int64)[
            np.asarray(row_doc, np.int64)]])
        order = pa.array(np.argsort(of_row, kind="stable"))
        cols = {k: pc.take(pa.concat_arrays([scanned.columns[k], cols[k]]), order) for k in cols}
        all_lines = np.concatenate([scanned.lines[fast_k], np.asarray(lines, np.int64)])
        return _present(cols), all_lines[order.to_numpy()], bad, bad_count
    return _present(cols), np.asarray(lines, np.int64), bad, bad_count


def _gather(docs: Iterator[tuple[int, Any, str, str, str | None]], kind: str, legs: LegColumns,
            lines: list[int], take: Callable[[Any, LegColumns], bool],
            convert: Callable[[Any], dict[str, Any]], bad: list[BadLine] | None = None
            ) -> tuple[dict[str, pa.Array], list[BadLine], int, list[int]]:
    """FIELDS → arrays of the rows of ``docs`` (their lines appended to ``lines``), the
    first bad documents, how many bad, and the index in ``docs`` of each row's document
    (of the rows added here: JSON's ``take`` adds rows of its own). ``bad``: the list the
    first bad documents go to (``line_docs`` looks at how many there are)."""
    slow: list[dict[str, Any]] = []
    slow_at: list[int] = []
    bad = [] if bad is None else bad
    bad_count = 0
    row_doc: list[int] = []
    for i, (line, doc, err, raw, window) in enumerate(docs):
        if doc is not None:
            if window is None:  # (orjson's documents were offered to ``take`` already)
                legs.may_nan = kind == "json"
                if take(doc, legs):
                    lines.append(line)
                    row_doc.append(i)
                    continue
            try:
                rec = convert(doc if window is None else json.loads(window))
            except (AttributeError, TypeError, ValueError) as exc:
                doc, err = None, f"not a FreeSWITCH CDR document: {exc}"
            else:
                slow_at.append(len(lines))
                slow.append(rec)
                lines.append(line)
                row_doc.append(i)
                continue
        bad_count += 1
        if len(bad) < MAX_BAD_KEPT:
            bad.append(BadLine(line, err, raw))
    cols = _in_file_order(legs.finish(), records_columns(slow), slow_at, len(lines))
    return cols, bad, bad_count, row_doc


def _present(cols: dict[str, pa.Array]) -> dict[str, pa.Array]:
    """Times as UTC timestamps; a text field no document has is left out."""
    out: dict[str, pa.Array] = {}
    for name, col in cols.items():
        if name in TIME_KEYS:
            out[name] = col.cast(UTC)
        elif col.null_count < len(col):
            out[name] = col
    return out


def _in_file_order(fast: dict[str, pa.Array], slow: dict[str, pa.Array], slow_at: list[int],
                   n: int) -> dict[str, pa.Array]:
    if not slow_at:
        return fast
    is_slow = np.zeros(n, bool)
    is_slow[slow_at] = True
    src = np.empty(n, np.int64)
    src[~is_slow] = np.arange(n - len(slow_at))
    src[is_slow] = n - len(slow_at) + np.arange(len(slow_at))
    return {k: pc.take(pa.concat_arrays([fast[k], slow[k]]), pa.array(src)) for k in fast}


def read_json(path: Path, opts: ReadOptions) -> ParsedTable:
    return _read_docs(path, opts, "json")


def read_xml(path: Path, opts: ReadOptions) -> ParsedTable:
    return _read_docs(path, opts, "xml")


def sniff_json(sample: Sample) -> Detection | None:
    head = sample.text.lstrip()
    if not head.startswith(("{", "[")):
        return None
    keys = [k for k in ('"variables"', '"callflow"', '"channel_data"', '"core-uuid"',
                        '"caller_profile"') if k in sample.text]
    if '"variables"' not in keys:
        return None
    return Detection("freeswitch_json", round(min(0.99, 0.6 + 0.1 * len(keys)), 3),
                     [f"JSON document with {', '.join(keys)}"])


def sniff_xml(sample: Sample) -> Detection | None:
    if not _CDR_TAG.search(sample.text[:4096]):
        return None
    tags = [t for t in ("<variables>", "<callflow", "<caller_profile>", "<channel_data>", "<times>")
            if t in sample.text]
    if "<variables>" not in tags and "<callflow" not in tags:
        return None
    return Detection("freeswitch_xml", round(min(0.99, 0.6 + 0.08 * len(tags)), 3),
                     [f"XML root <cdr> with {', '.join(tags)}"])


register(FormatProfile(
    name="freeswitch_json", title="FreeSWITCH JSON CDR (mod_json_cdr)", read=read_json,
    sniff=sniff_json,
    description="One document per leg (or JSON lines); µs epoch times (UTC); sip_* variables."))
register(FormatProfile(
    name="freeswitch_xml", title="FreeSWITCH XML CDR (mod_xml_cdr)", read=read_xml,
    sniff=sniff_xml,
    description="One <cdr> per leg (several may be concatenated); URL-encoded variables; "
                "µs epoch times (UTC)."))
