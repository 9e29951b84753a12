"""The case's audit trail: an append-only, hash-chained `audit.jsonl` in the case folder.

Each line is one JSON object: a sequence number, the UTC time, who, the action
(import, mapping change, trace, export, reply, ...), its details, the SHA-256 of
the previous entry (`prev`) and its own SHA-256 (`hash`, over the canonical JSON of
every other field). Removing, reordering or editing an entry breaks the chain and
`verify_audit` names the line. A forger who rewrites every later hash defeats any
unsigned chain; the packet therefore also records the log's head (count and last
hash) at export, and the export entry records the packet's own SHA-256.
"""
from __future__ import annotations

import datetime as _dt
import getpass
import hashlib
import json
import os
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Iterator

from workbench import __version__
from workbench.common.errors import WorkbenchError
from workbench.common.files import is_regular_or_missing

if TYPE_CHECKING:  # the model pulls in the store (pyarrow); the audit trail does not need it
    from workbench.case.model import Case

AUDIT_FILE = "audit.jsonl"
GENESIS = "0" * 64

# One writer per process (re-entrant: `log_action` holds it across its several appends); the
# file lock covers other processes.
_lock = threading.RLock()

#: The note on the import entries an action writes for sources the log has not seen yet.
FIRST_SEEN = {"export": "first seen at export", "reply": "first seen when drafting a reply"}


class AuditError(WorkbenchError):
    """The audit log cannot be written (read-only case folder, disk full): said in one line."""


def audit_path(case_root: Path) -> Path:
    return Path(case_root) / AUDIT_FILE


def default_actor() -> str:
    """The operating-system user, as the fallback 'who' of an entry."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database (containers, services)
        return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of an entry without its own `hash` field."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    blob = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def append_event(case_root: Path, action: str, details: dict[str, Any], *,
                 actor: str | None = None) -> dict[str, Any]:
    """Append one entry to the case's audit log and return it (with its hash)."""
    path = audit_path(case_root)
    with _writing(path):
        return _append(path, action, details, actor)


