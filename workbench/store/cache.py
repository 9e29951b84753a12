"""On-disk cache of normalized sources, keyed by the file's SHA-256 and import settings.

Arrow IPC (Feather v2, uncompressed) so a reopened case memory-maps its
tables instead of parsing again. Writes are atomic (temp file, then rename).
File hashing lives in ``common.hashing``, atomic writes in ``common.atomic``.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc

from workbench.common.atomic import atomic_write_text
from workbench.common.dirs import cache_dir

CACHE_VERSION = "9"  # 9: PASSporT columns pp_orig, pp_dest, pp_iat, pp_x5u


def params_key(params: dict[str, Any]) -> str:
    blob = json.dumps({"v": CACHE_VERSION, **params}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def entry(sha: str, params: dict[str, Any]) -> Path:
    return cache_dir() / "tables" / f"{sha[:32]}-{params_key(params)}"


def load(sha: str, params: dict[str, Any]) -> tuple[pa.Table, dict[str, Any]] | None:
    base = entry(sha, params)
    arrow, meta = base.with_suffix(".arrow"), base.with_suffix(".json")
    if not (arrow.exists() and meta.exists()):
        return None
    try:
        source = pa.memory_map(str(arrow), "r")
        table = ipc.open_file(source).read_all()
        return table, json.loads(meta.read_text())
    except (pa.ArrowInvalid, OSError, json.JSONDecodeError):
        return None  # a damaged cache entry is rebuilt, never trusted


def store(sha: str, params: dict[str, Any], table: pa.Table, meta: dict[str, Any]) -> None:
    base = entry(sha, params)
    base.parent.mkdir(parents=True, exist_ok=True)
    arrow = base.with_suffix(".arrow")
    fd, tmp = tempfile.mkstemp(dir=base.parent, suffix=".tmp")
    os.close(fd)
    try:
        with pa.OSFile(tmp, "wb") as sink, ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=1 << 22)
        os.replace(tmp, arrow)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    atomic_write_text(base.with_suffix(".json"),
                      json.dumps({**meta, "cache_version": CACHE_VERSION}, default=str))
    _drop_stale(base.parent, sha[:32])


def _drop_stale(folder: Path, sha_prefix: str) -> None:
    """Entries of the same file written by an older cache version are never read again."""
    for meta in folder.glob(f"{sha_prefix}-*.json"):
        try:
            version = json.loads(meta.read_text()).get("cache_version")
        except (OSError, json.JSONDecodeError):
            continue
        if version != CACHE_VERSION:
            meta.with_suffix(".arrow").unlink(missing_ok=True)
            meta.unlink(missing_ok=True)


def load_json(name: str) -> dict[str, Any] | None:
    p = cache_dir() / "misc" / f"{name}.json"
    try:
        value: dict[str, Any] = json.loads(p.read_text())
        return value
    except (OSError, json.JSONDecodeError):
        return None


def store_json(name: str, value: dict[str, Any]) -> None:
    atomic_write_text(cache_dir() / "misc" / f"{name}.json", json.dumps(value, default=str))
