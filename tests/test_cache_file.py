"""The cache's ``.arrow`` writer: the same bytes as pyarrow writing to a plain file, and a
digest computed on the way out that equals the digest of the file read back.

The writer stages bytes in an aligned block and writes them with O_DIRECT where it can; a
file system that refuses O_DIRECT (at open or at the first write) gets the same bytes
through the page cache. Every path is compared with the old one, pyarrow's ``OSFile``
followed by ``cache.map_digest`` of the written file.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workbench.store import cache, cache_file
from workbench.store.cache_file import BLOCK, DigestingFile


def file_digest(path: Path) -> str:
    with cache._map(path) as mm:
        return cache.map_digest(mm)


def old_write(table: pa.Table, path: Path) -> None:
    """The writer this module replaced: pyarrow straight to a plain file."""
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=1 << 22)


def new_write(table: pa.Table, path: Path, chunk: int = cache.HASH_CHUNK) -> DigestingFile:
    path.touch()
    with DigestingFile(path, chunk) as out:
        with ipc.new_file(pa.PythonFile(out, mode="w"), table.schema) as writer:
            writer.write_table(table, max_chunksize=1 << 22)
    return out


def write_pieces(path: Path, pieces: list[bytes], chunk: int) -> DigestingFile:
    path.touch()
    with DigestingFile(path, chunk) as out:
        for piece in pieces:
            assert out.write(piece) == len(piece)
        assert out.tell() == sum(map(len, pieces))
    return out


def sample_table(rows: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({
        "key": pa.array(rng.integers(-1, 1 << 40, rows)),
        "start": pa.array(rng.integers(0, 1 << 50, rows)),
        "flags": pa.array(rng.integers(0, 1 << 16, rows).astype(np.uint32)),
        "trunk": pa.array([f"T{i % 7}" for i in range(rows)]).dictionary_encode(),
        "call_id": pa.array([None if i % 11 == 0 else f"id-{i}" for i in range(rows)]),
        "flag": pa.array(rng.integers(0, 2, rows).astype(bool)),
    })


piece_sizes = st.lists(st.one_of(st.integers(0, 64), st.integers(0, 3 * BLOCK)), max_size=6)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(sizes=piece_sizes, seed=st.integers(0, 2**32 - 1), chunk_blocks=st.sampled_from([1, 2]),
       direct=st.booleans())
@example(sizes=[BLOCK + 5, 2 * BLOCK, 7], seed=1, chunk_blocks=2, direct=True)  # 2 chunks, a tail
@example(sizes=[4 * BLOCK], seed=2, chunk_blocks=2, direct=False)  # whole chunks, no tail
@example(sizes=[3, 0, 4093], seed=3, chunk_blocks=1, direct=True)  # under one alignment unit
def test_any_writes_give_their_bytes_and_the_digest_of_the_file(
        tmp_path: Path, sizes: list[int], seed: int, chunk_blocks: int, direct: bool) -> None:
    """Writes of any sizes (empty, tiny, crossing blocks and chunks, exact multiples) leave
    exactly their bytes in the file, and ``digest()`` is ``map_digest`` of that file."""
    rng = np.random.default_rng(seed)
    pieces = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in sizes]
    path = tmp_path / f"w{seed}-{chunk_blocks}-{direct}.bin"
    with pytest.MonkeyPatch.context() as patch:  # per example: a fixture would outlive it
        if not direct:
            patch.setattr(cache_file, "_DIRECT", 0)
        out = write_pieces(path, pieces, chunk_blocks * BLOCK)
    data = b"".join(pieces)
    assert path.read_bytes() == data and out.size == len(data)
    if data:  # an empty file cannot be mapped (the cache never writes one)
        with cache._map(path) as mm:
            assert out.digest() == cache.map_digest(mm, chunk_blocks * BLOCK)


@pytest.mark.parametrize("rows", [1, 1000, 300_000])
def test_an_entry_is_byte_for_byte_what_pyarrow_wrote_before(tmp_path: Path, rows: int) -> None:
    table = sample_table(rows)
    old_write(table, tmp_path / "old.arrow")
    out = new_write(table, tmp_path / "new.arrow")
    assert (tmp_path / "new.arrow").read_bytes() == (tmp_path / "old.arrow").read_bytes()
    assert out.digest() == file_digest(tmp_path / "old.arrow")
    assert out.size == (tmp_path / "old.arrow").stat().st_size


def test_a_file_system_that_refuses_o_direct_at_write_gets_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """EINVAL from an O_DIRECT write (alignment a file system will not take): the block is
    written again through the page cache, at its own offset, and so are the next ones."""
    if not cache_file._DIRECT:
        pytest.skip("no O_DIRECT on this platform")
    real_write = os.write
    refused: list[int] = []

    def write(fd: int, data: memoryview) -> int:
        if _is_direct(fd) and len(refused) < 1 and os.lseek(
                fd, 0, os.SEEK_CUR) == 2 * BLOCK:
            refused.append(fd)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    table = sample_table(300_000, seed=3)
    old_write(table, tmp_path / "old.arrow")
    out = new_write(table, tmp_path / "new.arrow", chunk=2 * BLOCK)
    assert refused, "the refusal was simulated"
    assert (tmp_path / "new.arrow").read_bytes() == (tmp_path / "old.arrow").read_bytes()
    with cache._map(tmp_path / "new.arrow") as mm:
        assert out.digest() == cache.map_digest(mm, 2 * BLOCK)


def test_a_file_system_that_refuses_o_direct_at_open_gets_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not cache_file._DIRECT:
        pytest.skip("no O_DIRECT on this platform")
    real_open = os.open

    def refuse(path: str, flags: int, *args: int) -> int:
        if flags & cache_file._DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refuse)
    table = sample_table(1000, seed=4)
    old_write(table, tmp_path / "old.arrow")
    out = new_write(table, tmp_path / "new.arrow")
    assert (tmp_path / "new.arrow").read_bytes() == (tmp_path / "old.arrow").read_bytes()
    assert out.digest() == file_digest(tmp_path / "new.arrow")


def test_other_open_errors_are_not_hidden(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        DigestingFile(tmp_path / "missing" / "x.arrow", cache.HASH_CHUNK)


def test_the_chunk_must_be_whole_blocks(tmp_path: Path) -> None:
    (tmp_path / "x").touch()
    with pytest.raises(ValueError):
        DigestingFile(tmp_path / "x", BLOCK + 1)


def test_a_stored_entry_carries_the_digest_of_its_file(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """``cache.store`` seals the digest computed on the way out: it is the file's."""
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    sha, params = "ab" * 32, {"format": "test"}
    table = sample_table(200_000, seed=5)
    cache.store(sha, params, table, {"summary": {}, "sha256": sha})
    base = cache.entry(sha, params)
    meta = cache._verified_meta(base.with_suffix(".json"), cache._binding(sha, params))
    assert meta is not None
    assert meta["integrity"]["arrow_digest"] == file_digest(base.with_suffix(".arrow"))
    assert meta["integrity"]["arrow_bytes"] == base.with_suffix(".arrow").stat().st_size
    hit = cache.load(sha, params)
    assert hit is not None and hit[0].equals(table)


def _is_direct(fd: int) -> bool:
    import fcntl
    return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & cache_file._DIRECT)


def test_the_user_can_keep_the_cache_writes_in_the_page_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``WORKBENCH_CACHE_DIRECT=0`` (a slow or network disk): no O_DIRECT, the same bytes."""
    monkeypatch.setenv("WORKBENCH_CACHE_DIRECT", "0")
    (tmp_path / "x.arrow").touch()
    with DigestingFile(tmp_path / "x.arrow", cache.HASH_CHUNK) as out:
        assert not _is_direct(out._fd)
        out.write(b"abc" * 1000)
    assert (tmp_path / "x.arrow").read_bytes() == b"abc" * 1000
    assert out.digest() == file_digest(tmp_path / "x.arrow")
