"""A CdrStore on DuckDB: the same engine answers from SQL instead of in-memory indexes.

Each source becomes one DuckDB table sorted by (called_key, start, row), so that the
zone maps of a row group prune lookups by called number; every protocol method is one
batched query (keys, row ids and pairs arrive as registered Arrow tables and are joined,
never looped over). Results are cast to the same Arrow types as ``ArrowStore`` returns,
so the trace engine's output does not depend on the backend. Raw lines still come from
the original files through ``CdrSource``: the files stay the evidence.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from workbench.columns.times import NAT
from workbench.store import calls_sql
from workbench.store.lake import Lake, LakeSource, days_between, days_of
from workbench.store.protocol import (
    CANDIDATE_FIELDS,
    ROW_FIELDS,
    CallKey,
    CallsPage,
    CallsQuery,
    PageAfter,
    SourceId,
)
from workbench.store.source import CdrSource
from workbench.store.sql_common import CANDIDATE_SCHEMA, SqlStoreBase, cast_to

_MAX = np.iinfo(np.int64).max
_META = "wb_sources"
_LITERAL_KEYS = 64  # up to this many keys, constant filters; beyond, a join of a key table
_CANDIDATE_COLS = ", ".join(f't."{f}"' for f in CANDIDATE_FIELDS[1:])


class DuckDbStore(SqlStoreBase):
    """CdrStore over DuckDB tables built from a case's loaded sources (``store.protocol``),
    or over a Parquet lake (``over_lake``), whose rows are never loaded into memory.

    ``database`` is ``":memory:"`` or a file; a file keeps the tables, and a source whose
    file, settings and import summary match its stored copy is not copied again.
    """

    dialect = calls_sql.DUCKDB

    #: not the embedded store: the calls table pages through ``calls_page``
    embedded = False

    def __init__(self, sources: Sequence[CdrSource], database: str | Path = ":memory:", *,
                 lake: Lake | None = None):
        self._sources: dict[SourceId, CdrSource] = {s.id: s for s in sources}
        self._names: dict[SourceId, str] = {}
        self._schemas: dict[SourceId, pa.Schema] = {}
        self._lake = lake
        self._parts: dict[SourceId, LakeSource] = {}
        self._lock = threading.Lock()  # one connection; GUI workers may call from threads
        self._con = duckdb.connect(str(database))
        if lake is not None:
            self._open_lake(lake, sources)
            return
        self._con.execute(f"CREATE TABLE IF NOT EXISTS {_META} (name VARCHAR PRIMARY KEY, "
                          "provider VARCHAR, path VARCHAR, fingerprint VARCHAR, nrows BIGINT)")
        for i, src in enumerate(sources):
            self._names[src.id] = f"src_{i}"
            self._schemas[src.id] = _plain_schema(src.table.schema)
            self._register(f"src_{i}", src)

    @classmethod
    def over_lake(cls, lake: Lake, sources: Sequence[CdrSource]) -> DuckDbStore:
        """A store reading the lake's Parquet parts in place (``sources`` from its manifest:
        summaries and the original files for raw lines)."""
        return cls(sources, ":memory:", lake=lake)

    def _open_lake(self, lake: Lake, sources: Sequence[CdrSource]) -> None:
        """One view per source over all its parts; lookups read only the days they touch."""
        held = lake.by_path()
        self._con.execute("SET parquet_metadata_cache = true")  # footers read once
        for i, src in enumerate(sources):
            part = held.get(src.id.path)
            if part is None:
                raise KeyError(f"no source {src.id} in the lake at {lake.root}")
            name = f"src_{i}"
            self._names[src.id], self._parts[src.id] = name, part
            self._schemas[src.id] = lake.schema(part)
            self._con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM "
                              f"{_scan(part.files(lake.root))}")

    def _relation(self, sid: SourceId, days: list[str] | None) -> str:
        """What a lookup of these days reads: the source's table (or view), or on a lake
        only the Parquet parts of those days (partition pruning)."""
        name = self._table(sid)
        if self._lake is None or days is None:
            return name
        files = self._parts[sid].files(self._lake.root, days)
        return _scan(files) if files else f"(SELECT * FROM {name} LIMIT 0)"

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def _register(self, name: str, src: CdrSource) -> None:
        """Copy a source's normalized rows into a sorted table, unless already there."""
        mark = _fingerprint(src)
        known = self._con.execute(f"SELECT fingerprint, nrows FROM {_META} WHERE name = ?",
                                  [name]).fetchall()
        if known == [(mark, len(src))]:
            return
        fields = [f for f in ROW_FIELDS if f in src.table.column_names]
        view = src.table.select(fields).append_column(
            "row", pa.array(np.arange(len(src), dtype=np.int64)))
        self._con.register("_incoming", view)
        cols = ", ".join(_as_sql(f, view.schema.field(f).type) for f in [*fields, "row"])
        self._con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {cols} FROM _incoming "
                          "ORDER BY called_key, start, row")
        self._con.unregister("_incoming")
        self._con.execute(f"INSERT OR REPLACE INTO {_META} VALUES (?, ?, ?, ?, ?)",
                          [name, src.id.provider, src.id.path, mark, len(src)])

    def _table(self, sid: SourceId) -> str:
        try:
            return self._names[sid]
        except KeyError:
            raise KeyError(f"no source {sid} in this store") from None

    def _query(self, sql: str, **arrow: pa.Table) -> pa.Table:
        """Run one query with Arrow tables registered under the given names."""
        with self._lock:
            for name, table in arrow.items():
                self._con.register(name, table)
            try:
                return self._con.sql(sql).to_arrow_table()
            finally:
                for name in arrow:
                    self._con.unregister(name)

    # -- the protocol ------------------------------------------------------------------
    def candidates(self, keys: Sequence[CallKey]) -> pa.Table:
        if not keys:
            return cast_to(pa.table({f: [] for f in CANDIDATE_FIELDS}), CANDIDATE_SCHEMA)
        tables = [self._table(k.source) for k in keys]
        lo = [NAT + 1 if k.lo_us is None else max(int(k.lo_us), NAT + 1) for k in keys]
        hi = [_MAX if k.hi_us is None else int(k.hi_us) for k in keys]
        if len(keys) <= _LITERAL_KEYS:
            rels = [self._relation(k.source, days_between(k.lo_us, k.hi_us)) for k in keys]
            sql = self._literal_lookup(keys, rels, lo, hi)
            return cast_to(self._query(sql), CANDIDATE_SCHEMA)
        wanted = pa.table({
            "q": pa.array(np.arange(len(keys), dtype=np.int32)),
            "tbl": pa.array(tables, pa.string()),
            "called_key": pa.array([k.called_key for k in keys], pa.int64()),
            "calling_key": pa.array([k.calling_key for k in keys], pa.int64()),
            "lo": pa.array(lo, pa.int64()), "hi": pa.array(hi, pa.int64())})
        # MATERIALIZED: the keys of one table become a small build side, and the join's
        # min/max filter on called_key then prunes row groups of the sorted table.
        by_table: dict[str, list[CallKey]] = {}
        for k, name in zip(keys, tables, strict=True):
            by_table.setdefault(name, []).append(k)
        parts = [f"SELECT k.q, {_CANDIDATE_COLS} FROM "
                 f"(SELECT * FROM _wanted WHERE tbl = '{name}') k "
                 f"JOIN {self._relation(ks[0].source, days_of([(k.lo_us, k.hi_us) for k in ks]))}"
                 " t ON t.called_key = k.called_key "
                 "AND t.start BETWEEN k.lo AND k.hi "
                 "AND (k.calling_key < 0 OR t.calling_key = k.calling_key)"
                 for name, ks in by_table.items()]
        sql = ("WITH _wanted AS MATERIALIZED (SELECT * FROM wanted) "
               + " UNION ALL ".join(parts) + ' ORDER BY q, start, "row"')
        return cast_to(self._query(sql, wanted=wanted), CANDIDATE_SCHEMA)

    @staticmethod
    def _literal_lookup(keys: Sequence[CallKey], relations: list[str], lo: list[int],
                        hi: list[int]) -> str:
        """A few keys (one trace's hop) as constant filters: each scan prunes row groups by
        its own zone maps, and a join's planning and registration cost are saved (a
        trace's lookups are a handful of keys; batches take the join)."""
        parts = []
        for q, (k, name) in enumerate(zip(keys, relations, strict=True)):
            calling = f" AND t.calling_key = {int(k.calling_key)}" if k.calling_key >= 0 else ""
            parts.append(f"SELECT {q}::INTEGER AS q, {_CANDIDATE_COLS} FROM {name} t "
                         f"WHERE t.called_key = {int(k.called_key)} "
                         f"AND t.start BETWEEN {lo[q]} AND {hi[q]}{calling}")
        return " UNION ALL ".join(parts) + ' ORDER BY q, start, "row"'

    def ingress_counts(self, sources: Sequence[SourceId]
                       ) -> Mapping[SourceId, list[tuple[str, int]]]:
        out: dict[SourceId, list[tuple[str, int]]] = {}
        for sid in sources:
            t = self._query(f'SELECT ingress, count(*) AS n, min("row") AS first '
                            f"FROM {self._table(sid)} WHERE ingress IS NOT NULL "
                            "GROUP BY ingress ORDER BY first")
            out[sid] = list(zip(t.column("ingress").to_pylist(),
                                (int(n) for n in t.column("n").to_pylist()), strict=True))
        return out

    def rows(self, source: SourceId, rows: np.ndarray, fields: Sequence[str]) -> pa.Table:
        ids = np.asarray(rows, dtype=np.int64)
        name = self._table(source)
        asked = pa.table({"pos": pa.array(np.arange(len(ids), dtype=np.int64)),
                          "id": pa.array(ids)})
        cols = ", ".join(f't."{f}"' for f in fields)
        out = self._query(f'SELECT {cols} FROM asked a JOIN {name} t ON t."row" = a.id '
                          "ORDER BY a.pos", asked=asked)
        if out.num_rows != len(ids):
            bad = sorted(set(ids.tolist()) - set(self._query(
                f'SELECT t."row" FROM asked a JOIN {name} t ON t."row" = a.id',
                asked=asked).column(0).to_pylist()))
            raise IndexError(f"rows {bad[:5]} out of range for {source}")
        return cast_to(out, self._schema(source, fields))

    def columns(self, source: SourceId, fields: Sequence[str]) -> pa.Table:
        cols = ", ".join(f'"{f}"' for f in fields)
        out = self._query(f'SELECT {cols} FROM {self._table(source)} ORDER BY "row"')
        return cast_to(out, self._schema(source, fields))

    # -- the calls table (``protocol.PagedCalls``) ---------------------------------------
    def calls_page(self, query: CallsQuery, limit: int, after: PageAfter | None = None,
                   *, count: bool = False) -> CallsPage:
        """One page of the calls table in one query (and its count in a second); on a lake
        only the day partitions of the query's time range are read."""
        calls_sql.check(query)
        if not query.sources:
            return CallsPage(calls_sql.as_page(calls_sql.PAGE_SCHEMA.empty_table()),
                             0 if count else -1)

        def relation(i: int) -> str:
            sid = query.sources[i]
            days = (calls_sql.days_touched(list(self._parts[sid].days), query)
                    if self._lake is not None else None)
            return self._relation(sid, days)

        body, nkeys = calls_sql.union(query, relation, calls_sql.DUCKDB)
        page = self._query(calls_sql.page_sql(query, body, nkeys, limit, after,
                                              calls_sql.DUCKDB))
        matched = -1
        if count:
            matched = int(self._query(calls_sql.count_sql(body)).column("n")[0].as_py())
        return CallsPage(calls_sql.as_page(page), matched)



def _scan(files: Sequence[Path]) -> str:
    """A read_parquet over these files (SQL literal list)."""
    quoted = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
    return f"read_parquet([{quoted}])"


def _fingerprint(src: CdrSource) -> str:
    """What the stored rows were made from: the file's SHA-256, the source settings (a new
    time zone or column mapping gives other rows from the same bytes) and the summary."""
    made_of = [src.sha256, repr(src.config), src.summary.to_dict(), len(src)]
    return hashlib.sha256(json.dumps(made_of, sort_keys=True, default=str).encode()).hexdigest()


def _as_sql(name: str, typ: pa.DataType) -> str:
    """A column of the incoming Arrow view as stored: dictionaries as plain VARCHAR."""
    if pa.types.is_dictionary(typ):
        return f'CAST("{name}" AS VARCHAR) AS "{name}"'
    return f'"{name}"'


def _plain_schema(schema: pa.Schema) -> pa.Schema:
    """The types the embedded store returns: dictionary columns decoded to their values."""
    return pa.schema([pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type)
                               else f.type) for f in schema])


