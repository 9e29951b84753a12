"""On-disk cache of normalized sources, keyed by the file's SHA-256 and import settings.

Arrow IPC (Feather v2, uncompressed) so a reopened case memory-maps its
tables instead of parsing again. Writes are atomic (temp file, then rename).
File hashing lives in ``common.hashing``, atomic writes in ``common.atomic``.

Nothing read back is trusted blindly: every entry carries a checksum over the
whole ``.arrow`` file and over its metadata, bound to the source's SHA-256 and
the import settings. A mismatch (a flipped byte, another source's table copied
in, edited metadata) deletes the entry and reports a miss, so the caller
rebuilds. The ``.arrow`` bytes are verified before pyarrow parses them. The writer
(``cache_file``) computes that checksum from the bytes as it writes them, past the page
cache, rather than reading the new file back.

Reading every byte costs ~0.7 s for 10 M rows, on every reopen. So a verified file
gets a sealed ``.ok`` stamp of its size, inode and modification and change times
(ctime cannot be set back by a user); while the stamp holds, the bytes are the ones
verified and are not read again. Any write to the file — a flipped byte, a table
copied over it — changes the stamp, and the next open verifies every byte.

Columns that hold nothing (no answer time, no STIR/SHAKEN fields in the file) are not
written; the sealed metadata names them and a reopen rebuilds them (``cache_absent``).
"""
from __future__ import annotations

import hashlib
import json
import mmap
import os
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc

from workbench.common.atomic import atomic_write_text
from workbench.common.dirs import cache_dir
from workbench.common.files import sweep
from workbench.store import cache_absent
from workbench.store.cache_file import DigestingFile, digest_of

CACHE_VERSION = "12"  # 12: counting columns (line numbers) not written; 11: one-text
# dictionary columns not written (10: every entry carries a checksum; 9: PASSporT pp_*)
HASH_CHUNK = 16 << 20  # the .arrow digest covers per-chunk CRC-32s, computed in parallel
STALE_TMP_S = 15 * 60  # a .tmp untouched this long belongs to a killed writer

# zlib frees the GIL on large buffers: hashing chunks in threads uses every core.
_HASHERS = ThreadPoolExecutor(max_workers=max(2, min(8, os.cpu_count() or 2)),
                              thread_name_prefix="cache-verify")
_DROP: int | None = getattr(mmap, "MADV_DONTNEED", None)  # Linux/macOS; Windows keeps pages


