"""``sha256_file`` reads into one reused buffer: the digest is the file's whatever its size
against the block (empty, under one block, exactly a block, blocks plus a tail)."""
from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.common.hashing import sha256_file


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=300), chunk=st.integers(1, 64))
def test_sha256_file_is_hashlib_of_the_whole_file(tmp_path_factory, data, chunk):
    path = tmp_path_factory.mktemp("h") / "f.bin"
    path.write_bytes(data)
    assert sha256_file(path, chunk=chunk) == hashlib.sha256(data).hexdigest()
