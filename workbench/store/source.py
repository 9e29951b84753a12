"""A provider's CDR file inside a case: loading (cached), lookups and raw read-back."""
from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from workbench.columns.arrow_numpy import to_numpy
from workbench.common.errors import InputError, WorkbenchError
from workbench.common.files import regular_file
from workbench.common.hashing import file_sha256
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.ingest import formats
from workbench.ingest.config import SourceConfig
from workbench.ingest.formats.base import Detection, ReadOptions
from workbench.ingest.rawlines import read_raw_rows
from workbench.store import cache
from workbench.store.normalize import SourceSummary, normalize
from workbench.store.protocol import SourceId


@dataclass(eq=False)
class CdrSource:
    """One source of a case: its config, its normalized table and its summary.

    Equal only to itself (a source is a loaded file, not a value): hashable by identity, so
    the trace engine keys its per-source lookups by the object.

    ``loaded`` is None for a source whose rows live in a lake (``store.lake``): its
    summary came from the lake's manifest, and its rows are reached through the store."""

    config: SourceConfig
    path: Path
    sha256: str
    loaded: pa.Table | None
    summary: SourceSummary
    detected: list[Detection] = field(default_factory=list)  # when format = auto
    from_cache: bool = False
    _cols: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def table(self) -> pa.Table:
        """The normalized table in memory (embedded stores only)."""
        if self.loaded is None:
            raise LookupError(f"{self.id} is read from a lake: its rows are reached through "
                              "the case's store, not loaded in memory")
        return self.loaded

    @property
    def id(self) -> SourceId:
        return SourceId(self.config.provider, self.config.path)

    @property
    def provider(self) -> str:
        return self.config.provider

    @property
    def format(self) -> str:
        return self.summary.format

    def __len__(self) -> int:
        return int(self.summary.rows if self.loaded is None else self.loaded.num_rows)

    def col(self, name: str) -> np.ndarray:
        """A numeric column as a (zero-copy where possible) numpy array, read off its
        buffers: pyarrow's own conversion would import pandas on the warm trace path."""
        if name not in self._cols:
            self._cols[name] = to_numpy(self.table.column(name))
        return self._cols[name]

    def text(self, name: str, rows: np.ndarray | list[int]) -> list[str | None]:
        """String values of a column for a few rows (dictionary decoded)."""
        if not len(rows):
            return []
        taken = self.table.column(name).take(pa.array(np.asarray(rows, dtype=np.int64)))
        values: list[str | None] = taken.to_pylist()
        return values

    def row(self, i: int) -> dict[str, Any]:
        """One normalized row as plain Python values."""
        return {k: v[0] for k, v in self.table.slice(i, 1).to_pydict().items()}

    def raw_lines(self, lines: list[int]) -> dict[int, str]:
        """The original text of these 1-based lines (or sheet rows), read back from the file."""
        return read_raw_rows(self.path, lines, sheet=self.summary.sheet)


_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")


def _use_retaining_memory_pool() -> None:
    """Arrow allocations from jemalloc (unless the user chose a pool with
    ARROW_DEFAULT_MEMORY_POOL). An import allocates and frees gigabytes, source after
    source; pyarrow's default mimalloc gives freed pages back to the system at once and the
    next allocation has the kernel clear them again. First open of a 2 M-row CSV: 1.8-2.3 s
    of system CPU with mimalloc, 0.7-1.1 s with jemalloc, which keeps freed pages a moment
    for reuse (user CPU the same, 2.6 s; peak memory the same). Chosen when this module is
    imported: chosen just before the first parse, part of the gain was lost (1.4-1.7 s)."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(JEMALLOC_DECAY_MS)
    except (NotImplementedError, pa.ArrowNotImplementedError):
        pass  # a pyarrow built without jemalloc (e.g. on Windows): its default pool


#: How long jemalloc keeps freed pages for reuse. With pyarrow's setting most freed pages
#: go back to the system within a second, and the next column's buffers fault fresh,
#: kernel-cleared pages in again. First open of 10 M rows: 0.8 M page faults with
#: pyarrow's setting, 0.5 M with 20 s (about 1 s less system CPU; peak resident 1.10 ->
#: 1.27 GB), 0.4 M when never handed back (1.5-1.6 GB). Pages still held when a source is
#: imported are handed back then (``_release``), so they do not pile up across sources.
JEMALLOC_DECAY_MS = 20_000


def _release() -> None:
    """Give the pages Arrow keeps for reuse back to the system between imports, so a case's
    peak memory stays that of one source's import."""
    pa.default_memory_pool().release_unused()


_use_retaining_memory_pool()


def read_options(cfg: SourceConfig) -> ReadOptions:
    # ReadOptions.columns is declared dict[str, str], but readers take header lists too
    return ReadOptions(columns=dict(cfg.columns),  # type: ignore[arg-type]
                       sheet=cfg.sheet, delimiter=cfg.delimiter,
                       encoding=cfg.encoding, timezone=cfg.timezone)


