"""Kamailio acc syslog fast paths against the committed code they replace, kept here as oracles.

* ``templated``: the ACC lines of a layout whose first line has a ``;`` inside a value, read
  by that line's shape, against every such line split segment by segment (``_odd_rows``);
* ``joined_lazy`` + ``_rows``: layouts joined on use and put in file order once, at the end,
  against ``concat_sorted`` of every column up front and a filter;
* ``first_field``, ``_identity``, ``has_bytes``: against the committed kernels.

The whole reader is compared (rows, every column, notes, bad lines, the field list a wrong
``[sources.columns]`` name reports) on generated logs where many lines share a few layouts,
some of them broken (another name, a ``<``, non-ASCII, a second ``ACC: ``, junk).
"""
from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.format_fixtures import FX
from tests.parsed_compare import assert_same_parsed
from tests.test_kamailio_db_lazy import db_file
from tests.test_kamailio_split import BOUNDED, EPOCH, VALUE
from workbench.common.errors import InputError
from workbench.ingest.formats import ReadOptions
from workbench.ingest.formats.delimited import line_starts as lines_text_starts
from workbench.ingest.formats.switches import kamailio as kam
from workbench.ingest.formats.switches import kamailio_first, kamailio_template
from workbench.ingest.formats.switches.common import concat_sorted, lines_text, text

# ---------------------------------------------------------------- the committed code (oracles)


def old_identity(kv):
    ident = kv.get("identity")
    if ident is None:
        return None
    params = [p for p in kam.IDENTITY_PARAMS if p in kv]
    if not params:
        return ident
    has = pc.is_valid(kv[params[0]])
    for p in params[1:]:
        has = pc.or_(has, pc.is_valid(kv[p]))
    rows = pa.array(np.flatnonzero(has.to_numpy(zero_copy_only=False)))
    if not len(rows):
        return ident
    out = pc.take(ident, rows)
    for p in params:
        val = pc.take(kv[p], rows)
        piece = pc.binary_join_element_wise(pa.scalar(p), val, "=")
        out = pc.if_else(pc.is_valid(val), pc.binary_join_element_wise(out, piece, ";"), out)
    return pc.replace_with_mask(text(ident), has, out)


def old_joined(parts):
    """Every column made, cut and put in file order up front (``concat_sorted``)."""
    made = [({k: kam._made(v) for k, v in cols.items()}, lines) for cols, lines in parts]
    return concat_sorted(made)


def old_first_bye(call_id, stamp, is_bye):
    n = len(call_id)
    byes = pa.table({"call_id": pc.filter(call_id, is_bye), "bye": pc.filter(stamp, is_bye)})
    first = byes.group_by("call_id").aggregate([("bye", "min")])
    idx = pa.table({"call_id": call_id, "row": pa.array(np.arange(n))})
    joined = idx.join(first, "call_id", join_type="left outer").sort_by("row")
    return joined["bye_min"].combine_chunks()


NEW_BUILD = kam._build


def old_build(*args, **kw):
    """``_build`` converting every field on all rows (no ``on_rows``)."""
    kw.pop("on_rows", None)
    return NEW_BUILD(*args, **kw)


def old_line_texts(data, nums, starts):
    return lines_text(data, nums, starts)


def old_has_bytes(col, high=True):
    return (bool(pc.any(pc.match_substring(col, "<")).as_py()),
            high and not bool(pc.all(pc.string_is_ascii(col)).as_py()))


def _read(path: Path, opts: ReadOptions, *, old: bool):
    with ExitStack() as stack:
        if old:
            for name, fake in (("templated", lambda *a, **k: None),
                               ("joined_lazy", old_joined), ("_identity", old_identity),
                               ("first_field", kamailio_first.first_field_split),
                               ("has_bytes", old_has_bytes), ("first_bye", old_first_bye),
                               ("_build", old_build), ("_line_texts", old_line_texts)):
                stack.enter_context(mock.patch.object(kam, name, fake))
        try:
            return (kam.read_kamailio_db if path.suffix == ".csv" else kam.read_kamailio)(path,
                                                                                        opts)
        except InputError as exc:
            return f"InputError: {exc}"


def _assert_same(path: Path) -> None:
    for opts in (ReadOptions(), ReadOptions(columns={"egress": "src_user"}),
                 ReadOptions(columns={"egress": "no_such_field"})):  # lists the field names
        assert_same_parsed(_read(path, opts, old=False), _read(path, opts, old=True))


# ---------------------------------------------------------------- logs of a few layouts

