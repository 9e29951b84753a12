"""Checking a packet: every member against two independent manifests, nothing extracted unsafely.

The zip is read in place. A member whose name would land outside the packet folder
(`../`, an absolute path, a drive letter) or that is a symlink makes the packet
refused before anything is read. Each file is hashed with SHA-256 and SHA-512; a
file that disagrees with both manifests is named as changed, a manifest that
disagrees with files the other manifest vouches for is named as the changed one.
When all of that passes, the Library of Congress `bagit` validator checks the
unzipped bag as a second opinion.
"""
from __future__ import annotations

import hashlib
import logging
import re
import shutil
import stat
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import bagit

from workbench.common.errors import InputError
from workbench.common.files import regular_file

from .bag import ALGORITHMS

REQUIRED_TAGS = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt")
_MANIFEST = re.compile(r"^(tag)?manifest-(\w+)\.txt$")


@dataclass
class VerifyResult:
    ok: bool
    problems: list[str] = field(default_factory=list)
    members: int = 0
    info: dict[str, str] = field(default_factory=dict)  # bag-info.txt fields

    def __bool__(self) -> bool:
        return self.ok


def unsafe_reason(name: str) -> str | None:
    """Why a member name would escape the extraction folder (None when it is safe)."""
    if "\x00" in name:
        return "a NUL character in the name"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "an absolute path"
    if ".." in re.split(r"[\\/]+", name):
        return "'..' climbs out of the packet folder"
    return None


def verify_packet(path: str | Path, *, deep: bool = True) -> VerifyResult:
    """Check a zipped packet; `problems` names every changed, missing or extra member."""
    path = Path(path)
    if path.is_dir():
        raise InputError("this is a folder: give the packet's .zip (an unzipped bag can be "
                         "checked with `bagit.py --validate FOLDER`)", file=str(path))
    regular_file(path, what="packet file")  # never a FIFO or device: reading one never ends
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        return VerifyResult(False, [f"not a readable zip file: {exc}"])
    with zf:
        infos = zf.infolist()
        refused = []
        for i in infos:
            why = unsafe_reason(i.filename)
            if why is None and stat.S_ISLNK(i.external_attr >> 16):
                why = "a symbolic link"
            if why:
                refused.append(f"refused: member '{i.filename}' — {why}; nothing was extracted")
        if refused:
            return VerifyResult(False, refused, len(infos))
        names = [i.filename for i in infos if not i.is_dir()]
        dupes = sorted(n for n, k in Counter(names).items() if k > 1)
        problems = [f"duplicate member '{n}': two different files under one name" for n in dupes]
        prefix = _bag_prefix(names)
        hashes: dict[str, dict[str, str]] = {}
        for i in infos:
            if i.is_dir():
                continue
            if not i.filename.startswith(prefix):
                problems.append(f"extra: {i.filename} (outside the packet folder "
                                f"'{prefix.rstrip('/')}')")
                continue
            rel = i.filename[len(prefix):]
            try:
                hashes[rel] = _hash_member(zf, i)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError,
                    NotImplementedError) as exc:  # damaged, encrypted, unknown compression
                problems.append(f"changed: {rel} (the zip data is damaged: {exc})")
                hashes[rel] = {a: "" for a in ALGORITHMS}
        info = _bag_info(zf, prefix, names)
        problems += _check(hashes, zf, prefix, info)
        result = VerifyResult(not problems, problems, len(names), info)
        if result.ok and deep:
            result.problems += _bagit_opinion(zf, infos, prefix)
            result.ok = not result.problems
        return result


def _bag_prefix(names: list[str]) -> str:
    if "bagit.txt" in names:
        return ""
    tops = {n.split("/", 1)[0] for n in names if "/" in n}
    for top in sorted(tops):
        if f"{top}/bagit.txt" in names:
            return f"{top}/"
    return (sorted(tops)[0] + "/") if len(tops) == 1 else ""


