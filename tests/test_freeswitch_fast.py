"""The FreeSWITCH JSON/XML readers' fast path (orjson, legs gathered column-wise, the
per-leg rules in Arrow kernels) reads exactly what one-document-at-a-time reading reads.

The reference below is the reader as it was: each document decoded by the standard JSON
decoder (or ElementTree), taken out by the per-leg functions (``_from_json``/``_from_xml``
→ ``call_record``), columns built value by value. Compared on the fixtures, the real files,
a replicated benchmark-like file and generated documents (odd types, escapes, epochs of
every length, several callflows, damage, not-well-formed XML).
"""
from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as StdET
from pathlib import Path
from urllib.parse import quote, unquote

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.format_fixtures import FX
from workbench.ingest.formats import ReadOptions, get
from workbench.ingest.formats.switches import freeswitch_docs as fd
from workbench.ingest.formats.switches.common import UTC
from workbench.ingest.formats.switches.freeswitch_legs import micros, unquote_array
from workbench.ingest.formats.switches.freeswitch_record import FIELDS, TIME_KEYS, us

REAL = Path(__file__).resolve().parents[2] / "shared" / "realworld_cdr" / "files"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


# ---------------------------------------------------------------- the reference reading

def _columns(recs: list[dict]) -> dict[str, list]:
    cols = {}
    for name in FIELDS:
        vals = [r.get(name) for r in recs]
        if name in TIME_KEYS:
            cols[name] = vals
        elif any(v is not None for v in vals):
            cols[name] = [None if v is None else str(v) for v in vals]
    return cols


def reference_json(text: str) -> tuple:
    dec, sep = json.JSONDecoder(), re.compile(r"[\s,\[\]]*")
    i, n, rows, bad = 0, len(text), [], []
    while i < n:
        i = sep.match(text, i).end()
        if i >= n:
            break
        line = text.count("\n", 0, i) + 1
        eol = text.find("\n", i)
        try:
            doc, end = dec.raw_decode(text[i:])
        except (json.JSONDecodeError, RecursionError) as exc:
            why = (f"JSON: {exc.msg} (line {line + exc.lineno - 1}, column {exc.colno})"
                   if isinstance(exc, json.JSONDecodeError)
                   else "JSON nested too deeply to be a CDR document")
            bad.append((line, why, text[i:eol if eol >= 0 else n]))
            nxt = text.find("\n{", i + 1)
            i = n if nxt < 0 else nxt + 1
            continue
        i += end
        try:
            rows.append((line, fd._from_json(doc)))
        except (AttributeError, TypeError, ValueError) as exc:
            bad.append((line, f"not a FreeSWITCH CDR document: {exc}", ""))
    return rows, bad, []


def reference_xml(text: str) -> tuple:
    from defusedxml import ElementTree as DefusedET
    starts = [m.start() for m in fd._CDR_TAG.finditer(text)]
    rows, bad, faults = [], [], []

    def parse(doc: str):
        return (DefusedET if fd._DTD_LIKE.search(doc) else StdET).fromstring(doc)

    for k, pos in enumerate(starts):
        chunk = fd._XML_DECL.sub("", text[pos:starts[k + 1] if k + 1 < len(starts) else None])
        line = text.count("\n", 0, pos) + 1
        try:
            root = parse(chunk)
        except Exception as exc:
            fault = fd._fault(exc, line)
            if "forbidden" in type(exc).__name__.lower():
                bad.append((line, fault, chunk.split("\n", 1)[0]))
                continue
            try:
                root = parse(fd.repair_xml(chunk))
            except Exception as exc2:
                bad.append((line, f"{fault}; still not readable after escaping stray '<' and "
                                  f"'&' ({fd._fault(exc2, line)})", chunk.split("\n", 1)[0]))
                continue
            faults.append(f"document at line {line}: {fault}")
        rows.append((line, fd._from_xml(root)))
    return rows, bad, faults


def _compare(path: Path, kind: str) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    rows, bad, faults = (reference_json if kind == "json" else reference_xml)(text)
    if not rows and not bad:
        with pytest.raises(Exception, match="no FreeSWITCH"):
            get(f"freeswitch_{kind}").read(path, ReadOptions())
        return
    t = get(f"freeswitch_{kind}").read(path, ReadOptions())
    assert list(t.lines) == [ln for ln, _ in rows]
    assert t.bad_line_count == len(bad)
    assert [(b.line, b.reason, b.text) for b in t.bad_lines] == bad[:len(t.bad_lines)]
    warning = [n for n in t.notes if "not well-formed" in n]
    assert len(warning) == (1 if faults else 0)
    assert all(f in warning[0] for f in faults[:3])
    want = _columns([r for _, r in rows])
    for name in FIELDS:
        got = t.columns.get(name)
        expected = want.get(name)
        if expected is None:  # absent in the reference: every value null here
            assert got is None or got.null_count == len(got), name
        elif name in TIME_KEYS:
            assert got.type == UTC and got.cast(pa.int64()).to_pylist() == expected, name
        else:
            assert got is not None and got.to_pylist() == expected, name


