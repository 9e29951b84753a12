"""What the SQL stores (DuckDB, Spark) share: source bookkeeping, raw lines from the original
files, and the cast of an engine's Arrow types to the protocol's exact ones, so that the
trace engine's output does not depend on the backend."""
from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from workbench.store.normalize import SourceSummary
from workbench.store.protocol import CANDIDATE_FIELDS, SourceId
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

    def _table(self, sid: SourceId) -> str:
        raise NotImplementedError

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
