"""On-disk cache of normalized sources, keyed by the file's SHA-256.

Arrow IPC (Feather v2, uncompressed) so a reopened case memory-maps its
tables instead of parsing again. A small stat memo (path, size, mtime, inode)
avoids re-hashing gigabyte files that have not changed; evidence export
always re-hashes. Writes are atomic (temp file, then rename).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc

CACHE_VERSION = "8"


def cache_dir() -> Path:
    env = os.environ.get("WORKBENCH_CACHE_DIR")
    if env:
        base = Path(env)
    elif sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home())) / "TracebackWorkbench" / "cache"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches" / "TracebackWorkbench"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "traceback-workbench"
    base.mkdir(parents=True, exist_ok=True)
    return base


def sha256_file(path: Path, chunk: int = 8 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            block = fh.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def file_sha256(path: Path, *, trust_stat: bool = True) -> str:
    """SHA-256 of a file, memoized on (path, size, mtime_ns, inode)."""
    path = Path(path).resolve()
    st = path.stat()
    stamp = f"{path}|{st.st_size}|{st.st_mtime_ns}|{st.st_ino}"
    memo = cache_dir() / "sha" / hashlib.sha1(stamp.encode()).hexdigest()
    if trust_stat and memo.exists():
        value = memo.read_text().strip()
        if len(value) == 64:
            return value
    value = sha256_file(path)
    atomic_write_bytes(memo, value.encode())
    return value


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def params_key(params: dict) -> str:
    blob = json.dumps({"v": CACHE_VERSION, **params}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def entry(sha: str, params: dict) -> Path:
    return cache_dir() / "tables" / f"{sha[:32]}-{params_key(params)}"


def load(sha: str, params: dict) -> tuple[pa.Table, dict] | None:
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


def store(sha: str, params: dict, table: pa.Table, meta: dict) -> None:
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
    atomic_write_text(base.with_suffix(".json"), json.dumps({**meta, "cache_version": CACHE_VERSION},
                                                            default=str))
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


def load_json(name: str) -> dict | None:
    p = cache_dir() / "misc" / f"{name}.json"
    try:
        return json.loads(p.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def store_json(name: str, value: dict) -> None:
    atomic_write_text(cache_dir() / "misc" / f"{name}.json", json.dumps(value, default=str))