SHAPE_SEGMENT = st.one_of(
    st.sampled_from(["method=INVITE", "method=BYE", "method=ACK", "code=486", "to_tag=",
                     "from_tag=8c1f", "src_user=+12025550143", "dst_user=1312", "src_ip=192.0.2.1",
                     "dst_domain=203.0.113.45", "call_id=a@h", "duration=36", "created={e}",
                     "call_start_time={e}", "reason=Busy Here", " try later", "", "junk",
                     "identity=eyJ.e30.sig", "info=<https://c/x.pem>", "info=https://c/x.pem",
                     "alg=ES256", "ppt=shaken", "code=200", "x=a=b", "9lives=1"]),
    st.tuples(st.sampled_from(["reason", "src_user", "call_id", "info", "zz"]), VALUE)
    .map("=".join),
    VALUE,
)
KINDS = st.sampled_from(["transaction answered", "call missed", "call ended", "Call ended"])
PREFIXES = st.sampled_from(["", "Jun 10 16:00:38 sip-edge-1 kamailio[2211]: NOTICE: acc: ",
                            "x ACC: y ", "<134>Jun 10 h k[1]: ", "héte: "])
# how a copy of a shape may differ: a value changed, a segment dropped, or nothing (mostly)
MUTATION = st.one_of(st.just(None), st.just(None), st.just(None),
                     st.tuples(st.just("value"), st.integers(0, 30), VALUE),
                     st.tuples(st.just("drop"), st.integers(0, 30)),
                     st.tuples(st.just("kind"), KINDS), st.tuples(st.just("prefix"), PREFIXES))


@st.composite
def shaped_log(draw) -> bytes:
    shapes = []
    for _ in range(draw(st.integers(1, 3))):
        first = draw(st.sampled_from(["timestamp={e}", "created={e}", "method=INVITE"]))
        segs = [first] + draw(st.lists(SHAPE_SEGMENT, min_size=1, max_size=9))
        shapes.append((draw(PREFIXES), draw(KINDS), segs))
    lines = []
    for _ in range(draw(st.integers(1, 30))):
        prefix, kind, segs = draw(st.sampled_from(shapes))
        segs = [s.replace("{e}", draw(EPOCH)) for s in segs]
        mut = draw(MUTATION)
        if mut and mut[0] == "value":
            i = mut[1] % len(segs)
            name = segs[i].partition("=")[0] if "=" in segs[i] else ""
            segs[i] = f"{name}={mut[2]}" if name else mut[2]
        elif mut and mut[0] == "drop" and len(segs) > 1:
            del segs[mut[1] % len(segs)]
        elif mut and mut[0] == "kind":
            kind = mut[1]
        elif mut and mut[0] == "prefix":
            prefix = mut[1]
        lines.append(f"{prefix}ACC: {kind}: " + ";".join(segs))
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(["INFO: <script>: new INVITE", "ACC: x", ""])))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    return (eol.join(lines) + eol).encode()


