"""The files an investigator is handed besides the CDRs: case.toml and tracebacks.csv."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import numpy as np

from .clock import S, to_iso, to_us
from .dno import PATH as DNO_PATH
from .rmd import SNAPSHOTS
from .scenario import CASE_NAME, SCENARIO, call_time
from .sources import PROVIDERS, SOURCES
from .training import Training

TRACEBACK_HEADER = ["traceback_id", "campaign", "call_time", "calling", "called", "hop",
                    "provider", "upstream", "status", "notified_at", "responded_at", "notes"]

def _toml_str(s: str) -> str:
    """A TOML basic string with every character TOML requires escaped."""
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(v: object) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return _toml_str(str(v))


def case_toml(paths: dict[str, str], notes: dict[str, str], rows: int, seed: int,
              training: Training | None = None) -> str:
    """The case file, written by hand (no TOML writer dependency)."""
    size = f"{rows} background rows per source"
    if training is not None:
        size += (f"; {training.tracebacks} training tracebacks across {training.campaigns} "
                 "campaigns")
    out = [f"# Fictional training case written by workbench.generate (seed {seed}, {size}).",
           "# Every provider, customer and number is invented (NANP lines are NPA-555-01xx).",
           "", "[case]", f"name = {_toml_str(CASE_NAME)}", 'default_country = "US"',
           "# Robocall Mitigation Database downloads (fictional), oldest snapshot first",
           f"rmd = {_toml_value(list(SNAPSHOTS))}", f"dno = {_toml_str(DNO_PATH)}"]
    for p in PROVIDERS:
        out += ["", "[[providers]]", f"name = {_toml_str(p.name)}",
                f"aliases = {_toml_value(list(p.aliases))}"]
        if p.rmd:  # the others are found in the RMD by name
            out.append(f"rmd = {_toml_str(p.rmd)}")
    for src in SOURCES:
        out += ["", "[[sources]]", f"# {notes.get(src.key) or src.comment}"]
        out += [f"provider = {_toml_str(src.provider)}", f"path = {_toml_str(paths[src.key])}",
                'format = "generic"', f"timezone = {_toml_str(src.timezone)}"]
        if src.date_order:
            out.append(f"date_order = {_toml_str(src.date_order)}")
        if src.columns:
            out += ["[sources.columns]"] + [f"{k} = {_toml_value(v)}" for k, v in src.columns]
        for title, customer in (("upstreams", False), ("customers", True)):
            mapped = [t for t in src.trunks if t.name and t.customer == customer]
            if mapped:
                out += [f"[sources.{title}]"] + [f"{_toml_str(t.id)} = {_toml_str(t.name)}"
                                                 for t in mapped]
    out += ["", "[[tracebacks]]", 'path = "tracebacks.csv"', ""]
    return "\n".join(out)


def tracebacks_csv(rng: np.random.Generator, extra: Iterable[list[str]] = ()) -> str:
    """What each provider answered per traceback, with notification and response times;
    ``extra`` rows (a training case's tracebacks) follow the story's."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(TRACEBACK_HEADER)
    for tb in SCENARIO:
        sent = to_us(tb.t0) // S + 2 * 86400 + int(rng.integers(3600, 6 * 3600))
        for hop, (provider, status, upstream, notes) in enumerate(tb.stated, start=1):
            answered = status != "no_response"
            took = int(rng.integers(20 * 60, 20 * 3600))
            w.writerow([tb.tb_id, tb.campaign, call_time(tb), tb.calling, tb.called, hop,
                        provider, upstream, status, to_iso(sent * S),
                        to_iso((sent + took) * S) if answered else "", notes])
            sent += took + int(rng.integers(600, 4 * 3600))
    w.writerows(extra)
    return buf.getvalue()
