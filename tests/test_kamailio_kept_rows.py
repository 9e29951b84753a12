"""Kamailio acc: answer, end and duration worked out on the kept INVITE rows alone, the BYE
lookup for those rows alone (one BYE per Call-ID: no sort), the epoch check that stops at the
head of a DATETIME column, and a table export's values left as they are when their edge bytes
prove nothing to trim or null, against the committed ``_build``, ``_is_epoch``, the group-by
and join of ``first_bye`` and ``blank_to_null`` (kept here as oracles).

The whole readers are compared (rows, every column and its type, notes, bad lines, time basis,
errors) on generated table exports and syslog logs, the fixtures and a bench-sized copy.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.format_fixtures import FX
from tests.parsed_compare import assert_same_parsed
from tests.test_kamailio_db_lazy import db_file
from tests.test_kamailio_db_values import old_blank_to_null
from tests.test_kamailio_fast import old_first_bye, shaped_log
from tests.test_kamailio_split import BOUNDED
from workbench.common.errors import InputError
from workbench.ingest.formats import ReadOptions
from workbench.ingest.formats.base import BadLine, ParsedTable
from workbench.ingest.formats.delimited import MAX_BAD_KEPT
from workbench.ingest.formats.switches import kamailio as kam
from workbench.ingest.formats.switches import kamailio_bye
from workbench.ingest.formats.switches.common import (
    blank_to_null,
    coalesce,
    count_true,
    finish,
    text,
)
from workbench.ingest.formats.switches.kamailio_template import IDENTITY_PARAMS
from workbench.ingest.formats.switches.times import seconds_between

# ---------------------------------------------------------------- the committed code (oracles)


def committed_db_values(col):
    return old_blank_to_null(col, kam.NULL_TEXT, strip=True)


def committed_is_epoch(col: pa.Array) -> bool:
    present = len(col) - col.null_count
    epochs = count_true(pc.match_substring_regex(col, r"^[0-9]{9,16}(\.[0-9]+)?$"))
    return bool(present) and epochs == present


def committed_build(kv: Mapping[str, pa.Array], lines: np.ndarray, kinds: pa.Array | None,
                    opts: ReadOptions, file: str, notes: list[str], bad: list[BadLine],
                    bad_count: int, enc: str, *, epoch: bool, data: bytes,
                    headers: list[str] | None = None, starts: np.ndarray | None = None,
                    on_rows: Callable[[str, Callable[[pa.Array], pa.Array]], pa.Array]
                    | None = None) -> ParsedTable:
    """Calls out of acc records (``kv``: a field's values by name, blank = null).
    ``on_rows(key, pick)``: the field ``kv[key]`` made from the source on the kept rows alone
    (``pick`` keeps them): fields only copied to the output are converted on those rows."""
    n = len(lines)
    cache: dict[str, pa.Array] = {}

    def get(key: str) -> pa.Array | None:  # blank → null on first use: most keys go unused
        if key not in kv:
            return None
        if key not in cache:
            cache[key] = blank_to_null(kv[key])
        return cache[key]

    method = pc.utf8_upper(get("method")) if "method" in kv else pa.nulls(n, pa.string())
    is_invite = pc.fill_null(pc.or_kleene(pc.equal(method, "INVITE"), pc.is_null(method)), True)
    is_bye = pc.fill_null(pc.equal(method, "BYE"), False)
    stamp = kam._times(coalesce(get("timestamp"), get("time")), epoch)
    created = kam._times(get("created"), epoch)
    started = kam._times(coalesce(get("call_start_time"), get("start_time")), epoch)
    ended = kam._times(get("end_time"), epoch)
    call_id = get("call_id")
    code = get("code")
    answered_code = pc.starts_with(code, "2") if code is not None else pa.nulls(n, pa.bool_())
    if kinds is not None:
        answered = pc.fill_null(pc.or_(pc.equal(kinds, "transaction answered"),
                                       pc.equal(kinds, "call ended")), False)
    else:
        answered = pc.fill_null(answered_code, True)
    start = coalesce(created, stamp, started)
    if start is None:  # e.g. a header line alone, cut before its time columns
        raise InputError("no time field (timestamp, time, created or start_time) in any "
                         "record", file=file)
    answer = coalesce(started, pc.if_else(answered, stamp, pa.scalar(None, stamp.type))
                      if stamp is not None else None)
    duration = get("duration")
    end = ended
    # BYE records close the INVITE with the same Call-ID (first BYE wins)
    if call_id is not None and stamp is not None and count_true(is_bye):
        bye_end = old_first_bye(call_id, stamp, is_bye)
        end = coalesce(end, pc.if_else(is_invite, bye_end, pa.scalar(None, bye_end.type)))
    if epoch and started is not None and duration is not None:  # OpenSIPS: answer + duration
        secs = pc.cast(pc.if_else(pc.match_substring_regex(duration, r"^[0-9]+$"), duration,
                                  pa.scalar(None, pa.string())), pa.int64())
        until = pc.add(pc.cast(started, pa.int64()), pc.multiply(secs, 1_000_000))
        until = until.cast(started.type)
        end = coalesce(end, until)
    if end is not None and answer is not None:
        a, e = (answer, end) if epoch else (kam._wall(answer), kam._wall(end))
        duration = coalesce(duration, pc.cast(seconds_between(a, e), pa.string()))
    cols = {"start": start, "answer": answer, "end": end, "duration": duration,
            "call_id": call_id}
    # a record without a usable time (or, in syslog, without a method) cannot be placed
    valid = pc.is_valid(start)
    if kinds is not None:
        valid = pc.and_(valid, pc.is_valid(method))
    invalid = pc.invert(valid).to_numpy(zero_copy_only=False)
    if invalid.any():
        nums = [int(ln) for ln in np.sort(lines[invalid])[:MAX_BAD_KEPT]]
        bad = sorted(list(bad) + [BadLine(ln, "no usable time or method", t)
                                  for ln, t in zip(nums, kam._line_texts(data, nums, starts))],
                     key=lambda b: b.line)[:MAX_BAD_KEPT]
        bad_count += int(invalid.sum())
        is_invite = pc.and_(is_invite, valid)
    inv = is_invite.to_numpy(zero_copy_only=False)
    pick, kept = kam._rows(inv, is_invite, lines)
    cols = {k: (pick(v) if v is not None else None) for k, v in cols.items()}

    def out(key: str) -> pa.Array | None:  # a field only copied out: made on the kept rows
        if key not in kv:
            return None
        if key in cache or on_rows is None:
            return pick(get(key))
        return blank_to_null(on_rows(key, pick))

    reason = out("reason")  # absent from a line cut after its code= (a truncated log)
    cols.update({
        "calling": coalesce(out("src_user"), out("from_user")),
        "called": coalesce(out("dst_user"), out("dst_ouser"), out("to_user")),
        "ingress": out("src_ip"), "egress": out("dst_domain"),
        "disposition": (pc.binary_join_element_wise(
            pick(code), pc.fill_null(reason, "") if reason is not None else "", " ")
            if code is not None else reason),
        "identity": kam._identity({k: out(k) for k in ("identity",) + IDENTITY_PARAMS
                                   if k in kv}),
        "verstat": out("verstat"), "attest": out("attest"), "origid": out("origid"),
    })
    cols = {k: (v if v is None or pa.types.is_timestamp(v.type) else pc.cast(v, pa.string()))
            for k, v in cols.items()}
    named = {k: pick(text(v)) for k, v in kv.items()} if opts.columns else None
    skipped = n - int(inv.sum()) - int(invalid.sum())
    from_created = (len(created) - created.null_count) if created is not None else 0
    rows = int(inv.sum())
    all_created = created is not None and count_true(
        pc.filter(pc.is_valid(created), is_invite)) == rows
    basis = "invite" if all_created else "answer"
    notes = list(notes)
    notes.append(f"{rows} INVITE records read; {skipped} other records (BYE, ACK, …) used only "
                 "to close calls" if skipped else f"{rows} INVITE records read")
    if basis == "answer" and stamp is None:
        notes.append("start is the dialog's start_time (the answer), not the INVITE: matching "
                     "widens for this source")
    elif basis == "answer":
        notes.append("start is the time acc logged the final reply (the answer time for "
                     "answered calls), not the INVITE: matching widens for this source")
    if from_created:
        notes.append(f"{from_created} OpenSIPS records carry created= (INVITE time): used as start")
    notes.append("calling ← src_user, called ← dst_user (dst_ouser), ingress ← src_ip, "
                 "egress ← dst_domain, disposition ← code + reason")
    if not epoch:
        notes.append("times are the database's wall-clock DATETIME: read in the source's timezone")
    return finish(cols, kept, named=named, opts=opts, file=file, notes=notes, bad=bad,
                  bad_count=bad_count, time_basis=basis, encoding=enc, headers=headers)


def _read(path: Path, opts: ReadOptions, *, old: bool) -> ParsedTable | str:
    with ExitStack() as stack:
        if old:
            stack.enter_context(mock.patch.object(kam, "_build", committed_build))
            stack.enter_context(mock.patch.object(kam, "_is_epoch", committed_is_epoch))
            stack.enter_context(mock.patch.object(kam, "_db_values", committed_db_values))
        try:
            return (kam.read_kamailio_db if path.suffix == ".csv" else kam.read_kamailio)(path,
                                                                                        opts)
        except Exception as exc:  # noqa: BLE001 (the same error, InputError or not)
            return f"{type(exc).__name__}: {exc}"


def assert_same(path: Path) -> None:
    for opts in (ReadOptions(), ReadOptions(columns={"egress": "src_user"}),
                 ReadOptions(columns={"egress": "no_such_field"})):
        assert_same_parsed(_read(path, opts, old=False), _read(path, opts, old=True))


def _check(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"acc{suffix}"
        path.write_bytes(data)
        assert_same(path)


# ---------------------------------------------------------------- whole readers

# acc_cdrs columns beside acc ones: OpenSIPS answer + duration, end_time, created
CDR_VALUE = st.sampled_from(["", "NULL", "1718035238", "1718035300", "36", "x", "-1", "1e3",
                             "99999999999999999999", "2024-06-10 16:00:38", "INVITE", "BYE",
                             "a@h", "b@h", "200", "486"])
CDR_COLUMNS = ("method", "callid", "time", "start_time", "end_time", "duration", "created",
               "sip_code", "sip_reason", "src_user", "dst_user", "dst_ouser", "to_user",
               "from_user")


EPOCH_VALUE = st.sampled_from(["", "NULL", "1718035238", "1718035300", "1718035238.5"])
TIMES = ("time", "start_time", "end_time", "created")
FIELD_VALUE = {"method": st.sampled_from(["INVITE", "BYE", "ACK", "", "NULL", "invite"]),
               "callid": st.sampled_from(["a@h", "b@h", "c", "", "NULL"]),
               "sip_code": st.sampled_from(["200", "486", "", "NULL", "2"]),
               "duration": st.sampled_from(["36", "0", "", "NULL", "x", "-1"])}


@st.composite
def cdr_file(draw) -> bytes:
    """acc and acc_cdrs columns; mostly epoch times (OpenSIPS: answer + duration)."""
    cols = draw(st.lists(st.sampled_from(CDR_COLUMNS), min_size=2, max_size=8, unique=True))
    cols.append(draw(st.sampled_from(["callid", "start_time"])))
    if draw(st.booleans()):  # acc_cdrs: the answer and the duration
        cols += [c for c in ("start_time", "duration") if c not in cols]
    epochs = draw(st.integers(0, 3)) > 0
    values = [EPOCH_VALUE if epochs and c in TIMES else FIELD_VALUE.get(c, CDR_VALUE)
              for c in cols]
    if draw(st.booleans()):
        values = [st.one_of(v, CDR_VALUE) for v in values]
    rows = draw(st.lists(st.tuples(*values).map(list), min_size=1, max_size=14))
    return ("\n".join([",".join(cols)] + [",".join(r) for r in rows]) + "\n").encode()


@settings(BOUNDED, max_examples=60)
@given(db_file())
def test_table_export_equals_the_committed_build(data):
    _check(data, ".csv")


@settings(BOUNDED, max_examples=100)
@given(cdr_file())
def test_cdr_export_equals_the_committed_build(data):
    _check(data, ".csv")


@settings(BOUNDED, max_examples=100)
@given(shaped_log())
def test_syslog_equals_the_committed_build(data):
    _check(data, ".log")


@settings(BOUNDED, max_examples=60)
@given(st.lists(st.tuples(st.sampled_from(["INVITE", "BYE", "ACK", "", "bye"]),
                          st.sampled_from(["a@h", "b@h", "c", ""]),
                          st.sampled_from(["1718035238", "1718035200", "", "x"]),
                          st.sampled_from(["200", "486", ""]),
                          st.sampled_from(["transaction answered", "call missed",
                                           "call ended"]),
                          st.sampled_from(["dst_user=2;dst_ouser=3", "dst_user=;dst_ouser=3",
                                           "dst_user=;to_user=4", "to_user=4"])),
                min_size=1, max_size=20))
def test_syslog_byes_close_their_invites_as_before(rows):
    """Many BYEs and INVITEs sharing few Call-IDs, some without a time or a method, the
    called number from dst_user, dst_ouser or to_user."""
    lines = [f"ACC: {kind}: timestamp={t};method={m};call_id={c};code={code};"
             f"src_user=1;{dst}" for m, c, t, code, kind, dst in rows]
    _check(("\n".join(lines) + "\n").encode(), ".log")


def test_fixtures_read_as_before():
    assert_same(FX / "kamailio_acc.log")
    assert_same(FX / "kamailio_db_acc.csv")


def test_bench_sized_copies_read_as_before():
    text_ = (FX / "kamailio_db_acc.csv").read_text()
    head, _, body = text_.partition("\n")
    copies = "".join(body.replace("16:0", f"1{k % 10}:0").replace("@", f"{k}@")
                     for k in range(30))
    _check((head + "\n" + copies).encode(), ".csv")
    log = (FX / "kamailio_acc.log").read_text()
    _check("".join(log.replace("1718035", f"17180{k}").replace("@", f"{k}@")
                   for k in range(40, 70)).encode(), ".log")


# ---------------------------------------------------------------- kernels

@settings(BOUNDED, max_examples=300)
@given(st.lists(st.tuples(st.sampled_from([None, "a@h", "b@h", "c", ""]),
                          st.one_of(st.none(), st.integers(0, 5)), st.booleans(),
                          st.booleans()), min_size=1, max_size=25), st.booleans())
def test_bye_lookup_on_some_rows_equals_the_whole_column_at_those_rows(rows, as_text):
    """``lookup_bye(bye_times(BYE rows), kept rows)`` is the committed group-by and join over
    every row, taken at the kept rows."""
    call_id = pa.array([r[0] for r in rows], pa.string())
    if as_text:
        stamp = pa.array([None if r[1] is None else f"2024-06-10 16:0{r[1]}:00" for r in rows],
                         pa.string())
    else:
        stamp = pa.array([None if r[1] is None else 1_718_000_000_000_000 + r[1] for r in rows],
                         pa.timestamp("us", tz="UTC"))
    is_bye = pa.array([r[2] for r in rows])
    assume(any(r[2] for r in rows))
    kept = pa.array(np.flatnonzero([r[3] for r in rows]))
    byes = kamailio_bye.bye_times(pc.filter(call_id, is_bye), pc.filter(stamp, is_bye))
    got = kamailio_bye.lookup_bye(byes, pc.take(call_id, kept))
    want = pc.take(old_first_bye(call_id, stamp, is_bye), kept)
    assert got.type == want.type
    assert got.to_pylist() == want.to_pylist()


EPOCH_DECOY = st.sampled_from([None, "", "1718035238", "1718035238.25", "171803523", "12345678",
                               "2024-06-10 16:00:38", "1718035238 ", "١٧١٨٠٣٥٢٣٨", "1718035238\n",
                               "17180352381234567", "0000000000"])


EPOCH_OK = st.sampled_from([None, "1718035238", "1718035238.25", "0000000000"])


@settings(BOUNDED, max_examples=300)
@given(st.lists(st.one_of(EPOCH_OK, EPOCH_OK, EPOCH_OK, EPOCH_DECOY), max_size=90),
       st.lists(EPOCH_DECOY, max_size=5), st.integers(0, 100))
def test_epoch_check_equals_the_whole_column_regex(head, tail, pad):
    """Decoys past the first 64 values, nulls in the head, empty and all-null columns."""
    col = pa.array(head + ["1718035238"] * pad + tail, pa.string())
    assert kam._is_epoch(col) == committed_is_epoch(col)


DB_TEXT = st.one_of(st.none(), st.sampled_from(["", "NULL", "null", "\\N", "NA", "N/A", "None",
                                               "Nx", "NULLS", "nULL", " NULL", "x ", "é", "x\u00a0",
                                               "\tx", "INVITE", "200", "N", "n", "\\", "~"]),
                    st.text(st.sampled_from(list("Nn\\ula /x")), max_size=5))


@settings(BOUNDED, max_examples=400)
@given(st.lists(DB_TEXT, max_size=12), st.integers(0, 3), st.integers(0, 3), st.booleans())
def test_db_values_equal_blank_to_null(values, lead, chunk_at, chunked):
    """A table export's column (chunked, sliced, with nulls) as ``blank_to_null`` with the
    NULL tokens and trimming gives it."""
    col = pa.array(["x"] * lead + values, pa.string()).slice(lead)
    if chunked:
        cut = min(chunk_at, len(col))
        col = pa.chunked_array([col.slice(0, cut), col.slice(cut)], pa.string())
    got = kam._db_values(col)
    want = committed_db_values(col)
    assert got.type == want.type
    assert got.to_pylist() == want.to_pylist()