def cache_params(cfg: SourceConfig, fmt: str, country: str) -> dict[str, Any]:
    return {"format": fmt, "timezone": cfg.timezone, "date_order": cfg.date_order,
            "columns": cfg.columns, "sheet": cfg.sheet, "delimiter": cfg.delimiter,
            "encoding": cfg.encoding, "country": country, "time_basis": cfg.time_basis}


def load_source(cfg: SourceConfig, root: Path, default_country: str = "US", *,
                use_cache: bool = True, progress: ProgressFn = no_progress,
                should_stop: StopFn = never_stop) -> CdrSource:
    """Read, normalize and index one source, or reopen it from the cache."""
    path = cfg.resolved(root)
    regular_file(path, what="source file", field="path")  # never a folder, FIFO or device
    if path.stat().st_size == 0:
        raise InputError("file is empty", file=str(path))
    progress(0.0, f"hashing {cfg.path}")
    hashing = _POOL.submit(file_sha256, path)  # hashlib frees the GIL: hash while parsing
    try:
        return _load(cfg, path, hashing, root, default_country, use_cache, progress, should_stop)
    finally:
        hashing.cancel()


def _load(cfg: SourceConfig, path: Path, hashing: Future[str], root: Path,
          default_country: str, use_cache: bool, progress: ProgressFn,
          should_stop: StopFn) -> CdrSource:
    detected: list[Detection] = []
    fmt = cfg.format
    if fmt == "auto":
        det = formats.choose(path)
        fmt, detected = det.format, formats.detect(path)
    params = cache_params(cfg, fmt, default_country)
    if use_cache:
        sha = hashing.result()
        hit = cache.load(sha, params)
        if hit is not None:
            table, meta = hit
            progress(1.0, f"{cfg.path}: from cache")
            return CdrSource(cfg, path, sha, table, SourceSummary.from_dict(meta["summary"]),
                             detected, from_cache=True)
    check(should_stop)
    progress(0.1, f"reading {cfg.path} ({fmt})")
    profile = formats.get(fmt)
    try:
        parsed = profile.read(path, read_options(cfg))
    except WorkbenchError:  # InputError names the file already; Cancelled is no failure
        raise
    except MemoryError:
        raise InputError(f"too large to read as {fmt} in memory (a single huge line?)",
                         file=str(path), field="format") from None
    except Exception as exc:  # noqa: BLE001 - any reader failure: one line naming the file
        why = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise InputError(f"cannot read as {fmt}: {why}", file=str(path), field="format") from exc
    check(should_stop)
    if len(parsed) == 0:
        raise InputError("no data rows", file=str(path))
    progress(0.5, f"normalizing {cfg.path}")
    try:
        table, summary = normalize(parsed, timezone=cfg.timezone, date_order=cfg.date_order,
                                   default_country=default_country, fmt=fmt,
                                   time_basis=cfg.time_basis)
    except (OverflowError, ValueError, pa.ArrowException) as exc:  # e.g. a year 0000 start
        why = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise InputError(f"cannot normalize its values: {why}", file=str(path)) from exc
    check(should_stop)
    _check_mostly_good(summary, path)
    sha = hashing.result()
    if use_cache:
        progress(0.9, f"caching {cfg.path}")
        cache.store(sha, params, table, {"summary": summary.to_dict(), "sha256": sha})
        # From here on the source reads the mapped cache, as a reopen does: the normalized
        # table in memory is freed before the next source is parsed (peak memory of a case
        # is one source's import, not the sum of all).
        written = cache.load(sha, params)
        if written is not None:
            table = written[0]
    progress(1.0, f"{cfg.path}: {summary.rows} rows")
    del parsed
    _release()
    return CdrSource(cfg, path, sha, table, summary, detected)


def _check_mostly_good(summary: SourceSummary, path: Path) -> None:
    """Refuse a source only when no row at all can be traced; else warn in its summary.

    Real PBX exports are mostly internal calls (extensions, IVR and feature codes) beside the
    few calls to public numbers that matter: those are loaded, the others stay countable and
    viewable (``rejected_reasons``, ``rejected_lines``) and the summary says so."""
    if not summary.rows or not summary.rejected:
        return
    reason = max(summary.rejected_reasons, key=summary.rejected_reasons.__getitem__)
    line = summary.rejected_lines[0] if summary.rejected_lines else None
    field_name = "start" if "start" in reason else "called"
    if summary.rejected >= summary.rows:
        raise InputError(f"none of {summary.rows} rows is usable ({reason}); "
                         "check the column mapping, format, date_order and timezone",
                         file=str(path), line=line, field=field_name)
    if summary.rejected > summary.rows // 2:
        usable = summary.rows - summary.rejected
        why = "; ".join(f"{k}: {v}" for k, v in summary.rejected_reasons.items())
        summary.notes.insert(0, f"WARNING: only {usable} of {summary.rows} rows are usable; "
                             f"{summary.rejected} unusable ({why}), first at line {line}: "
                             "internal calls are normal in a PBX export, else check the "
                             "column mapping, format, date_order and timezone")
