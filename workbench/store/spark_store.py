"""A CdrStore on Apache Spark: the store protocol answered in Spark SQL over a Parquet lake.

The lake (``store.lake``) is what a cluster reads: one DataFrame per source over its
``day=`` partitions. Every protocol method is one Spark job: lookups arrive as a small
DataFrame that is broadcast and joined (never a loop of queries), and a lookup reads only
the day partitions its windows touch. Results come back through Arrow and are cast to the
types ``ArrowStore`` returns, so ``trace --json`` is byte-identical on every backend.

One SparkSession serves the process: started on first use (start-up takes seconds), quiet,
and stopped at exit.
"""
from __future__ import annotations

import atexit
import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from workbench.columns.times import NAT
from workbench.store import calls_sql
from workbench.store.lake import Lake, LakeSource, days_between, days_of
from workbench.store.protocol import (
    CANDIDATE_FIELDS,
    CallKey,
    CallsPage,
    CallsQuery,
    PageAfter,
    SourceId,
)
from workbench.store.source import CdrSource
from workbench.store.sql_common import CANDIDATE_SCHEMA, SqlStoreBase, cast_to

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_MAX = np.iinfo(np.int64).max
_SESSION: SparkSession | None = None
_SESSION_LOCK = threading.Lock()
#: Defaults for a store that answers small queries: few shuffle partitions, Arrow transfer,
#: partition values kept as written (a day stays text), the session's UTC clock.
_DEFAULTS = {
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.adaptive.enabled": "true",
    "spark.driver.memory": "2g",
}
_QUIET_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
"""
_LITERAL_KEYS = 64  # up to this many keys, constant filters in one query; beyond, a join


def session(master: str = "local[2]", settings: Mapping[str, str] | None = None
            ) -> SparkSession:
    """The process's SparkSession, started on first call (later calls get the same one:
    Spark allows one per JVM, so a second case's master and settings do not apply)."""
    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is not None:
            return _SESSION
        from pyspark.sql import SparkSession

        from workbench.common.dirs import cache_dir
        log4j = cache_dir() / "spark-log4j2.properties"
        if not log4j.exists() or log4j.read_text() != _QUIET_LOG4J:
            log4j.parent.mkdir(parents=True, exist_ok=True)
            log4j.write_text(_QUIET_LOG4J)
        builder = SparkSession.builder.master(master).appName("traceback-workbench")
        conf = {**_DEFAULTS, **(settings or {})}
        quiet = f"-Dlog4j2.configurationFile=file:{log4j}"
        conf["spark.driver.extraJavaOptions"] = " ".join(
            x for x in (conf.get("spark.driver.extraJavaOptions"), quiet) if x)
        for key, value in conf.items():
            builder = builder.config(key, value)
        with warnings.catch_warnings():  # "pandas 3 not fully supported": none is used
            warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
            spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        _SESSION = spark
        atexit.register(stop_session)
        return spark


def stop_session() -> None:
    """Stop the process's SparkSession (at exit; tests may call it)."""
    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is not None:
            _SESSION.stop()
            _SESSION = None