def ensure_writable(case_root: Path) -> None:
    """Fail early (AuditError) when an action could not be logged, before doing the action."""
    path = audit_path(case_root)
    with _writing(path), open(path, "ab"):
        pass


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn an OSError while writing the log into one AuditError line."""
    try:
        yield
    except OSError as exc:
        raise AuditError(f"cannot write the audit log {path}: {exc.strerror or exc}") from exc
    except _NotAFile as exc:
        raise AuditError(f"cannot write the audit log {path}: {_NotAFile.REASON}") from exc


def _append(path: Path, action: str, details: dict[str, Any],
            actor: str | None) -> dict[str, Any]:
    with _lock, _locked(path) as fh:
        last = _last_entry(fh)
        entry: dict[str, Any] = {
            "seq": (last.get("seq", 0) + 1) if last else 1,
            "time": _now_iso(),
            "actor": actor or default_actor(),
            "action": str(action),
            "details": json.loads(json.dumps(details or {}, default=str)),
            "tool": f"traceback-workbench {__version__}",
            "prev": last.get("hash", GENESIS) if last else GENESIS,
        }
        entry["hash"] = entry_hash(entry)
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
        fh.seek(0, os.SEEK_END)
        if fh.tell() and not _ends_with_newline(fh):
            line = "\n" + line  # never glue onto a torn last line
        fh.write(line.encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())
    return entry


def log_import(case_root: Path, path: str, sha256: str, *, provider: str | None = None,
               actor: str | None = None, **extra: Any) -> dict[str, Any]:
    """An import entry: which file, for which provider, with its SHA-256 at import."""
    return append_event(case_root, "import", {"path": str(path), "sha256": sha256,
                                              "provider": provider, **extra}, actor=actor)


def log_sources(case: Case, *, actor: str | None = None,
                note: str = "first seen") -> list[dict[str, Any]]:
    """An import entry for each source of `case` whose (path, SHA-256) the log does not hold yet.

    Cases made before the audit trail existed, or by hand, get their sources' hashes on
    record the first time an action is taken on them.
    """
    with _lock:  # two threads must not both find a source unseen and log it twice
        known = {(e["details"].get("path"), e["details"].get("sha256"))
                 for e in read_audit(case.root)
                 if e.get("action") == "import" and isinstance(e.get("details"), dict)}
        out: list[dict[str, Any]] = []
        for src in case.sources:
            if (src.config.path, src.sha256) not in known:
                out.append(log_import(case.root, src.config.path, src.sha256,
                                      provider=src.provider, actor=actor,
                                      format=src.summary.format, rows=src.summary.rows,
                                      note=note))
                known.add((src.config.path, src.sha256))
        return out


# -- the one audit policy: every front end logs an action through these two -------------------

def log_action(case: Case, action: str, details: dict[str, Any], *,
               actor: str | None = None) -> list[dict[str, Any]]:
    """Log an action on `case` the one way: an import entry for each source the log has not
    seen, then the action's own entry. Raises AuditError (never a bare OSError).

    For actions whose result is only on screen (trace): the caller reports a failure as a
    warning and keeps the result.
    """
    with _writing(audit_path(case.root)), _lock:
        out = log_sources(case, actor=actor, note=FIRST_SEEN.get(action, "first seen"))
        out.append(append_event(case.root, action, details, actor=actor))
        return out


def prepare_action(case: Case, action: str, *,
                   actor: str | None = None) -> list[dict[str, Any]]:
    """Before an action whose output is evidence (export, reply): refuse (AuditError) when the
    log cannot be written, and put the sources on record before the output is made (a packet
    carries the log). The action's own entry follows with `append_event` once it is done."""
    with _writing(audit_path(case.root)), _lock:
        ensure_writable(case.root)
        return log_sources(case, actor=actor, note=FIRST_SEEN.get(action, "first seen"))


def log_mapping_change(case_root: Path, source: str, before: dict[str, Any],
                       after: dict[str, Any], *, actor: str | None = None) -> dict[str, Any]:
    """A mapping change entry: the source and its column/upstream mapping before and after."""
    return append_event(case_root, "mapping change",
                        {"source": source, "before": before, "after": after}, actor=actor)


def read_audit(case_root: Path) -> list[dict[str, Any]]:
    """Every readable entry, in file order (unreadable lines are skipped; see verify_audit)."""
    return [entry for _, entry, _ in _lines(audit_path(case_root)) if entry is not None]


def verify_audit(case_root: Path) -> tuple[bool, list[str]]:
    """Check the chain: (True, []) or (False, a problem per broken line)."""
    _, problems = check_audit(case_root)
    return not problems, problems