def _hash_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict[str, str]:
    hs = {a: hashlib.new(a) for a in ALGORITHMS}
    with zf.open(info) as fh:  # zipfile also checks each member's CRC-32 at the end
        for block in iter(lambda: fh.read(4 << 20), b""):
            for h in hs.values():
                h.update(block)
    return {a: h.hexdigest() for a, h in hs.items()}


def _bag_info(zf: zipfile.ZipFile, prefix: str, names: list[str]) -> dict[str, str]:
    name = f"{prefix}bag-info.txt"
    if name not in names:
        return {}
    out: dict[str, str] = {}
    key = None
    for line in zf.read(name).decode("utf-8", "replace").splitlines():
        if line[:1] in (" ", "\t") and key:
            out[key] += " " + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            key = key.strip()
            out[key] = value.strip()
    return out


def _parse_manifest(text: bytes, alg: str, strict: str = "") -> tuple[dict[str, str], list[int]]:
    """{path: digest} and the numbers of unreadable lines.

    `strict` (packets this tool wrote) also requires the exact bytes bagit writes:
    lower-case digest, the separator bagit uses for that manifest (two spaces in payload
    manifests, one in tag manifests), the path, LF. A tag manifest is covered by no other
    file, so this is what catches a changed letter case or blank in one."""
    entries: dict[str, str] = {}
    bad: list[int] = []
    size = hashlib.new(alg).digest_size * 2
    try:
        lines = text.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return {}, [0]
    if lines and lines[-1] == "":
        lines.pop()
    if strict and not text.endswith(b"\n"):
        bad.append(len(lines))
    for n, line in enumerate(lines, start=1):
        pattern = (rf"^([0-9a-f]+){strict}(\S.*)$" if strict else
                   r"^([0-9a-fA-F]+)[ \t]+(\S.*)$")
        m = re.match(pattern, line if strict else line.rstrip("\r"))
        if not m or len(m.group(1)) != size:
            bad.append(n)
            continue
        p = unquote(m.group(2)).lstrip("*")
        p = str(PurePosixPath(p)) if p.startswith("./") else p
        if p in entries:
            bad.append(n)
        entries[p] = m.group(1).lower()
    return entries, bad


def _check(hashes: dict[str, dict[str, str]], zf, prefix: str, info: dict) -> list[str]:
    problems: list[str] = []
    present = set(hashes)
    manifests = {n: _MANIFEST.match(n) for n in present}
    tagm = {m.group(2): n for n, m in manifests.items() if m and m.group(1)}
    paym = {m.group(2): n for n, m in manifests.items() if m and not m.group(1)}
    declared = set((info.get("Manifest-Algorithms") or "").replace(",", " ").split()) or {"sha256"}
    required = set(REQUIRED_TAGS)
    for alg in declared:
        required |= {f"manifest-{alg}.txt", f"tagmanifest-{alg}.txt"}
    for name in sorted(required - present):
        problems.append(f"missing: {name}")
    ours = info.get("Tool-Version", "").startswith("traceback-workbench")
    parsed_t = {alg: _parse_manifest(zf.read(prefix + n), alg, " " if ours else "")
                for alg, n in tagm.items() if alg in ALGORITHMS}
    parsed_p = {alg: _parse_manifest(zf.read(prefix + n), alg, "  " if ours else "")
                for alg, n in paym.items() if alg in ALGORITHMS}
    tag_files = {n for n in present if not n.startswith("data/") and n not in tagm.values()}
    changed_tagm = _judge(tag_files, present, hashes, parsed_t, tagm, problems, level="tag")
    trusted = {a: v for a, v in parsed_p.items() if paym[a] not in changed_tagm} or parsed_p
    data_files = {n for n in present if n.startswith("data/")}
    _judge(data_files, present, hashes, trusted, paym, problems, level="payload")
    if "Payload-Oxum" in info and not any(p.startswith(("missing: data/", "extra: data/"))
                                          for p in problems):
        octets, _, count = info["Payload-Oxum"].partition(".")
        real = sum(zf.getinfo(prefix + n).file_size for n in data_files)
        if (octets, count) != (str(real), str(len(data_files))):
            problems.append(f"bag-info.txt Payload-Oxum says {count} files of {octets} bytes; "
                            f"the packet holds {len(data_files)} of {real}")
    unique: dict[str, str] = {}
    for prob in problems:  # one line per member: the first, most specific reason
        unique.setdefault(prob.split(" (", 1)[0], prob)
    return sorted(unique.values(), key=_order)


