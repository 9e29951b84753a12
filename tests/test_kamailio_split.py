"""Kamailio acc syslog: the vectorized split of odd lines equals the per-line ``parse_pairs``.

Lines that break their layout's key order are re-split for all lines at once in Arrow
kernels (``_odd_rows`` → ``_split_pairs``); lines with ``<`` or non-ASCII text still go
through ``parse_pairs`` one by one (``_odd_rows_python``). These tests prove, on generated
lines (random key order, missing keys, empty and repeated keys, ``=`` and ``;`` inside
values, quotes, very long values, ``<``/non-ASCII names, trailing junk, CRLF), that the
vectorized path gives exactly what the per-line parser gives: per value, per line, per
odd-line count, and through the whole reader.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.format_fixtures import FX
from workbench.common.errors import InputError
from workbench.ingest.formats import ReadOptions, get
from workbench.ingest.formats.switches import kamailio as kam

BOUNDED = settings(max_examples=200, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ---------------------------------------------------------------- generated acc lines

# a small pool, so keys repeat on a line and across lines in another order
NAMES = ("timestamp", "method", "call_id", "code", "reason", "src_user", "dst_user", "src_ip",
         "dst_domain", "to_tag", "identity", "info", "alg", "ppt", "created", "duration")
# not ``name=`` to parse_pairs: a non-ASCII, '<'-bearing, digit-first or empty name
ODD_NAMES = ("nämé", "ключ", "a<b", "<sip", "9lives", "a-b", "", " code", "cödé")
PLAIN = st.sampled_from(list("ab09 =;\"'@:+.-_,\t\r"))
# '<' and non-ASCII send a whole line the per-line way: rarer, so most lines test the kernel
SPECIAL = st.sampled_from(list("ab=;<>") + ["é", "→", "ß"])
EPOCH = st.integers(1_600_000_000, 1_800_000_000).map(str)


def _long(piece: str, times: int) -> str:
    return piece * times


VALUE = st.one_of(
    st.text(PLAIN, max_size=12),
    st.text(PLAIN, max_size=12),
    st.just(""),
    st.text(PLAIN, max_size=10).map(lambda v: f'"{v}"'),  # quoted: acc does not honour quotes
    st.sampled_from(["Busy Here; try later", "a=b", "x;y=z", "<sip:+1202;user=phone>",
                     "eyJhbGciOiJFUzI1NiJ9.e30.sig", "sip:u@h;transport=tcp",
                     "see ACC: call ended: code=9"]),  # a second 'ACC: ' later on the line
    st.builds(_long, st.text(PLAIN, min_size=1, max_size=6), st.integers(300, 3000)),
    EPOCH,
    st.text(SPECIAL, max_size=8),
)
NAME = st.one_of(st.sampled_from(NAMES), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}",
                                                       fullmatch=True))
SEGMENT = st.one_of(
    st.tuples(NAME, VALUE).map("=".join),  # a pair (weighted: most segments)
    st.tuples(NAME, VALUE).map("=".join),
    st.tuples(st.sampled_from(("info", "alg", "ppt")), VALUE).map("=".join),
    st.builds(lambda v, ps: ";".join([f"identity={v}"] + [f"{p}={x}" for p, x in ps]),
              VALUE, st.lists(st.tuples(st.sampled_from(("info", "alg", "ppt")), VALUE),
                              max_size=3)),  # an Identity header with its own parameters
    st.tuples(st.sampled_from(ODD_NAMES), VALUE).map("=".join),
    st.text(PLAIN, max_size=8),  # bare junk: glued to the value before it
)
TAIL = st.sampled_from(["", "", ";", ";;", " ", ";junk", "\t", "; trailing words", "\r"])
SYSLOG = "Jun 10 16:00:38 sip-edge-1 kamailio[2211]: NOTICE: acc: "
PREFIX = st.sampled_from(["", SYSLOG, "2024-06-10T16:00:38.123+00:00 edge opensips[7]: "])
ODD_PREFIX = st.sampled_from([
    "<134>Jun 10 16:00:38 sip-edge-1 kamailio[2211]: acc: ",  # syslog priority: has '<'
    "junk ACC: x ", "Jun 10 16:00:38 héte kamailio[1]: "])
KIND = st.sampled_from(kam.KINDS)
ODD_KIND = st.one_of(st.from_regex(r"[a-z][a-z ]{0,8}", fullmatch=True),
                     st.sampled_from(["Call ended", "", "call-ended"]))


def _rarely(draw, usual, rare, one_in: int = 8):
    """``rare`` one time in ``one_in`` (one_of would draw the odd branches far too often)."""
    return draw(rare if draw(st.integers(1, one_in)) == 3 else usual)


@st.composite
def acc_body(draw) -> str:
    """``name=value;…`` as acc writes it, quirks and damage included."""
    first = _rarely(draw, st.one_of(
        st.tuples(NAME, VALUE).map("=".join),
        st.tuples(EPOCH, st.sampled_from(("INVITE", "BYE", "ACK", "invite")))
        .map(lambda t: f"timestamp={t[0]};method={t[1]}")),
        st.tuples(st.sampled_from(ODD_NAMES), VALUE).map("=".join))  # Python's \w only
    segs = [first] + draw(st.lists(SEGMENT, max_size=12))
    return ";".join(segs) + draw(TAIL)


@st.composite
def syslog_line(draw) -> str:
    """One syslog line: mostly ACC lines, sometimes another message or a broken ACC line."""
    if draw(st.integers(0, 11)) == 0:
        return draw(st.sampled_from([
            "Jun 10 16:00:30 sip-edge-1 kamailio[2211]: INFO: <script>: new INVITE",
            "ACC: call missed: =no name", "ACC: call missed:", "ACC: ", "   ",
            "ACC: transaction answered: timestamp=17180"]))
    prefix = _rarely(draw, PREFIX, ODD_PREFIX)
    kind = _rarely(draw, KIND, ODD_KIND)
    return f"{prefix}ACC: {kind}: {draw(acc_body())}"


@st.composite
def syslog_file(draw, whole_file: bool = False) -> tuple[bytes, list[str]]:
    """Lines joined with LF or CRLF (or both), with or without a final line end.

    ``whole_file``: for the whole reader, which (like every reader built on
    ``read_positional``) cuts a line at a lone CR inside it before the odd lines are chosen:
    lines keep no CR of their own there. CR-only files: see the explicit cases."""
    lines = draw(st.lists(syslog_line(), min_size=1, max_size=25))
    if whole_file:
        lines = [ln.replace("\r", "") for ln in lines]
    eols = draw(st.lists(st.sampled_from(["\n", "\r\n"]), min_size=len(lines),
                         max_size=len(lines)))
    if draw(st.booleans()):  # one line end for the whole file, as real logs have
        eols = [eols[0]] * len(lines)
    text = "".join(ln + eol for ln, eol in zip(lines, eols))
    if draw(st.booleans()):
        text = text[: -len(eols[-1])]
    return text.encode("utf-8"), lines


# ---------------------------------------------------------------- comparing the two paths

def _per_line(cols: dict[str, pa.Array], lines: np.ndarray) -> dict[int, dict[str, str]]:
    """{line: {key: value}} of present values (a null means the line has no such key)."""
    for name, values in cols.items():
        assert len(values) == len(lines), name
        assert pa.types.is_string(values.type), (name, values.type)
    as_lists = {k: v.to_pylist() for k, v in cols.items()}
    out = {}
    for i, ln in enumerate(lines.tolist()):
        out[ln] = {k: vals[i] for k, vals in as_lists.items() if vals[i] is not None}
    return out


def _assert_same_rows(data: bytes, nums: list[int]) -> None:
    fast_cols, fast_lines, fast_odd = kam._odd_rows(data, nums)
    slow_cols, slow_lines, slow_odd = kam._odd_rows_python(data, nums)
    assert fast_lines.tolist() == slow_lines.tolist()
    fast, slow = _per_line(fast_cols, fast_lines), _per_line(slow_cols, slow_lines)
    raw = data.split(b"\n")
    for ln in slow:
        assert fast[ln] == slow[ln], f"line {ln}: {raw[ln - 1]!r}"
    assert fast_odd == slow_odd


def _read(path: Path, *, per_line: bool):
    """The reader's result (or its one-line error), odd lines split one way or the other."""
    if not per_line:
        try:
            return kam.read_kamailio(path, ReadOptions())
        except InputError as exc:
            return f"InputError: {exc}"

    def odd_rows(data, lines, starts=None, shaped=None):
        assert not shaped  # no layout is read by its shape below
        return kam._odd_rows_python(data, lines, starts)

    with mock.patch.object(kam, "_odd_rows", odd_rows), \
            mock.patch.object(kam, "templated", lambda *a, **k: None):
        try:
            return kam.read_kamailio(path, ReadOptions())
        except InputError as exc:
            return f"InputError: {exc}"