# ---------------------------------------------------------------- known files

@pytest.mark.parametrize("name", ["freeswitch_cdr.json", "freeswitch_cdr.xml"])
def test_fixtures_read_as_one_document_at_a_time(name):
    _compare(FX / name, name.rsplit(".", 1)[1])


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/realworld_cdr/files is not here")
@pytest.mark.parametrize("name", ["freeswitch_json_cdr_cgrates_fsevent_test_teo.json",
                                  "freeswitch_xml_cdr_summitrabz_dump2.xml"])
def test_real_files_read_as_one_document_at_a_time(name):
    _compare(REAL / name, name.rsplit(".", 1)[1])


@pytest.mark.parametrize("kind", ["json", "xml"])
def test_replicated_fixture_as_the_benchmark_writes_it(tmp_path, kind):
    seed = (FX / f"freeswitch_cdr.{kind}").read_text()
    p = tmp_path / f"calls.{kind}"
    p.write_text("".join(seed.replace("0143", f"{k:04d}").replace("larkspur", f"gw{k % 7}")
                         for k in range(150)))
    _compare(p, kind)


# ---------------------------------------------------------------- generated documents

_TEXT = st.one_of(
    st.text(alphabet="abc019+@.:;/%<>&\"' é\n", max_size=12),
    st.sampled_from(["", "%2B12025550143", "a%40b", "%", "%zz", "%C3%A9", "%e9", "%00",
                     "sofia/gateway/oxbow/1312", "sofia/external/1@203.0.113.5:5060",
                     "sofia/internal/+1202@[::1]", "sofia/gateway/a\nb/1", "sofia/x\ny/u@h\nk:5",
                     "sofia/ext/a@b@c", "outbound", "inbound"]),
    st.from_regex(r"[0-9]{1,19}", fullmatch=True),
    st.sampled_from(["1718035231", "1718035231204512", "9007199254740993", "0", "-5",
                     "1e400", "1_000", " 42 ", "1718035231.5", "nan", "inf", "١٢٣"]))
_ODD = st.one_of(st.none(), st.booleans(), st.integers(-5, 2**70), st.floats(),
                 st.just({"a": "%41"}), st.just(["x"]))
_VAR_NAMES = sorted(fd.VAR_KEYS) + ["uuid", "other"]
_PROFILE_NAMES = sorted(fd.PROFILE_KEYS) + ["network_addr"]
_TIME_NAMES = ["created_time", "answered_time", "hangup_time", "progress_time"]


def _section(names, odd: bool):
    values = st.one_of(_TEXT, _ODD) if odd else _TEXT
    return st.dictionaries(st.sampled_from(names), values, max_size=8)


@st.composite
def _legs(draw, odd: bool):
    flow = st.fixed_dictionaries({}, optional={
        "caller_profile": _section(_PROFILE_NAMES, odd), "times": _section(_TIME_NAMES, odd)})
    flows = st.lists(flow, max_size=3)
    if odd:
        flows = st.one_of(flows, flow, _ODD, st.just([1]), st.just({"times": [1]}))
    doc = draw(st.fixed_dictionaries({"variables": _section(_VAR_NAMES, odd)},
                                     optional={"callflow": flows, "core-uuid": _TEXT}))
    return doc


@st.composite
def _json_file(draw) -> str:
    docs = draw(st.lists(_legs(draw(st.booleans())), min_size=1, max_size=6))
    indent = draw(st.sampled_from([None, 2]))
    ascii_only = draw(st.booleans())
    texts = [json.dumps(d, indent=indent, ensure_ascii=ascii_only) for d in docs]
    for k in draw(st.lists(st.integers(0, len(texts) - 1), max_size=2)):  # damage
        how = draw(st.sampled_from(["cut", "nan", "flip", "bigint", "two"]))
        t = texts[k]
        if how == "cut":
            texts[k] = t[:draw(st.integers(1, max(1, len(t) - 1)))]
        elif how == "nan":
            texts[k] = t.replace('"', "NaN, \"", 1) if draw(st.booleans()) else \
                t[:-1] + ', "n": NaN}'
        elif how == "flip":
            at = draw(st.integers(0, len(t) - 1))
            texts[k] = t[:at] + draw(st.sampled_from(["\x01", "}", "\"", "{", "\\"])) + t[at + 1:]
        elif how == "bigint":
            texts[k] = t[:-1] + ', "big": 123456789012345678901234567890}'
        else:
            texts[k] = t + " " + t
    glue = draw(st.sampled_from(["\n", "\n\n", ",\n", "\r\n"]))
    body = glue.join(texts)
    return "[" + body + "]\n" if draw(st.booleans()) else body + "\n"


