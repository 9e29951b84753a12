"""A provider's CDR file inside a case: loading (cached), lookups and raw read-back."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from workbench.common.errors import InputError
from workbench.common.hashing import file_sha256
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.ingest import formats
from workbench.ingest.config import SourceConfig
from workbench.ingest.formats.base import ReadOptions
from workbench.ingest.rawlines import read_raw_rows
from workbench.store import cache

from .normalize import SourceSummary, normalize


@dataclass
class CdrSource:
    """One source of a case: its config, its normalized table and its summary."""

    config: SourceConfig
    path: Path
    sha256: str
    table: pa.Table
    summary: SourceSummary
    detected: list = field(default_factory=list)  # Detection list when format = auto
    from_cache: bool = False
    _cols: dict = field(default_factory=dict, repr=False)

    @property
    def provider(self) -> str:
        return self.config.provider

    @property
    def format(self) -> str:
        return self.summary.format

    def __len__(self) -> int:
        return self.table.num_rows

    def col(self, name: str) -> np.ndarray:
        """A numeric column as a (zero-copy where possible) numpy array."""
        if name not in self._cols:
            self._cols[name] = self.table.column(name).to_numpy()
        return self._cols[name]

    def text(self, name: str, rows: np.ndarray | list[int]) -> list[str | None]:
        """String values of a column for a few rows (dictionary decoded)."""
        if not len(rows):
            return []
        return self.table.column(name).take(pa.array(np.asarray(rows, dtype=np.int64))).to_pylist()

    def row(self, i: int) -> dict:
        """One normalized row as plain Python values."""
        return {k: v[0] for k, v in self.table.slice(i, 1).to_pydict().items()}

    def raw_lines(self, lines: list[int]) -> dict[int, str]:
        """The original text of these 1-based lines (or sheet rows), read back from the file."""
        return read_raw_rows(self.path, lines, sheet=self.summary.sheet)

    def called_range(self, called_key: int) -> tuple[int, int]:
        """Positions in the (called, start) index holding this called number."""
        keys = self.col("idx_called")
        return (int(np.searchsorted(keys, called_key, "left")),
                int(np.searchsorted(keys, called_key, "right")))

    def rows_with_called(self, called_key: int) -> np.ndarray:
        """Row indexes of every record to this called number, in start order."""
        a, b = self.called_range(called_key)
        return self.col("idx_row")[a:b]

    def window(self, called_key: int, lo_us: int, hi_us: int) -> np.ndarray:
        """Row indexes with this called number and start in [lo, hi] (source clock)."""
        a, b = self.called_range(called_key)
        if a == b:
            return np.zeros(0, dtype=np.int64)
        starts = self.col("idx_start")[a:b]
        i = int(np.searchsorted(starts, lo_us, "left"))
        j = int(np.searchsorted(starts, hi_us, "right"))
        return self.col("idx_row")[a + i:a + j]


_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")


def read_options(cfg: SourceConfig) -> ReadOptions:
    return ReadOptions(columns=dict(cfg.columns), sheet=cfg.sheet, delimiter=cfg.delimiter,
                       encoding=cfg.encoding, timezone=cfg.timezone)


def cache_params(cfg: SourceConfig, fmt: str, country: str) -> dict:
    return {"format": fmt, "timezone": cfg.timezone, "date_order": cfg.date_order,
            "columns": cfg.columns, "sheet": cfg.sheet, "delimiter": cfg.delimiter,
            "encoding": cfg.encoding, "country": country, "time_basis": cfg.time_basis}


def load_source(cfg: SourceConfig, root: Path, default_country: str = "US", *,
                use_cache: bool = True, progress: ProgressFn = no_progress,
                should_stop: StopFn = never_stop) -> CdrSource:
    """Read, normalize and index one source, or reopen it from the cache."""
    path = cfg.resolved(root)
    if not path.exists():
        raise InputError("source file not found", file=str(path), field="path")
    if path.stat().st_size == 0:
        raise InputError("file is empty", file=str(path))
    progress(0.0, f"hashing {cfg.path}")
    hashing = _POOL.submit(file_sha256, path)  # hashlib frees the GIL: hash while parsing
    try:
        return _load(cfg, path, hashing, root, default_country, use_cache, progress, should_stop)
    finally:
        hashing.cancel()


def _load(cfg, path, hashing, root, default_country, use_cache, progress, should_stop):
    detected = []
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
    except InputError:
        raise
    except (ValueError, KeyError, IndexError, pa.ArrowException, UnicodeError) as exc:
        raise InputError(f"cannot read as {fmt}: {exc}", file=str(path), field="format") from exc
    check(should_stop)
    if len(parsed) == 0:
        raise InputError("no data rows", file=str(path))
    progress(0.5, f"normalizing {cfg.path}")
    table, summary = normalize(parsed, timezone=cfg.timezone, date_order=cfg.date_order,
                               default_country=default_country, fmt=fmt,
                               time_basis=cfg.time_basis)
    check(should_stop)
    _check_mostly_good(summary, path)
    sha = hashing.result()
    if use_cache:
        progress(0.9, f"caching {cfg.path}")
        cache.store(sha, params, table, {"summary": summary.to_dict(), "sha256": sha})
    progress(1.0, f"{cfg.path}: {summary.rows} rows")
    return CdrSource(cfg, path, sha, table, summary, detected)


def _check_mostly_good(summary: SourceSummary, path: Path) -> None:
    """Most rows bad means the mapping or format is wrong: fail loudly, don't limp on."""
    if summary.rows and summary.rejected > summary.rows // 2:
        reason = max(summary.rejected_reasons, key=summary.rejected_reasons.get)
        line = summary.rejected_lines[0] if summary.rejected_lines else None
        field_name = "start" if "start" in reason else "called"
        raise InputError(f"{summary.rejected} of {summary.rows} rows unusable ({reason}); "
                         "check the column mapping, format, date_order and timezone",
                         file=str(path), line=line, field=field_name)