def _assert_same_table(path: Path) -> None:
    fast, slow = _read(path, per_line=False), _read(path, per_line=True)
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
        return
    assert fast.lines.tolist() == slow.lines.tolist()
    assert fast.columns.keys() == slow.columns.keys()
    for name in slow.columns:
        assert fast.columns[name].to_pylist() == slow.columns[name].to_pylist(), name
    assert fast.notes == slow.notes
    assert fast.bad_lines == slow.bad_lines
    assert fast.bad_line_count == slow.bad_line_count
    assert fast.time_basis == slow.time_basis


# ---------------------------------------------------------------- properties

@BOUNDED
@given(syslog_file())
def test_odd_rows_split_in_arrow_equal_the_per_line_parser(generated):
    """Every line handed to ``_odd_rows`` as an odd line: same lines kept, same values, same
    count of lines with a ';' inside a value."""
    data, lines = generated
    _assert_same_rows(data, list(range(1, len(lines) + 1)))


@BOUNDED
@given(st.lists(acc_body(), min_size=1, max_size=20))
def test_split_pairs_equals_parse_pairs_on_bodies_without_angle_brackets(bodies):
    """The vectorized kernel itself, on many bodies at once (its running maxima and group
    numbers cross line boundaries), against ``parse_pairs`` body by body."""
    bodies = [b.replace("<", "(") for b in bodies]  # '<' always goes the per-line way
    cols, odd = kam._split_pairs(pa.array(bodies, pa.string()))
    got = _per_line(cols, np.arange(len(bodies)))
    want = [kam.parse_pairs(b) for b in bodies]
    for i, (pairs, _) in enumerate(want):
        assert got[i] == pairs, bodies[i]
    assert odd == sum(quirky for _, quirky in want)


