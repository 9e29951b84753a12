"""Writing a cache entry's ``.arrow`` file: past the page cache, checksummed on the way.

A first open writes about 0.8 bytes of cache for each byte of CSV. Written through the
page cache, every written page is a page the kernel must find and clear first; on a
virtual machine that gives freed memory back to its host, that is a host fault per page:
0.3-0.6 s of system CPU for each 180 MB entry, a tenth of a whole first open. Written
with ``O_DIRECT`` from one reused, aligned block, the bytes go to the disk without new
pages (0.05 s for the same entry), and a reopen reads them back through the page cache.

The checksum of the file (``cache.map_digest``: a CRC-32 per 16 MiB chunk, then SHA-256
over them) is computed from that block as each block is written, instead of reading the
whole file back afterwards.

Where ``O_DIRECT`` does not exist (Windows, macOS) or the file system refuses it (some
tmpfs, network and FUSE file systems), the same blocks are written through the page cache.
A direct write waits for the disk: on a slow disk or a network file system a user may
prefer the page cache, with ``WORKBENCH_CACHE_DIRECT=0``.
"""
from __future__ import annotations

import errno
import hashlib
import mmap
import os
import zlib
from types import TracebackType

BLOCK = 1 << 20  # the reused block: large enough for few system calls, small enough for L2
ALIGN = 4096  # O_DIRECT offsets and lengths: a multiple of the device's logical block
_DIRECT: int = getattr(os, "O_DIRECT", 0)  # Linux only


def digest_of(crcs: list[int], size: int, chunk: int) -> str:
    """The file digest from its chunks' CRC-32s (the one formula writer and reader share)."""
    top = hashlib.sha256(f"crc32|{size}|{chunk}|".encode())
    for value in crcs:
        top.update(value.to_bytes(4, "little"))
    return top.hexdigest()


class DigestingFile:
    """A write-only file object (for ``pyarrow.PythonFile``) that stages writes in one
    aligned block, writes whole blocks (``O_DIRECT`` where it can) and keeps the CRC-32
    of every ``chunk`` bytes, so ``digest()`` equals ``cache.map_digest`` of the file."""

    def __init__(self, path: str | os.PathLike[str], chunk: int) -> None:
        if chunk % BLOCK:
            raise ValueError("the checksum chunk must be a multiple of the block")
        self._chunk = chunk
        self._path = os.fspath(path)
        self._fd, self._direct = _open_direct(self._path)
        self._at = 0  # the file offset of the staged block
        self._block = mmap.mmap(-1, BLOCK)  # page aligned, as O_DIRECT needs
        self._view = memoryview(self._block)
        self._fill = 0  # bytes staged in the block
        self._size = 0  # bytes written by the caller
        self._crc = 0  # running CRC-32 of the current chunk
        self._in_chunk = 0
        self._crcs: list[int] = []
        self.closed = False

    # -- the file protocol pyarrow.PythonFile uses -------------------------------------
    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Stage ``data`` (pyarrow passes its buffers without copying them)."""
        with memoryview(data) as raw, raw.cast("B") as view:
            n, pos = len(view), 0
            while pos < n:
                take = min(BLOCK - self._fill, n - pos)
                self._view[self._fill:self._fill + take] = view[pos:pos + take]
                self._fill += take
                pos += take
                if self._fill == BLOCK:
                    self._flush_block()
        self._size += n
        return n

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        """Whole blocks only reach the file; the tail is written by ``close``."""

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        """Write the staged tail (padded to alignment, then the file cut to its size)."""
        if self.closed:
            return
        try:
            if self._fill:
                self._flush_block()
            os.ftruncate(self._fd, self._size)
        finally:
            self.closed = True
            os.close(self._fd)
            self._view.release()
            self._block.close()

    def __enter__(self) -> DigestingFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- results --------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return self._size

    def digest(self) -> str:
        """``cache.map_digest`` of the bytes written (call after ``close``)."""
        crcs = self._crcs + ([self._crc] if self._in_chunk else [])
        return digest_of(crcs, self._size, self._chunk)

    # -- internals ------------------------------------------------------------------------
    def _flush_block(self) -> None:
        """Checksum the staged bytes, then write them (padded to ``ALIGN`` at the end)."""
        fill = self._fill
        with self._view[:fill] as staged:  # a block never spans two chunks: BLOCK | chunk
            self._crc = zlib.crc32(staged, self._crc)
        self._in_chunk += fill
        if self._in_chunk == self._chunk:
            self._crcs.append(self._crc)
            self._crc, self._in_chunk = 0, 0
        if self._direct:
            padded = -(-fill // ALIGN) * ALIGN
            self._view[fill:padded] = bytes(padded - fill)  # cut off again by close
            try:
                self._write_all(padded)
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise
                self._reopen_buffered()  # refused at write time (alignment, file system)
        if not self._direct:
            self._write_all(fill)
        self._at += fill
        self._fill = 0

    def _write_all(self, length: int) -> None:
        """Write the block's first ``length`` bytes at the block's offset."""
        os.lseek(self._fd, self._at, os.SEEK_SET)
        done = 0
        while done < length:
            with self._view[done:length] as part:
                done += os.write(self._fd, part)

    def _reopen_buffered(self) -> None:
        fd = os.open(self._path, os.O_WRONLY | getattr(os, "O_BINARY", 0))
        os.close(self._fd)
        self._fd, self._direct = fd, False


def _open(path: str, direct: bool) -> int:
    return os.open(path, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_BINARY", 0)
                   | (_DIRECT if direct else 0))


def _open_direct(path: str) -> tuple[int, bool]:
    """The file opened for writing, with O_DIRECT where the platform and file system
    allow it (a file system that refuses it refuses the open: EINVAL) and the user has not
    turned it off (``WORKBENCH_CACHE_DIRECT=0``)."""
    if _DIRECT and os.environ.get("WORKBENCH_CACHE_DIRECT", "1").strip() != "0":
        try:
            return _open(path, True), True
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
    return _open(path, False), False
