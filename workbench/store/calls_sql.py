"""The calls table's query as SQL, shared by the DuckDB and Spark stores.

A ``CallsQuery`` becomes one UNION ALL of the chosen sources (each filtered where it is
read, so a lake reads only the day partitions a time range touches) ordered by the sort
key, then source position and row: a total, stable order, so a page continues after the
previous page's last row (keyset paging) instead of skipping an OFFSET of rows. The sort
key is computed in SQL as columns ``k0``, ``k1``… of the page; the next page's condition
is written from them, so the key's meaning (missing values last, skew subtracted, an
upstream's rank) lives in one place.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from workbench.columns.times import NAT, US
from workbench.store.protocol import CALLS_PAGE_FIELDS, CALLS_SORTS, CallsQuery, PageAfter

_MAX = 2**63 - 1
_TEXT = ("calling", "called", "disposition", "ingress", "egress", "attest", "verstat")
_DAY_US = 86_400 * US

PAGE_SCHEMA = pa.schema(
    [pa.field("src", pa.int32()), pa.field("row", pa.int64())]
    + [pa.field(f, pa.string() if f in _TEXT else pa.float64() if f == "duration"
                else pa.uint32() if f == "flags" else pa.int64()) for f in CALLS_PAGE_FIELDS])


@dataclass(frozen=True)
class Dialect:
    """What differs between the engines: identifier quotes, string and infinity literals."""

    quote: str  # identifier quote
    backslash_escapes: bool  # string literals treat "\\" as an escape (Spark)
    infinity: str  # a +inf DOUBLE literal

    def name(self, ident: str) -> str:
        return f"{self.quote}{ident}{self.quote}"

    def text(self, value: str) -> str:
        if self.backslash_escapes:
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + value.replace("'", "''") + "'"

    def literal(self, value: object) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            if math.isinf(value):
                return self.infinity if value > 0 else f"(-{self.infinity})"
            return f"CAST('{value!r}' AS DOUBLE)"
        return self.text(str(value))


DUCKDB = Dialect('"', False, "CAST('inf' AS DOUBLE)")
SPARK = Dialect("`", True, "CAST('Infinity' AS DOUBLE)")


def check(query: CallsQuery) -> None:
    """Refuse a query the SQL cannot express faithfully (a caller's mistake)."""
    if query.sort is not None and query.sort not in CALLS_SORTS:
        raise ValueError(f"calls query: cannot sort by {query.sort!r}")
    if query.which not in ("either", "calling", "called"):
        raise ValueError(f"calls query: which = {query.which!r}")
    n = len(query.sources)
    for name, per in (("source_rank", query.source_rank), ("skew_us", query.skew_us),
                      ("ingress_rank", query.ingress_rank)):
        needed = {"source_rank": "source", "skew_us": "start_corrected",
                  "ingress_rank": "upstream"}[name]
        if query.sort == needed and len(per) != n:
            raise ValueError(f"calls query: sort {needed!r} needs {name} for {n} sources")


def key_exprs(query: CallsQuery, i: int, d: Dialect) -> list[str]:
    """The sort key of source ``i``'s rows as SQL expressions (never NULL)."""
    s, q = query.sort, d.name
    if s is None:
        return []
    if s in ("line", "flags"):
        return [f"CAST({q(s)} AS BIGINT)"]
    if s == "start":
        return [f"CASE WHEN {q('start')} IS NULL OR {q('start')} = {NAT} THEN {_MAX} "
                f"ELSE {q('start')} END"]
    if s == "start_corrected":
        skew = query.skew_us[i]
        if skew is None:
            return [f"CAST({_MAX} AS BIGINT)"]
        return [f"CASE WHEN {q('start')} IS NULL OR {q('start')} = {NAT} THEN {_MAX} "
                f"ELSE {q('start')} - ({int(skew)}) END"]
    if s == "duration":
        return [f"CASE WHEN {q('duration')} IS NULL OR isnan({q('duration')}) "
                f"THEN {d.infinity} ELSE {q('duration')} END"]
    if s == "source":
        return [f"CAST({int(query.source_rank[i])} AS BIGINT)"]
    if s == "upstream":
        ranks = query.ingress_rank[i]
        if not ranks:
            return [f"CAST({_MAX} AS BIGINT)"]
        whens = " ".join(f"WHEN {d.text(k)} THEN {int(v)}" for k, v in ranks.items())
        return [f"CAST(CASE {q('ingress')} {whens} ELSE {_MAX} END AS BIGINT)"]
    # text: nulls after every value, then the value (UTF-8 byte order in both engines)
    return [f"CASE WHEN {q(s)} IS NULL THEN 1 ELSE 0 END", f"COALESCE({q(s)}, '')"]


def where(query: CallsQuery, d: Dialect) -> list[str]:
    """The filters of ``query`` as SQL conditions (ANDed)."""
    q, out = d.name, []
    sides = [side for side in ("calling", "called") if query.which in ("either", side)]
    if query.number_key >= 0:
        out.append("(" + " OR ".join(f"{q(side + '_key')} = {int(query.number_key)}"
                                     for side in sides) + ")")
    elif query.digits:
        out.append("(" + " OR ".join(f"COALESCE(instr({q(side)}, {d.text(query.digits)}), 0)"
                                     " > 0" for side in sides) + ")")
    if query.start_us is not None:
        out.append(f"{q('start')} >= {int(query.start_us)} AND {q('start')} <> {NAT}")
    if query.end_us is not None:
        out.append(f"{q('start')} <= {int(query.end_us)} AND {q('start')} <> {NAT}")
    if query.disposition:
        out.append(f"{q('disposition')} = {d.text(query.disposition)}")
    if query.ingress is not None:
        out.append(f"({q('ingress')} = '' OR {q('ingress')} IS NULL)" if query.ingress == ""
                   else f"{q('ingress')} = {d.text(query.ingress)}")
    return out


def days_touched(days: Sequence[str], query: CallsQuery) -> list[str] | None:
    """The day partitions (of ``days``) that can hold rows of the query's time range; None
    when the query has no time bound (every partition)."""
    if query.start_us is None and query.end_us is None:
        return None
    lo = _day(query.start_us) if query.start_us is not None else None
    hi = _day(query.end_us) if query.end_us is not None else None
    return [x for x in days if x[:1].isdigit()  # "none": rows without a start never pass
            and (lo is None or x >= lo) and (hi is None or x <= hi)]


def _day(us: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(us) // _DAY_US)).isoformat()


def union(query: CallsQuery, relation: Callable[[int], str], d: Dialect, *,
          extra: Callable[[int], str] = lambda i: "") -> tuple[str, int]:
    """(SELECT of every chosen source's matching rows with src, row, the page fields and the
    key columns k0…, number of key columns). ``relation(i)`` is what source i is read from;
    ``extra(i)`` adds conditions (partition pruning)."""
    q = d.name
    parts, nkeys = [], 0
    cols = ", ".join(q(f) for f in CALLS_PAGE_FIELDS)
    for i in range(len(query.sources)):
        keys = key_exprs(query, i, d)
        nkeys = len(keys)
        conds = " AND ".join(f"({c})" for c in where(query, d)) or "TRUE"
        parts.append(f"SELECT CAST({i} AS INT) AS src, {q('row')}, {cols}"
                     + "".join(f", {k} AS k{j}" for j, k in enumerate(keys))
                     + f" FROM {relation(i)} WHERE {conds}{extra(i)}")
    return " UNION ALL ".join(parts), nkeys


def page_sql(query: CallsQuery, body: str, nkeys: int, limit: int, after: PageAfter | None,
             d: Dialect) -> str:
    """One page of ``body`` (from ``union``) in the query's order, after ``after``."""
    q = d.name
    direction = " DESC" if query.descending else ""
    order = [f"k{j}{direction}" for j in range(nkeys)] + ["src", q("row")]
    cond = ""
    if after is not None:
        cond = " WHERE " + _after(nkeys, query.descending, after, d)
    return (f"SELECT * FROM ({body}) u{cond} ORDER BY {', '.join(order)} "
            f"LIMIT {int(limit)}")


def count_sql(body: str) -> str:
    return f"SELECT count(*) AS n FROM ({body}) u"


def _after(nkeys: int, descending: bool, after: PageAfter, d: Dialect) -> str:
    """Rows after ``after`` in (k0 dir, …, src, row) order, written as nested OR/AND."""
    parts = [(f"k{j}", "<" if descending else ">", after[f"k{j}"]) for j in range(nkeys)]
    parts += [("src", ">", after["src"]), (d.name("row"), ">", after["row"])]
    cond = ""
    for col, op, value in reversed(parts):
        lit = d.literal(value)
        cond = (f"{col} {op} {lit}" if not cond
                else f"({col} {op} {lit} OR ({col} = {lit} AND {cond}))")
    return cond


def as_page(table: pa.Table) -> pa.Table:
    """A page as the protocol's types (engines return large strings, signed flags, …),
    key columns kept as they came."""
    cols = [table.column(f.name).cast(f.type) for f in PAGE_SCHEMA]
    keys = [n for n in table.column_names if n.startswith("k") and n[1:].isdigit()]
    return pa.table(cols + [table.column(k) for k in keys],
                    names=[f.name for f in PAGE_SCHEMA] + keys)


__all__ = ["DUCKDB", "PAGE_SCHEMA", "SPARK", "Dialect", "as_page", "check", "count_sql",
           "days_touched", "page_sql", "union", "where"]
