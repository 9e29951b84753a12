"""Excerpts: each source's lines used as evidence, verbatim, with the whole original's SHA-256.

A recipient holding the provider's copy checks it with `sha256sum -c originals.sha256`
(run in the folder holding the originals, as laid out in case.toml) and then finds
each quoted line at its line number.
"""
from __future__ import annotations

import re

from .model import KIND_WORDS, PacketView, SourceView


def excerpt_name(index: int, src: SourceView) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", src.path.replace("\\", "/").split("/")[-1])
    prov = re.sub(r"[^A-Za-z0-9]+", "-", src.provider).strip("-").lower() or "source"
    return f"excerpts/{index:02d}-{prov}-{base}.txt"


def excerpt_text(view: PacketView, src: SourceView) -> str:
    """The excerpt file: a commented head, then `line<TAB>verbatim text` per quoted line."""
    head = [
        f"# Excerpt of {src.path} — CDRs of {src.provider}",
        f"# SHA-256 of the whole original file: {src.sha256_export}",
        f"# Size of the original: {src.size} bytes; format {src.format}; "
        f"encoding {src.encoding or 'unknown'}; time zone as configured {src.timezone}",
        f"# Case: {view.case_name}; packet created {view.created_utc} (UTC) by {view.tool}",
        "# Each line below: the 1-based line number in the original, a tab, what the line is "
        "(header / MATCHED / alternative), a tab, and the line exactly as in the file "
        "(re-encoded as UTF-8).",
    ]
    kind = src.path.lower().rsplit(".", 1)[-1]
    if kind in ("xlsx", "xlsm"):
        head.append("# A spreadsheet has no text lines: each quoted 'line' is a sheet row, its "
                    "cells as read joined with ' | '.")
    elif kind in ("parquet", "pq"):
        head.append("# A Parquet file has no text lines: each quoted 'line' is a row (numbered "
                    "from 2, as if under a header) written as name=value joined with ' | '.")
    if view.profile != "none":
        head.append(f"# REDACTED ({view.profile}): {view.profile_words}; the SHA-256 above is "
                    "of the unredacted original.")
    if src.copy:
        head.append(f"# The whole original is in this packet: {src.copy}")
    body = [f"{ln.line}\t{KIND_WORDS.get(ln.kind, ln.kind)}\t{ln.text if ln.text is not None else '(line not readable)'}"
            for ln in src.lines]
    if not body:
        body = ["# (no line of this file matched the call: searched, nothing quoted)"]
    return "\n".join(head + body) + "\n"


def sums_text(view: PacketView) -> str:
    """sha256sum-compatible list of every source of the case (paths as in case.toml)."""
    lines = [f"{s.sha256_export}  {s.path}" for s in view.sources]
    return "\n".join(lines) + "\n"
