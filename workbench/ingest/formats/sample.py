"""Reading the head of a file and the whole text of it, with encoding detection."""
from __future__ import annotations

import mmap
import time
from contextlib import contextmanager
from pathlib import Path

from workbench.common.files import read_bytes, regular_file

from .base import Sample

HEAD_BYTES = 64 * 1024


def sniff_encoding(head: bytes) -> str:
    """The text encoding of a CDR file: BOMs first, then UTF-8, else Windows-1252/Latin-1."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if len(head) > 3 and head[1] == 0 and head[3] == 0:
        return "utf-16-le"
    if len(head) > 3 and head[0] == 0 and head[2] == 0:
        return "utf-16-be"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a multi-byte character cut by the head limit
            return "utf-8"
        return "cp1252" if _cp1252_ok(head) else "latin-1"


def _cp1252_ok(data: bytes) -> bool:
    try:
        data.decode("cp1252")
        return True
    except UnicodeDecodeError:
        return False


def read_sample(path: Path) -> Sample:
    regular_file(path)  # a FIFO or device never ends, a folder is no CDR file
    with open(path, "rb") as fh:
        raw = fh.read(HEAD_BYTES)
    enc = sniff_encoding(raw)
    text = raw.decode(enc, errors="replace")
    lines = text.splitlines()
    if len(raw) == HEAD_BYTES and lines:
        lines = lines[:-1]  # last line may be cut
    return Sample(path=Path(path), raw=raw, text=text, lines=lines, encoding=enc)


def read_utf8(path: Path, encoding: str | None = None,
              data: bytes | None = None) -> tuple[bytes, str]:
    """The whole file as UTF-8 bytes (transcoded if needed, BOM removed) and the encoding found."""
    if data is None:
        data = read_bytes(path)
    enc = encoding or sniff_encoding(data[:HEAD_BYTES])
    if enc == "utf-8":  # validated by the CSV reader, which retries as cp1252 if it fails
        return data, enc
    if enc == "utf-8-sig":
        return data[3:], enc
    text = data.decode(enc, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.encode("utf-8"), enc


# A file written to within this many seconds may be a live log (an Asterisk Master.csv, say)
# that logrotate could truncate while it is mapped, and touching a truncated mapping kills
# the process: such files are read into memory instead.
LIVE_SECONDS = 120


@contextmanager
def utf8_view(path: Path, encoding: str | None = None):
    """Like `read_utf8`, but a UTF-8 file is memory-mapped rather than copied into memory
    (a million-row file is read ~0.1 s faster). Yields (bytes-like, encoding)."""
    regular_file(path)
    enc = encoding
    if enc is None:
        with open(path, "rb") as fh:
            enc = sniff_encoding(fh.read(HEAD_BYTES))
    st = Path(path).stat()
    if enc != "utf-8" or st.st_size == 0 or time.time() - st.st_mtime < LIVE_SECONDS:
        yield read_utf8(path, enc)
        return
    with open(path, "rb") as fh:
        view = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        yield view, enc
    finally:
        try:
            view.close()
        except BufferError:  # a parsed array still refers to the mapping: the GC closes it
            pass
