"""What the SQL stores (DuckDB, Spark) share: source bookkeeping, raw lines from the original
files, the queries both dialects can run (shared-call offsets, distinct values), and the cast
of an engine's Arrow types to the protocol's exact ones, so that the trace engine's output
does not depend on the backend."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from workbench.columns.arrow_numpy import to_numpy
from workbench.columns.times import NAT, US
from workbench.store.calls_sql import Dialect
from workbench.store.normalize import SourceSummary
from workbench.store.pair_offsets import pair_times
from workbench.store.protocol import CANDIDATE_FIELDS, ROW_FIELDS, SourceId
from workbench.store.source import CdrSource

_NUMERIC_TYPES: dict[str, pa.DataType] = {
    "q": pa.int32(), "row": pa.int64(), "line": pa.int64(), "start": pa.int64(),
    "answer": pa.int64(), "duration": pa.float64(), "flags": pa.uint32(),
    "calling_key": pa.int64(), "called_key": pa.int64(), "pp_iat": pa.int64()}
#: ``CdrStore.candidates``' columns with the types ``ArrowStore`` returns.
CANDIDATE_SCHEMA = pa.schema([pa.field(f, _NUMERIC_TYPES.get(f, pa.string()))
                              for f in CANDIDATE_FIELDS])


def cast_to(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """An engine's Arrow types (large or view strings, longs for unsigned ints) to the
    protocol's exact types, column by column in ``schema``'s order."""
    return pa.table([table.column(i).cast(f.type) for i, f in enumerate(schema)],
                    schema=schema)


class SqlStoreBase:
    """The bookkeeping both SQL stores keep: ``_sources`` (id -> loaded or lake-backed
    source) and ``_schemas`` (id -> its plain Arrow schema); ``_table`` names a source's
    relation or raises KeyError for a source the store does not hold."""

    _sources: dict[SourceId, CdrSource]
    _schemas: dict[SourceId, pa.Schema]
    dialect: Dialect

    def _table(self, sid: SourceId) -> str:
        raise NotImplementedError

    def _query(self, sql: str, **tables: pa.Table) -> pa.Table:
        """One query, Arrow tables registered under the given names."""
        raise NotImplementedError

    def pair_offsets(self, a: SourceId, ingresses: Sequence[str], b: SourceId,
                     max_offset_s: float, times: tuple[str, str] = ("start", "start")
                     ) -> np.ndarray:
        ta, tb = self._table(a), self._table(b)
        time_a, time_b = pair_times(times)
        if not ingresses:
            return np.zeros(0, dtype=np.float64)
        ing = pa.table({"ingress": pa.array(list(ingresses), pa.string())})
        row = f"{self.dialect.quote}row{self.dialect.quote}"
        usable = f"calling_key >= 0 AND called_key >= 0 AND start <> {NAT}"
        # min() of a group of one row is that row's value; a pair is kept only where both
        # sides have the compared time (NAT or null: none)
        sql = f"""
            WITH pa_ AS (SELECT calling_key, called_key, min({time_a}) AS s, min({row}) AS r
                         FROM {ta} WHERE {usable} AND ingress IN (SELECT ingress FROM ing)
                         GROUP BY calling_key, called_key HAVING count(*) = 1),
                 pb AS (SELECT calling_key, called_key, min({time_b}) AS s
                        FROM {tb} WHERE {usable}
                        GROUP BY calling_key, called_key HAVING count(*) = 1)
            SELECT pa_.s - pb.s AS d, pa_.r AS r FROM pa_ JOIN pb
              ON pa_.calling_key = pb.calling_key AND pa_.called_key = pb.called_key
            WHERE pa_.s <> {NAT} AND pb.s <> {NAT}"""
        t = self._query(sql, ing=ing)
        # in A's row order, as the embedded store gives them; divided in numpy: the same floats
        off = to_numpy(t.column("d"))[np.argsort(to_numpy(t.column("r")), kind="stable")] / US
        return np.asarray(off[np.abs(off) <= max_offset_s], dtype=np.float64)

    def distinct(self, source: SourceId, field: str) -> list[str]:
        if field not in ROW_FIELDS:
            raise ValueError(f"no field {field!r}")
        col = f"{self.dialect.quote}{field}{self.dialect.quote}"
        t = self._query(f"SELECT DISTINCT {col} AS v FROM {self._table(source)} "
                        f"WHERE {col} IS NOT NULL")
        return [str(v) for v in t.sort_by("v").column("v").to_pylist()]

    def source_ids(self) -> list[SourceId]:
        return list(self._sources)

    def summary(self, source: SourceId) -> SourceSummary:
        self._table(source)
        return self._sources[source].summary

    def raw_lines(self, source: SourceId, lines: Sequence[int]) -> dict[int, str]:
        self._table(source)
        return self._sources[source].raw_lines(list(lines))

    def _schema(self, source: SourceId, fields: Sequence[str]) -> pa.Schema:
        full = self._schemas[source]
        return pa.schema([full.field(f) for f in fields])
