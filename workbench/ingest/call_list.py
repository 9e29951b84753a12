"""A list of calls to trace at once (CSV or XLSX): numbers and time as written, or a file
of traceback records (each record is one call)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.common.errors import InputError
from workbench.common.files import regular_file

from .tracebacks import Traceback, load_tracebacks, read_rows

CALLING = ("calling", "ani", "cli", "caller", "calling_number", "from", "src", "a_number")
CALLED = ("called", "dnis", "called_number", "to", "dst", "destination", "b_number")
AT = ("at", "time", "call_time", "start", "datetime", "date_time", "timestamp", "start_time")


@dataclass(frozen=True)
class ListedCall:
    """One call of the list, as written (or a traceback record)."""

    line: int
    calling: str = ""
    called: str = ""
    at: str = ""
    traceback: Traceback | None = None


def read_call_list(path: Path, *, default_country: str = "US",
                   timezone: str = "UTC") -> list[ListedCall]:
    """The calls of a list file. A file with `traceback_id` and `hop` columns is read as
    traceback records; otherwise columns named like calling/called/at (ANI/DNIS/time, …)."""
    path = regular_file(Path(path), what="list of calls", field="batch")
    rows = read_rows(path)
    if not rows:
        raise InputError("the list of calls is empty", file=str(path), field="batch")
    header = {k.strip().lower(): k for k in rows[0][1]}
    if "traceback_id" in header and "hop" in header:
        tbs = load_tracebacks(path, default_country=default_country, timezone=timezone)
        return [ListedCall(tb.hops[0].line or 0 if tb.hops else 0, traceback=tb) for tb in tbs]
    cols = {}
    for name, aliases in (("calling", CALLING), ("called", CALLED), ("at", AT)):
        cols[name] = next((header[a] for a in aliases if a in header), None)
    missing = [n for n in ("called", "at") if cols[n] is None]
    if missing:
        raise InputError(f"no column for {' and '.join(missing)} (found: "
                         f"{', '.join(rows[0][1])}); name them calling, called, at",
                         file=str(path), field=missing[0])
    out = []
    for line, row in rows:
        def get(name: str) -> str:
            key = cols[name]
            value = row.get(key) if key is not None else None
            return "" if value is None else str(value).strip()
        out.append(ListedCall(line, get("calling"), get("called"), get("at")))
    return out