def _xml_text(v) -> str:
    return v if isinstance(v, str) else json.dumps(v)


def _element(tag: str, values: dict, escape, indent: str) -> str:
    inner = "".join(f"{indent}  <{k}>{escape(_xml_text(v))}</{k}>\n" for k, v in values.items())
    return f"{indent}<{tag}>\n{inner}{indent}</{tag}>\n"


@st.composite
def _xml_file(draw) -> str:
    docs = draw(st.lists(_legs(False), min_size=1, max_size=5))
    out = []
    for d in docs:
        how = draw(st.sampled_from(["encoded", "escaped", "raw", "raw"]))
        esc = {"encoded": lambda s: quote(s, safe="+@.:;/ "),
               "escaped": lambda s: s.replace("&", "&amp;").replace("<", "&lt;"),
               "raw": lambda s: s}[how]
        body = _element("variables", d["variables"], esc, "  ")
        flows = d.get("callflow") or []
        for f in flows if isinstance(flows, list) else [flows]:
            inner = "".join(_element(k, f[k], lambda s: s.replace("&", "&amp;").replace(
                "<", "&lt;"), "    ") for k in ("caller_profile", "times") if k in f)
            body += f'  <callflow dialplan="XML">\n{inner}  </callflow>\n'
        extra = draw(st.sampled_from(["", "  <!-- note -->\n", "  <app_log/>\n",
                                      "  <channel_data><x>1</x></channel_data>\n",
                                      "<![CDATA[x]]>"]))
        doc = f'<?xml version="1.0"?>\n<cdr core-uuid="u">\n{extra}{body}</cdr>\n'
        if draw(st.integers(0, 5)) == 0:  # damage: a cut document
            doc = doc[:draw(st.integers(1, len(doc) - 1))] + "\n"
        out.append(doc)
    text = "".join(out)
    return text.replace("\n", "\r\n") if draw(st.integers(0, 4)) == 0 else text


@SETTINGS
@given(_json_file())
def test_generated_json_reads_as_one_document_at_a_time(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("j") / "calls.json"
    p.write_text(text, encoding="utf-8")
    _compare(p, "json")


@SETTINGS
@given(_xml_file())
def test_generated_xml_reads_as_one_document_at_a_time(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("x") / "calls.xml"
    p.write_bytes(text.encode())
    _compare(p, "xml")


# ---------------------------------------------------------------- the column kernels

@SETTINGS
@given(st.lists(st.one_of(st.none(), st.text(alphabet="%0aAfFgé9\n+", max_size=10))))
def test_unquote_of_a_column_is_unquote_of_each_value(values):
    got = unquote_array(pa.array(values, pa.string())).to_pylist()
    assert got == [None if v is None else unquote(v) for v in values]


@SETTINGS
@given(st.lists(st.one_of(st.none(), _TEXT)), st.sampled_from([1, 10**6]))
def test_epochs_of_a_column_are_us_of_each_value(values, scale):
    got = micros(pa.array(values, pa.string()), scale).to_pylist()
    assert got == [us(v, scale) for v in values]


@SETTINGS
@given(st.lists(st.sampled_from(["<?xml", "?>", ">", "<", " ", "\n", "\t", "a", "</cdr>",
                                  "\u2003", "?"]), max_size=12).map("".join))
def test_the_next_documents_declaration_is_cut_as_the_regex_cuts_it(chunk):
    assert fd._without_next_decl(chunk) == fd._XML_DECL.sub("", chunk)


def test_an_epoch_past_int64_is_no_time_not_a_refused_file(tmp_path):
    """Was: the whole file refused ("Python int too large to convert to C long")."""
    p = tmp_path / "calls.json"
    p.write_text('{"variables": {"start_uepoch": "99999999999999999999999", '
                 '"start_epoch": "1e400", "destination_number": "1"}}\n'
                 '{"variables": {"start_uepoch": "1718035231204512", "destination_number": "2"}}\n')
    t = get("freeswitch_json").read(p, ReadOptions())
    assert t.columns["start"].cast(pa.int64()).to_pylist() == [None, 1718035231204512]


def test_a_nan_or_a_number_where_text_belongs_reads_as_before(tmp_path):
    p = tmp_path / "calls.json"
    p.write_text('{"variables": {"billsec": NaN, "hangup_cause": 17, "destination_number": "1"}}\n'
                 '{"variables": {"billsec": "36", "destination_number": "2"}}\n')
    t = get("freeswitch_json").read(p, ReadOptions())
    assert t.columns["duration"].to_pylist() == ["nan", "36"]
    assert t.columns["disposition"].to_pylist() == ["17", None]
    _compare(p, "json")
