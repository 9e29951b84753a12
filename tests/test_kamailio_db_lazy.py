"""Kamailio acc/acc_cdrs table exports: columns converted on first use (``Lazy``) give the
table that converting every column up front (the committed reader) gives.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_kamailio_split import BOUNDED
from workbench.common.errors import InputError
from workbench.ingest.formats import ReadOptions
from workbench.ingest.formats.switches import kamailio as kam
from workbench.ingest.formats.switches.common import NULL_TEXT, blank_to_null

# ---------------------------------------------------------------- acc table exports

DB_COLUMNS = ("id", "method", "from_tag", "to_tag", "callid", "call_id", "sip_code",
              "sip_reason", "time", "src_user", "dst_user", "dst_ouser", "src_ip",
              "dst_domain", "start_time", "end_time", "duration", "created")
DB_VALUE = st.one_of(st.sampled_from(["", "NULL", "\\N", " x ", "INVITE", "BYE", "200", "486",
                                      "2024-06-10 16:00:38", "1718035238", "a@h", "OK",
                                      "é", "x\u00a0", " NULL", "OK\t"]),
                     st.from_regex(r"[a-z0-9 @.]{0,6}", fullmatch=True))


@st.composite
def db_file(draw) -> bytes:
    cols = draw(st.lists(st.sampled_from(DB_COLUMNS), min_size=3, max_size=9, unique=True))
    if "callid" not in cols and "start_time" not in cols:
        cols.append(draw(st.sampled_from(["callid", "start_time"])))
    if draw(st.booleans()):
        cols.append(" `Time` ")  # a name that folds onto another: the last one wins
    rows = draw(st.lists(st.lists(DB_VALUE, min_size=len(cols), max_size=len(cols)),
                         min_size=1, max_size=12))
    return ("\n".join([",".join(cols)] + [",".join(r) for r in rows]) + "\n").encode()


def _values_before(col):
    """``_db_values`` as committed: every value trimmed."""
    return blank_to_null(col, NULL_TEXT, strip=True)


def _read_db(path: Path, opts: ReadOptions, *, lazy: bool):
    eager = lambda makers: {k: make() for k, make in makers.items()}  # noqa: E731
    try:
        if lazy:
            return kam.read_kamailio_db(path, opts)
        # the committed computation: every column converted (none left out by ``_db_wanted``),
        # every value trimmed, all up front
        with mock.patch.object(kam, "Lazy", eager), \
                mock.patch.object(kam, "_db_wanted", lambda *_: None), \
                mock.patch.object(kam, "_db_values", _values_before):
            return kam.read_kamailio_db(path, opts)
    except InputError as exc:
        return f"InputError: {exc}"


@settings(BOUNDED, max_examples=80)
@given(db_file(), st.booleans())
def test_table_export_converts_columns_on_use_with_the_same_result(data, named):
    """Columns made on first use give the table every column made up front gives (the
    committed computation), with and without a named-field override."""
    opts = ReadOptions(columns={"egress": "src_ip"}) if named else ReadOptions()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "acc.csv"
        path.write_bytes(data)
        got, want = _read_db(path, opts, lazy=True), _read_db(path, opts, lazy=False)
    if isinstance(want, str) or isinstance(got, str):
        assert got == want
        return
    assert got.lines.tolist() == want.lines.tolist()
    assert got.columns.keys() == want.columns.keys()
    for name in want.columns:
        assert got.columns[name].to_pylist() == want.columns[name].to_pylist(), name
    assert got.notes == want.notes
    assert got.bad_lines == want.bad_lines