def _judge(files: set[str], present: set[str], hashes, parsed: dict, manifest_names: dict,
           problems: list[str], *, level: str) -> set[str]:
    """Blame files or manifests; returns the manifests found changed."""
    changed_manifests: set[str] = set()
    if not parsed:
        for n in sorted(files):
            problems.append(f"extra: {n} (no {level} manifest lists it)")
        return changed_manifests
    algs = sorted(parsed)
    for alg in algs:
        entries, bad = parsed[alg]
        if bad:
            changed_manifests.add(manifest_names[alg])
            problems.append(f"changed: {manifest_names[alg]} (line {bad[0]} is not a "
                            "'<digest> <path>' entry as written by bagit)")
    sound = [a for a in algs if manifest_names[a] not in changed_manifests] or algs
    listed = set().union(*(parsed[a][0].keys() for a in sound))
    for n in sorted(files | listed):
        verdicts = {}  # alg -> "ok" | "mismatch" | "unlisted" | "absent"
        for a in sound:
            entries = parsed[a][0]
            if n not in entries:
                verdicts[a] = "unlisted"
            elif n not in present:
                verdicts[a] = "absent"
            else:
                verdicts[a] = "ok" if hashes[n].get(a) == entries[n] else "mismatch"
        values = set(verdicts.values())
        if values == {"ok"}:
            continue
        if values == {"unlisted"}:
            problems.append(f"extra: {n} (in no {level} manifest)")
        elif values == {"absent"}:
            problems.append(f"missing: {n}")
        elif values == {"mismatch"}:
            if len(sound) == 1 and len(algs) == 1:
                problems.append(f"changed: {n} (or {manifest_names[algs[0]]}: the only "
                                f"{level} manifest, they disagree)")
            else:
                problems.append(f"changed: {n}")
        else:  # the manifests disagree with each other: blame the odd ones out
            if "ok" in values:
                odd = [a for a, v in verdicts.items() if v != "ok"]
            elif n not in present:  # some list a file that is not there, others do not
                odd = [a for a, v in verdicts.items() if v == "absent"]
            else:  # present: some list it with another digest, others not at all
                odd = [a for a, v in verdicts.items() if v == "unlisted"]
                problems.append(f"changed: {n}")
            for a in odd:
                changed_manifests.add(manifest_names[a])
                problems.append(f"changed: {manifest_names[a]} (its entry for {n} does not "
                                "agree with the packet and the other manifest)")
    return changed_manifests


def _order(problem: str) -> tuple[int, str]:
    kind = problem.split(":", 1)[0]
    return ({"refused": 0, "changed": 1, "missing": 2, "extra": 3}.get(kind, 4), problem)


def _bagit_opinion(zf: zipfile.ZipFile, infos, prefix: str) -> list[str]:
    """Validate the unzipped bag with `bagit` (names were checked safe before extracting)."""
    tmp = Path(tempfile.mkdtemp(prefix="workbench-verify-"))
    try:
        root = tmp / "bag"
        for i in infos:
            if i.is_dir() or not i.filename.startswith(prefix):
                continue
            target = (root / i.filename[len(prefix):]).resolve()
            if root.resolve() not in target.parents:
                return [f"refused: member '{i.filename}' would be written outside the folder"]
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(i) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 4 << 20)
        logging.getLogger("bagit").setLevel(logging.ERROR)
        try:
            bagit.Bag(str(root)).validate(processes=1)
        except bagit.BagError as exc:
            details = getattr(exc, "details", None) or []
            return [f"bagit validator: {exc}"] + [f"bagit validator: {d}" for d in details]
        return []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