def _check_file(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "acc.log"
        path.write_bytes(data)
        _assert_same(path)


@settings(BOUNDED, max_examples=150)
@given(shaped_log())
def test_reader_equals_the_committed_reader_on_logs_of_few_layouts(data):
    _check_file(data)


def test_fixture_and_its_bench_copies_read_as_before():
    _assert_same(FX / "kamailio_acc.log")
    text_ = (FX / "kamailio_acc.log").read_text()
    body = "".join(text_.replace("1718035", f"17180{k}") for k in range(40, 60))
    _check_file(body.encode())


@pytest.mark.parametrize("lines", [
    # the shape's line glues junk; its copies: one with another name, one with '<', one with
    # non-ASCII, one with a second 'ACC: ', one whose glued segment is a name=value
    ["ACC: call missed: timestamp=1718035325;method=INVITE;reason=Busy; later;code=486",
     "ACC: call missed: timestamp=1718035326;method=INVITE;reason=Busy; later;code=486",
     "ACC: call missed: timestamp=1718035327;method=INVITE;reason=Busy; later;cause=486",
     "ACC: call missed: timestamp=1718035328;method=INVITE;reason=<Busy; later;code=486",
     "ACC: call missed: timestamp=1718035329;method=INVITE;reason=Büsy; later;code=486",
     "a ACC: b ACC: call missed: timestamp=1718035330;method=INVITE;reason=B; l;code=4",
     "ACC: call missed: timestamp=1718035331;method=INVITE;reason=Busy;x=later;code=486"],
    # identity parameters glued, a repeated name, an empty last segment
    ["ACC: transaction answered: timestamp=1718035238;method=INVITE;identity=e;code=1;"
     "code=2;info=x;",
     "ACC: transaction answered: timestamp=1718035239;method=INVITE;identity=e;info=y;alg=z;"
     "ppt=s;code=2;"],
])
def test_known_shapes_read_as_before(lines):
    _check_file(("\n".join(lines) + "\n").encode())
    _check_file(("\r\n".join(lines[::-1]) + "\r\n").encode())


# ---------------------------------------------------------------- kernels

FIRST = st.one_of(
    st.tuples(st.sampled_from(["", "Jun 10 h k[1]: acc: ", "x:y ", "ACC: z: a=b ", "é "]),
              st.sampled_from(["ACC: ", "ACC:", "", "ACC: ACC: "]),
              st.sampled_from(["call ended", "a:b", "", "x=y", "é"]),
              st.sampled_from([": ", ":", ": : "]),
              st.sampled_from(["timestamp", "", "a b", "é"]),
              st.sampled_from(["=", "", "=="]),
              st.text(st.sampled_from(list("ab:= é")), max_size=6)).map("".join),
    st.text(st.sampled_from(list("AC: =éa")), max_size=12))


@settings(BOUNDED, max_examples=300)
@given(st.lists(FIRST, min_size=1, max_size=30), st.integers(0, 3), st.integers(0, 3))
def test_first_field_equals_the_string_splits(values, lead, chunks):
    """Same ACC lines; on them the same kind, first name and value (sliced, chunked)."""
    arr = pa.array(["pad"] * lead + values)[lead:]
    pieces = np.array_split(np.arange(len(arr)), chunks + 1)
    col = pa.chunked_array([arr[int(c[0]):int(c[-1]) + 1] for c in pieces if len(c)],
                           pa.string())
    for got_col in (arr, col):
        new = kamailio_first.first_field(got_col)
        old = kamailio_first.first_field_split(got_col)
        ok = old[0].to_numpy(zero_copy_only=False).astype(bool)
        assert np.array_equal(new[0].to_numpy(zero_copy_only=False).astype(bool), ok)
        for a, b in zip(new[1:], old[1:]):
            a, b = a.to_pylist(), b.to_pylist()
            assert [x for x, k in zip(a, ok) if k] == [y for y, k in zip(b, ok) if k]


OPT_TEXT = st.one_of(st.none(), st.text(st.sampled_from(list("ab;=<é")), max_size=5))


@settings(BOUNDED, max_examples=300)
@given(st.lists(st.tuples(OPT_TEXT, OPT_TEXT, OPT_TEXT, OPT_TEXT), min_size=1, max_size=20),
       st.sets(st.sampled_from(kam.IDENTITY_PARAMS)))
def test_identity_join_equals_the_committed_one(rows, params):
    kv = {"identity": pa.array([r[0] for r in rows], pa.string())}
    for i, p in enumerate(kam.IDENTITY_PARAMS, 1):
        if p in params:
            kv[p] = pa.array([r[i] for r in rows], pa.string())
    assert kam._identity(kv).to_pylist() == old_identity(kv).to_pylist()


@settings(BOUNDED, max_examples=300)
@given(st.lists(OPT_TEXT.filter(lambda v: v is not None), min_size=1, max_size=20),
       st.integers(0, 3))
def test_has_bytes_equals_the_substring_search(values, lead):
    arr = pa.array(["<é"] * lead + values)[lead:]
    for col in (arr, pa.chunked_array([arr[:1], arr[1:]])):
        assert kamailio_template.has_bytes(col) == old_has_bytes(col)
        assert kamailio_template.has_bytes(col, high=False) == old_has_bytes(col, False)


@settings(BOUNDED, max_examples=300)
@given(st.lists(st.tuples(st.sampled_from([None, "a@h", "b@h", "c", ""]),
                          st.one_of(st.none(), st.integers(0, 5)), st.booleans()),
                min_size=1, max_size=25), st.booleans())
def test_first_bye_equals_the_group_by_and_join(rows, as_text):
    """Earliest BYE per Call-ID (times or DATETIME text; null ids, null times, no BYE)."""
    call_id = pa.array([r[0] for r in rows], pa.string())
    if as_text:
        stamp = pa.array([None if r[1] is None else f"2024-06-10 16:0{r[1]}:00" for r in rows],
                         pa.string())
    else:
        stamp = pa.array([None if r[1] is None else 1_718_000_000_000_000 + r[1] for r in rows],
                         pa.timestamp("us", tz="UTC"))
    is_bye = pa.array([r[2] for r in rows])
    assume(any(r[2] for r in rows))  # the reader matches BYEs only when there are some
    got = kam.first_bye(call_id, stamp, is_bye)
    want = old_first_bye(call_id, stamp, is_bye)
    assert got.type == want.type
    assert got.to_pylist() == want.to_pylist()


@settings(BOUNDED, max_examples=80)
@given(db_file())
def test_table_export_equals_the_committed_reader(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "acc.csv"
        path.write_bytes(data)
        _assert_same(path)


def test_table_fixture_reads_as_before():
    _assert_same(FX / "kamailio_db_acc.csv")


@settings(BOUNDED, max_examples=300)
@given(st.lists(st.text(st.sampled_from(list("ab \r;é")), max_size=6), min_size=1, max_size=30),
       st.sampled_from(["\n", "\r\n"]), st.booleans(), st.data())
def test_bad_line_texts_equal_those_of_the_whole_file(lines, eol, last_eol, data):
    """Line texts found with the line starts of the file's head only (up to the last line
    wanted) against ``lines_text`` with the whole file's."""
    raw = (eol.join(lines) + (eol if last_eol else "")).encode()
    count = len(lines_text_starts(raw))
    assume(count > 0)
    nums = sorted(data.draw(st.sets(st.integers(1, count), min_size=1, max_size=8)))
    assert kam._line_texts(raw, nums, None) == lines_text(raw, nums, lines_text_starts(raw))