def check_audit(case_root: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Every readable entry and a problem per broken line, from one read of the log."""
    entries: list[dict[str, Any]] = []
    problems: list[str] = []
    prev_hash: str | None = GENESIS  # None: the previous line was unreadable
    prev_seq = 0
    for n, entry, error in _lines(audit_path(case_root)):
        if entry is None:
            problems.append(f"{AUDIT_FILE} line {n}: {error}")
            prev_hash = None  # whatever follows cannot be linked to a known entry
            continue
        entries.append(entry)
        seq = entry.get("seq")
        if entry.get("hash") != entry_hash(entry):
            problems.append(f"{AUDIT_FILE} line {n} (entry {seq}): edited — its content no "
                            "longer matches its hash")
        if prev_hash is not None and entry.get("prev") != prev_hash:
            problems.append(f"{AUDIT_FILE} line {n} (entry {seq}): the chain is broken here — "
                            "an entry before it was removed, inserted or edited")
        if isinstance(seq, int) and seq != prev_seq + 1:
            problems.append(f"{AUDIT_FILE} line {n}: entry {seq} follows entry {prev_seq} "
                            f"(missing {prev_seq + 1}…{seq - 1})" if seq > prev_seq + 1 else
                            f"{AUDIT_FILE} line {n}: entry {seq} is out of order after "
                            f"{prev_seq}")
        prev_hash = entry.get("hash")
        prev_seq = seq if isinstance(seq, int) else prev_seq + 1
    return entries, problems


def head(entries: list[dict[str, Any]]) -> tuple[int, str]:
    """(number of entries, hash of the last one) of a log read with `read_audit`; (0, GENESIS)
    for an empty log."""
    return (len(entries), entries[-1].get("hash", "")) if entries else (0, GENESIS)


def summary_of(entry: dict[str, Any]) -> str:
    """One short line describing an entry's details, for tables."""
    d = entry.get("details") or {}
    if not isinstance(d, dict):  # a hand-edited log: show what is there
        return json.dumps(d, ensure_ascii=False, default=str)[:200]
    parts = []
    call = d.get("call")
    if isinstance(call, dict):
        parts.append(f"{call.get('calling')} → {call.get('called')} at {call.get('at')}")
    for key in ("traceback", "outcome", "path", "sha256", "provider", "source", "packet",
                "packet_sha256", "redact", "out"):
        if d.get(key) not in (None, "", []):
            parts.append(f"{key} {d[key]}")
    if not parts:
        parts.append(json.dumps(d, ensure_ascii=False, default=str)[:200])
    return "; ".join(parts)


def _now_iso() -> str:
    now = _dt.datetime.now(_dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    if not path.exists():
        return
    _check_regular(path, "read")
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            text = raw.rstrip(b"\r\n")
            if not text.strip():
                continue
            if not raw.endswith(b"\n"):
                yield n, None, "incomplete last entry (the write was interrupted?)"
                continue
            try:
                entry = json.loads(text.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield n, None, f"not a JSON entry ({exc})"
                continue
            except RecursionError:  # no entry we write nests deeper than a few levels
                yield n, None, "not a JSON entry (nested too deeply)"
                continue
            if not isinstance(entry, dict):
                yield n, None, "not a JSON object"
                continue
            yield n, entry, None


def _last_entry(fh: BinaryIO) -> dict[str, Any] | None:
    """The last complete entry of the open log (reads only its tail)."""
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    block = 1 << 16
    while True:
        start = max(0, size - block)
        fh.seek(start)
        tail = fh.read(size - start)
        lines = tail.split(b"\n")
        complete = [ln for ln in (lines[:-1] if not tail.endswith(b"\n") else lines) if ln.strip()]
        if start > 0:
            complete = complete[1:]  # the first piece may be cut
        for ln in reversed(complete):
            try:
                entry = json.loads(ln.decode("utf-8"))
                if isinstance(entry, dict):
                    return entry
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                continue
        if start == 0:
            return None
        block *= 4


class _NotAFile(AuditError):
    """The log's place is taken by a folder, FIFO or device: said as 'cannot read' by the
    readers, and as 'cannot write' by `_writing` around an action."""

    REASON = "not a regular file (a folder, pipe or device is in its place)"


def _check_regular(path: Path, verb: str = "write") -> None:
    """A FIFO or device in place of the log would block every read forever; a folder cannot
    be appended to. Either is said in one line instead."""
    if not is_regular_or_missing(path):
        raise _NotAFile(f"cannot {verb} the audit log {path}: {_NotAFile.REASON}")


def _ends_with_newline(fh: BinaryIO) -> bool:
    fh.seek(-1, os.SEEK_END)
    return fh.read(1) == b"\n"


@contextmanager
def _locked(path: Path) -> Iterator[BinaryIO]:
    """Open the log for read+append under an exclusive lock shared with other processes."""
    _check_regular(path)
    fh = open(path, "a+b")
    try:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)
        else:
            import fcntl
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield fh
    finally:
        try:
            if sys.platform == "win32":  # pragma: no cover
                import msvcrt
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        finally:
            fh.close()