class SparkStore(SqlStoreBase):
    """CdrStore over a lake, answered by Spark SQL (``store.protocol``)."""

    dialect = calls_sql.SPARK

    #: not the embedded store: the calls table pages through ``calls_page``
    embedded = False

    def __init__(self, lake: Lake, sources: Sequence[CdrSource], *, master: str = "local[2]",
                 settings: Mapping[str, str] | None = None):
        self._lake = lake
        self._sources: dict[SourceId, CdrSource] = {s.id: s for s in sources}
        self._parts: dict[SourceId, LakeSource] = {}
        self._names: dict[SourceId, str] = {}
        self._schemas: dict[SourceId, pa.Schema] = {}
        held = lake.by_path()
        for i, src in enumerate(sources):
            part = held.get(src.id.path)
            if part is None:
                raise KeyError(f"no source {src.id} in the lake at {lake.root}")
            self._parts[src.id], self._names[src.id] = part, f"wb_src_{id(self)}_{i}"
            self._schemas[src.id] = lake.schema(part)
        self._master, self._settings = master, dict(settings or {})
        self._lock = threading.Lock()
        self._spark: SparkSession | None = None

    @property
    def spark(self) -> SparkSession:
        """The session, with one temporary view per source (made on first use)."""
        if self._spark is None:
            spark = session(self._master, self._settings)
            for sid, name in self._names.items():
                folder = self._lake.root / f"source={self._parts[sid].slug}"
                spark.read.option("basePath", str(folder)).parquet(str(folder)) \
                    .createOrReplaceTempView(name)
            self._spark = spark
        return self._spark

    def close(self) -> None:
        """Drop this store's views (the session stays: other stores of the process share it)."""
        with self._lock:
            if self._spark is not None:
                for name in self._names.values():
                    self._spark.catalog.dropTempView(name)
                self._spark = None

    def _table(self, sid: SourceId) -> str:
        try:
            return self._names[sid]
        except KeyError:
            raise KeyError(f"no source {sid} in this store") from None

    def _query(self, sql: str, order: Sequence[str] = (), **frames: pa.Table) -> pa.Table:
        """One Spark job; Arrow tables become temporary views under the given names.

        Results are small (a lookup's rows) or wanted whole (a column scan): they are sorted
        by ``order`` here, in Arrow, which saves Spark the sampling and shuffle of an
        ORDER BY."""
        with self._lock, warnings.catch_warnings():
            # pyspark warns on every Arrow transfer that pandas 3 is not fully supported;
            # no pandas is involved here
            warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
            spark = self.spark
            for name, table in frames.items():
                spark.createDataFrame(table).createOrReplaceTempView(name)
            try:
                out: pa.Table = spark.sql(sql).toArrow()
            finally:
                for name in frames:
                    spark.catalog.dropTempView(name)
        return out.sort_by([(c, "ascending") for c in order]) if order else out

    # -- the protocol ------------------------------------------------------------------
    def candidates(self, keys: Sequence[CallKey]) -> pa.Table:
        if not keys:
            return cast_to(pa.table({f: pa.array([], pa.int64()) for f in CANDIDATE_FIELDS}),
                         CANDIDATE_SCHEMA)
        tables = [self._table(k.source) for k in keys]
        wanted = pa.table({
            "q": pa.array(np.arange(len(keys), dtype=np.int32)),
            "tbl": pa.array(tables, pa.string()),
            "called_key": pa.array([k.called_key for k in keys], pa.int64()),
            "calling_key": pa.array([k.calling_key for k in keys], pa.int64()),
            "lo": pa.array([NAT + 1 if k.lo_us is None else max(int(k.lo_us), NAT + 1)
                            for k in keys], pa.int64()),
            "hi": pa.array([_MAX if k.hi_us is None else int(k.hi_us) for k in keys],
                           pa.int64())})
        order = ("q", "start", "row")
        if len(keys) <= _LITERAL_KEYS:
            parts = []
            for q, (k, name) in enumerate(zip(keys, tables, strict=True)):
                calling = f" AND calling_key = {k.calling_key}" if k.calling_key >= 0 else ""
                lo, hi = wanted.column("lo")[q].as_py(), wanted.column("hi")[q].as_py()
                parts.append(f"SELECT {q} AS q, {_COLS} FROM {name} WHERE called_key = "
                             f"{k.called_key} AND start BETWEEN {lo} AND {hi}{calling}"
                             f"{_prune('', days_between(k.lo_us, k.hi_us))}")
            return cast_to(self._query(" UNION ALL ".join(parts), order), CANDIDATE_SCHEMA)
        by_table: dict[str, list[CallKey]] = {}
        for k, name in zip(keys, tables, strict=True):
            by_table.setdefault(name, []).append(k)
        cols = ", ".join(f"t.`{f}`" for f in CANDIDATE_FIELDS[1:])
        parts = [f"SELECT /*+ BROADCAST(k) */ k.q, {cols} FROM wanted k JOIN {name} t "
                 "ON t.called_key = k.called_key AND t.start BETWEEN k.lo AND k.hi "
                 "AND (k.calling_key < 0 OR t.calling_key = k.calling_key)"
                 f" WHERE k.tbl = '{name}'"
                 f"{_prune('t.', days_of([(k.lo_us, k.hi_us) for k in ks]))}"
                 for name, ks in by_table.items()]
        return cast_to(self._query(" UNION ALL ".join(parts), order, wanted=wanted),
                     CANDIDATE_SCHEMA)

    def ingress_counts(self, sources: Sequence[SourceId]
                       ) -> Mapping[SourceId, list[tuple[str, int]]]:
        if not sources:
            return {}
        parts = [f"SELECT {i} AS s, ingress, count(*) AS n, min(`row`) AS first "
                 f"FROM {self._table(sid)} WHERE ingress IS NOT NULL GROUP BY ingress"
                 for i, sid in enumerate(sources)]
        t = self._query(" UNION ALL ".join(parts), ["s", "first"])
        out: dict[SourceId, list[tuple[str, int]]] = {sid: [] for sid in sources}
        for s, ing, n in zip(t.column("s").to_pylist(), t.column("ingress").to_pylist(),
                             t.column("n").to_pylist(), strict=True):
            out[sources[s]].append((ing, int(n)))
        return out

    def rows(self, source: SourceId, rows: np.ndarray, fields: Sequence[str]) -> pa.Table:
        ids = np.asarray(rows, dtype=np.int64)
        name = self._table(source)
        known = self._parts[source].rows
        bad = ids[(ids < 0) | (ids >= known)]
        if len(bad):
            raise IndexError(f"rows {sorted(set(bad.tolist()))[:5]} out of range for {source}")
        asked = pa.table({"pos": pa.array(np.arange(len(ids), dtype=np.int64)),
                          "id": pa.array(ids)})
        cols = ", ".join(f"t.`{f}`" for f in fields)
        out = self._query(f"SELECT /*+ BROADCAST(a) */ a.pos AS wb_pos, {cols} FROM asked a "
                          f"JOIN {name} t ON t.`row` = a.id", ["wb_pos"], asked=asked)
        return cast_to(out.drop_columns(["wb_pos"]), self._schema(source, fields))

    def columns(self, source: SourceId, fields: Sequence[str]) -> pa.Table:
        cols = ", ".join(f"`{f}`" for f in fields)
        out = self._query(f"SELECT `row` AS wb_row, {cols} FROM {self._table(source)}",
                          ["wb_row"])
        return cast_to(out.drop_columns(["wb_row"]), self._schema(source, fields))

    # -- the calls table (``protocol.PagedCalls``) ---------------------------------------
    def calls_page(self, query: CallsQuery, limit: int, after: PageAfter | None = None,
                   *, count: bool = False) -> CallsPage:
        """One page of the calls table as one Spark job (a top-N, no full sort), its count
        as a second; only the day partitions of the query's time range are listed."""
        calls_sql.check(query)
        if not query.sources:
            return CallsPage(calls_sql.as_page(calls_sql.PAGE_SCHEMA.empty_table()),
                             0 if count else -1)

        def prune(i: int) -> str:
            days = calls_sql.days_touched(list(self._parts[query.sources[i]].days), query)
            return _prune("", days)

        body, nkeys = calls_sql.union(query, lambda i: self._table(query.sources[i]),
                                      calls_sql.SPARK, extra=prune)
        page = self._query(calls_sql.page_sql(query, body, nkeys, limit, after,
                                              calls_sql.SPARK))
        # Spark may hand a LIMIT's rows back in any order: sort them here, as SQL did
        direction = "descending" if query.descending else "ascending"
        page = page.sort_by([(f"k{j}", direction) for j in range(nkeys)]
                            + [("src", "ascending"), ("row", "ascending")])
        matched = -1
        if count:
            matched = int(self._query(calls_sql.count_sql(body)).column("n")[0].as_py())
        return CallsPage(calls_sql.as_page(page), matched)



def _prune(alias: str, days: list[str] | None) -> str:
    """A filter on the day partition (Spark then lists and reads only those folders)."""
    if days is None:
        return ""
    if not days:
        return " AND FALSE"
    return f" AND {alias}day IN (" + ", ".join(f"'{d}'" for d in days) + ")"


_COLS = ", ".join(f"`{f}`" for f in CANDIDATE_FIELDS[1:])

__all__ = ["SparkStore", "session", "stop_session"]
