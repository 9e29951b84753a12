"""SHA-256 of original files, and a stat memo so unchanged gigabyte files are not re-hashed."""
from __future__ import annotations

import hashlib
from pathlib import Path

from workbench.common.atomic import atomic_write_bytes
from workbench.common.dirs import cache_dir


def sha256_file(path: Path, chunk: int = 8 << 20) -> str:
    """The file's SHA-256, read in full (evidence export always calls this)."""
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
