"""Write a fictional traceback training case: five providers' CDRs, traceback records, answer key.

Everything is invented. NANP numbers are always NPA-555-01xx; foreign numbers are UK
drama-range numbers (+44 20 7946 0xxx, +44 7700 900xxx). Background rows are built with
numpy and formatted with pyarrow, so millions of rows per source take seconds; part of it
crosses several providers so the files share calls as real neighbours' CDRs do. The traced
calls, their decoys and the answer key (``truth.json``) come from the ``SCENARIO`` table.

Modules: ``sources`` and ``scenario`` (the story), ``rows`` and ``plan`` (the CDR rows),
``formatting`` and ``writers`` (the files), ``case_files``, ``rmd`` and ``dno`` (the RMD
snapshots and the Do-Not-Originate list), ``answer_key``, ``readme``; ``training``,
``chains`` and ``training_records`` (a training case's customers, chains and records);
``build`` runs them in order.
"""
from __future__ import annotations

from pathlib import Path

from workbench.common.errors import InputError
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress

from .build import Job
from .case_files import (
    TRACEBACK_HEADER,
    _toml_str,  # noqa: F401 - tests check the escaping
    case_toml,
    tracebacks_csv,
)
from .chains import SILENT, SLOW
from .clock import S
from .clock import to_iso as _iso  # noqa: F401 - the old name, used by tests
from .scenario import CASE_NAME, SCENARIO, TracedCall, trace_expected
from .sources import PROVIDERS, SEAPORT_SKEW_S, SOURCES
from .training import MAX_TRACEBACKS, ROTATING, Training
from .writers import XLSX_MAX_ROWS

__all__ = ["CASE_NAME", "MAX_TRACEBACKS", "PROVIDERS", "ROTATING", "S", "SCENARIO",
           "SEAPORT_SKEW_S", "SILENT", "SLOW", "SOURCES", "TRACEBACK_HEADER", "TracedCall",
           "Training", "XLSX_MAX_ROWS", "case_toml", "generate_case", "trace_expected",
           "tracebacks_csv"]


def generate_case(out_dir: Path, rows: int = 20000, seed: int = 7, *, tracebacks: int = 0,
                  campaigns: int | None = None, progress: ProgressFn | None = None,
                  should_stop: StopFn | None = None) -> Path:
    """Write a fictional traceback case into ``out_dir`` and return that folder.

    ``rows`` is the number of background CDR rows per source (traced calls and their decoys
    come on top). The same ``seed`` always gives the same bytes. Above ``XLSX_MAX_ROWS`` the
    Seaport source is written as ``cdrs/seaport.csv`` instead of XLSX. ``tracebacks`` > 0
    adds that many training tracebacks across ``campaigns`` campaigns (default 5), with a
    rotating-ANI customer among honest ones, a slow responder and a silent provider.
    """
    if rows < 0:
        raise InputError("rows must be 0 or more", field="rows")
    training = Training.of(tracebacks, campaigns)
    progress = progress or no_progress
    should_stop = should_stop or never_stop
    out = Path(out_dir)
    (out / "cdrs").mkdir(parents=True, exist_ok=True)
    # XLSX_MAX_ROWS is read here, at call time, so setting it on this package takes effect.
    job = Job.start(out, rows, seed, XLSX_MAX_ROWS, training)
    for i, src in enumerate(SOURCES):
        check(should_stop)
        progress(i / (len(SOURCES) + 1), f"writing {src.path}")
        job.write_source(i, src)
    job.remove_stale()
    check(should_stop)
    progress(len(SOURCES) / (len(SOURCES) + 1), "writing case.toml, tracebacks and truth")
    job.write_case_files()
    progress(1.0, "done")
    return out
