"""FreeSWITCH per-call CDR documents: mod_xml_cdr (XML) and mod_json_cdr (JSON).

One document per leg. A file may hold one document or several in a row (JSON
lines, concatenated XML); the line of a row is the line its document starts on.
Times come from the µs epoch fields, so they are UTC whatever the server zone.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as StdET
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pyarrow as pa

from workbench.common.errors import InputError

from .. import register
from ..base import BadLine, Detection, FormatProfile, ParsedTable, ReadOptions, Sample
from ..sample import read_utf8
from .common import MAX_BAD_KEPT, UTC, count_of, finish

_PCT = re.compile(r"%[0-9A-Fa-f]{2}")
_CDR_TAG = re.compile(r"<cdr[\s>]")
_XML_DECL = re.compile(r"<\?xml[^>]*\?>\s*$")
_GATEWAY = re.compile(r"^sofia/gateway/([^/]+)/")
_SOFIA_HOST = re.compile(r"^sofia/[^/]+/[^@]*@([^:;/>]+)")
TIME_KEYS = {  # canonical: (µs variable, µs callflow time, seconds variable)
    "start": ("start_uepoch", "created_time", "start_epoch"),
    "answer": ("answer_uepoch", "answered_time", "answer_epoch"),
    "end": ("end_uepoch", "hangup_time", "end_epoch"),
}
FIELDS = ("start", "answer", "end", "calling", "calling_name", "called", "duration",
          "disposition", "ingress", "egress", "call_id", "identity", "verstat", "attest", "origid")


def _first(*vals):
    for v in vals:
        if v not in (None, ""):
            return v
    return None


def _us(v, scale: int) -> int | None:
    try:
        n = int(float(v) * scale)
    except (TypeError, ValueError):
        return None
    return n if n > 0 else None


# The only variables and caller-profile fields ``call_record`` reads: a real CDR carries
# hundreds of variables, and decoding each one was most of the time per document.
VAR_KEYS = frozenset(
    [k for keys in TIME_KEYS.values() for k in (keys[0], keys[2])]
    + ["caller_id_number", "sip_from_user", "ani", "caller_id_name", "sip_from_display",
       "destination_number", "sip_req_user", "sip_to_user", "billsec", "hangup_cause",
       "sip_call_id", "sip_identity", "sip_h_identity", "sip_h_Identity",
       "sip_verstat_detailed", "sip_verstat", "sip_h_P-Attestation-Indicator",
       "sip_h_P-Origination-ID", "direction", "call_direction", "channel_name",
       "bridge_channel", "last_bridge_channel", "sip_gateway_name", "sip_network_ip",
       "sip_gateway", "sip_received_ip"])
PROFILE_KEYS = frozenset(["caller_id_number", "ani", "caller_id_name", "destination_number",
                          "chan_name"])


def call_record(variables: dict, profile: dict, times: dict) -> dict:
    """Canonical raw values of one leg from its variables, caller profile and times."""
    var = variables
    out: dict = {}
    for canon, (uvar, ctime, svar) in TIME_KEYS.items():
        out[canon] = _first(_us(var.get(uvar), 1), _us(times.get(ctime), 1),
                            _us(var.get(svar), 10**6))
    out["calling"] = _first(profile.get("caller_id_number"), var.get("caller_id_number"),
                            var.get("sip_from_user"), profile.get("ani"), var.get("ani"))
    out["calling_name"] = _first(profile.get("caller_id_name"), var.get("caller_id_name"),
                                 var.get("sip_from_display"))
    out["called"] = _first(profile.get("destination_number"), var.get("destination_number"),
                           var.get("sip_req_user"), var.get("sip_to_user"))
    out["duration"] = _first(var.get("billsec"))
    out["disposition"] = _first(var.get("hangup_cause"))
    out["call_id"] = _first(var.get("sip_call_id"))
    out["identity"] = _first(var.get("sip_identity"), var.get("sip_h_identity"),
                             var.get("sip_h_Identity"))
    out["verstat"] = _first(var.get("sip_verstat_detailed"), var.get("sip_verstat"))
    out["attest"] = _first(var.get("sip_h_P-Attestation-Indicator"))
    out["origid"] = _first(var.get("sip_h_P-Origination-ID"))
    direction = _first(var.get("direction"), var.get("call_direction"), "inbound")
    chan = _first(var.get("channel_name"), profile.get("chan_name"), "")
    bridged = _first(var.get("bridge_channel"), var.get("last_bridge_channel"), "")
    if direction == "outbound":  # a b-leg: it left over a gateway or to an address
        out["egress"] = _first(var.get("sip_gateway_name"), _match(_GATEWAY, chan),
                               var.get("sip_network_ip"), _match(_SOFIA_HOST, chan))
        out["ingress"] = None
    else:
        out["ingress"] = _first(var.get("sip_gateway"), var.get("sip_network_ip"),
                                var.get("sip_received_ip"))
        out["egress"] = _first(_match(_GATEWAY, bridged), var.get("sip_gateway_name"),
                               _match(_SOFIA_HOST, bridged))
    return out


def _match(rx: re.Pattern, s: str) -> str | None:
    m = rx.match(s or "")
    return m.group(1) if m else None


def _decode(v, always: bool):
    if not isinstance(v, str):
        return v if v is None or isinstance(v, str) else str(v)
    return unquote(v) if (always or _PCT.search(v)) else v


def _callflow(flows) -> tuple[dict, dict]:
    """The caller profile and times of the earliest callflow (FreeSWITCH lists newest first)."""
    if isinstance(flows, dict):
        flows = [flows]
    best, best_t = ({}, {}), None
    for f in flows or []:
        times = f.get("times") or {}
        t = _us(times.get("created_time"), 1) or 0
        if best_t is None or (t and t < best_t):
            best, best_t = (f.get("caller_profile") or {}, times), t
    return best


# ---------------------------------------------------------------- JSON

_SEPARATORS = re.compile(r"[\s,\[\]]*")


def _decode_doc(dec: json.JSONDecoder, text: str, i: int) -> tuple[object, int]:
    """One JSON document starting at ``text[i]`` and the offset after it.

    ``JSONDecodeError`` counts lines from the start of the string it was given, so decoding
    in the whole text makes every damaged document cost the text before it (quadratic).
    Decode inside a window that ends at the next line starting with ``{`` (where the next
    document of a JSON-lines or pretty-printed file begins: JSON text holds no raw newline
    inside a string), widened by doubling while the document runs past it."""
    n = len(text)
    width = 0
    while True:
        nxt = text.find("\n{", i + 1 + width)
        stop = n if nxt < 0 else nxt + 1
        try:
            doc, end = dec.raw_decode(text[i:stop])
            return doc, i + end
        except json.JSONDecodeError as exc:
            cut = stop < n and exc.pos >= len(text[i:stop].rstrip())  # ran out of window
            if not cut:
                raise
            width = max(2 * width, stop - i)


def _json_docs(text: str):
    dec = json.JSONDecoder()
    i, n = 0, len(text)
    line, counted = 1, 0
    while i < n:
        i = _SEPARATORS.match(text, i).end()
        if i >= n:
            break
        line += text.count("\n", counted, i)  # from the previous document: linear in the file
        counted = i
        try:
            doc, end = _decode_doc(dec, text, i)
        except json.JSONDecodeError as exc:
            nxt = text.find("\n{", i + 1)
            eol = text.find("\n", i)
            where = f" (line {line + exc.lineno - 1}, column {exc.colno})"
            yield line, None, f"JSON: {exc.msg}{where}", text[i:eol if eol >= 0 else n]
            i = n if nxt < 0 else nxt + 1
            continue
        except RecursionError:  # nesting deeper than Python's stack: not a CDR document
            nxt = text.find("\n{", i + 1)
            eol = text.find("\n", i)
            yield line, None, "JSON nested too deeply to be a CDR document", \
                text[i:eol if eol >= 0 else n]
            i = n if nxt < 0 else nxt + 1
            continue
        yield line, doc, "", ""
        i = end


def _from_json(doc: dict) -> dict:
    variables = doc.get("variables") or {}
    var = {k: _decode(variables[k], False) for k in VAR_KEYS & variables.keys()}
    profile, times = _callflow(doc.get("callflow"))
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


def _xml_docs(text: str, faults: list[str] | None = None):
    """(line, root or None, error, first line text) per ``<cdr>`` document. A document that is
    not well-formed is parsed again with its stray ``<``/``&`` escaped; the fault (with its
    line) goes to ``faults`` when that reading succeeds, else to the error."""
    from defusedxml import ElementTree as ET
    starts = [m.start() for m in _CDR_TAG.finditer(text)]

    def parse(doc: str):
        # Entity bombs and external entities need a DTD: a document without any "<!" markup
        # (other than comments and CDATA) is read by the C parser, ~10x faster than
        # defusedxml's Python-level handlers; any other goes through defusedxml.
        return (ET if _DTD_LIKE.search(doc) else StdET).fromstring(doc)

    line, counted = 1, 0
    for k, pos in enumerate(starts):
        chunk = text[pos:starts[k + 1] if k + 1 < len(starts) else len(text)]
        chunk = _XML_DECL.sub("", chunk)
        line += text.count("\n", counted, pos)  # from the previous document: linear
        counted = pos
        try:
            yield line, parse(chunk), "", ""
            continue
        except Exception as exc:  # ParseError, DTD/entity refusals from defusedxml
            fault = _fault(exc, line)
            if "forbidden" in type(exc).__name__.lower():  # a DTD or entity: never repaired
                yield line, None, fault, chunk.split("\n", 1)[0]
                continue
        try:
            root = parse(repair_xml(chunk))
        except Exception as exc:
            yield line, None, f"{fault}; still not readable after escaping stray '<' and '&' " \
                              f"({_fault(exc, line)})", chunk.split("\n", 1)[0]
            continue
        if faults is not None:
            faults.append(f"document at line {line}: {fault}")
        yield line, root, "", ""


def _from_xml(root) -> dict:
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
    profile, times = _callflow(flows)
    return call_record(var, profile, times)


# ---------------------------------------------------------------- reading

def _read_docs(path: Path, opts: ReadOptions, kind: str) -> ParsedTable:
    if Path(path).is_dir():  # rows must point at a line of one file for the evidence read-back
        raise InputError(f"a folder of per-call {kind.upper()} documents: join them into one file "
                         f"first (e.g. cat *.{kind} > calls.{kind}); each call keeps the line its "
                         "document starts on", file=str(path))
    data, enc = read_utf8(path, opts.encoding)
    text = data.decode("utf-8", errors="replace")
    faults: list[str] = []
    docs = _json_docs(text) if kind == "json" else _xml_docs(text, faults)
    convert = _from_json if kind == "json" else _from_xml
    rows: list[dict] = []
    lines: list[int] = []
    bad: list[BadLine] = []
    bad_count = 0
    for line, doc, err, raw in docs:
        if doc is not None:
            try:
                rec = convert(doc)
            except (AttributeError, TypeError, ValueError) as exc:
                doc, err = None, f"not a FreeSWITCH CDR document: {exc}"
        if doc is None:
            bad_count += 1
            if len(bad) < MAX_BAD_KEPT:
                bad.append(BadLine(line, err, raw))
            continue
        rows.append(rec)
        lines.append(line)
    if not rows and not bad:
        raise InputError(f"no FreeSWITCH {kind.upper()} CDR document found", file=str(path))
    cols = {}
    for name in FIELDS:
        vals = [r.get(name) for r in rows]
        if name in TIME_KEYS:
            cols[name] = pa.array(vals, pa.int64()).cast(UTC)
        elif any(v is not None for v in vals):
            cols[name] = pa.array([None if v is None else str(v) for v in vals], pa.string())
    notes = [f"{len(rows)} {kind.upper()} documents (one per leg); times from the µs epoch "
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
    return finish(cols, np.asarray(lines, np.int64), named=None, opts=opts, file=str(path),
                  notes=notes, bad=bad, bad_count=bad_count, encoding=enc)


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
