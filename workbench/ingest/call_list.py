"""A list of calls to trace at once (CSV or XLSX): numbers and time as written, or a file
of traceback records (each record is one call)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.common.errors import InputError
from workbench.common.files import regular_file

from .tracebacks import Traceback, read_table, records_from

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
    lines, table = read_table(path)  # read once, as columns
    if not lines:
        raise InputError("the list of calls is empty", file=str(path), field="batch")
    if "traceback_id" in table and "hop" in table:
        tbs = records_from(path, lines, table, default_country=default_country,
                           timezone=timezone)
        return [ListedCall(tb.hops[0].line or 0 if tb.hops else 0, traceback=tb) for tb in tbs]
    cols: dict[str, list[object] | None] = {}
    for name, aliases in (("calling", CALLING), ("called", CALLED), ("at", AT)):
        cols[name] = next((table[a] for a in aliases if a in table), None)
    missing = [n for n in ("called", "at") if cols[n] is None]
    if missing:
        raise InputError(f"no column for {' and '.join(missing)} (found: "
                         f"{', '.join(table)}); name them calling, called, at",
                         file=str(path), field=missing[0])

    def text(values: list[object] | None) -> list[str]:
        if values is None:
            return [""] * len(lines)
        return ["" if v is None else str(v).strip() for v in values]

    return [ListedCall(*row) for row in zip(lines, text(cols["calling"]), text(cols["called"]),
                                              text(cols["at"]))]
