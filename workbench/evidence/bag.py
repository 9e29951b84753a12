"""Writing the packet: a BagIt bag (Library of Congress `bagit`), zipped, written atomically.

The bag is built in a hidden temporary folder beside the destination and zipped
there; only the finished zip is renamed onto the final name, so an interrupted or
cancelled export never leaves a half packet under that name. A folder a killed export
left behind (`.<name>.workbench-export-<pid>-….part`) is removed by the next export there.
"""
from __future__ import annotations

import datetime as _dt
import logging
import os
import re
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Callable

import bagit

from workbench.common.files import sweep
from workbench.common.progress import StopFn, check, never_stop

ALGORITHMS = ("sha256", "sha512")  # two independent manifests: a changed manifest is told
# apart from a changed file (the file disagrees with both, a changed manifest with the other)
_BAGIT = threading.Lock()  # bagit.make_bag changes the process's working directory


PART_TAG = "workbench-export"
PART_SUFFIX = ".part"
# `.<packet name>.workbench-export-<pid>-<random>.part`: the writer's process id tells a
# folder a killed export left (its process is gone) from one being written right now.
_PART = re.compile(r"^\..*\." + PART_TAG + r"-(\d+)-[^/]*" + re.escape(PART_SUFFIX) + "$")
STALE_PART_S = 6 * 3600  # a part folder untouched this long is stale even if its pid lives
# (process ids are reused: a long-dead writer's id may belong to another process by now)


def part_prefix(out_path: Path) -> str:
    """The name start of the hidden folder an export builds its packet in."""
    return f".{Path(out_path).name}.{PART_TAG}-{os.getpid()}-"


def remove_stale_parts(folder: Path, older_than_s: float = STALE_PART_S) -> int:
    """Delete part folders that killed exports left in ``folder``; returns how many.

    Only folders named by `part_prefix` are touched: of a process that no longer runs, or
    untouched for ``older_than_s`` (never one of this process's, which may be writing)."""
    def stale(e: os.DirEntry[str], now: float) -> bool:
        m = _PART.match(e.name)
        if not m or not e.is_dir(follow_symlinks=False):
            return False
        pid = int(m.group(1))
        old = now - e.stat(follow_symlinks=False).st_mtime > older_than_s
        return pid != os.getpid() and (old or not _alive(pid))

    return sweep(folder, stale, shutil.rmtree)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process (or a number we cannot ask about): leave it
    return True


def bag_info_value(value: object) -> str:
    """bag-info.txt holds one line per field: no line breaks inside a value."""
    return re.sub(r"[\r\n]+", " ", str(value)).strip()


def packet_folder(out_path: Path) -> str:
    """The single top-level folder of the zip (RFC 8493 §4.2: named like the zip)."""
    stem = Path(out_path).name
    if stem.lower().endswith(".zip"):
        stem = stem[:-4]
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "packet"


def write_packet_zip(payload: dict[str, bytes | Path], out_path: Path, bag_info: dict[str, str],
                     *, created: _dt.datetime, folder: str | None = None,
                     progress: Callable[[float, str], None] = lambda f, m: None,
                     should_stop: StopFn = never_stop) -> Path:
    """Write `payload` (names under data/) as a zipped bag at `out_path`, atomically."""
    out_path = Path(out_path).absolute()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(out_path.parent)
    tmp = Path(tempfile.mkdtemp(dir=out_path.parent, prefix=part_prefix(out_path),
                                suffix=PART_SUFFIX))
    try:
        folder = folder or packet_folder(out_path)
        bag_dir = tmp / folder
        bag_dir.mkdir()
        for i, (name, content) in enumerate(payload.items()):
            target = bag_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copyfile(content, target)
            else:
                target.write_bytes(content)
            check(should_stop)
            progress(0.1 * (i + 1) / max(len(payload), 1), f"writing {name}")
        info = {k: bag_info_value(v) for k, v in bag_info.items() if v not in (None, "")}
        progress(0.15, "hashing the payload (BagIt manifests)")
        with _BAGIT:
            cwd = os.getcwd()
            try:
                logging.getLogger("bagit").setLevel(logging.WARNING)
                bagit.make_bag(str(bag_dir), bag_info=info, checksums=list(ALGORITHMS))
            finally:
                os.chdir(cwd)
        check(should_stop)
        tmp_zip = tmp / "packet.zip"
        _zip_folder(bag_dir, folder, tmp_zip, created, progress, should_stop)
        with open(tmp_zip, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_zip, out_path)
        _fsync_dir(out_path.parent)
        return out_path
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _zip_folder(bag_dir: Path, folder: str, zip_path: Path, created: _dt.datetime,
                progress, should_stop: StopFn) -> None:
    files = sorted(p for p in bag_dir.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files) or 1
    done = 0
    stamp = created.timetuple()[:6]
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=6) as zf:
        for path in files:
            rel = path.relative_to(bag_dir).as_posix()
            info = zipfile.ZipInfo.from_file(path, f"{folder}/{rel}")
            info.date_time = stamp
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as src, zf.open(info, "w") as dst:
                for block in iter(lambda: src.read(4 << 20), b""):
                    dst.write(block)
                    done += len(block)
                    check(should_stop)
                    progress(0.3 + 0.7 * done / total, f"zipping {rel}")


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
