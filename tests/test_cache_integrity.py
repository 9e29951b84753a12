"""The cache is verified before use: damage anywhere in it gives the untouched answers.

Each test traces a copy of the sample case with a private cache, damages one cache file
(a flipped byte in each .arrow, each table's .json, each SHA-256 memo, the skew estimate;
another source's table copied in; edited metadata), reopens the case and expects the same
trace JSON, row counts and file hashes as before: a damaged entry is rebuilt, never used.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from tests.conftest import SAMPLE
from workbench.case.model import Case, load_case
from workbench.common.hashing import file_sha256, sha256_file
from workbench.present.trace_json import trace_json
from workbench.store import cache
from workbench.trace.engine import trace_traceback

TRACEBACKS = ["TB-26-0101", "TB-26-0102", "TB-26-0104"]


def answers(case: Case) -> dict[str, object]:
    """What a user sees: the trace JSON of some tracebacks, row counts and file hashes."""
    return {"traces": {tid: trace_json(trace_traceback(case, tid)) for tid in TRACEBACKS},
            "rows": {s.config.path: s.summary.to_dict() for s in case.sources},
            "sha256": {s.config.path: s.sha256 for s in case.sources}}


@pytest.fixture()
def warm(tmp_path, monkeypatch):
    """(case folder, cache folder, the answers of a first open): cache filled, nothing damaged."""
    root = tmp_path / "case"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("audit.jsonl"))
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    first = answers(load_case(root))
    again = load_case(root)
    assert all(s.from_cache for s in again.sources)
    return root, tmp_path / "cache", first


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def reopened(root: Path) -> Case:
    return load_case(root)


def arrow_offsets(path: Path, sample_start: int | None) -> list[int]:
    """Offsets to damage: the file's magic, schema, middle, footer and inside data buffers
    (the ``start`` value of row ``sample_start``, a called_key value, a string buffer)."""
    with pa.memory_map(str(path), "r") as mm:
        data = mm.read_buffer()
        table = ipc.open_file(data).read_all()
        base, size = data.address, data.size

        def inside(col: str, row: int, byte: int) -> int:
            chunk = table.column(col).chunks[0]
            if pa.types.is_dictionary(chunk.type):
                chunk = chunk.dictionary
            buf = chunk.buffers()[-1 if pa.types.is_string(chunk.type) else 1]
            width = 1 if pa.types.is_string(chunk.type) else 8
            return buf.address - base + (chunk.offset + row) * width + byte

        offsets = [0, 64, size // 2, size - 12, inside("called_key", 1, 0),
                   inside("calling", 0, 2)]
        if sample_start is not None:  # byte 3 of µs: the record moves by ~17 s
            offsets.append(inside("start", sample_start, 3))
    return sorted(set(offsets))


def table_files(cache_root: Path) -> list[Path]:
    return sorted((cache_root / "tables").glob("*.arrow"))


def test_a_flipped_byte_anywhere_in_an_arrow_file_is_caught(warm):
    root, cache_root, first = warm
    hop_rows = {}  # the terminating record's row in each damaged table moves the answer
    case = load_case(root)
    for s in case.sources:
        lines = case.store.columns(s.id, ["line"]).column("line").to_numpy()
        for tr in first["traces"].values():
            for hop in tr["hops"]:
                if hop.get("source") == s.config.path and hop.get("line") is not None:
                    hop_rows.setdefault(s.sha256, int((lines == hop["line"]).nonzero()[0][0]))
    del case
    assert hop_rows, "the traced hops name their records"
    for arrow in table_files(cache_root):
        row = next((r for sha, r in hop_rows.items() if arrow.name.startswith(sha[:32])), None)
        for offset in arrow_offsets(arrow, row):
            pristine = arrow.read_bytes()
            flip(arrow, offset)
            assert answers(reopened(root)) == first, (arrow.name, offset)
            assert arrow.read_bytes() == pristine, "the damaged entry was rebuilt"


def test_a_flipped_byte_in_a_table_metadata_file_is_caught(warm):
    root, cache_root, first = warm
    for meta in sorted((cache_root / "tables").glob("*.json")):
        text = meta.read_text()
        for offset in (text.index('"rows"') + 9, len(text) // 2, len(text) - 5):
            flip(meta, offset)
            assert answers(reopened(root)) == first, (meta.name, offset)


def test_edited_metadata_is_not_believed(warm):
    root, cache_root, first = warm
    meta = sorted((cache_root / "tables").glob("*.json"))[0]
    doc = json.loads(meta.read_text())
    doc["summary"]["rows"] = 6077
    doc["summary"]["first_start"] = "2001-01-01T00:00:00Z"
    meta.write_text(json.dumps(doc))
    assert answers(reopened(root)) == first


def test_another_sources_table_copied_in_is_caught(warm):
    root, cache_root, first = warm
    arrows = table_files(cache_root)
    assert len(arrows) == 5
    shutil.copyfile(arrows[1], arrows[0])  # the table alone
    assert answers(reopened(root)) == first
    for suffix in (".arrow", ".json"):  # the whole entry, metadata included
        shutil.copyfile(arrows[2].with_suffix(suffix), arrows[3].with_suffix(suffix))
    assert answers(reopened(root)) == first


def test_a_damaged_sha256_memo_never_reports_a_wrong_hash(warm):
    root, cache_root, first = warm
    memos = sorted((cache_root / "sha").iterdir())
    assert len(memos) == 5
    for memo in memos:
        flip(memo, 5)
        assert answers(reopened(root)) == first, memo.name
    # a memo in the old format (a bare hash) that names another file's hash
    other = sha256_file(root / "tracebacks.csv")
    for memo in memos:
        memo.write_text(other)
    case = reopened(root)
    assert {s.config.path: s.sha256 for s in case.sources} == first["sha256"]
    assert other not in first["sha256"].values()
    assert file_sha256(root / "cdrs" / "terminus.csv") == sha256_file(root / "cdrs" / "terminus.csv")


def test_a_damaged_skew_estimate_is_estimated_again(warm):
    root, cache_root, first = warm
    (skew,) = (cache_root / "misc").glob("skew-*.json")
    for offset in (20, len(skew.read_bytes()) // 2, len(skew.read_bytes()) - 3):
        flip(skew, offset)
        assert answers(reopened(root)) == first, offset
    # valid JSON with a moved offset: the checksum, not the parser, rejects it
    doc = json.loads(skew.read_text())
    for s in doc["value"]["sources"]:
        s["offset_s"] += 40.0
    skew.write_text(json.dumps(doc))
    assert answers(reopened(root)) == first


def test_stale_temporary_files_are_removed_when_the_cache_is_written(warm):
    root, cache_root, first = warm
    folder = cache_root / "tables"
    stale, live = folder / "tmpkilled.tmp", folder / "tmpwriting.tmp"
    stale_memo = cache_root / "sha" / ".0123abcd.x1y2.tmp"  # an atomic write cut short
    for p in (stale, live, stale_memo):
        p.write_bytes(b"\0" * 1000)
    old = time.time() - cache.STALE_TMP_S - 60
    os.utime(stale, (old, old))
    os.utime(stale_memo, (old, old))
    flip(table_files(cache_root)[0], 100)  # a rebuild writes the cache
    assert answers(reopened(root)) == first
    assert not stale.exists() and not stale_memo.exists()
    assert live.exists(), "a file another process may still be writing is left alone"


def test_an_unchanged_verified_file_is_not_read_again_a_touched_one_is(warm, monkeypatch):
    """Reopening reads every byte only when the file changed since it was verified (its
    stamp of size, inode, mtime and ctime): a flipped byte re-verifies and is caught."""
    root, cache_root, first = warm
    seen: list[int] = []
    real = cache.map_digest
    monkeypatch.setattr(cache, "map_digest", lambda mm: (seen.append(len(mm)), real(mm))[1])
    case = reopened(root)
    assert all(s.from_cache for s in case.sources) and seen == []
    arrow = sorted((cache_root / "tables").glob("*.arrow"))[0]
    flip(arrow, arrow.stat().st_size // 2)
    again = reopened(root)
    # the touched file verified in full and found damaged; its rebuild is digested as it is
    # written (cache_file), not read back, and that digest is the rebuilt file's
    assert len(seen) == 1
    rebuilt = json.loads(arrow.with_suffix(".json").read_text())["integrity"]["arrow_digest"]
    with cache._map(arrow) as mm:
        assert real(mm) == rebuilt
    assert answers(again) == first
    ok = arrow.with_suffix(".ok")
    # a forged stamp is no stamp (its checksum's first digit changed: a replace of one digit
    # everywhere left a checksum without that digit intact, one run in ~60)
    stamp = json.loads(ok.read_text())
    stamp["checksum"] = ("1" if stamp["checksum"][0] != "1" else "2") + stamp["checksum"][1:]
    ok.write_text(json.dumps(stamp))
    seen.clear()
    reopened(root)
    assert len(seen) == 1