def params_key(params: dict[str, Any]) -> str:
    blob = json.dumps({"v": CACHE_VERSION, **params}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def entry(sha: str, params: dict[str, Any]) -> Path:
    return cache_dir() / "tables" / f"{sha[:32]}-{params_key(params)}"


def map_digest(mm: mmap.mmap, chunk: int = HASH_CHUNK) -> str:
    """Digest of a mapped file: CRC-32 of each chunk (in parallel), then SHA-256 over them.

    CRC-32 catches every burst of up to 32 flipped bits and any other damage with
    odds 2**-32 per chunk, as Parquet's page checksums do; it is ~1.6x faster here
    than SHA-256, which matters because every reopen verifies every byte. Hashed
    pages are dropped from the process (they stay in the page cache), so verifying
    a gigabyte table does not add a gigabyte to its resident size."""
    size = len(mm)

    def crc(start: int) -> int:
        with memoryview(mm) as view, view[start:start + chunk] as part:
            value = zlib.crc32(part)
        if _DROP is not None:
            mm.madvise(_DROP, start, min(chunk, size - start))
        return value

    return digest_of(list(_HASHERS.map(crc, range(0, size, chunk))), size, chunk)


def _map(path: Path) -> mmap.mmap:
    """A read-only map of ``path`` (the file handle is not needed once mapped)."""
    with open(path, "rb") as fh:
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def _seal(binding: str, payload: dict[str, Any]) -> str:
    """The checksum of ``payload`` (as JSON reads it back) bound to ``binding``."""
    return hashlib.sha256(binding.encode() + b"\0" + _canonical(payload)).hexdigest()


def _as_read_back(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` as it will be after a JSON round trip (so the seal matches on load)."""
    back: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return back


def _binding(sha: str, params: dict[str, Any]) -> str:
    return f"table|{sha}|{params_key(params)}"


def load(sha: str, params: dict[str, Any]) -> tuple[pa.Table, dict[str, Any]] | None:
    """The cached table and metadata of this file and settings, verified; None to rebuild."""
    base = entry(sha, params)
    arrow, meta_path = base.with_suffix(".arrow"), base.with_suffix(".json")
    if not (arrow.exists() and meta_path.exists()):
        return None
    meta = _verified_meta(meta_path, _binding(sha, params))
    if meta is None:
        _discard(base)
        return None
    try:
        mm = _map(arrow)  # verified bytes are the bytes the table uses: one map, one inode
    except (OSError, ValueError):  # ValueError: an empty file cannot be mapped
        _discard(base)
        return None
    try:
        digest = meta["integrity"]["arrow_digest"]
        if len(mm) == meta["integrity"]["arrow_bytes"] and (
                _stamp_holds(base, arrow, digest, sha, params) or map_digest(mm) == digest):
            _write_stamp(base, arrow, digest, sha, params)
            table = ipc.open_file(pa.py_buffer(mm)).read_all()  # the table keeps mm
            return cache_absent.restore(table, meta.get("absent_columns") or {}), meta
    except (pa.ArrowException, OSError, KeyError, TypeError, ValueError):
        pass
    try:
        mm.close()  # unmapped before deleting (Windows refuses to delete a mapped file)
    except BufferError:
        pass
    _discard(base)
    return None


def _file_stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _stamp_holds(base: Path, arrow: Path, digest: str, sha: str,
                 params: dict[str, Any]) -> bool:
    """The .arrow file is unchanged since its bytes were last verified against ``digest``."""
    try:
        ok = json.loads(base.with_suffix(".ok").read_text(encoding="utf-8"))
        payload = {"stamp": _file_stamp(arrow), "digest": digest}
    except (OSError, ValueError):
        return False
    return isinstance(ok, dict) and ok.get("checksum") == _seal(
        "verified|" + _binding(sha, params), payload)


def _write_stamp(base: Path, arrow: Path, digest: str, sha: str,
                 params: dict[str, Any]) -> None:
    """Remember that the file as it is now was verified (a failed write only costs time)."""
    try:
        payload = {"stamp": _file_stamp(arrow), "digest": digest}
        seal = _seal("verified|" + _binding(sha, params), payload)
        path = base.with_suffix(".ok")
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("checksum") == seal:
                return
        except (OSError, ValueError, AttributeError):
            pass
        atomic_write_text(path, json.dumps({"checksum": seal}))
    except OSError:
        pass


def _verified_meta(path: Path, binding: str) -> dict[str, Any] | None:
    """The metadata file's content if its seal matches this entry's binding."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict):
        return None
    seal = meta.pop("checksum", None)
    if not isinstance(seal, str) or seal != _seal(binding, meta):
        return None
    return meta if meta.get("cache_version") == CACHE_VERSION else None


def _discard(base: Path) -> None:
    """Remove a damaged entry (a miss follows either way; an unlink race is harmless)."""
    for suffix in (".arrow", ".json", ".ok"):
        try:
            base.with_suffix(suffix).unlink(missing_ok=True)
        except OSError:
            pass  # e.g. still mapped by another process on Windows: the rebuild overwrites it


def store(sha: str, params: dict[str, Any], table: pa.Table, meta: dict[str, Any]) -> None:
    base = entry(sha, params)
    base.parent.mkdir(parents=True, exist_ok=True)
    for folder in ("tables", "misc", "sha"):  # sha: the memo files of common.hashing
        remove_stale_tmp(cache_dir() / folder)
    arrow = base.with_suffix(".arrow")
    kept, absent = cache_absent.split(table)  # columns that hold nothing are not written
    fd, tmp = tempfile.mkstemp(dir=base.parent, suffix=".tmp")
    os.close(fd)
    try:
        with DigestingFile(tmp, HASH_CHUNK) as out:  # digest computed as the bytes go out
            with ipc.new_file(pa.PythonFile(out, mode="w"), kept.schema) as writer:
                writer.write_table(kept, max_chunksize=1 << 22)
        integrity = {"arrow_bytes": out.size, "arrow_digest": out.digest()}
        os.replace(tmp, arrow)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    payload = _as_read_back({**meta, "cache_version": CACHE_VERSION, "integrity": integrity,
                             "absent_columns": absent})
    sealed = {**payload, "checksum": _seal(_binding(sha, params), payload)}
    atomic_write_text(base.with_suffix(".json"), json.dumps(sealed))
    _write_stamp(base, arrow, str(integrity["arrow_digest"]), sha, params)
    _drop_stale(base.parent, sha[:32])


def remove_stale_tmp(folder: Path, older_than_s: float = STALE_TMP_S) -> int:
    """Delete ``*.tmp`` files a killed writer left in ``folder``; returns how many.

    Age, not a lock, tells a dead writer from a live one: a live writer touches its
    file with every block it writes."""
    return sweep(folder, lambda e, now: e.name.endswith(".tmp")
                 and e.is_file(follow_symlinks=False)
                 and now - e.stat(follow_symlinks=False).st_mtime > older_than_s, os.unlink)


def _drop_stale(folder: Path, sha_prefix: str) -> None:
    """Entries of the same file written by an older cache version are never read again."""
    for meta in folder.glob(f"{sha_prefix}-*.json"):
        try:
            version = json.loads(meta.read_text()).get("cache_version")
        except (OSError, ValueError, AttributeError):
            version = None
        if version != CACHE_VERSION:
            meta.with_suffix(".arrow").unlink(missing_ok=True)
            meta.with_suffix(".ok").unlink(missing_ok=True)
            meta.unlink(missing_ok=True)


def _json_path(name: str) -> Path:
    return cache_dir() / "misc" / f"{name}.json"


def load_json(name: str) -> dict[str, Any] | None:
    """A small cached value stored under ``name``, if its checksum holds (else None)."""
    p = _json_path(name)
    try:
        sealed = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        sealed = None
    value = sealed.get("value") if isinstance(sealed, dict) else None
    if isinstance(value, dict) and sealed.get("checksum") == _seal(f"json|{name}", value):
        return value
    p.unlink(missing_ok=True)
    return None


def store_json(name: str, value: dict[str, Any]) -> None:
    p = _json_path(name)
    p.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(p.parent)
    payload = _as_read_back(value)
    atomic_write_text(p, json.dumps({"checksum": _seal(f"json|{name}", payload),
                                     "value": payload}))