@settings(BOUNDED, max_examples=60)
@given(syslog_file(whole_file=True), st.lists(EPOCH, min_size=1, max_size=4))
def test_reader_gives_the_same_table_either_way(generated, stamps):
    """The whole reader, odd lines split in Arrow or one by one: same rows, values, notes
    and bad lines. A few regular lines come first so the generated ones break their order."""
    data, _ = generated
    regular = "".join(
        f"ACC: transaction answered: timestamp={s};method=INVITE;call_id=c{i}@h;code=200;"
        f"reason=OK;src_user=+1202555014{i};dst_user=1312555017{i};src_ip=192.0.2.{i}\n"
        for i, s in enumerate(stamps))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "acc.log"
        path.write_bytes(regular.encode() + data)
        _assert_same_table(path)


# ---------------------------------------------------------------- explicit cases

def _file(*lines: str, eol: str = "\n") -> tuple[bytes, list[int]]:
    """A file's bytes and its line numbers, every line handed over as an odd line."""
    return eol.join(lines).encode("utf-8") + eol.encode(), list(range(1, len(lines) + 1))


HEAD = "ACC: transaction answered: "


@pytest.mark.parametrize("body, want, quirky", [
    ("timestamp=1;code=200;code=486", {"timestamp": "1", "code": "486"}, 0),  # last one wins
    ("reason=Busy Here; try later;code=486", {"reason": "Busy Here; try later", "code": "486"},
     1),
    ("identity=eyJ.e30.sig;info=https://c/x.pem;alg=ES256;ppt=shaken;code=200",
     {"identity": "eyJ.e30.sig;info=https://c/x.pem;alg=ES256;ppt=shaken", "code": "200"}, 0),
    ("info=x;alg=y;code=1", {"info": "x", "alg": "y", "code": "1"}, 0),  # no identity before
    ("to_tag=;reason=a=b;x=", {"to_tag": "", "reason": "a=b", "x": ""}, 0),
    ("code=200;", {"code": "200;"}, 1),  # trailing ';': an empty segment glued on
    ('reason="a;b";code=1', {"reason": '"a;b"', "code": "1"}, 1),  # quotes mean nothing
    ("code=1;nämé=x;dst_user=2", {"code": "1;nämé=x", "dst_user": "2"}, 1),
])
def test_vectorized_split_of_known_quirks(body, want, quirky):
    """Known acc quirks, pinned to their values, and the same from both paths."""
    cols, odd = kam._split_pairs(pa.array([body]))
    assert _per_line(cols, np.arange(1)) == {0: want}
    assert odd == quirky
    assert kam.parse_pairs(body) == (want, bool(quirky))
    data, nums = _file(HEAD + body, HEAD + body, eol="\r\n")
    _assert_same_rows(data, nums)


