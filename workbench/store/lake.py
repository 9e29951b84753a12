"""A lake: a case's normalized CDR rows as Parquet, partitioned by source and day, and a manifest.

``workbench ingest CASE --to DIR`` writes it once; DuckDB or Spark then answer the store
protocol over it without parsing a CDR file again (``[store] path`` names it). Layout::

    DIR/manifest.json
    DIR/source=<slug>/day=2026-11-03/part-0.parquet     (day: UTC date of start as recorded)
    DIR/source=<slug>/day=none/part-0.parquet           (rows without a start)

Every part holds the normalized columns of ``ROW_FIELDS`` plus ``row`` (the row's position
in the source's normalized table, which every store uses as its id), sorted by
(called_key, start, row) so that row-group statistics prune a lookup by called number. The
manifest records, per source, what the rows were made from (the original file's SHA-256 and
the import settings) and its import summary, so ``CdrStore.summary`` needs no reload and a
case whose files changed is refused instead of answered from stale rows.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from workbench.columns.times import NAT, US
from workbench.common.atomic import atomic_write_text
from workbench.common.errors import InputError
from workbench.common.hashing import file_sha256
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.ingest.config import CaseConfig, SourceConfig
from workbench.store.normalize import F_REJECTED, SourceSummary
from workbench.store.protocol import ROW_FIELDS, SourceId
from workbench.store.source import CdrSource

MANIFEST = "manifest.json"
LAKE_VERSION = 1
NO_DAY = "none"  # the partition of rows without a start (never candidates)
ROW_GROUP = 128 * 1024  # rows per row group: fine-grained enough for called_key pruning
_DAY_US = 86_400 * US
#: Columns whose values repeat (numbers, trunk ids, codes): dictionary-encoded in Parquet.
#: Times, ids and line numbers are nearly unique: trying a dictionary on them only costs
#: (writing 2.6x slower, the file 30 % larger, measured on generated rows).
_REPEATING = ("calling", "called", "disposition", "ingress", "egress", "attest", "verstat",
              "pp_x5u")


@dataclass(frozen=True)
class LakeSource:
    """One source as the manifest records it."""

    slug: str
    provider: str
    path: str  # as written in case.toml
    sha256: str  # of the original file the rows were read from
    settings: str  # fingerprint of the import settings (zone, columns, format, ...)
    format: str
    timezone: str
    time_basis: str
    skew_s: float | None
    rows: int
    usable: int
    rejected: int
    days: dict[str, int]  # partition -> rows
    summary: dict[str, Any] = field(repr=False)

    @property
    def id(self) -> SourceId:
        return SourceId(self.provider, self.path)

    def files(self, root: Path, days: Iterable[str] | None = None) -> list[Path]:
        """The Parquet parts of these days (all days when None) that exist in the lake."""
        chosen = self.days if days is None else [d for d in days if d in self.days]
        return [root / f"source={self.slug}" / f"day={d}" / "part-0.parquet"
                for d in sorted(chosen)]


@dataclass
class Lake:
    """An opened lake: its folder and manifest."""

    root: Path
    case: str
    created: str
    sources: list[LakeSource]

    @classmethod
    def open(cls, root: Path) -> Lake:
        """Read a lake's manifest; a folder without one is not a lake."""
        file = root / MANIFEST
        if not file.is_file():
            raise InputError(f"not a lake (no {MANIFEST}): run `workbench ingest CASE --to "
                             f"{root}` first", file=str(root), field="path")
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            if data.get("lake_version") != LAKE_VERSION:
                raise InputError(f"lake version {data.get('lake_version')!r} is not "
                                 f"{LAKE_VERSION}: run `workbench ingest` again", file=str(file))
            sources = [LakeSource(**s) for s in data["sources"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"damaged lake manifest ({type(exc).__name__}: {exc}); run "
                             "`workbench ingest` again", file=str(file)) from None
        return cls(root, str(data.get("case", "")), str(data.get("created", "")), sources)

    def by_path(self) -> dict[str, LakeSource]:
        return {s.path: s for s in self.sources}

    def schema(self, source: LakeSource) -> pa.Schema:
        """The Arrow types of a source's columns as written (the embedded store's types)."""
        import pyarrow.parquet as pq  # ~15 ms: only a lake case reads Parquet
        return pq.read_schema(source.files(self.root)[0])


# -- where a case keeps its lake --------------------------------------------------------------

def lake_path(cfg: CaseConfig) -> Path | None:
    """The lake a case's ``[store]`` reads, or None when its rows are loaded from the files.

    Spark always reads a lake; DuckDB reads one when ``path`` is a folder (an existing one, or
    a path written with a trailing slash), else ``path`` is an on-disk database file."""
    if cfg.store_backend == "arrow":
        return None
    written = cfg.store_path
    if not written:
        if cfg.store_backend == "spark":
            raise InputError('[store] backend = "spark" reads a lake: set path = "lake/" and '
                             "run `workbench ingest CASE --to CASE/lake`",
                             file=str(cfg.file), field="path")
        return None
    path = cfg.root / written
    if cfg.store_backend == "spark" or written.endswith(("/", os.sep)) or path.is_dir():
        return path
    return None


def settings_fingerprint(cfg: SourceConfig, country: str) -> str:
    """What else than the file's bytes shapes the normalized rows: the import settings as
    written in case.toml (a new zone or column mapping gives other rows from the same file)."""
    made_of = {"format": cfg.format, "timezone": cfg.timezone, "date_order": cfg.date_order,
               "columns": cfg.columns, "sheet": cfg.sheet, "delimiter": cfg.delimiter,
               "encoding": cfg.encoding, "time_basis": cfg.time_basis, "country": country}
    blob = json.dumps(made_of, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def lake_sources(cfg: CaseConfig, lake: Lake, *, progress: ProgressFn = no_progress,
                 should_stop: StopFn = never_stop) -> list[CdrSource]:
    """The case's sources as the lake holds them (no table loaded), after checking that the
    lake was made from exactly these files (paths and SHA-256) with these settings."""
    held = lake.by_path()
    wanted = [s.path for s in cfg.sources]
    missing = [p for p in wanted if p not in held]
    extra = [p for p in held if p not in wanted]
    if missing or extra:
        what = (f"{', '.join(missing)} not in it" if missing
                else f"it holds {', '.join(extra)}, which case.toml does not name")
        raise _stale(lake, cfg, f"the lake does not hold the case's sources ({what})")
    out = []
    total = max(len(cfg.sources), 1)
    for i, scfg in enumerate(cfg.sources):
        check(should_stop)
        ls = held[scfg.path]
        progress(i / total, f"checking {scfg.path} against the lake")
        path = scfg.resolved(cfg.root)
        try:
            sha = file_sha256(path)
        except OSError as exc:
            raise InputError(f"cannot read the original file: {exc.strerror or exc}",
                             file=str(path), field="path") from None
        if sha != ls.sha256:
            raise _stale(lake, cfg, f"{scfg.path} changed since it was ingested (SHA-256 "
                                    f"{ls.sha256[:12]}… in the lake, {sha[:12]}… now)")
        if settings_fingerprint(scfg, cfg.default_country) != ls.settings:
            raise _stale(lake, cfg, f"the import settings of {scfg.path} in case.toml changed "
                                    "since it was ingested")
        out.append(CdrSource(scfg, path, sha, None, SourceSummary.from_dict(ls.summary)))
    progress(1.0, "lake matches the case")
    return out


def _stale(lake: Lake, cfg: CaseConfig, why: str) -> InputError:
    return InputError(f"{why}: run `workbench ingest {cfg.root} --to {lake.root}` again",
                      file=str(lake.root / MANIFEST))


# -- writing ----------------------------------------------------------------------------------

class LakeWriter:
    """Writes a lake into a temporary folder beside ``dest``; ``commit`` swaps it in.

    Re-ingesting over an existing lake replaces it whole: readers see the old lake or the new
    one, never a mix (two renames on one file system). A folder that is not a lake is never
    overwritten."""

    def __init__(self, dest: Path, case_name: str):
        self.dest = Path(dest)
        if self.dest.exists() and not (self.dest / MANIFEST).is_file():
            if not self.dest.is_dir():
                raise InputError("exists and is not a folder: choose another --to",
                                 file=str(self.dest), field="to")
            if any(self.dest.iterdir()):
                raise InputError(f"a folder that is not a lake (no {MANIFEST}) is in the way: "
                                 "choose an empty or new folder", file=str(self.dest),
                                 field="to")
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.dest.parent / f".{self.dest.name}.ingest-{os.getpid()}"
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir()
        self.case_name = case_name
        self.sources: list[LakeSource] = []

    def add(self, src: CdrSource, settings: str) -> LakeSource:
        """Write one loaded source's rows; returns its manifest entry."""
        return self.add_table(src.table, src.summary, provider=src.provider,
                              path=src.config.path, sha256=src.sha256, settings=settings,
                              timezone=src.config.timezone, skew_s=src.config.skew_s)

    def add_table(self, table: pa.Table, summary: SourceSummary, *, provider: str, path: str,
                  sha256: str, settings: str, timezone: str,
                  skew_s: float | None = None) -> LakeSource:
        """Write a normalized table (the columns a ``CdrSource`` holds) as day partitions."""
        slug = _slug(len(self.sources), provider, path)
        rows, days = write_partitions(table, self.tmp / f"source={slug}")
        flags = table.column("flags").to_numpy()
        rejected = int(((flags & F_REJECTED) != 0).sum())
        entry = LakeSource(slug=slug, provider=provider, path=path, sha256=sha256,
                           settings=settings, format=summary.format, timezone=timezone,
                           time_basis=summary.time_basis, skew_s=skew_s, rows=rows,
                           usable=rows - rejected, rejected=rejected, days=days,
                           summary=summary.to_dict())
        self.sources.append(entry)
        return entry

    def commit(self) -> Path:
        """Write the manifest, then put the new lake where the old one was."""
        manifest = {"lake_version": LAKE_VERSION, "case": self.case_name,
                    "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "layout": "source=<slug>/day=<YYYY-MM-DD|none>/part-0.parquet",
                    "fields": [*ROW_FIELDS, "row"],
                    "sources": [asdict(s) for s in self.sources]}
        atomic_write_text(self.tmp / MANIFEST, json.dumps(manifest, indent=1, default=str))
        old = None
        if self.dest.exists():
            old = self.dest.parent / f".{self.dest.name}.old-{os.getpid()}"
            os.replace(self.dest, old)
        os.replace(self.tmp, self.dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.dest

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def write_partitions(table: pa.Table, folder: Path) -> tuple[int, dict[str, int]]:
    """A source's rows as ``day=<date>/part-0.parquet`` files under ``folder``, each sorted by
    (called_key, start, row). Returns (rows written, rows per day)."""
    fields = [f for f in ROW_FIELDS if f in table.column_names]
    n = table.num_rows
    plain = _plain(table.select(fields)).append_column(
        "row", pa.array(np.arange(n, dtype=np.int64)))
    import pyarrow.parquet as pq  # ~15 ms: only writing a lake needs it
    start = plain.column("start").to_numpy()
    called = plain.column("called_key").to_numpy()
    day = np.where(start == NAT, -1, start // _DAY_US)
    order = np.lexsort((np.arange(n), start, called, day))  # last key sorts first
    day_sorted = day[order]
    cuts = np.flatnonzero(np.diff(day_sorted)) + 1
    bounds = np.concatenate(([0], cuts, [n]))
    out: dict[str, int] = {}
    for a, b in zip(bounds[:-1], bounds[1:]):
        if a == b:
            continue
        d = int(day_sorted[a])
        name = NO_DAY if d < 0 else (dt.date(1970, 1, 1) + dt.timedelta(days=d)).isoformat()
        part = plain.take(pa.array(order[a:b]))
        target = folder / f"day={name}"
        target.mkdir(parents=True, exist_ok=True)
        pq.write_table(part, target / "part-0.parquet", row_group_size=ROW_GROUP,
                       compression="zstd", write_statistics=True,
                       use_dictionary=[f for f in _REPEATING if f in part.column_names])
        out[name] = int(b - a)
    return n, out


def days_between(lo_us: int | None, hi_us: int | None) -> list[str] | None:
    """The day partitions a start window can touch; None when unbounded (every day)."""
    if lo_us is None or hi_us is None:
        return None
    a, b = int(lo_us) // _DAY_US, int(hi_us) // _DAY_US
    if b < a:
        return []
    if b - a > 366:
        return None
    first = dt.date(1970, 1, 1) + dt.timedelta(days=a)
    return [(first + dt.timedelta(days=i)).isoformat() for i in range(b - a + 1)]


def days_of(windows: Sequence[tuple[int | None, int | None]]) -> list[str] | None:
    """The union of the day partitions of many windows (None: some window is unbounded)."""
    out: set[str] = set()
    for lo, hi in windows:
        days = days_between(lo, hi)
        if days is None:
            return None
        out.update(days)
    return sorted(out)


def _plain(table: pa.Table) -> pa.Table:
    """Dictionary columns decoded: Parquet readers (DuckDB, Spark) see plain strings."""
    cols = [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
            for c in table.columns]
    return pa.table(cols, names=table.column_names)


def _slug(i: int, provider: str, path: str) -> str:
    """A partition value safe in any file system and hive path: position, provider, file."""
    text = re.sub(r"[^a-z0-9]+", "-", f"{provider} {Path(path).stem}".lower()).strip("-")
    return f"{i:02d}-{text[:48] or 'source'}"


def ingest(cfg: CaseConfig, dest: Path, *, use_cache: bool = True,
           progress: ProgressFn = no_progress, should_stop: StopFn = never_stop) -> Lake:
    """Read every source of a case once and write its lake to ``dest`` (replacing a lake
    there). One source is in memory at a time, so a case larger than memory ingests."""
    from workbench.store.source import load_source
    writer = LakeWriter(dest, cfg.name)
    total = max(len(cfg.sources), 1)
    try:
        for i, scfg in enumerate(cfg.sources):
            check(should_stop)

            def sub(frac: float, msg: str, i: int = i) -> None:
                progress((i + frac * 0.8) / total, msg)

            src = load_source(scfg, cfg.root, cfg.default_country, use_cache=use_cache,
                              progress=sub, should_stop=should_stop)
            progress((i + 0.8) / total, f"writing {scfg.path} to the lake")
            entry = writer.add(src, settings_fingerprint(scfg, cfg.default_country))
            progress((i + 1) / total, f"{scfg.path}: {entry.rows:,} rows in "
                                      f"{len(entry.days)} day partition(s)")
            del src
        check(should_stop)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return Lake.open(dest)