def test_both_paths_in_one_batch_keep_file_order():
    """'<' and non-ASCII-name lines go one by one, the rest in Arrow; the merge keeps each
    line's values on its own line."""
    data, nums = _file(
        HEAD + "timestamp=1;pai=<sip:+1;user=phone>;code=200",
        HEAD + "timestamp=2;reason=a; b;code=486",
        HEAD + "aключ=1;timestamp=3",  # RE2's names are ASCII: only Python's \w takes it
        "not an acc line",
        HEAD + "timestamp=4;code=1;code=2;",
        HEAD + "nämé=1;reason=see ACC: call ended: code=9",  # RE2 alone would take 'code=9'
        eol="\r\n")
    fast_cols, fast_lines, _ = kam._odd_rows(data, nums)
    got = _per_line(fast_cols, fast_lines)
    assert got[1]["pai"] == "<sip:+1;user=phone>"
    assert got[2]["reason"] == "a; b"
    assert got[3] == {"@kind": "transaction answered", "timestamp": "3"}  # not a name=: dropped
    assert got[5]["code"] == "2;"
    assert got[6] == {"@kind": "transaction answered", "reason": "see ACC: call ended: code=9"}
    assert 4 not in got
    _assert_same_rows(data, nums)


def test_a_long_value_with_many_semicolons():
    """50,000 glued segments on one line: one value, one odd line, as ``parse_pairs``."""
    value = ";p" * 50_000
    data, nums = _file(HEAD + "timestamp=1;reason=r" + value + ";code=200")
    cols, lines, odd = kam._odd_rows(data, nums)
    assert _per_line(cols, lines)[1]["reason"] == "r" + value
    assert odd == 1
    _assert_same_rows(data, nums)


def test_fixture_reads_the_same_either_way():
    """The real-looking fixture: its 'Busy Here; try later' line goes the Arrow way (read by
    its layout's shape in the reader, split segment-wise here)."""
    path = FX / "kamailio_acc.log"
    data = path.read_bytes()
    _, _, shaped, odd_lines, _ = kam._syslog_pairs(data, str(path))
    odd_lines = sorted(odd_lines + [int(n) for _, got in shaped for n in got])
    raw = data.decode().split("\n")
    arrow_way = [n for n in odd_lines if "<" not in raw[n - 1] and raw[n - 1].isascii()]
    assert arrow_way, "the fixture no longer exercises the vectorized split"
    assert shaped, "the fixture no longer exercises the read by a layout's shape"
    _assert_same_rows(data, odd_lines)
    _assert_same_table(path)



REGULAR = HEAD + "timestamp=1600000000;method=INVITE;call_id=a@h;code=200"


def test_cr_only_file_with_a_semicolon_inside_a_value(tmp_path):
    """CR-only line ends: the odd line (one field more than the rest) reads the same."""
    path = tmp_path / "acc.log"
    path.write_bytes(f"{REGULAR}\r{HEAD}timestamp=1600000001;method=INVITE;call_id=b@h;"
                     "code=486;reason=Busy; try later\r".encode())
    _assert_same_table(path)
    assert _read(path, per_line=False).columns["disposition"].to_pylist() == [
        "200 ", "486 Busy; try later"]


def test_cr_only_file_with_keys_in_another_order(tmp_path):
    """Found by this file: with CR-only line ends and an odd line of the usual field count,
    the odd lines were looked up in the unconverted bytes (one line) and the file refused."""
    path = tmp_path / "acc.log"
    path.write_bytes(f"{REGULAR}\r{HEAD}method=INVITE;timestamp=1600000001;call_id=b@h;"
                     "code=486\r".encode())
    table = get("kamailio").read(path, ReadOptions())
    assert table.lines.tolist() == [1, 2]
